use super::*;
use perfhive_core::measure::{self, Measure, Role, Statistic};
use perfhive_core::record::RunRecord;
use perfhive_core::LatencyHistogram;

fn side(label: &str, measures: Vec<Measure>) -> Side {
    Side {
        label: label.into(),
        name: "x".into(),
        kind: RecordKind::Bench,
        date: None,
        commit: None,
        measures,
    }
}

fn sampled(name: &str, base: f64, spread: f64, n: usize) -> Measure {
    let samples: Vec<f64> = (0..n)
        .map(|i| base + spread * ((i * 7919 % 13) as f64 / 13.0 - 0.5))
        .collect();
    Measure::new(name, "s", samples.iter().sum::<f64>() / n as f64, true).with_samples(samples)
}

/// xorshift: latencies that look like a service's, reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A log-normal latency around `median_us`, µs.
    fn latency(&mut self, median_us: f64) -> u64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        (median_us * (0.8 * z).exp()) as u64
    }
}

/// A load record of `seconds` seconds at `rps`, with latencies from `latency(second, rng)`, and
/// the generator's CPU: what `perfhive run` writes, with its histograms and time series.
fn load_record(
    seed: u64,
    seconds: usize,
    rps: usize,
    generator_cpu: f64,
    latency: impl Fn(usize, &mut Rng) -> u64,
) -> RunRecord {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut all = LatencyHistogram::new();
    let mut points = Vec::new();
    for s in 0..seconds {
        let mut h = LatencyHistogram::new();
        for _ in 0..rps {
            h.record_micros(latency(s, &mut rng));
        }
        all.merge(&h);
        points.push(serde_json::json!({
            "t": (s + 1) as f64, "phase": "steady", "target": rps as f64,
            "requests": rps, "errors": 0, "p50_ms": h.quantile_ms(0.5), "p99_ms": h.quantile_ms(0.99),
            "in_flight": 1, "generator_cpu_pct": generator_cpu
        }));
    }
    let n = (seconds * rps) as u64;
    let v = serde_json::json!({
        "schema_version": "1.0.0", "kind": "load", "tool": {"name": "perfhive", "version": "0"},
        "scenario": "checkout", "date": "2026-01-01T00:00:00Z", "duration_s": seconds as f64,
        "status": "passed",
        "target": {"url": "http://127.0.0.1:1/", "http_version": "http/1.1", "requests": [], "timeout_ms": 1000.0},
        "workload": {"model": "open", "concurrency": 4, "planned_duration_s": seconds as f64},
        "metrics": {"latency_ms": all.summary(), "throughput_rps": rps as f64, "error_rate_pct": 0.0,
                    "requests": n, "errors": 0, "dropped_requests": 0, "bytes_sent": 0, "bytes_received": 0,
                    "errors_by_class": {}, "status_codes": {"200": n}},
        "phases": [{"name": "steady", "start_s": 0.0, "duration_s": seconds as f64, "target_start": rps as f64,
                    "target_end": rps as f64, "measured": true, "requests": n, "errors": 0,
                    "throughput_rps": rps as f64, "error_rate_pct": 0.0}],
        "requests": [], "timeseries": points,
        "generator": {"threads": 1, "cpu_pct": generator_cpu, "cpu_ms_per_request": 0.1, "late_requests": 0,
                      "dropped_requests": 0, "max_in_flight": 4, "in_flight_limit": 100, "connections_opened": 4,
                      "peak_rss_mb": 10.0, "bottleneck": false, "valid": true, "warnings": []},
        "histograms": {"encoding": "hdr-v2-deflate-base64", "unit": "us", "latency": all.encode()}
    });
    serde_json::from_value(v).expect("a valid load record")
}

fn load_side(label: &str, r: &RunRecord) -> Side {
    Side {
        label: label.into(),
        name: r.scenario.clone(),
        kind: RecordKind::Load,
        date: None,
        commit: None,
        measures: measure::of_load(r),
    }
}

fn find<'a>(c: &'a Comparison, name: &str) -> &'a Delta {
    c.deltas.iter().find(|d| d.name == name).unwrap()
}

