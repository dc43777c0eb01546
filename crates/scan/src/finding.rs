//! What a scan reports: [`Finding`]s (a rule matched at file:line:column, with the snippet, the
//! enclosing function and the loop or async context that made it a problem) and [`Note`]s
//! (files skipped or parsed with errors).

use crate::lang::Language;
use crate::runs::RunContext;
use perfhive_core::sql::Fingerprint;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much a finding matters if it is real. Ordered: `Low < Medium < High`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look (SARIF `note`).
    #[serde(alias = "hint", alias = "info")]
    Low,
    /// Likely costs time on a hot path (SARIF `warning`).
    #[serde(alias = "warning")]
    Medium,
    /// A classic cause of slow requests (SARIF `error`).
    #[serde(alias = "error")]
    High,
}

impl Severity {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Parses `low`/`medium`/`high`; ast-grep's `hint`/`info`/`warning`/`error` are accepted.
    pub fn from_name(s: &str) -> Option<Severity> {
        Some(match s {
            "low" | "hint" | "info" => Severity::Low,
            "medium" | "warning" => Severity::Medium,
            "high" | "error" => Severity::High,
            _ => return None,
        })
    }
}

/// How often a finding of the rule is worth changing: for a rule measured on code it was not
/// tuned to ([`HeldOut`], ten or more reviewed findings), its measured precision
/// ([`Confidence::of_held_out`]); for others, its author's estimate.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Under 40% measured, or a heuristic that is often wrong: read before acting.
    Low,
    /// 40–70% measured, or it depends on names or types the scanner cannot see.
    Medium,
    /// 70% or more measured, or the code shape itself is the anti-pattern.
    High,
}

impl Confidence {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// Parses `low`/`medium`/`high`.
    pub fn from_name(s: &str) -> Option<Confidence> {
        Some(match s {
            "low" => Confidence::Low,
            "medium" => Confidence::Medium,
            "high" => Confidence::High,
            _ => return None,
        })
    }

    /// The confidence a measured precision earns: `high` when at least 70% of the reviewed
    /// findings were worth changing, `medium` from 40%, `low` below; `None` when fewer than
    /// [`HeldOut::MIN_LABELLED`] were reviewed (too few to tell).
    pub fn of_held_out(h: HeldOut) -> Option<Confidence> {
        if h.labelled < HeldOut::MIN_LABELLED {
            return None;
        }
        // integer comparisons: 70% and 40% exactly are in the upper class
        let k = u64::from(h.worth_changing) * 10;
        let n = u64::from(h.labelled);
        Some(if k >= 7 * n {
            Confidence::High
        } else if k >= 4 * n {
            Confidence::Medium
        } else {
            Confidence::Low
        })
    }
}

/// How a rule did on code it was never tuned to: of `labelled` findings it listed there,
/// `worth_changing` were judged worth changing by an independent reviewer reading each in its
/// file (the held-out rounds of the project's precision protocol, pooled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldOut {
    /// Findings reviewed.
    pub labelled: u32,
    /// Of those, the ones worth changing (`worth-changing` in a rule file).
    #[serde(alias = "worth-changing")]
    pub worth_changing: u32,
}

impl HeldOut {
    /// The fewest reviewed findings a confidence is derived from.
    pub const MIN_LABELLED: u32 = 10;

    /// `33% of 216`: the share rounded down, so that a share shown as 70% or 40% is one
    /// [`Confidence::of_held_out`] puts in the upper class.
    pub fn phrase(self) -> String {
        let pct = (u64::from(self.worth_changing) * 100)
            .checked_div(u64::from(self.labelled))
            .unwrap_or(0);
        format!("{pct}% of {}", self.labelled)
    }
}

/// The enclosing construct that turned a match into a problem: the loop around a query, the
/// async function around a blocking call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Context {
    /// The rule's `context` label (`loop`, `async`), else the node kind.
    pub kind: String,
    /// 1-based line of the construct.
    pub line: u32,
    /// Its first line, trimmed (`for user in users:`).
    pub text: String,
    /// For a per-item rule's loop: how many items it walks, by its names
    /// ([`crate::size`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<crate::size::LoopSize>,
    /// The name that told the size (`orders`, `environments`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_name: Option<String>,
}

/// One statement of a finding that groups every match of its rule in one loop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Statement {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in Unicode code points.
    pub column: u32,
    /// Its first line, trimmed (at most 120 characters).
    pub text: String,
}

