//! Rendering of a command benchmark: a hyperfine-style block per command (with per-run peak
//! memory and the median's confidence interval), then each command against the reference with
//! the ratio's interval, significance and shift; plus CSV (one row per run) and Markdown.

use crate::summary::Style;
use perfhive_core::bench::{BenchRecord, SampleSummary};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Seconds with an adapted unit.
pub fn secs(s: f64) -> String {
    let a = s.abs();
    if a >= 1.0 {
        format!("{s:.3} s")
    } else if a >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn value(metric: &str, v: f64) -> String {
    if metric == "rss" {
        format!("{v:.1} MiB")
    } else {
        secs(v)
    }
}

fn primary<'a>(r: &BenchRecord, c: &'a perfhive_core::bench::CommandResult) -> &'a SampleSummary {
    match r.metric.as_str() {
        "rss" => &c.max_rss_mb,
        _ => &c.wall_s,
    }
}

/// Writes the terminal summary.
pub fn render(r: &BenchRecord, w: &mut dyn Write, style: Style) -> io::Result<()> {
    for (i, c) in r.commands.iter().enumerate() {
        let s = &c.wall_s;
        writeln!(w, "\nBenchmark {}: {}", i + 1, c.name)?;
        writeln!(
            w,
            "  wall     {} ± {}   median {} [{} … {}]   min {}  max {}   ({} runs)",
            secs(s.mean),
            secs(s.stdev),
            secs(s.median),
            secs(s.median_ci.0),
            secs(s.median_ci.1),
            secs(s.min),
            secs(s.max),
            s.n
        )?;
        let cpu_ms = |x: &SampleSummary| secs(x.mean);
        writeln!(
            w,
            "  user     {}   system {}   peak rss {:.1} MiB (median {:.1}, max {:.1})",
            cpu_ms(&c.user_s),
            cpu_ms(&c.system_s),
            c.max_rss_mb.mean,
            c.max_rss_mb.median,
            c.max_rss_mb.max
        )?;
        let cs_v: u64 = c.runs.iter().map(|s| s.voluntary_cs).sum();
        let cs_i: u64 = c.runs.iter().map(|s| s.involuntary_cs).sum();
        if !c.runs.is_empty() {
            writeln!(
                w,
                "  context switches per run: {:.1} voluntary, {:.1} involuntary",
                cs_v as f64 / c.runs.len() as f64,
                cs_i as f64 / c.runs.len() as f64
            )?;
        }
    }
    if let Some(f) = r.rss_floor_mb {
        writeln!(w, "\n  peak rss is per run (wait4); the smallest measurable here is {f:.1} MiB (the spawning process)")?;
    }
    if let Some(o) = r.shell_overhead_s {
        writeln!(
            w,
            "\n  shell spawn overhead {} measured and subtracted",
            secs(o)
        )?;
    }
    if !r.comparisons.is_empty() {
        writeln!(
            w,
            "\n{} (by {} time)",
            style_bold(style, "Summary"),
            r.metric
        )?;
        let reference = &r.commands[0];
        writeln!(
            w,
            "  {} is the reference ({})",
            reference.name,
            value(&r.metric, primary(r, reference).mean)
        )?;
        for c in &r.comparisons {
            let (lo, hi) = c.ratio_ci;
            let p = c
                .p_value
                .map(|p| format!("p={p:.3}"))
                .unwrap_or_else(|| "p=?".into());
            let holm = match (r.comparisons.len() > 1, c.p_adjusted) {
                (true, Some(a)) => format!(", Holm {a:.3}"),
                _ => String::new(),
            };
            let shift = match (c.shift, c.shift_ci) {
                (Some(s), Some((a, b))) if r.metric != "rss" => {
                    format!("; shift {:+} [{:+} … {:+}]", secs(s), secs(a), secs(b))
                        .replace("+-", "-")
                }
                (Some(s), Some((a, b))) => format!("; shift {s:+.1} MiB [{a:+.1} … {b:+.1}]"),
                _ => String::new(),
            };
            let significant = c.p_adjusted.or(c.p_value).is_some_and(|p| p < 0.05);
            let verdict = if !significant {
                style.yellow_text("no significant difference")
            } else if c.ratio > 1.0 {
                format!("{:.2}× slower", c.ratio)
            } else {
                format!("{:.2}× faster", 1.0 / c.ratio)
            };
            writeln!(
                w,
                "  {:<28} ratio {:.3} [{:.3} … {:.3}]  {}{}{}  → {}",
                c.candidate, c.ratio, lo, hi, p, holm, shift, verdict
            )?;
        }
    }
    if let Some(cmp) = &r.comparison {
        if let Some(date) = &cmp.baseline_date {
            writeln!(w, "\n  against the baseline of {date}:")?;
            for (k, v) in &cmp.extra {
                writeln!(w, "    {k:<36} {}", v)?;
            }
        }
    }
    for warning in &r.warnings {
        writeln!(w, "  {} {warning}", style.yellow_text("warning:"))?;
    }
    Ok(())
}

fn style_bold(style: Style, t: &str) -> String {
    if style.color {
        format!("\x1b[1m{t}\x1b[0m")
    } else {
        t.to_string()
    }
}

impl Style {
    fn yellow_text(&self, t: &str) -> String {
        if self.color {
            format!("\x1b[33m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per run.
pub fn csv(r: &BenchRecord) -> String {
    let mut params: Vec<&String> = r
        .commands
        .iter()
        .flat_map(|c| c.parameters.keys())
        .collect();
    params.sort();
    params.dedup();
    let mut out = String::from("command,run,wall_s,user_s,system_s,max_rss_kb,voluntary_cs,involuntary_cs,exit_code,outlier");
    for p in &params {
        let _ = write!(out, ",parameter_{}", csv_field(p));
    }
    out.push('\n');
    for c in &r.commands {
        for (i, s) in c.runs.iter().enumerate() {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                csv_field(&c.name),
                i,
                s.wall_s,
                s.user_s,
                s.system_s,
                s.max_rss_kb,
                s.voluntary_cs,
                s.involuntary_cs,
                s.exit_code,
                c.outliers.contains(&i)
            );
            for p in &params {
                let _ = write!(
                    out,
                    ",{}",
                    csv_field(c.parameters.get(*p).map(String::as_str).unwrap_or(""))
                );
            }
            out.push('\n');
        }
    }
    out
}

/// The summary as a Markdown table (fit for a pull-request comment).
pub fn markdown(r: &BenchRecord) -> String {
    let mut out = String::from("| Command | Mean | Median [95% CI] | Min | Max | Peak RSS | Relative |\n|:---|---:|---:|---:|---:|---:|---:|\n");
    for (i, c) in r.commands.iter().enumerate() {
        let s = &c.wall_s;
        let rel = if i == 0 {
            "1.00".to_string()
        } else {
            r.comparisons
                .get(i - 1)
                .map(|x| format!("{:.2} [{:.2} … {:.2}]", x.ratio, x.ratio_ci.0, x.ratio_ci.1))
                .unwrap_or_default()
        };
        let _ = writeln!(
            out,
            "| `{}` | {} ± {} | {} [{} … {}] | {} | {} | {:.1} MiB | {} |",
            c.name.replace('|', "\\|"),
            secs(s.mean),
            secs(s.stdev),
            secs(s.median),
            secs(s.median_ci.0),
            secs(s.median_ci.1),
            secs(s.min),
            secs(s.max),
            c.max_rss_mb.max,
            rel
        );
    }
    out
}
