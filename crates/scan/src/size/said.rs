//! What the loop's own comments say: a per-item loop whose author wrote that its items are
//! handled one at a time on purpose (`# one by one`, `// sequentially`, `individually`,
//! `order matters`), in a comment or in the log line right before it, is not a loop to batch
//! or to run concurrently, whatever it walks.

use tree_sitter::Node;

/// A regex compiled once per process.
macro_rules! rx {
    ($p:expr $(,)?) => {{
        static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        crate::runs::re(&CELL, $p)
    }};
}

/// Whether a comment of the loop `lp` says its items are handled one at a time on purpose:
/// the block of comment lines right above the loop, the log call right before it (a fallback
/// that says what it does: `logger.warning("… inserting them individually")`), or a comment
/// inside it.
pub(crate) fn one_at_a_time(lp: Node<'_>, src: &[u8]) -> bool {
    let said = rx!(
        r"(?i)\b(one by one|one at a time|one after (another|the other)|sequentially|serially|individually|in sequence|order matters|in (the )?(right|correct) order|must (be )?(run|done|processed|applied|executed|handled|resolved) in order|(deliberately|intentionally) (sequential|serial|not (run )?(in parallel|concurrently|batched|in bulk)))\b"
    );
    // a comment that asks for the change, or speaks of batches or concurrency, is no reason
    // to keep the loop as it is (`# TODO: this hits the DB one at a time, batch it`); a log
    // line says what the code does (`"Batch failed; saving %s rows one at a time"`)
    let asks = rx!(r"(?i)\b(todo|fixme|xxx|hack|batch|bulk|parallel|concurren|gather|slow|n\+1)");
    let says = |t: &str| said.is_match(t) && !asks.is_match(t);
    let text = std::str::from_utf8(src).unwrap_or("");
    // the comment lines right above the loop's first line
    let start = lp.start_byte().min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let above = text[..line_start].lines().rev().take_while(|l| {
        let t = l.trim_start();
        t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*')
    });
    for l in above {
        if says(l) {
            return true;
        }
    }
    // the log line right before the loop (`logger.warning("… saving %s costs one at a time")`)
    let mut prev = lp.prev_named_sibling();
    while prev.is_some_and(|p| p.kind().contains("comment")) {
        prev = prev.and_then(|p| p.prev_named_sibling());
    }
    let logger = rx!(r"^(?:self\.|this\.)?_?(?:log|logger|logging|LOG|LOGGER|console)\.\w+\s*\(");
    if prev
        .and_then(|p| p.utf8_text(src).ok())
        .is_some_and(|t| logger.is_match(t.trim_start()) && said.is_match(t))
    {
        return true;
    }
    // comments inside the loop, not inside a loop nested in it (which speaks of its own)
    let mut cur = lp.walk();
    let mut stack = vec![lp];
    while let Some(n) = stack.pop() {
        if n.kind().contains("comment") {
            if n.utf8_text(src).is_ok_and(says) {
                return true;
            }
            continue;
        }
        if n.id() != lp.id() && super::is_loop(n.kind()) {
            continue;
        }
        stack.extend(n.children(&mut cur));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_loop(src: &str, lang: tree_sitter::Language) -> bool {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&lang).unwrap();
        let tree = p.parse(src, None).unwrap();
        let mut stack = vec![tree.root_node()];
        let mut cur = tree.walk();
        while let Some(n) = stack.pop() {
            if n.kind().starts_with("for_") {
                return one_at_a_time(n, src.as_bytes());
            }
            let mut kids: Vec<_> = n.children(&mut cur).collect();
            kids.reverse();
            stack.extend(kids);
        }
        panic!("no loop in {src}");
    }

    #[test]
    fn a_comment_above_or_inside_the_loop_says_one_at_a_time() {
        let py = || tree_sitter_python::LANGUAGE.into();
        assert!(first_loop(
            "def f(qs):\n    # Still need to delete files individually\n    # (not only the rows)\n    for f in qs:\n        f.delete()\n",
            py()
        ));
        assert!(first_loop(
            "def f(qs):\n    for f in qs:\n        # order matters: parents first\n        f.save()\n",
            py()
        ));
        assert!(!first_loop(
            "def f(qs):\n    # delete every file\n\n    for f in qs:\n        f.delete()  # in order to free space\n",
            py()
        ));
        // a comment above a blank line is not the loop's
        assert!(!first_loop(
            "def f(qs):\n    # one by one\n    x = 1\n    for f in qs:\n        f.delete()\n",
            py()
        ));
        assert!(first_loop(
            "def f(rows):\n    if failed:\n        logger.warning(\n            \"Batch failed; saving %s rows one at a time\", len(rows)\n        )\n        for r in rows:\n            save(r)\n",
            py()
        ));
        assert!(!first_loop(
            "def f(rows):\n    notify(\"one at a time\")\n    for r in rows:\n        save(r)\n",
            py()
        ));
        // a comment that asks for the change; one of a nested loop
        assert!(!first_loop(
            "def f(users):\n    # TODO: this hits the DB one at a time, batch it\n    for u in users:\n        get(u)\n",
            py()
        ));
        assert!(!first_loop(
            "def f(users):\n    for u in users:\n        for s in steps:\n            # steps must be applied in order\n            s(u)\n        get(u)\n",
            py()
        ));
        let js = || tree_sitter_javascript::LANGUAGE.into();
        assert!(first_loop(
            "async function f(urls) {\n  // Process each URL sequentially\n  for (const u of urls) {\n    await get(u);\n  }\n}\n",
            js()
        ));
        assert!(!first_loop(
            "async function f(urls) {\n  for (const u of urls) {\n    /* fetch it */ await get(u);\n  }\n}\n",
            js()
        ));
    }
}
