//! PGTune's formulas (le0pard/pgtune, `configurationSlice.js`), re-derived for a machine and
//! a workload kind, plus two adjustments of perfhive's own for the database's size against
//! memory (marked *own* below). Pure: no I/O.
//!
//! - shared_buffers = RAM / 4 (desktop: / 16);
//! - effective_cache_size = RAM × 3/4 (desktop: / 4);
//! - maintenance_work_mem = RAM / 16 (data warehouse: / 8), at most 8 GB;
//! - wal_buffers = 3% of shared_buffers, at most 16 MB (rounded up to 16 MB above 14 MB),
//!   at least 32 kB;
//! - work_mem = (RAM − shared_buffers) / ((max_connections + max_worker_processes) × 3),
//!   halved for data warehouse and mixed, a sixth for desktop, at least 4 MB; *own*: +30%
//!   when the database fits in memory, −10% when it is over three times larger;
//! - random_page_cost 1.1 (4 on rotating disks; *own*: 4 for a data warehouse larger than
//!   memory);
//!   effective_io_concurrency 2 / 200 / 300 / 1000 for HDD / SSD / SAN / NVMe;
//! - with 4 CPUs or more: max_worker_processes = max_parallel_workers = CPUs,
//!   max_parallel_workers_per_gather = max_parallel_maintenance_workers = ⌈CPUs / 2⌉, at most
//!   4 (no cap per gather for a data warehouse);
//! - min_wal_size / max_wal_size by workload (web 1 GB / 4 GB, OLTP 2 / 8, DW 4 / 16,
//!   desktop 100 MB / 2 GB, mixed 1 / 4), checkpoint_completion_target 0.9.

use crate::model::{Machine, Storage, WorkloadKind};

/// The database's size against the machine's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbSize {
    /// Smaller than memory.
    LessThanRam,
    /// One to three times memory.
    AboutRam,
    /// More than three times memory.
    MoreThanRam,
}

impl DbSize {
    /// The class of `db_bytes` on a machine of `memory_bytes`.
    pub fn of(db_bytes: u64, memory_bytes: u64) -> DbSize {
        if db_bytes < memory_bytes {
            DbSize::LessThanRam
        } else if db_bytes <= memory_bytes.saturating_mul(3) {
            DbSize::AboutRam
        } else {
            DbSize::MoreThanRam
        }
    }
}

/// A recommended value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A memory size, kB.
    Kb(u64),
    /// A count.
    Int(u64),
    /// A real number.
    Real(f64),
}

