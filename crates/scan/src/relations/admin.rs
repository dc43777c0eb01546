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
use super::{classes, Declared, Index};
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

/// An admin class whose change list the text shows: its name, its model and the relations
/// the change list loads.
struct Admin {
    name: String,
    model: String,
    loaded: HashSet<String>,
}

/// Keeps the reads of `RULE` findings that load a relation the change list leaves to the
/// rows, names them and the admin in the message, and drops the others (module doc).
/// `declared` gives the project's models; `text_of` a file's text.
pub(crate) fn keep_unloaded<'d>(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
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
    crate::finding::judge_statements(findings, classes, RULE, text_of, false, |f, text| {
        let statements = f.statements_or_self();
        let Some(first) = statements.first() else {
            return Vec::new();
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some((def_row, _, _)) = column_above(&lines, first.line as usize) else {
            return Vec::new();
        };
        let Some(admin) = admin_around(text, &lines, def_row, &index) else {
            return Vec::new();
        };
        let kept: Vec<Statement> = statements
            .iter()
            .filter_map(|s| {
                let (_, _, row) = column_above(&lines, s.line as usize)?;
                unloaded_read(&index, &admin, &lines, s, &row)
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
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(lines.get(at)?);
    (0..=at).rev().find_map(|r| {
        let c = def.captures(lines[r])?;
        (c[1].len() < own || r == at).then(|| (r, c[2].to_string(), c[3].to_string()))
    })
}

/// The admin class around the method defined on row `def_row` of `text`, when its change
/// list can be read (module doc).
fn admin_around(text: &str, lines: &[&str], def_row: usize, index: &Index<'_>) -> Option<Admin> {
    let def_at: usize = lines[..def_row].iter().map(|l| l.len() + 1).sum();
    let (name, bases, body) = classes(text).into_iter().find(|(_, _, body)| {
        let start = body.as_ptr() as usize - text.as_ptr() as usize;
        start <= def_at && def_at < start + body.len()
    })?;
    if !bases.iter().all(|b| STOCK.contains(&b.as_str())) || bases.is_empty() {
        return None;
    }
    let head = text[..body.as_ptr() as usize - text.as_ptr() as usize]
        .rfind("class ")
        .unwrap_or(0);
    let model = model_of(text, &text[..head], &name)?;
    let mut loaded = HashSet::new();
    // `list_display` naming a relation of the model: Django joins every non-null foreign key
    if has_member(body, "get_list_display") || has_member(body, "get_list_select_related") {
        return None;
    }
    let shown = names_assigned(body, "list_display")??;
    if shown
        .iter()
        .any(|n| n.contains("__") || index.relation(&model, n) == Some(true))
    {
        return None;
    }
    match assigned(body, "list_select_related") {
        Some(v) if v.trim() == "True" => return None,
        Some(v) if v.trim() == "False" => {}
        Some(_) => loaded.extend(names_assigned(body, "list_select_related")??),
        None => {}
    }
    if let Some(q) = method_body(body, "get_queryset") {
        loaded.extend(loaded_by(&q)?);
    }
    Some(Admin {
        name,
        model,
        loaded: loaded
            .into_iter()
            .map(|n| n.split("__").next().unwrap_or("").to_string())
            .collect(),
    })
}

/// The model the admin `name` is registered for: `@admin.register(Order)` in the decorators
/// just above its class (`before` is the text up to the class line), else the file's one
/// `register(Order, OrderAdmin)`. None when it is registered for several models, or not
/// found.
fn model_of(text: &str, before: &str, name: &str) -> Option<String> {
    let decorated = rx!(r"@(?:[\w.]*\.)?register\(\s*([\w.]+)\s*(?:,\s*site\s*=[^)]*)?\)\s*$");
    for l in before
        .lines()
        .rev()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
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
    let models: HashSet<String> = called
        .captures_iter(text)
        .filter(|c| &c[2] == name)
        .map(|c| c[1].rsplit('.').next().unwrap_or("").to_string())
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

/// The text assigned to the attribute `name` of the class body, through the lines its
/// brackets carry over.
fn assigned(body: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = body.lines().collect();
    let head = rx!(r"^\s+([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*(.*)$");
    let r = lines.iter().rposition(|l| {
        head.captures(l)
            .is_some_and(|c| &c[1] == name && !c[2].starts_with('='))
    })?;
    let mut value = head.captures(lines[r])?[2].to_string();
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

/// The string literals assigned to `name` in the class body; `Some(None)` when the value
/// holds anything else (a name, a concatenation), `None` when it is not assigned.
fn names_assigned(body: &str, name: &str) -> Option<Option<Vec<String>>> {
    Some(literal_names(&assigned(body, name)?))
}

/// The string literals of a tuple or list (or one string); `None` when it holds anything else.
fn literal_names(value: &str) -> Option<Vec<String>> {
    let string = rx!(r#"^\s*[rbu]?("([^"\\]*)"|'([^'\\]*)')\s*$"#);
    // each line without its comment (names hold no `#`)
    let code: String = value
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let inner = code
        .trim()
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']', ','])
        .trim();
    let mut out = Vec::new();
    for item in inner.split(',').map(str::trim).filter(|s| !s.is_empty()) {
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

/// The relations a queryset's code loads by name: the string arguments of its
/// `select_related`, `prefetch_related` and `Prefetch` calls; `None` when one loads what the
/// text does not spell (no argument to `select_related`, or arguments that are not string
/// literals).
fn loaded_by(code: &str) -> Option<Vec<String>> {
    let call = rx!(r"\b(select_related|prefetch_related)\s*\(");
    let prefetch = rx!(r#"\bPrefetch\s*\(\s*(?:lookup\s*=\s*)?[rbu]?["']([^"']+)["']"#);
    let mut out = Vec::new();
    for c in call.captures_iter(code) {
        let open = c.get(0)?.end() - 1;
        let close = open + super::read::closing(&code[open..], 0)?;
        let args = code[open + 1..close].trim();
        if args.is_empty() {
            return None;
        }
        if c[1] == *"prefetch_related" && args.contains("Prefetch(") {
            out.extend(prefetch.captures_iter(args).map(|p| p[1].to_string()));
            continue;
        }
        out.extend(literal_names(args)?);
    }
    Some(out)
}

/// The first read on the line of `s` of the row parameter `row` (`obj.customer`) that loads
/// a relation of the admin's model the change list does not (module doc), as the statement to
/// show; in the line's code (strings and comments blanked), not a call of a method
/// (`obj.save()`), not an assignment target, not a key (`customer_id`) or a generic foreign key.
fn unloaded_read(
    index: &Index<'_>,
    admin: &Admin,
    lines: &[&str],
    s: &Statement,
    row: &str,
) -> Option<Statement> {
    let line = *lines.get((s.line as usize).checked_sub(1)?)?;
    let code = code_of(line);
    let read = rx!(r"\b([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)");
    read.captures_iter(&code).find_map(|c| {
        let whole = c.get(0)?;
        let rest = code[whole.end()..].trim_start();
        let attr = &c[2];
        let relation = &c[1] == row
            && word_at(&code, whole.start(), row)
            && !code[..whole.start()].trim_end().ends_with('.')
            && !rest.starts_with('(')
            && (!rest.starts_with('=') || rest.starts_with("=="))
            && attr != "content_object"
            && !admin.loaded.contains(attr)
            && index.relation(&admin.model, attr) == Some(true);
        relation.then(|| Statement {
            line: s.line,
            column: line[..whole.start()].chars().count() as u32 + 1,
            text: format!("{row}.{attr}"),
        })
    })
}

#[cfg(test)]
#[path = "admin_tests.rs"]
mod tests;
