//! SQL strings: string literals whose text is a DML statement. A literal is one when its first
//! word is a SQL verb and the clause that verb needs follows (`SELECT … FROM`, `INSERT INTO`,
//! `UPDATE … SET`, `DELETE FROM`, `WITH … AS (`), and [`perfhive_core::sql::shape`] reads it
//! as a statement of that kind; prose that starts with "Select" or "Update" is not SQL.
//! Interpolations (Python f-strings, JavaScript template substitutions) stand for values and
//! become `?`; adjacent Python literals (`"SELECT …" "FROM …"`) are one string. Placeholders
//! of every driver (`%s`, `%(name)s`, `:name`, `?`, `$1`) normalise as the driver's own
//! statement does, so the fingerprints are equal.

use super::{Cx, LineRange, SqlString};
use crate::lang::{function_name, Language};
use perfhive_core::sql::{self, Kind, StatementKind};
use regex::Regex;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Node kinds of string literals, per language.
fn is_string(lang: Language, kind: &str) -> bool {
    match lang {
        Language::Python => matches!(kind, "string" | "concatenated_string"),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            matches!(kind, "string" | "template_string")
        }
        Language::Go => matches!(kind, "interpreted_string_literal" | "raw_string_literal"),
        Language::Java => matches!(kind, "string_literal"),
        Language::Rust => matches!(kind, "string_literal" | "raw_string_literal"),
    }
}

/// The value of a string literal node; interpolations become `interp`, or make it `None`
/// when `interp` is `None`.
pub(crate) fn literal(cx: &Cx<'_>, n: Node<'_>, interp: Option<&str>) -> Option<String> {
    let raw = cx.text_of(n);
    match (cx.lang, n.kind()) {
        (Language::Python, "concatenated_string") => {
            let mut out = String::new();
            let mut c = n.walk();
            for part in n.named_children(&mut c) {
                out.push_str(&literal(cx, part, interp)?);
            }
            Some(out)
        }
        (Language::Python, "string") => {
            let prefix: String = raw
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<String>()
                .to_ascii_lowercase();
            let body = &raw[prefix.len()..];
            let q = if body.starts_with("\"\"\"") || body.starts_with("'''") {
                3
            } else {
                1
            };
            if body.len() < 2 * q {
                return None;
            }
            let start = n.start_byte() + prefix.len() + q;
            let end = n.end_byte() - q;
            let mut out = String::new();
            let mut at = start;
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                if ch.kind() == "interpolation" {
                    out.push_str(&unescape(
                        &cx.text[at..ch.start_byte()],
                        prefix.contains('r'),
                    ));
                    out.push_str(interp?);
                    at = ch.end_byte();
                }
            }
            out.push_str(&unescape(&cx.text[at..end.max(at)], prefix.contains('r')));
            Some(out)
        }
        (_, "template_string") => {
            let (start, end) = (n.start_byte() + 1, n.end_byte().saturating_sub(1));
            let mut out = String::new();
            let mut at = start;
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                if ch.kind() == "template_substitution" {
                    out.push_str(&unescape(&cx.text[at..ch.start_byte()], false));
                    out.push_str(interp?);
                    at = ch.end_byte();
                }
            }
            out.push_str(&unescape(&cx.text[at..end.max(at)], false));
            Some(out)
        }
        (Language::Rust, "raw_string_literal") => {
            let t = raw.trim_start_matches('r').trim_matches('#');
            Some(t.strip_prefix('"')?.strip_suffix('"')?.to_string())
        }
        (Language::Go, "raw_string_literal") => {
            Some(raw.strip_prefix('`')?.strip_suffix('`')?.to_string())
        }
        (Language::Java, _) if raw.starts_with("\"\"\"") => {
            let t = raw.strip_prefix("\"\"\"")?.strip_suffix("\"\"\"")?;
            Some(unescape(t, false))
        }
        (_, k) if is_string(cx.lang, k) => {
            let t = raw.get(1..raw.len().checked_sub(1)?)?;
            Some(unescape(t, false))
        }
        _ => None,
    }
}

