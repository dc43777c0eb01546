//! Rule evaluation, ast-grep's semantics for a subset of its rule language: atomic `kind`,
//! `pattern`, `regex`; relational `inside` / `has` with `stopBy` (`neighbor`, `end` or a rule:
//! the search stops at the first node matching it, that node still tested) and `field`;
//! composite `all`, `any`, `not`, `matches`. The keys of one rule object must all match.
//!
//! Metavariables bound by a pattern keep their text for the rest of the evaluation (`$S += $X`
//! then `inside: {has: {pattern: $S = $V}}` finds the same `S`); bindings are undone on
//! backtracking. The first successful `inside` records its ancestor as the finding's context.

use crate::pattern::{skipped, PNode, Pattern};
use memchr::memmem;
use regex::bytes::Regex;
use std::collections::HashMap;
use std::sync::Arc;
use tree_sitter::{Node, TreeCursor};

/// A compiled rule object: every part must match.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleObj {
    pub(crate) parts: Vec<Part>,
}

/// One key of a rule object.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Kind(u16),
    Pattern(Pattern),
    Regex(Regex),
    All(Vec<RuleObj>),
    Any(Vec<RuleObj>),
    Matches(Arc<RuleObj>),
    Inside(Box<Relation>),
    Has(Box<Relation>),
    /// A preceding sibling matches (the nearest one, or walking back until `stopBy` matches).
    Follows(Box<Relation>),
    Not(Box<RuleObj>),
}

/// `inside` / `has`.
#[derive(Debug, Clone)]
pub(crate) struct Relation {
    pub(crate) rule: RuleObj,
    pub(crate) stop: Stop,
    pub(crate) field: Option<u16>,
    /// Its result at a node depends on the node alone (no metavariable, no `inside` whose
    /// ancestor becomes the context): a `has` over descendants is then answered once per node
    /// and file (every await of one loop asks the same question of the loop's body).
    pub(crate) pure: bool,
}

impl Relation {
    /// A relation whose result [`Relation::pure`] tells.
    pub(crate) fn new(rule: RuleObj, stop: Stop, field: Option<u16>) -> Self {
        let pure = rule.is_pure()
            && match &stop {
                Stop::Rule(r) => r.is_pure(),
                Stop::Neighbor | Stop::End => true,
            };
        Relation {
            rule,
            stop,
            field,
            pure,
        }
    }
}

/// How far a relational rule searches.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    /// Parent / direct children only.
    Neighbor,
    /// All ancestors / descendants.
    End,
    /// Up to (and including) the first node matching the rule.
    Rule(RuleObj),
}

impl RuleObj {
    /// Whether matching it binds no metavariable and records no context: its result at a
    /// node depends on that node alone.
    fn is_pure(&self) -> bool {
        self.parts.iter().all(|p| match p {
            Part::Kind(_) | Part::Regex(_) => true,
            Part::Pattern(p) => !p.root.binds(),
            Part::All(v) | Part::Any(v) => v.iter().all(RuleObj::is_pure),
            Part::Matches(r) => r.is_pure(),
            Part::Not(r) => r.is_pure(),
            Part::Has(rel) | Part::Follows(rel) => rel.pure,
            Part::Inside(_) => false,
        })
    }

    /// Kinds every match has (`None`: any kind), for indexing rules by node kind.
    pub(crate) fn root_kinds(&self) -> Option<Vec<u16>> {
        self.parts.iter().find_map(|p| match p {
            Part::Kind(k) => Some(vec![*k]),
            Part::Pattern(p) => p.root_kind().map(|k| vec![k]),
            Part::All(v) => v.iter().find_map(RuleObj::root_kinds),
            Part::Any(v) => {
                let mut all = Vec::new();
                for r in v {
                    all.extend(r.root_kinds()?);
                }
                Some(all)
            }
            Part::Matches(r) => r.root_kinds(),
            _ => None,
        })
    }
}

/// One binding: a metavariable and the byte range it matched.
#[derive(Clone, Copy)]
struct Binding {
    var: u16,
    start: usize,
    end: usize,
}

/// Cursors and child lists reused across every match in one file: creating a tree cursor
/// or collecting children allocates, and patterns are tried on most nodes.
#[derive(Default)]
pub(crate) struct Scratch<'t> {
    cursors: Vec<TreeCursor<'t>>,
    lists: Vec<Vec<Node<'t>>>,
    /// Byte offsets of each pattern literal in the file (keyed by the literal's address:
    /// rules outlive the scan), built on first use.
    occurrences: HashMap<usize, Vec<usize>>,
    /// Results of pure `has` relations over descendants, by (relation's address, node id).
    has_memo: HashMap<(usize, usize), bool>,
}

