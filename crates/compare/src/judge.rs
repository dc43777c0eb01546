//! One measure judged: its relative change, an interval or a p-value from a test that fits
//! what the measure carries, and a verdict. Only a measure with a valid test can regress or
//! improve; every other one says why it is not judged.
//!
//! | measure | test |
//! |---|---|
//! | a mean with raw samples (bench runs, per-second throughput) | Mann–Whitney U, bootstrap interval of the ratio of means |
//! | a quantile with its HDR histogram (load latency) | exact order-statistic intervals widened by batch means (`quantile.rs`), combined conservatively |
//! | a proportion with its count (error rate) | two-proportion z-test |
//! | a maximum, a mean without samples, a value alone | none: not judged |
//! | the load generator's own figures | none: they describe the generator, not the target |

use crate::quantile;
use crate::{Delta, Verdict};
use perfhive_core::measure::{Measure, Role, Statistic};
use perfhive_core::LatencyHistogram;
use perfhive_stats as stats;

/// Relative change in percent; infinite when `base` is zero and `new` is not.
pub(crate) fn pct(base: f64, new: f64) -> f64 {
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

/// What a test said.
enum Test {
    /// A test ran.
    Ran {
        method: &'static str,
        p: Option<f64>,
        ci: Option<(f64, f64)>,
        n: (u64, u64),
    },
    /// No valid test for this measure.
    None { reason: String, n: (u64, u64) },
}

/// The smallest two-sided p-value an exact Mann–Whitney test can reach with `n1` and `n2`
/// samples: `2 / C(n1 + n2, n1)`.
fn smallest_mann_whitney_p(n1: usize, n2: usize) -> f64 {
    let (k, n) = (n1.min(n2), n1 + n2);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    (2.0 / c).min(1.0)
}

fn samples_test(b: &Measure, n: &Measure, alpha: f64) -> Test {
    let counts = (b.samples.len() as u64, n.samples.len() as u64);
    if smallest_mann_whitney_p(b.samples.len(), n.samples.len()) >= alpha {
        return Test::None {
            reason: format!(
                "{} + {} samples cannot show a difference at α = {alpha}; more runs (or a longer run) can",
                counts.0, counts.1
            ),
            n: counts,
        };
    }
    let p = stats::mann_whitney_u(&b.samples, &n.samples).map(|m| m.p_value);
    let ci = stats::bootstrap_ratio(
        &b.samples,
        &n.samples,
        stats::Statistic::Mean,
        0.95,
        5_000,
        0xc0ffee,
    )
    .map(|r| ((r.lo - 1.0) * 100.0, (r.hi - 1.0) * 100.0));
    Test::Ran {
        method: "mann-whitney + bootstrap",
        p,
        ci,
        n: counts,
    }
}

/// The 95% interval of one side's quantile, ms: order statistics, widened by batch means
/// (its own batches, else `borrowed`: the widest relative half-width of the run).
fn side_interval(
    h: &LatencyHistogram,
    m: &Measure,
    q: f64,
    borrowed: Option<f64>,
) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = quantile::order_statistic_interval(h, q)?;
    let rel = quantile::batch_relative_half_width(&m.batches).or(borrowed);
    if let Some(rel) = rel {
        lo = lo.min(m.value * (1.0 - rel)).max(0.0);
        hi = hi.max(m.value * (1.0 + rel));
    }
    Some((lo, hi))
}

fn quantile_test(b: &Measure, n: &Measure, q: f64, borrowed: (Option<f64>, Option<f64>)) -> Test {
    let decode = |m: &Measure| {
        m.histogram
            .as_ref()
            .and_then(|(h, _)| LatencyHistogram::decode(h).ok())
    };
    let (Some(hb), Some(hn)) = (decode(b), decode(n)) else {
        return Test::None {
            reason: "a quantile without its histogram has no interval".into(),
            n: (b.count.unwrap_or(0), n.count.unwrap_or(0)),
        };
    };
    let counts = (hb.len(), hn.len());
    let need = quantile::min_observations(q, 0.95);
    if counts.0 < need || counts.1 < need {
        return Test::None {
            reason: format!(
                "p{} needs at least {need} observations per side for a 95% interval (this has {} + {})",
                percentile_label(q),
                counts.0,
                counts.1
            ),
            n: counts,
        };
    }
    let ci = match (
        side_interval(&hb, b, q, borrowed.0),
        side_interval(&hn, n, q, borrowed.1),
    ) {
        // the smallest and largest ratio the two intervals allow
        (Some((bl, bh)), Some((nl, nh))) if bh > 0.0 => Some((
            pct(bh, nl),
            if bl > 0.0 { pct(bl, nh) } else { f64::INFINITY },
        )),
        _ => None,
    };
    Test::Ran {
        method: "order-statistic interval",
        p: None,
        ci,
        n: counts,
    }
}

