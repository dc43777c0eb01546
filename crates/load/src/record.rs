//! Turns what the engine measured into the result record: totals over the measured phases,
//! per phase and per request summaries, criteria outcomes, and the generator's check of itself.

use crate::conn::ErrorClass;
use crate::engine::RunResult;
use crate::stats::Cell;
use crate::worker::Proto;
use perfhive_core::hist::round3;
use perfhive_core::record::*;
use perfhive_core::{LatencyHistogram, LatencyStat, Metric, MetricSource, SCHEMA_VERSION};
use perfhive_scenario::{Model, Scenario};
use std::collections::BTreeMap;

/// A latency statistic of a histogram, in ms.
pub fn latency_stat(h: &LatencyHistogram, stat: LatencyStat) -> Option<f64> {
    match stat {
        LatencyStat::Quantile(q) => h.quantile_ms(q),
        LatencyStat::Mean => h.mean_ms(),
        LatencyStat::Max => h.max_ms(),
        LatencyStat::Min => h.min_ms(),
    }
}

/// Generator CPU above this share of its threads marks it as the bottleneck.
const CPU_SATURATED_PCT: f64 = 90.0;
/// Timer lag p99 above this means the generator could not keep its own clock.
const TIMER_LAG_LIMIT_MS: f64 = 5.0;

fn status_map(cell: &Cell) -> BTreeMap<String, u64> {
    cell.status
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(code, n)| (code.to_string(), *n))
        .collect()
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round3(100.0 * part as f64 / whole as f64)
    }
}

struct Totals<'a> {
    cell: &'a Cell,
    seconds: f64,
    dropped: u64,
    observed: &'a [ObservedProcess],
    traces: &'a dyn MetricSource,
}

impl MetricSource for Totals<'_> {
    fn metric(&self, m: &Metric) -> Option<f64> {
        match m {
            Metric::Latency { stat, uncorrected } => {
                let h = if *uncorrected {
                    &self.cell.uncorrected
                } else {
                    &self.cell.corrected
                };
                latency_stat(h, *stat)
            }
            Metric::ErrorRatePct => {
                (self.cell.requests > 0).then(|| pct(self.cell.errors, self.cell.requests))
            }
            Metric::ThroughputRps => {
                (self.seconds > 0.0).then(|| self.cell.requests as f64 / self.seconds)
            }
            Metric::Requests => Some(self.cell.requests as f64),
            Metric::DroppedRequests => Some(self.dropped as f64),
            Metric::ProcessCpuPct { process, max } => {
                let o = self.observed.iter().find(|o| &o.name == process)?;
                if *max {
                    o.cpu_pct_max
                } else {
                    o.cpu_pct_mean
                }
            }
            Metric::ProcessRssMb { process } => {
                self.observed
                    .iter()
                    .find(|o| &o.name == process)?
                    .rss_mb_max
            }
            Metric::DependencyLatency { .. } => self.traces.metric(m),
        }
    }
}

/// Seconds of measured phases actually run.
fn measured_seconds(res: &RunResult) -> f64 {
    let end = res.elapsed.as_secs_f64();
    res.profile
        .phases
        .iter()
        .filter(|p| p.measured())
        .map(|p| (p.end().as_secs_f64().min(end) - p.start.as_secs_f64()).max(0.0))
        .sum()
}

fn observed(res: &RunResult) -> Vec<ObservedProcess> {
    let measured: Vec<&TimePoint> = {
        let m: Vec<_> = res
            .timeseries
            .iter()
            .filter(|p| {
                res.profile
                    .phases
                    .iter()
                    .any(|ph| ph.name == p.phase && ph.measured())
            })
            .collect();
        if m.is_empty() {
            res.timeseries.iter().collect()
        } else {
            m
        }
    };
    res.observed
        .iter()
        .map(|(name, selector, found, pids)| {
            let pts: Vec<&ProcessPoint> = measured
                .iter()
                .filter_map(|p| p.processes.get(name))
                .collect();
            let cpu: Vec<f64> = pts.iter().filter_map(|p| p.cpu_pct).collect();
            let rss: Vec<f64> = pts.iter().map(|p| p.rss_mb).collect();
            let mean =
                |v: &[f64]| (!v.is_empty()).then(|| round3(v.iter().sum::<f64>() / v.len() as f64));
            let max = |v: &[f64]| v.iter().copied().reduce(f64::max);
            ObservedProcess {
                name: name.clone(),
                selector: selector.clone(),
                found: *found,
                pids: *pids,
                samples: pts.len() as u64,
                cpu_pct_mean: mean(&cpu),
                cpu_pct_max: max(&cpu),
                rss_mb_mean: mean(&rss),
                rss_mb_max: max(&rss),
            }
        })
        .collect()
}

/// Builds the result record of a run.
pub fn build_record(scenario: &Scenario, res: &RunResult) -> RunRecord {
    build_record_with(scenario, res, &NoTraces)
}

/// No trace data: dependency metrics have no value.
struct NoTraces;

