//! A command target, in stages: **measure** (the command investigator — the bench engine with
//! the plan's parameter sweep — and the code scan when the plan names a source path, side by
//! side; the database investigator after them when the plan names a database, its window
//! around the runs), **not applicable** (the investigators the plan asks for that do not apply to a
//! command, each saying what to run instead), **report**.

use super::{data_files, validation, workload, Clock, Options, Outcome};
use crate::integrator::{integrate, Inputs};
use crate::investigators::command::CommandInvestigator;
use crate::investigators::database;
use crate::model::{InvestigatorName, InvestigatorResult};
use crate::plan::{Plan, Via};
use crate::progress::Phase;
use crate::runner::{run_all, Context, Investigator};
use std::time::Duration;

/// Measured runs when the plan gives none.
const DEFAULT_RUNS: usize = 20;

/// Warm-up runs when the plan gives none.
const DEFAULT_WARMUP: usize = 2;

/// Runs a command target.
pub(super) fn run(plan: &Plan, command: &str, opts: &Options) -> Outcome {
    let mut clock = Clock::start();
    let budget = Duration::from_secs_f64(plan.budget_seconds);
    let not_applicable = not_applicable(plan);
    // the database's window holds the statements of the measured runs
    let window = plan
        .investigators
        .database
        .as_ref()
        .map(|d| database::open_window(&d.dsn, &opts.plan_dir));
    let mut results = opts.phase(Phase::Measure, Some(budget), || {
        not_applicable
            .iter()
            .for_each(|r| opts.progress.not_applicable(r));
        measure(plan, command, opts)
    });
    if let (Some(window), Some(o)) = (window, &plan.investigators.database) {
        let inv = database::after_window(window, o, Vec::new());
        let remaining = budget
            .saturating_sub(clock.started.elapsed())
            .max(super::http::DATABASE_MIN);
        results.extend(run_all(
            vec![Box::new(inv)],
            &context(command, opts),
            remaining,
        ));
    }
    clock.skip_if_stopped(opts, "the command's runs (cut short)");
    results.extend(not_applicable);
    opts.phase(Phase::Report, None, || {
        report(plan, command, opts, &clock, results)
    })
}

/// The command investigator and the code scan, side by side.
fn measure(plan: &Plan, command: &str, opts: &Options) -> Vec<InvestigatorResult> {
    let parameter = plan
        .investigators
        .sweep
        .as_ref()
        .and_then(|s| s.parameter.as_ref())
        .map(|p| (p.name.clone(), p.values.clone(), p.via == Via::Env));
    let inv = CommandInvestigator {
        command: command.to_string(),
        runs: plan.load.runs.unwrap_or(DEFAULT_RUNS).max(3),
        warmup: plan.load.warmup.unwrap_or(DEFAULT_WARMUP),
        parameter,
    };
    let mut investigators: Vec<Box<dyn Investigator>> = vec![Box::new(inv)];
    if let Some(c) = &plan.investigators.code {
        investigators.push(Box::new(workload::code_investigator(c, &opts.plan_dir)));
    }
    run_all(
        investigators,
        &context(command, opts),
        Duration::from_secs_f64(plan.budget_seconds),
    )
}

/// What the command target's investigators run with.
fn context(command: &str, opts: &Options) -> Context {
    Context {
        target_url: command.to_string(),
        stop: opts.stop.clone(),
        progress: opts.progress.clone(),
    }
}

/// The investigators the plan asks for that a command target cannot have, each with why and
/// what to run instead.
fn not_applicable(plan: &Plan) -> Vec<InvestigatorResult> {
    let inv = &plan.investigators;
    [
        (inv.resources.is_some(), InvestigatorName::Resources, "a command target is measured per run with wait4 (CPU, peak RSS, context switches) by the command investigator; /proc sampling applies to long-running services"),
        (inv.profile.is_some(), InvestigatorName::Profile, "not run on a command target: profile one run with `perfhive profile -- sh -c COMMAND`"),
        (inv.traces.is_some(), InvestigatorName::Traces, "not run on a command target: give the service as target.url with target.start, or export OTLP to `perfhive traces --duration 30s` while the command runs"),
    ]
    .into_iter()
    .filter(|(asked, _, _)| *asked)
    .map(|(_, name, why)| InvestigatorResult::not_applicable(name, why))
    .collect()
}

/// The raw data files, the validation plan and the integrated report.
fn report(
    plan: &Plan,
    command: &str,
    opts: &Options,
    clock: &Clock,
    results: Vec<InvestigatorResult>,
) -> Outcome {
    let raw = data_files(&results);
    let report = integrate(
        results,
        Inputs {
            name: &plan.name,
            date: clock.date.clone(),
            target: command,
            duration_s: clock.started.elapsed().as_secs_f64(),
            validation: validation::for_command(&opts.plan_ref, &plan.name, command),
            data_files: raw.iter().map(|(n, _)| n.clone()).collect(),
            interruption: clock.interruption(opts),
        },
    );
    Outcome {
        report,
        raw,
        scenario: None,
    }
}
