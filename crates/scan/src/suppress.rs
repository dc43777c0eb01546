//! What the user has already judged: inline suppressions, fingerprints and baselines.
//!
//! A comment `perfhive: ignore` (every rule) or `perfhive: ignore[rule-a, rule-b]`, with an
//! optional reason after it (`perfhive: ignore[py-n-plus-one-query] -- a shop has a handful
//! of consent pages`), suppresses the findings it is next to: on a finding's line, on the line
//! of one of its statements or of its loop, or on the line just above any of them. A
//! suppressed finding is counted and not listed (listed and marked when asked for), and never
//! fails `--fail-on`. A comment naming no rule of the scan, or suppressing nothing, is a note.
//!
//! A fingerprint names a finding by what it is (rule, file, function, the statement's and the
//! loop's text, and which of identical ones it is), not by its line, so edits above it do not
//! change it. A baseline is an earlier JSON report: the findings it lists are not listed again,
//! so a CI gate fails on new findings only.

use crate::finding::{Finding, Note, NoteKind};
use crate::report::ScanReport;
use crate::runs::re;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// The comment that suppresses a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suppression {
    /// Line of the `perfhive: ignore` comment.
    pub line: u32,
    /// The reason written after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One `perfhive: ignore` comment of a file.
#[derive(Debug)]
struct Marker {
    line: u32,
    /// The rules it names (`None`: every rule).
    rules: Option<Vec<String>>,
    reason: Option<String>,
    used: bool,
}

/// The `perfhive: ignore` comments of `text`.
fn markers(text: &str) -> Vec<Marker> {
    static MARK: OnceLock<Regex> = OnceLock::new();
    if !text.contains("perfhive:") {
        return Vec::new();
    }
    let mark = re(&MARK, r"perfhive:[ \t]*ignore\b(?:\[([^\]\n]*)\])?([^\n]*)");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = mark.captures(line) else {
            continue;
        };
        let rules = c.get(1).map(|m| {
            m.as_str()
                .split([',', ' ', '\t'])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        let reason = c.get(2).map_or("", |m| m.as_str());
        let reason = reason
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim()
            .trim_start_matches(['-', '—', ':', ' ', '\t'])
            .trim();
        out.push(Marker {
            line: i as u32 + 1,
            rules,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
            used: false,
        });
    }
    out
}

/// Marks the findings of one file (`text`) that a `perfhive: ignore` comment suppresses, and
/// returns the notes on comments that name no rule of the scan (`known` tells) or suppress
/// nothing.
pub(crate) fn apply(
    file: &str,
    text: &str,
    findings: &mut [Finding],
    known: &dyn Fn(&str) -> bool,
) -> Vec<Note> {
    let mut marks = markers(text);
    if marks.is_empty() {
        return Vec::new();
    }
    for f in findings.iter_mut() {
        let mut lines = vec![f.line];
        lines.extend(f.statements.iter().map(|s| s.line));
        lines.extend(f.context.as_ref().map(|c| c.line));
        let near = |m: &Marker| lines.iter().any(|&l| m.line == l || m.line + 1 == l);
        let names = |m: &Marker| m.rules.as_ref().is_none_or(|r| r.contains(&f.rule_id));
        if let Some(m) = marks.iter_mut().find(|m| near(m) && names(m)) {
            m.used = true;
            f.suppressed = Some(Suppression {
                line: m.line,
                reason: m.reason.clone(),
            });
        }
    }
    let mut notes = Vec::new();
    for m in &marks {
        let unknown: Vec<&str> = m
            .rules
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|r| !known(r))
            .collect();
        let message = if !unknown.is_empty() {
            format!(
                "line {}: `perfhive: ignore` names no rule of this scan: {}",
                m.line,
                unknown.join(", ")
            )
        } else if !m.used {
            format!(
                "line {}: `perfhive: ignore` suppresses nothing (no finding on this line, the next, or a loop there)",
                m.line
            )
        } else {
            continue;
        };
        notes.push(Note {
            file: file.to_string(),
            kind: NoteKind::Suppression,
            message,
        });
    }
    notes
}

/// FNV-1a, 64 bits: a hash that stays the same across builds and platforms.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sets every finding's fingerprint: its rule, file, function, statement and loop text with
/// whitespace squeezed, and which of the findings with all of these equal it is (in line
/// order), hashed.
pub(crate) fn fingerprint(findings: &mut [Finding]) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (&findings[i].file, findings[i].line, findings[i].column));
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for i in order {
        let f = &findings[i];
        let context = f
            .context
            .as_ref()
            .map_or(String::new(), |c| squeeze(&c.text));
        let base = fnv1a(&[
            &f.rule_id,
            &f.file,
            f.function.as_deref().unwrap_or(""),
            &squeeze(&f.snippet),
            &context,
        ]);
        let n = seen.entry(base).or_default();
        let print = fnv1a(&[&format!("{base:016x}"), &n.to_string()]);
        *n += 1;
        findings[i].fingerprint = format!("{print:016x}");
    }
}

