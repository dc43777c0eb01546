//! TypeScript compiled for ES2015/ES2016 turns every `async` function into a generator passed
//! to the `__awaiter` helper, and every `await x` into `yield x`:
//!
//! ```js
//! function load(ids) {
//!     return __awaiter(this, void 0, void 0, function* () {
//!         for (const id of ids) { yield repo.findOne(id); }
//!     });
//! }
//! ```
//!
//! Packages shipped that way hold no `await` at all. Before matching, the `yield`s of those
//! generators (not of nested generators of the code's own) are read as the `await`s they were
//! compiled from: the keyword is replaced in place (both are five bytes, so every line and
//! column stays where it is), and findings show the file's own text.

use crate::lang::Language;
use tree_sitter::{Node, Parser};

/// The text with the `yield`s of `__awaiter` generators read as `await`, when the file has any.
pub(crate) fn desugar(lang: Language, parser: &mut Parser, text: &str) -> Option<String> {
    if !matches!(
        lang,
        Language::JavaScript | Language::TypeScript | Language::Tsx
    ) || !text.contains("__awaiter")
    {
        return None;
    }
    let tree = parser.parse(text, None)?;
    let mut at = Vec::new();
    collect(tree.root_node(), text.as_bytes(), &mut at);
    if at.is_empty() {
        return None;
    }
    let mut out = text.as_bytes().to_vec();
    for i in at {
        out[i..i + 5].copy_from_slice(b"await");
    }
    String::from_utf8(out).ok()
}

/// Start bytes of the `yield` keywords that belong to an `__awaiter` generator. Iterative (a
/// tree cursor and a stack of flags): generated code can nest deeper than the thread's stack.
fn collect(root: Node<'_>, src: &[u8], at: &mut Vec<usize>) {
    let mut cur = root.walk();
    // whether each node on the path from the root is inside an `__awaiter` generator
    let mut inside: Vec<bool> = Vec::new();
    loop {
        let n = cur.node();
        let parent = inside.last().copied().unwrap_or(false);
        let kind = n.kind();
        let here = if kind == "generator_function" || kind == "generator_function_declaration" {
            is_awaiter_body(n, src)
        } else if kind.contains("function") || kind == "method_definition" || kind == "class_body" {
            // another function: its own `yield`s are not awaits (an arrow function cannot yield)
            parent && kind == "arrow_function"
        } else {
            parent
        };
        if here
            && kind == "yield_expression"
            && src.get(n.start_byte()..n.start_byte() + 5) == Some(b"yield")
        {
            // `yield* x` delegates to another generator: not an await
            let rest = src.get(n.start_byte() + 5..n.end_byte()).unwrap_or(b"");
            if !rest.trim_ascii_start().starts_with(b"*") {
                at.push(n.start_byte());
            }
        }
        if cur.goto_first_child() {
            inside.push(here);
            continue;
        }
        loop {
            if cur.goto_next_sibling() {
                break;
            }
            if !cur.goto_parent() {
                return;
            }
            inside.pop();
        }
    }
}

/// `function* () { … }` as the last argument of a call to `__awaiter` (`tslib.__awaiter` too).
fn is_awaiter_body(generator: Node<'_>, src: &[u8]) -> bool {
    let Some(args) = generator.parent().filter(|p| p.kind() == "arguments") else {
        return false;
    };
    let Some(call) = args.parent().filter(|p| p.kind() == "call_expression") else {
        return false;
    };
    call.child_by_field_name("function")
        .and_then(|f| f.utf8_text(src).ok())
        .is_some_and(|f| f == "__awaiter" || f.ends_with(".__awaiter") || f.ends_with("__awaiter)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Option<String> {
        let mut p = Parser::new();
        p.set_language(&Language::JavaScript.grammar()).unwrap();
        desugar(Language::JavaScript, &mut p, text)
    }

    #[test]
    fn yields_of_awaiter_generators_become_awaits_in_place() {
        let src = "function f(ids) {\n  return __awaiter(this, void 0, void 0, function* () {\n    for (const id of ids) { const r = yield repo.findOne(id); }\n    const g = function* () { yield 1; };\n    yield* other();\n  });\n}\n";
        let out = run(src).unwrap();
        assert_eq!(out.len(), src.len());
        assert!(out.contains("const r = await repo.findOne(id)"), "{out}");
        // the code's own generator and a delegation keep their `yield`
        assert!(out.contains("function* () { yield 1; }"), "{out}");
        assert!(out.contains("yield* other()"), "{out}");
    }

    #[test]
    fn deeply_nested_code_does_not_exhaust_the_stack() {
        let mut src = String::from(
            "function f() { return __awaiter(this, void 0, void 0, function* () { yield g(",
        );
        src.push_str(&"[".repeat(20_000));
        src.push_str(&"]".repeat(20_000));
        src.push_str("); }); }\n");
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || run(&src).map(|s| s.len()))
            .unwrap()
            .join()
            .unwrap();
        assert!(out.is_some());
    }

    #[test]
    fn tslib_and_plain_files_are_left_alone_or_read_alike() {
        let src = "exports.f = () => tslib_1.__awaiter(void 0, void 0, void 0, function* () { yield db.query('x'); });\n";
        assert!(run(src).unwrap().contains("await db.query('x')"));
        assert_eq!(run("function* g() { yield 1; }\n"), None);
    }
}