impl MetricSource for NoTraces {
    fn metric(&self, _: &Metric) -> Option<f64> {
        None
    }
}

/// [`build_record`], with dependency metrics (`payments_p95_ms`) answered by `traces`, the
/// spans received during the run.
pub fn build_record_with(
    scenario: &Scenario,
    res: &RunResult,
    traces: &dyn MetricSource,
) -> RunRecord {
    let profile = &res.profile;
    let measured = |p: usize| profile.phases.get(p).is_some_and(|ph| ph.measured());
    let total = res.stats.total(measured, None);
    let seconds = measured_seconds(res);
    let observed = observed(res);
    let source = Totals {
        cell: &total,
        seconds,
        dropped: res.stats.dropped,
        observed: &observed,
        traces,
    };
    let criteria: Vec<CriterionResult> = scenario
        .criteria
        .iter()
        .map(|c| {
            let (value, passed) = c.evaluate(&source);
            let note = passed.is_none().then(|| match (c.metric.process(), c.metric.dependency()) {
                (Some(p), _) => {
                    format!("no process `{p}` was found to observe; add it under `observe:`")
                }
                (_, Some(d)) => format!(
                    "no span of `{d}` was received; run with --traces and point the service's OpenTelemetry exporter at perfhive"
                ),
                (None, None) => "no completed requests to evaluate".to_string(),
            });
            CriterionResult {
                expr: c.text.clone(),
                value: value.map(round3),
                passed,
                note,
            }
        })
        .collect();
    let status = match &res.abort {
        Some(a) if a.reason == "trigger" => RunStatus::Aborted,
        Some(_) => RunStatus::Interrupted,
        None if criteria.iter().any(|c| c.passed == Some(false)) => RunStatus::Failed,
        None => RunStatus::Passed,
    };

    let phases = profile
        .phases
        .iter()
        .enumerate()
        .map(|(i, ph)| {
            let c = res.stats.total(|p| p == i, None);
            let run_s = (ph.end().as_secs_f64().min(res.elapsed.as_secs_f64())
                - ph.start.as_secs_f64())
            .max(0.0);
            PhaseResult {
                name: ph.name.clone(),
                start_s: round3(ph.start.as_secs_f64()),
                duration_s: round3(ph.duration.as_secs_f64()),
                target_start: round3(ph.from),
                target_end: round3(ph.to),
                measured: ph.measured(),
                requests: c.requests,
                errors: c.errors,
                throughput_rps: if run_s > 0.0 {
                    round3(c.requests as f64 / run_s)
                } else {
                    0.0
                },
                error_rate_pct: pct(c.errors, c.requests),
                latency_ms: c.corrected.summary(),
                latency_uncorrected_ms: c.uncorrected.summary(),
                histogram: (!c.corrected.is_empty()).then(|| c.corrected.encode()),
            }
        })
        .collect();

    let requests = scenario
        .target
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = res.stats.total(measured, Some(i));
            RequestResult {
                name: r.name.clone(),
                requests: c.requests,
                errors: c.errors,
                error_rate_pct: pct(c.errors, c.requests),
                latency_ms: c.corrected.summary(),
                latency_uncorrected_ms: c.uncorrected.summary(),
                ttfb_ms: c.ttfb.summary(),
                status_codes: status_map(&c),
                histogram: (scenario.target.requests.len() > 1 && !c.corrected.is_empty())
                    .then(|| c.corrected.encode()),
            }
        })
        .collect();

    let all = res.stats.total(|_| true, None);
    let errors_by_class = ErrorClass::ALL
        .iter()
        .filter(|c| total.classes[**c as usize] > 0)
        .map(|c| (c.as_str().to_string(), total.classes[*c as usize]))
        .collect();
    let first_observed = observed.iter().find(|o| o.found);
    let metrics = Metrics {
        latency_ms: total.corrected.summary(),
        latency_uncorrected_ms: total.uncorrected.summary(),
        ttfb_ms: total.ttfb.summary(),
        connect_ms: res.stats.connect.summary(),
        tls_ms: res.stats.tls.summary(),
        throughput_rps: if seconds > 0.0 {
            round3(total.requests as f64 / seconds)
        } else {
            0.0
        },
        error_rate_pct: pct(total.errors, total.requests),
        requests: total.requests,
        errors: total.errors,
        dropped_requests: res.stats.dropped,
        bytes_sent: total.bytes_out,
        bytes_received: total.bytes_in,
        errors_by_class,
        status_codes: status_map(&total),
        cpu_pct: first_observed.and_then(|o| o.cpu_pct_mean),
        memory_mb: first_observed.and_then(|o| o.rss_mb_max),
    };

    let generator = generator_report(res, all.requests);
    let open = matches!(profile.model, Model::Open);
    let rate_model = open
        || matches!(
            profile.model,
            Model::Closed {
                rate_cap_rps: Some(_)
            }
        );
    let payload = scenario.target.requests.iter().map(|r| {
        if r.body.is_empty() {
            format!("{} {}", r.method, r.url)
        } else {
            format!("{} {} ({} B body)", r.method, r.url, r.body.len())
        }
    });
    RunRecord {
        schema_version: SCHEMA_VERSION.to_string(),
        kind: RecordKind::Load,
        tool: ToolInfo {
            name: "perfhive".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        service: scenario.service.clone(),
        environment: scenario.environment.clone(),
        scenario: scenario.name.clone(),
        date: humantime::format_rfc3339_seconds(res.started).to_string(),
        duration_s: round3(res.elapsed.as_secs_f64()),
        status,
        target: TargetInfo {
            url: res.url.clone(),
            http_version: match res.proto {
                Proto::Http1 => "http/1.1".into(),
                Proto::Http2 => "h2".into(),
            },
            requests: scenario
                .target
                .requests
                .iter()
                .map(|r| RequestMix {
                    name: r.name.clone(),
                    request: format!("{} {}", r.method, r.url),
                    weight: r.weight,
                })
                .collect(),
            timeout_ms: round3(scenario.target.timeout.as_secs_f64() * 1000.0),
        },
        workload: Workload {
            model: if open { "open".into() } else { "closed".into() },
            rps: rate_model.then(|| match profile.model {
                Model::Closed {
                    rate_cap_rps: Some(c),
                } => c,
                _ => round3(profile.mean_measured_target()),
            }),
            peak_rps: open.then(|| round3(profile.peak())),
            concurrency: if open {
                res.stats.max_in_flight
            } else {
                profile.peak().round() as u64
            },
            payload: Some(payload.collect::<Vec<_>>().join("; ")),
            cache_state: scenario.cache_state.clone(),
            planned_duration_s: round3(profile.total().as_secs_f64()),
        },
        metrics,
        phases,
        requests,
        timeseries: res.timeseries.clone(),
        observed,
        criteria,
        abort: res.abort.clone(),
        generator,
        histograms: Histograms {
            encoding: "hdr-v2-deflate-base64".into(),
            unit: "us".into(),
            latency: (!total.corrected.is_empty()).then(|| total.corrected.encode()),
            latency_uncorrected: (!total.uncorrected.is_empty())
                .then(|| total.uncorrected.encode()),
            ttfb: (!total.ttfb.is_empty()).then(|| total.ttfb.encode()),
            connect: (!res.stats.connect.is_empty()).then(|| res.stats.connect.encode()),
            send_lag: (!res.stats.send_lag.is_empty()).then(|| res.stats.send_lag.encode()),
        },
        comparison: None,
        notes: scenario.notes.clone(),
        fingerprint: None,
        traces: None,
    }
}

