//! Renderings of a [`Report`]: Markdown ([`markdown`]), a self-contained HTML page with inline
//! SVG charts ([`html`]), and the report folder ([`write_folder`]: report.md, report.html,
//! report.json and the raw data files).
//!
//! Both renderings have the sections of the investigation report format in the same order and print
//! only numbers taken from the report, formatted deterministically: percentages with one
//! decimal, milliseconds with a precision adapted to their size, scores with three decimals.
//! The shared wording (verdicts, evidence, the "where the time goes" sentence, the attribution
//! of data files to investigators) lives here so that the two renderings cannot drift apart.

mod charts;
mod md;
mod page;
mod terminal;

pub use terminal::summary;

use crate::model::{Effort, Evidence, InvestigatorName, InvestigatorResult, Verdict};
use crate::report::{ExecutiveSummary, RankedFinding, Report};
use perfhive_report::svg::axis::{fixed, sig3};
use std::io;
use std::path::{Component, Path, PathBuf};

/// The report's section headings, in order (the Markdown `##` headings and the HTML `<h2>`s).
pub const SECTIONS: [&str; 9] = [
    "Executive summary",
    "Key findings",
    "Top recommendations",
    "Investigator summaries",
    "Consensus analysis",
    "Roadmap",
    "Risks",
    "Validation plan",
    "Appendices",
];

/// The report as Markdown: `# Investigation: {name}` and one `##` section per entry of
/// [`SECTIONS`], in that order; validation commands in ```` ```sh ```` blocks.
pub fn markdown(r: &Report) -> String {
    md::render(r)
}

/// The report as one self-contained HTML page (no network references) with the sections of
/// [`markdown`] and inline SVG charts: the time breakdown, the latency percentile spectrum,
/// throughput and p99 over time, the concurrency sweep with its USL fit, and the parameter
/// sweep. A chart whose data is empty is left out.
pub fn html(r: &Report) -> String {
    page::render(r)
}

/// Creates `dir` (and its parents) and writes report.md, report.html, report.json (pretty)
/// and each raw data file `(relative path, bytes)` into it; returns the paths written, in
/// that order. A raw file name that is absolute or climbs out of `dir` (`..`) is refused
/// with [`io::ErrorKind::InvalidInput`].
pub fn write_folder(r: &Report, dir: &Path, raw: &[(String, Vec<u8>)]) -> io::Result<Vec<PathBuf>> {
    for (name, _) in raw {
        let rel = Path::new(name);
        let safe = rel.components().count() > 0
            && rel.components().all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("data file name {name:?} must be a relative path inside the report folder"),
            ));
        }
    }
    std::fs::create_dir_all(dir)?;
    let mut json = serde_json::to_string_pretty(r).map_err(io::Error::other)?;
    json.push('\n');
    let files: Vec<(PathBuf, Vec<u8>)> = [
        ("report.md", markdown(r).into_bytes()),
        ("report.html", html(r).into_bytes()),
        ("report.json", json.into_bytes()),
    ]
    .into_iter()
    .map(|(n, b)| (dir.join(n), b))
    .chain(raw.iter().map(|(n, b)| (dir.join(n), b.clone())))
    .collect();
    let mut written = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// A percentage (already in percent) with one decimal: `61.0%`.
fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", fixed(v, 1))
    } else {
        "n/a".into()
    }
}

/// Milliseconds with a precision adapted to the size: `1234 ms`, `56.7 ms`, `8.90 ms`,
/// `0.123 ms`.
fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    let d = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    format!("{} ms", fixed(v, d))
}

/// A plain number: whole numbers as integers, others with three significant digits and no
/// trailing zeros.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return fixed(v, 0);
    }
    let s = sig3(v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Seconds with one decimal.
fn seconds(v: f64) -> String {
    if v.is_finite() {
        format!("{} s", fixed(v, 1))
    } else {
        "n/a".into()
    }
}

/// A score or another 0..1 value with `d` decimals.
fn dec(v: f64, d: usize) -> String {
    if v.is_finite() {
        fixed(v, d)
    } else {
        "n/a".into()
    }
}

/// The expected gain of a recommendation, labelled for what it is.
fn speedup(p: &crate::report::Prioritized) -> String {
    match &p.gain {
        Some(g) if g.factor.is_finite() => g.describe(),
        _ => "not computed".into(),
    }
}

/// The per-request table's rows: name, rate, p50, p95, p99, errors.
fn request_rows(r: &Report) -> Vec<Vec<String>> {
    let opt_ms = |v: Option<f64>| v.map_or("-".to_string(), ms);
    r.charts
        .requests
        .iter()
        .map(|q| {
            vec![
                q.name.clone(),
                format!("{} req/s", num(q.rate_rps)),
                opt_ms(q.p50_ms),
                opt_ms(q.p95_ms),
                opt_ms(q.p99_ms),
                format!("{} ({})", q.errors, pct(q.error_rate_pct)),
            ]
        })
        .collect()
}

/// The per-request table's headers.
const REQUEST_HEADERS: [&str; 6] = ["Request", "Rate", "p50", "p95", "p99", "Errors"];

/// The executive summary's sentences after the headline: the P0 with its gain, and the
/// before/after when it was measured.
fn p0_sentences(r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r.executive_summary.p0.iter().cloned().collect();
    if let Some(ba) = &r.before_after {
        out.push(ba.sentence());
        if !ba.not_applied.is_empty() {
            out.push(format!(
                "Not applied (no switch for them in this experiment): {}.",
                ba.not_applied.join(", ")
            ));
        }
    }
    out
}

/// `label: value unit`.
fn evidence_text(e: &Evidence) -> String {
    let v = num(e.value);
    match e.unit.trim() {
        "" => format!("{}: {v}", e.label),
        "%" => format!("{}: {v}%", e.label),
        u => format!("{}: {v} {u}", e.label),
    }
}

/// A verdict in words.
pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Found => "found issues",
        Verdict::Clean => "clean",
        Verdict::InsufficientData => "insufficient data",
        Verdict::Failed => "failed",
        Verdict::TimedOut => "timed out",
        Verdict::Interrupted => "interrupted",
    }
}

