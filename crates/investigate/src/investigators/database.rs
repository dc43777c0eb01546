//! The database investigator: perfhive audit db over the baseline's window. The plan's
//! `database: { dsn: … }` names a PostgreSQL server or an SQLite file (relative to the plan).
//!
//! The window opens before the baseline's investigators start ([`open_window`]: a snapshot
//! of `pg_stat_statements` and live-session sampling) and closes after they return, so it
//! holds the baseline's own statements. The investigator then runs alone, after the trace
//! investigator, so it plans the window's costliest statements *and* every statement the
//! traces saw (from the trace investigator's data, [`seen_in_traces`]) and the SQL strings of
//! the code scan ([`seen_in_code`]), verifies index advice and checks the configuration —
//! read-only, as the library guarantees. Each finding carries
//! its statement's fingerprint and the routes the traces ran it under, so the chain route →
//! statement → plan → `CREATE INDEX` with its measured gain joins across investigators. A
//! span may end before the statement's rows are fetched (a cursor steps the rest later), so a
//! statement timed to its last row on a copy takes the share that time has of the requests
//! that run it ([`route_costs`]) when it is larger than the span's.

use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::route::Route;
use perfhive_core::sql::Fingerprint;
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
            costs: Vec::new(),
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
        pool: opts.pool,
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

/// Every SQL string the code scan found, with its file, line and function: planned too, so a
/// statement the code holds is audited even when no trace ran it during the window.
pub fn seen_in_code(scan: &perfhive_scan::ScanReport) -> Vec<SeenStatement> {
    scan.sql
        .iter()
        .map(|s| SeenStatement {
            text: s.text.clone(),
            source: SeenSource::Code {
                file: s.file.clone(),
                line: s.line,
                function: s.function.clone(),
            },
        })
        .collect()
}

/// What the requests that ran one statement cost, from the traces: the request's mean time,
/// its share of the critical path and how often it runs the statement.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteCost {
    /// The statement.
    pub statement: Fingerprint,
    /// The request (`GET /events/search`).
    pub route: String,
    /// Its mean server time per request, ms.
    pub request_ms: f64,
    /// Its share of the critical path of every request, 0..1.
    pub share: f64,
    /// How many times one request runs the statement.
    pub calls_per_request: f64,
}

impl RouteCost {
    /// The share of the critical path the statement takes when each call costs `call_ms`
    /// (as timed running it to its last row on a copy): at most the request's own share.
    pub fn share_at(&self, call_ms: f64) -> f64 {
        if self.request_ms <= 0.0 || !call_ms.is_finite() {
            return 0.0;
        }
        self.share * (call_ms * self.calls_per_request / self.request_ms).clamp(0.0, 1.0)
    }
}

/// The [`RouteCost`] of every statement and request the traces saw together. A span covers
/// a statement's execution, not always the fetching of its rows (a cursor steps the rest
/// later, outside the span): its span share can be far below what the statement costs.
pub fn route_costs(t: &TraceSummary) -> Vec<RouteCost> {
    let mut out = Vec::new();
    if t.total_critical_ms <= 0.0 {
        return out;
    }
    for s in &t.statements {
        for r in t.routes.iter().filter(|r| s.routes.contains(&r.route)) {
            if r.count == 0 || r.mean_ms <= 0.0 {
                continue;
            }
            out.push(RouteCost {
                statement: s.fingerprint,
                route: r.route.clone(),
                request_ms: r.mean_ms,
                share: (r.count as f64 * r.mean_ms / t.total_critical_ms).clamp(0.0, 1.0),
                // spans of the statement under other routes count too: a lower bound of 1
                calls_per_request: (s.count as f64 / r.count as f64).max(1.0),
            });
        }
    }
    out
}

/// The audit of the baseline's window.
pub struct DatabaseInvestigator {
    db: Result<Database, String>,
    workload: Result<Workload, String>,
    seen: Vec<SeenStatement>,
    options: AnalyseOptions,
    costs: Vec<RouteCost>,
}

impl DatabaseInvestigator {
    /// An investigator that reports why the database could not be read.
    pub fn failed(why: String) -> Self {
        DatabaseInvestigator {
            db: Err(why.clone()),
            workload: Err(why),
            seen: Vec::new(),
            options: AnalyseOptions::default(),
            costs: Vec::new(),
        }
    }

