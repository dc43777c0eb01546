//! Awaits of a function another part of the project defines, read where the name comes from:
//! `await self._heartbeater.track(item)` where the class binds `self._heartbeater` to a
//! `Heartbeater` (by its constructor, an annotation, or a parameter annotated so), `await
//! tracker.track(item)` where the function annotates or builds `tracker` so, `await
//! to_model(row)` imported from a module of the project, or `await crud.to_model(row)` with
//! `from app import crud`. The walk judges only the file's own functions (`inert`); after it,
//! the function such an await resolves to is parsed in its own file and read the same way.
//! When it does no I/O whatever it is passed, the await is taken out of its
//! `py-await-in-loop` finding, and a finding with none left is dropped. So is an await of
//! SQLAlchemy's `AsyncSession.delete(row)` on a receiver typed so: it marks the row for the
//! next flush.
//!
//! A method is resolved only when the file that defines the class (followed through
//! re-exports such as a package's `__init__`) defines it, and no class of another file that
//! names the class among its bases defines it again (a subclass of a subclass is not looked
//! for); a name bound to anything else in the class or function, a star import, an import
//! under another name, or a module that several files of the scan may be leaves the await as
//! it is.

use crate::finding::Finding;
use std::collections::HashMap;

/// The rule whose findings list the awaits judged here.
const RULE: &str = "py-await-in-loop";

/// What an awaited call resolves to: the project file, the class (none for a top-level
/// function) and the function's name.
type Target = (String, Option<String>, String);

/// One Python file of the scan: its path (as reported) and the names it defines.
pub(crate) type Defines<'f> = (&'f str, &'f [String]);

/// Takes the awaits of functions of other classes and modules of the project that do no I/O
/// out of the `py-await-in-loop` findings (module doc). `files` gives every Python file of the
/// scan with the names it defines; `text_of` a file's text.
pub(crate) fn drop_inert_callees<'f>(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
    files: impl IntoIterator<Item = Defines<'f>>,
    text_of: &dyn Fn(&str) -> Option<String>,
) {
    if !findings.iter().any(|f| f.rule_id == RULE) {
        return;
    }
    let files: Vec<Defines<'f>> = files.into_iter().collect();
    let mut verdicts: HashMap<Target, bool> = HashMap::new();
    let mut overridden: HashMap<(String, String), bool> = HashMap::new();
    crate::finding::judge_statements(findings, classes, RULE, text_of, true, |f, text| {
        f.statements_or_self()
            .into_iter()
            .filter(|s| {
                let mut scan = Scan {
                    files: &files,
                    text_of,
                    overridden: &mut overridden,
                };
                let target = match scan.resolve(&s.text, s.line as usize, &f.file, text) {
                    Some(Callee::Project(target)) => target,
                    Some(Callee::MarksForDeletion) => return false,
                    None => return true,
                };
                let inert = *verdicts
                    .entry(target.clone())
                    .or_insert_with(|| judge(&target, text_of));
                !inert
            })
            .collect()
    });
}

/// What an awaited call resolves to.
enum Callee {
    /// A function of the project.
    Project(Target),
    /// SQLAlchemy's `AsyncSession.delete(obj)`: it marks the row for the DELETE of the next
    /// flush, which sends the marked rows together; it is awaitable only to load relations a
    /// cascade may need.
    MarksForDeletion,
}

/// The Python files of the scan, and what is known of them.
struct Scan<'a, 'f> {
    files: &'a [Defines<'f>],
    text_of: &'a dyn Fn(&str) -> Option<String>,
    /// (class, method) -> whether a class of another file that names the class among its
    /// bases defines the method too
    overridden: &'a mut HashMap<(String, String), bool>,
}

/// Whether the function `target` names does no I/O, read in its file's parse.
fn judge((file, class, name): &Target, text_of: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(text) = text_of(file) else {
        return false;
    };
    let mut parser = tree_sitter::Parser::new();
    if parser
        .set_language(&crate::lang::Language::Python.grammar())
        .is_err()
    {
        return false;
    }
    let Some(tree) = parser.parse(&text, None) else {
        return false;
    };
    crate::inert::defined_inert(tree.root_node(), text.as_bytes(), class.as_deref(), name)
}

