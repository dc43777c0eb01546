//! Global stall windows ("stop-the-world" pauses) for coordinated-omission experiments.
//!
//! A stall models a garbage-collector or hypervisor pause: while a window is open, every request
//! (except `/admin/*`) waits until the window closes before it is handled, exactly as a paused
//! server would. This is the scenario Gil Tene describes in "How NOT to Measure Latency"
//! (coordinated omission): a closed-loop load generator sends nothing while it waits, so it records
//! one slow request instead of the many that an open-loop (constant-rate) client would see.
//!
//! Windows come from two sources, merged by taking the latest end:
//! * periodic: window `k >= 1` is `[origin + k*every, origin + k*every + for)`;
//! * manual: `POST /admin/stall?ms=N` opens `[now, now + N ms)`.
//!
//! The common case (no stall configured, none requested) costs one relaxed atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The stall schedule of one server instance.
#[derive(Debug)]
pub(crate) struct StallClock {
    origin: Instant,
    /// Periodic schedule as `(every, for)` in nanoseconds; `for < every` is validated up front.
    periodic: Option<(u64, u64)>,
    /// End of the manual window in nanoseconds since `origin`; 0 means none was ever requested.
    manual_until: AtomicU64,
}

impl StallClock {
    /// Creates a clock whose periodic windows are counted from now.
    pub(crate) fn new(every: Option<Duration>, stall_for: Duration) -> Self {
        Self {
            origin: Instant::now(),
            periodic: every.map(|e| (nanos(e).max(1), nanos(stall_for))),
            manual_until: AtomicU64::new(0),
        }
    }

    /// Whether any stall can happen at all (cheap: lets the hot path skip reading the clock).
    pub(crate) fn may_stall(&self) -> bool {
        self.periodic.is_some() || self.manual_until.load(Ordering::Relaxed) != 0
    }

    /// Opens (or extends) a manual stall window lasting `len` from now.
    pub(crate) fn stall_now(&self, len: Duration) {
        let end = self.since_origin(Instant::now()).saturating_add(nanos(len));
        self.manual_until.fetch_max(end, Ordering::AcqRel);
    }

    /// The end of the window covering `now`, if any.
    pub(crate) fn stalled_until(&self, now: Instant) -> Option<Instant> {
        let manual = self.manual_until.load(Ordering::Acquire);
        if manual == 0 && self.periodic.is_none() {
            return None;
        }
        let t = self.since_origin(now);
        let mut end = (manual > t).then_some(manual);
        if let Some((every, len)) = self.periodic {
            let k = t / every;
            let start = k * every;
            if k >= 1 && t < start.saturating_add(len) {
                end = end.max(Some(start.saturating_add(len)));
            }
        }
        end.map(|e| self.origin + Duration::from_nanos(e))
    }

    /// Waits while a stall window is open (re-checking, since a window may be extended meanwhile).
    pub(crate) async fn wait(&self) {
        while let Some(end) = self.stalled_until(Instant::now()) {
            tokio::time::sleep_until(end.into()).await;
        }
    }

    fn since_origin(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.origin))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn no_stall_by_default() {
        let clock = StallClock::new(None, Duration::ZERO);
        assert_eq!(clock.stalled_until(Instant::now() + 1000 * MS), None);
    }

    #[test]
    fn periodic_windows_start_after_one_period() {
        let clock = StallClock::new(Some(100 * MS), 30 * MS);
        let o = clock.origin;
        assert_eq!(
            clock.stalled_until(o + 10 * MS),
            None,
            "no stall before the first period"
        );
        assert_eq!(clock.stalled_until(o + 110 * MS), Some(o + 130 * MS));
        assert_eq!(clock.stalled_until(o + 140 * MS), None);
        assert_eq!(clock.stalled_until(o + 200 * MS), Some(o + 230 * MS));
    }

    #[test]
    fn manual_stall_extends_and_merges() {
        let clock = StallClock::new(None, Duration::ZERO);
        clock.stall_now(200 * MS);
        let until = clock.stalled_until(Instant::now()).expect("stalled");
        assert!(until > Instant::now() + 100 * MS);
        clock.stall_now(MS);
        assert_eq!(
            clock.stalled_until(Instant::now()),
            Some(until),
            "a shorter stall never shortens"
        );
    }
}