/// One match of a rule (or, for rules that group by their context, every match in one loop).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The severity shown: the rule's, lowered to `low` in one-off code.
    pub severity: Severity,
    /// The rule's own severity, when `severity` was lowered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_severity: Option<Severity>,
    /// Where the code runs: request path, background, one-off (migration, command, script,
    /// test, build) or unknown (absent).
    #[serde(default, skip_serializing_if = "RunContext::is_unknown")]
    pub run_context: RunContext,
    /// Why the run context was chosen (a decorator, the path, a caller).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run_context_reason: String,
    /// The rule's confidence.
    pub confidence: Confidence,
    /// The rule's message, metavariables filled in.
    pub message: String,
    /// The file, as walked (relative to the working directory when the root was).
    pub file: String,
    /// The file's language.
    pub language: Language,
    /// 1-based start line.
    pub line: u32,
    /// 1-based start column, in Unicode code points.
    pub column: u32,
    /// 1-based end line.
    pub end_line: u32,
    /// 1-based end column (exclusive), in Unicode code points.
    pub end_column: u32,
    /// The matched source text (at most 5 lines / 400 characters).
    pub snippet: String,
    /// The name of the enclosing function or method, if any (to join with profile frames and
    /// trace spans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The loop or async construct that triggered the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Every statement the rule matched in the same loop, when there are several (the finding
    /// itself is the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Statement>,
    /// The routes whose handler contains the finding (`GET /orders/{}`), from the report's
    /// route table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
    /// The fingerprints of the SQL strings in the finding's function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sql_fingerprints: Vec<Fingerprint>,
    /// What the finding is, independent of its line: 16 hex digits hashed from its rule,
    /// file, function, statement and loop text (and which of identical ones it is); the key
    /// a baseline matches on (since 1.4.0).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
    /// The `perfhive: ignore` comment that suppresses it; such findings are listed only when
    /// asked for (since 1.4.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<crate::suppress::Suppression>,
}

impl Finding {
    /// Its statements: those it lists, or itself when it stands alone.
    pub(crate) fn statements_or_self(&self) -> Vec<Statement> {
        if self.statements.is_empty() {
            vec![Statement {
                line: self.line,
                column: self.column,
                text: self.snippet.lines().next().unwrap_or("").trim().to_string(),
            }]
        } else {
            self.statements.clone()
        }
    }

    /// Keeps only `kept` of its statements (at least one, in order): the first becomes its
    /// location and snippet, and it lists them when there are several.
    pub(crate) fn keep_statements(&mut self, kept: Vec<Statement>) {
        let Some(first) = kept.first() else {
            return;
        };
        if (first.line, first.column) != (self.line, self.column) {
            self.line = first.line;
            self.column = first.column;
            self.end_line = first.line;
            self.end_column = first.column + first.text.chars().count() as u32;
            self.snippet = first.text.clone();
        }
        self.statements = if kept.len() > 1 { kept } else { Vec::new() };
    }

    /// How many items the finding's loop walks, by its names, for a per-item rule.
    pub fn loop_size(&self) -> Option<crate::size::LoopSize> {
        self.context.as_ref().and_then(|c| c.size)
    }
}

/// Why a file was skipped or only partly understood.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// NUL byte in the first 8 KiB: skipped.
    Binary,
    /// Minified JavaScript/TypeScript: skipped.
    Minified,
    /// Larger than the size limit: skipped.
    TooLarge,
    /// Could not be read: skipped.
    Unreadable,
    /// The grammar cannot parse it safely (or the scanner failed on it): skipped.
    Unparsable,
    /// The syntax tree has errors; the file was scanned anyway.
    ParseErrors,
    /// A `perfhive: ignore` comment names no rule of the scan or suppresses nothing (since
    /// 1.4.0).
    Suppression,
}

/// A file the scan skipped or parsed with errors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    /// The file.
    pub file: String,
    /// What happened.
    pub kind: NoteKind,
    /// Details (the size, the first error's line).
    pub message: String,
}

/// Judges the statements of each finding of `rule` after the walk, with its file's text
/// (`text_of`, read once per file): `judge` gives the statements to keep, and a finding with
/// none left is dropped, with its class (`classes`, one per finding). A finding whose file
/// cannot be read is kept when `keep_unread`.
pub(crate) fn judge_statements(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
    rule: &str,
    text_of: &dyn Fn(&str) -> Option<String>,
    keep_unread: bool,
    mut judge: impl FnMut(&Finding, &str) -> Vec<Statement>,
) {
    let mut texts: std::collections::HashMap<String, Option<String>> = Default::default();
    let mut keep = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        if f.rule_id != rule {
            keep.push(true);
            continue;
        }
        let text = texts
            .entry(f.file.clone())
            .or_insert_with(|| text_of(&f.file));
        let Some(text) = text.as_deref() else {
            keep.push(keep_unread);
            continue;
        };
        let kept = judge(f, text);
        keep.push(!kept.is_empty());
        f.keep_statements(kept);
    }
    let mut it = keep.iter();
    findings.retain(|_| *it.next().expect("one flag per finding"));
    let mut it = keep.iter();
    classes.retain(|_| *it.next().expect("one flag per finding"));
}
