//! `perfhive compare BASE NEW`: two runs metric by metric, with statistics and a CI gate.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::HistoryArgs;
use anyhow::{bail, Context};
use clap::Args;
use perfhive_compare::{compare, render, Side};
use perfhive_core::measure::{self, Measure};
use std::path::{Path, PathBuf};

/// Arguments of `perfhive compare`.
#[derive(Args, Debug)]
#[command(
    after_help = "A side is a run id from the history, `latest`, `latest~N` (N runs before the latest), \
`latest@BRANCH`, or a file: a perfhive record or export (--out, --export-json), or a result another tool wrote \
(hyperfine, k6, go test -bench, criterion, pytest-benchmark).\n\nExamples:\n  perfhive compare latest~1 latest --name checkout-peak\n  \
perfhive compare latest@main latest --name parse --fail-on-regression --format markdown\n  perfhive compare before.json after.json"
)]
pub struct CompareArgs {
    /// The baseline.
    pub base: String,
    /// The run to judge.
    pub new: String,
    /// Restrict `latest` references to runs of this scenario or benchmark name.
    #[arg(long)]
    pub name: Option<String>,
    /// Restrict `latest` references to runs on this git branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Changes smaller than this are unchanged (`5%` or `5`).
    #[arg(long, default_value = "5%")]
    pub threshold: String,
    /// Significance level.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Compare only measures whose name contains this (repeatable), e.g. `wall_s`, `latency_p99`.
    #[arg(long)]
    pub metric: Vec<String>,
    /// Exit with code 1 when any compared metric regressed.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Output format.
    #[arg(long, default_value = "terminal", value_parser = ["terminal", "json", "markdown", "junit"])]
    pub format: String,
    /// Also write the output to this file.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Parses `5%` / `5`.
pub fn parse_threshold(s: &str) -> anyhow::Result<f64> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .with_context(|| format!("--threshold `{s}`: expected a percentage such as 5%"))?;
    if !(v.is_finite() && v >= 0.0) {
        bail!("--threshold must be a non-negative percentage");
    }
    Ok(v)
}

fn side_from_json(
    label: String,
    v: &serde_json::Value,
    commit: Option<String>,
) -> anyhow::Result<Side> {
    let kind = v
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string();
    let measures = match kind.as_str() {
        "load" => measure::of_load(
            &serde_json::from_value(v.clone()).context("not a valid perfhive load record")?,
        ),
        "bench" => measure::of_bench(
            &serde_json::from_value(v.clone()).context("not a valid perfhive bench record")?,
        ),
        "import" => crate::cli::import::measures_of_stored(v)?,
        other => bail!("{label}: unknown record kind `{other}`"),
    };
    let name = v
        .get("scenario")
        .or_else(|| v.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string();
    let date = v.get("date").and_then(|d| d.as_str()).map(str::to_string);
    let commit = commit.or_else(|| {
        v.pointer("/fingerprint/git_commit")
            .and_then(|c| c.as_str())
            .map(str::to_string)
    });
    Ok(Side {
        label,
        name,
        kind,
        date,
        commit,
        measures,
    })
}

/// Resolves a reference to a side: a file, a run id, `latest`, `latest~N`, `latest@BRANCH`.
pub fn load_side(
    reference: &str,
    history: &HistoryArgs,
    name: Option<&str>,
) -> anyhow::Result<Side> {
    load_side_filtered(reference, history, name, None)
}

fn load_side_filtered(
    reference: &str,
    history: &HistoryArgs,
    name: Option<&str>,
    branch: Option<&str>,
) -> anyhow::Result<Side> {
    let path = Path::new(reference);
    if path.is_file() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read `{reference}`"))?;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if matches!(
                v.get("kind").and_then(|k| k.as_str()),
                Some("load" | "bench")
            ) {
                return side_from_json(reference.to_string(), &v, None);
            }
        }
        let imported = crate::cli::import::side_of_file(path)?;
        return Ok(imported);
    }
    let store = history.open()?;
    let id = if let Ok(id) = reference.parse::<i64>() {
        id
    } else if let Some(rest) = reference.strip_prefix("latest") {
        let (skip, rest) = match rest.strip_prefix('~') {
            Some(r) => {
                let end = r.find('@').unwrap_or(r.len());
                (
                    r[..end]
                        .parse::<usize>()
                        .with_context(|| format!("`{reference}`: expected latest~N"))?,
                    &r[end..],
                )
            }
            None => (0, rest),
        };
        let branch = match rest.strip_prefix('@') {
            Some(b) => Some(b),
            None if rest.is_empty() => branch,
            None => bail!("`{reference}`: expected latest, latest~N or latest@BRANCH"),
        };
        store.latest(name, None, branch, skip)?.with_context(|| {
            format!(
                "no complete run matches `{reference}`{}{} in the history at `{}`",
                name.map(|n| format!(" named `{n}`")).unwrap_or_default(),
                branch
                    .map(|b| format!(" on branch `{b}`"))
                    .unwrap_or_default(),
                store.path().display()
            )
        })?
    } else {
        bail!("`{reference}` is neither a file, a run id, nor latest / latest~N / latest@BRANCH");
    };
    let run = store
        .get(id)?
        .with_context(|| format!("no run {id} in the history at `{}`", store.path().display()))?;
    let record = run
        .record
        .with_context(|| format!("run {id} has no record (status {})", run.row.status))?;
    side_from_json(format!("run {id}"), &record, run.row.git_commit.clone())
}

