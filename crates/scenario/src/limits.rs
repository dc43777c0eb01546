//! The bounds of every number a user gives perfhive — scenario files and the command line of
//! `perfhive run` alike. The YAML validator and [`crate::Quick`] call the same checks, so a value
//! one refuses the other refuses too, in the same words.
//!
//! Each bound keeps the generator inside what it can do: a rate it can schedule, users and
//! connections a machine can hold, durations an `Instant` can be moved by, result cells
//! (phases × named requests, each with its own HDR histograms) that fit in memory, and input
//! files that fit in memory.

use std::time::Duration;

/// Highest arrival rate of any phase, requests per second. One generator thread sends a few
/// tens of thousands of requests per second; a million is beyond any machine perfhive runs on.
pub const MAX_RATE_RPS: f64 = 1_000_000.0;
/// Most virtual users of the closed model (each one holds a connection).
pub const MAX_USERS: u32 = 100_000;
/// Highest limit of requests in flight (each one holds a connection).
pub const MAX_IN_FLIGHT: usize = 100_000;
/// Most HTTP/2 connections.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Longest run, and longest phase: a week (a soak test).
pub const MAX_RUN: Duration = Duration::from_secs(7 * 24 * 3600);
/// Shortest run after `--time-scale`: a millisecond.
pub const MIN_RUN: Duration = Duration::from_millis(1);
/// Longest per-request timeout: an hour.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// Most steps of `arrival_rate_rps`, and most closed-model stages: each is a phase, and each
/// phase keeps its own histograms for every named request.
pub const MAX_STEPS: usize = 100;
/// Most named requests in a mix.
pub const MAX_REQUESTS: usize = 32;
/// Largest scenario file.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// Largest request body file.
pub const MAX_BODY_BYTES: u64 = 64 << 20;
/// Deepest nesting of YAML flow collections (`[[…]]`, `{a: {…}}`): the parser's cost grows with
/// the square of the depth, and no scenario or plan needs more than a few levels.
pub const MAX_NESTING: usize = 256;

