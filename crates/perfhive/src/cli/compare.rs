//! `perfhive compare BASE NEW`: two runs metric by metric, with statistics and a CI gate.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{History, HistoryArgs};
use anyhow::Context;
use clap::Args;
use perfhive_compare::{compare, render, Reference, Scope, Side};
use perfhive_core::measure::Measure;
use std::path::PathBuf;

/// Arguments of `perfhive compare`.
#[derive(Args, Debug)]
#[command(
    after_help = "A side is a run id from the history, `latest`, `latest~N` (N runs before the latest), \
`latest@BRANCH`, or a file: a perfhive record or export (--out, --export-json, an investigation's report.json), \
or a result another tool wrote (hyperfine, k6, go test -bench, criterion, pytest-benchmark).\n\n\
`latest` references name runs of one name and kind: --name's, else those of the other side, else those of \
the newest run; `compare latest~1 latest` compares the last two runs of whatever ran last. An investigation \
is compared through the baseline it measured; two investigations from the history must be of one plan.\n\n\
Only measures with a valid test can regress: maxima, means without samples, extreme percentiles of too few \
requests and the load generator's own CPU are shown as `not judged`.\n\nExamples:\n  perfhive compare latest~1 latest\n  \
perfhive compare latest@main latest --name parse --fail-on-regression --format markdown\n  perfhive compare before.json after.json"
)]
pub struct CompareArgs {
    /// The baseline.
    #[arg(value_name = "BASE")]
    pub base: String,
    /// The run to judge.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Restrict `latest` references to runs of this scenario, benchmark or plan name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Restrict `latest` references to runs on this git branch.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Changes smaller than this are unchanged (`5%` or `5`, at least 0).
    #[arg(long, default_value = "5%", value_name = "PCT", value_parser = parse_threshold, allow_hyphen_values = true)]
    pub threshold: f64,
    /// Significance level, between 0 and 1.
    #[arg(long, default_value = "0.05", value_name = "ALPHA", value_parser = parse_alpha, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Compare only measures whose name contains this (repeatable), e.g. `wall_s`, `latency_p99`.
    #[arg(long, value_name = "TEXT")]
    pub metric: Vec<String>,
    /// Exit with code 1 when any judged metric regressed.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Output format.
    #[arg(long, default_value = "terminal", value_name = "FORMAT", value_parser = ["terminal", "json", "markdown", "junit"])]
    pub format: String,
    /// Also write the output to this file.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// Parses `5%` / `5`: a finite percentage of at least zero.
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| "expected a percentage such as 5%".to_string())?;
    if !(v.is_finite() && v >= 0.0) {
        return Err("expected a percentage of at least 0".into());
    }
    Ok(v)
}

/// Parses a significance level strictly between 0 and 1.
pub fn parse_alpha(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| "expected a number such as 0.05".to_string())?;
    if !(v > 0.0 && v < 1.0) {
        return Err("expected a level between 0 and 1 (exclusive)".into());
    }
    Ok(v)
}

/// The history when a reference needs it (files do not).
fn store_for(refs: &[&str], history: &History) -> anyhow::Result<Option<perfhive_store::Store>> {
    let needs = refs
        .iter()
        .any(|r| Reference::parse(r).is_ok_and(|r| r.needs_history()));
    needs.then(|| history.open_for_reading()).transpose()
}

/// Resolves a `--baseline` of `run` or `bench`: `latest` is a run of this `name`.
pub fn load_side(reference: &str, history: &History, name: Option<&str>) -> anyhow::Result<Side> {
    let store = store_for(&[reference], history)?;
    let scope = Scope {
        name: name.map(str::to_string),
        ..Scope::default()
    };
    Ok(perfhive_compare::resolve(
        reference,
        store.as_ref(),
        &scope,
    )?)
}

/// The record's `comparison` block against a baseline.
pub fn comparison_block(base: &Side, new: &[Measure]) -> perfhive_core::record::Comparison {
    perfhive_compare::baseline_block(base, new)
}

/// Runs `perfhive compare`.
pub fn exec(a: CompareArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let store = store_for(&[&a.base, &a.new], history)?;
    let scope = Scope {
        name: a.name.clone(),
        kind: None,
        branch: a.branch.clone(),
    };
    let (mut base, mut new) =
        perfhive_compare::resolve_pair(&a.base, &a.new, store.as_ref(), &scope)?;
    base.keep_measures(&a.metric);
    new.keep_measures(&a.metric);
    if base.kind != new.kind {
        out.warn(&format!(
            "comparing a {} run with a {} run: only measures with the same names are compared",
            base.kind, new.kind
        ));
    }
    let c = compare(&base, &new, a.threshold, a.alpha);
    if c.deltas.is_empty() {
        anyhow::bail!(
            "{} (`{}`) and {} (`{}`) have no measure in common{}",
            base.label,
            base.name,
            new.label,
            new.name,
            if a.metric.is_empty() {
                String::new()
            } else {
                format!(" matching --metric {}", a.metric.join(", "))
            }
        );
    }
    let (text, plain) = render::formatted(&c, &a.format, out.color(false))?;
    if let Some(p) = &a.out {
        std::fs::write(p, plain).with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    write!(out.out(), "{text}")?;
    Ok(Code::failed_if(
        a.fail_on_regression && c.regressions().count() > 0,
    ))
}
