//! Where a loop's collection comes from, in the function around it. Three origins say the
//! loop walks what one call already holds, or runs only when a batch failed, whatever the
//! items are called:
//! - a function that handles one event (`handle_typing`, `_handle_presence`, `on_rdata`,
//!   `onMessage`, `handleWebhook`) looping over what it was handed, as handed (`for user in
//!   users`, `for commit in event["commits"]`): the parts of that one event. Not a handler of
//!   many at once by its name (`handle_bulk_upload`, `on_orders_synced`), an HTTP request's
//!   body, a query or call on the parameter, nor a parameter rebound before the loop;
//! - an `async` Python function looping over what a call returns without being awaited (`for p in
//!   storage.async_items()`, `for tool_call in attribute_items(message, "tool_calls")`,
//!   `for msg in stream.iter_messages()`): in async code a call that may wait on the network or
//!   a database is awaited, so this one hands over what the process holds — a registry, a
//!   parse of one message, a cache. A query chain (`Model.objects.filter(…)`,
//!   `cursor.fetchall()`, `result.mappings().all()`), a blocking client's call
//!   (`requests.get(url).json()`) and a call handed a session (`get_active_users(db)`) are not
//!   such calls. JavaScript is left out: a browser store's selectors hand over whole
//!   conversations;
//! - a loop in the `except` (`catch`) branch of a `try` whose body called a batched form by
//!   name (`bulk_create`, `executemany`, `batch_add_history`) or handed the same collection
//!   whole to a store (`db.insert(records)`, a query built from `[… for node in nodes]`): the
//!   per-item fallback of a batched call, run only when that call failed.
//!
//! Each way the loop is of unknown size: what the names of its items say does not tell.

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
    let walked = unwrap(collection);
    let root = root_name(walked);
    let awaited = collection.contains("await ") || collection.contains("await(");
    if is_event_handler(&name)
        && !awaited
        && root.is_some_and(|r| handed_whole(function, lp, r, walked, src))
    {
        return Some(name);
    }
    if let Some(call) = root.and_then(|r| fallback_of_batch(lp, function, r, src)) {
        return Some(format!("fallback of {call}"));
    }
    let python = function.kind() == "function_definition";
    (python && is_async(function) && !awaited && unawaited_call(walked))
        .then(|| format!("{} (not awaited)", call_name(walked)))
}

/// Whether the handler `function` walks what it was handed as it was handed: `walked` starts
/// from its parameter `root` (not an HTTP request, `req`, `request`, `ctx`: a route handler's
/// body may be a bulk upload), reads only fields, keys or a mapping's views on the way (a
/// query on it, `orders_qs.filter(…)`, or a call, `org.getUsers()`, fetches something else),
/// and the function does not rebind `root` before the loop (`users = users or
/// User.objects.all()`).
fn handed_whole(function: Node<'_>, lp: Node<'_>, root: &str, walked: &str, src: &[u8]) -> bool {
    if matches!(
        root,
        "req" | "request" | "ctx" | "context" | "res" | "response"
    ) || !parameters(function, src).contains(&root)
    {
        return false;
    }
    // only fields, subscripts and a mapping's views after the root
    let chain = strip_groups(walked);
    let views = ["items", "values", "keys", "entries"];
    let calls = walked.matches('(').count();
    let view_calls = chain
        .split(['.', '?'])
        .filter(|m| views.contains(m))
        .count();
    if calls > view_calls {
        return false;
    }
    // not rebound between the parameters and the loop
    let from = function
        .child_by_field_name("parameters")
        .or_else(|| function.child_by_field_name("parameter"))
        .map_or(function.start_byte(), |p| p.end_byte());
    let before = src
        .get(from..lp.start_byte().max(from))
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("");
    !rebinds(before, root)
}

/// Whether `text` assigns to the name `root` (`root = …`, `root: T = …`, `root += …`). A
/// keyword argument (`f(root=x)`) reads as one too: the loop is then sized by its names.
fn rebinds(text: &str, root: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(root).any(|(i, _)| {
        let after = &text[i + root.len()..];
        if text[..i].ends_with(|c: char| ident(c) || c == '.') || after.starts_with(ident) {
            return false;
        }
        let line = after.trim_start_matches([' ', '\t']);
        let line = line.split('\n').next().unwrap_or("");
        if let Some(annotated) = line.strip_prefix(':') {
            // `root: T = …`; not `for x in root:` nor `{root: value}`
            return annotated
                .split_once('=')
                .is_some_and(|(_, value)| !value.starts_with('='));
        }
        let op = line.trim_start_matches(['+', '-', '*', '/', '|', '&', '%']);
        line.len() - op.len() <= 1 && op.starts_with('=') && !op.starts_with("==")
    })
}

