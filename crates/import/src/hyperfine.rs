//! hyperfine's `--export-json FILE`.
//!
//! The shape is hyperfine's `BenchmarkResult` serialised by serde (hyperfine
//! `src/benchmark/benchmark_result.rs`, `src/export/json.rs`): `{"results": [{"command", "mean",
//! "stddev" (null after one run), "median", "user", "system", "min", "max", "times"?,
//! "memory_usage_byte"? (newer versions), "exit_codes", "parameters"? ({name: value})}]}`, all
//! times in seconds.
//!
//! Each result becomes a `wall_time` benchmark in `s` named after the command, with `times` as
//! samples and extras `user`, `system` (mean CPU seconds per run), `runs`, `failed_runs` (runs
//! whose exit code was not 0, including those killed by a signal) and `param.<name>` for each
//! numeric parameter of a `-P`/`-L` scan. `memory_usage_byte`, when present, becomes a second
//! benchmark, `max_rss` in `B`.

use crate::{imported, Benchmark, Format, ImportError, Imported};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const FORMAT: Format = Format::Hyperfine;

#[derive(Deserialize)]
struct Export {
    results: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    command: String,
    mean: f64,
    stddev: Option<f64>,
    median: Option<f64>,
    user: Option<f64>,
    system: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(default)]
    times: Option<Vec<f64>>,
    #[serde(default)]
    memory_usage_byte: Option<Vec<u64>>,
    #[serde(default)]
    exit_codes: Option<Vec<Option<i32>>>,
    #[serde(default)]
    parameters: BTreeMap<String, Value>,
}

/// Reads a hyperfine JSON export.
pub(crate) fn parse(path: &Path, content: &str) -> Result<Imported, ImportError> {
    let export: Export =
        serde_json::from_str(content).map_err(|e| ImportError::json(FORMAT, path, &e))?;
    let mut out = imported(FORMAT, path);
    for run in export.results {
        let mut b = Benchmark::new(&run.command, "wall_time", "s", true);
        b.samples = run.times.unwrap_or_default();
        b.mean = Some(run.mean);
        b.stddev = run.stddev;
        b.median = run.median;
        b.min = run.min;
        b.max = run.max;
        if let Some(user) = run.user {
            b.extra.insert("user".into(), user);
        }
        if let Some(system) = run.system {
            b.extra.insert("system".into(), system);
        }
        if !b.samples.is_empty() {
            b.extra.insert("runs".into(), b.samples.len() as f64);
        }
        if let Some(codes) = &run.exit_codes {
            let failed = codes.iter().filter(|c| **c != Some(0)).count();
            b.extra.insert("failed_runs".into(), failed as f64);
            b.extra.entry("runs".into()).or_insert(codes.len() as f64);
        }
        for (name, value) in &run.parameters {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
                _ => None,
            };
            if let Some(number) = number {
                b.extra.insert(format!("param.{name}"), number);
            }
        }
        out.benchmarks.push(b);
        if let Some(memory) = run.memory_usage_byte.filter(|m| !m.is_empty()) {
            let mut m = Benchmark::new(&run.command, "max_rss", "B", true);
            m.samples = memory.into_iter().map(|x| x as f64).collect();
            m.fill_from_samples();
            out.benchmarks.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_usage_becomes_its_own_benchmark() {
        // The fields newer hyperfine versions add (`memory_usage_byte`, see the module doc).
        let json = r#"{"results":[{"command":"true","mean":0.001,"stddev":null,"median":0.001,
            "user":0.0005,"system":0.0,"min":0.001,"max":0.001,"times":[0.001],
            "memory_usage_byte":[4096,8192],"exit_codes":[0]}]}"#;
        let imported = parse(Path::new("m.json"), json).unwrap();
        assert_eq!(imported.benchmarks.len(), 2);
        let rss = &imported.benchmarks[1];
        assert_eq!((rss.metric.as_str(), rss.unit.as_str()), ("max_rss", "B"));
        assert_eq!(rss.samples, vec![4096.0, 8192.0]);
        assert_eq!(rss.mean, Some(6144.0));
    }
}
