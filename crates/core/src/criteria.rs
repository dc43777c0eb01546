//! Metrics, success criteria and rollback triggers: the small expression language of a
//! scenario's `success_criteria` (`p95_latency_ms <= 250`) and `rollback_triggers`
//! (`sustained error_rate_pct > 1 for 3 minutes`), in the spirit of k6 thresholds.
//!
//! Parsing is pure: errors carry the character offset of the offending token so the scenario
//! loader can point at file:line:column.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The longest rollback-trigger window: a day. A longer window could never fill during a run
/// that anyone watches, and the engine keeps one entry per second of it.
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A latency statistic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LatencyStat {
    /// A quantile in 0..=1 (p95 is 0.95).
    Quantile(f64),
    /// Arithmetic mean.
    Mean,
    /// Maximum.
    Max,
    /// Minimum.
    Min,
}

/// A metric a criterion or trigger can test.
#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    /// Request latency in milliseconds; corrected for coordinated omission unless `uncorrected`.
    Latency {
        /// Which statistic of the distribution.
        stat: LatencyStat,
        /// Measure from the actual send instead of the intended send time.
        uncorrected: bool,
    },
    /// Failed requests as a percentage of completed ones.
    ErrorRatePct,
    /// Completed requests per second.
    ThroughputRps,
    /// Completed requests.
    Requests,
    /// Requests the generator could not send on schedule before the run ended.
    DroppedRequests,
    /// CPU use of a named observed process, percent of one core (mean, or the maximum sample).
    ProcessCpuPct {
        /// The `observe:` name.
        process: String,
        /// The highest one-second sample instead of the mean.
        max: bool,
    },
    /// Peak resident memory of a named observed process in MiB.
    ProcessRssMb {
        /// The `observe:` name.
        process: String,
    },
    /// Latency of a downstream dependency in milliseconds, from trace spans (`payments_p95_ms`).
    DependencyLatency {
        /// The dependency (`peer.service`, `server.address`, `db.system` or span name).
        dependency: String,
        /// Which statistic of its span durations.
        stat: LatencyStat,
    },
}

/// The fixed metric names, for error messages and documentation.
pub const KNOWN_METRICS: &[&str] = &[
    "p50_latency_ms",
    "p75_latency_ms",
    "p90_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "p99.9_latency_ms",
    "pNN[.N]_latency_ms (any percentile)",
    "mean_latency_ms",
    "min_latency_ms",
    "max_latency_ms",
    "uncorrected_<any latency metric>",
    "error_rate_pct",
    "throughput_rps",
    "requests",
    "dropped_requests",
    "<process>_cpu_pct",
    "<process>_cpu_pct_max",
    "<process>_rss_mb",
    "<dependency>_pNN_ms (from trace spans, e.g. payments_p95_ms)",
    "<dependency>_mean_ms / _max_ms",
];

