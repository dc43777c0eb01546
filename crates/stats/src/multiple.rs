//! Multiple-comparison adjustment: Holm's step-down procedure (Holm, "A Simple Sequentially
//! Rejective Multiple Test Procedure", Scand. J. Statist. 6(2), 1979), reported as adjusted
//! p-values like `statsmodels.stats.multitest.multipletests(p, method='holm')`.
//!
//! With the `m` p-values in ascending order `p₍₁₎ ≤ … ≤ p₍ₘ₎`, the adjusted value of the
//! `i`-th is `min(1, maxⱼ≤ᵢ (m − j + 1)·p₍ⱼ₎)`. Rejecting the hypotheses whose adjusted p-value
//! is ≤ α controls the family-wise error rate at α under any dependence.

/// Holm-adjusted p-values, in input order: monotone in the raw p-values and capped at 1.
///
/// NaN p-values (a comparison that could not be computed) still count in the family size `m`
/// — the conservative choice — and their adjusted value is NaN. An empty input gives an empty
/// output.
pub fn holm_bonferroni(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    // NaN sorts after every number, i.e. is treated as the least significant.
    order.sort_by(|&i, &j| {
        let (a, b) = (p_values[i], p_values[j]);
        match (a.is_nan(), b.is_nan()) {
            (false, false) => a.total_cmp(&b),
            (x, y) => x.cmp(&y),
        }
    });
    let mut adjusted = vec![f64::NAN; m];
    let mut running_max = f64::NEG_INFINITY;
    for (rank, &i) in order.iter().enumerate() {
        let p = p_values[i];
        if p.is_nan() {
            break;
        }
        running_max = running_max.max((m - rank) as f64 * p);
        adjusted[i] = running_max.min(1.0);
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_small_example() {
        let adj = holm_bonferroni(&[0.01, 0.04, 0.03]);
        assert_eq!(adj, [0.03, 0.06, 0.06]);
    }

    #[test]
    fn nan_counts_in_the_family() {
        let adj = holm_bonferroni(&[0.01, f64::NAN]);
        assert_eq!(adj[0], 0.02);
        assert!(adj[1].is_nan());
        assert!(holm_bonferroni(&[]).is_empty());
    }
}
