//! criterion.rs's saved measurements: `target/criterion/<benchmark>/new/estimates.json` and
//! its siblings, as criterion writes them (criterion `src/estimate.rs` `Estimates`,
//! `src/report.rs` `BenchmarkId`, `src/fs.rs`, `src/analysis/mod.rs`; the criterion book,
//! "Frequently Asked Questions" and "Analysis Process"):
//!
//! * `estimates.json`: `{"mean"|"median"|"median_abs_dev"|"slope"|"std_dev":
//!   {"confidence_interval": {"confidence_level", "lower_bound", "upper_bound"},
//!   "point_estimate", "standard_error"}}`, nanoseconds per iteration; `slope` is null in
//!   flat sampling mode.
//! * `benchmark.json`: `{"group_id", "function_id", "value_str", "throughput", "full_id",
//!   "directory_name", "title"}`; `throughput` is null or `{"Bytes"|"BytesDecimal"|"Elements"|…:
//!   n}` per iteration.
//! * `sample.json`: `{"sampling_mode", "iters": [...], "times": [...]}`, total nanoseconds of
//!   each sample and its iteration count.
//!
//! A benchmark becomes `wall_time` in `ns` (criterion's default wall-clock measurement) named by
//! `full_id`, or without `benchmark.json` by the directories between `criterion/` and the
//! baseline directory (`new`, `base` or a `--save-baseline` name). Samples are
//! `times[i] / iters[i]`; min and max come from them. Extras: `mean_lower_bound`,
//! `mean_upper_bound`, `mean_standard_error`, `median_lower_bound`, `median_upper_bound`,
//! `median_abs_dev`, `std_dev_lower_bound`, `std_dev_upper_bound`, `slope`, `slope_lower_bound`,
//! `slope_upper_bound` (criterion's headline `time:` is the slope when there is one),
//! `confidence_level`, `iterations` (the sum of `iters`) and `throughput_<kind>`. With a
//! throughput, a second benchmark gives it per second (`elements_per_s` in `elem/s`,
//! `bytes_per_s` in `B/s`, …; higher is better), from the same samples.
//!
//! `change/estimates.json` holds relative changes against a baseline, not times, and is refused.

use crate::{imported, read, Benchmark, Format, ImportError, Imported};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

const FORMAT: Format = Format::Criterion;

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
    median: Estimate,
    #[serde(default)]
    median_abs_dev: Option<Estimate>,
    #[serde(default)]
    slope: Option<Estimate>,
    #[serde(default)]
    std_dev: Option<Estimate>,
}

#[derive(Deserialize)]
struct Estimate {
    confidence_interval: ConfidenceInterval,
    point_estimate: f64,
    standard_error: f64,
}

#[derive(Deserialize)]
struct ConfidenceInterval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    full_id: String,
    #[serde(default)]
    throughput: Option<Value>,
}

