//! Dependency-free inline SVG charts for the HTML report: line charts (linear or log axes,
//! legend, vertical markers), HdrHistogram's percentile spectrum, and horizontal bar charts.
//!
//! The charts are meant to be embedded in an HTML page (see [`crate::html::page`]), so they
//! carry no `xmlns` and no fonts: text is drawn in the page's font and in `currentColor`, which
//! follows the page's light or dark theme. [`standalone`] makes a `.svg` file of one.
//!
//! Accessibility: every chart has `role="img"`, a `<title>` and a `<desc>` summarising the data
//! (referenced by `aria-labelledby`), labelled axes, a legend, and the Okabe–Ito colour-blind-safe
//! palette; dashed series stay distinguishable in greyscale.
//!
//! The output is deterministic — coordinates with one decimal, labels with fixed decimals, ids
//! derived from a hash of the content — so charts can be snapshot-tested.

pub mod axis;
mod bar;

pub use bar::bar_chart;

use crate::html::escape;
use axis::{min_max, sig3, Axis};
use std::fmt::Write as _;

/// Series colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), minus
/// black (the text colour, used last) and with yellow late (weak contrast on white).
pub const PALETTE: [&str; 8] = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "currentColor",
];

/// Approximate width of one character of 12 px text, for layout.
const CHAR_W: f64 = 7.0;
/// Series with at most this many points also get a dot (and a tooltip) per point.
const MAX_DOTS: usize = 30;

/// One line of a line chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub name: String,
    /// `(x, y)` points, drawn in order; a non-finite point (or a non-positive one on a log
    /// axis) breaks the line.
    pub points: Vec<(f64, f64)>,
    /// Draw dashed (for fits, models and baselines).
    pub dashed: bool,
}

/// Size, scales and annotations of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartOptions {
    /// Width in pixels (the chart scales down to the page width).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Logarithmic x axis.
    pub x_log: bool,
    /// Logarithmic y axis.
    pub y_log: bool,
    /// Explicit x ticks (position, label) instead of computed ones; the x domain is then the
    /// span of these ticks and of the data.
    pub x_ticks: Option<Vec<(f64, String)>>,
    /// Vertical annotations at an x value with a label: phase boundaries, a knee, a peak.
    pub markers: Vec<(f64, String)>,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            width: 720,
            height: 360,
            x_log: false,
            y_log: false,
            x_ticks: None,
            markers: Vec::new(),
        }
    }
}

/// A coordinate with one decimal, never `-0.0`.
fn c(v: f64) -> String {
    axis::fixed(v, 1)
}

/// Estimated width in pixels of `s` in 12 px text.
fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

/// FNV-1a, for ids that depend only on the content.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Wraps a chart body in the `<svg>` element with its title and description.
fn frame(width: u32, height: u32, title: &str, desc: &str, body: &str) -> String {
    let id = format!("ph{:012x}", fnv(&format!("{title}\n{desc}\n{body}")) >> 16);
    format!(
        "<svg class=\"ph-chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-size=\"12\" fill=\"currentColor\">\n\
         <title id=\"{id}-t\">{}</title>\n<desc id=\"{id}-d\">{}</desc>\n\
         <text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n\
         {body}</svg>\n",
        escape(title),
        escape(desc),
        c(f64::from(width) / 2.0),
        escape(title),
    )
}

/// Makes a standalone SVG document (for a `.svg` file) of a chart made by this module.
pub fn standalone(svg: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1)
    )
}

