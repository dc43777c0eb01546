//! One load test inside an investigation (the baseline, a sweep level, the demo's "after"):
//! the `perfhive run` engine through its blocking entry point (`run_blocking`, a runtime of
//! its own), stopped when the investigation's stop flag is set — no new requests at once, and
//! the requests still in flight cancelled half a second later, so an interrupt ends the test
//! within a second — and recorded as a `RunRecord` with what was measured until then.

use perfhive_core::record::RunRecord;
use perfhive_load::{LoadOptions, NoProgress, StopSignal};
use perfhive_scenario::Scenario;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the stop flag is polled.
const POLL: Duration = Duration::from_millis(50);

/// How long requests in flight may finish after a stop before they are cancelled.
const DRAIN: Duration = Duration::from_millis(500);

/// Runs `scenario` with `threads` generator threads, its phases scaled by `time_scale`, until
/// it ends or `stop` is set; returns its record.
pub fn load_test(
    scenario: &Scenario,
    threads: usize,
    time_scale: f64,
    stop: &Arc<AtomicBool>,
) -> Result<RunRecord, String> {
    let signal = Arc::new(StopSignal::default());
    let opts = LoadOptions {
        threads: threads.max(1),
        time_scale,
        extra_roots: Vec::new(),
        stop: signal.clone(),
    };
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (signal, done, stop) = (signal.clone(), done.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut stopped_at: Option<Instant> = None;
            while !done.load(Ordering::SeqCst) {
                if stop.load(Ordering::SeqCst) {
                    match stopped_at {
                        None => {
                            signal.stop();
                            stopped_at = Some(Instant::now());
                        }
                        Some(t) if t.elapsed() >= DRAIN => {
                            signal.hard_stop();
                            return;
                        }
                        Some(_) => {}
                    }
                }
                std::thread::sleep(POLL);
            }
        })
    };
    let result = perfhive_load::run_blocking(scenario, &opts, &mut NoProgress);
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    let result = result.map_err(|e| e.to_string())?;
    Ok(perfhive_load::build_record(scenario, &result))
}
