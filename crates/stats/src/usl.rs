//! The Universal Scalability Law (Gunther, *Guerrilla Capacity Planning*, Springer 2007, ch. 4–6;
//! "A General Theory of Computational Scalability Based on Rational Functions",
//! arXiv:0808.1431, 2008):
//!
//! ```text
//!                λ·N
//! X(N) = ─────────────────────────
//!         1 + σ(N − 1) + κN(N − 1)
//! ```
//!
//! `X` is the throughput at concurrency (or load, node count) `N`, `λ` the throughput of one
//! unit without contention, `σ ≥ 0` the contention (serial fraction, Amdahl's law when `κ = 0`)
//! and `κ ≥ 0` the coherency delay (crosstalk), which makes throughput *fall* beyond
//! `N* = √((1 − σ)/κ)`.
//!
//! [`fit_usl`] finds the least-squares `(λ, σ, κ)` under the bounds `λ > 0`, `σ ≥ 0`, `κ ≥ 0`,
//! the problem `scipy.optimize.curve_fit(usl, n, x, bounds=([0, 0, 0], [∞, ∞, ∞]))` solves:
//!
//! 1. a starting point from Gunther's linearisation: with `λ₀` the throughput per unit at the
//!    smallest `N`, `N·λ₀/X(N) − 1 = (σ + κ)(N − 1) + κ(N − 1)²`, a quadratic through the
//!    origin fitted by linear least squares (ch. 5.6);
//! 2. Levenberg–Marquardt refinement (Marquardt, "An Algorithm for Least-Squares Estimation of
//!    Nonlinear Parameters", SIAM J. Appl. Math. 11(2), 1963; scaled damping, steps that leave
//!    the region where the denominator is positive are rejected), run on each face of the
//!    feasible box — all three parameters free, `σ = 0`, `κ = 0`, and `σ = κ = 0` (closed form)
//!    — from the linearised start and a small fixed grid of starts. The feasible stationary point
//!    with the smallest squared error is the constrained optimum (an active-set search: the
//!    optimum of a box-constrained problem is an unconstrained optimum of the face it lies on).
//!    Where a face with a parameter on its bound fits as well to rounding (relative 10⁻¹⁰), it
//!    is preferred, so that exact Amdahl data give `κ = 0` rather than a vanishing `κ`.
//!
//! The fit is deterministic. It needs at least three distinct `N`; with exactly three the model
//! (three parameters) usually interpolates them and `r_squared` is 1 by construction, so a
//! meaningful `κ` — and a peak estimate — needs at least four levels, better six or more
//! spanning the region past the expected peak. Coherency is hard to tell apart from contention
//! when all levels are far below `N*`: the fit then often reports `κ = 0`.

use serde::{Deserialize, Serialize};

use crate::all_finite;

/// A Universal Scalability Law fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Throughput of one unit of concurrency without contention (`X(1)`), in the unit of the
    /// throughput given.
    pub lambda: f64,
    /// Contention (serialisation) coefficient, ≥ 0. Throughput approaches `λ/σ` when `κ = 0`.
    pub sigma: f64,
    /// Coherency (crosstalk) coefficient, ≥ 0: the retrograde part.
    pub kappa: f64,
    /// Coefficient of determination `1 − SSE/SST` of the fitted curve on the data (can be
    /// negative for a fit worse than the mean; 1 when the data are matched exactly, 0 when the
    /// throughput is constant but not matched).
    pub r_squared: f64,
    /// Concurrency of peak throughput `N* = √((1 − σ)/κ)` (continuous; may be below the
    /// smallest level measured). `None` when `κ = 0` (throughput only saturates) or `σ ≥ 1`
    /// (throughput never grows past `N = 1`).
    pub peak_n: Option<f64>,
    /// Predicted throughput at `peak_n`.
    pub peak_throughput: Option<f64>,
}

/// Throughput the fitted law predicts at concurrency `n`.
pub fn usl_predict(fit: &UslFit, n: f64) -> f64 {
    model(fit.lambda, fit.sigma, fit.kappa, n)
}

