//! The profile investigator: CPU stacks of the target's process during the baseline
//! (`perf record -e cpu-clock -g` through perfhive-profile), its hot functions by self and
//! inclusive share, and the flame graph as an artefact. A hot function is joined to the other
//! investigators' findings by subject (a `render_*` or `*json*` frame is serialization, a
//! `sqlite*` or `*query*` frame is the database), so a phase that is slow in Server-Timing or
//! traces *and* hot in the profile ranks higher. Without perf, or without permission, the
//! verdict says exactly what to install or change.

use crate::model::{Evidence, Finding, InvestigatorResult, Verdict};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_profile::{ProfileError, ProfileOptions, Target};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Profiles a running target.
pub struct ProfileInvestigator {
    /// The process.
    pub pid: i32,
    /// How long to sample.
    pub duration: Duration,
    /// Samples per second.
    pub hz: u32,
    /// Where perf writes (a scratch folder).
    pub work_dir: PathBuf,
}

/// The subject a function name is evidence about.
pub fn subject_of_function(f: &str) -> Option<&'static str> {
    let l = f.to_ascii_lowercase();
    if [
        "sqlite",
        "query",
        "pq",
        "mysql",
        "fsync",
        "fdatasync",
        "jbd2",
        "ext4",
    ]
    .iter()
    .any(|k| l.contains(k))
    {
        Some("database")
    } else if ["render", "serial", "json", "encode", "format", "to_string"]
        .iter()
        .any(|k| l.contains(k))
    {
        Some("serialization")
    } else {
        None
    }
}

impl Investigator for ProfileInvestigator {
    fn name(&self) -> &'static str {
        "profile"
    }

    fn run(
        &mut self,
        _ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let duration = self.duration.min(
            deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(Duration::from_secs(3)),
        );
        let target = Target::Pid {
            pid: self.pid,
            duration: duration.max(Duration::from_secs(1)),
        };
        let opts = ProfileOptions {
            frequency_hz: self.hz,
            title: Some("CPU during the baseline".into()),
            ..ProfileOptions::default()
        };
        let p = match perfhive_profile::profile_with(&target, &self.work_dir, &opts) {
            Ok(p) => p,
            Err(
                e @ (ProfileError::PerfMissing { .. }
                | ProfileError::NotPermitted { .. }
                | ProfileError::NoSamples),
            ) => {
                return Ok(InvestigatorResult {
                    name: "profile".into(),
                    verdict: Verdict::InsufficientData,
                    summary: format!("no CPU profile: {e}"),
                    findings: Vec::new(),
                    data: serde_json::Value::Null,
                    duration_s: 0.0,
                    error: Some(e.to_string()),
                });
            }
            Err(e) => return Err(InvestigatorError(e.to_string())),
        };
        let mut findings = Vec::new();
        for (i, f) in p.top.iter().enumerate().take(5) {
            if f.self_pct < 10.0 {
                continue;
            }
            let subject = subject_of_function(&f.function).unwrap_or("cpu");
            findings.push(Finding {
                id: format!("profile.hot.{i}"),
                investigator: "profile".into(),
                title: format!(
                    "`{}` is {:.0}% of the CPU samples (self), {:.0}% inclusive",
                    f.function, f.self_pct, f.inclusive_pct
                ),
                detail: format!(
                    "{} stack samples of pid {} at {} Hz; flame graph in flamegraph.svg",
                    p.samples, self.pid, self.hz
                ),
                severity: (f.self_pct / 100.0).clamp(0.3, 0.9),
                time_share: None,
                subject: subject.into(),
                evidence: vec![Evidence {
                    label: format!("{} self share", f.function),
                    value: (f.self_pct * 10.0).round() / 10.0,
                    unit: "%".into(),
                    pointer: format!("/investigators/profile/data/top/{i}"),
                }],
                heuristic: false,
                functions: vec![f.function.clone()],
                files: Vec::new(),
                recommendation: None,
            });
        }
        let summary = format!(
            "{} samples; top by self time: {}",
            p.samples,
            p.top
                .iter()
                .take(3)
                .map(|f| format!("{} {:.0}%", f.function, f.self_pct))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(InvestigatorResult {
            name: "profile".into(),
            verdict: if findings.is_empty() {
                Verdict::Clean
            } else {
                Verdict::Found
            },
            summary,
            findings,
            data: serde_json::json!({
                "samples": p.samples,
                "top": p.top.iter().map(|f| serde_json::json!({"function": f.function, "self_pct": f.self_pct, "inclusive_pct": f.inclusive_pct, "samples": f.samples})).collect::<Vec<_>>(),
                "top_inclusive": p.top_inclusive.iter().take(10).map(|f| serde_json::json!({"function": f.function, "self_pct": f.self_pct, "inclusive_pct": f.inclusive_pct})).collect::<Vec<_>>(),
                "flamegraph": p.flamegraph,
                "offcpu": p.offcpu.as_ref().map(|o| serde_json::json!({"running_pct": o.running_pct, "sleeping_pct": o.sleeping_pct, "disk_wait_pct": o.disk_wait_pct})),
            }),
            duration_s: 0.0,
            error: None,
        })
    }
}
