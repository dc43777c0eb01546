//! Rule files: YAML in a subset of ast-grep's rule format (documented in `docs/scan.md`),
//! read with `deny_unknown_fields` so a typo is an error at its `file:line:column`, then
//! validated and compiled per language: kind names must exist in the grammar, patterns must
//! parse, regexes must compile, `matches` must name a known utility rule.
//!
//! A folder of rules may hold utility files whose name starts with `_` (`_loops.yaml`): a
//! `language` and a `utils` map of named rule objects, usable by every rule of that language
//! in the same set through `matches: NAME` (a rule's own `utils` come first).

use crate::finding::{Confidence, HeldOut, Severity};
use crate::lang::Language;
use crate::matcher::{Part, Relation, RuleObj, Stop};
use crate::pattern;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

mod compile;
use compile::Compiler;

/// A rule file that could not be read or is not valid: `file:line:column: what was expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file (`<builtin>/…` for embedded rules).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What was expected.
    pub message: String,
    /// The source line, for the caret display.
    pub source_line: Option<String>,
}

impl RuleError {
    fn at(file: &str, src: &str, line: usize, column: usize, message: String) -> Self {
        RuleError {
            file: file.to_string(),
            line: Some(line),
            column: Some(column),
            message,
            source_line: src.lines().nth(line.saturating_sub(1)).map(str::to_string),
        }
    }

    /// An error about the file as a whole.
    pub(crate) fn whole(file: &str, message: String) -> Self {
        RuleError {
            file: file.to_string(),
            line: None,
            column: None,
            message,
            source_line: None,
        }
    }

    /// An error at the first occurrence of `needle` in `src` (the offending value), else at the
    /// start of the file.
    fn near(file: &str, src: &str, needle: &str, message: String) -> Self {
        let needle = needle.lines().next().unwrap_or("").trim();
        let at = if needle.is_empty() {
            None
        } else {
            src.find(needle)
        };
        let (line, col) = match at {
            Some(i) => {
                let before = &src[..i];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                (line, col)
            }
            None => (1, 1),
        };
        RuleError::at(file, src, line, col, message)
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(line), Some(col), Some(src)) = (self.line, self.column, &self.source_line) {
            let gutter = line.to_string().len();
            let pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {src}\n{:gutter$} | {pad}^",
                "", ""
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}

/// A validated rule, compiled for each of its languages.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique id (`py-n-plus-one-query`).
    pub id: String,
    /// Languages it applies to.
    pub languages: Vec<Language>,
    /// Severity of its findings.
    pub severity: Severity,
    /// Confidence of its findings.
    pub confidence: Confidence,
    /// How it did on code it was never tuned to (`held-out:` in its file), when measured.
    pub held_out: Option<HeldOut>,
    /// The finding message (may use `$VAR`).
    pub message: String,
    /// A longer explanation.
    pub note: Option<String>,
    /// How to fix it (may use `$VAR`).
    pub fix: Option<String>,
    /// The label given to the `inside` ancestor in findings (`loop`, `async`).
    pub context: Option<String>,
    /// Matches that share their context node (the same loop) are one finding.
    pub group_by_context: bool,
    /// Whether the rule runs by default (`enabled: false` in its file: only when asked for,
    /// `--all-rules`).
    pub enabled: bool,
    /// The rule reports work done once per item of its loop (`per-item: true`): not reported
    /// in a loop over a handful of things by nature, hidden by default in a loop whose names
    /// do not tell its size ([`crate::size`]).
    pub per_item: bool,
    /// The loops the rule reports in walk a query's rows (`walks-rows: true`, with
    /// `per-item`): a loop whose names do not tell its size walks a table, data, unless its
    /// queryset is part of one parent (`crate::size`).
    pub walks_rows: bool,
    /// Where the rule was read from.
    pub source: String,
    pub(crate) compiled: Vec<(Language, Compiled)>,
}

/// A rule compiled for one language.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) root: RuleObj,
    pub(crate) vars: Vec<String>,
    pub(crate) constraints: Vec<Option<RuleObj>>,
    pub(crate) kinds: Option<Vec<u16>>,
    /// What a file must contain for the rule to match there.
    pub(crate) req: Option<crate::prefilter::Req>,
    /// Every node the rule matches lies in a loop of the file's loop ranges
    /// (`prefilter::lies_in_loop`).
    pub(crate) in_loop: bool,
}

