//! The sweep and resource methods (USL fit, Kneedle knee, Theil–Sen / Mann–Kendall trend,
//! Little's law): recovery of known parameters from synthetic data, and agreement with
//! `tests/fixtures/reference_sweep.json` (SciPy, kneed, pymannkendall; see
//! `tests/fixtures/make_fixtures_sweep.py`).

use std::sync::OnceLock;

use perfhive_stats::rng::Xoshiro256StarStar;
use perfhive_stats::{fit_usl, knee, knee_with, littles_law_check, trend, usl_predict, UslFit};
use serde::Deserialize;

use crate::assert_rel;

#[derive(Deserialize)]
struct Reference {
    usl: Vec<UslCase>,
    knee: Vec<KneeCase>,
    trend: Vec<TrendCase>,
}

#[derive(Deserialize)]
struct UslCase {
    name: String,
    n: Vec<f64>,
    x: Vec<f64>,
    lambda: f64,
    sigma: f64,
    kappa: f64,
    sse: f64,
    r_squared: f64,
    peak_n: Option<f64>,
}

#[derive(Deserialize)]
struct KneeCase {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    sensitivity: f64,
    knee: Option<usize>,
}

#[derive(Deserialize)]
struct TrendCase {
    name: String,
    t: Vec<f64>,
    y: Vec<f64>,
    slope: f64,
    intercept: f64,
    p_value: f64,
    tau: f64,
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/reference_sweep.json")).unwrap()
    })
}

