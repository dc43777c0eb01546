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
            // comments may stand between the parts
            for part in n.named_children(&mut c).filter(|p| p.kind() != "comment") {
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

/// The opening of a string literal that may be a statement: a quote, blanks or escaped
/// newlines, then a comment or a statement's first word.
fn start_regex() -> &'static Regex {
    static START: OnceLock<Regex> = OnceLock::new();
    START.get_or_init(|| {
        Regex::new(r#"(?i)["'`](?:\s|\\[nrt]|\\\r?\n)*(?:--|/\*|(?:select|insert|update|delete|with)(?-u:\b))"#)
            .expect("valid regex")
    })
}

/// Whether some string literal of a file's `text` may be one [`is_sql`] accepts, read from
/// the text alone (before parsing; a necessary condition, never a sufficient one). Each
/// quote followed by a statement's first word (after comments) is checked as `is_sql`
/// checks the literal: `INSERT` followed by the word `INTO` and `DELETE` by `FROM`, no three
/// plain words in a row after the verb ("Update the zone…"), and the clause the verb needs
/// later in the text. Where the words after the verb are not plain (an interpolation, an
/// escape, the end of one part of a concatenation), the candidate is kept.
pub(crate) fn may_hold_sql(lang: Language, text: &str) -> bool {
    static CLAUSE: OnceLock<Regex> = OnceLock::new();
    let clause = CLAUSE.get_or_init(|| {
        // (the clause's word after a blank, or after `\n` spelled in the source)
        let pair =
            |verb: &str, clause: &str| format!(r"{verb}(?-u:\b).*?(?:(?-u:\b)|\\[nrt]){clause}");
        Regex::new(&format!(
            r"(?is)^(?:{}|{}|{}|{}|{})(?-u:\b)",
            pair("select", "from"),
            pair("insert", "into"),
            pair("update", "set"),
            pair("delete", "from"),
            pair("with", "as"),
        ))
        .expect("valid regex")
    });
    let b = text.as_bytes();
    // Python: only quotes that open a literal (a docstring's closing quotes followed by a
    // `with` block are no statement); every quote where the file cannot be read so
    let mut openers: Option<Option<Vec<usize>>> = None;
    start_regex().find_iter(text).any(|m| {
        if lang == Language::Python {
            let open = openers.get_or_insert_with(|| python_openers(b));
            if open
                .as_ref()
                .is_some_and(|o| o.binary_search(&m.start()).is_err())
            {
                return false;
            }
        }
        // the clause is looked for in the literal this quote would open
        let end = literal_end(lang, b, m.start());
        let verbs = if text[..m.end()].ends_with("--") || text[..m.end()].ends_with("/*") {
            after_comment(b, m.end() - 2, end)
        } else {
            let start = m.end() - letters_before(b, m.end());
            vec![start]
        };
        verbs.into_iter().any(|at| {
            let len = letters_after(b, at);
            let verb = text[at..at + len].to_ascii_lowercase();
            let words = plain_words(b, at + len, 3);
            let next = |w: &str| words.first().is_none_or(|x| x.eq_ignore_ascii_case(w));
            let prose = words.len() == 3 && words.iter().all(|w| !sql::is_keyword(w));
            let fits = match verb.as_str() {
                "insert" => next("into"),
                "delete" => next("from"),
                _ => !prose,
            };
            at < end && fits && clause.is_match(&text[at..end])
        })
    })
}

/// The quotes that open Python string literals, in order (of a triple quote, its last
/// one), read as Python's tokenizer reads a file: comments, then literals with their
/// prefixes and escapes. `None` where a single-quoted literal runs into the end of its line,
/// a literal into the end of the file, or a character no Python has outside a literal stands
/// outside one (a file this reading does not follow).
fn python_openers(b: &[u8]) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            c @ (b'"' | b'\'') => {
                let triple = b[i..].starts_with(&[c, c, c]);
                let last = if triple { i + 2 } else { i };
                out.push(last);
                let mut j = last + 1;
                i = loop {
                    match b.get(j) {
                        None => return None,
                        Some(b'\\') => j += 2,
                        Some(b'\n') if !triple => return None,
                        Some(&x) if x == c && (!triple || b[j..].starts_with(&[c, c, c])) => {
                            break j + if triple { 3 } else { 1 };
                        }
                        Some(_) => j += 1,
                    }
                };
                continue;
            }
            // not Python outside a literal: the file is not what this reading follows (the
            // parser's recovery may still find literals after it)
            b'`' | b'$' | b'?' => return None,
            // a backslash outside a literal continues a line, or is not Python
            b'\\' if !matches!(b.get(i + 1), Some(b'\n' | b'\r')) => return None,
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// Where the string literal opened by the quote at `q` ends, with the literals written after
/// it that make one string with it (Python's adjacent literals), read from the text alone:
/// the end of the text where that cannot be told (template literals, f-strings, and the
/// languages whose plain strings span lines).
fn literal_end(lang: Language, b: &[u8], q: usize) -> usize {
    let py = lang == Language::Python;
    if !(py
        || matches!(
            lang,
            Language::JavaScript | Language::TypeScript | Language::Tsx
        ))
    {
        return b.len();
    }
    let mut q = q;
    loop {
        let c = b[q];
        if c == b'`' {
            return b.len();
        }
        // a triple quote ends at `q` (`"""SELECT` is matched at its third quote)
        let triple = py && q >= 2 && b[q - 2] == c && b[q - 1] == c;
        let opener = if triple { q - 2 } else { q };
        let prefix = letters_before(b, opener);
        if py
            && b[opener - prefix..opener]
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&b'f'))
        {
            // `{…}` may hold quotes of its own
            return b.len();
        }
        // (a newline does not end a one-line literal here: the parsers' recovery reads on)
        let mut i = q + 1;
        let mut end = loop {
            match b.get(i) {
                None => return b.len(),
                Some(b'\\') => i += 2,
                Some(&x) if x == c && (!triple || b[i..].starts_with(&[c, c, c])) => {
                    break i + if triple { 3 } else { 1 };
                }
                Some(_) => i += 1,
            }
        };
        if !py {
            return end;
        }
        // Python: blanks, comments and line continuations, then another literal (an empty
        // one is passed over) continue the string
        loop {
            let mut j = end;
            loop {
                match b.get(j) {
                    Some(x) if x.is_ascii_whitespace() => j += 1,
                    Some(b'\\') => j += 2,
                    Some(b'#') => {
                        while j < b.len() && b[j] != b'\n' {
                            j += 1;
                        }
                    }
                    _ => break,
                }
            }
            let j = j.min(b.len());
            let letters = letters_after(b, j);
            match b.get(j + letters) {
                Some(&x) if letters <= 2 && (x == b'"' || x == b'\'') => {
                    let n = b[j + letters..].iter().take_while(|&&y| y == x).count();
                    if n == 2 {
                        end = j + letters + 2;
                        continue;
                    }
                    q = j + letters + if n >= 3 { 2 } else { 0 };
                    break;
                }
                _ => return end,
            }
        }
    }
}