#[derive(Deserialize)]
struct SampleJson {
    #[serde(default)]
    sampling_mode: Option<String>,
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// Reads `estimates.json` content found at `path`, with the sibling files when present.
pub(crate) fn parse(path: &Path, content: &str) -> Result<Imported, ImportError> {
    let dir = path.parent().unwrap_or(Path::new(""));
    if dir.file_name().is_some_and(|n| n == "change") {
        return Err(ImportError::parse(
            FORMAT,
            path,
            "this is criterion's change/estimates.json (relative change against the baseline, \
             not times); import new/estimates.json instead",
        ));
    }
    let estimates: Estimates =
        serde_json::from_str(content).map_err(|e| ImportError::json(FORMAT, path, &e))?;
    let mut out = imported(FORMAT, path);

    let bench_json = sibling(dir, "benchmark.json")
        .map(|p| -> Result<BenchmarkJson, ImportError> {
            serde_json::from_str(&read(&p)?).map_err(|e| ImportError::json(FORMAT, &p, &e))
        })
        .transpose()?;
    let sample = sibling(dir, "sample.json")
        .map(|p| -> Result<(SampleJson, PathBuf), ImportError> {
            let s =
                serde_json::from_str(&read(&p)?).map_err(|e| ImportError::json(FORMAT, &p, &e))?;
            Ok((s, p))
        })
        .transpose()?;

    let name = match &bench_json {
        Some(b) => b.full_id.clone(),
        None => name_from_path(path),
    };
    let mut b = Benchmark::new(name, "wall_time", "ns", true);
    b.mean = Some(estimates.mean.point_estimate);
    b.median = Some(estimates.median.point_estimate);
    b.stddev = estimates.std_dev.as_ref().map(|e| e.point_estimate);
    let bounds = |b: &mut Benchmark, name: &str, e: &Estimate| {
        b.extra.insert(
            format!("{name}_lower_bound"),
            e.confidence_interval.lower_bound,
        );
        b.extra.insert(
            format!("{name}_upper_bound"),
            e.confidence_interval.upper_bound,
        );
    };
    bounds(&mut b, "mean", &estimates.mean);
    bounds(&mut b, "median", &estimates.median);
    b.extra
        .insert("mean_standard_error".into(), estimates.mean.standard_error);
    b.extra.insert(
        "confidence_level".into(),
        estimates.mean.confidence_interval.confidence_level,
    );
    if let Some(mad) = &estimates.median_abs_dev {
        b.extra.insert("median_abs_dev".into(), mad.point_estimate);
    }
    if let Some(sd) = &estimates.std_dev {
        bounds(&mut b, "std_dev", sd);
    }
    if let Some(slope) = &estimates.slope {
        b.extra.insert("slope".into(), slope.point_estimate);
        bounds(&mut b, "slope", slope);
    }
    if let Some((sample, sample_path)) = sample {
        if sample.iters.len() != sample.times.len() {
            return Err(ImportError::parse(
                FORMAT,
                &sample_path,
                format!(
                    "expected as many `times` as `iters`, found {} and {}",
                    sample.times.len(),
                    sample.iters.len()
                ),
            ));
        }
        if sample.iters.iter().any(|&n| n <= 0.0) {
            return Err(ImportError::parse(
                FORMAT,
                &sample_path,
                "expected positive `iters`",
            ));
        }
        b.samples = sample
            .times
            .iter()
            .zip(&sample.iters)
            .map(|(t, n)| t / n)
            .collect();
        b.min = b.samples.iter().copied().reduce(f64::min);
        b.max = b.samples.iter().copied().reduce(f64::max);
        b.extra
            .insert("iterations".into(), sample.iters.iter().sum());
        if let Some(mode) = sample.sampling_mode {
            out.context.insert("sampling_mode".into(), mode);
        }
    }
    let throughput = bench_json.and_then(|j| j.throughput).and_then(|t| match t {
        Value::Object(o) => o
            .into_iter()
            .next()
            .and_then(|(k, v)| Some((k, v.as_f64()?))),
        _ => None,
    });
    let per_second = throughput.map(|(kind, per_iter)| {
        let (word, unit) = match kind.as_str() {
            "Bytes" | "BytesDecimal" => ("bytes", "B/s"),
            "Elements" => ("elements", "elem/s"),
            "Bits" => ("bits", "bit/s"),
            _ => ("units", "/s"),
        };
        b.extra.insert(format!("throughput_{word}"), per_iter);
        let rate = |ns: f64| per_iter * 1e9 / ns;
        let mut t = Benchmark::new(b.name.clone(), format!("{word}_per_s"), unit, false);
        t.samples = b.samples.iter().map(|&ns| rate(ns)).collect();
        t.mean = b.mean.map(rate);
        t.median = b.median.map(rate);
        t.min = b.max.map(rate);
        t.max = b.min.map(rate);
        t.fill_from_samples();
        t
    });
    out.benchmarks.push(b);
    out.benchmarks.extend(per_second);
    Ok(out)
}

/// `dir/name` if it is a file.
fn sibling(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = dir.join(name);
    p.is_file().then_some(p)
}

/// The benchmark id from where the file is: the directories between `criterion/` and the
/// baseline directory, else the benchmark directory's name.
fn name_from_path(path: &Path) -> String {
    let dir = path.parent().unwrap_or(Path::new(""));
    let parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(at) = parts.iter().rposition(|c| c == "criterion") {
        if parts.len() > at + 2 {
            return parts[at + 1..parts.len() - 1].join("/");
        }
    }
    let baseline = dir.file_name().is_some_and(|n| n == "new" || n == "base");
    let bench_dir = if baseline { dir.parent() } else { Some(dir) };
    bench_dir
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// For criterion's `benchmark.json`, `sample.json` or `tukey.json`, the `estimates.json` beside
/// it, if there is one.
pub(crate) fn estimates_beside(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    if !matches!(name, "benchmark.json" | "sample.json" | "tukey.json") {
        return None;
    }
    sibling(path.parent()?, "estimates.json")
}

/// Imports every `*/new/estimates.json` under `dir` (or `dir/new/estimates.json` when `dir` is
/// one benchmark's directory) into one [`Imported`], benchmarks sorted by name.
pub(crate) fn import_dir(dir: &Path) -> Result<Imported, ImportError> {
    let own = dir.join("new").join("estimates.json");
    if own.is_file() {
        return parse(&own, &read(&own)?);
    }
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let entries = std::fs::read_dir(&at).map_err(|source| ImportError::Io {
            path: at.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| ImportError::Io {
                path: at.clone(),
                source,
            })?;
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let path = entry.path();
            if !is_dir || entry.file_name() == "report" {
                continue;
            }
            if entry.file_name() == "new" {
                let estimates = path.join("estimates.json");
                if estimates.is_file() {
                    found.push(estimates);
                }
            } else {
                stack.push(path);
            }
        }
    }
    if found.is_empty() {
        return Err(ImportError::parse(
            FORMAT,
            dir,
            "expected criterion's `<benchmark>/new/estimates.json` files under this directory, found none",
        ));
    }
    let mut out = imported(FORMAT, dir);
    for path in found {
        let one = parse(&path, &read(&path)?)?;
        out.context.extend(one.context);
        out.benchmarks.extend(one.benchmarks);
    }
    out.benchmarks
        .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.metric.cmp(&b.metric)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_paths() {
        let p = Path::new("/x/target/criterion/sum/range/10/new/estimates.json");
        assert_eq!(name_from_path(p), "sum/range/10");
        assert_eq!(
            name_from_path(Path::new("/tmp/fib/new/estimates.json")),
            "fib"
        );
        assert_eq!(name_from_path(Path::new("/tmp/fib/estimates.json")), "fib");
        assert_eq!(
            name_from_path(Path::new("estimates.json")),
            "estimates.json"
        );
    }
}
