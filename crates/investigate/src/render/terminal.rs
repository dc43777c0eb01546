//! The terminal summary of a report: the headline, where the time goes, each investigator's
//! verdict, the top findings, the recommendations, the success criteria, and where the report
//! folder is — after the partial-report banner when the investigation was interrupted.

use super::banner;
use crate::report::Report;
use std::io::Write;
use std::path::Path;

/// Writes the summary of `r`, whose folder is `folder`.
pub fn summary(r: &Report, folder: &Path, w: &mut dyn Write) -> std::io::Result<()> {
    if let Some(b) = banner(r) {
        writeln!(w, "\nPARTIAL REPORT: {b}")?;
    }
    writeln!(w, "\n{}\n", r.executive_summary.headline)?;
    if !r.executive_summary.time_breakdown.is_empty() {
        let parts: Vec<String> = r
            .executive_summary
            .time_breakdown
            .iter()
            .map(|p| format!("{:.0}% {} ({:.1} ms)", p.share_pct, p.name, p.mean_ms))
            .collect();
        writeln!(w, "Where the time goes: {}", parts.join(", "))?;
    }
    writeln!(w, "\nInvestigators:")?;
    for i in &r.investigators {
        writeln!(
            w,
            "  {:<10} {:?}: {}",
            i.name.as_str(),
            i.verdict,
            i.summary
        )?;
    }
    writeln!(w, "\nTop findings:")?;
    for f in r.findings.iter().take(5) {
        let conf = if f.confirmed_by.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = f.confirmed_by.iter().map(|n| n.as_str()).collect();
            format!("  [confirmed by {}]", names.join(", "))
        };
        writeln!(
            w,
            "  {}. {} ({}){conf}",
            f.rank, f.finding.title, f.finding.investigator
        )?;
    }
    writeln!(w, "\nRecommendations:")?;
    for p in &r.recommendations {
        writeln!(
            w,
            "  {}: {} — {}",
            p.priority, p.recommendation.action, p.recommendation.impact
        )?;
    }
    for line in &r.appendices.configuration {
        writeln!(w, "  {line}")?;
    }
    if !r.criteria.is_empty() {
        writeln!(w, "\nSuccess criteria on the baseline:")?;
        for c in &r.criteria {
            let mark = match c.passed {
                Some(true) => "passed",
                Some(false) => "FAILED",
                None => "not evaluated",
            };
            writeln!(
                w,
                "  {mark:<13} {} ({})",
                c.expr,
                c.value.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
            )?;
        }
    }
    writeln!(
        w,
        "\nReport: {}/report.html (and report.md, report.json)",
        folder.display()
    )
}
