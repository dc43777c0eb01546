//! The Mann–Whitney U test (Mann & Whitney, "On a Test of Whether one of Two Random Variables
//! is Stochastically Larger than the Other", Ann. Math. Statist. 18(1), 1947), two-sided, as
//! `scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method='auto')` computes it
//! (SciPy ≥ 1.11):
//!
//! - `U` is the statistic of the first sample, `R₁ − n₁(n₁+1)/2` with mid-ranks for ties.
//! - **Exact** null distribution when at least one sample has ≤ 8 values and there are no
//!   ties. The p-value is `2·P(U ≥ max(U₁, U₂))`, summed in the same order as SciPy so that
//!   the results agree to the last bit. The counts come from the generating function of the
//!   statistic, the Gaussian binomial coefficient `[n₁+n₂ choose n₁]_q = ∏ᵢ (1 − q^{n₂+i}) /
//!   (1 − q^i)` (Andrews, *The Theory of Partitions*, 1976, §3.3), in exact integer arithmetic.
//! - Otherwise the **normal approximation** with tie correction and continuity correction
//!   (`σ² = n₁n₂/12 · ((n+1) − Σ(t³ − t)/(n(n−1)))`, Lehmann, *Nonparametrics*, 1975).
//!
//! The effect size is the rank-biserial correlation (Kerby, "The simple difference formula",
//! Comprehensive Psychology 3, 2014), with the common-language effect size (McGraw & Wong,
//! 1992) alongside.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::all_finite;

/// Result of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of the first sample (`a`): the number of pairs `(aᵢ, bⱼ)` with `aᵢ > bⱼ`, ties counting
    /// ½ — the statistic SciPy reports.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Rank-biserial correlation `r = 2U/(n₁n₂) − 1` in [−1, 1]: `P(a > b) − P(a < b)` over
    /// all pairs; positive when `a` tends to be larger than `b`, 0 for no effect.
    pub effect_size: f64,
    /// Common-language effect size `U/(n₁n₂)` in [0, 1]: `P(a > b) + ½·P(a = b)` over all
    /// pairs (the probability of superiority); ½ for no effect.
    pub common_language: f64,
    /// Which null distribution gave the p-value.
    pub method: MwuMethod,
}

/// How the p-value of a Mann–Whitney test was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MwuMethod {
    /// The exact permutation distribution of U (no ties, a sample of ≤ 8 values).
    Exact,
    /// The normal approximation with tie and continuity corrections.
    Asymptotic,
}

/// The largest sample size for which SciPy's `method='auto'` may choose the exact distribution
/// (when the other sample is of any size and there are no ties).
pub const EXACT_MAX_SMALLER_SAMPLE: usize = 8;

/// Two-sided Mann–Whitney U test of `a` against `b`, matching SciPy's `method='auto'` (see the
/// module docs). `None` when a sample is empty or contains a non-finite value.
///
/// One deviation: when the exact counts would not fit in 128-bit integers (a sample of ≤ 8
/// against one of more than ~49 000 values), the normal approximation is used, which is then
/// indistinguishable from the exact distribution.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() || !all_finite(a) || !all_finite(b) {
        return None;
    }
    let (n1, n2) = (a.len(), b.len());
    let ranked = rank_pooled(a, b);
    let u1 = ranked.rank_sum_a - (n1 * (n1 + 1)) as f64 / 2.0;
    let nn = (n1 * n2) as f64;
    let u2 = nn - u1;
    let u = u1.max(u2);
    let ties = ranked.tie_term > 0.0;
    let use_exact = (n1 <= EXACT_MAX_SMALLER_SAMPLE || n2 <= EXACT_MAX_SMALLER_SAMPLE)
        && !ties
        && exact_is_representable(n1, n2);
    let (p, method) = if use_exact {
        (exact_two_sided_p(n1, n2, u as u64), MwuMethod::Exact)
    } else {
        (
            asymptotic_two_sided_p(u, n1, n2, ranked.tie_term),
            MwuMethod::Asymptotic,
        )
    };
    Some(MannWhitney {
        u: u1,
        p_value: p.clamp(0.0, 1.0),
        effect_size: 2.0 * u1 / nn - 1.0,
        common_language: u1 / nn,
        method,
    })
}

/// Mid-ranks of the pooled sample, reduced to what the test needs.
struct PooledRanks {
    /// Sum of the (mid-)ranks of the first sample's values, 1-based.
    rank_sum_a: f64,
    /// `Σ (t³ − t)` over groups of `t` tied values.
    tie_term: f64,
}

/// Ranks `a ∪ b` with mid-ranks for ties (`scipy.stats.rankdata(method='average')`).
fn rank_pooled(a: &[f64], b: &[f64]) -> PooledRanks {
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < pooled.len() {
        let mut j = i + 1;
        // -0.0 and 0.0 are tied, as in SciPy.
        while j < pooled.len() && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j share their mean.
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        let from_a = pooled[i..j].iter().filter(|p| p.1).count();
        rank_sum_a += mid_rank * from_a as f64;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    PooledRanks {
        rank_sum_a,
        tie_term,
    }
}

/// Normal approximation of `2·P(U ≥ u)` with tie and continuity corrections (as SciPy's
/// `_get_mwu_z`); `u` is the larger of U₁ and U₂.
fn asymptotic_two_sided_p(u: f64, n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let n = n1f + n2f;
    let mu = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if var.is_nan() || var <= 0.0 {
        // Every value is the same: no evidence of a difference.
        return 1.0;
    }
    let z = (u - mu - 0.5) / var.sqrt();
    2.0 * standard_normal().sf(z)
}

/// The standard normal distribution.
pub(crate) fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("valid parameters")
}

