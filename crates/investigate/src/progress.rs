//! What an investigation reports while it runs: typed [`Event`]s (the investigation's budget,
//! each phase started and finished, each investigator started and finished with its verdict)
//! sent to a [`Sink`] the caller gives in [`crate::Request::progress`]. The library only emits
//! them; the binary renders them (a live display on a terminal, one line per phase otherwise).
//!
//! Events come from the thread that runs the investigation, in order: a phase's
//! [`Event::PhaseStarted`], its investigators' [`Event::InvestigatorStarted`] and
//! [`Event::InvestigatorFinished`] (each investigator that starts also finishes, with a verdict
//! of `timed_out` or `interrupted` when it did not answer), then its [`Event::PhaseFinished`].

use crate::model::{InvestigatorName, Verdict};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A stage of an investigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The service under investigation started and waited for (the demo's, or `target.start`).
    StartTarget,
    /// The investigators that observe the baseline load, side by side.
    Baseline,
    /// The sweep's active experiments, alone.
    Sweep,
    /// A command target's measured runs (and the code scan), side by side.
    Measure,
    /// The demo's recommended fixes applied and the baseline measured again.
    BeforeAfter,
    /// The integrator's ranking and the report.
    Report,
}

impl Phase {
    /// The phase as the progress display names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::StartTarget => "starting the target",
            Phase::Baseline => "baseline",
            Phase::Sweep => "sweep",
            Phase::Measure => "measuring the command",
            Phase::BeforeAfter => "before/after",
            Phase::Report => "report",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The plan is known: its name and time budget.
    Investigation {
        /// The plan's name.
        name: String,
        /// The plan's time budget.
        budget: Duration,
    },
    /// A phase started.
    PhaseStarted {
        /// Which.
        phase: Phase,
        /// Its own time limit, when it has one (the investigators' budget in this phase).
        budget: Option<Duration>,
    },
    /// An investigator started (in the phase last started).
    InvestigatorStarted {
        /// Which.
        name: InvestigatorName,
    },
    /// An investigator finished, or the plan asks for one that cannot run on this target
    /// (`not_applicable` set, without a start event).
    InvestigatorFinished {
        /// Which.
        name: InvestigatorName,
        /// Its outcome.
        verdict: Verdict,
        /// Its findings.
        findings: usize,
        /// How long it ran.
        took: Duration,
        /// Why it failed, timed out or does not apply, when it did.
        note: Option<String>,
    },
    /// A phase finished (or was cut short by an interrupt: `interrupted`).
    PhaseFinished {
        /// Which.
        phase: Phase,
        /// How long it took.
        took: Duration,
        /// Whether an interrupt cut it short.
        interrupted: bool,
    },
}

/// Where events go. Called from the investigation's thread; a sink must return quickly.
pub trait Sink: Send + Sync {
    /// Receives one event.
    fn event(&self, event: &Event);
}

/// The progress handle the library emits through: a [`Sink`], or nothing.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn Sink>>);

impl Progress {
    /// Events go to `sink`.
    pub fn to(sink: Arc<dyn Sink>) -> Self {
        Progress(Some(sink))
    }

    /// Events go nowhere.
    pub fn none() -> Self {
        Progress(None)
    }

    /// Sends `event` to the sink, if there is one.
    pub fn emit(&self, event: Event) {
        if let Some(sink) = &self.0 {
            sink.event(&event);
        }
    }

    /// [`Event::InvestigatorFinished`] for a result.
    pub fn finished(&self, r: &crate::model::InvestigatorResult) {
        self.emit(Event::InvestigatorFinished {
            name: r.name,
            verdict: r.verdict,
            findings: r.findings.len(),
            took: Duration::from_secs_f64(r.duration_s.max(0.0)),
            note: r.error.clone(),
        });
    }

    /// [`Event::InvestigatorFinished`] for an investigator the plan asks for that cannot run
    /// on this target (its result's summary says why).
    pub fn not_applicable(&self, r: &crate::model::InvestigatorResult) {
        self.emit(Event::InvestigatorFinished {
            name: r.name,
            verdict: r.verdict,
            findings: 0,
            took: Duration::ZERO,
            note: Some(r.summary.clone()),
        });
    }

    /// Runs `f` as `phase`: [`Event::PhaseStarted`] before, [`Event::PhaseFinished`] after,
    /// interrupted when `stopped` says so by then.
    pub fn phase<T>(
        &self,
        phase: Phase,
        budget: Option<Duration>,
        stopped: impl Fn() -> bool,
        f: impl FnOnce() -> T,
    ) -> T {
        let t0 = std::time::Instant::now();
        self.emit(Event::PhaseStarted { phase, budget });
        let out = f();
        self.emit(Event::PhaseFinished {
            phase,
            took: t0.elapsed(),
            interrupted: stopped(),
        });
        out
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(sink)"
        } else {
            "Progress(none)"
        })
    }
}

/// A sink that keeps every event, for tests and for callers that render afterwards.
#[derive(Debug, Default)]
pub struct Recorder(std::sync::Mutex<Vec<Event>>);

impl Recorder {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sink for Recorder {
    fn event(&self, event: &Event) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
    }
}