impl<'t> Scratch<'t> {
    /// A cursor on `n`, from the pool when one is free.
    fn cursor(&mut self, n: Node<'t>) -> TreeCursor<'t> {
        match self.cursors.pop() {
            Some(mut c) => {
                c.reset(n);
                c
            }
            None => n.walk(),
        }
    }

    /// Whether `lit` occurs within `src[start..end]`: a pattern whose literal is absent from
    /// a node's text cannot match that node, and this is answered without walking it.
    fn contains(&mut self, src: &[u8], lit: &str, start: usize, end: usize) -> bool {
        let l = lit.as_bytes();
        if end - start < l.len() {
            return false;
        }
        if end - start <= 256 {
            return memmem::find(&src[start..end], l).is_some();
        }
        let occ = self
            .occurrences
            .entry(lit.as_ptr() as usize)
            .or_insert_with(|| memmem::find_iter(src, l).collect());
        let i = occ.partition_point(|&p| p < start);
        occ.get(i).is_some_and(|&p| p + l.len() <= end)
    }
}

/// Evaluates rules over one file's tree.
pub(crate) struct Matcher<'a, 't> {
    src: &'t [u8],
    constraints: &'a [Option<RuleObj>],
    /// Ancestors of `top`, root first (tree-sitter's `parent()` walks down from the root).
    anc: &'a [Node<'t>],
    top: Node<'t>,
    binds: Vec<Binding>,
    scratch: &'a mut Scratch<'t>,
    /// The ancestor found by the first successful `inside`.
    pub(crate) context: Option<Node<'t>>,
}

