//! Tests of the chart data the summary pass reads from the baseline: the standard latency
//! percentiles, and the one-second throughput points without a partial last second.

use super::summary::{self, STANDARD_PERCENTILES};
use super::tests::{load_data, result};
use crate::data::InvestigatorData;
use crate::model::InvestigatorName;
use perfhive_core::record::{RunRecord, TimePoint};
use perfhive_core::LatencyHistogram;

/// The chart data of a baseline whose record `edit` changes.
fn charts_of(edit: impl FnOnce(&mut RunRecord)) -> crate::report::Charts {
    let mut data = load_data(&[]).unwrap();
    let InvestigatorData::Load(load) = &mut data else {
        unreachable!("load data")
    };
    edit(&mut load.record);
    summary::charts(&[result(InvestigatorName::Load, vec![], Some(data))])
}

/// A one-second point ending at `t` with `requests` completed.
fn point(t: f64, requests: u64) -> TimePoint {
    TimePoint {
        t,
        phase: "steady".into(),
        target: 10.0,
        requests,
        errors: 0,
        p50_ms: Some(1.0),
        p99_ms: Some(2.0),
        in_flight: 0,
        generator_cpu_pct: 0.0,
        processes: Default::default(),
    }
}

/// Latencies of 1, 2, … 10 000 ms: each standard percentile, in order, at its value.
#[test]
fn the_latency_table_has_the_standard_percentiles() {
    assert_eq!(STANDARD_PERCENTILES, [50.0, 90.0, 95.0, 99.0, 99.9, 99.99]);
    let mut h = LatencyHistogram::new();
    for ms in 1..=10_000u64 {
        h.record_micros(ms * 1000);
    }
    let c = charts_of(|r| r.histograms.latency = Some(h.encode()));
    let points: Vec<f64> = c.percentiles.iter().map(|p| p.0).collect();
    assert_eq!(points, STANDARD_PERCENTILES);
    for (p, ms) in &c.percentiles {
        let expected = p * 100.0;
        assert!(
            (ms - expected).abs() <= expected * 0.002,
            "p{p}: {ms} ms, expected {expected}"
        );
    }
    // no histogram, no table
    let c = charts_of(|r| r.histograms.latency = None);
    assert!(c.percentiles.is_empty());
}

/// A last point that covers less than a second (or ends after the run) would read as a drop
/// in throughput: it is left out; whole seconds, and a lone point, are kept.
#[test]
fn throughput_charts_drop_a_partial_last_second() {
    let series = |points: Vec<TimePoint>, duration_s: f64| {
        charts_of(|r| {
            r.timeseries = points;
            r.duration_s = duration_s;
        })
        .timeseries
        .iter()
        .map(|p| (p.0, p.1))
        .collect::<Vec<_>>()
    };
    let whole = vec![point(1.0, 30), point(2.0, 31), point(3.0, 29)];
    assert_eq!(
        series(whole.clone(), 3.0),
        [(1.0, 30.0), (2.0, 31.0), (3.0, 29.0)]
    );
    // 0.4 s after the last whole second, with a third of the requests
    let mut partial = whole.clone();
    partial.push(point(3.4, 11));
    assert_eq!(
        series(partial, 3.4),
        [(1.0, 30.0), (2.0, 31.0), (3.0, 29.0)]
    );
    // a whole second that ends after the run did
    assert_eq!(series(whole, 2.5), [(1.0, 30.0), (2.0, 31.0)]);
    // a single point is all there is
    assert_eq!(series(vec![point(0.6, 5)], 0.6), [(0.6, 5.0)]);
}
