//! An HTTP service, in stages over one [`Http`] context:
//!
//! 1. **prepare** — the baseline scenario, and the trace receiver (before the target, so a
//!    started target is told where it is);
//! 2. **start the target** (`target.start`: own process group, readiness wait, `OTEL_*`);
//! 3. **baseline** — load, resources, profile, code and traces side by side on the baseline,
//!    plus a note for each investigator that cannot run on this target;
//! 4. **sweep** — the active experiments, alone so they do not disturb the baseline, with the
//!    time left (never less than five seconds: the baseline's deadline ends the baseline only);
//! 5. **report** — the started target stopped, the raw data files and the flame graph, the
//!    validation plan, the integrator.

use super::{data_files, validation, workload, Clock, InvestigateError, Options, Outcome};
use crate::integrator::{integrate, Inputs};
use crate::investigators::database;
use crate::investigators::load::LoadInvestigator;
use crate::investigators::profile::ProfileInvestigator;
use crate::investigators::resources::ResourcesInvestigator;
use crate::investigators::sweep;
use crate::model::{InvestigatorName, InvestigatorResult};
use crate::plan::{Plan, SweepOpts};
use crate::progress::Phase;
use crate::runner::{run_all, Context, Investigator};
use crate::started::{start_target, StartedTarget};
use perfhive_probe::ProcessSelector;
use perfhive_scenario::Scenario;
use perfhive_traces::RunningReceiver;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shortest time the sweep gets, whatever the baseline took.
const MIN_SWEEP: Duration = Duration::from_secs(5);

/// The shortest time the database investigator gets, whatever the baseline took.
pub(super) const DATABASE_MIN: Duration = Duration::from_secs(20);

/// Concurrency levels of a sweep when the plan gives none.
const DEFAULT_LEVELS: [u32; 5] = [1, 2, 4, 8, 16];

/// The running target perfhive started, shared with the sweep, which restarts it for `env`
/// parameters.
type TargetSlot = Arc<Mutex<Option<StartedTarget>>>;

/// One HTTP investigation in progress.
struct Http<'a> {
    plan: &'a Plan,
    url: &'a str,
    opts: &'a Options,
    clock: Clock,
    scenario: Scenario,
    receiver: Option<Arc<RunningReceiver>>,
    /// The `OTEL_*` variables given to a target perfhive starts.
    otel_env: Vec<(String, String)>,
    target: TargetSlot,
    /// The processes the resources, profile and sweep investigators observe.
    observe: Option<ProcessSelector>,
    /// Where perf writes during the baseline.
    profile_dir: PathBuf,
    /// Where a started target's stdout and stderr go (the report's `target.log`).
    target_log: PathBuf,
    results: Vec<InvestigatorResult>,
}

/// Runs an HTTP plan whose target is at `url`.
pub(super) fn run(plan: &Plan, url: &str, opts: &Options) -> Result<Outcome, InvestigateError> {
    let mut http = Http::prepare(plan, url, opts)?;
    http.start_target()?;
    http.baseline();
    http.sweep()?;
    Ok(http.report())
}

impl<'a> Http<'a> {
    /// Stage 1: the baseline scenario and the trace receiver.
    fn prepare(plan: &'a Plan, url: &'a str, opts: &'a Options) -> Result<Self, InvestigateError> {
        let clock = Clock::start();
        let scenario = workload::baseline_scenario(plan, url, &opts.plan_dir)?;
        let receiver = match (&plan.investigators.traces, &opts.receiver) {
            (Some(_), Some(rx)) => Some(rx.clone()),
            (Some(o), None) => Some(Arc::new(crate::otel::start_receiver(o)?)),
            (None, _) => None,
        };
        let otel_env = receiver
            .as_deref()
            .map(|rx| crate::otel::otel_env(rx, &plan.name))
            .unwrap_or_default();
        let scratch = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let profile_dir = std::env::temp_dir().join(format!("perfhive-profile-{scratch}"));
        let target_log = std::env::temp_dir().join(format!("perfhive-target-{scratch}.log"));
        Ok(Http {
            plan,
            url,
            opts,
            clock,
            scenario,
            receiver,
            otel_env,
            target: Arc::new(Mutex::new(None)),
            observe: workload::selector(plan, &opts.plan_dir),
            profile_dir,
            target_log,
            results: Vec::new(),
        })
    }

