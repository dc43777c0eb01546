//! Running every rule of a language over one file: rules are indexed by the node kind their
//! matches must have, so the tree is walked once and each node is tried only against the rules
//! that can match it; rules whose required words (`prefilter`: a formula over the literals of
//! patterns, regexes and node kinds) are absent from the source are dropped before parsing,
//! and a file no rule can match is not parsed.
//! Within a file, a pattern is tried on a node only when its literal occurs in the node's
//! byte range, and cursors and child lists are reused (`matcher::Scratch`). The same walk
//! collects the nodes the route extractors read (`routes::route_kinds`), so the routes and SQL
//! strings of a file are read without another walk of its tree.

use crate::finding::{Confidence, Context, Finding, Note, NoteKind, Statement};
use crate::guard;
use crate::known::{Known, Need};
use crate::lang::{function_name, Language};
use crate::matcher::{Matcher, Scratch};
use crate::prefilter::FileText;
use crate::routes::{self, Extracted, Wanted};
use crate::rule::{Compiled, Rule};
use crate::runs::{self, RunContext, Verdict};
use std::collections::{HashMap, HashSet};
use tree_sitter::{Node, Parser};

struct LangRules<'r> {
    rules: Vec<(&'r Rule, &'r Compiled)>,
    by_kind: Vec<Vec<u32>>,
    any_kind: Vec<u32>,
    function_kinds: Vec<u16>,
    /// By kind id: whether the route extractors read nodes of this kind.
    route_kinds: Vec<bool>,
    /// The rules whose findings stand only on what other files declare, with what they need.
    deferrable: Vec<(usize, Need)>,
}

/// What the scan of one file knows of the rest of the project.
#[derive(Clone, Copy)]
pub(crate) enum Project<'a> {
    /// Nothing: every rule whose words the file holds runs (a file scanned alone).
    Unknown,
    /// The walk is under way: a file that only rules needing the other files' declarations
    /// may match is deferred (`FileResult::deferred`) until every file is read.
    Walking,
    /// The walk is done: those rules run only where the file may hold what they report.
    Walked(&'a Known),
}

/// The rules, compiled and indexed per language.
pub(crate) struct Engine<'r> {
    langs: Vec<LangRules<'r>>,
}

/// What scanning one file produced.
#[derive(Default)]
pub(crate) struct FileResult {
    pub(crate) findings: Vec<Finding>,
    /// For each finding, the name of its enclosing class (for reachability by name).
    pub(crate) classes: Vec<Option<String>>,
    pub(crate) note: Option<Note>,
    pub(crate) parsed: bool,
    /// The file was not parsed because the grammar cannot take it (the note says why).
    pub(crate) skipped: bool,
    /// The routes and SQL strings the file declares (what `wanted` asked for).
    pub(crate) extracted: Extracted,
    /// The file was not parsed yet: only rules needing the other files' declarations may
    /// match in it (`Project::Walking`); scan it again once every file is read.
    pub(crate) deferred: bool,
}

/// Keeps the findings whose entry of `keep` is true, and their entries of the parallel
/// `classes`.
pub(crate) fn keep_paired(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
    keep: &[bool],
) {
    let mut k = keep.iter();
    findings.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    classes.retain(|_| *k.next().unwrap_or(&true));
}

impl<'r> Engine<'r> {
    /// Indexes `rules`, keeping only `only` languages when it is not empty.
    pub(crate) fn new(rules: &'r [Rule], only: &[Language]) -> Self {
        let langs = Language::ALL
            .iter()
            .map(|&lang| {
                let grammar = lang.grammar();
                let n_kinds = grammar.node_kind_count();
                let mut lr = LangRules {
                    rules: Vec::new(),
                    by_kind: vec![Vec::new(); n_kinds],
                    any_kind: Vec::new(),
                    function_kinds: lang
                        .function_kinds()
                        .iter()
                        .map(|k| grammar.id_for_node_kind(k, true))
                        .collect(),
                    route_kinds: routes::route_kind_ids(lang),
                    deferrable: Vec::new(),
                };
                if !only.is_empty() && !only.contains(&lang) {
                    return lr;
                }
                for rule in rules {
                    for (l, c) in &rule.compiled {
                        if *l != lang {
                            continue;
                        }
                        let i = lr.rules.len() as u32;
                        if let Some(need) = Need::of(&rule.id) {
                            lr.deferrable.push((i as usize, need));
                        }
                        lr.rules.push((rule, c));
                        match &c.kinds {
                            Some(ks) => {
                                for &k in ks {
                                    if let Some(v) = lr.by_kind.get_mut(k as usize) {
                                        if !v.contains(&i) {
                                            v.push(i);
                                        }
                                    }
                                }
                            }
                            None => lr.any_kind.push(i),
                        }
                    }
                }
                lr
            })
            .collect();
        Engine { langs }
    }

