//! The sweep investigator: active experiments. Throughput and p50/p99 at concurrency levels
//! 1, 2, 4, … (closed model), with a Universal Scalability Law fit (Gunther: σ contention,
//! κ coherency, the peak N*), the knee (Kneedle), a Little's-law check (L = λW) and the target's
//! memory per level; then a sweep over a named parameter of the target (a query parameter, e.g.
//! a batch size), reporting the best value against the current one. Levels run one after the
//! other, each as a short `perfhive run`, and stop at the budget with what was measured.

pub use crate::data::Level;
use crate::data::{ParameterLevels, SweepData};
use crate::measure::load_test;
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
pub use crate::plan::Via;
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::record::RunRecord;
use perfhive_probe::{ProcessObserver, ProcessSelector};
use perfhive_scenario::{HttpVersion, Quick, RequestSpec, Scenario};
use std::time::{Duration, Instant};

const SWEEP: InvestigatorName = InvestigatorName::Sweep;

/// A sweep over one named parameter, passed as a query parameter.
#[derive(Clone, Debug)]
pub struct ParameterSweep {
    /// Parameter name.
    pub name: String,
    /// How it reaches the target.
    pub via: Via,
    /// Values, the first being the current setting.
    pub values: Vec<String>,
    /// Users during the parameter sweep.
    pub concurrency: u32,
    /// What the parameter is about, for joining with other investigators (`database`).
    pub subject: String,
}

/// Restarts the target with an environment variable set (`None`: as it was) and returns its
/// new pid.
pub type Restart = Box<dyn FnMut(Option<(&str, &str)>) -> Result<i32, String> + Send>;

/// The sweep experiments.
pub struct SweepInvestigator {
    /// Restarts the target per value of an `env` parameter.
    pub restart: Option<Restart>,
    /// The request to repeat.
    pub request: RequestSpec,
    /// Concurrency levels.
    pub levels: Vec<u32>,
    /// Length of each level.
    pub level_duration: Duration,
    /// Optional parameter sweep.
    pub parameter: Option<ParameterSweep>,
    /// Target processes, for memory per level.
    pub observe: Option<ProcessSelector>,
    /// Generator threads.
    pub threads: usize,
}

fn with_query(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

impl SweepInvestigator {
    fn measure(
        &self,
        url: &str,
        users: u32,
        ctx: &Context,
    ) -> Result<RunRecord, InvestigatorError> {
        let mut s = Scenario::quick(Quick {
            url: url.to_string(),
            method: self.request.method.clone(),
            headers: self.request.headers.clone(),
            body: self.request.body.clone(),
            rate: None,
            users: Some(users),
            duration: self.level_duration,
            warmup: Duration::from_millis(500),
            http: HttpVersion::Http1,
            timeout: Duration::from_secs(30),
            max_in_flight: None,
            insecure: false,
            criteria: Vec::new(),
            triggers: Vec::new(),
        })
        .map_err(InvestigatorError)?;
        s.name = format!("sweep {users}");
        load_test(&s, self.threads, 1.0, &ctx.stop)
            .map_err(|e| InvestigatorError(format!("sweep level: {e}")))
    }

    fn level(
        &self,
        record: &RunRecord,
        level: f64,
        label: String,
        observer: &mut Option<ProcessObserver>,
    ) -> Level {
        let l = record.metrics.latency_ms.clone();
        Level {
            level,
            label,
            throughput: record.metrics.throughput_rps,
            p50_ms: l.as_ref().map_or(0.0, |l| l.p50),
            p99_ms: l.as_ref().map_or(0.0, |l| l.p99),
            mean_ms: l.as_ref().map_or(0.0, |l| l.mean),
            error_rate_pct: record.metrics.error_rate_pct,
            ttfb_p50_ms: record.metrics.ttfb_ms.as_ref().map_or(0.0, |t| t.p50),
            rss_mb: observer.as_mut().and_then(|o| o.sample()).map(|p| p.rss_mb),
        }
    }
}

/// What the sweep's measurements say.
pub struct Analysis {
    /// Findings.
    pub findings: Vec<Finding>,
    /// USL fit of throughput over concurrency.
    pub usl: Option<perfhive_stats::UslFit>,
    /// Index of the knee level.
    pub knee: Option<usize>,
    /// Little's law: observed / expected concurrency per level.
    pub little: Vec<Option<f64>>,
}

fn ev(label: impl Into<String>, value: f64, unit: &str, path: &str) -> Evidence {
    Evidence::measured(label, value, unit, path)
}

/// The smallest level within 10% of the best throughput: the optimal operating point (or the
/// value to recommend), and the best.
fn optimal(levels: &[Level]) -> Option<(&Level, &Level)> {
    let best = levels
        .iter()
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput))?;
    let pick = levels
        .iter()
        .find(|l| l.throughput >= 0.9 * best.throughput)
        .unwrap_or(best);
    Some((pick, best))
}