impl Scan<'_, '_> {
    /// The function the first await of `statement` (on line `line` of `file`, whose text is
    /// `text`) calls, when it is one of another class or module of the project (module doc).
    fn resolve(&mut self, statement: &str, line: usize, file: &str, text: &str) -> Option<Callee> {
        let parts = awaited(statement)?;
        let (class, name) = match parts.as_slice() {
            // `await to_model(row)`, imported from a module of the project
            [name] => {
                let module_file = imported_file(name, file, text, self.files)?;
                let target = (module_file.to_string(), None, name.to_string());
                return Some(Callee::Project(target));
            }
            [owner, name] if !matches!(*owner, "self" | "cls") => {
                // `await crud.to_model(row)` with `from app import crud`
                let qualified = format!("{owner}.{name}");
                if let Some(m) = imported_file(&qualified, file, text, self.files) {
                    return Some(Callee::Project((m.to_string(), None, name.to_string())));
                }
                // `await tracker.track(item)`, `tracker` annotated or built in its function
                (local_class(owner, line, text)?, *name)
            }
            ["self" | "cls", attribute, name] => (attribute_class(attribute, text)?, *name),
            _ => return None,
        };
        if name == "delete" && async_session(&class, text) {
            return Some(Callee::MarksForDeletion);
        }
        self.method_of(&class, name, file, text)
            .map(Callee::Project)
    }

    /// The method `name` of class `class` (as the file `file`, whose text is `text`, names
    /// it): the file that defines the class — this one, or the module it imports it from,
    /// followed through re-exports (`from .agent import Conversation` in a package's
    /// `__init__`) — when that file defines a function `name` and no class of another file
    /// that names the class among its bases does.
    fn method_of(&mut self, class: &str, name: &str, file: &str, text: &str) -> Option<Target> {
        let short = class.rsplit('.').next().unwrap_or(class);
        let mut home = file.to_string();
        let mut home_text = text.to_string();
        let mut wanted = class.to_string();
        let mut hops = 0;
        while wanted.contains('.') || !defines_class(&home_text, short) {
            hops += 1;
            if hops > 4 {
                return None;
            }
            let next = imported_file(&wanted, &home, &home_text, self.files)?.to_string();
            home_text = (self.text_of)(&next)?;
            home = next;
            wanted = short.to_string();
        }
        let defines = |d: &[String]| d.binary_search_by(|x| x.as_str().cmp(name)).is_ok();
        if !self
            .files
            .iter()
            .any(|(f, d)| *f == home.as_str() && defines(d))
        {
            return None;
        }
        let key = (short.to_string(), name.to_string());
        if !self.overridden.contains_key(&key) {
            let (files, text_of) = (self.files, self.text_of);
            let over = files
                .iter()
                .filter(|(f, d)| *f != home.as_str() && defines(d))
                .any(|(f, _)| text_of(f).is_none_or(|t| subclasses(&t, short)));
            self.overridden.insert(key.clone(), over);
        }
        (!self.overridden[&key]).then(|| (home, Some(short.to_string()), name.to_string()))
    }
}

/// `class` is SQLAlchemy's (or SQLModel's) `AsyncSession`: every line of the file that imports
/// the name (at the top or under `if TYPE_CHECKING:`) imports it from one of them, and the file
/// defines no class of that name.
fn async_session(class: &str, text: &str) -> bool {
    if class != "AsyncSession" || defines_class(text, class) {
        return false;
    }
    let mut imports = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("from ") && word_at(l, class).next().is_some());
    let mut any = false;
    imports.all(|l| {
        any = true;
        l.starts_with("from sqlalchemy") || l.starts_with("from sqlmodel")
    }) && any
}

/// The file defines a top-level class `name`.
fn defines_class(text: &str, name: &str) -> bool {
    word_at(text, name)
        .any(|i| text[..i].ends_with("\nclass ") || i == 6 && text.starts_with("class "))
}

/// A class of the file names `base` among its bases (`class Remote(Heartbeater):`).
fn subclasses(text: &str, base: &str) -> bool {
    text.match_indices("class ").any(|(i, _)| {
        let line_start = text[..i].rfind('\n').map_or(0, |s| s + 1);
        if !text[line_start..i].trim().is_empty() {
            return false;
        }
        let head = &text[i..];
        let end = head.find(':').unwrap_or(head.len()).min(2000);
        head[..end]
            .split_once('(')
            .is_some_and(|(_, bases)| word_at(bases, base).next().is_some())
    })
}

/// The dotted callee of the first `await` of `statement` (`["self", "_h", "track"]`), when a
/// call follows it.
fn awaited(statement: &str) -> Option<Vec<&str>> {
    let at = statement.match_indices("await").find(|(i, _)| {
        let before = statement[..*i].chars().next_back();
        let after = statement[i + 5..].chars().next();
        !before.is_some_and(|c| c == '_' || c.is_alphanumeric())
            && after.is_some_and(|c| c == ' ' || c == '\t')
    })?;
    let rest = statement[at.0 + 5..].trim_start();
    let end = rest
        .find(|c: char| !(c == '_' || c == '.' || c.is_alphanumeric()))
        .unwrap_or(rest.len());
    if !rest[end..].trim_start().starts_with('(') {
        return None;
    }
    let parts: Vec<&str> = rest[..end].split('.').collect();
    parts.iter().all(|p| is_name(p)).then_some(parts)
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f == '_' || f.is_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_alphanumeric())
}