fn usl(lambda: f64, sigma: f64, kappa: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

fn sse(fit: &UslFit, n: &[f64], x: &[f64]) -> f64 {
    n.iter()
        .zip(x)
        .map(|(&n, &x)| (x - usl_predict(fit, n)).powi(2))
        .sum()
}

/// Multiplicative noise uniform in ±`spread`, from a fixed seed.
fn noisy(values: &[f64], spread: f64, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256StarStar::seed_from_u64(seed);
    values
        .iter()
        .map(|v| v * (1.0 + spread * (2.0 * rng.next_f64() - 1.0)))
        .collect()
}

// ------------------------------------------------------------------------------------- USL

#[test]
fn usl_recovers_known_parameters() {
    let levels = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
    for (lambda, sigma, kappa) in [
        (1000.0, 0.05, 0.002),
        (250.0, 0.3, 0.0001),
        (40.0, 0.01, 0.00002),
        (5000.0, 0.1, 0.0),
    ] {
        let x: Vec<f64> = levels
            .iter()
            .map(|&n| usl(lambda, sigma, kappa, n))
            .collect();
        let fit = fit_usl(&levels, &x).unwrap();
        assert_rel(fit.lambda, lambda, 1e-7, "lambda");
        assert!((fit.sigma - sigma).abs() < 1e-8, "{fit:?}");
        assert!((fit.kappa - kappa).abs() < 1e-10, "{fit:?}");
        assert!(fit.r_squared > 1.0 - 1e-12, "{fit:?}");
        if kappa > 0.0 {
            let peak = ((1.0 - sigma) / kappa).sqrt();
            assert_rel(fit.peak_n.unwrap(), peak, 1e-6, "peak_n");
            assert_rel(
                fit.peak_throughput.unwrap(),
                usl(lambda, sigma, kappa, peak),
                1e-7,
                "peak_throughput",
            );
        } else {
            assert_eq!((fit.peak_n, fit.peak_throughput), (None, None));
        }
    }
}

#[test]
fn usl_with_small_noise_stays_close() {
    let levels: Vec<f64> = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let (lambda, sigma, kappa) = (1200.0, 0.04, 0.0008);
    let clean: Vec<f64> = levels
        .iter()
        .map(|&n| usl(lambda, sigma, kappa, n))
        .collect();
    for seed in 1..=20 {
        let x = noisy(&clean, 0.02, seed);
        let fit = fit_usl(&levels, &x).unwrap();
        assert_rel(fit.lambda, lambda, 0.05, "lambda");
        assert!((fit.sigma - sigma).abs() < 0.015, "seed {seed}: {fit:?}");
        assert!((fit.kappa - kappa).abs() < 0.0002, "seed {seed}: {fit:?}");
        assert_rel(
            fit.peak_n.unwrap(),
            ((1.0 - sigma) / kappa).sqrt(),
            0.15,
            "peak_n",
        );
        assert!(fit.r_squared > 0.98, "{fit:?}");
        // The fit is a least-squares optimum: no worse than the true parameters.
        let truth = UslFit {
            lambda,
            sigma,
            kappa,
            ..fit
        };
        assert!(sse(&fit, &levels, &x) <= sse(&truth, &levels, &x));
    }
}

#[test]
fn usl_respects_the_bounds() {
    // Throughput rising faster than linearly would want σ, κ < 0.
    let n = [1.0, 2.0, 4.0, 8.0];
    let x = [100.0, 205.0, 420.0, 860.0];
    let fit = fit_usl(&n, &x).unwrap();
    assert_eq!((fit.sigma, fit.kappa), (0.0, 0.0), "{fit:?}");
    assert!(fit.lambda > 100.0 && fit.peak_n.is_none());
}

#[test]
fn usl_rejects_bad_input() {
    assert!(fit_usl(&[1.0, 2.0], &[1.0, 2.0]).is_none());
    assert!(fit_usl(&[1.0, 2.0, 2.0, 1.0], &[1.0, 2.0, 2.0, 1.0]).is_none()); // 2 levels
    assert!(fit_usl(&[1.0, 2.0, 4.0], &[1.0, 2.0]).is_none());
    assert!(fit_usl(&[1.0, 2.0, f64::NAN], &[1.0, 2.0, 3.0]).is_none());
    assert!(fit_usl(&[1.0, 2.0, 4.0], &[1.0, 2.0, f64::INFINITY]).is_none());
    assert!(fit_usl(&[0.0, 2.0, 4.0], &[1.0, 2.0, 3.0]).is_none());
    assert!(fit_usl(&[1.0, 2.0, 4.0], &[1.0, -2.0, 3.0]).is_none());
    assert!(fit_usl(&[1.0, 2.0, 4.0], &[0.0; 3]).is_none());
    // Three levels are enough to fit (exactly).
    let fit = fit_usl(&[1.0, 2.0, 4.0], &[10.0, 18.0, 28.0]).unwrap();
    assert!(fit.r_squared > 1.0 - 1e-9, "{fit:?}");
}

#[test]
fn usl_matches_scipy_curve_fit() {
    for c in &reference().usl {
        let fit = fit_usl(&c.n, &c.x).unwrap_or_else(|| panic!("{}: no fit", c.name));
        let ours = sse(&fit, &c.n, &c.x);
        // At least as good an optimum as SciPy's (which stops at its tolerances).
        assert!(
            ours <= c.sse * (1.0 + 1e-9) + 1e-9,
            "{}: SSE {ours} vs SciPy {}",
            c.name,
            c.sse
        );
        assert_rel(fit.lambda, c.lambda, 1e-5, &format!("{} lambda", c.name));
        assert!(
            (fit.sigma - c.sigma).abs() <= 1e-5 * c.sigma.max(1e-3),
            "{} sigma: {} vs {}",
            c.name,
            fit.sigma,
            c.sigma
        );
        assert!(
            (fit.kappa - c.kappa).abs() <= 1e-5 * c.kappa.max(1e-6),
            "{} kappa: {} vs {}",
            c.name,
            fit.kappa,
            c.kappa
        );
        assert!((fit.r_squared - c.r_squared).abs() < 1e-9, "{} r²", c.name);
        match c.peak_n {
            // SciPy leaves κ at ~1e-35 instead of 0 on the bound.
            Some(p) if c.kappa > 1e-12 => {
                assert_rel(fit.peak_n.unwrap(), p, 1e-4, &format!("{} peak", c.name));
            }
            _ => assert!(fit.peak_n.is_none(), "{}: {fit:?}", c.name),
        }
    }
}

// ------------------------------------------------------------------------------------ knee

/// Index of the point of a smooth concave increasing curve farthest above its chord, in
/// normalised coordinates: where Kneedle puts the knee of such a curve.
fn farthest_above_chord(x: &[f64], y: &[f64]) -> usize {
    let (x0, x1, y0, y1) = (x[0], x[x.len() - 1], y[0], y[y.len() - 1]);
    let d = |i: usize| (y[i] - y0) / (y1 - y0) - (x[i] - x0) / (x1 - x0);
    (0..x.len()).max_by(|&i, &j| d(i).total_cmp(&d(j))).unwrap()
}

#[test]
fn knee_of_synthetic_curves() {
    // Throughput of an Amdahl (κ = 0) system at 1..=64 concurrency.
    let n: Vec<f64> = (1..=64).map(f64::from).collect();
    let x: Vec<f64> = n.iter().map(|&v| usl(1000.0, 0.05, 0.0, v)).collect();
    assert_eq!(knee(&n, &x), Some(farthest_above_chord(&n, &x)));
    // A saturating exponential 1 − e^(−x/10).
    let xs: Vec<f64> = (0..100).map(f64::from).collect();
    let ys: Vec<f64> = xs.iter().map(|&v| 1.0 - (-v / 10.0).exp()).collect();
    let k = knee(&xs, &ys).unwrap();
    assert_eq!(k, farthest_above_chord(&xs, &ys));
    assert!((15..=30).contains(&k), "{k}");
    // Sensitivity only decides whether the flattening after the maximum is enough: on a
    // curve that flattens completely any S finds the same knee; on one that flattens only
    // a little, a large S finds none.
    assert_eq!(knee_with(&xs, &ys, 3.0), Some(k));
    let gentle: Vec<f64> = xs.iter().map(|&v| v + 3.0 * (v / 3.0).sqrt()).collect();
    assert!(knee_with(&xs, &gentle, 1.0).is_some());
    assert_eq!(knee_with(&xs, &gentle, 50.0), None);
    // Noise on a saturating curve: the knee stays in the bend.
    let mut rng = Xoshiro256StarStar::seed_from_u64(3);
    let noisy: Vec<f64> = ys
        .iter()
        .map(|v| v + 0.01 * (2.0 * rng.next_f64() - 1.0))
        .collect();
    let kn = knee(&xs, &noisy).unwrap();
    assert!(kn.abs_diff(k) <= 5, "{kn} vs {k}");
}

#[test]
fn knee_matches_kneed() {
    for c in &reference().knee {
        assert_eq!(
            knee_with(&c.x, &c.y, c.sensitivity),
            c.knee,
            "{} (S = {})",
            c.name,
            c.sensitivity
        );
    }
}

// ----------------------------------------------------------------------------------- trend

#[test]
fn trend_detects_a_leak() {
    let mut rng = Xoshiro256StarStar::seed_from_u64(7);
    let t: Vec<f64> = (0..300).map(|i| f64::from(i) * 0.5).collect();
    // RSS growing 40 kB/s under ±1 MB of noise.
    let y: Vec<f64> = t
        .iter()
        .map(|&s| 300e6 + 40e3 * s + 1e6 * (2.0 * rng.next_f64() - 1.0))
        .collect();
    let tr = trend(&t, &y).unwrap();
    assert_rel(tr.slope_per_s, 40e3, 0.05, "slope");
    assert_rel(tr.intercept, 300e6, 0.01, "intercept");
    assert!(tr.p_value < 1e-10 && tr.tau > 0.3, "{tr:?}");

    let flat: Vec<f64> = t.iter().map(|_| 300e6 + 2e6 * rng.next_f64()).collect();
    let tr = trend(&t, &flat).unwrap();
    assert!(tr.p_value > 0.01 && tr.tau.abs() < 0.1, "{tr:?}");
}

#[test]
fn trend_edge_cases() {
    assert!(trend(&[], &[]).is_none());
    assert!(trend(&[1.0], &[1.0]).is_none());
    assert!(trend(&[1.0, 1.0], &[1.0, 2.0]).is_none());
    assert!(trend(&[1.0, 2.0], &[1.0]).is_none());
    assert!(trend(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 2.0]).is_none());
    let c = trend(&[0.0, 1.0, 2.0, 3.0], &[5.0; 4]).unwrap();
    assert_eq!(
        (c.slope_per_s, c.intercept, c.p_value, c.tau),
        (0.0, 5.0, 1.0, 0.0)
    );
    // Order of the samples does not matter; times need not be evenly spaced.
    let t = [0.0, 0.3, 1.0, 2.5, 2.6, 4.0];
    let y = [1.0, 1.1, 1.6, 2.2, 2.1, 3.0];
    let a = trend(&t, &y).unwrap();
    let b = trend(
        &[4.0, 2.5, 0.0, 2.6, 1.0, 0.3],
        &[3.0, 2.2, 1.0, 2.1, 1.6, 1.1],
    )
    .unwrap();
    assert_eq!(a, b);
    // Repeated timestamps are allowed: those pairs carry no slope and no sign.
    let d = trend(&[0.0, 1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 2.5, 3.0, 4.0]).unwrap();
    assert!(
        d.slope_per_s > 0.9 && d.p_value < 0.2 && d.p_value > 0.0,
        "{d:?}"
    );
}

