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
        r"^(?:((?:asyncio|anyio|trio)[ \t]*\.[ \t]*))?(Lock|Semaphore|BoundedSemaphore|Condition)[ \t]*\(",
    );
    let text = std::str::from_utf8(src).unwrap_or("");
    let is_lock = |rhs: &str| {
        lock.captures(rhs).is_some_and(|c| {
            // a bare `Lock(…)` only when the file imports it from asyncio, anyio or trio
            (c.get(1).is_some() || imported_from_asyncio(text, &c[2]))
                && crate::callees::bind::whole(rhs)
        })
    };
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
            .all(|&(name, attr)| bound_only(text, name, attr, with, src, &is_lock))
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
    let Some((name, attr)) = callee
        .child_by_field_name("object")
        .and_then(|o| own_name(o, src))
    else {
        return false;
    };
    let text = std::str::from_utf8(src).unwrap_or("");
    let is_container = |rhs: &str| container.is_match(rhs) && crate::callees::bind::whole(rhs);
    bound_only(text, name, attr, callee, src, &is_container)
}

/// Whether the file imports `name` from asyncio, anyio or trio (`from asyncio import Lock`).
fn imported_from_asyncio(text: &str, name: &str) -> bool {
    text.lines().map(str::trim_start).any(|l| {
        (l.starts_with("from asyncio ")
            || l.starts_with("from anyio ")
            || l.starts_with("from trio "))
            && l.split_whitespace()
                .any(|w| w.trim_matches([',', '(', ')']) == name)
    })
}

/// The name an expression stands for when it is `name` (false) or `self.name`, `cls.name`
/// (true).
fn own_name<'s>(n: Node<'_>, src: &'s [u8]) -> Option<(&'s str, bool)> {
    let t = n.utf8_text(src).ok()?;
    let (name, attr) = match t.strip_prefix("self.").or_else(|| t.strip_prefix("cls.")) {
        Some(a) => (a, true),
        None => (t, false),
    };
    let mut c = name.chars();
    (c.next().is_some_and(|f| f == '_' || f.is_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_alphanumeric()))
    .then_some((name, attr))
}

/// Whether the file binds `name` at least once, and every right-hand side passes `wanted`: with
/// `attr`, as `self.name`/`cls.name` (`self.name = …`, `self.name: T = …`); otherwise as a
/// module-level name, which the function around `at` does not bind itself.
fn bound_only(
    text: &str,
    name: &str,
    attr: bool,
    at: Node<'_>,
    src: &[u8],
    wanted: &dyn Fn(&str) -> bool,
) -> bool {
    if !attr {
        let function = std::iter::successors(Some(at), |n| n.parent())
            .find(|n| n.kind() == "function_definition")
            .and_then(|f| f.utf8_text(src).ok());
        if function.is_some_and(|f| binds(f, name)) {
            return false;
        }
    }
    let mut any = false;
    for (i, _) in text.match_indices(name) {
        let before = &text[..i];
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        let rest = &text[i + name.len()..];
        if word(before.chars().next_back()) || word(rest.chars().next()) {
            continue;
        }
        // only a binding is followed by `=` or `:` (looked at first: a long line is not read
        // for every name on it)
        let mut r = rest.trim_start_matches([' ', '\t']);
        if !(r.starts_with('=') || r.starts_with(':')) {
            continue;
        }
        let owned = before.ends_with("self.") || before.ends_with("cls.");
        let module_level = before.is_empty() || before.ends_with('\n');
        if (attr && !owned) || (!attr && !module_level) {
            continue;
        }
        // an annotation up to the `=` of its value, if any
        if let Some(a) = r.strip_prefix(':').filter(|a| !a.starts_with('=')) {
            let line = a.split('\n').next().unwrap_or("");
            match line.find('=') {
                Some(e) => r = &a[e..],
                None => continue,
            }
        }
        let Some(rhs) = r.strip_prefix('=').filter(|v| !v.starts_with('=')) else {
            continue;
        };
        let rhs = rhs.split('\n').next().unwrap_or("").trim_start();
        if !wanted(rhs) {
            return false;
        }
        any = true;
    }
    any
}

/// Whether the function's text binds `name` (a parameter, an assignment, a loop or `as`
/// target, an unpacking).
fn binds(function: &str, name: &str) -> bool {
    function.match_indices(name).any(|(i, _)| {
        let before = &function[..i];
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        let rest = function[i + name.len()..].trim_start_matches([' ', '\t']);
        if word(before.chars().next_back())
            || word(function[i + name.len()..].chars().next())
            || before.ends_with('.')
        {
            return false;
        }
        let prev = before.trim_end_matches([' ', '\t']);
        (rest.starts_with('=') && !rest.starts_with("=="))
            || rest.starts_with(':')
            || rest.starts_with(',')
            || rest.starts_with(')')
            || prev.ends_with("for")
            || prev.ends_with(" as")
            || prev.ends_with(',')
    })
}

#[cfg(test)]
mod tests {
    use super::{binds, imported_from_asyncio};

    #[test]
    fn a_function_that_binds_the_name_itself_shadows_the_module() {
        assert!(binds(
            "async def record(self, cache, key):\n    cache.set(key, 1)\n",
            "cache"
        ));
        assert!(binds("def f():\n    cache = make()\n", "cache"));
        assert!(binds(
            "def f(xs):\n    for cache in xs:\n        pass\n",
            "cache"
        ));
        assert!(!binds(
            "def f(key):\n    cache.set(key, 1)\n    self.cache = 2\n",
            "cache"
        ));
        assert!(imported_from_asyncio(
            "from asyncio import Event, Lock\n",
            "Lock"
        ));
        assert!(!imported_from_asyncio(
            "from redis.asyncio.lock import Lock\n",
            "Lock"
        ));
    }
}
