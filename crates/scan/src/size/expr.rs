//! Reading a loop's collection as text: the calls that wrap it, the chain that passes it on,
//! the slices it is cut into, and whether it is part of one object.

use super::{singular, words, CARRIERS, GENERIC, PASS, WRAPPERS};

/// The name of a call of a chunking function (`lodash.chunk(ids, 1000)`, `chunked(rows, 500)`,
/// `itertools.batched(xs, 100)`, `splitIntoChunks(…)`, `chunkArray(…)`, Tryton's
/// `grouped_slice(ids)`, `more_itertools.sliced(xs, 100)`): a collection of slices. A name is not enough: `chunks` may hold a text splitter's chunks of documents,
/// data; and what a getter returns (`getChunk(id)`) is one slice's items.
pub(super) fn slices_of(expr: &str) -> Option<String> {
    let e = unwrap(expr);
    let call = e.find('(');
    let name = e[..call.unwrap_or(e.len())].trim();
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '$' | '.');
    if name.is_empty() || !name.chars().all(plain) {
        return None;
    }
    let last = name.rsplit('.').next()?;
    let w = words(last);
    // a slice by name only with what makes it several (`arr.slice(0, 10)` is one slice)
    let sliced = last == "grouped_slice"
        || (last == "sliced" && (name == "sliced" || name.ends_with("itertools.sliced")));
    let found = call.is_some()
        && (sliced || {
            let maker = |x: &str| {
                matches!(
                    x,
                    "chunks" | "batches" | "chunk" | "chunked" | "ichunked" | "batched" | "chunker"
                )
            };
            let helper = |x: &str| {
                matches!(
                    x,
                    "to" | "in"
                        | "into"
                        | "split"
                        | "make"
                        | "as"
                        | "i"
                        | "array"
                        | "list"
                        | "by"
                        | "of"
                        | "every"
                        | "size"
                        | "items"
                )
            };
            w.iter().any(|x| maker(x)) && w.iter().all(|x| maker(x) || helper(x))
        });
    found.then(|| last.to_string())
}

/// `rows` of `i < rows.length`, `i <= rows.length - 1`, `i < rows.size()` or `i < len(rows)`.
pub(super) fn counted(condition: &str) -> Option<&str> {
    let rhs = condition.split_once('<')?.1.trim_start_matches('=').trim();
    if let Some(inner) = rhs.strip_prefix("len(") {
        return Some(first_argument(inner));
    }
    let arr = rhs.split(".length").next()?.split(".size()").next()?.trim();
    (arr.len() < rhs.len()).then_some(arr)
}

/// The identifiers of a loop target (`order`, `(k, v)`, `{ workflowId, versionId }`).
pub(super) fn identifiers(target: &str) -> Vec<String> {
    target
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty() && !matches!(*w, "const" | "let" | "var" | "of" | "in"))
        .map(str::to_string)
        .collect()
}

