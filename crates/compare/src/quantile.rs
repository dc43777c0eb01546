//! Confidence intervals of a latency quantile of one run.
//!
//! - **Order statistics** (distribution-free): with `n` observations, the interval between the
//!   `l`-th and `u`-th smallest covers the quantile `q` with probability
//!   `F(u−1) − F(l−1)`, `F` the Binomial(n, q) CDF; `l` and `u` are the exact binomial ranks
//!   (Conover, *Practical Nonparametric Statistics*, 3rd ed., §3.2; Hahn & Meeker,
//!   *Statistical Intervals*, §5.2). They exist only when `max(q, 1−q)^n ≤ α/2`: an extreme
//!   quantile of few observations has no upper bound (p99.9 needs 3,688 observations), and the
//!   comparison says so rather than inventing one.
//! - **Batch means**: the order-statistic interval assumes independent requests, but the
//!   requests of one run share the machine's state (a stall slows a whole second). The spread
//!   of the same quantile over one-second batches gives a half-width `t(k−1) · s / √k`
//!   (Law & Kelton, *Simulation Modeling and Analysis*, §9.5.3; Seila, "A batching approach to
//!   quantile estimation in regenerative simulations", Management Science 28(5), 1982). The
//!   interval of a side is the union of both, so correlated noise widens it and it is never
//!   narrower than the independent case.

use perfhive_core::LatencyHistogram;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, StudentsT};

/// The fewest observations for which a two-sided order-statistic interval of quantile `q` at
/// `confidence` exists.
pub fn min_observations(q: f64, confidence: f64) -> u64 {
    let alpha_half = (1.0 - confidence) / 2.0;
    let extreme = q.max(1.0 - q).clamp(f64::MIN_POSITIVE, 1.0 - 1e-12);
    (alpha_half.ln() / extreme.ln()).ceil().max(1.0) as u64
}

/// The exact ranks (1-based) `(l, u)` of a distribution-free interval of quantile `q` from `n`
/// observations at `confidence`, or `None` when `n` is too small for one.
pub fn ranks(n: u64, q: f64, confidence: f64) -> Option<(u64, u64)> {
    if n == 0 || !(0.0..=1.0).contains(&q) || n < min_observations(q, confidence) {
        return None;
    }
    let b = Binomial::new(q, n).ok()?;
    let alpha_half = (1.0 - confidence) / 2.0;
    // l − 1 = the largest k with F(k) ≤ α/2; u − 1 = the smallest k with F(k) ≥ 1 − α/2.
    let (mut lo, mut hi) = (0u64, n - 1);
    if b.cdf(0) > alpha_half {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if b.cdf(mid) <= alpha_half {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let l = lo + 1;
    let (mut lo, mut hi) = (0u64, n - 1);
    if b.cdf(n - 1) < 1.0 - alpha_half {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if b.cdf(mid) >= 1.0 - alpha_half {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some((l, lo + 1))
}

/// The value of the `r`-th smallest observation (1-based) of a histogram, ms.
fn at_rank(h: &LatencyHistogram, r: u64) -> Option<f64> {
    h.quantile_ms((r as f64 - 0.5) / h.len() as f64)
}

/// Order-statistic 95% interval of quantile `q` of a histogram, ms.
pub fn order_statistic_interval(h: &LatencyHistogram, q: f64) -> Option<(f64, f64)> {
    let (l, u) = ranks(h.len(), q, 0.95)?;
    Some((at_rank(h, l)?, at_rank(h, u)?))
}

/// Relative half-width of the 95% batch-means interval of a statistic observed over batches:
/// `t(k−1, 0.975) · s / (√k · mean)`; `None` with fewer than two batches.
pub fn batch_relative_half_width(batches: &[f64]) -> Option<f64> {
    let k = batches.len();
    if k < 2 {
        return None;
    }
    let mean = batches.iter().sum::<f64>() / k as f64;
    if !(mean.is_finite() && mean > 0.0) {
        return None;
    }
    let var = batches.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (k - 1) as f64)
        .ok()?
        .inverse_cdf(0.975);
    Some(t * (var / k as f64).sqrt() / mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_quantiles_need_enough_observations() {
        // p99.9 of 200 requests has no interval
        assert_eq!(min_observations(0.999, 0.95), 3_688);
        assert_eq!(ranks(200, 0.999, 0.95), None);
        assert_eq!(min_observations(0.99, 0.95), 368);
        assert_eq!(ranks(200, 0.99, 0.95), None);
        assert!(ranks(400, 0.99, 0.95).is_some());
        assert_eq!(min_observations(0.5, 0.95), 6);
        assert_eq!(ranks(5, 0.5, 0.95), None);
    }

    #[test]
    fn median_ranks_match_the_binomial_table() {
        // Conover's Table A3 / the classic sign-test ranks: n = 20 → (6, 15); n = 10 → (2, 9)
        assert_eq!(ranks(20, 0.5, 0.95), Some((6, 15)));
        assert_eq!(ranks(10, 0.5, 0.95), Some((2, 9)));
        // coverage of the ranks is at least the confidence
        for (n, q) in [(200u64, 0.9), (5_000, 0.99), (100_000, 0.999), (37, 0.5)] {
            let (l, u) = ranks(n, q, 0.95).unwrap();
            let b = Binomial::new(q, n).unwrap();
            let coverage = b.cdf(u - 1) - b.cdf(l - 1);
            assert!(coverage >= 0.95, "n={n} q={q} ({l},{u}) {coverage}");
            assert!(l <= (n as f64 * q).ceil() as u64 && u >= (n as f64 * q) as u64);
        }
    }

    #[test]
    fn batch_means_widen_with_the_spread_between_seconds() {
        let calm = batch_relative_half_width(&[1.0, 1.01, 0.99, 1.0, 1.0]).unwrap();
        let stalled = batch_relative_half_width(&[1.0, 3.0, 0.9, 1.1, 1.0]).unwrap();
        assert!(calm < 0.02 && stalled > 0.5, "{calm} {stalled}");
        // two batches: t(1) = 12.7, so little can be said
        let two = batch_relative_half_width(&[0.59, 1.48]).unwrap();
        assert!(two > 4.0, "{two}");
        assert_eq!(batch_relative_half_width(&[1.0]), None);
    }
}
