//! Scenario files: the quickstart, the playbook scenario as written, criteria and triggers,
//! input errors, and the record's JSON Schema.

use crate::{f, repo, run_json, run_raw, target, tempdir};
use std::io::Write;

fn write_scenario(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path.to_string_lossy().to_string()
}

/// The exit code and status follow the criteria (0 and "passed" when none failed, 1 and
/// "failed" otherwise). Only latency criteria may miss: the examples pass on a quiet machine,
/// but this VM stalls for up to a second and the tests run a debug build.
fn exit_follows_criteria(code: i32, r: &serde_json::Value, err: &str) {
    let crit = r["criteria"].as_array().unwrap();
    let failed: Vec<&str> = crit
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["expr"].as_str().unwrap())
        .collect();
    let (want_code, want_status) = if failed.is_empty() {
        (0, "passed")
    } else {
        (1, "failed")
    };
    assert_eq!(code, want_code, "{err}\n{crit:#?}");
    assert_eq!(r["status"], want_status);
    assert!(
        failed.iter().all(|e| e.contains("latency")),
        "only latency criteria may miss on a busy machine: {failed:?}"
    );
}

#[test]
fn quickstart_runs_and_its_record_matches_the_schema() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let out = dir.join("record.json");
    let (code, r, err) = run_json(&[
        &repo("examples/quickstart.yaml"),
        "--time-scale",
        "0.5",
        "--out",
        out.to_str().unwrap(),
    ]);
    exit_follows_criteria(code, &r, &err);
    let names: Vec<_> = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "warmup",
            "ramp",
            "steady-1",
            "steady-2",
            "spike",
            "steady-2b",
            "cooldown"
        ]
    );
    // both named requests were sent in the 8:2 mix
    let reqs = r["requests"].as_array().unwrap();
    let browse = f(&reqs[0], "/requests");
    let checkout = f(&reqs[1], "/requests");
    assert!(
        (browse / (browse + checkout) - 0.8).abs() < 0.02,
        "{browse} {checkout}"
    );
    // --out wrote the same record
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["metrics"], r["metrics"]);

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schema/result-record.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&r)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // histograms decode and agree with the summary
    let h = perfhive_core::LatencyHistogram::decode(r["histograms"]["latency"].as_str().unwrap())
        .unwrap();
    assert_eq!(h.len() as f64, f(&r, "/metrics/latency_ms/count"));
}

