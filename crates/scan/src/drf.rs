//! Django REST framework list views, read from the files' text (no parse): which serializer
//! each renders, and which relations its queryset joins or prefetches. A serializer field that
//! reads a relation (`py-relation-per-serialized-row`) loads it once per row of a list unless
//! the view's queryset did: such a finding is kept only when a list view of the scanned code
//! renders the serializer and leaves one of its relations to be loaded row by row.
//!
//! Only what the text shows is trusted: a view whose base classes are the application's own
//! (which may load relations in a `get_queryset` of theirs), that picks its serializer in
//! `get_serializer_class`, or whose queryset names relations through variables, says nothing,
//! and the finding goes unless another view makes the case.

use crate::finding::{Finding, Statement};
use crate::runs::re;
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The id of the rule whose findings this module keeps or drops.
pub(crate) const RULE: &str = "py-relation-per-serialized-row";

/// A DRF list view of the scanned code whose queryset the text shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListView {
    /// The view class.
    pub(crate) name: String,
    /// Its file and the line of its `serializer_class`.
    pub(crate) file: String,
    pub(crate) line: u32,
    /// The serializer class it renders (the last name of `serializer_class = a.B`).
    pub(crate) serializer: String,
    /// The relations its queryset loads with the rows: the first part of each name given to
    /// `select_related`, `prefetch_related` or `Prefetch` (`"customer__country"` → customer).
    pub(crate) loaded: Vec<String>,
}

/// DRF's own classes a list view may stand on: a view made of these alone runs the queryset
/// it declares (or its own `get_queryset`) and nothing else.
fn stock_base(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).trim();
    matches!(
        last,
        "ModelViewSet"
            | "ReadOnlyModelViewSet"
            | "GenericViewSet"
            | "ViewSetMixin"
            | "GenericAPIView"
            | "ListAPIView"
            | "ListCreateAPIView"
            | "RetrieveAPIView"
            | "ListModelMixin"
            | "CreateModelMixin"
            | "RetrieveModelMixin"
            | "UpdateModelMixin"
            | "DestroyModelMixin"
            | "object"
    )
}

/// Whether the bases give the view a list action.
fn lists(bases: &str) -> bool {
    bases.split(',').any(|b| {
        matches!(
            b.rsplit('.').next().unwrap_or(b).trim(),
            "ModelViewSet"
                | "ReadOnlyModelViewSet"
                | "ListAPIView"
                | "ListCreateAPIView"
                | "ListModelMixin"
        )
    })
}

