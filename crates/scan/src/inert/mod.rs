//! Awaits that do no I/O: `await self.abort_transition(…)` where the file's one
//! `async def abort_transition` only sets fields, or `await this.getProvider(id)` where the
//! class's one `getProvider` returns a field. Such a function runs to its end without
//! yielding to the event loop or calling out, so awaiting it once per item serialises no I/O
//! and there is nothing to run concurrently or batch.
//!
//! Only what the file shows is trusted, and only bookkeeping counts as inert:
//! - the callee is `self.name`/`cls.name`/`this.name`, the one method of that name in the
//!   file (so no class of the file overrides it), or a bare `name`, the one top-level
//!   function of that name in the file;
//! - the definition is not decorated (but for `staticmethod`, `classmethod`, `override`) and
//!   is not a stub (`pass`, `...`, a docstring, `raise NotImplementedError`, `throw`: a
//!   subclass elsewhere gives the real body);
//! - its body awaits nothing but other such functions of the file (followed a few levels; a
//!   function reached again while it is read is taken to do I/O), has no `async for`/`async
//!   with`, async comprehension, `for await` or `yield`, and calls nothing but in-memory
//!   helpers: builtins, container and string methods, logging;
//! - a task it starts and does not wait for (`asyncio.create_task(send(x))`, in JavaScript
//!   `send(x).catch(h)` or `void send(x)` as a statement) is not its I/O: only the arguments
//!   built for it run, and are read as above.
//!
//! - in Python, I/O behind a parameter's `None` test (`p if p is not None else await load()`,
//!   `if p is None: p = await load()` with no other branch) is skipped when the call passes
//!   `p` (not `None`, not a `.get(key)` without a default) and the body does not rebind it.
//!
//! Anything else — a method of another object, an imported function, a body that calls out —
//! is taken to do I/O.

use crate::lang::Language;
use std::collections::HashMap;
use tree_sitter::Node;

/// Verdicts already reached in one file, by (scope node, name): `None` when the function may
/// do I/O, else the parameters a call must pass for it to do none (module doc).
pub(crate) type Cache = HashMap<(usize, String), Option<Vec<Guard>>>;

/// A parameter whose value, when a call passes one, skips the function's I/O: its name and its
/// position among the arguments a call writes (after `self`/`cls`).
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    name: String,
    position: Option<usize>,
}

