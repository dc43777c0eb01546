//! k6's end-of-test summary as JSON, in both shapes k6 writes:
//!
//! * `k6 run --summary-export FILE` (k6 docs, "End-of-test summary" → "Summary export to a JSON
//!   file"; k6 `js/summary_test.go` `TestSummarizeMetricsJSON`): `{"root_group": …, "metrics":
//!   {name: stats}}` where a trend's stats are its `summaryTrendStats` (`avg`, `min`, `med`,
//!   `max`, `p(90)`, `p(95)` by default), a counter's `count` and `rate` (per second), a rate's
//!   `passes`, `fails` and `value` (the fraction of non-zero samples), a gauge's `value`, `min`
//!   and `max`; a `thresholds` object maps each threshold to `true` when it *failed*.
//! * The `data` object given to `handleSummary()`, saved with `JSON.stringify(data)` (k6 docs,
//!   "Custom summary" → "Summary data reference"): `{"root_group", "options", "state":
//!   {"testRunDurationMs"}, "metrics": {name: {"type", "contains", "values": stats,
//!   "thresholds"?: {expr: {"ok"}}}}}`, with a rate's fraction named `rate`.
//!
//! Metric names keep their sub-metric tags (`http_req_duration{expected_response:true}`); the
//! `metric` field is the name without them. Time values are milliseconds, as k6 keeps them.
//!
//! * A **trend** becomes one benchmark: `avg`→mean, `med`→median, `min`, `max`; `p(90)`→extra
//!   `p90` (any `p(N)` likewise), other stats (`count`) as extras. Unit `ms` when it `contains`
//!   time (or, in the `--summary-export` shape, which does not say, for k6's built-in time
//!   metrics), `B` for data, else empty. Lower is better.
//! * A **counter** becomes its per-second rate (mean) with extra `count`: unit `req/s` for
//!   `http_reqs`, `iter/s` for `iterations`, `B/s` for data, else `/s`.
//! * A **rate** becomes its fraction (mean, unit `ratio`) with extras `passes` (non-zero
//!   samples: for `http_req_failed` these are failures) and `fails`.
//! * A **gauge** keeps `min`, `max` and extra `value` (the last value); unit `VUs` for `vus`
//!   and `vus_max`.
//!
//! Counters, rates and gauges count as lower-is-better when their name speaks of failure
//! (`fail`, `error`, `dropped`, `timeout`), so `http_req_failed` and `dropped_iterations` are,
//! `checks` and `http_reqs` are not. Every metric with thresholds gets extras `thresholds` and
//! `thresholds_failed`. Context: `test_run_duration_ms`, `summary_time_unit`,
//! `summary_trend_stats`.
//!
//! Not read: the k6 v1.5 `--new-machine-readable-summary` shape, and `--out json` point streams.

use crate::{imported, Benchmark, Format, ImportError, Imported};
use serde_json::{Map, Value};
use std::path::Path;

const FORMAT: Format = Format::K6Summary;

/// k6's built-in trends that hold times, for the `--summary-export` shape (which has no
/// `contains`).
const TIME_METRICS: &[&str] = &[
    "http_req_blocked",
    "http_req_connecting",
    "http_req_duration",
    "http_req_receiving",
    "http_req_sending",
    "http_req_tls_handshaking",
    "http_req_waiting",
    "iteration_duration",
    "group_duration",
    "ws_connecting",
    "ws_ping",
    "ws_session_duration",
    "grpc_req_duration",
    "browser_http_req_duration",
    "browser_web_vital_fcp",
    "browser_web_vital_fid",
    "browser_web_vital_inp",
    "browser_web_vital_lcp",
    "browser_web_vital_ttfb",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Trend,
    Counter,
    Rate,
    Gauge,
}

