//! perfhive's statistics: summaries with distribution-free confidence intervals, outlier
//! flagging, two-sample comparison (Mann–Whitney U, Hodges–Lehmann shift, bootstrap ratio,
//! t-tests), multiple-comparison adjustment (Holm) and change-point detection over a history
//! (E-Divisive means with a t-test, as Apache Otava / Hunter use it); for load sweeps and
//! resource sampling, a Universal Scalability Law fit, the Kneedle knee, Little's-law checks
//! and a leak/growth trend (Theil–Sen slope with the Mann–Kendall test).
//!
//! Each module names the method it implements and the reference it follows; the integration
//! tests compare the results with a second implementation (SciPy, statsmodels, Apache Otava)
//! through `tests/fixtures/reference.json` (and `reference_sweep.json` for the sweep methods:
//! SciPy, kneed, pymannkendall).
//!
//! # Conventions
//!
//! - **No I/O, no printing.** Functions take slices and return plain data (serde-serialisable
//!   result structs), so the binary and the renderers decide what to show.
//! - **Non-finite input is rejected, never filtered.** A sample containing NaN or ±∞ makes the
//!   functions that return `Option` return `None`, and the ones that return a `Vec` of indices
//!   return an empty `Vec` ([`mad_outliers`], [`change_points`]). Silently dropping values
//!   would change sample sizes behind the caller's back; the caller decides what a missing
//!   measurement means. [`holm_bonferroni`] is the exception, see its docs.
//! - **Invalid parameters** (a confidence level outside (0, 1), zero resamples) also give `None`.
//! - **Determinism.** The bootstrap is seeded ([`rng::Xoshiro256StarStar`]), so the same input
//!   and seed give the same interval on every platform.
//! - Results contain no NaN: where a quantity is undefined for a tiny sample, the docs say
//!   which finite fallback is returned (e.g. `stdev` 0 for one value, `(min, max)` as the
//!   median interval when the sample is too small for the requested confidence).
//!
//! # Example: did the new build get slower?
//!
//! ```
//! use perfhive_stats::{bootstrap_ratio, hodges_lehmann, mann_whitney_u, Statistic};
//!
//! let baseline = [10.2, 10.4, 10.1, 10.3, 10.6, 10.2, 10.5, 10.3, 10.4, 10.2];
//! let candidate = [11.0, 11.3, 10.9, 11.2, 11.1, 11.4, 11.0, 11.2, 11.3, 11.1];
//!
//! let test = mann_whitney_u(&baseline, &candidate).unwrap();
//! assert!(test.p_value < 0.001);
//! assert_eq!(test.effect_size, -1.0); // every baseline time is below every candidate time
//!
//! let shift = hodges_lehmann(&baseline, &candidate, 0.95).unwrap();
//! assert!(shift.ci.0 > 0.0); // slower by `shift.estimate` seconds, interval above 0
//!
//! let ratio = bootstrap_ratio(&baseline, &candidate, Statistic::Mean, 0.95, 10_000, 1).unwrap();
//! assert!(ratio.lo > 1.0 && ratio.ratio < 1.1); // between 0% and 10% slower
//! ```

pub mod bootstrap;
pub mod change_point;
pub mod knee;
pub mod littles_law;
pub mod mann_whitney;
pub mod multiple;
pub mod rng;
pub mod shift;
pub mod summary;
pub mod trend;
pub mod ttest;
pub mod usl;

pub use bootstrap::{bootstrap_ratio, bootstrap_ratio_with, BootstrapMethod, RatioCi, Statistic};
pub use change_point::{change_points, change_points_with, ChangePoint, ChangePointOptions};
pub use knee::{knee, knee_with};
pub use littles_law::{littles_law_check, LittleCheck};
pub use mann_whitney::{mann_whitney_u, MannWhitney, MwuMethod};
pub use multiple::holm_bonferroni;
pub use shift::{hodges_lehmann, Shift};
pub use summary::{mad_outliers, median_ci, quantile_sorted, summarize, Summary};
pub use trend::{trend, Trend};
pub use ttest::{student_t_test, welch_t_test};
pub use usl::{fit_usl, usl_predict, UslFit};

/// True when every value is finite (no NaN, no ±∞).
fn all_finite(xs: &[f64]) -> bool {
    xs.iter().all(|x| x.is_finite())
}

/// `xs` sorted ascending (callers have checked that no value is NaN).
fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Median of an ascending, non-empty slice: the middle value, or the mean of the two middle
/// values (as `numpy.median`).
fn median_of_sorted(s: &[f64]) -> f64 {
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Median of a non-empty slice that may be reordered in place (O(n) selection).
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        hi
    } else {
        // The lower middle is the maximum of the part left of the upper middle.
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

/// Arithmetic mean of a non-empty slice.
fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample variance (denominator n − 1) of a slice with at least two values, two-pass.
fn sample_variance(xs: &[f64], mean: f64) -> f64 {
    xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (xs.len() - 1) as f64
}

/// True when `confidence` is a usable confidence level, strictly between 0 and 1.
fn valid_confidence(confidence: f64) -> bool {
    confidence > 0.0 && confidence < 1.0
}