/// Whether the await `node` awaits a call of a function this file defines that does no I/O.
/// `stack` holds `node`'s ancestors, `root` is the file's tree.
pub(crate) fn awaits_nothing(
    node: Node<'_>,
    stack: &[Node<'_>],
    root: Node<'_>,
    src: &[u8],
    lang: Language,
    cache: &mut Cache,
) -> bool {
    let py = lang == Language::Python;
    let is_await = if py {
        node.kind() == "await"
    } else {
        node.kind() == "await_expression"
    };
    if !is_await {
        return false;
    }
    let Some(call) = node.named_child(0) else {
        return false;
    };
    let in_class = stack.iter().any(|a| is_class(a.kind()));
    call_is_inert(call, in_class, root, src, py, cache, 0)
}

/// How deep awaits of inert functions are followed (`a` awaits `b`, which awaits `c`).
const MAX_DEPTH: usize = 6;

/// Whether `call` calls a function of this file that does no I/O for the arguments it passes
/// (module doc). `in_class`: the call sits in a class, so `self.name` may be one of its methods.
fn call_is_inert(
    call: Node<'_>,
    in_class: bool,
    root: Node<'_>,
    src: &[u8],
    py: bool,
    cache: &mut Cache,
    depth: usize,
) -> bool {
    if call.kind() != if py { "call" } else { "call_expression" } || depth > MAX_DEPTH {
        return false;
    }
    let Some(callee) = call.child_by_field_name("function") else {
        return false;
    };
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    let (name, method) = match callee.kind() {
        "identifier" => (text(callee), false),
        "attribute" | "member_expression" => {
            let own = matches!(
                callee.child_by_field_name("object").map(text),
                Some("self" | "cls" | "this")
            );
            let field = if py { "attribute" } else { "property" };
            match callee.child_by_field_name(field) {
                Some(f) if own && in_class => (text(f), true),
                _ => return false,
            }
        }
        _ => return false,
    };
    let key = (
        root.id(),
        format!("{}{name}", if method { "." } else { "" }),
    );
    if !cache.contains_key(&key) {
        // while its body is read, a call back into the function is taken to do I/O
        cache.insert(key.clone(), None);
        let mut defs = Vec::new();
        definitions(root, name, method, src, &mut defs);
        let verdict = match defs.as_slice() {
            [def] => inert(*def, root, src, py, cache, depth),
            _ => None,
        };
        cache.insert(key.clone(), verdict);
    }
    cache[&key]
        .as_ref()
        .is_some_and(|guards| guards.iter().all(|g| passes(call, g, src)))
}

/// Whether `call` passes a value other than `None` for the parameter `guard`, by keyword or
/// by position.
fn passes(call: Node<'_>, guard: &Guard, src: &[u8]) -> bool {
    let Some(args) = call.child_by_field_name("arguments") else {
        return false;
    };
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    // a value that may well be None: `None`, or a lookup without a default (`m.get(k)`)
    let given = |v: Node<'_>| {
        let t = text(v);
        let lookup = v.kind() == "call"
            && v.child_by_field_name("function")
                .is_some_and(|f| text(f).ends_with(".get"))
            && v.child_by_field_name("arguments")
                .is_some_and(|a| a.named_child_count() < 2);
        t != "None" && !lookup
    };
    let mut cur = args.walk();
    let mut positional = Some(0);
    for a in args.named_children(&mut cur) {
        match a.kind() {
            "keyword_argument" => {
                let named = a.child_by_field_name("name").map(text) == Some(&guard.name);
                if named {
                    return a.child_by_field_name("value").is_some_and(given);
                }
            }
            // `*args`, `**kwargs`: what they hold is not known, nor where later arguments land
            "list_splat" | "dictionary_splat" => positional = None,
            "comment" => {}
            _ => {
                if positional.is_some() && positional == guard.position {
                    return given(a);
                }
                positional = positional.map(|p| p + 1);
            }
        }
    }
    false
}

fn is_class(kind: &str) -> bool {
    matches!(kind, "class_definition" | "class_declaration" | "class")
}

fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition"
            | "function_declaration"
            | "method_definition"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "generator_function_declaration"
            | "generator_function"
    )
}

/// The functions of the file named `name` (at most two are looked for): with `method`, the
/// methods of every class; otherwise the top-level functions (`def`, `function`, `const name =
/// () => …`, exported or not).
fn definitions<'t>(root: Node<'t>, name: &str, method: bool, src: &[u8], out: &mut Vec<Node<'t>>) {
    let mut cur = root.walk();
    let mut stack = vec![(root, false)];
    while let Some((n, in_class)) = stack.pop() {
        if out.len() > 1 {
            return;
        }
        if n.id() != root.id() && is_function(n.kind()) {
            let named = crate::lang::function_name(n, src).as_deref() == Some(name);
            // a method of a class (not of an object literal)
            let member =
                in_class && matches!(n.kind(), "method_definition" | "function_definition");
            if named && member == method && (method || top_level(n)) {
                out.push(n);
            }
            // functions nested in a function are neither methods nor top-level
            continue;
        }
        let in_class = in_class || is_class(n.kind());
        for c in n.named_children(&mut cur) {
            stack.push((c, in_class));
        }
    }
}

/// A function defined at the top of its module: its parent (past `export`, a declarator, a
/// decorator) is the module itself.
fn top_level(def: Node<'_>) -> bool {
    let mut p = def.parent();
    while let Some(n) = p {
        match n.kind() {
            "module" | "program" => return true,
            "decorated_definition"
            | "export_statement"
            | "variable_declarator"
            | "lexical_declaration"
            | "variable_declaration" => p = n.parent(),
            _ => return false,
        }
    }
    false
}

