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
//! re-exports such as a package's `__init__`) defines it, and no class of the scan names the
//! class among its bases (a subclass may run another method); a name bound to anything else
//! in the class or function (`bind`), a star import, an import under another name, a module
//! that several files of the scan may be, or a statement with a second `await` leaves the
//! await as it is.

pub(crate) mod bind;

use crate::finding::Finding;
use bind::{at_line_start, is_name, word_at};
use std::collections::{HashMap, HashSet};

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
    // each file's text and parse, read once however many of its functions are awaited (and
    // kept while they hold no more than PARSED_BYTES of text)
    let mut parsed: HashMap<String, Option<(String, tree_sitter::Tree)>> = HashMap::new();
    let mut parsed_bytes = 0usize;
    let mut bases: Option<HashSet<String>> = None;
    crate::finding::judge_statements(findings, classes, RULE, text_of, true, |f, text| {
        let starts = bind::line_starts(text);
        f.statements_or_self()
            .into_iter()
            .filter(|s| {
                // a statement with another await (`f(await a(), await b())`) keeps them all
                if !single_await(text, &starts, s.line as usize) {
                    return true;
                }
                let mut scan = Scan {
                    files: &files,
                    text_of,
                    bases: &mut bases,
                };
                let at = (s.line as usize, &starts[..]);
                let target = match scan.resolve(&s.text, at, &f.file, text) {
                    Some(Callee::Project(target)) => target,
                    Some(Callee::MarksForDeletion) => return false,
                    None => return true,
                };
                let inert = *verdicts.entry(target.clone()).or_insert_with(|| {
                    if !parsed.contains_key(&target.0) {
                        let file = parse(&target.0, text_of);
                        let len = file.as_ref().map_or(0, |(t, _)| t.len());
                        if parsed_bytes + len > PARSED_BYTES {
                            parsed.clear();
                            parsed_bytes = 0;
                        }
                        parsed_bytes += len;
                        parsed.insert(target.0.clone(), file);
                    }
                    let file = &parsed[&target.0];
                    file.as_ref()
                        .is_some_and(|(text, tree)| judge(&target, text, tree))
                });
                !inert
            })
            .collect()
    });
}

/// How much text the parses kept for judging awaited functions may hold: a tree takes many
/// times its text's size.
const PARSED_BYTES: usize = 4 << 20;

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
    /// Every name a class of the scan names among its bases (and the names those are
    /// imported under), read once when first needed.
    bases: &'a mut Option<HashSet<String>>,
}

/// The text of the Python file `file` and its parse.
fn parse(
    file: &str,
    text_of: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, tree_sitter::Tree)> {
    let text = text_of(file)?;
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&crate::lang::Language::Python.grammar())
        .ok()?;
    let tree = parser.parse(&text, None)?;
    Some((text, tree))
}

/// Whether the function `target` names does no I/O, read in its file's `text` and `tree`.
fn judge((_, class, name): &Target, text: &str, tree: &tree_sitter::Tree) -> bool {
    // a module that binds the function's name again (`to_model = via_api(to_model)`)
    if class.is_none() && rebound_at_top(text, name) {
        return false;
    }
    crate::inert::defined_inert(tree.root_node(), text.as_bytes(), class.as_deref(), name)
}

/// Whether the module binds `name` at its top level other than by its `def`: an assignment,
/// an import, a loop or `with` target.
fn rebound_at_top(text: &str, name: &str) -> bool {
    word_at(text, name).any(|i| {
        let line_start = text[..i].rfind('\n').map_or(0, |s| s + 1);
        let line = &text[line_start..];
        if line.starts_with([' ', '\t']) {
            return false;
        }
        let next = text[i + name.len()..].trim_start_matches([' ', '\t']);
        line.starts_with("import ")
            || line.starts_with("from ")
            || line.starts_with("for ")
            || line.starts_with("with ")
            || (i == line_start
                && (next.starts_with('=') && !next.starts_with("==")
                    || next.starts_with(':')
                    || next.starts_with(',')))
    })
}

