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

use crate::runs::re;
use crate::size::LoopSize;
use regex::Regex;
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
    /// Where the serializer class is defined, as the view's file imports it: the path of its
    /// module without `.py` (`shop/api/serializers`), or the view's own file when it imports
    /// no such name (the class is its own).
    pub(crate) serializer_module: String,
    /// The relations its queryset loads with the rows: the first part of each name given to
    /// `select_related`, `prefetch_related` or `Prefetch` (`"customer__country"` → customer).
    pub(crate) loaded: Vec<String>,
    /// How many rows it lists, by its queryset: a table's rows (`Order.objects.filter(…)`),
    /// or, when every source is the children of one object (`order.refunds.all()`,
    /// `Integration.objects.filter(project=self.project)`) or a call the text does not show
    /// (a helper, a custom queryset method named for loading), not known.
    pub(crate) size: LoopSize,
    /// The model whose rows it lists, when the text names it.
    pub(crate) model: Option<String>,
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

/// Whether `base` (`generics.ListAPIView`, `ListModelMixin`) is imported from DRF by the file
/// `text`: an application may name its own classes as DRF does (`from app.api import generics`).
fn from_drf(base: &str, text: &str) -> bool {
    static FROM: OnceLock<Regex> = OnceLock::new();
    let base = base.trim();
    if base == "object" {
        return true;
    }
    if base.starts_with("rest_framework.") {
        return true;
    }
    let (module, name) = match base.rsplit_once('.') {
        Some((m, n)) => (Some(m.rsplit('.').next().unwrap_or(m)), n),
        None => (None, base),
    };
    let wanted = module.unwrap_or(name);
    // `from rest_framework import generics, viewsets`, `from rest_framework.generics import (
    // ListAPIView, …)`
    let from = re(
        &FROM,
        r"(?m)^from[ \t]+rest_framework(?:\.\w+)*[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)",
    );
    from.captures_iter(text)
        .any(|c| imported_names(&c[1]).any(|(n, _)| n == wanted))
}

/// The base classes of a class header's parenthesis: comments, keywords (`metaclass=…`) and
/// a trailing comma left out.
fn base_names(bases: &str) -> impl Iterator<Item = &str> {
    bases
        .lines()
        .flat_map(|l| l.split('#').next().unwrap_or("").split(','))
        .map(str::trim)
        .filter(|b| !b.is_empty() && !b.contains('='))
}

/// The block that starts with the line holding byte `at` of `body` (a `def` and its body): up
/// to the next line, not blank and not a comment, indented no deeper than its first.
pub(crate) fn block(body: &str, at: usize) -> &str {
    let start = body[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let first = &body[start..];
    let own = indent(first);
    let mut end = body.len();
    let mut offset = start + first.find('\n').map_or(first.len(), |i| i + 1);
    for line in body[offset..].split_inclusive('\n') {
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') && indent(line) <= own {
            // a line that continues an open bracket of the def's own line is not the end
            end = offset;
            break;
        }
        offset += line.len();
    }
    &body[start..end]
}

/// The names of an import's list (`a, b as c`, or a parenthesised list over several lines with
/// comments and a trailing comma): (name it is bound to, imported name).
fn imported_names(list: &str) -> impl Iterator<Item = (&str, &str)> {
    list.lines()
        .flat_map(|l| l.split('#').next().unwrap_or("").split(','))
        .filter_map(|n| {
            let n = n
                .trim()
                .trim_matches(|ch: char| ch == '(' || ch == ')')
                .trim();
            let mut w = n.split_whitespace();
            let first = w.next()?;
            Some(match (w.next(), w.next()) {
                (Some("as"), Some(alias)) => (alias, first),
                _ => (first, first),
            })
        })
}

