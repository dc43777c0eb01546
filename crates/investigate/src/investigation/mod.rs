//! One investigation end to end, by target kind: an HTTP service (`http.rs`: the trace receiver,
//! the started target, the observed baseline, then the sweep alone) or a command run
//! repeatedly (`command.rs`: the bench engine and the code scan) — each a sequence of named
//! stages — then the integrator's report with a runnable validation plan ([`validation`]).
//!
//! An interrupt (the stop flag of [`Options`]) ends the stage in progress within a second and
//! skips the rest: the report is built from what was measured and marked partial.

mod command;
mod http;
pub mod validation;
mod workload;

pub use crate::started::{start_target, StartedTarget};
pub use workload::baseline_scenario;

use crate::model::InvestigatorResult;
use crate::plan::{Plan, TargetKind};
use crate::progress::{Event, Progress};
use crate::report::{Interruption, Report};
use perfhive_scenario::Scenario;
use perfhive_traces::RunningReceiver;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Why an investigation could not run.
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    /// The plan (or its scenario) is not valid.
    #[error(transparent)]
    Scenario(#[from] perfhive_scenario::ScenarioError),
    /// Another problem with the plan or its target.
    #[error("{0}")]
    Plan(String),
    /// The report folder cannot be written.
    #[error("{0}")]
    OutDir(String),
    /// The demo service did not start.
    #[error("{0}")]
    Demo(String),
    /// Interrupted before anything was measured.
    #[error("interrupted before anything was measured")]
    Interrupted,
}

/// How to run a plan.
#[derive(Clone)]
pub struct Options {
    /// Where the plan's relative paths start ([`crate::plan::plan_dir`]).
    pub plan_dir: PathBuf,
    /// How the user named the plan, for the validation commands.
    pub plan_ref: String,
    /// Load generator threads.
    pub threads: usize,
    /// Set on an interrupt: the investigation stops and reports what it measured.
    pub stop: Arc<AtomicBool>,
    /// A trace receiver already running (the demo's), instead of one per the plan.
    pub receiver: Option<Arc<RunningReceiver>>,
    /// Where phases and investigators are reported as they start and finish.
    pub progress: Progress,
}

impl Options {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Runs `f` as `phase`, reported to the progress sink.
    fn phase<T>(&self, phase: crate::Phase, budget: Option<Duration>, f: impl FnOnce() -> T) -> T {
        self.progress.phase(phase, budget, || self.stopped(), f)
    }
}

/// A finished investigation.
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// Raw data files: (file name, bytes).
    pub raw: Vec<(String, Vec<u8>)>,
    /// The baseline scenario of an HTTP target (for re-measuring).
    pub scenario: Option<Scenario>,
}

/// Runs a plan.
pub fn run(plan: &Plan, opts: &Options) -> Result<Outcome, InvestigateError> {
    opts.progress.emit(Event::Investigation {
        name: plan.name.clone(),
        budget: Duration::from_secs_f64(plan.budget_seconds),
    });
    match plan.target_kind() {
        TargetKind::Http(url) => http::run(plan, url, opts),
        TargetKind::Command(command) => Ok(command::run(plan, command, opts)),
    }
}

/// When an investigation started, and what it has not done.
struct Clock {
    started: Instant,
    date: String,
    /// Stages not run or cut short by an interrupt.
    not_run: Vec<String>,
}

impl Clock {
    fn start() -> Self {
        Clock {
            started: Instant::now(),
            date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            not_run: Vec::new(),
        }
    }

    /// Notes `stage` as not run (or cut short) when the investigation is stopping; returns
    /// whether it is.
    fn skip_if_stopped(&mut self, opts: &Options, stage: &str) -> bool {
        let stopped = opts.stopped();
        if stopped {
            self.not_run.push(stage.to_string());
        }
        stopped
    }

    /// What the report says about an interrupt, if there was one.
    fn interruption(&self, opts: &Options) -> Option<Interruption> {
        opts.stopped().then(|| Interruption {
            after_s: (self.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            not_run: self.not_run.clone(),
        })
    }
}

/// The raw data files: each investigator's data as `<name>.json`.
fn data_files(results: &[InvestigatorResult]) -> Vec<(String, Vec<u8>)> {
    results
        .iter()
        .filter_map(|r| Some((r.name.data_file(), r.data.as_ref()?.to_file_bytes())))
        .collect()
}
