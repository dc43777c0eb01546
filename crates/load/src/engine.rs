//! The run, in three stages over one context: `setup` (requests and connections prepared from
//! the scenario, options checked, observed processes found, workers started), `aggregate`
//! (the workers' one-second reports merged into the time series, rollback triggers evaluated on
//! sliding windows, observed processes sampled, progress reported, the run's deadline kept) and
//! `finish` (the last partial second, the workers' full statistics merged into a
//! [`RunResult`]).
//!
//! Deadlines: an open-model run lasts its planned length even when its last arrival is due
//! earlier (a rate of 1 for 5 s ends at 5 s, not at the fifth request). Requests still in flight
//! [`END_GRACE`] after the planned end, or [`STOP_GRACE`] after a stop (Ctrl-C, a rollback
//! trigger), are cancelled and counted as timeouts, so a target that never answers cannot hold
//! a run past its end and what was measured is kept.

mod aggregate;
mod finish;
mod setup;
mod window;

use crate::stats::WorkerStats;
use crate::worker::{Proto, StopSignal};
use perfhive_core::record::{AbortInfo, TimePoint};
use perfhive_scenario::{Profile, Scenario};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long after the planned end requests in flight may still complete.
pub const END_GRACE: Duration = Duration::from_secs(1);
/// How long after a stop (Ctrl-C, a rollback trigger) requests in flight may still complete.
pub const STOP_GRACE: Duration = Duration::from_secs(1);
/// Most worker threads.
pub const MAX_THREADS: usize = 256;
/// Requests per second one worker thread can be expected to send (measured on a 2-vCPU VM in
/// `bench/load.sh`: about 30,000 per CPU-second in the open model); beyond threads × this, the
/// run is warned about.
pub const RATE_PER_THREAD: f64 = 30_000.0;

/// How a run is carried out (not what is sent: that is the scenario).
#[derive(Clone)]
pub struct LoadOptions {
    /// Worker threads (each a current-thread runtime), 1 to [`MAX_THREADS`].
    pub threads: usize,
    /// Multiplies every phase duration (1.0 = as written); checked by
    /// [`perfhive_scenario::limits::time_scale`].
    pub time_scale: f64,
    /// Extra trusted root certificates (DER).
    pub extra_roots: Vec<Vec<u8>>,
    /// Stop control shared with the caller (Ctrl-C): [`StopSignal::stop`] ends scheduling and
    /// cancels what is in flight [`STOP_GRACE`] later; [`StopSignal::hard_stop`] cancels at once.
    pub stop: Arc<StopSignal>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            time_scale: 1.0,
            extra_roots: Vec::new(),
            stop: Arc::new(StopSignal::default()),
        }
    }
}

impl LoadOptions {
    /// Checks the options against `scenario` (threads 1 to [`MAX_THREADS`], a time scale that
    /// keeps the run between a millisecond and a week) and returns the profile as it will run.
    /// [`run`] checks too; a program calls this first to refuse bad options before it starts
    /// anything else.
    pub fn check(&self, scenario: &Scenario) -> Result<Profile, LoadError> {
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(LoadError::Threads(self.threads));
        }
        if self.time_scale.to_bits() == 1f64.to_bits() {
            // as written, without a round trip through floating-point seconds
            Ok(scenario.profile.clone())
        } else {
            scenario
                .profile
                .time_scaled(self.time_scale)
                .map_err(LoadError::TimeScale)
        }
    }

    /// The options of a command line: `threads` generator threads (default: one per core) and
    /// `time_scale`, checked against `scenario` so that they are refused before anything
    /// starts; the message names the option (`--threads`, `--time-scale`).
    pub fn from_flags(
        threads: Option<usize>,
        time_scale: f64,
        stop: Arc<StopSignal>,
        scenario: &Scenario,
    ) -> Result<LoadOptions, String> {
        let opts = LoadOptions {
            threads: threads.unwrap_or_else(|| LoadOptions::default().threads),
            time_scale,
            extra_roots: Vec::new(),
            stop,
        };
        opts.check(scenario).map_err(|e| match e {
            LoadError::Threads(n) => {
                format!("--threads: expected 1 to {MAX_THREADS} generator threads, found {n}")
            }
            LoadError::TimeScale(m) => format!("--time-scale: {m}"),
            e => e.to_string(),
        })?;
        Ok(opts)
    }
}

/// A once-a-second progress report.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Time since the start.
    pub elapsed: Duration,
    /// Planned length.
    pub total: Duration,
    /// Phase in force.
    pub phase: String,
    /// Target rate or users.
    pub target: f64,
    /// Completed requests in the last second.
    pub rps: f64,
    /// Corrected p99 of the last second, ms.
    pub p99_ms: Option<f64>,
    /// Completed requests so far.
    pub requests: u64,
    /// Failed requests so far.
    pub errors: u64,
    /// Requests in flight.
    pub in_flight: u64,
}

