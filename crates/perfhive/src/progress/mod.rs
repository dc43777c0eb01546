//! Progress on stderr for the commands that take a while (`run`, `bench`, `investigate`), one
//! convention for all: on a terminal an indicatif display, otherwise plain lines (or nothing),
//! nothing with `--quiet`; the live lines are cleared before the result is printed. Each
//! display also writes what it sees to the history as it comes ([`Recording`]), so an
//! interrupted run keeps what it measured.
//!
//! [`Recording`]: crate::recording::Recording

mod bench;
mod investigate;
mod load;

pub use bench::BenchProgress;
pub use investigate::InvestigateProgress;
pub use load::LoadProgress;

use crate::output::Printer;
use indicatif::ProgressStyle;
use std::time::Duration;

/// How the progress shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A live display (stderr is a terminal).
    Live,
    /// Plain lines (stderr is a file or a pipe).
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// The mode for this process's stderr, or [`Mode::Quiet`] with `--quiet`.
    pub fn of(quiet: bool, out: &Printer) -> Mode {
        match (quiet, out.interactive()) {
            (true, _) => Mode::Quiet,
            (false, true) => Mode::Live,
            (false, false) => Mode::Lines,
        }
    }
}

/// Spinner frames and redraw period of every spinner.
const TICK: Duration = Duration::from_millis(120);

/// An indicatif style from one of this module's templates.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("static template")
}

/// A bar's style: `template` drawn with `=> `.
fn bar_style(template: &str) -> ProgressStyle {
    style(template).progress_chars("=> ")
}