fn model(lambda: f64, sigma: f64, kappa: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Least-squares USL fit of `throughput` measured at concurrency levels `n` (pairs; repeated
/// levels allowed), with `λ > 0`, `σ ≥ 0`, `κ ≥ 0` (see the module docs for the method).
///
/// `None` when the slices differ in length, a value is non-finite, a level is ≤ 0, a
/// throughput is negative, no throughput is positive, or there are fewer than three distinct
/// levels.
pub fn fit_usl(n: &[f64], throughput: &[f64]) -> Option<UslFit> {
    if n.len() != throughput.len() || !all_finite(n) || !all_finite(throughput) {
        return None;
    }
    if n.iter().any(|&v| v <= 0.0)
        || throughput.iter().any(|&x| x < 0.0)
        || !throughput.iter().any(|&x| x > 0.0)
    {
        return None;
    }
    let mut levels = n.to_vec();
    levels.sort_unstable_by(f64::total_cmp);
    levels.dedup();
    if levels.len() < 3 {
        return None;
    }
    let data = Data { n, x: throughput };

    let (sigma0, kappa0) = linearised_start(&data, levels[0]);
    let mut starts = vec![(sigma0, kappa0)];
    for s in [0.0, 0.01, 0.1, 0.5] {
        for k in [0.0, 1e-4, 1e-2] {
            starts.push((s, k));
        }
    }

    // (σ free, κ free) for each face of the feasible box.
    const FACES: [(bool, bool); 4] = [(true, true), (false, true), (true, false), (false, false)];
    let mut per_face: Vec<([f64; 3], f64, usize)> = Vec::new();
    for (sigma_free, kappa_free) in FACES {
        let mut best: Option<([f64; 3], f64)> = None;
        for &(s, k) in &starts {
            let s = if sigma_free { s } else { 0.0 };
            let k = if kappa_free { k } else { 0.0 };
            let Some(lambda) = data.best_lambda(s, k) else {
                continue;
            };
            let free = [true, sigma_free, kappa_free];
            let Some((p, sse)) = levenberg_marquardt(&data, [lambda, s, k], free) else {
                continue;
            };
            let feasible = p[0] > 0.0 && p[1] >= 0.0 && p[2] >= 0.0;
            if feasible && best.is_none_or(|(_, b)| sse < b) {
                best = Some((p, sse));
            }
            if !sigma_free && !kappa_free {
                break; // closed form: one start is enough
            }
        }
        if let Some((p, sse)) = best {
            per_face.push((p, sse, usize::from(sigma_free) + usize::from(kappa_free)));
        }
    }
    let min_sse = per_face.iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
    // Among fits as good as the best (to rounding), the one with the most parameters on their
    // bound: exact Amdahl data then give κ = 0, not κ = 1e-12 with a peak at N = 10⁶.
    let sum_sq: f64 = throughput.iter().map(|x| x * x).sum();
    let good_enough = min_sse * (1.0 + 1e-10) + 1e-24 * sum_sq;
    let &([lambda, sigma, kappa], sse, _) = per_face
        .iter()
        .filter(|f| f.1 <= good_enough)
        .min_by(|a, b| a.2.cmp(&b.2).then(a.1.total_cmp(&b.1)))?;

    let mean = throughput.iter().sum::<f64>() / throughput.len() as f64;
    let sst: f64 = throughput.iter().map(|x| (x - mean) * (x - mean)).sum();
    let r_squared = if sst > 0.0 {
        1.0 - sse / sst
    } else if sse <= 1e-24 * mean * mean * throughput.len() as f64 {
        1.0
    } else {
        0.0
    };
    let (peak_n, peak_throughput) = if kappa > 0.0 && sigma < 1.0 {
        let p = ((1.0 - sigma) / kappa).sqrt();
        (Some(p), Some(model(lambda, sigma, kappa, p)))
    } else {
        (None, None)
    };
    Some(UslFit {
        lambda,
        sigma,
        kappa,
        r_squared,
        peak_n,
        peak_throughput,
    })
}

struct Data<'a> {
    n: &'a [f64],
    x: &'a [f64],
}

impl Data<'_> {
    /// Sum of squared residuals, `None` where the model has a pole or a non-positive
    /// denominator at a data point.
    fn sse(&self, p: [f64; 3]) -> Option<f64> {
        let mut sse = 0.0;
        for (&n, &x) in self.n.iter().zip(self.x) {
            let d = 1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0);
            if d.is_nan() || d <= 0.0 {
                return None;
            }
            let r = x - p[0] * n / d;
            sse += r * r;
        }
        sse.is_finite().then_some(sse)
    }

    /// The least-squares `λ` for fixed `σ`, `κ` (the model is linear in `λ`).
    fn best_lambda(&self, sigma: f64, kappa: f64) -> Option<f64> {
        let (mut gx, mut gg) = (0.0, 0.0);
        for (&n, &x) in self.n.iter().zip(self.x) {
            let d = 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0);
            if d.is_nan() || d <= 0.0 {
                return None;
            }
            let g = n / d;
            gx += g * x;
            gg += g * g;
        }
        let lambda = gx / gg;
        (lambda.is_finite() && lambda > 0.0).then_some(lambda)
    }
}