/// Calls that stay in memory: builtins, container and string methods, logging.
#[rustfmt::skip]
const IN_MEMORY: &[&str] = &[
    // Python builtins
    "len", "isinstance", "issubclass", "str", "int", "float", "bool", "dict", "list", "set",
    "tuple", "frozenset", "min", "max", "sum", "any", "all", "sorted", "reversed", "getattr",
    "setattr", "hasattr", "enumerate", "range", "zip", "iter", "next", "repr", "id", "type",
    "super", "abs", "round", "map", "filter",
    // container and string methods (not `get`/`set`/`update`/`insert`: also cache and ORM calls)
    "append", "extend", "pop", "popleft", "appendleft", "setdefault", "items", "keys", "values",
    "copy", "join", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
    "startswith", "endswith", "replace", "format", "discard", "clear", "notify", "notify_all",
    // pydantic models, built and dumped in memory
    "model_validate", "model_dump", "model_dump_json", "model_copy", "model_construct",
    "push", "shift", "unshift", "slice", "includes", "indexOf", "startsWith", "endsWith",
    "trim", "toLowerCase", "toUpperCase", "toString", "concat", "has", "isArray", "stringify",
    "parse", "assign", "entries", "now", "floor", "ceil", "String", "Number", "Boolean",
    // logging
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
];

/// Whether the function `def` is bookkeeping that runs to its end without I/O (module doc):
/// `None` when it is not, else the parameters whose values skip its I/O (none when it has
/// none to skip).
fn inert(
    def: Node<'_>,
    root: Node<'_>,
    src: &[u8],
    py: bool,
    cache: &mut Cache,
    depth: usize,
) -> Option<Vec<Guard>> {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    if py && !text(def).trim_start().starts_with("async") {
        return None;
    }
    if decorated(def, src) {
        return None;
    }
    let body = def.child_by_field_name("body")?;
    if stub(body, src, py) {
        return None;
    }
    let params = if py { parameters(def, src) } else { Vec::new() };
    let in_class = std::iter::successors(def.parent(), |n| n.parent()).any(|n| is_class(n.kind()));
    let mut guards: Vec<Guard> = Vec::new();
    // names bound in the walked code: a guard rebound there no longer tells what was passed
    let mut bound: Vec<&str> = Vec::new();
    let mut cur = body.walk();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        let t = text(n);
        if py
            && matches!(
                n.kind(),
                "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause"
            )
        {
            bound.extend(n.child_by_field_name("left").map(text));
        }
        if let Some(walked) = spawned(n, src, py) {
            stack.extend(walked);
            continue;
        }
        match n.kind() {
            // awaiting a function of the file that is inert too: only its arguments run here
            "await" | "await_expression" => match n.named_child(0) {
                Some(c) if call_is_inert(c, in_class, root, src, py, cache, depth + 1) => {
                    stack.extend(c.child_by_field_name("arguments"));
                    continue;
                }
                _ => return None,
            },
            "yield" | "yield_expression" => return None,
            // `async for`, `async with`, `[x async for x in …]`, `for await (…)`
            "for_statement" | "with_statement" | "for_in_clause"
                if py && t.starts_with("async") =>
            {
                return None
            }
            "for_in_statement" if !py && t.starts_with("for await") => return None,
            "call" | "call_expression" => {
                let callee = n.child_by_field_name("function").map_or("", text);
                let last = callee.rsplit(['.', '?']).next().unwrap_or(callee).trim();
                if !IN_MEMORY.contains(&last) {
                    return None;
                }
            }
            "new_expression" => return None,
            k if is_function(k) || k == "lambda" || is_class(k) => continue,
            // `x if p is not None else await load()`, `if p is None: p = await load()`:
            // the branch taken when a call passes `p` is the only one walked
            "conditional_expression" | "if_statement" if py => {
                if let Some((guard, taken)) = guarded(n, &params, src) {
                    if !guards.iter().any(|g| g.name == guard.name) {
                        guards.push(guard);
                    }
                    stack.extend(taken);
                    continue;
                }
            }
            _ => {}
        }
        for c in n.named_children(&mut cur) {
            stack.push(c);
        }
    }
    let rebound = guards.iter().any(|g| {
        bound
            .iter()
            .any(|b| b.split([',', ' ', '(', ')']).any(|x| x == g.name))
    });
    (!rebound).then_some(guards)
}

