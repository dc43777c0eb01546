//! Patterns: a code snippet parsed by the language's own tree-sitter grammar, matched
//! structurally against syntax trees, as in ast-grep. Metavariables: `$X` matches one named
//! node (the same text wherever `$X` recurs in a rule), `$$$ARGS` / `$$$` zero or more nodes,
//! `$_` (or any `$_NAME`) one node without binding. Whitespace and comments never matter.
//!
//! The pattern's root is its single meaningful node: `module > expression_statement > call`
//! becomes `call`. A snippet that is not valid alone is retried with a `;` appended (Java, Rust
//! statements); the `{context, selector}` form picks the first node of kind `selector` from a
//! larger snippet.

use crate::lang::Language;
use tree_sitter::{Node, Parser};

/// A compiled pattern node.
#[derive(Debug, Clone)]
pub(crate) enum PNode {
    /// A metavariable: `var` is its index in the rule's variable table (`None` for `$_` and
    /// anonymous `$$$`).
    Meta { var: Option<u16>, multi: bool },
    /// A concrete node: same kind, and the same text for leaves, the same children otherwise.
    Node {
        kind: u16,
        text: Option<Box<str>>,
        children: Vec<PNode>,
        /// No child is a `$$$`: a match has exactly as many children.
        fixed: bool,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) root: PNode,
    /// The longest identifier-like leaf (the last of equally long ones: in `a.b.call()` the
    /// called name): a file without it cannot match.
    pub(crate) literal: Option<String>,
    /// The run of concrete tokens around `literal` that every match spells in this order with
    /// only whitespace and comments between (`.`, `set`, `(` in `$R.set($K, $V)`), with the
    /// single-node metavariables inside it (`requests`, `.`, `$M`, `(` in
    /// `requests.$M($$$)`: a constraint may tell what they spell); empty when the literal
    /// stands alone.
    pub(crate) tokens: Vec<Tok>,
}

/// One piece of [`Pattern::tokens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A fixed token.
    Text(String),
    /// The text of one node bound to this metavariable.
    Var(u16),
}

impl PNode {
    /// Whether matching it binds a metavariable (`$X`, `$$$ARGS`; not `$_` or `$$$`).
    pub(crate) fn binds(&self) -> bool {
        match self {
            PNode::Meta { var, .. } => var.is_some(),
            PNode::Node { children, .. } => children.iter().any(PNode::binds),
        }
    }
}

impl Pattern {
    /// The node kind every match has, when the root is not a metavariable.
    pub(crate) fn root_kind(&self) -> Option<u16> {
        match &self.root {
            PNode::Node { kind, .. } => Some(*kind),
            PNode::Meta { .. } => None,
        }
    }
}

/// Replaces `$` that starts a metavariable by the language's expando character.
fn expand(src: &str, exp: char) -> String {
    if exp == '$' {
        return src.to_string();
    }
    let mut out = String::with_capacity(src.len() + 8);
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut run = 1;
        while chars.peek() == Some(&'$') {
            chars.next();
            run += 1;
        }
        let next_starts_name =
            matches!(chars.peek(), Some(n) if *n == '_' || n.is_ascii_uppercase());
        let meta = run == 3 || (run == 1 && next_starts_name);
        let ch = if meta { exp } else { '$' };
        out.extend(std::iter::repeat_n(ch, run));
    }
    out
}

/// `Some((multi, name))` when `text` is a metavariable (after expansion).
fn meta_of(text: &str, exp: char) -> Option<(bool, &str)> {
    let valid = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    let e = exp.len_utf8();
    let mut rest = text.strip_prefix(exp)?;
    let multi = rest.starts_with(exp) && rest[e..].starts_with(exp);
    if multi {
        rest = &rest[2 * e..];
    }
    (valid(rest) && (multi || !rest.is_empty())).then_some((multi, rest))
}

/// Compiles `src` for `lang`. Metavariable names are interned into `vars`. With `selector`, the
/// first node of that kind is the pattern (ast-grep's `{context, selector}`).
pub(crate) fn compile(
    lang: Language,
    src: &str,
    selector: Option<&str>,
    vars: &mut Vec<String>,
) -> Result<Pattern, String> {
    let exp = lang.expando();
    let text = expand(src.trim(), exp);
    let mut parser = Parser::new();
    parser
        .set_language(&lang.grammar())
        .map_err(|e| e.to_string())?;
    let mut source = text.clone();
    let mut tree = parser.parse(&source, None).ok_or("the parser gave up")?;
    if tree.root_node().has_error() && selector.is_none() {
        let retry = format!("{text};");
        if let Some(t) = parser.parse(&retry, None) {
            if !t.root_node().has_error() {
                tree = t;
                source = retry;
            }
        }
    }
    let root_node = tree.root_node();
    if root_node.has_error() {
        let at = first_error(root_node).unwrap_or(root_node);
        return Err(format!(
            "the pattern is not valid {lang} (syntax error at `{}`); use {{context, selector}} for fragments",
            at.utf8_text(source.as_bytes()).unwrap_or("?").trim()
        ));
    }
    let target = match selector {
        Some(kind) => find_kind(root_node, kind)
            .ok_or_else(|| format!("no `{kind}` node in the pattern's context"))?,
        None => strip(root_node),
    };
    let root = build(target, source.as_bytes(), exp, vars);
    let mut literal: Option<String> = None;
    longest_leaf(&root, &mut literal);
    let tokens = literal
        .as_deref()
        .map(|l| tokens_around(&root, l))
        .unwrap_or_default();
    Ok(Pattern {
        root,
        literal,
        tokens,
    })
}