/// Receives progress.
pub trait Progress {
    /// Called once a second with the totals so far and that second's time-series point.
    fn tick(&mut self, tick: &Tick, point: &TimePoint);
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn tick(&mut self, _: &Tick, _: &TimePoint) {}
}

/// Errors that prevent a run from starting.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A URL could not be used.
    #[error("invalid URL `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// DNS resolution failed.
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        /// The host.
        host: String,
        /// The error.
        source: std::io::Error,
    },
    /// A request could not be built.
    #[error("invalid request `{name}`: {reason}")]
    Request {
        /// Request name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The number of worker threads is out of range.
    #[error("threads: expected 1 to {MAX_THREADS} generator threads, found {0}")]
    Threads(usize),
    /// The time scale is out of range.
    #[error("time scale: {0}")]
    TimeScale(String),
    /// Threads or timers could not be created.
    #[error("cannot start the load generator: {0}")]
    Start(#[from] std::io::Error),
}

/// What the engine measured; turned into a record by [`crate::build_record`].
pub struct RunResult {
    /// Wall-clock start.
    pub started: SystemTime,
    /// Length of the run.
    pub elapsed: Duration,
    /// The profile as run (time-scaled).
    pub profile: Profile,
    /// Protocol used.
    pub proto: Proto,
    /// Worker threads.
    pub workers: usize,
    /// Merged stats of all workers.
    pub stats: WorkerStats,
    /// One point per second.
    pub timeseries: Vec<TimePoint>,
    /// Observed processes: name and how they were selected, and whether ever found.
    pub observed: Vec<(String, String, bool, usize)>,
    /// Set when stopped early.
    pub abort: Option<AbortInfo>,
    /// Total CPU of the worker threads.
    pub generator_cpu: Duration,
    /// The in-flight limit.
    pub in_flight_limit: u64,
    /// Base URL actually targeted.
    pub url: String,
    /// What the engine found about the run before and while it ran (a rate beyond the
    /// generator, requests cancelled at the deadline), for the record's generator report.
    pub warnings: Vec<String>,
}

/// Runs a scenario to completion, abort or interruption, on the caller's tokio runtime.
pub async fn run(
    scenario: &Scenario,
    opts: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<RunResult, LoadError> {
    let mut ctx = setup::setup(scenario, opts).await?;
    aggregate::aggregate(&mut ctx, progress).await;
    Ok(finish::finish(ctx, progress))
}

/// [`run`] on a runtime of its own: the one call a program needs to run a scenario. Stop it
/// from another thread (a signal handler) through [`LoadOptions::stop`].
pub fn run_blocking(
    scenario: &Scenario,
    opts: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<RunResult, LoadError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(scenario, opts, progress))
}

/// Everything the stages share: set up once, then filled in by the aggregation.
pub(crate) struct RunContext<'a> {
    pub scenario: &'a Scenario,
    pub opts: &'a LoadOptions,
    /// Time zero of the run.
    pub start: Instant,
    pub started: SystemTime,
    pub profile: Profile,
    pub proto: Proto,
    pub workers: usize,
    pub in_flight_limit: u64,
    pub threads: Vec<std::thread::JoinHandle<()>>,
    pub rx: tokio::sync::mpsc::UnboundedReceiver<crate::worker::Msg>,
    pub observers: Vec<setup::Observed>,
    pub warnings: Vec<String>,
    /// Filled by the aggregation.
    pub agg: aggregate::State,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfhive_scenario::Quick;

    #[test]
    fn command_line_options_are_checked_and_name_their_flag() {
        let s = Scenario::quick(Quick::new("http://127.0.0.1:8080/")).unwrap();
        let stop = Arc::new(StopSignal::default());
        let opts = LoadOptions::from_flags(None, 0.5, stop.clone(), &s).unwrap();
        assert_eq!(opts.threads, LoadOptions::default().threads);
        assert_eq!(opts.check(&s).unwrap().total(), Duration::from_secs(5));
        assert_eq!(
            LoadOptions::from_flags(Some(3), 1.0, stop.clone(), &s)
                .unwrap()
                .threads,
            3
        );
        let e = LoadOptions::from_flags(Some(0), 1.0, stop.clone(), &s)
            .err()
            .unwrap();
        assert_eq!(
            e,
            format!("--threads: expected 1 to {MAX_THREADS} generator threads, found 0")
        );
        let e = LoadOptions::from_flags(None, 1e-9, stop, &s).err().unwrap();
        assert!(e.starts_with("--time-scale: "), "{e}");
    }
}
