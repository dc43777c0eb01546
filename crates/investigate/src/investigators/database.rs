//! The database investigator: perfhive audit db over the baseline's window. The plan's
//! `database: { dsn: … }` names a PostgreSQL server or an SQLite file (relative to the plan).
//!
//! The window opens before the baseline's investigators start ([`open_window`]: a snapshot
//! of `pg_stat_statements` and live-session sampling) and closes after they return, so it
//! holds the baseline's own statements. The investigator then runs alone, after the trace
//! investigator, so it plans the window's costliest statements *and* every statement the
//! traces saw (from the trace investigator's data, [`seen_in_traces`]), verifies index advice
//! and checks the configuration — read-only, as the library guarantees. Each finding carries
//! its statement's fingerprint and the routes the traces ran it under, so the chain route →
//! statement → plan → `CREATE INDEX` with its measured gain joins across investigators.

use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::route::Route;
use perfhive_core::trace::{amdahl_with, TraceSummary};
use perfhive_database::{
    describe_verification, AnalyseOptions, Database, DatabaseReport, SeenSource, SeenStatement,
    Severity, Window, Workload,
};
use std::path::Path;
use std::time::{Duration, Instant};

const DATABASE: InvestigatorName = InvestigatorName::Database;

/// How often live sessions are sampled during the window (PostgreSQL).
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// A connected database with its window open.
pub struct OpenWindow {
    db: Database,
    window: Window,
}

/// Connects to `dsn` (an SQLite path relative to `base`) and opens the window.
pub fn open_window(dsn: &str, base: &Path) -> Result<OpenWindow, String> {
    let mut db = Database::connect(dsn, Some(base)).map_err(|e| e.to_string())?;
    let window = db.begin_window(SAMPLE_EVERY).map_err(|e| e.to_string())?;
    Ok(OpenWindow { db, window })
}

impl OpenWindow {
    /// Closes the window: the investigator for what it held, with the statements `seen`.
    pub fn close(
        mut self,
        seen: Vec<SeenStatement>,
        options: AnalyseOptions,
    ) -> DatabaseInvestigator {
        let workload = self.db.end_window(self.window).map_err(|e| e.to_string());
        DatabaseInvestigator {
            db: Ok(self.db),
            workload,
            seen,
            options,
        }
    }
}

/// The investigator for a window opened before the measured workload (or the reason it could
/// not open), with the plan's options and the statements the traces saw.
pub fn after_window(
    window: Result<OpenWindow, String>,
    opts: &crate::plan::DatabaseOpts,
    seen: Vec<SeenStatement>,
) -> DatabaseInvestigator {
    let options = AnalyseOptions {
        top: opts.top.unwrap_or(10),
        analyze: opts.analyze.unwrap_or(false),
        ..AnalyseOptions::default()
    };
    match window {
        Ok(w) => w.close(seen, options),
        Err(e) => DatabaseInvestigator::failed(e),
    }
}

/// Every statement the traces saw, with its literal values when the spans carry them, the
/// route it ran under and its share of the critical path.
pub fn seen_in_traces(t: &TraceSummary) -> Vec<SeenStatement> {
    t.statements
        .iter()
        .map(|s| SeenStatement {
            text: if s.example.is_empty() {
                s.statement.clone()
            } else {
                s.example.clone()
            },
            source: SeenSource::Trace {
                route: s
                    .routes
                    .first()
                    .or(s.parents.first())
                    .cloned()
                    .unwrap_or_default(),
                time_share: Some(s.share_pct / 100.0),
                count: s.count,
            },
        })
        .collect()
}

/// The audit of the baseline's window.
pub struct DatabaseInvestigator {
    db: Result<Database, String>,
    workload: Result<Workload, String>,
    seen: Vec<SeenStatement>,
    options: AnalyseOptions,
}

impl DatabaseInvestigator {
    /// An investigator that reports why the database could not be read.
    pub fn failed(why: String) -> Self {
        DatabaseInvestigator {
            db: Err(why.clone()),
            workload: Err(why),
            seen: Vec::new(),
            options: AnalyseOptions::default(),
        }
    }
}

impl Investigator for DatabaseInvestigator {
    fn name(&self) -> InvestigatorName {
        DATABASE
    }

