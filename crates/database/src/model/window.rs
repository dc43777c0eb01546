//! What a window holds: the server's cumulative statement counters at one moment, activity
//! samples, the difference that is the window's own workload, and the statements other
//! layers (traces, the code scan, the user) saw.

use perfhive_core::sql::Fingerprint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
