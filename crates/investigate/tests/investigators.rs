//! Investigators' analyses on recorded data (deterministic): the numbers a real
//! `perfhive investigate --demo` measured, in `fixtures/demo-recorded.json`.

use perfhive_core::LatencyHistogram;
use perfhive_investigate::data::UseVerdict;
use perfhive_investigate::investigators::{load, resources, sweep};
use perfhive_probe::{CpuVerdict, Runtime, SaturationCause, ThreadUsage, UseSummary};
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
    let idle = CpuVerdict::NotCpuBound {
        busy_cores: s.cpu_busy_cores,
        cores: 2,
        busiest: None,
    };
    let (findings, verdicts, _) = resources::assess(&s, &idle, &t, &y);
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
    let bound = CpuVerdict::CpuBound {
        busy_cores: 1.94,
        demand_cores: 2.5,
        cores: 2,
        saturated_threads: 2,
    };
    let (findings, verdicts, _) = resources::assess(&hot, &bound, &t, &y);
    assert_eq!(verdicts, [UseVerdict::CpuBound]);
    assert_eq!(findings[0].subject, "cpu");
    assert!(
        findings[0].title.starts_with("CPU-bound: "),
        "{}",
        findings[0].title
    );

    // half the machine idle, but one CPython thread at a full core: CPU-bound on one thread,
    // and nothing else calls the CPU idle
    let half = UseSummary {
        cpu_utilization: 0.5,
        cpu_busy_cores: 1.0,
        vcs_per_s: 5000.0,
        d_state_fraction: 0.0,
        write_mb_per_s: 0.0,
        ..s.clone()
    };
    let thread = ThreadUsage {
        pid: 42,
        tid: 42,
        name: "python3".into(),
        process: "python3".into(),
        runtime: Runtime::CPython {
            version: Some("3.11".into()),
            libpython: None,
        },
        cpu_s: 9.7,
        wait_s: 0.2,
        cpu_pct: 97.0,
        demand_pct: 99.0,
        alive: true,
    };
    let one = CpuVerdict::SingleThreadSaturated {
        thread,
        cause: SaturationCause::SingleWorker,
        workers: 1,
        cores: 2,
        busy_cores: 1.0,
    };
    let (findings, verdicts, _) = resources::assess(&half, &one, &t, &y);
    assert_eq!(verdicts, [UseVerdict::CpuBoundOneThread]);
    let f = &findings[0];
    assert!(
        f.title
            .starts_with("CPU-bound on one thread (single worker)"),
        "{}",
        f.title
    );
    let fix = &f.recommendation.as_ref().unwrap().action;
    assert!(fix.contains("gunicorn -w"), "{fix}");

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
    let (findings, _, g) = resources::assess(&long, &idle, &t, &y);
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

fn level(n: f64, throughput: f64) -> sweep::Level {
    sweep::Level {
        level: n,
        label: format!("{n}"),
        throughput,
        p50_ms: 1000.0 * n / throughput,
        p99_ms: 2000.0 * n / throughput,
        mean_ms: 1000.0 * n / throughput,
        error_rate_pct: 0.0,
        ttfb_p50_ms: 0.0,
        rss_mb: None,
        requests: Some(1000),
        duration_s: Some(3.0),
        cpu: None,
    }
}

#[test]
fn a_poor_usl_fit_gives_no_concurrency_advice() {
    // throughput jumping up and down with concurrency: no scalability curve explains it
    let noisy: Vec<sweep::Level> = [
        (1.0, 100.0),
        (2.0, 400.0),
        (4.0, 120.0),
        (8.0, 390.0),
        (16.0, 110.0),
    ]
    .iter()
    .map(|&(n, x)| level(n, x))
    .collect();
    let a = sweep::analyse(&noisy, &[], None);
    assert!(
        a.findings.iter().all(|f| f.id != "sweep.scalability"),
        "{:?}",
        a.findings
    );
    let why = a.insufficient.expect("insufficient data");
    assert!(why.contains("R²"), "{why}");
    // too few levels: says so
    let a = sweep::analyse(&noisy[..2], &[], None);
    assert!(a.insufficient.unwrap().contains("at least 3"));
}

#[test]
fn flat_throughput_matched_by_the_fit_advises_one_level_despite_a_low_r_squared() {
    // one saturated thread: the same throughput at every level within ±2%; almost no variance
    // to explain, so R² is low, yet the curve matches every level
    let flat: Vec<sweep::Level> = [(1.0, 101.0), (2.0, 99.0), (4.0, 100.5), (8.0, 99.5)]
        .iter()
        .map(|&(n, x)| level(n, x))
        .collect();
    let a = sweep::analyse(&flat, &[], None);
    assert!(a.insufficient.is_none(), "{:?}", a.insufficient);
    let f = a
        .findings
        .iter()
        .find(|f| f.id == "sweep.scalability")
        .expect("a concurrency finding");
    let action = &f.recommendation.as_ref().unwrap().action;
    assert!(action.contains("1 concurrent request"), "{action}");
}

#[test]
fn two_sweeps_of_one_service_advise_the_same_concurrency() {
    // a service saturating at about 2 cores, measured twice with a few % of noise: read off
    // the points, the first sweep would advise 2 (188 ≥ 0.9 × 207) and the second 4
    // (180 < 0.9 × 209); the fitted curve advises one level for both
    let first: Vec<sweep::Level> = [
        (1.0, 100.0),
        (2.0, 185.0),
        (4.0, 200.0),
        (8.0, 207.0),
        (16.0, 199.0),
    ]
    .iter()
    .map(|&(n, x)| level(n, x))
    .collect();
    let second: Vec<sweep::Level> = [
        (1.0, 97.0),
        (2.0, 180.0),
        (4.0, 209.0),
        (8.0, 201.0),
        (16.0, 204.0),
    ]
    .iter()
    .map(|&(n, x)| level(n, x))
    .collect();
    let advice = |levels: &[sweep::Level]| {
        let a = sweep::analyse(levels, &[], None);
        let f = a
            .findings
            .iter()
            .find(|f| f.id == "sweep.scalability")
            .unwrap_or_else(|| panic!("{:?}", a.insufficient));
        f.recommendation.as_ref().unwrap().action.clone()
    };
    assert_eq!(advice(&first), advice(&second));
    // a level short of requests says its p99 is not reliable
    let mut short = first.clone();
    short[0].requests = Some(20);
    let a = sweep::analyse(&short, &[], None);
    let f = a
        .findings
        .iter()
        .find(|f| f.id == "sweep.scalability")
        .unwrap();
    assert!(f.detail.contains("not reliable"), "{}", f.detail);
}
