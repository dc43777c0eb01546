use crate::{close, find, fixture, names};
use perfhive_import::{import_file, Format};

#[test]
fn summary_export() {
    let imported = import_file(&fixture("k6-summary-export.json"), None).unwrap();
    assert_eq!(imported.format, Format::K6Summary);
    assert_eq!(imported.benchmarks.len(), 18, "{:#?}", names(&imported));

    let d = find(&imported, "http_req_duration", "http_req_duration");
    assert_eq!((d.unit.as_str(), d.lower_is_better), ("ms", true));
    close(d.mean, 144.56);
    close(d.median, 110.47);
    close(d.min, 104.11);
    close(d.max, 1140.0);
    assert_eq!(d.extra["p90"], 203.54);
    assert_eq!(d.extra["p95"], 215.95);
    assert_eq!(
        (d.extra["thresholds"], d.extra["thresholds_failed"]),
        (1.0, 1.0)
    );
    assert!(d.samples.is_empty());

    let sub = find(
        &imported,
        "http_req_duration{expected_response:true}",
        "http_req_duration",
    );
    assert_eq!(sub.unit, "ms");
    assert!(!sub.extra.contains_key("thresholds"));

    let reqs = find(&imported, "http_reqs", "http_reqs");
    assert_eq!((reqs.unit.as_str(), reqs.lower_is_better), ("req/s", false));
    close(reqs.mean, 4.36938);
    assert_eq!(reqs.extra["count"], 180.0);

    let iterations = find(&imported, "iterations", "iterations");
    assert_eq!(iterations.unit, "iter/s");
    assert_eq!(
        find(&imported, "data_received", "data_received").unit,
        "B/s"
    );

    let failed = find(&imported, "http_req_failed", "http_req_failed");
    assert_eq!(
        (failed.unit.as_str(), failed.lower_is_better),
        ("ratio", true)
    );
    close(failed.mean, 0.0);
    assert_eq!(
        (failed.extra["passes"], failed.extra["fails"]),
        (0.0, 180.0)
    );

    let checks = find(&imported, "checks", "checks");
    assert!(!checks.lower_is_better);
    close(checks.mean, 0.5);

    let vus = find(&imported, "vus", "vus");
    assert_eq!(vus.unit, "VUs");
    assert_eq!(
        (vus.min, vus.max, vus.extra["value"]),
        (Some(1.0), Some(19.0), 1.0)
    );

    let iteration = find(&imported, "iteration_duration", "iteration_duration");
    close(iteration.mean, 12910.0);
}

#[test]
fn handle_summary_data() {
    let imported = import_file(&fixture("k6-handle-summary.json"), None).unwrap();
    assert_eq!(imported.format, Format::K6Summary);
    assert_eq!(imported.benchmarks.len(), 5, "{:#?}", names(&imported));
    assert_eq!(imported.context["test_run_duration_ms"], "30898.965069");
    assert_eq!(
        imported.context["summary_trend_stats"],
        "avg,min,max,p(99.99)"
    );

    let d = find(&imported, "http_req_duration", "http_req_duration");
    assert_eq!(d.unit, "ms");
    close(d.mean, 268.31137452500013);
    close(d.max, 846.198634);
    assert_eq!(d.median, None, "not among the summaryTrendStats");
    assert_eq!(d.extra["p99.99"], 846.1969478817999);
    assert_eq!(d.extra["thresholds_failed"], 1.0);

    let sub = find(
        &imported,
        "http_req_duration{staticAsset:yes}",
        "http_req_duration",
    );
    close(sub.min, 135.092841);
    close(sub.mean, 283.67766343333335);

    let reqs = find(&imported, "http_reqs", "http_reqs");
    close(reqs.mean, 19.768856959496336);
    assert_eq!(reqs.extra["count"], 40.0);

    let checks = find(&imported, "checks", "checks");
    close(checks.mean, 1.0);
    let vus = find(&imported, "vus", "vus");
    assert_eq!(vus.max, Some(5.0));
}