/// How many ASCII letters end at `end` (a statement verb, a literal's prefix).
fn letters_before(b: &[u8], end: usize) -> usize {
    b[..end]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .count()
}

/// How many ASCII letters start at `at` (none past the end).
fn letters_after(b: &[u8], at: usize) -> usize {
    b.get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count()
}

/// Where a statement's first word may start after the comment at `at` (`--` or `/*`) in the
/// literal that ends at `end`, and after later comments and blanks: past a line break (a
/// newline, or `\n` spelled in the source: the comment may run on through adjacent
/// literals) or the end of the block comment. Every later word start is a candidate where
/// comments nest or follow one another.
fn after_comment(b: &[u8], at: usize, end: usize) -> Vec<usize> {
    // the literal ended before the comment (a quote that closes one, then code)
    if at + 2 > end {
        return Vec::new();
    }
    let mut ends = Vec::new();
    if b[at] == b'-' {
        for i in at + 2..end {
            if b[i] == b'\n' {
                ends.push(i + 1);
            } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'n') {
                ends.push(i + 2);
            }
        }
    } else {
        let close = memchr::memmem::find(&b[at + 2..end], b"*/").map(|i| at + 2 + i);
        match close {
            // a comment inside the comment: nested, as PostgreSQL has them
            Some(c) if memchr::memmem::find(&b[at + 2..c], b"/*").is_none() => ends.push(c + 2),
            _ => return verb_starts(b, at + 2, end),
        }
    }
    let mut out = Vec::new();
    for mut i in ends {
        loop {
            match (b.get(i), b.get(i + 1)) {
                (Some(c), _) if c.is_ascii_whitespace() => i += 1,
                (Some(b'\\'), Some(b'n' | b'r' | b't' | b'\n')) => i += 2,
                (Some(b'\\'), Some(b'\r')) => i += 3,
                // another comment: any statement word further on may be the first
                (Some(b'-'), Some(b'-')) | (Some(b'/'), Some(b'*')) => {
                    return verb_starts(b, i, end);
                }
                _ => break,
            }
        }
        let i = i.min(b.len());
        let len = letters_after(b, i);
        let word = std::str::from_utf8(&b[i..i + len]).unwrap_or("");
        if ["select", "insert", "update", "delete", "with"]
            .iter()
            .any(|v| v.eq_ignore_ascii_case(word))
        {
            out.push(i);
        }
    }
    out
}

/// Every start of a statement verb from `from` to `end`.
fn verb_starts(b: &[u8], from: usize, end: usize) -> Vec<usize> {
    static VERB: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let verb = VERB.get_or_init(|| {
        regex::bytes::Regex::new(r"(?i-u)\b(?:select|insert|update|delete|with)\b")
            .expect("valid regex")
    });
    verb.find_iter(&b[from.min(end)..end])
        .map(|m| from + m.start())
        .collect()
}

/// Up to `n` words that follow `at`, each after ASCII blanks and ending where `sql::tokenize`
/// ends a word (an ASCII character that is no part of a name or a string); the list stops
/// at the first thing that is not such a word.
fn plain_words(b: &[u8], mut at: usize, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    while out.len() < n {
        let blanks = b[at..]
            .iter()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
        if blanks == 0 {
            break;
        }
        at += blanks;
        if !b
            .get(at)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            break;
        }
        let len = b[at..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let next = b.get(at + len).copied();
        if next.is_some_and(|c| c >= 0x80 || b"$&'\"`".contains(&c)) {
            break;
        }
        out.push(std::str::from_utf8(&b[at..at + len]).unwrap_or(""));
        at += len;
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
    let start = start_regex();
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