    fn ready_timeout(&self) -> Duration {
        // within the plan's checked range
        Duration::from_secs_f64(
            self.plan
                .target
                .ready_timeout_seconds
                .unwrap_or(30.0)
                .max(1.0),
        )
    }

    fn context(&self) -> Context {
        Context {
            target_url: self.url.to_string(),
            stop: self.opts.stop.clone(),
            progress: self.opts.progress.clone(),
        }
    }

    /// Stage 2: `target.start`, observed unless the plan names other processes.
    fn start_target(&mut self) -> Result<(), InvestigateError> {
        let Some(cmd) = &self.plan.target.start else {
            return Ok(());
        };
        let started = self
            .opts
            .phase(Phase::StartTarget, Some(self.ready_timeout()), || {
                start_target(
                    cmd,
                    self.url,
                    &self.opts.plan_dir,
                    self.ready_timeout(),
                    &self.otel_env,
                    &self.target_log,
                    &self.opts.stop,
                )
            });
        match started {
            Ok(t) => {
                if self.observe.is_none() {
                    self.observe = Some(ProcessSelector::Pid(t.pid()));
                }
                *self.target.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
                Ok(())
            }
            Err(InvestigateError::Interrupted) => {
                self.clock.not_run.push("the target's start".into());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Stage 3: the investigators that observe the baseline, side by side.
    fn baseline(&mut self) {
        if self.clock.skip_if_stopped(self.opts, "the baseline") {
            return;
        }
        let (investigators, not_applicable) = self.baseline_investigators();
        // the database's window holds the baseline's own statements
        let window = self
            .plan
            .investigators
            .database
            .as_ref()
            .map(|d| database::open_window(&d.dsn, &self.opts.plan_dir));
        let budget = Duration::from_secs_f64(self.plan.budget_seconds);
        let phase_budget = if self.plan.investigators.sweep.is_some() {
            (self.scenario.profile.total() + Duration::from_secs(20)).min(budget * 2 / 3)
        } else {
            budget
        };
        let ctx = self.context();
        self.results = self.opts.phase(Phase::Baseline, Some(phase_budget), || {
            not_applicable
                .iter()
                .for_each(|r| ctx.progress.not_applicable(r));
            run_all(investigators, &ctx, phase_budget)
        });
        // client latency against server time per route, once both have measured
        crate::investigators::traces::add_queueing(&mut self.results);
        self.results.extend(not_applicable);
        if let Some(window) = window {
            self.database(window);
        }
        self.clock
            .skip_if_stopped(self.opts, "the baseline (cut short)");
    }

    /// The database investigator, after the baseline: its window closed, the statements the
    /// traces saw planned besides the window's costliest.
    fn database(&mut self, window: Result<database::OpenWindow, String>) {
        use crate::data::DataOf;
        let Some(o) = &self.plan.investigators.database else {
            return;
        };
        let traces = self.results.traces_data().map(|d| &d.summary);
        let mut seen = traces.map(database::seen_in_traces).unwrap_or_default();
        seen.extend(
            self.results
                .code_data()
                .map(database::seen_in_code)
                .unwrap_or_default(),
        );
        let costs = traces.map(database::route_costs).unwrap_or_default();
        let inv = database::after_window(window, o, seen).with_route_costs(costs);
        let remaining = Duration::from_secs_f64(self.plan.budget_seconds)
            .saturating_sub(self.clock.started.elapsed())
            .max(DATABASE_MIN);
        let results = run_all(vec![Box::new(inv)], &self.context(), remaining);
        self.results.extend(results);
    }

    /// The baseline's investigators, and a result for each one the plan asks for that cannot
    /// run on this target.
    fn baseline_investigators(&self) -> (Vec<Box<dyn Investigator>>, Vec<InvestigatorResult>) {
        let inv = &self.plan.investigators;
        let duration = self.scenario.profile.total();
        let mut run: Vec<Box<dyn Investigator>> = Vec::new();
        let mut notes = Vec::new();
        if let Some(o) = &inv.load {
            run.push(Box::new(LoadInvestigator {
                scenario: self.scenario.clone(),
                timing_samples: o.timing_samples.unwrap_or(20),
                threads: self.opts.threads,
            }));
        }
        if let (Some(o), Some(selector)) = (&inv.resources, &self.observe) {
            run.push(Box::new(ResourcesInvestigator {
                selector: selector.clone(),
                hz: o.hz.unwrap_or(50),
                duration,
            }));
        }
        if let Some(o) = &inv.profile {
            // the root of the tree: the profilers follow its descendants
            let pid = self
                .observe
                .as_ref()
                .and_then(|sel| sel.resolve().ok())
                .and_then(|p| p.first().copied());
            match pid {
                Some(pid) if std::fs::create_dir_all(&self.profile_dir).is_ok() => {
                    run.push(Box::new(ProfileInvestigator {
                        pid,
                        duration,
                        hz: o.hz.unwrap_or(99),
                        work_dir: self.profile_dir.clone(),
                        py_spy: o.py_spy.as_ref().map(|p| self.opts.plan_dir.join(p)),
                        routes: workload::single_route(&self.scenario),
                        base: self.opts.plan_dir.clone(),
                    }))
                }
                _ => notes.push(InvestigatorResult::not_applicable(
                    InvestigatorName::Profile,
                    "no process to profile: give target.pid, target.process, target.pid_file or target.start",
                )),
            }
        }
        if let Some(c) = &inv.code {
            run.push(Box::new(workload::code_investigator(
                c,
                &self.opts.plan_dir,
            )));
        }
        if let (Some(o), Some(rx)) = (&inv.traces, &self.receiver) {
            run.push(Box::new(crate::otel::investigator(
                o,
                rx.clone(),
                duration,
                &self.scenario,
                self.plan.target.start.is_some(),
            )));
        }
        if inv.resources.is_some() && self.observe.is_none() {
            notes.push(InvestigatorResult::not_applicable(
                InvestigatorName::Resources,
                "no process to observe: give target.pid, target.process or target.pid_file in the plan",
            ));
        }
        (run, notes)
    }

    /// Restarts the started target with a swept environment variable (`None`: as it was),
    /// for `via: env` parameters.
    fn restart(&self) -> Option<sweep::Restart> {
        let cmd = self.plan.target.start.clone()?;
        let slot = self.target.clone();
        let url = self.url.to_string();
        let dir = self.opts.plan_dir.clone();
        let timeout = self.ready_timeout();
        let otel_env = self.otel_env.clone();
        let log = self.target_log.clone();
        let stop = self.opts.stop.clone();
        Some(Box::new(move |env: Option<(&str, &str)>| {
            let mut slot = slot
                .lock()
                .map_err(|_| "target lock poisoned".to_string())?;
            drop(slot.take()); // stop the running one first: same port
            let mut vars = otel_env.clone();
            vars.extend(env.map(|(k, v)| (k.to_string(), v.to_string())));
            let t = start_target(&cmd, &url, &dir, timeout, &vars, &log, &stop)
                .map_err(|e| e.to_string())?;
            let pid = t.pid();
            *slot = Some(t);
            Ok(pid)
        }))
    }

    /// The sweep investigator for the plan's `sweep` options.
    fn sweep_investigator(
        &self,
        o: &SweepOpts,
    ) -> Result<sweep::SweepInvestigator, InvestigateError> {
        let requests = &self.scenario.target.requests;
        let request = match &o.request {
            Some(name) => requests.iter().find(|r| &r.name == name),
            None => requests.first(),
        }
        .cloned()
        .ok_or_else(|| {
            InvestigateError::Plan("the sweep's request is not in the baseline".into())
        })?;
        Ok(sweep::SweepInvestigator {
            request,
            levels: o
                .concurrency
                .clone()
                .unwrap_or_else(|| DEFAULT_LEVELS.to_vec()),
            // within the plan's checked range
            level_duration: Duration::from_secs_f64(o.level_seconds.unwrap_or(3.0).max(0.5)),
            parameter: o.parameter.as_ref().map(|p| sweep::ParameterSweep {
                via: p.via,
                name: p.name.clone(),
                values: p.values.clone(),
                concurrency: p.concurrency.unwrap_or(2).max(1),
                subject: p.subject.clone().unwrap_or_else(|| p.name.clone()),
            }),
            observe: self.observe.clone(),
            threads: self.opts.threads,
            restart: self.restart(),
        })
    }

    /// Stage 4: the sweep, alone, with the time left.
    fn sweep(&mut self) -> Result<(), InvestigateError> {
        let Some(o) = &self.plan.investigators.sweep else {
            return Ok(());
        };
        if self.clock.skip_if_stopped(self.opts, "the sweep") {
            return Ok(());
        }
        let sweep = self.sweep_investigator(o)?;
        // the sweep is about its request: its findings join others about the same route
        let route = perfhive_core::route::Route::parse(&format!(
            "{} {}",
            sweep.request.method, sweep.request.url
        ));
        let remaining = Duration::from_secs_f64(self.plan.budget_seconds)
            .saturating_sub(self.clock.started.elapsed())
            .max(MIN_SWEEP);
        let ctx = self.context();
        let mut results = self.opts.phase(Phase::Sweep, Some(remaining), || {
            run_all(vec![Box::new(sweep)], &ctx, remaining)
        });
        for f in results
            .iter_mut()
            .flat_map(|r| r.findings.iter_mut())
            .filter(|f| f.routes.is_empty())
        {
            f.routes.push(route.clone());
        }
        self.results.extend(results);
        self.clock
            .skip_if_stopped(self.opts, "the sweep (cut short)");
        Ok(())
    }

    /// Stage 5: the report, once the started target is stopped.
    fn report(self) -> Outcome {
        let opts = self.opts;
        opts.phase(Phase::Report, None, || self.integrate())
    }

    /// The raw data files, the validation plan and the integrator's report.
    fn integrate(self) -> Outcome {
        drop(self.target.lock().unwrap_or_else(|e| e.into_inner()).take());
        let mut raw = Vec::new();
        if let Ok(svg) = std::fs::read(self.profile_dir.join("flamegraph.svg")) {
            raw.push(("flamegraph.svg".to_string(), svg));
        }
        let _ = std::fs::remove_dir_all(&self.profile_dir);
        if let Some(log) = read_log(&self.target_log) {
            raw.push(("target.log".to_string(), log));
        }
        let _ = std::fs::remove_file(&self.target_log);
        raw.extend(data_files(&self.results));
        let validation = validation::for_service(
            &self.opts.plan_ref,
            &self.plan.name,
            &self.scenario,
            &self.results,
        );
        let report = integrate(
            self.results,
            Inputs {
                name: &self.plan.name,
                date: self.clock.date.clone(),
                target: self.url,
                duration_s: self.clock.started.elapsed().as_secs_f64(),
                validation,
                data_files: raw.iter().map(|(n, _)| n.clone()).collect(),
                interruption: self.clock.interruption(self.opts),
            },
        );
        Outcome {
            report,
            raw,
            scenario: Some(self.scenario),
        }
    }
}

/// The most of a target's log the report keeps: its end.
const MAX_LOG_BYTES: u64 = 16 << 20;

/// A started target's log, its last [`MAX_LOG_BYTES`] when it is longer; `None` when perfhive
/// started no target.
fn read_log(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len > MAX_LOG_BYTES {
        f.seek(SeekFrom::Start(len - MAX_LOG_BYTES)).ok()?;
    }
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}
