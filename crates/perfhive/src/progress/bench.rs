//! The progress of `perfhive bench` on a terminal: a spinner counting runs while their number
//! is being sized, then a bar over the planned runs; each sample goes to the history as it
//! comes. Nothing is drawn off a terminal.

use super::{bar_style, style, Mode, TICK};
use crate::recording::Recording;
use indicatif::ProgressBar;
use perfhive_bench::{Observer, Planned};
use perfhive_core::bench::Sample;

/// The observer of one benchmark.
pub struct BenchProgress<'a> {
    bar: Option<ProgressBar>,
    names: Vec<String>,
    recording: Option<&'a mut Recording>,
}

impl<'a> BenchProgress<'a> {
    /// A display in `mode` (drawn in [`Mode::Live`] only), writing samples to `recording`.
    pub fn new(mode: Mode, recording: Option<&'a mut Recording>) -> Self {
        let bar = (mode == Mode::Live).then(|| {
            // a display that counts runs until their total is known
            let bar = ProgressBar::no_length();
            bar.set_style(style(
                "{spinner} sizing the run count: {pos} measured {msg}",
            ));
            bar.enable_steady_tick(TICK);
            bar
        });
        BenchProgress {
            bar,
            names: Vec::new(),
            recording,
        }
    }
}

impl Drop for BenchProgress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for BenchProgress<'_> {
    fn start(&mut self, commands: &[Planned]) {
        self.names = commands.iter().map(|c| c.name.clone()).collect();
    }
    fn plan(&mut self, _: &[Planned], total: usize) {
        // the count is known from here on: a bar, and it never changes
        if let Some(bar) = &self.bar {
            bar.set_style(bar_style("{spinner} {bar:24} {pos}/{len} runs {msg}"));
            bar.set_length(total as u64);
        }
    }
    fn sample(&mut self, index: usize, seq: usize, s: &Sample) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{} — {}",
                self.names[index],
                perfhive_report::bench::secs(s.wall_s)
            ));
        }
        if let Some(r) = self.recording.as_deref_mut() {
            r.append_sample(&self.names[index], seq, s);
        }
    }
}
