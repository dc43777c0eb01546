//! Comparison with `tests/fixtures/reference.json`, produced by SciPy, statsmodels and Apache
//! Otava (see `tests/fixtures/make_fixtures.py` for how each section is computed).

use std::sync::OnceLock;

use perfhive_stats::{
    bootstrap_ratio_with, change_points_with, hodges_lehmann, holm_bonferroni, mad_outliers,
    mann_whitney_u, median_ci, shift::moses_rank, student_t_test, summarize, welch_t_test,
    BootstrapMethod, ChangePointOptions, MwuMethod, Statistic,
};
use serde::Deserialize;

use crate::assert_rel;

#[derive(Deserialize)]
struct Reference {
    mann_whitney: Vec<MwuCase>,
    hodges_lehmann: Vec<HlCase>,
    median_ci: Vec<MedianCiCase>,
    summary: Vec<SummaryCase>,
    mad_outliers: Vec<OutlierCase>,
    holm: Vec<HolmCase>,
    ttest: Vec<TTestCase>,
    bootstrap: Vec<BootstrapCase>,
    change_points: Vec<ChangePointCase>,
}

#[derive(Deserialize)]
struct MwuCase {
    name: String,
    a: Vec<f64>,
    b: Vec<f64>,
    u: f64,
    p_value: f64,
    method: MwuMethod,
}

#[derive(Deserialize)]
struct HlCase {
    name: String,
    a: Vec<f64>,
    b: Vec<f64>,
    confidence: f64,
    estimate: f64,
    k: usize,
    ci: (f64, f64),
}

#[derive(Deserialize)]
struct MedianCiCase {
    x: Vec<f64>,
    confidence: f64,
    ci: (f64, f64),
}

#[derive(Deserialize)]
struct SummaryCase {
    name: String,
    x: Vec<f64>,
    n: usize,
    mean: f64,
    stdev: f64,
    median: f64,
    min: f64,
    max: f64,
    mad: f64,
    median_ci: (f64, f64),
}

#[derive(Deserialize)]
struct OutlierCase {
    x: Vec<f64>,
    threshold: f64,
    outliers: Vec<usize>,
}

#[derive(Deserialize)]
struct HolmCase {
    p: Vec<f64>,
    adjusted: Vec<f64>,
}

#[derive(Deserialize)]
struct TTestCase {
    a: Vec<f64>,
    b: Vec<f64>,
    welch_p: f64,
    student_p: f64,
}

#[derive(Deserialize)]
struct BootstrapCase {
    name: String,
    a: Vec<f64>,
    b: Vec<f64>,
    statistic: Statistic,
    method: BootstrapMethod,
    confidence: f64,
    ratio: f64,
    lo: f64,
    hi: f64,
}

#[derive(Deserialize)]
struct ChangePointCase {
    name: String,
    series: Vec<f64>,
    max_p_value: f64,
    min_segment: usize,
    window: usize,
    min_magnitude: f64,
    change_points: Vec<RefChangePoint>,
}

#[derive(Deserialize)]
struct RefChangePoint {
    index: usize,
    p_value: f64,
    mean_before: f64,
    mean_after: f64,
    change_pct: f64,
}

fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/reference.json"))
            .expect("reference.json parses")
    })
}

#[test]
fn mann_whitney_matches_scipy() {
    let cases = &reference().mann_whitney;
    assert!(
        cases
            .iter()
            .filter(|c| c.method == MwuMethod::Exact)
            .count()
            >= 5
    );
    assert!(
        cases
            .iter()
            .filter(|c| c.method == MwuMethod::Asymptotic)
            .count()
            >= 5
    );
    for c in cases {
        let r = mann_whitney_u(&c.a, &c.b).unwrap();
        assert_eq!(r.u, c.u, "{}: U", c.name);
        assert_eq!(r.method, c.method, "{}: method", c.name);
        match c.method {
            // Same counts, same summation order as SciPy: identical to the last bit.
            MwuMethod::Exact => assert_eq!(r.p_value, c.p_value, "{}: exact p", c.name),
            MwuMethod::Asymptotic => assert_rel(r.p_value, c.p_value, 1e-6, &c.name),
        }
        let nn = (c.a.len() * c.b.len()) as f64;
        assert_eq!(r.effect_size, 2.0 * c.u / nn - 1.0, "{}", c.name);
    }
}

