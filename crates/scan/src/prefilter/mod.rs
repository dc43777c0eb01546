//! Which words a file must contain for a rule to match in it, so that files no rule can match
//! are never parsed (parsing is most of a scan's time). A rule's requirement is derived from
//! its structure as a formula of literals (the method of ripgrep's and ast-grep's literal
//! prefilters, extended over the rule's boolean structure): every key of a rule object must
//! match (all of their requirements), one of `any` must (any of theirs), a node a relation
//! reaches is in the same file (its requirement counts too), and `not` requires nothing. The
//! literals come from a pattern's longest identifier, from the keyword a node kind always
//! spells (`await_expression` needs `await`, a `for` loop needs `for`), and from the literal
//! pieces of a regex that no match can skip (read from regex-syntax's HIR; `(?i)` regexes are
//! matched ignoring ASCII case; adjacent pieces that match few strings are joined, so
//! `\.(select|update)\(` asks for `.select(` or `.update(`, not for the bare words). Once the
//! literals are found, regexes narrow further: a pattern's run of fixed tokens around its
//! literal, in order with only whitespace and comments between (a metavariable in the run
//! spelled by its constraint when that is an anchored regex of few strings), and a rule's
//! regex searched for in the whole file without its anchors and end repetitions. In Python,
//! the words of a node known to lie in a loop (a rule `inside` a `for`, `while` or
//! comprehension, what it `has`, or such a loop itself) must occur in the text of the file's
//! loops (`loop_text`, read from indentation and brackets), not just anywhere: most files of
//! an application have loops and queries, far fewer a query in a loop. A requirement is
//! necessary, never sufficient: a file that passes is parsed and matched as before.

use crate::lang::Language;
use crate::matcher::{Part, RuleObj};
use crate::pattern::Tok;
use regex_syntax::hir::{Hir, HirKind, Look};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A word a file must contain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Lit {
    /// The text (lowercase when `nocase`).
    pub(crate) text: String,
    /// Matched ignoring ASCII case.
    pub(crate) nocase: bool,
    /// Matched only as a whole word (not inside a longer identifier).
    pub(crate) word: bool,
}

/// A regex the file's text must match: tokens that occur in this order with only whitespace
/// and comments between them, or a rule's regex freed of its anchors. Compiled on first use,
/// once per process for a pattern that several rules share: most are never run in a scan
/// (their literals are missing), and compiling them all was most of a scan's start-up time.
#[derive(Debug, Clone)]
pub(crate) struct Seq {
    pattern: Arc<str>,
    /// Unicode classes (the token sequences) or ASCII ones (a rule's regex, as rules read it).
    unicode: bool,
    compiled: Arc<OnceLock<Option<regex::bytes::Regex>>>,
}

impl PartialEq for Seq {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern && self.unicode == other.unicode
    }
}

impl Eq for Seq {}

