//! Investigations of real Python services that perfhive starts itself (`target.start`, through
//! `sh -c`): the service is observed and profiled below the shell, every pre-forked worker
//! included; its output goes to the report's target.log and never to perfhive's terminal; the
//! profile names the application's function with file:line; a single-threaded busy handler is
//! "CPU-bound on one thread".
//!
//! The services run in a virtual environment built from Debian's `/usr/bin/python3.11` with
//! py-spy and gunicorn from PyPI (the profile crate's test fixture, shared by path).

#[path = "../../profile/tests/support/mod.rs"]
mod support;

use perfhive_investigate::data::{InvestigatorData, ResourcesData, UseVerdict};
use perfhive_investigate::model::{InvestigatorName, InvestigatorResult};
use perfhive_investigate::session::{prepare, Finished, Request, Subject};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/python")
        .join(name)
}

/// The venv, or `None` after logging the skip.
fn pyenv(check: &str) -> Option<support::PyEnv> {
    match support::pyenv() {
        Ok(env) => Some(env),
        Err(why) => {
            perfhive_test_support::skip(check, &why);
            None
        }
    }
}

/// Runs `f` with this process's stdout and stderr going to a file, and returns what was written
/// there: what a terminal running perfhive would have shown.
fn capture_terminal<T>(f: impl FnOnce() -> T) -> (T, String) {
    let path = perfhive_test_support::unique_path("terminal");
    let file = std::fs::File::create(&path).expect("capture file");
    // SAFETY: dup/dup2 on this process's own standard descriptors, restored below.
    let saved = unsafe { [libc::dup(1), libc::dup(2)] };
    unsafe {
        libc::dup2(file.as_raw_fd(), 1);
        libc::dup2(file.as_raw_fd(), 2);
    }
    let out = f();
    // SAFETY: as above.
    unsafe {
        libc::dup2(saved[0], 1);
        libc::dup2(saved[1], 2);
        libc::close(saved[0]);
        libc::close(saved[1]);
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    (out, text)
}

/// Writes `plan` as `<dir>/svc/plan.yaml` and investigates it.
fn investigate(dir: &Path, plan: &str) -> (Finished, String) {
    let svc = dir.join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    let plan_path = svc.join("plan.yaml");
    std::fs::write(&plan_path, plan).unwrap();
    let request = Request {
        subject: Subject::Plan(plan_path),
        out_dir: dir.join("reports"),
        threads: 1,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let prepared = prepare(request).expect("the plan is valid");
    let (finished, terminal) =
        capture_terminal(|| prepared.run(&perfhive_investigate::progress::Progress::none()));
    (finished.expect("the investigation ran"), terminal)
}

fn result(f: &Finished, name: InvestigatorName) -> &InvestigatorResult {
    f.report
        .investigators
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name} result"))
}

fn profile_json(f: &Finished) -> serde_json::Value {
    let r = result(f, InvestigatorName::Profile);
    let data = r
        .data
        .as_ref()
        .unwrap_or_else(|| panic!("profile without data: {}", r.summary));
    data.to_json()
}

#[test]
fn a_single_threaded_busy_service_is_cpu_bound_on_one_thread_and_profiled_by_function() {
    let _one = perfhive_test_support::exclusive();
    let check = "investigate: single-threaded Python service under sh -c";
    let Some(env) = pyenv(check) else { return };
    let dir = perfhive_test_support::tempdir("investigate-busy");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::copy(fixture("busy_app.py"), dir.join("svc/busy_app.py")).unwrap();
    let port = perfhive_test_support::free_port();
    // two commands: `sh -c` stays the parent of the service
    let plan = format!(
        r#"name: busy
target:
  url: http://127.0.0.1:{port}
  start: "echo shell-says-hello; {python} busy_app.py {port}"
  ready_timeout_seconds: 30
budget_seconds: 90
load:
  users: 2
  duration_seconds: 6
  requests: [{{ name: work, path: /work }}]
investigators:
  load: {{ timing_samples: 0 }}
  resources: {{ hz: 50 }}
  profile: {{ hz: 99, py_spy: {py_spy} }}
"#,
        python = env.python().display(),
        py_spy = env.bin("py-spy").display(),
    );
    let (f, terminal) = investigate(&dir, &plan);

    // the target's output is in target.log, not on the terminal
    let log = std::fs::read_to_string(f.folder.join("target.log")).expect("target.log");
    for line in ["shell-says-hello", "busy-app-stdout", "busy-app-stderr"] {
        assert!(log.contains(line), "{line} not in target.log: {log}");
        assert!(
            !terminal.contains(line),
            "{line} on the terminal: {terminal}"
        );
    }

    // the profile: py-spy on the Python process below the shell, the handler's function first
    let p = profile_json(&f);
    let hot = &p["hot"][0];
    assert_eq!(hot["function"], "checksum", "{p:#}");
    assert!(
        hot["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("busy_app.py")
            && hot["line"].is_u64(),
        "{hot}"
    );
    let profile = result(&f, InvestigatorName::Profile);
    let finding = profile
        .findings
        .iter()
        .find(|x| x.functions.iter().any(|g| g == "checksum"))
        .unwrap_or_else(|| panic!("{:#?}", profile.findings));
    assert!(finding.title.contains("busy_app.py:"), "{}", finding.title);
    assert!(finding.files.iter().any(|g| g.ends_with("busy_app.py")));
    assert_eq!(finding.routes.len(), 1, "{:?}", finding.routes);
    let profilers: Vec<&str> = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["samples"].as_u64() > Some(0))
        .filter_map(|q| q["profiler"].as_str())
        .collect();
    assert!(profilers.contains(&"py-spy"), "{p:#}");

    // one CPU verdict: one thread at a full core, the fix for CPython
    let resources = result(&f, InvestigatorName::Resources);
    let Some(InvestigatorData::Resources(data)) = &resources.data else {
        panic!("{}", resources.summary)
    };
    let ResourcesData::Observed {
        verdicts, threads, ..
    } = &**data
    else {
        panic!("{}", resources.summary)
    };
    assert!(
        verdicts.contains(&UseVerdict::CpuBoundOneThread)
            && !verdicts.contains(&UseVerdict::CpuBound),
        "{verdicts:?}: {}; load: {}",
        resources.summary,
        result(&f, InvestigatorName::Load).summary
    );
    assert!(threads[0].process.starts_with("python"), "{threads:?}");
    let cpu: Vec<_> = f
        .report
        .investigators
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|x| x.subject == "cpu" && x.investigator == InvestigatorName::Resources)
        .collect();
    assert_eq!(cpu.len(), 1, "{cpu:#?}");
    assert!(
        cpu[0].title.starts_with("CPU-bound on one thread"),
        "{}",
        cpu[0].title
    );
    let fix = &cpu[0].recommendation.as_ref().unwrap().action;
    assert!(fix.contains("worker processes"), "{fix}");
    assert!(
        !f.report.executive_summary.headline.contains("CPU is not"),
        "{}",
        f.report.executive_summary.headline
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_gunicorn_worker_is_observed_and_profiled() {
    let _one = perfhive_test_support::exclusive();
    let check = "investigate: gunicorn -w 2 under sh -c";
    let Some(env) = pyenv(check) else { return };
    let dir = perfhive_test_support::tempdir("investigate-gunicorn");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::copy(
        support::fixture("python/wsgi_app.py"),
        dir.join("svc/wsgi_app.py"),
    )
    .unwrap();
    let port = perfhive_test_support::free_port();
    let plan = format!(
        r#"name: prefork
target:
  url: http://127.0.0.1:{port}
  start: "echo starting; {gunicorn} -w 2 -b 127.0.0.1:{port} wsgi_app:app"
budget_seconds: 90
load:
  users: 4
  duration_seconds: 6
  requests: [{{ name: work, path: /work }}]
investigators:
  load: {{ timing_samples: 0 }}
  resources: {{ hz: 50 }}
  profile: {{ hz: 99, py_spy: {py_spy} }}
"#,
        gunicorn = env.bin("gunicorn").display(),
        py_spy = env.bin("py-spy").display(),
    );
    let (f, terminal) = investigate(&dir, &plan);
    assert!(!terminal.contains("Booting worker"), "{terminal}");
    let log = std::fs::read_to_string(f.folder.join("target.log")).expect("target.log");
    assert!(log.contains("Booting worker"), "{log}");

    let p = profile_json(&f);
    let workers: Vec<&serde_json::Value> = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["role"] == "worker" && q["samples"].as_u64() > Some(0))
        .collect();
    assert!(workers.len() >= 2, "{p:#}");
    let hot = &p["hot"][0];
    assert_eq!(hot["function"], "build_report", "{p:#}");
    assert!(
        hot["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("wsgi_app.py")
            && hot["line"].is_u64(),
        "{hot}"
    );

    let resources = result(&f, InvestigatorName::Resources);
    let Some(InvestigatorData::Resources(data)) = &resources.data else {
        panic!("{}", resources.summary)
    };
    let ResourcesData::Observed {
        processes, memory, ..
    } = &**data
    else {
        panic!("{}", resources.summary)
    };
    let alive_workers = processes
        .iter()
        .filter(|q| q.role == perfhive_probe::ProcessRole::Worker)
        .count();
    assert!(alive_workers >= 2, "{processes:#?}");
    assert!(
        memory.as_ref().is_some_and(|m| m.footprint_bytes() > 0),
        "{memory:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_profiler_that_cannot_attach_is_named_with_its_install_command() {
    let _one = perfhive_test_support::exclusive();
    let check = "investigate: py-spy missing for a Python service";
    let Some(env) = pyenv(check) else { return };
    let dir = perfhive_test_support::tempdir("investigate-no-py-spy");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::copy(fixture("busy_app.py"), dir.join("svc/busy_app.py")).unwrap();
    let port = perfhive_test_support::free_port();
    let plan = format!(
        r#"name: no-py-spy
target:
  url: http://127.0.0.1:{port}
  start: "echo hello; {python} busy_app.py {port}"
load:
  users: 2
  duration_seconds: 4
  requests: [{{ name: work, path: /work }}]
investigators:
  load: {{ timing_samples: 0 }}
  profile: {{ py_spy: /nonexistent/py-spy }}
"#,
        python = env.python().display(),
    );
    let (f, _) = investigate(&dir, &plan);
    let profile = result(&f, InvestigatorName::Profile);
    let issue = profile
        .findings
        .iter()
        .find(|x| x.title.contains("py-spy"))
        .unwrap_or_else(|| panic!("{}: {:#?}", profile.summary, profile.findings));
    assert!(
        issue.detail.contains("pip install py-spy"),
        "{}",
        issue.detail
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sweep_of_a_started_service_measures_each_level_with_enough_requests_or_says_so() {
    let _one = perfhive_test_support::exclusive();
    let check = "investigate: sweep of a Python service under sh -c";
    let Some(env) = pyenv(check) else { return };
    let dir = perfhive_test_support::tempdir("investigate-sweep");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::copy(fixture("busy_app.py"), dir.join("svc/busy_app.py")).unwrap();
    let port = perfhive_test_support::free_port();
    let plan = format!(
        r#"name: sweep
target:
  url: http://127.0.0.1:{port}
  start: "echo hello; {python} busy_app.py {port}"
budget_seconds: 60
load:
  users: 1
  duration_seconds: 2
  requests: [{{ name: work, path: /work }}]
investigators:
  sweep: {{ concurrency: [1, 2, 4], level_seconds: 1 }}
"#,
        python = env.python().display(),
    );
    let (f, _) = investigate(&dir, &plan);
    let sweep = result(&f, InvestigatorName::Sweep);
    let Some(InvestigatorData::Sweep(data)) = &sweep.data else {
        panic!("{}", sweep.summary)
    };
    assert_eq!(data.levels.len(), 3, "{}", sweep.summary);
    for l in &data.levels {
        // the service's tree (below the shell) was observed at every level
        assert!(l.rss_mb.is_some_and(|m| m > 1.0), "{l:?}");
        assert!(l.cpu.is_some(), "{l:?}");
        let n = l.requests.expect("requests counted");
        assert!(n > 0, "{l:?}");
    }
    // a level short of requests is extended, or the report says its p99 is not reliable
    let short = data.levels.iter().any(|l| !l.enough_requests());
    let said = sweep
        .findings
        .iter()
        .any(|x| x.detail.contains("not reliable"))
        || data
            .insufficient
            .as_ref()
            .is_some_and(|w| w.contains("not reliable"));
    assert_eq!(short, said, "{}: {:#?}", sweep.summary, data.levels);
    // advice only from a good fit
    match (
        &data.usl,
        sweep.findings.iter().find(|x| x.id == "sweep.scalability"),
    ) {
        // a good fit: it explains the throughput, or (a flat curve, where R² means little)
        // it predicts every level's throughput within 5%
        (Some(fit), Some(_)) => assert!(
            fit.r_squared >= perfhive_investigate::investigators::sweep::MIN_R_SQUARED
                || data.levels.iter().all(|l| {
                    let predicted = perfhive_stats::usl_predict(fit, l.level);
                    l.throughput > 0.0
                        && ((predicted - l.throughput) / l.throughput).abs()
                            <= perfhive_investigate::investigators::sweep::MAX_FLAT_ERROR
                }),
            "{fit:?}: {:#?}",
            data.levels
        ),
        (_, None) => assert!(data.insufficient.is_some(), "{}", sweep.summary),
        (None, Some(x)) => panic!("advice without a fit: {x:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_started_node_service_is_profiled_through_its_perf_map() {
    let _one = perfhive_test_support::exclusive();
    let check = "investigate: Node.js service under sh -c, perf with its perf map";
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let perf_ok = std::process::Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !perfhive_test_support::require(check, node_ok && perf_ok, "node and perf are needed") {
        return;
    }
    let dir = perfhive_test_support::tempdir("investigate-node");
    std::fs::create_dir_all(dir.join("svc")).unwrap();
    std::fs::copy(
        support::fixture("node/server.js"),
        dir.join("svc/server.js"),
    )
    .unwrap();
    let port = perfhive_test_support::free_port();
    // NODE_OPTIONS is not set here: perfhive adds the perf-map flags to the started target
    let plan = format!(
        r#"name: node
target:
  url: http://127.0.0.1:{port}
  start: "echo hello; node server.js {port}"
load:
  users: 2
  duration_seconds: 5
  requests: [{{ name: work, path: /work }}]
investigators:
  load: {{ timing_samples: 0 }}
  resources: {{ hz: 50 }}
  profile: {{ hz: 99 }}
"#
    );
    let (f, terminal) = investigate(&dir, &plan);
    assert!(!terminal.contains("hello"), "{terminal}");
    let p = profile_json(&f);
    let hot = &p["hot"][0];
    assert_eq!(hot["function"], "renderInvoice", "{p:#}");
    assert!(
        hot["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("server.js"),
        "{hot}"
    );
    // one busy event loop: when one thread is the limit, it is named as such
    let resources = result(&f, InvestigatorName::Resources);
    if let Some(x) = resources
        .findings
        .iter()
        .find(|x| x.id == "resources.cpu-one-thread")
    {
        assert!(x.title.contains("(event loop)"), "{}", x.title);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