/// Whether the bases give the view a list action.
fn lists(bases: &str) -> bool {
    base_names(bases).any(|b| {
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
    // a byte-order mark would hide a first line's import from the line-anchored regexes
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // statements of the class body itself (one level in), not of its methods
    let serializer = re(
        &SERIALIZER,
        r"(?m)^(?: {4}|\t)serializer_class[ \t]*=[ \t]*([\w.]+)[ \t]*(?:#[^\n]*)?\r?$",
    );
    let queryset = re(&QUERYSET, r"(?m)^(?: {4}|\t)queryset[ \t]*=");
    let get_qs = re(&GET_QS, r"(?m)^(?: {4}|\t)def[ \t]+get_queryset[ \t]*\(");
    let mut out = Vec::new();
    for (name, bases, class_line, body) in classes(text) {
        if !lists(bases) || body.contains("def get_serializer_class") {
            continue;
        }
        let Some(s) = serializer.captures(body) else {
            continue;
        };
        // a view that lists in code of its own says nothing of its queryset's relations
        if body.contains("def list(") || body.contains("setup_eager_loading") {
            continue;
        }
        // DRF's own classes alone, unless the view's own get_queryset builds what is listed:
        // an application's base class may load relations in code this view does not show
        let stock = base_names(bases).all(|b| stock_base(b) && from_drf(b, text));
        // the queryset that runs: the view's own get_queryset, or the one it declares; a
        // get_queryset that starts from super()'s or self.queryset reads both
        let declared = queryset
            .find(body)
            .map_or("", |q| statement_at(body, q.end()));
        let mut method_text = None;
        let qs_text = match get_qs.find(body) {
            Some(g) => {
                let method = block(body, g.start());
                method_text = Some(method);
                if method.contains("super(") || method.contains("self.queryset") {
                    if !stock {
                        continue;
                    }
                    format!("{declared}\n{method}")
                } else {
                    method.to_string()
                }
            }
            None if stock && !declared.is_empty() => declared.to_string(),
            None => continue,
        };
        let Some(loaded) = loaded(&qs_text) else {
            continue;
        };
        let s_match = s.get(0).map_or(0, |m| m.start());
        let (size, model) = rows_returned(declared, method_text);
        let Some(serializer_module) = module_of(&s[1], file, text) else {
            continue;
        };
        out.push(ListView {
            name: name.to_string(),
            file: file.to_string(),
            line: class_line + body[..s_match].matches('\n').count() as u32,
            serializer: s[1].rsplit('.').next().unwrap_or("").to_string(),
            serializer_module,
            loaded,
            size,
            model,
        });
    }
    out
}

/// Django's own queryset methods: a chain of these lists the rows its filters select and loads
/// no relation the text does not show.
pub(crate) const QUERYSET_API: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "distinct",
    "annotate",
    "alias",
    "only",
    "defer",
    "using",
    "none",
    "reverse",
    "select_related",
    "prefetch_related",
    "extra",
    "union",
    "intersection",
    "difference",
    "select_for_update",
];

/// How many rows the queryset chain at the start of `expr` lists (`Order.objects.filter(…)`,
/// `models.Order.objects.all()`, or through another manager of the model when the chain goes
/// on with Django's own methods: `Member.all_objects.all()`), and its model; `None` when
/// `expr` does not start with one.
fn chain_rows(expr: &str) -> Option<(LoopSize, String)> {
    static CHAIN: OnceLock<Regex> = OnceLock::new();
    static METHOD: OnceLock<Regex> = OnceLock::new();
    static ONE_PARENT: OnceLock<Regex> = OnceLock::new();
    // `Order.objects` (or another manager) and the calls chained on it (arguments one bracket
    // level deep)
    let chain = re(
        &CHAIN,
        r"^\(?\s*(?:\w+\.)*?([A-Z]\w*)\.([a-z_]\w*)((?:\s*\.\s*\w+\s*\([^()]*(?:\([^()]*(?:\([^()]*\)[^()]*)*\)[^()]*)*\))*)",
    );
    let method = re(&METHOD, r"\.\s*(\w+)\s*\(");
    // `.filter(project=self.project)`: every keyword a plain field (no `__`) given one object
    let one_parent = re(
        &ONE_PARENT,
        r"^\.\s*filter\s*\(\s*[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*\s*=\s*(?:self|request)\.[\w.]*\s*(?:,\s*[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*\s*=\s*(?:self|request)\.[\w.]*\s*)*,?\s*\)",
    );
    let m = chain.captures(expr.trim_start())?;
    let model = m[1].to_string();
    let calls = m.get(3).map_or("", |c| c.as_str());
    // a name other than `objects` is a manager only when Django's own methods follow it
    if &m[2] != "objects"
        && !method
            .captures(calls)
            .is_some_and(|c| QUERYSET_API.contains(&&c[1]) && &c[1] != "none")
    {
        return None;
    }
    // a custom method named for loading may join or prefetch what the text does not show
    let loads = method.captures_iter(calls).any(|c| {
        let name = &c[1];
        !QUERYSET_API.contains(&name)
            && (name.contains("prefetch")
                || name.contains("select")
                || name.starts_with("with_")
                || name.contains("load"))
    });
    // `.none()` lists nothing: a placeholder for a `get_queryset` that builds the real one
    let empty = method.captures_iter(calls).any(|c| &c[1] == "none");
    Some(
        if loads || empty || one_parent.is_match(calls.trim_start()) {
            (LoopSize::Unknown, model)
        } else {
            (LoopSize::Data, model)
        },
    )
}

/// How many rows a list view lists (see [`ListView::size`]): what its own `get_queryset`
/// returns (a chain on a model's manager, a variable assigned one, or `super()`'s, the declared
/// `queryset`), else the declared `queryset`.
fn rows_returned(declared: &str, method: Option<&str>) -> (LoopSize, Option<String>) {
    static RETURN: OnceLock<Regex> = OnceLock::new();
    let Some(method) = method else {
        return chain_rows(declared).map_or((LoopSize::Unknown, None), |(s, m)| (s, Some(m)));
    };
    let ret = re(&RETURN, r"(?m)^[ \t]+return[ \t]+");
    let mut model = None;
    for r in ret.find_iter(method) {
        let expr = statement_at(method, r.end());
        if let Some((size, m)) = expr_rows(expr, method, declared, 0) {
            if size == LoopSize::Data {
                return (size, Some(m));
            }
            model.get_or_insert(m);
        }
    }
    (LoopSize::Unknown, model)
}

/// The rows of a returned expression: a chain on a model's manager, `super()`'s queryset (the
/// declared one), or a variable assigned one of those in the method (followed twice).
fn expr_rows(expr: &str, method: &str, declared: &str, depth: u8) -> Option<(LoopSize, String)> {
    let e = expr.trim_start().trim_start_matches('(').trim_start();
    if e.starts_with("super()") || e.starts_with("self.queryset") {
        return chain_rows(declared);
    }
    if let Some(r) = chain_rows(e) {
        return Some(r);
    }
    let name: String = e
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || depth >= 2 || name == "self" {
        return None;
    }
    // `qs = Order.objects.filter(…)`, not the refinements `qs = qs.filter(…)`
    let mut best = None;
    let mut offset = 0;
    for line in method.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let t = line.trim_start();
        let Some(value) = t
            .strip_prefix(name.as_str())
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        else {
            continue;
        };
        if value.starts_with('=') || value.trim_start().starts_with(name.as_str()) {
            continue;
        }
        let at = line_start + line.len() - value.len();
        if let Some(r) = expr_rows(statement_at(method, at), method, declared, depth + 1) {
            if r.0 == LoopSize::Data {
                return Some(r);
            }
            best.get_or_insert(r);
        }
    }
    best
}