    fn run(
        &mut self,
        _ctx: &Context,
        _deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let db = self
            .db
            .as_mut()
            .map_err(|e| InvestigatorError(format!("the database: {e}")))?;
        let mut notes = Vec::new();
        let workload = match &self.workload {
            Ok(w) => Some(w),
            Err(e) => {
                notes.push(format!("no window of the baseline: {e}"));
                None
            }
        };
        let mut report = db.analyse(workload, &self.seen, &self.options);
        report.notes.extend(notes);
        let found = findings(&report);
        let recommended = report
            .statements
            .iter()
            .flat_map(|s| &s.indexes)
            .filter(|a| a.recommended)
            .count();
        let summary = format!(
            "{} {} — {} statements planned ({} seen in traces), {} verified index(es) recommended, {} finding(s)",
            match report.engine.kind {
                perfhive_database::EngineKind::Postgres => "PostgreSQL",
                perfhive_database::EngineKind::Sqlite => "SQLite",
            },
            report.engine.target,
            report.statements.len(),
            report.statements.iter().filter(|s| s.seen.iter().any(|x| matches!(x, SeenSource::Trace { .. }))).count(),
            recommended,
            found.len()
        );
        Ok(InvestigatorResult::from_findings(
            DATABASE,
            summary,
            found,
            Some(report.into()),
        ))
    }
}

fn severity(s: Severity) -> f64 {
    match s {
        Severity::High => 0.85,
        Severity::Medium => 0.6,
        Severity::Low => 0.35,
        Severity::Info => 0.15,
    }
}

/// The report's findings as the investigation's, with their statements and routes.
pub fn findings(report: &DatabaseReport) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in report.findings.iter().enumerate() {
        let statement = f.statement.and_then(|fp| report.statement(fp));
        // the routes and critical-path share the traces saw the statement with
        let (routes, trace_share) = statement
            .map(|s| {
                let mut routes = Vec::new();
                let mut share: Option<f64> = None;
                for x in &s.seen {
                    if let SeenSource::Trace {
                        route, time_share, ..
                    } = x
                    {
                        if route.starts_with('/') || route.contains(" /") {
                            routes.push(Route::parse(route));
                        }
                        share = match (share, *time_share) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                    }
                }
                (routes, share)
            })
            .unwrap_or_default();
        let window_share = statement.and_then(|s| s.stats.as_ref()).map(|s| s.share);
        let evidence = f.evidence.iter().enumerate().map(|(j, e)| {
            Evidence::measured(
                e.label.clone(),
                e.value,
                &e.unit,
                &format!("findings/{i}/evidence/{j}/value"),
            )
        });
        let mut finding = Finding::new(
            DATABASE,
            format!("database.{}.{i}", f.check.id().trim_start_matches("db.")),
            "database",
            f.title.clone(),
            f.detail.clone(),
        )
        .severity(severity(f.severity))
        .evidence(evidence)
        .routes(routes)
        .statements(f.statement);
        if let Some(share) = trace_share.or(window_share) {
            finding = finding.share(share.clamp(0.0, 1.0));
        }
        if f.heuristic {
            finding = finding.heuristic();
        }
        if let Some(fix) = &f.fix {
            let gain = fix.verification.as_ref();
            let impact = match gain {
                Some(v) => format!("verified: {}", describe_verification(v)),
                None => fix.note.clone().unwrap_or_else(|| "not verified".into()),
            };
            let index = fix.sql.to_ascii_uppercase().starts_with("CREATE INDEX");
            finding = finding.recommend(Recommendation {
                action: format!("`{}`", fix.sql),
                impact,
                expected_speedup: match (gain, trace_share) {
                    (Some(v), Some(p)) => Some(amdahl_with(p, v.speedup())),
                    _ => None,
                },
                effort: Effort::Low,
                risk: if index {
                    "every write to the table maintains one more index; building it takes time and disk".into()
                } else {
                    fix.note.clone().unwrap_or_else(|| "a setting changes the whole server's behaviour".into())
                },
                mitigation: if index {
                    "build it CONCURRENTLY (PostgreSQL) outside peak hours; measure again with `perfhive compare`".into()
                } else {
                    "apply on a staging server first; measure again with `perfhive compare`".into()
                },
            });
        }
        out.push(finding);
    }
    out
}
