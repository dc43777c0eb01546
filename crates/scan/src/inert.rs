//! Awaits that do no I/O: `await self.abort_transition(…)` where the file's own
//! `async def abort_transition` awaits nothing, or `await this.getProvider(id)` where the
//! class's `getProvider` awaits nothing and returns no call's result. Such a function runs to
//! its end without yielding to the event loop, so awaiting it once per item serialises no I/O
//! and there is nothing to run concurrently or batch.
//!
//! Only what the file shows is trusted: the callee is `self.name`/`cls.name`/`this.name`
//! (a method of the enclosing class) or a bare `name` (a function of the file), defined once
//! there. Anything else — a method of another object, an imported function, several
//! definitions, a body that awaits, yields, or returns a call's result (perhaps a promise) —
//! is taken to do I/O.

use crate::lang::Language;
use tree_sitter::Node;

/// Whether the await `node` awaits a call of a function this file defines that does no I/O.
/// `stack` holds `node`'s ancestors, `root` is the file's tree.
pub(crate) fn awaits_nothing(
    node: Node<'_>,
    stack: &[Node<'_>],
    root: Node<'_>,
    src: &[u8],
    lang: Language,
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
    let (scope, name, method) = match callee.kind() {
        "identifier" => (root, text(callee), false),
        "attribute" | "member_expression" => {
            let object = callee.child_by_field_name("object").map(text);
            let field = if py { "attribute" } else { "property" };
            let own = matches!(object, Some("self" | "cls" | "this"));
            let Some(class) = stack.iter().rev().find(|a| is_class(a.kind())) else {
                return false;
            };
            match callee.child_by_field_name(field) {
                Some(f) if own => (*class, text(f), true),
                _ => return false,
            }
        }
        _ => return false,
    };
    let mut defs = Vec::new();
    definitions(scope, name, method, src, &mut defs);
    match defs.as_slice() {
        [def] => inert(*def, src, py),
        _ => false,
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

/// The functions named `name` under `scope`: with `method`, the methods of the class `scope`
/// (not of classes nested in it); otherwise every function of that name in the file.
fn definitions<'t>(scope: Node<'t>, name: &str, method: bool, src: &[u8], out: &mut Vec<Node<'t>>) {
    let mut cur = scope.walk();
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        if out.len() > 1 {
            return;
        }
        if n.id() != scope.id() && is_function(n.kind()) {
            if crate::lang::function_name(n, src).as_deref() == Some(name) {
                out.push(n);
            }
            // a method's own nested functions are not the class's methods
            if method {
                continue;
            }
        }
        if method && n.id() != scope.id() && is_class(n.kind()) {
            continue;
        }
        for c in n.named_children(&mut cur) {
            stack.push(c);
        }
    }
}

/// Whether the function `def` runs to its end without I/O: in Python an `async def` with no
/// `await`, `async for` or `async with` of its own; in JavaScript a function with no `await`
/// or `yield` that returns no call's or `new`'s result (which could be a promise).
fn inert(def: Node<'_>, src: &[u8], py: bool) -> bool {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    if py && !text(def).trim_start().starts_with("async") {
        return false;
    }
    let Some(body) = def.child_by_field_name("body") else {
        return false;
    };
    if !py && body.kind() != "statement_block" {
        // an arrow function's expression body is its result
        return !has_call(body);
    }
    let mut cur = body.walk();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "await" | "await_expression" | "yield" | "yield_expression" => return false,
            "for_statement" | "with_statement" if py && text(n).starts_with("async") => {
                return false
            }
            "return_statement" if !py && has_call(n) => return false,
            k if is_function(k) || k == "lambda" || is_class(k) => continue,
            _ => {}
        }
        for c in n.named_children(&mut cur) {
            stack.push(c);
        }
    }
    true
}

/// Whether `n` holds a call or a `new` outside nested functions.
fn has_call(n: Node<'_>) -> bool {
    let mut cur = n.walk();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        match x.kind() {
            "call_expression" | "new_expression" => return true,
            k if is_function(k) => continue,
            _ => {}
        }
        for c in x.named_children(&mut cur) {
            stack.push(c);
        }
    }
    false
}
