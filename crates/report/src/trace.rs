//! The terminal view of a [`TraceSummary`]: where the time goes by phase (critical-path share,
//! self time, p50/p95), the Amdahl bound for the top phases, N+1 patterns, dependencies and
//! their budgets. Shared by `perfhive traces` and `perfhive run --traces`.

use crate::summary::Style;
use perfhive_core::trace::{BudgetVerdict, TraceSummary};
use std::io::{self, Write};

/// Phases shown in the one-line headline.
const HEADLINE_PHASES: usize = 5;

/// The one-line headline: "Where the time goes (critical path): 61% db (12.0 ms), …", where
/// the milliseconds are the phase's critical-path time per trace. `None` without phases.
pub fn trace_headline(t: &TraceSummary) -> Option<String> {
    if t.phases.is_empty() {
        return None;
    }
    let per_trace = t.traces.max(1) as f64;
    let parts: Vec<String> = t
        .phases
        .iter()
        .take(HEADLINE_PHASES)
        .map(|p| {
            format!(
                "{:.0}% {} ({:.1} ms)",
                p.share_pct,
                p.name,
                p.critical_ms / per_trace
            )
        })
        .collect();
    Some(format!(
        "Where the time goes (critical path): {}",
        parts.join(", ")
    ))
}

/// Writes the whole trace section.
pub fn render_trace_summary(t: &TraceSummary, w: &mut dyn Write, style: Style) -> io::Result<()> {
    writeln!(
        w,
        "  {} spans in {} traces{}",
        t.spans,
        t.traces,
        if t.dropped > 0 {
            style.yellow(&format!(" ({} dropped: store full)", t.dropped))
        } else {
            String::new()
        }
    )?;
    if let Some(h) = trace_headline(t) {
        writeln!(w, "  {h}")?;
        writeln!(
            w,
            "\n  {:<32} {:>7} {:>10} {:>10} {:>9} {:>9} {:>7}  function",
            "phase", "share", "critical", "self", "p50", "p95", "count"
        )?;
        for p in &t.phases {
            writeln!(
                w,
                "  {:<32} {:>6.1}% {:>8.1}ms {:>8.1}ms {:>7.2}ms {:>7.2}ms {:>7}  {}",
                p.name.chars().take(32).collect::<String>(),
                p.share_pct,
                p.critical_ms,
                p.self_ms,
                p.p50_ms,
                p.p95_ms,
                p.count,
                code_place(p.function.as_deref(), p.file.as_deref())
            )?;
        }
        for p in t.phases.iter().take(3) {
            writeln!(
                w,
                "  removing `{}` entirely would speed requests up {:.2}× at most (Amdahl)",
                p.name,
                p.amdahl_bound()
            )?;
        }
    }
    for n in &t.n_plus_one {
        writeln!(
            w,
            "  {} `{}` runs `{}` {}× in one request ({} traces){}",
            style.yellow("N+1:"),
            n.parent_name,
            n.statement,
            n.count,
            n.traces_affected,
            match code_place(n.function.as_deref(), n.file.as_deref()) {
                p if p.is_empty() => p,
                p => format!(", from {p}"),
            }
        )?;
    }
    if !t.dependencies.is_empty() {
        writeln!(
            w,
            "\n  {:<30} {:>7} {:>8} {:>8} {:>8}",
            "dependency", "calls", "p50", "p95", "max"
        )?;
        for d in &t.dependencies {
            writeln!(
                w,
                "  {:<30} {:>7} {:>6.1}ms {:>6.1}ms {:>6.1}ms",
                d.name, d.count, d.p50_ms, d.p95_ms, d.max_ms
            )?;
        }
    }
    for b in &t.budgets {
        let (mark, text) = match (b.verdict, b.p95_ms) {
            (BudgetVerdict::Pass, Some(p)) => (style.green("✓"), format!("p95 {p:.1} ms")),
            (BudgetVerdict::Fail, Some(p)) => (style.red("✗"), format!("p95 {p:.1} ms")),
            _ => (style.yellow("?"), "no spans received".to_string()),
        };
        writeln!(
            w,
            "  {mark} budget {} p95 <= {} ms: {text} ({} spans)",
            b.name, b.budget_ms, b.count
        )?;
    }
    Ok(())
}

/// `function (file name)` as far as the spans say; the full path is in the JSON.
fn code_place(function: Option<&str>, file: Option<&str>) -> String {
    let name = file.map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f));
    match (function, name) {
        (Some(f), Some(n)) => format!("{f} ({n})"),
        (Some(f), None) => f.to_string(),
        (None, Some(n)) => format!("({n})"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfhive_core::trace::{BudgetCheck, NPlusOne, PhaseStat};

    #[test]
    fn renders_phases_budgets_and_n_plus_one() {
        let t = TraceSummary {
            spans: 30,
            traces: 10,
            dropped: 0,
            phases: vec![PhaseStat {
                name: "db".into(),
                share_pct: 60.0,
                critical_ms: 120.0,
                self_ms: 120.0,
                count: 10,
                p50_ms: 11.0,
                p95_ms: 15.0,
                function: Some("load_items".into()),
                file: Some("/srv/app/views.py".into()),
                statement: None,
            }],
            total_critical_ms: 200.0,
            dependencies: Vec::new(),
            budgets: vec![BudgetCheck {
                name: "payments".into(),
                budget_ms: 150.0,
                p95_ms: None,
                count: 0,
                verdict: BudgetVerdict::NoData,
            }],
            n_plus_one: vec![NPlusOne {
                parent_name: "GET /items".into(),
                statement: "SELECT 1".into(),
                count: 10,
                traces_affected: 3,
                function: None,
                file: None,
                fingerprint: None,
                access: Default::default(),
                framework: None,
                routes: Vec::new(),
                mean_ms: 0.0,
            }],
            ..TraceSummary::default()
        };
        let mut out = Vec::new();
        render_trace_summary(&t, &mut out, Style::default()).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.contains("Where the time goes (critical path): 60% db (12.0 ms)"),
            "{s}"
        );
        assert!(s.contains("2.50× at most"), "{s}");
        assert!(s.contains("load_items (views.py)"), "{s}");
        assert!(s.contains("N+1: `GET /items` runs `SELECT 1` 10×"), "{s}");
        assert!(
            s.contains("? budget payments p95 <= 150 ms: no spans received"),
            "{s}"
        );
    }
}