/// The record's `comparison` block against a baseline.
pub fn comparison_block(base: &Side, new: &[Measure]) -> perfhive_core::record::Comparison {
    let new_side = Side {
        label: "this run".into(),
        name: base.name.clone(),
        kind: base.kind.clone(),
        date: None,
        commit: None,
        measures: new.to_vec(),
    };
    let c = compare(base, &new_side, 5.0, 0.05);
    let find = |n: &str| {
        c.deltas
            .iter()
            .find(|d| d.name == n)
            .map(|d| round1(d.delta_pct))
    };
    let extra = c
        .deltas
        .iter()
        .map(|d| {
            (
                format!("{}_delta_pct", d.name),
                serde_json::json!(round1(d.delta_pct)),
            )
        })
        .chain(std::iter::once((
            "baseline".to_string(),
            serde_json::json!(base.label),
        )))
        .collect();
    perfhive_core::record::Comparison {
        baseline_date: base.date.clone(),
        p95_delta_pct: find("latency_p95_ms"),
        throughput_delta_pct: find("throughput_rps"),
        cost_delta_pct: None,
        extra,
    }
}

fn round1(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10.0).round() / 10.0
    } else {
        x
    }
}

/// Runs `perfhive compare`.
pub fn exec(a: CompareArgs, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let threshold = parse_threshold(&a.threshold)?;
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        bail!("--alpha must be between 0 and 1");
    }
    let mut base = load_side_filtered(&a.base, history, a.name.as_deref(), a.branch.as_deref())?;
    let mut new = load_side_filtered(&a.new, history, a.name.as_deref(), a.branch.as_deref())?;
    if !a.metric.is_empty() {
        for side in [&mut base, &mut new] {
            side.measures
                .retain(|m| a.metric.iter().any(|p| m.name.contains(p.as_str())));
        }
    }
    if base.kind != new.kind {
        out.warn(&format!(
            "comparing a {} run with a {} run: only measures with the same names are compared",
            base.kind, new.kind
        ));
    }
    let c = compare(&base, &new, threshold, a.alpha);
    if c.deltas.is_empty() {
        bail!("`{}` and `{}` have no measure in common", a.base, a.new);
    }
    let text = match a.format.as_str() {
        "json" => serde_json::to_string_pretty(&c)? + "\n",
        "markdown" => render::markdown(&c),
        "junit" => render::junit(&c),
        _ => render::terminal(&c, out.color(false)),
    };
    if let Some(p) = &a.out {
        let plain = if a.format == "terminal" {
            render::terminal(&c, false)
        } else {
            text.clone()
        };
        std::fs::write(p, plain).with_context(|| format!("cannot write `{}`", p.display()))?;
    }
    write!(out.out(), "{text}")?;
    Ok(if a.fail_on_regression && c.regressions().count() > 0 {
        Code::CRITERIA_FAILED
    } else {
        Code::OK
    })
}
