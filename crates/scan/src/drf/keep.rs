//! Keeping the findings of [`RULE`] that a list view makes: each serializer field's relation,
//! read from its whole statement, against what the view's queryset loads.

use super::{defined_in, statement_at, ListView, RULE};
use crate::finding::{Confidence, Finding, Statement};
use crate::runs::re;
use crate::size::LoopSize;
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The relation a serializer field statement reads: the first part of its `source="a.b"`, or
/// else the field's own name (`customer = CustomerSerializer()`). None for a method of the row
/// (`source="get_signup_stats"`, or a field named so without a source, which DRF calls too):
/// what it reads, and whether the view's queryset loaded that, the text does not show.
pub(super) fn relation_of(statement: &str) -> Option<String> {
    static SOURCE: OnceLock<Regex> = OnceLock::new();
    let source = re(&SOURCE, r#"\bsource\s*=\s*["']([A-Za-z_]\w*)"#);
    let read = match source.captures(statement) {
        Some(c) => c[1].to_string(),
        None => {
            let name = statement.split('=').next()?.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return None;
            }
            name.to_string()
        }
    };
    (!read.starts_with("get_")).then_some(read)
}

/// The whole statement that starts on 1-based `line` of `text`: on through the lines its open
/// brackets carry over (`x = S(\n    source="a",\n)`).
pub(super) fn statement_on_line(text: &str, line: u32) -> Option<&str> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line as usize - 2)?.0 + 1
    };
    let s = statement_at(text, start);
    let mut end = s.len().min(2000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(&s[..end])
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
        let rendered: Vec<&ListView> = class
            .as_deref()
            .and_then(|c| by_serializer.get(c))
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|v| defined_in(&f.file, &v.serializer_module))
            .collect();
        let statements = f.statements_or_self();
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
        // the first view that leaves a relation to the rows: views over a table's rows
        // first, then by file and line
        let mut views: Vec<&ListView> = rendered.clone();
        views.sort_by(|a, b| {
            let key = |v: &ListView| (v.size != LoopSize::Data, v.file.clone(), v.line);
            key(a).cmp(&key(b))
        });
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
        let mut names: Vec<String> = Vec::new();
        for n in unloaded.iter().filter_map(&relation) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let snippet = unloaded[0].text.clone();
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
        // the first unloaded field is the finding's location (its end too), the others listed
        f.keep_statements(unloaded);
        f.snippet = snippet;
        // the list is the loop: a page of a table's rows, or rows the names do not size
        if let Some(c) = f.context.as_mut() {
            c.size = Some(view.size);
            c.size_name = view.model.clone();
        }
        if view.size == LoopSize::Unknown {
            f.confidence = Confidence::Low;
        }
        keep.push(true);
    }
    let mut k = keep.iter();
    findings.retain(|_| *k.next().unwrap_or(&true));
    let mut k = keep.iter();
    classes.retain(|_| *k.next().unwrap_or(&true));
}