/// The top-level classes of a Python file: (name, bases, line of the `class`, body text).
fn classes(text: &str) -> Vec<(&str, &str, u32, &str)> {
    static CLASS: OnceLock<Regex> = OnceLock::new();
    let class = re(&CLASS, r"(?m)^class[ \t]+(\w+)[ \t]*\(([^)]*)\)[ \t]*:");
    let starts: Vec<_> = class.captures_iter(text).collect();
    let mut out = Vec::new();
    for c in &starts {
        let (Some(all), Some(name), Some(bases)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        // the body runs to the next line that starts in the first column (a blank line, a
        // comment or a closing bracket does not end it)
        let mut end = text.len();
        let mut at = all.end();
        while let Some(nl) = text[at..].find('\n') {
            let line_start = at + nl + 1;
            let first = text[line_start..].chars().next();
            if first.is_some_and(|ch| !ch.is_whitespace() && !matches!(ch, '#' | ')' | ']' | '}')) {
                end = line_start;
                break;
            }
            at = line_start;
        }
        let line = text[..all.start()].matches('\n').count() as u32 + 1;
        out.push((name.as_str(), bases.as_str(), line, &text[all.end()..end]));
    }
    out
}

/// The relations a queryset text loads, or `None` when it names them in a way the text does
/// not show (`prefetch_related(*names)`, `select_related()` loading every foreign key).
fn loaded(queryset: &str) -> Option<Vec<String>> {
    static CALL: OnceLock<Regex> = OnceLock::new();
    static NAME: OnceLock<Regex> = OnceLock::new();
    let call = re(&CALL, r"\b(select_related|prefetch_related|Prefetch)\s*\(");
    let name = re(&NAME, r#"^\s*(?:lookup\s*=\s*)?["']([A-Za-z_]\w*)"#);
    let mut out = Vec::new();
    for m in call.find_iter(queryset) {
        let args = crate::lang::call_arguments(&queryset[m.end()..])?;
        if args.trim().is_empty() {
            // `select_related()` joins every foreign key: what it leaves out is not known here
            return None;
        }
        if m.as_str().starts_with("Prefetch") {
            // the first argument is the path; the rest (queryset=…, to_attr=…) is not a name
            let first = args.split(',').next().unwrap_or("");
            let c = name.captures(first)?;
            out.push(c[1].split("__").next().unwrap_or("").to_string());
            continue;
        }
        for a in split_args(args) {
            if a.trim_start().starts_with("Prefetch") {
                continue; // read by its own match
            }
            let c = name.captures(a)?;
            out.push(c[1].split("__").next().unwrap_or("").to_string());
        }
    }
    Some(out)
}

/// The top-level arguments of a call's argument text.
fn split_args(args: &str) -> Vec<&str> {
    let (mut depth, mut start, mut quote) = (0i32, 0usize, None::<char>);
    let mut out = Vec::new();
    for (i, ch) in args.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !args[start..].trim().is_empty() {
        out.push(&args[start..]);
    }
    out
}

/// The list views of one Python file whose queryset the text shows.
pub(crate) fn list_views(file: &str, text: &str) -> Vec<ListView> {
    static SERIALIZER: OnceLock<Regex> = OnceLock::new();
    static QUERYSET: OnceLock<Regex> = OnceLock::new();
    static GET_QS: OnceLock<Regex> = OnceLock::new();
    if !text.contains("serializer_class") {
        return Vec::new();
    }
    let serializer = re(
        &SERIALIZER,
        r"(?m)^[ \t]+serializer_class[ \t]*=[ \t]*([\w.]+)[ \t]*(?:#.*)?$",
    );
    let queryset = re(&QUERYSET, r"(?m)^[ \t]+queryset[ \t]*=");
    let get_qs = re(&GET_QS, r"(?m)^[ \t]+def[ \t]+get_queryset[ \t]*\(");
    let mut out = Vec::new();
    for (name, bases, class_line, body) in classes(text) {
        if !lists(bases) || body.contains("def get_serializer_class") {
            continue;
        }
        let Some(s) = serializer.captures(body) else {
            continue;
        };
        let own_get = get_qs.find(body);
        // the queryset that runs: the view's own get_queryset, or (on DRF's classes alone)
        // the one it declares; a get_queryset that starts from super()'s reads both
        let stock = bases.split(',').all(stock_base);
        let qs_text = match (own_get, queryset.find(body)) {
            (Some(g), q) => {
                let method = &body[g.start()..];
                let method_end = method[1..]
                    .find("\n    def ")
                    .or_else(|| method[1..].find("\n    @"))
                    .map_or(method.len(), |i| i + 1);
                let method = &method[..method_end];
                if method.contains("super(") {
                    if !stock {
                        continue;
                    }
                    let declared = q.map_or("", |q| statement_at(body, q.end()));
                    format!("{declared}\n{method}")
                } else {
                    method.to_string()
                }
            }
            (None, Some(q)) if stock => statement_at(body, q.end()).to_string(),
            _ => continue,
        };
        let Some(loaded) = loaded(&qs_text) else {
            continue;
        };
        let s_match = s.get(0).map_or(0, |m| m.start());
        out.push(ListView {
            name: name.to_string(),
            file: file.to_string(),
            line: class_line + body[..s_match].matches('\n').count() as u32,
            serializer: s[1].rsplit('.').next().unwrap_or("").to_string(),
            loaded,
        });
    }
    out
}

/// The text of the statement that starts at byte `at` of `body`: to the end of its line, and
/// on through the lines its open brackets carry over.
fn statement_at(body: &str, at: usize) -> &str {
    let mut depth = 0i32;
    for (i, ch) in body[at..].char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '\n' if depth <= 0 && !body[at..at + i].trim_end().ends_with('\\') => {
                return &body[at..at + i];
            }
            _ => {}
        }
    }
    &body[at..]
}

