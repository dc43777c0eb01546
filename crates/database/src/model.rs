//! The engine-neutral model of a database audit: what statements did in a window, their
//! plans, index advice with its verification, and findings with evidence and the exact line
//! to apply. Every engine module fills these types; the report (`DatabaseReport`, JSON with
//! `schema/database-report.schema.json`) and the future investigator read them by field.

use perfhive_core::sql::Fingerprint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod plan;
mod window;

pub use plan::*;
pub use window::*;

/// Version of the report's JSON format (semver; fields are only ever added).
pub const REPORT_VERSION: &str = "1.0.0";

/// The database engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// What the audit learnt about the server or file it connected to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EngineInfo {
    /// The engine.
    pub kind: EngineKind,
    /// Its version (`15.8`, `3.50.2`).
    pub version: String,
    /// The DSN without its password, or the file path.
    pub target: String,
    /// The database's name (PostgreSQL) or file name (SQLite).
    pub database: String,
    /// The database's size, bytes.
    pub size_bytes: Option<u64>,
    /// Extensions and capabilities that change what the audit can do
    /// (`pg_stat_statements`, `hypopg`).
    pub capabilities: Vec<String>,
}

/// How bad a finding is; `--fail-on` compares against it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; nothing to fix now.
    Info,
    /// A small gain or a rule of thumb.
    Low,
    /// A measurable cost.
    Medium,
    /// A dominant cost or a risk to the service.
    High,
}

impl Severity {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// The check behind a finding; its [`Check::id`] is stable across versions.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// A statement with a large share of the database's time in the window.
    SlowStatement,
    /// A sequential (full) scan that reads far more rows than it returns.
    SeqScan,
    /// A sort that spilled to disk, or will.
    SortSpill,
    /// A hash (join or aggregate) that spilled to disk, or will.
    HashSpill,
    /// A nested loop over large inputs.
    NestedLoop,
    /// SQLite sorting through a temporary B-tree.
    TempBtree,
    /// SQLite building an automatic (transient) index per query.
    AutomaticIndex,
    /// A setting against PGTune's formulas for the machine and workload.
    Setting,
    /// Buffer cache hit ratio.
    CacheHitRatio,
    /// Temporary files written (work_mem too small).
    TempFiles,
    /// Checkpoints requested (WAL full) rather than timed.
    Checkpoints,
    /// Sessions idle in a transaction.
    IdleInTransaction,
    /// Connections used against max_connections.
    Connections,
    /// Dead tuples and autovacuum lag.
    DeadTuples,
    /// An index never scanned.
    UnusedIndex,
    /// An index that duplicates another.
    DuplicateIndex,
    /// Sessions waiting on locks.
    LockWaits,
    /// The statement statistics extension is missing.
    StatementStatistics,
    /// SQLite journal mode.
    JournalMode,
    /// SQLite per-connection settings the application should set.
    ConnectionPragmas,
    /// A foreign key whose child columns have no index.
    ForeignKeyIndex,
    /// Free pages in an SQLite file.
    Fragmentation,
    /// Tables or indexes without planner statistics.
    PlannerStatistics,
}

impl Check {
    /// A stable id: `db.seq-scan`, `db.setting` …
    pub fn id(self) -> String {
        let json = serde_json::to_value(self).unwrap_or_default();
        format!(
            "db.{}",
            json.as_str().unwrap_or("unknown").replace('_', "-")
        )
    }
}

/// A measured fact behind a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// What was measured.
    pub label: String,
    /// The value.
    pub value: f64,
    /// Its unit (`ms`, `rows`, `calls`, `%`, `bytes`, `kB`, `cost` …).
    pub unit: String,
}

impl Evidence {
    /// One fact.
    pub fn new(label: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Evidence {
            label: label.into(),
            value,
            unit: unit.into(),
        }
    }
}

/// When a fix takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// At once, online (`CREATE INDEX CONCURRENTLY`, `VACUUM`).
    Online,
    /// After a configuration reload (`SELECT pg_reload_conf()`).
    Reload,
    /// After a server restart.
    Restart,
    /// Set by the application on each connection it opens (SQLite PRAGMAs).
    PerConnection,
}

/// What to do about a finding: the exact line to apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fix {
    /// The SQL (`ALTER SYSTEM SET work_mem = '16MB';`, `CREATE INDEX CONCURRENTLY …;`).
    pub sql: String,
    /// When it takes effect.
    pub applies: Applies,
    /// What else to know (a risk, the reload command, the measured gain).
    pub note: Option<String>,
    /// How it was verified, for index advice.
    pub verification: Option<Verification>,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// How bad.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// The explanation, quantified.
    pub detail: String,
    /// The numbers behind it.
    pub evidence: Vec<Evidence>,
    /// The statement it is about.
    pub statement: Option<Fingerprint>,
    /// The table (or index, setting) it is about.
    pub subject: Option<String>,
    /// What to do.
    pub fix: Option<Fix>,
    /// True when a rule of thumb (PGTune's formulas, defaults) rather than a measurement on
    /// this database.
    pub heuristic: bool,
}

