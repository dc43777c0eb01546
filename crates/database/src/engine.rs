//! The one trait every engine implements ([`Engine`]), and the activity [`Sampler`] that runs
//! beside a window. A third engine (MySQL, MariaDB) is one more module implementing
//! `Engine`: the window, the analysis, the findings and the report are engine-neutral.

use crate::model::{
    ActivityRow, Applies, EngineInfo, Finding, IndexCandidate, Machine, PlanReport, SettingAdvice,
    Snapshot, TableSize, Verification, WorkloadKind,
};
use crate::{DbError, Workload};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What planning a statement may do.
#[derive(Clone, Debug)]
pub struct PlanContext {
    /// Run the statement (EXPLAIN ANALYZE in a rolled-back read-only transaction); reads only.
    pub analyze: bool,
    /// A full scan reading fewer rows than this is not an issue.
    pub min_rows: f64,
}

/// How an index may be verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VerifyMode {
    /// The cheapest method the engine has (hypopg, else a scratch copy; SQLite: a file copy).
    #[default]
    Auto,
    /// hypopg only.
    Hypopg,
    /// A copy only (a temporary table, or the SQLite file's copy).
    Copy,
    /// No verification: candidates are reported, none recommended.
    Off,
}

/// How an index may be verified, with its limits.
#[derive(Clone, Debug)]
pub struct VerifyContext {
    /// The method.
    pub mode: VerifyMode,
    /// Largest table (or file) perfhive copies, bytes.
    pub max_copy_bytes: u64,
    /// Timed runs per side, the median kept.
    pub runs: usize,
}

/// What the health and configuration checks need.
#[derive(Clone, Debug)]
pub struct HealthContext<'a> {
    /// The window's workload, when there was one.
    pub workload: Option<&'a Workload>,
    /// The machine the server runs on, when given or detectable.
    pub machine: Option<Machine>,
    /// The kind of workload, for PGTune.
    pub kind: WorkloadKind,
    /// Plans made in this audit (a spilled sort supports a work_mem finding).
    pub plans: &'a [PlanReport],
    /// The application's connection pool size, when given.
    pub pool: Option<u32>,
}

/// What the health and configuration checks found.
#[derive(Clone, Debug, Default)]
pub struct Health {
    /// Findings.
    pub findings: Vec<Finding>,
    /// Settings next to PGTune's values.
    pub settings: Vec<SettingAdvice>,
    /// The machine they were judged against.
    pub machine: Option<Machine>,
    /// The largest tables.
    pub tables: Vec<TableSize>,
    /// What could not be checked and why.
    pub notes: Vec<String>,
}

/// A function taking one activity sample, on its own connection.
pub type SampleFn = Box<dyn FnMut() -> Result<Vec<ActivityRow>, DbError> + Send>;

/// A database engine: PostgreSQL and SQLite implement it.
pub trait Engine: Send {
    /// The server or file.
    fn info(&self) -> &EngineInfo;

    /// The statement statistics now (empty for an engine that keeps none).
    fn snapshot(&mut self) -> Result<Snapshot, DbError>;

    /// A sampler of live sessions for a window, on a connection of its own; `None` for an
    /// engine without a live view (SQLite).
    fn activity_sampler(&self) -> Result<Option<SampleFn>, DbError>;

    /// Plans a statement (text with literals, or with bind parameters the engine fills with
    /// representative values) and finds its costly parts.
    fn plan(&mut self, statement: &str, ctx: &PlanContext) -> Result<PlanReport, DbError>;

    /// The statement that creates an index (`CREATE INDEX CONCURRENTLY …;`).
    fn create_index_sql(&self, candidate: &IndexCandidate) -> String;

    /// When `create_index_sql` takes effect.
    fn index_applies(&self) -> Applies {
        Applies::Online
    }

