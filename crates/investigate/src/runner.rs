//! Running investigators side by side: each on its own thread with its own time budget; one
//! that fails, panics or overruns is reported as such (`failed`, `timed_out`) and the others'
//! results still come back, so the report always completes.
//!
//! Each call of [`run_all`] is one phase with its own stop flag: set at the phase's deadline
//! (which ends this phase only — a baseline that ran out of time does not empty the sweep
//! after it) or as soon as the investigation's flag is set (an interrupt), after which the
//! investigators have [`INTERRUPT_GRACE`] to return what they measured.
//!
//! Each investigator's start and result go to the context's [`Progress`] as they happen.

use crate::model::{InvestigatorName, InvestigatorResult, Verdict};
use crate::progress::{Event, Progress};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long investigators have to return what they measured after an interrupt.
pub const INTERRUPT_GRACE: Duration = Duration::from_millis(1000);

/// How long investigators have to wrap up past their phase's deadline.
pub const DEADLINE_GRACE: Duration = Duration::from_secs(5);

/// How often a phase looks at the investigation's stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Shared by all investigators of one investigation.
#[derive(Clone, Debug)]
pub struct Context {
    /// Base URL of the target.
    pub target_url: String,
    /// Set when the investigators must stop and return what they measured: inside a phase,
    /// its deadline or an interrupt; for [`run_all`]'s caller, an interrupt.
    pub stop: Arc<AtomicBool>,
    /// Where each investigator's start and result are reported.
    pub progress: Progress,
}

impl Context {
    /// Whether the investigators must stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Why an investigator could not produce a result.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvestigatorError(pub String);

/// One investigator: a small module behind this trait.
pub trait Investigator: Send {
    /// Its name in the report.
    fn name(&self) -> InvestigatorName;
    /// Runs until done or until `deadline`, checking `ctx.stop`.
    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError>;
}

/// One investigator on its own thread; its result (or why there is none) goes to `tx`.
fn spawn(
    idx: usize,
    mut inv: Box<dyn Investigator>,
    ctx: Context,
    deadline: Instant,
    tx: mpsc::Sender<(usize, InvestigatorResult)>,
) {
    let name = inv.name();
    let tx_thread = tx.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("investigator-{name}"))
        .spawn(move || {
            let t0 = Instant::now();
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inv.run(&ctx, deadline)));
            let took = t0.elapsed().as_secs_f64();
            let result = match outcome {
                Ok(Ok(mut r)) => {
                    r.duration_s = took;
                    r
                }
                Ok(Err(e)) => InvestigatorResult::failed(name, Verdict::Failed, e.0, took),
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panicked".into());
                    let error = format!("internal error: {msg}");
                    InvestigatorResult::failed(name, Verdict::Failed, error, took)
                }
            };
            let _ = tx_thread.send((idx, result));
        });
    if let Err(e) = spawned {
        let error = format!("cannot start: {e}");
        let _ = tx.send((
            idx,
            InvestigatorResult::failed(name, Verdict::Failed, error, 0.0),
        ));
    }
}

