//! Django's forward relations read per row (`py-relation-per-row`). The rule matches every
//! `x.attr` read on the loop variable of a loop over a queryset, or over a name the function
//! may bind to one; this module keeps the reads that load a relation the queryset left to the
//! rows, and drops the rest, from what the project's text shows (no parse):
//!
//! - the models: top-level classes whose body declares `name = models.ForeignKey(…)`,
//!   `OneToOneField`, `TreeForeignKey`, `ParentalKey` or `GenericForeignKey` (a model's
//!   relations include those of the classes it names as bases, found by name);
//! - the queryset the loop walks: the loop's own expression (`Order.objects.filter(…)`), or the
//!   name's assignments before the loop in the same function (`orders = Order.objects.all()`,
//!   then `orders = orders.filter(…)`), read back to a `Model.objects` chain;
//! - what it loads: a relation any of those expressions names in `select_related`,
//!   `prefetch_related` or `Prefetch` is loaded, as is every relation after `select_related()`
//!   with no argument; arguments the text does not spell (`select_related(*fields)`) or a
//!   default manager whose own `get_queryset` loads relations leave the read unjudged, and it
//!   is dropped.
//!
//! A read is reported only when all of that is known: the model, its relation, and a
//! queryset that does not load it.

use crate::finding::{Finding, Statement};
use crate::runs::re;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A regex compiled once per process.
macro_rules! rx {
    ($p:expr $(,)?) => {{
        static CELL: OnceLock<Regex> = OnceLock::new();
        re(&CELL, $p)
    }};
}

/// The id of the rule whose findings this module keeps or drops.
pub(crate) const RULE: &str = "py-relation-per-row";

/// A model class of a file, as its text declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Model {
    /// The class name.
    pub(crate) name: String,
    /// The last names of its bases (`models.Model` → Model).
    pub(crate) bases: Vec<String>,
    /// Its forward relations: ForeignKey, OneToOneField, GenericForeignKey fields.
    pub(crate) relations: Vec<String>,
    /// The class its `objects` manager is made from (`objects = OrderManager()`,
    /// `OrderQuerySet.as_manager()`), when the body names one.
    pub(crate) manager: Option<String>,
}

/// What one Python file declares: its model classes, and its classes whose own
/// `get_queryset` loads relations (managers that join or prefetch by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Declared {
    pub(crate) models: Vec<Model>,
    pub(crate) loading: Vec<String>,
}

/// The models and loading managers of the file `text` (Python).
pub(crate) fn declared(text: &str) -> Declared {
    let mut out = Declared::default();
    if !text.contains("class ")
        || !(text.contains("odel") || text.contains("Key") || text.contains("get_queryset"))
    {
        return out;
    }
    let relation = rx!(
        r"^\s+([A-Za-z_]\w*)\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?(?:ForeignKey|OneToOneField|TreeForeignKey|ParentalKey|GenericForeignKey)\s*\(",
    );
    // `OrderQuerySet.as_manager()`, `OrderManager.from_queryset(QS)()`, then `OrderManager()`
    let made = rx!(
        r"^\s+objects\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?([A-Za-z_]\w*)\s*\.\s*(?:as_manager|from_queryset)\s*\("
    );
    let called = rx!(r"^\s+objects\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?([A-Za-z_]\w*)\s*\(");
    for (name, bases, body) in classes(text) {
        let relations: Vec<String> = body
            .lines()
            .filter_map(|l| relation.captures(l).map(|c| c[1].to_string()))
            .collect();
        let manager = body.lines().find_map(|l| {
            made.captures(l)
                .or_else(|| called.captures(l))
                .map(|c| c[1].to_string())
        });
        if body.contains("def get_queryset")
            && (body.contains("select_related(") || body.contains("prefetch_related("))
        {
            out.loading.push(name.clone());
        }
        if !relations.is_empty() || manager.is_some() || bases.iter().any(|b| b != "object") {
            out.models.push(Model {
                name,
                bases,
                relations,
                manager,
            });
        }
    }
    out
}

/// The top-level classes of `text`: name, the last names of the bases, and the body's text.
fn classes(text: &str) -> Vec<(String, Vec<String>, &str)> {
    let head = rx!(r"(?m)^class[ \t]+([A-Za-z_]\w*)[ \t]*(\(([^)]*)\))?[ \t]*:");
    let starts: Vec<_> = head.captures_iter(text).collect();
    let mut out = Vec::new();
    for c in &starts {
        let whole = c.get(0).expect("match");
        let body_start = whole.end();
        // the body ends at the next line that starts in the first column with code
        let rest = &text[body_start..];
        let mut end = rest.len();
        let mut at = 0;
        for line in rest.split_inclusive('\n') {
            if at > 0 {
                let first = line.chars().next().unwrap_or(' ');
                if !first.is_whitespace() && first != '#' && first != ')' {
                    end = at;
                    break;
                }
            }
            at += line.len();
        }
        let bases = c
            .get(3)
            .map(|b| {
                b.as_str()
                    .split(',')
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty() && !s.contains('='))
                    .map(|s| s.rsplit('.').next().unwrap_or(s).to_string())
                    .collect()
            })
            .unwrap_or_default();
        out.push((c[1].to_string(), bases, &rest[..end]));
    }
    out
}

