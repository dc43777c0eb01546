//! The profile investigator: CPU stacks of the target's process tree during the baseline, each
//! process in its own language (perfhive-profile: py-spy for CPython — every worker, function,
//! file and line —, perf with V8's perf map for Node.js, perf for native code), the
//! application's hot functions first with file:line, and the flame graph as an artefact. A
//! profiler that cannot attach is a finding naming it and the command that installs it. A hot function is joined to the other
//! investigators' findings by subject (a `render_*` or `*json*` frame is serialization, a
//! `sqlite*` or `*query*` frame is the database), so a phase that is slow in Server-Timing or
//! traces *and* hot in the profile ranks higher. Without perf, or without permission, the
//! verdict says exactly what to install or change.

use crate::data::{HotFunction, OffCpuShares, ProfileData, ProfiledProcess};
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::route::Route;
use perfhive_profile::{FrameKind, FunctionShare, ProfileError, ProfileOptions, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Profiles a running target: the process and its descendants, each in its own language.
pub struct ProfileInvestigator {
    /// The root of the service's tree (the `sh -c` perfhive started, or the process the plan
    /// names): its descendants are profiled too.
    pub pid: i32,
    /// How long to sample.
    pub duration: Duration,
    /// Samples per second.
    pub hz: u32,
    /// Where perf writes (a scratch folder).
    pub work_dir: PathBuf,
    /// The py-spy binary (`None`: `py-spy` on the `PATH`).
    pub py_spy: Option<PathBuf>,
    /// The requests the baseline sent: when it sent one route only, the hot functions are
    /// about that route.
    pub routes: Vec<Route>,
    /// Where source paths are shown from (the plan's folder).
    pub base: PathBuf,
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

/// Hot application functions at or above this share of the samples (their own code and what
/// it called) make a finding.
const HOT_PCT: f64 = 10.0;

/// `path` relative to `base` when it is under it.
fn shown(path: &str, base: &Path) -> String {
    Path::new(path)
        .strip_prefix(base)
        .map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

/// `function (file:line)` with the file shown from `base`.
fn located(f: &FunctionShare, base: &Path) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("`{}` ({}:{line})", f.function, shown(file, base)),
        (Some(file), None) => format!("`{}` ({})", f.function, shown(file, base)),
        _ => format!("`{}`", f.function),
    }
}

/// The findings of a profile (pure): the application's hot functions (by the share of samples
/// whose innermost application frame they are), with file:line, about the baseline's route when
/// it had one; else the hottest functions by self time; and one finding per profiler issue,
/// with its remedy.
pub fn findings(
    p: &perfhive_profile::Profile,
    pid: i32,
    hz: u32,
    routes: &[Route],
    base: &Path,
) -> Vec<Finding> {
    let profilers: Vec<&str> = p.profilers().iter().map(|k| k.as_str()).collect();
    let source = format!(
        "{} stack samples of pid {pid} and its children at {hz} Hz ({}); flame graph in flamegraph.svg",
        p.samples,
        if profilers.is_empty() { "no profiler".to_string() } else { profilers.join(", ") }
    );
    let app: Vec<(usize, &FunctionShare)> = p
        .hot
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == Some(FrameKind::Application) && f.attributed_pct >= HOT_PCT)
        .take(5)
        .collect();
    let mut out: Vec<Finding> = if app.is_empty() {
        p.top
            .iter()
            .enumerate()
            .take(5)
            .filter(|(_, f)| f.self_pct >= HOT_PCT)
            .map(|(i, f)| {
                // A kernel function is where the service's system calls spend their time, not
                // code to change: it is reported as such, with no function to "cut".
                let kernel = f.kind == Some(FrameKind::Kernel);
                let finding = Finding::new(
                    PROFILE,
                    format!("profile.hot.{i}"),
                    subject_of_function(&f.function).unwrap_or("cpu"),
                    if kernel {
                        format!(
                            "the kernel's `{}` is {:.0}% of the CPU samples (self): time in the \
                             service's system calls, not in its own code",
                            f.function, f.self_pct
                        )
                    } else {
                        format!(
                            "{} is {:.0}% of the CPU samples (self), {:.0}% inclusive",
                            located(f, base),
                            f.self_pct,
                            f.inclusive_pct
                        )
                    },
                    source.clone(),
                )
                .severity((f.self_pct / 100.0).clamp(0.3, 0.9) * if kernel { 0.5 } else { 1.0 })
                .evidence([Evidence::measured(
                    format!("{} self share", f.function),
                    (f.self_pct * 10.0).round() / 10.0,
                    "%",
                    &format!("top/{i}"),
                )]);
                if kernel {
                    finding
                } else {
                    finding
                        .functions([f.function.clone()])
                        .files(f.file.clone())
                }
            })
            .collect()
    } else {
        app.into_iter()
            .map(|(i, f)| {
                Finding::new(
                    PROFILE,
                    format!("profile.hot.{i}"),
                    subject_of_function(&f.function).unwrap_or("cpu"),
                    format!(
                        "{} takes {:.0}% of the CPU samples (its own code {:.0}%)",
                        located(f, base),
                        f.attributed_pct,
                        f.self_pct
                    ),
                    format!(
                        "the application's hottest function: {:.0}% of the samples have it as \
                         their innermost application frame; {source}",
                        f.attributed_pct
                    ),
                )
                .severity((f.attributed_pct / 100.0).clamp(0.3, 0.9))
                .share((f.attributed_pct / 100.0).clamp(0.0, 1.0))
                .evidence([Evidence::measured(
                    format!("{} attributed share", f.function),
                    (f.attributed_pct * 10.0).round() / 10.0,
                    "%",
                    &format!("hot/{i}/attributed_pct"),
                )])
                .functions([f.function.clone()])
                .files(f.file.clone())
                .routes(routes.iter().cloned())
                .recommend(hot_fix(f, base))
            })
            .collect()
    };
    for (i, issue) in p.issues.iter().enumerate() {
        out.push(
            Finding::new(
                PROFILE,
                format!("profile.issue.{i}"),
                "profiler",
                format!("{} could not profile as it should", issue.profiler.as_str()),
                issue.to_string(),
            )
            .severity(0.2)
            .evidence([Evidence::measured(
                "profiler issues",
                p.issues.len() as f64,
                "",
                &format!("issues/{i}"),
            )]),
        );
    }
    out
}

