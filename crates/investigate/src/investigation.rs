//! One investigation end to end: the baseline scenario from the plan, the load and resources
//! investigators side by side on it, then the sweep's active experiments (alone, so they do not
//! disturb the baseline), and the integrator's report with a runnable validation plan.

use crate::integrator::{integrate, Inputs};
use crate::investigators::{load::LoadInvestigator, resources::ResourcesInvestigator, sweep};
use crate::plan::Plan;
use crate::report::{Report, ValidationStep};
use crate::runner::{run_all, Context, Investigator};
pub use crate::started::{start_target, StartedTarget};
use crate::InvestigatorResult;
use perfhive_probe::ProcessSelector;
use perfhive_scenario::{HttpVersion, Quick, RequestSpec, Scenario};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Why an investigation could not start.
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    /// The plan's scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] perfhive_scenario::ScenarioError),
    /// Another problem with the plan.
    #[error("{0}")]
    Plan(String),
}

/// A finished investigation.
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// Raw data files: (file name, bytes).
    pub raw: Vec<(String, Vec<u8>)>,
    /// The baseline scenario (for re-measuring).
    pub scenario: Scenario,
}

/// The URL of an HTTP plan (validated by [`Plan::from_str_at`]).
fn http_url(plan: &Plan) -> &str {
    plan.target.url.as_deref().unwrap_or_default()
}

/// A command target: the command investigator (the bench engine) with its parameter sweep,
/// and the code investigator when the plan names a source path.
fn run_command(
    plan: &Plan,
    plan_dir: &Path,
    command: &str,
    plan_ref: &str,
    stop: Arc<AtomicBool>,
) -> Outcome {
    let started = Instant::now();
    let date = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let ctx = Context {
        target_url: command.to_string(),
        stop,
    };
    let parameter = plan
        .investigators
        .sweep
        .as_ref()
        .and_then(|s| s.parameter.as_ref())
        .map(|p| {
            (
                p.name.clone(),
                p.values.clone(),
                p.via.as_deref() == Some("env"),
            )
        });
    let inv = crate::investigators::command::CommandInvestigator {
        command: command.to_string(),
        runs: plan.load.runs.unwrap_or(20).max(3),
        warmup: plan.load.warmup.unwrap_or(2),
        parameter,
    };
    let mut investigators: Vec<Box<dyn crate::runner::Investigator>> = vec![Box::new(inv)];
    if let Some(c) = &plan.investigators.code {
        investigators.push(Box::new(code_investigator(c, plan_dir)));
    }
    let mut results = run_all(
        investigators,
        &ctx,
        Duration::from_secs_f64(plan.budget_seconds),
    );
    let inv = &plan.investigators;
    let not_applied = [
        (inv.resources.is_some(), "resources", "a command target is measured per run with wait4 (CPU, peak RSS, context switches) by the command investigator; /proc sampling applies to long-running services"),
        (inv.profile.is_some(), "profile", "not run on a command target: profile one run with `perfhive profile -- sh -c COMMAND`"),
        (inv.traces.is_some(), "traces", "not run on a command target: give the service as target.url with target.start, or export OTLP to `perfhive traces --duration 30s` while the command runs"),
    ];
    for (_, name, summary) in not_applied.into_iter().filter(|(on, _, _)| *on) {
        results.push(InvestigatorResult {
            name: name.into(),
            verdict: crate::Verdict::InsufficientData,
            summary: summary.into(),
            findings: Vec::new(),
            data: serde_json::Value::Null,
            duration_s: 0.0,
            error: None,
        });
    }
    let raw: Vec<(String, Vec<u8>)> = results
        .iter()
        .filter(|r| !r.data.is_null())
        .map(|r| {
            (
                format!("{}.json", r.name),
                serde_json::to_vec_pretty(&r.data).unwrap_or_default(),
            )
        })
        .collect();
    let q = shell_quote(command);
    let validation = vec![
        ValidationStep { purpose: "re-measure the whole investigation".into(), command: format!("perfhive investigate {}", shell_quote(plan_ref)) },
        ValidationStep { purpose: "re-measure the command alone (stored in the history)".into(), command: format!("perfhive bench --shell sh {q} --runs 20 --name {}", shell_quote(&plan.name)) },
        ValidationStep { purpose: "after a change: compare with the run before, fail on a regression".into(), command: format!("perfhive bench --shell sh {q} --runs 20 --name {} --baseline latest && perfhive compare latest~1 latest --name {} --metric wall_s --fail-on-regression", shell_quote(&plan.name), shell_quote(&plan.name)) },
    ];
    let report = integrate(
        results,
        Inputs {
            name: &plan.name,
            date,
            target: command,
            duration_s: started.elapsed().as_secs_f64(),
            validation,
            data_files: raw.iter().map(|(n, _)| n.clone()).collect(),
        },
    );
    let mut scenario = Scenario::quick(Quick {
        url: "http://127.0.0.1/".into(),
        method: "GET".into(),
        headers: Vec::new(),
        body: Vec::new(),
        rate: None,
        users: Some(1),
        duration: Duration::from_secs(1),
        warmup: Duration::ZERO,
        http: HttpVersion::Auto,
        timeout: Duration::from_secs(1),
        max_in_flight: None,
        insecure: false,
        criteria: Vec::new(),
        triggers: Vec::new(),
    })
    .expect("a static quick scenario is valid");
    scenario.name = plan.name.clone();
    Outcome {
        report,
        raw,
        scenario,
    }
}

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The baseline scenario of a plan.
pub fn baseline_scenario(plan: &Plan, plan_dir: &Path) -> Result<Scenario, InvestigateError> {
    let mut s = baseline_workload(plan, plan_dir)?;
    for c in &plan.success_criteria {
        s.criteria.push(
            perfhive_core::Criterion::parse(c)
                .map_err(|e| InvestigateError::Plan(format!("success criterion `{c}`: {e}")))?,
        );
    }
    Ok(s)
}

