//! Loops over groups: a function that sorts its items into groups (`by_owner[k].append(x)`
//! into a `defaultdict(list)`, `setdefault(k, []).append(x)`, lodash's `groupBy`, `(g[k] ??=
//! []).push(x)`) and then walks the groups does its per-item work once per group, with the
//! whole group at a time: the batched form (a GraphQL data loader's query per segment of its
//! keys, one `IN (…)` query per owner).

use super::expr::collection_name;

/// A regex compiled once per process.
macro_rules! rx {
    ($p:expr $(,)?) => {{
        static CELL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        crate::runs::re(&CELL, $p)
    }};
}

/// The name of the groups the loop walks (`walked`: its collection's text), when `before` —
/// the text of its function up to the loop — builds them by grouping, or the loop groups
/// itself (`for key, rows in groupby(…)`).
pub(super) fn walked_groups(walked: &str, before: &str) -> Option<String> {
    let direct = rx!(r"^\s*(?:[\w.]+\.)?(?:groupby|groupBy|group_by)\s*\(");
    if direct.is_match(walked) {
        return Some("groupby".to_string());
    }
    let name = collection_name(walked)?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    {
        return None;
    }
    // the loop walks the groups themselves (`g`, `g.items()`, `Object.entries(g)`), not the
    // items of one group (`g[team]`)
    let w: String = walked.chars().filter(|c| !c.is_whitespace()).collect();
    let w = w
        .strip_prefix("self.")
        .or_else(|| w.strip_prefix("this."))
        .unwrap_or(&w);
    let whole = w == name
        || [".items()", ".values()", ".keys()", ".entries()"]
            .iter()
            .any(|t| w.strip_suffix(t) == Some(name.as_str()))
        || ["Object.entries(", "Object.keys(", "Object.values("]
            .iter()
            .any(|t| w.strip_prefix(t).and_then(|r| r.strip_suffix(')')) == Some(name.as_str()));
    if !whole {
        return None;
    }
    // only what the function did with the name since it last bound it counts
    let bound_at = before
        .match_indices(name.as_str())
        .filter(|(i, _)| {
            let prev = before[..*i].chars().next_back();
            !prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        })
        .filter(|(i, _)| {
            let rest = before[i + name.len()..].trim_start_matches([' ', '\t']);
            let rest = match rest.strip_prefix(':') {
                // an annotation, up to its `=`
                Some(r) => r
                    .get(..r.len().min(300))
                    .and_then(|r| r.find('=').map(|e| &r[e..])),
                None => Some(rest),
            };
            rest.is_some_and(|r| r.starts_with('=') && !r.starts_with("=="))
        })
        .map(|(i, _)| i)
        .last()
        .unwrap_or(0);
    let before = &before[bound_at..];
    // what follows each whole-word use of the name in the function's text
    let uses: Vec<(Option<char>, &str)> = before
        .match_indices(name.as_str())
        .filter(|(i, _)| {
            let prev = before[..*i].chars().next_back();
            let next = before[i + name.len()..].chars().next();
            !prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                && !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
        .map(|(i, _)| {
            let prev = before[..i]
                .trim_end_matches([' ', '\t'])
                .chars()
                .next_back();
            (prev, &before[i + name.len()..])
        })
        .collect();
    let any = |re: &regex::Regex, after_paren: bool| {
        uses.iter()
            .any(|(prev, rest)| (!after_paren || *prev == Some('(')) && re.is_match(rest))
    };
    // what puts an item into a group: `g[k].append(x)`, `g[k][p].append(x)`, `g[k].push(x)`;
    // `g.setdefault(k, []).append(x)`; `(g[k] ??= []).push(x)`; `g.get(k).push(x)` (a Map)
    let keyed = rx!(r"^(?:\[[^\]\n]+\]){1,2}\.(?:append|add|extend|push)\s*\(");
    let setdefault = rx!(r"^\.setdefault\([^\n]*\)\.(?:append|add|extend)\s*\(");
    let or_new = rx!(r"^\[[^\]\n]+\]\s*(?:\?\?|\|\|)=\s*\[\s*\]\s*\)\s*\.push\s*\(");
    let map_get = rx!(r"^\.get\([^\n]*\)\??\.push\s*\(");
    // what makes the name a grouping to start with (with `g[k].append`, a dict of lists); an
    // annotation may span lines (`arguments: defaultdict[\n Segment, …\n] = …`)
    let dict_of_lists = rx!(r"^\s*(?::[^=]{0,300}?)?=\s*(?:collections\.)?defaultdict\s*\(");
    let grouped_by =
        rx!(r"^\s*(?::[^=]{0,300}?)?=\s*(?:[\w.]+\.)?(?:groupby|groupBy|group_by)\s*\(");
    let grouped = any(grouped_by, false)
        || (any(keyed, false) && any(dict_of_lists, false))
        || any(setdefault, false)
        || any(or_new, true)
        || any(map_get, false);
    grouped.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_built_in_the_function_are_the_batched_form() {
        let loader = "
    async def _load_fn(self, keys):
        arguments: defaultdict[
            Segment,
            defaultdict[Param, list[ResultPosition]],
        ] = defaultdict(lambda: defaultdict(list))
        for position, key in enumerate(keys):
            segment, param = _cache_key_fn(key)
            arguments[segment][param].append(position)
";
        assert_eq!(
            walked_groups("arguments.items()", loader).as_deref(),
            Some("arguments")
        );
        let owners = "
def sync(flows):
    by_owner = {}
    for f in flows:
        by_owner.setdefault(f.owner_id, []).append(f.id)
";
        assert_eq!(
            walked_groups("by_owner.items()", owners).as_deref(),
            Some("by_owner")
        );
        let js = "
async function sync(rows) {
  const byShop = {};
  for (const r of rows) (byShop[r.shopId] ??= []).push(r);
";
        assert_eq!(
            walked_groups("Object.entries(byShop)", js).as_deref(),
            Some("byShop")
        );
        assert_eq!(
            walked_groups("groupby(rows, key=itemgetter(0))", "").as_deref(),
            Some("groupby")
        );
        let grouped = "const grouped = _.groupBy(orders, 'customerId');";
        assert_eq!(
            walked_groups("Object.keys(grouped)", grouped).as_deref(),
            Some("grouped")
        );
        // the items of one group; a name bound again to something else
        let teams = "
def f(users):
    by_team = defaultdict(list)
    for u in users:
        by_team[u.team].append(u)
";
        assert_eq!(walked_groups("by_team[team]", teams), None);
        let rebound = format!("{teams}    by_team = list(users)\n");
        assert_eq!(walked_groups("by_team", &rebound), None);
        // a dict of values, not of groups; a list appended to; another name grouped
        let plain = "
def f(users):
    totals = {}
    names = []
    other = defaultdict(list)
    for u in users:
        totals[u.id] = u.total
        names.append(u.name)
        other[u.team].append(u)
";
        assert_eq!(walked_groups("totals.items()", plain), None);
        assert_eq!(walked_groups("names", plain), None);
        assert_eq!(walked_groups("users", plain), None);
    }
}
