//! Little's law (Little, "A Proof for the Queuing Formula: L = λW", Operations Research 9(3),
//! 1961): in a stable system the mean number of requests in it equals the arrival (=
//! completion) rate times the mean time each spends in it, `L = λ·W`, whatever the
//! distributions.
//!
//! Applied to a load test: throughput × mean latency predicts the mean number of requests in
//! flight. Comparing that with the concurrency observed (the client's in-flight count, or the
//! server's active connections) checks the measurement: a ratio `observed / expected` well above
//! 1 means requests spend time somewhere the latency does not see (queued in the client before
//! being timed, in an accept backlog, behind a proxy), well below 1 means fewer requests were in
//! flight than the latency implies (latency measured over more than the request, or throughput
//! counted over a different window). The law holds for long-run averages: over a short or
//! non-stationary window (ramp-up, a stall) some deviation is expected.

use serde::{Deserialize, Serialize};

/// Little's law applied to one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LittleCheck {
    /// `L = λ·W`: the mean concurrency that the throughput and mean latency imply.
    pub expected_concurrency: f64,
    /// `observed / expected`; 1 when the measurements agree.
    pub ratio: f64,
}

impl LittleCheck {
    /// True when the ratio is within `tolerance` of 1 (e.g. 0.1 for ±10%).
    pub fn is_consistent(&self, tolerance: f64) -> bool {
        (self.ratio - 1.0).abs() <= tolerance
    }
}

/// Checks `L = λW` for a throughput (requests per second), the mean latency (seconds) and the
/// mean concurrency observed over the same window.
///
/// `None` when an input is negative or non-finite, or the expected concurrency is 0 (no
/// throughput or zero latency: there is nothing to compare with).
pub fn littles_law_check(
    throughput_rps: f64,
    mean_latency_s: f64,
    observed_concurrency: f64,
) -> Option<LittleCheck> {
    let inputs = [throughput_rps, mean_latency_s, observed_concurrency];
    if inputs.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let expected_concurrency = throughput_rps * mean_latency_s;
    if expected_concurrency <= 0.0 || !expected_concurrency.is_finite() {
        return None;
    }
    let ratio = observed_concurrency / expected_concurrency;
    ratio.is_finite().then_some(LittleCheck {
        expected_concurrency,
        ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_measurement() {
        // 200 req/s at 50 ms each keeps 10 in flight.
        let c = littles_law_check(200.0, 0.05, 10.0).unwrap();
        assert!((c.expected_concurrency - 10.0).abs() < 1e-12);
        assert!((c.ratio - 1.0).abs() < 1e-12);
        assert!(c.is_consistent(0.05));
    }

    #[test]
    fn hidden_queueing_shows_as_a_high_ratio() {
        // 64 connections in flight, but throughput × latency accounts for only 16.
        let c = littles_law_check(800.0, 0.02, 64.0).unwrap();
        assert!((c.expected_concurrency - 16.0).abs() < 1e-12);
        assert!((c.ratio - 4.0).abs() < 1e-12);
        assert!(!c.is_consistent(0.2));
        let low = littles_law_check(100.0, 0.1, 5.0).unwrap();
        assert!((low.ratio - 0.5).abs() < 1e-12);
    }

    #[test]
    fn invalid_inputs() {
        assert!(littles_law_check(f64::NAN, 0.1, 1.0).is_none());
        assert!(littles_law_check(10.0, f64::INFINITY, 1.0).is_none());
        assert!(littles_law_check(10.0, 0.1, -1.0).is_none());
        assert!(littles_law_check(0.0, 0.1, 1.0).is_none());
        assert!(littles_law_check(10.0, 0.0, 0.0).is_none());
        assert_eq!(littles_law_check(10.0, 0.1, 0.0).unwrap().ratio, 0.0);
    }
}
