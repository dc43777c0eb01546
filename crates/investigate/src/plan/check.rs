//! The checks of a parsed plan, each error pointing at its key (file:line:column with the
//! source line): the target's kind, the baseline, the investigators' options, and every
//! number within the range perfhive can honour ([`limits`]), so a plan cannot ask for a
//! duration `Duration` cannot hold (`1e30` seconds) or a hundred million users.

use super::{Plan, Via};
use perfhive_scenario::{error_at, ScenarioError};
use std::fmt::Display;
use std::path::Path;

/// The ranges a plan's numbers must fall in.
pub mod limits {
    /// The longest investigation budget, s (a day).
    pub const MAX_BUDGET_S: f64 = 86_400.0;
    /// The shortest budget, s.
    pub const MIN_BUDGET_S: f64 = 5.0;
    /// The longest baseline, sweep level, readiness wait, s (a day).
    pub const MAX_DURATION_S: f64 = 86_400.0;
    /// Most closed-model users (baseline, sweep levels).
    pub const MAX_USERS: u64 = 10_000;
    /// Highest open-model rate, requests/s.
    pub const MAX_RATE_RPS: f64 = 1_000_000.0;
    /// Most measured (or warm-up) runs of a command target.
    pub const MAX_RUNS: u64 = 100_000;
    /// Largest request weight.
    pub const MAX_WEIGHT: u64 = 1_000_000;
    /// Most Server-Timing samples per request.
    pub const MAX_TIMING_SAMPLES: u64 = 10_000;
    /// Most concurrency levels in a sweep.
    pub const MAX_LEVELS: usize = 100;
    /// The longest wait for the last spans, s.
    pub const MAX_TRACE_WAIT_S: f64 = 60.0;
}

use limits::*;

/// A number as a user reads it: `1e30`, not thirty-one digits.
fn shown(v: impl Display) -> String {
    let s = v.to_string();
    match s.parse::<f64>() {
        Ok(x) if x.abs() >= 1e9 && x.is_finite() => format!("{x:e}"),
        _ => s,
    }
}