fn generator_report(res: &RunResult, requests: u64) -> GeneratorReport {
    let s = &res.stats;
    let secs = res.elapsed.as_secs_f64().max(1e-9);
    let cpu_pct = round3(100.0 * res.generator_cpu.as_secs_f64() / secs);
    let capacity = 100.0 * res.workers as f64;
    let timer_p99 = s.timer_lag.quantile_ms(0.99).unwrap_or(0.0);
    let mut warnings = res.warnings.clone();
    let cpu_bound = cpu_pct >= CPU_SATURATED_PCT / 100.0 * capacity;
    if cpu_bound {
        warnings.push(format!(
            "the generator used {cpu_pct:.0}% CPU of its {} thread(s): it may have been the bottleneck; add --threads or a second generator",
            res.workers
        ));
    }
    let clock_bound = timer_p99 > TIMER_LAG_LIMIT_MS;
    if clock_bound {
        warnings.push(format!(
            "the generator's own timer woke {timer_p99:.1} ms late at p99: requests left late because of the generator, not the target"
        ));
    }
    let limit_reached = s.max_in_flight >= res.in_flight_limit && res.in_flight_limit > 0;
    if limit_reached && s.late > 0 {
        warnings.push(format!(
            "the in-flight limit ({}) was reached and {} requests were sent more than 10 ms late; corrected latency includes that wait (raise target.max_in_flight to offer the full rate)",
            res.in_flight_limit, s.late
        ));
    }
    if s.dropped > 0 {
        warnings.push(format!("{} scheduled requests were never sent", s.dropped));
    }
    let bottleneck = cpu_bound || clock_bound;
    GeneratorReport {
        threads: res.workers,
        cpu_pct,
        cpu_ms_per_request: if requests > 0 {
            round3(res.generator_cpu.as_secs_f64() * 1000.0 / requests as f64)
        } else {
            0.0
        },
        send_lag_ms: s.send_lag.summary(),
        timer_lag_ms: s.timer_lag.summary(),
        late_requests: s.late,
        dropped_requests: s.dropped,
        max_in_flight: s.max_in_flight,
        in_flight_limit: res.in_flight_limit,
        connections_opened: s.connections,
        peak_rss_mb: round3(perfhive_probe::self_peak_rss_bytes() as f64 / (1024.0 * 1024.0)),
        bottleneck,
        valid: !bottleneck,
        warnings,
    }
}