/// Gunther's linearisation: `(σ, κ)` from a quadratic through the origin, clamped at 0.
fn linearised_start(data: &Data<'_>, n_min: f64) -> (f64, f64) {
    let at_min: Vec<f64> = data
        .n
        .iter()
        .zip(data.x)
        .filter(|(&n, _)| n == n_min)
        .map(|(_, &x)| x)
        .collect();
    let lambda0 = at_min.iter().sum::<f64>() / at_min.len() as f64 / n_min;
    if lambda0 <= 0.0 {
        return (0.0, 0.0);
    }
    // y = a·u + b·u², u = N − 1.
    let (mut s_uu, mut s_uuu, mut s_uuuu, mut s_uy, mut s_uuy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&n, &x) in data.n.iter().zip(data.x) {
        if x <= 0.0 {
            continue;
        }
        let (u, y) = (n - 1.0, n * lambda0 / x - 1.0);
        s_uu += u * u;
        s_uuu += u * u * u;
        s_uuuu += u * u * u * u;
        s_uy += u * y;
        s_uuy += u * u * y;
    }
    let det = s_uu * s_uuuu - s_uuu * s_uuu;
    if det == 0.0 || !det.is_finite() {
        return (0.0, 0.0);
    }
    let a = (s_uy * s_uuuu - s_uuu * s_uuy) / det;
    let b = (s_uu * s_uuy - s_uuu * s_uy) / det;
    let kappa = if b.is_finite() { b.max(0.0) } else { 0.0 };
    let sigma = if a.is_finite() {
        (a - kappa).max(0.0)
    } else {
        0.0
    };
    (sigma, kappa)
}