/// The banner of a partial report (an interrupted investigation), which every rendering shows
/// first.
pub fn banner(r: &Report) -> Option<String> {
    if !r.is_partial() {
        return None;
    }
    Some(match &r.interruption {
        Some(i) => i.banner(),
        None => {
            "Interrupted: this report is partial, built from what was measured until then.".into()
        }
    })
}

/// An effort in words.
fn effort_text(e: Effort) -> &'static str {
    match e {
        Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
    }
}

/// Text on one line (line breaks become spaces), for headings and table cells.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The headline, ending with a full stop.
fn headline(es: &ExecutiveSummary) -> String {
    let h = one_line(&es.headline);
    if h.is_empty() {
        "No critical discovery was recorded.".into()
    } else if h.ends_with(['.', '!', '?']) {
        h
    } else {
        format!("{h}.")
    }
}

/// "Where the time goes: 61.0% db commit (12.3 ms), 17.0% serialization (3.40 ms) (source:
/// Server-Timing)."
fn breakdown_sentence(es: &ExecutiveSummary) -> String {
    if es.time_breakdown.is_empty() {
        return "Where the time goes: no breakdown was measured.".into();
    }
    let parts: Vec<String> = es
        .time_breakdown
        .iter()
        .map(|p| format!("{} {} ({})", pct(p.share_pct), p.name, ms(p.mean_ms)))
        .collect();
    let source = one_line(&es.breakdown_source);
    if source.is_empty() {
        format!("Where the time goes: {}.", parts.join(", "))
    } else {
        format!(
            "Where the time goes: {} (source: {source}).",
            parts.join(", ")
        )
    }
}

/// The ranked findings grouped by investigator: investigators in the report's order first
/// (those without findings included), then any other investigator named by a finding; each
/// group by rank.
fn findings_by_investigator(r: &Report) -> Vec<(InvestigatorName, Vec<&RankedFinding>)> {
    let mut groups: Vec<(InvestigatorName, Vec<&RankedFinding>)> = r
        .investigators
        .iter()
        .map(|i| (i.name, Vec::new()))
        .collect();
    for f in &r.findings {
        let name = f.finding.investigator;
        match groups.iter_mut().find(|g| g.0 == name) {
            Some(g) => g.1.push(f),
            None => groups.push((name, vec![f])),
        }
    }
    for g in &mut groups {
        g.1.sort_by_key(|f| f.rank);
    }
    groups
}

/// The data files of one investigator: those whose file name (or a folder of their path)
/// starts with the investigator's name, case-insensitively.
fn artefacts_of<'a>(r: &'a Report, investigator: &str) -> Vec<&'a str> {
    r.appendices
        .data_files
        .iter()
        .map(String::as_str)
        .filter(|f| belongs_to(f, investigator))
        .collect()
}

/// The data files no investigator's name claims.
fn shared_artefacts(r: &Report) -> Vec<&str> {
    r.appendices
        .data_files
        .iter()
        .map(String::as_str)
        .filter(|f| {
            !r.investigators
                .iter()
                .any(|i| belongs_to(f, i.name.as_str()))
        })
        .collect()
}

fn belongs_to(file: &str, investigator: &str) -> bool {
    let inv = investigator.to_ascii_lowercase();
    !inv.is_empty()
        && file
            .split(['/', '\\'])
            .any(|part| part.to_ascii_lowercase().starts_with(&inv))
}

/// Whether an investigator's summary is only the note [`InvestigatorResult::failed`] writes,
/// which repeats the error shown on its own line.
fn is_failure_note(i: &InvestigatorResult) -> bool {
    i.error
        .as_deref()
        .is_some_and(|e| i.summary.trim() == format!("{} did not complete: {e}", i.name))
}

/// Throughput predicted by the Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)).
fn usl(fit: (f64, f64, f64), n: f64) -> f64 {
    let (lambda, sigma, kappa) = fit;
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}
