//! SQL statements normalised into one comparable form, so that a statement seen in a trace
//! span (`db.statement` / `db.query.text`), a SQL string found in code, a
//! `pg_stat_statements.query` and a statement an ORM logged are recognised as the same one.
//!
//! The method is constant jumbling as `pg_stat_statements` does it (every constant becomes a
//! placeholder; F. Zhou, "pg_stat_statements", PostgreSQL contrib), done on tokens rather than
//! on a parse tree, in the spirit of pganalyze's `pg_query` fingerprints: literals and bind
//! parameters in every driver's spelling (`$1`, `?`, `:name`, `%s`, `%(name)s`, `@p`) become
//! `?`; `IN (…)` and `ARRAY[…]` lists of values and repeated `VALUES` tuples collapse to one;
//! comments and trailing semicolons go; keywords are upper case, unquoted identifiers lower
//! case (SQL folds them), quoted identifiers that need no quoting lose their quotes; tokens are
//! separated by one canonical spacing. The [`Fingerprint`] is FNV-1a (64 bits) of that text:
//! stable across runs, machines and versions of perfhive.
//!
//! [`shape`] is a light parse of the same tokens: the statement kind, its tables with aliases,
//! the columns filtered and joined on, the ORDER BY columns and what each bind parameter is
//! compared with (for index advice and for binding representative values). It is not a
//! grammar: where a light parse cannot tell (a column under a function, an unqualified column
//! among several tables), it says nothing rather than guess.
//!
//! No I/O.

pub mod lex;
mod parsed;
mod shape;

pub use lex::{tokenize, Kind, Token};
pub use parsed::{
    ColumnRef, Join, ParamRole, Predicate, PredicateOp, Shape, StatementKind, TableRef,
};
pub use shape::{predicate_columns, shape};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A statement's stable identity: FNV-1a 64 of its normalised text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(Fingerprint)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Fingerprint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fingerprint".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9a-f]{16}$" })
    }
}

/// A statement in normalised form with its fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized {
    /// The normalised text (`SELECT * FROM orders WHERE customer_id = ?`).
    pub text: String,
    /// FNV-1a 64 of `text`.
    pub fingerprint: Fingerprint,
}

/// Keywords (sorted): written upper case, never taken for an identifier or an alias. Words that
/// are also common column names (`key`, `first`, `filter` …) are left out on purpose.
const KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "cast",
    "cross",
    "default",
    "delete",
    "desc",
    "distinct",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "from",
    "full",
    "group",
    "having",
    "ilike",
    "in",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "left",
    "like",
    "limit",
    "natural",
    "not",
    "notnull",
    "null",
    "nulls",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "recursive",
    "returning",
    "right",
    "select",
    "set",
    "similar",
    "some",
    "then",
    "true",
    "union",
    "update",
    "using",
    "values",
    "when",
    "where",
    "with",
];

/// True when `word` (any case) is one of the keywords normalisation upper-cases.
pub fn is_keyword(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    KEYWORDS.binary_search(&lower.as_str()).is_ok()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Out {
    Keyword,
    Ident,
    Value,
    Op,
    Punct,
}

/// Normalises a statement (see the module documentation).
pub fn normalize(sql: &str) -> Normalized {
    let text = normalize_text(sql);
    let fingerprint = fingerprint_of(&text);
    Normalized { text, fingerprint }
}

/// The fingerprint of a statement: equal for statements that differ only in values,
/// parameters, comments, spacing, keyword case or needless quoting.
pub fn fingerprint(sql: &str) -> Fingerprint {
    normalize(sql).fingerprint
}

fn fingerprint_of(text: &str) -> Fingerprint {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    Fingerprint(h)
}

fn simple_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_keyword(s)
}

