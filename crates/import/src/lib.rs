//! perfhive-import: other benchmarking tools' result files, read into one neutral model
//! ([`Imported`] → [`Benchmark`]s) that perfhive's history stores next to its own runs.
//!
//! | [`Format`] | file | importer |
//! | --- | --- | --- |
//! | [`Format::Hyperfine`] | `hyperfine --export-json FILE` | `hyperfine.rs` |
//! | [`Format::K6Summary`] | `k6 run --summary-export FILE`, or `JSON.stringify(data)` from `handleSummary()` | `k6.rs` |
//! | [`Format::GoBench`] | the text of `go test -bench … [-benchmem] [-count N]` | `gobench.rs` |
//! | [`Format::Criterion`] | `target/criterion/<id>/new/estimates.json` (+ `benchmark.json`, `sample.json`) | `criterion.rs` |
//! | [`Format::PytestBenchmark`] | `pytest --benchmark-json FILE` or a `--benchmark-save` file | `pytest.rs` |
//!
//! Each importer's module doc cites the tool's documentation or source for the format it reads.
//! [`detect`] sniffs the format from the content (and, for criterion, the file name);
//! [`parse`] reads content of a known format; [`import_file`] does both from a path.
//!
//! The crate reads files and never prints. The only files read besides the one named are
//! criterion's siblings (`benchmark.json`, `sample.json` next to `estimates.json`) and, when
//! [`import_file`] is given a directory, the `*/new/estimates.json` files under it.

mod criterion;
mod error;
mod gobench;
mod hyperfine;
mod k6;
mod model;
mod pytest;

pub use error::ImportError;
pub use model::{Benchmark, Imported};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Which tool produced a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `hyperfine --export-json`.
    Hyperfine,
    /// k6's end-of-test summary: `--summary-export` or the `handleSummary()` data object.
    K6Summary,
    /// The text output of `go test -bench`.
    GoBench,
    /// criterion.rs's `estimates.json` (with its sibling `benchmark.json` and `sample.json`).
    Criterion,
    /// `pytest --benchmark-json` (pytest-benchmark).
    PytestBenchmark,
}

impl Format {
    /// The short name used on the command line and in stored records: `hyperfine`,
    /// `k6-summary`, `go-bench`, `criterion`, `pytest-benchmark`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Hyperfine => "hyperfine",
            Format::K6Summary => "k6-summary",
            Format::GoBench => "go-bench",
            Format::Criterion => "criterion",
            Format::PytestBenchmark => "pytest-benchmark",
        }
    }

    /// Every format, in the order [`detect`] documents them.
    pub fn all() -> &'static [Format] {
        &[
            Format::Hyperfine,
            Format::K6Summary,
            Format::GoBench,
            Format::Criterion,
            Format::PytestBenchmark,
        ]
    }

    /// What produces such a file, for messages: `hyperfine --export-json`, ….
    pub fn description(&self) -> &'static str {
        match self {
            Format::Hyperfine => "hyperfine --export-json",
            Format::K6Summary => "k6 summary JSON",
            Format::GoBench => "go test -bench output",
            Format::Criterion => "criterion estimates.json",
            Format::PytestBenchmark => "pytest-benchmark JSON",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Format::name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown import format `{0}` (expected one of: hyperfine, k6-summary, go-bench, criterion, pytest-benchmark)")]
pub struct UnknownFormatName(pub String);

impl FromStr for Format {
    type Err = UnknownFormatName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::all()
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormatName(s.to_string()))
    }
}

