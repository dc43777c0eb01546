//! perfhive-test-support: what the test suites of the workspace share, in one dev-only crate
//! (as cargo's `cargo-test-support` and rust-analyzer's `test-utils` do).
//!
//! - [`net`]: free loopback ports, a blocking `GET`'s status line and a wait for a server;
//! - [`fs`]: fresh temporary directories and paths, files of the repository;
//! - [`child`]: a spawned child process killed with its process group and reaped on drop;
//! - [`serial`]: one lock per test binary for tests that must not run side by side;
//! - [`otlp`]: OTLP export requests (protobuf, gzip, gRPC frames) to feed a receiver;
//! - [`python`]: the OpenTelemetry Python SDK as a real exporter, or a reported skip;
//! - [`http`]: HTTP/1.1 and h2c test clients over loopback, and a time bound per test;
//! - [`pty`]: a child on a pseudo-terminal, its output collected for a terminal emulator.
//!
//! **Skips are never silent.** A test whose real check cannot run here (a tool or SDK that is
//! not installed, a permission this process lacks) calls [`skip`]: it prints one line
//! `perfhive-skip: <check>: <why>` straight to the terminal (past the test harness's output
//! capture) and, when `PERFHIVE_SKIP_LOG` names a file, appends the same line to it, so
//! `scripts/test.sh` lists every check that did not run; in CI (the `CI` variable is set) it
//! then fails the test.

#![allow(clippy::print_stderr)]

pub mod child;
pub mod fs;
pub mod http;
pub mod net;
pub mod otlp;
pub mod pty;
pub mod python;
pub mod serial;

use std::io::Write;

pub use child::{running, Spawned};
pub use fs::{repo_path, tempdir, unique_path};
pub use net::{free_addr, free_port, http_status, wait_http};
pub use serial::exclusive;

/// The start of every skip line.
pub const SKIP_PREFIX: &str = "perfhive-skip: ";

/// The variable naming a file every skip line is appended to.
pub const SKIP_LOG: &str = "PERFHIVE_SKIP_LOG";

/// Whether the tests run in CI: the `CI` variable is set and not empty.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports that `check` (the test's name or what it proves) did not run because of `why` (what
/// is missing, and how to get it). In CI it then panics: there, every check must run.
pub fn skip(check: &str, why: &str) {
    let log = std::env::var_os(SKIP_LOG).map(std::path::PathBuf::from);
    // Not `eprint!`: the test harness captures that and shows it only for failing tests.
    skip_to(check, why, ci(), &mut std::io::stderr().lock(), log);
}

/// [`skip`] with its inputs explicit: the line goes to `terminal` and `log` in every case (so
/// `scripts/test.sh` lists a check that failed in CI for being skipped, too), then it panics
/// when `in_ci`.
fn skip_to(
    check: &str,
    why: &str,
    in_ci: bool,
    terminal: &mut dyn Write,
    log: Option<std::path::PathBuf>,
) {
    report(check, why, terminal, log);
    assert!(!in_ci, "{check} must run in CI, but {why}");
}

/// Writes the skip line to `terminal` and appends it to `log`.
fn report(check: &str, why: &str, terminal: &mut dyn Write, log: Option<std::path::PathBuf>) {
    // one line whatever `why` holds (a tool's multi-line stderr, say)
    let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = format!("{SKIP_PREFIX}{check}: {why}\n");
    let _ = terminal.write_all(line.as_bytes());
    if let Some(path) = log {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = appended {
            eprintln!("cannot append to {SKIP_LOG}={}: {e}", path.display());
        }
    }
}

/// `true` when `available`; otherwise reports the skip of `check` (see [`skip`]) and returns
/// `false`, so a test reads `if !require(…) { return; }`.
pub fn require(check: &str, available: bool, why: &str) -> bool {
    if !available {
        skip(check, why);
    }
    available
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_one_line_in_the_log() {
        let log = unique_path("skip-log");
        let mut terminal = Vec::new();
        let why = "tool not installed (apt install tool)";
        report("demo::check", why, &mut terminal, Some(log.clone()));
        report("other", "why", &mut terminal, Some(log.clone()));
        let expected = "perfhive-skip: demo::check: tool not installed (apt install tool)\n\
                        perfhive-skip: other: why\n";
        assert_eq!(String::from_utf8(terminal).expect("utf-8"), expected);
        let text = std::fs::read_to_string(&log).expect("the log was written");
        assert_eq!(text, expected);
        let _ = std::fs::remove_file(log);
        assert!(require("present", true, "never printed"));
    }

    #[test]
    fn skip_fails_in_ci_after_logging() {
        let log = unique_path("skip-log-ci");
        let mut terminal = Vec::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            skip_to(
                "ci::check",
                "missing",
                true,
                &mut terminal,
                Some(log.clone()),
            )
        }));
        assert!(r.is_err(), "a skip in CI fails the test");
        let text = std::fs::read_to_string(&log).expect("the log was written first");
        assert_eq!(text, "perfhive-skip: ci::check: missing\n");
        let _ = std::fs::remove_file(log);
        skip_to("local::check", "missing", false, &mut Vec::new(), None);
    }
}
