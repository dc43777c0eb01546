//! Comparing two runs metric by metric, in benchstat's spirit: for each measure both sides
//! have, the relative delta with a 95% interval and a verdict against a noise threshold.
//!
//! A verdict needs a valid test (`judge.rs`): raw samples (Mann–Whitney U and a bootstrap
//! interval of the ratio of means), a quantile's histogram (exact order-statistic intervals,
//! widened by the spread between one-second batches: `quantile.rs`), or a proportion with its
//! count (two-proportion z-test). A change smaller than the threshold is `unchanged`; a larger
//! one is `improved` or `regressed` only when significant, and `noise` otherwise. A measure
//! without a valid test — a maximum, a mean without samples, too few observations for an
//! extreme quantile, the load generator's own CPU — is `not_judged`, with the reason: it never
//! fails a gate.
//!
//! `changes.rs` finds change points over a name's whole history.
//!
//! `reference.rs` resolves what the user names (`latest~1`, `latest@main`, a run id, a file)
//! into [`Side`]s (`side.rs`), from the history or from files of perfhive and other tools.

pub mod changes;
mod judge;
pub mod quantile;
pub mod reference;
pub mod render;
pub mod side;

pub use reference::{resolve, resolve_pair, Reference, ReferenceError, Scope};
pub use side::SideError;

use perfhive_core::measure::{Measure, Statistic};
use perfhive_core::record::RecordKind;
use serde::Serialize;

/// One side of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// How it was named (`run 12`, a file path).
    pub label: String,
    /// Scenario or benchmark name.
    pub name: String,
    /// Record kind.
    pub kind: RecordKind,
    /// Start of the run.
    pub date: Option<String>,
    /// Git commit.
    pub commit: Option<String>,
    /// Its measures.
    #[serde(skip)]
    pub measures: Vec<Measure>,
}

/// The outcome for one measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Better beyond the threshold, significantly.
    Improved,
    /// Worse beyond the threshold, significantly.
    Regressed,
    /// Within the threshold, or not significant.
    Unchanged,
    /// No valid test exists for this measure (the delta's `note` says why): shown, never a
    /// regression.
    NotJudged,
}

/// One measure compared.
#[derive(Clone, Debug, Serialize)]
pub struct Delta {
    /// Measure name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Base value.
    pub base: f64,
    /// New value.
    pub new: f64,
    /// (new / base − 1) × 100; infinite when base is zero and new is not.
    pub delta_pct: f64,
    /// 95% interval of the delta, percent.
    pub ci_pct: Option<(f64, f64)>,
    /// Significance test p-value.
    pub p_value: Option<f64>,
    /// Samples (or observations) behind each side.
    pub n: (u64, u64),
    /// How significance was judged.
    pub method: String,
    /// Direction of goodness.
    pub lower_is_better: bool,
    /// The outcome.
    pub verdict: Verdict,
    /// Beyond the threshold but not significant.
    pub noise: bool,
    /// Why the measure is not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Two runs compared.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The base side.
    pub base: Side,
    /// The new side.
    pub new: Side,
    /// Noise threshold, percent.
    pub threshold_pct: f64,
    /// Significance level.
    pub alpha: f64,
    /// Per measure, in the base's order.
    pub deltas: Vec<Delta>,
    /// Measures only one side has.
    pub unmatched: Vec<String>,
}

impl Comparison {
    /// Measures that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &Delta> {
        self.deltas
            .iter()
            .filter(|d| d.verdict == Verdict::Regressed)
    }
    /// Measures that improved.
    pub fn improvements(&self) -> impl Iterator<Item = &Delta> {
        self.deltas
            .iter()
            .filter(|d| d.verdict == Verdict::Improved)
    }
    /// Measures without a valid test.
    pub fn not_judged(&self) -> impl Iterator<Item = &Delta> {
        self.deltas
            .iter()
            .filter(|d| d.verdict == Verdict::NotJudged)
    }
}

/// The `comparison` block of a record compared with `base` at `--baseline`: the playbook's
/// `p95_delta_pct` and `throughput_delta_pct`, every other measure's `<name>_delta_pct`, and
/// which run the baseline was.
pub fn baseline_block(base: &Side, new: &[Measure]) -> perfhive_core::record::Comparison {
    let new_side = Side {
        label: "this run".into(),
        name: base.name.clone(),
        kind: base.kind,
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

/// The widest relative batch-means half-width among a side's quantiles that have per-second
/// values: lent to its quantiles that have none (p90, p95, p99.9 of a load run).
fn widest_batch_width(side: &Side) -> Option<f64> {
    side.measures
        .iter()
        .filter(|m| matches!(m.statistic, Statistic::Quantile(_)))
        .filter_map(|m| quantile::batch_relative_half_width(&m.batches))
        .reduce(f64::max)
}

/// Compares the measures of two runs.
pub fn compare(base: &Side, new: &Side, threshold_pct: f64, alpha: f64) -> Comparison {
    let mut deltas = Vec::new();
    let mut unmatched = Vec::new();
    let borrowed = (widest_batch_width(base), widest_batch_width(new));
    for b in &base.measures {
        let Some(n) = new.measures.iter().find(|m| m.name == b.name) else {
            unmatched.push(b.name.clone());
            continue;
        };
        deltas.push(judge::delta(b, n, threshold_pct, alpha, borrowed));
    }
    for n in &new.measures {
        if !base.measures.iter().any(|m| m.name == n.name) {
            unmatched.push(n.name.clone());
        }
    }
    Comparison {
        base: base.clone(),
        new: new.clone(),
        threshold_pct,
        alpha,
        deltas,
        unmatched,
    }
}

#[cfg(test)]
mod tests;
