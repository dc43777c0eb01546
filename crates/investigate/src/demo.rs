//! `investigate --demo`: an experiment end to end on the demo service (a service that is slow
//! for known reasons, each with a switch that fixes it). The service runs in its own process
//! (the caller says how to start it, e.g. `perfhive __demo`), instrumented with OpenTelemetry
//! and pointed at perfhive's receiver; the investigation runs [`PLAN`] on it, with its own
//! source scanned; then the top-ranked recommendations the service has a switch for
//! ([`Switch::for_recommendation`], [`Fixes::from_report`]) are applied live through the
//! service's `POST /config`, and the baseline is measured again: the report's executive
//! summary and `before_after` say what was applied, what was not, and the before and after.

use crate::data::DataOf;
use crate::investigation::{self, InvestigateError, Options, Outcome};
use crate::investigators::{sweep, timing};
use crate::measure::load_test;
use crate::plan::Plan;
use crate::progress::{Phase, Progress};
use crate::report::{AppliedChange, BeforeAfter, Prioritized, Report};
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The demo investigation: ingestion with 50 records per request (4 in 5 requests) and reads
/// of 10 items; the sweep varies concurrency and the ingest batch size. The plan does not say
/// what the batch size is about: the integrator infers it from the evidence joined to it. `{URL}`, `{PID}`,
/// `{BODY}` and `{SRC}` are filled in when the service runs.
pub const PLAN: &str = r#"name: demo
target:
  url: "{URL}"
  pid: {PID}
budget_seconds: 90
success_criteria:
  - error_rate_pct <= 1
load:
  users: 4
  duration_seconds: 8
  requests:
    - name: ingest
      path: /ingest
      method: POST
      headers: { content-type: application/json }
      body: '{BODY}'
      weight: 4
    - { name: items, path: "/items?limit=10", weight: 1 }
investigators:
  load: { timing_samples: 12 }
  resources: { hz: 50 }
  profile: { hz: 99 }
  traces: { wait_seconds: 3 }
  code: { path: "{SRC}" }
  sweep:
    request: ingest
    concurrency: [1, 2, 4, 8]
    level_seconds: 2
    parameter: { name: batch_size, values: ["1", "10", "50"], concurrency: 2 }
"#;

/// Where the service's source is written, under the plan's folder.
const SOURCE_DIR: &str = "crates/demo/src";

/// How to run the demo service.
#[derive(Clone, Debug)]
pub struct DemoService {
    /// The program that serves it: prints its base URL (`http://127.0.0.1:PORT`) on the first
    /// line of stdout, serves until its stdin closes, and reports spans to the standard
    /// `OTEL_*` variables.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its source files (name, text), scanned by the code investigator.
    pub sources: Vec<(String, String)>,
}

/// The demo experiment's options.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The service.
    pub service: DemoService,
    /// Apply the recommended fixes and measure again (else: report only).
    pub apply: bool,
}

/// The demo service in its own process and process group (a Ctrl-C in the terminal reaches
/// perfhive, which stops it); killed when dropped.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(s: &DemoService, env: &[(String, String)]) -> Result<Service, InvestigateError> {
        let fail = |e: String| InvestigateError::Demo(format!("the demo service: {e}"));
        let mut child = Command::new(&s.program)
            .args(&s.args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| fail(format!("cannot start `{}`: {e}", s.program.display())))?;
        let stdout = child.stdout.take();
        let mut service = Service {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        if let Some(out) = stdout {
            BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| fail(e.to_string()))?;
        }
        service.url = line.trim().to_string();
        if !service.url.starts_with("http://127.0.0.1:") {
            return Err(fail(format!("did not start (it said `{}`)", service.url)));
        }
        Ok(service)
    }

    /// Changes its switches live.
    fn configure(&self, fixes: &Fixes) -> Result<(), InvestigateError> {
        let body = serde_json::to_vec(fixes).unwrap_or_default();
        let headers = [("content-type".to_string(), "application/json".to_string())];
        let url = format!("{}/config", self.url);
        let head = timing::send(&url, "POST", &headers, &body, Duration::from_secs(10))
            .map_err(|e| InvestigateError::Demo(format!("the demo service's /config: {e}")))?;
        if head.status != 200 {
            return Err(InvestigateError::Demo(format!(
                "the demo service refused the configuration: {}",
                head.text.lines().next().unwrap_or("")
            )));
        }
        Ok(())
    }
}

/// The service's source, written out for the code investigator; removed on drop.
struct Source(PathBuf);

impl Source {
    fn write(files: &[(String, String)]) -> Result<Self, InvestigateError> {
        let root =
            std::env::temp_dir().join(format!("perfhive-demo-source-{}", std::process::id()));
        let source = Source(root);
        let dir = source.0.join(SOURCE_DIR);
        let fail = |e: std::io::Error| {
            InvestigateError::Demo(format!(
                "cannot write the demo's source to `{}`: {e}",
                dir.display()
            ))
        };
        std::fs::create_dir_all(&dir).map_err(fail)?;
        for (name, text) in files {
            std::fs::write(dir.join(name), text).map_err(fail)?;
        }
        Ok(source)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo service's switches, as its `POST /config` takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Fixes {
    /// Records per transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u64>,
    /// The fast serialiser.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fast_serialization: bool,
}

/// A switch of the demo service that carries out a recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// `batch_size`: the value a parameter sweep of `batch_size` recommends, or the rows one
    /// request writes for a recommendation to write them in one batch (N+1 writes).
    BatchSize(u64),
    /// `fast_serialization`: for a recommendation about the serialisation phase.
    FastSerialization,
}

