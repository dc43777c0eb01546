//! What the command line gives an audit, read and checked here: sizes (`512MiB`, `16GB`), the
//! server's machine when it is not this one, the statements of SQL files, and the report
//! format.

use crate::model::{DatabaseReport, Machine, SeenSource, SeenStatement, Storage};
use std::io::{self, Write};
use std::path::PathBuf;

/// Sizes like `512MiB`, `16GB`, `1024` (bytes); units are binary.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("expected a size such as 512MiB or 16GB, got `{s}`"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => {
            return Err(format!(
                "unknown size unit `{u}`: expected kB, MB, GB or TB (binary)"
            ))
        }
    };
    Ok((n * mult as f64) as u64)
}

impl Machine {
    /// The server's machine as given by `--memory` and `--cpus` (both or neither) and
    /// `--storage`; `None` when neither is given (the audit then looks at this machine).
    pub fn given(
        memory_bytes: Option<u64>,
        cpus: Option<u32>,
        storage: Storage,
    ) -> Result<Option<Machine>, String> {
        match (memory_bytes, cpus) {
            (Some(memory_bytes), Some(cpus)) => Ok(Some(Machine {
                memory_bytes,
                cpus,
                storage,
                source: "given".into(),
            })),
            (None, None) => Ok(None),
            _ => Err(
                "--memory and --cpus go together: give both to describe the server's machine"
                    .into(),
            ),
        }
    }
}

/// A SQL file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}", path.display())]
pub struct StatementsError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// The largest statements file read.
const MAX_STATEMENTS_BYTES: u64 = 16 << 20;

/// The statements of SQL `files` (separated by `;`), each with its `file:line` as origin.
pub fn read_statements(files: &[PathBuf]) -> Result<Vec<SeenStatement>, StatementsError> {
    let mut out = Vec::new();
    for f in files {
        let text = perfhive_scenario::read_text_unnamed(f, MAX_STATEMENTS_BYTES, "statements file")
            .map_err(|m| StatementsError {
                path: f.clone(),
                source: io::Error::other(m),
            })?;
        for s in perfhive_core::sql::split_statements(&text) {
            out.push(SeenStatement {
                text: s.text,
                source: SeenSource::User {
                    origin: format!("{}:{}", f.display(), s.line),
                },
            });
        }
    }
    Ok(out)
}

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Findings and tables for a terminal.
    Terminal,
    /// The report (schema/database-report.schema.json).
    Json,
    /// Markdown.
    Markdown,
}

/// The report in `format` (colours on a terminal with `color`).
pub fn render(report: &DatabaseReport, format: Format, color: bool) -> io::Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    let w: &mut dyn Write = &mut buf;
    match format {
        Format::Terminal => crate::render::terminal(report, w, color)?,
        Format::Json => crate::render::json(report, w)?,
        Format::Markdown => crate::render::markdown(report, w)?,
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_files_are_read_with_a_size_limit() {
        let e = read_statements(&[PathBuf::from("/dev/zero")]).unwrap_err();
        assert!(
            std::error::Error::source(&e)
                .unwrap()
                .to_string()
                .contains("is a character device, not a file"),
            "{e:?}"
        );
        let dir = std::env::temp_dir().join(format!("perfhive-statements-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.sql");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_STATEMENTS_BYTES + 1)
            .unwrap();
        let e = read_statements(&[big]).unwrap_err();
        assert!(
            format!("{:?}", e.source).contains("larger than the 16 MiB limit"),
            "{e:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("16GB"), Ok(16 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn a_given_machine_needs_memory_and_cpus() {
        let m = Machine::given(Some(16 << 30), Some(8), Storage::Nvme)
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.memory_bytes, m.cpus, m.source.as_str()),
            (16 << 30, 8, "given")
        );
        assert_eq!(Machine::given(None, None, Storage::Ssd), Ok(None));
        assert!(Machine::given(Some(1 << 30), None, Storage::Ssd)
            .unwrap_err()
            .starts_with("--memory and --cpus go together"));
    }

    #[test]
    fn statements_of_files_carry_their_origin() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("q.sql");
        std::fs::write(&f, "SELECT 1;\n\nSELECT * FROM t WHERE id = 2;\n").unwrap();
        let seen = read_statements(std::slice::from_ref(&f)).unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            seen[1].source,
            SeenSource::User {
                origin: format!("{}:3", f.display())
            }
        );
        let missing = dir.path().join("none.sql");
        let e = read_statements(std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(e.to_string(), format!("cannot read {}", missing.display()));
        assert!(std::error::Error::source(&e).is_some());
    }
}