/// The value of a parameter sweep worth recommending: the smallest within 10% of the best
/// throughput, when the best is at least 1.1× the current setting (the first value).
pub fn recommended_value(params: &[Level]) -> Option<&Level> {
    let first = params.first()?;
    let (pick, best) = optimal(params)?;
    (best.throughput / first.throughput.max(1e-9) >= 1.1).then_some(pick)
}

/// Analyses measured levels (pure: tested on recorded data).
pub fn analyse(levels: &[Level], params: &[Level], parameter: Option<&ParameterSweep>) -> Analysis {
    let mut findings = Vec::new();
    let ns: Vec<f64> = levels.iter().map(|l| l.level).collect();
    let xs: Vec<f64> = levels.iter().map(|l| l.throughput).collect();
    let usl = perfhive_stats::fit_usl(&ns, &xs);
    let knee = perfhive_stats::knee(&ns, &xs);
    let little: Vec<Option<f64>> = levels
        .iter()
        .map(|l| {
            perfhive_stats::littles_law_check(l.throughput, l.mean_ms / 1000.0, l.level)
                .map(|c| c.ratio)
        })
        .collect();
    if let (Some(fit), Some((optimal, best))) = (&usl, optimal(levels)) {
        findings.push(
            Finding::new(
                SWEEP,
                "sweep.scalability",
                "concurrency",
                format!(
                    "throughput peaks at {:.0} req/s; {} users are enough ({:.0} req/s, p99 {:.1} ms)",
                    best.throughput, optimal.label, optimal.throughput, optimal.p99_ms
                ),
                format!(
                    "USL fit σ = {:.3} (contention), κ = {:.5} (coherency), R² = {:.3}{}{}",
                    fit.sigma,
                    fit.kappa,
                    fit.r_squared,
                    fit.peak_n
                        .map(|n| format!(", predicted peak at N* = {n:.1}"))
                        .unwrap_or_default(),
                    knee.map(|k| format!("; knee at {} users", levels[k].label))
                        .unwrap_or_default()
                ),
            )
            .severity(fit.sigma.clamp(0.2, 0.8))
            .evidence([
                ev("σ", fit.sigma, "", "usl/sigma"),
                ev("best throughput", best.throughput, "req/s", "levels"),
            ])
            .recommend(Recommendation {
                action: format!(
                    "run at about {} concurrent requests (connection pool / worker count)",
                    optimal.label
                ),
                impact: format!(
                    "{:.0} req/s at p99 {:.1} ms; more concurrency only adds queueing",
                    optimal.throughput, optimal.p99_ms
                ),
                expected_speedup: None,
                effort: Effort::Low,
                risk: "a smaller pool queues bursts".into(),
                mitigation: "watch p99 and errors under the peak scenario".into(),
            }),
        );
    }
    if let (Some(p), Some(first), Some(pick)) =
        (parameter, params.first(), recommended_value(params))
    {
        let best = optimal(params).map_or(pick, |(_, best)| best);
        let speedup = pick.throughput / first.throughput.max(1e-9);
        findings.push(
            Finding::new(
                SWEEP,
                format!("sweep.parameter.{}", p.name),
                p.subject.clone(),
                format!("{}={} gives {:.1}× the throughput of {}={}", p.name, pick.label, speedup, p.name, first.label),
                format!(
                    "at {} users: {} → {:.0} req/s (p99 {:.1} ms) vs {:.0} req/s (p99 {:.1} ms); best measured {}={} ({:.0} req/s)",
                    p.concurrency, p.name, pick.throughput, pick.p99_ms, first.throughput, first.p99_ms, p.name, best.label, best.throughput
                ),
            )
            .severity(0.9)
            .evidence([
                ev(format!("throughput at {}={}", p.name, first.label), first.throughput, "req/s", "parameter"),
                ev(format!("throughput at {}={}", p.name, pick.label), pick.throughput, "req/s", "parameter"),
            ])
            .recommend(Recommendation {
                action: format!("set {} to {}", p.name, pick.label),
                impact: format!("{:.0} → {:.0} req/s measured ({speedup:.1}×)", first.throughput, pick.throughput),
                expected_speedup: Some(speedup),
                effort: Effort::Low,
                risk: format!("a larger {} can mean more data at risk on a crash, or more memory per request", p.name),
                mitigation: "flush on a timer as well as on size; measure memory per level (this sweep records it)".into(),
            }),
        );
    }
    if let Some(q) = queueing(levels) {
        findings.push(q);
    }
    Analysis {
        findings,
        usl,
        knee,
        little,
    }
}