/// The plot area inside the chart, in pixels.
struct Plot {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Plot {
    fn px(&self, x: &Axis, v: f64) -> Option<f64> {
        x.frac(v).map(|f| self.left + f * self.width)
    }
    fn py(&self, y: &Axis, v: f64) -> Option<f64> {
        y.frac(v).map(|f| self.top + (1.0 - f) * self.height)
    }
    fn bottom(&self) -> f64 {
        self.top + self.height
    }
    fn right(&self) -> f64 {
        self.left + self.width
    }
}

/// Gridlines, ticks and tick labels of both axes, and the axis lines.
fn draw_axes(out: &mut String, p: &Plot, x: &Axis, y: &Axis) {
    out.push_str("<g class=\"grid\" stroke=\"currentColor\" stroke-opacity=\"0.15\">\n");
    for (v, _) in &y.ticks {
        if let Some(py) = p.py(y, *v) {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                c(p.left),
                c(py),
                c(p.right()),
                c(py)
            );
        }
    }
    for (v, _) in &x.ticks {
        if let Some(px) = p.px(x, *v) {
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                c(px),
                c(p.top),
                c(px),
                c(p.bottom())
            );
        }
    }
    out.push_str("</g>\n<g class=\"ticks\">\n");
    for (v, l) in &y.ticks {
        if let Some(py) = p.py(y, *v) {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                c(p.left - 6.0),
                c(py + 4.0),
                escape(l)
            );
        }
    }
    for (v, l) in &x.ticks {
        if let Some(px) = p.px(x, *v) {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(px),
                c(p.bottom() + 16.0),
                escape(l)
            );
        }
    }
    let _ = writeln!(
        out,
        "</g>\n<path d=\"M{} {}V{}H{}\" fill=\"none\" stroke=\"currentColor\" stroke-opacity=\"0.6\"/>",
        c(p.left),
        c(p.top),
        c(p.bottom()),
        c(p.right())
    );
}

/// A line chart of `series` against shared axes, with a legend below the x axis label.
///
/// Linear y axes start at zero when no value is negative. Points that cannot be shown (not
/// finite, or not positive on a log axis) break their line.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    opts: &ChartOptions,
) -> String {
    line_chart_with_desc(title, x_label, y_label, series, opts, None)
}