/// The module a view's file imports serializer `name` (`OrderSerializer`,
/// `serializers.OrderSerializer`) from, as a path without `.py`; the view's own file when it
/// imports no such name; `None` when a star import may bring it.
pub(crate) fn module_of(name: &str, file: &str, text: &str) -> Option<String> {
    static FROM: OnceLock<Regex> = OnceLock::new();
    let (qualifier, class) = match name.rsplit_once('.') {
        Some((q, c)) => (Some(q), c),
        None => (None, name),
    };
    let wanted = qualifier.map_or(class, |q| q.rsplit('.').next().unwrap_or(q));
    let from = re(
        &FROM,
        r"(?m)^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)",
    );
    let own_dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let mut starred = false;
    // the last import of the name binds it
    let mut found = None;
    for c in from.captures_iter(text) {
        if c[2].trim() == "*" {
            starred = true;
            continue;
        }
        let Some(imported) = imported_names(c.get(2).map_or("", |m| m.as_str()))
            .find(|(bound, _)| *bound == wanted)
            .map(|(_, name)| name)
        else {
            continue;
        };
        let module = &c[1];
        let dots = module.len() - module.trim_start_matches('.').len();
        let rest = module.trim_start_matches('.').replace('.', "/");
        let base = if dots == 0 {
            rest
        } else {
            // `from ..api import serializers`: up from the file's own folder
            let mut dir: Vec<&str> = own_dir.split('/').filter(|p| !p.is_empty()).collect();
            for _ in 1..dots {
                dir.pop();
            }
            let mut path = dir.join("/");
            if !rest.is_empty() {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(&rest);
            }
            path
        };
        // `from app.api import serializers` with `serializers.OrderSerializer`, and
        // `from app.api.serializers import OrderSerializer`: both `app/api/serializers`
        found = Some(match qualifier {
            Some(_) if base.is_empty() => imported.to_string(),
            Some(_) => format!("{base}/{imported}"),
            None => base,
        });
    }
    match found {
        Some(m) => Some(m),
        None => (!starred).then(|| file.trim_end_matches(".py").to_string()),
    }
}

/// Whether the class of a finding in `file` is the one a view imports from `module` (a path
/// without `.py`; an absolute import is matched as a suffix of the file's path).
pub(crate) fn defined_in(file: &str, module: &str) -> bool {
    let f = file.trim_end_matches(".py");
    let f = f.strip_suffix("/__init__").unwrap_or(f);
    f == module || f.ends_with(&format!("/{module}")) || module.ends_with(&format!("/{f}"))
}

/// The text of the statement that starts at byte `at` of `body`: to the end of its line, and
/// on through the lines its open brackets carry over.
fn statement_at(body: &str, at: usize) -> &str {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut in_comment = false;
    for (i, ch) in body[at..].char_indices() {
        if in_comment {
            // a comment runs to the end of its line; its brackets and quotes are text
            if ch != '\n' {
                continue;
            }
            in_comment = false;
        }
        if let Some(q) = quote {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                c if c == q => quote = None,
                // a string left open at the end of its line (a triple-quoted one spans lines)
                '\n' if depth <= 0 => return &body[at..at + i],
                _ => {}
            }
            continue;
        }
        match ch {
            '"' | '\'' => quote = Some(ch),
            '#' => in_comment = true,
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

mod keep;
pub(crate) use keep::keep_unloaded;
#[cfg(test)]
use keep::{relation_of, statement_on_line};

#[cfg(test)]
#[path = "drf_tests.rs"]
mod tests;
