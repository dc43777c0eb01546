//! The sweep investigator: active experiments. Throughput and p50/p99 at concurrency levels
//! 1, 2, 4, … (closed model), with a Universal Scalability Law fit (Gunther: σ contention,
//! κ coherency, the peak N*), the knee (Kneedle), a Little's-law check (L = λW) and the target's
//! memory per level; then a sweep over a named parameter of the target (a query parameter, e.g.
//! a batch size), reporting the best value against the current one. Levels run one after the
//! other, each as a short `perfhive run` extended until it has enough requests for its p99
//! ([`super::level`]), and stop at the budget with what was measured. No advice comes from a
//! poor fit: a USL fit with R² below [`MIN_R_SQUARED`] gives "insufficient data" unless the
//! throughput is flat and the fit predicts every level within [`MAX_FLAT_ERROR`], the level to
//! run at is read off the fitted curve (so two sweeps of one service agree), and host noise
//! measured over the levels lowers the findings' confidence.

use super::level::{LevelRun, Measured};
pub use crate::data::Level;
use crate::data::{ParameterLevels, SweepData};
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
pub use crate::plan::Via;
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_probe::{HostNoise, ProcessSelector};
use perfhive_scenario::RequestSpec;
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
    /// Why the concurrency levels give no advice, when they give none.
    pub insufficient: Option<String>,
}

/// A USL fit explaining less than this share of the throughput's variance gives no advice,
/// unless it matches every level within [`MAX_FLAT_ERROR`].
pub const MIN_R_SQUARED: f64 = 0.8;

/// Largest relative error at any level for a fit that is good although its R² is low: when
/// the throughput hardly changes with concurrency (one saturated thread or worker), there is
/// little variance to explain and R² says nothing, while a curve within a few percent of every
/// level is still a good fit.
pub const MAX_FLAT_ERROR: f64 = 0.05;

/// Whether the fit is within [`MAX_FLAT_ERROR`] of the throughput at every level.
fn matches_every_level(levels: &[Level], fit: &perfhive_stats::UslFit) -> bool {
    !levels.is_empty()
        && levels.iter().all(|l| {
            l.throughput > 0.0
                && ((perfhive_stats::usl_predict(fit, l.level) - l.throughput) / l.throughput).abs()
                    <= MAX_FLAT_ERROR
        })
}

/// The level to run at from a good fit: the smallest measured level whose *fitted* throughput
/// is within 10% of the best fitted one — read off the curve rather than the noisy points, so
/// two sweeps of the same service advise the same level.
fn optimal_by_fit<'a>(levels: &'a [Level], fit: &perfhive_stats::UslFit) -> Option<&'a Level> {
    let predicted = |l: &Level| perfhive_stats::usl_predict(fit, l.level);
    let best = levels.iter().map(predicted).fold(f64::NAN, f64::max);
    levels
        .iter()
        .filter(|l| predicted(l) >= 0.9 * best)
        .min_by(|a, b| a.level.total_cmp(&b.level))
}

/// The CPU verdict at a level, as a clause: `; at 4 users: CPU-bound on one thread (GIL): …`.
fn cpu_at(l: &Level) -> String {
    l.cpu
        .as_ref()
        .map(|c| format!("; at {}: {}", users(&l.label), c.headline()))
        .unwrap_or_default()
}

