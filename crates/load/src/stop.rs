//! Stopping a run from outside (Ctrl-C, SIGTERM, a caller's deadline) or from inside (a
//! rollback trigger, the run's own deadline): two flags and a notification every task of every
//! worker can wait on.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Stops a run: `stop` ends scheduling (in-flight requests finish), `hard_stop` cancels them.
#[derive(Default)]
pub struct StopSignal {
    soft: AtomicBool,
    hard: AtomicBool,
    notify: Notify,
}

impl StopSignal {
    /// No new requests.
    pub fn stop(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    /// Cancel requests in flight too.
    pub fn hard_stop(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.hard.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    /// Whether `stop` was called.
    pub fn is_stopped(&self) -> bool {
        self.soft.load(Ordering::SeqCst)
    }
    /// Whether `hard_stop` was called.
    pub fn is_hard(&self) -> bool {
        self.hard.load(Ordering::SeqCst)
    }
    /// Resolves once stopped (hard: only by `hard_stop`); registration happens before the flag
    /// check, so no wake-up is lost between threads.
    pub async fn stopped(&self, hard: bool) {
        loop {
            let n = self.notify.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if (hard && self.is_hard()) || (!hard && self.is_stopped()) {
                return;
            }
            n.await;
        }
    }
}
