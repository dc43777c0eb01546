//! Reachability by name: which functions run on the request path because request-handling
//! files call them (in at most two hops), and which run only once because only one-off code
//! (migrations, commands, scripts) calls them or a migration signal is connected to them.
//! Read from the files' text, with no parse and no call graph: names, not bindings.

use crate::lang::Language;
use crate::runs::{re, RunContext, Verdict};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Names a file defines and calls, read from its text (no parse): what reachability needs.
#[derive(Debug, Clone)]
pub(crate) struct FileFacts {
    /// The file (as shown in reports).
    pub(crate) file: String,
    /// Its language.
    pub(crate) lang: Language,
    /// The file handles requests (by its path or its functions).
    pub(crate) entry: bool,
    /// Functions, methods and classes it defines.
    pub(crate) defines: Vec<String>,
    /// Names it calls or instantiates.
    pub(crate) calls: Vec<String>,
    /// The file is one-off code (a migration, command, script, test or build file).
    pub(crate) one_off: Option<RunContext>,
    /// The file is background work as a whole (a task module, a message consumer's handlers):
    /// set by the caller from the file's run context.
    pub(crate) background: bool,
    /// Functions it connects to a migration signal (`post_migrate.connect(f)`,
    /// `@receiver(post_migrate)`): they run after migrations, once per deploy.
    pub(crate) migrate_hooks: Vec<String>,
    /// The methods of its Django manager and queryset classes, each with whether it reads a
    /// cache (Python).
    pub(crate) manager_methods: Vec<(String, bool)>,
    /// Its Django REST framework list views whose queryset the text shows (Python).
    pub(crate) list_views: Vec<crate::drf::ListView>,
    /// Its Django models' relations and its managers that load relations (Python).
    pub(crate) models: crate::relations::Declared,
    /// Its top-level `async def`s that await nothing but a sleep (Python).
    pub(crate) sleepers: Vec<String>,
}

/// Names too common to say anything about who calls whom.
const GENERIC: &[&str] = &[
    "get",
    "set",
    "put",
    "post",
    "save",
    "delete",
    "update",
    "create",
    "filter",
    "all",
    "first",
    "last",
    "list",
    "dict",
    "init",
    "__init__",
    "__call__",
    "__str__",
    "__repr__",
    "call",
    "apply",
    "bind",
    "then",
    "catch",
    "finally",
    "handle",
    "process",
    "execute",
    "query",
    "run",
    "render",
    "items",
    "keys",
    "values",
    "append",
    "extend",
    "add",
    "remove",
    "pop",
    "push",
    "map",
    "reduce",
    "forEach",
    "find",
    "some",
    "every",
    "join",
    "split",
    "replace",
    "format",
    "clean",
    "validate",
    "load",
    "dump",
    "dumps",
    "loads",
    "read",
    "write",
    "open",
    "close",
    "send",
    "emit",
    "next",
    "main",
    "setup",
    "start",
    "stop",
    "test",
    "count",
    "exists",
    "length",
    "toString",
    "parse",
    "stringify",
    "resolve",
    "reject",
    "require",
    "super",
    "print",
    "len",
    "str",
    "int",
    "isinstance",
    "hasattr",
    "getattr",
    "setattr",
    "sorted",
    "range",
    "zip",
    "enumerate",
    "Promise",
    "Object",
    "Array",
    "Error",
    "String",
    "Number",
    "Boolean",
    "JSON",
    "Math",
    "Date",
    "Map",
    "Set",
    "from",
    "of",
    "log",
    "debug",
    "info",
    "warn",
    "error",
    "assert",
    "constructor",
    "default",
    "index",
    "include",
    "path",
];

/// A name long and rare enough to say who calls whom.
fn useful(n: &str) -> bool {
    n.len() >= 4 && !GENERIC.contains(&n)
}

