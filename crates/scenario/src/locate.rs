//! Finds where a key path (`traffic_profile.spike_after_minutes`, `success_criteria[2]`) stands in
//! a YAML document, for errors found after deserialisation. serde's YAML errors carry a
//! location for syntax, type and unknown-key errors; semantic checks (a criterion's expression,
//! two conflicting keys) use this line-based locator over block and flow styles.

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    /// A mapping key.
    Key(&'static str),
    /// A sequence index.
    Index(usize),
}

/// 1-based (line, column) of the value or key at `path`, best effort: falls back to the deepest
/// ancestor found. `value` asks for the value's position rather than the key's.
pub fn locate(source: &str, path: &[Seg], value: bool) -> Option<(usize, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    // Current search scope: line range and minimum indentation, plus an in-line offset for
    // flow collections.
    let mut scope_start = 0usize;
    let mut scope_end = lines.len();
    let mut parent_indent: isize = -1;
    let mut found: Option<(usize, usize)> = None;
    let mut inline: Option<(usize, usize)> = None; // (line, column) where a flow value begins
    for seg in path {
        if let Some((li, col)) = inline {
            // Flow style: search within the remainder of that line.
            let text = &lines[li][col..];
            let pos = match seg {
                Seg::Key(k) => find_flow_key(text, k).map(|p| {
                    let after = p + k.len();
                    let v = text[after..]
                        .find(':')
                        .map(|c| after + c + 1)
                        .unwrap_or(after);
                    let v = v + text[v..].len() - text[v..].trim_start().len();
                    if value {
                        v
                    } else {
                        p
                    }
                }),
                Seg::Index(i) => nth_flow_item(text, *i),
            };
            let Some(p) = pos else { return found };
            found = Some((li + 1, col + p + 1));
            inline = Some((li, col + p));
            continue;
        }
        let mut hit = None;
        let mut count = 0usize;
        let mut li = scope_start;
        while li < scope_end {
            let line = lines[li];
            let trimmed = line.trim_start();
            let indent = (line.len() - trimmed.len()) as isize;
            if trimmed.is_empty() || trimmed.starts_with('#') {
                li += 1;
                continue;
            }
            if indent <= parent_indent && li > scope_start {
                break;
            }
            match seg {
                Seg::Key(k) => {
                    let (body, off) = match trimmed.strip_prefix("- ") {
                        Some(b) => (b, 2),
                        None => (trimmed, 0),
                    };
                    let key_end = body.find(':');
                    let key = key_end.map(|e| body[..e].trim().trim_matches(['"', '\'']));
                    if key == Some(*k) {
                        hit = Some((li, indent as usize + off, key_end.unwrap() + 1, off));
                        break;
                    }
                    // A flow mapping that is the whole scope (`target: { url: x }`).
                    if let Some(p) = find_flow_key(line, k) {
                        if li == scope_start && line[..p].contains('{') {
                            let v = line[p..].find(':').map(|c| p + c + 1).unwrap_or(p);
                            hit = Some((li, p, v - p, usize::MAX));
                            break;
                        }
                    }
                }
                Seg::Index(i) => {
                    if let Some(rest) = trimmed.strip_prefix('-') {
                        if rest.is_empty() || rest.starts_with(' ') {
                            if count == *i {
                                let item =
                                    indent as usize + 1 + (rest.len() - rest.trim_start().len());
                                hit = Some((li, item, 0, 0));
                                break;
                            }
                            count += 1;
                        }
                    }
                }
            }
            li += 1;
        }
        let Some((li, col, colon, kind)) = hit else {
            // Perhaps the value is a flow sequence/mapping on the parent's line.
            if let (Seg::Index(i), Some((pl, pc))) = (seg, found) {
                let line = lines[pl - 1];
                let from = pc - 1;
                if let Some(open) = line[from..].find('[') {
                    let base = from + open;
                    if let Some(p) = nth_flow_item(&line[base..], *i) {
                        found = Some((pl, base + p + 1));
                        inline = Some((pl - 1, base + p));
                        continue;
                    }
                }
            }
            return found;
        };
        let line = lines[li];
        if kind == usize::MAX {
            // inside a flow mapping on this line
            let vpos = col + colon;
            let vpos = vpos + line[vpos..].len() - line[vpos..].trim_start().len();
            found = Some((li + 1, if value { vpos } else { col } + 1));
            inline = Some((li, if value { vpos } else { col }));
            continue;
        }
        let value_col = {
            let v = col + colon;
            let rest = line.get(v..).unwrap_or("");
            v + rest.len() - rest.trim_start().len()
        };
        let has_inline_value = matches!(seg, Seg::Index(_))
            || !line.get(value_col..).unwrap_or("").trim().is_empty()
                && !line[value_col..].trim_start().starts_with('#');
        found = Some((
            li + 1,
            if value && has_inline_value {
                value_col
            } else {
                col
            } + 1,
        ));
        let rest = line.get(value_col..).unwrap_or("").trim_start();
        if matches!(seg, Seg::Key(_)) && (rest.starts_with('{') || rest.starts_with('[')) {
            inline = Some((li, value_col));
        } else if matches!(seg, Seg::Index(_))
            && has_inline_value
            && rest.contains(':')
            && !rest.starts_with('"')
            && !rest.starts_with('\'')
        {
            // `- name: x` starts a mapping whose first key is on this line
            scope_start = li;
            parent_indent = col as isize - 1;
            scope_end = lines.len();
            // keys of this item are at indent == col; let the next search include this line
            continue;
        } else {
            scope_start = li + 1;
        }
        parent_indent = if matches!(seg, Seg::Index(_)) {
            col as isize - 2
        } else {
            indent_of(line) as isize
        };
        scope_end = lines.len();
    }
    found
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn find_flow_key(text: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = text[from..].find(key) {
        let at = from + p;
        let before_ok =
            at == 0 || matches!(text.as_bytes()[at - 1], b'{' | b',' | b' ' | b'"' | b'\'');
        let after = text[at + key.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        if before_ok && after.starts_with(':') {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// Offset of the `i`-th element of a flow sequence starting with `[` in `text`.
fn nth_flow_item(text: &str, i: usize) -> Option<usize> {
    let open = text.find('[')?;
    let mut depth = 0;
    let mut idx = 0;
    let mut quote: Option<char> = None;
    let mut start = None;
    for (p, c) in text.char_indices().skip_while(|(p, _)| *p < open) {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    start = None;
                    continue;
                }
            }
            ']' | '}' => depth -= 1,
            ',' if depth == 1 => {
                idx += 1;
                start = None;
                continue;
            }
            _ => {}
        }
        if depth >= 1 && start.is_none() && !c.is_whitespace() {
            start = Some(p);
            if idx == i {
                return Some(p);
            }
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "scenario: x\ntarget: { url: \"http://a\", method: POST }\ntraffic_profile:\n  warmup_minutes: 5\n  arrival_rate_rps: [100, 250, 400]\nsuccess_criteria:\n  - p95_latency_ms <= 250\n  - error_rate_pct <= 0.5\nobserve:\n  - name: redis\n    pid: 12\n";

    #[test]
    fn finds_block_flow_and_sequence_positions() {
        use Seg::*;
        assert_eq!(
            locate(DOC, &[Key("traffic_profile"), Key("warmup_minutes")], false),
            Some((4, 3))
        );
        assert_eq!(
            locate(DOC, &[Key("traffic_profile"), Key("warmup_minutes")], true),
            Some((4, 19))
        );
        assert_eq!(
            locate(DOC, &[Key("success_criteria"), Index(1)], true),
            Some((8, 5))
        );
        assert_eq!(
            locate(DOC, &[Key("target"), Key("method")], true),
            Some((2, 36))
        );
        assert_eq!(
            locate(
                DOC,
                &[Key("traffic_profile"), Key("arrival_rate_rps"), Index(2)],
                true
            ),
            Some((5, 32))
        );
        assert_eq!(
            locate(DOC, &[Key("observe"), Index(0), Key("pid")], true),
            Some((11, 10))
        );
        assert_eq!(
            locate(DOC, &[Key("observe"), Index(0), Key("name")], true),
            Some((10, 11))
        );
    }
}