fn normalize_text(sql: &str) -> String {
    let toks = tokenize(sql);
    let mut out: Vec<(Out, String)> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        let item = match t.kind {
            Kind::Word if t.is_word("true") || t.is_word("false") => {
                i = skip_casts(&toks, i);
                (Out::Value, "?".into())
            }
            Kind::Word if is_keyword(&t.text) => (Out::Keyword, t.text.to_ascii_uppercase()),
            Kind::Word => (Out::Ident, t.text.to_lowercase()),
            Kind::Quoted if simple_identifier(&t.text) => (Out::Ident, t.text.clone()),
            Kind::Quoted => (Out::Ident, format!("\"{}\"", t.text.replace('"', "\"\""))),
            Kind::Str | Kind::Num | Kind::Param => {
                // A unary sign belongs to the constant: `= -1` is `= ?`.
                let signed = matches!(out.last(), Some((Out::Op, s)) if s == "-" || s == "+");
                if signed && t.kind == Kind::Num && unary_context(&out[..out.len() - 1]) {
                    out.pop();
                }
                // A cast of a value is part of it: `$1::INTEGER`, `'2024-01-01'::date`.
                i = skip_casts(&toks, i);
                (Out::Value, "?".into())
            }
            Kind::Op if t.text == "!=" => (Out::Op, "<>".into()),
            Kind::Op => (Out::Op, t.text.clone()),
            Kind::Punct if t.text == ";" && toks[i..].iter().all(|n| n.is(";")) => continue,
            Kind::Punct => (Out::Punct, t.text.clone()),
        };
        out.push(item);
    }
    let out = collapse_lists(out);
    render(&out)
}

/// The index after any `::type` casts starting at `i` (multi-word types, `(n)` modifiers and
/// `[]` included).
fn skip_casts(toks: &[Token], mut i: usize) -> usize {
    while toks.get(i).is_some_and(|t| t.is("::")) {
        i += 1;
        while toks.get(i).is_some_and(|t| {
            (t.kind == Kind::Word && !is_keyword(&t.text)) || t.kind == Kind::Quoted
        }) {
            i += 1;
        }
        if toks.get(i).is_some_and(|t| t.is("(")) {
            while toks.get(i).is_some_and(|t| !t.is(")")) {
                i += 1;
            }
            i += 1;
        }
        while toks.get(i).is_some_and(|t| t.is("[")) && toks.get(i + 1).is_some_and(|t| t.is("]")) {
            i += 2;
        }
    }
    i
}

/// Whether a sign after `before` is unary: at the start, after an operator, an opening
/// bracket, a comma or a keyword other than those that end an operand.
fn unary_context(before: &[(Out, String)]) -> bool {
    match before.last() {
        None => true,
        Some((Out::Op, _)) => true,
        Some((Out::Punct, p)) => p == "(" || p == "[" || p == ",",
        Some((Out::Keyword, k)) => k != "END" && k != "NULL",
        _ => false,
    }
}

/// `IN (?, ?, ?)` → `IN (?)`, `ARRAY[?, ?]` → `ARRAY[?]`, and `VALUES (…), (…)` with equal
/// tuples → one tuple.
fn collapse_lists(toks: Vec<(Out, String)>) -> Vec<(Out, String)> {
    let mut out: Vec<(Out, String)> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        out.push(t.clone());
        i += 1;
        let opens_list = matches!(&t.0, Out::Keyword) && (t.1 == "IN" || t.1 == "ARRAY");
        if opens_list {
            if let Some(next) = value_list_end(&toks, i) {
                out.push(toks[i].clone());
                out.push((Out::Value, "?".into()));
                out.push(toks[next - 1].clone());
                i = next;
            }
        } else if t.0 == Out::Keyword && t.1 == "VALUES" {
            // Equal tuples separated by commas: keep the first.
            if let Some(first_end) = group_end(&toks, i) {
                let first = &toks[i..first_end];
                out.extend(first.iter().cloned());
                let mut j = first_end;
                while j < toks.len() && toks[j].1 == "," && toks[j].0 == Out::Punct {
                    match group_end(&toks, j + 1) {
                        Some(e) if toks[j + 1..e] == *first => j = e,
                        _ => break,
                    }
                }
                i = j;
            }
        }
    }
    out
}

/// If `toks[i]` opens a bracket whose content is only values separated by commas, the index
/// just past the closing bracket.
fn value_list_end(toks: &[(Out, String)], i: usize) -> Option<usize> {
    let open = toks.get(i)?;
    let close = match (open.0, open.1.as_str()) {
        (Out::Punct, "(") => ")",
        (Out::Punct, "[") => "]",
        _ => return None,
    };
    let mut j = i + 1;
    let mut expect_value = true;
    while let Some(t) = toks.get(j) {
        match (expect_value, t.0, t.1.as_str()) {
            (true, Out::Value, _) => expect_value = false,
            (false, Out::Punct, ",") => expect_value = true,
            (false, Out::Punct, c) if c == close => return Some(j + 1),
            _ => return None,
        }
        j += 1;
    }
    None
}