fn baseline_workload(plan: &Plan, plan_dir: &Path) -> Result<Scenario, InvestigateError> {
    let l = &plan.load;
    if let Some(file) = &l.scenario {
        return Ok(Scenario::from_file(&plan_dir.join(file))?);
    }
    let first = &l.requests[0];
    let mut s = Scenario::quick(Quick {
        url: join(http_url(plan), &first.path),
        method: first.method.clone().unwrap_or_else(|| "GET".into()),
        headers: Vec::new(),
        body: Vec::new(),
        rate: l.rate_rps,
        users: if l.rate_rps.is_some() {
            None
        } else {
            Some(l.users.unwrap_or(4))
        },
        duration: Duration::from_secs_f64(l.duration_seconds.unwrap_or(10.0).max(1.0)),
        warmup: Duration::from_secs(1),
        http: HttpVersion::Http1,
        timeout: Duration::from_secs(30),
        max_in_flight: None,
        insecure: false,
        criteria: Vec::new(),
        triggers: Vec::new(),
    })
    .map_err(InvestigateError::Plan)?;
    s.name = plan.name.clone();
    s.target.requests = l
        .requests
        .iter()
        .map(|r| RequestSpec {
            name: r.name.clone(),
            weight: r.weight.unwrap_or(1).max(1),
            method: r
                .method
                .clone()
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase(),
            url: join(http_url(plan), &r.path),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: r.body.clone().unwrap_or_default().into_bytes(),
        })
        .collect();
    Ok(s)
}

fn selector(plan: &Plan, plan_dir: &Path) -> Option<ProcessSelector> {
    let t = &plan.target;
    t.pid
        .map(ProcessSelector::Pid)
        .or_else(|| t.process.clone().map(ProcessSelector::Name))
        .or_else(|| {
            t.pid_file
                .as_ref()
                .map(|f| ProcessSelector::PidFile(plan_dir.join(f)))
        })
}

/// The code investigator over the plan's source path (relative to the plan's folder).
fn code_investigator(
    c: &crate::plan::CodeOpts,
    plan_dir: &Path,
) -> crate::investigators::code::CodeInvestigator {
    crate::investigators::code::CodeInvestigator {
        paths: vec![plan_dir.join(&c.path)],
        rule_dirs: c.rules.iter().map(|r| plan_dir.join(r)).collect(),
        builtin: c.builtin.unwrap_or(true),
        base: plan_dir.to_path_buf(),
    }
}