/// A duration in seconds: finite, not negative, at most [`MAX_RUN`].
pub fn duration_secs(secs: f64) -> Result<Duration, String> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(format!(
            "expected a duration of zero or more, found {}",
            show(secs)
        ));
    }
    if secs > MAX_RUN.as_secs_f64() {
        return Err(format!(
            "expected a duration of at most a week ({} s), found {} s",
            MAX_RUN.as_secs(),
            show(secs)
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A duration in minutes: finite, not negative, at most [`MAX_RUN`].
pub fn duration_minutes(minutes: f64) -> Result<Duration, String> {
    if minutes.is_finite() && minutes * 60.0 > MAX_RUN.as_secs_f64() {
        return Err(format!(
            "expected a duration of at most a week ({} minutes), found {} minutes",
            MAX_RUN.as_secs() / 60,
            show(minutes)
        ));
    }
    duration_secs(minutes * 60.0)
}

/// An arrival rate: above zero, at most [`MAX_RATE_RPS`].
pub fn rate(rps: f64) -> Result<f64, String> {
    if !(rps.is_finite() && rps > 0.0) {
        return Err(format!(
            "expected a rate above zero (requests per second), found {}",
            show(rps)
        ));
    }
    if rps > MAX_RATE_RPS {
        return Err(format!(
            "expected a rate of at most {MAX_RATE_RPS} requests per second (what one generator can schedule), found {}", show(rps)
        ));
    }
    Ok(rps)
}

/// A per-request timeout in seconds: above zero, at most [`MAX_TIMEOUT`].
pub fn timeout_secs(secs: f64) -> Result<Duration, String> {
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!(
            "expected a timeout above zero, found {} s",
            show(secs)
        ));
    }
    if secs > MAX_TIMEOUT.as_secs_f64() {
        return Err(format!(
            "expected a timeout of at most an hour ({} s), found {} s",
            MAX_TIMEOUT.as_secs(),
            show(secs)
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A count between 1 and `max`; `one` and `many` name the thing counted (`user`, `users`).
pub fn count(n: u64, max: u64, one: &str, many: &str) -> Result<u64, String> {
    if n == 0 {
        return Err(format!("expected at least 1 {one}, found 0"));
    }
    if n > max {
        return Err(format!("expected at most {max} {many}, found {n}"));
    }
    Ok(n)
}

/// Closed-model users: 1 to [`MAX_USERS`].
pub fn users(n: u32) -> Result<u32, String> {
    count(u64::from(n), u64::from(MAX_USERS), "user", "users").map(|_| n)
}

/// The in-flight limit: 1 to [`MAX_IN_FLIGHT`].
pub fn max_in_flight(n: usize) -> Result<usize, String> {
    count(
        n as u64,
        MAX_IN_FLIGHT as u64,
        "request in flight",
        "requests in flight",
    )
    .map(|_| n)
}

/// HTTP/2 connections: 1 to [`MAX_CONNECTIONS`].
pub fn connections(n: usize) -> Result<usize, String> {
    count(
        n as u64,
        MAX_CONNECTIONS as u64,
        "connection",
        "connections",
    )
    .map(|_| n)
}

/// An HTTP status code as a response can carry it: three digits, 100 to 999.
pub fn status(code: u16) -> Result<u16, String> {
    if (100..=999).contains(&code) {
        Ok(code)
    } else {
        Err(format!(
            "expected an HTTP status code (three digits, 100 to 999), found {code}"
        ))
    }
}

/// A time-scale factor: above zero, and the scaled run between [`MIN_RUN`] and [`MAX_RUN`].
pub fn time_scale(factor: f64, total: Duration) -> Result<f64, String> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(format!(
            "expected a time scale above zero, found {}",
            show(factor)
        ));
    }
    let scaled = total.as_secs_f64() * factor;
    if scaled > MAX_RUN.as_secs_f64() {
        return Err(format!(
            "a time scale of {} makes the run {} s long; at most a week ({} s) is allowed",
            show(factor),
            show(scaled),
            MAX_RUN.as_secs()
        ));
    }
    if scaled < MIN_RUN.as_secs_f64() {
        return Err(format!(
            "a time scale of {} makes the run {} s long; at least a millisecond is needed",
            show(factor),
            show(scaled)
        ));
    }
    Ok(factor)
}

/// A number as a message shows it: plain up to 10^15, in scientific notation beyond (a
/// 300-digit literal is not repeated back).
pub fn show(x: f64) -> String {
    if x.is_finite() && (x.abs() >= 1e15 || (x != 0.0 && x.abs() < 1e-6)) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_non_finite_numbers_are_refused_not_a_panic() {
        for secs in [18446744073709551616.0, 1e300, f64::INFINITY, f64::NAN, -1.0] {
            assert!(duration_secs(secs).is_err(), "{secs}");
            assert!(timeout_secs(secs).is_err(), "{secs}");
            assert!(rate(secs).is_err(), "{secs}");
        }
        assert!(time_scale(1e300, Duration::from_secs(10)).is_err());
        assert!(time_scale(1e-300, Duration::from_secs(10)).is_err());
        assert_eq!(duration_secs(1.5), Ok(Duration::from_millis(1500)));
        assert_eq!(rate(MAX_RATE_RPS), Ok(MAX_RATE_RPS));
        assert!(rate(1e9).unwrap_err().contains("at most"));
    }

    #[test]
    fn counts_and_statuses() {
        assert!(users(0).is_err());
        assert!(users(MAX_USERS + 1).is_err());
        assert!(max_in_flight(0).unwrap_err().contains("at least 1"));
        assert!(connections(MAX_CONNECTIONS).is_ok());
        assert!(status(99).is_err());
        assert!(status(1000).is_err());
        assert_eq!(status(999), Ok(999));
    }
}
