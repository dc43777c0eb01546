//! pytest-benchmark's JSON: `pytest --benchmark-json FILE`, or a file that
//! `--benchmark-save`/`--benchmark-autosave` wrote under `.benchmarks/`.
//!
//! The shape is pytest-benchmark's `pytest_benchmark_generate_json` hook (`plugin.py`) with
//! each benchmark's `Metadata.as_dict` (`stats.py`): `{"machine_info": {node, machine, system,
//! release, python_implementation, python_version, cpu: {brand_raw, count, …}, …},
//! "commit_info": {id, branch, dirty, project, time, …}, "benchmarks": [{"name", "fullname",
//! "group", "params", "stats": {min, max, mean, stddev, median, iqr, q1, q3, ops, rounds,
//! iterations, total, iqr_outliers, stddev_outliers, data?}}], "datetime", "version"}`.
//! Statistics are seconds per iteration; `data` holds one value per round, also per iteration.
//! `--benchmark-json` always includes `data`; saved files include it with
//! `--benchmark-save-data` (pytest-benchmark's `session.py`).
//!
//! Each benchmark becomes a `wall_time` benchmark in `s` named by `fullname`
//! (`test_file.py::test_name[param]`), with `data` as samples and extras `ops`, `rounds`,
//! `iterations`, `iqr`, `q1`, `q3`, `total`, `iqr_outliers`, `stddev_outliers`.
//! `datetime` is the date (old versions wrote naive UTC, which gets a `Z`).

use crate::{imported, Benchmark, Format, ImportError, Imported};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const FORMAT: Format = Format::PytestBenchmark;

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    machine_info: Option<Value>,
    #[serde(default)]
    commit_info: Option<Value>,
    benchmarks: Vec<Bench>,
    #[serde(default)]
    datetime: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Bench {
    name: String,
    #[serde(default)]
    fullname: Option<String>,
    #[serde(default)]
    stats: Option<Stats>,
}

#[derive(Deserialize)]
struct Stats {
    min: Option<f64>,
    max: Option<f64>,
    mean: Option<f64>,
    stddev: Option<f64>,
    median: Option<f64>,
    #[serde(default)]
    data: Option<Vec<f64>>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// The `stats` keys kept as extras.
const EXTRAS: &[&str] = &[
    "ops",
    "rounds",
    "iterations",
    "iqr",
    "q1",
    "q3",
    "total",
    "iqr_outliers",
    "stddev_outliers",
];

/// Reads a pytest-benchmark JSON file.
pub(crate) fn parse(path: &Path, content: &str) -> Result<Imported, ImportError> {
    let export: Export =
        serde_json::from_str(content).map_err(|e| ImportError::json(FORMAT, path, &e))?;
    let mut out = imported(FORMAT, path);
    out.date = export.datetime.as_deref().map(rfc3339);
    if let Some(version) = export.version {
        out.context
            .insert("pytest_benchmark_version".into(), version);
    }
    if let Some(machine) = &export.machine_info {
        let pairs = [
            ("hostname", &["node"][..]),
            ("os", &["system"]),
            ("os_release", &["release"]),
            ("arch", &["machine"]),
            ("python_implementation", &["python_implementation"]),
            ("python_version", &["python_version"]),
            ("cpu", &["cpu", "brand_raw"]),
            ("cpu_count", &["cpu", "count"]),
        ];
        copy_context(&mut out.context, machine, &pairs);
    }
    if let Some(commit) = &export.commit_info {
        let pairs = [
            ("commit", &["id"][..]),
            ("branch", &["branch"]),
            ("dirty", &["dirty"]),
            ("project", &["project"]),
            ("commit_time", &["time"]),
        ];
        copy_context(&mut out.context, commit, &pairs);
    }
    for bench in export.benchmarks {
        let Some(stats) = bench.stats else { continue };
        let name = bench.fullname.unwrap_or(bench.name);
        let mut b = Benchmark::new(name, "wall_time", "s", true);
        b.samples = stats.data.unwrap_or_default();
        b.mean = stats.mean;
        b.median = stats.median;
        b.stddev = stats.stddev;
        b.min = stats.min;
        b.max = stats.max;
        for key in EXTRAS {
            if let Some(x) = stats.rest.get(*key).and_then(Value::as_f64) {
                b.extra.insert((*key).to_string(), x);
            }
        }
        out.benchmarks.push(b);
    }
    Ok(out)
}

/// Copies scalar values found at the given key paths of `source` into `context`.
fn copy_context(context: &mut BTreeMap<String, String>, source: &Value, pairs: &[(&str, &[&str])]) {
    for (key, at) in pairs {
        let value = at.iter().try_fold(source, |v, k| v.get(k));
        let text = match value {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => continue,
        };
        context.insert((*key).to_string(), text);
    }
}

/// pytest-benchmark ≥ 4 writes an offset (`…+00:00`); older versions wrote
/// `datetime.utcnow().isoformat()`, naive UTC, which gets a `Z`.
fn rfc3339(datetime: &str) -> String {
    let has_offset = datetime.ends_with('Z')
        || datetime
            .get(19..)
            .is_some_and(|tail| tail.contains('+') || tail.contains('-'));
    if has_offset || datetime.len() < 19 {
        datetime.to_string()
    } else {
        format!("{datetime}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn naive_datetimes_are_utc() {
        assert_eq!(
            rfc3339("2016-09-26T16:24:35.010346"),
            "2016-09-26T16:24:35.010346Z"
        );
        assert_eq!(
            rfc3339("2026-11-23T10:18:54.939303+00:00"),
            "2026-11-23T10:18:54.939303+00:00"
        );
        assert_eq!(
            rfc3339("2026-11-23T10:18:54-05:00"),
            "2026-11-23T10:18:54-05:00"
        );
    }
}
