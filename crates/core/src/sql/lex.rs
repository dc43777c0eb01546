//! The SQL lexer under [`crate::sql`]: PostgreSQL's lexical rules (the "Lexical Structure"
//! chapter of its manual: string constants with `''`, `E'…'` escapes and `$tag$` dollar
//! quoting, nested `/* */` comments, the operator-trimming rule for `+`/`-`) widened with the
//! bind-parameter spellings of the drivers and ORMs that produce the statements: `$1`, `?`,
//! `?1`, `:name`, `@name`, `%s` and `%(name)s`, and MySQL/SQLite back-quoted identifiers.
//!
//! Comments and whitespace produce no token. The lexer never fails: an unterminated string
//! or comment runs to the end of the input.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted identifier or keyword.
    Word,
    /// A quoted identifier (`"x"` or `` `x` ``); its text is the unescaped content.
    Quoted,
    /// A string constant (any quoting style).
    Str,
    /// A numeric constant.
    Num,
    /// A bind parameter, in any driver's spelling.
    Param,
    /// An operator (`=`, `<>`, `::`, `||`, `->>` …).
    Op,
    /// One of `( ) [ ] , ; .`.
    Punct,
}

/// One token: its kind, its text (unescaped content for quoted identifiers) and its byte
/// span in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Its text.
    pub text: String,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

impl Token {
    /// True for punctuation or an operator spelled `s`.
    pub fn is(&self, s: &str) -> bool {
        matches!(self.kind, Kind::Punct | Kind::Op) && self.text == s
    }

    /// True for an unquoted word equal to `kw`, ignoring case.
    pub fn is_word(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// True for a literal or a bind parameter: the values normalisation replaces with `?`.
    pub fn is_value(&self) -> bool {
        matches!(self.kind, Kind::Str | Kind::Num | Kind::Param)
    }
}

const OP_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?";

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Splits `sql` into tokens, dropping comments and whitespace.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(b, i);
            continue;
        }
        let (kind, end) = if c == b'\'' {
            (Kind::Str, quoted_end(b, i, b'\'', false))
        } else if c == b'"' || c == b'`' {
            (Kind::Quoted, quoted_end(b, i, c, false))
        } else if let Some(end) = prefixed_string(b, i) {
            (Kind::Str, end)
        } else if c == b'$' {
            dollar(b, i)
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            (Kind::Num, number_end(b, i))
        } else if ident_start(c) {
            let mut j = i + 1;
            while j < b.len() && ident_char(b[j]) {
                j += 1;
            }
            (Kind::Word, j)
        } else if c == b':' {
            if b.get(i + 1) == Some(&b':') {
                (Kind::Op, i + 2)
            } else if b
                .get(i + 1)
                .is_some_and(|&n| ident_start(n) || n.is_ascii_digit())
            {
                (Kind::Param, ident_run(b, i + 1))
            } else {
                (Kind::Op, i + 1)
            }
        } else if c == b'?' && !matches!(b.get(i + 1), Some(b'|' | b'&' | b'-')) {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            (Kind::Param, j)
        } else if c == b'@' && b.get(i + 1).is_some_and(|&n| ident_start(n)) {
            (Kind::Param, ident_run(b, i + 1))
        } else if c == b'%' && pyformat_s(b, i) {
            (Kind::Param, i + 2)
        } else if c == b'%' && b.get(i + 1) == Some(&b'(') {
            match named_pyformat(b, i) {
                Some(end) => (Kind::Param, end),
                None => (Kind::Op, i + 1),
            }
        } else if b"()[],;.".contains(&c) {
            (Kind::Punct, i + 1)
        } else if OP_CHARS.contains(&c) {
            (Kind::Op, operator_end(b, i))
        } else {
            // Anything else (`{`, `}`, `\` …) stands alone as an operator.
            (Kind::Op, i + char_len(c))
        };
        let end = end.min(b.len()).max(start + 1);
        let end = (end..=b.len())
            .find(|&e| sql.is_char_boundary(e))
            .unwrap_or(b.len());
        let text = match kind {
            Kind::Quoted => unquote(&sql[start..end]),
            _ => sql[start..end].to_string(),
        };
        out.push(Token {
            kind,
            text,
            start,
            end,
        });
        i = end;
    }
    out
}

fn char_len(c: u8) -> usize {
    match c {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn ident_run(b: &[u8], mut j: usize) -> usize {
    while j < b.len() && ident_char(b[j]) {
        j += 1;
    }
    j
}

/// Nested block comments, as PostgreSQL has them.
fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The end of a quoted run opened at `i` with `q`: the quote doubled is an escaped quote;
/// with `backslash`, `\x` escapes too.
fn quoted_end(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// `E'…'`, `N'…'`, `B'…'`, `X'…'`, `U&'…'`: string constants with a one-letter prefix.
fn prefixed_string(b: &[u8], i: usize) -> Option<usize> {
    let c = b[i].to_ascii_uppercase();
    if i > 0 && ident_char(b[i - 1]) {
        return None;
    }
    match (c, b.get(i + 1), b.get(i + 2)) {
        (b'E', Some(b'\''), _) => Some(quoted_end(b, i + 1, b'\'', true)),
        (b'N' | b'B' | b'X', Some(b'\''), _) => Some(quoted_end(b, i + 1, b'\'', false)),
        (b'U', Some(b'&'), Some(b'\'')) => Some(quoted_end(b, i + 2, b'\'', false)),
        _ => None,
    }
}

/// `$1` (a parameter), `$tag$…$tag$` or `$$…$$` (a dollar-quoted string), or a lone `$`.
fn dollar(b: &[u8], i: usize) -> (Kind, usize) {
    let mut j = i + 1;
    if b.get(j).is_some_and(u8::is_ascii_digit) {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        return (Kind::Param, j);
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return (Kind::Op, i + 1);
    }
    let tag = &b[i..=j];
    let body = j + 1;
    let close = b[body..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map(|p| body + p + tag.len())
        .unwrap_or(b.len());
    (Kind::Str, close)
}

fn number_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    if b[j] == b'0' && matches!(b.get(j + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')) {
        j += 2;
        while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b'_') {
            j += 1;
        }
        return j;
    }
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
        j += 1;
    }
    if b.get(j) == Some(&b'.') && b.get(j + 1) != Some(&b'.') {
        j += 1;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
            j += 1;
        }
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let k = if matches!(b.get(j + 1), Some(b'+' | b'-')) {
            j + 2
        } else {
            j + 1
        };
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            j = k;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        }
    }
    j
}