/// Below this share of a hot function's samples in its own code, the time is in what it calls.
const OWN_CODE_SHARE: f64 = 0.5;

/// What to do about a hot application function, naming it with its file:line: its own code
/// (a loop, a computation) or the library and runtime code it calls (an ORM's row building,
/// serialisation), by where its samples are.
fn hot_fix(f: &FunctionShare, base: &Path) -> Recommendation {
    let at = located(f, base);
    let own = f.attributed_pct > 0.0 && f.self_pct >= OWN_CODE_SHARE * f.attributed_pct;
    let action = if own {
        format!(
            "cut the CPU time of {at}: its own code is {:.0}% of the samples; do less work per call (a better algorithm, fewer iterations), cache its result, or move the loop to native code; a CPU-bound call also holds its worker while it runs",
            f.self_pct
        )
    } else {
        format!(
            "cut the CPU spent under {at}: {:.0}% of the samples are in the library and runtime code it calls (its own code {:.0}%); call it less often, fetch or build fewer objects, or use a cheaper call (the flame graph shows which)",
            f.attributed_pct - f.self_pct,
            f.self_pct
        )
    };
    Recommendation {
        action,
        impact: format!(
            "{:.0}% of the service's CPU samples have {at} as their innermost application frame",
            f.attributed_pct
        ),
        expected_speedup: None,
        effort: Effort::Medium,
        risk: "a change to a hot path can change its results as well as its speed".into(),
        mitigation: "compare before and after with `perfhive compare`; keep the tests green".into(),
    }
}

