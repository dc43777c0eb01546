//! State shared by all connections of one server instance, and per-connection control.
//!
//! Counters are plain atomics (no locks on the request path). The pseudo-random numbers behind
//! `/error` come from SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014) over an atomic Weyl sequence: one `fetch_add` per draw, lock-free and
//! deterministic for a given server instance, with no dependency on a `rand` crate.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::sync::{watch, Notify};

use crate::stall::StallClock;
use crate::TargetOptions;

/// Everything the handlers of one server instance share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Default sleep of `/slow`.
    pub(crate) delay: Duration,
    /// Default failure probability of `/error`.
    pub(crate) error_rate: f64,
    /// Stall windows.
    pub(crate) stall: StallClock,
    /// Request counters.
    pub(crate) stats: Stats,
    /// Random numbers for `/error`.
    pub(crate) rng: SplitMix,
    /// HTTP/1.1 + HTTP/2 connection builder (protocol detected per connection).
    pub(crate) http: auto::Builder<TokioExecutor>,
    /// Flipped to `true` once the server starts shutting down.
    shutdown: watch::Sender<bool>,
}

impl Shared {
    /// Builds the shared state; periodic stalls are counted from now.
    pub(crate) fn new(opts: &TargetOptions) -> Self {
        let mut http = auto::Builder::new(TokioExecutor::new());
        http.http1().timer(TokioTimer::new());
        http.http2().timer(TokioTimer::new());
        Self {
            delay: opts.delay,
            error_rate: opts.error_rate,
            stall: StallClock::new(opts.stall_every, opts.stall_for),
            stats: Stats::default(),
            rng: SplitMix::new(0x5EED_F00D),
            http,
            shutdown: watch::channel(false).0,
        }
    }

    /// Tells connections and long-waiting handlers that the server is shutting down.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once [`Shared::begin_shutdown`] has been called.
    pub(crate) fn shutting_down(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            // An error means the sender is gone, i.e. the server is gone: treat as shutdown.
            let _ = rx.wait_for(|down| *down).await;
        }
    }
}

/// Request counters reported by `GET /admin/stats`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    finished: AtomicU64,
    in_flight: AtomicU64,
}

impl Stats {
    /// Marks a request as started; the guard marks it finished when dropped (even if cancelled).
    pub(crate) fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// `(finished, in_flight)` right now.
    pub(crate) fn snapshot(&self) -> (u64, u64) {
        (
            self.finished.load(Ordering::Relaxed),
            self.in_flight.load(Ordering::Relaxed),
        )
    }
}

/// Guard for one request being handled.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// SplitMix64 over an atomic Weyl sequence.
#[derive(Debug)]
pub(crate) struct SplitMix(AtomicU64);

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub(crate) fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Per-connection control: lets a handler (`/reset`) abort its own connection, and lets
/// shutdown see whether the connection still has requests in flight.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    reset: AtomicBool,
    abort: Notify,
    in_flight: AtomicUsize,
}

impl ConnControl {
    /// Marks a request on this connection as started, until the guard drops.
    pub(crate) fn start(&self) -> ConnRequest<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        ConnRequest(self)
    }

    /// Requests of this connection currently being handled.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Asks the connection task to drop the connection, closing the socket with an RST.
    pub(crate) fn request_reset(&self) {
        self.reset.store(true, Ordering::Release);
        self.abort.notify_one();
    }

    /// Whether a reset was requested (checked when the socket is closed).
    pub(crate) fn reset_requested(&self) -> bool {
        self.reset.load(Ordering::Acquire)
    }

    /// Resolves once a reset was requested.
    pub(crate) async fn aborted(&self) {
        self.abort.notified().await;
    }
}

/// Guard for one request being handled on a connection.
#[derive(Debug)]
pub(crate) struct ConnRequest<'a>(&'a ConnControl);

impl Drop for ConnRequest<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_roughly_uniform() {
        let rng = SplitMix::new(1);
        let n = 100_000;
        let below: usize = (0..n).filter(|_| rng.next_f64() < 0.25).count();
        let frac = below as f64 / n as f64;
        assert!((0.24..0.26).contains(&frac), "fraction {frac}");
        assert!((0..1000).all(|_| (0.0..1.0).contains(&rng.next_f64())));
    }

    #[test]
    fn in_flight_guard_counts() {
        let stats = Stats::default();
        let g = stats.start();
        assert_eq!(stats.snapshot(), (0, 1));
        drop(g);
        assert_eq!(stats.snapshot(), (1, 0));
    }
}