/// [`line_chart`] with an optional hand-written description of the data.
fn line_chart_with_desc(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    opts: &ChartOptions,
    desc: Option<String>,
) -> String {
    let (w, h) = (f64::from(opts.width), f64::from(opts.height));
    let shown = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let pts = || {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| shown(*x, opts.x_log) && shown(*y, opts.y_log))
    };
    let markers = opts.markers.iter().map(|m| m.0);
    let xs = min_max(
        pts()
            .map(|p| p.0)
            .chain(markers.filter(|v| shown(*v, opts.x_log))),
    );
    let ys = min_max(pts().map(|p| p.1));

    let x = match (&opts.x_ticks, xs) {
        (Some(t), r) => {
            let (a, b) = r.unwrap_or((f64::NAN, f64::NAN));
            Axis::explicit(a, b, opts.x_log, t.clone())
        }
        (None, Some((a, b))) if opts.x_log => Axis::log(a, b),
        (None, Some((a, b))) => Axis::linear(a, b, ((w - 100.0) / 90.0).max(2.0) as usize),
        (None, None) if opts.x_log => Axis::log(1.0, 10.0),
        (None, None) => Axis::linear(0.0, 1.0, 5),
    };
    let y_target = ((h - 100.0) / 50.0).max(2.0) as usize;
    let y = match ys {
        Some((a, b)) if opts.y_log => Axis::log(a, b),
        Some((a, b)) => Axis::linear(a.min(0.0), b, y_target),
        None if opts.y_log => Axis::log(1.0, 10.0),
        None => Axis::linear(0.0, 1.0, y_target),
    };

    // Legend layout: items flow left to right and wrap.
    let mut legend = Vec::new();
    let (mut lx, mut rows) = (0.0, 1usize);
    let legend_w = w - 80.0;
    for (i, s) in series.iter().enumerate() {
        let item_w = 30.0 + text_w(&s.name) + 18.0;
        if lx > 0.0 && lx + item_w > legend_w {
            lx = 0.0;
            rows += 1;
        }
        legend.push((i, lx, rows - 1));
        lx += item_w;
    }
    let legend_h = if series.is_empty() {
        0.0
    } else {
        rows as f64 * 18.0 + 6.0
    };
    let y_label_w = y.ticks.iter().map(|t| text_w(&t.1)).fold(0.0, f64::max);
    let top = if opts.markers.is_empty() { 36.0 } else { 60.0 };
    let p = Plot {
        left: 26.0 + y_label_w + 8.0,
        top,
        width: (w - 26.0 - y_label_w - 8.0 - 20.0).max(10.0),
        height: (h - top - 44.0 - legend_h).max(10.0),
    };

    let mut b = String::new();
    draw_axes(&mut b, &p, &x, &y);
    let _ = writeln!(
        b,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        c(p.left + p.width / 2.0),
        c(p.bottom() + 34.0),
        escape(x_label)
    );
    let (ylx, yly) = (14.0, p.top + p.height / 2.0);
    let _ = writeln!(
        b,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 {} {})\">{}</text>",
        c(ylx),
        c(yly),
        c(ylx),
        c(yly),
        escape(y_label)
    );

    // Markers: a dotted vertical line with its label above the plot (two staggered rows).
    for (i, (mv, ml)) in opts.markers.iter().enumerate() {
        if let Some(mx) = p.px(&x, *mv) {
            let ty = p.top - 6.0 - if i % 2 == 1 { 14.0 } else { 0.0 };
            let _ = writeln!(
                b,
                "<g class=\"marker\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"currentColor\" \
                 stroke-opacity=\"0.7\" stroke-dasharray=\"2 3\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text></g>",
                c(mx),
                c(ty + 2.0),
                c(mx),
                c(p.bottom()),
                c(mx + 3.0),
                c(ty),
                escape(ml)
            );
        }
    }

    // Series.
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let mut d = String::new();
        let mut pen_down = false;
        let mut dots = String::new();
        for &(vx, vy) in &s.points {
            let xy = if shown(vx, opts.x_log) && shown(vy, opts.y_log) {
                p.px(&x, vx).zip(p.py(&y, vy))
            } else {
                None
            };
            let Some((px, py)) = xy else {
                pen_down = false;
                continue;
            };
            let _ = write!(d, "{}{} {}", if pen_down { "L" } else { "M" }, c(px), c(py));
            pen_down = true;
            if s.points.len() <= MAX_DOTS && !s.dashed {
                let _ = write!(
                    dots,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3\"><title>{}: {}, {}</title></circle>",
                    c(px),
                    c(py),
                    escape(&s.name),
                    sig3(vx),
                    sig3(vy)
                );
            }
        }
        let _ = writeln!(
            b,
            "<g class=\"series\" stroke=\"{color}\" fill=\"{color}\"><path d=\"{d}\" fill=\"none\" \
             stroke-width=\"2\" stroke-linejoin=\"round\"{dash}><title>{}</title></path>{dots}</g>",
            escape(&s.name)
        );
    }

    // Legend.
    let ly0 = p.bottom() + 44.0;
    for (i, lx, row) in legend {
        let s = &series[i];
        let color = PALETTE[i % PALETTE.len()];
        let (x0, y0) = (p.left + lx, ly0 + row as f64 * 18.0);
        let dash = if s.dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let _ = writeln!(
            b,
            "<g class=\"legend\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{color}\" \
             stroke-width=\"3\"{dash}/><text x=\"{}\" y=\"{}\">{}</text></g>",
            c(x0),
            c(y0),
            c(x0 + 24.0),
            c(y0),
            c(x0 + 30.0),
            c(y0 + 4.0),
            escape(&s.name)
        );
    }
    if xs.is_none() || ys.is_none() {
        let _ = writeln!(
            b,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">No data</text>",
            c(p.left + p.width / 2.0),
            c(p.top + p.height / 2.0)
        );
    }

    let desc = desc.unwrap_or_else(|| describe(x_label, y_label, series, opts));
    frame(opts.width, opts.height, title, &desc, &b)
}

