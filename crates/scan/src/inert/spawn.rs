//! Work started and not waited for: `asyncio.create_task(send(x))`, and in JavaScript
//! `send(x).catch(h)` or `void send(x)` as a statement. Nobody waits for the started call, so
//! its I/O is not the I/O of the function that starts it; what does run there is read.

use crate::runs::re;
use regex::Regex;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Calls that start an asyncio task and do not wait for it.
const SPAWN: &[&str] = &["create_task", "ensure_future"];

/// Whether `callee` starts an asyncio task: a bare `create_task`/`ensure_future`, or one of
/// `asyncio`, an event loop or a task group (`loop.create_task`, `tg.create_task`). Other
/// receivers' `create_task` may well be a remote call (a cloud task queue's client).
fn starts_task(callee: Node<'_>, src: &[u8]) -> bool {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    match callee.kind() {
        "identifier" => SPAWN.contains(&text(callee)),
        "attribute" => {
            static RECEIVER: OnceLock<Regex> = OnceLock::new();
            let receiver = re(
                &RECEIVER,
                r"(^|\.)(asyncio|_?loop|_?event_loop|_?tg|_?task_group)$|\bget_(event|running)_loop\(\)$",
            );
            callee
                .child_by_field_name("attribute")
                .is_some_and(|a| SPAWN.contains(&text(a)))
                && callee
                    .child_by_field_name("object")
                    .is_some_and(|o| receiver.is_match(text(o)))
        }
        _ => false,
    }
}

/// What runs where a started call is written: its arguments, and the expression that gives
/// its callee (`(await get_client()).send(x)`: `await get_client()`; `self.mailer` of
/// `self.mailer.send(x)`).
fn started(c: Node<'_>) -> Vec<Node<'_>> {
    let mut out: Vec<Node<'_>> = c.child_by_field_name("arguments").into_iter().collect();
    if let Some(callee) = c.child_by_field_name("function") {
        match callee.kind() {
            "identifier" => {}
            "attribute" | "member_expression" => out.extend(callee.child_by_field_name("object")),
            _ => out.push(callee),
        }
    }
    out
}

/// For a node that starts work without waiting for it, the nodes that run where it is written
/// (module doc): of `asyncio.create_task(send(x), name=n)`, what `send(x)` is called with and
/// on, and `n`; of `send(x).then(f).catch(h)` as a statement, the same for `send(x)` and the
/// handlers (functions, not walked); of `void send(x)`, the same for `send(x)`. `None` for
/// anything else.
pub(super) fn spawned<'t>(n: Node<'t>, src: &[u8], py: bool) -> Option<Vec<Node<'t>>> {
    let text = |n: Node<'t>| n.utf8_text(src).unwrap_or("");
    if py {
        if n.kind() != "call" || !starts_task(n.child_by_field_name("function")?, src) {
            return None;
        }
        let args = n.child_by_field_name("arguments")?;
        let mut walked = Vec::new();
        let mut coroutine = false;
        let mut cur = args.walk();
        for a in args.named_children(&mut cur) {
            // the coroutine: the first positional argument, or `coro=`
            let coro = match a.kind() {
                "keyword_argument" => {
                    let named = a.child_by_field_name("name").map(text) == Some("coro");
                    named.then(|| a.child_by_field_name("value")).flatten()
                }
                "comment" | "list_splat" | "dictionary_splat" => None,
                _ => Some(a),
            };
            match coro {
                Some(c) if !coroutine && c.kind() == "call" => {
                    coroutine = true;
                    walked.extend(started(c));
                }
                _ => {
                    coroutine |= coro.is_some();
                    walked.push(a);
                }
            }
        }
        return Some(walked);
    }
    match n.kind() {
        // `send(x).then(f).catch(h)` as a whole statement: nobody waits for the promise
        "call_expression"
            if n.parent()
                .is_some_and(|p| p.kind() == "expression_statement") =>
        {
            let mut walked = Vec::new();
            let mut link = n;
            loop {
                let callee = link.child_by_field_name("function")?;
                let chained = callee.kind() == "member_expression"
                    && callee
                        .child_by_field_name("property")
                        .is_some_and(|p| matches!(text(p), "then" | "catch" | "finally"));
                if !chained {
                    // the bottom of the chain: the started call
                    if link.id() == n.id() {
                        return None;
                    }
                    walked.extend(started(link));
                    return Some(walked);
                }
                walked.extend(link.child_by_field_name("arguments"));
                let object = callee.child_by_field_name("object")?;
                if object.kind() != "call_expression" {
                    // `promise.catch(h)`: started elsewhere
                    return None;
                }
                link = object;
            }
        }
        // `void send(x)`
        "unary_expression" if text(n).starts_with("void") => {
            let arg = n.child_by_field_name("argument")?;
            (arg.kind() == "call_expression").then(|| started(arg))
        }
        _ => None,
    }
}
