use super::*;
use std::path::Path;
use std::time::Duration;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_str_at(text, Path::new("scenario.yaml"))
}

/// The team playbook's scenario, as written, plus a target block.
pub(crate) const PLAYBOOK: &str = r#"scenario: checkout-peak
environment: staging
target: { url: "http://127.0.0.1:8080/checkout", method: POST, body: '{"items":35}' }
traffic_profile:
  warmup_minutes: 5
  ramp_minutes: 10
  steady_minutes: 30
  cooldown_minutes: 5
  arrival_rate_rps: [100, 250, 400]     # steady phase steps through these rates
  spike_after_minutes: 20               # a burst well above the current rate
dependencies:
  - name: payments                      # checked from trace spans when traces are received
    latency_budget_ms: 150
  - name: inventory
    latency_budget_ms: 200
metrics_to_capture: [http_latency_histogram, error_rate_breakdown, cache_hit_ratio, queue_depth, cpu_mem_usage]
success_criteria:
  - p95_latency_ms <= 250
  - error_rate_pct <= 0.5
  - redis_cpu_pct <= 80                 # a named observed process
rollback_triggers:                      # abort the run early
  - sustained error_rate_pct > 1 for 3 minutes
  - database_cpu_pct > 90 for 5 minutes
"#;

#[test]
fn playbook_scenario_parses_as_written() {
    let s = parse(PLAYBOOK).unwrap();
    assert_eq!(s.name, "checkout-peak");
    assert_eq!(s.target.requests[0].method, "POST");
    assert_eq!(s.target.requests[0].body, br#"{"items":35}"#);
    assert_eq!(s.profile.total(), Duration::from_secs(50 * 60));
    assert_eq!(s.criteria.len(), 3);
    assert_eq!(s.triggers[0].window, Duration::from_secs(180));
    assert_eq!(s.dependencies[1].latency_budget_ms, Some(200.0));
}

#[test]
fn dependency_criteria_name_declared_dependencies() {
    let text = PLAYBOOK.replace(
        "  - redis_cpu_pct <= 80",
        "  - payments_p95_ms <= 150\n  - redis_cpu_pct <= 80",
    );
    let s = parse(&text).unwrap();
    assert_eq!(s.criteria[2].metric.dependency(), Some("payments"));
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn error_messages() {
    let cases = [
        ("unknown_top_key", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntrafic_profile:\n  steady_seconds: 5\n"),
        ("unknown_nested_key", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\ntraffic_profile:\n  steady_seconds: 5\n  arival_rate_rps: 10\n"),
        ("wrong_type", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\ntraffic_profile:\n  steady_seconds: five\n  arrival_rate_rps: 10\n"),
        ("malformed_yaml", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\"\ntraffic_profile:\n  steady_seconds: 5\n"),
        ("missing_target", "scenario: a\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: 10\n"),
        ("bad_criterion_metric", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nsuccess_criteria:\n  - p95_latency_ms <= 250\n  - p95_latncy_ms <= 250\n"),
        ("bad_criterion_op", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nsuccess_criteria:\n  - \"error_rate_pct => 1\"\n"),
        ("bad_trigger_window", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nrollback_triggers:\n  - sustained error_rate_pct > 1 for three minutes\n"),
        ("both_units", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 5\n  steady_minutes: 1\n  arrival_rate_rps: 10\n"),
        ("bad_rate", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: [10, 0]\n"),
        ("bad_url", "scenario: a\ntarget:\n  url: ftp://example/x\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: 10\n"),
        ("spike_after_end", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: 10\n  spike_after_seconds: 60\n"),
        ("closed_key_in_open", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: 10\n  stages: [{duration_seconds: 5, target: 3}]\n"),
        ("observe_two_ways", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nobserve:\n  - name: db\n    pid: 10\n    process: postgres\n"),
        ("unknown_capture", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nmetrics_to_capture: [http_latency_histogram, gc_pauses]\n"),
        ("undeclared_dependency", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\ndependencies: [{ name: payments, latency_budget_ms: 150 }]\nsuccess_criteria:\n  - paymnts_p95_ms <= 150\n"),
        ("dependency_trigger", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\ndependencies: [{ name: payments }]\nrollback_triggers:\n  - payments_p95_ms > 500 for 10 seconds\n"),
        ("empty", ""),
        ("huge_steady_seconds", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 18446744073709551616\n  arrival_rate_rps: 10\n"),
        ("huge_minutes", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_minutes: 1e307\n  arrival_rate_rps: 10\n"),
        ("week_long_total", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  warmup_seconds: 600000\n  steady_seconds: 600000\n  arrival_rate_rps: 10\n"),
        ("huge_spike", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 10\n  arrival_rate_rps: 100\n  spike_after_seconds: 2\n  spike_multiplier: 1e12\n"),
        ("huge_rate", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile:\n  steady_seconds: 10\n  arrival_rate_rps: [10, 1e9]\n"),
        ("port_overflow", "scenario: a\ntarget:\n  url: http://127.0.0.1:70000/\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\n"),
        ("zero_timeout", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\n  timeout_ms: 0\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\n"),
        ("zero_in_flight", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\n  max_in_flight: 0\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\n"),
        ("ok_status_out_of_range", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\n  ok_status: [200, 1000]\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\n"),
        ("body_file_device", "scenario: a\ntarget:\n  url: http://127.0.0.1:1/\n  body_file: /dev/zero\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\n"),
        ("closed_no_users", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\nmodel: closed\ntraffic_profile:\n  stages: [{duration_seconds: 5, target: 0}]\n"),
        ("budget_not_a_number", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\ndependencies: [{ name: payments, latency_budget_ms: .nan }]\n"),
        ("huge_trigger_window", "scenario: a\ntarget: { url: \"http://127.0.0.1:1/\" }\ntraffic_profile: { steady_seconds: 5, arrival_rate_rps: 10 }\nrollback_triggers:\n  - error_rate_pct > 1 for 99999999999999999999 seconds\n"),
    ];
    let mut all = String::new();
    for (name, text) in cases {
        all.push_str(&format!("--- {name}\n{}\n", err(text)));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn closed_model_and_request_mix() {
    let s = parse(
        "scenario: mix\ntarget:\n  url: builtin:testbed\n  http: http2\n  requests:\n    - { name: browse, path: /fast, weight: 3 }\n    - name: buy\n      path: /checkout\n      method: post\n      body: '{\"items\": 2}'\nmodel: closed\ntraffic_profile:\n  warmup_seconds: 1\n  stages:\n    - { duration_seconds: 5, target: 10 }\n    - { duration_seconds: 5, target: 0 }\n  rate_cap_rps: 100\n",
    )
    .unwrap();
    assert_eq!(
        s.profile.model,
        Model::Closed {
            rate_cap_rps: Some(100.0)
        }
    );
    assert_eq!(s.target.http, HttpVersion::Http2);
    assert_eq!(s.target.requests[0].url, "builtin:testbed/fast");
    assert_eq!(s.target.requests[1].method, "POST");
    assert_eq!(s.profile.phases.len(), 3);
}

#[test]
fn a_million_rates_are_refused_quickly() {
    let rates = vec!["1"; 1_000_000].join(", ");
    let text = format!("scenario: a\ntarget: {{ url: \"http://127.0.0.1:1/\" }}\ntraffic_profile:\n  steady_seconds: 5\n  arrival_rate_rps: [{rates}]\n");
    let e = parse(&text).unwrap_err();
    assert!(e.message.contains("at most 100 steps"), "{e}");
    assert!(
        e.to_string().len() < 1000,
        "the excerpt of a 3 MB line is bounded"
    );
}

#[test]
fn a_long_line_in_an_error_is_shown_as_an_excerpt() {
    let text = format!(
        "scenario: a\ntarget: {{ url: \"http://127.0.0.1:1/\", method: \"{}\" }}\n",
        "1".repeat(4 << 20)
    );
    let e = err(&text);
    assert!(e.len() < 2000, "{} bytes", e.len());
    assert!(e.contains("expected an HTTP method"), "{e}");
}

#[test]
fn deep_nesting_is_refused_fast() {
    let n = 100_000;
    let text = format!("scenario: a\ntarget: {}{}\n", "[".repeat(n), "]".repeat(n));
    let t = std::time::Instant::now();
    let e = parse(&text).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("nested deeper than 256"), "{e}");
}

#[test]
fn special_files_are_refused_as_scenarios() {
    let e = Scenario::from_file(Path::new("/dev/zero")).unwrap_err();
    assert!(e.message.contains("character device"), "{e}");
}
