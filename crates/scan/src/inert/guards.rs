//! Guards: parameters whose value, when a call passes one, skips a function's I/O (`grants if
//! grants is not None else await load(…)`), and what a call passes for them.

use tree_sitter::Node;

/// A parameter whose value, when a call passes one, skips the function's I/O: its name and its
/// position among the arguments a call writes (after `self`/`cls`).
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    pub(super) name: String,
    position: Option<usize>,
}

/// The value `call` passes for the parameter `guard`, by keyword or by position; `None` when
/// it passes none (or where it lands is not known: after `*args`, through `**kwargs`).
pub(super) fn argument<'t>(call: Node<'t>, guard: &Guard, src: &[u8]) -> Option<Node<'t>> {
    let args = call.child_by_field_name("arguments")?;
    let text = |n: Node<'t>| n.utf8_text(src).unwrap_or("");
    let mut cur = args.walk();
    let mut positional = Some(0);
    for a in args.named_children(&mut cur) {
        match a.kind() {
            "keyword_argument" => {
                if a.child_by_field_name("name").map(text) == Some(&guard.name) {
                    return a.child_by_field_name("value");
                }
            }
            // `*args`, `**kwargs`: what they hold is not known, nor where later arguments land
            "list_splat" | "dictionary_splat" => positional = None,
            "comment" => {}
            _ => {
                if positional.is_some() && positional == guard.position {
                    return Some(a);
                }
                positional = positional.map(|p| p + 1);
            }
        }
    }
    None
}

/// Whether the passed value `v` is one: not `None`, nor a lookup without a default
/// (`m.get(k)`), which may well be `None`.
pub(super) fn given(v: Node<'_>, src: &[u8]) -> bool {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    let lookup = v.kind() == "call"
        && v.child_by_field_name("function")
            .is_some_and(|f| text(f).ends_with(".get"))
        && v.child_by_field_name("arguments")
            .is_some_and(|a| a.named_child_count() < 2);
    text(v) != "None" && !lookup
}

/// The parameter of `params` that the passed value `v` names (`await self._to_model(note,
/// grants=grants)` inside a function taking `grants`): what the caller passes decides.
pub(super) fn passed_on<'p>(v: Node<'_>, params: &'p [Guard], src: &[u8]) -> Option<&'p Guard> {
    if v.kind() != "identifier" {
        return None;
    }
    let name = v.utf8_text(src).ok()?;
    params.iter().find(|p| p.name == name)
}

/// The parameter names of the Python function `def`, with their positions for a call
/// through `self.`/`cls.` or by name (a method's first parameter is not written by the call;
/// positions end at `*`).
pub(super) fn parameters(def: Node<'_>, src: &[u8]) -> Vec<Guard> {
    let Some(ps) = def.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let (wrapper, parent) = match def.parent() {
        Some(p) if p.kind() == "decorated_definition" => (Some(p), p.parent()),
        p => (None, p),
    };
    let is_static = wrapper.is_some_and(|w| {
        let mut c = w.walk();
        let found = w.named_children(&mut c).any(|d| {
            d.kind() == "decorator"
                && d.named_child(0)
                    .and_then(|e| e.utf8_text(src).ok())
                    .is_some_and(|e| e.rsplit('.').next() == Some("staticmethod"))
        });
        found
    });
    let method = !is_static && parent.is_some_and(|p| p.kind() == "block");
    let mut cur = ps.walk();
    let mut out = Vec::new();
    let mut positional = true;
    let mut index = 0usize;
    for (i, p) in ps.named_children(&mut cur).enumerate() {
        let name = match p.kind() {
            "identifier" => p.utf8_text(src).ok(),
            "default_parameter" | "typed_default_parameter" => p
                .child_by_field_name("name")
                .and_then(|n| n.utf8_text(src).ok()),
            // `x: T`, but not `*args: T` / `**kw: T`, which end the positions
            "typed_parameter" => match p.named_child(0) {
                Some(n) if n.kind() == "identifier" => n.utf8_text(src).ok(),
                _ => {
                    positional = false;
                    None
                }
            },
            _ => {
                positional = false;
                None
            }
        };
        if method && i == 0 {
            continue;
        }
        if let Some(name) = name {
            out.push(Guard {
                name: name.to_string(),
                position: positional.then_some(index),
            });
        }
        index += 1;
    }
    out
}

/// For `a if p is not None else b` / `a if p is None else b`, and for an `if p is None:` with
/// no other branch: the guard `p` (a parameter) and the children walked when a call passes it.
pub(super) fn guarded<'t>(
    n: Node<'t>,
    params: &[Guard],
    src: &[u8],
) -> Option<(Guard, Vec<Node<'t>>)> {
    let text = |n: Node<'t>| n.utf8_text(src).unwrap_or("");
    let test = |cond: Node<'t>| -> Option<(Guard, bool)> {
        if cond.kind() != "comparison_operator" {
            return None;
        }
        let t = text(cond).split_whitespace().collect::<Vec<_>>();
        let (name, is_none) = match t.as_slice() {
            [p, "is", "None"] => (*p, true),
            [p, "is", "not", "None"] => (*p, false),
            _ => return None,
        };
        let g = params.iter().find(|g| g.name == name)?;
        Some((g.clone(), is_none))
    };
    if n.kind() == "conditional_expression" {
        let mut c = n.walk();
        let parts: Vec<Node<'t>> = n.named_children(&mut c).filter(|x| !x.is_extra()).collect();
        let [then, cond, other] = parts[..] else {
            return None;
        };
        let (g, is_none) = test(cond)?;
        return Some((g, vec![cond, if is_none { other } else { then }]));
    }
    let cond = n.child_by_field_name("condition")?;
    let (g, is_none) = test(cond)?;
    let mut cur = n.walk();
    let other_branches = n.children_by_field_name("alternative", &mut cur).count() > 0;
    if !is_none || other_branches {
        return None;
    }
    Some((g, vec![cond]))
}
