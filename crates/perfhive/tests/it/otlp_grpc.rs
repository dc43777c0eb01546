//! `perfhive traces` over OTLP/gRPC and compressed OTLP/HTTP, fed by the real OpenTelemetry
//! Python SDK (`opentelemetry-exporter-otlp-proto-grpc` and `-proto-http`, installed by
//! `.ci/run`), and the CLI's gRPC listener flags.

use crate::{perfhive, tempdir};
use perfhive_test_support::python::{
    assert_exported, Compression, Python, Transport, CHECKOUT_SPANS, GRPC_EXPORTER, HTTP_EXPORTER,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// Python with the OpenTelemetry SDK and the exporter `module`, or the reported skip of `check`.
fn python(check: &str, module: &str) -> Option<Python> {
    Python::otel(&format!("perfhive::it::otlp_grpc::{check}"), &[module])
}

/// `perfhive traces` on free loopback ports; returns the child and its OTLP/HTTP and
/// OTLP/gRPC endpoints as printed on stderr (the rest of stderr is drained in the background).
fn start_traces(out: &std::path::Path) -> (Child, String, String, std::thread::JoinHandle<String>) {
    let mut child = perfhive()
        .args([
            "traces",
            "--duration",
            "60s",
            "--bind",
            "127.0.0.1:0",
            "--grpc-listen",
            "127.0.0.1:0",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut head = String::new();
    let mut line = String::new();
    while !head.contains("OTLP/gRPC") {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("perfhive traces exited early:\n{head}");
        }
        head.push_str(&line);
    }
    let url_after = |marker: &str| {
        let rest = &head[head.find(marker).unwrap_or_else(|| panic!("{head}")) + marker.len()..];
        rest.split_whitespace().next().unwrap().to_owned()
    };
    let http = url_after("OTLP/HTTP traces at ");
    let grpc = url_after("OTLP/gRPC traces at ");
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    (child, http, grpc, rest)
}

/// Exports the checkout trace twice from Python (one exporter per compression), then stops
/// `perfhive traces` with Ctrl-C and returns its stdout and the `--out` JSON.
fn export_and_collect(
    mut child: Child,
    rest: std::thread::JoinHandle<String>,
    out: &std::path::Path,
    export: impl FnOnce() -> std::process::Output,
) -> (String, Value) {
    let py = export();
    // SIGINT is `perfhive traces`' early stop, after which it prints the breakdown.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    if !py.status.success() {
        let _ = child.kill();
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let stderr = rest.join().unwrap();
    assert_exported(&py);
    assert!(status.success(), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (stdout, v)
}

/// The two Python traces, as `perfhive traces` summarised them.
fn check_summary(stdout: &str, v: &Value) {
    assert_eq!(v["spans"], 2 * CHECKOUT_SPANS, "{v:#}");
    assert_eq!(v["traces"], 2, "{v:#}");
    assert_eq!(v["dropped"], 0);
    // charge leads on a quiet machine; late timers can lift the SELECT spans past it
    let phases = v["phases"].as_array().unwrap();
    assert!(
        phases.iter().take(3).any(|p| p["name"] == "charge"),
        "{v:#}"
    );
    let n1 = v["n_plus_one"].as_array().unwrap();
    assert_eq!(n1.len(), 1, "{v:#}");
    assert_eq!(
        (
            &n1[0]["parent_name"],
            &n1[0]["count"],
            &n1[0]["traces_affected"]
        ),
        (&Value::from("load-cart"), &Value::from(6), &Value::from(2))
    );
    let deps = v["dependencies"].as_array().unwrap();
    let pay = deps.iter().find(|d| d["name"] == "payments").unwrap();
    assert_eq!(pay["count"], 2);
    assert!(pay["p50_ms"].as_f64().unwrap() >= 50.0, "{pay}");
    assert!(stdout.contains("18 spans in 2 traces"), "{stdout}");
}

#[test]
fn traces_receives_python_otlp_grpc_plain_and_gzip() {
    let _serial = crate::exclusive();
    let Some(py) = python(
        "traces_receives_python_otlp_grpc_plain_and_gzip",
        GRPC_EXPORTER,
    ) else {
        return;
    };
    let out = tempdir().join("traces.json");
    let (child, http, grpc, rest) = start_traces(&out);
    assert!(http.starts_with("http://127.0.0.1:") && http.ends_with("/v1/traces"));
    assert!(grpc.starts_with("http://127.0.0.1:"), "{grpc}");
    assert_ne!(
        grpc.trim_end_matches('/'),
        http.trim_end_matches("/v1/traces")
    );
    let (stdout, v) = export_and_collect(child, rest, &out, || {
        py.export_checkout(
            Transport::Grpc,
            &grpc,
            &[Compression::None, Compression::Gzip],
        )
    });
    check_summary(&stdout, &v);
}

#[test]
fn traces_receives_python_otlp_http_gzip() {
    let _serial = crate::exclusive();
    let Some(py) = python("traces_receives_python_otlp_http_gzip", HTTP_EXPORTER) else {
        return;
    };
    let out = tempdir().join("traces.json");
    let (child, http, _, rest) = start_traces(&out);
    let (stdout, v) = export_and_collect(child, rest, &out, || {
        py.export_checkout(
            Transport::Http,
            &http,
            &[Compression::Gzip, Compression::Gzip],
        )
    });
    check_summary(&stdout, &v);
}

#[test]
fn traces_grpc_flags() {
    let _serial = crate::exclusive();
    // a busy gRPC port is an error naming it, with the way out
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let o = perfhive()
        .args(["traces", "--duration", "1s", "--bind", "127.0.0.1:0"])
        .args(["--grpc-listen", &busy_addr])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("OTLP/gRPC on {busy_addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("--no-grpc"), "{stderr}");
    // --no-grpc serves OTLP/HTTP only
    let o = perfhive()
        .args(["traces", "--duration", "200ms", "--bind", "127.0.0.1:0"])
        .args(["--no-grpc"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("OTLP/HTTP traces at"), "{stderr}");
    assert!(!stderr.contains("OTLP/gRPC"), "{stderr}");
    // the two flags exclude each other
    let o = perfhive()
        .args(["traces", "--no-grpc", "--grpc-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
