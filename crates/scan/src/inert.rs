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
//! - its body awaits nothing (no `await`, `async for`/`async with`, async comprehension,
//!   `for await`, `yield`), and calls nothing but in-memory helpers: builtins, container and
//!   string methods, logging.
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
    if call.kind() != if py { "call" } else { "call_expression" } {
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
                Some(f) if own && stack.iter().any(|a| is_class(a.kind())) => (text(f), true),
                _ => return false,
            }
        }
        _ => return false,
    };
    let key = (
        root.id(),
        format!("{}{name}", if method { "." } else { "" }),
    );
    let verdict = cache.entry(key).or_insert_with(|| {
        let mut defs = Vec::new();
        definitions(root, name, method, src, &mut defs);
        match defs.as_slice() {
            [def] => inert(*def, src, py),
            _ => None,
        }
    });
    verdict
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
fn inert(def: Node<'_>, src: &[u8], py: bool) -> Option<Vec<Guard>> {
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
        match n.kind() {
            "await" | "await_expression" | "yield" | "yield_expression" => return None,
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
mod tests {
    use crate::Language;

    /// The lines of the await-in-loop findings of `text`.
    fn reported(lang: Language, text: &str) -> Vec<u32> {
        let rules = crate::builtin_rules();
        let file = if lang == Language::Python {
            "svc.py"
        } else {
            "svc.js"
        };
        let (f, _) = crate::scan_text(&rules, lang, file, text);
        let mut lines: Vec<u32> = f
            .iter()
            .filter(|f| f.rule_id.ends_with("await-in-loop"))
            .flat_map(|f| {
                let mut l = vec![f.line];
                l.extend(f.statements.iter().map(|s| s.line));
                l
            })
            .collect();
        lines.sort();
        lines.dedup();
        lines
    }

    const PY_LOOP: &str = "\n    async def run(self, users):\n        for user in users:\n            await self.handle(user)\n";

    fn py_class(handle: &str) -> String {
        format!("class Worker:\n{handle}{PY_LOOP}")
    }

    #[test]
    fn python_bookkeeping_is_inert_and_anything_else_is_not() {
        let inert = "    async def handle(self, user):\n        self.seen.append(user.id)\n        log.debug(\"seen %s\", user.id)\n";
        assert!(reported(Language::Python, &py_class(inert)).is_empty());
        for body in [
            // a stub a subclass elsewhere fills in
            "    async def handle(self, user):\n        pass\n",
            "    async def handle(self, user):\n        \"\"\"Handle one user.\"\"\"\n        raise NotImplementedError\n",
            // calls out (a blocking commit), awaits, streams, comprehends asynchronously
            "    async def handle(self, user):\n        self.session.add(user)\n        self.session.commit()\n",
            "    async def handle(self, user):\n        await self.db.save(user)\n",
            "    async def handle(self, user):\n        async with self.lock:\n            self.n += 1\n",
            "    async def handle(self, user):\n        return [r async for r in self.db.stream(user)]\n",
            // a wrapper may do I/O
            "    @db_session\n    async def handle(self, user):\n        self.n += 1\n",
            // not async: what it returns is awaited
            "    def handle(self, user):\n        return self.db.save(user)\n",
        ] {
            assert_eq!(reported(Language::Python, &py_class(body)), vec![5 + body.lines().count() as u32], "{body}");
        }
        // overridden in another class of the file: which one runs is not known
        let two = format!(
            "{}\nclass Other(Worker):\n    async def handle(self, user):\n        await self.db.save(user)\n",
            py_class(inert)
        );
        assert_eq!(reported(Language::Python, &two).len(), 1);
    }

    #[test]
    fn a_bare_name_is_a_top_level_function_and_one_await_does_not_hide_another() {
        // a method of the same name is not the imported function
        let text = "from app.storage import save_order\n\nclass Draft:\n    async def save_order(self):\n        self.saved = True\n\nasync def publish(orders):\n    for order in orders:\n        await save_order(order)\n";
        assert_eq!(reported(Language::Python, text), vec![9]);
        let top = "async def mark(order):\n    order.marked = True\n\nasync def publish(orders):\n    for order in orders:\n        await mark(order)\n";
        assert!(reported(Language::Python, top).is_empty());
        let nested = "class Worker:\n    async def remember(self, x):\n        self.items.append(x)\n\n    async def run(self, orders):\n        for order in orders:\n            await self.remember(await self.fetch_order(order))\n";
        assert_eq!(reported(Language::Python, nested), vec![7]);
    }

    #[test]
    fn io_a_passed_argument_skips_is_not_io_for_that_call() {
        let to_model = "class Notes:\n    async def _to_model(self, note, grants=None, db=None):\n        m = NoteModel.model_validate(note)\n        m.grants = grants if grants is not None else await self._grants(m.id, db=db)\n        return m\n\n";
        let listing = |call: &str| {
            format!("{to_model}    async def listing(self, notes, grants_map):\n        out = []\n        for note in notes:\n            out.append(await self.{call})\n        return out\n")
        };
        // the grants are passed, by keyword or position: the await does no I/O
        for call in [
            "_to_model(note, grants=grants_map.get(note.id, []))",
            "_to_model(note, grants_map[note.id])",
        ] {
            assert!(
                reported(Language::Python, &listing(call)).is_empty(),
                "{call}"
            );
        }
        // not passed, passed as None or as a lookup that may miss, or passed through
        // `**kwargs` or after `*args`: a query per note
        for call in [
            "_to_model(note, db=db)",
            "_to_model(note, grants=None)",
            "_to_model(note, grants=grants_map.get(note.id))",
            "_to_model(note, **extra)",
            "_to_model(*extra, grants_map[note.id])",
        ] {
            assert_eq!(
                reported(Language::Python, &listing(call)),
                vec![10],
                "{call}"
            );
        }
        // the statement form: `if grants is None: grants = await …`
        let stmt = "async def to_model(note, grants=None):\n    if grants is None:\n        grants = await load_grants(note.id)\n    return dict(note=note, grants=grants)\n\nasync def listing(notes, grants_map):\n    for note in notes:\n        await to_model(note, grants_map[note.id])\n";
        assert!(reported(Language::Python, stmt).is_empty());
        // an `else` branch, a guard that is not a parameter, or a guard rebound before it is
        // tested, still does I/O
        for body in [
            "    grants = grants or None\n    return grants if grants is not None else await load_grants(note.id)\n",
            "    if grants is None:\n        grants = []\n    else:\n        grants = await load_grants(note.id)\n",
            "    if CACHE is None:\n        grants = await load_grants(note.id)\n",
        ] {
            let text = format!("async def to_model(note, grants=None):\n{body}    return grants\n\nasync def listing(notes, grants_map):\n    for note in notes:\n        await to_model(note, grants_map[note.id])\n");
            assert_eq!(reported(Language::Python, &text).len(), 1, "{body}");
        }
    }

    #[test]
    fn javascript_bookkeeping_is_inert_and_promises_are_not() {
        let class = |method: &str| {
            format!("class Registry {{\n{method}\n  async resolveAll(users) {{\n    for (const user of users) {{\n      await this.getProvider(user.provider);\n    }}\n  }}\n}}\n")
        };
        assert!(reported(Language::JavaScript, &class("  async getProvider(name) {\n    this.hits.push(name);\n    return this.providers[name];\n  }")).is_empty());
        for method in [
            "  async getProvider(name) {\n    const p = this.db.findOne({ where: { name } });\n    return p;\n  }",
            "  async getProvider(name) {\n    throw new Error('override me');\n  }",
            "  async getProvider(name) {\n    const out = [];\n    for await (const l of this.open(name)) out.push(l);\n    return out;\n  }",
            "  getProvider(name) {\n    return new Promise((r) => setTimeout(r, 10));\n  }",
        ] {
            assert_eq!(reported(Language::JavaScript, &class(method)).len(), 1, "{method}");
        }
    }
}
