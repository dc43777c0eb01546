//! The scan report and its renderings: JSON (versioned by [`SCHEMA_VERSION`], described by the
//! checked-in `schema/scan-report.schema.json`), SARIF 2.1.0 (OASIS; what code-scanning UIs
//! read), Markdown (for PR comments) and terminal text grouped by file. Renderers write to any
//! `&mut dyn Write` and never decide where output goes.

use crate::finding::{Finding, HeldOut, Note, NoteKind, Severity};
use crate::lang::Language;
use crate::routes::{RouteEntry, SqlString};
use crate::rule::Rule;
use crate::runs::RunContext;
use crate::Confidence;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::time::Duration;

mod markdown;
mod sarif;

/// Version of the JSON report; semver, evolved by adding optional fields.
pub const SCHEMA_VERSION: &str = "1.5.0";

/// The result of a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScanReport {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: String,
    /// The tool that wrote the report.
    pub tool: Tool,
    /// The paths scanned, as given.
    pub roots: Vec<String>,
    /// Counts.
    pub summary: Summary,
    /// The rules that ran.
    pub rules: Vec<RuleInfo>,
    /// Findings, by file, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files skipped or parsed with errors.
    pub notes: Vec<Note>,
    /// The routes the code declares and their handlers (since 1.1.0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteEntry>,
    /// The string literals in the code that are SQL statements, fingerprinted (since 1.1.0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sql: Vec<SqlString>,
}

/// The writer of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// `perfhive`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Counts over a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Files in a scanned language.
    pub files: u64,
    /// Files parsed (a file no rule could match is not parsed).
    pub files_parsed: u64,
    /// Files skipped (binary, minified, too large, unreadable, unparsable).
    pub files_skipped: u64,
    /// Test files not scanned (test code is scanned only when asked for).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_test_skipped: u64,
    /// Findings in one-off code (migrations, commands, scripts, build) not listed, because
    /// the scan was not asked to include them (since 1.2.0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_one_off_hidden: u64,
    /// Findings of per-item rules in loops whose names do not tell how many items they walk,
    /// not listed because the scan was not asked to include them (since 1.3.0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_unsized_hidden: u64,
    /// Findings in background work (scheduled, queued, looping jobs) of a scan that found
    /// request-handling code, not listed because the scan was not asked to include them
    /// (since 1.3.0; until 1.4.0 code of unknown context was counted here too).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_off_request_hidden: u64,
    /// Findings below the confidence the scan was asked to list (`--min-confidence`), not
    /// listed (since 1.5.0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_low_confidence_hidden: u64,
    /// Findings a `perfhive: ignore` comment suppresses, listed or not (since 1.4.0). They are
    /// not in the severity counts and never fail `--fail-on`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings_suppressed: u64,
    /// Against the baseline report, when one was given (since 1.4.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineCounts>,
    /// Files whose syntax tree has errors (scanned anyway).
    pub files_with_syntax_errors: u64,
    /// Bytes of source read.
    pub bytes: u64,
    /// Findings by severity.
    pub findings: SeverityCounts,
    /// Findings by where their code runs.
    #[serde(default)]
    pub run_contexts: RunContextCounts,
    /// Wall time of the scan, milliseconds.
    pub duration_ms: f64,
}

/// What a baseline report held of this scan's findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BaselineCounts {
    /// Findings the baseline lists too: not listed.
    pub unchanged: u64,
    /// Findings of the baseline this scan no longer lists (fixed, suppressed, or hidden by
    /// other options).
    pub absent: u64,
}

/// Findings per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SeverityCounts {
    /// All findings.
    pub total: u64,
    /// High severity.
    pub high: u64,
    /// Medium severity.
    pub medium: u64,
    /// Low severity.
    pub low: u64,
}

/// Findings per run context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunContextCounts {
    /// On the request path.
    pub request: u64,
    /// In background work.
    pub background: u64,
    /// Where the code runs is unknown.
    pub unknown: u64,
    /// In one-off code (migrations, commands, scripts, tests, build), shown at low severity.
    pub one_off: u64,
}

/// A rule as listed in reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleInfo {
    /// Unique id.
    pub id: String,
    /// Languages it applies to.
    pub languages: Vec<Language>,
    /// Severity.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// How it did on code it was never tuned to, when measured (since 1.5.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<HeldOut>,
    /// Message (may contain `$VAR` placeholders).
    pub message: String,
    /// Longer explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl From<&Rule> for RuleInfo {
    fn from(r: &Rule) -> Self {
        RuleInfo {
            id: r.id.clone(),
            languages: r.languages.clone(),
            severity: r.severity,
            confidence: r.confidence,
            held_out: r.held_out,
            message: r.message.clone(),
            note: r.note.clone(),
            fix: r.fix.clone(),
        }
    }
}

