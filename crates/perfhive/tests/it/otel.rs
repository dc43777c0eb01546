//! Traces from a real OpenTelemetry SDK (Python's opentelemetry-sdk with the OTLP/HTTP
//! exporter, configured only by OTEL_* variables): `perfhive run --traces` with a dependency
//! criterion, and an investigation whose target perfhive starts with the OpenTelemetry
//! environment set. CI installs the SDK (.ci/run); elsewhere a missing SDK is a reported skip
//! (perfhive-test-support's Python fixture).

use crate::{f, perfhive, repo, run_json, tempdir};
use perfhive_test_support::python::{Python, HTTP_EXPORTER};
use perfhive_test_support::{free_port, Spawned};
use serde_json::Value;
use std::process::Stdio;

/// Python with the OpenTelemetry SDK and its OTLP/HTTP exporter, or the reported skip of `check`.
fn python(check: &str) -> Option<Python> {
    Python::otel(&format!("perfhive::it::otel::{check}"), &[HTTP_EXPORTER])
}

fn fixture() -> String {
    repo("crates/perfhive/tests/fixtures/otel_checkout.py")
}

/// The instrumented checkout service (killed on drop) and its URL.
fn start_service(python: &Python, endpoint: &str) -> (Spawned, String) {
    let mut cmd = python.command();
    cmd.arg(fixture())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_SERVICE_NAME", "checkout")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_METRICS_EXPORTER", "none")
        .stdout(Stdio::piped());
    let mut service = Spawned::spawn(cmd).expect("the checkout service starts");
    let line = service.first_line();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    (service, line)
}

#[test]
fn run_with_traces_breaks_time_down_and_gates_on_a_dependency() {
    let _serial = crate::exclusive();
    let Some(python) = python("run_with_traces_breaks_time_down_and_gates_on_a_dependency") else {
        return;
    };
    let rx = free_port();
    let (_svc, url) = start_service(&python, &format!("http://127.0.0.1:{rx}"));
    let (code, record, stderr) = run_json(&[
        &format!("{url}/checkout"),
        "--rate",
        "20",
        "--duration",
        "3s",
        "--traces",
        "--traces-listen",
        &format!("127.0.0.1:{rx}"),
        "--traces-no-grpc",
        "--criteria",
        "error_rate_pct <= 1",
        "--criteria",
        "payments_p95_ms <= 10",
    ]);
    assert_eq!(code, 1, "payments is ~30 ms, over 10: {stderr}");
    let t = &record["traces"];
    assert!(f(t, "/traces") >= 40.0, "{t:#}");
    let charge = t["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "charge")
        .unwrap_or_else(|| panic!("{t:#}"));
    // ~30 ms of a ~50 ms request (sleeps run long on this VM, so shares move); the shares
    // of the critical path add up to the whole
    assert!(f(charge, "/share_pct") > 20.0, "{charge} {t:#}");
    let total: f64 = t["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| f(p, "/share_pct"))
        .sum();
    assert!((total - 100.0).abs() < 0.01, "{total}");
    let render = t["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "render")
        .unwrap();
    assert_eq!(render["function"], "render_cart");
    let n1 = &t["n_plus_one"][0];
    assert_eq!(n1["count"], 6, "{t:#}");
    assert_eq!(n1["function"], "load_items");
    assert!(
        n1["file"].as_str().unwrap().ends_with("/otel_checkout.py"),
        "{n1}"
    );
    let deps: Vec<&str> = t["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        deps.contains(&"payments") && deps.contains(&"postgresql"),
        "{deps:?}"
    );
    let c = &record["criteria"][1];
    assert_eq!(c["passed"], false, "{c}");
    assert!(f(c, "/value") >= 29.0, "{c}");
    assert_eq!(record["criteria"][0]["passed"], true);
}

#[test]
fn an_investigation_tells_the_target_it_starts_where_to_send_spans() {
    let _serial = crate::exclusive();
    let Some(python) = python("an_investigation_tells_the_target_it_starts_where_to_send_spans")
    else {
        return;
    };
    let dir = tempdir();
    let port = free_port();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            r#"name: otel-checkout
target:
  url: http://127.0.0.1:{port}
  start: {python} {fixture} {port}
budget_seconds: 60
load:
  users: 2
  duration_seconds: 3
  requests:
    - {{ name: checkout, path: /checkout }}
investigators:
  load: {{ timing_samples: 2 }}
  traces: {{ wait_seconds: 3, budgets: {{ payments: 10 }} }}
  code: {{ path: {fixture} }}
"#,
            fixture = fixture(),
            python = python.program(),
        ),
    )
    .unwrap();
    let o = perfhive()
        .arg("--no-history")
        .args(["investigate", "--json", "--out-dir"])
        .arg(dir.join("reports"))
        .arg(&plan)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let traces = r["investigators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "traces")
        .unwrap();
    assert_eq!(traces["verdict"], "found", "{traces:#}\n{stderr}");
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["finding"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"traces.n-plus-one.0"), "{ids:?}");
    assert!(ids.contains(&"traces.budget.payments"), "{ids:?}");
    assert!(ids.contains(&"traces.phase.charge"), "{ids:?}");
    let es = &r["executive_summary"];
    assert!(
        es["breakdown_source"]
            .as_str()
            .unwrap()
            .contains("critical path"),
        "{es:#}"
    );
    // charge (~30 ms) leads on a quiet machine; six 1 ms statements can pass it when this VM's
    // timers run late, so only its presence near the top is checked
    let top: Vec<&Value> = es["time_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .collect();
    assert!(top.iter().any(|p| p["name"] == "charge"), "{es:#}");
    // the static N+1 in `load_items` is confirmed by the trace's N+1 from the same function
    let code_n1 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["finding"]["id"]
                .as_str()
                .unwrap()
                .starts_with("code.py-n-plus-one-query")
        })
        .unwrap_or_else(|| panic!("{ids:?}"));
    assert_eq!(code_n1["joined_on"][0], "load_items", "{code_n1:#}");
    assert!(code_n1["confirmed_by"]
        .as_array()
        .unwrap()
        .contains(&Value::from("traces")));
}