#[test]
fn hodges_lehmann_matches_independent_computation() {
    for c in &reference().hodges_lehmann {
        assert_eq!(
            moses_rank(c.a.len(), c.b.len(), c.confidence),
            c.k,
            "{}: Moses rank",
            c.name
        );
        let s = hodges_lehmann(&c.a, &c.b, c.confidence).unwrap();
        assert_eq!(s.estimate, c.estimate, "{}: estimate", c.name);
        assert_eq!(s.ci, c.ci, "{}: interval", c.name);
    }
}

#[test]
fn median_ci_matches_scipy_quantile_test() {
    for c in &reference().median_ci {
        let mut s = c.x.clone();
        s.sort_by(f64::total_cmp);
        assert_eq!(
            median_ci(&s, c.confidence),
            c.ci,
            "n = {} at {}",
            c.x.len(),
            c.confidence
        );
    }
}

#[test]
fn summary_matches_numpy() {
    for c in &reference().summary {
        let s = summarize(&c.x).unwrap();
        assert_eq!(s.n, c.n);
        assert_rel(s.mean, c.mean, 1e-13, &c.name);
        assert_rel(s.stdev, c.stdev, 1e-12, &c.name);
        assert_eq!(
            (s.median, s.min, s.max, s.mad),
            (c.median, c.min, c.max, c.mad),
            "{}",
            c.name
        );
        assert_eq!(s.median_ci, c.median_ci, "{}", c.name);
    }
}

#[test]
fn mad_outliers_match_numpy() {
    for c in &reference().mad_outliers {
        assert_eq!(mad_outliers(&c.x, c.threshold), c.outliers, "{:?}", c.x);
    }
}

#[test]
fn holm_matches_statsmodels() {
    for c in &reference().holm {
        let adj = holm_bonferroni(&c.p);
        assert_eq!(adj.len(), c.adjusted.len());
        for (got, want) in adj.iter().zip(&c.adjusted) {
            assert!((got - want).abs() <= 1e-12, "{:?}: {got} vs {want}", c.p);
        }
    }
}

#[test]
fn t_tests_match_scipy() {
    for c in &reference().ttest {
        assert_rel(welch_t_test(&c.a, &c.b).unwrap(), c.welch_p, 1e-9, "Welch");
        assert_rel(
            student_t_test(&c.a, &c.b).unwrap(),
            c.student_p,
            1e-9,
            "Student",
        );
    }
}

#[test]
fn bootstrap_lands_near_scipy() {
    for c in &reference().bootstrap {
        let r = bootstrap_ratio_with(
            &c.a,
            &c.b,
            c.statistic,
            c.method,
            c.confidence,
            20_000,
            20_251_123,
        )
        .unwrap();
        assert_rel(r.ratio, c.ratio, 1e-12, &c.name);
        // Different generators: the bounds agree up to Monte-Carlo error, well within 2% of
        // the ratio (and each bound within 2% of SciPy's).
        for (got, want, which) in [(r.lo, c.lo, "lo"), (r.hi, c.hi, "hi")] {
            assert!(
                (got - want).abs() <= 0.02 * c.ratio.abs(),
                "{} {which}: got {got}, SciPy {want}",
                c.name
            );
            assert_rel(got, want, 0.02, &c.name);
        }
    }
}

#[test]
fn change_points_match_otava() {
    for c in &reference().change_points {
        let got = change_points_with(
            &c.series,
            &ChangePointOptions {
                max_p_value: c.max_p_value,
                min_segment: c.min_segment,
                window: c.window,
                min_magnitude: c.min_magnitude,
            },
        );
        let got_idx: Vec<usize> = got.iter().map(|p| p.index).collect();
        let want_idx: Vec<usize> = c.change_points.iter().map(|p| p.index).collect();
        assert_eq!(got_idx, want_idx, "{}: indices", c.name);
        for (g, w) in got.iter().zip(&c.change_points) {
            let what = format!("{} at {}", c.name, w.index);
            assert_rel(g.p_value, w.p_value, 1e-6, &what);
            assert_rel(g.mean_before, w.mean_before, 1e-12, &what);
            assert_rel(g.mean_after, w.mean_after, 1e-12, &what);
            assert!((g.change_pct - w.change_pct).abs() < 1e-9, "{what}");
        }
    }
}