/// The relation a serializer field statement reads: the first part of its `source="a.b"`, or
/// else the field's own name (`customer = CustomerSerializer()`).
fn relation_of(statement: &str) -> Option<String> {
    static SOURCE: OnceLock<Regex> = OnceLock::new();
    let source = re(&SOURCE, r#"\bsource\s*=\s*["']([A-Za-z_]\w*)"#);
    if let Some(c) = source.captures(statement) {
        return Some(c[1].to_string());
    }
    let name = statement.split('=').next()?.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

/// The whole statement that starts on 1-based `line` of `text`: on through the lines its open
/// brackets carry over (`x = S(\n    source="a",\n)`).
fn statement_on_line(text: &str, line: u32) -> Option<&str> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line as usize - 2)?.0 + 1
    };
    let s = statement_at(text, start);
    Some(&s[..s.len().min(2000)])
}

/// Keeps the findings of [`RULE`] whose serializer a list view renders without loading one of
/// its relations, each down to the fields of those relations and naming the view; drops the
/// others. `classes[i]` is the class of `findings[i]` (the serializer); `text_of` gives a
/// file's text, to read each field's whole statement (its `source=` may be on a later line).
pub(crate) fn keep_unloaded<'v>(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
    views: impl IntoIterator<Item = &'v ListView>,
    text_of: &dyn Fn(&str) -> Option<String>,
) {
    if !findings.iter().any(|f| f.rule_id == RULE) {
        return;
    }
    let mut by_serializer: HashMap<&str, Vec<&ListView>> = HashMap::new();
    for v in views {
        by_serializer
            .entry(v.serializer.as_str())
            .or_default()
            .push(v);
    }
    let mut keep = Vec::with_capacity(findings.len());
    for (f, class) in findings.iter_mut().zip(classes.iter()) {
        if f.rule_id != RULE {
            keep.push(true);
            continue;
        }
        let rendered = class
            .as_deref()
            .and_then(|c| by_serializer.get(c))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let statements: Vec<Statement> = if f.statements.is_empty() {
            vec![Statement {
                line: f.line,
                column: f.column,
                text: f.snippet.lines().next().unwrap_or("").trim().to_string(),
            }]
        } else {
            f.statements.clone()
        };
        // each field's relation, read from its whole statement (unknown: not judged)
        let text = if rendered.is_empty() {
            None
        } else {
            text_of(&f.file)
        };
        let relation = |s: &Statement| {
            text.as_deref()
                .and_then(|t| statement_on_line(t, s.line))
                .and_then(relation_of)
        };
        // the first view (by file and line) that leaves a relation to the rows
        let mut views: Vec<&ListView> = rendered.to_vec();
        views.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        let found = views.iter().find_map(|v| {
            let unloaded: Vec<Statement> = statements
                .iter()
                .filter(|s| relation(s).is_some_and(|r| !v.loaded.contains(&r)))
                .cloned()
                .collect();
            (!unloaded.is_empty()).then_some((*v, unloaded))
        });
        let Some((view, unloaded)) = found else {
            keep.push(false);
            continue;
        };
        let mut names: Vec<String> = unloaded.iter().filter_map(&relation).collect();
        names.dedup();
        let first = &unloaded[0];
        f.line = first.line;
        f.column = first.column;
        f.snippet = first.text.clone();
        let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        f.message = match quoted.as_slice() {
            [one] => format!(
                "`{}` ({}:{}) lists rows with this serializer, and its queryset does not load {one} with them: a page of N rows runs N more queries",
                view.name, view.file, view.line
            ),
            many => format!(
                "`{}` ({}:{}) lists rows with this serializer, and its queryset loads none of {} with them: a page of N rows runs N more queries for each",
                view.name,
                view.file,
                view.line,
                many.join(", ")
            ),
        };
        f.statements = if unloaded.len() > 1 {
            unloaded
        } else {
            Vec::new()
        };
        keep.push(true);
    }
    let mut k = keep.iter();
    findings.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    classes.retain(|_| *k.next().unwrap_or(&true));
}

#[cfg(test)]
#[path = "drf_tests.rs"]
mod tests;