/// Walk counts handed to [`ScanReport::new`].
pub(crate) struct Counts {
    pub(crate) files: u64,
    pub(crate) parsed: u64,
    pub(crate) skipped: u64,
    pub(crate) tests: u64,
    pub(crate) one_off_hidden: u64,
    pub(crate) unsized_hidden: u64,
    pub(crate) off_request_hidden: u64,
    pub(crate) low_confidence_hidden: u64,
    pub(crate) suppressed_hidden: u64,
    /// (unchanged, absent) against a baseline.
    pub(crate) baseline: Option<(u64, u64)>,
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
}

impl ScanReport {
    pub(crate) fn new(
        roots: Vec<String>,
        rules: &[&Rule],
        findings: Vec<Finding>,
        notes: Vec<Note>,
        routes: Vec<RouteEntry>,
        sql: Vec<SqlString>,
        c: Counts,
    ) -> Self {
        let mut sev = SeverityCounts::default();
        let mut runs = RunContextCounts::default();
        let mut suppressed = c.suppressed_hidden;
        for f in &findings {
            if f.suppressed.is_some() {
                suppressed += 1;
                continue;
            }
            match f.run_context {
                RunContext::Request => runs.request += 1,
                RunContext::Background => runs.background += 1,
                RunContext::Unknown => runs.unknown += 1,
                _ => runs.one_off += 1,
            }
            sev.total += 1;
            match f.severity {
                Severity::High => sev.high += 1,
                Severity::Medium => sev.medium += 1,
                Severity::Low => sev.low += 1,
            }
        }
        let syntax = notes
            .iter()
            .filter(|n| n.kind == NoteKind::ParseErrors)
            .count() as u64;
        ScanReport {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "perfhive".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            roots,
            summary: Summary {
                files: c.files,
                files_parsed: c.parsed,
                files_skipped: c.skipped,
                files_test_skipped: c.tests,
                findings_one_off_hidden: c.one_off_hidden,
                findings_unsized_hidden: c.unsized_hidden,
                findings_off_request_hidden: c.off_request_hidden,
                findings_low_confidence_hidden: c.low_confidence_hidden,
                findings_suppressed: suppressed,
                baseline: c
                    .baseline
                    .map(|(unchanged, absent)| BaselineCounts { unchanged, absent }),
                files_with_syntax_errors: syntax,
                bytes: c.bytes,
                findings: sev,
                run_contexts: runs,
                duration_ms: (c.elapsed.as_secs_f64() * 1e6).round() / 1e3,
            },
            rules: rules.iter().map(|r| RuleInfo::from(*r)).collect(),
            findings,
            notes,
            routes,
            sql,
        }
    }

