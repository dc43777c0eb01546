//! Django admin change-list columns that read a relation of the row
//! (`py-relation-per-admin-row`). The admin calls a `list_display` method once per row of the
//! change list, and `obj.customer` there loads the row's customer unless the change list's
//! queryset joined it. The rule matches every `name.attr` read in such a method; this module
//! keeps the reads of the method's row parameter that load a forward relation of the admin's
//! model, as the project's models declare it, which neither `list_select_related` nor the
//! admin's own `get_queryset` loads, and drops the rest, from what the file's text shows:
//!
//! - the admin: the top-level class around the method, standing on Django's own admin classes
//!   only (a base of the project's own may load relations for it);
//! - its model: `@admin.register(Order)` on the class, or the file's one
//!   `register(Order, OrderAdmin)`;
//! - what the change list loads: everything when `list_select_related = True`, or when
//!   `list_display` names a relation of the model (Django then calls `select_related()`), else
//!   the names of `list_select_related` and of the `select_related`, `prefetch_related` and
//!   `Prefetch` calls of the admin's `get_queryset`; anything the text does not spell (a
//!   `list_display` built from names, a `get_list_display`, arguments that are not string
//!   literals) leaves the admin unjudged, and its findings are dropped.

use super::read::{code_of, word_at};
use super::{Declared, Index};
use crate::finding::{Finding, Statement};
use std::collections::{HashMap, HashSet};

/// The id of the rule whose findings this module keeps or drops.
pub(crate) const RULE: &str = "py-relation-per-admin-row";

/// Django's own admin classes (and those of widely used admin packages that load nothing of
/// their own) an admin may stand on.
const STOCK: &[&str] = &[
    "ModelAdmin",
    "GISModelAdmin",
    "GeoModelAdmin",
    "OSMGeoAdmin",
    "ImportExportModelAdmin",
    "ImportExportMixin",
    "ImportMixin",
    "ExportMixin",
    "ExportActionMixin",
    "ImportExportActionModelAdmin",
    "SimpleHistoryAdmin",
    "VersionAdmin",
    "GuardedModelAdmin",
    "object",
];

/// Calls a `get_queryset` may make and still say all it loads (besides Django's own queryset
/// methods): the base's `get_queryset`, the query expressions their arguments are made of,
/// and keywords a parenthesis may follow.
const QUERYSET_CALLS: &[&str] = &[
    "super", "if", "elif", "while", "return", "and", "or", "not", "in", "is", "Prefetch", "Q", "F",
    "Count", "Sum", "Max", "Min", "Avg", "Exists", "OuterRef", "Subquery", "Value", "Case", "When",
    "Coalesce", "Concat", "Cast",
];

/// An admin class whose change list the text shows.
struct Admin {
    /// The admin class.
    name: String,
    /// The model it is registered for.
    model: String,
    /// What the change list's queryset is made with: `list_select_related` as the
    /// `select_related(…)` call Django makes of it, and the `select_related(…)` and
    /// `prefetch_related(…)` calls of the admin's `get_queryset`.
    loads: Vec<String>,
}

impl Admin {
    /// Whether the change list loads the relation `field` with its rows; `None` when the text
    /// does not say.
    fn loads(&self, field: &str) -> Option<bool> {
        self.loads
            .iter()
            .try_fold(false, |l, call| Some(l | super::loads(call, field)?))
    }
}

/// A top-level class of a file: its name, the last names of its bases, and where its body is
/// (byte range).
type Class = (String, Vec<String>, std::ops::Range<usize>);

