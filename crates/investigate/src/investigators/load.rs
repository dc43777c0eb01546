//! The load investigator: a baseline with the `perfhive run` engine (latency spectrum,
//! throughput, errors), client-side hints (a bimodal latency distribution by Sarle's
//! bimodality coefficient, a tail tied to new connections, server time vs transfer time), and
//! where the time goes from `Server-Timing` when the target sends it.

use super::timing;
use crate::model::{Effort, Evidence, Finding, InvestigatorResult, Recommendation, Verdict};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::record::RunRecord;
use perfhive_core::LatencyHistogram;
use perfhive_load::{LoadOptions, NoProgress, StopSignal};
use perfhive_scenario::Scenario;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The baseline load test.
pub struct LoadInvestigator {
    /// The scenario, URLs resolved.
    pub scenario: Scenario,
    /// Sequential requests per named request for the Server-Timing breakdown.
    pub timing_samples: usize,
    /// Worker threads.
    pub threads: usize,
}

/// Sarle's bimodality coefficient from a histogram: (g² + 1) / (k + 3(n−1)²/((n−2)(n−3))),
/// above 5/9 (the uniform distribution's value) suggests two modes.
pub fn bimodality(h: &LatencyHistogram) -> Option<f64> {
    let n = h.len() as f64;
    if n < 30.0 {
        return None;
    }
    let mean = h.raw().mean();
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in h.raw().iter_recorded() {
        let x = v.value_iterated_to() as f64 - mean;
        let c = v.count_at_value() as f64;
        m2 += c * x * x;
        m3 += c * x * x * x;
        m4 += c * x * x * x * x;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    if m2 <= 0.0 {
        return None;
    }
    let skew = m3 / m2.powf(1.5);
    let kurt = m4 / (m2 * m2) - 3.0;
    Some((skew * skew + 1.0) / (kurt + 3.0 * (n - 1.0).powi(2) / ((n - 2.0) * (n - 3.0))))
}

/// Maps a phase name (Server-Timing, or a trace span name) to the subject other investigators use.
pub fn subject_of_phase(phase: &str) -> String {
    let p = phase.to_ascii_lowercase();
    // OpenTelemetry names database spans `{operation} {table}` (`SELECT items`)
    let sql_verb = p.split_whitespace().next().is_some_and(|w| {
        [
            "select", "insert", "update", "delete", "upsert", "merge", "begin", "commit",
        ]
        .contains(&w)
    });
    if sql_verb
        || ["db", "database", "sql", "query", "commit", "storage"]
            .iter()
            .any(|k| p.contains(k))
    {
        "database".into()
    } else if ["serial", "render", "json", "encode", "template"]
        .iter()
        .any(|k| p.contains(k))
    {
        "serialization".into()
    } else if ["parse", "decode"].iter().any(|k| p.contains(k)) {
        "parsing".into()
    } else {
        p
    }
}

fn ev(label: &str, value: f64, unit: &str, pointer: &str) -> Evidence {
    Evidence {
        label: label.into(),
        value: (value * 1000.0).round() / 1000.0,
        unit: unit.into(),
        pointer: pointer.into(),
    }
}

impl LoadInvestigator {
    fn baseline(&self, ctx: &Context, deadline: Instant) -> Result<RunRecord, InvestigatorError> {
        let stop = Arc::new(StopSignal::default());
        let budget = deadline.saturating_duration_since(Instant::now());
        let planned = self.scenario.profile.total().as_secs_f64();
        // fit the scenario into the budget, leaving room for the timing samples
        let room = (budget.as_secs_f64() - 5.0).max(1.0);
        let scale = if planned > room { room / planned } else { 1.0 };
        let opts = LoadOptions {
            threads: self.threads.max(1),
            time_scale: scale,
            extra_roots: Vec::new(),
            stop: stop.clone(),
        };
        let watch_stop = ctx.stop.clone();
        let s2 = stop.clone();
        let watcher = std::thread::spawn(move || {
            while !s2.is_stopped() {
                if watch_stop.load(Ordering::SeqCst) {
                    s2.stop();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| InvestigatorError(e.to_string()))?;
        let result = rt.block_on(perfhive_load::run(&self.scenario, &opts, &mut NoProgress));
        stop.stop();
        let _ = watcher.join();
        let result = result.map_err(|e| InvestigatorError(format!("load test: {e}")))?;
        Ok(perfhive_load::build_record(&self.scenario, &result))
    }

    /// Mean Server-Timing phases per named request.
    fn server_timing(&self) -> BTreeMap<String, BTreeMap<String, f64>> {
        let mut out = BTreeMap::new();
        for r in &self.scenario.target.requests {
            let samples: Vec<timing::Phases> = (0..self.timing_samples)
                .filter_map(|_| {
                    timing::fetch(
                        &r.url,
                        &r.method,
                        &r.headers,
                        &r.body,
                        Duration::from_secs(10),
                    )
                    .ok()
                })
                .collect();
            let m = timing::mean_phases(&samples);
            if !m.is_empty() {
                out.insert(r.name.clone(), m);
            }
        }
        out
    }
}

impl Investigator for LoadInvestigator {
    fn name(&self) -> &'static str {
        "load"
    }

    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let record = self.baseline(ctx, deadline)?;
        let timing = self.server_timing();
        let m = &record.metrics;
        let mut findings = Vec::new();
        if m.requests == 0 {
            return Ok(InvestigatorResult {
                name: "load".into(),
                verdict: Verdict::InsufficientData,
                summary: "no request completed; nothing to analyse".into(),
                findings,
                data: serde_json::json!({ "record": record }),
                duration_s: 0.0,
                error: None,
            });
        }
        let lat = m.latency_ms.clone();
        if m.error_rate_pct >= 1.0 {
            findings.push(Finding {
                id: "load.errors".into(),
                investigator: "load".into(),
                title: format!("{:.1}% of requests fail", m.error_rate_pct),
                detail: format!(
                    "{} of {} requests failed: {:?}",
                    m.errors, m.requests, m.errors_by_class
                ),
                severity: (m.error_rate_pct / 10.0).clamp(0.3, 1.0),
                time_share: None,
                subject: "errors".into(),
                evidence: vec![ev(
                    "error rate",
                    m.error_rate_pct,
                    "%",
                    "/investigators/0/data/record/metrics/error_rate_pct",
                )],
                heuristic: false,
                functions: Vec::new(),
                files: Vec::new(),
                recommendation: None,
            });
        }
        if let Some(l) = &lat {
            if l.p50 > 0.0 && l.p99 / l.p50 >= 10.0 {
                findings.push(Finding {
                    id: "load.long-tail".into(),
                    investigator: "load".into(),
                    title: format!("long latency tail: p99 is {:.0}× the median", l.p99 / l.p50),
                    detail: format!("p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (corrected for coordinated omission)", l.p50, l.p99, l.max),
                    severity: 0.5,
                    time_share: None,
                    subject: "tail-latency".into(),
                    evidence: vec![ev("p50", l.p50, "ms", "/investigators/0/data/record/metrics/latency_ms/p50"), ev("p99", l.p99, "ms", "/investigators/0/data/record/metrics/latency_ms/p99")],
                    heuristic: false,
                    functions: Vec::new(),
                    files: Vec::new(),
                    recommendation: None,
                });
            }
        }
        if let Some(h) = record
            .histograms
            .latency
            .as_deref()
            .and_then(|t| LatencyHistogram::decode(t).ok())
        {
            if let Some(b) = bimodality(&h) {
                if b > 5.0 / 9.0 {
                    findings.push(Finding {
                        id: "load.bimodal".into(),
                        investigator: "load".into(),
                        title: "latency is bimodal: two populations of requests".into(),
                        detail: format!("Sarle's bimodality coefficient {b:.2} (> 0.555): a fast and a slow path (a cache, a lock, a second endpoint)"),
                        severity: 0.3,
                        time_share: None,
                        subject: "latency-distribution".into(),
                        evidence: vec![ev("bimodality coefficient", b, "", "/investigators/0/data/record/histograms/latency")],
                        heuristic: false,
                        functions: Vec::new(),
                        files: Vec::new(),
                        recommendation: None,
                    });
                }
            }
        }
        let conns = record.generator.connections_opened as f64;
        if let (Some(c), Some(l)) = (&m.connect_ms, &lat) {
            if conns / m.requests as f64 > 0.1 && c.p50 > 0.2 * l.p50 {
                findings.push(Finding {
                    id: "load.new-connections".into(),
                    investigator: "load".into(),
                    title: "new connections add to the tail".into(),
                    detail: format!("{} connections for {} requests; connect p50 {:.2} ms vs latency p50 {:.2} ms", conns, m.requests, c.p50, l.p50),
                    severity: 0.4,
                    time_share: Some((c.p50 / l.mean.max(1e-9)).min(1.0)),
                    subject: "connections".into(),
                    evidence: vec![ev("connections opened", conns, "", "/investigators/0/data/record/generator/connections_opened")],
                    heuristic: false,
                    functions: Vec::new(),
                    files: Vec::new(),
                    recommendation: Some(Recommendation {
                        action: "keep connections alive (client pool, server keep-alive timeout)".into(),
                        impact: format!("saves up to {:.2} ms per new connection", c.p50),
                        expected_speedup: None,
                        effort: Effort::Low,
                        risk: "more idle connections held open".into(),
                        mitigation: "bound the pool size".into(),
                    }),
                });
            }
        }
        // Where the time goes: Server-Timing phases weighted by each request's share of time.
        let mut phase_ms: BTreeMap<String, f64> = BTreeMap::new();
        let total_weight: f64 = record.requests.iter().map(|q| q.requests as f64).sum();
        for q in &record.requests {
            if let Some(phases) = timing.get(&q.name) {
                for (p, ms) in phases {
                    *phase_ms.entry(p.clone()).or_default() +=
                        ms * q.requests as f64 / total_weight.max(1.0);
                }
            }
        }
        let total_ms: f64 = phase_ms.values().sum();
        let mut breakdown: Vec<(String, f64, f64)> = phase_ms
            .iter()
            .map(|(p, ms)| (p.clone(), 100.0 * ms / total_ms.max(1e-9), *ms))
            .collect();
        breakdown.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (i, (phase, share, ms)) in breakdown.iter().enumerate() {
            if *share < 10.0 {
                continue;
            }
            findings.push(Finding {
                id: format!("load.phase.{phase}"),
                investigator: "load".into(),
                title: format!("{share:.0}% of request time is in `{phase}` ({ms:.2} ms per request)"),
                detail: format!("measured by the server's Server-Timing header over {} sequential samples per request", self.timing_samples),
                severity: if i == 0 { 0.9 } else { 0.6 },
                time_share: Some(share / 100.0),
                subject: subject_of_phase(phase),
                evidence: vec![ev(&format!("{phase} share"), *share, "%", "/investigators/0/data/server_timing")],
                heuristic: false,
                functions: Vec::new(),
                files: Vec::new(),
                recommendation: None,
            });
        }
        if !record.generator.valid {
            findings.push(Finding {
                id: "load.generator".into(),
                investigator: "load".into(),
                title: "the load generator limited this baseline".into(),
                detail: record.generator.warnings.join("; "),
                severity: 0.2,
                time_share: None,
                subject: "measurement".into(),
                evidence: vec![ev(
                    "generator cpu",
                    record.generator.cpu_pct,
                    "%",
                    "/investigators/0/data/record/generator/cpu_pct",
                )],
                heuristic: false,
                functions: Vec::new(),
                files: Vec::new(),
                recommendation: None,
            });
        }
        let summary = match &lat {
            Some(l) => format!(
                "{} requests at {:.1} req/s, {:.2}% errors; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms{}",
                m.requests,
                m.throughput_rps,
                m.error_rate_pct,
                l.p50,
                l.p95,
                l.p99,
                l.max,
                if breakdown.is_empty() { "; no Server-Timing from the target".to_string() } else { format!("; {} Server-Timing phases", breakdown.len()) }
            ),
            None => format!("{} requests, all failed", m.requests),
        };
        Ok(InvestigatorResult {
            name: "load".into(),
            verdict: if findings.is_empty() {
                Verdict::Clean
            } else {
                Verdict::Found
            },
            summary,
            findings,
            data: serde_json::json!({
                "record": record,
                "server_timing": timing,
                "breakdown": breakdown.iter().map(|(p, s, ms)| serde_json::json!({"phase": p, "share_pct": s, "mean_ms": ms})).collect::<Vec<_>>(),
            }),
            duration_s: 0.0,
            error: None,
        })
    }
}
