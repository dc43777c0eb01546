//! A small well-formedness checker for the markup this crate generates (SVG charts, HTML
//! pages written as XHTML-compatible markup): used by the tests of every crate that embeds it,
//! so a broken tag is caught where it is made.

/// Checks that `s` is well-formed XML: one root element, properly nested and matching tags,
/// quoted and unique attributes, valid entity and character references, no stray `<` or `&`.
/// Comments, processing instructions and the XML declaration are skipped.
pub fn check_xml(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let err = |i: usize, m: &str| {
        Err(format!(
            "{m} at byte {i}: {:?}",
            &s[i..(i + 40).min(s.len())]
        ))
    };
    while i < b.len() {
        if b[i] == b'<' {
            if s[i..].starts_with("<!--") {
                match s[i..].find("-->") {
                    Some(e) => i += e + 3,
                    None => return err(i, "unterminated comment"),
                }
                continue;
            }
            if s[i..].starts_with("<?") {
                match s[i..].find("?>") {
                    Some(e) => i += e + 2,
                    None => return err(i, "unterminated processing instruction"),
                }
                continue;
            }
            if s[i..].starts_with("</") {
                let (name, j) = read_name(s, i + 2).ok_or_else(|| format!("bad end tag at {i}"))?;
                let j = skip_ws(b, j);
                if b.get(j) != Some(&b'>') {
                    return err(i, "end tag not closed");
                }
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => return err(i, &format!("</{name}> closes {other:?}")),
                }
                i = j + 1;
                continue;
            }
            let (name, mut j) =
                read_name(s, i + 1).ok_or_else(|| format!("bad start tag at {i}"))?;
            if stack.is_empty() {
                roots += 1;
                if roots > 1 {
                    return err(i, "more than one root element");
                }
            }
            let mut attrs: Vec<String> = Vec::new();
            loop {
                let k = skip_ws(b, j);
                match b.get(k) {
                    Some(b'>') => {
                        stack.push(name.clone());
                        i = k + 1;
                        break;
                    }
                    Some(b'/') if b.get(k + 1) == Some(&b'>') => {
                        i = k + 2;
                        break;
                    }
                    Some(_) if k > j => {
                        let (attr, e) =
                            read_name(s, k).ok_or_else(|| format!("bad attribute at {k}"))?;
                        if attrs.contains(&attr) {
                            return err(k, "duplicate attribute");
                        }
                        attrs.push(attr);
                        let e = skip_ws(b, e);
                        if b.get(e) != Some(&b'=') {
                            return err(e, "attribute without =");
                        }
                        let q = skip_ws(b, e + 1);
                        let quote = match b.get(q) {
                            Some(&c @ (b'"' | b'\'')) => c,
                            _ => return err(q, "unquoted attribute value"),
                        };
                        let end = s[q + 1..]
                            .find(quote as char)
                            .map(|x| q + 1 + x)
                            .ok_or_else(|| format!("unterminated attribute at {q}"))?;
                        let value = &s[q + 1..end];
                        if value.contains('<') {
                            return err(q, "< in attribute value");
                        }
                        check_entities(value).map_err(|m| format!("{m} in attribute at {q}"))?;
                        j = end + 1;
                    }
                    _ => return err(k, "malformed tag"),
                }
            }
            continue;
        }
        let end = s[i..].find('<').map_or(s.len(), |x| i + x);
        let text = &s[i..end];
        if stack.is_empty() && !text.trim().is_empty() {
            return err(i, "text outside the root element");
        }
        check_entities(text).map_err(|m| format!("{m} in text at {i}"))?;
        i = end;
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> not closed"));
    }
    if roots != 1 {
        return Err("no root element".into());
    }
    Ok(())
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn read_name(s: &str, i: usize) -> Option<(String, usize)> {
    let rest = &s[i..];
    let first = rest.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_' || first == ':') {
        return None;
    }
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-')))
        .unwrap_or(rest.len());
    Some((rest[..len].to_string(), i + len))
}

fn check_entities(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(p) = rest.find('&') {
        let after = &rest[p + 1..];
        let end = after.find(';').ok_or("& without ;")?;
        let name = &after[..end];
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || name
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(format!("bad entity &{name};"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}