/// Whether the exact counts of U for sizes `n1`, `n2` fit comfortably in an `i128`:
/// `C(n1+n2, min)·(n1+n2) < 2^125` leaves room for the intermediate values of
/// [`u_null_counts`] (at most twice the final counts) and [`binomial_i128`].
pub(crate) fn exact_is_representable(n1: usize, n2: usize) -> bool {
    let (m, n) = (n1.min(n2), n1.max(n2));
    let mut log2 = ((n + m) as f64).log2();
    for i in 1..=m {
        log2 += ((n + i) as f64 / i as f64).log2();
    }
    log2 < 125.0
}

/// Counts of arrangements with `U = u` for `u` in `0..=max_u` under the null hypothesis: the
/// coefficients of the Gaussian binomial `[n1+n2 choose n1]_q`, truncated at degree `max_u`.
/// They sum (untruncated) to `C(n1+n2, n1)`. The caller checks
/// [`exact_is_representable`].
pub(crate) fn u_null_counts(n1: usize, n2: usize, max_u: usize) -> Vec<i128> {
    let (m, n) = (n1.min(n2), n1.max(n2));
    let mut c = vec![0i128; max_u + 1];
    c[0] = 1;
    for i in 1..=m {
        // Multiply by (1 − q^(n+i)): from the top so each term reads the old value.
        let k = n + i;
        for d in (k..=max_u).rev() {
            c[d] -= c[d - k];
        }
        // Divide by (1 − q^i): r[d] = p[d] + r[d − i], from the bottom.
        for d in i..=max_u {
            c[d] += c[d - i];
        }
    }
    c
}

/// `C(n, k)` in floating point exactly as `scipy.special.binom` computes it for integer
/// arguments with k < 20 (a running product, rescaled past 1e50), so that exact p-values agree
/// with SciPy to the last bit.
fn binom_like_scipy(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    let (n, kf) = (n as f64, k as f64);
    let mut num = 1.0f64;
    let mut den = 1.0f64;
    for i in 1..=k {
        num *= i as f64 + n - kf;
        den *= i as f64;
        if num.abs() > 1e50 {
            num /= den;
            den = 1.0;
        }
    }
    num / den
}

/// Exact `2·P(U ≥ u)` for `u ≥ n1·n2/2`, computed like SciPy's `_MWU.sf`: by symmetry, the
/// cumulative sum of the probabilities of `0..=n1·n2 − u`.
fn exact_two_sided_p(n1: usize, n2: usize, u: u64) -> f64 {
    let kc = (n1 * n2) as u64 - u;
    let counts = u_null_counts(n1, n2, kc as usize);
    let total = if n1.min(n2) < 20 {
        binom_like_scipy(n1 + n2, n1.min(n2))
    } else {
        // Not reached through `mann_whitney_u` (the smaller sample has ≤ 8 values).
        binomial_i128(n1 + n2, n1) as f64
    };
    let mut cdf = 0.0;
    for &c in &counts {
        cdf += c as f64 / total;
    }
    2.0 * cdf
}

/// `C(n, k)` in exact integer arithmetic; the caller keeps `C(n, k)·n` below 2¹²⁷ (see
/// [`exact_is_representable`]).
pub(crate) fn binomial_i128(n: usize, k: usize) -> i128 {
    let k = k.min(n - k);
    let mut c: i128 = 1;
    for i in 1..=k {
        // C(n − k + i, i) = C(n − k + i − 1, i − 1) · (n − k + i) / i, exactly.
        c = c * (n - k + i) as i128 / i as i128;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_counts_sum_to_binomial_and_are_symmetric() {
        let (n1, n2) = (4, 6);
        let c = u_null_counts(n1, n2, n1 * n2);
        assert_eq!(c.iter().sum::<i128>(), 210);
        for u in 0..=n1 * n2 {
            assert_eq!(c[u], c[n1 * n2 - u]);
        }
        assert_eq!(&c[..4], &[1, 1, 2, 3]);
    }

    #[test]
    fn binomial_is_exact() {
        assert_eq!(binomial_i128(10, 5), 252);
        assert_eq!(binomial_i128(60, 30), 118_264_581_564_861_424);
        assert!(exact_is_representable(60, 60));
        assert!(!exact_is_representable(70, 70));
        assert!(exact_is_representable(8, 10_000));
    }

    #[test]
    fn binom_like_scipy_is_exact_for_small_values() {
        assert_eq!(binom_like_scipy(16, 8), 12870.0);
        assert_eq!(binom_like_scipy(10, 7), 120.0);
    }
}
