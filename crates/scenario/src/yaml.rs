//! YAML with perfhive's error reporting, shared by every YAML format of perfhive (scenarios, and
//! investigation plans through [`parse_yaml`] and [`error_at`]): serde's syntax, type and
//! unknown-key errors become `file:line:column` errors with the source line and a caret.
//!
//! Before the parser sees a document, [`check_nesting`] bounds the depth of flow collections
//! (`[[[…]]]`): libyaml's cost grows with the square of that depth (a 100,000-deep document took
//! most of a minute), while no perfhive file needs more than a few levels.

use crate::error::ScenarioError;
use crate::limits::MAX_NESTING;
use crate::locate::{locate, Seg};
use std::path::Path;

/// Parses any YAML document with this crate's error reporting (file:line:column with a caret),
/// for other file formats of perfhive (investigation plans).
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    if let Err((line, col)) = check_nesting(text) {
        return Err(ScenarioError::at(
            path,
            text,
            line,
            col,
            format!("collections nested deeper than {MAX_NESTING} levels; expected a shallower document"),
        ));
    }
    serde_yaml_ng::from_str(text).map_err(|e| yaml_error(&e, text, path))
}

/// An error at the value of a top-level key path (`["sweep", "levels"]`), located in `text`.
pub fn error_at(
    text: &str,
    path: &Path,
    keys: &[&'static str],
    message: impl Into<String>,
) -> ScenarioError {
    let segs: Vec<Seg> = keys.iter().map(|k| Seg::Key(k)).collect();
    let (line, col) = locate(text, &segs, true).unwrap_or((1, 1));
    ScenarioError::at(path, text, line, col, message)
}

/// Turns serde's YAML error into ours: location, and the message without serde's own suffix.
fn yaml_error(e: &serde_yaml_ng::Error, text: &str, path: &Path) -> ScenarioError {
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if text.trim().is_empty() {
        return ScenarioError::whole(path, "the file is empty; expected a YAML mapping");
    }
    match e.location() {
        Some(loc) => ScenarioError::at(path, text, loc.line(), loc.column(), message),
        None => ScenarioError::whole(path, message),
    }
}

/// Checks that flow collections (`[`, `{`) nest at most [`MAX_NESTING`] deep; otherwise the
/// 1-based (line, column) of the first bracket too deep. Brackets in quoted scalars and
/// comments do not count. One pass, no allocation.
pub fn check_nesting(text: &str) -> Result<(), (usize, usize)> {
    let (mut line, mut col) = (1usize, 0usize);
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    // the last character that is not a space on this line, and whether a space followed it
    let mut last: Option<char> = None;
    let mut spaced = false;
    for c in text.chars() {
        col += 1;
        if c == '\n' {
            (line, col, comment, last, spaced) = (line + 1, 0, false, None, false);
            continue;
        }
        if comment {
            continue;
        }
        if c == ' ' || c == '\t' {
            spaced = true;
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '#' if last.is_none() || spaced => {
                    comment = true;
                    continue;
                }
                '"' | '\''
                    if last.is_none_or(|p| matches!(p, '[' | '{' | ',' | ':' | '-' | '?')) =>
                {
                    quote = Some(c);
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err((line, col));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        last = Some(c);
        spaced = false;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_at_once() {
        let n = 100_000;
        let text = format!("scenario: {}{}", "[".repeat(n), "]".repeat(n));
        let t = std::time::Instant::now();
        let e = parse_yaml::<serde_yaml_ng::Value>(&text, Path::new("deep.yaml")).unwrap_err();
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        assert_eq!((e.line, e.column), (Some(1), Some(11 + MAX_NESTING)));
        assert!(e.message.contains("nested deeper"), "{e}");
        assert!(e.to_string().len() < 1000);
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let deep = "[".repeat(MAX_NESTING + 1);
        for text in [
            format!("a: '{deep}'"),
            format!("a: \"{deep}\""),
            format!("a: \"\\\"{deep}\""),
            format!("a: 1 # {deep}"),
            format!("# {deep}\nb: 2"),
            format!("a: [x, '{deep}', \"{deep}\"]"),
        ] {
            assert_eq!(check_nesting(&text), Ok(()), "{text}");
        }
        assert_eq!(check_nesting("a: [[1], {b: [2]}]"), Ok(()));
        assert!(check_nesting(&format!("a:\n  - {deep}")).is_err());
        // an apostrophe inside a plain scalar opens no quote
        assert!(check_nesting(&format!("a: it's {deep}")).is_err());
    }
}