/// Resolves backslash escapes (`\n`, `\t`, a quoted quote); other escaped characters stand
/// for themselves.
fn unescape(s: &str, raw: bool) -> String {
    if raw || !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\n') => {}
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `text` is a DML statement (see the module documentation).
pub(crate) fn is_sql(text: &str) -> bool {
    // most strings are not SQL: a look at the first word before tokenizing (comments may
    // come first)
    let t = text.trim_start();
    let word: String = t
        .chars()
        .take(7)
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let verb = matches!(
        word.to_ascii_uppercase().as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH"
    );
    if !verb && !t.starts_with("--") && !t.starts_with("/*") {
        return false;
    }
    let toks = sql::tokenize(text);
    let words: Vec<String> = toks
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| t.text.to_ascii_uppercase())
        .collect();
    let first = match toks.first() {
        Some(t) if t.kind == Kind::Word => t.text.to_ascii_uppercase(),
        _ => return false,
    };
    let has = |w: &str| words.iter().any(|x| x == w);
    let needs = match first.as_str() {
        "SELECT" => has("FROM"),
        "INSERT" => words.get(1).is_some_and(|w| w == "INTO"),
        "UPDATE" => has("SET"),
        "DELETE" => words.get(1).is_some_and(|w| w == "FROM"),
        "WITH" => has("AS") && toks.iter().any(|t| t.is("(")),
        _ => false,
    };
    // prose: an apostrophe leaves a string open
    let prose = text.matches('\'').count() % 2 == 1;
    // prose: three plain words in a row ("from the table you want")
    let words_in_a_row = toks.windows(3).any(|w| {
        w.iter()
            .all(|t| t.kind == Kind::Word && !sql::is_keyword(&t.text))
    });
    if !needs || prose || words_in_a_row {
        return false;
    }
    // a fragment of a statement built by concatenation (`"SELECT * FROM " + table`) names no
    // table
    let shape = sql::shape(text);
    shape.kind != StatementKind::Other && !shape.tables.is_empty()
}

/// The SQL strings of a file, with their enclosing functions. Not a walk of the whole tree:
/// every quote followed by a statement's first word is looked up in the tree (a few nodes up
/// from the leaf at that byte), so the cost follows the candidates, not the file's size.
pub(super) fn strings(cx: &Cx<'_>, root: Node<'_>) -> Vec<SqlString> {
    static START: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| {
        Regex::new(r#"(?i)["'`](?:\s|\\[nrt]|\\\r?\n)*(?:--|/\*|(?:select|insert|update|delete|with)(?-u:\b))"#)
            .expect("valid regex")
    });
    let kinds = cx.lang.function_kinds();
    let mut out = Vec::new();
    let mut last = None;
    for m in start.find_iter(cx.text) {
        // the outermost string literal around the quote (the parts of a concatenation are
        // one string; a string inside an interpolation belongs to the one around it)
        let Some(leaf) = root.descendant_for_byte_range(m.start(), m.start() + 1) else {
            continue;
        };
        let mut n = None;
        let mut a = Some(leaf);
        while let Some(p) = a {
            if is_string(cx.lang, p.kind()) {
                n = Some(p);
            }
            a = p.parent();
        }
        let Some(n) = n else { continue };
        if last == Some(n.id()) {
            continue;
        }
        last = Some(n.id());
        let Some(text) = literal(cx, n, Some("?")).filter(|t| is_sql(t)) else {
            continue;
        };
        let mut named = None;
        let mut innermost = None;
        let mut a = n.parent();
        while let Some(p) = a {
            if kinds.contains(&p.kind()) {
                innermost.get_or_insert(LineRange::of(p));
                if named.is_none() {
                    named = function_name(p, cx.src);
                }
            }
            a = p.parent();
        }
        let norm = sql::normalize(&text);
        let s = n.start_position();
        let line_start = n.start_byte() - s.column;
        out.push(SqlString {
            file: cx.file.to_string(),
            line: s.row as u32 + 1,
            column: cx.text[line_start..n.start_byte()].chars().count() as u32 + 1,
            function: named,
            function_lines: innermost,
            text: norm.text,
            fingerprint: norm.fingerprint,
        });
    }
    out
}
