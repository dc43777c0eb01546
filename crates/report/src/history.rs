//! Rendering of the history: the table of runs (columns sized to their content: the whole
//! kind, a readable branch, the commit), and one stored run — its record by kind (a load
//! summary, a benchmark, an import, an investigation's headline, P0 and report folder), or
//! what an incomplete run wrote before it stopped.

use crate::summary::Style;
use perfhive_core::import::ImportRecord;
use perfhive_core::investigation::StoredInvestigation;
use perfhive_core::record::RecordKind;
use perfhive_store::{RunRow, StoredRun};
use std::io::{self, Write};

/// At most `max` characters, with an ellipsis when cut.
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max.saturating_sub(1)).chain(['…']).collect()
    }
}

/// The table of runs, newest first as given.
pub fn runs_table(rows: &[RunRow], w: &mut dyn Write) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(w, "no runs");
    }
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.started_at.clone(),
                r.kind.to_string(),
                r.status.to_string(),
                fit(r.git_branch.as_deref().unwrap_or("-"), 24),
                r.git_commit
                    .as_deref()
                    .map(|c| c.chars().take(8).collect())
                    .unwrap_or_else(|| "-".into()),
                fit(&r.name, 40),
            ]
        })
        .collect();
    let head = [
        "id", "started", "kind", "status", "branch", "commit", "name",
    ];
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: &[&str]| {
        let mut l = format!("{:>w$}", c[0], w = widths[0]);
        for (i, cell) in c.iter().enumerate().skip(1) {
            l.push_str(&format!("  {:<w$}", cell, w = widths[i]));
        }
        l
    };
    writeln!(w, "{}  tags / notes", line(&head))?;
    for (r, c) in rows.iter().zip(&cells) {
        let refs: Vec<&str> = c.iter().map(String::as_str).collect();
        let note = r.notes.lines().next().unwrap_or("");
        let tags = if r.tags.is_empty() {
            String::new()
        } else {
            format!("[{}] ", r.tags.join(","))
        };
        writeln!(w, "{}", format!("{}  {tags}{note}", line(&refs)).trim_end())?;
    }
    Ok(())
}

/// One stored run: its header, then its record by kind. A record that does not read as its
/// kind is an error; an incomplete run shows what it wrote.
pub fn stored_run(run: &StoredRun, w: &mut dyn Write, style: Style) -> Result<(), RenderError> {
    let r = &run.row;
    writeln!(w, "run {}  {}  {}  {}", r.id, r.kind, r.name, r.status)?;
    writeln!(
        w,
        "  started {}  finished {}",
        r.started_at,
        r.finished_at.as_deref().unwrap_or("-")
    )?;
    writeln!(
        w,
        "  host {}  commit {}  branch {}",
        r.host,
        r.git_commit.as_deref().unwrap_or("-"),
        r.git_branch.as_deref().unwrap_or("-")
    )?;
    if !r.tags.is_empty() {
        writeln!(w, "  tags {}", r.tags.join(", "))?;
    }
    if !r.notes.is_empty() {
        writeln!(w, "  notes {}", r.notes)?;
    }
    let complete = r.status.outcome().is_some();
    match (&run.record, r.kind) {
        (Some(rec), RecordKind::Load) if complete => {
            crate::render_run_summary(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), RecordKind::Bench) if complete => {
            crate::bench::render(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), RecordKind::Import) => import(&serde_json::from_value(rec.clone())?, w)?,
        (Some(rec), RecordKind::Investigation) => {
            investigation(&serde_json::from_value(rec.clone())?, r, w)?
        }
        _ => partial(run, w)?,
    }
    Ok(())
}

/// A stored record that does not read, or a failed write.
#[derive(Debug)]
pub enum RenderError {
    /// Writing failed.
    Io(io::Error),
    /// The record does not read as its kind.
    Record(serde_json::Error),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::Io(e) => write!(f, "{e}"),
            RenderError::Record(e) => write!(f, "the stored record does not read: {e}"),
        }
    }
}

impl std::error::Error for RenderError {}

impl From<io::Error> for RenderError {
    fn from(e: io::Error) -> Self {
        RenderError::Io(e)
    }
}

impl From<serde_json::Error> for RenderError {
    fn from(e: serde_json::Error) -> Self {
        RenderError::Record(e)
    }
}

/// An import: where it came from, and each benchmark's value.
pub fn import(r: &ImportRecord, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "\n  imported from {} ({})", r.source, r.format)?;
    for m in perfhive_core::measure::of_import(r) {
        let n = if m.samples.is_empty() {
            String::new()
        } else {
            format!("  ({} samples)", m.samples.len())
        };
        writeln!(w, "  {:<48} {:>14.6} {}{}", m.name, m.value, m.unit, n)?;
    }
    Ok(())
}

