//! Input errors that point at the source: `file:line:column: message`, then the line with a
//! caret under the offending column (rustc's and miette's style). A long line is shown as a
//! window around the column and a long message is shortened, so an error about a multi-megabyte
//! line stays a few lines long.

use std::fmt;
use std::path::PathBuf;

/// Lines up to this many characters are shown whole.
const LINE_CHARS: usize = 160;
/// Characters shown on each side of the column in a longer line.
const WINDOW_CHARS: usize = 60;
/// Messages are cut after this many characters.
const MESSAGE_CHARS: usize = 500;

/// A scenario that could not be read or is not valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file, or `<inline>` for text.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What was expected.
    pub message: String,
    /// The source line for the caret display: the whole line, or a window of it around the
    /// column (cut ends marked `…`) when it is long.
    pub source_line: Option<String>,
    /// 1-based column of the caret within `source_line`.
    pub caret: Option<usize>,
}

impl ScenarioError {
    /// An error at a position of `source` (1-based line and column).
    pub fn at(
        file: &std::path::Path,
        source: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let (source_line, caret) = match source.lines().nth(line.saturating_sub(1)) {
            Some(l) => {
                let (l, column) = without_secrets(l, column);
                let (excerpt, caret) = excerpt(&l, column);
                (Some(excerpt), Some(caret))
            }
            None => (None, None),
        };
        ScenarioError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: clip(perfhive_core::secret::mask_secrets(&message.into())),
            source_line,
            caret,
        }
    }

    /// An error about the file as a whole.
    pub fn whole(file: &std::path::Path, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: clip(perfhive_core::secret::mask_secrets(&message.into())),
            source_line: None,
            caret: None,
        }
    }
}

/// `line` with its passwords masked (a DSN or URL echoed from the file must not print one),
/// and the 1-based character `column` moved with the text it points at.
fn without_secrets(line: &str, column: usize) -> (String, usize) {
    let ranges = perfhive_core::secret::secret_ranges(line);
    if ranges.is_empty() {
        return (line.to_string(), column);
    }
    let at = column.saturating_sub(1); // 0-based character index
    let mut moved = at as isize;
    for r in &ranges {
        let from = line[..r.start].chars().count();
        let to = line[..r.end].chars().count();
        if at >= to {
            moved += perfhive_core::secret::MASK.len() as isize - (to - from) as isize;
        } else if at >= from {
            // inside the password: point at its mask
            moved -= (at - from) as isize;
        }
    }
    (
        perfhive_core::secret::mask_secrets(line),
        moved.max(0) as usize + 1,
    )
}

/// The part of `line` shown under an error at 1-based character `column`, and the caret's
/// column in it.
fn excerpt(line: &str, column: usize) -> (String, usize) {
    let len = line.chars().count();
    if len <= LINE_CHARS {
        return (line.to_string(), column);
    }
    let col0 = column.saturating_sub(1).min(len);
    let from = col0.saturating_sub(WINDOW_CHARS);
    let to = (col0 + WINDOW_CHARS).min(len);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.extend(line.chars().skip(from).take(to - from));
    if to < len {
        out.push('…');
    }
    (out, col0 - from + 1 + usize::from(from > 0))
}

/// Cuts a message after [`MESSAGE_CHARS`] characters.
fn clip(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(line), Some(col), Some(src)) = (self.line, self.caret, &self.source_line) {
            let gutter = line.to_string().len();
            let caret_pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {src}\n{:gutter$} | {caret_pad}^",
                "", ""
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_multi_megabyte_line_is_shown_as_a_window_around_the_column() {
        let line = format!("bad: [{}", "a".repeat(4 << 20));
        let e = ScenarioError::at(
            Path::new("s.yaml"),
            &line,
            1,
            2_000_000,
            "x".repeat(1 << 20),
        );
        let shown = e.to_string();
        assert!(shown.len() < 2000, "{} bytes", shown.len());
        assert_eq!(e.column, Some(2_000_000), "the real column is kept");
        let lines: Vec<&str> = shown.lines().collect();
        // the caret sits under the character the column names
        let src = lines[2].split_once(" | ").unwrap().1;
        let caret = lines[3].split_once(" | ").unwrap().1;
        assert_eq!(caret.chars().count(), e.caret.unwrap());
        assert_eq!(src.chars().nth(e.caret.unwrap() - 1), Some('a'));
        assert!(src.starts_with('…') && src.ends_with('…'));
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let e = ScenarioError::at(Path::new("s.yaml"), "a: 1\nb: [\n", 2, 4, "expected");
        assert_eq!(e.source_line.as_deref(), Some("b: ["));
        assert_eq!(e.caret, Some(4));
        // at the very start of a long line
        let long = "x".repeat(1000);
        let (text, caret) = excerpt(&long, 1);
        assert_eq!(caret, 1);
        assert!(text.ends_with('…') && !text.starts_with('…'));
    }

    #[test]
    fn passwords_in_the_echoed_line_are_masked_and_the_caret_follows_the_text() {
        let line = r#"  database: { dsn: "postgresql://app:TOPSECRET@127.0.0.1:x/shop" }"#;
        let col = line.find("127.0.0.1").unwrap() + 1;
        let e = ScenarioError::at(Path::new("p.yaml"), line, 1, col, "bad port");
        let shown = e.to_string();
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("postgresql://app:***@127.0.0.1"), "{shown}");
        let src = e.source_line.as_deref().unwrap();
        assert_eq!(src.chars().nth(e.caret.unwrap() - 1), Some('1'));
        // a column inside the password points at its mask
        let inside = line.find("SECRET").unwrap() + 1;
        let e = ScenarioError::at(Path::new("p.yaml"), line, 1, inside, "x");
        let src = e.source_line.as_deref().unwrap();
        assert_eq!(&src[e.caret.unwrap() - 1..][..3], "***");
        // a password shorter than the mask moves what follows to the right
        let e = ScenarioError::at(Path::new("p.yaml"), "u: http://a:b@h z", 1, 17, "x");
        let src = e.source_line.as_deref().unwrap();
        assert_eq!(src.chars().nth(e.caret.unwrap() - 1), Some('z'));
    }

    #[test]
    fn passwords_in_messages_are_masked_too() {
        let url = "http://u:s3cret@h:70000/";
        let text = format!("url: {url}\n");
        let e = ScenarioError::at(
            Path::new("s.yaml"),
            &text,
            1,
            6,
            format!("invalid URL `{url}`: bad port"),
        );
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.message.contains("http://u:***@h:70000/"), "{}", e.message);
        let e = ScenarioError::whole(Path::new("s.yaml"), "dsn host=h password=x is wrong");
        assert_eq!(e.message, "dsn host=h password=*** is wrong");
    }
}
