//! Rate accuracy, coordinated omission, the closed model and the time series.

use crate::{f, run_json, target};
use std::io::Write;
use std::time::Duration;

#[test]
fn open_model_holds_1000_rps_within_one_percent() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let (code, r, err) = run_json(&[&url, "--rate", "1000", "--duration", "5s"]);
    assert_eq!(code, 0, "{err}");
    let requests = f(&r, "/metrics/requests");
    assert!((requests - 5000.0).abs() <= 50.0, "requests {requests}");
    let rps = f(&r, "/metrics/throughput_rps");
    assert!((rps - 1000.0).abs() <= 10.0, "throughput {rps}");
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    assert_eq!(r["workload"]["model"], "open");
    // one point per second, summing to the total
    let ts = r["timeseries"].as_array().unwrap();
    assert!(ts.len() >= 5, "{} points", ts.len());
    let sum: f64 = ts.iter().map(|p| p["requests"].as_f64().unwrap()).sum();
    assert_eq!(sum, requests);
}

/// Sends `POST /admin/stall?ms=N` to the target.
fn stall(addr: std::net::SocketAddr, ms: u64) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "POST /admin/stall?ms={ms} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = [0u8; 256];
    let _ = std::io::Read::read(&mut s, &mut buf);
}

#[test]
fn a_one_second_stall_shows_in_corrected_latency_only() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let addr = t.addr;
    let staller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        stall(addr, 1000);
    });
    // few connections: during the stall, the generator cannot send on time
    let (code, r, err) = run_json(&[
        &url,
        "--rate",
        "200",
        "--duration",
        "5s",
        "--max-in-flight",
        "4",
    ]);
    staller.join().unwrap();
    assert_eq!(code, 0, "{err}");
    let corrected_p95 = f(&r, "/metrics/latency_ms/p95");
    let uncorrected_p95 = f(&r, "/metrics/latency_uncorrected_ms/p95");
    let corrected_max = f(&r, "/metrics/latency_ms/max");
    assert!(corrected_p95 >= 400.0, "corrected p95 {corrected_p95}");
    // the stall is in the corrected figure, not in the uncorrected one (which this VM's own
    // stalls can lift above 100 ms)
    assert!(
        uncorrected_p95 * 3.0 < corrected_p95,
        "uncorrected p95 {uncorrected_p95}, corrected {corrected_p95}"
    );
    assert!(corrected_max >= 900.0, "corrected max {corrected_max}");
    // the generator says why: requests were sent late behind the in-flight limit
    assert!(f(&r, "/generator/late_requests") > 50.0);
    let warnings = r["generator"]["warnings"].to_string();
    assert!(warnings.contains("in-flight limit"), "{warnings}");
}

#[test]
fn closed_model_keeps_the_users_busy() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/slow?ms=20", t.base_url());
    let (code, r, err) = run_json(&[&url, "-c", "4", "--duration", "3s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["workload"]["model"], "closed");
    assert_eq!(f(&r, "/workload/concurrency"), 4.0);
    // 4 users × (1 / ~20 ms) ≈ 200 req/s at most; sanity bounds (20 ms sleeps have taken 40
    // on this VM), and Little's law ties the two figures together whatever the noise
    let rps = f(&r, "/metrics/throughput_rps");
    assert!(rps > 40.0 && rps < 210.0, "throughput {rps}");
    let mean_ms = f(&r, "/metrics/latency_ms/mean");
    assert!(mean_ms >= 20.0, "mean {mean_ms}");
    let users = rps * mean_ms / 1000.0;
    assert!(
        (3.0..=4.1).contains(&users),
        "{rps} req/s × {mean_ms} ms = {users} users"
    );
}

#[test]
fn warmup_is_recorded_but_excluded() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let (code, r, err) = run_json(&[&url, "--rate", "100", "--warmup", "1s", "--duration", "2s"]);
    assert_eq!(code, 0, "{err}");
    let phases = r["phases"].as_array().unwrap();
    assert_eq!(phases[0]["name"], "warmup");
    assert_eq!(phases[0]["measured"], false);
    assert!((f(&phases[0], "/requests") - 100.0).abs() <= 2.0);
    assert!((f(&r, "/metrics/requests") - 200.0).abs() <= 2.0);
}

#[test]
fn low_rates_report_the_rate_they_ran_at_over_the_planned_length() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/fast", t.base_url());
    // due at 0, 1, 2, 3 and 4 s: the run still lasts 5 s
    let (code, r, err) = run_json(&[&url, "--rate", "1", "--duration", "5s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f(&r, "/metrics/requests"), 5.0);
    assert!(f(&r, "/duration_s") >= 5.0, "{}", r["duration_s"]);
    assert!(
        (f(&r, "/metrics/throughput_rps") - 1.0).abs() < 0.01,
        "{}",
        r["metrics"]
    );
    // half a request a second for one second: one request, not hundreds per second
    let (code, r, err) = run_json(&[&url, "--rate", "0.5", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f(&r, "/metrics/requests"), 1.0);
    assert!(f(&r, "/metrics/throughput_rps") <= 1.0, "{}", r["metrics"]);
}

#[test]
fn a_non_standard_status_is_recorded_as_it_is() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/status/999", t.base_url());
    let (_, r, err) = run_json(&[&url, "--rate", "20", "--duration", "1s"]);
    assert_eq!(
        r["metrics"]["status_codes"]["999"], 20,
        "{err} {}",
        r["metrics"]
    );
    assert!(r["metrics"]["status_codes"].get("599").is_none());
    assert_eq!(r["metrics"]["errors_by_class"]["protocol"], 20);
}