fn is_keyword(lang: Language, s: &str) -> bool {
    match lang {
        Language::Python => matches!(
            s,
            "if" | "elif"
                | "while"
                | "for"
                | "return"
                | "and"
                | "or"
                | "not"
                | "in"
                | "with"
                | "print"
                | "lambda"
                | "yield"
                | "await"
                | "assert"
                | "del"
                | "except"
                | "is"
        ),
        _ => matches!(
            s,
            "if" | "while"
                | "for"
                | "switch"
                | "catch"
                | "return"
                | "function"
                | "typeof"
                | "await"
                | "new"
                | "yield"
                | "void"
                | "delete"
                | "in"
                | "of"
                | "super"
                | "async"
                | "import"
        ),
    }
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Whether the name at `start` with its `(` at `open` begins a method definition: nothing but
/// modifiers before it on its line, its parameters closing on that line, then `{` (after a
/// return type in TypeScript). `run(items, () => {` is a call.
fn is_method_definition(text: &str, start: usize, open: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    let modifiers_only = prefix.split_whitespace().all(|w| {
        matches!(
            w,
            "async"
                | "static"
                | "get"
                | "set"
                | "*"
                | "public"
                | "private"
                | "protected"
                | "override"
        )
    });
    if !modifiers_only {
        return false;
    }
    // the parameters close on the same line, and a body (after a TypeScript return type) opens
    let line_end = text[open..].find('\n').map_or(text.len(), |i| open + i);
    let line = &text[open..line_end];
    let mut depth = 0usize;
    for (i, c) in line.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let rest = line[i + 1..].trim();
                    return rest == "{" || (rest.starts_with(':') && rest.ends_with('{'));
                }
            }
            _ => {}
        }
    }
    false
}

/// Where the line holding byte `at` starts.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether only blanks, and with `async_ok` an `async` keyword, stand between the start of
/// the line and byte `at`.
fn after_indent(text: &str, at: usize, async_ok: bool) -> bool {
    let rest = text[line_start(text, at)..at].trim_start_matches([' ', '\t']);
    rest.is_empty()
        || async_ok
            && rest.strip_prefix("async").is_some_and(|r| {
                r.starts_with([' ', '\t']) && r.trim_matches([' ', '\t']).is_empty()
            })
}

/// Reads the names a file defines and calls, with what its run context (by path or content,
/// [`crate::runs::of_file`]) says of the whole file: request-handling, one-off or background.
pub(crate) fn facts_of_file(
    lang: Language,
    file: &str,
    text: &str,
    runs: Option<RunContext>,
) -> FileFacts {
    let mut f = facts(
        lang,
        file,
        text,
        runs == Some(RunContext::Request),
        runs.filter(|c| c.is_one_off()),
    );
    f.background = runs == Some(RunContext::Background);
    f
}

