use super::*;
use perfhive_core::measure::Measure;

fn side(label: &str, measures: Vec<Measure>) -> Side {
    Side {
        label: label.into(),
        name: "x".into(),
        kind: "bench".into(),
        date: None,
        commit: None,
        measures,
    }
}

fn sampled(name: &str, base: f64, spread: f64, n: usize) -> Measure {
    let samples: Vec<f64> = (0..n)
        .map(|i| base + spread * ((i * 7919 % 13) as f64 / 13.0 - 0.5))
        .collect();
    Measure {
        name: name.into(),
        unit: "s".into(),
        value: samples.iter().sum::<f64>() / n as f64,
        lower_is_better: true,
        samples,
        count: None,
        histogram: None,
    }
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
    assert!(delta_text_contains(&c, 1, "~"));
    assert!(render::junit(&c).contains("<failure message=\"t regressed"));
    assert!(render::markdown(&c).contains("🔴 regressed"));
}

fn delta_text_contains(c: &Comparison, i: usize, s: &str) -> bool {
    render::delta_text(&c.deltas[i]).contains(s)
}

#[test]
fn a_big_change_without_significance_is_noise() {
    // wildly spread samples: +10% mean change but indistinguishable
    let b: Vec<f64> = vec![1.0, 3.0, 0.5, 2.0, 1.5, 0.8];
    let n: Vec<f64> = b.iter().rev().map(|x| x * 1.1).collect();
    let m = |v: Vec<f64>| Measure {
        name: "t".into(),
        unit: "s".into(),
        value: v.iter().sum::<f64>() / v.len() as f64,
        lower_is_better: true,
        samples: v,
        count: None,
        histogram: None,
    };
    let c = compare(&side("a", vec![m(b)]), &side("b", vec![m(n)]), 5.0, 0.05);
    assert_eq!(c.deltas[0].verdict, Verdict::Unchanged);
    assert!(c.deltas[0].noise);
}

#[test]
fn latency_quantiles_use_histogram_intervals() {
    let mk = |shift_us: u64| {
        let mut h = perfhive_core::LatencyHistogram::new();
        for i in 0..5000u64 {
            h.record_micros(1000 + shift_us + (i % 100) * 10);
        }
        let p95 = h.quantile_ms(0.95).unwrap();
        Measure {
            name: "latency_p95_ms".into(),
            unit: "ms".into(),
            value: p95,
            lower_is_better: true,
            samples: vec![],
            count: Some(h.len()),
            histogram: Some((h.encode(), 0.95)),
        }
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
    let m = |v: f64, n: u64| Measure {
        name: "error_rate_pct".into(),
        unit: "%".into(),
        value: v,
        lower_is_better: true,
        samples: vec![],
        count: Some(n),
        histogram: None,
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
    assert!((two_sided_normal_p(1.96) - 0.05).abs() < 1e-3);
}