/// The findings of an earlier report, by fingerprint (a report written before fingerprints
/// were, schema 1.3.0 and older, has them computed the same way).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    counts: HashMap<String, u32>,
}

impl Baseline {
    /// Reads a JSON report written by `perfhive scan --format json`.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut report: ScanReport = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a perfhive scan JSON report: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if report.findings.iter().any(|f| f.fingerprint.is_empty()) {
            fingerprint(&mut report.findings);
        }
        let mut counts: HashMap<String, u32> = HashMap::new();
        for f in report.findings {
            *counts.entry(f.fingerprint).or_default() += 1;
        }
        Ok(Baseline { counts })
    }

    /// Splits `findings` into the new ones (kept) and those the baseline has, and returns how
    /// many the baseline has and how many of its findings are no longer found.
    pub(crate) fn split(&self, findings: &mut Vec<Finding>) -> (u64, u64) {
        let mut left = self.counts.clone();
        let before = findings.len();
        findings.retain(|f| match left.get_mut(&f.fingerprint) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        let absent: u32 = left.values().sum();
        ((before - findings.len()) as u64, u64::from(absent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_with_their_rules_and_reason() {
        let text = "a = 1\nfor x in xs:  # perfhive: ignore[py-n-plus-one-query, py-await-in-loop] -- a handful\n  // perfhive: ignore\n/* perfhive:ignore[js-await-in-loop]: in order */\n";
        let m = markers(text);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].line, 2);
        assert_eq!(
            m[0].rules.as_deref(),
            Some(
                &[
                    "py-n-plus-one-query".to_string(),
                    "py-await-in-loop".to_string()
                ][..]
            )
        );
        assert_eq!(m[0].reason.as_deref(), Some("a handful"));
        assert_eq!(
            (m[1].line, m[1].rules.is_none(), m[1].reason.is_none()),
            (3, true, true)
        );
        assert_eq!(m[2].reason.as_deref(), Some("in order"));
        assert!(markers("no marker here\n").is_empty());
    }

    /// The findings of `text` with `marker` appended as a comment to line `at` (1-based), and
    /// the notes on the marker.
    fn with_marker(text: &str, at: usize, marker: &str) -> (Vec<Finding>, Vec<Note>) {
        let rules = crate::builtin_rules();
        let (mut findings, _) =
            crate::scan_text(&rules, crate::Language::Python, "app/views.py", text);
        let marked: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == at {
                    format!("{l}  # {marker}")
                } else {
                    l.to_string()
                }
            })
            .collect();
        let known = |id: &str| rules.iter().any(|r| r.id == id);
        let notes = apply("app/views.py", &marked.join("\n"), &mut findings, &known);
        (findings, notes)
    }

    #[test]
    fn a_marker_next_to_the_loop_or_a_statement_suppresses_the_finding() {
        let text = "def view(request):\n    x = 1\n    for order in Order.objects.all():\n        a = 2\n        Customer.objects.get(pk=order.customer_id)\n        Item.objects.filter(order=order).count()\n";
        let (f, _) = with_marker(text, 1, "nothing");
        assert_eq!(f.len(), 1);
        assert!(f[0].suppressed.is_none());
        // the loop's line, the line above it, a statement's line, the line above a statement
        for at in [3, 2, 5, 4, 6] {
            let (f, notes) = with_marker(text, at, "perfhive: ignore -- a handful");
            let s = f[0]
                .suppressed
                .as_ref()
                .unwrap_or_else(|| panic!("line {at}"));
            assert_eq!(
                (s.line, s.reason.as_deref()),
                (at as u32, Some("a handful"))
            );
            assert!(notes.is_empty(), "{notes:?}");
        }
        // another rule named: not suppressed, and the marker suppresses nothing
        let (f, notes) = with_marker(text, 3, "perfhive: ignore[py-await-in-loop]");
        assert!(f[0].suppressed.is_none());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("suppresses nothing"), "{notes:?}");
        let (f, notes) = with_marker(text, 3, "perfhive: ignore[py-n-plus-one-query]");
        assert!(f[0].suppressed.is_some() && notes.is_empty());
    }

    #[test]
    fn fingerprints_ignore_lines_and_tell_identical_findings_apart() {
        let rules = crate::builtin_rules();
        let body = "def view(request):\n    for order in Order.objects.all():\n        Customer.objects.get(pk=order.customer_id)\n    for order in Order.objects.all():\n        Customer.objects.get(pk=order.customer_id)\n";
        let prints = |text: &str| {
            let (mut f, _) = crate::scan_text(&rules, crate::Language::Python, "v.py", text);
            fingerprint(&mut f);
            f.into_iter().map(|f| f.fingerprint).collect::<Vec<_>>()
        };
        let a = prints(body);
        assert_eq!(a.len(), 2);
        assert_ne!(a[0], a[1], "identical loops are two findings");
        assert_eq!(a, prints(&format!("# moved\n\n{body}")));
        assert_ne!(a, prints(&body.replace("view(", "other(")));
    }

    #[test]
    fn fnv1a_is_stable() {
        // the fingerprints written to reports must not change between builds
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