/// Largest result file read: 64 MiB (criterion's `sample.json` of a long benchmark is a few
/// megabytes; a file much larger than this is not a benchmark result).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Sniffs the format of `content`, read from `path`.
///
/// JSON is recognised by its shape: an object with `results[].command` is hyperfine's; with
/// `benchmarks[]` and `machine_info` (or `benchmarks[].stats`) pytest-benchmark's; with a
/// `metrics` object and `root_group`, `state` or `options` (or metric objects) k6's; with
/// `mean.point_estimate`, or a file named `estimates.json`, criterion's. Text with a
/// `go test -bench` result line (`BenchmarkX-8  1000  12.5 ns/op`), or with its `goos:` and
/// `pkg:` header, is Go's. JSON that does not parse is guessed from the keys it mentions, so that
/// [`parse`] can then point at the syntax error.
pub fn detect(path: &Path, content: &str) -> Option<Format> {
    let text = content.trim_start_matches('\u{feff}').trim_start();
    let is_estimates = path.file_name().is_some_and(|n| n == "estimates.json");
    if !text.starts_with('{') {
        return gobench::looks_like(content).then_some(Format::GoBench);
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return if is_estimates {
            Some(Format::Criterion)
        } else {
            sniff_keys(text)
        };
    };
    let obj = value.as_object()?;
    if let Some(results) = obj.get("results").and_then(Value::as_array) {
        if results.iter().all(|r| r.get("command").is_some()) {
            return Some(Format::Hyperfine);
        }
    }
    if let Some(benchmarks) = obj.get("benchmarks").and_then(Value::as_array) {
        if obj.contains_key("machine_info") || benchmarks.iter().any(|b| b.get("stats").is_some()) {
            return Some(Format::PytestBenchmark);
        }
    }
    if let Some(metrics) = obj.get("metrics").and_then(Value::as_object) {
        let k6_keys = ["root_group", "state", "options"]
            .iter()
            .any(|k| obj.contains_key(*k));
        if k6_keys || (!metrics.is_empty() && metrics.values().all(Value::is_object)) {
            return Some(Format::K6Summary);
        }
    }
    if is_estimates
        || obj
            .get("mean")
            .and_then(|m| m.get("point_estimate"))
            .is_some()
    {
        return Some(Format::Criterion);
    }
    None
}

/// A guess from the keys of JSON that does not parse.
fn sniff_keys(text: &str) -> Option<Format> {
    let has = |key: &str| text.contains(&format!("\"{key}\""));
    if has("results") && has("command") {
        Some(Format::Hyperfine)
    } else if has("benchmarks") && (has("machine_info") || has("stats")) {
        Some(Format::PytestBenchmark)
    } else if has("metrics") && (has("root_group") || has("http_req_duration")) {
        Some(Format::K6Summary)
    } else if has("point_estimate") {
        Some(Format::Criterion)
    } else {
        None
    }
}

/// Reads `content` as `format`. `path` names the file in errors and in [`Imported::source`];
/// for [`Format::Criterion`] it also locates the sibling `benchmark.json` and `sample.json`,
/// which are read when present.
///
/// Every number kept must be finite, and a time (unit `s`, `ms`, `us`, `ns`) or a standard
/// deviation must not be negative: such a file is refused rather than stored, since a
/// negative time would turn every comparison with it into nonsense (`NaN%`).
pub fn parse(format: Format, path: &Path, content: &str) -> Result<Imported, ImportError> {
    let content = content.trim_start_matches('\u{feff}');
    let imported = match format {
        Format::Hyperfine => hyperfine::parse(path, content),
        Format::K6Summary => k6::parse(path, content),
        Format::GoBench => gobench::parse(path, content),
        Format::Criterion => criterion::parse(path, content),
        Format::PytestBenchmark => pytest::parse(path, content),
    }?;
    check_numbers(&imported, path)?;
    Ok(imported)
}

/// Whether `unit` measures time.
fn is_time(unit: &str) -> bool {
    matches!(unit, "s" | "ms" | "us" | "µs" | "ns")
}

/// Refuses non-finite numbers, negative times and negative standard deviations.
fn check_numbers(imported: &Imported, path: &Path) -> Result<(), ImportError> {
    for b in &imported.benchmarks {
        let bad = |message: String| {
            ImportError::parse(
                imported.format,
                path,
                format!("benchmark `{}` ({}): {message}", b.name, b.metric),
            )
        };
        let stats = [
            ("mean", b.mean),
            ("median", b.median),
            ("min", b.min),
            ("max", b.max),
            ("stddev", b.stddev),
        ];
        let named = stats
            .iter()
            .filter_map(|(k, v)| Some((*k, (*v)?)))
            .chain(b.extra.iter().map(|(k, v)| (k.as_str(), *v)))
            .chain(b.samples.iter().map(|v| ("a sample", *v)));
        for (what, v) in named {
            if !v.is_finite() {
                return Err(bad(format!("{what} is {v}, expected a finite number")));
            }
            let time =
                is_time(&b.unit) && (what == "a sample" || stats.iter().any(|s| s.0 == what));
            if v < 0.0 && (time || what == "stddev") {
                return Err(bad(format!(
                    "{what} is {v} {}, expected a value of zero or more",
                    b.unit
                )));
            }
        }
    }
    Ok(())
}

