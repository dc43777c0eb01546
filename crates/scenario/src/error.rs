//! Input errors that point at the source: `file:line:column: message`, then the line with a
//! caret under the offending column (rustc's and miette's style).

use std::fmt;
use std::path::PathBuf;

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
    /// The source line, for the caret display.
    pub source_line: Option<String>,
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
        ScenarioError {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
            source_line: source
                .lines()
                .nth(line.saturating_sub(1))
                .map(str::to_string),
        }
    }

    /// An error about the file as a whole.
    pub fn whole(file: &std::path::Path, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(line), Some(col), Some(src)) = (self.line, self.column, &self.source_line) {
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
