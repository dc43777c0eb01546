//! The text output of `go test -bench` (`-benchmem`, `-count N`, `-cpu`, `-v`), as specified
//! by the Go benchmark data format (Go proposal 14313, "Benchmark data format", the format
//! `golang.org/x/perf/benchfmt` reads) and printed by the `testing` package
//! (`testing.BenchmarkResult.String`, `MemString`, `benchmarkName`):
//!
//! * A **configuration line** `key: value` — the key starts with a lower-case letter and has no
//!   space or upper-case letter — such as `goos: linux`, `goarch: amd64`, `pkg: example.com/x`,
//!   `cpu: …`. It goes into the context; a key seen with several values keeps them all,
//!   comma-separated.
//! * A **result line** `BenchmarkName-8  1000000  1234 ns/op  256 B/op  3 allocs/op`: the name
//!   (`Benchmark` followed by anything but a lower-case letter, so not `Benchmarking`), the
//!   iteration count, then value/unit pairs, separated by runs of white space. The `-8`
//!   suffix is GOMAXPROCS, which `testing` leaves off when it is 1.
//! * Anything else (`PASS`, `ok …`, `--- BENCH:` logs, a bare `BenchmarkName` that `-v` prints
//!   before its result) is skipped.
//!
//! One benchmark per (name, GOMAXPROCS, unit); each repeated line (`-count N`) adds a sample,
//! and mean, median, stddev, min and max are computed from the samples. Units map to metrics:
//! `ns/op` → `ns_per_op` in `ns`, `B/op` → `bytes_per_op` in `B`, `allocs/op` →
//! `allocs_per_op` in `allocs`, `MB/s` → `mb_per_s` in `MB/s`; a custom `x/op` →
//! `x_per_op` in `x`, `x/s` → `x_per_s` in `x/s`. As in benchstat, units per second are
//! higher-is-better and all others lower-is-better. The GOMAXPROCS suffix is stripped from the
//! name into extra `gomaxprocs` (and context `gomaxprocs` when every line agrees), unless the same
//! name ran at several GOMAXPROCS values, where the names keep Go's suffix to stay apart. Extras
//! `runs` (lines) and `iterations` (the sum of b.N). When the file covers several packages,
//! names are qualified by the package: `example.com/x.BenchmarkFoo`.
//!
//! Output of a run whose `-bench` pattern matched nothing (just `PASS` and `ok …`) imports as
//! an empty result; text with no result line, header or trailer is refused.

use crate::{imported, Benchmark, Format, ImportError, Imported};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const FORMAT: Format = Format::GoBench;

/// One result line, parsed.
struct Line<'a> {
    name: &'a str,
    procs: u32,
    iterations: u64,
    pairs: Vec<(f64, &'a str)>,
    pkg: Option<String>,
}

/// Whether `content` contains a `go test -bench` result line or its `goos:`/`pkg:` header.
pub(crate) fn looks_like(content: &str) -> bool {
    let mut goos = false;
    let mut pkg = false;
    for line in content.lines() {
        if is_result_name(line) && matches!(parse_result(line), Ok(Some(_))) {
            return true;
        }
        goos |= line.starts_with("goos: ");
        pkg |= line.starts_with("pkg: ");
    }
    goos && pkg
}

/// Reads `go test -bench` output.
pub(crate) fn parse(path: &Path, content: &str) -> Result<Imported, ImportError> {
    let mut out = imported(FORMAT, path);
    let mut config: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut pkg: Option<String> = None;
    let mut trailer = false;
    for (index, text) in content.lines().enumerate() {
        let text = text.trim_end();
        trailer |= text == "PASS" || text.starts_with("ok  ");
        if is_result_name(text) {
            match parse_result(text) {
                Ok(Some((name, procs, iterations, pairs))) => lines.push(Line {
                    name,
                    procs,
                    iterations,
                    pairs,
                    pkg: pkg.clone(),
                }),
                Ok(None) => {}
                Err(message) => {
                    return Err(ImportError::parse_at(FORMAT, path, index + 1, message))
                }
            }
        } else if let Some((key, value)) = config_line(text) {
            if key == "pkg" {
                pkg = Some(value.to_string());
            }
            let values = config.entry(key.to_string()).or_default();
            if !values.iter().any(|v| v == value) {
                values.push(value.to_string());
            }
        }
    }
    if lines.is_empty() && config.is_empty() && !trailer {
        return Err(ImportError::parse(
            FORMAT,
            path,
            "expected `BenchmarkName  N  value unit …` result lines, a `goos:`/`pkg:` header \
             or go test's `PASS`/`ok` trailer, found none",
        ));
    }
    for (key, values) in &config {
        out.context.insert(key.clone(), values.join(", "));
    }
    let all_procs: BTreeSet<u32> = lines.iter().map(|l| l.procs).collect();
    if all_procs.len() == 1 {
        let procs = all_procs.iter().next().copied().unwrap_or(1);
        out.context.insert("gomaxprocs".into(), procs.to_string());
    }
    let qualify = config.get("pkg").is_some_and(|p| p.len() > 1);
    // Which (package, name) ran at more than one GOMAXPROCS.
    let mut procs_of: BTreeMap<(Option<&str>, &str), BTreeSet<u32>> = BTreeMap::new();
    for l in &lines {
        procs_of
            .entry((l.pkg.as_deref(), l.name))
            .or_default()
            .insert(l.procs);
    }
    // Benchmarks in order of first appearance, keyed by (display name, unit).
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for l in &lines {
        let mut name = l.name.to_string();
        if procs_of[&(l.pkg.as_deref(), l.name)].len() > 1 && l.procs != 1 {
            name = format!("{name}-{}", l.procs);
        }
        if qualify {
            if let Some(pkg) = &l.pkg {
                name = format!("{pkg}.{name}");
            }
        }
        for (value, unit) in &l.pairs {
            let key = (name.clone(), (*unit).to_string());
            let at = *index.entry(key).or_insert_with(|| {
                let (metric, unit, lower) = metric_of(unit);
                let mut b = Benchmark::new(name.clone(), metric, unit, lower);
                b.extra.insert("gomaxprocs".into(), f64::from(l.procs));
                out.benchmarks.push(b);
                out.benchmarks.len() - 1
            });
            let b = &mut out.benchmarks[at];
            b.samples.push(*value);
            *b.extra.entry("runs".into()).or_insert(0.0) += 1.0;
            *b.extra.entry("iterations".into()).or_insert(0.0) += l.iterations as f64;
        }
    }
    for b in &mut out.benchmarks {
        b.fill_from_samples();
    }
    Ok(out)
}

