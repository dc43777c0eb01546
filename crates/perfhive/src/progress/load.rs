//! The progress of `perfhive run`: a bar over the planned seconds on a terminal, a line every
//! 10 s otherwise; each second's time-series point goes to the history as it comes.

use super::{bar_style, Mode};
use crate::recording::Recording;
use indicatif::ProgressBar;
use perfhive_core::record::TimePoint;
use perfhive_load::{Progress, Tick};
use std::time::Duration;

/// The progress sink of one load test.
pub struct LoadProgress<'a> {
    mode: Mode,
    bar: Option<ProgressBar>,
    recording: Option<&'a mut Recording>,
}

impl<'a> LoadProgress<'a> {
    /// A display in `mode` for a run of `total` planned time, writing its points to
    /// `recording`.
    pub fn new(mode: Mode, total: Duration, recording: Option<&'a mut Recording>) -> Self {
        let bar = (mode == Mode::Live).then(|| {
            let bar = ProgressBar::new(total.as_secs().max(1));
            bar.set_style(bar_style(
                "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len}s {msg}",
            ));
            bar
        });
        LoadProgress {
            mode,
            bar,
            recording,
        }
    }
}

impl Drop for LoadProgress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One progress line: phase, target, throughput, p99, errors and requests in flight.
fn tick_message(t: &Tick) -> String {
    let err_pct = if t.requests > 0 {
        100.0 * t.errors as f64 / t.requests as f64
    } else {
        0.0
    };
    format!(
        "{} | target {:.0} | {:.0} req/s | p99 {} | errors {} ({:.2}%) | in flight {}",
        t.phase,
        t.target,
        t.rps,
        t.p99_ms
            .map(perfhive_report::summary::ms)
            .unwrap_or_else(|| "-".into()),
        t.errors,
        err_pct,
        t.in_flight
    )
}

impl Progress for LoadProgress<'_> {
    fn tick(&mut self, t: &Tick, point: &TimePoint) {
        if let Some(r) = self.recording.as_deref_mut() {
            r.append_point(point);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(t.total.as_secs().max(1));
            bar.set_position(t.elapsed.as_secs().min(t.total.as_secs()));
            bar.set_message(tick_message(t));
        } else if self.mode == Mode::Lines && t.elapsed.as_secs().is_multiple_of(10) {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("[{:>4}s] {}", t.elapsed.as_secs(), tick_message(t));
            }
        }
    }
}