/// Reads the file at `path` and imports it as `format`, or as what [`detect`] finds.
///
/// Criterion conveniences: a directory is searched for `*/new/estimates.json` files, all
/// imported into one [`Imported`] (a benchmark's own directory works too); criterion's
/// `benchmark.json`, `sample.json` or `tukey.json` stand for the `estimates.json` beside them.
pub fn import_file(path: &Path, format: Option<Format>) -> Result<Imported, ImportError> {
    let criterion_ok = matches!(format, None | Some(Format::Criterion));
    if criterion_ok && path.is_dir() {
        let imported = criterion::import_dir(path)?;
        check_numbers(&imported, path)?;
        return Ok(imported);
    }
    let redirected = if criterion_ok {
        criterion::estimates_beside(path)
    } else {
        None
    };
    let path = redirected.as_deref().unwrap_or(path);
    let content = read(path)?;
    let format = match format {
        Some(format) => format,
        None => detect(path, &content).ok_or_else(|| ImportError::UnknownFormat {
            path: path.to_path_buf(),
        })?,
    };
    parse(format, path, &content)
}

/// Reads a result file whole: a regular file or a pipe of at most [`MAX_FILE_BYTES`], never
/// more than the limit plus one byte in memory; devices (`/dev/zero`), sockets and directories
/// are refused by name.
pub(crate) fn read(path: &Path) -> Result<String, ImportError> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let t = meta.file_type();
    let kind = if t.is_dir() {
        Some("a directory")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    };
    if let Some(kind) = kind {
        return Err(ImportError::NotAFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    let too_large = |size| ImportError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_FILE_BYTES,
    };
    if meta.is_file() && meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// An [`Imported`] with nothing in it yet.
pub(crate) fn imported(format: Format, path: &Path) -> Imported {
    Imported {
        format,
        source: path.display().to_string(),
        date: None,
        context: Default::default(),
        benchmarks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_and_non_finite_numbers_are_refused() {
        let p = Path::new("h.json");
        let negative = r#"{"results":[{"command":"x","mean":-0.5,"stddev":0.1,"median":0.5,
            "user":0.1,"system":0.0,"min":0.1,"max":0.9,"times":[0.5]}]}"#;
        let e = parse(Format::Hyperfine, p, negative)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("mean is -0.5 s, expected a value of zero or more"),
            "{e}"
        );
        let sample = negative
            .replace("-0.5", "0.5")
            .replace("[0.5]", "[0.5, -1]");
        let e = parse(Format::Hyperfine, p, &sample)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a sample is -1 s"), "{e}");
        let e = parse(
            Format::GoBench,
            Path::new("go.txt"),
            "BenchmarkX-8  10  -5 ns/op\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("is -5 ns, expected a value of zero or more"),
            "{e}"
        );
        let nan = r#"{"benchmarks":[{"name":"t","stats":{"min":0.1,"max":0.2,"mean":0.1,
            "stddev":-1.0,"median":0.1,"rounds":1,"iterations":1,"data":[0.1]}}]}"#;
        let e = parse(Format::PytestBenchmark, Path::new("p.json"), nan)
            .unwrap_err()
            .to_string();
        assert!(e.contains("stddev is -1"), "{e}");
        // a custom metric may be negative
        let ok = parse(
            Format::GoBench,
            Path::new("go.txt"),
            "BenchmarkX-8  10  5 ns/op  -3 delta\n",
        )
        .unwrap();
        assert!(ok.benchmarks.iter().any(|b| b.mean == Some(-3.0)));
    }

    #[test]
    fn special_files_are_refused_not_read_forever() {
        let e = import_file(Path::new("/dev/zero"), None).unwrap_err();
        assert!(matches!(e, ImportError::NotAFile { .. }), "{e}");
        assert!(e.to_string().contains("a character device"), "{e}");
        let e = import_file(Path::new("/dev/zero"), Some(Format::GoBench)).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
    }

    #[test]
    fn names_round_trip() {
        for format in Format::all() {
            assert_eq!(format.name().parse::<Format>().unwrap(), *format);
            let json = serde_json::to_string(format).unwrap();
            assert_eq!(json, format!("\"{}\"", format.name()));
        }
        assert!("jmh".parse::<Format>().is_err());
    }
}