/// The batched call the `try` around `lp` (in `function`) made, when `lp` is in that `try`'s
/// `except`/`catch` branch: a call named for a batch (`bulk_create`, `insertMany`), a store's
/// call handed `root` whole (`self.db.add_history_rows(records)`), or a store's call beside a
/// comprehension over `root` (a query whose parameters list every node).
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
    // a call named for a batch, a store's call handed the collection, and a comprehension
    // over the collection beside a store's call
    let (mut handed_to_store, mut store_call, mut comprehension) = (None, None, false);
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "call" | "call_expression" => {
                let callee = n.child_by_field_name("function").map(text).unwrap_or("");
                let last = callee.rsplit('.').next().unwrap_or(callee);
                // named so, or handing a function named so to a runner
                // (`asyncio.to_thread(self.db.batch_add_history, records)`)
                let passed = n.child_by_field_name("arguments").and_then(|args| {
                    let mut c = args.walk();
                    let found = args.named_children(&mut c).find(|a| {
                        matches!(a.kind(), "attribute" | "member_expression" | "identifier")
                            && batched_by_name(text(*a).rsplit('.').next().unwrap_or(""))
                    });
                    found
                });
                if batched_by_name(last) {
                    return Some(callee.to_string());
                }
                if let Some(f) = passed {
                    return Some(text(f).to_string());
                }
                if stores(last) {
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
                    if handed {
                        handed_to_store.get_or_insert(callee);
                    }
                    store_call.get_or_insert(callee);
                }
            }
            "for_in_clause" if n.child_by_field_name("right").is_some_and(is_root) => {
                comprehension = true;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    handed_to_store
        .or(store_call.filter(|_| comprehension))
        .map(str::to_string)
}

/// `bulk_create`, `bulkWrite`, `batch_add_history`, `insert_many`, `insertMany`,
/// `executemany`: a call named for the batched form (`render_many_templates`, `load_batch`
/// are not).
fn batched_by_name(last: &str) -> bool {
    let w = words(last);
    let first = w.first().map(String::as_str);
    matches!(first, Some("bulk" | "batch" | "executemany"))
        || (w.len() > 1 && w.last().map(String::as_str) == Some("many"))
}

/// A call that reads or writes a store (`self.query(q, params)`, `db.insert(rows)`,
/// `vector_store.upsert(…)`): what a batched attempt does; not a conversion, a check or a log.
fn stores(last: &str) -> bool {
    let w = words(last);
    w.first().is_some_and(|v| {
        matches!(
            v.as_str(),
            "query"
                | "execute"
                | "insert"
                | "upsert"
                | "save"
                | "write"
                | "put"
                | "add"
                | "create"
                | "update"
                | "delete"
                | "index"
                | "send"
                | "publish"
                | "store"
                | "persist"
                | "merge"
                | "replace"
                | "set"
                | "mset"
        )
    })
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
    // a handler of many at once (`handle_bulk_upload`, `on_orders_synced`, `handleImport`)
    let bulk = |x: &String| {
        matches!(
            x.as_str(),
            "bulk" | "batch" | "import" | "sync" | "synced" | "all" | "many" | "upload" | "export"
        )
    };
    matches!(first.as_str(), "on" | "handle")
        && !rest.is_empty()
        && !rest.iter().any(|x| life(x) || bulk(x))
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
/// a table (`objects`), it is no blocking client's call (`requests.get(url).json()`), and it
/// is handed no database session or client (`get_active_users(db)`).
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
    // a blocking client (`requests.get(url).json()`) or a synchronous session handed to the
    // call (`get_active_users(db)`): the call may do the I/O itself
    let blocking = matches!(
        root,
        Some("requests" | "urllib" | "urllib3" | "httpx" | "http")
    ) || rest
        .iter()
        .any(|m| matches!(*m, "json" | "read" | "text" | "content"));
    let args = &e[e.find('(').map_or(e.len(), |i| i + 1)..];
    let handle = args
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| {
            let w = w.to_ascii_lowercase();
            [
                "db",
                "session",
                "conn",
                "connection",
                "cursor",
                "cur",
                "engine",
                "tx",
                "txn",
                "client",
            ]
            .iter()
            .any(|h| w == *h || w.ends_with(&format!("_{h}")))
        });
    !blocking
        && !handle
        && !PASS.contains(&last)
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
