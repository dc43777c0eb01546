//! The terminal summary of a load run: a table per phase, the latency spectrum (corrected and
//! uncorrected), timings, errors, criteria and the generator's self-check, in the spirit of
//! wrk2's and k6's end-of-test summaries.

use perfhive_core::record::{RunRecord, RunStatus};
use perfhive_core::LatencySummary;
use std::io::{self, Write};

/// Terminal styling.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub(crate) fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    pub(crate) fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    pub(crate) fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    pub(crate) fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
}

/// Formats milliseconds with a precision that suits the magnitude.
pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2}s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}ms")
    } else if v >= 10.0 {
        format!("{v:.1}ms")
    } else {
        format!("{v:.2}ms")
    }
}

fn opt_ms(v: Option<&LatencySummary>, f: impl Fn(&LatencySummary) -> f64) -> String {
    v.map(|s| ms(f(s))).unwrap_or_else(|| "-".into())
}

fn spectrum(w: &mut dyn Write, label: &str, s: Option<&LatencySummary>) -> io::Result<()> {
    match s {
        None => writeln!(w, "  {label:<22} no responses"),
        Some(s) => writeln!(
            w,
            "  {label:<22} p50 {:>8}  p90 {:>8}  p95 {:>8}  p99 {:>8}  p99.9 {:>8}  max {:>8}",
            ms(s.p50),
            ms(s.p90),
            ms(s.p95),
            ms(s.p99),
            ms(s.p99_9),
            ms(s.max)
        ),
    }
}