/// The first ERROR or MISSING node.
fn first_error(n: Node<'_>) -> Option<Node<'_>> {
    if n.is_error() || n.is_missing() {
        return Some(n);
    }
    let mut c = n.walk();
    let children: Vec<Node<'_>> = n.children(&mut c).collect();
    children.into_iter().find_map(first_error)
}

fn find_kind<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
    if n.kind() == kind {
        return Some(n);
    }
    let mut c = n.walk();
    let children: Vec<Node<'t>> = n.children(&mut c).collect();
    children.into_iter().find_map(|ch| find_kind(ch, kind))
}

/// Descends through wrappers: nodes with one named child and no other tokens than `;` (or
/// zero-width ones, such as Go's implicit statement terminator).
fn strip(mut n: Node<'_>) -> Node<'_> {
    loop {
        if n.named_child_count() != 1 {
            return n;
        }
        let mut c = n.walk();
        let only_semis = n
            .children(&mut c)
            .all(|ch| ch.is_named() || ch.kind() == ";" || ch.byte_range().is_empty());
        let child = n.named_child(0).expect("one named child");
        if !only_semis || child.is_extra() {
            return n;
        }
        n = child;
    }
}

fn build(n: Node<'_>, src: &[u8], exp: char, vars: &mut Vec<String>) -> PNode {
    let text = n.utf8_text(src).unwrap_or("");
    if n.child_count() == 0 {
        if let Some((multi, name)) = meta_of(text, exp) {
            let var = if name.is_empty() || name.starts_with('_') {
                None
            } else {
                Some(intern(vars, name))
            };
            return PNode::Meta { var, multi };
        }
    }
    if n.child_count() == 0 {
        return PNode::Node {
            kind: n.kind_id(),
            text: Some(text.into()),
            children: Vec::new(),
            fixed: true,
        };
    }
    let mut c = n.walk();
    let children: Vec<PNode> = n
        .children(&mut c)
        .filter(|ch| !skipped(*ch))
        .map(|ch| build(ch, src, exp, vars))
        .collect();
    let fixed = !children
        .iter()
        .any(|c| matches!(c, PNode::Meta { multi: true, .. }));
    PNode::Node {
        kind: n.kind_id(),
        text: None,
        children,
        fixed,
    }
}

/// Children that never take part in matching: comments and zero-width tokens (inserted by
/// error recovery or implicit terminators).
pub(crate) fn skipped(n: Node<'_>) -> bool {
    n.is_extra() || (!n.is_named() && n.byte_range().is_empty())
}

/// Interns a metavariable name.
pub(crate) fn intern(vars: &mut Vec<String>, name: &str) -> u16 {
    match vars.iter().position(|v| v == name) {
        Some(i) => i as u16,
        None => {
            vars.push(name.to_string());
            (vars.len() - 1) as u16
        }
    }
}

fn longest_leaf(p: &PNode, best: &mut Option<String>) {
    if let PNode::Node { text, children, .. } = p {
        if let Some(t) = text {
            let word = t.chars().any(|c| c.is_alphanumeric());
            if word && best.as_ref().is_none_or(|b| t.len() >= b.len()) {
                *best = Some(t.to_string());
            }
        }
        for c in children {
            longest_leaf(c, best);
        }
    }
}

/// The leaves of `p` in source order; `None` for what is neither a fixed token nor a named
/// single-node metavariable: `$_`, a `$$$`, and a `,` before a `$$$` (the matcher lets
/// `f($A, $$$)` match `f(a)`, without the comma).
fn leaves(p: &PNode, out: &mut Vec<Option<Tok>>) {
    match p {
        PNode::Node { text, children, .. } => {
            if let Some(t) = text {
                out.push(Some(Tok::Text(t.to_string())));
            }
            for (i, c) in children.iter().enumerate() {
                let before_multi =
                    matches!(children.get(i + 1), Some(PNode::Meta { multi: true, .. }));
                match c {
                    PNode::Node { text: Some(t), .. } if &**t == "," && before_multi => {
                        out.push(None)
                    }
                    _ => leaves(c, out),
                }
            }
        }
        PNode::Meta {
            var: Some(v),
            multi: false,
        } => out.push(Some(Tok::Var(*v))),
        PNode::Meta { .. } => out.push(None),
    }
}

/// The tokens adjacent to the leaf `literal` (the one [`longest_leaf`] chose: the last of its
/// text), when there are two or more.
fn tokens_around(root: &PNode, literal: &str) -> Vec<Tok> {
    let mut all = Vec::new();
    leaves(root, &mut all);
    let Some(i) = all
        .iter()
        .rposition(|l| matches!(l, Some(Tok::Text(t)) if t == literal))
    else {
        return Vec::new();
    };
    match run_around(&all, i) {
        Some(run) if run.len() >= 2 => all[run].iter().flatten().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The run of known items (`Some`) around index `at`: from after the last `None` before it
/// to the first `None` after it (`None` when `at` itself is not known).
pub(crate) fn run_around<T>(items: &[Option<T>], at: usize) -> Option<std::ops::Range<usize>> {
    items.get(at)?.as_ref()?;
    let start = items[..at]
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |j| j + 1);
    let end = items[at..]
        .iter()
        .position(Option::is_none)
        .map_or(items.len(), |j| at + j);
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_kind_name(lang: Language, src: &str) -> String {
        let mut vars = Vec::new();
        let p = compile(lang, src, None, &mut vars).unwrap();
        let k = p.root_kind().expect("concrete root");
        lang.grammar().node_kind_for_id(k).unwrap().to_string()
    }

    #[test]
    fn roots_are_the_meaningful_node() {
        assert_eq!(root_kind_name(Language::Python, "$C.execute($$$)"), "call");
        assert_eq!(
            root_kind_name(Language::Python, "$S += $X"),
            "augmented_assignment"
        );
        assert_eq!(
            root_kind_name(Language::JavaScript, "await $X"),
            "await_expression"
        );
        assert_eq!(
            root_kind_name(Language::Go, "regexp.MustCompile($P)"),
            "call_expression"
        );
        assert_eq!(
            root_kind_name(Language::Java, "Pattern.compile($$$)"),
            "method_invocation"
        );
        assert_eq!(
            root_kind_name(Language::Rust, "Regex::new($P)"),
            "call_expression"
        );
        assert_eq!(
            root_kind_name(Language::Rust, "$X.fetch_one($$$)"),
            "call_expression"
        );
    }

    #[test]
    fn metavariables_are_recognised() {
        assert_eq!(meta_of("µX", 'µ'), Some((false, "X")));
        assert_eq!(meta_of("µµµ", 'µ'), Some((true, "")));
        assert_eq!(meta_of("µµµARGS", 'µ'), Some((true, "ARGS")));
        assert_eq!(meta_of("$_", '$'), Some((false, "_")));
        assert_eq!(meta_of("$", '$'), None);
        assert_eq!(meta_of("$x", '$'), None);
        assert_eq!(expand("$A + \"$1\" $$$", 'µ'), "µA + \"$1\" µµµ");
        let mut vars = Vec::new();
        let p = compile(Language::Python, "$A + $B + $A", None, &mut vars).unwrap();
        assert_eq!(vars, ["A", "B"]);
        assert_eq!(p.literal, None);
        let p = compile(Language::Python, "re.compile($P)", None, &mut vars).unwrap();
        assert_eq!(p.literal.as_deref(), Some("compile"));
        let mut want = texts(&["re", ".", "compile", "("]);
        want.extend([Tok::Var(2), Tok::Text(")".into())]);
        assert_eq!(p.tokens, want);
    }

    fn texts(v: &[&str]) -> Vec<Tok> {
        v.iter().map(|t| Tok::Text(t.to_string())).collect()
    }

    #[test]
    fn tokens_around_the_literal_stop_at_what_a_match_may_change() {
        let mut vars = Vec::new();
        let tokens = |lang, src| compile(lang, src, None, &mut Vec::new()).unwrap().tokens;
        let mut want = vec![Tok::Var(0)];
        want.extend(texts(&[".", "set", "("]));
        want.extend([Tok::Var(1), Tok::Text(",".into()), Tok::Var(2)]);
        want.extend(texts(&[")"]));
        assert_eq!(tokens(Language::Python, "$R.set($K, $V)"), want);
        // `f(x, $$$)` matches `f(x)`: the comma is not required
        assert_eq!(
            tokens(Language::JavaScript, "fetch(url, $$$)"),
            texts(&["fetch", "(", "url"])
        );
        // `$_` and `$$$` may be anything
        assert_eq!(
            tokens(Language::Python, "$_.get($$$)"),
            texts(&[".", "get", "("])
        );
        assert_eq!(tokens(Language::Python, "$X.objects").len(), 3);
        assert!(
            compile(Language::Python, "$F($A)", None, &mut vars)
                .unwrap()
                .tokens
                .is_empty(),
            "no literal"
        );
    }

    #[test]
    fn invalid_patterns_are_errors() {
        let mut vars = Vec::new();
        let e = compile(Language::Python, "def (:", None, &mut vars).unwrap_err();
        assert!(e.contains("not valid python"), "{e}");
        let e = compile(Language::Go, "x := 1", Some("for_statement"), &mut vars).unwrap_err();
        assert!(e.contains("no `for_statement`"), "{e}");
    }
}