/// Calls that start a task and do not wait for it.
const SPAWN: &[&str] = &["create_task", "ensure_future"];

/// For a call that starts work without waiting for it — `asyncio.create_task(send(x))`,
/// `send(x).catch(report)` or `void send(x)` as a statement — the nodes that run here: the
/// arguments built for the started call (and the handlers, functions, which are not walked).
/// `None` for anything else.
fn spawned<'t>(n: Node<'t>, src: &[u8], py: bool) -> Option<Vec<Node<'t>>> {
    let call_kind = if py { "call" } else { "call_expression" };
    let text = |n: Node<'t>| n.utf8_text(src).unwrap_or("");
    // the arguments of `c`, and of the call each of them makes
    let started = |c: Node<'t>| -> Vec<Node<'t>> {
        let Some(args) = c.child_by_field_name("arguments") else {
            return Vec::new();
        };
        let mut cur = args.walk();
        let out = args
            .named_children(&mut cur)
            .map(|a| match a.kind() {
                "keyword_argument" => a.child_by_field_name("value").unwrap_or(a),
                _ => a,
            })
            .flat_map(|a| {
                if a.kind() == call_kind {
                    a.child_by_field_name("arguments")
                } else {
                    Some(a)
                }
            })
            .collect();
        out
    };
    if n.kind() == call_kind {
        let callee = n.child_by_field_name("function")?;
        let field = if py { "attribute" } else { "property" };
        let last = match callee.kind() {
            "identifier" => text(callee),
            "attribute" | "member_expression" => text(callee.child_by_field_name(field)?),
            _ => return None,
        };
        if py {
            return SPAWN.contains(&last).then(|| started(n));
        }
        // `send(x).catch(h)` as a whole statement: nobody waits for the promise
        let chained = matches!(last, "catch" | "then" | "finally")
            && n.parent()
                .is_some_and(|p| p.kind() == "expression_statement");
        let object = callee.child_by_field_name("object")?;
        if chained && object.kind() == call_kind {
            let walked = [object, n].into_iter();
            return Some(
                walked
                    .filter_map(|c| c.child_by_field_name("arguments"))
                    .collect(),
            );
        }
        return None;
    }
    // `void send(x)`
    if !py && n.kind() == "unary_expression" && text(n).starts_with("void") {
        let arg = n.child_by_field_name("argument")?;
        return (arg.kind() == call_kind)
            .then(|| arg.child_by_field_name("arguments").into_iter().collect());
    }
    None
}

/// The parameter names of the Python function `def`, with their positions for a call
/// through `self.`/`cls.` or by name (a method's first parameter is not written by the call;
/// positions end at `*`).
fn parameters(def: Node<'_>, src: &[u8]) -> Vec<Guard> {
    let Some(ps) = def.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let (wrapper, parent) = match def.parent() {
        Some(p) if p.kind() == "decorated_definition" => (Some(p), p.parent()),
        p => (None, p),
    };
    let is_static = wrapper.is_some_and(|w| {
        let mut c = w.walk();
        let found = w.named_children(&mut c).any(|d| {
            d.kind() == "decorator"
                && d.named_child(0)
                    .and_then(|e| e.utf8_text(src).ok())
                    .is_some_and(|e| e.rsplit('.').next() == Some("staticmethod"))
        });
        found
    });
    let method = !is_static && parent.is_some_and(|p| p.kind() == "block");
    let mut cur = ps.walk();
    let mut out = Vec::new();
    let mut positional = true;
    let mut index = 0usize;
    for (i, p) in ps.named_children(&mut cur).enumerate() {
        let name = match p.kind() {
            "identifier" => p.utf8_text(src).ok(),
            "default_parameter" | "typed_default_parameter" => p
                .child_by_field_name("name")
                .and_then(|n| n.utf8_text(src).ok()),
            // `x: T`, but not `*args: T` / `**kw: T`, which end the positions
            "typed_parameter" => match p.named_child(0) {
                Some(n) if n.kind() == "identifier" => n.utf8_text(src).ok(),
                _ => {
                    positional = false;
                    None
                }
            },
            _ => {
                positional = false;
                None
            }
        };
        if method && i == 0 {
            continue;
        }
        if let Some(name) = name {
            out.push(Guard {
                name: name.to_string(),
                position: positional.then_some(index),
            });
        }
        index += 1;
    }
    out
}

