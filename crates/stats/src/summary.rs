//! Descriptive summary of one sample, with a distribution-free confidence interval of the
//! median and outlier flagging.
//!
//! - The median interval uses order statistics: the number of observations below the true
//!   median is Binomial(n, ½), so `[x₍ⱼ₎, x₍ₙ₊₁₋ⱼ₎]` covers it with probability
//!   `1 − 2·P(B ≤ j − 1)` whatever the distribution (Hollander, Wolfe & Chicken, *Nonparametric
//!   Statistical Methods*, 3rd ed., §3.6; the same interval as SciPy's
//!   `quantile_test(x, p=0.5).confidence_interval()`).
//! - Outliers are flagged with the modified z-score of Iglewicz & Hoaglin, *How to Detect and
//!   Handle Outliers* (ASQC, 1993): `Mᵢ = 0.6745 (xᵢ − x̃) / MAD`, flagged when `|Mᵢ| > 3.5`
//!   is the usual rule (hyperfine's `outlier_detection.rs` uses the same).
//! - Quantiles use linear interpolation between order statistics (Hyndman & Fan type 7, the
//!   default of NumPy and R).

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

use crate::{all_finite, mean, median_of_sorted, sample_variance, sorted, valid_confidence};

/// Confidence level of [`Summary::median_ci`].
pub const SUMMARY_CONFIDENCE: f64 = 0.95;

/// The constant of the modified z-score, Φ⁻¹(0.75), which makes `MAD / 0.6745` a consistent
/// estimator of σ for normal data.
pub const MODIFIED_Z_CONSTANT: f64 = 0.6745;

/// Descriptive statistics of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (denominator n − 1); 0 when `n == 1`.
    pub stdev: f64,
    /// Median (mean of the two middle values when `n` is even).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Raw median absolute deviation, `median(|xᵢ − median|)`, not scaled by 1.4826.
    pub mad: f64,
    /// 95% distribution-free confidence interval of the median from order statistics (see
    /// [`median_ci`]); `(min, max)` when the sample is too small (n ≤ 5) to reach 95%.
    pub median_ci: (f64, f64),
}

/// Summarises a sample. `None` when it is empty or contains a non-finite value.
pub fn summarize(xs: &[f64]) -> Option<Summary> {
    if xs.is_empty() || !all_finite(xs) {
        return None;
    }
    let s = sorted(xs);
    let n = s.len();
    let mean = mean(&s);
    let stdev = if n > 1 {
        sample_variance(&s, mean).sqrt()
    } else {
        0.0
    };
    let median = median_of_sorted(&s);
    Some(Summary {
        n,
        mean,
        stdev,
        median,
        min: s[0],
        max: s[n - 1],
        mad: mad_about(&s, median),
        median_ci: median_ci(&s, SUMMARY_CONFIDENCE),
    })
}

/// Raw median absolute deviation of `xs` about `center`.
fn mad_about(xs: &[f64], center: f64) -> f64 {
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - center).abs()).collect();
    crate::median_in_place(&mut dev)
}

/// Distribution-free confidence interval of the median of an ascending sample, from order
/// statistics.
///
/// With `B ~ Binomial(n, ½)` and `α = 1 − confidence`, the interval is `(x₍ⱼ₎, x₍ₙ₊₁₋ⱼ₎)`
/// (1-based order statistics) for the largest `j` with `P(B ≤ j − 1) ≤ α/2`, so its coverage
/// `1 − 2·P(B ≤ j − 1)` is at least `confidence` (the intervals are discrete, so usually
/// above it).
///
/// When no such `j` exists (the sample is too small: n ≤ 5 at 95%) or `confidence ≥ 1`, the
/// widest interval `(min, max)` is returned, whose coverage `1 − 2⁻ⁿ⁺¹` is then below the
/// requested level. A `confidence ≤ 0` (or NaN) gives the median twice. An empty slice gives
/// `(NaN, NaN)`, the only case with NaN.
///
/// `sorted` must be ascending; values are not checked.
pub fn median_ci(sorted: &[f64], confidence: f64) -> (f64, f64) {
    let n = sorted.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    if confidence.is_nan() || confidence <= 0.0 {
        let m = median_of_sorted(sorted);
        return (m, m);
    }
    if !valid_confidence(confidence) {
        return (sorted[0], sorted[n - 1]);
    }
    let j = median_ci_rank(n, confidence).unwrap_or(1);
    (sorted[j - 1], sorted[n - j])
}