#[test]
fn sampled_measures_get_significance_and_verdicts() {
    let base = side(
        "a",
        vec![sampled("t", 1.0, 0.02, 20), sampled("u", 1.0, 0.02, 20)],
    );
    let new = side(
        "b",
        vec![sampled("t", 1.2, 0.02, 20), sampled("u", 1.001, 0.02, 20)],
    );
    let c = compare(&base, &new, 5.0, 0.05);
    let t = &c.deltas[0];
    assert_eq!(t.verdict, Verdict::Regressed);
    assert!((t.delta_pct - 20.0).abs() < 0.5, "{t:?}");
    assert!(t.p_value.unwrap() < 0.001);
    let (lo, hi) = t.ci_pct.unwrap();
    assert!(lo < 20.0 && hi > 20.0 && lo > 15.0, "{lo} {hi}");
    assert_eq!(c.deltas[1].verdict, Verdict::Unchanged);
    assert!(render::delta_text(&c.deltas[1]).contains('~'));
    assert!(render::junit(&c).contains("<failure message=\"t regressed"));
    assert!(render::markdown(&c).contains("🔴 regressed"));
    let (shown, file) = render::formatted(&c, "terminal", true).unwrap();
    assert!(shown.contains("\x1b["), "{shown}");
    assert_eq!(file, render::terminal(&c, false));
    let (shown, file) = render::formatted(&c, "json", true).unwrap();
    assert_eq!(shown, file);
    assert!(shown.ends_with("}\n"));
    assert_eq!(
        render::formatted(&c, "junit", false).unwrap().0,
        render::junit(&c)
    );
}

#[test]
fn metric_patterns_keep_the_measures_that_contain_one() {
    let mut s = side(
        "a",
        vec![
            sampled("wall_s", 1.0, 0.1, 5),
            sampled("cpu_s", 1.0, 0.1, 5),
            sampled("latency_p99", 1.0, 0.1, 5),
        ],
    );
    s.keep_measures(&[]);
    assert_eq!(s.measures.len(), 3);
    s.keep_measures(&["_s".into(), "p99".into()]);
    assert_eq!(s.measures.len(), 3);
    s.keep_measures(&["wall".into(), "p99".into()]);
    let names: Vec<&str> = s.measures.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["wall_s", "latency_p99"]);
}

#[test]
fn a_big_change_without_significance_is_noise() {
    // wildly spread samples: +10% mean change but indistinguishable
    let b: Vec<f64> = vec![1.0, 3.0, 0.5, 2.0, 1.5, 0.8];
    let n: Vec<f64> = b.iter().rev().map(|x| x * 1.1).collect();
    let m = |v: Vec<f64>| {
        Measure::new("t", "s", v.iter().sum::<f64>() / v.len() as f64, true).with_samples(v)
    };
    let c = compare(&side("a", vec![m(b)]), &side("b", vec![m(n)]), 5.0, 0.05);
    assert_eq!(c.deltas[0].verdict, Verdict::Unchanged);
    assert!(c.deltas[0].noise);
}

#[test]
fn too_few_samples_for_a_test_are_not_judged() {
    // 2 + 2 per-second throughput samples: Mann–Whitney cannot reach p < 0.05 at all
    let m = |v: Vec<f64>| {
        Measure::new(
            "throughput_rps",
            "req/s",
            v.iter().sum::<f64>() / 2.0,
            false,
        )
        .with_samples(v)
    };
    let c = compare(
        &side("a", vec![m(vec![100.0, 101.0])]),
        &side("b", vec![m(vec![50.0, 51.0])]),
        5.0,
        0.05,
    );
    let d = &c.deltas[0];
    assert_eq!(d.verdict, Verdict::NotJudged);
    assert!(
        d.note.as_deref().unwrap().contains("2 + 2 samples"),
        "{d:?}"
    );
}

#[test]
fn measures_without_samples_are_never_significant() {
    let value = |v: f64| Measure::new("score", "pts", v, true);
    let c = compare(
        &side("a", vec![value(10.0)]),
        &side("b", vec![value(20.0)]),
        5.0,
        0.05,
    );
    let d = &c.deltas[0];
    assert_eq!(d.verdict, Verdict::NotJudged, "{d:?}");
    assert_eq!(c.regressions().count(), 0);
    assert!(d.note.as_deref().unwrap().contains("no samples"));
    assert!(render::terminal(&c, false).contains("score — no samples"));
    assert!(render::junit(&c).contains("<skipped message=\"not judged"));
}

