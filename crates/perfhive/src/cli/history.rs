//! `perfhive history`: list, show, search, annotate, delete and prune stored runs, and find
//! change points over a metric's history.

pub use crate::cli::args::history::HistoryCmd;
use crate::cli::args::history::{ChangesArgs, ListArgs, Sub};
use crate::exit::Code;
use crate::output::Printer;
use crate::recording::History;
use anyhow::{bail, Context};
use perfhive_compare::changes::ChangeQuery;
use perfhive_store::{when, Filter};

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
            let cutoff = when::days_ago(keep_days).context("--keep-days reaches before 1970")?;
            let n = store.prune_to(&cutoff, export.as_deref())?;
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
        since: l.since.as_deref().map(when::since).transpose()?,
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
