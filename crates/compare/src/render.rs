//! Comparison output: the terminal table (benchstat's `+12.3% (p=0.002 n=20+20)` and `~`),
//! Markdown for a pull-request comment, and JUnit XML for CI test reports.

use crate::{Comparison, Delta, Verdict};
use std::fmt::Write as _;

fn num(v: f64, unit: &str) -> String {
    let s = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    };
    if unit.is_empty() {
        s
    } else {
        format!("{s} {unit}")
    }
}

/// `+12.3%`, `-4.0%`, `+∞%`.
fn signed_pct(v: f64) -> String {
    if v.is_infinite() {
        format!("{}∞%", if v > 0.0 { '+' } else { '-' })
    } else {
        format!("{v:+.1}%")
    }
}

/// `+12.3% [+8.0% … +16.1%] (p=0.002 n=20+20)`, or `~ (p=0.41 n=20+20)` when unchanged.
pub fn delta_text(d: &Delta) -> String {
    let stats = match (d.p_value, d.n) {
        (Some(p), (a, b)) => format!(" (p={p:.3} n={a}+{b})"),
        (None, (a, b)) if a > 0 && b > 0 => format!(" (n={a}+{b})"),
        _ => String::new(),
    };
    let change = signed_pct(d.delta_pct);
    let ci = d
        .ci_pct
        .map(|(lo, hi)| format!(" [{} … {}]", signed_pct(lo), signed_pct(hi)))
        .unwrap_or_default();
    match d.verdict {
        Verdict::Unchanged if !d.noise => format!("~ {change}{stats}"),
        Verdict::Unchanged => format!("~ {change}{ci}{stats} not significant"),
        Verdict::NotJudged => format!("? {change}{stats}"),
        _ => format!("{change}{ci}{stats}"),
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Improved => "improved",
        Verdict::Regressed => "REGRESSED",
        Verdict::Unchanged => "",
        Verdict::NotJudged => "not judged",
    }
}

/// `metric — why` lines for the measures that are not judged.
fn not_judged_lines(c: &Comparison) -> Vec<String> {
    c.not_judged()
        .map(|d| format!("{} — {}", d.name, d.note.as_deref().unwrap_or("no test")))
        .collect()
}

fn side_label(s: &crate::Side) -> String {
    let mut l = s.label.clone();
    if let Some(c) = &s.commit {
        let _ = write!(l, " @{}", &c[..c.len().min(8)]);
    }
    l
}

/// The comparison in an output format (`terminal` — coloured with `color` —, `json`,
/// `markdown` or `junit`; an unknown name is the terminal's), and the same for a file, where
/// the terminal's has no colour.
pub fn formatted(
    c: &Comparison,
    format: &str,
    color: bool,
) -> Result<(String, String), serde_json::Error> {
    let text = match format {
        "json" => serde_json::to_string_pretty(c)? + "\n",
        "markdown" => markdown(c),
        "junit" => junit(c),
        _ => return Ok((terminal(c, color), terminal(c, false))),
    };
    Ok((text.clone(), text))
}