/// The project's models by name, with the loading managers.
struct Index<'d> {
    models: HashMap<&'d str, Vec<&'d Model>>,
    loading: HashSet<&'d str>,
}

impl<'d> Index<'d> {
    fn new(all: impl IntoIterator<Item = &'d Declared>) -> Self {
        let mut models: HashMap<&str, Vec<&Model>> = HashMap::new();
        let mut loading = HashSet::new();
        for d in all {
            for m in &d.models {
                models.entry(m.name.as_str()).or_default().push(m);
            }
            loading.extend(d.loading.iter().map(String::as_str));
        }
        Index { models, loading }
    }

    /// Whether `field` is a forward relation of the model `name` (or of a base, five levels
    /// up); `None` when a class of that name loads relations in its default manager, or no
    /// class of the name is known.
    fn relation(&self, name: &str, field: &str) -> Option<bool> {
        let mut seen = HashSet::new();
        let mut todo = vec![(name, 0)];
        let mut known = false;
        let mut found = false;
        while let Some((n, depth)) = todo.pop() {
            if depth > 5 || !seen.insert(n) {
                continue;
            }
            for m in self.models.get(n).into_iter().flatten() {
                known = true;
                if m.manager
                    .as_deref()
                    .is_some_and(|g| self.loading.contains(g))
                {
                    return None;
                }
                found |= m.relations.iter().any(|r| r == field);
                todo.extend(m.bases.iter().map(|b| (b.as_str(), depth + 1)));
            }
        }
        known.then_some(found)
    }
}

/// Keeps the reads of `RULE` findings that load a relation the loop's queryset did not;
/// drops the others, and a finding with none left. `text_of` gives a file's text.
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
    let mut keep = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        if f.rule_id != RULE {
            keep.push(true);
            continue;
        }
        let Some(text) = text_of(&f.file) else {
            keep.push(false);
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let statements = f.statements_or_self();
        // a row's relation is loaded once and then kept on the row: one statement per relation
        let mut shown = HashSet::new();
        let kept: Vec<Statement> = statements
            .iter()
            .filter_map(|s| first_unloaded(&index, &lines, s))
            .filter(|s| shown.insert(s.text.clone()))
            .collect();
        if kept.is_empty() {
            keep.push(false);
            continue;
        }
        let first = &kept[0];
        if (first.line, first.column) != (f.line, f.column) {
            f.line = first.line;
            f.column = first.column;
            f.end_line = first.line;
            f.end_column = first.column + first.text.chars().count() as u32;
            f.snippet = first.text.clone();
        }
        f.statements = if kept.len() > 1 { kept } else { Vec::new() };
        keep.push(true);
    }
    let mut it = keep.iter();
    findings.retain(|_| *it.next().expect("one flag per finding"));
    let mut it = keep.iter();
    classes.retain(|_| *it.next().expect("one flag per finding"));
}

/// The first read of the loop variable of `s` (`order.customer`) on its line that loads a
/// relation its loop's queryset left to the rows (module doc), as the statement to show. A
/// rule matches once per line: the other reads of the line are judged here.
fn first_unloaded(index: &Index<'_>, lines: &[&str], s: &Statement) -> Option<Statement> {
    let (var, _) = s.text.split_once('.')?;
    let row = (s.line as usize).checked_sub(1)?;
    let line = *lines.get(row)?;
    let (loop_row, walked) = loop_over(lines, row, var)?;
    let (model, chain) = queryset(lines, loop_row, &walked)?;
    let read = rx!(r"[A-Za-z_]\w*\.[A-Za-z_]\w*");
    read.find_iter(line).find_map(|m| {
        let before = line[..m.start()].chars().next_back();
        let after = line[m.end()..].trim_start();
        let (v, field) = m.as_str().split_once('.')?;
        let unloaded = v == var
            && !before.is_some_and(|c| c == '.' || c.is_alphanumeric() || c == '_')
            && !after.starts_with('(')
            && (!after.starts_with('=') || after.starts_with("=="))
            && index.relation(&model, field) == Some(true)
            && !chain.iter().any(|c| loads(c, field).is_none_or(|l| l));
        unloaded.then(|| Statement {
            line: s.line,
            column: line[..m.start()].chars().count() as u32 + 1,
            text: m.as_str().to_string(),
        })
    })
}