/// `%s`, psycopg's positional parameter.
fn pyformat_s(b: &[u8], i: usize) -> bool {
    b.get(i + 1) == Some(&b's') && !b.get(i + 2).is_some_and(|&n| ident_char(n))
}

/// `%(name)s`, psycopg's named parameters: the end of the one starting at `i`, if one does.
fn named_pyformat(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i + 1) != Some(&b'(') {
        return None;
    }
    let close = b.get(i + 2..)?.iter().position(|&c| c == b')')? + i + 2;
    if b[i + 2..close].iter().all(|&c| ident_char(c)) && b.get(close + 1) == Some(&b's') {
        Some(close + 2)
    } else {
        None
    }
}

/// PostgreSQL's operator rule: the longest run of operator characters, cut before a comment
/// start, and a multi-character operator cannot end in `+` or `-` unless it contains one of
/// `~ ! @ # % ^ & | \` ?` (so `=-1` is `=` then `-1`).
fn operator_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && OP_CHARS.contains(&b[j]) {
        if j > i
            && ((b[j] == b'-' && b.get(j + 1) == Some(&b'-'))
                || (b[j] == b'/' && b.get(j + 1) == Some(&b'*')))
        {
            break;
        }
        // A parameter right after an operator (`=?`, `=%s`, `=%(name)s`, `=@p`) is not part
        // of it; PostgreSQL's `?|`, `?&` and `@>` are.
        if j > i
            && ((b[j] == b'?' && !matches!(b.get(j + 1), Some(b'|' | b'&' | b'-')))
                || (b[j] == b'@' && b.get(j + 1).is_some_and(|&n| ident_start(n)))
                || (b[j] == b'%' && (pyformat_s(b, j) || named_pyformat(b, j).is_some())))
        {
            break;
        }
        j += 1;
    }
    let run = &b[i..j];
    if run.len() > 1 && !run.iter().any(|c| b"~!@#%^&|`?".contains(c)) {
        let mut end = j;
        while end > i + 1 && matches!(b[end - 1], b'+' | b'-') {
            end -= 1;
        }
        return end;
    }
    j
}

/// The content of a quoted identifier, the doubled quote unescaped.
fn unquote(s: &str) -> String {
    let q = &s[..1];
    let inner = s.strip_prefix(q).unwrap_or(s);
    let inner = inner.strip_suffix(q).unwrap_or(inner);
    inner.replace(&format!("{q}{q}"), q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, String)> {
        tokenize(sql)
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn strings_comments_and_dollar_quotes() {
        let t = kinds("SELECT 'it''s', E'a\\'b', $f$x;y$f$ /* a /* nested */ c */ -- end\n, 1");
        let k: Vec<Kind> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            k,
            [
                Kind::Word,
                Kind::Str,
                Kind::Punct,
                Kind::Str,
                Kind::Punct,
                Kind::Str,
                Kind::Punct,
                Kind::Num
            ]
        );
    }

    #[test]
    fn parameter_spellings() {
        for (sql, n) in [
            ("a = $1 AND b = $12", 2),
            ("a = ? AND b = ?3", 2),
            ("a = :id AND b = @name", 2),
            ("a = %s AND b = %(customer_id_1)s", 2),
            ("a=?", 1),
            ("status=%(status)s AND b=%s AND c=@p", 3),
        ] {
            let p = tokenize(sql)
                .iter()
                .filter(|t| t.kind == Kind::Param)
                .count();
            assert_eq!(p, n, "{sql}");
        }
        // `::` is a cast, `?|` a jsonb operator, `%` modulo.
        let t = kinds("x::int, j ?| y, a % b");
        assert!(t.iter().all(|(k, _)| *k != Kind::Param), "{t:?}");
    }

    #[test]
    fn operators_follow_postgresql_rules() {
        let t = kinds("a=-1 and b<>2 and c->>'k' and d @> e");
        let ops: Vec<&str> = t
            .iter()
            .filter(|(k, _)| *k == Kind::Op)
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(ops, ["=", "-", "<>", "->>", "@>"]);
    }

    #[test]
    fn quoted_identifiers_are_unescaped() {
        let t = kinds(r#""Order"."customerId", `a``b`, "x""y""#);
        assert_eq!(t[0], (Kind::Quoted, "Order".into()));
        assert_eq!(t[2], (Kind::Quoted, "customerId".into()));
        assert_eq!(t[4], (Kind::Quoted, "a`b".into()));
        assert_eq!(t[6], (Kind::Quoted, "x\"y".into()));
    }

    #[test]
    fn numbers() {
        let t = kinds("1.5e-3 .5 0x1F 1_000 3.");
        assert!(t.iter().all(|(k, _)| *k == Kind::Num), "{t:?}");
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [
            "'abc",
            "\"abc",
            "/* x",
            "$a$ x",
            "E'\\",
            "é",
            "%(",
            "x é = 'é'",
        ] {
            let _ = tokenize(s);
        }
    }
}
