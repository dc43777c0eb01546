//! The one place that decides exit codes (documented in README.md):
//! 0 ok, 1 success criteria failed, 2 usage or input error, 3 aborted by a rollback trigger,
//! 130 interrupted by the user (SIGINT), 143 terminated (SIGTERM).

use perfhive_core::record::RunStatus;

/// An exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub u8);

impl Code {
    /// Success.
    pub const OK: Code = Code(0);
    /// A success criterion failed.
    pub const CRITERIA_FAILED: Code = Code(1);
    /// Bad usage or input.
    pub const INPUT: Code = Code(2);
    /// A rollback trigger stopped the run.
    pub const ABORTED: Code = Code(3);
    /// Ctrl-C (SIGINT): 128 + 2.
    pub const INTERRUPTED: Code = Code(130);
    /// SIGTERM: 128 + 15.
    pub const TERMINATED: Code = Code(143);

    /// [`Code::CRITERIA_FAILED`] when a `--fail-on` level was reached, else [`Code::OK`].
    pub fn failed_if(failed: bool) -> Code {
        if failed {
            Code::CRITERIA_FAILED
        } else {
            Code::OK
        }
    }

    /// The code for a run's outcome.
    pub fn for_status(s: RunStatus) -> Code {
        match s {
            RunStatus::Passed => Code::OK,
            RunStatus::Failed => Code::CRITERIA_FAILED,
            RunStatus::Aborted => Code::ABORTED,
            RunStatus::Interrupted => Code::INTERRUPTED,
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(c: Code) -> Self {
        std::process::ExitCode::from(c.0)
    }
}

/// Errors that reach main happen before anything is measured: the input, the environment or
/// the usage needs fixing. All map to 2.
pub fn code_for_error(_err: &anyhow::Error) -> Code {
    Code::INPUT
}

/// The exit status when stdout's reader went away: 128 + SIGPIPE, what a shell reports for a
/// process the signal ended.
pub const BROKEN_PIPE: u8 = 141;

/// Whether `err` is a write to a reader that went away (a closed pipe): not an error of the
/// user's, and nothing is printed for it when it was stdout's.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
