//! What the user has already judged: inline suppressions, fingerprints and baselines.
//!
//! A comment `perfhive: ignore` (every rule) or `perfhive: ignore[rule-a, rule-b]`, with an
//! optional reason after it (`perfhive: ignore[py-n-plus-one-query] -- a shop has a handful
//! of consent pages`), suppresses the findings it is next to: those on its line, on the line
//! of one of their statements or of their loop; a comment alone on its line also those of the
//! next line. A suppressed finding is counted and not listed (listed and marked when asked
//! for), and never fails `--fail-on`. A comment naming no rule run on its file, one with an
//! unclosed `[`, or one suppressing nothing, is a note. The marker counts only in a comment:
//! after `#`, `//`, `/*`, `--` or `<!--` outside quotes, or on a line of a block comment.
//!
//! A fingerprint names a finding by what it is (rule, file relative to the scanned root,
//! function, the code of its statement and of its loop without comments, and which of
//! identical ones it is), not by its line, so edits elsewhere do not change it. A baseline is
//! an earlier JSON report: the findings it lists are not listed again, so a CI gate fails on
//! new findings only.

use crate::finding::{Finding, Note, NoteKind};
use crate::lang::Language;
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
    /// Alone on its line: it covers the next line too.
    alone: bool,
    /// A `[` with no `]`: it suppresses nothing, and is a note.
    unclosed: bool,
    used: bool,
}

/// The byte offset of the first of `openers` in `line` outside quoted strings.
pub(crate) fn outside_quotes(line: &str, openers: &[&str]) -> Option<usize> {
    let mut quote = None::<char>;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if openers.iter().any(|o| line[i..].starts_with(o)) => return Some(i),
            None => {}
        }
    }
    None
}

/// Where the comment that holds byte `at` of `line` starts, if `at` is in a comment: the first
/// comment opener outside quotes before it, or the line's start inside a block comment (`* …`).
fn comment_start(line: &str, at: usize) -> Option<usize> {
    let prefix = &line[..at];
    let trimmed = prefix.trim_start();
    if trimmed.starts_with('*') {
        return Some(prefix.len() - trimmed.len());
    }
    outside_quotes(prefix, &["#", "//", "/*", "--", "<!--"])
}