/// Reads a k6 summary in either shape.
pub(crate) fn parse(path: &Path, content: &str) -> Result<Imported, ImportError> {
    let value: Value =
        serde_json::from_str(content).map_err(|e| ImportError::json(FORMAT, path, &e))?;
    let err = |message: String| ImportError::parse(FORMAT, path, message);
    let root = value
        .as_object()
        .ok_or_else(|| err("expected a JSON object with a `metrics` object".into()))?;
    let metrics = match root.get("metrics") {
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(err(format!(
                "`metrics`: expected an object, found {}",
                kind_of(other)
            )))
        }
        None => {
            return Err(err(
                "expected a `metrics` object (k6 --summary-export or handleSummary data)".into(),
            ))
        }
    };
    let mut out = imported(FORMAT, path);
    if let Some(ms) = value
        .pointer("/state/testRunDurationMs")
        .and_then(Value::as_f64)
    {
        out.context
            .insert("test_run_duration_ms".into(), ms.to_string());
    }
    if let Some(unit) = value
        .pointer("/options/summaryTimeUnit")
        .and_then(Value::as_str)
    {
        if !unit.is_empty() {
            out.context
                .insert("summary_time_unit".into(), unit.to_string());
        }
    }
    if let Some(stats) = value
        .pointer("/options/summaryTrendStats")
        .and_then(Value::as_array)
    {
        let stats: Vec<&str> = stats.iter().filter_map(Value::as_str).collect();
        out.context
            .insert("summary_trend_stats".into(), stats.join(","));
    }
    let mut names: Vec<&String> = metrics.keys().collect();
    names.sort();
    for name in names {
        let metric = &metrics[name];
        let obj = metric.as_object().ok_or_else(|| {
            err(format!(
                "`metrics.{name}`: expected an object, found {}",
                kind_of(metric)
            ))
        })?;
        out.benchmarks
            .push(metric_benchmark(name, obj).map_err(err)?);
    }
    Ok(out)
}

