//! Comparing two runs metric by metric, in benchstat's spirit: for each measure both sides
//! have, the relative delta with a 95% interval and a verdict against a noise threshold.
//!
//! The interval and significance depend on what the measures carry:
//! - raw samples on both sides (bench runs, per-second throughput, observed CPU): Mann–Whitney
//!   U p-value and a bootstrap interval of the ratio of means;
//! - an HDR histogram on both sides (load latency percentiles): distribution-free
//!   order-statistic intervals of each quantile (binomial ranks, normal approximation), combined
//!   conservatively into an interval of the ratio;
//! - a count behind a proportion (error rate): a two-proportion z-test;
//! - otherwise only the threshold decides, and the verdict says so.
//!
//! A change smaller than the threshold is `unchanged`; a larger one is `improved` or
//! `regressed` only when significant (p < alpha, or the interval excludes no change) where
//! significance can be computed.

pub mod render;

use perfhive_core::measure::Measure;
use perfhive_core::LatencyHistogram;
use perfhive_stats as stats;
use serde::Serialize;

/// One side of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// How it was named (`run 12`, a file path).
    pub label: String,
    /// Scenario or benchmark name.
    pub name: String,
    /// Record kind.
    pub kind: String,
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
}

/// Relative change in percent.
fn pct(base: f64, new: f64) -> f64 {
    if base == 0.0 {
        if new == 0.0 {
            0.0
        } else {
            f64::INFINITY * new.signum()
        }
    } else {
        (new / base - 1.0) * 100.0
    }
}

/// Order-statistic 95% interval of quantile `q` of a histogram (binomial ranks, normal approx).
fn quantile_ci(h: &LatencyHistogram, q: f64) -> Option<(f64, f64)> {
    let n = h.len() as f64;
    if n < 1.0 {
        return None;
    }
    let half = 1.96 * (n * q * (1.0 - q)).sqrt();
    let lo = ((n * q - half).floor() / n).clamp(0.0, 1.0);
    let hi = ((n * q + half).ceil() / n).clamp(0.0, 1.0);
    Some((h.quantile_ms(lo)?, h.quantile_ms(hi)?))
}

/// Compares the measures of two runs.
pub fn compare(base: &Side, new: &Side, threshold_pct: f64, alpha: f64) -> Comparison {
    let mut deltas = Vec::new();
    let mut unmatched = Vec::new();
    for b in &base.measures {
        let Some(n) = new.measures.iter().find(|m| m.name == b.name) else {
            unmatched.push(b.name.clone());
            continue;
        };
        deltas.push(delta(b, n, threshold_pct, alpha));
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

fn delta(b: &Measure, n: &Measure, threshold: f64, alpha: f64) -> Delta {
    let d = pct(b.value, n.value);
    let mut ci = None;
    let mut p = None;
    let mut counts = (b.count.unwrap_or(0), n.count.unwrap_or(0));
    let method;
    if b.samples.len() >= 3 && n.samples.len() >= 3 {
        p = stats::mann_whitney_u(&b.samples, &n.samples).map(|m| m.p_value);
        ci = stats::bootstrap_ratio(
            &b.samples,
            &n.samples,
            stats::Statistic::Mean,
            0.95,
            5_000,
            0xc0ffee,
        )
        .map(|r| ((r.lo - 1.0) * 100.0, (r.hi - 1.0) * 100.0));
        counts = (b.samples.len() as u64, n.samples.len() as u64);
        method = "mann-whitney + bootstrap".to_string();
    } else if let (Some((hb, q)), Some((hn, _))) = (&b.histogram, &n.histogram) {
        let (hb, hn) = (
            LatencyHistogram::decode(hb).ok(),
            LatencyHistogram::decode(hn).ok(),
        );
        if let (Some(hb), Some(hn)) = (hb, hn) {
            if let (Some((bl, bh)), Some((nl, nh))) = (quantile_ci(&hb, *q), quantile_ci(&hn, *q)) {
                if bl > 0.0 && bh > 0.0 {
                    ci = Some((pct(bh, nl), pct(bl, nh)));
                }
            }
            counts = (hb.len(), hn.len());
        }
        method = "order-statistic interval".to_string();
    } else if b.unit == "%" && b.count.is_some() && n.count.is_some() {
        let (nb, nn) = (b.count.unwrap_or(0) as f64, n.count.unwrap_or(0) as f64);
        if nb > 0.0 && nn > 0.0 {
            let (pb, pn) = (b.value / 100.0, n.value / 100.0);
            let pooled = (pb * nb + pn * nn) / (nb + nn);
            let se = (pooled * (1.0 - pooled) * (1.0 / nb + 1.0 / nn)).sqrt();
            p = Some(if se > 0.0 {
                two_sided_normal_p((pn - pb).abs() / se)
            } else if pb == pn {
                1.0
            } else {
                0.0
            });
        }
        method = "two-proportion z-test".to_string();
    } else {
        method = "threshold only (no samples)".to_string();
    }
    let worse = if n.lower_is_better { d > 0.0 } else { d < 0.0 };
    let beyond = d.abs() >= threshold || (d.is_infinite());
    let significant = match (p, ci) {
        (Some(p), _) => p < alpha,
        (None, Some((lo, hi))) => lo > 0.0 || hi < 0.0,
        (None, None) => true,
    };
    let verdict = if !beyond || !significant {
        Verdict::Unchanged
    } else if worse {
        Verdict::Regressed
    } else {
        Verdict::Improved
    };
    Delta {
        name: b.name.clone(),
        unit: b.unit.clone(),
        base: b.value,
        new: n.value,
        delta_pct: d,
        ci_pct: ci,
        p_value: p,
        n: counts,
        method,
        lower_is_better: b.lower_is_better,
        verdict,
        noise: beyond && !significant,
    }
}

/// Two-sided p-value of a standard normal statistic (Abramowitz–Stegun 7.1.26 erfc).
fn two_sided_normal_p(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * x);
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    (poly * (-x * x).exp()).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests;
