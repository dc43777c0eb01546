//! `perfhive traces` over OTLP/gRPC and compressed OTLP/HTTP, fed by the real OpenTelemetry
//! Python SDK (`opentelemetry-exporter-otlp-proto-grpc` and `-proto-http`, installed by
//! `.ci/run`), and the CLI's gRPC listener flags.

use crate::{perfhive, tempdir};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// Whether Python has the SDK and `module`; outside CI a missing SDK skips the test.
#[allow(clippy::print_stderr)]
fn python_has(module: &str) -> bool {
    let probe = Command::new("python3")
        .args(["-c", &format!("import opentelemetry.sdk, {module}")])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {module} (.ci/run)"
    );
    eprintln!("note: skipped — needs the Python package providing {module}");
    false
}

/// Records two traces (checkout → load-cart → 6 × SELECT items, and charge → payments) in
/// memory, then exports each with its own exporter and fails unless both exports succeed.
/// `argv[1]` is the transport (`grpc` or `http`), `argv[2]` the endpoint.
const PY_EXPORT: &str = r#"
import sys, time
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

transport, endpoint = sys.argv[1], sys.argv[2]
if transport == "grpc":
    from grpc import Compression
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporters = [OTLPSpanExporter(endpoint=endpoint, insecure=True),
                 OTLPSpanExporter(endpoint=endpoint, insecure=True, compression=Compression.Gzip)]
else:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporters = [OTLPSpanExporter(endpoint=endpoint, compression=Compression.Gzip) for _ in range(2)]

failed = []
for exporter in exporters:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("perfhive-it")
    with tracer.start_as_current_span("checkout"):
        with tracer.start_as_current_span("load-cart"):
            for _ in range(6):
                with tracer.start_as_current_span("SELECT items", kind=trace.SpanKind.CLIENT) as s:
                    s.set_attribute("db.system", "postgresql")
                    s.set_attribute("db.statement", "SELECT * FROM items WHERE id = ?")
                    time.sleep(0.002)
        with tracer.start_as_current_span("charge", kind=trace.SpanKind.CLIENT) as s:
            s.set_attribute("peer.service", "payments")
            time.sleep(0.05)
    provider.shutdown()
    result = exporter.export(memory.get_finished_spans())
    if result != SpanExportResult.SUCCESS:
        failed.append(str(result))
    exporter.shutdown()
if failed:
    sys.exit("exports failed: " + ", ".join(failed))
"#;

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

/// Runs the Python exporter, then stops `perfhive traces` with Ctrl-C and returns its stdout
/// and the `--out` JSON.
fn export_and_collect(
    mut child: Child,
    rest: std::thread::JoinHandle<String>,
    out: &std::path::Path,
    transport: &str,
    endpoint: &str,
) -> (String, Value) {
    let py = Command::new("python3")
        .args(["-c", PY_EXPORT, transport, endpoint])
        .output()
        .unwrap();
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
    assert!(
        py.status.success(),
        "python export failed:\n{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert!(status.success(), "{stdout}\n{stderr}");
    let v: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (stdout, v)
}

/// The two Python traces, as `perfhive traces` summarised them.
fn check_summary(stdout: &str, v: &Value) {
    assert_eq!(v["spans"], 18, "{v:#}");
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
    if !python_has("opentelemetry.exporter.otlp.proto.grpc") {
        return;
    }
    let out = tempdir().join("traces.json");
    let (child, http, grpc, rest) = start_traces(&out);
    assert!(http.starts_with("http://127.0.0.1:") && http.ends_with("/v1/traces"));
    assert!(grpc.starts_with("http://127.0.0.1:"), "{grpc}");
    assert_ne!(
        grpc.trim_end_matches('/'),
        http.trim_end_matches("/v1/traces")
    );
    let (stdout, v) = export_and_collect(child, rest, &out, "grpc", &grpc);
    check_summary(&stdout, &v);
}

#[test]
fn traces_receives_python_otlp_http_gzip() {
    let _serial = crate::exclusive();
    if !python_has("opentelemetry.exporter.otlp.proto.http") {
        return;
    }
    let out = tempdir().join("traces.json");
    let (child, http, _, rest) = start_traces(&out);
    let (stdout, v) = export_and_collect(child, rest, &out, "http", &http);
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