/// Runs every investigator concurrently, each with `budget`, as one phase (see the module
/// docs); returns results in input order.
pub fn run_all(
    investigators: Vec<Box<dyn Investigator>>,
    ctx: &Context,
    budget: Duration,
) -> Vec<InvestigatorResult> {
    let start = Instant::now();
    let deadline = start + budget;
    let phase = Context {
        target_url: ctx.target_url.clone(),
        stop: Arc::new(AtomicBool::new(ctx.stopped())),
        progress: ctx.progress.clone(),
    };
    let (tx, rx) = mpsc::channel();
    let names: Vec<InvestigatorName> = investigators.iter().map(|i| i.name()).collect();
    for (idx, inv) in investigators.into_iter().enumerate() {
        ctx.progress
            .emit(Event::InvestigatorStarted { name: inv.name() });
        spawn(idx, inv, phase.clone(), deadline, tx.clone());
    }
    drop(tx);
    let mut results: Vec<Option<InvestigatorResult>> = (0..names.len()).map(|_| None).collect();
    // until when the phase waits for results: the deadline's grace, or an interrupt's
    let mut give_up = deadline + DEADLINE_GRACE;
    let mut interrupted = false;
    while results.iter().any(Option::is_none) {
        let now = Instant::now();
        if ctx.stopped() && !interrupted {
            interrupted = true;
            phase.stop.store(true, Ordering::SeqCst);
            give_up = give_up.min(now + INTERRUPT_GRACE);
        }
        if now >= deadline {
            phase.stop.store(true, Ordering::SeqCst);
        }
        if now >= give_up {
            break;
        }
        match rx.recv_timeout(POLL.min(give_up - now)) {
            Ok((i, r)) => {
                ctx.progress.finished(&r);
                results[i] = Some(r);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // investigators that did not answer keep running detached, told to stop
    phase.stop.store(true, Ordering::SeqCst);
    let took = start.elapsed().as_secs_f64();
    results
        .into_iter()
        .zip(names)
        .map(|(r, name)| {
            r.unwrap_or_else(|| {
                let r = if interrupted {
                    let error = "interrupted before it returned a result".to_string();
                    InvestigatorResult::failed(name, Verdict::Interrupted, error, took)
                } else {
                    let error = format!(
                        "no result within its budget of {:.0} s",
                        budget.as_secs_f64()
                    );
                    InvestigatorResult::failed(name, Verdict::TimedOut, error, took)
                };
                ctx.progress.finished(&r);
                r
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Finding;
    use InvestigatorName as N;

    #[derive(Clone, Copy)]
    enum Behaviour {
        Ok,
        Fail,
        Panic,
        /// Ignores the stop flag.
        Hang,
        /// Returns once told to stop.
        Cooperative,
    }

    struct Fake {
        name: InvestigatorName,
        behaviour: Behaviour,
    }

    impl Investigator for Fake {
        fn name(&self) -> InvestigatorName {
            self.name
        }
        fn run(
            &mut self,
            ctx: &Context,
            _deadline: Instant,
        ) -> Result<InvestigatorResult, InvestigatorError> {
            match self.behaviour {
                Behaviour::Fail => Err(InvestigatorError("target unreachable".into())),
                Behaviour::Panic => panic!("boom"),
                Behaviour::Hang => {
                    std::thread::sleep(Duration::from_secs(30));
                    unreachable!()
                }
                Behaviour::Cooperative => {
                    while !ctx.stopped() {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Ok(InvestigatorResult::insufficient(
                        self.name,
                        "stopped early",
                        None,
                    ))
                }
                Behaviour::Ok => Ok(InvestigatorResult::from_findings(
                    self.name,
                    "ok",
                    vec![Finding::new(self.name, "x", "s", "t", "d")],
                    None,
                )),
            }
        }
    }

    fn fakes(list: &[(InvestigatorName, Behaviour)]) -> Vec<Box<dyn Investigator>> {
        list.iter()
            .map(|&(name, behaviour)| Box::new(Fake { name, behaviour }) as Box<dyn Investigator>)
            .collect()
    }

    fn context() -> Context {
        Context {
            target_url: "http://127.0.0.1:1".into(),
            stop: Arc::new(AtomicBool::new(false)),
            progress: Progress::none(),
        }
    }

    #[test]
    fn failures_panics_and_overruns_are_reported_and_the_rest_completes() {
        let ctx = context();
        let invs = fakes(&[
            (N::Load, Behaviour::Ok),
            (N::Resources, Behaviour::Fail),
            (N::Sweep, Behaviour::Panic),
            (N::Profile, Behaviour::Cooperative),
            (N::Traces, Behaviour::Hang),
        ]);
        let t0 = Instant::now();
        let r = run_all(invs, &ctx, Duration::from_millis(300));
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "bounded by budget + grace"
        );
        let v: Vec<_> = r.iter().map(|x| (x.name, x.verdict)).collect();
        assert_eq!(
            v,
            [
                (N::Load, Verdict::Found),
                (N::Resources, Verdict::Failed),
                (N::Sweep, Verdict::Failed),
                (N::Profile, Verdict::InsufficientData),
                (N::Traces, Verdict::TimedOut)
            ]
        );
        assert_eq!(r[1].error.as_deref(), Some("target unreachable"));
        assert!(r[2].error.as_deref().unwrap().contains("boom"));
        // the deadline stopped that phase only: the next one starts unstopped
        assert!(!ctx.stopped());
        let next = run_all(
            fakes(&[(N::Sweep, Behaviour::Ok)]),
            &ctx,
            Duration::from_secs(5),
        );
        assert_eq!(next[0].verdict, Verdict::Found);
    }

    #[test]
    fn an_interrupt_stops_the_phase_and_reports_who_did_not_answer() {
        let ctx = context();
        let stop = ctx.stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            stop.store(true, Ordering::SeqCst);
        });
        let t0 = Instant::now();
        let r = run_all(
            fakes(&[
                (N::Profile, Behaviour::Cooperative),
                (N::Traces, Behaviour::Hang),
            ]),
            &ctx,
            Duration::from_secs(60),
        );
        // far sooner than the budget: the interrupt's grace, not the deadline's
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
        assert_eq!(r[0].verdict, Verdict::InsufficientData);
        assert_eq!(r[1].verdict, Verdict::Interrupted);
    }

    #[test]
    fn each_investigator_is_reported_started_then_finished_with_its_verdict() {
        let recorder = Arc::new(crate::progress::Recorder::default());
        let ctx = Context {
            progress: Progress::to(recorder.clone()),
            ..context()
        };
        let r = run_all(
            fakes(&[
                (N::Load, Behaviour::Ok),
                (N::Resources, Behaviour::Fail),
                (N::Traces, Behaviour::Hang),
            ]),
            &ctx,
            Duration::from_millis(300),
        );
        let events = recorder.events();
        let started: Vec<_> = events
            .iter()
            .take(3)
            .map(|e| match e {
                Event::InvestigatorStarted { name } => *name,
                other => panic!("starts come first: {other:?}"),
            })
            .collect();
        assert_eq!(started, [N::Load, N::Resources, N::Traces]);
        let mut finished: Vec<_> = events[3..]
            .iter()
            .map(|e| match e {
                Event::InvestigatorFinished {
                    name,
                    verdict,
                    note,
                    ..
                } => (*name, *verdict, note.is_some()),
                other => panic!("then results: {other:?}"),
            })
            .collect();
        // the one that never answered is reported last, when the phase gives up on it
        assert_eq!(
            finished.pop(),
            Some((N::Traces, Verdict::TimedOut, true)),
            "{events:?}"
        );
        finished.sort_by_key(|f| f.0);
        assert_eq!(
            finished,
            [
                (N::Load, Verdict::Found, false),
                (N::Resources, Verdict::Failed, true)
            ]
        );
        assert_eq!(r.len(), 3);
    }
}
