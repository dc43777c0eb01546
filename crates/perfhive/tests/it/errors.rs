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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