/// If `toks[i]` is `(`, the index just past its matching `)`.
fn group_end(toks: &[(Out, String)], i: usize) -> Option<usize> {
    if toks.get(i)?.1 != "(" {
        return None;
    }
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(i) {
        if t.0 == Out::Punct && t.1 == "(" {
            depth += 1;
        } else if t.0 == Out::Punct && t.1 == ")" {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
    }
    None
}

fn render(toks: &[(Out, String)]) -> String {
    let mut s = String::new();
    for (i, (kind, text)) in toks.iter().enumerate() {
        // `INTO orders (a, b)`: a column list, not a call.
        let column_list = i >= 2 && toks[i - 2].0 == Out::Keyword && toks[i - 2].1 == "INTO";
        if i > 0 && (column_list || space_between(&toks[i - 1], (*kind, text))) {
            s.push(' ');
        }
        s.push_str(text);
    }
    s
}

fn space_between(a: &(Out, String), b: (Out, &str)) -> bool {
    let (ak, at) = (a.0, a.1.as_str());
    if ak == Out::Punct && matches!(at, "(" | "[" | ".") || ak == Out::Op && at == "::" {
        return false;
    }
    if b.0 == Out::Punct && matches!(b.1, ")" | "]" | "," | "." | ";")
        || b.0 == Out::Op && b.1 == "::"
    {
        return false;
    }
    if b.0 == Out::Punct && b.1 == "(" {
        // A function call: `count(*)`; keywords keep their space (`IN (`, `VALUES (`).
        return ak != Out::Ident;
    }
    if b.0 == Out::Punct && b.1 == "[" {
        return !(ak == Out::Ident
            || (ak == Out::Punct && at == ")")
            || (ak == Out::Keyword && at == "ARRAY"));
    }
    true
}

/// One statement of a SQL script, with the 1-based line where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptStatement {
    /// The statement's text as written (without the `;`).
    pub text: String,
    /// 1-based line of its first token.
    pub line: usize,
}

/// Splits a SQL script on top-level semicolons (not those in strings, quoted identifiers,
/// dollar quotes or comments); statements made only of comments are skipped.
pub fn split_statements(script: &str) -> Vec<ScriptStatement> {
    let toks = tokenize(script);
    let mut out = Vec::new();
    let mut first: Option<usize> = None;
    let mut last_end = 0;
    let flush = |first: &mut Option<usize>, end: usize, out: &mut Vec<ScriptStatement>| {
        if let Some(start) = first.take() {
            out.push(ScriptStatement {
                text: script[start..end].trim().to_string(),
                line: script[..start].matches('\n').count() + 1,
            });
        }
    };
    for t in &toks {
        if t.is(";") {
            flush(&mut first, last_end, &mut out);
        } else {
            first.get_or_insert(t.start);
            last_end = t.end;
        }
    }
    flush(&mut first, last_end, &mut out);
    out
}

/// The number of bind parameters in a statement.
pub fn placeholder_count(sql: &str) -> usize {
    tokenize(sql)
        .iter()
        .filter(|t| t.kind == Kind::Param)
        .count()
}

/// Replaces the statement's bind parameters, in order, by `values` (SQL literals, written as
/// they are). `None` when there are fewer values than parameters.
pub fn bind(sql: &str, values: &[String]) -> Option<String> {
    let toks = tokenize(sql);
    let params: Vec<&Token> = toks.iter().filter(|t| t.kind == Kind::Param).collect();
    if params.len() > values.len() {
        return None;
    }
    let mut s = String::with_capacity(sql.len());
    let mut at = 0;
    for (t, v) in params.iter().zip(values) {
        s.push_str(&sql[at..t.start]);
        s.push_str(v);
        at = t.end;
    }
    s.push_str(&sql[at..]);
    Some(s)
}

/// `value` as a SQL string literal: quotes doubled.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `name` as an identifier: bare when it needs no quoting, else double-quoted.
pub fn quote_ident(name: &str) -> String {
    if simple_identifier(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests;