    /// Findings at `min` severity or above, suppressed ones aside.
    pub fn count_at_least(&self, min: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= min && f.suppressed.is_none())
            .count()
    }

    /// The report as pretty JSON (buffered: the serializer writes piece by piece, and `w` may
    /// be an unbuffered file).
    pub fn render_json(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut w = io::BufWriter::with_capacity(1 << 16, w);
        serde_json::to_writer_pretty(&mut w, self)?;
        writeln!(w)?;
        w.flush()
    }

    /// The report for a terminal: findings grouped by file, ANSI colour when `color`.
    pub fn render_terminal(&self, w: &mut dyn Write, color: bool) -> io::Result<()> {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut last: Option<&str> = None;
        let mut in_one_off = false;
        for f in self.ranked() {
            if f.run_context.is_one_off() && !in_one_off {
                in_one_off = true;
                if last.is_some() {
                    writeln!(w)?;
                }
                writeln!(
                    w,
                    "{}",
                    paint(
                        "1",
                        "One-off code (migrations, commands, scripts, tests, build): shown at low severity"
                    )
                )?;
                last = None;
            }
            if last != Some(f.file.as_str()) {
                if last.is_some() {
                    writeln!(w)?;
                }
                writeln!(w, "{}", paint("1;4", &f.file))?;
                last = Some(&f.file);
            }
            let sev = match f.severity {
                Severity::High => paint("31;1", "high  "),
                Severity::Medium => paint("33", "medium"),
                Severity::Low => paint("36", "low   "),
            };
            writeln!(
                w,
                "  {:>4}:{:<3} {sev} {}  {} {}",
                f.line,
                f.column,
                f.message,
                paint("2", &format!("[{}]", f.rule_id)),
                paint("2", &format!("confidence {}", f.confidence.name())),
            )?;
            let mut whr = Vec::new();
            if let Some(func) = &f.function {
                whr.push(format!("in {func}"));
            }
            if let Some(c) = &f.context {
                whr.push(format!("{} at line {}: {}", c.kind, c.line, c.text));
            }
            if f.run_context != RunContext::Unknown {
                whr.push(if f.run_context_reason.is_empty() {
                    f.run_context.phrase().to_string()
                } else {
                    format!("{} ({})", f.run_context.phrase(), f.run_context_reason)
                });
            }
            if !whr.is_empty() {
                writeln!(w, "             {}", paint("2", &whr.join(" · ")))?;
            }
            if f.statements.len() > 1 {
                for st in &f.statements {
                    writeln!(w, "             │ {:>4}: {}", st.line, st.text)?;
                }
            } else {
                for l in f.snippet.lines().take(3) {
                    writeln!(w, "             │ {l}")?;
                }
            }
            if let Some(fix) = &f.fix {
                writeln!(w, "             {} {fix}", paint("32", "fix:"))?;
            }
            if let Some(sup) = &f.suppressed {
                let why = sup
                    .reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(": {r}"));
                writeln!(
                    w,
                    "             {}",
                    paint(
                        "2",
                        &format!("suppressed by `perfhive: ignore` at line {}{why}", sup.line)
                    )
                )?;
            }
        }
        if !self.findings.is_empty() {
            writeln!(w)?;
        }
        if let Some(h) = self.held_out_line() {
            writeln!(w, "{}\n", paint("2", &h))?;
        }
        writeln!(w, "{}", self.summary_line())
    }

    /// What the rules behind the listed findings did on code they were never tuned to, for
    /// the rules that were measured: `None` when none was.
    pub fn held_out_line(&self) -> Option<String> {
        let mut parts = Vec::new();
        for r in &self.rules {
            let Some(h) = r.held_out else { continue };
            if self
                .findings
                .iter()
                .any(|f| f.rule_id == r.id && f.suppressed.is_none())
            {
                parts.push(format!("{} {}", r.id, h.phrase()));
            }
        }
        (!parts.is_empty()).then(|| {
            format!(
                "Worth changing, of the findings reviewed on code these rules were not tuned to: {}.",
                parts.join(", ")
            )
        })
    }

    /// The findings in the order a reader should see them: code that runs on the request path
    /// and elsewhere first, one-off code last, each by file and line.
    pub fn ranked(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by_key(|f| f.run_context.is_one_off());
        v
    }

    /// One line: findings by severity, files scanned and skipped, time.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let files_with = {
            let mut v: Vec<&str> = self
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .map(|f| f.file.as_str())
                .collect();
            v.dedup();
            v.len()
        };
        let rc = &s.run_contexts;
        let runs = if rc.request + rc.one_off > 0 {
            format!(
                "; {} on the request path, {} in one-off code",
                rc.request, rc.one_off
            )
        } else {
            String::new()
        };
        let mut line = format!(
            "{} finding{} ({} high, {} medium, {} low{runs}) in {} file{}; {} file{} scanned",
            s.findings.total,
            if s.findings.total == 1 { "" } else { "s" },
            s.findings.high,
            s.findings.medium,
            s.findings.low,
            files_with,
            if files_with == 1 { "" } else { "s" },
            s.files,
            if s.files == 1 { "" } else { "s" },
        );
        if s.files_skipped > 0 {
            line.push_str(&format!(", {} skipped", s.files_skipped));
        }
        if s.files_test_skipped > 0 {
            line.push_str(&format!(
                ", {} test file{} not scanned",
                s.files_test_skipped,
                if s.files_test_skipped == 1 { "" } else { "s" }
            ));
        }
        for (n, what, flag) in [
            (
                s.findings_one_off_hidden,
                "in one-off code",
                "--include-one-off",
            ),
            (
                s.findings_unsized_hidden,
                "in loops of unknown size",
                "--include-unsized",
            ),
            (
                s.findings_off_request_hidden,
                "in background work",
                "--include-off-request",
            ),
            (
                s.findings_low_confidence_hidden,
                "below the confidence asked for",
                "--min-confidence",
            ),
        ] {
            if n > 0 {
                let plural = if n == 1 { "" } else { "s" };
                line.push_str(&format!(", {n} finding{plural} {what} not listed ({flag})"));
            }
        }
        if s.findings_suppressed > 0 {
            let listed = self.findings.iter().any(|f| f.suppressed.is_some());
            line.push_str(&format!(
                ", {} suppressed by `perfhive: ignore`{}",
                s.findings_suppressed,
                if listed {
                    " (listed, never failing)"
                } else {
                    " not listed (--include-suppressed)"
                }
            ));
        }
        if let Some(b) = &s.baseline {
            line.push_str(&format!(
                ", {} in the baseline not listed, {} of the baseline no longer found",
                b.unchanged, b.absent
            ));
        }
        if s.files_with_syntax_errors > 0 {
            line.push_str(&format!(
                ", {} with syntax errors",
                s.files_with_syntax_errors
            ));
        }
        line.push_str(&format!(
            ", {} rules, {:.0} ms",
            self.rules.len(),
            s.duration_ms
        ));
        line
    }
}

/// The JSON Schema of [`ScanReport`] (draft 2020-12), as checked in at
/// `schema/scan-report.schema.json`.
pub fn json_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(ScanReport)).expect("schema serialises");
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://perfhive.dev/schema/scan-report.schema.json".into(),
        );
        obj.insert("title".into(), "perfhive scan report".into());
    }
    schema
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
