//! What a plan asks to measure: the baseline scenario (the plan's requests, or a `perfhive
//! run` scenario file) with its success criteria, the processes to observe, and the code
//! investigator's paths — every relative path taken from the plan's folder.

use super::InvestigateError;
use crate::investigators::code::CodeInvestigator;
use crate::plan::{CodeOpts, Plan};
use perfhive_probe::ProcessSelector;
use perfhive_scenario::{HttpVersion, Quick, RequestSpec, Scenario};
use std::path::Path;
use std::time::Duration;

/// Users of a closed-model baseline when the plan gives neither users nor a rate.
const DEFAULT_USERS: u32 = 4;

/// Baseline length when the plan gives none, s.
const DEFAULT_DURATION_S: f64 = 10.0;

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The baseline scenario of an HTTP plan whose target is at `url`.
pub fn baseline_scenario(
    plan: &Plan,
    url: &str,
    plan_dir: &Path,
) -> Result<Scenario, InvestigateError> {
    let mut s = baseline_workload(plan, url, plan_dir)?;
    for c in &plan.success_criteria {
        s.criteria.push(
            perfhive_core::Criterion::parse(c)
                .map_err(|e| InvestigateError::Plan(format!("success criterion `{c}`: {e}")))?,
        );
    }
    Ok(s)
}

fn baseline_workload(
    plan: &Plan,
    url: &str,
    plan_dir: &Path,
) -> Result<Scenario, InvestigateError> {
    let l = &plan.load;
    if let Some(file) = &l.scenario {
        return Ok(Scenario::from_file(&plan_dir.join(file))?);
    }
    let first = &l.requests[0];
    let mut s = Scenario::quick(Quick {
        url: join(url, &first.path),
        method: first.method.clone().unwrap_or_else(|| "GET".into()),
        headers: Vec::new(),
        body: Vec::new(),
        rate: l.rate_rps,
        users: if l.rate_rps.is_some() {
            None
        } else {
            Some(l.users.unwrap_or(DEFAULT_USERS))
        },
        // within the plan's checked range
        duration: Duration::from_secs_f64(
            l.duration_seconds.unwrap_or(DEFAULT_DURATION_S).max(1.0),
        ),
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
            url: join(url, &r.path),
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

/// The processes the plan names for observation (pid, name or pid file).
pub fn selector(plan: &Plan, plan_dir: &Path) -> Option<ProcessSelector> {
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
pub fn code_investigator(c: &CodeOpts, plan_dir: &Path) -> CodeInvestigator {
    CodeInvestigator {
        paths: vec![plan_dir.join(&c.path)],
        rule_dirs: c.rules.iter().map(|r| plan_dir.join(r)).collect(),
        builtin: c.builtin.unwrap_or(true),
        base: plan_dir.to_path_buf(),
    }
}

/// The route of a baseline that sends one route only (`GET /work`), else none: everything a
/// profile of that baseline shows is about it.
pub fn single_route(s: &Scenario) -> Vec<perfhive_core::route::Route> {
    let mut routes: Vec<perfhive_core::route::Route> = Vec::new();
    for r in &s.target.requests {
        let path = r
            .url
            .parse::<http::Uri>()
            .ok()
            .map_or_else(|| "/".to_string(), |u| u.path().to_string());
        let route = perfhive_core::route::Route::new(Some(&r.method), &path);
        if !routes.iter().any(|x| x.same_as(&route)) {
            routes.push(route);
        }
    }
    if routes.len() == 1 {
        routes
    } else {
        Vec::new()
    }
}