/// The name that stands for a collection expression: wrappers unwrapped, arguments and
/// literals dropped, the last member of the chain that does not just pass it on.
pub(super) fn collection_name(expr: &str) -> Option<String> {
    let flat = strip_groups(unwrap(expr));
    let members: Vec<&str> = flat
        .split(['.', '?', '!', ' ', '\n', '\t'])
        .map(|m| m.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')))
        .collect();
    // a request's parts in capitals (Django's `request.POST`, `request.GET`, `request.FILES`,
    // `request.META`) pass the collection on: the fields of one request, not blog posts
    let of_request = |i: usize| {
        i > 0
            && matches!(members[i - 1], "request" | "req")
            && members[i].chars().all(|c| c.is_ascii_uppercase())
    };
    (0..members.len())
        .rev()
        .find(|&i| !members[i].is_empty() && !PASS.contains(&members[i]) && !of_request(i))
        .map(|i| members[i].to_string())
}

/// A collection that is part of one object, whatever its items are called: an attribute of
/// the object itself (`self.forms`, `this.destinations`: set up with the object, a handful
/// as a rule) or the rows of a queryset filtered to one parent (`Ticket.objects.filter(
/// order=order)`, every argument a plain field equal to a name).
pub(super) fn one_parents_part(e: &str) -> bool {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|m| {
                !m.is_empty()
                    && m.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '#')
            })
    };
    let bare_of = |e: &'_ str| -> String {
        let e = [
            "all()",
            "items()",
            "values()",
            "keys()",
            "entries()",
            "iterator()",
        ]
        .iter()
        .find_map(|t| e.strip_suffix(t).and_then(|r| r.strip_suffix('.')))
        .unwrap_or(e);
        e.to_string()
    };
    // the state the object itself holds, however deep and whichever way it is walked
    // (`self.forms`, `self.peers.items()`, `self.options.bundles`, `self._features[KEY_VOLUME]`),
    // but for what a request or a response carries (`self.request.data`), what a client
    // submitted (`self.cleaned_data["users"]`, `this.props.rows`) and a table reached through
    // an ORM (`self.model.objects.all()`)
    if let Some(attr) = e.strip_prefix("self.").or_else(|| e.strip_prefix("this.")) {
        if is_name(attr) && !attr.contains('.') {
            return true;
        }
        let path = bare_of(&keyed_by_constant(&bare_of(&keyed_as_attribute(attr))));
        return is_name(&path)
            && !path.split('.').any(|m| {
                let m = m.trim_start_matches(['_', '#']).to_ascii_lowercase();
                matches!(
                    m.as_str(),
                    "request"
                        | "req"
                        | "body"
                        | "payload"
                        | "response"
                        | "res"
                        | "resp"
                        | "result"
                        | "results"
                        | "data"
                        | "json"
                        | "rows"
                        | "records"
                        | "objects"
                        | "query"
                        | "queryset"
                        | "default_manager"
                        | "cleaned_data"
                        | "validated_data"
                        | "initial_data"
                        | "kwargs"
                        | "args"
                        | "params"
                        | "props"
                        | "ctx"
                )
            });
    }
    if parts_of_one_message(e) {
        return true;
    }
    // `order.shipments`, `post.tags.all()`: the children of one thing named for what it is
    // (not of a response or a result, which carry whatever was fetched), or its attributes'
    // (`attrs["vlans"]`); a keyed part (`perm_spec["users"]`) is read as an attribute
    let keyed = keyed_as_attribute(e);
    let bare = bare_of(&keyed);
    let bare = bare.as_str();
    if let Some((owner, attr)) = bare.split_once('.') {
        let head = words(owner).pop().unwrap_or_default();
        if is_name(attr)
            && !attr.contains('.')
            && is_name(owner)
            && !owner.contains('.')
            && owner
                .trim_start_matches('_')
                .starts_with(|c: char| c.is_lowercase())
            && !PASS.contains(&attr)
            && head.len() > 2
            // one thing, or the attributes of one (`attrs["vlans"]`: DiffSync's create and
            // update, DRF's validate)
            && (singular(&head) == head || matches!(head.as_str(), "attrs" | "attributes"))
            && !GENERIC.contains(&head.as_str())
            && !CARRIERS.contains(&head.as_str())
        {
            return true;
        }
    }
    let Some(i) = e.find(".objects.filter(") else {
        return false;
    };
    let rest = &e[i + ".objects.filter(".len()..];
    let args = crate::lang::call_arguments(rest).unwrap_or(rest);
    !args.trim().is_empty()
        && split_top(args)
            .into_iter()
            .filter(|a| !a.is_empty())
            .all(|a| {
                a.split_once('=').is_some_and(|(k, v)| {
                    let (k, v) = (k.trim(), v.trim());
                    is_name(k)
                        && !k.contains("__")
                        && !k.contains('.')
                        && is_name(v)
                        && !matches!(v, "True" | "False" | "None")
                        && !v.starts_with(|c: char| c.is_ascii_digit())
                })
            })
}

/// The last word of a name for one message or event as it arrives or leaves (`msg`,
/// `incoming_message`, `qq_official_event`, `reply_comp`; `update` alone, as Telegram names
/// one, not `to_update`).
const ONE_MESSAGE: &[&str] = &["msg", "message", "event", "evt", "component", "comp"];

/// What one message or event carries, however it is reached (`msg.item_list`,
/// `event.get_messages()`, `component.chain`, `event.get("event", {}).get("files", [])`,
/// `update.messages`): its parts, attachments or entries, a handful by nature whatever they
/// are called. Not the records of a batch an event delivers (`event["Records"]`,
/// `message.records`: a queue's or a stream's batch), nor the rows a model named so relates
/// (`event.attendees.all()`). A loop over such parts inside a loop over many messages is still
/// sized by the outer loop.
fn parts_of_one_message(e: &str) -> bool {
    let end = e.find(['.', '[']).unwrap_or(e.len());
    let (root, rest) = e.split_at(end);
    // named for one message, with a word for what it carries after it or not (`msg`,
    // `reply_message`, `messageData`, `msg_info`; not `message_map`, `message_list`)
    let carries = |w: &str| {
        matches!(
            w,
            "data" | "info" | "obj" | "object" | "meta" | "payload" | "body" | "content" | "raw"
        )
    };
    let named = root == "update"
        || words(root)
            .iter()
            .rev()
            .find(|w| !carries(w))
            .is_some_and(|w| ONE_MESSAGE.contains(&w.as_str()));
    let rest_lower = rest.to_ascii_lowercase();
    let batch_or_rows = rest_lower.contains("records")
        || [".all()", ".filter(", ".exclude(", ".objects", "_set."]
            .iter()
            .any(|m| rest_lower.contains(m))
        || rest_lower.ends_with("_set");
    !rest.is_empty()
        && root.starts_with(|c: char| c.is_lowercase() || c == '_')
        && root.chars().all(|c| c.is_alphanumeric() || c == '_')
        && named
        && !batch_or_rows
}

