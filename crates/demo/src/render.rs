//! Serialising `/items` responses: a deliberately CPU-heavy path and the obvious fast one.
//!
//! [`render_item_slow`] models a serialisation layer that does the same work several times over —
//! pretty-printing for a log, re-parsing into a generic tree to "normalise" it, re-serialising —
//! the kind of hot function a CPU profile (perf + FlameGraph) shows on top with its own name. The
//! fast path is one `serde_json::to_vec` of the whole response. Both produce identical bytes (the
//! [`Item`] fields are in alphabetical order, like `serde_json::Value`'s sorted maps), so fixing
//! the cause changes the time and nothing else.

use serde::Serialize;

use crate::db::Item;

/// This file, as spans name it in `code.file.path`.
pub(crate) const FILE: &str = file!();

/// How many pretty-print / re-parse rounds the slow path makes per item.
const SLOW_ROUNDS: usize = 12;

/// The `/items` response body.
#[derive(Serialize)]
struct ItemsPage<'a> {
    count: usize,
    items: &'a [Item],
}

/// Serialises the `/items` response, by the slow or the fast path.
pub(crate) fn render_items(items: &[Item], fast: bool) -> Result<Vec<u8>, serde_json::Error> {
    if fast {
        return serde_json::to_vec(&ItemsPage {
            count: items.len(),
            items,
        });
    }
    let mut out = format!("{{\"count\":{},\"items\":[", items.len()).into_bytes();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(render_item_slow(item)?.as_bytes());
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// Renders one item the expensive way: [`SLOW_ROUNDS`] rounds of pretty-printing and parsing
/// back into a `serde_json::Value`, then a compact print of the final tree.
#[inline(never)]
pub(crate) fn render_item_slow(item: &Item) -> Result<String, serde_json::Error> {
    let mut tree = serde_json::to_value(item)?;
    for _ in 0..SLOW_ROUNDS {
        let pretty = serde_json::to_string_pretty(&tree)?;
        tree = serde_json::from_str(&pretty)?;
    }
    serde_json::to_string(&tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Detail;

    fn item(id: i64) -> Item {
        Item {
            category: "tools".into(),
            description: "A \"quoted\" description\nwith a newline".into(),
            details: vec![Detail {
                key: "color".into(),
                value: "red".into(),
            }],
            id,
            name: format!("item-{id}"),
            price_cents: 1299,
        }
    }

    #[test]
    fn slow_and_fast_paths_give_the_same_bytes() {
        let items = [item(1), item(2)];
        let slow = render_items(&items, false).expect("slow");
        let fast = render_items(&items, true).expect("fast");
        assert_eq!(String::from_utf8(slow), String::from_utf8(fast));
        assert_eq!(
            render_items(&[], false).expect("empty"),
            br#"{"count":0,"items":[]}"#
        );
    }
}