/// When no profiler could attach: one finding per profiler that could not, naming it and the
/// command that installs it (or the setting that allows it).
fn unavailable(e: &ProfileError) -> Vec<Finding> {
    let finding = |i: usize, profiler: &str, detail: String| {
        Finding::new(
            PROFILE,
            format!("profile.unavailable.{i}"),
            "profiler",
            format!("no CPU profile: {profiler} could not attach"),
            detail,
        )
        .severity(0.3)
    };
    match e {
        ProfileError::ProfilersFailed { issues } => issues
            .iter()
            .enumerate()
            .map(|(i, issue)| finding(i, issue.profiler.as_str(), issue.to_string()))
            .collect(),
        ProfileError::PerfMissing { .. } | ProfileError::NotPermitted { .. } => {
            vec![finding(0, "perf", e.to_string())]
        }
        _ => Vec::new(),
    }
}

fn hot_function(f: &FunctionShare, samples: Option<u64>) -> HotFunction {
    HotFunction {
        function: f.function.clone(),
        self_pct: f.self_pct,
        inclusive_pct: f.inclusive_pct,
        samples,
        file: f.file.clone(),
        line: f.line,
        kind: f.kind.map(|k| k.as_str().to_string()),
        attributed_pct: f.kind.map(|_| f.attributed_pct),
    }
}