impl Seq {
    fn new(pattern: String, unicode: bool) -> Seq {
        Seq {
            pattern: pattern.into(),
            unicode,
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// Whether `text` matches; a pattern the regex engine refuses (too large) requires nothing.
    fn is_match(&self, text: &[u8]) -> bool {
        type Cache = Mutex<HashMap<(Arc<str>, bool), Option<regex::bytes::Regex>>>;
        static SHARED: OnceLock<Cache> = OnceLock::new();
        let re = self.compiled.get_or_init(|| {
            let key = (self.pattern.clone(), self.unicode);
            let mut shared = SHARED
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            shared
                .entry(key)
                .or_insert_with(|| {
                    regex::bytes::RegexBuilder::new(&self.pattern)
                        .unicode(self.unicode)
                        .build()
                        .ok()
                })
                .clone()
        });
        re.as_ref().is_none_or(|re| re.is_match(text))
    }

    /// The run of `tokens` around `literal` whose pieces are known: fixed tokens, and
    /// metavariables whose constraint is an anchored regex of few strings (`^(get|post)$`);
    /// `None` when fewer than two pieces are known.
    fn around(
        lang: Language,
        tokens: &[Tok],
        literal: &str,
        constraints: &[Option<RuleObj>],
    ) -> Option<Seq> {
        let piece = |t: &Tok| match t {
            Tok::Text(s) => Some(regex::escape(s)),
            Tok::Var(v) => {
                let c = constraints.get(*v as usize)?.as_ref()?;
                let [Part::Regex(re)] = c.parts.as_slice() else {
                    return None;
                };
                let (set, nocase) = anchored_set(re.as_str())?;
                let alts: Vec<String> = set.iter().map(|s| regex::escape(s)).collect();
                Some(format!(
                    "(?{}:{})",
                    if nocase { "i" } else { "" },
                    alts.join("|")
                ))
            }
        };
        let at = tokens
            .iter()
            .rposition(|t| matches!(t, Tok::Text(s) if s == literal))?;
        let pieces: Vec<Option<String>> = tokens.iter().map(piece).collect();
        let run = crate::pattern::run_around(&pieces, at).filter(|r| r.len() >= 2)?;
        let parts: Vec<String> = pieces[run].iter().flatten().cloned().collect();
        Seq::of_parts(lang, &parts)
    }

    /// `parts` (regexes) of `lang`, each separated from the next by whitespace, line
    /// continuations and comments.
    fn of_parts(lang: Language, parts: &[String]) -> Option<Seq> {
        let trivia = match lang {
            Language::Python => r"(?:\s|\x{FEFF}|\\\r?\n|#[^\n]*)*",
            Language::JavaScript
            | Language::TypeScript
            | Language::Tsx
            | Language::Go
            | Language::Java => r"(?:\s|\x{FEFF}|//[^\n]*|/\*(?s:.*?)\*/)*",
            Language::Rust => return None,
        };
        Some(Seq::new(parts.join(trivia), true))
    }

    /// What the text of a whole file matches when one of its nodes' text matches `pattern`
    /// (a rule's `regex:`, read as the rule reads it): the same regex with its assertions
    /// (`^`, `$`, `\b`) taken out, since a node's start, end or edge is none of the file's.
    fn unanchored(pattern: &str) -> Option<Seq> {
        let hir = parse_bytes(pattern)?;
        let free = trim_edges(&without_looks(&hir));
        Some(Seq::new(free.to_string(), false))
    }

    /// What follows the last unbounded run of a broad class in `pattern` (`[^,]*`, `.*`),
    /// when that is at least three bytes long and holds a literal: a part every match of the whole holds, which
    /// the regex engine finds far faster than the whole. From each of a file's many `(`,
    /// `\(\s*\w+\s*(:[^,]*)?,\s*info` reads on to the next comma; `,\s*info` is a few bytes.
    fn tail(pattern: &str) -> Option<Seq> {
        let hir = parse_bytes(pattern)?;
        let free = without_looks(&hir);
        let HirKind::Concat(v) = free.kind() else {
            return None;
        };
        let last = v.iter().rposition(holds_broad_run)?;
        let tail = Hir::concat(v[last + 1..].to_vec());
        // a tail without a literal (`,\s*\w+\s*\)`) is found in most files: no help
        (tail.properties().minimum_len()? >= 3 && hir_req(&tail, false).is_some())
            .then(|| Seq::new(tail.to_string(), false))
    }
}

/// Whether `h` holds an unbounded repetition of a class that matches most bytes (`[^,]*`,
/// `.+`): a run the regex engine may read to far in the text from every place it starts.
fn holds_broad_run(h: &Hir) -> bool {
    match h.kind() {
        HirKind::Repetition(r) => {
            let broad = match r.sub.kind() {
                HirKind::Class(regex_syntax::hir::Class::Bytes(c)) => {
                    c.ranges()
                        .iter()
                        .map(|r| usize::from(r.end() - r.start()) + 1)
                        .sum::<usize>()
                        >= 128
                }
                HirKind::Class(regex_syntax::hir::Class::Unicode(c)) => {
                    c.ranges()
                        .iter()
                        .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                        .sum::<u32>()
                        >= 128
                }
                _ => false,
            };
            (r.max.is_none() && broad) || holds_broad_run(&r.sub)
        }
        HirKind::Capture(c) => holds_broad_run(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(holds_broad_run),
        _ => false,
    }
}

/// The strings a regex anchored at both ends (`^(get|post)$`) matches, when they are few,
/// and whether it ignores case.
fn anchored_set(pattern: &str) -> Option<(Vec<String>, bool)> {
    let (hir, nocase) = parse_plain(pattern)?;
    let HirKind::Concat(v) = hir.kind() else {
        return None;
    };
    let look = |h: Option<&Hir>, want: Look| matches!(h.map(Hir::kind), Some(HirKind::Look(l)) if *l == want);
    if !look(v.first(), Look::Start) || !look(v.last(), Look::End) {
        return None;
    }
    let set = exact(&hir, nocase)?;
    (!set.iter().any(String::is_empty)).then_some((set, nocase))
}

/// A pattern's leading flags (`i`, `s`, `m`) taken off, and whether `i` is one of them.
fn leading_flags(pattern: &str) -> (&str, bool) {
    match pattern
        .strip_prefix("(?")
        .and_then(|r| r.split_once(')'))
        .filter(|(flags, _)| !flags.is_empty() && flags.chars().all(|c| "ism".contains(c)))
    {
        Some((flags, rest)) => (rest, flags.contains('i')),
        None => (pattern, false),
    }
}

/// `h` searched for anywhere in a text, without the repetitions at its ends: what a match of
/// `\w+\.\w+\.(all|count)` holds, `\.\w+\.(all|count)` matches too (a weaker test, and
/// one the regex engine runs far faster: a leading `\w+` is tried at every word).
fn trim_edges(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Capture(c) => trim_edges(&c.sub),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(trim_edges).collect()),
        HirKind::Concat(v) => {
            let loose = |x: &Hir| matches!(x.kind(), HirKind::Repetition(_) | HirKind::Empty);
            let start = v.iter().position(|x| !loose(x)).unwrap_or(v.len());
            let end = v.iter().rposition(|x| !loose(x)).map_or(start, |j| j + 1);
            Hir::concat(v[start..end.max(start)].to_vec())
        }
        HirKind::Repetition(_) => Hir::empty(),
        _ => h.clone(),
    }
}

/// `h` with every assertion replaced by the empty match (a superset of its matches).
fn without_looks(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Capture(c) => without_looks(&c.sub),
        HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
            sub: Box::new(without_looks(&r.sub)),
            ..r.clone()
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(without_looks).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(without_looks).collect()),
        _ => h.clone(),
    }
}

