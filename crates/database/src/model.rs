//! The engine-neutral model of a database audit: what statements did in a window, their
//! plans, index advice with its verification, and findings with evidence and the exact line
//! to apply. Every engine module fills these types; the report (`DatabaseReport`, JSON with
//! `schema/database-report.schema.json`) and the future investigator read them by field.

use perfhive_core::sql::Fingerprint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

/// How an index recommendation was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMethod {
    /// hypopg: the planner's cost with a hypothetical index (nothing built).
    Hypopg,
    /// A temporary copy of the table, the statement run with EXPLAIN ANALYZE before and after
    /// building the index on it; the copy disappears with the rolled-back transaction.
    ScratchCopy,
    /// A copy of the SQLite file in a temporary folder, the statement timed before and after
    /// `CREATE INDEX` on it.
    FileCopy,
}

/// The outcome of verifying an index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    /// How.
    pub method: VerifyMethod,
    /// The statement's cost or time without the index.
    pub before: f64,
    /// With it.
    pub after: f64,
    /// `ms` (measured) or `cost` (the planner's estimate).
    pub unit: String,
    /// Whether the plan with the index uses it.
    pub index_used: bool,
    /// The plan node that reads the table with the index (or without it).
    pub plan_after: String,
    /// The statement as run, with the values it was run with.
    pub statement: String,
}

impl Verification {
    /// before / after (∞ is capped at 1e6).
    pub fn speedup(&self) -> f64 {
        if self.after > 0.0 {
            self.before / self.after
        } else {
            1e6
        }
    }
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

/// Cumulative counters of one statement, as the server keeps them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatementCounters {
    /// The server's key for it (queryid and user).
    pub key: String,
    /// The text the server recorded.
    pub query: String,
    /// Executions.
    pub calls: u64,
    /// Total execution time, ms.
    pub total_ms: f64,
    /// Rows returned or affected.
    pub rows: u64,
    /// Shared blocks found in the buffer cache.
    pub shared_blks_hit: u64,
    /// Shared blocks read from the OS (page cache or disk).
    pub shared_blks_read: u64,
    /// Temporary blocks written (sorts and hashes spilling).
    pub temp_blks_written: u64,
}

/// Database-wide cumulative counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseCounters {
    /// Transactions committed.
    pub xact_commit: u64,
    /// Blocks found in the buffer cache.
    pub blks_hit: u64,
    /// Blocks read.
    pub blks_read: u64,
    /// Temporary files created.
    pub temp_files: u64,
    /// Bytes written to temporary files.
    pub temp_bytes: u64,
    /// Deadlocks.
    pub deadlocks: u64,
    /// Checkpoints started because the schedule said so.
    pub checkpoints_timed: u64,
    /// Checkpoints requested (WAL reached max_wal_size, or explicit).
    pub checkpoints_requested: u64,
}

impl DatabaseCounters {
    /// `after − self`, per counter (a counter that went backwards was reset: `after`).
    pub fn delta(&self, after: &DatabaseCounters) -> DatabaseCounters {
        let d = |a: u64, b: u64| if b >= a { b - a } else { b };
        DatabaseCounters {
            xact_commit: d(self.xact_commit, after.xact_commit),
            blks_hit: d(self.blks_hit, after.blks_hit),
            blks_read: d(self.blks_read, after.blks_read),
            temp_files: d(self.temp_files, after.temp_files),
            temp_bytes: d(self.temp_bytes, after.temp_bytes),
            deadlocks: d(self.deadlocks, after.deadlocks),
            checkpoints_timed: d(self.checkpoints_timed, after.checkpoints_timed),
            checkpoints_requested: d(self.checkpoints_requested, after.checkpoints_requested),
        }
    }
}

/// The server's statement statistics at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// Seconds since the Unix epoch, on the server's clock when it says, else ours.
    pub taken_at: f64,
    /// Per statement (empty when the engine keeps none).
    pub statements: Vec<StatementCounters>,
    /// Database-wide counters.
    pub database: Option<DatabaseCounters>,
    /// Whether statement statistics are available (`pg_stat_statements`).
    pub statements_available: bool,
}

/// One session seen by an activity sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityRow {
    /// Backend process id.
    pub pid: i32,
    /// `active`, `idle`, `idle in transaction` …
    pub state: String,
    /// The session's current or last statement.
    pub query: String,
    /// When that statement started, seconds since the epoch.
    pub query_start: Option<f64>,
    /// Seconds in the current state.
    pub state_age_s: Option<f64>,
    /// `Lock`, `IO`, `LWLock` … while waiting.
    pub wait_event_type: Option<String>,
}

/// What statement statistics a workload comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WorkloadSource {
    /// pg_stat_statements, sampled before and after the window.
    PgStatStatements,
    /// Cumulative pg_stat_statements counters (no window: since the last reset).
    PgStatStatementsCumulative,
    /// pg_stat_activity sampled during the window (times are estimates: samples × interval).
    ActivitySampling {
        /// Samples taken.
        samples: u64,
        /// Interval between samples, ms.
        interval_ms: f64,
    },
    /// No statement statistics.
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// One statement's share of a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatementStats {
    /// Fingerprint of the normalised statement.
    pub fingerprint: Fingerprint,
    /// Normalised text.
    pub normalized: String,
    /// The text the server recorded.
    pub query: String,
    /// Executions in the window.
    pub calls: u64,
    /// Total execution time in the window, ms.
    pub total_ms: f64,
    /// Mean per call, ms.
    pub mean_ms: f64,
    /// Rows returned or affected.
    pub rows: u64,
    /// Shared blocks hit.
    pub shared_blks_hit: u64,
    /// Shared blocks read.
    pub shared_blks_read: u64,
    /// Temporary blocks written.
    pub temp_blks_written: u64,
    /// Share of all statements' time in the window, 0..1.
    pub share: f64,
    /// True when times are estimated from activity samples.
    pub estimated: bool,
    /// Activity samples that found it waiting on a lock.
    pub lock_wait_samples: u64,
    /// The statement as a session ran it with its values, when activity sampling caught one
    /// sent with literal values: the workload's own values, used to plan it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

