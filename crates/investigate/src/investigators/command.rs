//! The command investigator, for targets that are a command or pipeline run repeatedly: the
//! `perfhive bench` engine runs it (each run measured alone with wait4: wall, user and system
//! time, peak RSS, context switches) and reports where the wall time goes — user CPU, system
//! CPU, or waiting (I/O, sleeps, locks, children) — plus unstable timings and memory; and, when
//! asked, a sweep of a parameter (a `{name}` placeholder in the command, or an environment
//! variable), judged with Mann–Whitney against the current value.

use crate::data::{CommandData, PhaseTime};
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_bench::{BenchOptions, CommandSpec, Io, Launcher, Metric, Observer, Planned};
use perfhive_core::bench::{BenchRecord, Sample};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// A command target.
pub struct CommandInvestigator {
    /// The command line (run through `sh -c`, so pipelines work).
    pub command: String,
    /// Measured runs.
    pub runs: usize,
    /// Warm-up runs.
    pub warmup: usize,
    /// Optional parameter sweep: name, values (the first is the current one), via env.
    pub parameter: Option<(String, Vec<String>, bool)>,
}

struct Quiet;

impl Observer for Quiet {
    fn plan(&mut self, _: &[Planned], _: usize) {}
    fn sample(&mut self, _: usize, _: usize, _: &Sample) {}
}

const COMMAND: InvestigatorName = InvestigatorName::Command;

fn finding(id: &str, subject: &str, title: String, detail: String) -> Finding {
    Finding::new(COMMAND, format!("command.{id}"), subject, title, detail)
}

impl CommandInvestigator {
    fn bench(
        &self,
        commands: Vec<CommandSpec>,
        stop: &AtomicBool,
    ) -> Result<BenchRecord, InvestigatorError> {
        let opts = BenchOptions {
            commands,
            warmup: self.warmup,
            runs: Some(self.runs.max(2)),
            launcher: Launcher::Shell("sh".into()),
            io: Io::default(),
            metric: Metric::Wall,
            spawner: std::env::current_exe()
                .ok()
                .map(|exe| (exe, vec!["__spawn".to_string()])),
            ..BenchOptions::default()
        };
        let m = perfhive_bench::run(&opts, &mut Quiet, stop)
            .map_err(|e| InvestigatorError(e.to_string()))?;
        Ok(perfhive_bench::analysis::build_record(
            &m,
            perfhive_bench::analysis::RecordInfo {
                name: "investigation",
                date: String::new(),
                metric: Metric::Wall,
                interleaved: true,
                shell: Some("sh".into()),
                notes: None,
            },
        ))
    }
}

/// Findings of one command's runs and where its wall time goes (pure: tested on recorded
/// data).
pub fn assess(r: &BenchRecord) -> (Vec<Finding>, Vec<PhaseTime>) {
    let mut findings = Vec::new();
    let Some(c) = r.commands.first() else {
        return (findings, Vec::new());
    };
    let wall = c.wall_s.mean.max(1e-9);
    let (user, sys) = (c.user_s.mean, c.system_s.mean);
    let wait = (wall - user - sys).max(0.0);
    let phase = |phase: &str, s: f64| PhaseTime {
        phase: phase.into(),
        share_pct: 100.0 * s / wall,
        mean_ms: s * 1e3,
    };
    let mut breakdown = vec![
        phase("user CPU", user),
        phase("system CPU", sys),
        phase("waiting", wait),
    ];
    breakdown.sort_by(|a, b| b.share_pct.total_cmp(&a.share_pct));
    let cpu_share = (user + sys) / wall;
    if cpu_share >= 0.8 {
        findings.push(
            finding(
                "cpu-bound",
                "cpu",
                format!(
                    "CPU-bound: {:.0}% of the wall time is on CPU ({:.0}% user, {:.0}% system)",
                    100.0 * cpu_share,
                    100.0 * user / wall,
                    100.0 * sys / wall
                ),
                format!("mean wall {:.1} ms over {} runs", wall * 1e3, c.runs.len()),
            )
            .severity(0.8)
            .share(cpu_share.min(1.0))
            .evidence([Evidence::measured(
                "CPU share of wall time",
                100.0 * cpu_share,
                "%",
                "commands/0/user_s",
            )])
            .recommend(Recommendation {
                action: "profile the command and cut its CPU (perfhive profile)".into(),
                impact: "wall time falls with the CPU saved".into(),
                expected_speedup: None,
                effort: Effort::Medium,
                risk: "behaviour changes".into(),
                mitigation: "perfhive bench --baseline before/after".into(),
            }),
        );
    } else if wait / wall >= 0.5 {
        let vcs =
            c.runs.iter().map(|s| s.voluntary_cs as f64).sum::<f64>() / c.runs.len().max(1) as f64;
        findings.push(
            finding(
                "waiting",
                "waiting",
                format!(
                    "the command mostly waits: {:.0}% of its wall time is off CPU",
                    100.0 * wait / wall
                ),
                format!(
                    "{:.1} ms of {:.1} ms per run waiting (I/O, sleeps, locks, network); {vcs:.0} voluntary context switches per run",
                    wait * 1e3,
                    wall * 1e3
                ),
            )
            .severity(0.7)
            .share(wait / wall)
            .evidence([Evidence::measured(
                "off-CPU share",
                100.0 * wait / wall,
                "%",
                "commands/0/wall_s",
            )]),
        );
    }
    if c.outliers.len() * 10 >= c.runs.len() && !c.outliers.is_empty() {
        findings.push(
            finding(
                "unstable",
                "variance",
                format!(
                    "unstable timings: {} of {} runs {}",
                    c.outliers.len(),
                    c.runs.len(),
                    if c.outliers.len() == 1 {
                        "is an outlier"
                    } else {
                        "are outliers"
                    }
                ),
                format!(
                    "wall {:.1} ± {:.1} ms, min {:.1}, max {:.1}",
                    wall * 1e3,
                    c.wall_s.stdev * 1e3,
                    c.wall_s.min * 1e3,
                    c.wall_s.max * 1e3
                ),
            )
            .severity(0.3)
            .evidence([Evidence::measured(
                "outliers",
                c.outliers.len() as f64,
                "runs",
                "commands/0/outliers",
            )]),
        );
    }
    (findings, breakdown)
}

