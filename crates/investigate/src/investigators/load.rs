//! The load investigator: a baseline with the `perfhive run` engine (latency spectrum,
//! throughput, errors), client-side hints (a request whose own latency is bimodal by Sarle's
//! bimodality coefficient, the slowest request by name, a tail tied to new connections, server
//! time vs transfer time), and where the time goes from `Server-Timing` when the target sends
//! it. Findings name the routes of the requests they are about, so the integrator can join them.

use super::timing;
use crate::data::{LoadData, PhaseTime, ServerTiming};
use crate::measure::load_test;
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::record::RunRecord;
use perfhive_core::route::Route;
use perfhive_core::LatencyHistogram;
use perfhive_scenario::Scenario;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const LOAD: InvestigatorName = InvestigatorName::Load;

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

/// The route of each named request of the mix (`POST /ingest`), from the record's
/// `METHOD url`.
pub fn request_routes(record: &RunRecord) -> BTreeMap<String, Route> {
    record
        .target
        .requests
        .iter()
        .map(|m| (m.name.clone(), Route::parse(&m.request)))
        .collect()
}

/// A request whose p50 is at least this fraction of the slowest's is named with it.
const SLOWEST_TIE: f64 = 0.8;

/// Per-request findings: a request whose own latency is bimodal (a mix of a fast and a slow
/// request is not bimodal: it is two requests), and the slowest request by name when it is
/// at least twice as slow as the fastest (with the requests tied with it).
fn per_request(record: &RunRecord) -> Vec<Finding> {
    let routes = request_routes(record);
    let route = |name: &str| routes.get(name).cloned().into_iter();
    let mut out = Vec::new();
    for (i, q) in record.requests.iter().enumerate() {
        let b = q
            .histogram
            .as_deref()
            .and_then(|t| LatencyHistogram::decode(t).ok())
            .and_then(|h| bimodality(&h))
            .filter(|b| *b > 5.0 / 9.0);
        if let Some(b) = b {
            out.push(
                Finding::new(
                    LOAD,
                    format!("load.bimodal.{}", q.name),
                    "latency-distribution",
                    format!("latency of `{}` is bimodal: two populations within one request", q.name),
                    format!("Sarle's bimodality coefficient {b:.2} (> 0.555) over the `{}` requests alone: a fast and a slow path (a cache, a lock, a retry)", q.name),
                )
                .severity(0.3)
                .routes(route(&q.name))
                .evidence([Evidence::measured(
                    "bimodality coefficient",
                    b,
                    "",
                    &format!("record/requests/{i}/histogram"),
                )]),
            );
        }
    }
    let timed: Vec<(usize, &perfhive_core::record::RequestResult, f64, f64)> = record
        .requests
        .iter()
        .enumerate()
        .filter_map(|(i, q)| q.latency_ms.as_ref().map(|l| (i, q, l.p50, l.p95)))
        .filter(|t| t.2 > 0.0)
        .collect();
    let slowest = timed.iter().max_by(|a, b| a.2.total_cmp(&b.2));
    let fastest = timed.iter().min_by(|a, b| a.2.total_cmp(&b.2));
    if let (Some(&(i, s, p50, p95)), Some(&(_, f, fp50, _))) = (slowest, fastest) {
        if timed.len() >= 2 && p50 >= 2.0 * fp50 {
            // Requests within a fifth of the slowest are tied with it: on one run their order
            // is noise (two runs of the same service swap them), so they are named together.
            let mut tied: Vec<&(usize, &perfhive_core::record::RequestResult, f64, f64)> = timed
                .iter()
                .filter(|t| t.0 != i && t.2 >= SLOWEST_TIE * p50 && t.2 >= 2.0 * fp50)
                .collect();
            tied.sort_by(|a, b| b.2.total_cmp(&a.2));
            let title = if tied.is_empty() {
                format!(
                    "`{}` is the slowest request: p50 {p50:.1} ms, {:.1}× `{}`",
                    s.name,
                    p50 / fp50,
                    f.name
                )
            } else {
                let names: Vec<String> = std::iter::once(s.name.as_str())
                    .chain(tied.iter().map(|t| t.1.name.as_str()))
                    .map(|n| format!("`{n}`"))
                    .collect();
                let p50s: Vec<String> = std::iter::once(p50)
                    .chain(tied.iter().map(|t| t.2))
                    .map(|v| format!("{v:.1}"))
                    .collect();
                format!(
                    "{} are the slowest requests, within a fifth of each other: p50 {} ms, {:.1}× `{}` and more",
                    names.join(" and "),
                    p50s.join(" and "),
                    tied.last().map_or(p50, |t| t.2) / fp50,
                    f.name
                )
            };
            let mut finding = Finding::new(
                LOAD,
                "load.slowest-request",
                "latency",
                title,
                format!(
                    "`{}`: p50 {p50:.1} ms, p95 {p95:.1} ms over {} requests; `{}`: p50 {fp50:.1} ms",
                    s.name, s.requests, f.name
                ),
            )
            .severity(0.5)
            .routes(route(&s.name))
            .evidence([Evidence::measured(
                format!("{} p50", s.name),
                p50,
                "ms",
                &format!("record/requests/{i}/latency_ms/p50"),
            )]);
            for t in &tied {
                finding = finding
                    .routes(route(&t.1.name))
                    .evidence([Evidence::measured(
                        format!("{} p50", t.1.name),
                        t.2,
                        "ms",
                        &format!("record/requests/{}/latency_ms/p50", t.0),
                    )]);
            }
            out.push(finding);
        }
    }
    out
}