/// The 1-based rank `j` of the lower bound of the median interval: the largest `j ≥ 1` with
/// `P(B ≤ j − 1) ≤ (1 − confidence)/2` for `B ~ Binomial(n, ½)`. `None` when even `j = 1`
/// fails (the sample is too small for the level).
pub fn median_ci_rank(n: usize, confidence: f64) -> Option<usize> {
    let half_alpha = (1.0 - confidence) / 2.0;
    let b = Binomial::new(0.5, n as u64).ok()?;
    // P(B ≤ j − 1) grows with j; j never exceeds (n + 1) / 2 since the CDF passes ½ there.
    let mut j = 0;
    while j < n.div_ceil(2) && b.cdf(j as u64) <= half_alpha {
        j += 1;
    }
    (j >= 1).then_some(j)
}

/// The `q`-quantile (0 ≤ q ≤ 1) of an ascending, non-empty sample by linear interpolation
/// between order statistics (Hyndman & Fan type 7, `numpy.percentile`'s default). `q` is
/// clamped to `[0, 1]`. `None` for an empty sample or a NaN `q`.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || q.is_nan() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = h - lo as f64;
    // Same arithmetic as NumPy's `_lerp`, so results agree to the last bit.
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    Some(if frac >= 0.5 {
        b - diff * (1.0 - frac)
    } else {
        a + diff * frac
    })
}

/// Indices (ascending) of the values whose modified z-score `0.6745 (xᵢ − median) / MAD` has
/// an absolute value above `threshold` (Iglewicz & Hoaglin recommend 3.5).
///
/// Returns no index when the MAD is zero (more than half the values are equal: the score is
/// undefined), when `xs` is empty, or when it contains a non-finite value.
pub fn mad_outliers(xs: &[f64], threshold: f64) -> Vec<usize> {
    if xs.is_empty() || !all_finite(xs) {
        return Vec::new();
    }
    let s = sorted(xs);
    let median = median_of_sorted(&s);
    let mad = mad_about(&s, median);
    if mad == 0.0 {
        return Vec::new();
    }
    xs.iter()
        .enumerate()
        .filter(|(_, &x)| (MODIFIED_Z_CONSTANT * (x - median) / mad).abs() > threshold)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_like_numpy() {
        let s = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&s, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&s, 1.0), Some(8.0));
        assert_eq!(quantile_sorted(&s, 0.5), Some(3.0));
        assert_eq!(quantile_sorted(&s, 0.25), Some(1.75));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn median_ci_rank_matches_textbook_table() {
        // Hollander & Wolfe: n = 10 at 95% → (x₍₂₎, x₍₉₎); n = 6 → (x₍₁₎, x₍₆₎).
        assert_eq!(median_ci_rank(10, 0.95), Some(2));
        assert_eq!(median_ci_rank(6, 0.95), Some(1));
        assert_eq!(median_ci_rank(5, 0.95), None);
        assert_eq!(median_ci_rank(1, 0.95), None);
    }

    #[test]
    fn median_ci_degenerate_levels() {
        let s = [1.0, 2.0, 3.0];
        assert_eq!(median_ci(&s, 1.0), (1.0, 3.0));
        assert_eq!(median_ci(&s, 0.0), (2.0, 2.0));
        assert!(median_ci(&[], 0.95).0.is_nan());
    }
}