// ---------------------------------------------------------------------------------------------
// The YAML shape.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    id: Option<String>,
    language: Langs,
    rule: Option<RawRule>,
    message: Option<String>,
    severity: Option<Severity>,
    confidence: Option<Confidence>,
    #[serde(rename = "held-out")]
    held_out: Option<HeldOut>,
    note: Option<String>,
    fix: Option<String>,
    context: Option<String>,
    group: Option<String>,
    enabled: Option<bool>,
    #[serde(rename = "per-item")]
    per_item: Option<bool>,
    #[serde(rename = "walks-rows")]
    walks_rows: Option<bool>,
    #[serde(default)]
    constraints: BTreeMap<String, RawRule>,
    #[serde(default)]
    utils: BTreeMap<String, RawRule>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    pattern: Option<RawPattern>,
    kind: Option<String>,
    regex: Option<String>,
    inside: Option<Box<RawRule>>,
    has: Option<Box<RawRule>>,
    follows: Option<Box<RawRule>>,
    not: Option<Box<RawRule>>,
    all: Option<Vec<RawRule>>,
    any: Option<Vec<RawRule>>,
    matches: Option<String>,
    // only in `inside` / `has` / `follows`
    stop_by: Option<RawStop>,
    field: Option<String>,
}

#[derive(Clone)]
enum RawPattern {
    Text(String),
    Context { context: String, selector: String },
}

#[derive(Clone)]
enum RawStop {
    Neighbor,
    End,
    Rule(Box<RawRule>),
}

struct Langs(Vec<String>);