    /// Whether any rule applies to `lang`.
    pub(crate) fn covers(&self, lang: Language) -> bool {
        !self.langs[lang.index()].rules.is_empty()
    }

    /// Whether a rule of this id runs on `lang` files.
    pub(crate) fn has_rule(&self, lang: Language, id: &str) -> bool {
        self.langs[lang.index()]
            .rules
            .iter()
            .any(|(r, _)| r.id == id)
    }

    /// Scans one file's text; `file_runs` is the run context its path and content give, and
    /// `wanted` what to extract of routes and SQL strings (the file is parsed for them even
    /// when no rule can match in it), `project` what is known of the other files.
    #[allow(clippy::too_many_arguments)] // the file, as the walk read it, and what is asked of it
    pub(crate) fn scan(
        &self,
        lang: Language,
        parser: &mut Parser,
        file: &str,
        text: &str,
        file_runs: Option<&Verdict>,
        wanted: Wanted,
        project: Project<'_>,
    ) -> FileResult {
        let lr = &self.langs[lang.index()];
        // compiled TypeScript's `__awaiter` generators: matched as the async functions they
        // were compiled from; findings show the file's own text (`shown`)
        let desugared = crate::awaiter::desugar(lang, parser, text);
        let shown = text;
        let text = desugared.as_deref().unwrap_or(text);
        let mut ft = FileText::new(lang, text);
        let mut active: Vec<bool> = lr
            .rules
            .iter()
            .map(|(_, c)| c.req.as_ref().is_none_or(|r| ft.holds(r)))
            .collect();
        let mut out = FileResult::default();
        match project {
            Project::Unknown => {}
            Project::Walking => {
                let waits = |i: usize| lr.deferrable.iter().any(|(d, _)| *d == i);
                let mut on = active
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| **a)
                    .map(|(i, _)| i);
                // (a `perfhive: ignore` comment is judged by the rules' own matches: such a
                // file is scanned as before, so that its comments count as they did; looked
                // for last, in the few files that would wait)
                if !wanted.any()
                    && active.contains(&true)
                    && on.all(waits)
                    && !text.contains("perfhive:")
                {
                    out.deferred = true;
                    return out;
                }
            }
            Project::Walked(known) => {
                for &(i, need) in &lr.deferrable {
                    active[i] = active[i] && known.may_report(need, file, &mut ft);
                }
            }
        }
        let any_rule = active.contains(&true);
        if !any_rule && !wanted.any() {
            return out;
        }
        if let Some(why) = guard::hazard(lang, text) {
            out.skipped = true;
            out.note = Some(Note {
                file: file.to_string(),
                kind: NoteKind::Unparsable,
                message: why,
            });
            return out;
        }
        let Some(tree) = parser.parse(text, None) else {
            return out;
        };
        out.parsed = true;
        let src = text.as_bytes();
        let root = tree.root_node();
        if root.has_error() {
            let line = first_error_line(root);
            out.note = Some(Note {
                file: file.to_string(),
                kind: NoteKind::ParseErrors,
                message: format!("syntax errors (first near line {line}); scanned anyway"),
            });
        }
        {
            let mut seen: HashSet<(u32, usize)> = HashSet::new();
            let mut inert_cache = crate::inert::Cache::new();
            // loop node -> whether its comments say it goes one item at a time on purpose
            let mut said: HashMap<usize, bool> = HashMap::new();
            // (rule, context node) -> index of the finding that stands for the group
            let mut groups: HashMap<(u32, usize), usize> = HashMap::new();
            let mut stack: Vec<Node<'_>> = Vec::new();
            let mut scratch = Scratch::default();
            // the nodes the route extractors read, in document order
            let mut route_nodes: Vec<Node<'_>> = Vec::new();
            let collect = wanted.routes && lr.route_kinds.contains(&true);
            // when every rule left lies in loops (Python's `loop_text`), a subtree outside the
            // file's loop ranges holds nothing they may match: the walk passes over it. Not in
            // a tree with syntax errors: tree-sitter's recovery may stretch a loop past what
            // the text's brackets and indentation delimit.
            let in_loops: Option<&[(usize, usize)]> = (lang == Language::Python
                && any_rule
                && !collect
                && !root.has_error()
                && active
                    .iter()
                    .zip(&lr.rules)
                    .all(|(a, (_, c))| !a || c.in_loop))
            .then(|| ft.loop_ranges())
            .flatten();
            let mut cur = tree.walk();
            'walk: loop {
                if !any_rule && !collect {
                    break;
                }
                let n = cur.node();
                if collect && lr.route_kinds.get(n.kind_id() as usize) == Some(&true) {
                    route_nodes.push(n);
                }
                let outside = in_loops
                    .is_some_and(|r| !crate::loop_text::meets(r, n.start_byte(), n.end_byte()));
                if any_rule && !outside && n.is_named() && !n.is_extra() {
                    let cands = lr
                        .by_kind
                        .get(n.kind_id() as usize)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    for &i in cands.iter().chain(&lr.any_kind) {
                        if !active[i as usize] {
                            continue;
                        }
                        let (rule, c) = lr.rules[i as usize];
                        let mut m = Matcher::new(src, &c.constraints, &stack, n, &mut scratch);
                        if !m.rule(&c.root, n) {
                            continue;
                        }
                        // a query a loop walks runs once per run of that loop, not per item
                        if rule.per_item {
                            m.context = m.context.map(|a| {
                                crate::size::per_item_loop(a, n, &stack, &lr.function_kinds)
                            });
                        }
                        // awaiting a function of this file that does no I/O is no I/O (before
                        // `seen`: another await on the same line may do I/O)
                        if rule.per_item
                            && crate::inert::awaits_no_io(
                                n,
                                &stack,
                                root,
                                src,
                                lang,
                                &mut inert_cache,
                            )
                        {
                            continue;
                        }
                        let line = n.start_position().row;
                        if !seen.insert((i, line)) {
                            continue;
                        }
                        // per-item work over a handful of things by nature is not reported,
                        // nor in a loop whose comments say it goes one item at a time on purpose
                        if rule.per_item
                            && m.context.is_some_and(|a| {
                                crate::size::of_loops(
                                    a,
                                    &stack,
                                    &lr.function_kinds,
                                    src,
                                    rule.walks_rows,
                                )
                                .0 == crate::size::LoopSize::Small
                                    || *said
                                        .entry(a.id())
                                        .or_insert_with(|| crate::size::one_at_a_time(a, src))
                            })
                        {
                            continue;
                        }
                        let group_key = rule
                            .group_by_context
                            .then_some(m.context)
                            .flatten()
                            .map(|a| (i, a.id()));
                        if let Some(&k) = group_key.and_then(|g| groups.get(&g)) {
                            let f: &mut Finding = &mut out.findings[k];
                            if f.statements.is_empty() {
                                f.statements.push(Statement {
                                    line: f.line,
                                    column: f.column,
                                    text: truncate(
                                        f.snippet.lines().next().unwrap_or("").trim(),
                                        1,
                                        120,
                                    ),
                                });
                            }
                            f.statements.push(statement(shown, n));
                            continue;
                        }
                        if let Some(g) = group_key {
                            groups.insert(g, out.findings.len());
                        }
                        let (f, class) = finding(
                            rule,
                            c,
                            &m,
                            lang,
                            file,
                            shown,
                            n,
                            &stack,
                            &lr.function_kinds,
                            file_runs,
                        );
                        out.findings.push(f);
                        out.classes.push(class);
                    }
                }
                if !outside && cur.goto_first_child() {
                    stack.push(n);
                    continue;
                }
                loop {
                    if cur.goto_next_sibling() {
                        break;
                    }
                    if !cur.goto_parent() {
                        break 'walk;
                    }
                    stack.pop();
                }
            }
            out.extracted = routes::extract_from(lang, file, shown, &tree, wanted, &route_nodes);
        }
        out
    }
}

