//! Empty input, a single value, all-equal values, and non-finite values (rejected: `None` or
//! an empty result, never silently filtered).

use perfhive_stats::{
    bootstrap_ratio, bootstrap_ratio_with, hodges_lehmann, holm_bonferroni, mad_outliers,
    mann_whitney_u, median_ci, student_t_test, summarize, welch_t_test, BootstrapMethod, Statistic,
};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

#[test]
fn empty_inputs() {
    assert!(summarize(&[]).is_none());
    assert!(mad_outliers(&[], 3.5).is_empty());
    assert!(mann_whitney_u(&[], &[1.0]).is_none());
    assert!(mann_whitney_u(&[1.0], &[]).is_none());
    assert!(hodges_lehmann(&[], &[1.0], 0.95).is_none());
    assert!(bootstrap_ratio(&[], &[1.0], Statistic::Mean, 0.95, 100, 1).is_none());
    assert!(welch_t_test(&[], &[1.0, 2.0]).is_none());
    assert!(student_t_test(&[], &[1.0, 2.0]).is_none());
    assert!(holm_bonferroni(&[]).is_empty());
}

#[test]
fn a_single_value() {
    let s = summarize(&[3.5]).unwrap();
    assert_eq!((s.n, s.mean, s.stdev, s.median), (1, 3.5, 0.0, 3.5));
    assert_eq!(
        (s.min, s.max, s.mad, s.median_ci),
        (3.5, 3.5, 0.0, (3.5, 3.5))
    );
    assert_eq!(median_ci(&[3.5], 0.95), (3.5, 3.5));

    let m = mann_whitney_u(&[1.0], &[2.0]).unwrap();
    assert_eq!((m.u, m.p_value, m.effect_size), (0.0, 1.0, -1.0));
    let h = hodges_lehmann(&[1.0], &[4.0], 0.95).unwrap();
    assert_eq!((h.estimate, h.ci), (3.0, (3.0, 3.0)));
    let r = bootstrap_ratio(&[2.0], &[3.0], Statistic::Median, 0.95, 50, 1).unwrap();
    assert_eq!((r.ratio, r.lo, r.hi), (1.5, 1.5, 1.5));
    // The jackknife of BCa needs two values per sample.
    assert!(bootstrap_ratio_with(
        &[2.0],
        &[3.0],
        Statistic::Mean,
        BootstrapMethod::Bca,
        0.95,
        50,
        1
    )
    .is_none());
    // Welch needs two values per sample; Student's test pools, like Otava's.
    assert!(welch_t_test(&[1.0], &[1.0, 2.0]).is_none());
    assert_eq!(student_t_test(&[1.0], &[2.0]), Some(1.0));
    assert!(student_t_test(&[1.0], &[2.0, 2.1, 1.9]).unwrap() < 0.05);
}

#[test]
fn all_equal_values() {
    let xs = [7.0; 12];
    let s = summarize(&xs).unwrap();
    assert_eq!((s.stdev, s.mad, s.median_ci), (0.0, 0.0, (7.0, 7.0)));
    assert!(mad_outliers(&xs, 3.5).is_empty());
    // More than half equal: MAD is 0, the modified z-score is undefined, nothing is flagged.
    assert!(mad_outliers(&[1.0, 1.0, 1.0, 1.0, 50.0], 3.5).is_empty());

    let m = mann_whitney_u(&xs, &[7.0; 5]).unwrap();
    assert_eq!(
        (m.p_value, m.effect_size, m.common_language),
        (1.0, 0.0, 0.5)
    );
    let h = hodges_lehmann(&xs, &[9.0; 5], 0.95).unwrap();
    assert_eq!((h.estimate, h.ci), (2.0, (2.0, 2.0)));
    let r = bootstrap_ratio(&xs, &[14.0; 4], Statistic::Mean, 0.95, 200, 3).unwrap();
    assert_eq!((r.ratio, r.lo, r.hi), (2.0, 2.0, 2.0));
    // Every resampled ratio equals the estimate: no bias, no acceleration (SciPy gives NaN).
    let r = bootstrap_ratio_with(
        &xs,
        &[14.0; 4],
        Statistic::Mean,
        BootstrapMethod::Bca,
        0.95,
        200,
        3,
    )
    .unwrap();
    assert_eq!((r.ratio, r.lo, r.hi), (2.0, 2.0, 2.0));
    assert_eq!(welch_t_test(&xs, &[7.0; 3]), Some(1.0));
    assert_eq!(welch_t_test(&xs, &[8.0; 3]), Some(0.0));
    assert_eq!(student_t_test(&xs, &[8.0; 3]), Some(0.0));
}

#[test]
fn non_finite_values_are_rejected() {
    for bad in [NAN, INF, -INF] {
        let xs = [1.0, bad, 3.0];
        assert!(summarize(&xs).is_none());
        assert!(mad_outliers(&xs, 3.5).is_empty());
        assert!(mann_whitney_u(&xs, &[1.0, 2.0]).is_none());
        assert!(mann_whitney_u(&[1.0, 2.0], &xs).is_none());
        assert!(hodges_lehmann(&xs, &[1.0], 0.95).is_none());
        assert!(bootstrap_ratio(&[1.0, 2.0], &xs, Statistic::Mean, 0.95, 10, 1).is_none());
        assert!(welch_t_test(&xs, &[1.0, 2.0]).is_none());
        assert!(student_t_test(&[1.0, 2.0], &xs).is_none());
    }
    // Holm keeps a NaN p-value in the family (conservative) and reports NaN for it.
    let adj = holm_bonferroni(&[0.01, NAN, 0.02]);
    assert_eq!(adj[0], 0.03);
    assert!(adj[1].is_nan());
    assert_eq!(adj[2], 0.04);
}

#[test]
fn invalid_parameters() {
    let (a, b) = ([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]);
    for level in [0.0, 1.0, -0.5, 1.5, NAN] {
        assert!(hodges_lehmann(&a, &b, level).is_none());
        assert!(bootstrap_ratio(&a, &b, Statistic::Mean, level, 10, 1).is_none());
    }
    assert!(bootstrap_ratio(&a, &b, Statistic::Mean, 0.95, 0, 1).is_none());
    // A zero denominator has no ratio.
    assert!(bootstrap_ratio(&[0.0, 0.0], &b, Statistic::Mean, 0.95, 10, 1).is_none());
}

#[test]
fn mann_whitney_effect_size_signs() {
    let low = [1.0, 2.0, 3.0];
    let high = [10.0, 11.0, 12.0, 13.0];
    let m = mann_whitney_u(&high, &low).unwrap();
    assert_eq!((m.u, m.effect_size, m.common_language), (12.0, 1.0, 1.0));
    let m = mann_whitney_u(&low, &high).unwrap();
    assert_eq!((m.u, m.effect_size, m.common_language), (0.0, -1.0, 0.0));
    // 2 / C(7, 3) = 2/35 for complete separation.
    assert!((m.p_value - 2.0 / 35.0).abs() < 1e-15);
}
