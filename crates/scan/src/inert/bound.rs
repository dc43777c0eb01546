//! What the file binds a name to, when every binding says the same: an asyncio lock
//! (`self._lock = asyncio.Lock()`), whose `async with` waits for another task of the process
//! and not for I/O, or an in-memory container (`self._items: dict[…] = {}`), whose methods
//! (`self._items.get(k)`, `.update(…)`) stay in memory whatever their names.

use regex::Regex;
use std::sync::OnceLock;
use tree_sitter::Node;

/// Whether every context manager of the `async with` statement `with` is a name (`_lock`,
/// `self._lock`, `cls._lock`) that the file binds to an `asyncio`, `anyio` or `trio` lock,
/// semaphore or condition, and to nothing else.
pub(super) fn only_locks(with: Node<'_>, src: &[u8]) -> bool {
    static LOCK: OnceLock<Regex> = OnceLock::new();
    let lock = crate::runs::re(
        &LOCK,
        r"^(?:(?:asyncio|anyio|trio)[ \t]*\.[ \t]*)?(?:Lock|Semaphore|BoundedSemaphore|Condition)[ \t]*\(",
    );
    let text = std::str::from_utf8(src).unwrap_or("");
    let mut names = Vec::new();
    let mut stack = vec![with];
    let mut cur = with.walk();
    while let Some(n) = stack.pop() {
        match n.kind() {
            "with_item" => match n
                .child_by_field_name("value")
                .and_then(|v| own_name(v, src))
            {
                Some(name) => names.push(name),
                None => return false,
            },
            "block" => {}
            _ => stack.extend(n.named_children(&mut cur).filter(|c| c.kind() != "block")),
        }
    }
    !names.is_empty()
        && names
            .iter()
            .all(|n| bound_only(text, n, |rhs| lock.is_match(rhs)))
}

/// Whether the call's callee is a method of a name (`self._items.get`, `seen.add`) that the
/// file binds to an in-memory container — a dict, list or set literal or comprehension,
/// `dict()`, `list()`, `set()`, `defaultdict()`, `OrderedDict()`, `deque()`, `Counter()` —
/// and to nothing else.
pub(super) fn container_method(callee: Node<'_>, src: &[u8]) -> bool {
    static CONTAINER: OnceLock<Regex> = OnceLock::new();
    let container = crate::runs::re(
        &CONTAINER,
        r"^(?:[\[{]|(?:collections[ \t]*\.[ \t]*)?(?:dict|list|set|defaultdict|OrderedDict|deque|Counter)[ \t]*\()",
    );
    if callee.kind() != "attribute" {
        return false;
    }
    let Some(name) = callee
        .child_by_field_name("object")
        .and_then(|o| own_name(o, src))
    else {
        return false;
    };
    let text = std::str::from_utf8(src).unwrap_or("");
    bound_only(text, name, |rhs| container.is_match(rhs))
}

/// The name an expression stands for when it is `name`, `self.name` or `cls.name`.
fn own_name<'s>(n: Node<'_>, src: &'s [u8]) -> Option<&'s str> {
    let t = n.utf8_text(src).ok()?;
    let name = t
        .strip_prefix("self.")
        .or_else(|| t.strip_prefix("cls."))
        .unwrap_or(t);
    let mut c = name.chars();
    (c.next().is_some_and(|f| f == '_' || f.is_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_alphanumeric()))
    .then_some(name)
}

/// Whether the file binds `name` (`name = …`, `self.name: T = …`, a keyword `name=…`) at
/// least once, and every right-hand side passes `wanted`.
fn bound_only(text: &str, name: &str, wanted: impl Fn(&str) -> bool) -> bool {
    let mut any = false;
    for (i, _) in text.match_indices(name) {
        let before = text[..i].chars().next_back();
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        let rest = &text[i + name.len()..];
        if word(before) || word(rest.chars().next()) {
            continue;
        }
        let line = rest.split('\n').next().unwrap_or("");
        let mut r = line.trim_start_matches([' ', '\t']);
        // an annotation up to the `=` of its value, if any
        if let Some(a) = r.strip_prefix(':').filter(|a| !a.starts_with('=')) {
            match a.find('=') {
                Some(e) => r = &a[e..],
                None => continue,
            }
        }
        let Some(rhs) = r.strip_prefix('=').filter(|v| !v.starts_with('=')) else {
            continue;
        };
        if !wanted(rhs.trim_start()) {
            return false;
        }
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::bound_only;

    fn lock(text: &str, name: &str) -> bool {
        bound_only(text, name, |r| {
            r.starts_with("asyncio.Lock(") || r.starts_with("asyncio.Semaphore(")
        })
    }

    #[test]
    fn a_name_counts_only_when_every_binding_agrees() {
        let text = "class H:\n    def __init__(self):\n        self._lock = asyncio.Lock()\n        self._sem: asyncio.Semaphore = asyncio.Semaphore(4)\n        self._other = asyncio.Lock()\n        if self._lock == x:\n            pass\n\n    def reset(self):\n        self._other = redis.lock('k')\n";
        assert!(lock(text, "_lock"));
        assert!(lock(text, "_sem"));
        // bound to something else too
        assert!(!lock(text, "_other"));
        // never bound
        assert!(!lock(text, "_missing"));
        // an annotation without a value binds nothing
        assert!(!lock("    _lock: asyncio.Lock\n", "_lock"));
    }
}