/// The `perfhive: ignore` comments of `text`.
fn markers(text: &str) -> Vec<Marker> {
    static MARK: OnceLock<Regex> = OnceLock::new();
    if !text.contains("perfhive:") {
        return Vec::new();
    }
    let mark = re(
        &MARK,
        r"perfhive:[ \t]*ignore\b[ \t]*(?:\[([^\]\n]*)(\])?)?([^\n]*)",
    );
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = mark.captures(line) else {
            continue;
        };
        let at = c.get(0).map_or(0, |m| m.start());
        let Some(start) = comment_start(line, at) else {
            continue;
        };
        let unclosed = c.get(1).is_some() && c.get(2).is_none();
        let rules = c.get(1).map(|m| {
            m.as_str()
                .split([',', ' ', '\t'])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        let reason = c
            .get(3)
            .map_or("", |m| m.as_str())
            .trim()
            .trim_end_matches('}')
            .trim_end()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim()
            .trim_start_matches(['-', '—', ':', ' ', '\t'])
            .trim();
        let before = line[..start].trim();
        out.push(Marker {
            line: i as u32 + 1,
            rules,
            reason: (!reason.is_empty() && !unclosed).then(|| reason.to_string()),
            // `{/* perfhive: ignore */}` in JSX is alone on its line too
            alone: before.is_empty() || before == "{",
            unclosed,
            used: false,
        });
    }
    out
}

/// Marks the findings of one file (`text`) that a `perfhive: ignore` comment suppresses, and
/// returns the notes on comments that name no rule run on the file (`known` tells), have an
/// unclosed `[`, or suppress nothing.
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
        // the loop's line; not a function's (`context: async`), which would cover all of it
        lines.extend(
            f.context
                .as_ref()
                .filter(|c| c.kind == "loop")
                .map(|c| c.line),
        );
        let near = |m: &Marker| {
            lines
                .iter()
                .any(|&l| m.line == l || (m.alone && m.line + 1 == l))
        };
        let names = |m: &Marker| m.rules.as_ref().is_none_or(|r| r.contains(&f.rule_id));
        for m in marks.iter_mut() {
            if m.unclosed || !near(m) || !names(m) {
                continue;
            }
            m.used = true;
            if f.suppressed.is_none() {
                f.suppressed = Some(Suppression {
                    line: m.line,
                    reason: m.reason.clone(),
                });
            }
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
        let message = if m.unclosed {
            format!(
                "line {}: `perfhive: ignore[` has no closing `]`: it suppresses nothing",
                m.line
            )
        } else if !unknown.is_empty() {
            format!(
                "line {}: `perfhive: ignore` names no rule run on this file: {} (misspelt, off by default without --all-rules, or of another language)",
                m.line,
                unknown.join(", ")
            )
        } else if !m.used {
            format!(
                "line {}: `perfhive: ignore` suppresses nothing (no finding, statement or loop on this line{})",
                m.line,
                if m.alone { " or the next" } else { "" }
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

/// `text` without its line comments (`#` in Python, `//` elsewhere, outside quotes), its
/// whitespace squeezed.
fn code_of(text: &str, lang: Language) -> String {
    let opener = if lang == Language::Python { "#" } else { "//" };
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        out.push_str(&l[..outside_quotes(l, &[opener]).unwrap_or(l.len())]);
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `file` relative to the root it was found under (the longest of `roots` it starts with), so
/// that `perfhive scan /ci/checkout/src` and `perfhive scan src` give the same fingerprints.
fn relative<'a>(file: &'a str, roots: &[String]) -> &'a str {
    roots
        .iter()
        .map(|r| r.trim_end_matches('/'))
        .filter(|r| !r.is_empty() && *r != ".")
        .filter_map(|r| file.strip_prefix(r).and_then(|rest| rest.strip_prefix('/')))
        .min_by_key(|rest| rest.len())
        .unwrap_or(file)
}

/// Sets every finding's fingerprint: its rule, its file relative to its root in `roots`, its
/// function, the code of its statement (left out for the rules `grouped` names: one finding
/// per loop, whatever its statements) and of its loop, and which of the findings with all of
/// these equal it is (in line order), hashed.
pub(crate) fn fingerprint(
    findings: &mut [Finding],
    roots: &[String],
    grouped: &dyn Fn(&str) -> bool,
) {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (&findings[i].file, findings[i].line, findings[i].column));
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for i in order {
        let f = &findings[i];
        let context = f
            .context
            .as_ref()
            .map_or(String::new(), |c| code_of(&c.text, f.language));
        let statement = if grouped(&f.rule_id) && f.context.is_some() {
            String::new()
        } else {
            code_of(&f.snippet, f.language)
        };
        let base = fnv1a(&[
            &f.rule_id,
            relative(&f.file, roots),
            f.function.as_deref().unwrap_or(""),
            &statement,
            &context,
        ]);
        let n = seen.entry(base).or_default();
        let print = fnv1a(&[&format!("{base:016x}"), &n.to_string()]);
        *n += 1;
        findings[i].fingerprint = format!("{print:016x}");
    }
}

/// The findings of an earlier report, by fingerprint. A report written before fingerprints
/// were (schema 1.3.0 and older) has them computed from what it lists: the same as a scan's,
/// but for identical findings, whose ranks may differ.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    counts: HashMap<String, u32>,
}

/// The largest baseline report read (a scan JSON report: about 1 KiB per finding).
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

impl Baseline {
    /// Reads a JSON report written by `perfhive scan --format json`: a regular file or a pipe
    /// of at most [`MAX_BASELINE_BYTES`] (devices such as `/dev/zero` are refused, not read).
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text =
            perfhive_scenario::read_text_unnamed(path, MAX_BASELINE_BYTES, "baseline report")
                .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut report: ScanReport = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a perfhive scan JSON report: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if report.findings.iter().any(|f| f.fingerprint.is_empty()) {
            // the built-in rules that group a loop's statements into one finding, read once
            let grouped_ids: Vec<String> = crate::builtin_rules()
                .into_iter()
                .filter(|r| r.group_by_context)
                .map(|r| r.id)
                .collect();
            let grouped = |id: &str| grouped_ids.iter().any(|g| g == id);
            let roots = report.roots.clone();
            fingerprint(&mut report.findings, &roots, &grouped);
        }
        let mut counts: HashMap<String, u32> = HashMap::new();
        for f in report.findings {
            *counts.entry(f.fingerprint).or_default() += 1;
        }
        Ok(Baseline { counts })
    }

    /// Leaves out of `findings` those the baseline has, and returns how many it has and how
    /// many of the baseline's findings are no longer among them.
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
    fn endless_and_oversized_baselines_are_refused_unread() {
        let e = Baseline::load(Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.contains("/dev/zero: the baseline report is a character device, not a file"),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("perfhive-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BASELINE_BYTES + 1).unwrap();
        let e = Baseline::load(&big).unwrap_err();
        assert!(e.contains("larger than the 256 MiB limit"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
        let text = "def view(request):\n    x = 1\n    # slot\n    for order in Order.objects.all():\n        # slot\n        Customer.objects.get(pk=order.customer_id)\n        Item.objects.filter(order=order).count()\n";
        for at in [1, 2] {
            let (f, notes) = with_marker(text, at, "perfhive: ignore");
            assert_eq!(f.len(), 1);
            assert!(f[0].suppressed.is_none(), "line {at}");
            assert_eq!(notes.len(), 1, "{notes:?}");
        }
        // alone above the loop or a statement, or at the end of the loop's or a statement's line
        for at in [3, 4, 5, 6, 7] {
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
        let (f, notes) = with_marker(text, 4, "perfhive: ignore[py-await-in-loop]");
        assert!(f[0].suppressed.is_none());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("suppresses nothing"), "{notes:?}");
        let (f, notes) = with_marker(text, 4, "perfhive: ignore [py-n-plus-one-query]");
        assert!(f[0].suppressed.is_some() && notes.is_empty(), "{notes:?}");
        // an unclosed bracket suppresses nothing and says so
        let (f, notes) = with_marker(text, 4, "perfhive: ignore[py-n-plus-one-query -- oops");
        assert!(f[0].suppressed.is_none());
        assert!(notes[0].message.contains("no closing"), "{notes:?}");
    }

    #[test]
    fn only_a_comment_holds_a_marker() {
        let m = markers("msg = \"see perfhive: ignore docs\"\nx = 1  # a '#' and perfhive: ignore\n// it's perfhive: ignore\n * perfhive: ignore in a block\ns = '#' + \"perfhive: ignore\"\n");
        let lines: Vec<u32> = m.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(!m[0].alone && m[1].alone && m[2].alone);
    }

    #[test]
    fn a_marker_on_a_function_line_does_not_cover_the_function() {
        let rules = crate::builtin_rules();
        let text = "import time\n\nasync def handler(request):  # perfhive: ignore\n    time.sleep(1)\n    return 1\n";
        let (f, _) = crate::scan_text(&rules, crate::Language::Python, "app/views.py", text);
        let blocking: Vec<&Finding> = f
            .iter()
            .filter(|f| f.rule_id == "py-blocking-call-in-async")
            .collect();
        assert_eq!(blocking.len(), 1, "{f:?}");
        assert!(blocking[0].suppressed.is_none());
    }

    #[test]
    fn fingerprints_ignore_lines_and_tell_identical_findings_apart() {
        let rules = crate::builtin_rules();
        let body = "def view(request):\n    for order in Order.objects.all():\n        Customer.objects.get(pk=order.customer_id)\n    for order in Order.objects.all():\n        Customer.objects.get(pk=order.customer_id)\n";
        let prints = |text: &str| {
            let (mut f, _) = crate::scan_text(&rules, crate::Language::Python, "v.py", text);
            fingerprint(&mut f, &[], &|_| false);
            f.into_iter().map(|f| f.fingerprint).collect::<Vec<_>>()
        };
        let a = prints(body);
        assert_eq!(a.len(), 2);
        assert_ne!(a[0], a[1], "identical loops are two findings");
        assert_eq!(a, prints(&format!("# moved\n\n{body}")));
        assert_ne!(a, prints(&body.replace("view(", "other(")));
        // a comment on the loop's line, or a suppression there, leaves it the same finding
        let commented = body.replacen(
            "Order.objects.all():\n",
            "Order.objects.all():  # perfhive: ignore -- reviewed\n",
            1,
        );
        assert_eq!(a, prints(&commented));
    }

    #[test]
    fn fingerprints_are_relative_to_the_scanned_root() {
        assert_eq!(
            relative("/ci/checkout/src/a.py", &["/ci/checkout/src".into()]),
            "a.py"
        );
        assert_eq!(relative("src/a.py", &["src/".into()]), "a.py");
        assert_eq!(relative("src/a.py", &[".".into()]), "src/a.py");
        assert_eq!(code_of("x = f('#')  # why", Language::Python), "x = f('#')");
        assert_eq!(
            code_of("this.#knex(a) // why", Language::JavaScript),
            "this.#knex(a)"
        );
    }

    #[test]
    fn fnv1a_is_stable() {
        // the fingerprints written to reports must not change between builds
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