/// The text alternative of a line chart: the axes and the range of each series.
fn describe(x_label: &str, y_label: &str, series: &[Series], opts: &ChartOptions) -> String {
    let scale = |log: bool| if log { " (log scale)" } else { "" };
    let mut d = format!(
        "Line chart of {y_label}{} against {x_label}{}.",
        scale(opts.y_log),
        scale(opts.x_log)
    );
    if series.is_empty() {
        d.push_str(" No data.");
    }
    for s in series {
        let fin: Vec<_> = s
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        let xr = min_max(fin.iter().map(|p| p.0));
        let yr = min_max(fin.iter().map(|p| p.1));
        match (xr, yr) {
            (Some((x0, x1)), Some((y0, y1))) => {
                let _ = write!(
                    d,
                    " {}: {} points, {x_label} {} to {}, {y_label} {} to {}.",
                    s.name,
                    fin.len(),
                    sig3(x0),
                    sig3(x1),
                    sig3(y0),
                    sig3(y1)
                );
            }
            _ => {
                let _ = write!(d, " {}: no data.", s.name);
            }
        }
    }
    for (v, l) in &opts.markers {
        let _ = write!(d, " Marker at {}: {l}.", sig3(*v));
    }
    d
}

/// The label of quantile `1 − 10⁻ᵈ` on a percentile spectrum: 0%, 90%, 99%, 99.9%, …
fn nines(d: u32) -> String {
    match d {
        0 => "0%".into(),
        1 => "90%".into(),
        _ => format!("99.{}%", "9".repeat(d as usize - 2)).replace(".%", "%"),
    }
}

/// Where quantile `q` (0 ≤ q < 1) is drawn on a percentile spectrum: `1 / (1 − q)`, so that
/// 90% is at 10, 99% at 100, 99.9% at 1000.
pub fn spectrum_x(q: f64) -> f64 {
    1.0 / (1.0 - q)
}

/// HdrHistogram's percentile spectrum: latency (ms, linear) against the quantile on a
/// `1 / (1 − q)` log axis labelled 0%, 90%, 99%, 99.9%, …; the tail gets as much room as the
/// body. A quantile of 1 (the maximum) is drawn one decade past the last and labelled "max".
pub fn percentile_spectrum(title: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let finite_q = series
        .iter()
        .flat_map(|s| s.1.iter())
        .filter(|p| p.0 >= 0.0 && p.0 < 1.0 && p.1.is_finite())
        .map(|p| spectrum_x(p.0));
    let max_x = finite_q.fold(100.0_f64, f64::max);
    let decades = (max_x.log10() - 1e-9).ceil().max(2.0) as u32;
    let has_max = series.iter().flat_map(|s| s.1.iter()).any(|p| p.0 >= 1.0);
    let mut ticks: Vec<(f64, String)> = (0..=decades)
        .map(|d| (10f64.powi(d as i32), nines(d)))
        .collect();
    let max_pos = 10f64.powi(decades as i32 + 1);
    if has_max {
        ticks.push((max_pos, "max".into()));
    }
    let mut desc = format!("Latency percentile spectrum (ms against percentile, the tail on a log scale) of {} series.", series.len());
    let lines: Vec<Series> = series
        .iter()
        .map(|(name, pts)| {
            let mut pts: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|p| p.0 >= 0.0 && p.0.is_finite())
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let _ = write!(desc, " {name}:");
            let mut listed = 0;
            for &(q, ms) in &pts {
                let named =
                    (0..=decades).find(|&d| (q - (1.0 - 0.1f64.powi(d as i32))).abs() < 1e-9);
                let label = match named {
                    Some(0) => "minimum".into(),
                    Some(d) => nines(d),
                    None if q == 0.5 => "median".into(),
                    None if q >= 1.0 => "max".into(),
                    None => continue,
                };
                let _ = write!(
                    desc,
                    "{} {label} {} ms",
                    if listed > 0 { "," } else { "" },
                    sig3(ms)
                );
                listed += 1;
            }
            if listed == 0 {
                let _ = write!(desc, " {} points", pts.len());
            }
            desc.push('.');
            let points = pts
                .iter()
                .map(|&(q, ms)| (if q >= 1.0 { max_pos } else { spectrum_x(q) }, ms))
                .collect();
            Series {
                name: name.clone(),
                points,
                dashed: false,
            }
        })
        .collect();
    let opts = ChartOptions {
        x_log: true,
        x_ticks: Some(ticks),
        ..ChartOptions::default()
    };
    line_chart_with_desc(
        title,
        "Percentile",
        "Latency (ms)",
        &lines,
        &opts,
        Some(desc),
    )
}
