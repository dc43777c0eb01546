//! Horizontal bar charts, for shares such as "where the time goes".

use super::axis::{min_max, sig3, Axis};
use super::{c, draw_axes, frame, text_w, Plot, CHAR_W, PALETTE};
use crate::html::escape;
use std::fmt::Write as _;

/// Horizontal bars, one per `(label, value)`, from zero, with the value (and `unit`) after
/// each bar — for "where the time goes" phase shares.
pub fn bar_chart(title: &str, bars: &[(String, f64)], unit: &str) -> String {
    let width = 720.0;
    let row = 26.0;
    let value_text = |v: f64| {
        if unit.is_empty() || unit == "%" {
            format!("{}{unit}", sig3(v))
        } else {
            format!("{} {unit}", sig3(v))
        }
    };
    let vals = bars.iter().map(|b| b.1).filter(|v| v.is_finite());
    let (lo, hi) = min_max(vals).map_or((0.0, 1.0), |(a, b)| (a.min(0.0), b.max(0.0)));
    let x = Axis::linear(lo, hi, 6);
    let label_w = bars
        .iter()
        .map(|b| text_w(&b.0))
        .fold(0.0, f64::max)
        .min(width * 0.4);
    let value_w = bars
        .iter()
        .map(|b| text_w(&value_text(b.1)))
        .fold(0.0, f64::max);
    let top = 36.0;
    let p = Plot {
        left: 12.0 + label_w + 8.0,
        top,
        width: (width - 12.0 - label_w - 8.0 - value_w - 16.0).max(40.0),
        height: (bars.len().max(1) as f64) * row,
    };
    let height = (p.bottom() + 44.0).ceil();
    let y = Axis::explicit(0.0, 1.0, false, Vec::new());
    let mut b = String::new();
    draw_axes(&mut b, &p, &x, &y);
    if !unit.is_empty() {
        let _ = writeln!(
            b,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(p.left + p.width / 2.0),
            c(p.bottom() + 34.0),
            escape(unit)
        );
    }
    let max_chars = ((label_w / CHAR_W) as usize).max(4);
    let mut desc = format!("Bar chart of {} values", bars.len());
    if !unit.is_empty() {
        let _ = write!(desc, " in {unit}");
    }
    desc.push('.');
    let zero = p.px(&x, 0.0).unwrap_or(p.left);
    for (i, (label, v)) in bars.iter().enumerate() {
        let _ = write!(desc, " {label}: {}.", value_text(*v));
        let cy = p.top + (i as f64 + 0.5) * row;
        let shown: String = if label.chars().count() > max_chars {
            label.chars().take(max_chars - 1).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = writeln!(
            b,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(p.left - 8.0),
            c(cy + 4.0),
            escape(&shown)
        );
        let Some(end) = p.px(&x, *v) else { continue };
        let (x0, x1) = (zero.min(end), zero.max(end));
        let _ = writeln!(
            b,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            c(x0),
            c(cy - 8.0),
            c(x1 - x0),
            c(16.0),
            PALETTE[0],
            escape(label),
            escape(&value_text(*v)),
            c(x1 + 6.0),
            c(cy + 4.0),
            escape(&value_text(*v))
        );
    }
    if bars.is_empty() {
        desc.push_str(" No data.");
    }
    frame(width as u32, height as u32, title, &desc, &b)
}