/// The one file of the scan that is the module `name` is imported from (`name` may be
/// `module.function`), when the file imports it under its own name and defines no function
/// of that name itself.
pub(crate) fn imported_file<'f>(
    name: &str,
    file: &str,
    text: &str,
    files: &[Defines<'f>],
) -> Option<&'f str> {
    let bound = name.split('.').next().unwrap_or(name);
    if bound_as(text, bound) || defines_function(text, name.rsplit('.').next()?) {
        return None;
    }
    let module = crate::drf::module_of(name, file, text)?;
    if crate::drf::defined_in(file, &module) {
        return None;
    }
    let mut modules = files
        .iter()
        .filter(|(f, _)| crate::drf::defined_in(f, &module));
    match (modules.next(), modules.next()) {
        (Some((f, _)), None) => Some(f),
        _ => None,
    }
}

/// The file binds `name` with `as` (`import x as name`, `with … as name`).
fn bound_as(text: &str, name: &str) -> bool {
    word_at(text, name).any(|i| text[..i].trim_end_matches([' ', '\t']).ends_with(" as"))
}

/// The file defines a function (or method) `name`.
fn defines_function(text: &str, name: &str) -> bool {
    word_at(text, name).any(|i| text[..i].trim_end_matches([' ', '\t']).ends_with("def"))
}

/// The byte offsets where `name` stands as a whole word.
fn word_at<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(name).map(|(i, _)| i).filter(move |&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        !word(before) && !word(after)
    })
}

/// The class an annotation names: `Heartbeater`, `"Heartbeater[ItemT]"`,
/// `Optional[Heartbeater]`, `Heartbeater | None`, `mod.Heartbeater`; `None` for anything else
/// (a union of classes, a container, a name in lower case).
fn class_name(annotation: &str) -> Option<&str> {
    let mut t = annotation.trim().trim_matches(['"', '\'']).trim();
    if let Some(inner) = t
        .strip_prefix("Optional[")
        .or_else(|| t.strip_prefix("typing.Optional["))
    {
        t = inner.strip_suffix(']')?.trim().trim_matches(['"', '\'']);
    }
    let mut parts = t.split('|').map(str::trim).filter(|p| *p != "None");
    let one = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let one = one.trim_matches(['"', '\'']);
    let name = one.split('[').next()?.trim();
    let last = name.rsplit('.').next()?;
    (name.split('.').all(is_name)
        && last.chars().next()?.is_uppercase()
        && !matches!(last, "Any" | "Optional" | "Union"))
    .then_some(name)
}

/// The class a binding's right-hand side builds (`Heartbeater(…)`, `Heartbeater[T](…)`).
fn constructed(rhs: &str) -> Option<&str> {
    let rhs = rhs.trim();
    let end = rhs
        .find(|c: char| !(c == '_' || c == '.' || c.is_alphanumeric()))
        .unwrap_or(rhs.len());
    let rest = rhs[end..].trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(r) => &r[r.find(']')? + 1..],
        None => rest,
    };
    if !rest.trim_start().starts_with('(') {
        return None;
    }
    class_name(&rhs[..end])
}

/// What follows `name` at byte `i` of `text` on its line: an annotation (`: T`, up to `=`, `,`
/// or `)` outside brackets) and the right-hand side of a binding (`= …`, to the end of the
/// line), or neither.
fn binding_at<'t>(text: &'t str, i: usize, name: &str) -> (Option<&'t str>, Option<&'t str>) {
    let line_end = text[i..].find('\n').map_or(text.len(), |e| i + e);
    let rest = text[i + name.len()..line_end].trim_start();
    let (annotation, rest) = match rest.strip_prefix(':') {
        // a slice or a lambda's parameter reads the same: the caller checks what precedes
        Some(r) if !r.starts_with('=') => {
            let mut depth = 0i32;
            let end = r
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '[' | '(' => depth += 1,
                        ']' | ')' if depth > 0 => depth -= 1,
                        _ => {}
                    }
                    depth == 0 && matches!(c, '=' | ',' | ')')
                })
                .map_or(r.len(), |(e, _)| e);
            (Some(r[..end].trim()), &r[end..])
        }
        _ => (None, rest),
    };
    let rhs = rest
        .trim_start()
        .strip_prefix('=')
        .filter(|r| !r.starts_with('='))
        .map(|r| r.split(" #").next().unwrap_or(r).trim());
    (annotation, rhs)
}