#[test]
fn three_identical_load_runs_never_fail_the_gate() {
    // the same service three times, 2 s at 100 req/s: only the seed differs; the second run
    // has one stalled second (the machine, not the code); the generator's CPU wanders by 30%
    let runs = [
        load_record(1, 2, 100, 3.0, |_, r| r.latency(600.0)),
        load_record(2, 2, 100, 3.9, |s, r| {
            r.latency(if s == 1 { 1500.0 } else { 600.0 })
        }),
        load_record(3, 2, 100, 3.3, |_, r| r.latency(600.0)),
    ];
    for (a, b) in [(0, 1), (1, 2), (0, 2), (1, 0)] {
        let c = compare(
            &load_side("a", &runs[a]),
            &load_side("b", &runs[b]),
            5.0,
            0.05,
        );
        let regressed: Vec<&str> = c.regressions().map(|d| d.name.as_str()).collect();
        assert!(
            regressed.is_empty(),
            "runs {a} → {b}: {regressed:?}\n{}",
            render::terminal(&c, false)
        );
        for name in [
            "latency_max_ms",
            "latency_mean_ms",
            "generator_cpu_pct",
            "latency_p99_9_ms",
        ] {
            assert_eq!(find(&c, name).verdict, Verdict::NotJudged, "{name}");
        }
    }
}

#[test]
fn max_mean_and_generator_cpu_are_not_judged() {
    let a = load_record(1, 5, 400, 3.0, |_, r| r.latency(600.0));
    let b = load_record(2, 5, 400, 9.0, |_, r| {
        r.latency(600.0) + if r.next() < 0.001 { 90_000 } else { 0 }
    });
    let c = compare(&load_side("a", &a), &load_side("b", &b), 5.0, 0.05);
    let note = |n: &str| find(&c, n).note.clone().unwrap_or_default();
    assert!(
        note("latency_max_ms").contains("maximum"),
        "{}",
        note("latency_max_ms")
    );
    assert!(note("latency_mean_ms").contains("no samples"));
    assert!(note("generator_cpu_pct").contains("load generator"));
    assert_eq!(find(&c, "generator_cpu_pct").delta_pct.round(), 200.0);
    assert_eq!(
        c.regressions().count(),
        0,
        "{}",
        render::terminal(&c, false)
    );
}

#[test]
fn extreme_percentiles_without_enough_samples_say_so() {
    let small = load_record(1, 2, 100, 3.0, |_, r| r.latency(600.0));
    let c = compare(&load_side("a", &small), &load_side("b", &small), 5.0, 0.05);
    let d = find(&c, "latency_p99_9_ms");
    assert_eq!(d.verdict, Verdict::NotJudged);
    let note = d.note.as_deref().unwrap();
    assert!(
        note.contains("p99.9 needs at least 3688 observations") && note.contains("200 + 200"),
        "{note}"
    );
    assert_eq!(
        find(&c, "latency_p99_ms").verdict,
        Verdict::NotJudged,
        "p99 needs 368"
    );
    assert_eq!(find(&c, "latency_p95_ms").verdict, Verdict::Unchanged);
    // with enough requests the same percentile is judged
    let big = load_record(1, 10, 1000, 3.0, |_, r| r.latency(600.0));
    let c = compare(&load_side("a", &big), &load_side("b", &big), 5.0, 0.05);
    assert_eq!(find(&c, "latency_p99_9_ms").verdict, Verdict::Unchanged);
}

#[test]
fn a_closed_model_run_against_a_faster_target_does_not_regress_on_generator_cpu() {
    // closed model: the faster target answers twice as fast, so the same users send twice
    // the requests and the generator works twice as hard
    let slow = load_record(1, 10, 200, 4.0, |_, r| r.latency(10_000.0));
    let fast = load_record(2, 10, 400, 8.0, |_, r| r.latency(5_000.0));
    let c = compare(
        &load_side("slow", &slow),
        &load_side("fast", &fast),
        5.0,
        0.05,
    );
    assert_eq!(
        c.regressions().count(),
        0,
        "{}",
        render::terminal(&c, false)
    );
    assert_eq!(find(&c, "generator_cpu_pct").verdict, Verdict::NotJudged);
    assert_eq!(find(&c, "latency_p50_ms").verdict, Verdict::Improved);
}