#[test]
fn trend_matches_scipy_and_pymannkendall() {
    for c in &reference().trend {
        let tr = trend(&c.t, &c.y).unwrap();
        assert_rel(tr.slope_per_s, c.slope, 1e-12, &format!("{} slope", c.name));
        assert_rel(
            tr.intercept,
            c.intercept,
            1e-9,
            &format!("{} intercept", c.name),
        );
        assert_rel(tr.tau, c.tau, 1e-12, &format!("{} tau", c.name));
        if c.p_value < 1e-12 {
            // pymannkendall's 2·(1 − Φ(|z|)) cancels to 0 below ~1e-16; erfc does not.
            assert!(tr.p_value < 1e-12, "{}: {}", c.name, tr.p_value);
        } else {
            assert_rel(tr.p_value, c.p_value, 1e-8, &format!("{} p", c.name));
        }
    }
}

// ---------------------------------------------------------------------------- Little's law

#[test]
fn littles_law_on_a_sweep_level() {
    // 32 virtual users in a closed loop at 1 600 req/s with 20 ms mean latency: consistent.
    let ok = littles_law_check(1600.0, 0.020, 32.0).unwrap();
    assert_rel(ok.expected_concurrency, 32.0, 1e-12, "L");
    assert!(ok.is_consistent(0.01));
    // Same clients, but latency timed only after a connection-pool wait: L looks too small.
    let hidden = littles_law_check(1600.0, 0.005, 32.0).unwrap();
    assert_rel(hidden.ratio, 4.0, 1e-12, "ratio");
    assert!(!hidden.is_consistent(0.5));
}