/// Server-side queueing: time to first byte grows with concurrency while throughput does not.
fn queueing(levels: &[Level]) -> Option<Finding> {
    let (first, last) = (levels.first()?, levels.last()?);
    if levels.len() < 3 || first.ttfb_p50_ms <= 0.0 || first.throughput <= 0.0 {
        return None;
    }
    let ttfb_growth = last.ttfb_p50_ms / first.ttfb_p50_ms;
    let thr_growth = last.throughput / first.throughput;
    (ttfb_growth >= 3.0 && thr_growth < 1.5).then(|| {
        Finding::new(
            SWEEP,
            "sweep.queueing",
            "queueing",
            format!("requests queue in the server: time to first byte grows {ttfb_growth:.1}× from {} to {} users, throughput only {thr_growth:.2}×", first.label, last.label),
            format!(
                "median TTFB {:.2} ms → {:.2} ms while throughput {:.0} → {:.0} req/s: added concurrency waits for a serialised resource",
                first.ttfb_p50_ms, last.ttfb_p50_ms, first.throughput, last.throughput
            ),
        )
        .severity(0.6)
        .share((1.0 - 1.0 / ttfb_growth).clamp(0.0, 1.0))
        .evidence([
            ev("TTFB growth", ttfb_growth, "×", "levels"),
            ev("throughput growth", thr_growth, "×", "levels"),
        ])
    })
}

impl Investigator for SweepInvestigator {
    fn name(&self) -> InvestigatorName {
        SWEEP
    }

    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let mut observer = self
            .observe
            .clone()
            .map(|s| ProcessObserver::new("target", s));
        let per_level = self.level_duration + Duration::from_millis(700);
        let no_time = |ctx: &Context| ctx.stopped() || Instant::now() + per_level > deadline;
        let mut levels = Vec::new();
        for &n in &self.levels {
            if no_time(ctx) {
                break;
            }
            let r = self.measure(&self.request.url, n, ctx)?;
            levels.push(self.level(&r, n as f64, n.to_string(), &mut observer));
        }
        let mut params = Vec::new();
        if let Some(p) = &self.parameter {
            for v in &p.values {
                if no_time(ctx) {
                    break;
                }
                let url = match p.via {
                    Via::Query => with_query(&self.request.url, &p.name, v),
                    Via::Env => {
                        let restart = self.restart.as_mut().ok_or_else(|| {
                            InvestigatorError("an env parameter needs target.start".into())
                        })?;
                        let pid = match restart(Some((&p.name, v))) {
                            Ok(pid) => pid,
                            // interrupted while the target restarted: keep what was measured
                            Err(_) if ctx.stopped() => break,
                            Err(e) => return Err(InvestigatorError(e)),
                        };
                        observer = Some(ProcessObserver::new("target", ProcessSelector::Pid(pid)));
                        self.request.url.clone()
                    }
                };
                let r = self.measure(&url, p.concurrency, ctx)?;
                let x = v.parse::<f64>().unwrap_or(params.len() as f64);
                params.push(self.level(&r, x, v.clone(), &mut observer));
            }
            // back to the current setting, unless the investigation is stopping anyway
            if p.via == Via::Env && !ctx.stopped() {
                if let Some(restart) = self.restart.as_mut() {
                    restart(None).map_err(InvestigatorError)?;
                }
            }
        }
        let Analysis {
            findings,
            usl,
            knee,
            little,
        } = analyse(&levels, &params, self.parameter.as_ref());
        let summary = format!(
            "{} concurrency levels{}{}",
            levels.len(),
            usl.as_ref()
                .map(|f| format!(
                    ", USL σ {:.3} κ {:.5} (R² {:.3})",
                    f.sigma, f.kappa, f.r_squared
                ))
                .unwrap_or_default(),
            self.parameter
                .as_ref()
                .map(|p| format!("; {} values of {}", params.len(), p.name))
                .unwrap_or_default()
        );
        let enough = levels.len() + params.len() >= 3;
        let data = SweepData {
            levels,
            usl,
            knee,
            littles_law_ratio: little,
            parameter: self.parameter.as_ref().map(|p| ParameterLevels {
                name: p.name.clone(),
                concurrency: p.concurrency,
                levels: params,
            }),
        };
        Ok(
            InvestigatorResult::from_findings(SWEEP, summary, findings, Some(data.into()))
                .unless_enough(enough),
        )
    }
}