impl Metric {
    /// Parses a metric name; the error lists the known metrics.
    pub fn parse(name: &str) -> Result<Metric, String> {
        let unknown = || {
            format!(
                "unknown metric `{name}`; known metrics: {}",
                KNOWN_METRICS.join(", ")
            )
        };
        match name {
            "error_rate_pct" => return Ok(Metric::ErrorRatePct),
            "throughput_rps" => return Ok(Metric::ThroughputRps),
            "requests" => return Ok(Metric::Requests),
            "dropped_requests" => return Ok(Metric::DroppedRequests),
            _ => {}
        }
        let (uncorrected, rest) = match name.strip_prefix("uncorrected_") {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        if let Some(stat) = rest.strip_suffix("_latency_ms") {
            let stat = match stat {
                "mean" | "avg" => LatencyStat::Mean,
                "max" => LatencyStat::Max,
                "min" => LatencyStat::Min,
                "median" => LatencyStat::Quantile(0.5),
                p => LatencyStat::Quantile(parse_percentile(p).ok_or_else(unknown)?),
            };
            return Ok(Metric::Latency { stat, uncorrected });
        }
        if uncorrected {
            return Err(unknown());
        }
        let process = |s: &str| -> Result<String, String> {
            let ok = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            ok.then(|| s.to_string()).ok_or_else(unknown)
        };
        if let Some(p) = name.strip_suffix("_cpu_pct_max") {
            return Ok(Metric::ProcessCpuPct {
                process: process(p)?,
                max: true,
            });
        }
        if let Some(p) = name.strip_suffix("_cpu_pct") {
            return Ok(Metric::ProcessCpuPct {
                process: process(p)?,
                max: false,
            });
        }
        if let Some(p) = name.strip_suffix("_rss_mb") {
            return Ok(Metric::ProcessRssMb {
                process: process(p)?,
            });
        }
        if let Some((dep, stat)) = name.strip_suffix("_ms").and_then(|r| r.rsplit_once('_')) {
            let stat = match stat {
                "mean" | "avg" => LatencyStat::Mean,
                "max" => LatencyStat::Max,
                p => LatencyStat::Quantile(parse_percentile(p).ok_or_else(unknown)?),
            };
            return Ok(Metric::DependencyLatency {
                dependency: process(dep)?,
                stat,
            });
        }
        Err(unknown())
    }

    /// The trace dependency this metric refers to, if any.
    pub fn dependency(&self) -> Option<&str> {
        match self {
            Metric::DependencyLatency { dependency, .. } => Some(dependency),
            _ => None,
        }
    }

    /// The observed process this metric refers to, if any.
    pub fn process(&self) -> Option<&str> {
        match self {
            Metric::ProcessCpuPct { process, .. } | Metric::ProcessRssMb { process } => {
                Some(process)
            }
            _ => None,
        }
    }
}

/// `p95` → 0.95, `p99.9` / `p999` → 0.999, `p50` → 0.5.
fn parse_percentile(p: &str) -> Option<f64> {
    let digits = p.strip_prefix('p')?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let pct: f64 = if digits.contains('.') {
        digits.parse().ok()?
    } else if digits.len() > 2 {
        // p999 = 99.9, p9999 = 99.99
        format!("{}.{}", &digits[..2], &digits[2..]).parse().ok()?
    } else {
        digits.parse().ok()?
    };
    // Round away binary noise: 99.9 / 100 is 0.9990000000000001.
    (pct > 0.0 && pct <= 100.0).then_some((pct * 1e6).round() / 1e8)
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// Applies the operator.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
            Op::Eq => (value - threshold).abs() < 1e-9,
            Op::Ne => (value - threshold).abs() >= 1e-9,
        }
    }

    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" | "=" => Op::Eq,
            "!=" => Op::Ne,
            _ => return None,
        })
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        })
    }
}

/// An expression could not be parsed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CriterionError {
    /// What was expected.
    pub message: String,
    /// Character offset of the offending token within the expression.
    pub offset: usize,
}

/// `<metric> <op> <number>`: a success criterion, or the condition of a trigger.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// The metric tested.
    pub metric: Metric,
    /// The comparison.
    pub op: Op,
    /// The number compared against.
    pub threshold: f64,
    /// The expression as written.
    pub text: String,
}

/// Anything that can report metric values: a run's totals, a sliding window.
pub trait MetricSource {
    /// The value of `metric`, or `None` when there is no data for it.
    fn metric(&self, metric: &Metric) -> Option<f64>;
}

/// Splits an expression into tokens with their character offsets.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    // Split operators glued to their operands: "p95_latency_ms<=250".
    let mut split = Vec::new();
    for (off, tok) in out {
        let pos = tok.find(['<', '>', '=', '!']);
        match pos {
            Some(p) if tok.len() > 1 => {
                let end = p + tok[p..]
                    .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
                    .unwrap_or(tok.len() - p);
                for (o, t) in [(0, &tok[..p]), (p, &tok[p..end]), (end, &tok[end..])] {
                    if !t.is_empty() {
                        split.push((off + o, t));
                    }
                }
            }
            _ => split.push((off, tok)),
        }
    }
    split
}

fn parse_condition(text: &str, toks: &[(usize, &str)]) -> Result<Criterion, CriterionError> {
    let err = |offset: usize, message: String| CriterionError { message, offset };
    let end = text.len();
    let (moff, mname) = *toks
        .first()
        .ok_or_else(|| err(0, "expected `<metric> <op> <number>`".into()))?;
    let metric = Metric::parse(mname).map_err(|m| err(moff, m))?;
    let (ooff, otext) = *toks.get(1).ok_or_else(|| {
        err(
            end,
            "expected a comparison operator (<, <=, >, >=, ==, !=)".into(),
        )
    })?;
    let op = Op::parse(otext).ok_or_else(|| {
        err(
            ooff,
            format!("expected a comparison operator (<, <=, >, >=, ==, !=), found `{otext}`"),
        )
    })?;
    let (noff, ntext) = *toks
        .get(2)
        .ok_or_else(|| err(end, "expected a number after the operator".into()))?;
    let threshold: f64 = ntext
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| err(noff, format!("expected a number, found `{ntext}`")))?;
    Ok(Criterion {
        metric,
        op,
        threshold,
        text: text.trim().to_string(),
    })
}