fn first_error_line(n: Node<'_>) -> usize {
    let mut cur = n.walk();
    loop {
        let c = cur.node();
        if c.is_error() || c.is_missing() {
            return c.start_position().row + 1;
        }
        // descend only into subtrees that contain the error
        if c.has_error() && cur.goto_first_child() {
            continue;
        }
        loop {
            if cur.goto_next_sibling() {
                break;
            }
            if !cur.goto_parent() {
                return n.start_position().row + 1;
            }
        }
    }
}

/// 1-based column in code points of byte offset `byte` on a line starting at `line_start`.
fn column(text: &str, line_start: usize, byte: usize) -> u32 {
    text.get(line_start..byte)
        .map_or(byte - line_start, |s| s.chars().count()) as u32
        + 1
}

fn truncate(s: &str, max_lines: usize, max_chars: usize) -> String {
    let mut out: String = s.lines().take(max_lines).collect::<Vec<_>>().join("\n");
    if out.chars().count() > max_chars {
        out = out.chars().take(max_chars).collect();
        out.push('…');
    } else if s.lines().count() > max_lines {
        out.push_str("\n…");
    }
    out
}

/// `template` with `$NAME` replaced by the text bound to NAME.
fn fill(template: &str, c: &Compiled, m: &Matcher<'_, '_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|ch: char| !(ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        match c
            .vars
            .iter()
            .position(|v| v == name)
            .and_then(|v| m.bound(v as u16))
        {
            Some(t) if len > 0 => out.push_str(&truncate(t, 1, 60)),
            _ => {
                out.push('$');
                out.push_str(name);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn statement(text: &str, n: Node<'_>) -> Statement {
    let s = n.start_position();
    Statement {
        line: s.row as u32 + 1,
        column: column(text, n.start_byte() - s.column, n.start_byte()),
        text: truncate(
            n.utf8_text(text.as_bytes())
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .trim(),
            1,
            120,
        ),
    }
}

/// The name of the nearest enclosing class.
fn class_name(stack: &[Node<'_>], src: &[u8]) -> Option<String> {
    stack
        .iter()
        .rev()
        .find(|a| {
            matches!(
                a.kind(),
                "class_definition" | "class_declaration" | "class" | "abstract_class_declaration"
            )
        })
        .and_then(|c| c.child_by_field_name("name"))
        .and_then(|n| n.utf8_text(src).ok())
        .map(str::to_string)
}

/// The run context of a match: one-off files first (a test that defines a view is a test),
/// then the enclosing functions and classes, then the rest of the file's verdict, then the
/// names of the enclosing functions (a synchronisation is background work).
fn run_context(
    lang: Language,
    stack: &[Node<'_>],
    src: &[u8],
    file_runs: Option<&Verdict>,
) -> Verdict {
    if let Some(v) = file_runs.filter(|v| v.0.is_one_off()) {
        return v.clone();
    }
    runs::of_function(lang, stack, src)
        .or_else(|| file_runs.cloned())
        .or_else(|| runs::synchronisation(lang, stack, src))
        .unwrap_or((RunContext::Unknown, String::new()))
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &Rule,
    c: &Compiled,
    m: &Matcher<'_, '_>,
    lang: Language,
    file: &str,
    text: &str,
    n: Node<'_>,
    stack: &[Node<'_>],
    function_kinds: &[u16],
    file_runs: Option<&Verdict>,
) -> (Finding, Option<String>) {
    let src = text.as_bytes();
    let (run_context, run_context_reason) = run_context(lang, stack, src, file_runs);
    let (s, e) = (n.start_position(), n.end_position());
    // the nearest named function: anonymous closures are skipped (profilers show them as
    // part of their enclosing function, `outer::{{closure}}`)
    let function = stack
        .iter()
        .rev()
        .filter(|a| function_kinds.contains(&a.kind_id()))
        .find_map(|f| function_name(*f, src));
    let sized = m
        .context
        .filter(|_| rule.per_item)
        .map(|a| crate::size::of_loops(a, stack, function_kinds, src, rule.walks_rows));
    let context = m.context.map(|a| Context {
        size: sized.as_ref().map(|s| s.0),
        size_name: sized.as_ref().and_then(|s| s.1.clone()),
        kind: rule.context.clone().unwrap_or_else(|| a.kind().to_string()),
        line: a.start_position().row as u32 + 1,
        text: truncate(
            a.utf8_text(src)
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .trim(),
            1,
            120,
        ),
    });
    let f = Finding {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        rule_severity: None,
        run_context,
        run_context_reason,
        // a loop whose names do not tell its size may well be over a handful of things
        confidence: match sized {
            Some((crate::size::LoopSize::Unknown, _)) => Confidence::Low,
            _ => rule.confidence,
        },
        message: fill(&rule.message, c, m),
        file: file.to_string(),
        language: lang,
        line: s.row as u32 + 1,
        column: column(text, n.start_byte() - s.column, n.start_byte()),
        end_line: e.row as u32 + 1,
        end_column: column(text, n.end_byte() - e.column, n.end_byte()),
        snippet: truncate(n.utf8_text(src).unwrap_or(""), 5, 400),
        function,
        context,
        fix: rule.fix.as_ref().map(|f| fill(f, c, m)),
        statements: Vec::new(),
        routes: Vec::new(),
        sql_fingerprints: Vec::new(),
        fingerprint: String::new(),
        suppressed: None,
    };
    (f, class_name(stack, src))
}
