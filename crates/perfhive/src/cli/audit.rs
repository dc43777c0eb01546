//! `perfhive audit db DSN`: a database audit with `perfhive-database` — the window's
//! statements (or the cumulative ones), their plans, index advice verified before it is
//! given, the configuration against PGTune and the pg_stat_* health checks; SQLite files
//! too. Exit 1 with `--fail-on SEVERITY` when a finding reaches it; 2 for a bad DSN, an
//! unreachable server or unreadable input.

use crate::exit::Code;
use crate::output::Printer;
use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use perfhive_database::{
    AnalyseOptions, Database, Machine, SeenSource, SeenStatement, Severity, Storage, VerifyMode,
    WorkloadKind,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `perfhive audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    what: AuditCmd,
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Audit a PostgreSQL server or an SQLite file: statements, plans, verified indexes,
    /// configuration and health.
    Db(Box<DbArgs>),
}

/// Arguments of `perfhive audit db`.
#[derive(Args, Debug)]
#[command(
    after_help = "DSNs: postgresql://user@host:5432/db, host=… dbname=… key/value pairs, or an \
SQLite file path. The password comes from the DSN, PGPASSWORD or ~/.pgpass (PGPASSFILE) and is never \
printed. Nothing changes the database: see docs/database.md.\n\nExamples:\n  \
perfhive audit db postgresql://app@127.0.0.1/shop\n  \
perfhive audit db postgresql://app@127.0.0.1/shop --window 60s --format markdown --out audit.md\n  \
perfhive audit db app.sqlite3 --statements queries.sql --fail-on high"
)]
pub struct DbArgs {
    /// The database: a postgresql:// URI, libpq key/value pairs, or an SQLite file.
    #[arg(value_name = "DSN")]
    pub dsn: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with code 1 when a finding has this severity or higher.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// A SQL file whose statements (separated by `;`) are planned too (repeatable).
    #[arg(long = "statements", value_name = "FILE")]
    pub statements: Vec<PathBuf>,
    /// Snapshot the statement statistics, wait this long while your load runs, snapshot
    /// again, and audit the window's own statements (Ctrl-C ends it early).
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    pub window: Option<Duration>,
    /// Interval of pg_stat_activity samples during the window.
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration, default_value = "100ms")]
    pub sample_every: Duration,
    /// Run SELECT statements with EXPLAIN ANALYZE (in a read-only transaction rolled back).
    #[arg(long)]
    pub analyze: bool,
    /// How index advice is verified before it is given.
    #[arg(long, value_enum, default_value_t = Verify::Auto)]
    pub verify: Verify,
    /// The window's costliest statements to plan.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Timed runs per side of a verification on a copy (the median is kept).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: usize,
    /// A full scan of fewer rows is not reported.
    #[arg(long, value_name = "ROWS", default_value_t = 10_000)]
    pub min_rows: u64,
    /// Largest table (or SQLite file) copied to verify an index.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "512MiB")]
    pub max_copy: u64,
    /// The server's memory, when it is not this machine (e.g. 16GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,
    /// The server's CPUs, when it is not this machine.
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// The server's storage (with --memory and --cpus).
    #[arg(long, value_enum, default_value_t = StorageArg::Ssd)]
    pub storage: StorageArg,
    /// The kind of workload, for PGTune's formulas.
    #[arg(long, value_enum, default_value_t = KindArg::Web)]
    pub workload: KindArg,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings and tables for a terminal.
    Terminal,
    /// The report (schema/database-report.schema.json).
    Json,
    /// Markdown.
    Markdown,
}

/// `--fail-on` levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding but informational ones.
    Low,
    /// Medium or high.
    Medium,
    /// High only.
    High,
}

/// `--verify` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Verify {
    /// hypopg where installed, else a scratch copy (SQLite: a copy of the file).
    Auto,
    /// hypopg only.
    Hypopg,
    /// A scratch copy only.
    Copy,
    /// No verification (nothing is recommended).
    Off,
}

/// `--storage` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    /// SSD.
    Ssd,
    /// NVMe.
    Nvme,
    /// Rotating disks.
    Hdd,
    /// Network storage.
    San,
}

/// `--workload` kinds (PGTune's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Web application.
    Web,
    /// Online transaction processing.
    Oltp,
    /// Data warehouse.
    Dw,
    /// Desktop.
    Desktop,
    /// Mixed.
    Mixed,
}

/// Sizes like `512MiB`, `16GB`, `1024` (bytes); units are binary.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("expected a size such as 512MiB or 16GB, got `{s}`"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => {
            return Err(format!(
                "unknown size unit `{u}`: expected kB, MB, GB or TB (binary)"
            ))
        }
    };
    Ok((n * mult as f64) as u64)
}

fn read_statements(files: &[PathBuf]) -> anyhow::Result<Vec<SeenStatement>> {
    let mut out = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        for s in perfhive_core::sql::split_statements(&text) {
            out.push(SeenStatement {
                text: s.text,
                source: SeenSource::User {
                    origin: format!("{}:{}", f.display(), s.line),
                },
            });
        }
    }
    Ok(out)
}

/// Runs `perfhive audit`.
pub fn exec(a: AuditArgs, out: &mut Printer) -> anyhow::Result<Code> {
    match a.what {
        AuditCmd::Db(d) => exec_db(*d, out),
    }
}

fn exec_db(a: DbArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let seen = read_statements(&a.statements)?;
    let machine = match (a.memory, a.cpus) {
        (Some(memory_bytes), Some(cpus)) => Some(Machine {
            memory_bytes,
            cpus,
            storage: match a.storage {
                StorageArg::Ssd => Storage::Ssd,
                StorageArg::Nvme => Storage::Nvme,
                StorageArg::Hdd => Storage::Hdd,
                StorageArg::San => Storage::San,
            },
            source: "given".into(),
        }),
        (None, None) => None,
        _ => bail!("--memory and --cpus go together: give both to describe the server's machine"),
    };
    let opts = AnalyseOptions {
        top: a.top,
        analyze: a.analyze,
        verify: match a.verify {
            Verify::Auto => VerifyMode::Auto,
            Verify::Hypopg => VerifyMode::Hypopg,
            Verify::Copy => VerifyMode::Copy,
            Verify::Off => VerifyMode::Off,
        },
        max_copy_bytes: a.max_copy,
        runs: a.runs.max(1),
        min_rows: a.min_rows as f64,
        machine,
        kind: match a.workload {
            KindArg::Web => WorkloadKind::Web,
            KindArg::Oltp => WorkloadKind::Oltp,
            KindArg::Dw => WorkloadKind::Dw,
            KindArg::Desktop => WorkloadKind::Desktop,
            KindArg::Mixed => WorkloadKind::Mixed,
        },
        min_gain: 1.5,
    };
    let mut db = Database::connect(&a.dsn, None)?;
    // Signals are caught only during a window (Ctrl-C ends it early, the audit goes on and
    // exits 130); elsewhere they keep their default action.
    let mut interrupts = None;
    let workload = match a.window {
        Some(len) => {
            let it = interrupts.insert(crate::interrupt::Interrupts::install());
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            it.on_signal(move |_, _| s.store(true, Ordering::SeqCst));
            let window = db.begin_window(a.sample_every)?;
            writeln!(
                out.err(),
                "window of {}: run the workload now (Ctrl-C ends the window early)",
                humantime::format_duration(len)
            )?;
            let end = Instant::now() + len;
            while Instant::now() < end && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(
                    Duration::from_millis(50).min(end.saturating_duration_since(Instant::now())),
                );
            }
            db.end_window(window)?
        }
        None => db.cumulative()?,
    };
    let report = db.analyse(Some(&workload), &seen, &opts);
    let mut buf: Vec<u8> = Vec::new();
    let color = a.out.is_none() && out.color(false);
    match a.format {
        Format::Terminal => perfhive_database::render::terminal(&report, &mut buf, color)?,
        Format::Json => perfhive_database::render::json(&report, &mut buf)?,
        Format::Markdown => perfhive_database::render::markdown(&report, &mut buf)?,
    }
    match &a.out {
        Some(path) => {
            std::fs::write(path, &buf)
                .with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(
                out.err(),
                "{}\nwrote {}",
                perfhive_database::render::summary_line(&report),
                path.display()
            )?;
        }
        None => {
            out.out().write_all(&buf)?;
            if a.format != Format::Terminal {
                writeln!(
                    out.err(),
                    "{}",
                    perfhive_database::render::summary_line(&report)
                )?;
            }
        }
    }
    let failed = a.fail_on.is_some_and(|level| {
        report.count_at_least(match level {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }) > 0
    });
    let code = if failed {
        Code::CRITERIA_FAILED
    } else {
        Code::OK
    };
    Ok(interrupts.map_or(code, |i| i.code_or(code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("16GB"), Ok(16 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 parsecs").is_err());
    }
}
