//! The knee of a concave increasing curve — throughput against concurrency, where adding load
//! stops paying off — with the Kneedle algorithm (Satopää, Albrecht, Irwin & Raghavan,
//! "Finding a 'Kneedle' in a Haystack: Detecting Knee Points in System Behavior", ICDCS
//! Workshops 2011), in its offline form as the `kneed` package implements it
//! (`KneeLocator(x, y, S, curve="concave", direction="increasing", interp_method="interp1d",
//! online=False)`, kneed 0.9):
//!
//! 1. normalise `x` and `y` to [0, 1] (no smoothing);
//! 2. the difference curve `d = ŷ − x̂`;
//! 3. its local maxima and minima (`d[i]` ≥, resp. ≤, both neighbours; an end point compares
//!    with its one neighbour, as `scipy.signal.argrelextrema(…, mode="clip")`);
//! 4. each local maximum sets the threshold `d_max − S·mean(Δx̂)`; a local minimum suspends
//!    detection until the next maximum;
//! 5. walking right from the first maximum, the first time the next point's `d` falls below the
//!    threshold, the knee is the last local maximum.
//!
//! The sensitivity `S` (1 in the paper and here by default) is how many average x-steps of
//! flattening are needed before a maximum counts as a knee: larger is more conservative.
//!
//! A curve that never flattens (a straight line, or one that is still steepening at the end)
//! has no knee.

use crate::all_finite;

/// Index of the knee of the concave increasing curve `(x, y)` with Kneedle at sensitivity 1;
/// see [`knee_with`].
pub fn knee(x: &[f64], y: &[f64]) -> Option<usize> {
    knee_with(x, y, 1.0)
}

/// Index of the knee of the concave increasing curve `(x, y)` with Kneedle at sensitivity
/// `sensitivity` (see the module docs); the same index as `kneed` finds.
///
/// `None` when no knee is found, the slices differ in length or have fewer than three points,
/// a value is non-finite, `x` is not strictly increasing, `y` is constant, or `sensitivity` is
/// negative or non-finite.
pub fn knee_with(x: &[f64], y: &[f64], sensitivity: f64) -> Option<usize> {
    let len = x.len();
    if len != y.len() || len < 3 || !all_finite(x) || !all_finite(y) {
        return None;
    }
    if !(sensitivity.is_finite() && sensitivity >= 0.0) || x.windows(2).any(|w| w[1] <= w[0]) {
        return None;
    }
    let normalise = |v: &[f64]| -> Option<Vec<f64>> {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = hi - lo;
        (range > 0.0).then(|| v.iter().map(|a| (a - lo) / range).collect())
    };
    let xn = normalise(x)?;
    let yn = normalise(y)?;
    let d: Vec<f64> = yn.iter().zip(&xn).map(|(a, b)| a - b).collect();

    let neighbours = |i: usize| (d[i.saturating_sub(1)], d[(i + 1).min(len - 1)]);
    let is_max = |i: usize| {
        let (l, r) = neighbours(i);
        d[i] >= l && d[i] >= r
    };
    let is_min = |i: usize| {
        let (l, r) = neighbours(i);
        d[i] <= l && d[i] <= r
    };
    let mean_step = xn.windows(2).map(|w| w[1] - w[0]).sum::<f64>() / (len - 1) as f64;
    let offset = sensitivity * mean_step.abs();

    let first_max = (0..len).find(|&i| is_max(i))?;
    let mut threshold = 0.0;
    let mut threshold_index = first_max;
    let mut active = true;
    for i in first_max..len - 1 {
        if is_max(i) {
            threshold = d[i] - offset;
            threshold_index = i;
            active = true;
        }
        if is_min(i) {
            threshold = 0.0;
            active = false;
        }
        if active && d[i + 1] < threshold {
            return Some(threshold_index);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturating_curve() {
        // Linear up to 8, flat after.
        let x: Vec<f64> = (1..=16).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|&v| v.min(8.0)).collect();
        assert_eq!(knee(&x, &y), Some(7));
    }

    #[test]
    fn no_knee_on_a_line_or_bad_input() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(knee(&x, &[2.0, 4.0, 6.0, 8.0, 10.0]), None);
        assert_eq!(knee(&x, &[1.0; 5]), None);
        assert_eq!(knee(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(knee(&x[..2], &[1.0, 2.0]), None);
        assert_eq!(knee(&x, &[1.0, 2.0, f64::NAN, 3.0, 3.0]), None);
        assert_eq!(knee_with(&x, &[1.0, 3.0, 4.0, 4.0, 4.0], -1.0), None);
    }
}