/// A requirement over a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Req {
    /// The literal occurs.
    Lit(Lit),
    /// The tokens occur in sequence (checked after the literal they hold).
    Seq(Seq),
    /// Every requirement holds.
    All(Vec<Req>),
    /// At least one holds.
    Any(Vec<Req>),
    /// It holds in the text of the file's loops (Python: `loop_text`), where the node whose
    /// words it asks for lies.
    Region(Box<Req>),
}

/// Shortest literal worth checking (shorter ones are in nearly every file).
const MIN_LEN: usize = 3;

fn all(v: Vec<Option<Req>>) -> Option<Req> {
    let mut out: Vec<Req> = Vec::new();
    for r in v.into_iter().flatten() {
        match r {
            Req::All(inner) => out.extend(inner),
            r => out.push(r),
        }
    }
    out.dedup();
    match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(Req::All(out)),
    }
}

fn any(v: Vec<Option<Req>>) -> Option<Req> {
    let mut out: Vec<Req> = Vec::new();
    for r in v {
        match r? {
            Req::Any(inner) => out.extend(inner),
            r => out.push(r),
        }
    }
    let mut seen = Vec::new();
    out.retain(|r| {
        let new = !seen.contains(r);
        if new {
            seen.push(r.clone());
        }
        new
    });
    match out.len() {
        0 => None,
        1 => out.pop(),
        _ => Some(Req::Any(out)),
    }
}

/// The keyword a node of this kind always contains.
fn kind_keyword(lang: Language, kind: &str) -> Option<&'static str> {
    Some(match (lang, kind) {
        (_, "await_expression" | "await") => "await",
        (
            _,
            "for_statement"
            | "for_in_statement"
            | "for_in_clause"
            | "for_range_loop"
            | "enhanced_for_statement"
            | "for_expression"
            | "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression",
        ) => "for",
        (_, "while_statement" | "while_expression") => "while",
        (_, "raise_statement") => "raise",
        (_, "throw_statement") => "throw",
        (_, "yield_expression" | "yield") => "yield",
        (_, "with_statement") => "with",
        (_, "new_expression" | "object_creation_expression") => "new",
        (_, "import_statement" | "import_from_statement") => "import",
        (Language::Python, "function_definition") => "def",
        (Language::Python, "lambda") => "lambda",
        (Language::Python, "class_definition") => "class",
        _ => return None,
    })
}

fn word(s: &str) -> Lit {
    Lit {
        text: s.to_string(),
        nocase: false,
        word: true,
    }
}

/// The literals every match of `pattern` contains: its literal pieces that are not optional,
/// through groups and alternations (an alternation needs one of its branches).
fn regex_req(pattern: &str) -> Option<Req> {
    let (hir, nocase) = parse_plain(pattern)?;
    hir_req(&hir, nocase)
}

/// `pattern` parsed as the rules' regexes are (ASCII classes), without its leading flags, and
/// whether `i` was one of them: `i` is handled by searching lowercase text, `s` and `m` do
/// not change literals; anything else (or flags further in) is not handled.
fn parse_plain(pattern: &str) -> Option<(Hir, bool)> {
    let (src, nocase) = leading_flags(pattern);
    if src.contains("(?") {
        return None;
    }
    Some((parse_bytes(src)?, nocase))
}

