//! The validation plan: the exact perfhive commands that re-measure the baseline before a
//! change, compare after it, and confirm what a sweep found — for a service (`perfhive run` and
//! `compare`) and for a command (`perfhive bench`).

use crate::data::DataOf;
use crate::investigators::sweep;
use crate::model::InvestigatorResult;
use crate::report::ValidationStep;
use perfhive_scenario::Scenario;

/// `s` as one shell word.
pub fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/:.-_=?&".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn step(purpose: impl Into<String>, command: String) -> ValidationStep {
    ValidationStep {
        purpose: purpose.into(),
        command,
    }
}

/// For a service: the whole investigation again, the first request alone before and after a
/// change, the regression gate, and each parameter a sweep recommends.
pub fn for_service(
    plan_ref: &str,
    name: &str,
    scenario: &Scenario,
    results: &[InvestigatorResult],
) -> Vec<ValidationStep> {
    let mut steps = vec![step(
        "re-measure the whole baseline and every investigator",
        format!("perfhive investigate {}", shell_quote(plan_ref)),
    )];
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
        steps.push(step(
            format!(
                "re-measure `{}` alone before a change (stored in the history)",
                r.name
            ),
            cmd.clone(),
        ));
        steps.push(step(
            "after each change: the same run, compared with the one before",
            format!("{cmd} --baseline latest"),
        ));
        steps.push(step(
            "gate: fail when the change made anything worse",
            format!(
                "perfhive compare latest~1 latest --name {} --fail-on-regression",
                shell_quote(&r.url)
            ),
        ));
    }
    // the parameter value the sweep recommends, as its finding `sweep.parameter.<name>` says
    let swept = results
        .sweep_data()
        .and_then(|s| s.parameter.as_ref())
        .filter(|p| sweep::recommended_value(&p.levels).is_some());
    if let Some(p) = swept {
        let name = &p.name;
        steps.push(step(
            format!("confirm the {name} setting the sweep found (see finding `sweep.parameter.{name}`)"),
            format!(
                "perfhive investigate {}  # with the new {name}: the sweep's first value is the current setting",
                shell_quote(plan_ref)
            ),
        ));
    }
    steps
}

/// For a command: the whole investigation again, the command alone in the history, and the
/// same after a change compared with the run before.
pub fn for_command(plan_ref: &str, name: &str, command: &str) -> Vec<ValidationStep> {
    let (q, n) = (shell_quote(command), shell_quote(name));
    vec![
        step(
            "re-measure the whole investigation",
            format!("perfhive investigate {}", shell_quote(plan_ref)),
        ),
        step(
            "re-measure the command alone (stored in the history)",
            format!("perfhive bench --shell sh {q} --runs 20 --name {n}"),
        ),
        step(
            "after a change: compare with the run before, fail on a regression",
            format!("perfhive bench --shell sh {q} --runs 20 --name {n} --baseline latest && perfhive compare latest~1 latest --name {n} --metric wall_s --fail-on-regression"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use perfhive_scenario::{HttpVersion, Quick};
    use std::time::Duration;

    #[test]
    fn the_sweeps_parameter_gets_its_confirmation_step_as_before() {
        let recorded: Report = serde_json::from_str(include_str!(
            "../../tests/fixtures/recorded/demo.report.json"
        ))
        .unwrap();
        let scenario = perfhive_scenario::Scenario::quick(Quick {
            url: "http://127.0.0.1:8080/ingest".into(),
            method: "POST".into(),
            headers: Vec::new(),
            body: Vec::new(),
            rate: None,
            users: Some(4),
            duration: Duration::from_secs(1),
            warmup: Duration::ZERO,
            http: HttpVersion::Http1,
            timeout: Duration::from_secs(1),
            max_in_flight: None,
            insecure: false,
            criteria: Vec::new(),
            triggers: Vec::new(),
        })
        .unwrap();
        let steps = for_service("--demo", "demo", &scenario, &recorded.investigators);
        let (new, old) = (
            steps.last().unwrap(),
            recorded.validation_plan.last().unwrap(),
        );
        assert_eq!((&new.purpose, &new.command), (&old.purpose, &old.command));
        assert!(new.purpose.contains("batch_size"), "{}", new.purpose);
        // no sweep, no confirmation step
        assert_eq!(for_service("p.yaml", "x", &scenario, &[]).len(), 4);
    }
}
