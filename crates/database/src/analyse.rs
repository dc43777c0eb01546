//! The engine-neutral analysis, in named stages over the statements:
//!
//! 1. `select`: the window's costliest statements (by total time) and every statement the
//!    traces, the code scan or the user saw, one per fingerprint; a text with literal values
//!    (the workload's own) is preferred for planning;
//! 2. `plan`: each planned by the engine, its costly parts found;
//! 3. `advise`: for each part an index would serve, a candidate verified by the engine
//!    (Dexter's loop: propose, verify with the planner or on a copy, keep what helps) and
//!    recommended when the index is used and the statement gets at least `min_gain` times
//!    cheaper;
//! 4. `findings`: one per costly part (with the statement's share of the window and the
//!    verified fix), or one per costly statement without one;
//! 5. `health`: the engine's configuration and health checks;
//! 6. ranking: severity, then whether the traces or the code scan saw the statement too
//!    (confirmed by another layer), then the statement's share of the database's time.

use crate::engine::{Engine, HealthContext, PlanContext, VerifyContext, VerifyMode};
use crate::model::*;
use perfhive_core::sql::{normalize, placeholder_count, shape, Fingerprint, StatementKind};
use std::time::Instant;

/// What the analysis may do.
#[derive(Clone, Debug)]
pub struct AnalyseOptions {
    /// The window's costliest statements to plan.
    pub top: usize,
    /// Run SELECTs with EXPLAIN ANALYZE (in a rolled-back read-only transaction).
    pub analyze: bool,
    /// How index candidates are verified.
    pub verify: VerifyMode,
    /// Largest table or file perfhive copies to verify an index, bytes.
    pub max_copy_bytes: u64,
    /// Timed runs per side of a verification (the median is kept).
    pub runs: usize,
    /// A full scan reading fewer rows is not an issue.
    pub min_rows: f64,
    /// The server's machine, when not this one.
    pub machine: Option<Machine>,
    /// The workload kind, for PGTune.
    pub kind: WorkloadKind,
    /// Recommend an index when it makes the statement at least this many times cheaper.
    pub min_gain: f64,
    /// The application's connection pool: the most connections it opens, over all its
    /// processes. Connections are then judged against it as well as max_connections.
    pub pool: Option<u32>,
}

impl Default for AnalyseOptions {
    fn default() -> Self {
        AnalyseOptions {
            top: 10,
            analyze: false,
            verify: VerifyMode::Auto,
            max_copy_bytes: 512 << 20,
            runs: 5,
            min_rows: 10_000.0,
            machine: None,
            kind: WorkloadKind::Web,
            min_gain: 1.5,
            pool: None,
        }
    }
}

struct Candidate {
    fingerprint: Fingerprint,
    normalized: String,
    text: String,
    seen: Vec<SeenSource>,
    stats: Option<StatementStats>,
}

/// Runs the analysis (see the module documentation).
pub fn analyse(
    engine: &mut dyn Engine,
    workload: Option<&Workload>,
    seen: &[SeenStatement],
    opts: &AnalyseOptions,
) -> DatabaseReport {
    let started = Instant::now();
    let mut notes = Vec::new();
    let selected = select(workload, seen, opts.top);
    let ctx = PlanContext {
        analyze: opts.analyze,
        min_rows: opts.min_rows,
    };
    let vctx = VerifyContext {
        mode: opts.verify,
        max_copy_bytes: opts.max_copy_bytes,
        runs: opts.runs,
    };
    let mut statements = Vec::new();
    let mut findings = Vec::new();
    for c in selected {
        let (report, mut f) = plan_and_advise(engine, c, &ctx, &vctx, opts);
        findings.append(&mut f);
        statements.push(report);
    }
    let plans: Vec<PlanReport> = statements.iter().filter_map(|s| s.plan.clone()).collect();
    let health = engine.health(&HealthContext {
        workload,
        machine: opts.machine.clone(),
        kind: opts.kind,
        plans: &plans,
        pool: opts.pool,
    });
    let (settings, machine, tables) = match health {
        Ok(h) => {
            findings.extend(h.findings);
            notes.extend(h.notes);
            (h.settings, h.machine, h.tables)
        }
        Err(e) => {
            notes.push(format!("configuration and health checks failed: {e}"));
            (Vec::new(), None, Vec::new())
        }
    };
    if let Some(w) = workload {
        notes.extend(w.notes.iter().cloned());
    }
    let share = |f: &Finding| {
        f.statement
            .and_then(|fp| workload.and_then(|w| w.statement(fp)))
            .map(|s| s.share)
            .unwrap_or(0.0)
    };
    // A statement the traces or the code scan also saw is confirmed by another layer.
    let confirmed = |f: &Finding| {
        f.statement.is_some_and(|fp| {
            statements.iter().any(|s| {
                s.fingerprint == fp && s.seen.iter().any(|x| !matches!(x, SeenSource::User { .. }))
            })
        })
    };
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(confirmed(b).cmp(&confirmed(a)))
            .then(share(b).total_cmp(&share(a)))
            .then(a.check.cmp(&b.check))
    });
    DatabaseReport {
        version: REPORT_VERSION.into(),
        engine: engine.info().clone(),
        workload: workload.cloned(),
        statements,
        findings,
        settings,
        machine,
        tables,
        notes,
        duration_s: started.elapsed().as_secs_f64(),
    }
}