/// Everything about one statement: where it was seen, what it cost, its plan and index
/// advice. The chain route → statement → plan → verified index → gain reads from here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatementReport {
    /// Fingerprint.
    pub fingerprint: Fingerprint,
    /// Normalised text.
    pub normalized: String,
    /// Where other layers saw it.
    pub seen: Vec<SeenSource>,
    /// Its statistics in the window.
    pub stats: Option<StatementStats>,
    /// Its plan.
    pub plan: Option<PlanReport>,
    /// Index advice, verified.
    pub indexes: Vec<IndexAdvice>,
    /// Why it could not be planned.
    pub error: Option<String>,
}

/// A table's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableSize {
    /// Schema-qualified name (SQLite: the name).
    pub name: String,
    /// Rows (estimate on PostgreSQL).
    pub rows: u64,
    /// Bytes, indexes included.
    pub bytes: u64,
    /// Number of indexes.
    pub indexes: u64,
}

/// A configuration setting next to PGTune's value for the machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SettingAdvice {
    /// Name.
    pub name: String,
    /// Current value as the server shows it.
    pub current: String,
    /// PGTune's value.
    pub recommended: String,
    /// When a change takes effect.
    pub applies: Applies,
    /// Whether the current value is far enough from it to be a finding.
    pub differs: bool,
}

/// The machine a server runs on, for PGTune's formulas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Machine {
    /// Memory, bytes.
    pub memory_bytes: u64,
    /// CPUs.
    pub cpus: u32,
    /// Storage kind.
    pub storage: Storage,
    /// How it was learnt (`this machine`, `given`).
    pub source: String,
}

impl Storage {
    /// Its usual name (`SSD`, `HDD` …).
    pub fn name(self) -> &'static str {
        match self {
            Storage::Ssd => "SSD",
            Storage::Nvme => "NVMe",
            Storage::Hdd => "HDD",
            Storage::San => "SAN",
        }
    }
}

impl WorkloadKind {
    /// Name as PGTune gives it.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Web => "web",
            WorkloadKind::Oltp => "OLTP",
            WorkloadKind::Dw => "data-warehouse",
            WorkloadKind::Desktop => "desktop",
            WorkloadKind::Mixed => "mixed",
        }
    }
}

/// Storage kinds, as PGTune distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// Solid-state.
    Ssd,
    /// NVMe solid-state.
    Nvme,
    /// Rotating disks.
    Hdd,
    /// Network storage.
    San,
}

/// The kind of workload, as PGTune distinguishes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadKind {
    /// Web application: many small statements.
    #[default]
    Web,
    /// Online transaction processing.
    Oltp,
    /// Data warehouse: few large statements.
    Dw,
    /// A developer's machine.
    Desktop,
    /// Mixed.
    Mixed,
}

/// The whole audit: report.json of `perfhive audit db`, and what the investigator reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseReport {
    /// [`REPORT_VERSION`].
    pub version: String,
    /// The engine and target.
    pub engine: EngineInfo,
    /// The window's workload.
    pub workload: Option<Workload>,
    /// Statements analysed, most costly first.
    pub statements: Vec<StatementReport>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Settings next to PGTune's values.
    pub settings: Vec<SettingAdvice>,
    /// The machine the settings were judged against.
    pub machine: Option<Machine>,
    /// The largest tables.
    pub tables: Vec<TableSize>,
    /// What could not be done and why.
    pub notes: Vec<String>,
    /// Time the audit took, s.
    pub duration_s: f64,
}

impl DatabaseReport {
    /// Findings at or above a severity.
    pub fn count_at_least(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity >= s).count()
    }

    /// The report of a statement, by fingerprint.
    pub fn statement(&self, fp: Fingerprint) -> Option<&StatementReport> {
        self.statements.iter().find(|s| s.fingerprint == fp)
    }
}

/// The JSON Schema of [`DatabaseReport`] (draft 2020-12), as checked in at
/// `schema/database-report.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(DatabaseReport)).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://perfhive.dev/schema/database-report.schema.json".into(),
        );
        obj.insert("title".into(), "perfhive database audit report".into());
    }
    schema
}

#[cfg(test)]
mod tests {
    /// The checked-in schema matches the report's types. Regenerate with
    /// `UPDATE_SCHEMA=1 cargo test -p perfhive-database schema`.
    #[test]
    fn checked_in_schema_is_current() {
        let path = format!(
            "{}/../../schema/database-report.schema.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let generated = serde_json::to_string_pretty(&super::json_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "schema/database-report.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test -p perfhive-database schema"
        );
    }

    #[test]
    fn check_ids_are_stable() {
        assert_eq!(super::Check::SeqScan.id(), "db.seq-scan");
        assert_eq!(
            super::Check::IdleInTransaction.id(),
            "db.idle-in-transaction"
        );
    }
}
