//! Investigators' analyses on recorded data (deterministic): the numbers a real
//! `perfhive investigate --demo` measured, in `fixtures/demo-recorded.json`.

use perfhive_core::LatencyHistogram;
use perfhive_investigate::data::UseVerdict;
use perfhive_investigate::investigators::{load, resources, sweep};
use perfhive_probe::UseSummary;
use serde_json::Value;

fn recorded() -> Value {
    serde_json::from_str(include_str!("fixtures/demo-recorded.json")).unwrap()
}

#[test]
fn sweep_finds_the_batch_size_and_the_concurrency_limit() {
    let r = recorded();
    let levels: Vec<sweep::Level> = serde_json::from_value(r["sweep"]["levels"].clone()).unwrap();
    let params: Vec<sweep::Level> =
        serde_json::from_value(r["sweep"]["parameter"]["levels"].clone()).unwrap();
    let p = sweep::ParameterSweep {
        via: sweep::Via::Query,
        name: "batch_size".into(),
        values: vec!["1".into(), "10".into(), "50".into()],
        concurrency: 2,
        subject: "database".into(),
    };
    let a = sweep::analyse(&levels, &params, Some(&p));
    let batch = a
        .findings
        .iter()
        .find(|f| f.id == "sweep.parameter.batch_size")
        .expect("batch size finding");
    assert_eq!(batch.subject, "database");
    let rec = batch.recommendation.as_ref().unwrap();
    assert!(
        rec.action.starts_with("set batch_size to "),
        "{}",
        rec.action
    );
    assert!(rec.expected_speedup.unwrap() > 10.0, "{rec:?}");
    // a single writer: throughput flat over concurrency, latency grows with it
    let scal = a
        .findings
        .iter()
        .find(|f| f.id == "sweep.scalability")
        .expect("scalability finding");
    assert!(scal.title.contains("users are enough"), "{}", scal.title);
    assert!(a.usl.is_some());
    // Little's law holds in a closed loop: N ≈ X · W
    for ratio in a.little.iter().flatten() {
        assert!((ratio - 1.0).abs() < 0.2, "{ratio}");
    }
    // time to first byte grows with concurrency while throughput stays flat: queueing
    let mut queued = levels.clone();
    for l in &mut queued {
        l.ttfb_p50_ms = l.p50_ms;
    }
    let q = sweep::analyse(&queued, &[], None);
    assert!(
        q.findings.iter().any(|f| f.id == "sweep.queueing"),
        "{:?}",
        q.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
    // without a parameter sweep, no parameter finding
    assert!(sweep::analyse(&levels, &[], None)
        .findings
        .iter()
        .all(|f| !f.id.starts_with("sweep.parameter")));
}

#[test]
fn resources_calls_the_demo_io_bound_and_not_cpu_bound_nor_leaking() {
    let r = recorded();
    let s: UseSummary = serde_json::from_value(r["resources"]["summary"].clone()).unwrap();
    let y: Vec<f64> = serde_json::from_value(r["resources"]["rss_per_second"].clone()).unwrap();
    let t: Vec<f64> = (0..y.len()).map(|i| i as f64).collect();
    let (findings, verdicts, _) = resources::assess(&s, 2, &t, &y);
    assert!(
        verdicts.contains(&UseVerdict::IoWait) && !verdicts.contains(&UseVerdict::CpuBound),
        "{verdicts:?}"
    );
    assert!(findings.iter().any(|f| f.subject == "storage-io"));
    assert!(!findings.iter().any(|f| f.subject == "cpu"));
    assert!(
        !findings.iter().any(|f| f.subject == "memory"),
        "9 s of warm-up is not a leak"
    );

    // the same summary, CPU-saturated
    let hot = UseSummary {
        cpu_utilization: 0.97,
        cpu_busy_cores: 1.94,
        run_queue_wait_ratio: 0.9,
        d_state_fraction: 0.0,
        write_mb_per_s: 0.0,
        ..s.clone()
    };
    let (findings, verdicts, _) = resources::assess(&hot, 2, &t, &y);
    assert_eq!(verdicts, [UseVerdict::CpuBound]);
    assert_eq!(findings[0].subject, "cpu");

    // a steady leak over a minute
    let long = UseSummary {
        duration_s: 60.0,
        rss_start_mb: 100.0,
        rss_end_mb: 160.0,
        ..s
    };
    let t: Vec<f64> = (0..60).map(f64::from).collect();
    let y: Vec<f64> = t
        .iter()
        .map(|t| {
            100.0
                + t
                + if (*t as u32).is_multiple_of(3) {
                    0.3
                } else {
                    0.0
                }
        })
        .collect();
    let (findings, _, g) = resources::assess(&long, 2, &t, &y);
    assert!(
        findings.iter().any(|f| f.id == "resources.memory-growth"),
        "{g:?}"
    );
}

#[test]
fn bimodality_separates_two_populations() {
    let mut one = LatencyHistogram::new();
    let mut two = LatencyHistogram::new();
    for i in 0..2000u64 {
        one.record_micros(1000 + (i % 100) * 5);
        two.record_micros(if i.is_multiple_of(2) {
            1000 + i % 50
        } else {
            20_000 + i % 50
        });
    }
    assert!(load::bimodality(&one).unwrap() < 5.0 / 9.0);
    assert!(load::bimodality(&two).unwrap() > 5.0 / 9.0);
    assert_eq!(load::subject_of_phase("db"), "database");
    assert_eq!(load::subject_of_phase("render_json"), "serialization");
}