/// `lo ..= hi`, or an error at `keys` saying what was expected. NaN is never in range.
fn within<T: PartialOrd + Display + Copy>(
    text: &str,
    path: &Path,
    keys: &[&'static str],
    value: Option<T>,
    (lo, hi): (T, T),
    what: &str,
) -> Result<(), ScenarioError> {
    match value {
        Some(v) if !(lo <= v && v <= hi) => Err(error_at(
            text,
            path,
            keys,
            format!(
                "expected {what} from {} to {}, got {}",
                shown(lo),
                shown(hi),
                shown(v)
            ),
        )),
        _ => Ok(()),
    }
}

/// Every check of a parsed plan.
pub(super) fn check(plan: &Plan, text: &str, path: &Path) -> Result<(), ScenarioError> {
    numbers(plan, text, path)?;
    if let Some(db) = &plan.investigators.database {
        let base = super::plan_dir(path);
        let env = perfhive_database::Env::process();
        let parsed = perfhive_database::Target::parse(&db.dsn, Some(&base), &env);
        // an SQLite file the started target creates need not exist yet
        let later = plan.target.start.is_some() && !db.dsn.contains("://") && !db.dsn.contains('=');
        if let (Err(e), false) = (parsed, later) {
            return Err(error_at(
                text,
                path,
                &["investigators", "database", "dsn"],
                format!("not a database this investigator can read: {e}"),
            ));
        }
        if db.pool.is_some_and(|p| !(1..=100_000).contains(&p)) {
            return Err(error_at(
                text,
                path,
                &["investigators", "database", "pool"],
                "expected a pool of 1..=100000 connections",
            ));
        }
        if db.top.is_some_and(|t| !(1..=100).contains(&t)) {
            return Err(error_at(
                text,
                path,
                &["investigators", "database", "top"],
                "expected 1..=100 statements",
            ));
        }
    }
    match (&plan.target.url, &plan.target.command) {
        (Some(url), None) => http_target(plan, url, text, path)?,
        (None, Some(c)) => {
            if c.trim().is_empty() {
                return Err(error_at(
                    text,
                    path,
                    &["target", "command"],
                    "expected a command",
                ));
            }
            if plan.investigators.load.is_none()
                && plan
                    .investigators
                    .sweep
                    .as_ref()
                    .is_none_or(|s| s.parameter.is_none())
            {
                return Err(error_at(
                    text,
                    path,
                    &["investigators"],
                    "a command target needs `load` (the command investigator) or a `sweep.parameter`",
                ));
            }
            return Ok(());
        }
        _ => return Err(error_at(
            text,
            path,
            &["target"],
            "give the target's `url` (an HTTP service) or its `command` (run repeatedly), not both",
        )),
    }
    for c in &plan.success_criteria {
        if let Err(e) = perfhive_core::Criterion::parse(c) {
            return Err(error_at(
                text,
                path,
                &["success_criteria"],
                format!("`{c}`: {e}"),
            ));
        }
    }
    let i = &plan.investigators;
    if i.load.is_none() && i.resources.is_none() && i.sweep.is_none() && i.profile.is_none() {
        return Err(error_at(
            text,
            path,
            &["investigators"],
            "expected at least one of load, resources, sweep, profile",
        ));
    }
    Ok(())
}

/// An HTTP target's URL, baseline and investigator options.
fn http_target(plan: &Plan, url: &str, text: &str, path: &Path) -> Result<(), ScenarioError> {
    perfhive_scenario::check_url(url).map_err(|m| error_at(text, path, &["target", "url"], m))?;
    if url.starts_with("builtin:") {
        return Err(error_at(
            text,
            path,
            &["target", "url"],
            "an investigation needs an http:// URL (use --demo for the built-in demo service)",
        ));
    }
    let l = &plan.load;
    if l.scenario.is_none() && l.requests.is_empty() {
        return Err(error_at(
            text,
            path,
            &["load"],
            "expected `scenario: FILE` or `requests: [...]` for the baseline",
        ));
    }
    if l.users.is_some() && l.rate_rps.is_some() {
        return Err(error_at(
            text,
            path,
            &["load", "rate_rps"],
            "give `users` (closed model) or `rate_rps` (open model), not both",
        ));
    }
    if let Some(c) = &plan.investigators.code {
        if !super::plan_dir(path).join(&c.path).exists() {
            return Err(error_at(
                text,
                path,
                &["investigators", "code", "path"],
                format!("no such file or folder `{}`", c.path),
            ));
        }
    }
    if let Some(a) = plan
        .investigators
        .traces
        .as_ref()
        .and_then(|t| t.listen.as_ref())
    {
        if a.parse::<std::net::SocketAddr>().is_err() {
            return Err(error_at(
                text,
                path,
                &["investigators", "traces", "listen"],
                "expected an address such as 127.0.0.1:4318",
            ));
        }
    }
    if let Some(s) = &plan.investigators.sweep {
        if let Some(r) = &s.request {
            if l.scenario.is_none() && !l.requests.iter().any(|q| &q.name == r) {
                return Err(error_at(
                    text,
                    path,
                    &["investigators", "sweep", "request"],
                    format!("no request named `{r}` in load.requests"),
                ));
            }
        }
        if let Some(p) = &s.parameter {
            if p.via == Via::Env && plan.target.start.is_none() {
                return Err(error_at(
                    text,
                    path,
                    &["investigators", "sweep", "parameter"],
                    "`via: env` restarts the target per value: it needs `target.start`",
                ));
            }
        }
    }
    Ok(())
}

/// Every number of the plan within [`limits`].
fn numbers(plan: &Plan, text: &str, path: &Path) -> Result<(), ScenarioError> {
    let t = &plan.target;
    within(
        text,
        path,
        &["budget_seconds"],
        Some(plan.budget_seconds),
        (MIN_BUDGET_S, MAX_BUDGET_S),
        "a budget in seconds",
    )?;
    within(
        text,
        path,
        &["target", "pid"],
        t.pid,
        (1, i32::MAX),
        "a process id",
    )?;
    within(
        text,
        path,
        &["target", "ready_timeout_seconds"],
        t.ready_timeout_seconds,
        (0.1, MAX_DURATION_S),
        "a wait in seconds",
    )?;
    let l = &plan.load;
    within(
        text,
        path,
        &["load", "users"],
        l.users.map(u64::from),
        (1, MAX_USERS),
        "a number of users",
    )?;
    within(
        text,
        path,
        &["load", "rate_rps"],
        l.rate_rps,
        (0.001, MAX_RATE_RPS),
        "a rate in requests per second",
    )?;
    within(
        text,
        path,
        &["load", "duration_seconds"],
        l.duration_seconds,
        (0.001, MAX_DURATION_S),
        "a duration in seconds",
    )?;
    within(
        text,
        path,
        &["load", "runs"],
        l.runs.map(|r| r as u64),
        (1, MAX_RUNS),
        "a number of runs",
    )?;
    within(
        text,
        path,
        &["load", "warmup"],
        l.warmup.map(|r| r as u64),
        (0, MAX_RUNS),
        "a number of warm-up runs",
    )?;
    for r in &l.requests {
        let what = format!("request `{}`: a weight", r.name);
        within(
            text,
            path,
            &["load", "requests"],
            r.weight.map(u64::from),
            (1, MAX_WEIGHT),
            &what,
        )?;
    }
    let i = &plan.investigators;
    within(
        text,
        path,
        &["investigators", "load", "timing_samples"],
        i.load
            .as_ref()
            .and_then(|o| o.timing_samples)
            .map(|n| n as u64),
        (0, MAX_TIMING_SAMPLES),
        "a number of samples",
    )?;
    within(
        text,
        path,
        &["investigators", "resources", "hz"],
        i.resources.as_ref().and_then(|o| o.hz),
        (10, 100),
        "samples per second",
    )?;
    within(
        text,
        path,
        &["investigators", "profile", "hz"],
        i.profile.as_ref().and_then(|o| o.hz),
        (1, 10_000),
        "samples per second",
    )?;
    if let Some(tr) = &i.traces {
        within(
            text,
            path,
            &["investigators", "traces", "n_plus_one"],
            tr.n_plus_one.map(|n| n as u64),
            (2, 1_000_000),
            "a number of repetitions",
        )?;
        within(
            text,
            path,
            &["investigators", "traces", "wait_seconds"],
            tr.wait_seconds,
            (0.0, MAX_TRACE_WAIT_S),
            "a wait in seconds",
        )?;
        for (name, b) in &tr.budgets {
            let what = format!("`{name}`: a budget in ms");
            within(
                text,
                path,
                &["investigators", "traces", "budgets"],
                Some(*b),
                (0.001, 1e9),
                &what,
            )?;
        }
    }
    if let Some(s) = &i.sweep {
        let keys = &["investigators", "sweep", "concurrency"];
        if let Some(levels) = &s.concurrency {
            if levels.is_empty() || levels.len() > MAX_LEVELS {
                return Err(error_at(
                    text,
                    path,
                    keys,
                    format!("expected 1 to {MAX_LEVELS} levels"),
                ));
            }
            for n in levels {
                within(
                    text,
                    path,
                    keys,
                    Some(u64::from(*n)),
                    (1, MAX_USERS),
                    "levels of users",
                )?;
            }
        }
        within(
            text,
            path,
            &["investigators", "sweep", "level_seconds"],
            s.level_seconds,
            (0.5, MAX_DURATION_S),
            "a level length in seconds",
        )?;
        if let Some(p) = &s.parameter {
            let keys = &["investigators", "sweep", "parameter"];
            within(
                text,
                path,
                keys,
                p.concurrency.map(u64::from),
                (1, MAX_USERS),
                "`concurrency`: a number of users",
            )?;
            if p.values.is_empty() || p.values.len() > MAX_LEVELS {
                return Err(error_at(
                    text,
                    path,
                    keys,
                    format!("expected 1 to {MAX_LEVELS} values"),
                ));
            }
        }
    }
    Ok(())
}
