//! What a user gives `perfhive investigate`: a plan named by its bare file name, numbers out of
//! range, an unwritable report folder — and the status the history records.

use crate::{perfhive, tempdir};
use perfhive_test_support::free_port;
use serde_json::Value;

#[test]
fn a_bare_plan_name_with_target_start_runs_and_its_failed_criteria_are_stored_as_failed() {
    let _serial = crate::exclusive();
    let port = free_port();
    let dir = tempdir();
    std::fs::write(
        dir.join("plan.yaml"),
        format!(
            "name: bare\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' testbed --port {port} --duration 60s\"\nbudget_seconds: 20\nsuccess_criteria: [\"p50_latency_ms < 0.001\"]\nload:\n  users: 1\n  duration_seconds: 1\n  requests:\n    - {{ name: fast, path: /fast }}\ninvestigators:\n  load: {{ timing_samples: 1 }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    let history = dir.join("h.db");
    // `plan.yaml`, not a path: its folder is the current directory
    let o = perfhive()
        .current_dir(&dir)
        .arg("--history")
        .arg(&history)
        .args(["investigate", "plan.yaml", "--out-dir", "r", "--json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["status"], "failed");
    // the load investigator ran against the started target (a fast endpoint: nothing to find)
    assert_eq!(r["investigators"][0]["name"], "load", "{err}");
    assert!(
        ["found", "clean"].contains(&r["investigators"][0]["verdict"].as_str().unwrap_or("")),
        "{err}"
    );
    assert!(dir.join("r").read_dir().unwrap().next().is_some());
    let rows = perfhive()
        .arg("--history")
        .arg(&history)
        .args(["history", "--kind", "investigation", "--json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    assert_eq!(rows[0]["status"], "failed", "{rows:#}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the target was stopped"
    );
}

/// Runs `investigate` on a plan with `line` as its `load.*` line; returns the exit code and
/// stderr.
fn plan_with_load(line: &str) -> (Option<i32>, String, std::path::PathBuf) {
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!("name: x\ntarget: {{ url: \"http://127.0.0.1:9\" }}\nload:\n  {line}\n  requests: [{{ name: a, path: / }}]\ninvestigators: {{ load: {{}} }}\n"),
    )
    .unwrap();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(&plan)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).to_string(),
        plan,
    )
}

#[test]
fn numbers_out_of_range_are_plan_errors_with_their_place() {
    let _serial = crate::exclusive();
    for (line, says) in [
        (
            "duration_seconds: 1e30",
            "expected a duration in seconds from 0.001 to 86400, got 1e30",
        ),
        (
            "users: 100000000",
            "expected a number of users from 1 to 10000, got 100000000",
        ),
        ("users: 1e8", "expected u32"),
        ("rate_rps: .nan", "expected a rate in requests per second"),
        ("duration_seconds: -1", "got -1"),
    ] {
        let (code, err, plan) = plan_with_load(line);
        assert_eq!(code, Some(2), "{line}: {err}");
        // the `load` line it is on
        assert!(
            err.contains(&format!("{}:4:", plan.display())),
            "{line}: {err}"
        );
        assert!(err.contains(says), "{line}: {err}");
    }
}

#[test]
fn an_unwritable_out_dir_is_found_before_the_target_starts() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let marker = dir.join("started");
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: x\ntarget:\n  url: \"http://127.0.0.1:{}\"\n  start: \"touch '{}'; sleep 30\"\nload: {{ users: 1, duration_seconds: 1, requests: [{{ name: a, path: / }}] }}\ninvestigators: {{ load: {{}} }}\n",
            free_port(),
            marker.display()
        ),
    )
    .unwrap();
    // a folder under a regular file cannot be created, whoever runs the test
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let t0 = std::time::Instant::now();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(&plan)
        .arg("--out-dir")
        .arg(file.join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write reports into"), "{err}");
    assert!(err.contains("--out-dir"), "{err}");
    assert!(!marker.exists(), "the target was not started");
    assert!(t0.elapsed().as_secs() < 10, "nothing ran");
}
