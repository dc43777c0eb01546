//! How many items a loop walks, as far as its names tell. A query or a request per item costs
//! in proportion to the loop's length: per-row work over all the orders, the uploaded files or
//! the workflows grows with the data, while the same work over an instance's environments,
//! a table's columns or the configured destinations stays at a handful by nature (the children
//! of one named thing, `user.orders`, are of unknown size: the names cannot tell). Rules marked
//! `per-item: true` use this: a loop over a handful is not reported, a loop over data is, and
//! a loop whose names say neither is listed only when asked for (`include_unsized`).
//!
//! The names read are the loop variable (`for order in …`, `for (const { workflowId } of …)`)
//! and the collection (`user.orders.all()`, `Object.values(this.destinations)`, the array of
//! `i < rows.length`), each reduced to its head noun (`ownedCredentials` → credential,
//! `tablesToRemove` → table, `knowledgeBaseIds` → base) and looked up in two word lists.

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

mod expr;
mod groups;
mod origin;
mod said;
use expr::{
    collection_name, counted, first_argument, identifiers, one_parents_part, slices_of,
    strip_groups, unwrap,
};
pub(crate) use said::one_at_a_time;

/// What the names of a loop say about its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoopSize {
    /// Items that grow with the data (rows, users, files, orders).
    Data,
    /// A handful by nature (environments, columns, providers, formats).
    Small,
    /// The names say neither.
    Unknown,
}

/// Things that grow with an application's data or use.
#[rustfmt::skip]
const DATA: &[&str] = &[
    "user", "member", "account", "customer", "contact", "subscriber", "recipient", "follower",
    "participant", "attendee", "registrant", "registration", "person", "people", "employee",
    "student", "row", "record", "item", "document", "doc", "file", "image", "photo", "asset",
    "upload", "blob", "post", "comment", "reply", "thread", "topic", "message", "email",
    "notification", "article", "page", "revision", "order", "product", "variant", "sku",
    "invoice", "payment", "transaction", "refund", "charge", "ticket", "booking",
    "reservation", "shipment", "fulfillment", "submission", "answer", "vote", "review", "rating",
    "execution", "workflow", "credential", "dataset", "dashboard", "chart", "report",
    "experiment", "trace", "span", "unit", "suggestion", "link", "feature",
    "segment", "app", "workspace", "screen", "contribution", "abstract", "book",
    // a knowledge graph's contents
    "node", "edge", "vertex", "episode", "triplet",
];

/// Things a handful by nature: configuration, schema and code structure.
#[rustfmt::skip]
const SMALL: &[&str] = &[
    "environment", "env", "destination", "provider", "plugin", "extension", "addon", "module",
    "dir", "directory", "path", "rule", "format", "locale", "language", "lang", "setting",
    "config", "configuration", "option", "preference", "field", "column", "schema", "attribute",
    "attr", "property", "prop", "role", "permission", "perm", "scope", "type", "kind", "channel",
    "currency", "view", "tab", "tool", "backend",
    "driver", "adapter", "handler", "hook", "listener", "middleware", "migration", "stage",
    "phase", "level", "size", "dimension", "flavor", "factor", "template", "layout", "theme",
    "style", "filter", "sorter", "region", "zone", "host", "server", "worker", "queue", "shard",
    "partition", "replica", "warning", "error", "step", "policy", "method", "protocol",
    "constraint", "table", "relation", "association", "service", "status", "state", "mode",
    "attempt", "loader", "parser", "serializer", "validator", "subclass",
];

/// Slices of a collection: as the loop variable (`for chunk in chunks`) each iteration is the
/// batched form, a handful of round trips; as the collection (`for u in batch`), its items.
const SLICES: &[&str] = &["chunk", "batch", "slice"];

/// Words that name no thing of their own (`workflowIds` is about workflows).
#[rustfmt::skip]
const GENERIC: &[&str] = &[
    "id", "ids", "pk", "pks", "key", "name", "list", "array", "set", "map", "dict", "data",
    "info", "obj", "object", "value", "entry", "all", "new", "old", "existing", "current",
    "pending", "remaining", "selected", "owned", "shared", "other", "get", "fetch", "load", "qs",
    "queryset", "query", "result", "to", "index", "idx", "i", "j", "k", "n", "x", "by",
];

