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
//! - its body awaits nothing but other such functions of the file (followed six levels; a
//!   function reached again while it is read is taken to do I/O), has no `async for`/`async
//!   with`, async comprehension, `for await` or `yield`, and calls nothing but in-memory
//!   helpers: builtins, container and string methods, logging;
//! - a task it starts and does not wait for is not its I/O (`spawn`): `asyncio.create_task(…)`
//!   (or `ensure_future`, of `asyncio`, a loop or a task group), in JavaScript a
//!   `.then`/`.catch`/`.finally` chain or `void` as a whole statement; what the started call
//!   is given and called on runs there, and is read as above;
//! - in Python, I/O behind a parameter's `None` test (`p if p is not None else await load()`,
//!   `if p is None: p = await load()` with no other branch) is skipped when the call passes
//!   `p` (not `None`, not a `.get(key)` without a default) and the body does not rebind it; a
//!   function that passes its own parameter on to such a call (`await self._load(x, p=p)`)
//!   has that guard too (`guards`).
//!
//! - `async with` on a lock of the process (`self._lock = asyncio.Lock()`, `locks`) is
//!   waiting for another task, not I/O: the body under it is read as above; any method of
//!   a name the file binds only to a container (`self._items = {}`) stays in memory (`bound`).
//!
//! Anything else — a method of another object, an imported function, a body that calls out —
//! is taken to do I/O during the walk; after it, `callees` resolves Python methods of typed
//! receivers and imported functions to their own file and reads them with [`defined_inert`].

mod bound;
mod guards;
mod spawn;

use crate::lang::Language;
use guards::Guard;
use std::collections::HashMap;
use tree_sitter::Node;

/// Verdicts already reached in one file, by (scope node, name): `None` when the function may
/// do I/O (module doc). While a function's body is read it holds `None` (a call back into it
/// is taken to do I/O); a verdict cut short by the depth limit is not kept.
pub(crate) type Cache = HashMap<(usize, String), Option<Inert>>;

/// A function that does no I/O: the parameters a call must pass for it to do none (none when
/// it has none to skip), and how many levels of awaited inert functions it stands on (0 when
/// it awaits none), so that the depth limit gives one verdict whatever order calls come in.
#[derive(Clone, Debug)]
pub(crate) struct Inert {
    guards: Vec<Guard>,
    height: usize,
}

/// Whether the await `node` awaits a call of a function this file defines that does no I/O.
/// `stack` holds `node`'s ancestors, `root` is the file's tree.
pub(crate) fn awaits_no_io(
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
    let mut truncated = false;
    let mut file = File {
        root,
        src,
        py,
        cache,
    };
    file.resolve(call, in_class, 0, &mut truncated)
        .is_some_and(|f| {
            f.guards
                .iter()
                .all(|g| guards::argument(call, g, src).is_some_and(|v| guards::given(v, src)))
        })
}

/// Whether the function `name` of a Python file (tree `root`, text `src`) does no I/O
/// whatever it is passed (module doc): the method `name` of its top-level class `class`, or
/// with `class` `None` its top-level function `name`. Read for a call from another file
/// (`callees`), which cannot tell which guards it passes: a function with guards is not inert
/// here.
pub(crate) fn defined_inert(root: Node<'_>, src: &[u8], class: Option<&str>, name: &str) -> bool {
    let mut defs = Vec::new();
    definitions(root, name, class.is_some(), src, &mut defs);
    let [def] = defs.as_slice() else {
        return false;
    };
    // the one method of that name in the file is the class's own
    if let Some(class) = class {
        let owner =
            std::iter::successors(def.parent(), |n| n.parent()).find(|n| is_class(n.kind()));
        let named = owner
            .and_then(|c| c.child_by_field_name("name"))
            .and_then(|n| n.utf8_text(src).ok());
        // bases of another file may define what `self.x()` calls in the body: only the
        // standard roots and classes of this file are read
        let foreign = owner
            .and_then(|c| c.child_by_field_name("superclasses"))
            .is_some_and(|list| {
                let mut cur = list.walk();
                let bases: Vec<Node<'_>> = list.named_children(&mut cur).collect();
                bases.into_iter().any(|b| {
                    if b.kind() == "keyword_argument" {
                        return false;
                    }
                    let t = b.utf8_text(src).unwrap_or("");
                    let t = t.split('[').next().unwrap_or(t).trim();
                    let last = t.rsplit('.').next().unwrap_or(t);
                    !matches!(last, "object" | "ABC" | "Generic" | "Protocol")
                        && !top_level_class(root, last, src)
                })
            });
        if foreign
            || named != Some(class)
            || !owner.and_then(|c| c.parent()).is_some_and(|p| {
                p.kind() == "module"
                    || (p.kind() == "decorated_definition"
                        && p.parent().is_some_and(|m| m.kind() == "module"))
            })
        {
            return false;
        }
    }
    let mut cache = Cache::new();
    let mut file = File {
        root,
        src,
        py: true,
        cache: &mut cache,
    };
    let mut truncated = false;
    let verdict = file.inert(*def, 1, &mut truncated);
    !truncated && verdict.is_some_and(|f| f.guards.is_empty())
}

