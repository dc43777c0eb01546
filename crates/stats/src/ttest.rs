//! Two-sample t-tests, two-sided: Welch's unequal-variance test (Welch, "The generalization of
//! 'Student's' problem when several different population variances are involved", Biometrika
//! 34, 1947, with the Welch–Satterthwaite degrees of freedom) and Student's pooled-variance
//! test (Student, "The probable error of a mean", Biometrika 6, 1908). They agree with
//! `scipy.stats.ttest_ind(a, b, equal_var=False / True)`.
//!
//! Where SciPy returns NaN — both samples without spread — these return 1 when the means are
//! equal and 0 when they differ (the evidence is then unlimited), so results stay NaN-free.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::{all_finite, mean, sample_variance};

/// Two-sided p-value of Welch's t-test of equal means. `None` when a sample has fewer than two
/// values or contains a non-finite value.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 || !all_finite(a) || !all_finite(b) {
        return None;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (sample_variance(a, ma) / na, sample_variance(b, mb) / nb);
    let se2 = va + vb;
    if se2.is_nan() || se2 <= 0.0 {
        return Some(no_spread_p(ma, mb));
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    Some(two_sided_t_p(t, df))
}

/// Two-sided p-value of Student's two-sample t-test with pooled variance. `None` when a sample
/// is empty or contains a non-finite value.
///
/// As in Apache Otava's t-test, a sample may have a single value (it contributes no variance);
/// with one value on each side there is no degree of freedom and the p-value is 1.
pub fn student_t_test(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() || !all_finite(a) || !all_finite(b) {
        return None;
    }
    let (na, nb) = (a.len(), b.len());
    if na + nb <= 2 {
        return Some(1.0);
    }
    let (ma, mb) = (mean(a), mean(b));
    let ss = |xs: &[f64], m: f64| xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
    let df = (na + nb - 2) as f64;
    let pooled = (ss(a, ma) + ss(b, mb)) / df;
    let se2 = pooled * (1.0 / na as f64 + 1.0 / nb as f64);
    if se2.is_nan() || se2 <= 0.0 {
        return Some(no_spread_p(ma, mb));
    }
    Some(two_sided_t_p((ma - mb) / se2.sqrt(), df))
}

/// p-value when neither sample varies: certain difference or none.
fn no_spread_p(ma: f64, mb: f64) -> f64 {
    if ma == mb {
        1.0
    } else {
        0.0
    }
}

/// `2·P(T > |t|)` for Student's t with `df` degrees of freedom.
fn two_sided_t_p(t: f64, df: f64) -> f64 {
    let dist = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    (2.0 * dist.sf(t.abs())).min(1.0)
}