/// SELECT, UPDATE and DELETE that read a table (not `SELECT pg_stat_statements_reset()`).
fn plannable(text: &str) -> bool {
    let sh = shape(text);
    matches!(
        sh.kind,
        StatementKind::Select | StatementKind::Update | StatementKind::Delete
    ) && !sh.tables.is_empty()
}

/// Stage 1: the statements to plan, one per fingerprint.
fn select(workload: Option<&Workload>, seen: &[SeenStatement], top: usize) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    if let Some(w) = workload {
        for s in w
            .statements
            .iter()
            .filter(|s| plannable(&s.query))
            .take(top)
        {
            out.push(Candidate {
                fingerprint: s.fingerprint,
                normalized: s.normalized.clone(),
                // A sampled execution carries the workload's own values.
                text: s.example.clone().unwrap_or_else(|| s.query.clone()),
                seen: Vec::new(),
                stats: Some(s.clone()),
            });
        }
    }
    for s in seen {
        let n = normalize(&s.text);
        match out.iter_mut().find(|c| c.fingerprint == n.fingerprint) {
            Some(c) => {
                c.seen.push(s.source.clone());
                // The workload's own values beat representative ones.
                if placeholder_count(&s.text) == 0 && placeholder_count(&c.text) > 0 {
                    c.text = s.text.clone();
                }
            }
            None if plannable(&s.text) => out.push(Candidate {
                fingerprint: n.fingerprint,
                normalized: n.text,
                text: s.text.clone(),
                seen: vec![s.source.clone()],
                stats: workload.and_then(|w| w.statement(n.fingerprint)).cloned(),
            }),
            None => {}
        }
    }
    out
}

/// The index for an issue: its columns, and for a full scan whose columns are all compared
/// for equality, the statement's ORDER BY columns on the same table after them (an index
/// that also returns the rows in order), three columns at most.
fn candidate_for(issue: &PlanIssue, stmt: &str) -> Option<IndexCandidate> {
    let table = issue.table.clone()?;
    if issue.index_columns.is_empty() {
        return None;
    }
    let mut columns = issue.index_columns.clone();
    if issue.kind == IssueKind::SeqScan {
        let sh = shape(stmt);
        let all_eq = columns.iter().all(|c| {
            sh.predicates_on(&table)
                .any(|p| &p.column.column == c && p.op.is_equality())
        });
        let order: Vec<&str> = sh
            .order_by
            .iter()
            .filter(|o| o.table.as_deref() == Some(table.as_str()))
            .map(|o| o.column.as_str())
            .collect();
        if all_eq && !order.is_empty() && order.len() == sh.order_by.len() {
            for o in order {
                if !columns.iter().any(|c| c == o) {
                    columns.push(o.to_string());
                }
            }
        }
    }
    columns.truncate(3);
    Some(IndexCandidate {
        schema: issue.schema.clone(),
        table,
        columns,
    })
}

fn ev(label: &str, value: f64, unit: &str) -> Evidence {
    Evidence::new(label, value, unit)
}

fn fmt_n(x: f64) -> String {
    crate::render::grouped(x)
}

