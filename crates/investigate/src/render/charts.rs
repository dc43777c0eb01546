//! The report's inline SVG charts, each wrapped in a captioned `<figure>`; a chart whose data
//! is empty is not drawn (its function returns `None`).

use super::{num, pct, usl};
use crate::report::{Charts, ExecutiveSummary};
use perfhive_report::html::figure;
use perfhive_report::svg::{self, ChartOptions, Series};

/// Points of the USL curve drawn between two sweep levels.
const USL_STEPS: usize = 4;

/// Whether positive `xs` spread over enough of a range to be drawn on a log axis.
fn wants_log(xs: impl Iterator<Item = f64> + Clone) -> bool {
    let lo = xs.clone().fold(f64::INFINITY, f64::min);
    let hi = xs.fold(f64::NEG_INFINITY, f64::max);
    lo > 0.0 && hi.is_finite() && hi / lo >= 8.0
}

/// "Where the time goes": one bar per phase, in percent.
pub(super) fn breakdown(es: &ExecutiveSummary) -> Option<String> {
    if es.time_breakdown.is_empty() {
        return None;
    }
    let bars: Vec<(String, f64)> = es
        .time_breakdown
        .iter()
        .map(|p| (p.name.clone(), p.share_pct))
        .collect();
    let chart = svg::bar_chart("Where the time goes", &bars, "%");
    let caption = if es.breakdown_source.trim().is_empty() {
        "Share of request time per phase.".to_string()
    } else {
        format!(
            "Share of request time per phase (source: {}).",
            es.breakdown_source.trim()
        )
    };
    Some(figure(&chart, &caption))
}

/// The baseline latency percentile spectrum.
pub(super) fn spectrum(c: &Charts) -> Option<String> {
    if c.spectrum.is_empty() {
        return None;
    }
    let chart = svg::percentile_spectrum(
        "Latency percentile spectrum",
        &[("baseline".to_string(), c.spectrum.clone())],
    );
    Some(figure(
        &chart,
        "Baseline latency by percentile; the tail gets as much room as the body.",
    ))
}

/// Throughput over time and p99 over time, as two charts.
pub(super) fn timeseries(c: &Charts) -> Vec<String> {
    if c.timeseries.is_empty() {
        return Vec::new();
    }
    let one = |title: &str, y_label: &str, name: &str, points: Vec<(f64, f64)>, caption: &str| {
        let chart = svg::line_chart(
            title,
            "Time (s)",
            y_label,
            &[Series {
                name: name.into(),
                points,
                dashed: false,
            }],
            &ChartOptions::default(),
        );
        figure(&chart, caption)
    };
    vec![
        one(
            "Throughput over time",
            "Requests per second",
            "throughput",
            c.timeseries.iter().map(|p| (p.0, p.1)).collect(),
            "Baseline throughput per second.",
        ),
        one(
            "p99 latency over time",
            "p99 latency (ms)",
            "p99",
            c.timeseries.iter().map(|p| (p.0, p.2)).collect(),
            "Baseline 99th percentile latency per second.",
        ),
    ]
}

/// The concurrency sweep (throughput against level) with the USL fit as a dashed series
/// evaluated at the sweep levels and a few points between them.
pub(super) fn sweep(c: &Charts) -> Option<String> {
    let measured: Vec<(f64, f64)> = c
        .sweep
        .iter()
        .map(|p| (p.0, p.1))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    if measured.is_empty() {
        return None;
    }
    let x_log = wants_log(measured.iter().map(|p| p.0));
    let mut series = vec![Series {
        name: "measured".into(),
        points: measured.clone(),
        dashed: false,
    }];
    let mut markers = Vec::new();
    let mut caption = "Throughput against concurrency.".to_string();
    if let Some(fit) = c.usl {
        let (lambda, sigma, kappa) = fit;
        let mut levels: Vec<f64> = measured.iter().map(|p| p.0).filter(|n| *n > 0.0).collect();
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        let mut xs = Vec::new();
        for w in levels.windows(2) {
            let (a, b) = (w[0], w[1]);
            for k in 0..USL_STEPS {
                let t = k as f64 / USL_STEPS as f64;
                xs.push(if x_log {
                    a * (b / a).powf(t)
                } else {
                    a + (b - a) * t
                });
            }
        }
        xs.extend(levels.last().copied());
        series.push(Series {
            name: format!(
                "USL fit (λ {}, σ {}, κ {})",
                num(lambda),
                num(sigma),
                num(kappa)
            ),
            points: xs.iter().map(|&n| (n, usl(fit, n))).collect(),
            dashed: true,
        });
        if kappa > 0.0 && sigma < 1.0 {
            let peak = ((1.0 - sigma) / kappa).sqrt();
            let (lo, hi) = (levels[0], levels[levels.len() - 1]);
            if peak >= lo && peak <= hi {
                markers.push((peak, format!("USL peak N≈{}", num(peak.round()))));
            }
        }
        caption = format!(
            "Throughput against concurrency, measured and fitted by the Universal Scalability \
             Law (contention σ = {}, i.e. {}; coherency κ = {}).",
            num(sigma),
            pct(sigma * 100.0),
            num(kappa)
        );
    }
    let chart = svg::line_chart(
        "Concurrency sweep",
        "Concurrency",
        "Throughput (req/s)",
        &series,
        &ChartOptions {
            x_log,
            markers,
            ..ChartOptions::default()
        },
    );
    Some(figure(&chart, &caption))
}

/// Throughput against the swept parameter.
pub(super) fn parameter(c: &Charts) -> Option<String> {
    let (name, pts) = c.parameter.as_ref()?;
    if pts.is_empty() {
        return None;
    }
    let points: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
    let chart = svg::line_chart(
        &format!("Parameter sweep: {name}"),
        name,
        "Throughput (req/s)",
        &[Series {
            name: "throughput".into(),
            points,
            dashed: false,
        }],
        &ChartOptions {
            x_log: wants_log(pts.iter().map(|p| p.0)),
            ..ChartOptions::default()
        },
    );
    Some(figure(
        &chart,
        &format!("Throughput for each value of {name} (p99 in the appendix table)."),
    ))
}