/// Levenberg–Marquardt on the parameters marked `free` (the others stay where they are).
/// Returns the parameters and their squared error; `None` if the start is invalid.
fn levenberg_marquardt(
    data: &Data<'_>,
    mut p: [f64; 3],
    free: [bool; 3],
) -> Option<([f64; 3], f64)> {
    const MAX_ITER: usize = 2000;
    let idx: Vec<usize> = (0..3).filter(|&i| free[i]).collect();
    let k = idx.len();
    let mut sse = data.sse(p)?;
    let mut mu = 1e-3;
    for _ in 0..MAX_ITER {
        if sse == 0.0 {
            break;
        }
        // Normal equations JᵀJ·δ = Jᵀr of the free parameters (r = x − model).
        let mut a = [[0.0; 3]; 3];
        let mut g = [0.0; 3];
        for (&n, &x) in data.n.iter().zip(data.x) {
            let d = 1.0 + p[1] * (n - 1.0) + p[2] * n * (n - 1.0);
            let f = p[0] * n / d;
            let full = [n / d, -f * (n - 1.0) / d, -f * n * (n - 1.0) / d];
            let r = x - f;
            for (ii, &i) in idx.iter().enumerate() {
                g[ii] += full[i] * r;
                for (jj, &j) in idx.iter().enumerate() {
                    a[ii][jj] += full[i] * full[j];
                }
            }
        }
        // Jacobi scaling (Marquardt's scaled damping): unit diagonal.
        let mut scale = [1.0; 3];
        for ii in 0..k {
            scale[ii] = if a[ii][ii] > 0.0 {
                a[ii][ii].sqrt()
            } else {
                1.0
            };
        }
        let mut gs = [0.0; 3];
        for ii in 0..k {
            gs[ii] = g[ii] / scale[ii];
        }
        let grad_norm = gs[..k].iter().map(|v| v * v).sum::<f64>().sqrt();
        if grad_norm <= 1e-15 * sse.sqrt() {
            break;
        }
        let mut improved = false;
        while mu < 1e20 {
            let mut m = [[0.0; 3]; 3];
            for ii in 0..k {
                for jj in 0..k {
                    m[ii][jj] = a[ii][jj] / (scale[ii] * scale[jj]);
                }
                m[ii][ii] += mu;
            }
            let Some(step) = solve(m, gs, k) else {
                mu *= 10.0;
                continue;
            };
            let mut cand = p;
            let mut tiny = true;
            for (ii, &i) in idx.iter().enumerate() {
                let delta = step[ii] / scale[ii];
                cand[i] = p[i] + delta;
                if delta.abs() > 1e-14 * (p[i].abs() + 1e-300) {
                    tiny = false;
                }
            }
            if tiny {
                return Some((p, sse));
            }
            match data.sse(cand) {
                Some(s) if s < sse => {
                    let rel = (sse - s) / sse;
                    p = cand;
                    sse = s;
                    mu = (mu / 10.0).max(1e-12);
                    improved = true;
                    if rel < 1e-15 {
                        return Some((p, sse));
                    }
                    break;
                }
                _ => mu *= 10.0,
            }
        }
        if !improved {
            break;
        }
    }
    Some((p, sse))
}

/// Solves the `k × k` system `m·x = b` (k ≤ 3) by Gaussian elimination with partial pivoting.
fn solve(mut m: [[f64; 3]; 3], mut b: [f64; 3], k: usize) -> Option<[f64; 3]> {
    for col in 0..k {
        let pivot = (col..k).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        let magnitude = m[pivot][col].abs();
        if magnitude.is_nan() || magnitude <= 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..k {
            let factor = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (dst, src) in m[row][col..k].iter_mut().zip(&pivot_row[col..k]) {
                *dst -= factor * src;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..k).rev() {
        let mut s = b[row];
        for c in row + 1..k {
            s -= m[row][c] * x[c];
        }
        x[row] = s / m[row][row];
    }
    x[..k].iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_data_is_recovered() {
        let n = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
        let x: Vec<f64> = n.iter().map(|&v| model(1000.0, 0.05, 0.002, v)).collect();
        let fit = fit_usl(&n, &x).unwrap();
        assert!((fit.lambda - 1000.0).abs() < 1e-6, "{fit:?}");
        assert!((fit.sigma - 0.05).abs() < 1e-9, "{fit:?}");
        assert!((fit.kappa - 0.002).abs() < 1e-10, "{fit:?}");
        assert!(fit.r_squared > 1.0 - 1e-12);
        let peak = (0.95f64 / 0.002).sqrt();
        assert!((fit.peak_n.unwrap() - peak).abs() < 1e-6);
    }

    #[test]
    fn solve_small_systems() {
        let m = [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]];
        let x = solve(m, [3.0, 5.0, 5.0], 3).unwrap();
        for (got, want) in x.iter().zip([1.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!(solve([[0.0; 3]; 3], [1.0, 0.0, 0.0], 1).is_none());
    }
}