impl Value {
    /// As postgresql.conf writes it (`2GB`, `512MB`, `64kB`, `200`, `1.1`).
    pub fn render(self) -> String {
        match self {
            Value::Kb(kb) => render_kb(kb),
            Value::Int(n) => n.to_string(),
            Value::Real(x) => {
                let s = format!("{x:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
    }

    /// The number compared with the current setting (kB for memory).
    pub fn number(self) -> f64 {
        match self {
            Value::Kb(kb) => kb as f64,
            Value::Int(n) => n as f64,
            Value::Real(x) => x,
        }
    }
}

/// kB as PGTune writes it: GB when whole, else MB when whole, else kB.
pub fn render_kb(kb: u64) -> String {
    if kb > 0 && kb.is_multiple_of(1024 * 1024) {
        format!("{}GB", kb / (1024 * 1024))
    } else if kb > 0 && kb.is_multiple_of(1024) {
        format!("{}MB", kb / 1024)
    } else {
        format!("{kb}kB")
    }
}

/// `2GB`, `512MB`, `64kB` (as [`render_kb`] writes them) in kB.
pub fn parse_kb(s: &str) -> Option<f64> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.')?);
    let n: f64 = n.parse().ok()?;
    match unit {
        "kB" => Some(n),
        "MB" => Some(n * 1024.0),
        "GB" => Some(n * 1024.0 * 1024.0),
        "TB" => Some(n * 1024.0 * 1024.0 * 1024.0),
        _ => None,
    }
}

/// PGTune's settings for the machine. `max_connections` is the server's (the number of
/// connections the workload was given).
pub fn recommend(
    machine: &Machine,
    kind: WorkloadKind,
    size: DbSize,
    max_connections: u64,
) -> Vec<(&'static str, Value)> {
    use WorkloadKind::*;
    let mem_kb = machine.memory_bytes / 1024;
    let shared_buffers = match kind {
        Desktop => mem_kb / 16,
        _ => mem_kb / 4,
    };
    let effective_cache_size = match kind {
        Desktop => mem_kb / 4,
        _ => mem_kb * 3 / 4,
    };
    let maintenance = match kind {
        Dw => mem_kb / 8,
        _ => mem_kb / 16,
    }
    .min(8 * 1024 * 1024);
    let mut wal_buffers = shared_buffers * 3 / 100;
    let max_wal_buffer = 16 * 1024;
    if wal_buffers > max_wal_buffer {
        wal_buffers = max_wal_buffer;
    }
    if wal_buffers > 14 * 1024 && wal_buffers < max_wal_buffer {
        wal_buffers = max_wal_buffer;
    }
    wal_buffers = wal_buffers.max(32);

    let cpus = u64::from(machine.cpus);
    let parallel = cpus >= 4;
    let worker_processes = if parallel { cpus } else { 8 };
    let per_gather = if kind == Dw {
        cpus.div_ceil(2)
    } else {
        cpus.div_ceil(2).min(4)
    };
    let maintenance_workers = cpus.div_ceil(2).min(4);

    let base = (mem_kb.saturating_sub(shared_buffers)) as f64
        / ((max_connections + worker_processes) as f64 * 3.0);
    let mut work_mem = match kind {
        Web | Oltp => base.floor(),
        Dw | Mixed => (base / 2.0).floor(),
        Desktop => (base / 6.0).floor(),
    };
    work_mem = match size {
        DbSize::LessThanRam => (work_mem * 1.3).floor(),
        DbSize::MoreThanRam => (work_mem * 0.9).floor(),
        DbSize::AboutRam => work_mem,
    };
    let work_mem = (work_mem as u64).max(4 * 1024);

    let random_page_cost = if size == DbSize::LessThanRam {
        1.1
    } else if machine.storage == Storage::Hdd || kind == Dw {
        4.0
    } else {
        1.1
    };
    let io_concurrency = match machine.storage {
        Storage::Hdd => 2,
        Storage::Ssd => 200,
        Storage::San => 300,
        Storage::Nvme => 1000,
    };
    let (min_wal, max_wal) = match kind {
        Web | Mixed => (1024, 4096),
        Oltp => (2048, 8192),
        Dw => (4096, 16384),
        Desktop => (100, 2048),
    };

    let mut out = vec![
        ("shared_buffers", Value::Kb(shared_buffers)),
        ("effective_cache_size", Value::Kb(effective_cache_size)),
        ("maintenance_work_mem", Value::Kb(maintenance)),
        ("work_mem", Value::Kb(work_mem)),
        ("wal_buffers", Value::Kb(wal_buffers)),
        ("min_wal_size", Value::Kb(min_wal * 1024)),
        ("max_wal_size", Value::Kb(max_wal * 1024)),
        ("checkpoint_completion_target", Value::Real(0.9)),
        ("random_page_cost", Value::Real(random_page_cost)),
        ("effective_io_concurrency", Value::Int(io_concurrency)),
    ];
    if parallel {
        out.extend([
            ("max_worker_processes", Value::Int(cpus)),
            ("max_parallel_workers_per_gather", Value::Int(per_gather)),
            ("max_parallel_workers", Value::Int(cpus)),
            (
                "max_parallel_maintenance_workers",
                Value::Int(maintenance_workers),
            ),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(gb: u64, cpus: u32, storage: Storage) -> Machine {
        Machine {
            memory_bytes: gb << 30,
            cpus,
            storage,
            source: "test".into(),
        }
    }

    fn get(v: &[(&str, Value)], k: &str) -> String {
        v.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.render())
            .unwrap_or_default()
    }

    /// Values worked out by hand from PGTune's formulas for the same inputs (PostgreSQL 15,
    /// Linux).
    #[test]
    fn a_web_server_with_8gb_4_cpus_on_ssd() {
        let r = recommend(
            &machine(8, 4, Storage::Ssd),
            WorkloadKind::Web,
            DbSize::AboutRam,
            200,
        );
        assert_eq!(get(&r, "shared_buffers"), "2GB");
        assert_eq!(get(&r, "effective_cache_size"), "6GB");
        assert_eq!(get(&r, "maintenance_work_mem"), "512MB");
        assert_eq!(get(&r, "wal_buffers"), "16MB");
        assert_eq!(get(&r, "random_page_cost"), "1.1");
        assert_eq!(get(&r, "effective_io_concurrency"), "200");
        assert_eq!(get(&r, "min_wal_size"), "1GB");
        assert_eq!(get(&r, "max_wal_size"), "4GB");
        // (8 GiB − 2 GiB) / ((200 + 4) × 3) = 10280 kB.
        assert_eq!(get(&r, "work_mem"), "10280kB");
        assert_eq!(get(&r, "max_worker_processes"), "4");
        assert_eq!(get(&r, "max_parallel_workers_per_gather"), "2");
        assert_eq!(get(&r, "max_parallel_maintenance_workers"), "2");
    }

    #[test]
    fn small_machines_hard_disks_and_warehouses() {
        let r = recommend(
            &machine(2, 2, Storage::Hdd),
            WorkloadKind::Oltp,
            DbSize::MoreThanRam,
            300,
        );
        assert_eq!(get(&r, "shared_buffers"), "512MB");
        assert_eq!(get(&r, "random_page_cost"), "4");
        assert_eq!(get(&r, "effective_io_concurrency"), "2");
        assert_eq!(get(&r, "work_mem"), "4MB", "the 4 MB floor");
        assert!(
            r.iter().all(|(k, _)| *k != "max_worker_processes"),
            "no parallel settings below 4 CPUs"
        );
        // wal_buffers: 3% of 512 MB = 15.36 MB → rounded up to 16 MB.
        assert_eq!(get(&r, "wal_buffers"), "16MB");

        let r = recommend(
            &machine(256, 32, Storage::Nvme),
            WorkloadKind::Dw,
            DbSize::AboutRam,
            40,
        );
        assert_eq!(get(&r, "maintenance_work_mem"), "8GB", "capped");
        assert_eq!(
            get(&r, "max_parallel_workers_per_gather"),
            "16",
            "no cap for a warehouse"
        );
        assert_eq!(
            get(&r, "random_page_cost"),
            "4",
            "a warehouse larger than memory"
        );
        assert_eq!(get(&r, "effective_io_concurrency"), "1000");

        let r = recommend(
            &machine(1, 1, Storage::Ssd),
            WorkloadKind::Desktop,
            DbSize::LessThanRam,
            20,
        );
        assert_eq!(get(&r, "shared_buffers"), "64MB");
        assert_eq!(get(&r, "effective_cache_size"), "256MB");
        assert_eq!(get(&r, "wal_buffers"), "1966kB");
    }

    #[test]
    fn database_size_classes() {
        assert_eq!(DbSize::of(1, 2), DbSize::LessThanRam);
        assert_eq!(DbSize::of(6, 2), DbSize::AboutRam);
        assert_eq!(DbSize::of(7, 2), DbSize::MoreThanRam);
        assert_eq!(render_kb(1536), "1536kB");
        assert_eq!(render_kb(2048), "2MB");
        assert_eq!(parse_kb("2GB"), Some(2097152.0));
        assert_eq!(parse_kb("10280kB"), Some(10280.0));
        assert_eq!(parse_kb("16"), None);
    }
}