#[test]
fn playbook_scenario_runs_as_written_time_scaled() {
    let _serial = crate::exclusive();
    // 50 minutes × 0.004 = 12 s; rates 100/250/400 rps with a spike to 3×.
    let (code, r, err) = run_json(&[
        &repo("examples/checkout-peak.yaml"),
        "--time-scale",
        "0.004",
    ]);
    exit_follows_criteria(code, &r, &err);
    let crit = r["criteria"].as_array().unwrap();
    assert_eq!(crit.len(), 3);
    assert_eq!(crit[1]["passed"], true, "no errors");
    // no process named redis here: reported, not guessed
    assert!(crit[2]["passed"].is_null());
    assert!(crit[2]["note"].as_str().unwrap().contains("redis"));
    let spike = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "spike")
        .unwrap();
    assert_eq!(f(spike, "/target_start"), 300.0);
    assert!(r["observed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "database" && o["found"] == false));
}

#[test]
fn failed_criteria_exit_1_and_passing_exit_0() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/slow?ms=20", t.base_url());
    let (code, r, _) = run_json(&[
        &url,
        "--rate",
        "50",
        "--duration",
        "1s",
        "--criteria",
        "p50_latency_ms < 5",
        "--criteria",
        "error_rate_pct <= 1",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["status"], "failed");
    assert_eq!(r["criteria"][0]["passed"], false);
    assert_eq!(r["criteria"][1]["passed"], true);
    let (code, r, _) = run_json(&[
        &url,
        "--rate",
        "50",
        "--duration",
        "1s",
        "--criteria",
        "p50_latency_ms < 5000",
    ]);
    assert_eq!(code, 0);
    assert_eq!(r["status"], "passed");
}

#[test]
fn a_rollback_trigger_stops_the_run_with_exit_3() {
    let _serial = crate::exclusive();
    let t = target();
    let url = format!("{}/error?rate=1", t.base_url());
    let started = std::time::Instant::now();
    let (code, r, err) = run_json(&[
        &url,
        "--rate",
        "50",
        "--duration",
        "60s",
        "--trigger",
        "sustained error_rate_pct > 50 for 2 seconds",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        started.elapsed().as_secs() < 20,
        "the trigger stopped the run early"
    );
    assert_eq!(r["status"], "aborted");
    assert_eq!(
        r["abort"]["trigger"],
        "sustained error_rate_pct > 50 for 2 seconds"
    );
    assert!(f(&r, "/abort/at_s") >= 2.0 && f(&r, "/abort/at_s") < 10.0);
    assert!(f(&r, "/metrics/requests") > 50.0);
    // the rest of the schedule was never due: not counted as dropped
    assert!(
        f(&r, "/metrics/dropped_requests") < 50.0,
        "{}",
        r["metrics"]
    );
}

#[test]
fn a_bad_scenario_names_file_line_and_column_with_exit_2() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let path = write_scenario(&dir, "bad.yaml", "scenario: x\ntarget:\n  url: http://127.0.0.1:9/\ntraffic_profile:\n  steady_seconds: 5\n  arival_rate_rps: 10\n");
    let out = run_raw(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{path}:6:3: traffic_profile: unknown field `arival_rate_rps`"
        )),
        "{err}"
    );
    assert!(err.contains("6 |   arival_rate_rps: 10"), "{err}");

    let path = write_scenario(&dir, "bad2.yaml", "scenario: x\ntarget: { url: \"http://127.0.0.1:9/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nsuccess_criteria:\n  - p95_latency <= 250\n");
    let out = run_raw(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":5:5: unknown metric `p95_latency`; known metrics:"),
        "{err}"
    );

    let out = run_raw(&["run", "does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_raw(&["run", "http://127.0.0.1:9/", "--rate", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_raw(&["run", "http://127.0.0.1:9/", "--criteria", "latency < 3"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn numbers_out_of_range_are_input_errors_with_exit_2_not_panics() {
    let _serial = crate::exclusive();
    let url = "http://127.0.0.1:9/";
    let cases: &[(&[&str], &str)] = &[
        (
            &[url, "--time-scale", "1e300"],
            "--time-scale: a time scale of 1e300",
        ),
        (
            &[url, "--time-scale", "0"],
            "--time-scale: expected a time scale above zero",
        ),
        (
            &[url, "--threads", "100000"],
            "--threads: expected 1 to 256",
        ),
        (&[url, "--threads", "0"], "--threads: expected 1 to 256"),
        (
            &[url, "--rate", "1e9"],
            "--rate: expected a rate of at most 1000000",
        ),
        (
            &[url, "--timeout", "0s"],
            "--timeout: expected a timeout above zero",
        ),
        (&[url, "-c", "0"], "--connections: expected at least 1 user"),
        (
            &[url, "--rate", "5", "--max-in-flight", "0"],
            "--max-in-flight: expected at least 1",
        ),
        (
            &[
                url,
                "--trigger",
                "error_rate_pct > 1 for 99999999999999999999 seconds",
            ],
            "is too long; expected at most 24 hours",
        ),
        (
            &["http://127.0.0.1:70000/"],
            "expected a port from 1 to 65535",
        ),
        (&["http://127.0.0.1:0/"], "expected a port from 1 to 65535"),
        (&["/dev/zero"], "is a character device, not a file"),
        (
            &[url, "--body-file", "/dev/zero"],
            "is a character device, not a file",
        ),
    ];
    for (args, want) in cases {
        let out = run_raw(&[&["run"], *args].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // in a file: file:line:column at the value
    let dir = tempdir();
    let path = write_scenario(
        &dir,
        "huge.yaml",
        "scenario: x\ntarget: { url: \"http://127.0.0.1:9/\" }\ntraffic_profile:\n  steady_seconds: 18446744073709551616\n  arrival_rate_rps: 10\n",
    );
    let out = run_raw(&["run", &path, "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{path}:4:19: expected a duration of at most a week"
        )),
        "{err}"
    );
    let path = write_scenario(
        &dir,
        "spike.yaml",
        "scenario: x\ntarget: { url: \"http://127.0.0.1:9/\" }\ntraffic_profile:\n  steady_seconds: 10\n  arrival_rate_rps: 100\n  spike_after_seconds: 2\n  spike_multiplier: 1e12\n",
    );
    let out = run_raw(&["run", &path, "--dry-run"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(":7:21: the spike reaches"), "{err}");
}

#[test]
fn deep_nesting_and_long_lines_give_short_errors_at_once() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let n = 100_000;
    let deep = format!("scenario: x\ntarget: {}{}\n", "[".repeat(n), "]".repeat(n));
    let path = write_scenario(&dir, "deep.yaml", &deep);
    let started = std::time::Instant::now();
    let out = run_raw(&["run", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(
        err.contains(":2:265: collections nested deeper than 256"),
        "{err}"
    );
    assert!(err.len() < 2000, "{} bytes of error", err.len());
    // an error on a 4 MB line shows a window of it
    let long = format!(
        "scenario: x\ntarget: {{ url: \"http://127.0.0.1:9/\", method: \"{}\" }}\n",
        "1".repeat(4 << 20)
    );
    let path = write_scenario(&dir, "long.yaml", &long);
    let out = run_raw(&["run", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("expected an HTTP method"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 2000, "{} bytes of error", err.len());
}

#[test]
fn an_investigation_plan_that_is_a_device_is_refused_unread() {
    // `/dev/zero` is endless: read whole, it would exhaust memory
    let out = run_raw(&["investigate", "/dev/zero"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the plan is a character device, not a file"),
        "{err}"
    );
}

/// `builtin:testbed/…` names the built-in test server; `builtin:demo/…`, its former name, is
/// still accepted and resolves to the same server and requests.
#[test]
fn builtin_demo_is_the_old_name_of_builtin_testbed() {
    let _serial = crate::exclusive();
    let mut resolved = Vec::new();
    for url in ["builtin:testbed/fast", "builtin:demo/fast"] {
        let (code, r, err) = run_json(&[url, "--rate", "20", "--duration", "1s"]);
        assert_eq!(code, 0, "{url}: {err}");
        assert_eq!(
            f(&r, "/metrics/error_rate_pct"),
            0.0,
            "{url}: {}",
            r["metrics"]
        );
        assert!(f(&r, "/metrics/requests") > 0.0, "{url}: {}", r["metrics"]);
        // served on a port of its own each time: compare the URLs without it
        let served = r["target"]["url"].as_str().unwrap();
        let rest = served
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("{url} served on loopback, not {served}"));
        let port_end = rest.find('/').unwrap_or(rest.len());
        assert!(rest[..port_end].parse::<u16>().is_ok(), "{served}");
        resolved.push(rest[port_end..].to_owned());
    }
    assert_eq!(resolved[0], "/fast");
    assert_eq!(resolved[0], resolved[1]);
}