/// For `a if p is not None else b` / `a if p is None else b`, and for an `if p is None:` with
/// no other branch: the guard `p` (a parameter) and the children walked when a call passes it.
fn guarded<'t>(n: Node<'t>, params: &[Guard], src: &[u8]) -> Option<(Guard, Vec<Node<'t>>)> {
    let text = |n: Node<'t>| n.utf8_text(src).unwrap_or("");
    let test = |cond: Node<'t>| -> Option<(Guard, bool)> {
        if cond.kind() != "comparison_operator" {
            return None;
        }
        let t = text(cond).split_whitespace().collect::<Vec<_>>();
        let (name, is_none) = match t.as_slice() {
            [p, "is", "None"] => (*p, true),
            [p, "is", "not", "None"] => (*p, false),
            _ => return None,
        };
        let g = params.iter().find(|g| g.name == name)?;
        Some((g.clone(), is_none))
    };
    if n.kind() == "conditional_expression" {
        let mut c = n.walk();
        let parts: Vec<Node<'t>> = n.named_children(&mut c).filter(|x| !x.is_extra()).collect();
        let [then, cond, other] = parts[..] else {
            return None;
        };
        let (g, is_none) = test(cond)?;
        return Some((g, vec![cond, if is_none { other } else { then }]));
    }
    let cond = n.child_by_field_name("condition")?;
    let (g, is_none) = test(cond)?;
    let mut cur = n.walk();
    let other_branches = n.children_by_field_name("alternative", &mut cur).count() > 0;
    if !is_none || other_branches {
        return None;
    }
    Some((g, vec![cond]))
}

/// Decorated with anything but `staticmethod`, `classmethod` or `override` (a wrapper may do
/// I/O: a session, a rate limiter, a retry).
fn decorated(def: Node<'_>, src: &[u8]) -> bool {
    let harmless = |d: Node<'_>| {
        let t = d
            .utf8_text(src)
            .unwrap_or("")
            .trim_start_matches('@')
            .trim();
        let name = t.split('(').next().unwrap_or(t);
        let last = name.rsplit('.').next().unwrap_or(name);
        matches!(last, "staticmethod" | "classmethod" | "override")
    };
    let mut cur = def.walk();
    // TypeScript decorators are children of the method
    let own = def
        .named_children(&mut cur)
        .filter(|c| c.kind() == "decorator")
        .all(harmless);
    let wrapped = def
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
        .map(|p| {
            let mut c = p.walk();
            let all = p
                .named_children(&mut c)
                .filter(|c| c.kind() == "decorator")
                .all(harmless);
            all
        })
        .unwrap_or(true);
    !(own && wrapped)
}

/// A body that only stands in for a subclass's: `pass`, `...`, a docstring, a `raise` or a
/// `throw`, or nothing.
fn stub(body: Node<'_>, src: &[u8], py: bool) -> bool {
    let mut cur = body.walk();
    let stmts: Vec<Node<'_>> = body
        .named_children(&mut cur)
        .filter(|n| !n.is_extra())
        .collect();
    stmts.iter().all(|s| {
        let t = s.utf8_text(src).unwrap_or("").trim();
        match s.kind() {
            "pass_statement" | "raise_statement" | "throw_statement" | "empty_statement" => true,
            "expression_statement" => {
                t == "..." || (py && (t.starts_with('"') || t.starts_with('\'')))
            }
            "comment" => true,
            _ => false,
        }
    })
}

#[cfg(test)]
#[path = "inert_tests.rs"]
mod tests;
