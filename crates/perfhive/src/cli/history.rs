//! `perfhive history`: list, show, search, annotate, delete and prune stored runs, and find
//! change points over a metric's history.

use crate::cli::compare::parse_alpha;
use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{History, HistoryArgs};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use perfhive_core::record::RecordKind;
use perfhive_store::{Filter, RunRow, StoredRun};
use std::path::PathBuf;

/// Arguments of `perfhive history`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryCmd {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    list: ListArgs,
    /// Find change points in the history of runs with this name (see `history changes`).
    #[arg(long, value_name = "NAME")]
    changes: Option<String>,
    /// With --changes: the metric [default: every metric].
    #[arg(long, requires = "changes", value_name = "METRIC")]
    metric: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// List runs, newest first.
    List(ListArgs),
    /// Show one run: its record (an investigation's summary, P0 and report folder), or what
    /// an incomplete run measured.
    Show {
        /// Run id.
        #[arg(value_name = "ID")]
        id: i64,
        /// Print the stored run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over names, notes and tags.
    Search {
        /// Words (or an SQLite FTS5 query).
        #[arg(value_name = "QUERY")]
        query: String,
    },
    /// Add tags or a note to a run.
    Tag {
        /// Run id.
        #[arg(value_name = "ID")]
        id: i64,
        /// Tags.
        #[arg(value_name = "TAG")]
        tags: Vec<String>,
        /// A note to append.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Delete runs.
    Delete {
        /// Run ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
    },
    /// Delete runs older than a retention period.
    Prune {
        /// Keep runs from the last N days.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=36_500))]
        keep_days: u64,
        /// Write the pruned runs to this file first (JSON Lines).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
    /// Change points over the history of a metric (E-Divisive means with a t-test, as Apache
    /// Otava / Hunter).
    Changes(ChangesArgs),
}

#[derive(Args, Debug, Default)]
struct ListArgs {
    /// Name contains.
    #[arg(long, value_name = "TEXT")]
    name: Option<String>,
    /// Of this kind.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    kind: Option<RecordKind>,
    /// Has this tag.
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,
    /// On this git branch.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Since a date (2026-01-31, RFC 3339) or a duration ago (7d, 12h).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Most rows (at least 1).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: u64,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ChangesArgs {
    /// Runs with this name.
    #[arg(value_name = "NAME")]
    name: String,
    /// The metric [default: every metric].
    #[arg(long, value_name = "METRIC")]
    metric: Option<String>,
    /// Only runs on this branch.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Largest p-value of a reported change (Apache Otava's default), between 0 and 1.
    #[arg(long, default_value = "0.001", value_name = "ALPHA", value_parser = parse_alpha, allow_hyphen_values = true)]
    alpha: f64,
    /// Smallest reported change, percent of the mean before it (at least 0).
    #[arg(long, default_value = "5", value_name = "PCT", value_parser = crate::cli::compare::parse_threshold, allow_hyphen_values = true)]
    min_change: f64,
    /// Fewest runs in a segment (at least 1).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    min_segment: u64,
}

fn parse_kind(s: &str) -> Result<RecordKind, String> {
    s.parse()
        .map_err(|e: perfhive_core::record::UnknownKind| e.to_string())
}

fn since(s: &str) -> anyhow::Result<String> {
    if let Ok(d) = humantime::parse_duration(s) {
        let t = std::time::SystemTime::now()
            .checked_sub(d)
            .context("--since is too far back")?;
        return Ok(humantime::format_rfc3339_seconds(t).to_string());
    }
    if s.len() == 10 && s.as_bytes()[4] == b'-' {
        return Ok(format!("{s}T00:00:00Z"));
    }
    humantime::parse_rfc3339_weak(s)
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .with_context(|| {
            format!("--since `{s}`: expected a date (2026-01-31), RFC 3339, or a duration (7d)")
        })
}

/// At most `max` characters, with an ellipsis when cut.
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max.saturating_sub(1)).chain(['…']).collect()
    }
}

