//! Test support: a tiny XML well-formedness checker and a demo report page.
#![allow(dead_code, missing_docs)]

use perfhive_report::html;
use perfhive_report::svg::{self, ChartOptions, Series};

#[allow(unused_imports)]
pub use perfhive_report::markup::check_xml;

/// The user text planted in the demo page, with a URL that must stay text.
pub const USER_TEXT: &str =
    "Notes from the team: see https://example.com/runbook & <http://intranet/x>";

/// The SVG charts of the demo page.
pub fn demo_charts() -> Vec<String> {
    let spectrum = svg::percentile_spectrum(
        "Latency percentile spectrum",
        &[
            (
                "corrected".to_string(),
                vec![
                    (0.0, 2.1),
                    (0.5, 8.0),
                    (0.9, 14.0),
                    (0.99, 41.0),
                    (0.999, 120.0),
                    (0.9999, 180.0),
                    (1.0, 240.0),
                ],
            ),
            (
                "uncorrected".to_string(),
                vec![
                    (0.0, 2.1),
                    (0.5, 7.5),
                    (0.9, 12.0),
                    (0.99, 22.0),
                    (0.999, 60.0),
                    (1.0, 90.0),
                ],
            ),
        ],
    );
    let time: Vec<(f64, f64)> = (0..=60u32)
        .map(|t| {
            (
                t as f64 * 10.0,
                100.0 + 3.0 * t as f64 + if t.is_multiple_of(7) { 40.0 } else { 0.0 },
            )
        })
        .collect();
    let over_time = svg::line_chart(
        "Throughput over time",
        "Time (s)",
        "Requests per second",
        &[
            Series {
                name: "throughput".into(),
                points: time,
                dashed: false,
            },
            Series {
                name: "target rate".into(),
                points: vec![(0.0, 100.0), (300.0, 250.0), (600.0, 400.0)],
                dashed: true,
            },
        ],
        &ChartOptions {
            markers: vec![
                (60.0, "warm-up end".into()),
                (300.0, "steady 250".into()),
                (420.0, "spike".into()),
            ],
            ..ChartOptions::default()
        },
    );
    let sweep = svg::line_chart(
        "Concurrency sweep with USL fit",
        "Concurrency",
        "Throughput (req/s)",
        &[
            Series {
                name: "measured".into(),
                points: vec![
                    (1.0, 95.0),
                    (2.0, 180.0),
                    (4.0, 330.0),
                    (8.0, 520.0),
                    (16.0, 610.0),
                    (32.0, 590.0),
                    (64.0, 540.0),
                ],
                dashed: false,
            },
            Series {
                name: "USL fit (σ 0.05, κ 0.0008)".into(),
                points: (0..=60)
                    .map(|i| {
                        let n = 2f64.powf(i as f64 / 10.0);
                        (
                            n,
                            95.0 * n / (1.0 + 0.05 * (n - 1.0) + 0.0008 * n * (n - 1.0)),
                        )
                    })
                    .collect(),
                dashed: true,
            },
        ],
        &ChartOptions {
            x_log: true,
            markers: vec![(16.0, "knee N*≈16".into())],
            ..ChartOptions::default()
        },
    );
    let bars = svg::bar_chart(
        "Where the time goes",
        &[
            ("db commit (fsync)".into(), 61.0),
            ("serialization".into(), 17.5),
            ("inventory lookups (N+1)".into(), 14.0),
            ("other".into(), 7.5),
        ],
        "%",
    );
    vec![spectrum, over_time, sweep, bars]
}

/// A demo report page with every chart type, tables and the user text.
pub fn demo_page() -> String {
    let charts = demo_charts();
    let headers = ["phase", "share", "p99"];
    let rows = vec![
        vec![
            "db commit".to_string(),
            "61%".to_string(),
            "41.0 ms".to_string(),
        ],
        vec![
            "serialize <json>".to_string(),
            "17.5%".to_string(),
            "9.2 ms".to_string(),
        ],
    ];
    let sections = vec![
        (
            "summary".to_string(),
            "Executive summary".to_string(),
            format!(
                "<p>The unbatched SQLite commits are the bottleneck (61% of the time); the database CPU is not.</p>\n{}",
                html::figure(&charts[3], "Share of request time per phase")
            ),
        ),
        (
            "load".to_string(),
            "Load & latency".to_string(),
            format!(
                "{}{}",
                html::figure(&charts[0], "Percentile spectrum, corrected and uncorrected"),
                html::figure(&charts[1], "Throughput per second with phase boundaries")
            ),
        ),
        ("sweep".to_string(), "Sweep".to_string(), html::figure(&charts[2], "Throughput against concurrency")),
        ("data".to_string(), "Appendix: data".to_string(), html::html_table(&headers, &rows)),
        ("notes".to_string(), "Notes".to_string(), format!("<p>{}</p>", html::escape(USER_TEXT))),
    ];
    html::page("Investigation: checkout-api <staging>", &sections)
}
