//! `perfhive history`: list, show, search, annotate, delete and prune stored runs, and find
//! change points over a metric's history.

use crate::cli::compare::parse_alpha;
use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{History, HistoryArgs};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use perfhive_compare::changes::ChangeQuery;
use perfhive_core::record::RecordKind;
use perfhive_store::Filter;
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
    /// Of this kind: load, bench, import or investigation.
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

fn changes(a: &ChangesArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open_for_reading()?;
    let q = ChangeQuery {
        name: a.name.clone(),
        metric: a.metric.clone(),
        branch: a.branch.clone(),
        alpha: a.alpha,
        min_change_pct: a.min_change,
        min_segment: a.min_segment as usize,
    };
    let found = perfhive_compare::changes::changes(&store, &q)?;
    let text = perfhive_compare::render::changes(&found, a.metric.is_some(), a.alpha);
    write!(out.out(), "{text}")?;
    Ok(Code::OK)
}

fn show(id: i64, json: bool, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = history.open_for_reading()?;
    let run = store
        .get(id)?
        .with_context(|| format!("no run {id} in the history at `{}`", store.path().display()))?;
    if json {
        let text = serde_json::to_string_pretty(&run.to_json())?;
        writeln!(out.out(), "{text}")?;
        return Ok(Code::OK);
    }
    let style = perfhive_report::Style {
        color: out.color(false),
    };
    perfhive_report::history::stored_run(&run, out.out(), style)
        .with_context(|| format!("run {id}"))?;
    Ok(Code::OK)
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
            perfhive_report::history::runs_table(&rows, out.out())?;
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
    let rows = store.list(&filter)?;
    if l.json {
        writeln!(out.out(), "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        perfhive_report::history::runs_table(&rows, out.out())?;
    }
    Ok(Code::OK)
}
