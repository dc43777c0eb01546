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
//! Anything else — a method of another object, an imported function, a body that calls out —
//! is taken to do I/O.

use crate::lang::Language;
use std::collections::HashMap;
use tree_sitter::Node;

/// Verdicts already reached in one file, by (scope node, name).
pub(crate) type Cache = HashMap<(usize, String), bool>;

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
    if let Some(&v) = cache.get(&key) {
        return v;
    }
    let mut defs = Vec::new();
    definitions(root, name, method, src, &mut defs);
    let verdict = match defs.as_slice() {
        [def] => inert(*def, src, py),
        _ => false,
    };
    cache.insert(key, verdict);
    verdict
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
    "push", "shift", "unshift", "slice", "includes", "indexOf", "startsWith", "endsWith",
    "trim", "toLowerCase", "toUpperCase", "toString", "concat", "has", "isArray", "stringify",
    "parse", "assign", "entries", "now", "floor", "ceil", "String", "Number", "Boolean",
    // logging
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
];

/// Whether the function `def` is bookkeeping that runs to its end without I/O (module doc).
fn inert(def: Node<'_>, src: &[u8], py: bool) -> bool {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    if py && !text(def).trim_start().starts_with("async") {
        return false;
    }
    if decorated(def, src) {
        return false;
    }
    let Some(body) = def.child_by_field_name("body") else {
        return false;
    };
    if stub(body, src, py) {
        return false;
    }
    let mut cur = body.walk();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        let t = text(n);
        match n.kind() {
            "await" | "await_expression" | "yield" | "yield_expression" => return false,
            // `async for`, `async with`, `[x async for x in …]`, `for await (…)`
            "for_statement" | "with_statement" | "for_in_clause"
                if py && t.starts_with("async") =>
            {
                return false
            }
            "for_in_statement" if !py && t.starts_with("for await") => return false,
            "call" | "call_expression" => {
                let callee = n.child_by_field_name("function").map_or("", text);
                let last = callee.rsplit(['.', '?']).next().unwrap_or(callee).trim();
                if !IN_MEMORY.contains(&last) {
                    return false;
                }
            }
            "new_expression" => return false,
            k if is_function(k) || k == "lambda" || is_class(k) => continue,
            _ => {}
        }
        for c in n.named_children(&mut cur) {
            stack.push(c);
        }
    }
    true
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
