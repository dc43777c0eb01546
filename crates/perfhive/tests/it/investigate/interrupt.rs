//! Stopping an investigation. SIGTERM and SIGINT during an investigation of a target perfhive
//! started: it stops within seconds, exits 143 or 130, writes a partial report of what it
//! measured (marked so in every format and in the history), and stops the target, whose port is
//! free again. A baseline that runs out of its time stops itself only, not the sweep after it.

use crate::{perfhive, tempdir};
use perfhive_test_support::free_port;
use serde_json::Value;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Investigates a started testbed with a long baseline and a sweep, sends `signal` once the
/// baseline runs, and returns the exit code, the report on stdout, the seconds from the signal
/// to the exit, the report folder, the history's row, and the target's port.
fn interrupted(signal: &str) -> (Option<i32>, Value, f64, std::path::PathBuf, Value, u16) {
    let port = free_port();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: stopped\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' testbed --port {port} --duration 120s\"\nbudget_seconds: 90\nload:\n  users: 2\n  duration_seconds: 30\n  requests:\n    - {{ name: slow, path: \"/slow?ms=5\" }}\ninvestigators:\n  load: {{ timing_samples: 2 }}\n  resources: {{ hz: 20 }}\n  sweep: {{ concurrency: [1, 2], level_seconds: 1 }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    let history = dir.join("h.db");
    let out = dir.join("reports");
    let child = perfhive()
        .arg("--history")
        .arg(&history)
        .arg("investigate")
        .arg(&plan)
        .arg("--out-dir")
        .arg(&out)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the target answers: the baseline starts; let it measure a little
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the target never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let took = sent.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("a JSON report on stdout ({e}); stderr: {err}"));
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .expect("a report folder")
        .unwrap()
        .path();
    let rows = perfhive()
        .arg("--history")
        .arg(&history)
        .args(["history", "--kind", "investigation", "--json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    (o.status.code(), report, took, folder, rows[0].clone(), port)
}

fn assert_partial(report: &Value, folder: &std::path::Path, row: &Value, port: u16) {
    assert_eq!(
        report["status"], "interrupted",
        "{:#}",
        report["interruption"]
    );
    // what was measured is kept: the baseline's requests so far
    let load = &report["investigators"][0];
    assert_eq!(load["name"], "load");
    assert!(
        load["data"]["record"]["metrics"]["requests"]
            .as_u64()
            .unwrap()
            > 0,
        "{load:#}"
    );
    let not_run: Vec<&str> = report["interruption"]["not_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(not_run.contains(&"the sweep"), "{not_run:?}");
    // marked partial in every format
    let md = std::fs::read_to_string(folder.join("report.md")).unwrap();
    assert!(
        md.contains("> **Partial report.** Interrupted after"),
        "{md}"
    );
    let html = std::fs::read_to_string(folder.join("report.html")).unwrap();
    assert!(html.contains("<strong>Partial report.</strong> Interrupted after"));
    let json: Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["status"], "interrupted");
    assert_eq!(row["status"], "interrupted", "{row:#}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the started target was stopped: its port is free"
    );
}

#[test]
fn sigterm_writes_a_partial_report_stops_the_target_and_exits_143() {
    let _serial = crate::exclusive();
    let (code, report, took, folder, row, port) = interrupted("TERM");
    assert_eq!(code, Some(143));
    // a sanity bound only: the investigation would have run the 30 s baseline and the sweep
    assert!(took < 15.0, "stopped {took:.1} s after SIGTERM");
    assert_partial(&report, &folder, &row, port);
}

#[test]
fn sigint_is_honoured_at_once_and_exits_130() {
    let _serial = crate::exclusive();
    let (code, report, took, folder, row, port) = interrupted("INT");
    assert_eq!(code, Some(130));
    assert!(took < 15.0, "stopped {took:.1} s after SIGINT");
    assert_partial(&report, &folder, &row, port);
}

#[test]
fn a_baseline_that_runs_out_of_time_does_not_empty_the_sweep() {
    let _serial = crate::exclusive();
    let port = free_port();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    // 20 sequential Server-Timing samples of a 300 ms request outlast the baseline's deadline
    // (two thirds of the budget): that ends the baseline, and the sweep after it still gets
    // its own time
    std::fs::write(
        &plan,
        format!(
            "name: deadline\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' testbed --port {port} --duration 60s\"\nbudget_seconds: 9\nload:\n  users: 1\n  duration_seconds: 1\n  requests:\n    - {{ name: fast, path: /fast }}\n    - {{ name: slow, path: \"/slow?ms=300\" }}\ninvestigators:\n  load: {{ timing_samples: 20 }}\n  sweep: {{ request: fast, concurrency: [1, 2, 4], level_seconds: 0.5 }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(&plan)
        .arg("--out-dir")
        .arg(dir.join("r"))
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = r["investigators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["load", "sweep"], "{err}");
    // the baseline stopped sampling at its deadline and kept its record
    assert_ne!(r["investigators"][0]["verdict"], "timed_out");
    let sweep = &r["investigators"][1];
    let levels = sweep["data"]["levels"].as_array().unwrap().len();
    assert!(levels >= 2, "the sweep measured {levels} levels: {sweep:#}");
}