/// Whether the statement that starts on 1-based `line` (over the lines its brackets carry it)
/// holds one `await`.
fn single_await(text: &str, starts: &[usize], line: usize) -> bool {
    let Some(&from) = line.checked_sub(1).and_then(|l| starts.get(l)) else {
        return false;
    };
    let mut depth = 0i32;
    let mut end = text.len();
    for (i, c) in text[from..].char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '\n' if depth <= 0 => {
                end = from + i;
                break;
            }
            _ => {}
        }
    }
    word_at(&text[from..end], "await").count() == 1
}

impl Scan<'_, '_> {
    /// The function the first await of `statement` (at `line` of `file`, whose text is `text`
    /// and whose lines start at `starts`) calls, when it is one of another class or module of
    /// the project (module doc).
    fn resolve(
        &mut self,
        statement: &str,
        (line, starts): (usize, &[usize]),
        file: &str,
        text: &str,
    ) -> Option<Callee> {
        let parts = awaited(statement)?;
        let (class, name) = match parts.as_slice() {
            // `await to_model(row)`, imported from a module of the project (and not bound again
            // by the function)
            [name] => {
                if bind::binds_locally(text, starts, line, name) {
                    return None;
                }
                let module_file = imported_file(name, file, text, self.files)?;
                let target = (module_file.to_string(), None, name.to_string());
                return Some(Callee::Project(target));
            }
            [owner, name] if !matches!(*owner, "self" | "cls") => {
                if bind::binds_locally(text, starts, line, owner) {
                    // `await tracker.track(item)`, `tracker` annotated or built in its function
                    (bind::local_class(owner, line, text, starts)?, *name)
                } else {
                    // `await crud.to_model(row)` with `from app import crud`
                    let qualified = format!("{owner}.{name}");
                    let m = imported_file(&qualified, file, text, self.files)?;
                    return Some(Callee::Project((m.to_string(), None, name.to_string())));
                }
            }
            ["self" | "cls", attribute, name] => {
                (bind::attribute_class(attribute, line, text, starts)?, *name)
            }
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
    /// `__init__`) — when that file defines a function `name` and no class of the scan names
    /// the class among its bases (a subclass, wherever it is, may override the method or what
    /// the method calls on `self`).
    fn method_of(&mut self, class: &str, name: &str, file: &str, text: &str) -> Option<Target> {
        let short = class.rsplit('.').next().unwrap_or(class);
        let mut home = file.to_string();
        let mut home_text = std::borrow::Cow::Borrowed(text);
        let mut wanted = class.to_string();
        let mut hops = 0;
        while wanted.contains('.') || !defines_class(&home_text, short) {
            hops += 1;
            if hops > 4 {
                return None;
            }
            let next = imported_file(&wanted, &home, &home_text, self.files)?.to_string();
            home_text = std::borrow::Cow::Owned((self.text_of)(&next)?);
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
        let (files, text_of) = (self.files, self.text_of);
        let bases = self.bases.get_or_insert_with(|| all_bases(files, text_of));
        (!bases.contains(short)).then(|| (home, Some(short.to_string()), name.to_string()))
    }
}

/// Every name the classes of the scan's Python files name among their bases (the last part of
/// a dotted name, without its subscript), with the names such a base is imported as
/// (`from app.tracking import Heartbeater as Base` adds `Heartbeater` for a base `Base`).
fn all_bases(files: &[Defines<'_>], text_of: &dyn Fn(&str) -> Option<String>) -> HashSet<String> {
    let mut out = HashSet::new();
    // the bases one file names, each looked up once however many of its classes name it
    let mut seen: HashSet<String> = HashSet::new();
    for (file, _) in files {
        let Some(text) = text_of(file) else {
            continue;
        };
        seen.clear();
        for (i, _) in text.match_indices("class ") {
            if !at_line_start(&text, i) {
                continue;
            }
            let head = &text[i + 6..];
            let Some(open) = head
                .find(['(', ':', '\n'])
                .filter(|&o| head[o..].starts_with('('))
            else {
                continue;
            };
            let mut depth = 0i32;
            let mut list = String::new();
            let mut comment = false;
            for c in head[open..].chars().take(4000) {
                match c {
                    '\n' => comment = false,
                    _ if comment => continue,
                    '#' => comment = true,
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    _ => {}
                }
                if comment {
                    continue;
                }
                if depth == 0 {
                    break;
                }
                // the bases' own subscripts (`Generic[T]`) and keyword arguments are left out
                if depth == 1 && c != '(' {
                    list.push(c);
                } else if depth > 1 {
                    list.push(' ');
                }
            }
            for base in list.split(',') {
                let base = base.split('=').next().unwrap_or("").trim();
                let last = base.rsplit('.').next().unwrap_or(base).trim();
                if !is_name(last) || !seen.insert(last.to_string()) {
                    continue;
                }
                out.insert(last.to_string());
                // `from app.tracking import Heartbeater as Base`
                for j in word_at(&text, last) {
                    let before = text[..j].trim_end_matches([' ', '\t']);
                    if let Some(b) = before.strip_suffix(" as") {
                        let original = b.trim_end().rsplit([' ', ',', '(', '\t', '\n']).next();
                        if let Some(o) = original.filter(|o| is_name(o)) {
                            out.insert(o.to_string());
                        }
                    }
                }
            }
        }
    }
    out
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

/// The dotted callee of the first `await` of `statement` (`["self", "_h", "track"]`), when a
/// call follows it.
fn awaited(statement: &str) -> Option<Vec<&str>> {
    let at = word_at(statement, "await").next()?;
    let rest = statement[at + 5..].trim_start();
    let end = rest
        .find(|c: char| !(c == '_' || c == '.' || c.is_alphanumeric()))
        .unwrap_or(rest.len());
    if !rest[end..].trim_start().starts_with('(') {
        return None;
    }
    let parts: Vec<&str> = rest[..end].split('.').collect();
    parts.iter().all(|p| is_name(p)).then_some(parts)
}

/// The one file of the scan that is the module `name` is imported from (`name` may be
/// `module.function`), when the file imports it under its own name and defines no function
/// of that name itself. A relative import names one path of the scan; an absolute one may
/// name the end of one (the scan's root may sit below the package's).
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
    // a module read off a relative import has no leading `/` (`from ..x` under an absolute
    // root): paths are compared without it
    let module = module.trim_start_matches('/').to_string();
    fn path(f: &str) -> &str {
        let f = f.trim_end_matches(".py").trim_start_matches('/');
        f.strip_suffix("/__init__").unwrap_or(f)
    }
    if path(file) == module {
        return None;
    }
    let one = |m: &mut dyn Iterator<Item = &'f str>| match (m.next(), m.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    };
    let exact = one(&mut files.iter().map(|(f, _)| *f).filter(|f| path(f) == module));
    if exact.is_some() || relative(text, bound) {
        return exact;
    }
    let suffix = format!("/{module}");
    one(&mut files
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| path(f).ends_with(&suffix)))
}

/// The file imports `name` with a relative import (`from .utils import name`, in a list over
/// several lines too).
fn relative(text: &str, name: &str) -> bool {
    text.match_indices("from .").any(|(i, _)| {
        if !at_line_start(text, i) {
            return false;
        }
        let stmt = &text[i..];
        let end = match stmt.find('(') {
            Some(o) if stmt[..o].find('\n').is_none() => {
                stmt[o..].find(')').map_or(stmt.len(), |c| o + c)
            }
            _ => stmt.find('\n').unwrap_or(stmt.len()),
        };
        word_at(&stmt[..end], name).next().is_some()
    })
}

/// The file binds `name` with `as` (`import x as name`, `with … as name`).
fn bound_as(text: &str, name: &str) -> bool {
    word_at(text, name).any(|i| text[..i].trim_end_matches([' ', '\t']).ends_with(" as"))
}

/// The file defines a function (or method) `name`.
fn defines_function(text: &str, name: &str) -> bool {
    word_at(text, name).any(|i| text[..i].trim_end_matches([' ', '\t']).ends_with("def"))
}

#[cfg(test)]
mod tests;