/// `25.1 ms → 0.30 ms on a scratch copy (84×)`.
pub fn describe_verification(v: &Verification) -> String {
    let how = match v.method {
        VerifyMethod::Hypopg => "planner cost with a hypothetical index (hypopg)",
        VerifyMethod::ScratchCopy => "on a temporary copy of the table",
        VerifyMethod::FileCopy => "on a copy of the database file",
    };
    let (b, a) = if v.unit == "ms" {
        (format!("{:.2} ms", v.before), format!("{:.2} ms", v.after))
    } else {
        (format!("cost {:.1}", v.before), format!("{:.1}", v.after))
    };
    format!("{b} → {a} {how} ({:.1}×)", v.speedup())
}

/// Stages 2–4 for one statement.
fn plan_and_advise(
    engine: &mut dyn Engine,
    c: Candidate,
    ctx: &PlanContext,
    vctx: &VerifyContext,
    opts: &AnalyseOptions,
) -> (StatementReport, Vec<Finding>) {
    let mut report = StatementReport {
        fingerprint: c.fingerprint,
        normalized: c.normalized.clone(),
        seen: c.seen.clone(),
        stats: c.stats.clone(),
        plan: None,
        indexes: Vec::new(),
        error: None,
    };
    let plan = match engine.plan(&c.text, ctx) {
        Ok(p) => p,
        Err(e) => {
            report.error = Some(e.to_string());
            return (report, slow_statement(&c, None).into_iter().collect());
        }
    };
    let mut findings = Vec::new();
    for issue in &plan.issues {
        let advice = candidate_for(issue, &plan.statement).map(|cand| {
            let create = engine.create_index_sql(&cand);
            if let Some(done) = report.indexes.iter().find(|a| a.candidate == cand) {
                return done.clone();
            }
            let a = match engine.verify_index(&cand, &plan, vctx) {
                Ok(v) => {
                    let gain = v.speedup();
                    let recommended = v.index_used && gain >= opts.min_gain;
                    let reason = if !v.index_used {
                        format!(
                            "not recommended: the planner does not use it ({})",
                            describe_verification(&v)
                        )
                    } else if !recommended {
                        format!(
                            "not recommended: {}, below the {:.1}× threshold",
                            describe_verification(&v),
                            opts.min_gain
                        )
                    } else {
                        format!("verified: {}", describe_verification(&v))
                    };
                    IndexAdvice {
                        candidate: cand.clone(),
                        create,
                        verification: Some(v),
                        recommended,
                        reason,
                    }
                }
                Err(e) => IndexAdvice {
                    candidate: cand.clone(),
                    create,
                    verification: None,
                    recommended: false,
                    reason: format!("not verified, so not recommended: {e}"),
                },
            };
            report.indexes.push(a.clone());
            a
        });
        findings.push(issue_finding(
            &c,
            &plan,
            issue,
            advice.as_ref(),
            engine.index_applies(),
        ));
    }
    if findings.is_empty() {
        findings.extend(slow_statement(&c, Some(&plan)));
    }
    report.plan = Some(plan);
    (report, findings)
}

fn workload_evidence(c: &Candidate) -> Vec<Evidence> {
    match &c.stats {
        Some(s) => vec![
            ev("calls", s.calls as f64, "calls"),
            ev("mean time", s.mean_ms, "ms"),
            ev("total time", s.total_ms, "ms"),
            ev("share of database time", s.share * 100.0, "%"),
        ],
        None => Vec::new(),
    }
}

/// How long one execution takes: measured in the window, by ANALYZE, or on the copy.
fn cost_ms(c: &Candidate, plan: &PlanReport, advice: Option<&IndexAdvice>) -> Option<f64> {
    c.stats
        .as_ref()
        .map(|s| s.mean_ms)
        .or(plan.execution_ms)
        .or_else(|| {
            advice
                .and_then(|a| a.verification.as_ref())
                .filter(|v| v.unit == "ms")
                .map(|v| v.before)
        })
}