/// Reads the names a file defines and calls.
pub(crate) fn facts(
    lang: Language,
    file: &str,
    text: &str,
    entry: bool,
    one_off: Option<RunContext>,
) -> FileFacts {
    static PY_HOOK: OnceLock<Regex> = OnceLock::new();
    static PY_DEF: OnceLock<Regex> = OnceLock::new();
    static JS_DEF: OnceLock<Regex> = OnceLock::new();
    static PY_ENTRY: OnceLock<Regex> = OnceLock::new();
    static JS_ENTRY: OnceLock<Regex> = OnceLock::new();
    let (def, entry_re) = match lang {
        Language::Python => (
            // at the start of a line (checked on each match: a regex anchored at every line
            // start is scanned several times slower)
            // (ASCII classes: a Unicode `\w` sends files with non-ASCII text, comments in
            // Chinese, to the slow engine)
            re(
                &PY_DEF,
                r"(?:def|class)[ \t]+[A-Za-z_\x{80}-\x{10FFFF}][A-Za-z0-9_\x{80}-\x{10FFFF}]*",
            ),
            re(
                &PY_ENTRY,
                r"def[ \t]+[A-Za-z0-9_]+\((?:self,[ \t\r\n]*)?request(?-u:\b)|@[A-Za-z0-9_.]*(?-u:\b)(?:route|api_view)(?-u:\b)",
            ),
        ),
        _ => (
            re(
                &JS_DEF,
                r"(?m)(?:^|[^\w$.])(?:function\*?[ \t]+([A-Za-z_$][\w$]*)|class[ \t]+([A-Za-z_$][\w$]*)|(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)[ \t]*=[ \t]*(?:async[ \t]*)?(?:function\b|\([^)]*\)[ \t]*=>|[A-Za-z_$][\w$]*[ \t]*=>)|^[ \t]*(?:static[ \t]+)?(?:async[ \t]+)?\*?([A-Za-z_$][\w$]*)[ \t]*\([^)\n]*\)[ \t]*\{)",
            ),
            re(
                &JS_ENTRY,
                r"\b(?:app|router|server|fastify)\.(?:get|post|put|patch|delete|use|route)\(|\(\s*req\s*,\s*res\b|\bthis\.getInputData\(\)",
            ),
        ),
    };
    let py = lang == Language::Python;
    let mut defines: Vec<String> = if py {
        // `def name` / `class name` at the start of a line; the name read off the match
        // (capture groups cost a slower engine per match, which tells in large files)
        def.find_iter(text)
            .filter(|m| after_indent(text, m.start(), true))
            .filter_map(|m| m.as_str().split_whitespace().nth(1))
            .filter(|n| !is_keyword(lang, n))
            .map(str::to_string)
            .collect()
    } else {
        def.captures_iter(text)
            .filter_map(|c| c.iter().skip(1).flatten().next().map(|m| m.as_str()))
            .filter(|n| !is_keyword(lang, n))
            .map(str::to_string)
            .collect()
    };
    defines.sort();
    defines.dedup();
    let b = text.as_bytes();
    let mut calls: HashSet<&str> = HashSet::new();
    for open in memchr::memchr_iter(b'(', b) {
        let mut end = open;
        while end > 0 && (b[end - 1] == b' ' || b[end - 1] == b'\t') {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && ident_byte(b[start - 1]) {
            start -= 1;
        }
        if start == end || b[start].is_ascii_digit() {
            continue;
        }
        // `def name(` / `function name(` is a definition, not a call
        let before = text[..start].trim_end_matches([' ', '\t']);
        let word_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[word_start..];
        if word == "def" || word == "function" {
            continue;
        }
        // a JavaScript method definition, `async name(args) {` on a line of its own
        if lang != Language::Python && is_method_definition(text, start, open) {
            continue;
        }
        let mut span = (start, end);
        // `f.call(this, …)`, `f.apply(…)`: a call of `f` (JavaScript)
        if lang != Language::Python
            && matches!(&text[start..end], "call" | "apply")
            && start > 1
            && b[start - 1] == b'.'
        {
            let fend = start - 1;
            let mut fstart = fend;
            while fstart > 0 && ident_byte(b[fstart - 1]) {
                fstart -= 1;
            }
            if fstart < fend && !b[fstart].is_ascii_digit() {
                span = (fstart, fend);
            }
        }
        if let Some(name) = text.get(span.0..span.1) {
            if !is_keyword(lang, name) {
                calls.insert(name);
            }
        }
    }
    let mut calls: Vec<String> = calls.into_iter().map(str::to_string).collect();
    calls.sort();
    let migrate_hooks = if lang == Language::Python && text.contains("_migrate") {
        re(
            &PY_HOOK,
            r"(?m)\b(?:post|pre)_migrate\.connect\(\s*([A-Za-z_]\w*)|^[ \t]*@receiver\([^)\n]*\b(?:post|pre)_migrate\b[^\n]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*def[ \t]+([A-Za-z_]\w*)",
        )
        .captures_iter(text)
        .filter_map(|c| c.iter().skip(1).flatten().next().map(|m| m.as_str().to_string()))
        .collect()
    } else {
        Vec::new()
    };
    FileFacts {
        file: file.to_string(),
        lang,
        entry: one_off.is_none()
            && (entry
                || entry_re.find_iter(text).any(|m| {
                    // Python: `def` indented, a decorator in the first column
                    !py || if m.as_str().starts_with('@') {
                        line_start(text, m.start()) == m.start()
                    } else {
                        after_indent(text, m.start(), true)
                    }
                })),
        defines,
        calls,
        one_off,
        background: false,
        migrate_hooks,
        manager_methods: if lang == Language::Python {
            crate::cached::manager_methods(text)
        } else {
            Vec::new()
        },
        list_views: if lang == Language::Python {
            crate::drf::list_views(file, text)
        } else {
            Vec::new()
        },
        models: if lang == Language::Python {
            crate::relations::declared(text)
        } else {
            crate::relations::Declared::default()
        },
        sleepers: if lang == Language::Python {
            crate::sleepers::sleepers(text)
        } else {
            Vec::new()
        },
    }
}

/// How many files of each language family define each name (JavaScript and TypeScript are
/// one family).
pub(crate) fn definition_counts(files: &[FileFacts]) -> HashMap<(Language, &str), usize> {
    let mut n: HashMap<(Language, &str), usize> = HashMap::new();
    for f in files {
        for d in &f.defines {
            *n.entry((f.lang.family(), d.as_str())).or_default() += 1;
        }
    }
    n
}

/// Names reachable from request-handling files, in at most two calls, with the file that calls
/// each: a function whose name (or whose class's name) is called from a request-handling file
/// runs on the request path, and so does one called from a file defining such a function. By
/// name only, so it over-approximates for common names (those in [`GENERIC`] and names under
/// four characters are ignored) and misses calls through variables.
#[derive(Debug, Default)]
pub(crate) struct Reach {
    reached: HashMap<String, (u8, String)>,
    /// Names reached the same way from background files (task modules, message consumers).
    background: HashMap<String, (u8, String)>,
    /// Names called only from one-off files, with the kind and a calling file.
    one_off_only: HashMap<String, (RunContext, String)>,
    /// Names connected to a migration signal, with the file that connects them.
    hooks: HashMap<String, String>,
}

impl Reach {
    /// Computes reachability over every file's facts.
    pub(crate) fn new(files: &[FileFacts]) -> Reach {
        // in path order, whatever order a parallel walk collected them in: the file a reason
        // names (the first caller) is the same from one scan to the next
        let mut sorted: Vec<&FileFacts> = files.iter().collect();
        sorted.sort_by(|a, b| a.file.cmp(&b.file));
        let files = sorted;
        let reached = reach_from(&files, |f| f.entry, 2);
        // one call only: background work hides its findings by default, so it is claimed
        // only for what a background file calls itself
        let background = reach_from(&files, |f| f.background, 1);
        // called from one-off files and from nowhere else
        let elsewhere: HashSet<&str> = files
            .iter()
            .filter(|f| f.one_off.is_none())
            .flat_map(|f| f.calls.iter().map(String::as_str))
            .collect();
        let mut one_off_only: HashMap<String, (RunContext, String)> = HashMap::new();
        let mut hooks: HashMap<String, String> = HashMap::new();
        for f in files {
            for h in &f.migrate_hooks {
                hooks.entry(h.clone()).or_insert_with(|| f.file.clone());
            }
            let Some(kind) = f.one_off else { continue };
            for c in f
                .calls
                .iter()
                .filter(|c| useful(c) && !elsewhere.contains(c.as_str()))
            {
                one_off_only
                    .entry(c.clone())
                    .or_insert_with(|| (kind, f.file.clone()));
            }
        }
        Reach {
            reached,
            background,
            one_off_only,
            hooks,
        }
    }

    /// Whether a function `name` runs only once: connected to a migration signal, or called
    /// from one-off files (migrations, commands, scripts) and from no other file.
    pub(crate) fn one_off(&self, name: Option<&str>) -> Option<Verdict> {
        let n = name?;
        if let Some(file) = self.hooks.get(n) {
            return Some((
                RunContext::Migration,
                format!("`{n}` is connected to a migration signal in {file}"),
            ));
        }
        let (kind, file) = self.one_off_only.get(n)?;
        Some((
            *kind,
            format!("`{n}` is only called from one-off code ({file})"),
        ))
    }

    /// Whether a function `name` (in class `class`) is reached from request-handling files,
    /// else from background files only, and from which file.
    pub(crate) fn lookup(&self, name: Option<&str>, class: Option<&str>) -> Option<Verdict> {
        for (map, rc, whence) in [
            (&self.reached, RunContext::Request, ""),
            (
                &self.background,
                RunContext::Background,
                "background work in ",
            ),
        ] {
            for n in [name, class].into_iter().flatten() {
                if let Some((hops, file)) = map.get(n) {
                    let how = if *hops == 1 {
                        "called"
                    } else {
                        "called (through another file)"
                    };
                    return Some((rc, format!("`{n}` is {how} from {whence}{file}")));
                }
            }
        }
        None
    }
}

/// Names called from the files `seed` selects, in at most `hops` (1 or 2) calls: the first
/// hop's names, then what the files defining one of them call (request-handling, background and one-off
/// files aside: their calls are their own context's), each with its hop count and the file
/// that calls it (the first in path order).
fn reach_from(
    files: &[&FileFacts],
    seed: impl Fn(&FileFacts) -> bool,
    hops: u8,
) -> HashMap<String, (u8, String)> {
    let mut reached: HashMap<String, (u8, String)> = HashMap::new();
    for f in files.iter().filter(|f| seed(f)) {
        for c in f.calls.iter().filter(|c| useful(c)) {
            reached.entry(c.clone()).or_insert((1, f.file.clone()));
        }
    }
    if hops < 2 {
        return reached;
    }
    let mut next: Vec<(String, String)> = Vec::new();
    for f in files
        .iter()
        .filter(|f| !f.entry && !f.background && f.one_off.is_none())
    {
        if f.defines
            .iter()
            .any(|d| reached.get(d).is_some_and(|r| r.0 == 1))
        {
            for c in f.calls.iter().filter(|c| useful(c)) {
                next.push((c.clone(), f.file.clone()));
            }
        }
    }
    for (c, file) in next {
        reached.entry(c).or_insert((2, file));
    }
    reached
}

#[cfg(test)]
#[path = "reach_tests.rs"]
mod tests;
