//! The `Server-Timing` response header: the phases of one request.
//!
//! Format per the W3C Server Timing specification (§3, `server-timing-metric` with a `dur`
//! parameter in milliseconds), for example `db;dur=12.300, serialize;dur=4.100, total;dur=17.000`.
//! Clients (and perfhive's load investigator) read where the time goes without any tracing.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Phases measured so far for one request, and when it started.
#[derive(Debug)]
pub(crate) struct ServerTiming {
    start: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl ServerTiming {
    /// Starts timing a request now.
    pub(crate) fn start() -> Self {
        Self {
            start: Instant::now(),
            phases: Vec::with_capacity(4),
        }
    }

    /// Records a phase that took `dur`.
    pub(crate) fn record(&mut self, name: &'static str, dur: Duration) {
        self.phases.push((name, dur));
    }

    /// Runs `f`, recording its duration as phase `name`.
    pub(crate) fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t0 = Instant::now();
        let out = f();
        self.record(name, t0.elapsed());
        out
    }

    /// The header value: the recorded phases, then `total` since [`ServerTiming::start`].
    pub(crate) fn header(&self) -> String {
        let mut out = String::new();
        let total = ("total", self.start.elapsed());
        for (name, dur) in self.phases.iter().chain(std::iter::once(&total)) {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let _ = write!(out, "{name};dur={:.3}", dur.as_secs_f64() * 1e3);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_phases_then_total() {
        let mut t = ServerTiming::start();
        t.record("db", Duration::from_micros(12_300));
        t.record("serialize", Duration::from_micros(4_100));
        let h = t.header();
        assert!(
            h.starts_with("db;dur=12.300, serialize;dur=4.100, total;dur="),
            "{h}"
        );
    }
}