/// `features[KEY_VOLUME]` read as `features.KEY_VOLUME`: a part under a constant's key (an
/// upper-case name) is one part, like an attribute; any other subscript is left as it is.
pub(super) fn keyed_by_constant(e: &str) -> String {
    let Some(i) = e.rfind('[') else {
        return e.to_string();
    };
    let key = e[i + 1..].strip_suffix(']').unwrap_or("");
    let constant = !key.is_empty()
        && key.starts_with(|c: char| c.is_ascii_uppercase())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if constant {
        format!("{}.{key}", &e[..i])
    } else {
        e.to_string()
    }
}

/// `spec["users"].items()` → `spec.users.items()`: subscripts by a literal name as attributes.
pub(super) fn keyed_as_attribute(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    let mut rest = e;
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let key = after.find(']').and_then(|j| {
            let k = after[..j].trim();
            let inner = k
                .strip_prefix('"')
                .and_then(|k| k.strip_suffix('"'))
                .or_else(|| k.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))?;
            (!inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then_some((inner, j))
        });
        match key {
            Some((name, j)) => {
                out.push('.');
                out.push_str(name);
                rest = &after[j + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The collection itself: `await`, fallbacks (`?? []`), wrappers (`enumerate(…)`,
/// `Object.values(…)`) and comprehensions (`[x for x in rows if …]` → `rows`) taken off.
pub(super) fn unwrap(expr: &str) -> &str {
    let mut e = expr.trim();
    for prefix in ["await ", "yield "] {
        e = e.strip_prefix(prefix).unwrap_or(e).trim();
    }
    for fallback in ["??", "||", " or "] {
        if let Some((head, _)) = e.split_once(fallback) {
            e = head.trim();
        }
    }
    loop {
        let e0 = strip_wrapping_parens(e);
        let Some(w) = WRAPPERS
            .iter()
            .find(|w| e0.starts_with(**w) && e0[w.len()..].trim_start().starts_with('('))
        else {
            break;
        };
        let inner = &e0[w.len()..].trim_start()[1..];
        e = if *w == "range" {
            // `range(0, len(users))`: the argument that measures a collection
            let args = crate::lang::call_arguments(inner).unwrap_or(inner);
            split_top(args)
                .into_iter()
                .find(|a| a.contains("len("))
                .unwrap_or_else(|| first_argument(inner))
        } else {
            first_argument(inner)
        };
    }
    // a comprehension or generator: the collection it walks
    if e.starts_with(['[', '(']) {
        if let Some((_, rest)) = e
            .rsplit_once(" for ")
            .and_then(|(_, r)| r.split_once(" in "))
        {
            let end = rest.find(" if ").unwrap_or(rest.len());
            return rest[..end].trim().trim_end_matches([']', ')']).trim();
        }
    }
    e
}

/// The arguments of a call's text, split at its top-level commas, trimmed.
pub(super) fn split_top(args: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(args[start..].trim());
    out
}

/// `((rows))` → `rows`: the parentheses around the whole expression, not the call's own
/// (`list(x.items())` keeps both of its closing ones); parentheses in string literals do not
/// count.
pub(super) fn strip_wrapping_parens(e: &str) -> &str {
    let mut e = e.trim();
    while e.starts_with('(') && e.ends_with(')') {
        let (mut depth, mut quote) = (0i32, None::<char>);
        let closes_at_end = e.char_indices().all(|(i, c)| {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"' | '`') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => depth -= 1,
                _ => {}
            }
            depth > 0 || i == e.len() - 1
        });
        if !closes_at_end {
            break;
        }
        e = e[1..e.len() - 1].trim();
    }
    e
}

/// `rows, key=…)` → `rows`: the text up to the first comma or close at depth 0.
pub(super) fn first_argument(s: &str) -> &str {
    split_top(crate::lang::call_arguments(s).unwrap_or(s))[0]
}

/// The expression without the contents of its calls, subscripts and string literals.
pub(super) fn strip_groups(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quote) = (0i32, None::<char>);
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = (depth - 1).max(0),
            (None, c) if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
