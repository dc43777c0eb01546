//! Interrupts, in one place for every command: SIGINT (Ctrl-C) and SIGTERM are caught on a
//! thread of their own; each command registers what stopping means for it (a load run stops
//! scheduling, a bench kills the run in progress and keeps the completed ones, an investigation
//! stops its investigators and its started target), writes what it measured, and exits 130 or
//! 143 as a shell expects (128 + the signal's number).
//!
//! A second signal of either kind means "stop now": handlers get the count, so a load run can
//! cancel its requests in flight on the second Ctrl-C.

use crate::exit::Code;
use perfhive_core::record::RunStatus;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Which signal arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, Ctrl-C.
    Interrupt,
    /// SIGTERM, a polite kill (systemd, Kubernetes, `kill`).
    Terminate,
}

impl Signal {
    /// The exit code a shell expects after this signal.
    pub fn exit_code(self) -> Code {
        match self {
            Signal::Interrupt => Code::INTERRUPTED,
            Signal::Terminate => Code::TERMINATED,
        }
    }

    fn number(self) -> i32 {
        match self {
            Signal::Interrupt => 2,  // SIGINT on every Unix
            Signal::Terminate => 15, // SIGTERM on every Unix
        }
    }
}

type Handler = Box<dyn Fn(Signal, u32) + Send + Sync>;

#[derive(Default)]
struct State {
    /// The first signal's number, 0 while none arrived.
    first: AtomicI32,
    /// How many signals arrived.
    count: AtomicU32,
    handlers: Mutex<Vec<Handler>>,
}

/// The process's interrupt state: which signal arrived, and what to do when one does.
#[derive(Clone)]
pub struct Interrupts {
    state: Arc<State>,
}

impl Interrupts {
    /// Starts listening for SIGINT and SIGTERM (once per process; later calls share it).
    pub fn install() -> Interrupts {
        static GLOBAL: std::sync::OnceLock<Interrupts> = std::sync::OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let it = Interrupts {
                    state: Arc::new(State::default()),
                };
                let listener = it.clone();
                // Without a listener thread signals keep their default action (the process
                // dies): still a defined outcome, so a failure to spawn is not fatal.
                let _ = std::thread::Builder::new()
                    .name("perfhive-signals".into())
                    .spawn(move || listener.listen());
                it
            })
            .clone()
    }

    fn listen(&self) {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            loop {
                let sig = tokio::select! {
                    _ = int.recv() => Signal::Interrupt,
                    _ = term.recv() => Signal::Terminate,
                };
                self.deliver(sig);
            }
        });
    }

    /// Records `sig` and runs the handlers (also what tests call instead of a real signal).
    pub fn deliver(&self, sig: Signal) {
        let _ =
            self.state
                .first
                .compare_exchange(0, sig.number(), Ordering::SeqCst, Ordering::SeqCst);
        let n = self.state.count.fetch_add(1, Ordering::SeqCst) + 1;
        let handlers = self
            .state
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for h in handlers.iter() {
            h(sig, n);
        }
    }

    /// Runs `f(signal, count)` on every signal from now on (and at once when one already
    /// arrived, so registering late loses nothing).
    pub fn on_signal(&self, f: impl Fn(Signal, u32) + Send + Sync + 'static) {
        if let Some(sig) = self.signal() {
            f(sig, self.state.count.load(Ordering::SeqCst));
        }
        self.state
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
    }

    /// The first signal that arrived, if any.
    pub fn signal(&self) -> Option<Signal> {
        match self.state.first.load(Ordering::SeqCst) {
            0 => None,
            15 => Some(Signal::Terminate),
            _ => Some(Signal::Interrupt),
        }
    }

    /// The exit code for an interrupted command: 130 after SIGINT, 143 after SIGTERM, and
    /// `otherwise` when no signal arrived.
    pub fn code_or(&self, otherwise: Code) -> Code {
        self.signal().map_or(otherwise, Signal::exit_code)
    }

    /// The exit code of a run that ended with `status`: an interrupted run exits by the signal
    /// that stopped it (130 when none is known), the others by [`Code::for_status`].
    pub fn code_for(&self, status: RunStatus) -> Code {
        match status {
            RunStatus::Interrupted => self.code_or(Code::INTERRUPTED),
            status => Code::for_status(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn handlers_see_every_signal_and_late_ones_the_first() {
        let it = Interrupts {
            state: Arc::new(State::default()),
        };
        assert_eq!(it.code_or(Code::OK), Code::OK);
        let seen = Arc::new(AtomicU32::new(0));
        let s = seen.clone();
        it.on_signal(move |_, n| s.store(n, Ordering::SeqCst));
        it.deliver(Signal::Terminate);
        it.deliver(Signal::Interrupt);
        assert_eq!(seen.load(Ordering::SeqCst), 2);
        // the first signal decides the exit code
        assert_eq!(it.code_or(Code::OK), Code::TERMINATED);
        let late = Arc::new(AtomicBool::new(false));
        let l = late.clone();
        it.on_signal(move |sig, _| l.store(sig == Signal::Terminate, Ordering::SeqCst));
        assert!(late.load(Ordering::SeqCst));
        // a run that ended by the signal exits by it; other outcomes keep their own code
        assert_eq!(it.code_for(RunStatus::Interrupted), Code::TERMINATED);
        assert_eq!(it.code_for(RunStatus::Failed), Code::CRITERIA_FAILED);
        let quiet = Interrupts {
            state: Arc::new(State::default()),
        };
        assert_eq!(quiet.code_for(RunStatus::Interrupted), Code::INTERRUPTED);
        assert_eq!(quiet.code_for(RunStatus::Aborted), Code::ABORTED);
    }
}