/// One metric, in either shape.
fn metric_benchmark(name: &str, obj: &Map<String, Value>) -> Result<Benchmark, String> {
    let base = name.split('{').next().unwrap_or(name);
    // handleSummary: {"type", "contains", "values", "thresholds"}; --summary-export: the
    // values themselves, next to "thresholds".
    let (values, at, declared, contains) = match obj.get("values") {
        Some(Value::Object(values)) => {
            let declared = match obj.get("type").and_then(Value::as_str) {
                Some("trend") => Some(Kind::Trend),
                Some("counter") => Some(Kind::Counter),
                Some("rate") => Some(Kind::Rate),
                Some("gauge") => Some(Kind::Gauge),
                Some(other) => {
                    return Err(format!(
                        "`metrics.{name}.type`: expected trend, counter, rate or gauge, found `{other}`"
                    ))
                }
                None => None,
            };
            let contains = obj
                .get("contains")
                .and_then(Value::as_str)
                .map(str::to_string);
            (values, format!("metrics.{name}.values"), declared, contains)
        }
        Some(other) => {
            return Err(format!(
                "`metrics.{name}.values`: expected an object, found {}",
                kind_of(other)
            ))
        }
        None => (obj, format!("metrics.{name}"), None, None),
    };
    let mut numbers: Vec<(&str, f64)> = Vec::new();
    for (key, value) in values {
        match value {
            Value::Number(n) => numbers.push((key, n.as_f64().unwrap_or(f64::NAN))),
            // JSON.stringify writes NaN (a trend without samples) as null.
            Value::Null => {}
            _ if key == "thresholds" => {}
            other => {
                return Err(format!(
                    "`{at}.{key}`: expected a number, found {}",
                    kind_of(other)
                ))
            }
        }
    }
    let get = |key: &str| numbers.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let has = |key: &str| get(key).is_some();
    let kind = match declared {
        Some(kind) => kind,
        None if has("passes") || has("fails") => Kind::Rate,
        None if has("avg") || has("med") || numbers.iter().any(|(k, _)| k.starts_with("p(")) => {
            Kind::Trend
        }
        None if has("count") && has("rate") => Kind::Counter,
        None if has("value") => Kind::Gauge,
        None if has("min") || has("max") => Kind::Trend,
        None => {
            let keys: Vec<&str> = numbers.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "`{at}`: cannot tell the metric type from its values ({}); expected trend stats \
                 (avg, med, p(95)…), count and rate, passes and fails, or value",
                keys.join(", ")
            ));
        }
    };
    let failure_named = ["fail", "error", "dropped", "timeout"]
        .iter()
        .any(|w| base.contains(w));
    let contains = contains
        .as_deref()
        .unwrap_or(if TIME_METRICS.contains(&base) {
            "time"
        } else if base == "data_received" || base == "data_sent" {
            "data"
        } else {
            "default"
        });
    let mut b = match kind {
        Kind::Trend => {
            let unit = match contains {
                "time" => "ms",
                "data" => "B",
                _ => "",
            };
            let mut b = Benchmark::new(name, base, unit, true);
            b.mean = get("avg");
            b.median = get("med");
            b.min = get("min");
            b.max = get("max");
            for (key, v) in &numbers {
                if !matches!(*key, "avg" | "med" | "min" | "max") {
                    b.extra.insert(stat_name(key), *v);
                }
            }
            b
        }
        Kind::Counter => {
            let unit = match (base, contains) {
                (_, "data") => "B/s",
                ("http_reqs", _) => "req/s",
                ("iterations", _) => "iter/s",
                _ => "/s",
            };
            let mut b = Benchmark::new(name, base, unit, failure_named);
            b.mean = get("rate");
            if let Some(count) = get("count") {
                b.extra.insert("count".into(), count);
            }
            b
        }
        Kind::Rate => {
            let mut b = Benchmark::new(name, base, "ratio", failure_named);
            let (passes, fails) = (get("passes"), get("fails"));
            b.mean = get("rate").or(get("value")).or(match (passes, fails) {
                (Some(p), Some(f)) if p + f > 0.0 => Some(p / (p + f)),
                _ => None,
            });
            if let Some(p) = passes {
                b.extra.insert("passes".into(), p);
            }
            if let Some(f) = fails {
                b.extra.insert("fails".into(), f);
            }
            b
        }
        Kind::Gauge => {
            let unit = match (base, contains) {
                ("vus" | "vus_max", _) => "VUs",
                (_, "data") => "B",
                (_, "time") => "ms",
                _ => "",
            };
            let mut b = Benchmark::new(name, base, unit, failure_named);
            b.min = get("min");
            b.max = get("max");
            if let Some(v) = get("value") {
                b.extra.insert("value".into(), v);
            }
            b
        }
    };
    if let Some(Value::Object(thresholds)) = obj.get("thresholds") {
        let failed = thresholds
            .values()
            .filter(|t| match t {
                Value::Bool(crossed) => *crossed,
                Value::Object(o) => o.get("ok").and_then(Value::as_bool) == Some(false),
                _ => false,
            })
            .count();
        b.extra.insert("thresholds".into(), thresholds.len() as f64);
        b.extra.insert("thresholds_failed".into(), failed as f64);
    }
    Ok(b)
}

/// `p(90)` → `p90`, `p(99.9)` → `p99.9`; other names unchanged.
fn stat_name(key: &str) -> String {
    match key.strip_prefix("p(").and_then(|k| k.strip_suffix(')')) {
        Some(q) => format!("p{q}"),
        None => key.to_string(),
    }
}

/// "a string", "an array", … for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_names() {
        assert_eq!(stat_name("p(90)"), "p90");
        assert_eq!(stat_name("p(99.99)"), "p99.99");
        assert_eq!(stat_name("count"), "count");
    }

    #[test]
    fn a_trend_without_samples_has_null_stats() {
        let json = r#"{"metrics":{"my_trend":{"type":"trend","contains":"time",
            "values":{"avg":null,"min":null,"med":null,"max":null,"p(90)":null,"p(95)":null}}}}"#;
        let imported = parse(Path::new("k6.json"), json).unwrap();
        let b = &imported.benchmarks[0];
        assert_eq!((b.unit.as_str(), b.mean, b.extra.len()), ("ms", None, 0));
    }
}