/// Whether a line starts with a benchmark name: `Benchmark` followed by end of name or a
/// character that is not a lower-case letter (so `Benchmarking is fun` is not one).
fn is_result_name(line: &str) -> bool {
    line.strip_prefix("Benchmark")
        .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_lowercase()))
}

type ResultLine<'a> = (&'a str, u32, u64, Vec<(f64, &'a str)>);

/// A result line, or `None` for a bare name (what `-v` prints before running a benchmark).
fn parse_result(line: &str) -> Result<Option<ResultLine<'_>>, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() == 1 {
        return Ok(None);
    }
    let full = fields[0];
    let iterations: u64 = fields[1].parse().map_err(|_| {
        format!(
            "`{full}`: expected an iteration count after the name, found `{}`",
            fields[1]
        )
    })?;
    if fields.len() < 4 || !fields.len().is_multiple_of(2) {
        return Err(format!(
            "`{full}`: expected value/unit pairs after the iteration count (`1234 ns/op`), \
             found {} field(s)",
            fields.len() - 2
        ));
    }
    let mut pairs = Vec::with_capacity((fields.len() - 2) / 2);
    for pair in fields[2..].chunks(2) {
        let value: f64 = pair[0]
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                format!(
                    "`{full}`: expected a number before `{}`, found `{}`",
                    pair[1], pair[0]
                )
            })?;
        pairs.push((value, pair[1]));
    }
    let (name, procs) = split_procs(full);
    Ok(Some((name, procs, iterations, pairs)))
}

/// `BenchmarkFoo/bar-8` → (`BenchmarkFoo/bar`, 8); no suffix means GOMAXPROCS 1.
fn split_procs(full: &str) -> (&str, u32) {
    if let Some((name, suffix)) = full.rsplit_once('-') {
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(procs) = suffix.parse() {
                return (name, procs);
            }
        }
    }
    (full, 1)
}

/// A configuration line's key and value.
fn config_line(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let first = key.chars().next()?;
    let key_ok =
        first.is_lowercase() && !key.chars().any(|c| c.is_whitespace() || c.is_uppercase());
    let value_ok = value.starts_with([' ', '\t']);
    (key_ok && value_ok).then(|| (key, value.trim()))
}

/// (metric, unit, lower_is_better) for a Go unit.
fn metric_of(unit: &str) -> (String, String, bool) {
    match unit {
        "ns/op" => ("ns_per_op".into(), "ns".into(), true),
        "B/op" => ("bytes_per_op".into(), "B".into(), true),
        "allocs/op" => ("allocs_per_op".into(), "allocs".into(), true),
        "MB/s" => ("mb_per_s".into(), "MB/s".into(), false),
        _ => match unit.rsplit_once('/') {
            Some((what, "op")) => (format!("{}_per_op", metric_word(what)), what.into(), true),
            Some((what, "s")) => (format!("{}_per_s", metric_word(what)), unit.into(), false),
            _ => (metric_word(unit), unit.into(), true),
        },
    }
}

/// A unit as a metric name: lower case, non-alphanumerics as `_`.
fn metric_word(unit: &str) -> String {
    unit.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_procs() {
        assert_eq!(split_procs("BenchmarkSub/n=10-2"), ("BenchmarkSub/n=10", 2));
        assert_eq!(split_procs("BenchmarkSprintf"), ("BenchmarkSprintf", 1));
        assert_eq!(split_procs("BenchmarkA/x-"), ("BenchmarkA/x-", 1));
        assert!(is_result_name("BenchmarkFoo-8 1 2 ns/op"));
        assert!(is_result_name("Benchmark"));
        assert!(!is_result_name("Benchmarking is fun"));
    }

    #[test]
    fn units() {
        assert_eq!(
            metric_of("widgets/op"),
            ("widgets_per_op".into(), "widgets".into(), true)
        );
        assert_eq!(
            metric_of("req/s"),
            ("req_per_s".into(), "req/s".into(), false)
        );
        assert_eq!(metric_of("ns/op").0, "ns_per_op");
    }

    #[test]
    fn config_lines() {
        assert_eq!(config_line("goos: linux"), Some(("goos", "linux")));
        assert_eq!(
            config_line("cpu: Intel(R) Xeon(R)"),
            Some(("cpu", "Intel(R) Xeon(R)"))
        );
        assert_eq!(config_line("Goos: linux"), None);
        assert_eq!(config_line("ok  \texample.com/x\t0.1s"), None);
        assert_eq!(config_line("--- FAIL: BenchmarkX"), None);
    }
}
