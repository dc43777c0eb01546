//! Where a loop's collection comes from, in the function around it. Two origins say the loop
//! walks what one call already holds, whatever the items are called:
//! - a function that handles one event (`handle_typing`, `_handle_presence`, `on_rdata`,
//!   `onMessage`, `handleWebhook`) looping over what it was handed (`for user in users`,
//!   `for commit in event["commits"]`): the parts of that one event;
//! - an `async` Python function looping over what a call returns without being awaited (`for p in
//!   storage.async_items()`, `for tool_call in attribute_items(message, "tool_calls")`,
//!   `for msg in stream.iter_messages()`): in async code a call that may wait on the network or
//!   a database is awaited, so this one hands over what the process holds — a registry, a
//!   parse of one message, a cache. A query chain (`Model.objects.filter(…)`,
//!   `cursor.fetchall()`, `result.mappings().all()`) is not such a call. JavaScript is left
//!   out: a browser store's selectors hand over whole conversations.
//!
//! - a loop in the `except` (`catch`) branch of a `try` whose body handed the same collection
//!   whole to one call (`self.db.batch_add_history(records)`, a query built from `[… for node
//!   in nodes]`) or called a batched form by name (`bulk_create`, `executemany`): the per-item
//!   fallback of a batched call, run only when that call failed.
//!
//! Either way the loop is of unknown size: what the names of its items say does not tell.

use super::expr::{strip_groups, unwrap};
use super::{words, PASS};
use tree_sitter::Node;

/// Why the loop `lp` inside the function `function` walks what one call holds (module doc), or
/// `None`. `collection` is the loop's collection as written.
pub(super) fn held_by_one_call(
    lp: Node<'_>,
    function: Node<'_>,
    collection: &str,
    src: &[u8],
) -> Option<String> {
    let name = crate::lang::function_name(function, src).unwrap_or_default();
    let root = root_name(unwrap(collection));
    if is_event_handler(&name) && root.is_some_and(|r| parameters(function, src).contains(&r)) {
        return Some(name);
    }
    if let Some(call) = root.and_then(|r| fallback_of_batch(lp, function, r, src)) {
        return Some(format!("fallback of {call}"));
    }
    let python = function.kind() == "function_definition";
    (python
        && is_async(function)
        && !collection.contains("await")
        && unawaited_call(unwrap(collection)))
    .then(|| format!("{} (not awaited)", call_name(unwrap(collection))))
}

/// The call the `try` around `lp` (in `function`) handed the collection `root` to whole,
/// when `lp` is in that `try`'s `except`/`catch` branch: a call with `root` as an argument (not
/// a conversion such as `float(v)`, nor logging), a call named for a batch (`bulk_create`,
/// `insertMany`), or a comprehension over `root`.
fn fallback_of_batch(lp: Node<'_>, function: Node<'_>, root: &str, src: &[u8]) -> Option<String> {
    let mut n = lp;
    let handler = loop {
        let p = n.parent()?;
        if p.id() == function.id() {
            return None;
        }
        if matches!(p.kind(), "except_clause" | "catch_clause") {
            break p;
        }
        n = p;
    };
    let body = handler.parent()?.child_by_field_name("body")?;
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    let is_root = |n: Node<'_>| n.kind() == "identifier" && text(n) == root;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "call" | "call_expression" => {
                let callee = n.child_by_field_name("function").map(text).unwrap_or("");
                let last = callee.rsplit('.').next().unwrap_or(callee);
                let conversion = matches!(
                    last,
                    "float"
                        | "int"
                        | "str"
                        | "bool"
                        | "len"
                        | "Decimal"
                        | "isinstance"
                        | "hasattr"
                        | "getattr"
                        | "repr"
                        | "print"
                        | "type"
                        | "Number"
                        | "String"
                ) || callee.contains("log")
                    || matches!(
                        last,
                        "debug" | "info" | "warning" | "warn" | "error" | "exception"
                    );
                let handed = n.child_by_field_name("arguments").is_some_and(|args| {
                    let mut c = args.walk();
                    let found = args.named_children(&mut c).any(|a| {
                        is_root(a)
                            || a.child_by_field_name("value").is_some_and(is_root)
                            || (a.kind().contains("splat") || a.kind() == "spread_element")
                                && a.named_child(0).is_some_and(is_root)
                    });
                    found
                });
                // or a call that names itself the batched form (`bulk_create`, `executemany`)
                let lower = last.to_ascii_lowercase();
                let batched = ["bulk", "batch", "many"].iter().any(|w| lower.contains(w));
                if (handed && !conversion) || batched {
                    return Some(callee.to_string());
                }
            }
            "for_in_clause" if n.child_by_field_name("right").is_some_and(is_root) => {
                return Some(format!("a comprehension over {root}"));
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    None
}