    /// The same investigator, told what the requests that ran each statement cost
    /// ([`route_costs`]), so a statement timed in full on a copy gets its share of them.
    pub fn with_route_costs(mut self, costs: Vec<RouteCost>) -> Self {
        self.costs = costs;
        self
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
        let found = findings(&report, &self.costs);
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

/// The chain from request to fix in one sentence: "`GET /customers/{id}/orders` spends 80% of
/// its time in `SELECT … WHERE customer_id = ?`, a full scan of 200,000 rows returning 40 →
/// `CREATE INDEX …`: 15.36 ms → 0.04 ms on a copy of the database file (372.8×)."
fn chain(route: &str, share: f64, statement: &str, f: &perfhive_database::Finding) -> String {
    let value = |label: &str| {
        f.evidence
            .iter()
            .find(|e| e.label == label)
            .map(|e| e.value)
    };
    let scan = match (value("rows read"), value("rows returned")) {
        (Some(read), Some(returned)) => format!(
            ", a full scan of {} rows returning {}",
            perfhive_database::render::grouped(read),
            perfhive_database::render::grouped(returned)
        ),
        _ => String::new(),
    };
    let fix = f
        .fix
        .as_ref()
        .and_then(|x| x.verification.as_ref().map(|v| (x, v)))
        .map(|(x, v)| {
            format!(
                " → `{}`: {}",
                x.sql.trim_end_matches(';'),
                describe_verification(v)
            )
        })
        .unwrap_or_default();
    format!(
        "`{route}` spends {:.0}% of its time in `{statement}`{scan}{fix}.",
        share * 100.0
    )
}

/// The report's findings as the investigation's, with their statements and routes. A fix
/// verified by timing the statement on a copy takes the larger of the statement's span share
/// and the share its timed cost has of the requests that run it (`costs`, [`route_costs`]).
pub fn findings(report: &DatabaseReport, costs: &[RouteCost]) -> Vec<Finding> {
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
        let mut evidence: Vec<Evidence> = f
            .evidence
            .iter()
            .enumerate()
            .map(|(j, e)| {
                Evidence::measured(
                    e.label.clone(),
                    e.value,
                    &e.unit,
                    &format!("findings/{i}/evidence/{j}/value"),
                )
            })
            .collect();
        // the statement timed to its last row on a copy, against the requests that run it
        let timed = f
            .fix
            .as_ref()
            .and_then(|x| x.verification.as_ref())
            .filter(|v| v.unit == "ms")
            .zip(f.statement)
            .and_then(|(v, fp)| {
                costs
                    .iter()
                    .filter(|c| c.statement == fp)
                    .map(|c| (c, c.share_at(v.before), v.before))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
            });
        let mut trace_share = trace_share;
        if let Some((c, share, before_ms)) = timed {
            if share > trace_share.unwrap_or(0.0) {
                trace_share = Some(share);
                evidence.push(Evidence::measured(
                    format!(
                        "the statement run to its last row on a copy ({before_ms:.1} ms × {:.0} per request), share of `{}` ({:.1} ms per request)",
                        c.calls_per_request, c.route, c.request_ms
                    ),
                    100.0 * (before_ms * c.calls_per_request / c.request_ms).min(1.0),
                    "%",
                    &format!("findings/{i}/fix/verification/before"),
                ));
            }
        }
        // the route as the traces gave it
        let first_route = statement.and_then(|s| {
            s.seen.iter().find_map(|x| match x {
                SeenSource::Trace { route, .. }
                    if route.starts_with('/') || route.contains(" /") =>
                {
                    Some(route.as_str())
                }
                _ => None,
            })
        });
        let detail = match (statement, first_route, trace_share) {
            (Some(s), Some(route), Some(share)) => {
                format!("{} {}", chain(route, share, &s.normalized, f), f.detail)
            }
            _ => f.detail.clone(),
        };
        let mut finding = Finding::new(
            DATABASE,
            format!("database.{}.{i}", f.check.id().trim_start_matches("db.")),
            "database",
            f.title.clone(),
            detail,
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