/// Runs a plan. `plan_ref` is how the user named it (for the validation commands).
pub fn run(
    plan: &Plan,
    plan_dir: &Path,
    plan_ref: &str,
    threads: usize,
    stop: Arc<AtomicBool>,
    receiver: Option<Arc<perfhive_traces::RunningReceiver>>,
) -> Result<Outcome, InvestigateError> {
    if let Some(command) = &plan.target.command {
        return Ok(run_command(plan, plan_dir, command, plan_ref, stop));
    }
    let started = Instant::now();
    let date = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let scenario = baseline_scenario(plan, plan_dir)?;
    // The trace receiver runs before the target starts, so the target is told where it is.
    let receiver = match (&plan.investigators.traces, receiver) {
        (Some(_), Some(rx)) => Some(rx),
        (Some(o), None) => Some(Arc::new(crate::otel::start_receiver(o)?)),
        (None, _) => None,
    };
    let otel_env = receiver
        .as_deref()
        .map(|rx| crate::otel::otel_env(rx, &plan.name))
        .unwrap_or_default();
    let started_target = match &plan.target.start {
        Some(cmd) => Some(start_target(
            cmd,
            http_url(plan),
            plan_dir,
            Duration::from_secs_f64(plan.target.ready_timeout_seconds.unwrap_or(30.0).max(1.0)),
            &otel_env,
        )?),
        None => None,
    };
    let observe = selector(plan, plan_dir).or_else(|| {
        started_target
            .as_ref()
            .map(|t| ProcessSelector::Pid(t.pid()))
    });
    // The started target is shared with the sweep, which restarts it for `env` parameters.
    let target_handle = std::sync::Arc::new(std::sync::Mutex::new(started_target));
    let mut restart: Option<sweep::Restart> = plan.target.start.clone().map(|cmd| {
        let handle = target_handle.clone();
        let url = http_url(plan).to_string();
        let dir = plan_dir.to_path_buf();
        let timeout =
            Duration::from_secs_f64(plan.target.ready_timeout_seconds.unwrap_or(30.0).max(1.0));
        Box::new(move |env: Option<(&str, &str)>| {
            let mut slot = handle
                .lock()
                .map_err(|_| "target lock poisoned".to_string())?;
            drop(slot.take()); // stop the running one first: same port
            let mut vars = otel_env.clone();
            vars.extend(env.map(|(k, v)| (k.to_string(), v.to_string())));
            let t = start_target(&cmd, &url, &dir, timeout, &vars).map_err(|e| e.to_string())?;
            let pid = t.pid();
            *slot = Some(t);
            Ok(pid)
        }) as sweep::Restart
    });
    let ctx = Context {
        target_url: http_url(plan).to_string(),
        stop: stop.clone(),
    };
    let budget = Duration::from_secs_f64(plan.budget_seconds);
    let baseline_len = scenario.profile.total();
    let inv = &plan.investigators;

    // Phase 1: the baseline, observed.
    let mut first: Vec<Box<dyn Investigator>> = Vec::new();
    if let Some(o) = &inv.load {
        first.push(Box::new(LoadInvestigator {
            scenario: scenario.clone(),
            timing_samples: o.timing_samples.unwrap_or(20),
            threads,
        }));
    }
    let resources = inv.resources.as_ref().map(|o| ResourcesInvestigator {
        selector: observe.clone().unwrap_or(ProcessSelector::Pid(-1)),
        hz: o.hz.unwrap_or(50),
        duration: baseline_len,
    });
    match (resources, &observe) {
        (Some(r), Some(_)) => first.push(Box::new(r)),
        (Some(_), None) => {}
        (None, _) => {}
    }
    // The profile needs one pid: the first process the selector finds.
    let profile_pid = observe
        .as_ref()
        .and_then(|sel| sel.resolve().ok())
        .and_then(|p| p.first().copied());
    let profile_dir = std::env::temp_dir().join(format!(
        "perfhive-profile-{}-{}",
        std::process::id(),
        started.elapsed().as_nanos()
    ));
    let mut profile_note = None;
    if let Some(o) = &inv.profile {
        match profile_pid {
            Some(pid) if std::fs::create_dir_all(&profile_dir).is_ok() => first.push(Box::new(crate::investigators::profile::ProfileInvestigator {
                pid,
                duration: baseline_len,
                hz: o.hz.unwrap_or(99).clamp(1, 10_000),
                work_dir: profile_dir.clone(),
            })),
            _ => profile_note = Some("no process to profile: give target.pid, target.process, target.pid_file or target.start"),
        }
    }
    if let Some(c) = &inv.code {
        first.push(Box::new(code_investigator(c, plan_dir)));
    }
    if let (Some(o), Some(rx)) = (&inv.traces, &receiver) {
        first.push(Box::new(crate::otel::investigator(
            o,
            rx.clone(),
            baseline_len,
            &scenario,
            plan.target.start.is_some(),
        )));
    }
    let phase1_budget = if inv.sweep.is_some() {
        (baseline_len + Duration::from_secs(20)).min(budget * 2 / 3)
    } else {
        budget
    };
    let mut results: Vec<InvestigatorResult> = run_all(first, &ctx, phase1_budget);
    if let Some(note) = profile_note {
        results.push(InvestigatorResult {
            name: "profile".into(),
            verdict: crate::Verdict::InsufficientData,
            summary: note.into(),
            findings: Vec::new(),
            data: serde_json::Value::Null,
            duration_s: 0.0,
            error: None,
        });
    }
    if inv.resources.is_some() && observe.is_none() {
        results.push(InvestigatorResult {
            name: "resources".into(),
            verdict: crate::Verdict::InsufficientData,
            summary: "no process to observe: give target.pid, target.process or target.pid_file in the plan".into(),
            findings: Vec::new(),
            data: serde_json::Value::Null,
            duration_s: 0.0,
            error: None,
        });
    }

    // Phase 2: active experiments, alone.
    if let Some(o) = &inv.sweep {
        let request = match &o.request {
            Some(name) => scenario
                .target
                .requests
                .iter()
                .find(|r| &r.name == name)
                .cloned(),
            None => scenario.target.requests.first().cloned(),
        }
        .ok_or_else(|| {
            InvestigateError::Plan("the sweep's request is not in the baseline".into())
        })?;
        let remaining = budget
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(5));
        let sweep = sweep::SweepInvestigator {
            request,
            levels: o
                .concurrency
                .clone()
                .unwrap_or_else(|| vec![1, 2, 4, 8, 16]),
            level_duration: Duration::from_secs_f64(o.level_seconds.unwrap_or(3.0).max(0.5)),
            parameter: o.parameter.as_ref().map(|p| sweep::ParameterSweep {
                via: if p.via.as_deref() == Some("env") {
                    sweep::Via::Env
                } else {
                    sweep::Via::Query
                },
                name: p.name.clone(),
                values: p.values.clone(),
                concurrency: p.concurrency.unwrap_or(2).max(1),
                subject: p.subject.clone().unwrap_or_else(|| p.name.clone()),
            }),
            observe: observe.clone(),
            threads,
            restart: restart.take(),
        };
        results.extend(run_all(vec![Box::new(sweep)], &ctx, remaining));
    }

    // Raw data files (and the flame graph).
    let mut raw = Vec::new();
    if let Ok(svg) = std::fs::read(profile_dir.join("flamegraph.svg")) {
        raw.push(("flamegraph.svg".to_string(), svg));
    }
    let _ = std::fs::remove_dir_all(&profile_dir);
    for r in &results {
        if !r.data.is_null() {
            raw.push((
                format!("{}.json", r.name),
                serde_json::to_vec_pretty(&r.data).unwrap_or_default(),
            ));
        }
    }
    let validation = validation_plan(plan_ref, &plan.name, &scenario, &results);
    let report = integrate(
        results,
        Inputs {
            name: &plan.name,
            date,
            target: http_url(plan),
            duration_s: started.elapsed().as_secs_f64(),
            validation,
            data_files: raw.iter().map(|(n, _)| n.clone()).collect(),
        },
    );
    Ok(Outcome {
        report,
        raw,
        scenario,
    })
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/:.-_=?&".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn validation_plan(
    plan_ref: &str,
    name: &str,
    scenario: &Scenario,
    results: &[InvestigatorResult],
) -> Vec<ValidationStep> {
    let mut steps = vec![ValidationStep {
        purpose: "re-measure the whole baseline and every investigator".into(),
        command: format!("perfhive investigate {}", shell_quote(plan_ref)),
    }];
    if let Some(r) = scenario.target.requests.first() {
        let users = scenario.profile.peak().round().max(1.0) as u64;
        let mut cmd = format!(
            "perfhive run {} -m {} -c {users} --duration 10s --tag {}",
            shell_quote(&r.url),
            r.method,
            shell_quote(name)
        );
        if !r.body.is_empty() {
            cmd.push_str(&format!(
                " --body {}",
                shell_quote(&String::from_utf8_lossy(&r.body))
            ));
        }
        steps.push(ValidationStep {
            purpose: format!(
                "re-measure `{}` alone before a change (stored in the history)",
                r.name
            ),
            command: cmd.clone(),
        });
        steps.push(ValidationStep {
            purpose: "after each change: the same run, compared with the one before".into(),
            command: format!("{cmd} --baseline latest"),
        });
        steps.push(ValidationStep {
            purpose: "gate: fail when the change made anything worse".into(),
            command: format!(
                "perfhive compare latest~1 latest --name {} --fail-on-regression",
                shell_quote(&r.url)
            ),
        });
    }
    for r in results.iter().flat_map(|r| r.findings.iter()) {
        if let Some(p) = r.id.strip_prefix("sweep.parameter.") {
            steps.push(ValidationStep { purpose: format!("confirm the {p} setting the sweep found (see finding `{}`)", r.id), command: format!("perfhive investigate {}  # with the new {p}: the sweep's first value is the current setting", shell_quote(plan_ref)) });
        }
    }
    steps
}