/// `handle_typing`, `_handle_presence`, `on_rdata`, `onMessage`, `handleWebhook`: a function
/// that handles one event. Not `on`/`handle` alone, nor a hook of the process's life
/// (`on_startup`, `onModuleInit`, `onAfterStart`), which is handed no event.
fn is_event_handler(name: &str) -> bool {
    let w = words(name.trim_start_matches('_'));
    let Some((first, rest)) = w.split_first() else {
        return false;
    };
    let life = |x: &String| {
        matches!(
            x.as_str(),
            "startup" | "start" | "shutdown" | "stop" | "init" | "module" | "load" | "ready"
        )
    };
    matches!(first.as_str(), "on" | "handle") && !rest.is_empty() && !rest.iter().any(life)
}

/// The identifier an expression starts from (`event` of `event["commits"].items()`).
fn root_name(e: &str) -> Option<&str> {
    let e = e.trim_start_matches(['(', '[', '{', ' ']);
    let end = e
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(e.len());
    let root = &e[..end];
    (!root.is_empty() && !root.starts_with(|c: char| c.is_ascii_digit())).then_some(root)
}

/// The names of a function's parameters, but for the object itself (`self`, `cls`).
fn parameters<'s>(function: Node<'_>, src: &'s [u8]) -> Vec<&'s str> {
    let Some(params) = function
        .child_by_field_name("parameters")
        .or_else(|| function.child_by_field_name("parameter"))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![params];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => {
                if let Ok(t) = n.utf8_text(src) {
                    if !matches!(t, "self" | "cls") {
                        out.push(t);
                    }
                }
            }
            // a type or a default value names no parameter
            "type" | "type_annotation" => {}
            _ => {
                let mut c = n.walk();
                for (i, ch) in n.children(&mut c).enumerate() {
                    let field = n.field_name_for_child(i as u32);
                    if !matches!(field, Some("value" | "right" | "type" | "default")) {
                        stack.push(ch);
                    }
                }
            }
        }
    }
    out
}

/// Whether the function is declared `async`.
fn is_async(function: Node<'_>) -> bool {
    let mut c = function.walk();
    let found = function.children(&mut c).any(|ch| ch.kind() == "async");
    found
}

/// Whether `e` (its wrappers unwrapped) is a call that is not a query chain: no member of
/// its chain passes a collection on (`filter`, `all`, `fetchall`, `items`, `find`) or reaches
/// a table (`objects`).
fn unawaited_call(e: &str) -> bool {
    let e = e.trim();
    if !e.ends_with(')') || e.starts_with(['(', '[', '{']) {
        return false;
    }
    let chain = strip_groups(e);
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '?');
    if chain.is_empty() || !chain.chars().all(plain) {
        return false;
    }
    let mut members = chain.split(['.', '?']).filter(|m| !m.is_empty());
    let root = members.next();
    let rest: Vec<&str> = members.collect();
    let last = rest.last().copied().or(root).unwrap_or("");
    !PASS.contains(&last)
        && !rest
            .iter()
            .any(|m| matches!(*m, "objects" | "query" | "mappings" | "scalars" | "execute"))
}

/// The callee of a call expression as written (`stream.iter_messages` of
/// `stream.iter_messages()`).
fn call_name(e: &str) -> &str {
    e[..e.find('(').unwrap_or(e.len())].trim()
}

#[cfg(test)]
#[path = "origin_tests.rs"]
mod tests;