/// An investigation: where the report is, its headline, where the time goes, its P0, its
/// criteria and each investigator's outcome.
pub fn investigation(inv: &StoredInvestigation, r: &RunRow, w: &mut dyn Write) -> io::Result<()> {
    if let Some(folder) = &r.artifact {
        let dir = std::path::Path::new(folder);
        let gone = if dir.exists() {
            ""
        } else {
            " (no longer there)"
        };
        writeln!(
            w,
            "  report {}{gone} (and report.md, report.json)",
            dir.join("report.html").display()
        )?;
    }
    writeln!(
        w,
        "  target {}  {:.0} s{}",
        inv.target,
        inv.duration_s,
        if inv.partial == Some(true) {
            "  (partial: interrupted)"
        } else {
            ""
        }
    )?;
    let s = &inv.executive_summary;
    if !s.headline.is_empty() {
        writeln!(w, "\n  {}", s.headline)?;
    }
    if !s.time_breakdown.is_empty() {
        let parts: Vec<String> = s
            .time_breakdown
            .iter()
            .take(5)
            .map(|p| format!("{:.0}% {} ({:.1} ms)", p.share_pct, p.name, p.mean_ms))
            .collect();
        let source = if s.breakdown_source.is_empty() {
            String::new()
        } else {
            format!(" [{}]", s.breakdown_source)
        };
        writeln!(w, "  where the time goes: {}{source}", parts.join(", "))?;
    }
    match inv.p0() {
        Some(p) => {
            writeln!(w, "\n  P0  {}", p.recommendation.action)?;
            if !p.recommendation.impact.is_empty() {
                writeln!(w, "      {}", p.recommendation.impact)?;
            }
        }
        None => writeln!(w, "\n  no P0 recommendation")?,
    }
    for p in inv
        .recommendations
        .iter()
        .filter(|p| p.priority != "P0")
        .take(2)
    {
        writeln!(w, "  {:<3} {}", p.priority, p.recommendation.action)?;
    }
    if !inv.criteria.is_empty() {
        writeln!(w, "\n  success criteria on the baseline:")?;
        for c in &inv.criteria {
            let mark = match c.passed {
                Some(true) => "passed",
                Some(false) => "FAILED",
                None => "not evaluated",
            };
            let value = c.value.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
            writeln!(w, "    {mark:<13} {} ({value})", c.expr)?;
        }
    }
    let who: Vec<String> = inv
        .investigators
        .iter()
        .map(|i| format!("{} {}", i.name, i.verdict.replace('_', " ")))
        .collect();
    if !who.is_empty() {
        writeln!(w, "\n  investigators: {}", who.join(", "))?;
    }
    let n = inv.findings.len();
    writeln!(w, "  {n} finding{}", if n == 1 { "" } else { "s" })
}

/// What an incomplete run (or one without a record) wrote while it ran.
pub fn partial(run: &StoredRun, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "\n  {} — what was measured before it stopped:",
        if run.row.status.outcome().is_some() {
            "no record"
        } else {
            "incomplete run"
        }
    )?;
    if !run.points.is_empty() {
        let sum = |k: &str| -> u64 { run.points.iter().filter_map(|p| p[k].as_u64()).sum() };
        let last = run
            .points
            .last()
            .and_then(|p| p["t"].as_f64())
            .unwrap_or(0.0);
        writeln!(
            w,
            "  {last} seconds of time series: {} requests, {} errors",
            sum("requests"),
            sum("errors")
        )?;
        for p in run.points.iter().rev().take(5).rev() {
            writeln!(
                w,
                "    t={:>5}  {:>7} req  {:>5} err  p99 {} ms",
                p["t"], p["requests"], p["errors"], p["p99_ms"]
            )?;
        }
    }
    let mut series: Vec<&str> = run.samples.iter().map(|s| s.0.as_str()).collect();
    series.dedup();
    for s in series {
        let walls: Vec<f64> = run
            .samples
            .iter()
            .filter(|x| x.0 == s)
            .filter_map(|x| x.2["wall_s"].as_f64())
            .collect();
        let mean = walls.iter().sum::<f64>() / walls.len().max(1) as f64;
        writeln!(
            w,
            "  {s}: {} runs, mean wall {}",
            walls.len(),
            crate::bench::secs(mean)
        )?;
    }
    Ok(())
}
