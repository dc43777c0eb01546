//! Integration tests of perfhive-stats: agreement with a second implementation
//! (`reference`), change-point behaviour on constructed series (`change_points`), edge cases
//! (`edge_cases`), and the sweep and resource methods (`sweep`: USL, knee, trend, Little's law).

mod change_points;
mod edge_cases;
mod reference;
mod sweep;

/// Asserts `|got − want| ≤ rel·|want|` (or `≤ rel` when `want` is 0).
#[track_caller]
fn assert_rel(got: f64, want: f64, rel: f64, what: &str) {
    let tol = if want == 0.0 { rel } else { rel * want.abs() };
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e} (relative tolerance {rel:e})"
    );
}