/// Adds the routes findings are about: a Server-Timing phase is about the requests that
/// reported it, the error rate about the requests that failed.
fn attach_routes(findings: &mut [Finding], record: &RunRecord, timing: &ServerTiming) {
    let routes = request_routes(record);
    for f in findings.iter_mut().filter(|f| f.routes.is_empty()) {
        let names: Vec<&String> = if let Some(phase) = f.id.strip_prefix("load.phase.") {
            timing
                .iter()
                .filter(|(_, phases)| phases.iter().any(|(p, _)| p == phase))
                .map(|(name, _)| name)
                .collect()
        } else if f.id == "load.errors" {
            record
                .requests
                .iter()
                .filter(|q| q.errors > 0)
                .map(|q| &q.name)
                .collect()
        } else {
            continue;
        };
        f.routes
            .extend(names.iter().filter_map(|n| routes.get(*n)).cloned());
    }
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

impl LoadInvestigator {
    fn baseline(&self, ctx: &Context, deadline: Instant) -> Result<RunRecord, InvestigatorError> {
        let budget = deadline.saturating_duration_since(Instant::now());
        let planned = self.scenario.profile.total().as_secs_f64();
        // fit the scenario into the budget, leaving room for the timing samples
        let room = (budget.as_secs_f64() - 5.0).max(1.0);
        let scale = if planned > room { room / planned } else { 1.0 };
        load_test(&self.scenario, self.threads, scale, &ctx.stop)
            .map_err(|e| InvestigatorError(format!("load test: {e}")))
    }

    /// Mean Server-Timing phases per named request (none once the investigation stops).
    fn server_timing(&self, ctx: &Context) -> ServerTiming {
        let mut out = BTreeMap::new();
        for r in &self.scenario.target.requests {
            let samples: Vec<timing::Phases> = (0..self.timing_samples)
                .take_while(|_| !ctx.stopped())
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

/// Where the time goes: Server-Timing phases weighted by each request's share of the
/// requests, largest first.
pub fn breakdown(record: &RunRecord, timing: &ServerTiming) -> Vec<PhaseTime> {
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
    let mut breakdown: Vec<PhaseTime> = phase_ms
        .into_iter()
        .map(|(phase, mean_ms)| PhaseTime {
            phase,
            share_pct: 100.0 * mean_ms / total_ms.max(1e-9),
            mean_ms,
        })
        .collect();
    breakdown.sort_by(|a, b| b.share_pct.total_cmp(&a.share_pct));
    breakdown
}

/// The findings of a baseline and its breakdown (pure: tested on recorded data).
pub fn assess(record: &RunRecord, breakdown: &[PhaseTime], timing_samples: usize) -> Vec<Finding> {
    let m = &record.metrics;
    let finding = |id: &str, subject: &str, title: String, detail: String| {
        Finding::new(LOAD, format!("load.{id}"), subject, title, detail)
    };
    let mut findings = Vec::new();
    let lat = m.latency_ms.as_ref();
    if m.error_rate_pct >= 1.0 {
        findings.push(
            finding(
                "errors",
                "errors",
                format!("{:.1}% of requests fail", m.error_rate_pct),
                format!(
                    "{} of {} requests failed: {:?}",
                    m.errors, m.requests, m.errors_by_class
                ),
            )
            .severity((m.error_rate_pct / 10.0).clamp(0.3, 1.0))
            .evidence([Evidence::measured(
                "error rate",
                m.error_rate_pct,
                "%",
                "record/metrics/error_rate_pct",
            )]),
        );
    }
    if let Some(l) = lat.filter(|l| l.p50 > 0.0 && l.p99 / l.p50 >= 10.0) {
        findings.push(
            finding(
                "long-tail",
                "tail-latency",
                format!("long latency tail: p99 is {:.0}× the median", l.p99 / l.p50),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (corrected for coordinated omission)",
                    l.p50, l.p99, l.max
                ),
            )
            .evidence([
                Evidence::measured("p50", l.p50, "ms", "record/metrics/latency_ms/p50"),
                Evidence::measured("p99", l.p99, "ms", "record/metrics/latency_ms/p99"),
            ]),
        );
    }
    findings.extend(per_request(record));
    let conns = record.generator.connections_opened as f64;
    if let (Some(c), Some(l)) = (&m.connect_ms, lat) {
        if conns / m.requests as f64 > 0.1 && c.p50 > 0.2 * l.p50 {
            findings.push(
                finding(
                    "new-connections",
                    "connections",
                    "new connections add to the tail".into(),
                    format!(
                        "{} connections for {} requests; connect p50 {:.2} ms vs latency p50 {:.2} ms",
                        conns, m.requests, c.p50, l.p50
                    ),
                )
                .severity(0.4)
                .share((c.p50 / l.mean.max(1e-9)).min(1.0))
                .evidence([Evidence::measured(
                    "connections opened",
                    conns,
                    "",
                    "record/generator/connections_opened",
                )])
                .recommend(Recommendation {
                    action: "keep connections alive (client pool, server keep-alive timeout)"
                        .into(),
                    impact: format!("saves up to {:.2} ms per new connection", c.p50),
                    expected_speedup: None,
                    effort: Effort::Low,
                    risk: "more idle connections held open".into(),
                    mitigation: "bound the pool size".into(),
                }),
            );
        }
    }
    for (i, p) in breakdown.iter().enumerate() {
        if p.share_pct < 10.0 {
            continue;
        }
        findings.push(
            finding(
                &format!("phase.{}", p.phase),
                &subject_of_phase(&p.phase),
                format!(
                    "{:.0}% of request time is in `{}` by Server-Timing ({:.2} ms per request)",
                    p.share_pct, p.phase, p.mean_ms
                ),
                format!("measured by the server's Server-Timing header over {timing_samples} sequential samples per request"),
            )
            .severity(if i == 0 { 0.9 } else { 0.6 })
            .share(p.share_pct / 100.0)
            .evidence([Evidence::measured(
                format!("{} share", p.phase),
                p.share_pct,
                "%",
                "server_timing",
            )]),
        );
    }
    if !record.generator.valid {
        findings.push(
            finding(
                "generator",
                "measurement",
                "the load generator limited this baseline".into(),
                record.generator.warnings.join("; "),
            )
            .severity(0.2)
            .evidence([Evidence::measured(
                "generator cpu",
                record.generator.cpu_pct,
                "%",
                "record/generator/cpu_pct",
            )]),
        );
    }
    findings
}

/// The one-paragraph summary of a baseline.
fn summary(record: &RunRecord, breakdown: &[PhaseTime]) -> String {
    let m = &record.metrics;
    match &m.latency_ms {
        Some(l) => format!(
            "{} requests at {:.1} req/s, {:.2}% errors; latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms{}",
            m.requests,
            m.throughput_rps,
            m.error_rate_pct,
            l.p50,
            l.p95,
            l.p99,
            l.max,
            if breakdown.is_empty() {
                "; no Server-Timing from the target".to_string()
            } else {
                format!("; {} Server-Timing phases", breakdown.len())
            }
        ),
        None => format!("{} requests, all failed", m.requests),
    }
}

impl Investigator for LoadInvestigator {
    fn name(&self) -> InvestigatorName {
        LOAD
    }

    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let record = self.baseline(ctx, deadline)?;
        if record.metrics.requests == 0 {
            let data = LoadData {
                record,
                server_timing: None,
                breakdown: None,
            };
            return Ok(InvestigatorResult::insufficient(
                LOAD,
                "no request completed; nothing to analyse",
                Some(data.into()),
            ));
        }
        let timing = self.server_timing(ctx);
        let breakdown = breakdown(&record, &timing);
        let mut findings = assess(&record, &breakdown, self.timing_samples);
        attach_routes(&mut findings, &record, &timing);
        let summary = summary(&record, &breakdown);
        let data = LoadData {
            record,
            server_timing: Some(timing),
            breakdown: Some(breakdown),
        };
        Ok(InvestigatorResult::from_findings(
            LOAD,
            summary,
            findings,
            Some(data.into()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(p50: f64) -> serde_json::Value {
        serde_json::json!({"count": 100, "min": p50 / 2.0, "mean": p50, "stdev": 1.0, "p50": p50,
            "p75": p50, "p90": p50, "p95": p50 * 1.2, "p99": p50 * 1.5, "p99_9": p50 * 2.0, "max": p50 * 2.0})
    }

    /// A load record of three requests with these p50s, ms.
    fn record(p50s: [(&str, &str, f64); 3]) -> RunRecord {
        let requests: Vec<serde_json::Value> = p50s
            .iter()
            .map(|(n, _, p)| {
                serde_json::json!({"name": n, "requests": 100, "errors": 0,
                "error_rate_pct": 0.0, "latency_ms": summary(*p), "latency_uncorrected_ms": null,
                "ttfb_ms": null, "status_codes": {"200": 100}})
            })
            .collect();
        let mix: Vec<serde_json::Value> = p50s
            .iter()
            .map(|(n, r, _)| serde_json::json!({"name": n, "request": r, "weight": 1}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": "1.0.0", "kind": "load", "tool": {"name": "perfhive", "version": "0"},
            "scenario": "shop", "date": "2026-01-01T00:00:00Z", "duration_s": 10.0, "status": "passed",
            "target": {"url": "http://127.0.0.1:1/", "http_version": "http/1.1", "requests": mix, "timeout_ms": 1000.0},
            "workload": {"model": "closed", "concurrency": 4, "planned_duration_s": 10.0},
            "metrics": {"latency_ms": summary(50.0), "throughput_rps": 30.0, "error_rate_pct": 0.0,
                        "requests": 300, "errors": 0, "dropped_requests": 0, "bytes_sent": 0, "bytes_received": 0,
                        "errors_by_class": {}, "status_codes": {"200": 300}},
            "phases": [], "requests": requests, "timeseries": [],
            "generator": {"threads": 1, "cpu_pct": 5.0, "cpu_ms_per_request": 0.1, "late_requests": 0,
                          "dropped_requests": 0, "max_in_flight": 4, "in_flight_limit": 100, "connections_opened": 4,
                          "peak_rss_mb": 10.0, "bottleneck": false, "valid": true, "warnings": []},
            "histograms": {"encoding": "hdr-v2-deflate-base64", "unit": "us",
                           "latency": perfhive_core::LatencyHistogram::new().encode()}
        }))
        .expect("a valid load record")
    }

    fn slowest(r: &RunRecord) -> Finding {
        per_request(r)
            .into_iter()
            .find(|f| f.id == "load.slowest-request")
            .expect("a slowest-request finding")
    }

    #[test]
    fn requests_tied_with_the_slowest_are_named_with_it() {
        // two runs of one service swap which of two slow requests is slower: both are named,
        // with both routes, in either order
        for (recent, loyalty) in [(92.7, 80.1), (76.0, 79.5)] {
            let f = slowest(&record([
                ("customer", "GET /customers/7", 8.7),
                ("recent-orders", "GET /orders/recent", recent),
                ("loyalty", "GET /reports/loyalty", loyalty),
            ]));
            let routes: Vec<String> = f.routes.iter().map(|r| r.to_string()).collect();
            assert_eq!(routes.len(), 2, "{routes:?}");
            assert!(
                routes.iter().any(|r| r.contains("/orders/recent")),
                "{routes:?}"
            );
            assert!(
                routes.iter().any(|r| r.contains("/reports/loyalty")),
                "{routes:?}"
            );
            assert!(f.title.contains("are the slowest requests"), "{}", f.title);
        }
        // clearly slower: named alone
        let f = slowest(&record([
            ("customer", "GET /customers/7", 8.7),
            ("recent-orders", "GET /orders/recent", 92.7),
            ("loyalty", "GET /reports/loyalty", 50.0),
        ]));
        assert_eq!(f.routes.len(), 1);
        assert!(
            f.title
                .starts_with("`recent-orders` is the slowest request"),
            "{}",
            f.title
        );
    }

    #[test]
    fn a_phase_title_names_its_source() {
        let r = record([
            ("customer", "GET /customers/7", 8.7),
            ("recent-orders", "GET /orders/recent", 92.7),
            ("loyalty", "GET /reports/loyalty", 50.0),
        ]);
        let phases = [PhaseTime {
            phase: "db".into(),
            share_pct: 61.0,
            mean_ms: 30.0,
        }];
        let f = assess(&r, &phases, 12)
            .into_iter()
            .find(|f| f.id == "load.phase.db")
            .expect("a phase finding");
        assert_eq!(
            f.title,
            "61% of request time is in `db` by Server-Timing (30.00 ms per request)"
        );
    }
}
