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
//!   then `orders = orders.filter(…)`), read back to a `Model.objects` chain made of Django's
//!   own queryset methods (`read.rs`);
//! - what it loads: a relation any of those calls names in `select_related`,
//!   `prefetch_related` or `Prefetch` is loaded, as is every relation after `select_related()`
//!   with no argument; arguments the text does not spell (`select_related(*fields)`), a
//!   method of the project's own, or a default manager whose `get_queryset` loads relations
//!   leave the read unjudged, and it is dropped;
//! - the read itself, in the line's code (strings and comments blanked): not an assignment
//!   target, not after a `return` or `raise`, not of a relation the loop's body set before.
//!
//! A read is reported only when all of that is known: the model, its relation, and a
//! queryset that does not load it.

use crate::finding::{Context, Finding, Statement};
use std::collections::{HashMap, HashSet};

/// A regex compiled once per process.
macro_rules! rx {
    ($p:expr $(,)?) => {{
        static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        crate::runs::re(&CELL, $p)
    }};
}

pub(crate) mod admin;
mod read;
use read::{assignment_at, code_of, comprehension_over, has_word, loop_over, queryset, word_at};

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
    /// Those of them that are generic foreign keys (no join can load them).
    pub(crate) generic: Vec<String>,
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains("class ")
        || !(text.contains("odel") || text.contains("Key") || text.contains("get_queryset"))
    {
        return out;
    }
    let relation = rx!(
        r"^\s+([A-Za-z_]\w*)\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?(ForeignKey|OneToOneField|TreeForeignKey|ParentalKey|GenericForeignKey)\s*\(",
    );
    // `OrderQuerySet.as_manager()`, `OrderManager.from_queryset(QS)()`, then `OrderManager()`
    let made = rx!(
        r"^\s+objects\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?([A-Za-z_]\w*)\s*\.\s*(?:as_manager|from_queryset)\s*\("
    );
    let called = rx!(r"^\s+objects\s*(?::[^=\n]*)?=\s*(?:[\w.]*\.)?([A-Za-z_]\w*)\s*\(");
    for (name, bases, body) in classes(text) {
        // (the regexes only on lines that can match them: most of a test module's lines)
        let fields: Vec<(String, bool)> = body
            .lines()
            .filter(|l| l.contains("Key") || l.contains("OneToOneField"))
            .filter_map(|l| {
                relation
                    .captures(l)
                    .map(|c| (c[1].to_string(), &c[2] == "GenericForeignKey"))
            })
            .collect();
        let relations: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
        let generic: Vec<String> = fields
            .into_iter()
            .filter_map(|(n, g)| g.then_some(n))
            .collect();
        let manager = body.lines().find_map(|l| {
            if !l.trim_start().starts_with("objects") {
                return None;
            }
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
                generic,
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
        // inside a triple-quoted string, a line in the first column is text
        let mut in_string = false;
        for line in rest.split_inclusive('\n') {
            if at > 0 && !in_string {
                let first = line.chars().next().unwrap_or(' ');
                if !first.is_whitespace() && first != '#' && first != ')' {
                    end = at;
                    break;
                }
            }
            let quotes = line.matches("\"\"\"").count() + line.matches("\'\'\'").count();
            in_string ^= quotes % 2 == 1;
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

/// The relations the project's models declare, as a test of a file's text before it is
/// parsed: a finding of [`RULE`] is a read `row.relation` (a relation some model declares) on
/// a line of a loop, in a function that names `Model.objects`, so a file whose loops read
/// none of them cannot hold one. Necessary, never sufficient; built once the walk has read
/// every file's models.
pub(crate) struct Reads {
    /// `\w.relation\b` for every relation name; `None` when no model declares one.
    read: Option<regex::Regex>,
    /// The names are too many for one regex: every file may report.
    any: bool,
}

impl Reads {
    /// The reads of every relation `declared` names.
    pub(crate) fn new<'d>(declared: impl IntoIterator<Item = &'d Declared>) -> Reads {
        let mut names: Vec<&str> = declared
            .into_iter()
            .flat_map(|d| &d.models)
            .flat_map(|m| &m.relations)
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        let alt: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
        let read = (!names.is_empty())
            .then(|| regex::Regex::new(&format!(r"\w\.(?:{})\b", alt.join("|"))));
        match read {
            Some(Err(_)) => Reads {
                read: None,
                any: true,
            },
            read => Reads {
                read: read.and_then(Result::ok),
                any: false,
            },
        }
    }

    /// Whether `text` (a Python file) may hold a finding of [`RULE`]: it names `objects`, and
    /// the lines of its loops (`loops`: their byte ranges, `loop_text::loop_ranges`; the
    /// whole file when `None`) read a relation.
    pub(crate) fn may_report(&self, text: &str, loops: Option<&[(usize, usize)]>) -> bool {
        let Some(read) = &self.read else {
            return self.any;
        };
        if !text.contains("objects") {
            return false;
        }
        let Some(ranges) = loops else {
            return read.is_match(text);
        };
        let b = text.as_bytes();
        // each loop widened to whole lines: the read reported may be another one of the line
        ranges.iter().any(|&(s, e)| {
            let s = b[..s]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            let e = b[e..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |i| e + i);
            read.is_match(&text[s..e])
        })
    }
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

    /// Whether `field` is a generic foreign key of the model `name` or of a class it stands on.
    fn generic(&self, name: &str, field: &str) -> bool {
        let mut todo = vec![name];
        let mut seen = HashSet::new();
        while let Some(n) = todo.pop() {
            if seen.len() > 20 || !seen.insert(n) {
                continue;
            }
            for m in self.models.get(n).into_iter().flatten() {
                if m.generic.iter().any(|g| g == field) {
                    return true;
                }
                todo.extend(m.bases.iter().map(String::as_str));
            }
        }
        false
    }

    /// Whether `field` is a forward relation of the model `name` (or of a base, five levels
    /// up); `None` when no class of that name is known, when classes of that name disagree,
    /// or when the model's default manager loads relations in its own `get_queryset` (or
    /// inherits one that does).
    fn relation(&self, name: &str, field: &str) -> Option<bool> {
        let mut verdicts = self
            .models
            .get(name)?
            .iter()
            .map(|m| self.declares(m, field));
        let first = verdicts.next()?;
        verdicts.all(|v| v == first).then_some(first)?
    }

    /// Whether the class `m` (or one of its bases) declares the relation `field`; `None` when
    /// the manager of a class on the way loads relations.
    fn declares(&self, m: &Model, field: &str) -> Option<bool> {
        let mut seen = HashSet::new();
        let mut todo = vec![(m, 0)];
        let mut found = false;
        while let Some((m, depth)) = todo.pop() {
            if depth > 5 || !seen.insert(m as *const Model) {
                continue;
            }
            if m.manager.as_deref().is_some_and(|g| self.loading(g)) {
                return None;
            }
            found |= m.relations.iter().any(|r| r == field);
            for b in &m.bases {
                todo.extend(
                    self.models
                        .get(b.as_str())
                        .into_iter()
                        .flatten()
                        .map(|b| (*b, depth + 1)),
                );
            }
        }
        Some(found)
    }

    /// Whether the manager class `name`, or a class it inherits from, loads relations in its
    /// own `get_queryset`.
    fn loading(&self, name: &str) -> bool {
        let mut seen = HashSet::new();
        let mut todo = vec![(name, 0)];
        while let Some((n, depth)) = todo.pop() {
            if depth > 5 || !seen.insert(n) {
                continue;
            }
            if self.loading.contains(n) {
                return true;
            }
            for m in self.models.get(n).into_iter().flatten() {
                todo.extend(m.bases.iter().map(|b| (b.as_str(), depth + 1)));
            }
        }
        false
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
    crate::finding::judge_statements(findings, classes, RULE, text_of, false, |f, text| {
        let lines: Vec<&str> = text.lines().collect();
        // a row's relation is loaded once and then kept on the row: one statement per relation
        let mut shown = HashSet::new();
        f.statements_or_self()
            .iter()
            .filter_map(|s| first_unloaded(&index, &lines, s, f.context.as_ref()))
            .filter(|s| shown.insert(s.text.clone()))
            .collect()
    });
}

/// The first read of the loop variable of `s` (`order.customer`) on its line that loads a
/// relation its loop's queryset left to the rows (module doc), as the statement to show. A
/// rule matches once per line: the other reads of the line are judged here, in its code
/// (strings and comments blanked), leaving out assignment targets, reads after a `return`
/// or `raise`, a line that binds the name again in a comprehension, and reads of a relation
/// the loop's body sets (or of a name it rebinds) before the line. `context` is the loop's
/// (a `for` statement, or a comprehension that starts on that line).
fn first_unloaded(
    index: &Index<'_>,
    lines: &[&str],
    s: &Statement,
    context: Option<&Context>,
) -> Option<Statement> {
    let (var, _) = s.text.split_once('.')?;
    let row = (s.line as usize).checked_sub(1)?;
    let line = *lines.get(row)?;
    let code = code_of(line);
    let comprehension = context.filter(|c| {
        let t = c.text.trim_start();
        !(t.starts_with("for ") || t.starts_with("async for "))
    });
    let at = line
        .char_indices()
        .nth((s.column as usize).saturating_sub(1))
        .map_or(0, |(i, _)| i);
    // the loop; the reads of the line that run per row (`from..until`); the statements of
    // the loop's body before the line
    let (def_row, loop_row, walked, head, from, until, body, continues) = match comprehension {
        Some(c) => {
            let first = (c.line as usize).checked_sub(1)?;
            let (walked, def_row, span) = comprehension_over(lines, first, row, at, var)?;
            (
                def_row,
                first,
                walked,
                span.start,
                span.start,
                span.end,
                Vec::new(),
                true,
            )
        }
        None => {
            let l = loop_over(lines, row, var)?;
            let head = l.body_at.unwrap_or(0);
            if rx!(r"\bfor\s+(.*?)\s+in\b")
                .captures_iter(&code[head..])
                .any(|c| has_word(&c[1], var))
            {
                return None;
            }
            let (body, continues) = statements_before(lines, l.row, row);
            let from = if continues {
                0
            } else {
                assignment_at(&code[head..]).map_or(0, |eq| eq + 1)
            };
            let until = rx!(r"\b(?:return|raise)\b")
                .find(&code[head..])
                .map_or(code.len(), |m| head + m.start());
            (
                l.def_row,
                l.row,
                l.walked,
                head,
                head + from,
                until,
                body,
                continues,
            )
        }
    };
    let (model, chain) = queryset(lines, def_row, loop_row, &walked)?;
    let read = rx!(r"[A-Za-z_]\w*\.[A-Za-z_]\w*");
    read.find_iter(&code).find_map(|m| {
        let before = code[..m.start()].chars().next_back();
        let after = code[m.end()..].trim_start();
        let (v, field) = m.as_str().split_once('.')?;
        let unloaded = v == var
            && (from..until).contains(&m.start())
            && !before.is_some_and(|c| c == '.' || c.is_alphanumeric() || c == '_')
            && !after.starts_with('(')
            && index.relation(&model, field) == Some(true)
            && !chain.iter().any(|c| loads(c, field).is_none_or(|l| l))
            && !set_in_body(
                &body,
                // an assignment ending on the read's line stores after its value is read,
                // so only statements before a `;` count
                (!continues)
                    .then(|| code[head..m.start()].rsplit_once(';').map(|(h, _)| h))
                    .flatten(),
                var,
                field,
            );
        unloaded.then(|| Statement {
            line: s.line,
            column: line[..m.start()].chars().count() as u32 + 1,
            text: m.as_str().to_string(),
        })
    })
}

/// Whether the loop's body (`body`: the code of its statements before the read's line, and
/// `head`: the read's line up to it) rebinds `var` or sets its relation `field`
/// (`order.customer = …`, `setattr(order, …)`): the read then finds what the body put there.
fn set_in_body(body: &[String], head: Option<&str>, var: &str, field: &str) -> bool {
    let target = format!("{var}.{field}");
    let sets = |code: &str| {
        let setattr = code.contains("setattr(") && has_word(code, var);
        setattr
            || assignment_at(code).is_some_and(|eq| {
                let left = &code[..eq];
                // the relation, or the name itself as a target (not `order.x = …`)
                has_word(left, &target)
                    || left.match_indices(var).any(|(i, _)| {
                        word_at(left, i, var)
                            && !left[i + var.len()..].trim_start().starts_with('.')
                    })
            })
    };
    body.iter().any(|code| sets(code)) || head.is_some_and(sets)
}

/// The code of the lines after the loop's header `loop_row` and before line `row` that
/// start a statement, and whether line `row` continues an expression begun above it (a
/// bracket left open, or a line join).
fn statements_before(lines: &[&str], loop_row: usize, row: usize) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut open = 0i32;
    let mut joined = false;
    for l in lines.get(loop_row + 1..row).unwrap_or_default() {
        let code = code_of(l);
        let inside = open > 0 || joined;
        open += read::depth(&code);
        joined = code.trim_end().ends_with('\\');
        if !inside {
            out.push(code);
        }
    }
    (out, open > 0 || joined)
}

/// Whether the queryset method call `call` (`select_related("customer__country")`, as
/// [`read::queryset`] gives them) loads the relation `field`: `Some(true)` when it names it
/// (or, `select_related()`, follows every relation), `Some(false)` when it does not, `None`
/// when its arguments are not spelled out. A `Prefetch` with a `to_attr` loads another name.
fn loads(call: &str, field: &str) -> Option<bool> {
    let literal = rx!(r#"^[rbuRBU]*("([^"\\]*)"|'([^'\\]*)')$"#);
    let named = |a: &str| -> Option<bool> {
        let c = literal.captures(a.trim())?;
        let name = c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str());
        Some(name.split("__").next() == Some(field))
    };
    let (method, rest) = call.split_once('(')?;
    let args: Vec<String> = arguments(rest)
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .collect();
    match method.trim() {
        "select_related" if args.is_empty() => Some(true),
        "select_related" => args.iter().try_fold(false, |l, a| Some(l | named(a)?)),
        "prefetch_related" => args.iter().try_fold(false, |l, a| {
            let a = a.trim();
            let Some(inner) = a.strip_prefix("Prefetch") else {
                return Some(l | named(a)?);
            };
            let inner = inner.trim_start().strip_prefix('(')?;
            let parts = arguments(inner);
            if parts.iter().any(|p| p.trim_start().starts_with("to_attr")) {
                return Some(l);
            }
            Some(l | named(parts.first()?)?)
        }),
        _ => Some(false),
    }
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
mod tests;