/// A level's label as a number of users: `1 user`, `8 users`.
fn users(label: &str) -> String {
    format!("{label} user{}", if label == "1" { "" } else { "s" })
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
    let short: Vec<&str> = levels
        .iter()
        .filter(|l| !l.enough_requests())
        .map(|l| l.label.as_str())
        .collect();
    let short_note = if short.is_empty() {
        String::new()
    } else {
        format!(
            "; levels {} completed fewer than {} requests in their time: their p99 is not reliable",
            short.join(", "),
            super::level::MIN_REQUESTS
        )
    };
    let fit = match &usl {
        None if levels.len() < 3 => Err(format!(
            "{} concurrency level(s) measured: at least 3 are needed for a scalability fit",
            levels.len()
        )),
        None => Err("the Universal Scalability Law could not be fitted to the levels".into()),
        Some(f) if f.r_squared < MIN_R_SQUARED && !matches_every_level(levels, f) => Err(format!(
            "the USL fit explains too little of the throughput (R² = {:.2} < {MIN_R_SQUARED}): \
             the levels are too noisy or too few to advise a concurrency",
            f.r_squared
        )),
        Some(f) => Ok(f),
    };
    let best = levels
        .iter()
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput));
    let insufficient = match (&fit, best) {
        (Ok(fit), Some(best)) => {
            let optimal = optimal_by_fit(levels, fit).unwrap_or(best);
            findings.push(
                Finding::new(
                    SWEEP,
                    "sweep.scalability",
                    "concurrency",
                    format!(
                        "throughput peaks at {:.0} req/s; {} enough ({:.0} req/s, p99 {:.1} ms)",
                        best.throughput,
                        if optimal.label == "1" {
                            "1 user is".to_string()
                        } else {
                            format!("{} are", users(&optimal.label))
                        },
                        optimal.throughput,
                        optimal.p99_ms
                    ),
                    format!(
                        "USL fit σ = {:.3} (contention), κ = {:.5} (coherency), R² = {:.3}{}{}{}{}",
                        fit.sigma,
                        fit.kappa,
                        fit.r_squared,
                        fit.peak_n
                            .map(|n| format!(", predicted peak at N* = {n:.1}"))
                            .unwrap_or_default(),
                        knee.map(|k| format!("; knee at {}", users(&levels[k].label)))
                            .unwrap_or_default(),
                        cpu_at(best),
                        short_note
                    ),
                )
                .severity(fit.sigma.clamp(0.2, 0.8))
                .evidence([
                    ev("σ", fit.sigma, "", "usl/sigma"),
                    ev("R²", fit.r_squared, "", "usl/r_squared"),
                    ev("best throughput", best.throughput, "req/s", "levels"),
                ])
                .recommend(Recommendation {
                    action: format!(
                        "run at about {} (connection pool / worker count)",
                        if optimal.label == "1" {
                            "1 concurrent request".to_string()
                        } else {
                            format!("{} concurrent requests", optimal.label)
                        }
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
            None
        }
        (Err(why), _) if !levels.is_empty() => Some(format!("{why}{short_note}")),
        _ => None,
    };
    if let (Some(p), Some(first), Some(pick)) =
        (parameter, params.first(), recommended_value(params))
    {
        let best = optimal(params).map_or(pick, |(_, best)| best);
        // a value whose level completed no request has no throughput to divide by: the
        // finding says so instead of a ratio
        let measured_first = first.throughput > 0.0 && first.requests != Some(0);
        let speedup = if measured_first {
            pick.throughput / first.throughput
        } else {
            f64::NAN
        };
        let title = if measured_first {
            format!(
                "{}={} gives {:.1}× the throughput of {}={}",
                p.name, pick.label, speedup, p.name, first.label
            )
        } else {
            format!(
                "{}={} gives {:.0} req/s where {}={} completed no request in its level",
                p.name, pick.label, pick.throughput, p.name, first.label
            )
        };
        let impact = if measured_first {
            format!(
                "{:.0} → {:.0} req/s measured ({speedup:.1}×)",
                first.throughput, pick.throughput
            )
        } else {
            format!(
                "{:.0} req/s measured; {}={} completed no request, so no ratio is given",
                pick.throughput, p.name, first.label
            )
        };
        findings.push(
            Finding::new(
                SWEEP,
                format!("sweep.parameter.{}", p.name),
                p.subject.clone(),
                title,
                format!(
                    "at {}: {} → {:.0} req/s (p99 {:.1} ms) vs {:.0} req/s (p99 {:.1} ms); best measured {}={} ({:.0} req/s)",
                    users(&p.concurrency.to_string()), p.name, pick.throughput, pick.p99_ms, first.throughput, first.p99_ms, p.name, best.label, best.throughput
                ),
            )
            .severity(0.9)
            .evidence([
                ev(format!("throughput at {}={}", p.name, first.label), first.throughput, "req/s", "parameter"),
                ev(format!("throughput at {}={}", p.name, pick.label), pick.throughput, "req/s", "parameter"),
            ])
            .recommend(Recommendation {
                action: format!("set {} to {}", p.name, pick.label),
                impact,
                expected_speedup: measured_first.then_some(speedup),
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
        insufficient,
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
            format!("requests queue in the server: time to first byte grows {ttfb_growth:.1}× from {} to {}, throughput only {thr_growth:.2}×", first.label, users(&last.label)),
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
        // a level takes its length, its warm-up and the generator's start at least
        let per_level = self.level_duration + Duration::from_millis(700);
        let no_time = |ctx: &Context| ctx.stopped() || Instant::now() + per_level > deadline;
        let mut observe = self.observe.clone();
        let mut noise: Option<HostNoise> = None;
        let mut keep = |m: Measured| {
            if let Some(n) = m.noise {
                if noise
                    .as_ref()
                    .is_none_or(|w| n.confidence() < w.confidence())
                {
                    noise = Some(n);
                }
            }
            m.level
        };
        let mut levels = Vec::new();
        for &n in &self.levels {
            if no_time(ctx) {
                break;
            }
            let run = LevelRun {
                request: &self.request,
                url: &self.request.url,
                users: n,
                duration: self.level_duration,
                threads: self.threads,
                observe: observe.as_ref(),
            };
            levels.push(keep(run.measure(ctx, deadline, n as f64, n.to_string())?));
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
                        observe = Some(ProcessSelector::Pid(pid));
                        self.request.url.clone()
                    }
                };
                let run = LevelRun {
                    request: &self.request,
                    url: &url,
                    users: p.concurrency,
                    duration: self.level_duration,
                    threads: self.threads,
                    observe: observe.as_ref(),
                };
                let x = v.parse::<f64>().unwrap_or(params.len() as f64);
                params.push(keep(run.measure(ctx, deadline, x, v.clone())?));
            }
            // back to the current setting, unless the investigation is stopping anyway
            if p.via == Via::Env && !ctx.stopped() {
                if let Some(restart) = self.restart.as_mut() {
                    restart(None).map_err(InvestigatorError)?;
                }
            }
        }
        let Analysis {
            mut findings,
            usl,
            knee,
            little,
            insufficient,
        } = analyse(&levels, &params, self.parameter.as_ref());
        if let Some(n) = &noise {
            super::resources::lower_confidence(&mut findings, n);
        }
        let summary = format!(
            "{} concurrency levels{}{}{}",
            levels.len(),
            usl.as_ref()
                .map(|f| format!(
                    ", USL σ {:.3} κ {:.5} (R² {:.3})",
                    f.sigma, f.kappa, f.r_squared
                ))
                .unwrap_or_default(),
            insufficient
                .as_ref()
                .map(|w| format!("; no concurrency advice: {w}"))
                .unwrap_or_default(),
            self.parameter
                .as_ref()
                .map(|p| format!("; {} values of {}", params.len(), p.name))
                .unwrap_or_default()
        );
        let parameter_found = findings.iter().any(|f| f.id.starts_with("sweep.parameter"));
        let enough =
            levels.len() + params.len() >= 3 && (insufficient.is_none() || parameter_found);
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
            insufficient,
            noise,
        };
        Ok(
            InvestigatorResult::from_findings(SWEEP, summary, findings, Some(data.into()))
                .unless_enough(enough),
        )
    }
}