/// Whether the module `root` defines a class `name` at its top level.
fn top_level_class(root: Node<'_>, name: &str, src: &[u8]) -> bool {
    let mut cur = root.walk();
    let found = root.named_children(&mut cur).any(|n| {
        let n = if n.kind() == "decorated_definition" {
            n.child_by_field_name("definition").unwrap_or(n)
        } else {
            n
        };
        n.kind() == "class_definition"
            && n.child_by_field_name("name")
                .and_then(|c| c.utf8_text(src).ok())
                == Some(name)
    });
    found
}

/// How deep awaits of inert functions are followed (`a` awaits `b`, which awaits `c`).
const MAX_DEPTH: usize = 6;

/// One file's tree and what is known of its functions.
struct File<'t, 'c> {
    root: Node<'t>,
    src: &'t [u8],
    py: bool,
    cache: &'c mut Cache,
}

impl<'t> File<'t, '_> {
    /// The function `call` calls, when it is a function of this file that does no I/O (module
    /// doc) and is reached at `depth` levels of awaits with the rest of its chain within
    /// [`MAX_DEPTH`]; `None` otherwise. `in_class`: the call sits in a class, so `self.name` may
    /// be one of its methods. Sets `truncated` when the answer was cut short by the depth limit
    /// (and so is not kept in `cache`).
    fn resolve(
        &mut self,
        call: Node<'t>,
        in_class: bool,
        depth: usize,
        truncated: &mut bool,
    ) -> Option<Inert> {
        let (root, src, py) = (self.root, self.src, self.py);
        if call.kind() != if py { "call" } else { "call_expression" } {
            return None;
        }
        let callee = call.child_by_field_name("function")?;
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
                    _ => return None,
                }
            }
            _ => return None,
        };
        let key = (
            root.id(),
            format!("{}{name}", if method { "." } else { "" }),
        );
        if let Some(verdict) = self.cache.get(&key) {
            return match verdict {
                Some(f) if depth + f.height > MAX_DEPTH => {
                    *truncated = true;
                    None
                }
                v => v.clone(),
            };
        }
        if depth > MAX_DEPTH {
            *truncated = true;
            return None;
        }
        // while its body is read, a call back into the function is taken to do I/O
        self.cache.insert(key.clone(), None);
        let mut defs = Vec::new();
        definitions(root, name, method, src, &mut defs);
        let mut cut = false;
        let verdict = match defs.as_slice() {
            [def] => self.inert(*def, depth, &mut cut),
            _ => None,
        };
        if cut {
            self.cache.remove(&key);
            *truncated = true;
        } else {
            self.cache.insert(key, verdict.clone());
        }
        verdict
    }

    /// Whether the function `def`, reached at `depth` levels of awaits, is bookkeeping that runs
    /// to its end without I/O (module doc): `None` when it is not (or the depth limit cut the
    /// answer short: `truncated`), else its guards and height.
    fn inert(&mut self, def: Node<'t>, depth: usize, truncated: &mut bool) -> Option<Inert> {
        let (src, py) = (self.src, self.py);
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
        let params = if py {
            guards::parameters(def, src)
        } else {
            Vec::new()
        };
        let in_class =
            std::iter::successors(def.parent(), |n| n.parent()).any(|n| is_class(n.kind()));
        let mut guards: Vec<Guard> = Vec::new();
        let mut height = 0;
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
            if let Some(walked) = spawn::spawned(n, src, py) {
                stack.extend(walked);
                continue;
            }
            match n.kind() {
                // awaiting a function of the file that is inert too: only its arguments run here
                "await" | "await_expression" => {
                    let c = n.named_child(0)?;
                    let inner = self.resolve(c, in_class, depth + 1, truncated)?;
                    height = height.max(inner.height + 1);
                    for g in &inner.guards {
                        let v = guards::argument(c, g, src)?;
                        // passed on from this function's own parameter: its caller decides
                        if let Some(p) = guards::passed_on(v, &params, src) {
                            if !guards.iter().any(|x| x.name == p.name) {
                                guards.push(p.clone());
                            }
                        } else if !guards::given(v, src) {
                            return None;
                        }
                    }
                    stack.extend(c.child_by_field_name("arguments"));
                    continue;
                }
                "yield" | "yield_expression" => return None,
                // `async with self._lock:` on an `asyncio.Lock()` of the file: waiting for
                // another task of the process, not for I/O; its body is read as any other
                "with_statement" if py && t.starts_with("async") && bound::only_locks(n, src) => {
                    stack.extend(n.child_by_field_name("body"));
                    continue;
                }
                // `async for`, `async with`, `[x async for x in …]`, `for await (…)`
                "for_statement" | "with_statement" | "for_in_clause"
                    if py && t.starts_with("async") =>
                {
                    return None
                }
                "for_in_statement" if !py && t.starts_with("for await") => return None,
                "call" | "call_expression" => {
                    let function = n.child_by_field_name("function");
                    let callee = function.map_or("", text);
                    let last = callee.rsplit(['.', '?']).next().unwrap_or(callee).trim();
                    let bare = function.is_some_and(|f| f.kind() == "identifier");
                    let known = if bare {
                        BUILTINS.contains(&last)
                    } else {
                        IN_MEMORY.contains(&last)
                    };
                    let container =
                        || py && function.is_some_and(|c| bound::container_method(c, src));
                    if !known && !container() {
                        return None;
                    }
                }
                "new_expression" => return None,
                k if is_function(k) || k == "lambda" || is_class(k) => continue,
                // `x if p is not None else await load()`, `if p is None: p = await load()`:
                // the branch taken when a call passes `p` is the only one walked
                "conditional_expression" | "if_statement" if py => {
                    if let Some((guard, taken)) = guards::guarded(n, &params, src) {
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
        (!rebound).then_some(Inert { guards, height })
    }
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

/// Functions called by their bare name that stay in memory: Python's builtins, JavaScript's
/// conversions (as methods, `cache.set(k, v)` or `client.files.list()`, the same names may do
/// I/O).
#[rustfmt::skip]
const BUILTINS: &[&str] = &[
    "len", "isinstance", "issubclass", "str", "int", "float", "bool", "dict", "list", "set",
    "tuple", "frozenset", "min", "max", "sum", "any", "all", "sorted", "reversed", "getattr",
    "setattr", "hasattr", "enumerate", "range", "zip", "iter", "next", "repr", "id", "type",
    "super", "abs", "round", "map", "filter", "String", "Number", "Boolean",
];

/// Methods that stay in memory: container and string methods, logging.
#[rustfmt::skip]
const IN_MEMORY: &[&str] = &[
    // array methods of JavaScript
    "map", "filter",
    // container and string methods (not `get`/`set`/`update`/`insert`: also cache and ORM calls)
    "append", "extend", "pop", "popleft", "appendleft", "setdefault", "items", "keys", "values",
    "copy", "join", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
    "startswith", "endswith", "replace", "format", "discard", "clear", "notify", "notify_all",
    // pydantic models, built and dumped in memory
    "model_validate", "model_dump", "model_dump_json", "model_copy", "model_construct",
    "push", "shift", "unshift", "slice", "includes", "indexOf", "startsWith", "endsWith",
    "trim", "toLowerCase", "toUpperCase", "toString", "concat", "has", "isArray", "stringify",
    "parse", "assign", "entries", "now", "floor", "ceil",
    // logging
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
];

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
mod tests;