/// The one class the file binds `self.attribute` to: by constructor, by annotation, by a
/// parameter annotated with it, or by a property returning it; `None` when any binding says
/// something else or none says anything.
fn attribute_class(attribute: &str, text: &str) -> Option<String> {
    let mut found: Option<&str> = None;
    for i in word_at(text, attribute) {
        let before = &text[..i];
        if before.ends_with("self.") || before.ends_with("cls.") {
            let (annotation, rhs) = binding_at(text, i, attribute);
            if let Some(a) = annotation {
                agree(&mut found, class_name(a))?;
            } else if let Some(rhs) = rhs {
                let class = constructed(rhs)
                    .or_else(|| is_name(rhs).then(|| parameter_class(rhs, text)).flatten());
                agree(&mut found, class)?;
            }
        } else if before
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty())
        {
            // a field the class body annotates (`db_session: AsyncSession`, a dataclass's)
            if let (Some(a), _) = binding_at(text, i, attribute) {
                agree(&mut found, class_name(a))?;
            }
        } else if before.trim_end_matches([' ', '\t']).ends_with("def") {
            // a property (or any method of that name): what it returns
            let line_end = text[i..].find('\n').map_or(text.len(), |e| i + e);
            let header = &text[i..line_end];
            let ret = header
                .split_once("->")
                .map(|(_, r)| r.trim_end_matches(':').trim());
            agree(&mut found, ret.and_then(class_name))?;
        }
    }
    found.map(str::to_string)
}

/// Keeps `c` as the one class found so far: `None` when there is none, or another was found.
fn agree<'t>(found: &mut Option<&'t str>, c: Option<&'t str>) -> Option<()> {
    let c = c?;
    if found.is_some_and(|f| f != c) {
        return None;
    }
    *found = Some(c);
    Some(())
}

/// The one class the file annotates the parameter (or variable) `name` with, where it stands
/// after `(`, `,` or at the start of its line.
fn parameter_class<'t>(name: &str, text: &'t str) -> Option<&'t str> {
    let mut found = None;
    for i in word_at(text, name) {
        let before = text[..i].trim_end_matches([' ', '\t']);
        if !(before.ends_with('(') || before.ends_with(',') || before.ends_with('\n')) {
            continue;
        }
        let (Some(annotation), _) = binding_at(text, i, name) else {
            continue;
        };
        let c = class_name(annotation)?;
        if found.is_some_and(|f| f != c) {
            return None;
        }
        found = Some(c);
    }
    found
}

/// The class the function around line `line` binds the name `name` to: a parameter annotated
/// with it, or a variable built by its constructor; `None` when the function binds the name
/// to anything else (a loop, `as`, an unpacking, another value).
fn local_class(name: &str, line: usize, text: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = line.checked_sub(1).filter(|&l| l < lines.len())?;
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let own = indent(lines[at]);
    let def = (0..at).rev().find(|&l| {
        let t = lines[l].trim_start();
        indent(lines[l]) < own && (t.starts_with("def ") || t.starts_with("async def "))
    })?;
    let start: usize = lines[..def].iter().map(|l| l.len()).sum();
    let body = crate::drf::block(text, start);
    let mut found: Option<&str> = None;
    for i in word_at(body, name) {
        let line_start = body[..i].rfind('\n').map_or(0, |s| s + 1);
        let head = &body[line_start..i];
        let before = head.trim_end_matches([' ', '\t']);
        let after = body[i + name.len()..].trim_start_matches([' ', '\t']);
        let first = before.trim_start().is_empty();
        let lead = head.trim_start();
        // `for x in`, `for a, x in`, `with … as x`, `(x := …)`, `x, a = …`, `a, x = …`
        let unpacked = !head.contains('(')
            && (after.starts_with(',') || before.ends_with(','))
            && body[i..].lines().next().is_some_and(|l| l.contains(" = "));
        if ((lead.starts_with("for ") || lead.starts_with("async for ")) && !head.contains(" in "))
            || before.ends_with(" as")
            || after.starts_with(":=")
            || unpacked
        {
            return None;
        }
        if before.ends_with('.') {
            continue;
        }
        let (annotation, rhs) = binding_at(body, i, name);
        let class = match (annotation, rhs) {
            (Some(a), _) if first || before.ends_with('(') || before.ends_with(',') => {
                class_name(a)
            }
            (None, Some(rhs)) if first => constructed(rhs),
            _ => continue,
        };
        let class = class?;
        if found.is_some_and(|f| f != class) {
            return None;
        }
        found = Some(class);
    }
    found.map(str::to_string)
}

#[cfg(test)]
mod tests;