/// `pattern` parsed as the rules' regexes are: ASCII classes, matching bytes.
fn parse_bytes(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// Most strings a finite piece of a regex is expanded to (`\.(get|set)\(` is two).
const MAX_SEQ: usize = 64;

/// Largest character class expanded into its characters (`[._]`).
const MAX_CLASS: usize = 4;

/// Every string `h` can match, when they are few (a literal, a small class, an alternation or
/// concatenation of such, an optional piece; an assertion such as `^` or `\b` matches the
/// empty string); `None` when the set is large or unbounded.
fn exact(h: &Hir, nocase: bool) -> Option<Vec<String>> {
    let fold = |s: &str| {
        if nocase {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    let set: Vec<String> = match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![fold(std::str::from_utf8(&l.0).ok()?)],
        HirKind::Class(class) => {
            let ranges: Vec<(u32, u32)> = match class {
                regex_syntax::hir::Class::Bytes(c) => c
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
                regex_syntax::hir::Class::Unicode(c) => c
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
            };
            let mut out = Vec::new();
            for (start, end) in ranges {
                for code in start..=end {
                    let ch = char::from_u32(code).filter(char::is_ascii)?;
                    if out.len() == MAX_CLASS {
                        return None;
                    }
                    out.push(fold(&ch.to_string()));
                }
            }
            out
        }
        HirKind::Capture(c) => exact(&c.sub, nocase)?,
        HirKind::Alternation(v) => {
            let mut out = Vec::new();
            for x in v {
                out.extend(exact(x, nocase)?);
            }
            out
        }
        HirKind::Concat(v) => {
            let mut out = vec![String::new()];
            for x in v {
                out = product(&out, &exact(x, nocase)?)?;
            }
            out
        }
        HirKind::Repetition(r) if r.max == Some(1) => {
            let mut out = exact(&r.sub, nocase)?;
            if r.min == 0 {
                out.push(String::new());
            }
            out
        }
        _ => return None,
    };
    let mut set = set;
    set.sort();
    set.dedup();
    (set.len() <= MAX_SEQ).then_some(set)
}

/// Each of `a` followed by each of `b`, when there are few.
fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SEQ {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
            .collect(),
    )
}

/// One of `set` must occur; nothing is required when one of them is too short to search for.
fn one_of(set: &[String], nocase: bool) -> Option<Req> {
    if set.iter().any(|s| s.len() < MIN_LEN) {
        return None;
    }
    // a string that contains another of the set adds nothing (`this.knex(` holds `knex(`)
    let keep = |s: &&String| {
        !set.iter()
            .any(|o| o.len() < s.len() && s.contains(o.as_str()))
    };
    any(set
        .iter()
        .filter(keep)
        .map(|s| {
            Some(Req::Lit(Lit {
                text: s.clone(),
                nocase,
                word: false,
            }))
        })
        .collect())
}

fn hir_req(h: &Hir, nocase: bool) -> Option<Req> {
    if let Some(set) = exact(h, nocase) {
        if let Some(r) = one_of(&set, nocase) {
            return Some(r);
        }
    }
    // a literal was answered above (`exact` spells it; too short, it requires nothing)
    match h.kind() {
        HirKind::Capture(c) => hir_req(&c.sub, nocase),
        HirKind::Concat(v) => {
            // runs of finite pieces are joined (`\.` `(get|set)` `\(` is `.get(` or `.set(`);
            // a run whose strings are too short, and every other piece, count on their own
            let mut reqs = Vec::new();
            let mut run: Option<Vec<String>> = None;
            let mut run_parts: Vec<&Hir> = Vec::new();
            let flush = |run: &mut Option<Vec<String>>,
                         parts: &mut Vec<&Hir>,
                         reqs: &mut Vec<Option<Req>>| {
                match run.take().and_then(|set| one_of(&set, nocase)) {
                    Some(r) => reqs.push(Some(r)),
                    None => reqs.extend(parts.iter().map(|x| hir_req(x, nocase))),
                }
                parts.clear();
            };
            for x in v {
                match exact(x, nocase) {
                    Some(set) => {
                        let joined = match &run {
                            None => Some(set.clone()),
                            Some(prev) => product(prev, &set),
                        };
                        match joined {
                            Some(j) => run = Some(j),
                            None => {
                                flush(&mut run, &mut run_parts, &mut reqs);
                                run = Some(set);
                            }
                        }
                        run_parts.push(x);
                    }
                    None => {
                        flush(&mut run, &mut run_parts, &mut reqs);
                        reqs.push(hir_req(x, nocase));
                    }
                }
            }
            flush(&mut run, &mut run_parts, &mut reqs);
            all(reqs)
        }
        HirKind::Alternation(v) => any(v.iter().map(|x| hir_req(x, nocase)).collect()),
        HirKind::Repetition(r) if r.min >= 1 => hir_req(&r.sub, nocase),
        _ => None,
    }
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

mod derive;
mod text;

pub(crate) use derive::{lies_in_loop, requirement};
pub(crate) use text::FileText;

#[cfg(test)]
mod tests;
