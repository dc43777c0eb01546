//! Monotonic trend in a time series — a leak (RSS, open file descriptors, threads growing
//! steadily) or any drift — estimated and tested without assuming linearity or normal noise:
//!
//! - **slope**: the Theil–Sen estimator (Theil, "A rank-invariant method of linear and
//!   polynomial regression analysis", Proc. KNAW 53, 1950; Sen, "Estimates of the regression
//!   coefficient based on Kendall's tau", JASA 63(324), 1968): the median of the slopes
//!   `(yⱼ − yᵢ)/(tⱼ − tᵢ)` over all pairs with `tᵢ < tⱼ`, with Conover's intercept
//!   `median(y) − slope·median(t)`, as `scipy.stats.theilslopes(y, t)`;
//! - **test**: the two-sided Mann–Kendall test (Mann, "Nonparametric tests against trend",
//!   Econometrica 13(3), 1945; Kendall, *Rank Correlation Methods*, 1975), as
//!   `pymannkendall.original_test` (Hussain & Mahmud, JOSS 4(39), 2019):
//!   `S = Σᵢ<ⱼ sign(tⱼ − tᵢ)·sign(yⱼ − yᵢ)`, its null variance corrected for ties,
//!   `z = (S − sign S)/√Var S` (continuity correction) and `p = 2·(1 − Φ(|z|))`;
//!   `tau = S / (n(n − 1)/2)` (Kendall's τ-a, pymannkendall's `Tau`).
//!
//! pymannkendall takes the series in order, one sample per time step; here the times are
//! explicit and need not be sorted or evenly spaced. For strictly increasing `t` the statistic
//! and variance are pymannkendall's exactly. Pairs with equal times count 0 in `S`, and the
//! variance then also carries Kendall's correction for ties in `t`
//! (`Var S = [v₀ − Σ tₖ(tₖ−1)(2tₖ+5) − Σ uₗ(uₗ−1)(2uₗ+5)]/18 + …`, Kendall 1970 §4.4, the one
//! `scipy.stats.kendalltau` uses), which reduces to the Mann–Kendall variance without time ties.
//! `scipy.stats.kendalltau(t, y)` is the same test without the continuity correction (and with
//! τ-b instead of τ-a).
//!
//! The test assumes independent observations around the trend; strong autocorrelation (a
//! smoothed or coarsely sampled gauge) makes the p-value optimistic, so pair a small p-value
//! with a slope that matters in absolute terms.
//!
//! Cost: O(n²) time, and O(n²) memory for the Theil–Sen slopes (n = 2 000 samples make 2 M
//! slopes, 16 MB): aggregate long, finely sampled series first (e.g. per-second values).

use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc;

use crate::{all_finite, median_in_place, sorted};

/// A monotonic trend of `y` over time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Theil–Sen slope, in units of `y` per unit of `t` (per second when `t` is in seconds).
    pub slope_per_s: f64,
    /// Intercept `median(y) − slope·median(t)`: the fitted value at `t = 0`.
    pub intercept: f64,
    /// Two-sided Mann–Kendall p-value (tie-corrected, with continuity correction).
    pub p_value: f64,
    /// Mann–Kendall τ: `S / (n(n − 1)/2)`, in [−1, 1], positive for growth.
    pub tau: f64,
}

/// Theil–Sen slope and Mann–Kendall test of `y` measured at times `t` (see the module docs).
///
/// `None` when the slices differ in length, a value is non-finite, or there are fewer than two
/// distinct times.
pub fn trend(t: &[f64], y: &[f64]) -> Option<Trend> {
    let n = t.len();
    if n != y.len() || n < 2 || !all_finite(t) || !all_finite(y) {
        return None;
    }
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            let dt = t[j] - t[i];
            let dy = y[j] - y[i];
            s += sign(dt) * sign(dy);
            if dt != 0.0 {
                slopes.push(dy / dt);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let slope = median_in_place(&mut slopes);
    drop(slopes);
    let ts = sorted(t);
    let ys = sorted(y);
    let intercept = crate::median_of_sorted(&ys) - slope * crate::median_of_sorted(&ts);

    let var_s = kendall_variance(n, &tie_sizes(&ts), &tie_sizes(&ys));
    let p_value = if s == 0 || var_s.is_nan() || var_s <= 0.0 {
        1.0
    } else {
        let sf = s as f64;
        let z = (sf - sf.signum()) / var_s.sqrt();
        // 2·(1 − Φ(|z|)) = erfc(|z|/√2), without cancellation for small p.
        erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
    };
    let nf = n as f64;
    Some(Trend {
        slope_per_s: slope,
        intercept,
        p_value,
        tau: s as f64 / (nf * (nf - 1.0) / 2.0),
    })
}

fn sign(v: f64) -> i64 {
    if v > 0.0 {
        1
    } else if v < 0.0 {
        -1
    } else {
        0
    }
}

/// Sizes of the groups of equal values (> 1) in an ascending slice.
fn tie_sizes(sorted: &[f64]) -> Vec<f64> {
    sorted
        .chunk_by(|a, b| a == b)
        .filter(|g| g.len() > 1)
        .map(|g| g.len() as f64)
        .collect()
}

/// Null variance of `S` with ties `tx` in one variable and `ty` in the other (Kendall 1970).
fn kendall_variance(n: usize, tx: &[f64], ty: &[f64]) -> f64 {
    let nf = n as f64;
    let v = |ts: &[f64]| {
        ts.iter()
            .map(|t| t * (t - 1.0) * (2.0 * t + 5.0))
            .sum::<f64>()
    };
    let s1 = |ts: &[f64]| ts.iter().map(|t| t * (t - 1.0)).sum::<f64>();
    let s2 = |ts: &[f64]| ts.iter().map(|t| t * (t - 1.0) * (t - 2.0)).sum::<f64>();
    let mut var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - v(tx) - v(ty)) / 18.0;
    if !tx.is_empty() && !ty.is_empty() {
        if n > 2 {
            var += s2(tx) * s2(ty) / (9.0 * nf * (nf - 1.0) * (nf - 2.0));
        }
        var += s1(tx) * s1(ty) / (2.0 * nf * (nf - 1.0));
    }
    var
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_without_ties_is_mann_kendall() {
        assert_eq!(kendall_variance(10, &[], &[]), 10.0 * 9.0 * 25.0 / 18.0);
        // Ties only in y: pymannkendall's correction.
        let v = kendall_variance(10, &[], &[3.0, 2.0]);
        assert!((v - (10.0 * 9.0 * 25.0 - 3.0 * 2.0 * 11.0 - 2.0 * 9.0) / 18.0).abs() < 1e-12);
    }

    #[test]
    fn tie_groups() {
        assert_eq!(tie_sizes(&[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]), vec![2.0, 3.0]);
        assert!(tie_sizes(&[1.0, 2.0]).is_empty());
    }
}