/// The `for var in …` loop around line `row` (0-based): its line and its iterable's text.
fn loop_over(lines: &[&str], row: usize, var: &str) -> Option<(usize, String)> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let at = *lines.get(row)?;
    let mut limit = indent(at);
    let head = rx!(r"^\s*for\s+([A-Za-z_]\w*)\s+in\s+(.*)$");
    for r in (0..row).rev() {
        let l = lines[r];
        if l.trim().is_empty() || indent(l) >= limit {
            continue;
        }
        limit = indent(l);
        if l.trim_start().starts_with("def ") || l.trim_start().starts_with("async def ") {
            return None;
        }
        if let Some(c) = head.captures(l) {
            if &c[1] == var {
                let expr = continued(lines, r, &c[2]);
                let expr = expr.trim_end_matches(':').trim().to_string();
                return Some((r, expr));
            }
        }
    }
    None
}

/// `start`, the text of line `row` from some point, with the lines after it that close its
/// open brackets (at most twenty), trimmed.
fn continued(lines: &[&str], row: usize, start: &str) -> String {
    let mut s = start.to_string();
    let mut next = row + 1;
    while depth(&s) > 0 && next < lines.len() && next < row + 20 {
        s.push(' ');
        s.push_str(lines[next].trim());
        next += 1;
    }
    s.trim().to_string()
}

/// Open brackets in `s` (strings not told apart: the expressions read are queryset chains).
fn depth(s: &str) -> i32 {
    s.chars().fold(0, |d, c| match c {
        '(' | '[' | '{' => d + 1,
        ')' | ']' | '}' => d - 1,
        _ => d,
    })
}

/// The model of the queryset `expr` walks, read back through the assignments before line
/// `row` in its function, with every expression read on the way.
fn queryset(lines: &[&str], row: usize, expr: &str) -> Option<(String, Vec<String>)> {
    let model = rx!(r"^([A-Z]\w*)\s*\.\s*(?:objects|_default_manager|_base_manager)\b");
    let name = rx!(r"^([a-z_]\w*)\b");
    let wrap = rx!(r"^(?:list|tuple|sorted|reversed)\s*\(");
    let mut chain = vec![expr.to_string()];
    let mut cur = expr.trim().to_string();
    let mut before = row;
    for _ in 0..8 {
        while let Some(m) = wrap.find(&cur) {
            cur = cur[m.end()..].trim().to_string();
        }
        if let Some(c) = model.captures(&cur) {
            return Some((c[1].to_string(), chain));
        }
        let n = name.captures(&cur)?[1].to_string();
        if n == "self" || n == "cls" {
            return None;
        }
        let (at, rhs) = assignment(lines, before, &n)?;
        chain.push(rhs.clone());
        cur = rhs;
        before = at;
    }
    None
}

/// The nearest assignment `name = …` above line `row` in the same function: its line and
/// right-hand side (continued over open brackets).
fn assignment(lines: &[&str], row: usize, name: &str) -> Option<(usize, String)> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let at = lines.get(row)?;
    let assign = rx!(r"^\s*([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*([^=].*)$");
    let floor = indent(at);
    for r in (0..row).rev() {
        let l = lines[r];
        let t = l.trim_start();
        if (t.starts_with("def ") || t.starts_with("async def ")) && indent(l) < floor {
            return None;
        }
        if let Some(c) = assign.captures(l) {
            if &c[1] == name {
                return Some((r, continued(lines, r, &c[2])));
            }
        }
    }
    None
}

/// Whether the queryset expression `expr` loads the relation `field`: `Some(true)` when it
/// names it (or follows every relation), `Some(false)` when it does not, `None` when its
/// arguments are not spelled out.
fn loads(expr: &str, field: &str) -> Option<bool> {
    if rx!(r"\bselect_related\s*\(\s*\)").is_match(expr) {
        return Some(true);
    }
    let call = rx!(r"\b(?:select_related|prefetch_related|Prefetch)\s*\(");
    let literal = rx!(r#"^[rbuRBU]*("([^"\\]*)"|'([^'\\]*)')$"#);
    let mut loaded = false;
    for m in call.find_iter(expr) {
        let args = arguments(&expr[m.end()..]);
        let is_prefetch = m.as_str().starts_with("Prefetch");
        for (i, a) in args.iter().enumerate() {
            let a = a.trim();
            if a.is_empty() || (is_prefetch && i > 0) {
                continue;
            }
            if a.contains('=') && is_prefetch {
                continue;
            }
            if a.starts_with("Prefetch") {
                // judged by its own match
                continue;
            }
            let c = literal.captures(a)?;
            let name = c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str());
            let first = name.split("__").next().unwrap_or("");
            loaded |= first == field;
        }
    }
    Some(loaded)
}

/// The top-level arguments of a call whose text starts after its `(`.
fn arguments(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut d = 0;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            '(' | '[' | '{' => {
                d += 1;
                cur.push(c);
            }
            ')' | ']' | '}' if d == 0 => break,
            ')' | ']' | '}' => {
                d -= 1;
                cur.push(c);
            }
            ',' if d == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
#[path = "relations_tests.rs"]
mod tests;
