//! Failures are classified and counted, never fatal to the run.

use crate::{f, run_json, target};

fn class(r: &serde_json::Value, name: &str) -> f64 {
    r["metrics"]["errors_by_class"][name]
        .as_f64()
        .unwrap_or(0.0)
}

#[test]
fn refused_connections_are_counted() {
    let _serial = crate::exclusive();
    let port = perfhive_test_support::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let (code, r, err) = run_json(&[&url, "--rate", "50", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        (class(&r, "refused") - 50.0).abs() <= 1.0,
        "{}",
        r["metrics"]
    );
    assert_eq!(f(&r, "/metrics/error_rate_pct"), 100.0);
}

#[test]
fn resets_timeouts_and_5xx_are_classified() {
    let _serial = crate::exclusive();
    let t = target();
    let base = t.base_url();
    let (_, r, err) = run_json(&[&format!("{base}/reset"), "--rate", "20", "--duration", "1s"]);
    assert!(
        (class(&r, "reset") - 20.0).abs() <= 1.0,
        "{err} {}",
        r["metrics"]
    );

    let (_, r, _) = run_json(&[
        &format!("{base}/hang"),
        "--rate",
        "10",
        "--duration",
        "1s",
        "--timeout",
        "300ms",
    ]);
    assert!(
        (class(&r, "timeout") - 10.0).abs() <= 1.0,
        "{}",
        r["metrics"]
    );

    let (_, r, _) = run_json(&[
        &format!("{base}/status/503"),
        "--rate",
        "20",
        "--duration",
        "1s",
    ]);
    assert!(
        (class(&r, "http_5xx") - 20.0).abs() <= 1.0,
        "{}",
        r["metrics"]
    );
    assert_eq!(r["metrics"]["status_codes"]["503"], 20);
    // a response with an error status still has a latency
    assert!(r["metrics"]["latency_ms"]["p50"].as_f64().is_some());

    let (_, r, _) = run_json(&[
        &format!("{base}/status/404"),
        "--rate",
        "20",
        "--duration",
        "1s",
    ]);
    assert!(
        (class(&r, "http_4xx") - 20.0).abs() <= 1.0,
        "{}",
        r["metrics"]
    );
}

#[test]
fn a_target_that_never_answers_ends_within_a_second_of_the_planned_end() {
    let _serial = crate::exclusive();
    let t = target();
    let started = std::time::Instant::now();
    let (code, r, err) = run_json(&[
        &format!("{}/hang", t.base_url()),
        "--rate",
        "10",
        "--duration",
        "2s",
        "--timeout",
        "30s",
    ]);
    // 2 s planned + 1 s grace; generous for a loaded machine, far below the 30 s timeout
    assert!(started.elapsed().as_secs() < 8, "{:?}", started.elapsed());
    assert_eq!(code, 0, "{err}");
    assert_eq!(f(&r, "/metrics/requests"), 20.0, "{}", r["metrics"]);
    assert_eq!(class(&r, "timeout"), 20.0);
    assert!(f(&r, "/duration_s") < 4.0);
    assert!(r["generator"]["warnings"].to_string().contains("cancelled"));
}

#[test]
fn slow_requests_cut_off_by_the_planned_end_are_not_counted_as_errors() {
    let _serial = crate::exclusive();
    let t = target();
    // each user's first request succeeds after 1.6 s; the second is still in flight at the
    // deadline (2 s + 1 s grace), younger than the first: cut off, not a timeout
    let (code, r, err) = run_json(&[
        &format!("{}/slow?ms=1600", t.base_url()),
        "-c",
        "2",
        "--duration",
        "2s",
        "--timeout",
        "30s",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(class(&r, "timeout"), 0.0, "{}", r["metrics"]);
    assert_eq!(f(&r, "/metrics/error_rate_pct"), 0.0, "{}", r["metrics"]);
    assert!(f(&r, "/metrics/requests") >= 2.0, "{}", r["metrics"]);
    let warnings = r["generator"]["warnings"].to_string();
    assert!(warnings.contains("cut off"), "{warnings}");
}

#[test]
fn sigint_stops_a_run_within_a_second_exits_130_and_keeps_the_record() {
    let _serial = crate::exclusive();
    let t = target();
    let dir = crate::tempdir();
    let out_file = dir.join("record.json");
    let child = crate::perfhive()
        .args(["run", &format!("{}/hang", t.base_url())])
        .args(["--rate", "10", "--duration", "60s", "--quiet", "--out"])
        .arg(&out_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let signalled = std::time::Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    // one second of grace for the requests in flight, plus a generous margin for this VM
    assert!(took.as_secs_f64() < 4.0, "{took:?} after SIGINT");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(r["status"], "interrupted");
    assert!(f(&r, "/metrics/requests") >= 10.0, "{}", r["metrics"]);
    assert_eq!(class(&r, "timeout"), f(&r, "/metrics/requests"));
}