/// Names of things that carry what was fetched or sent, not one thing of the domain.
#[rustfmt::skip]
const CARRIERS: &[&str] = &[
    "res", "resp", "response", "result", "reply", "body", "payload", "json", "output", "ret",
    "req", "request", "ctx", "context", "args", "options", "opts", "params", "props", "state",
    "event", "evt", "msg", "message", "batch", "chunk", "page", "cursor", "snapshot", "store",
    "cache", "db", "conn", "connection", "client", "session", "config", "settings", "env", "os",
    "sys", "window",
];

/// Chain members that pass the collection on (`.objects`, `.filter(…)`, `.items()`, `.length`).
#[rustfmt::skip]
const PASS: &[&str] = &[
    "objects", "all", "filter", "exclude", "select_related", "prefetch_related", "order_by",
    "iterator", "values", "values_list", "items", "keys", "entries", "length", "distinct", "only",
    "defer", "annotate", "using", "select_for_update", "map", "slice", "concat", "toArray", "fetchall", "scalars",
    "this", "self", "cls", "data", "props", "state", "body", "params", "query", "filter_by",
    "where", "sort", "sorted", "reverse", "flat", "flatMap", "unique", "execute", "find",
    "findAll", "findMany", "exec", "lean", "toJSON", "await",
];

/// Calls whose first argument is the collection (`enumerate(rows)`, `Object.values(map)`).
#[rustfmt::skip]
const WRAPPERS: &[&str] = &[
    "Object.keys", "Object.values", "Object.entries", "Array.from", "enumerate", "sorted", "list",
    "set", "tuple", "reversed", "zip", "range", "len", "iter", "chain", "islice",
];

/// Prepositions that end a name's head (`tablesToRemove`, `usersWithRole`).
#[rustfmt::skip]
const CUT: &[&str] = &[
    "to", "for", "with", "of", "in", "from", "on", "per", "without", "needing", "that", "by",
];

/// The size of the loop `node` (a `for`, a comprehension), by its names, and the name that
/// told it.
pub(crate) fn of_loop(node: Node<'_>, src: &[u8]) -> (LoopSize, Option<String>) {
    let (element, collection) = loop_parts(node, src);
    classify(element, collection)
}

/// The loop variable and the collection of the loop `node`, as text.
fn loop_parts<'s>(node: Node<'_>, src: &'s [u8]) -> (Option<&'s str>, Option<&'s str>) {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    let field = |n: Node<'_>, f: &str| n.child_by_field_name(f).map(text);
    fn child<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
        let mut c = n.walk();
        let found = n.named_children(&mut c).find(|x| x.kind() == kind);
        found
    }
    let (element, collection) = match node.kind() {
        "for_statement" if node.child_by_field_name("left").is_some() => {
            (field(node, "left"), field(node, "right"))
        }
        "for_in_statement" => (field(node, "left"), field(node, "right")),
        // Go: `for _, u := range users`, or a counting `for i := 0; i < len(users); i++`
        "for_statement" if child(node, "range_clause").is_some() => {
            let r = child(node, "range_clause");
            (
                r.and_then(|r| field(r, "left")),
                r.and_then(|r| field(r, "right")),
            )
        }
        "for_statement" if child(node, "for_clause").is_some() => (
            None,
            child(node, "for_clause")
                .and_then(|c| field(c, "condition"))
                .and_then(counted),
        ),
        // Java: `for (User u : users)`; Rust: `for u in users.iter()`
        "enhanced_for_statement" => (field(node, "name"), field(node, "value")),
        "for_expression" => (field(node, "pattern"), field(node, "value")),
        // a counting loop: the array of `i < rows.length` (`rows.size()`, `len(rows)`)
        "for_statement" => (None, field(node, "condition").and_then(counted)),
        k if k.ends_with("comprehension") || k == "generator_expression" => {
            let mut c = node.walk();
            let clause = node
                .named_children(&mut c)
                .find(|n| n.kind() == "for_in_clause");
            (
                clause.and_then(|n| field(n, "left")),
                clause.and_then(|n| field(n, "right")),
            )
        }
        _ => (None, None),
    };
    (element, collection)
}