impl<'a, 't> Matcher<'a, 't> {
    /// A matcher for candidate `top`, whose ancestors are `anc`.
    pub(crate) fn new(
        src: &'t [u8],
        constraints: &'a [Option<RuleObj>],
        anc: &'a [Node<'t>],
        top: Node<'t>,
        scratch: &'a mut Scratch<'t>,
    ) -> Self {
        Matcher {
            src,
            constraints,
            anc,
            top,
            binds: Vec::new(),
            scratch,
            context: None,
        }
    }

    /// The text bound to metavariable `var`.
    pub(crate) fn bound(&self, var: u16) -> Option<&'t str> {
        let src: &'t [u8] = self.src;
        self.binds
            .iter()
            .find(|b| b.var == var)
            .and_then(|b| std::str::from_utf8(&src[b.start..b.end]).ok())
    }

    fn mark(&self) -> (usize, bool) {
        (self.binds.len(), self.context.is_some())
    }

    fn reset(&mut self, m: (usize, bool)) {
        self.binds.truncate(m.0);
        if !m.1 {
            self.context = None;
        }
    }

    fn parent(&self, n: Node<'t>) -> Option<Node<'t>> {
        if n.id() == self.top.id() {
            return self.anc.last().copied();
        }
        match self.anc.iter().rposition(|a| a.id() == n.id()) {
            Some(0) => None,
            Some(i) => Some(self.anc[i - 1]),
            None => n.parent(),
        }
    }

    /// Whether `n` matches `r`; bindings made are kept on success, undone on failure.
    pub(crate) fn rule(&mut self, r: &RuleObj, n: Node<'t>) -> bool {
        let m = self.mark();
        for p in &r.parts {
            if !self.part(p, n) {
                self.reset(m);
                return false;
            }
        }
        true
    }

    fn part(&mut self, p: &Part, n: Node<'t>) -> bool {
        match p {
            Part::Kind(k) => n.kind_id() == *k,
            Part::Pattern(pat) => {
                pat.literal.as_deref().is_none_or(|l| {
                    self.scratch
                        .contains(self.src, l, n.start_byte(), n.end_byte())
                }) && self.node(&pat.root, n)
            }
            Part::Regex(re) => re.is_match(&self.src[n.byte_range()]),
            Part::All(v) => v.iter().all(|r| self.rule(r, n)),
            Part::Any(v) => v.iter().any(|r| self.rule(r, n)),
            Part::Matches(r) => self.rule(r, n),
            Part::Not(r) => {
                let m = self.mark();
                let hit = self.rule(r, n);
                self.reset(m);
                !hit
            }
            Part::Inside(rel) => self.inside(rel, n),
            Part::Has(rel) => self.has(rel, n),
            Part::Follows(rel) => self.follows(rel, n),
        }
    }

    fn stops(&mut self, stop: &Stop, n: Node<'t>) -> bool {
        match stop {
            Stop::Neighbor => true,
            Stop::End => false,
            Stop::Rule(r) => {
                let m = self.mark();
                let hit = self.rule(r, n);
                self.reset(m);
                hit
            }
        }
    }

    fn inside(&mut self, rel: &Relation, n: Node<'t>) -> bool {
        let mut child = n;
        while let Some(a) = self.parent(child) {
            let field_ok = rel
                .field
                .is_none_or(|f| a.child_by_field_id(f).is_some_and(|c| c.id() == child.id()));
            if field_ok && self.rule(&rel.rule, a) {
                if self.context.is_none() {
                    self.context = Some(a);
                }
                return true;
            }
            if self.stops(&rel.stop, a) {
                return false;
            }
            child = a;
        }
        false
    }

    fn follows(&mut self, rel: &Relation, n: Node<'t>) -> bool {
        let mut cur = n.prev_named_sibling();
        while let Some(s) = cur {
            if !s.is_extra() {
                if self.rule(&rel.rule, s) {
                    return true;
                }
                if self.stops(&rel.stop, s) {
                    return false;
                }
            }
            cur = s.prev_named_sibling();
        }
        false
    }

    fn has(&mut self, rel: &Relation, n: Node<'t>) -> bool {
        if !rel.pure || matches!(rel.stop, Stop::Neighbor) {
            return self.has_uncached(rel, n);
        }
        let key = (rel as *const Relation as usize, n.id());
        if let Some(&hit) = self.scratch.has_memo.get(&key) {
            return hit;
        }
        let hit = self.has_uncached(rel, n);
        self.scratch.has_memo.insert(key, hit);
        hit
    }

    fn has_uncached(&mut self, rel: &Relation, n: Node<'t>) -> bool {
        if let Some(f) = rel.field {
            let Some(c) = n.child_by_field_id(f) else {
                return false;
            };
            if self.rule(&rel.rule, c) {
                return true;
            }
            return !matches!(rel.stop, Stop::Neighbor)
                && !self.stops(&rel.stop, c)
                && self.descendants(rel, c);
        }
        if matches!(rel.stop, Stop::Neighbor) {
            let mut cur = self.scratch.cursor(n);
            let mut hit = false;
            if cur.goto_first_child() {
                loop {
                    let c = cur.node();
                    if c.is_named() && !c.is_extra() && self.rule(&rel.rule, c) {
                        hit = true;
                        break;
                    }
                    if !cur.goto_next_sibling() {
                        break;
                    }
                }
            }
            self.scratch.cursors.push(cur);
            return hit;
        }
        self.descendants(rel, n)
    }

    /// Preorder over the named descendants of `n`, not entering nodes that match `stopBy`.
    fn descendants(&mut self, rel: &Relation, n: Node<'t>) -> bool {
        let mut cur = self.scratch.cursor(n);
        let hit = self.preorder(rel, &mut cur);
        self.scratch.cursors.push(cur);
        hit
    }

    fn preorder(&mut self, rel: &Relation, cur: &mut TreeCursor<'t>) -> bool {
        if !cur.goto_first_child() {
            return false;
        }
        loop {
            let c = cur.node();
            let mut enter = true;
            if c.is_named() && !c.is_extra() {
                if self.rule(&rel.rule, c) {
                    return true;
                }
                enter = !self.stops(&rel.stop, c);
            }
            if enter && cur.goto_first_child() {
                continue;
            }
            loop {
                if cur.goto_next_sibling() {
                    break;
                }
                if !cur.goto_parent() {
                    return false;
                }
            }
        }
    }

    /// Binds `var` to `start..end` (or checks the earlier binding's text) and applies its
    /// constraint to `node`.
    fn bind(&mut self, var: u16, start: usize, end: usize, node: Option<Node<'t>>) -> bool {
        if let Some(b) = self.binds.iter().find(|b| b.var == var) {
            return self.src[b.start..b.end] == self.src[start..end];
        }
        let constraints = self.constraints;
        if let Some(Some(c)) = constraints.get(var as usize) {
            let Some(node) = node else { return false };
            if !self.rule(c, node) {
                return false;
            }
        }
        self.binds.push(Binding { var, start, end });
        true
    }

    fn node(&mut self, p: &PNode, n: Node<'t>) -> bool {
        match p {
            PNode::Meta { var, multi: _ } => match var {
                Some(v) => self.bind(*v, n.start_byte(), n.end_byte(), Some(n)),
                None => true,
            },
            PNode::Node {
                kind,
                text,
                children,
                fixed,
            } => {
                if n.kind_id() != *kind {
                    return false;
                }
                if let Some(t) = text {
                    return n.utf8_text(self.src).is_ok_and(|s| s == &**t);
                }
                if *fixed && n.child_count() < children.len() {
                    return false;
                }
                let mut kids = self.scratch.lists.pop().unwrap_or_default();
                kids.clear();
                let mut cur = self.scratch.cursor(n);
                if cur.goto_first_child() {
                    loop {
                        let c = cur.node();
                        if !skipped(c) {
                            kids.push(c);
                        }
                        if !cur.goto_next_sibling() {
                            break;
                        }
                    }
                }
                self.scratch.cursors.push(cur);
                let m = self.mark();
                let ok = (!*fixed || kids.len() == children.len()) && self.seq(children, &kids);
                if !ok {
                    self.reset(m);
                }
                self.scratch.lists.push(kids);
                ok
            }
        }
    }

    fn seq(&mut self, p: &[PNode], t: &[Node<'t>]) -> bool {
        let Some((first, rest)) = p.split_first() else {
            return t.is_empty();
        };
        let m = self.mark();
        if let PNode::Meta { var, multi: true } = first {
            for k in 0..=t.len() {
                let ok = match var {
                    Some(v) if k > 0 => self.bind(*v, t[0].start_byte(), t[k - 1].end_byte(), None),
                    Some(v) => self.bind(*v, 0, 0, None),
                    None => true,
                };
                if ok && self.seq(rest, &t[k..]) {
                    return true;
                }
                self.reset(m);
            }
            return false;
        }
        if let Some((t0, trest)) = t.split_first() {
            if self.node(first, *t0) && self.seq(rest, trest) {
                return true;
            }
            self.reset(m);
        }
        // `f($A, $$$)` matches `f(a)`: a separator before a `$$$` that matches nothing.
        if let (
            PNode::Node {
                text: Some(sep), ..
            },
            Some(PNode::Meta { multi: true, var }),
        ) = (first, rest.first())
        {
            if &**sep == "," {
                let ok = var.is_none_or(|v| self.bind(v, 0, 0, None));
                if ok && self.seq(&rest[1..], t) {
                    return true;
                }
                self.reset(m);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Scratch;
    use crate::lang::Language;
    use crate::rule::{self, Source};

    /// Lines of the findings of the one rule `yaml` in JavaScript `code`.
    fn lines(yaml: &str, code: &str) -> Vec<u32> {
        let rules = rule::load(&[Source {
            path: "t.yaml".into(),
            text: yaml.into(),
        }])
        .unwrap_or_else(|e| panic!("{e}"));
        let lang = Language::JavaScript;
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        crate::engine::Engine::new(&rules, &[lang])
            .scan(
                lang,
                &mut parser,
                "t.js",
                code,
                None,
                Default::default(),
                crate::engine::Project::Unknown,
            )
            .findings
            .iter()
            .map(|f| f.line)
            .collect()
    }

    /// A `has` is answered once per node only when its answer depends on the node alone: one
    /// that reads a metavariable of the candidate is asked again for every candidate.
    #[test]
    fn has_is_remembered_per_node_only_when_pure() {
        let code = "for (const a of xs) {\n  await a.x();\n  await b.y();\n}\nfor (const c of ys) {\n  await c.z();\n  return;\n}\n";
        let pure = "id: t\nlanguage: javascript\nmessage: m\nrule:\n  kind: await_expression\n  inside:\n    kind: for_in_statement\n    stopBy: end\n    not: { has: { stopBy: end, kind: return_statement } }\n";
        assert_eq!(
            lines(pure, code),
            vec![2, 3],
            "the loop with a return is left out"
        );
        let bound = "id: t\nlanguage: javascript\nmessage: m\nrule:\n  pattern: await $R.$M()\n  inside:\n    kind: for_in_statement\n    stopBy: end\n    has: { field: left, stopBy: end, pattern: $R }\n";
        assert_eq!(
            lines(bound, code),
            vec![2, 6],
            "only awaits on the loop variable: `b` is not `a`"
        );
    }

    #[test]
    fn literal_lookup_respects_the_node_range() {
        let src = format!("{}execute{}", "x".repeat(300), "y".repeat(300));
        let src = src.as_bytes();
        let mut s = Scratch::default();
        let lit = String::from("execute");
        // long ranges go through the per-file index, short ones search directly
        assert!(s.contains(src, &lit, 0, src.len()));
        assert!(s.contains(src, &lit, 300, 307));
        assert!(!s.contains(src, &lit, 301, src.len()));
        assert!(
            !s.contains(src, &lit, 0, 306),
            "the match straddles the end"
        );
        assert!(!s.contains(src, &lit, 0, 300));
        assert!(s.contains(src, &lit, 10, 600));
    }
}
