//! Integration tests of the `perfhive` binary against real HTTP servers on 127.0.0.1
//! (perfhive's own testbed on ephemeral ports). Every load is loopback-only and bounded
//! in requests and time.

mod architecture;
mod audit;
mod audit_pg;
mod bench;
mod cli;
mod compare;
mod errors;
mod history;
mod history_failures;
mod investigate;
mod measurement;
mod otel;
mod otlp_grpc;
mod profile_traces;
mod protocols;
mod scan;
mod scan_baseline;
mod scenarios;

use perfhive_testbed::{RunningTarget, TargetOptions};
use serde_json::Value;
use std::process::{Command, Output};

/// The binary under test.
pub fn perfhive() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_perfhive"));
    c.env("NO_COLOR", "1");
    // never the user's history: one database per test process
    c.env(
        "PERFHIVE_HISTORY",
        std::env::temp_dir().join(format!("perfhive-it-{}.db", std::process::id())),
    );
    c
}

/// Serialises the tests of this binary: on a 2-core machine a load test running beside
/// anything else (another load, a parallel scan, a Python exporter) skews its latencies (a
/// 5 ms endpoint reads 100 ms). Every test takes it first.
pub use perfhive_test_support::exclusive;

/// A testbed with default options.
pub fn target() -> RunningTarget {
    target_with(TargetOptions::default())
}

/// A testbed with options.
pub fn target_with(opts: TargetOptions) -> RunningTarget {
    perfhive_testbed::spawn(opts).expect("testbed starts")
}

/// Runs `perfhive run ARGS --json --quiet`; returns the exit code, the record and stderr.
pub fn run_json(args: &[&str]) -> (i32, Value, String) {
    let out = perfhive()
        .arg("run")
        .args(args)
        .args(["--json", "--quiet"])
        .output()
        .expect("perfhive runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let record: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is a JSON record ({e}); stderr:\n{stderr}"));
    (out.status.code().unwrap_or(-1), record, stderr)
}

/// Runs perfhive and returns the raw output.
pub fn run_raw(args: &[&str]) -> Output {
    perfhive().args(args).output().expect("perfhive runs")
}

/// A float field of the record by JSON pointer.
pub fn f(v: &Value, ptr: &str) -> f64 {
    v.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{ptr} in {v:#}"))
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> String {
    perfhive_test_support::repo_path(path).display().to_string()
}

/// A fresh temporary directory.
pub fn tempdir() -> std::path::PathBuf {
    perfhive_test_support::tempdir("it")
}