    /// Verifies a candidate index on the planned statement, without changing the database.
    fn verify_index(
        &mut self,
        candidate: &IndexCandidate,
        plan: &PlanReport,
        ctx: &VerifyContext,
    ) -> Result<Verification, DbError>;

    /// Configuration and health checks.
    fn health(&mut self, ctx: &HealthContext<'_>) -> Result<Health, DbError>;
}

/// Per statement, what activity samples saw.
#[derive(Clone, Debug, Default)]
pub struct SampledStatement {
    /// The text, as first seen.
    pub query: String,
    /// Samples in which a session was running it.
    pub active_samples: u64,
    /// Distinct executions seen (session, start time).
    pub executions: BTreeSet<(i32, u64)>,
    /// Samples in which a session running it waited on a lock.
    pub lock_samples: u64,
}

/// What a sampler collected.
#[derive(Clone, Debug, Default)]
pub struct Sampled {
    /// Samples taken.
    pub samples: u64,
    /// Interval, ms.
    pub interval_ms: f64,
    /// Per fingerprint.
    pub statements: BTreeMap<perfhive_core::sql::Fingerprint, SampledStatement>,
    /// The summary.
    pub summary: crate::model::ActivitySummary,
    /// The first error, when sampling failed.
    pub error: Option<String>,
}

impl Sampled {
    /// Folds one sample in.
    pub fn add(&mut self, rows: &[ActivityRow]) {
        self.samples += 1;
        let s = &mut self.summary;
        s.samples = self.samples;
        s.max_sessions = s.max_sessions.max(rows.len() as u64);
        let active = rows.iter().filter(|r| r.state == "active").count() as u64;
        s.max_active = s.max_active.max(active);
        let idle_tx: Vec<&ActivityRow> = rows
            .iter()
            .filter(|r| r.state.starts_with("idle in transaction"))
            .collect();
        s.max_idle_in_transaction = s.max_idle_in_transaction.max(idle_tx.len() as u64);
        for r in &idle_tx {
            s.longest_idle_in_transaction_s = s
                .longest_idle_in_transaction_s
                .max(r.state_age_s.unwrap_or(0.0));
        }
        for r in rows.iter().filter(|r| r.state == "active") {
            let waiting = r.wait_event_type.as_deref() == Some("Lock");
            if waiting {
                s.lock_wait_samples += 1;
            }
            let n = perfhive_core::sql::normalize(&r.query);
            let e = self.statements.entry(n.fingerprint).or_default();
            if e.query.is_empty() {
                e.query = r.query.clone();
            }
            e.active_samples += 1;
            e.executions
                .insert((r.pid, r.query_start.map(f64::to_bits).unwrap_or(0)));
            if waiting {
                e.lock_samples += 1;
            }
        }
    }
}

/// Samples live sessions on a thread of its own until stopped.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<Sampled>,
}

impl Sampler {
    /// Starts sampling every `interval`.
    pub fn start(mut sample: SampleFn, interval: Duration) -> Result<Sampler, DbError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("perfhive-db-sampler".into())
            .spawn(move || {
                let mut out = Sampled {
                    interval_ms: interval.as_secs_f64() * 1000.0,
                    ..Sampled::default()
                };
                out.summary.interval_ms = out.interval_ms;
                let mut next = Instant::now();
                loop {
                    match sample() {
                        Ok(rows) => out.add(&rows),
                        Err(e) => {
                            out.error.get_or_insert_with(|| e.to_string());
                        }
                    }
                    next += interval;
                    let wait = next.saturating_duration_since(Instant::now());
                    match stopped.recv_timeout(wait) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return out,
                    }
                }
            })
            .map_err(|e| DbError::Io {
                context: "cannot start the activity sampler".into(),
                source: e,
            })?;
        Ok(Sampler { stop, handle })
    }

    /// Stops and returns what was sampled.
    pub fn finish(self) -> Sampled {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or_else(|_| Sampled {
            error: Some("the activity sampler panicked".into()),
            ..Sampled::default()
        })
    }
}