/// The finding of a parameter sweep: the best value, significantly faster than the current
/// one (Mann–Whitney, Holm-adjusted), when there is one.
fn parameter_finding(name: &str, r: &BenchRecord) -> Option<Finding> {
    let (i, best) = r
        .comparisons
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.ratio.total_cmp(&b.1.ratio))?;
    if !(best.ratio < 0.9 && best.p_adjusted.or(best.p_value).is_some_and(|p| p < 0.05)) {
        return None;
    }
    let speedup = 1.0 / best.ratio;
    Some(
        finding(
            &format!("parameter.{name}"),
            &name.to_lowercase(),
            format!(
                "{} is {:.1}× faster than {}",
                best.candidate, speedup, best.reference
            ),
            format!(
                "ratio {:.3} [{:.3} … {:.3}], Mann–Whitney p = {:.2e} (Holm-adjusted)",
                best.ratio,
                best.ratio_ci.0,
                best.ratio_ci.1,
                best.p_adjusted.unwrap_or(1.0)
            ),
        )
        .severity(0.9)
        .evidence([Evidence::measured(
            "ratio",
            best.ratio,
            "",
            &format!("sweep/comparisons/{i}"),
        )])
        .recommend(Recommendation {
            action: format!("set {}", best.candidate),
            impact: format!("{speedup:.1}× faster per run (measured)"),
            expected_speedup: Some(speedup),
            effort: Effort::Low,
            risk: format!("other effects of {name} (memory, output) change too"),
            mitigation: "the sweep's record keeps peak RSS per value; check it".into(),
        }),
    )
}

impl Investigator for CommandInvestigator {
    fn name(&self) -> InvestigatorName {
        COMMAND
    }

    fn run(
        &mut self,
        ctx: &Context,
        _deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        // the baseline runs the current setting: a placeholder gets the first value
        let current = match &self.parameter {
            Some((name, values, false)) => self.command.replace(
                &format!("{{{name}}}"),
                values.first().map(String::as_str).unwrap_or(""),
            ),
            _ => self.command.clone(),
        };
        let base = self.bench(
            vec![CommandSpec {
                name: Some("current".into()),
                line: current,
            }],
            &ctx.stop,
        )?;
        let (mut findings, breakdown) = assess(&base);
        let mut sweep = None;
        if let Some((name, values, env)) = self.parameter.as_ref().filter(|_| !ctx.stopped()) {
            let commands: Vec<CommandSpec> = values
                .iter()
                .map(|v| CommandSpec {
                    name: Some(format!("{name}={v}")),
                    line: if *env {
                        format!("{name}={} {}", shell_words_quote(v), self.command)
                    } else {
                        self.command.replace(&format!("{{{name}}}"), v)
                    },
                })
                .collect();
            let r = self.bench(commands, &ctx.stop)?;
            findings.extend(parameter_finding(name, &r));
            sweep = Some(r);
        }
        let c = base.commands.first();
        let summary = c
            .map(|c| format!("{} runs: wall {:.1} ± {:.1} ms, user {:.1} ms, system {:.1} ms, peak RSS {:.1} MiB", c.runs.len(), c.wall_s.mean * 1e3, c.wall_s.stdev * 1e3, c.user_s.mean * 1e3, c.system_s.mean * 1e3, c.max_rss_mb.max))
            .unwrap_or_else(|| "no run completed".into());
        let enough = c.is_some_and(|c| c.runs.len() >= 3);
        let data = CommandData {
            commands: base.commands,
            breakdown,
            sweep,
        };
        Ok(
            InvestigatorResult::from_findings(COMMAND, summary, findings, Some(data.into()))
                .unless_enough(enough),
        )
    }
}

fn shell_words_quote(v: &str) -> String {
    if v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}
