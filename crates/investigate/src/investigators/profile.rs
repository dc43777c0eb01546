//! The profile investigator: CPU stacks of the target's process during the baseline
//! (`perf record -e cpu-clock -g` through perfhive-profile), its hot functions by self and
//! inclusive share, and the flame graph as an artefact. A hot function is joined to the other
//! investigators' findings by subject (a `render_*` or `*json*` frame is serialization, a
//! `sqlite*` or `*query*` frame is the database), so a phase that is slow in Server-Timing or
//! traces *and* hot in the profile ranks higher. Without perf, or without permission, the
//! verdict says exactly what to install or change.

use crate::data::{HotFunction, OffCpuShares, ProfileData};
use crate::model::{Evidence, Finding, InvestigatorName, InvestigatorResult};
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

const PROFILE: InvestigatorName = InvestigatorName::Profile;

/// The findings of a profile: the hot functions by self time (at least 10% of the samples).
fn findings(p: &perfhive_profile::Profile, pid: i32, hz: u32) -> Vec<Finding> {
    p.top
        .iter()
        .enumerate()
        .take(5)
        .filter(|(_, f)| f.self_pct >= 10.0)
        .map(|(i, f)| {
            Finding::new(
                PROFILE,
                format!("profile.hot.{i}"),
                subject_of_function(&f.function).unwrap_or("cpu"),
                format!(
                    "`{}` is {:.0}% of the CPU samples (self), {:.0}% inclusive",
                    f.function, f.self_pct, f.inclusive_pct
                ),
                format!(
                    "{} stack samples of pid {pid} at {hz} Hz; flame graph in flamegraph.svg",
                    p.samples
                ),
            )
            .severity((f.self_pct / 100.0).clamp(0.3, 0.9))
            .evidence([Evidence::measured(
                format!("{} self share", f.function),
                (f.self_pct * 10.0).round() / 10.0,
                "%",
                &format!("top/{i}"),
            )])
            .functions([f.function.clone()])
        })
        .collect()
}

/// The profile as the investigator's data.
fn data(p: &perfhive_profile::Profile) -> ProfileData {
    ProfileData {
        samples: p.samples,
        top: p
            .top
            .iter()
            .map(|f| HotFunction {
                function: f.function.clone(),
                self_pct: f.self_pct,
                inclusive_pct: f.inclusive_pct,
                samples: Some(f.samples),
            })
            .collect(),
        top_inclusive: p
            .top_inclusive
            .iter()
            .take(10)
            .map(|f| HotFunction {
                function: f.function.clone(),
                self_pct: f.self_pct,
                inclusive_pct: f.inclusive_pct,
                samples: None,
            })
            .collect(),
        flamegraph: p.flamegraph.clone(),
        offcpu: p.offcpu.as_ref().map(|o| OffCpuShares {
            running_pct: o.running_pct,
            sleeping_pct: o.sleeping_pct,
            disk_wait_pct: o.disk_wait_pct,
        }),
    }
}

impl Investigator for ProfileInvestigator {
    fn name(&self) -> InvestigatorName {
        PROFILE
    }

    fn run(
        &mut self,
        ctx: &Context,
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
            stop: Some(ctx.stop.clone()),
            ..ProfileOptions::default()
        };
        let p = match perfhive_profile::profile_with(&target, &self.work_dir, &opts) {
            Ok(p) => p,
            Err(
                e @ (ProfileError::PerfMissing { .. }
                | ProfileError::NotPermitted { .. }
                | ProfileError::NoSamples),
            ) => {
                let mut r =
                    InvestigatorResult::insufficient(PROFILE, format!("no CPU profile: {e}"), None);
                r.error = Some(e.to_string());
                return Ok(r);
            }
            Err(e) => return Err(InvestigatorError(e.to_string())),
        };
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
        Ok(InvestigatorResult::from_findings(
            PROFILE,
            summary,
            findings(&p, self.pid, self.hz),
            Some(data(&p).into()),
        ))
    }
}