/// The profile as the investigator's data.
fn data(p: &perfhive_profile::Profile) -> ProfileData {
    ProfileData {
        samples: p.samples,
        top: p
            .top
            .iter()
            .map(|f| hot_function(f, Some(f.samples)))
            .collect(),
        top_inclusive: p
            .top_inclusive
            .iter()
            .take(10)
            .map(|f| hot_function(f, None))
            .collect(),
        flamegraph: p.flamegraph.clone(),
        offcpu: p.offcpu.as_ref().map(|o| OffCpuShares {
            running_pct: o.running_pct,
            sleeping_pct: o.sleeping_pct,
            disk_wait_pct: o.disk_wait_pct,
        }),
        hot: p.hot.iter().map(|f| hot_function(f, None)).collect(),
        processes: p
            .processes
            .iter()
            .map(|q| ProfiledProcess {
                pid: q.pid,
                process: q.process.clone(),
                runtime: q.runtime.label(),
                role: q.role.as_str().to_string(),
                profiler: q.profiler.map(|k| k.as_str().to_string()),
                samples: q.samples,
            })
            .collect(),
        issues: p.issues.iter().map(|i| i.to_string()).collect(),
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
            py_spy: Some(
                self.py_spy
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("py-spy")),
            ),
            title: Some("CPU during the baseline".into()),
            stop: Some(ctx.stop.clone()),
            ..ProfileOptions::default()
        };
        let p = match perfhive_profile::profile_with(&target, &self.work_dir, &opts) {
            Ok(p) => p,
            Err(
                e @ (ProfileError::PerfMissing { .. }
                | ProfileError::NotPermitted { .. }
                | ProfileError::ProfilersFailed { .. }
                | ProfileError::NoSamples),
            ) => {
                let mut r =
                    InvestigatorResult::insufficient(PROFILE, format!("no CPU profile: {e}"), None);
                r.findings = unavailable(&e);
                r.error = Some(e.to_string());
                return Ok(r);
            }
            Err(e) => return Err(InvestigatorError(e.to_string())),
        };
        let processes: Vec<String> = p
            .processes
            .iter()
            .filter(|q| q.samples > 0)
            .map(|q| {
                format!(
                    "{} {} ({}, {})",
                    q.process,
                    q.pid,
                    q.runtime.label(),
                    q.profiler.map_or("not profiled", |k| k.as_str())
                )
            })
            .collect();
        let summary = format!(
            "{} samples of {} process(es): {}; hot: {}{}",
            p.samples,
            processes.len(),
            processes.join(", "),
            p.hot
                .iter()
                .take(3)
                .map(|f| format!(
                    "{} {:.0}%",
                    located(f, &self.base),
                    f.attributed_pct.max(f.self_pct)
                ))
                .collect::<Vec<_>>()
                .join(", "),
            if p.issues.is_empty() {
                String::new()
            } else {
                format!("; {} profiler issue(s)", p.issues.len())
            }
        );
        Ok(InvestigatorResult::from_findings(
            PROFILE,
            summary,
            findings(&p, self.pid, self.hz, &self.routes, &self.base),
            Some(data(&p).into()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(function: &str, line: u32, self_pct: f64, attributed_pct: f64) -> FunctionShare {
        FunctionShare {
            function: function.into(),
            file: Some("/srv/shop/app.py".into()),
            line: Some(line),
            kind: Some(FrameKind::Application),
            self_pct,
            inclusive_pct: attributed_pct,
            attributed_pct,
            samples: 0,
            inclusive_samples: 0,
            attributed_samples: 0,
        }
    }

    /// A profile of 4,000 samples with these hot (application) and top (self time) functions.
    fn profile(hot: Vec<FunctionShare>, top: Vec<FunctionShare>) -> perfhive_profile::Profile {
        perfhive_profile::Profile {
            folded: String::new(),
            hot,
            top,
            top_inclusive: Vec::new(),
            processes: Vec::new(),
            issues: Vec::new(),
            flamegraph: PathBuf::new(),
            folded_path: PathBuf::new(),
            perf_data: None,
            py_spy_raw: Vec::new(),
            samples: 4000,
            offcpu: None,
        }
    }

    /// Every hot application function carries a recommendation naming it with its file:line,
    /// about its own code when the samples are there, else about what it calls.
    #[test]
    fn hot_application_functions_carry_a_fix_naming_them_with_file_and_line() {
        let p = profile(
            vec![
                share("recent_orders.<locals>.<listcomp>", 50, 0.2, 25.0),
                share("loyalty_score", 81, 23.0, 23.4),
            ],
            Vec::new(),
        );
        let found = findings(&p, 1, 49, &[], Path::new("/srv/shop"));
        let fix = |name: &str| {
            found
                .iter()
                .find(|f| f.functions.iter().any(|x| x == name))
                .and_then(|f| f.recommendation.clone())
                .unwrap_or_else(|| panic!("no recommendation for {name}: {found:#?}"))
        };
        let loyalty = fix("loyalty_score");
        assert!(
            loyalty.action.contains("`loyalty_score` (app.py:81)")
                && loyalty.action.contains("its own code"),
            "{}",
            loyalty.action
        );
        let listcomp = fix("recent_orders.<locals>.<listcomp>");
        assert!(
            listcomp.action.contains("(app.py:50)") && listcomp.action.contains("calls"),
            "{}",
            listcomp.action
        );
    }

    /// Without a hot application function the hottest functions by self time are reported;
    /// a kernel one says where the time is but names no function to cut.
    #[test]
    fn a_hot_kernel_function_is_reported_but_not_as_code_to_change() {
        let kernel = FunctionShare {
            kind: Some(FrameKind::Kernel),
            file: None,
            line: None,
            ..share("iowrite16", 0, 30.0, 30.0)
        };
        let library = FunctionShare {
            kind: Some(FrameKind::Library),
            ..share("sqlite3VdbeExec", 0, 20.0, 20.0)
        };
        let p = profile(Vec::new(), vec![kernel, library]);
        let found = findings(&p, 1, 49, &[], Path::new("/srv"));
        let k = found
            .iter()
            .find(|f| f.title.contains("iowrite16"))
            .unwrap();
        assert!(
            k.functions.is_empty() && k.title.starts_with("the kernel's"),
            "{k:#?}"
        );
        let l = found
            .iter()
            .find(|f| f.title.contains("sqlite3VdbeExec"))
            .unwrap();
        assert_eq!(l.functions, ["sqlite3VdbeExec"]);
        assert!(l.severity > k.severity, "{} vs {}", l.severity, k.severity);
    }
}
