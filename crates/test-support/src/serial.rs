//! One lock per test binary, for tests that must not run side by side: on a 2-core machine a
//! load test beside anything else (another load, a CPU-bound child, a Python exporter) skews
//! what it measures.

use std::sync::{Mutex, MutexGuard};

/// Takes this test binary's exclusive lock; held until the guard drops. A test that panicked
/// while holding it does not poison it for the others.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
