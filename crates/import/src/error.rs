//! Import errors: the file could not be read, its format was not recognised, or it did not
//! hold what its format promises. Each renders as `path[:line]: what was expected`, the way
//! compilers and linters point at a place in a file.

use crate::Format;
use std::fmt;
use std::path::PathBuf;

/// Why a result file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file (or a sibling file the format needs, such as criterion's `benchmark.json`)
    /// could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The path is a device, a socket or another file that cannot be read whole.
    #[error("{}: {kind}, not a result file: give a regular file (or a criterion directory)", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is (`a character device`).
        kind: &'static str,
    },
    /// The file is larger than [`crate::MAX_FILE_BYTES`].
    #[error("{}: larger than the {} MiB limit of a result file ({size} bytes or more)", path.display(), limit >> 20)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or how much was read before the limit.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The content matched none of the formats in [`Format::all`].
    #[error(
        "{}: not a result file perfhive can import (expected one of: {})",
        path.display(),
        KnownFormats
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file is of `format` but does not hold what that format promises.
    #[error("{}{}: {}: {message}", path.display(), LineSuffix(*line), format.description())]
    Parse {
        /// The format the file was read as.
        format: Format,
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        message: String,
        /// The 1-based line the problem was found on, when known.
        line: Option<usize>,
    },
}

impl ImportError {
    /// A [`ImportError::Parse`] without a line.
    pub(crate) fn parse(
        format: Format,
        path: &std::path::Path,
        message: impl Into<String>,
    ) -> Self {
        Self::Parse {
            format,
            path: path.to_path_buf(),
            message: message.into(),
            line: None,
        }
    }

    /// A [`ImportError::Parse`] at a 1-based line.
    pub(crate) fn parse_at(
        format: Format,
        path: &std::path::Path,
        line: usize,
        message: impl Into<String>,
    ) -> Self {
        Self::Parse {
            format,
            path: path.to_path_buf(),
            message: message.into(),
            line: Some(line),
        }
    }

    /// A [`ImportError::Parse`] from serde_json, keeping its line.
    pub(crate) fn json(format: Format, path: &std::path::Path, err: &serde_json::Error) -> Self {
        // serde_json appends " at line L column C"; the line goes into `line`, the column stays
        // useful in the message.
        let text = err.to_string();
        let message = match text.rfind(" at line ") {
            Some(at) => {
                let column = text[at..].rfind(" column ").map(|c| &text[at + c + 1..]);
                match column {
                    Some(column) => format!("{} ({column})", &text[..at]),
                    None => text[..at].to_string(),
                }
            }
            None => text,
        };
        let line = (err.line() > 0).then_some(err.line());
        Self::Parse {
            format,
            path: path.to_path_buf(),
            message: format!("JSON: {message}"),
            line,
        }
    }
}

/// `:line` when known.
struct LineSuffix(Option<usize>);

impl fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, ":{line}"),
            None => Ok(()),
        }
    }
}

/// The list of format descriptions, for [`ImportError::UnknownFormat`].
struct KnownFormats;

impl fmt::Display for KnownFormats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, format) in Format::all().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(format.description())?;
        }
        Ok(())
    }
}