#[test]
fn a_real_latency_regression_is_still_found() {
    // 5 ms → 50 ms in 2 s runs at 100 req/s: the seconds agree, so the intervals stay tight
    let a = load_record(1, 2, 100, 3.0, |_, r| 5_000 + (r.next() * 500.0) as u64);
    let b = load_record(2, 2, 100, 3.0, |_, r| 50_000 + (r.next() * 500.0) as u64);
    let c = compare(&load_side("a", &a), &load_side("b", &b), 5.0, 0.05);
    for name in ["latency_p50_ms", "latency_p90_ms", "latency_p95_ms"] {
        let d = find(&c, name);
        assert_eq!(d.verdict, Verdict::Regressed, "{name}: {d:?}");
        assert_eq!(d.method, "order-statistic interval");
    }
}

#[test]
fn noise_between_seconds_widens_the_interval() {
    // the new run's p50 is 40% higher, but its seconds disagree with each other by more
    let calm = load_record(1, 4, 500, 3.0, |_, r| r.latency(1000.0));
    let noisy = load_record(2, 4, 500, 3.0, |s, r| {
        r.latency([1000.0, 2400.0, 900.0, 1300.0][s])
    });
    let c = compare(&load_side("a", &calm), &load_side("b", &noisy), 5.0, 0.05);
    let d = find(&c, "latency_p50_ms");
    assert!(d.delta_pct > 20.0, "{d:?}");
    assert_eq!(d.verdict, Verdict::Unchanged, "{d:?}");
    assert!(d.noise);
}

#[test]
fn latency_quantiles_use_histogram_intervals() {
    let mk = |shift_us: u64| {
        let mut h = LatencyHistogram::new();
        for i in 0..5000u64 {
            h.record_micros(1000 + shift_us + (i % 100) * 10);
        }
        let mut m = Measure::new("latency_p95_ms", "ms", h.quantile_ms(0.95).unwrap(), true)
            .of_statistic(Statistic::Quantile(0.95));
        m.count = Some(h.len());
        m.histogram = Some((h.encode(), 0.95));
        m
    };
    let c = compare(
        &side("a", vec![mk(0)]),
        &side("b", vec![mk(500)]),
        5.0,
        0.05,
    );
    let d = &c.deltas[0];
    assert_eq!(d.method, "order-statistic interval");
    assert_eq!(d.verdict, Verdict::Regressed, "{d:?}");
    let (lo, hi) = d.ci_pct.unwrap();
    assert!(lo > 0.0 && lo <= d.delta_pct && hi >= d.delta_pct, "{d:?}");
    let same = compare(&side("a", vec![mk(0)]), &side("b", vec![mk(0)]), 5.0, 0.05);
    assert_eq!(same.deltas[0].verdict, Verdict::Unchanged);
}

#[test]
fn error_rates_use_a_proportion_test() {
    let m = |v: f64, n: u64| {
        let mut m =
            Measure::new("error_rate_pct", "%", v, true).of_statistic(Statistic::Proportion);
        m.count = Some(n);
        m
    };
    let c = compare(
        &side("a", vec![m(0.1, 10_000)]),
        &side("b", vec![m(2.0, 10_000)]),
        5.0,
        0.05,
    );
    assert_eq!(c.deltas[0].verdict, Verdict::Regressed);
    assert!(c.deltas[0].p_value.unwrap() < 1e-6);
    let c = compare(
        &side("a", vec![m(1.0, 100)]),
        &side("b", vec![m(2.0, 100)]),
        5.0,
        0.05,
    );
    assert_eq!(
        c.deltas[0].verdict,
        Verdict::Unchanged,
        "1 vs 2 errors in 100 is noise"
    );
    assert!((judge::two_sided_normal_p(1.96) - 0.05).abs() < 1e-3);
}

#[test]
fn generator_measures_never_fail_a_gate_whatever_their_samples() {
    let mut a = sampled("generator_cpu_pct", 3.0, 0.1, 30);
    let mut b = sampled("generator_cpu_pct", 9.0, 0.1, 30);
    a.role = Role::Generator;
    b.role = Role::Generator;
    let c = compare(&side("a", vec![a]), &side("b", vec![b]), 5.0, 0.05);
    assert_eq!(c.deltas[0].verdict, Verdict::NotJudged);
}