impl<'de> Deserialize<'de> for Langs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Langs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language name or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Langs, E> {
                Ok(Langs(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Langs, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element::<String>()? {
                    v.push(x);
                }
                Ok(Langs(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Ctx {
            context: String,
            selector: String,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPattern;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a code snippet or {context, selector}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPattern, E> {
                Ok(RawPattern::Text(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<RawPattern, A::Error> {
                let c = Ctx::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(RawPattern::Context {
                    context: c.context,
                    selector: c.selector,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawStop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStop;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`neighbor`, `end` or a rule object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStop, E> {
                match v {
                    "neighbor" => Ok(RawStop::Neighbor),
                    "end" => Ok(RawStop::End),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<RawStop, A::Error> {
                let r = RawRule::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(RawStop::Rule(Box::new(r)))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Loading.

/// One rule source: a display path and its text.
pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) text: String,
}

fn is_util_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|n| n.starts_with('_'))
}

fn yaml_docs(src: &Source) -> Result<Vec<RawFile>, RuleError> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(&src.text) {
        match RawFile::deserialize(doc) {
            Ok(f) => out.push(f),
            Err(e) => {
                let mut message = e.to_string();
                if let Some(i) = message.find(" at line ") {
                    message.truncate(i);
                }
                return Err(match e.location() {
                    Some(l) => RuleError::at(&src.path, &src.text, l.line(), l.column(), message),
                    None => RuleError::whole(&src.path, message),
                });
            }
        }
    }
    Ok(out)
}

fn languages(src: &Source, langs: &Langs) -> Result<Vec<Language>, RuleError> {
    let mut out = Vec::new();
    for l in &langs.0 {
        let lang = Language::from_name(l).ok_or_else(|| {
            RuleError::near(
                &src.path,
                &src.text,
                l,
                format!("unknown language `{l}`; expected python, javascript, typescript, tsx, go, java or rust"),
            )
        })?;
        out.push(lang);
    }
    if out.is_empty() {
        return Err(RuleError::near(
            &src.path,
            &src.text,
            "language",
            "expected at least one language".into(),
        ));
    }
    Ok(out)
}

/// Reads, validates and compiles every rule of `sources` (utility files first).
pub(crate) fn load(sources: &[Source]) -> Result<Vec<Rule>, RuleError> {
    // shared utilities, per language: (name, rule, where it was defined)
    let mut shared: Vec<(Language, String, RawRule, usize)> = Vec::new();
    for (i, src) in sources
        .iter()
        .enumerate()
        .filter(|(_, s)| is_util_file(&s.path))
    {
        for f in yaml_docs(src)? {
            if f.id.is_some() || f.rule.is_some() {
                return Err(RuleError::near(
                    &src.path,
                    &src.text,
                    "id",
                    "a utility file (name starting with `_`) holds only `language` and `utils`"
                        .into(),
                ));
            }
            for lang in languages(src, &f.language)? {
                for (name, r) in &f.utils {
                    shared.push((lang, name.clone(), r.clone(), i));
                }
            }
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    let mut caches = Caches::default();
    for src in sources.iter().filter(|s| !is_util_file(&s.path)) {
        for f in yaml_docs(src)? {
            let rule = build(src, f, &shared, sources, &mut caches)?;
            if let Some(prev) = rules.iter().find(|r| r.id == rule.id) {
                return Err(RuleError::near(
                    &src.path,
                    &src.text,
                    &rule.id,
                    format!("duplicate rule id `{}` (also in {})", rule.id, prev.source),
                ));
            }
            rules.push(rule);
        }
    }
    Ok(rules)
}

/// What compiling many rules repeats: the same regexes (utility rules are inlined where they
/// are used) and the same node-kind lookups (a linear search of the grammar's symbols).
#[derive(Default)]
struct Caches {
    regexes: HashMap<String, regex::bytes::Regex>,
    kinds: HashMap<(Language, String), u16>,
}

fn build(
    src: &Source,
    f: RawFile,
    shared: &[(Language, String, RawRule, usize)],
    sources: &[Source],
    caches: &mut Caches,
) -> Result<Rule, RuleError> {
    let missing = |key: &str| {
        RuleError::whole(
            &src.path,
            format!("missing `{key}`: a rule needs id, language, message and rule"),
        )
    };
    let id = f.id.clone().ok_or_else(|| missing("id"))?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        return Err(RuleError::near(
            &src.path,
            &src.text,
            &id,
            format!("rule id `{id}`: use letters, digits, `-`, `_`, `.`, `/`"),
        ));
    }
    let raw = f.rule.clone().ok_or_else(|| missing("rule"))?;
    let message = f.message.clone().ok_or_else(|| missing("message"))?;
    let langs = languages(src, &f.language)?;
    let mut compiled = Vec::new();
    for &lang in &langs {
        let mut cx = Compiler {
            lang,
            grammar: lang.grammar(),
            vars: Vec::new(),
            local: &f.utils,
            shared,
            sources,
            src,
            depth: 0,
            caches: &mut *caches,
            utils: HashMap::new(),
        };
        let root = cx.rule(&raw, false)?;
        if root.root_kinds().is_none()
            && !root
                .parts
                .iter()
                .any(|p| matches!(p, Part::Regex(_) | Part::Pattern(_)))
        {
            return Err(RuleError::near(&src.path, &src.text, "rule:", "the rule needs a positive key that selects nodes: pattern, kind, regex, any, all or matches".into()));
        }
        let mut constraints = Vec::new();
        for (name, r) in &f.constraints {
            let var = pattern::intern(&mut cx.vars, name);
            let c = cx.rule(r, false)?;
            if constraints.len() <= var as usize {
                constraints.resize(var as usize + 1, None);
            }
            constraints[var as usize] = Some(c);
        }
        let kinds = root.root_kinds();
        let req = crate::prefilter::requirement(lang, &cx.grammar, &root, &constraints);
        let in_loop = crate::prefilter::lies_in_loop(lang, &cx.grammar, &root);
        compiled.push((
            lang,
            Compiled {
                root,
                vars: cx.vars,
                constraints,
                kinds,
                req,
                in_loop,
            },
        ));
    }
    if f.walks_rows == Some(true) && f.per_item != Some(true) {
        return Err(RuleError::near(
            &src.path,
            &src.text,
            "walks-rows:",
            "`walks-rows: true` sizes a per-item rule's loops: it needs `per-item: true`".into(),
        ));
    }
    let group_by_context = match f.group.as_deref() {
        None => false,
        Some("context") => true,
        Some(other) => {
            return Err(RuleError::near(
                &src.path,
                &src.text,
                &format!("group: {other}"),
                format!("`group: {other}`: the only grouping is `group: context` (one finding per loop or function)"),
            ))
        }
    };
    let confidence = confidence_of(src, f.confidence, f.held_out)?;
    Ok(Rule {
        id,
        group_by_context,
        enabled: f.enabled.unwrap_or(true),
        per_item: f.per_item.unwrap_or(false),
        walks_rows: f.walks_rows.unwrap_or(false),
        languages: langs,
        severity: f.severity.unwrap_or(Severity::Medium),
        confidence,
        held_out: f.held_out,
        message,
        note: f.note,
        fix: f.fix,
        context: f.context,
        source: src.path.clone(),
        compiled,
    })
}

/// A rule's confidence: as written, else what its held-out precision earns
/// ([`Confidence::of_held_out`]), else medium. A written confidence that its own held-out
/// figures contradict is an error: the figures are the evidence.
fn confidence_of(
    src: &Source,
    written: Option<Confidence>,
    held_out: Option<HeldOut>,
) -> Result<Confidence, RuleError> {
    let Some(h) = held_out else {
        return Ok(written.unwrap_or(Confidence::Medium));
    };
    if h.labelled == 0 || h.worth_changing > h.labelled {
        return Err(RuleError::near(
            &src.path,
            &src.text,
            "held-out:",
            format!(
                "`held-out`: `worth-changing` ({}) must be at most `labelled` ({}), and `labelled` above 0",
                h.worth_changing, h.labelled
            ),
        ));
    }
    match (written, Confidence::of_held_out(h)) {
        (Some(w), Some(m)) if w != m => Err(RuleError::near(
            &src.path,
            &src.text,
            "confidence:",
            format!(
                "`confidence: {}`, but `held-out` says {} were worth changing: that is `{}` (high from 70%, medium from 40%)",
                w.name(),
                h.phrase(),
                m.name()
            ),
        )),
        (Some(w), _) => Ok(w),
        (None, m) => Ok(m.unwrap_or(Confidence::Medium)),
    }
}