fn severity(c: &Candidate, ms: Option<f64>, rows_read: f64) -> Severity {
    let share = c.stats.as_ref().map(|s| s.share).unwrap_or(0.0);
    let ms = ms.unwrap_or(0.0);
    if share >= 0.2 || ms >= 20.0 || rows_read >= 1e6 {
        Severity::High
    } else if share >= 0.05 || ms >= 2.0 || rows_read >= 1e5 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

fn issue_finding(
    c: &Candidate,
    plan: &PlanReport,
    issue: &PlanIssue,
    advice: Option<&IndexAdvice>,
    applies: Applies,
) -> Finding {
    let table = issue.table.clone().unwrap_or_default();
    let read = issue.rows_read.unwrap_or(0.0);
    let est = if issue.estimated {
        " (planner's estimate)"
    } else {
        ""
    };
    let (check, title, what) = match issue.kind {
        IssueKind::SeqScan => (
            Check::SeqScan,
            match issue.rows_returned {
                Some(r) => format!("Full scan of {table} reads {} rows to return {}{est}", fmt_n(read), fmt_n(r)),
                None => format!("Full scan of {table} ({} rows) for a filtered statement", fmt_n(read)),
            },
            format!("`{}` reads every row of {table}{}", issue.node, issue.condition.as_ref().map(|c| format!(" and keeps those matching {c}")).unwrap_or_default()),
        ),
        IssueKind::SortSpill => (
            Check::SortSpill,
            format!("{} {} {:.1} MB to disk{est}", issue.node, if issue.estimated { "would spill" } else { "spills" }, issue.spill_kb.unwrap_or(0.0) / 1024.0),
            "A sort larger than work_mem writes its runs to temporary files and merges them".to_string(),
        ),
        IssueKind::HashSpill => (
            Check::HashSpill,
            format!("{} {} {:.1} MB to disk{est}", issue.node, if issue.estimated { "would spill" } else { "spills" }, issue.spill_kb.unwrap_or(0.0) / 1024.0),
            "A hash table larger than work_mem × hash_mem_multiplier is split into batches written to disk".to_string(),
        ),
        IssueKind::NestedLoop => (
            Check::NestedLoop,
            format!("{} reads {} rows in all{est}", issue.node, fmt_n(read)),
            format!(
                "A nested loop repeats its inner side once per outer row ({} loops){}",
                fmt_n(issue.loops.unwrap_or(0.0)),
                if issue.table.is_some() { ", here a full scan each time" } else { "" }
            ),
        ),
        IssueKind::TempBtree => (
            Check::TempBtree,
            format!("{table}: {} over {} rows", issue.node, fmt_n(read)),
            "SQLite sorts the rows in a temporary B-tree because no index returns them in order".to_string(),
        ),
        IssueKind::AutomaticIndex => (
            Check::AutomaticIndex,
            format!("SQLite builds a temporary index on {table} for each execution"),
            format!("`{}`: the index is built and thrown away every time the statement runs", issue.node),
        ),
    };
    let ms = cost_ms(c, plan, advice);
    let mut evidence = Vec::new();
    if let Some(r) = issue.rows_read {
        evidence.push(ev("rows read", r, "rows"));
    }
    if let Some(r) = issue.rows_returned {
        evidence.push(ev("rows returned", r, "rows"));
    }
    if let Some(k) = issue.spill_kb {
        evidence.push(ev("spilled", k, "kB"));
    }
    if let Some(x) = plan.execution_ms {
        evidence.push(ev("execution time (EXPLAIN ANALYZE)", x, "ms"));
    }
    evidence.extend(workload_evidence(c));
    let mut detail = format!("{what}. Statement: {}", c.normalized);
    if let Some(s) = &c.stats {
        detail.push_str(&format!(
            ". Measured: {} calls, {:.2} ms each, {:.0}% of the database's time",
            fmt_n(s.calls as f64),
            s.mean_ms,
            s.share * 100.0
        ));
    }
    let fix = match (issue.kind, advice) {
        (_, Some(a)) => {
            detail.push_str(&format!(
                ". Index {}: {}",
                a.create.trim_end_matches(';'),
                a.reason
            ));
            if let Some(v) = a.verification.as_ref().filter(|_| a.recommended) {
                evidence.push(ev("before the index", v.before, &v.unit));
                evidence.push(ev("with the index", v.after, &v.unit));
            }
            a.recommended.then(|| Fix {
                sql: a.create.clone(),
                applies,
                note: a.verification.as_ref().map(describe_verification),
                verification: a.verification.clone(),
            })
        }
        (IssueKind::SortSpill | IssueKind::HashSpill, None) => {
            let mb = (issue.spill_kb.unwrap_or(1024.0) * 2.0 / 1024.0)
                .max(1.0)
                .log2()
                .ceil()
                .exp2();
            Some(Fix {
                sql: format!("SET LOCAL work_mem = '{}MB';", mb as u64),
                applies: Applies::PerConnection,
                note: Some("in the transaction that runs this statement; see the temporary-files finding for the global setting".into()),
                verification: None,
            })
        }
        _ => None,
    };
    Finding {
        check,
        severity: severity(c, ms, read),
        title,
        detail,
        evidence,
        statement: Some(c.fingerprint),
        subject: issue.table.clone(),
        fix,
        heuristic: false,
    }
}

/// A statement with a large share of the window and no costly part in its plan.
fn slow_statement(c: &Candidate, plan: Option<&PlanReport>) -> Option<Finding> {
    let s = c.stats.as_ref()?;
    if s.share < 0.1 || s.total_ms < 100.0 {
        return None;
    }
    let severity = if s.share >= 0.5 {
        Severity::High
    } else if s.share >= 0.2 {
        Severity::Medium
    } else {
        Severity::Low
    };
    Some(Finding {
        check: Check::SlowStatement,
        severity,
        title: format!("{:.0}% of the database's time: {}", s.share * 100.0, c.normalized),
        detail: format!(
            "{} calls, {:.2} ms each, {:.0} ms in all{}.{}",
            fmt_n(s.calls as f64),
            s.mean_ms,
            s.total_ms,
            if s.estimated { " (estimated from activity samples)" } else { "" },
            match plan {
                Some(_) => " Its plan has no full scan, spill or large loop: the cost is in how often it runs (batch it, cache it) or in what it returns.",
                None => "",
            }
        ),
        evidence: workload_evidence(c),
        statement: Some(c.fingerprint),
        subject: None,
        fix: None,
        heuristic: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(fmt_n(300000.0), "300,000");
        assert_eq!(fmt_n(60.0), "60");
        assert_eq!(fmt_n(-1234.4), "-1,234");
    }

    #[test]
    fn an_index_follows_the_order_by_after_equality_columns() {
        let issue = PlanIssue {
            kind: IssueKind::SeqScan,
            table: Some("orders".into()),
            schema: Some("public".into()),
            node: String::new(),
            rows_read: Some(1e5),
            rows_returned: Some(10.0),
            loops: None,
            condition: None,
            spill_kb: None,
            estimated: false,
            index_columns: vec!["customer_id".into()],
        };
        let c = candidate_for(
            &issue,
            "SELECT * FROM orders WHERE customer_id = 1 ORDER BY created_at DESC LIMIT 20",
        )
        .unwrap();
        assert_eq!(c.columns, ["customer_id", "created_at"]);
        let c = candidate_for(
            &issue,
            "SELECT * FROM orders WHERE customer_id > 1 ORDER BY created_at",
        )
        .unwrap();
        assert_eq!(c.columns, ["customer_id"]);
    }

    #[test]
    fn statements_seen_elsewhere_join_the_window_by_fingerprint() {
        let stats = StatementStats {
            fingerprint: perfhive_core::sql::fingerprint(
                "SELECT * FROM orders WHERE customer_id = $1",
            ),
            normalized: "SELECT * FROM orders WHERE customer_id = ?".into(),
            query: "SELECT * FROM orders WHERE customer_id = $1".into(),
            calls: 10,
            total_ms: 250.0,
            mean_ms: 25.0,
            rows: 600,
            shared_blks_hit: 0,
            shared_blks_read: 0,
            temp_blks_written: 0,
            share: 0.9,
            estimated: false,
            lock_wait_samples: 0,
            example: None,
        };
        let w = Workload {
            source: WorkloadSource::PgStatStatements,
            duration_s: 30.0,
            statements: vec![stats],
            total_ms: 277.0,
            database: None,
            activity: None,
            notes: vec![],
        };
        let seen = [
            SeenStatement {
                text: "select * from orders where customer_id = 42".into(),
                source: SeenSource::Trace {
                    route: "GET /customers/{id}/orders".into(),
                    time_share: Some(0.69),
                    count: 120,
                },
            },
            SeenStatement {
                text: "SELECT name FROM customers WHERE id = %s".into(),
                source: SeenSource::Code {
                    file: "app/views.py".into(),
                    line: 12,
                    function: Some("show".into()),
                },
            },
            SeenStatement {
                text: "BEGIN".into(),
                source: SeenSource::User {
                    origin: "x.sql:1".into(),
                },
            },
        ];
        let s = select(Some(&w), &seen, 10);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].text, "select * from orders where customer_id = 42",
            "the workload's own values"
        );
        assert!(matches!(s[0].seen[0], SeenSource::Trace { .. }));
        assert!(s[0].stats.is_some());
        assert!(s[1].stats.is_none());
    }
}