/// Keeps the reads of `RULE` findings that load a relation the change list leaves to the
/// rows, names them and the admin in the message, and drops the others (module doc).
/// `declared` gives the project's models; `text_of` a file's text.
pub(crate) fn keep_unloaded<'d>(
    findings: &mut Vec<Finding>,
    of_findings: &mut Vec<Option<String>>,
    declared: impl IntoIterator<Item = &'d Declared>,
    text_of: &dyn Fn(&str) -> Option<String>,
) {
    if !findings.iter().any(|f| f.rule_id == RULE) {
        return;
    }
    let index = Index::new(declared);
    // the admin, model and column of each kept finding, by its file and first kept line
    let mut named: HashMap<(String, u32), (String, String, Option<String>)> = HashMap::new();
    // a relation is loaded once per row and kept on it: the first read of it stands for every
    // read of the admin's columns (file, admin, relation)
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    // each file's classes, read once
    let mut by_file: HashMap<String, Vec<Class>> = HashMap::new();
    crate::finding::judge_statements(findings, of_findings, RULE, text_of, false, |f, text| {
        let statements = f.statements_or_self();
        let Some(first) = statements.first() else {
            return Vec::new();
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some((def_row, _, _)) = column_above(&lines, first.line as usize) else {
            return Vec::new();
        };
        let file_classes = by_file.entry(f.file.clone()).or_insert_with(|| {
            super::classes(text)
                .into_iter()
                .map(|(name, bases, body)| {
                    let at = body.as_ptr() as usize - text.as_ptr() as usize;
                    (name, bases, at..at + body.len())
                })
                .collect()
        });
        let def_at = lines[def_row].as_ptr() as usize - text.as_ptr() as usize;
        let Some(class) = file_classes.iter().find(|(_, _, r)| r.contains(&def_at)) else {
            return Vec::new();
        };
        let Some(admin) = admin_of(text, class, &index) else {
            return Vec::new();
        };
        let kept: Vec<Statement> = statements
            .iter()
            .flat_map(|s| {
                column_above(&lines, s.line as usize)
                    .map(|(_, _, row)| unloaded_reads(&index, &admin, &lines, s, &row))
                    .unwrap_or_default()
            })
            .filter(|s| {
                let relation = s.text.split_once('.').map_or("", |(_, r)| r);
                seen.insert((f.file.clone(), admin.name.clone(), relation.to_string()))
            })
            .collect();
        if let Some(k) = kept.first() {
            let column = column_above(&lines, k.line as usize).map(|(_, name, _)| name);
            named.insert((f.file.clone(), k.line), (admin.name, admin.model, column));
        }
        kept
    });
    for f in findings.iter_mut().filter(|f| f.rule_id == RULE) {
        let Some((admin, model, column)) = named.get(&(f.file.clone(), f.line)) else {
            continue;
        };
        // the finding stands where its first read is: in that column
        f.function.clone_from(column);
        let mut relations: Vec<String> = Vec::new();
        for s in f.statements_or_self() {
            let r = s.text.split_once('.').map_or(s.text.as_str(), |(_, r)| r);
            if !relations.iter().any(|x| x == r) {
                relations.push(r.to_string());
            }
        }
        let quoted: Vec<String> = relations.iter().map(|r| format!("`{r}`")).collect();
        f.message = match quoted.as_slice() {
            [one] => format!(
                "`{admin}` lists `{model}` rows, and a column reads {one} of each, which the change list does not load: a page of N rows runs N more queries"
            ),
            many => format!(
                "`{admin}` lists `{model}` rows, and its columns read {} of each, which the change list does not load: a page of N rows runs N more queries for each",
                many.join(", ")
            ),
        };
    }
}

/// The column method around 1-based `line`: the row of its `def NAME(self, row):`, its name
/// and the name of its row parameter.
fn column_above(lines: &[&str], line: usize) -> Option<(usize, String, String)> {
    let def = rx!(r"^(\s*)def\s+(\w+)\s*\(\s*self\s*,\s*([A-Za-z_]\w*)\s*\)");
    let at = line.checked_sub(1)?;
    let own = super::read::indent(lines.get(at)?);
    (0..=at).rev().find_map(|r| {
        let c = def.captures(lines[r])?;
        (c[1].len() < own || r == at).then(|| (r, c[2].to_string(), c[3].to_string()))
    })
}

/// The admin `class` of `text`, when its change list can be read (module doc).
fn admin_of(text: &str, (name, bases, body): &Class, index: &Index<'_>) -> Option<Admin> {
    if bases.is_empty() || !bases.iter().all(|b| STOCK.contains(&b.as_str())) {
        return None;
    }
    let head = text[..body.start].rfind("class ").unwrap_or(0);
    let model = model_of(text, &text[..head], name)?;
    let body = &text[body.clone()];
    // what is set or chosen at run time
    if [
        "get_list_display",
        "get_list_select_related",
        "get_changelist",
        "get_changelist_instance",
    ]
    .iter()
    .any(|m| has_member(body, m))
        || [
            "list_display +=",
            "self.list_display",
            "self.list_select_related",
            "list_select_related +=",
        ]
        .iter()
        .any(|t| body.contains(t))
    {
        return None;
    }
    // `list_select_related`: True joins every non-null foreign key; names (a tuple or a
    // list, an empty one joins nothing) are joined as `select_related(*names)`; False (the
    // default) leaves it to `list_display`
    let (set, select_related) = match assigned(body, "list_select_related") {
        Some(v) if v.trim() == "True" => return None,
        Some(v) if v.trim() == "False" => (false, None),
        Some(v) => {
            let names = bracketed(&v)?;
            let call = (!names.trim().is_empty()).then(|| format!("select_related({names})"));
            (true, call)
        }
        None => (false, None),
    };
    // `list_display` naming a relation of the model, when `list_select_related` is False:
    // Django joins every non-null foreign key
    let shown = literal_names(&assigned(body, "list_display")?)?;
    if !set
        && shown
            .iter()
            .any(|n| n.contains("__") || index.relation(&model, n) == Some(true))
    {
        return None;
    }
    let mut loads: Vec<String> = select_related.into_iter().collect();
    if let Some(q) = method_body(body, "get_queryset") {
        loads.extend(queryset_calls(&q)?);
    }
    Some(Admin {
        name: name.clone(),
        model,
        loads,
    })
}

/// The model the admin `name` is registered for: `@admin.register(Order)` in the decorators
/// just above its class (`before` is the text up to the class line), else the file's one
/// `register(Order, OrderAdmin)` in code (not in a comment or a string). None when it is
/// registered for several models, or not found.
fn model_of(text: &str, before: &str, name: &str) -> Option<String> {
    let decorated = rx!(r"^@(?:[\w.]*\.)?register\(\s*([\w.]+)\s*(?:,\s*site\s*=[^)]*)?\)$");
    for l in before.lines().rev() {
        let l = code_of(l);
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        if !l.starts_with('@') {
            break;
        }
        if let Some(c) = decorated.captures(l) {
            return Some(c[1].rsplit('.').next().unwrap_or("").to_string());
        }
        if l.contains("register(") {
            return None;
        }
    }
    let called = rx!(r"\bregister\(\s*([\w.]+)\s*,\s*(?:[\w.]*\.)?([A-Za-z_]\w*)\s*[,)]");
    let models: HashSet<String> = text
        .lines()
        .map(code_of)
        .flat_map(|l| {
            called
                .captures_iter(&l)
                .filter(|c| &c[2] == name)
                .map(|c| c[1].rsplit('.').next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    (models.len() == 1).then(|| models.into_iter().next())?
}

/// Whether the class body defines the method or attribute `name` at its own level.
fn has_member(body: &str, name: &str) -> bool {
    body.lines().any(|l| {
        let t = l.trim_start();
        t.strip_prefix("def ")
            .or_else(|| t.strip_prefix("async def "))
            .unwrap_or(t)
            .strip_prefix(name)
            .is_some_and(|r| r.trim_start().starts_with(['(', '=', ':']))
    })
}

/// The text assigned to the attribute `name` at the class body's own level (not in a method
/// or a nested class), through the lines its brackets carry over.
fn assigned(body: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = body.lines().collect();
    let level = lines
        .iter()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| super::read::indent(l))?;
    let head = rx!(r"^(\s+)([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*(.*)$");
    let r = lines.iter().rposition(|l| {
        head.captures(l)
            .is_some_and(|c| c[1].len() == level && &c[2] == name && !c[3].starts_with('='))
    })?;
    let mut value = head.captures(lines[r])?[3].to_string();
    let mut depth = super::read::depth(&code_of(&value));
    for l in &lines[r + 1..] {
        if depth <= 0 {
            break;
        }
        value.push('\n');
        value.push_str(l);
        depth += super::read::depth(&code_of(l));
    }
    Some(value)
}

/// The inside of a tuple or list value (`("a", "b")` → `"a", "b"`), its comments dropped;
/// `None` when the value is not one.
fn bracketed(value: &str) -> Option<String> {
    let code: Vec<&str> = value
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect();
    let v = code.join("\n");
    let v = v.trim();
    let inner = v
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .or_else(|| v.strip_prefix('[').and_then(|x| x.strip_suffix(']')))?;
    Some(inner.to_string())
}

/// The string literals of a tuple or list; `None` when it holds anything else.
fn literal_names(value: &str) -> Option<Vec<String>> {
    let string = rx!(r#"^[rbuRBU]*("([^"\\]*)"|'([^'\\]*)')$"#);
    let inner = bracketed(value)?;
    let mut out = Vec::new();
    for item in super::arguments(&inner) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let c = string.captures(item)?;
        out.push(c.get(2).or_else(|| c.get(3))?.as_str().to_string());
    }
    Some(out)
}

/// The body of the method `name` of the class body.
fn method_body(body: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = body.lines().collect();
    let def = rx!(r"^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(");
    let r = lines
        .iter()
        .position(|l| def.captures(l).is_some_and(|c| &c[2] == name))?;
    let own = def.captures(lines[r])?[1].len();
    let mut out = String::new();
    for l in &lines[r + 1..] {
        let t = l.trim_start();
        if !t.is_empty() && l.len() - t.len() <= own && !t.starts_with('#') && !t.starts_with(')') {
            break;
        }
        out.push_str(l);
        out.push('\n');
    }
    Some(out)
}

/// The `select_related(…)` and `prefetch_related(…)` calls of a `get_queryset` body, for
/// [`super::loads`]; `None` when it calls anything else than Django's own queryset methods
/// and query expressions (a method or helper of the project's own may load relations).
fn queryset_calls(body: &str) -> Option<Vec<String>> {
    let code: String = body.lines().map(code_of).collect::<Vec<_>>().join("\n");
    let call = rx!(r"(\.\s*)?\b([A-Za-z_]\w*)\s*\(");
    let mut out = Vec::new();
    for c in call.captures_iter(&code) {
        let name = &c[2];
        let method = c.get(1).is_some();
        let known = if method {
            crate::drf::QUERYSET_API.contains(&name) || name == "get_queryset"
        } else {
            QUERYSET_CALLS.contains(&name)
        };
        if !known {
            return None;
        }
        if method && matches!(name, "select_related" | "prefetch_related") {
            let open = c.get(0)?.end() - 1;
            let close = super::read::closing(&body[open..], 0)? + open;
            out.push(format!("{name}({})", &body[open + 1..close]));
        }
    }
    Some(out)
}

/// The reads on the line of `s` of the row parameter `row` (`obj.customer`) that load a
/// relation of the admin's model the change list does not (module doc), as statements to
/// show; in the line's code (strings and comments blanked), not a call of a method
/// (`obj.save()`), not an assignment target, not a key (`customer_id`) or a generic foreign
/// key (no join loads it).
fn unloaded_reads(
    index: &Index<'_>,
    admin: &Admin,
    lines: &[&str],
    s: &Statement,
    row: &str,
) -> Vec<Statement> {
    let Some(line) = (s.line as usize).checked_sub(1).and_then(|r| lines.get(r)) else {
        return Vec::new();
    };
    let code = code_of(line);
    let read = rx!(r"\b([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)");
    read.captures_iter(&code)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let rest = code[whole.end()..].trim_start();
            let attr = &c[2];
            let relation = &c[1] == row
                && word_at(&code, whole.start(), row)
                && !code[..whole.start()].trim_end().ends_with('.')
                && !rest.starts_with('(')
                && (!rest.starts_with('=') || rest.starts_with("=="))
                && index.relation(&admin.model, attr) == Some(true)
                && !index.generic(&admin.model, attr)
                && admin.loads(attr) == Some(false);
            relation.then(|| Statement {
                line: s.line,
                column: line[..whole.start()].chars().count() as u32 + 1,
                text: format!("{row}.{attr}"),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "admin_tests.rs"]
mod tests;