/// What the slices of a loop over slices are cut from (`records` of `for sub in
/// grouped_slice(records)`), sized: a loop over one slice's items walks that collection.
fn of_sliced(node: Node<'_>, src: &[u8]) -> Option<(LoopSize, Option<String>)> {
    let collection = loop_parts(node, src).1?;
    slices_of(collection)?;
    let e = unwrap(collection);
    let call = e.find('(')?;
    let sliced = first_argument(&e[call + 1..]);
    // `self.batches()`, `self.batches(minsize=200)`: what is cut is not in view
    let keyword = sliced.split_once('=').is_some_and(|(k, _)| {
        !k.is_empty() && k.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    (!sliced.is_empty() && !keyword).then(|| classify(None, Some(sliced)))
}

/// The size of the work around a per-item statement: its loop's (`context`), unless that loop
/// is not over data and a loop around it in the same function is (`for user in users: for
/// role in user.roles: …` runs per user); a loop over data in a hook of one write is of
/// unknown size. `stack` is the statement's ancestors. With `rows` (a rule whose loops walk a
/// query's rows), a loop the names leave unsized walks a table ([`rows_of_table`]).
pub(crate) fn of_loops(
    context: Node<'_>,
    stack: &[Node<'_>],
    function_kinds: &[u16],
    src: &[u8],
    rows: bool,
) -> (LoopSize, Option<String>) {
    let mut inner = of_loop(context, src);
    let at = stack
        .iter()
        .rposition(|a| a.id() == context.id())
        .unwrap_or(0);
    let function = stack[..at]
        .iter()
        .rev()
        .find(|a| function_kinds.contains(&a.kind_id()));
    // the function's text up to the loop
    let before = || {
        function
            .and_then(|f| src.get(f.start_byte()..context.start_byte()))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    };
    // a loop over the groups the function sorted its items into: once per group, the
    // batched form
    if inner.0 != LoopSize::Small && function.is_some() {
        let walked = loop_parts(context, src).1;
        if let Some(name) = walked.and_then(|w| groups::walked_groups(w, before())) {
            inner = (LoopSize::Small, Some(name));
        }
    }
    let within: Vec<Node<'_>> = stack[..at]
        .iter()
        .rev()
        .take_while(|a| !function_kinds.contains(&a.kind_id()))
        .copied()
        .collect();
    // a loop over a handful or of unknown size inside a loop over data runs per item of the
    // outer one (`for user in users: for order in user.orders.all(): …`); inside a loop of
    // unknown size, a handful is of unknown size
    let data_inside = inner.0 == LoopSize::Data;
    let own_unknown = inner == (LoopSize::Unknown, None);
    let mut sized = inner;
    let mut sized_by = context;
    if !data_inside {
        let walked = loop_parts(context, src).1.map(unwrap);
        for a in within.iter().filter(|a| is_loop(a.kind())) {
            // a loop over one slice's items (`for r in sub`) inside a loop over slices (`for
            // sub in grouped_slice(records)`) walks what they are cut from; another loop in it
            // (`for field in fields`) does not
            let slice = loop_parts(*a, src).0.map(str::trim);
            let walks_slice = slice.is_some() && slice == walked;
            let outer = walks_slice
                .then(|| of_sliced(*a, src))
                .flatten()
                .unwrap_or_else(|| of_loop(*a, src));
            if outer.0 == LoopSize::Data {
                sized = outer;
                sized_by = *a;
                break;
            }
            if sized.0 == LoopSize::Small && outer.0 == LoopSize::Unknown {
                sized = outer;
            }
        }
    }
    // the loop's own names and the loops around it tell nothing: a rule whose loops walk a
    // query's rows walks a table
    if rows && own_unknown && sized == (LoopSize::Unknown, None) {
        if let Some(name) = rows_of_table(context, before(), src) {
            sized = (LoopSize::Data, Some(name));
            sized_by = context;
        }
    }
    // a hook of one write (`onBeforeDelete`, `afterUpdate`): its loops walk the rows of that
    // write, one as a rule, whatever they are called; a handler of one event walks what it
    // was handed, and async code what a call it does not await holds (`origin`)
    if sized.0 == LoopSize::Data {
        let hook = function
            .and_then(|f| crate::lang::function_name(*f, src))
            .filter(|name| is_write_hook(name));
        if let Some(name) = hook {
            return (LoopSize::Unknown, Some(name));
        }
        let held = function
            .zip(loop_parts(sized_by, src).1)
            .and_then(|(f, c)| origin::held_by_one_call(sized_by, *f, c, src));
        if let Some(why) = held {
            return (LoopSize::Unknown, Some(why));
        }
    }
    sized
}

/// For a loop a rule knows to walk a query's rows (`walks-rows`) whose names tell no size: the
/// name of what it walks, its chain's root (`Project` of `Project.objects.filter(active=True)`,
/// `qs` of `qs.iterator()`), the rows of a table, which grow with the data. `None` when the
/// collection is part of one parent (`Demand.objects.filter(demander=self)`, `self.rows`), as
/// written in the loop or as last assigned to its name in `before`, the function's text up
/// to the loop (`qs = Ticket.objects.filter(order=order)`), or when no collection is in view.
fn rows_of_table(node: Node<'_>, before: &str, src: &[u8]) -> Option<String> {
    let collection = loop_parts(node, src).1?;
    let walked = unwrap(collection);
    let flat = strip_groups(walked);
    let root = flat
        .split(['.', '?', '!', '[', ' '])
        .map(|m| m.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')))
        .find(|m| !m.is_empty() && !matches!(*m, "self" | "this" | "cls" | "await"))?;
    let assigned = before.lines().rev().find_map(|l| {
        let (lhs, rhs) = l.split_once('=')?;
        (lhs.trim() == root && !rhs.starts_with('=')).then(|| rhs.trim())
    });
    let parents = |e: &str| one_parents_part(unwrap(e));
    if parents(walked) || assigned.is_some_and(parents) {
        return None;
    }
    Some(root.to_string())
}

/// The loop that runs the statement `n` once per item: `context` (the loop a rule recorded),
/// unless `n` is in what `context` walks — its iterable (`for n in Notification.objects.filter(
/// …)`, the first clause of a comprehension), evaluated once per run of the loop — then the
/// nearest loop around it, in the same function, that runs it per item; `context` when there
/// is none. `stack` holds `n`'s ancestors.
pub(crate) fn per_item_loop<'t>(
    context: Node<'t>,
    n: Node<'t>,
    stack: &[Node<'t>],
    function_kinds: &[u16],
) -> Node<'t> {
    let within =
        |outer: Node<'_>| outer.start_byte() <= n.start_byte() && n.end_byte() <= outer.end_byte();
    // the part of a loop evaluated once per run of it, `None` when `a` is no loop
    let walked = |a: Node<'t>| -> Option<Option<Node<'t>>> {
        match a.kind() {
            "for_in_clause" => {
                // a comprehension's first clause is walked once; a later one once per item of
                // the clauses before it
                let first = a.parent().and_then(|c| {
                    let mut w = c.walk();
                    let f = c
                        .named_children(&mut w)
                        .find(|x| x.kind() == "for_in_clause");
                    f
                });
                Some(if first.map(|f| f.id()) == Some(a.id()) {
                    a.child_by_field_name("right")
                } else {
                    None
                })
            }
            k if is_loop(k) && !k.ends_with("comprehension") && k != "generator_expression" => {
                Some(
                    a.child_by_field_name("right")
                        .or_else(|| a.child_by_field_name("value"))
                        // Go: `for _, u := range users`
                        .or_else(|| {
                            let mut c = a.walk();
                            let r = a
                                .named_children(&mut c)
                                .find(|x| x.kind() == "range_clause");
                            r.and_then(|r| r.child_by_field_name("right"))
                        }),
                )
            }
            _ => None,
        }
    };
    let in_walked = |a: Node<'t>| walked(a).flatten().is_some_and(within);
    if !in_walked(context) {
        return context;
    }
    let Some(at) = stack.iter().rposition(|a| a.id() == context.id()) else {
        return context;
    };
    for a in stack[..at].iter().rev() {
        if function_kinds.contains(&a.kind_id()) {
            break;
        }
        match walked(*a) {
            // a comprehension stands for its clauses, read above
            _ if a.kind().ends_with("comprehension") || a.kind() == "generator_expression" => {}
            Some(_) if !in_walked(*a) => return *a,
            _ => {}
        }
    }
    context
}

/// `onBeforeDelete`, `onUpdateSuccess`, `afterInsert`, `before_save`: a hook that runs for one
/// create, update or delete (not a bulk one).
fn is_write_hook(name: &str) -> bool {
    let last = name.rsplit(['.', ':']).next().unwrap_or(name);
    let w = words(last);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    let w = w.strip_prefix(&["on"]).unwrap_or(&w);
    let w = w
        .strip_suffix(&["success"])
        .or_else(|| w.strip_suffix(&["error"]))
        .unwrap_or(w);
    let write = |x: &str| {
        matches!(
            x,
            "create" | "insert" | "update" | "save" | "delete" | "remove" | "destroy" | "upsert"
        )
    };
    match w {
        [when, what] => matches!(*when, "before" | "after" | "pre" | "post") && write(what),
        [what] => write(what) && last.starts_with("on"),
        _ => false,
    }
}

pub(crate) fn is_loop(kind: &str) -> bool {
    matches!(
        kind,
        "for_statement"
            | "for_in_statement"
            | "enhanced_for_statement"
            | "for_expression"
            | "while_statement"
            | "do_statement"
            | "generator_expression"
    ) || kind.ends_with("comprehension")
}

/// Element first (`for env in workspace.children` is about environments), then collection.
pub(crate) fn classify(
    element: Option<&str>,
    collection: Option<&str>,
) -> (LoopSize, Option<String>) {
    // the members of a class or an enum (`StreamKeyType.__members__.items()`, `for s in
    // Status`): fixed by the code
    if let Some(c) = collection.map(unwrap) {
        let head = c.split('.').next().unwrap_or("");
        let camel = head.starts_with(|ch: char| ch.is_ascii_uppercase())
            && head.chars().any(|ch| ch.is_ascii_lowercase())
            && head.chars().all(|ch| ch.is_alphanumeric() || ch == '_');
        // a bare name (not a call: `DictReader(f)`, Go's `ListOrders(ctx)`) or its members
        if camel && (c == head || c.split('.').nth(1) == Some("__members__")) {
            return (LoopSize::Small, Some(head.to_string()));
        }
    }
    // the repeats of one attempt (`for _ in range(max_retries)`): a handful by design
    if let Some(n) = collection.and_then(repeats) {
        return (LoopSize::Small, Some(n));
    }
    // the page numbers of a paged fetch (`for page in range(1, max_pages + 1)`): one round
    // trip per page is the batched form
    if let Some(n) = element
        .zip(collection)
        .and_then(|(e, c)| page_numbers(e, c))
    {
        return (LoopSize::Small, Some(n));
    }
    // a list of slices of another (`lodash.chunk(refs, 1000)`, `chunked(rows, 500)`): each
    // item is the batched form, whatever the variable is called
    if let Some(n) = collection.and_then(slices_of) {
        return (LoopSize::Small, Some(n));
    }
    let from_element = element
        .into_iter()
        .flat_map(identifiers)
        .find_map(|n| size_of_name(&n, LoopSize::Small).map(|s| (s, n)));
    let from_collection = || {
        collection
            .and_then(collection_name)
            .and_then(|n| size_of_name(&n, LoopSize::Data).map(|s| (s, n)))
            // one thing of the domain by its name (`for part in message`, `for c in
            // msg.attachment`): the loop walks its parts, not the domain's data
            .filter(|(s, n)| *s != LoopSize::Data || !names_one(n))
    };
    // a collection that names data outweighs a variable named for a part of each item
    // (`for file_path in uploaded_files`)
    let told = match from_element {
        // a slice as the variable (`for chunk in chunks(rows, 500)`) is the batched form
        Some((LoopSize::Small, ref n))
            if size_of_name(n, LoopSize::Unknown) == Some(LoopSize::Unknown) =>
        {
            from_element
        }
        Some((LoopSize::Small, _)) => match from_collection() {
            Some((LoopSize::Data, n)) => Some((LoopSize::Data, n)),
            _ => from_element,
        },
        Some(_) => from_element,
        None => from_collection(),
    };
    // a handful by name stands; data by name does not outweigh a collection that is part of
    // one object
    match told {
        Some((LoopSize::Small, n)) => (LoopSize::Small, Some(n)),
        _ if collection.map(unwrap).is_some_and(one_parents_part) => (LoopSize::Unknown, None),
        Some((size, n)) => (size, Some(n)),
        None => (LoopSize::Unknown, None),
    }
}

/// The size a name tells, by its head noun; `slice` is the size a slice's name tells.
fn size_of_name(name: &str, slice: LoopSize) -> Option<LoopSize> {
    let head = head_words(name)
        .iter()
        .rev()
        .map(|w| singular(w))
        .find(|w| !GENERIC.contains(&w.as_str()))?;
    if SLICES.contains(&head.as_str()) {
        Some(slice)
    } else if SMALL.contains(&head.as_str()) {
        Some(LoopSize::Small)
    } else if DATA.contains(&head.as_str()) {
        Some(LoopSize::Data)
    } else {
        None
    }
}

/// The name that counts the tries of a `range(…)` (`range(tries)`, `range(1, max_attempts +
/// 1)`, `range(self.retries)`), when there is one.
fn repeats(collection: &str) -> Option<String> {
    let inner = collection
        .trim()
        .strip_prefix("range(")?
        .strip_suffix(')')?;
    identifiers(inner).into_iter().find(|n| {
        head_words(n)
            .iter()
            .rev()
            .map(|w| singular(w))
            .find(|w| !GENERIC.contains(&w.as_str()))
            .is_some_and(|w| matches!(w.as_str(), "try" | "retry" | "attempt"))
    })
}

/// The loop variable `element` when it numbers the pages of a paged fetch: a `page` (`page`,
/// `page_num`, `pageNumber`) walking a `range(…)` of a count, not of a collection's length.
fn page_numbers(element: &str, collection: &str) -> Option<String> {
    // not `range(len(pages))`: that walks a collection, sized by it
    let args = collection.trim().strip_prefix("range(")?;
    if args.contains("len(") {
        return None;
    }
    let name = element.trim();
    let w = words(name);
    let numbered = match w.as_slice() {
        [page] => page == "page",
        [page, n] => {
            page == "page" && matches!(n.as_str(), "num" | "no" | "number" | "idx" | "index")
        }
        _ => false,
    };
    numbered.then(|| name.to_string())
}

/// Whether a name's head noun is singular as written (`message`, `reply_message`, not
/// `messages`, `message_ids`, `message_list`, nor a class such as `Order`): it names one
/// thing. `page` and `item` are left out: a page is a slice of the data, and a list is often
/// called `item`.
fn names_one(name: &str) -> bool {
    // a class (`Order.objects.filter(…)`, `db.query(User)`) stands for its table
    if name.starts_with(|c: char| c.is_uppercase()) {
        return false;
    }
    // a generic word at the end (`ids`, `list`, `set`) makes it a collection
    head_words(name).last().is_some_and(|w| {
        !GENERIC.contains(&w.as_str())
            && singular(w) == *w
            && DATA.contains(&w.as_str())
            && !matches!(w.as_str(), "people" | "data" | "page" | "item")
    })
}

/// The words of a name up to the preposition that ends its head (`tablesToRemove` → tables).
fn head_words(name: &str) -> Vec<String> {
    let mut words = words(name);
    let end = words
        .iter()
        .skip(1)
        .position(|w| CUT.contains(&w.as_str()))
        .map_or(words.len(), |p| p + 1);
    words.truncate(end);
    words
}

/// `ownedSharedWorkflows` → owned, shared, workflows; `pk_set` → pk, set.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A plural's singular, by the regular English endings.
fn singular(w: &str) -> String {
    // `vertices`, `indices`, `matrices`: the Latin plural
    if let Some(stem) = w
        .strip_suffix("ices")
        .filter(|s| ["vert", "ind", "matr", "append"].contains(s))
    {
        return if stem == "matr" {
            "matrix".into()
        } else {
            format!("{stem}ex")
        };
    }
    if w.len() > 4 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if (w.len() > 4
        && (w.ends_with("sses")
            || w.ends_with("xes")
            || w.ends_with("ches")
            || w.ends_with("shes")))
        || (w.len() > 3 && w.ends_with("uses"))
    {
        w[..w.len() - 2].to_string()
    } else if w.len() > 2 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

#[cfg(test)]
#[path = "size_tests.rs"]
mod tests;