/// Writes the summary of a load run.
pub fn render_run_summary(r: &RunRecord, w: &mut dyn Write, style: Style) -> io::Result<()> {
    let status = match r.status {
        RunStatus::Passed => style.green("passed"),
        RunStatus::Failed => style.red("FAILED (criteria)"),
        RunStatus::Aborted => style.red("ABORTED (rollback trigger)"),
        RunStatus::Interrupted => style.yellow("interrupted"),
    };
    writeln!(
        w,
        "\n{} — {}  ({} model, {}, {:.1} s of {:.1} s planned, {} thread(s))",
        style.bold(&r.scenario),
        status,
        r.workload.model,
        r.target.http_version,
        r.duration_s,
        r.workload.planned_duration_s,
        r.generator.threads
    )?;
    writeln!(w, "  target {}", r.target.url)?;
    if let Some(a) = &r.abort {
        match &a.trigger {
            Some(t) => writeln!(
                w,
                "  {} at {:.0} s: `{}` (value {})",
                style.red("stopped by trigger"),
                a.at_s,
                t,
                a.value
                    .map(|v| format!("{v}"))
                    .unwrap_or_else(|| "-".into())
            )?,
            None => writeln!(
                w,
                "  {} at {:.1} s; results cover what was measured",
                style.yellow("interrupted"),
                a.at_s
            )?,
        }
    }
    let unit = if r.workload.model == "open" {
        "rps"
    } else {
        "users"
    };
    writeln!(
        w,
        "\n  {:<14} {:>14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "phase",
        format!("target {unit}"),
        "requests",
        "rps",
        "p50",
        "p95",
        "p99",
        "max",
        "errors"
    )?;
    for p in &r.phases {
        let target = if (p.target_start - p.target_end).abs() < 1e-9 {
            format!("{:.0}", p.target_start)
        } else {
            format!("{:.0}→{:.0}", p.target_start, p.target_end)
        };
        let name = if p.measured {
            p.name.clone()
        } else {
            format!("{} (excl.)", p.name)
        };
        writeln!(
            w,
            "  {:<14} {:>14} {:>9} {:>9.1} {:>9} {:>9} {:>9} {:>9} {:>7.2}%",
            name,
            target,
            p.requests,
            p.throughput_rps,
            opt_ms(p.latency_ms.as_ref(), |s| s.p50),
            opt_ms(p.latency_ms.as_ref(), |s| s.p95),
            opt_ms(p.latency_ms.as_ref(), |s| s.p99),
            opt_ms(p.latency_ms.as_ref(), |s| s.max),
            p.error_rate_pct
        )?;
    }
    let m = &r.metrics;
    writeln!(
        w,
        "\n  measured: {} requests, {:.1} req/s, {} errors ({:.3}%), {} dropped, {} KiB out, {} KiB in",
        m.requests,
        m.throughput_rps,
        m.errors,
        m.error_rate_pct,
        m.dropped_requests,
        m.bytes_sent / 1024,
        m.bytes_received / 1024
    )?;
    spectrum(w, "latency (corrected)", m.latency_ms.as_ref())?;
    spectrum(
        w,
        "latency (uncorrected)",
        m.latency_uncorrected_ms.as_ref(),
    )?;
    spectrum(w, "time to first byte", m.ttfb_ms.as_ref())?;
    spectrum(w, "connect", m.connect_ms.as_ref())?;
    if m.tls_ms.is_some() {
        spectrum(w, "tls handshake", m.tls_ms.as_ref())?;
    }
    if r.requests.len() > 1 {
        writeln!(
            w,
            "\n  {:<16} {:>9} {:>9} {:>9} {:>9}",
            "request", "requests", "p50", "p99", "errors"
        )?;
        for q in &r.requests {
            writeln!(
                w,
                "  {:<16} {:>9} {:>9} {:>9} {:>8.2}%",
                q.name,
                q.requests,
                opt_ms(q.latency_ms.as_ref(), |s| s.p50),
                opt_ms(q.latency_ms.as_ref(), |s| s.p99),
                q.error_rate_pct
            )?;
        }
    }
    if !m.errors_by_class.is_empty() {
        let list: Vec<_> = m
            .errors_by_class
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(w, "  errors by class: {}", list.join(", "))?;
    }
    if !m.status_codes.is_empty() {
        let list: Vec<_> = m
            .status_codes
            .iter()
            .map(|(k, v)| format!("{k}×{v}"))
            .collect();
        writeln!(w, "  status codes: {}", list.join(", "))?;
    }
    for o in &r.observed {
        if o.found {
            writeln!(
                w,
                "  observed {:<12} cpu mean {:>6} max {:>6}  rss max {:>8}  ({} process(es), {})",
                o.name,
                o.cpu_pct_mean
                    .map(|v| format!("{v:.1}%"))
                    .unwrap_or("-".into()),
                o.cpu_pct_max
                    .map(|v| format!("{v:.1}%"))
                    .unwrap_or("-".into()),
                o.rss_mb_max
                    .map(|v| format!("{v:.1} MiB"))
                    .unwrap_or("-".into()),
                o.pids,
                o.selector
            )?;
        } else {
            writeln!(
                w,
                "  observed {:<12} {}",
                o.name,
                style.yellow(&format!("not found ({})", o.selector))
            )?;
        }
    }
    if let Some(t) = &r.traces {
        writeln!(w, "\n  traces")?;
        crate::trace::render_trace_summary(t, w, style)?;
    }
    if !r.criteria.is_empty() {
        writeln!(w, "\n  criteria")?;
        for c in &r.criteria {
            let (mark, value) = match c.passed {
                Some(true) => (
                    style.green("✓"),
                    c.value.map(|v| format!("{v}")).unwrap_or_default(),
                ),
                Some(false) => (
                    style.red("✗"),
                    c.value.map(|v| format!("{v}")).unwrap_or_default(),
                ),
                None => (style.yellow("?"), c.note.clone().unwrap_or_default()),
            };
            writeln!(w, "    {mark} {:<36} {value}", c.expr)?;
        }
    }
    let g = &r.generator;
    writeln!(
        w,
        "\n  generator: cpu {:.0}% ({:.3} ms/request), send lag p99 {}, timer lag p99 {}, {} late, max in flight {}/{}, {} connections, peak rss {:.1} MiB",
        g.cpu_pct,
        g.cpu_ms_per_request,
        opt_ms(g.send_lag_ms.as_ref(), |s| s.p99),
        opt_ms(g.timer_lag_ms.as_ref(), |s| s.p99),
        g.late_requests,
        g.max_in_flight,
        g.in_flight_limit,
        g.connections_opened,
        g.peak_rss_mb
    )?;
    for warning in &g.warnings {
        writeln!(w, "  {} {warning}", style.yellow("warning:"))?;
    }
    if !g.valid {
        writeln!(
            w,
            "  {}",
            style.red("this run is marked invalid: the generator was the bottleneck")
        )?;
    }
    Ok(())
}