/// The terminal table.
pub fn terminal(c: &Comparison, color: bool) -> String {
    let paint = |code: &str, t: &str| {
        if color {
            format!("\x1b[{code}m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "base: {} ({})",
        side_label(&c.base),
        c.base.date.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "new:  {} ({})",
        side_label(&c.new),
        c.new.date.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "threshold {:.1}%, alpha {}\n",
        c.threshold_pct, c.alpha
    );
    let w = c
        .deltas
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        out,
        "{:<w$}  {:>16}  {:>16}  delta",
        "metric", "base", "new"
    );
    for d in &c.deltas {
        let text = delta_text(d);
        let word = verdict_word(d.verdict);
        let line = format!(
            "{:<w$}  {:>16}  {:>16}  {text}  {word}",
            d.name,
            num(d.base, &d.unit),
            num(d.new, &d.unit)
        );
        let line = match d.verdict {
            Verdict::Regressed => paint("31", &line),
            Verdict::Improved => paint("32", &line),
            Verdict::Unchanged | Verdict::NotJudged => line,
        };
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let skipped = not_judged_lines(c);
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nnot judged (no valid test; never a regression):");
        for l in skipped {
            let _ = writeln!(out, "  {l}");
        }
    }
    if !c.unmatched.is_empty() {
        let _ = writeln!(out, "\nonly on one side: {}", c.unmatched.join(", "));
    }
    let _ = writeln!(out, "\n{}", tally(c));
    out
}

/// `1 regressed, 0 improved, 6 unchanged, 3 not judged`.
fn tally(c: &Comparison) -> String {
    let (r, i, s) = (
        c.regressions().count(),
        c.improvements().count(),
        c.not_judged().count(),
    );
    let mut t = format!(
        "{r} regressed, {i} improved, {} unchanged",
        c.deltas.len() - r - i - s
    );
    if s > 0 {
        let _ = write!(t, ", {s} not judged");
    }
    t
}

/// Markdown, fit for a pull-request comment.
pub fn markdown(c: &Comparison) -> String {
    let (r, i) = (c.regressions().count(), c.improvements().count());
    let mut out = String::new();
    let head = if r > 0 {
        "❌ performance regressed"
    } else if i > 0 {
        "✅ performance improved"
    } else {
        "➖ no significant change"
    };
    let _ = writeln!(out, "### {head}\n");
    let _ = writeln!(
        out,
        "Base **{}** vs new **{}** (threshold {:.1}%, α = {})\n",
        side_label(&c.base),
        side_label(&c.new),
        c.threshold_pct,
        c.alpha
    );
    let _ = writeln!(
        out,
        "| metric | base | new | delta | verdict |\n|:---|---:|---:|:---|:---|"
    );
    for d in &c.deltas {
        let v = match d.verdict {
            Verdict::Regressed => "🔴 regressed".to_string(),
            Verdict::Improved => "🟢 improved".to_string(),
            Verdict::Unchanged => String::new(),
            Verdict::NotJudged => format!("not judged: {}", d.note.as_deref().unwrap_or("no test")),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {v} |",
            d.name,
            num(d.base, &d.unit),
            num(d.new, &d.unit),
            delta_text(d)
        );
    }
    let _ = writeln!(out, "\n{}", tally(c));
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test case per measure, a failure for each regression.
pub fn junit(c: &Comparison) -> String {
    let failures = c.regressions().count();
    let skipped = c.not_judged().count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"perfhive compare\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        c.deltas.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        xml(&c.new.name),
        c.deltas.len()
    );
    for d in &c.deltas {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml(&c.new.name),
            xml(&d.name)
        );
        if d.verdict == Verdict::NotJudged {
            let _ = writeln!(
                out,
                "><skipped message=\"not judged: {}\"/></testcase>",
                xml(d.note.as_deref().unwrap_or("no test"))
            );
        } else if d.verdict == Verdict::Regressed {
            let _ = writeln!(out, ">");
            let _ = writeln!(
                out,
                "      <failure message=\"{} regressed {}\">{} → {} ({})</failure>",
                xml(&d.name),
                xml(&delta_text(d)),
                xml(&num(d.base, &d.unit)),
                xml(&num(d.new, &d.unit)),
                xml(&d.method)
            );
            let _ = writeln!(out, "    </testcase>");
        } else {
            let _ = writeln!(
                out,
                "><system-out>{}</system-out></testcase>",
                xml(&delta_text(d))
            );
        }
    }
    let _ = writeln!(out, "  </testsuite>\n</testsuites>");
    out
}

/// Change points as text: per metric with changes, the run where each starts, its commit,
/// the means before and after, the change and its p-value. With `one_metric`, a metric without
/// change says so; otherwise only a final line does when nothing changed anywhere.
pub fn changes(results: &[crate::changes::MetricChanges], one_metric: bool, alpha: f64) -> String {
    let mut out = String::new();
    for m in results {
        if m.changes.is_empty() {
            if one_metric {
                let _ = writeln!(
                    out,
                    "{}: no change point in {} runs (alpha {alpha})",
                    m.metric, m.runs
                );
            }
            continue;
        }
        let _ = writeln!(out, "{} ({} runs):", m.metric, m.runs);
        for c in &m.changes {
            let commit = c.run.git_commit.as_deref().unwrap_or("-");
            let _ = writeln!(
                out,
                "  run {:>5}  {}  commit {:<10}  {:.4} → {:.4}  {:+.1}%  p={:.4}",
                c.run.id,
                c.run.started_at,
                &commit[..commit.len().min(10)],
                c.point.mean_before,
                c.point.mean_after,
                c.point.change_pct,
                c.point.p_value
            );
        }
    }
    if !one_metric && results.iter().all(|m| m.changes.is_empty()) {
        let _ = writeln!(
            out,
            "no change point in any of {} metrics (alpha {alpha})",
            results.len()
        );
    }
    out
}
