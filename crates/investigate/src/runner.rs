//! Running investigators side by side: each on its own thread with its own time budget; one
//! that fails, panics or overruns is reported as such (`failed`, `timed_out`) and the others'
//! results still come back, so the report always completes.

use crate::model::{InvestigatorResult, Verdict};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Shared by all investigators of one investigation.
#[derive(Clone, Debug)]
pub struct Context {
    /// Base URL of the target.
    pub target_url: String,
    /// Set when the investigation must stop (budget over, Ctrl-C): investigators check it.
    pub stop: Arc<AtomicBool>,
}

/// Why an investigator could not produce a result.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvestigatorError(pub String);

/// One investigator: a small module behind this trait.
pub trait Investigator: Send {
    /// Its name in the report.
    fn name(&self) -> &'static str;
    /// Runs until done or until `deadline`, checking `ctx.stop`.
    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError>;
}

/// Runs every investigator concurrently, each with `budget`; returns results in input order.
pub fn run_all(
    investigators: Vec<Box<dyn Investigator>>,
    ctx: &Context,
    budget: Duration,
) -> Vec<InvestigatorResult> {
    let start = Instant::now();
    let deadline = start + budget;
    let (tx, rx) = mpsc::channel();
    let names: Vec<&'static str> = investigators.iter().map(|i| i.name()).collect();
    for (idx, mut inv) in investigators.into_iter().enumerate() {
        let tx_thread = tx.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("investigator-{}", inv.name()))
            .spawn(move || {
                let t0 = Instant::now();
                let name = inv.name();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    inv.run(&ctx, deadline)
                }));
                let result = match outcome {
                    Ok(Ok(mut r)) => {
                        r.duration_s = t0.elapsed().as_secs_f64();
                        r
                    }
                    Ok(Err(e)) => InvestigatorResult::failed(
                        name,
                        Verdict::Failed,
                        e.0,
                        t0.elapsed().as_secs_f64(),
                    ),
                    Err(panic) => {
                        let msg = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "panicked".into());
                        InvestigatorResult::failed(
                            name,
                            Verdict::Failed,
                            format!("internal error: {msg}"),
                            t0.elapsed().as_secs_f64(),
                        )
                    }
                };
                let _ = tx_thread.send((idx, result));
            });
        if let Err(e) = spawned {
            let _ = tx.send((
                idx,
                InvestigatorResult::failed(
                    names[idx],
                    Verdict::Failed,
                    format!("cannot start: {e}"),
                    0.0,
                ),
            ));
        }
    }
    drop(tx);
    let mut results: Vec<Option<InvestigatorResult>> = (0..names.len()).map(|_| None).collect();
    // a grace period past the deadline for investigators to wrap up what they measured
    let grace = deadline + Duration::from_secs(5);
    loop {
        let now = Instant::now();
        if results.iter().all(Option::is_some) {
            break;
        }
        if now >= deadline {
            ctx.stop.store(true, Ordering::SeqCst);
        }
        let wait = if now < deadline {
            deadline - now
        } else {
            grace.saturating_duration_since(now)
        };
        match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
            Ok((i, r)) => results[i] = Some(r),
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= grace => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| {
                InvestigatorResult::failed(
                    names[i],
                    Verdict::TimedOut,
                    format!(
                        "no result within its budget of {:.0} s",
                        budget.as_secs_f64()
                    ),
                    start.elapsed().as_secs_f64(),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Finding;

    struct Fake {
        name: &'static str,
        behaviour: &'static str,
    }

    impl Investigator for Fake {
        fn name(&self) -> &'static str {
            self.name
        }
        fn run(
            &mut self,
            ctx: &Context,
            _deadline: Instant,
        ) -> Result<InvestigatorResult, InvestigatorError> {
            match self.behaviour {
                "fail" => Err(InvestigatorError("target unreachable".into())),
                "panic" => panic!("boom"),
                "hang" => {
                    // ignores the stop flag on purpose
                    std::thread::sleep(Duration::from_secs(30));
                    unreachable!()
                }
                "cooperative" => {
                    while !ctx.stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Ok(InvestigatorResult {
                        name: self.name.into(),
                        verdict: Verdict::InsufficientData,
                        summary: "stopped early".into(),
                        findings: vec![],
                        data: serde_json::Value::Null,
                        duration_s: 0.0,
                        error: None,
                    })
                }
                _ => Ok(InvestigatorResult {
                    name: self.name.into(),
                    verdict: Verdict::Found,
                    summary: "ok".into(),
                    findings: vec![Finding {
                        id: "x".into(),
                        investigator: self.name.into(),
                        title: "t".into(),
                        detail: "d".into(),
                        severity: 0.5,
                        time_share: None,
                        subject: "s".into(),
                        evidence: vec![],
                        heuristic: false,
                        functions: Vec::new(),
                        files: Vec::new(),
                        recommendation: None,
                    }],
                    data: serde_json::Value::Null,
                    duration_s: 0.0,
                    error: None,
                }),
            }
        }
    }

    #[test]
    fn failures_panics_and_overruns_are_reported_and_the_rest_completes() {
        let ctx = Context {
            target_url: "http://127.0.0.1:1".into(),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let invs: Vec<Box<dyn Investigator>> = vec![
            Box::new(Fake {
                name: "good",
                behaviour: "ok",
            }),
            Box::new(Fake {
                name: "bad",
                behaviour: "fail",
            }),
            Box::new(Fake {
                name: "crash",
                behaviour: "panic",
            }),
            Box::new(Fake {
                name: "polite",
                behaviour: "cooperative",
            }),
            Box::new(Fake {
                name: "stuck",
                behaviour: "hang",
            }),
        ];
        let t0 = Instant::now();
        let r = run_all(invs, &ctx, Duration::from_millis(300));
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "bounded by budget + grace"
        );
        let v: Vec<_> = r.iter().map(|x| (x.name.as_str(), x.verdict)).collect();
        assert_eq!(
            v,
            [
                ("good", Verdict::Found),
                ("bad", Verdict::Failed),
                ("crash", Verdict::Failed),
                ("polite", Verdict::InsufficientData),
                ("stuck", Verdict::TimedOut)
            ]
        );
        assert_eq!(r[1].error.as_deref(), Some("target unreachable"));
        assert!(r[2].error.as_deref().unwrap().contains("boom"));
    }
}