impl Criterion {
    /// Parses `<metric> <op> <number>`.
    pub fn parse(text: &str) -> Result<Criterion, CriterionError> {
        let toks = tokens(text);
        let c = parse_condition(text, &toks)?;
        if let Some((off, extra)) = toks.get(3) {
            return Err(CriterionError {
                message: format!("unexpected `{extra}` after the threshold"),
                offset: *off,
            });
        }
        Ok(c)
    }

    /// Evaluates against a source: `Some(passed)` or `None` when the metric has no data.
    pub fn evaluate(&self, source: &dyn MetricSource) -> (Option<f64>, Option<bool>) {
        let value = source.metric(&self.metric);
        (value, value.map(|v| self.op.holds(v, self.threshold)))
    }
}

/// `[sustained] <metric> <op> <number> [for <N> <seconds|minutes>]`: abort the run when the
/// condition holds over a sliding window of that length.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The abort condition.
    pub condition: Criterion,
    /// The sliding window over which the metric is computed.
    pub window: Duration,
    /// The expression as written.
    pub text: String,
}

impl Trigger {
    /// Parses a trigger expression.
    pub fn parse(text: &str) -> Result<Trigger, CriterionError> {
        let mut toks = tokens(text);
        if toks.first().map(|t| t.1) == Some("sustained") {
            toks.remove(0);
        }
        let cond_end = toks.iter().position(|t| t.1 == "for").unwrap_or(toks.len());
        let mut condition = parse_condition(text, &toks[..cond_end])?;
        if cond_end > 3 {
            return Err(CriterionError {
                message: format!(
                    "unexpected `{}` after the threshold; expected `for <N> <seconds|minutes>`",
                    toks[3].1
                ),
                offset: toks[3].0,
            });
        }
        let window = if cond_end < toks.len() {
            let rest = &toks[cond_end + 1..];
            let bad = |off: usize| CriterionError {
                message: "expected `for <N> <seconds|minutes>` (e.g. `for 3 minutes`)".into(),
                offset: off,
            };
            let (noff, n) = *rest.first().ok_or_else(|| bad(text.len()))?;
            let (n, unit) = match rest.get(1) {
                Some((_, unit)) => (n.to_string(), unit.to_string()),
                None => {
                    // `for 90s`
                    let split = n.find(|c: char| c.is_alphabetic()).unwrap_or(n.len());
                    (n[..split].to_string(), n[split..].to_string())
                }
            };
            let n: f64 = n
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .ok_or_else(|| bad(noff))?;
            let secs = match unit.as_str() {
                "s" | "sec" | "secs" | "second" | "seconds" => n,
                "m" | "min" | "mins" | "minute" | "minutes" => n * 60.0,
                "h" | "hour" | "hours" => n * 3600.0,
                _ => return Err(bad(rest.get(1).map(|t| t.0).unwrap_or(noff))),
            };
            if secs > MAX_WINDOW.as_secs_f64() {
                return Err(CriterionError {
                    message: format!(
                        "a trigger window of {n} {unit} is too long; expected at most 24 hours"
                    ),
                    offset: noff,
                });
            }
            if rest.len() > 2 {
                return Err(CriterionError {
                    message: format!("unexpected `{}` at the end of the trigger", rest[2].1),
                    offset: rest[2].0,
                });
            }
            Duration::from_secs_f64(secs.max(1.0))
        } else {
            Duration::from_secs(1)
        };
        condition.text = condition.text.trim().to_string();
        Ok(Trigger {
            condition,
            window,
            text: text.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_playbook_criteria() {
        let c = Criterion::parse("p95_latency_ms <= 250").unwrap();
        assert_eq!(
            c.metric,
            Metric::Latency {
                stat: LatencyStat::Quantile(0.95),
                uncorrected: false
            }
        );
        assert_eq!((c.op, c.threshold), (Op::Le, 250.0));
        assert_eq!(
            Criterion::parse("error_rate_pct<=0.5").unwrap().metric,
            Metric::ErrorRatePct
        );
        assert_eq!(
            Criterion::parse("redis_cpu_pct <= 80").unwrap().metric,
            Metric::ProcessCpuPct {
                process: "redis".into(),
                max: false
            }
        );
        let p999 = Criterion::parse("uncorrected_p99.9_latency_ms < 10").unwrap();
        assert_eq!(
            p999.metric,
            Metric::Latency {
                stat: LatencyStat::Quantile(0.999),
                uncorrected: true
            }
        );
        assert_eq!(
            Criterion::parse("p999_latency_ms < 1").unwrap().metric,
            p999.metric.clone().clone_corrected()
        );
    }

    impl Metric {
        fn clone_corrected(self) -> Metric {
            match self {
                Metric::Latency { stat, .. } => Metric::Latency {
                    stat,
                    uncorrected: false,
                },
                m => m,
            }
        }
    }

    #[test]
    fn parses_dependency_latency() {
        let c = Criterion::parse("payments_p95_ms <= 150").unwrap();
        assert_eq!(
            c.metric,
            Metric::DependencyLatency {
                dependency: "payments".into(),
                stat: LatencyStat::Quantile(0.95)
            }
        );
        assert_eq!(c.metric.dependency(), Some("payments"));
        assert_eq!(c.metric.process(), None);
        assert_eq!(
            Criterion::parse("user_db_max_ms < 9").unwrap().metric,
            Metric::DependencyLatency {
                dependency: "user_db".into(),
                stat: LatencyStat::Max
            }
        );
        // the request-latency metrics keep their meaning
        assert!(matches!(
            Criterion::parse("p95_latency_ms <= 1").unwrap().metric,
            Metric::Latency { .. }
        ));
        assert!(Criterion::parse("payments_fast_ms <= 1").is_err());
        assert!(Criterion::parse("_p95_ms <= 1").is_err());
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = Criterion::parse("p95_latency <= 250").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("known metrics"), "{}", e.message);
        let e = Criterion::parse("p95_latency_ms => 250").unwrap_err();
        assert_eq!(e.offset, 15);
        let e = Criterion::parse("p95_latency_ms <= fast").unwrap_err();
        assert_eq!(e.offset, 18);
        assert!(Criterion::parse("p95_latency_ms <= 2 ms").is_err());
    }

    #[test]
    fn parses_triggers() {
        let t = Trigger::parse("sustained error_rate_pct > 1 for 3 minutes").unwrap();
        assert_eq!(t.window, Duration::from_secs(180));
        assert_eq!(t.condition.metric, Metric::ErrorRatePct);
        let t = Trigger::parse("database_cpu_pct > 90 for 5 minutes").unwrap();
        assert_eq!(t.window, Duration::from_secs(300));
        assert_eq!(t.condition.metric.process(), Some("database"));
        let t = Trigger::parse("p99_latency_ms > 500 for 10s").unwrap();
        assert_eq!(t.window, Duration::from_secs(10));
        let e = Trigger::parse("error_rate_pct > 1 for three minutes").unwrap_err();
        assert_eq!(e.offset, 23);
    }

    #[test]
    fn huge_trigger_windows_are_refused_not_a_panic() {
        for text in [
            "error_rate_pct > 1 for 99999999999999999999 seconds",
            "error_rate_pct > 1 for 1e300 hours",
            "error_rate_pct > 1 for 25 hours",
            "error_rate_pct > 1 for inf seconds",
            "error_rate_pct > 1 for NaN seconds",
        ] {
            let e = Trigger::parse(text).unwrap_err();
            assert_eq!(e.offset, 23, "{text}: {e}");
        }
        let t = Trigger::parse("error_rate_pct > 1 for 24 hours").unwrap();
        assert_eq!(t.window, MAX_WINDOW);
    }

    #[test]
    fn thresholds_beyond_f64_are_refused() {
        let e = Criterion::parse("p95_latency_ms <= 1e400").unwrap_err();
        assert_eq!(e.offset, 18);
        assert!(Criterion::parse("p95_latency_ms <= NaN").is_err());
    }
}