fn print_rows(rows: &[RunRow], out: &mut Printer, json: bool) -> anyhow::Result<()> {
    let w = out.out();
    if json {
        writeln!(w, "{}", serde_json::to_string_pretty(rows)?)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(w, "no runs")?;
        return Ok(());
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
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
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

fn changes(a: &ChangesArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open_for_reading()?;
    let metrics = match &a.metric {
        Some(m) => vec![m.clone()],
        None => store.metric_names(&a.name)?,
    };
    if metrics.is_empty() {
        bail!(
            "no complete runs named `{}` in the history at `{}`",
            a.name,
            store.path().display()
        );
    }
    let w = out.out();
    let mut found = 0;
    for m in &metrics {
        let series = store.metric_history(&a.name, m, a.branch.as_deref())?;
        if series.is_empty() {
            bail!(
                "no values of `{m}` for `{}`; known metrics: {}",
                a.name,
                store.metric_names(&a.name)?.join(", ")
            );
        }
        let values: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
        let cps: Vec<_> = perfhive_stats::change_points(&values, a.alpha, a.min_segment as usize)
            .into_iter()
            .filter(|c| c.change_pct.abs() >= a.min_change)
            .collect();
        if cps.is_empty() {
            if a.metric.is_some() {
                writeln!(
                    w,
                    "{m}: no change point in {} runs (alpha {})",
                    values.len(),
                    a.alpha
                )?;
            }
            continue;
        }
        writeln!(w, "{m} ({} runs):", values.len())?;
        for cp in cps {
            found += 1;
            let (row, _) = &series[cp.index];
            writeln!(
                w,
                "  run {:>5}  {}  commit {:<10}  {:.4} → {:.4}  {:+.1}%  p={:.4}",
                row.id,
                row.started_at,
                row.git_commit
                    .as_deref()
                    .map(|c| &c[..c.len().min(10)])
                    .unwrap_or("-"),
                cp.mean_before,
                cp.mean_after,
                cp.change_pct,
                cp.p_value
            )?;
        }
    }
    if found == 0 && a.metric.is_none() {
        writeln!(
            w,
            "no change point in any of {} metrics (alpha {})",
            metrics.len(),
            a.alpha
        )?;
    }
    Ok(Code::OK)
}

fn show(id: i64, json: bool, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open_for_reading()?;
    let run = store
        .get(id)?
        .with_context(|| format!("no run {id} in the history at `{}`", store.path().display()))?;
    if json {
        writeln!(
            out.out(),
            "{}",
            serde_json::to_string_pretty(&run.to_json())?
        )?;
        return Ok(Code::OK);
    }
    let r = &run.row;
    let color = out.color(false);
    let w = out.out();
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
    let style = perfhive_report::Style { color };
    let complete = r.status.outcome().is_some();
    match (&run.record, r.kind) {
        (Some(rec), RecordKind::Load) if complete => {
            perfhive_report::render_run_summary(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), RecordKind::Bench) if complete => {
            perfhive_report::bench::render(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), RecordKind::Import) => {
            crate::cli::import::render_stored(&serde_json::from_value(rec.clone())?, w)?
        }
        (Some(rec), RecordKind::Investigation) => {
            show_investigation(&serde_json::from_value(rec.clone())?, r, w)?
        }
        _ => show_partial(&run, w)?,
    }
    Ok(Code::OK)
}

/// An investigation: its headline, where the time goes, its P0, its criteria, each
/// investigator's outcome, and where the report is.
fn show_investigation(
    inv: &perfhive_core::investigation::StoredInvestigation,
    r: &RunRow,
    w: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    if let Some(folder) = &r.artifact {
        let dir = std::path::Path::new(folder);
        let missing = if dir.exists() {
            ""
        } else {
            " (no longer there)"
        };
        writeln!(
            w,
            "  report {}{missing} (and report.md, report.json)",
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
    let others = inv.recommendations.iter().filter(|p| p.priority != "P0");
    for p in others.take(2) {
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
            writeln!(
                w,
                "    {mark:<13} {} ({})",
                c.expr,
                c.value.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
            )?;
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
    writeln!(w, "  {} findings", inv.findings.len())?;
    Ok(())
}

/// What an incomplete run (or one without a record) wrote while it ran.
fn show_partial(run: &StoredRun, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
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
        let req: u64 = run
            .points
            .iter()
            .filter_map(|p| p["requests"].as_u64())
            .sum();
        let err: u64 = run.points.iter().filter_map(|p| p["errors"].as_u64()).sum();
        let last = run
            .points
            .last()
            .and_then(|p| p["t"].as_f64())
            .unwrap_or(0.0);
        writeln!(
            w,
            "  {last} seconds of time series: {req} requests, {err} errors"
        )?;
        for p in run.points.iter().rev().take(5).rev() {
            writeln!(
                w,
                "    t={:>5}  {:>7} req  {:>5} err  p99 {} ms",
                p["t"], p["requests"], p["errors"], p["p99_ms"]
            )?;
        }
    }
    if !run.samples.is_empty() {
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
                perfhive_report::bench::secs(mean)
            )?;
        }
    }
    Ok(())
}

/// Runs `perfhive history`.
pub fn exec(a: HistoryCmd, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    if let Some(name) = &a.changes {
        let c = ChangesArgs {
            name: name.clone(),
            metric: a.metric.clone(),
            branch: a.list.branch.clone(),
            alpha: 0.001,
            min_change: 5.0,
            min_segment: 3,
        };
        return changes(&c, history, out);
    }
    match a.sub {
        None => list(&a.list, history, out),
        Some(Sub::List(l)) => list(&l, history, out),
        Some(Sub::Show { id, json }) => show(id, json, history, out),
        Some(Sub::Search { query }) => {
            let rows = history.open_for_reading()?.search(&query)?;
            print_rows(&rows, out, false)?;
            Ok(Code::OK)
        }
        Some(Sub::Tag { id, tags, note }) => {
            if !history.open()?.annotate(id, &tags, note.as_deref())? {
                bail!("no run {id}");
            }
            Ok(Code::OK)
        }
        Some(Sub::Delete { ids }) => {
            let store = history.open()?;
            for id in ids {
                if !store.delete(id)? {
                    bail!("no run {id}");
                }
                writeln!(out.out(), "deleted run {id}")?;
            }
            Ok(Code::OK)
        }
        Some(Sub::Prune { keep_days, export }) => {
            let mut store = history.open()?;
            let cutoff = std::time::SystemTime::now()
                .checked_sub(std::time::Duration::from_secs(keep_days * 86_400))
                .context("--keep-days reaches before 1970")?;
            let cutoff = humantime::format_rfc3339_seconds(cutoff).to_string();
            let n = match &export {
                Some(p) => {
                    let mut f = std::io::BufWriter::new(
                        std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(p)
                            .with_context(|| format!("cannot write `{}`", p.display()))?,
                    );
                    let n = store.prune_before(&cutoff, Some(&mut f))?;
                    std::io::Write::flush(&mut f)?;
                    n
                }
                None => store.prune_before(&cutoff, None)?,
            };
            writeln!(
                out.out(),
                "pruned {n} runs started before {cutoff}{}",
                export
                    .map(|p| format!(" (exported to {})", p.display()))
                    .unwrap_or_default()
            )?;
            Ok(Code::OK)
        }
        Some(Sub::Changes(c)) => changes(&c, history, out),
    }
}

fn list(l: &ListArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open_for_reading()?;
    let filter = Filter {
        name: l.name.clone(),
        kind: l.kind,
        tag: l.tag.clone(),
        branch: l.branch.clone(),
        since: l.since.as_deref().map(since).transpose()?,
        limit: Some(l.limit as usize),
    };
    print_rows(&store.list(&filter)?, out, l.json)?;
    Ok(Code::OK)
}