/// What activity sampling saw during a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActivitySummary {
    /// Samples taken.
    pub samples: u64,
    /// Interval, ms.
    pub interval_ms: f64,
    /// Most client sessions seen at once.
    pub max_sessions: u64,
    /// Most sessions running a statement at once.
    pub max_active: u64,
    /// Most sessions idle in a transaction at once.
    pub max_idle_in_transaction: u64,
    /// Longest time a session was seen idle in a transaction, s.
    pub longest_idle_in_transaction_s: f64,
    /// Samples of sessions waiting on a lock (summed over sessions).
    pub lock_wait_samples: u64,
}

/// The database's work in a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Workload {
    /// Where the statement statistics come from.
    pub source: WorkloadSource,
    /// The window's length, s (0 for cumulative statistics).
    pub duration_s: f64,
    /// Statements, most total time first.
    pub statements: Vec<StatementStats>,
    /// Total time of all statements, ms.
    pub total_ms: f64,
    /// Database counters over the window.
    pub database: Option<DatabaseCounters>,
    /// Activity sampling.
    pub activity: Option<ActivitySummary>,
    /// What to know about these numbers.
    pub notes: Vec<String>,
}

impl Workload {
    /// The statistics of a statement, by fingerprint.
    pub fn statement(&self, fp: Fingerprint) -> Option<&StatementStats> {
        self.statements.iter().find(|s| s.fingerprint == fp)
    }
}

/// Where a statement to analyse was seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SeenSource {
    /// In trace spans.
    Trace {
        /// The request or span it ran under (`GET /customers/{id}/orders`).
        route: String,
        /// Its share of that route's time, 0..1, when measured.
        time_share: Option<f64>,
        /// Spans seen.
        count: u64,
    },
    /// In source code.
    Code {
        /// File.
        file: String,
        /// 1-based line.
        line: u32,
        /// Enclosing function.
        function: Option<String>,
    },
    /// Given by the user (`--statements FILE`).
    User {
        /// Where it was given (`queries.sql:12`).
        origin: String,
    },
}

/// A statement to analyse, as another layer saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeenStatement {
    /// The text as seen: with literal values (preferred: the workload's own values are then
    /// used for EXPLAIN) or with bind parameters.
    pub text: String,
    /// Where.
    pub source: SeenSource,
}

/// How a plan was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanMethod {
    /// EXPLAIN with values bound: the planner's estimates.
    Estimate,
    /// EXPLAIN ANALYZE in a rolled-back read-only transaction: measured.
    Analyze,
    /// PostgreSQL's generic plan (PREPARE with parameters unknown).
    Generic,
    /// SQLite's EXPLAIN QUERY PLAN.
    QueryPlan,
}

/// What a plan issue is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A full scan reading far more rows than it returns.
    SeqScan,
    /// A sort spilling to disk.
    SortSpill,
    /// A hash spilling to disk.
    HashSpill,
    /// A nested loop over large inputs.
    NestedLoop,
    /// SQLite's temporary B-tree for ORDER BY / GROUP BY / DISTINCT.
    TempBtree,
    /// SQLite's automatic index.
    AutomaticIndex,
}

/// Something costly in a plan, with its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanIssue {
    /// What.
    pub kind: IssueKind,
    /// The table it reads, when one.
    pub table: Option<String>,
    /// Its schema.
    pub schema: Option<String>,
    /// The plan node (`Seq Scan on orders`).
    pub node: String,
    /// Rows read (per execution of the statement).
    pub rows_read: Option<f64>,
    /// Rows returned.
    pub rows_returned: Option<f64>,
    /// Loops (executions of the node per statement).
    pub loops: Option<f64>,
    /// The condition applied while reading (`(customer_id = 42)`).
    pub condition: Option<String>,
    /// Bytes spilled or expected to spill, kB.
    pub spill_kb: Option<f64>,
    /// True when the numbers are the planner's estimates.
    pub estimated: bool,
    /// Columns an index would serve, best first.
    pub index_columns: Vec<String>,
}

/// A statement's plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanReport {
    /// How it was obtained.
    pub method: PlanMethod,
    /// The statement explained, values bound.
    pub statement: String,
    /// The planner's total cost.
    pub total_cost: Option<f64>,
    /// Execution time (EXPLAIN ANALYZE), ms.
    pub execution_ms: Option<f64>,
    /// The plan as indented lines.
    pub lines: Vec<String>,
    /// Costly parts.
    pub issues: Vec<PlanIssue>,
    /// What to know (values chosen, why not ANALYZE …).
    pub notes: Vec<String>,
}

/// An index proposed for a statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexCandidate {
    /// Schema.
    pub schema: Option<String>,
    /// Table.
    pub table: String,
    /// Columns, in index order.
    pub columns: Vec<String>,
}

/// An index candidate and what verifying it showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexAdvice {
    /// The candidate.
    pub candidate: IndexCandidate,
    /// The statement to create it.
    pub create: String,
    /// The verification (absent when it could not run).
    pub verification: Option<Verification>,
    /// True when verification showed a gain worth recommending.
    pub recommended: bool,
    /// Why (or why not), in one line.
    pub reason: String,
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