impl Switch {
    /// The switch that carries out `p`, if the demo has one: the typed mapping from a
    /// recommendation (by the finding it addresses) to a switch.
    pub fn for_recommendation(p: &Prioritized, report: &Report) -> Option<Switch> {
        let finding = report
            .findings
            .iter()
            .find(|r| r.finding.id == p.finding_id)?;
        if p.finding_id == "sweep.parameter.batch_size" {
            return report
                .investigators
                .sweep_data()
                .and_then(|s| s.parameter.as_ref())
                .filter(|p| p.name == "batch_size")
                .and_then(|p| sweep::recommended_value(&p.levels))
                .and_then(|l| l.label.parse().ok())
                .map(Switch::BatchSize);
        }
        // N+1 writes: one batch of the rows one request writes, which the batch size sets
        if let Some(i) = p
            .finding_id
            .strip_prefix("traces.n-plus-one.")
            .and_then(|i| i.parse::<usize>().ok())
        {
            let n = report
                .investigators
                .traces_data()?
                .summary
                .n_plus_one
                .get(i)?;
            return (n.access == perfhive_core::trace::Access::Write)
                .then_some(Switch::BatchSize(n.count as u64));
        }
        let about_serialisation =
            finding.finding.subject == "serialization" && finding.finding.id.contains(".phase.");
        about_serialisation.then_some(Switch::FastSerialization)
    }

    /// Whether `fixes` sets this switch already.
    fn is_set(self, fixes: &Fixes) -> bool {
        match self {
            Switch::BatchSize(_) => fixes.batch_size.is_some(),
            Switch::FastSerialization => fixes.fast_serialization,
        }
    }

    /// Sets this switch in `fixes`, and says what it changed.
    fn set(self, fixes: &mut Fixes) -> String {
        match self {
            Switch::BatchSize(n) => {
                fixes.batch_size = Some(n);
                format!("batch_size = {n}")
            }
            Switch::FastSerialization => {
                fixes.fast_serialization = true;
                "fast_serialization = true".into()
            }
        }
    }
}

impl Fixes {
    /// The switches for the report's prioritised recommendations, best first: the fixes, the
    /// changes applied, and the recommendations no switch carries out.
    pub fn from_report(report: &Report) -> (Fixes, Vec<AppliedChange>, Vec<String>) {
        let mut fixes = Fixes::default();
        let (mut applied, mut not_applied) = (Vec::new(), Vec::new());
        for p in &report.recommendations {
            match Switch::for_recommendation(p, report) {
                // a better-ranked recommendation set this switch already
                Some(sw) if sw.is_set(&fixes) => not_applied.push(format!(
                    "{} `{}` (its switch is set by a higher priority)",
                    p.priority, p.finding_id
                )),
                Some(sw) => applied.push(AppliedChange {
                    priority: p.priority,
                    finding_id: p.finding_id.clone(),
                    change: sw.set(&mut fixes),
                }),
                None => not_applied.push(format!("{} `{}`", p.priority, p.finding_id)),
            }
        }
        (fixes, applied, not_applied)
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        *self == Fixes::default()
    }
}

/// Runs the demo experiment (see the module docs).
pub fn run(
    opts: &DemoOptions,
    threads: usize,
    stop: Arc<AtomicBool>,
    progress: &Progress,
) -> Result<Outcome, InvestigateError> {
    // the source lives until the end of the investigation
    let source = Source::write(&opts.service.sources)?;
    // the demo is an OpenTelemetry-instrumented service: it reports to this receiver, kept
    // until the service stops (it reports while the fixes are applied; locals drop in reverse
    // order, the service first)
    let rx = Arc::new(crate::otel::start_receiver(&Default::default())?);
    let env = crate::otel::otel_env(&rx, "perfhive-demo");
    let stopped = || stop.load(Ordering::SeqCst);
    let service = progress.phase(Phase::StartTarget, None, stopped, || {
        Service::start(&opts.service, &env)
    })?;
    let plan = plan(&service, &source)?;
    let mut outcome = investigation::run(
        &plan,
        &Options {
            plan_dir: source.0.clone(),
            plan_ref: "--demo".into(),
            threads,
            stop: stop.clone(),
            receiver: Some(rx.clone()),
            progress: progress.clone(),
        },
    )?;
    if opts.apply && !outcome.report.is_partial() {
        progress.phase(Phase::BeforeAfter, None, stopped, || {
            apply(&service, &mut outcome, threads, &stop)
        })?;
    } else if opts.apply {
        outcome.report.interrupt("the before/after measurement");
    }
    // the service and its port are gone after this run: no command to repeat against them
    outcome
        .report
        .validation_plan
        .retain(|s| !s.command.contains("127.0.0.1"));
    Ok(outcome)
}

