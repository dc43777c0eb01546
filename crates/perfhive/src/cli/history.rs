//! `perfhive history`: list, show, search, annotate, delete and prune stored runs, and find
//! change points over a metric's history.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::HistoryArgs;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use perfhive_store::{Filter, RunRow};
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
    /// With --changes: the metric (default: every metric).
    #[arg(long, requires = "changes")]
    metric: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// List runs, newest first.
    List(ListArgs),
    /// Show one run: its record, or what an incomplete run measured.
    Show {
        /// Run id.
        id: i64,
        /// Print the stored run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over names, notes and tags.
    Search {
        /// Words (or an SQLite FTS5 query).
        query: String,
    },
    /// Add tags or a note to a run.
    Tag {
        /// Run id.
        id: i64,
        /// Tags.
        tags: Vec<String>,
        /// A note to append.
        #[arg(long)]
        note: Option<String>,
    },
    /// Delete runs.
    Delete {
        /// Run ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Delete runs older than a retention period.
    Prune {
        /// Keep runs from the last N days.
        #[arg(long)]
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
    #[arg(long)]
    name: Option<String>,
    /// Kind: load, bench, import.
    #[arg(long)]
    kind: Option<String>,
    /// Has this tag.
    #[arg(long)]
    tag: Option<String>,
    /// On this git branch.
    #[arg(long)]
    branch: Option<String>,
    /// Since a date (2026-01-31, RFC 3339) or a duration ago (7d, 12h).
    #[arg(long)]
    since: Option<String>,
    /// Most rows.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ChangesArgs {
    /// Runs with this name.
    name: String,
    /// The metric (default: every metric).
    #[arg(long)]
    metric: Option<String>,
    /// Only runs on this branch.
    #[arg(long)]
    branch: Option<String>,
    /// Largest p-value of a reported change (Apache Otava's default).
    #[arg(long, default_value_t = 0.001)]
    alpha: f64,
    /// Smallest reported change, percent of the mean before it.
    #[arg(long, default_value_t = 5.0)]
    min_change: f64,
    /// Fewest runs in a segment.
    #[arg(long, default_value_t = 3)]
    min_segment: usize,
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
    writeln!(
        w,
        "{:>5}  {:<20}  {:<6}  {:<11}  {:<10}  {:<30}  tags / notes",
        "id", "started", "kind", "status", "commit", "name"
    )?;
    for r in rows {
        let commit = r
            .git_commit
            .as_deref()
            .map(|c| &c[..c.len().min(8)])
            .unwrap_or("-");
        let branch = r
            .git_branch
            .as_deref()
            .map(|b| format!("@{b}"))
            .unwrap_or_default();
        let note = r.notes.lines().next().unwrap_or("");
        writeln!(
            w,
            "{:>5}  {:<20}  {:<6}  {:<11}  {:<10}  {:<30}  {}{}",
            r.id,
            r.started_at,
            r.kind,
            r.status,
            format!("{commit}{branch}")
                .chars()
                .take(10)
                .collect::<String>(),
            r.name.chars().take(30).collect::<String>(),
            if r.tags.is_empty() {
                String::new()
            } else {
                format!("[{}] ", r.tags.join(","))
            },
            note
        )?;
    }
    Ok(())
}

fn changes(a: &ChangesArgs, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open()?;
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
        let cps: Vec<_> = perfhive_stats::change_points(&values, a.alpha, a.min_segment.max(1))
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

fn show(id: i64, json: bool, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open()?;
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
    match (&run.record, r.kind.as_str()) {
        (Some(rec), "load") if r.complete => {
            perfhive_report::render_run_summary(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), "bench") if r.complete => {
            perfhive_report::bench::render(&serde_json::from_value(rec.clone())?, w, style)?
        }
        (Some(rec), "import") => crate::cli::import::render_stored(rec, w)?,
        _ => {
            writeln!(
                w,
                "\n  {} — what was measured before it stopped:",
                if r.complete {
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
                    "  {} seconds of time series: {req} requests, {err} errors",
                    last
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
        }
    }
    Ok(Code::OK)
}

/// Runs `perfhive history`.
pub fn exec(a: HistoryCmd, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
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
            let rows = history.open()?.search(&query)?;
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
            let cutoff =
                std::time::SystemTime::now() - std::time::Duration::from_secs(keep_days * 86_400);
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

fn list(l: &ListArgs, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open()?;
    let filter = Filter {
        name: l.name.clone(),
        kind: l.kind.clone(),
        tag: l.tag.clone(),
        branch: l.branch.clone(),
        since: l.since.as_deref().map(since).transpose()?,
        limit: Some(l.limit),
    };
    print_rows(&store.list(&filter)?, out, l.json)?;
    Ok(Code::OK)
}
