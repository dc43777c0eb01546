//! Integration tests of perfhive-stats: agreement with a second implementation
//! (`reference`), change-point behaviour on constructed series (`change_points`), and edge cases
//! (`edge_cases`).

mod change_points;
mod edge_cases;
mod reference;

/// Asserts `|got − want| ≤ rel·|want|` (or `≤ rel` when `want` is 0).
#[track_caller]
fn assert_rel(got: f64, want: f64, rel: f64, what: &str) {
    let tol = if want == 0.0 { rel } else { rel * want.abs() };
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e} (relative tolerance {rel:e})"
    );
}
