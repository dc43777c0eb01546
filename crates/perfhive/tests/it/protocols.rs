//! HTTP/2 (h2c and over TLS), HTTPS with HTTP/1.1, chunked bodies.

use crate::{f, run_json, target, target_with};
use perfhive_testbed::TargetOptions;

#[test]
fn h2c_prior_knowledge() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let (code, r, err) = run_json(&[&url, "--http2", "--rate", "200", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["target"]["http_version"], "h2");
    assert_eq!(f(&r, "/metrics/requests"), 200.0);
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    // multiplexed: far fewer connections than requests
    assert!(
        f(&r, "/generator/connections_opened") <= 4.0,
        "{}",
        r["generator"]
    );
}

#[test]
fn https_http1_and_h2_by_alpn() {
    let _serial = crate::exclusive();
    let t = target_with(TargetOptions {
        tls: true,
        ..Default::default()
    });
    let url = format!("{}/fast", t.base_url());
    assert!(url.starts_with("https://"));
    let (code, r, err) = run_json(&[&url, "-k", "--http1", "--rate", "100", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["target"]["http_version"], "http/1.1");
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    assert!(r["metrics"]["tls_ms"]["p50"].as_f64().is_some());
    // auto: ALPN picks h2
    let (code, r, err) = run_json(&[&url, "-k", "--rate", "100", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["target"]["http_version"], "h2");
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    // without -k the self-signed certificate is rejected: a TLS error, counted
    let (_, r, _) = run_json(&[&url, "--http1", "--rate", "20", "--duration", "1s"]);
    assert!(
        r["metrics"]["errors_by_class"]["tls"]
            .as_f64()
            .unwrap_or(0.0)
            >= 19.0,
        "{}",
        r["metrics"]
    );
}

#[test]
fn chunked_and_large_bodies_are_read_in_full() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/chunked?n=100000&chunks=7", t.base_url());
    let (code, r, err) = run_json(&[&url, "--http1", "--rate", "50", "--duration", "1s"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    assert!(f(&r, "/metrics/bytes_received") >= 50.0 * 100_000.0);
    // keep-alive survived the chunked framing: connections were opened for concurrency (as
    // many as were in flight at once, which a stall raises, and a few per generator thread),
    // not one per request
    let opened = f(&r, "/generator/connections_opened");
    let allowed = f(&r, "/generator/max_in_flight") + 2.0 * f(&r, "/generator/threads");
    assert!(opened <= allowed && opened < 50.0, "{}", r["generator"]);
    let url = format!("{}/bytes?n=1000000", t.base_url());
    let (_, r, _) = run_json(&[&url, "--rate", "20", "--duration", "1s"]);
    assert_eq!(f(&r, "/metrics/errors"), 0.0);
    assert!(f(&r, "/metrics/bytes_received") >= 20.0 * 1_000_000.0);
}

#[test]
fn post_bodies_and_headers_reach_the_target() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/checkout", t.base_url());
    let (code, r, err) = run_json(&[
        &url,
        "-m",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--body",
        "{\"items\": 10}",
        "--rate",
        "50",
        "--duration",
        "1s",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["metrics"]["status_codes"]["200"], 50);
    let (_, r, _) = run_json(&[
        &url,
        "-m",
        "POST",
        "--body",
        "not json",
        "--rate",
        "20",
        "--duration",
        "1s",
    ]);
    assert_eq!(r["metrics"]["status_codes"]["400"], 20);
}