/// `99.9` for 0.999, `50` for 0.5.
fn percentile_label(q: f64) -> String {
    let p = (q * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}

fn proportion_test(b: &Measure, n: &Measure) -> Test {
    let (nb, nn) = (b.count.unwrap_or(0), n.count.unwrap_or(0));
    if nb == 0 || nn == 0 {
        return Test::None {
            reason: "a proportion of nothing: no events on one side".into(),
            n: (nb, nn),
        };
    }
    let (pb, pn) = (b.value / 100.0, n.value / 100.0);
    let (fb, fnn) = (nb as f64, nn as f64);
    let pooled = (pb * fb + pn * fnn) / (fb + fnn);
    let se = (pooled * (1.0 - pooled) * (1.0 / fb + 1.0 / fnn)).sqrt();
    let p = if se > 0.0 {
        two_sided_normal_p((pn - pb).abs() / se)
    } else if pb == pn {
        1.0
    } else {
        0.0
    };
    Test::Ran {
        method: "two-proportion z-test",
        p: Some(p),
        ci: None,
        n: (nb, nn),
    }
}

fn test(b: &Measure, n: &Measure, alpha: f64, borrowed: (Option<f64>, Option<f64>)) -> Test {
    let counts = (b.count.unwrap_or(0), n.count.unwrap_or(0));
    if b.role == Role::Generator || n.role == Role::Generator {
        return Test::None {
            reason: "describes the load generator, not the target".into(),
            n: counts,
        };
    }
    match b.statistic {
        Statistic::Quantile(q) => quantile_test(b, n, q, borrowed),
        Statistic::Proportion => proportion_test(b, n),
        Statistic::Maximum => Test::None {
            reason: "a maximum has no confidence interval; the percentiles are judged".into(),
            n: counts,
        },
        Statistic::Mean if !b.samples.is_empty() || !n.samples.is_empty() => {
            samples_test(b, n, alpha)
        }
        Statistic::Mean => Test::None {
            reason: "no samples behind this value, so no test".into(),
            n: counts,
        },
    }
}

/// Compares one measure of both sides. `borrowed` is each side's batch-means relative
/// half-width for quantiles without per-second values of their own.
pub(crate) fn delta(
    b: &Measure,
    n: &Measure,
    threshold: f64,
    alpha: f64,
    borrowed: (Option<f64>, Option<f64>),
) -> Delta {
    let d = pct(b.value, n.value);
    let beyond = d.abs() >= threshold || d.is_infinite();
    let worse = if b.lower_is_better { d > 0.0 } else { d < 0.0 };
    let mut out = Delta {
        name: b.name.clone(),
        unit: b.unit.clone(),
        base: b.value,
        new: n.value,
        delta_pct: d,
        ci_pct: None,
        p_value: None,
        n: (0, 0),
        method: String::new(),
        lower_is_better: b.lower_is_better,
        verdict: Verdict::NotJudged,
        noise: false,
        note: None,
    };
    match test(b, n, alpha, borrowed) {
        Test::None { reason, n } => {
            out.n = n;
            out.method = "none".into();
            out.note = Some(reason);
        }
        Test::Ran { method, p, ci, n } => {
            let significant = match (p, ci) {
                (Some(p), _) => p < alpha,
                (None, Some((lo, hi))) => lo > 0.0 || hi < 0.0,
                (None, None) => false,
            };
            out.n = n;
            out.method = method.into();
            out.p_value = p;
            out.ci_pct = ci;
            out.noise = beyond && !significant;
            out.verdict = if !beyond || !significant {
                Verdict::Unchanged
            } else if worse {
                Verdict::Regressed
            } else {
                Verdict::Improved
            };
        }
    }
    out
}

/// Two-sided p-value of a standard normal statistic (Abramowitz–Stegun 7.1.26 erfc).
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * x);
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    (poly * (-x * x).exp()).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_mann_whitney_p_values() {
        assert!((smallest_mann_whitney_p(2, 2) - 1.0 / 3.0).abs() < 1e-12);
        assert!((smallest_mann_whitney_p(4, 4) - 2.0 / 70.0).abs() < 1e-12);
        assert!(smallest_mann_whitney_p(20, 20) < 1e-9);
    }

    #[test]
    fn percentile_labels() {
        assert_eq!(percentile_label(0.999), "99.9");
        assert_eq!(percentile_label(0.5), "50");
        assert_eq!(percentile_label(0.95), "95");
    }
}