/// [`PLAN`] for the running service.
fn plan(service: &Service, source: &Source) -> Result<Plan, InvestigateError> {
    let body: Vec<serde_json::Value> = (0..50)
        .map(|i| serde_json::json!({"sensor": format!("s{}", i % 5), "value": i as f64 * 0.5}))
        .collect();
    let text = PLAN
        .replace("{URL}", &service.url)
        .replace("{PID}", &service.child.id().to_string())
        .replace("{BODY}", &serde_json::to_string(&body).unwrap_or_default())
        .replace("{SRC}", SOURCE_DIR);
    Ok(Plan::from_str_at(&text, &source.0.join("<demo plan>"))?)
}

/// Applies the fixes the report calls for and measures the baseline again; the before and
/// after go into the report's appendices, the after's record into `after.json`.
fn apply(
    service: &Service,
    outcome: &mut Outcome,
    threads: usize,
    stop: &Arc<AtomicBool>,
) -> Result<(), InvestigateError> {
    if outcome.report.is_partial() {
        outcome.report.interrupt("the before/after measurement");
        return Ok(());
    }
    let (fixes, applied, not_applied) = Fixes::from_report(&outcome.report);
    let (Some(before), Some(scenario)) = (outcome.report.baseline(), &outcome.scenario) else {
        return Ok(());
    };
    if fixes.is_empty() {
        return Ok(());
    }
    let before = before.metrics.clone();
    service.configure(&fixes)?;
    let after = load_test(scenario, threads, 1.0, stop).map_err(InvestigateError::Demo)?;
    let report = &mut outcome.report;
    if stop.load(std::sync::atomic::Ordering::SeqCst) {
        report.interrupt("the before/after measurement (cut short)");
    }
    let (b, f) = (&before, &after.metrics);
    let p95 =
        |m: &perfhive_core::record::Metrics| m.latency_ms.as_ref().map_or(f64::NAN, |l| l.p95);
    let fixes_json = serde_json::to_string(&fixes).unwrap_or_default();
    let before_after = BeforeAfter {
        applied,
        not_applied,
        throughput_rps: (b.throughput_rps, f.throughput_rps),
        p95_ms: (p95(b), p95(f)),
    };
    let config = &mut report.appendices.configuration;
    config.push(format!("applied to the demo service: {fixes_json}"));
    config.push(before_after.sentence());
    report.before_after = Some(before_after);
    let bytes = serde_json::to_vec_pretty(&after).unwrap_or_default();
    outcome.raw.push(("after.json".into(), bytes));
    report.appendices.data_files.push("after.json".into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_plan_is_valid_and_fixes_serialise_as_the_service_expects() {
        let text = PLAN
            .replace("{URL}", "http://127.0.0.1:8080")
            .replace("{PID}", "1")
            .replace("{BODY}", "[]")
            .replace("{SRC}", ".");
        let plan = Plan::from_str_at(&text, std::path::Path::new("demo.yaml")).unwrap();
        assert_eq!(plan.name, "demo");
        let fixes = Fixes {
            batch_size: Some(50),
            fast_serialization: false,
        };
        assert_eq!(
            serde_json::to_string(&fixes).unwrap(),
            r#"{"batch_size":50}"#
        );
        assert!(Fixes::default().is_empty());
    }

    /// The typed mapping: the sweep's batch size, and an N+1 of writes (one batch of the rows a
    /// request writes) set the same switch; the second is reported as set already.
    #[test]
    fn n_plus_one_writes_map_to_the_batch_size_once() {
        use crate::data::InvestigatorData;
        let mut report: Report =
            serde_json::from_str(include_str!("../tests/fixtures/recorded/demo.report.json"))
                .unwrap();
        for r in report.investigators.iter_mut() {
            if let Some(InvestigatorData::Traces(t)) = r.data.as_mut() {
                let n = &mut t.summary.n_plus_one[0];
                n.access = perfhive_core::trace::Access::Write;
                n.count = 50;
            }
        }
        let mut p1 = report.recommendations[1].clone();
        p1.finding_id = "traces.n-plus-one.0".into();
        assert_eq!(
            Switch::for_recommendation(&p1, &report),
            Some(Switch::BatchSize(50))
        );
        report.recommendations[1] = p1;
        let (fixes, applied, not_applied) = Fixes::from_report(&report);
        assert!(fixes.batch_size.is_some());
        assert_eq!(applied.len(), 1, "{applied:?}");
        assert!(
            not_applied.iter().any(
                |n| n.contains("traces.n-plus-one.0") && n.contains("set by a higher priority")
            ),
            "{not_applied:?}"
        );
        // an N+1 of reads has no switch
        for r in report.investigators.iter_mut() {
            if let Some(InvestigatorData::Traces(t)) = r.data.as_mut() {
                t.summary.n_plus_one[0].access = perfhive_core::trace::Access::Read;
            }
        }
        assert_eq!(
            Switch::for_recommendation(&report.recommendations[1], &report),
            None
        );
    }
}
