//! The SVG charts: well-formed, accessible, deterministic; sane ticks; the percentile spectrum's
//! geometry; a snapshot of a small chart.

mod common;

use common::check_xml;
use perfhive_report::svg::axis::{nice_step, Axis};
use perfhive_report::svg::{
    self, bar_chart, line_chart, percentile_spectrum, ChartOptions, Series,
};

fn series(name: &str, points: &[(f64, f64)], dashed: bool) -> Series {
    Series {
        name: name.into(),
        points: points.to_vec(),
        dashed,
    }
}

/// The x of the x-axis tick labelled `label`.
fn tick_x(svg: &str, label: &str) -> f64 {
    let end = svg
        .find(&format!("text-anchor=\"middle\">{label}</text>"))
        .unwrap_or_else(|| panic!("no tick {label} in {svg}"));
    let start = svg[..end].rfind("<text x=\"").unwrap() + 9;
    let stop = start + svg[start..].find('"').unwrap();
    svg[start..stop].parse().unwrap()
}

/// The points of the `n`th series' path.
fn path_points(svg: &str, n: usize) -> Vec<(f64, f64)> {
    let g = svg.match_indices("<g class=\"series\"").nth(n).unwrap().0;
    let d0 = g + svg[g..].find(" d=\"").unwrap() + 4;
    let d = &svg[d0..d0 + svg[d0..].find('"').unwrap()];
    d.split(['M', 'L'])
        .filter(|s| !s.is_empty())
        .map(|p| {
            let (x, y) = p.split_once(' ').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

fn assert_accessible(svg: &str) {
    check_xml(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.contains("role=\"img\""));
    let ids = svg.split("aria-labelledby=\"").nth(1).unwrap();
    let ids = &ids[..ids.find('"').unwrap()];
    for id in ids.split(' ') {
        assert!(svg.contains(&format!(" id=\"{id}\"")), "{id} missing");
    }
    assert!(svg.contains("<title id="));
    assert!(svg.contains("<desc id="));
    assert!(
        !svg.contains("font-family"),
        "text must use the page's font"
    );
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
}

#[test]
fn charts_are_well_formed_and_accessible() {
    let tricky = series(
        "<a & \"b\" 'c'>",
        &[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 2.5)],
        false,
    );
    let opts = ChartOptions {
        markers: vec![(1.5, "knee <here> & there".into()), (2.5, "phase 2".into())],
        ..ChartOptions::default()
    };
    let charts = [
        line_chart(
            "T <1> & 2",
            "x & y",
            "ms",
            &[
                tricky.clone(),
                series("fit", &[(0.0, 0.5), (3.0, 3.0)], true),
            ],
            &opts,
        ),
        line_chart(
            "logs",
            "n",
            "v",
            &[series(
                "s",
                &[(0.001, 0.1), (0.0, 1.0), (10.0, 1000.0), (-1.0, 5.0)],
                false,
            )],
            &ChartOptions {
                x_log: true,
                y_log: true,
                ..ChartOptions::default()
            },
        ),
        line_chart("empty", "x", "y", &[], &ChartOptions::default()),
        line_chart(
            "no points",
            "x",
            "y",
            &[series("none", &[], false)],
            &ChartOptions::default(),
        ),
        line_chart(
            "one point",
            "x",
            "y",
            &[series("one", &[(5.0, 5.0)], false)],
            &ChartOptions::default(),
        ),
        percentile_spectrum(
            "spectrum",
            &[(
                "a".into(),
                vec![(0.0, 1.0), (0.5, 2.0), (0.99, 5.0), (1.0, 9.0)],
            )],
        ),
        percentile_spectrum("empty spectrum", &[]),
        bar_chart(
            "bars",
            &[
                ("a <b>".into(), 61.0),
                (
                    "a very long label that will be shortened somewhere".into(),
                    17.5,
                ),
                ("neg".into(), -3.0),
            ],
            "%",
        ),
        bar_chart("no bars", &[], "ms"),
    ];
    for c in &charts {
        assert_accessible(c);
    }
    for c in common::demo_charts() {
        assert_accessible(&c);
    }
    // Escaped user text, a dashed series, the first palette colour, markers.
    assert!(charts[0].contains("&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;"));
    assert!(charts[0].contains("stroke-dasharray=\"6 4\""));
    assert!(charts[0].contains(svg::PALETTE[0]) && charts[0].contains(svg::PALETTE[1]));
    assert!(charts[0].contains("knee &lt;here&gt; &amp; there"));
    // The NaN point breaks the line: two sub-paths.
    let g = charts[0].find("<g class=\"series\"").unwrap();
    assert_eq!(
        charts[0][g..]
            .split("</g>")
            .next()
            .unwrap()
            .matches(" d=\"M")
            .count(),
        1
    );
    assert_eq!(
        charts[0][g..]
            .split("</path>")
            .next()
            .unwrap()
            .matches('M')
            .count(),
        2
    );
    assert!(charts[2].contains("No data") && charts[8].contains("No data."));
    // Standalone SVG files get the namespace.
    let file = svg::standalone(&charts[0]);
    check_xml(&file).unwrap();
    assert!(file.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ph-chart\""));
}

#[test]
fn output_is_deterministic_and_ids_differ() {
    let a = || {
        line_chart(
            "A",
            "x",
            "y",
            &[series("s", &[(0.1, 0.2), (0.7, 0.3)], false)],
            &ChartOptions::default(),
        )
    };
    assert_eq!(a(), a());
    let b = line_chart(
        "B",
        "x",
        "y",
        &[series("s", &[(0.1, 0.2), (0.7, 0.3)], false)],
        &ChartOptions::default(),
    );
    let id = |s: &str| {
        s.split(" id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    assert_ne!(id(&a()), id(&b));
}

/// Properties every linear axis must have for data in `lo..=hi`.
fn check_linear(lo: f64, hi: f64) -> Axis {
    let a = Axis::linear(lo, hi, 5);
    let t: Vec<f64> = a.ticks.iter().map(|t| t.0).collect();
    assert!((3..=12).contains(&t.len()), "{lo}..{hi}: {:?}", a.ticks);
    assert!(a.lo <= lo && a.hi >= hi, "{lo}..{hi}: {a:?}");
    let step = t[1] - t[0];
    let mag = 10f64.powf(step.log10().floor());
    let m = step / mag;
    assert!(
        [1.0, 2.0, 5.0, 10.0].iter().any(|n| (m - n).abs() < 1e-6),
        "step {step}"
    );
    assert!(lo - a.lo < step + 1e-9 && a.hi - hi < step + 1e-9, "{a:?}");
    assert_eq!((t[0], *t.last().unwrap()), (a.lo, a.hi));
    for w in a.ticks.windows(2) {
        assert!(w[1].0 > w[0].0 && w[1].1 != w[0].1, "{:?}", a.ticks);
    }
    a
}

#[test]
fn linear_ticks_are_nice() {
    let labels = |a: &Axis| a.ticks.iter().map(|t| t.1.clone()).collect::<Vec<_>>();
    assert_eq!(
        labels(&check_linear(0.0, 1.0)),
        ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    );
    assert_eq!(
        labels(&check_linear(0.0, 1234.0)),
        ["0", "200", "400", "600", "800", "1000", "1200", "1400"]
    );
    assert_eq!(
        labels(&check_linear(0.3, 0.7)),
        ["0.3", "0.4", "0.5", "0.6", "0.7"]
    );
    assert_eq!(
        labels(&check_linear(0.0, 24000.0)),
        ["0", "5k", "10k", "15k", "20k", "25k"]
    );
    assert_eq!(
        labels(&check_linear(-5.0, 17.0)),
        ["-5", "0", "5", "10", "15", "20"]
    );
    for (lo, hi) in [
        (0.0012, 0.0019),
        (97.0, 103.0),
        (0.0, 3e7),
        (1e-9, 3e-9),
        (-1.0, -0.1),
    ] {
        check_linear(lo, hi);
    }
    // Degenerate ranges still give an axis.
    assert_eq!(Axis::linear(0.0, 0.0, 5).hi, 1.0);
    assert_eq!(Axis::linear(5.0, 5.0, 5).lo, 0.0);
    assert_eq!(Axis::linear(f64::NAN, 1.0, 5).hi, 1.0);
    assert_eq!(nice_step(1.0, 5), 0.2);
}

#[test]
fn log_ticks_are_decades() {
    let a = Axis::log(0.001, 10.0);
    let labels: Vec<_> = a.ticks.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(labels, ["0.001", "0.01", "0.1", "1", "10"]);
    assert_eq!((a.lo, a.hi), (0.001, 10.0));
    assert!((a.frac(0.1).unwrap() - 0.5).abs() < 1e-12);
    let short = Axis::log(3.0, 40.0);
    let labels: Vec<_> = short.ticks.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(labels, ["1", "2", "5", "10", "20", "50", "100"]);
    let wide = Axis::log(1.0, 1e12);
    assert!(wide.ticks.len() <= 9, "{:?}", wide.ticks);
    assert_eq!(Axis::log(0.0, 5.0).lo, 1.0);
}

#[test]
fn spectrum_places_quantiles_on_the_nines() {
    let s = percentile_spectrum(
        "p",
        &[(
            "a".into(),
            vec![(0.99, 5.0), (0.0, 1.0), (0.9, 2.0), (0.999, 9.0)],
        )],
    );
    let (x0, x90, x99, x999) = (
        tick_x(&s, "0%"),
        tick_x(&s, "90%"),
        tick_x(&s, "99%"),
        tick_x(&s, "99.9%"),
    );
    assert!(!s.contains(">max<"));
    // Equal spacing per nine: 99% is two thirds of the way from 0% to 99.9%.
    assert!(
        (x99 - (x0 + 2.0 / 3.0 * (x999 - x0))).abs() < 0.15,
        "{x0} {x99} {x999}"
    );
    assert!((x90 - x0 - (x999 - x0) / 3.0).abs() < 0.15);
    // The points (sorted by quantile) sit on their ticks.
    let pts = path_points(&s, 0);
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    assert_eq!(xs, [x0, x90, x99, x999]);
    assert!((svg::spectrum_x(0.99) - 100.0).abs() < 1e-9);
    assert!(s.contains("99% 5.00 ms"), "{s}");

    // The maximum goes one decade past the last nine, labelled "max".
    let s = percentile_spectrum(
        "p",
        &[("a".into(), vec![(0.0, 1.0), (0.99, 5.0), (1.0, 20.0)])],
    );
    let (x0, x99, xmax) = (tick_x(&s, "0%"), tick_x(&s, "99%"), tick_x(&s, "max"));
    assert_eq!(path_points(&s, 0).last().unwrap().0, xmax);
    assert!((x99 - (x0 + 2.0 / 3.0 * (xmax - x0))).abs() < 0.15);
    assert!(s.contains("max 20.0 ms"));
}

#[test]
fn bar_values_and_shares() {
    let b = bar_chart(
        "Where the time goes",
        &[("db".into(), 61.0), ("cpu".into(), 39.0)],
        "%",
    );
    assert!(b.contains(">61.0%</text>") && b.contains("db: 61.0%."));
    let widths: Vec<f64> = b
        .match_indices("<rect ")
        .map(|(i, _)| {
            b[i..]
                .split("width=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(widths.len(), 2);
    assert!(
        (widths[0] / widths[1] - 61.0 / 39.0).abs() < 0.01,
        "{widths:?}"
    );
    let ms = bar_chart("t", &[("a".into(), 1234.6)], "ms");
    assert!(ms.contains(">1235 ms</text>"));
}

#[test]
fn snapshot_small_chart() {
    let chart = line_chart(
        "p99 by concurrency",
        "Concurrency",
        "p99 (ms)",
        &[
            series(
                "measured",
                &[(1.0, 4.0), (2.0, 4.5), (4.0, 6.0), (8.0, 11.0)],
                false,
            ),
            series("budget", &[(1.0, 10.0), (8.0, 10.0)], true),
        ],
        &ChartOptions {
            width: 480,
            height: 260,
            x_log: true,
            markers: vec![(4.0, "knee".into())],
            ..ChartOptions::default()
        },
    );
    insta::assert_snapshot!(chart);
}
