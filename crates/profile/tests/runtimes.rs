//! Profiles of real services in their own language: a Python HTTP service and a pre-forked
//! gunicorn tree through py-spy, a Python batch command, Node.js through perf and V8's perf map,
//! a source-built Python that py-spy cannot read (perf takes over and a `ProfilerIssue` says why).
//!
//! Each test needs perf, py-spy or node; a check that cannot run here fails under CI (`CI` set)
//! and otherwise prints one `perfhive-skip: <check>: <why>` line.

#![allow(clippy::print_stderr)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use perfhive_profile::{
    profile_with, FrameKind, IssueKind, Profile, ProfileError, ProfileOptions, ProfilerKind,
    Runtime, Target, PY_SPY_VERSION,
};
use support::{fixture, pyenv, skip, wait_http, Load, Spawned};

/// One profile at a time: they sample CPU and must not compete for the cores.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn options(py_spy: Option<PathBuf>) -> ProfileOptions {
    ProfileOptions {
        py_spy,
        frequency_hz: 99,
        ..ProfileOptions::default()
    }
}

/// The profile, or `None` after reporting why this check cannot run here.
fn profiled(check: &str, result: Result<Profile, ProfileError>) -> Option<Profile> {
    match result {
        Ok(p) => Some(p),
        Err(e @ (ProfileError::PerfMissing { .. } | ProfileError::NotPermitted { .. })) => {
            skip(check, &e.to_string());
            None
        }
        Err(e) => panic!("{check}: profile failed: {e}"),
    }
}

fn show(p: &Profile) {
    eprintln!("{} samples; profilers {:?}", p.samples, p.profilers());
    for f in p.hot.iter().take(6) {
        eprintln!(
            "  {:>5.1}% attributed {:>5.1}% self  {:<12} {}",
            f.attributed_pct,
            f.self_pct,
            f.kind.map_or("?", FrameKind::as_str),
            f.location()
        );
    }
    for pr in &p.processes {
        eprintln!(
            "  pid {} {} {} {:?} {:?}: {} samples",
            pr.pid, pr.process, pr.runtime, pr.role, pr.profiler, pr.samples
        );
    }
    for i in &p.issues {
        eprintln!("  issue: {i}");
    }
}

/// Clients of the threaded Python service: one. py-spy samples a thread waiting for the GIL
/// (a second handler back from its socket write while the first computes) as running, so with
/// concurrent requests the hot function's share depends on how the OS schedules the threads.
const ONE_AT_A_TIME: usize = 1;

fn file_ends_with(f: &perfhive_profile::FunctionShare, name: &str) -> bool {
    f.file.as_deref().is_some_and(|p| p.ends_with(name))
}

#[test]
fn python_service_hot_function_with_file_and_line_through_py_spy() {
    let _serial = serial();
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip("py-spy on a Python service", &why),
    };
    let port = support::free_port();
    let shell = Spawned::sh_in(
        &format!("{} service.py {port}; exit $?", env.python().display()),
        &fixture("python"),
        &[],
    );
    assert!(wait_http(port, "/", Duration::from_secs(20)), "service up");
    let load = Load::start(port, "/work", ONE_AT_A_TIME);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = Target::Pid {
        pid: shell.pid(),
        duration: Duration::from_secs(3),
    };
    let result = profile_with(&target, dir.path(), &options(Some(env.bin("py-spy"))));
    drop(load);
    let Some(p) = profiled("py-spy on a Python service", result) else {
        return;
    };
    show(&p);
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    let top = &p.hot[0];
    assert_eq!(top.function, "compute_checksum", "{:#?}", p.hot);
    assert!(file_ends_with(top, "python/service.py"), "{top:?}");
    // The function's body is lines 11–14 of service.py.
    assert!(top.line.is_some_and(|l| (11..=14).contains(&l)), "{top:?}");
    assert_eq!(top.kind, Some(FrameKind::Application));
    assert!(top.attributed_pct > 40.0, "{top:?}");
    assert!(
        p.hot.iter().all(|f| !f.function.starts_with("_PyEval")),
        "no interpreter frames through py-spy"
    );
    let server = p
        .processes
        .iter()
        .find(|pr| pr.runtime.is_python())
        .expect("the Python process");
    assert_eq!(server.profiler, Some(ProfilerKind::PySpy));
    assert!(
        p.processes.iter().all(|pr| pr.pid != shell.pid()),
        "the shell is not profiled"
    );
    assert_eq!(p.py_spy_raw.len(), 1);
    assert!(
        p.folded.contains("compute_checksum ("),
        "folded stacks carry file:line"
    );
}

#[test]
fn gunicorn_workers_are_all_profiled_with_py_spy() {
    let _serial = serial();
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip("py-spy on gunicorn workers", &why),
    };
    let port = support::free_port();
    let shell = Spawned::sh_in(
        &format!(
            "{} -w 3 -b 127.0.0.1:{port} --timeout 60 wsgi_app:app; exit $?",
            env.bin("gunicorn").display()
        ),
        &fixture("python"),
        &[],
    );
    assert!(wait_http(port, "/", Duration::from_secs(30)), "gunicorn up");
    // Let the arbiter fork all workers before the tree is read.
    std::thread::sleep(Duration::from_millis(500));
    let load = Load::start(port, "/work", 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = Target::Pid {
        pid: shell.pid(),
        duration: Duration::from_secs(4),
    };
    let result = profile_with(&target, dir.path(), &options(Some(env.bin("py-spy"))));
    let answered = load.ok();
    drop(load);
    let Some(p) = profiled("py-spy on gunicorn workers", result) else {
        return;
    };
    show(&p);
    assert!(answered > 0);
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    let top = &p.hot[0];
    assert_eq!(top.function, "build_report", "{:#?}", p.hot);
    assert!(file_ends_with(top, "python/wsgi_app.py"), "{top:?}");
    assert!(top.line.is_some_and(|l| (8..=11).contains(&l)), "{top:?}");
    let sampled_workers = p
        .processes
        .iter()
        .filter(|pr| pr.profiler == Some(ProfilerKind::PySpy) && pr.samples > 0)
        .count();
    assert!(
        sampled_workers >= 2,
        "several workers sampled: {:?}",
        p.processes
    );
    // One py-spy on the arbiter follows its workers.
    assert_eq!(p.py_spy_raw.len(), 1, "{:?}", p.py_spy_raw);
}

#[test]
fn python_command_is_profiled_with_py_spy() {
    let _serial = serial();
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip("py-spy on a Python command", &why),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let script = fixture("python/cpu_task.py");
    let target = Target::Command(vec![
        env.python().to_string_lossy().into_owned(),
        script.to_string_lossy().into_owned(),
    ]);
    let result = profile_with(&target, dir.path(), &options(Some(env.bin("py-spy"))));
    let Some(p) = profiled("py-spy on a Python command", result) else {
        return;
    };
    show(&p);
    let top = &p.hot[0];
    assert_eq!(top.function, "crunch", "{:#?}", p.hot);
    assert!(file_ends_with(top, "cpu_task.py"), "{top:?}");
    assert_eq!(p.profilers(), [ProfilerKind::PySpy]);
    assert!(p.issues.is_empty(), "{:?}", p.issues);
}

#[test]
fn missing_py_spy_says_how_to_install_it_and_perf_takes_over() {
    let _serial = serial();
    let python = Path::new(support::PYTHON);
    if !python.exists() {
        return skip("fallback to perf without py-spy", "no /usr/bin/python3.11");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = Target::Command(vec![
        python.to_string_lossy().into_owned(),
        fixture("python/cpu_task.py").to_string_lossy().into_owned(),
    ]);
    let opts = options(Some(PathBuf::from("/nonexistent/py-spy")));
    let Some(p) = profiled(
        "fallback to perf without py-spy",
        profile_with(&target, dir.path(), &opts),
    ) else {
        return;
    };
    show(&p);
    let issue = p
        .issues
        .iter()
        .find(|i| i.profiler == ProfilerKind::PySpy)
        .expect("a py-spy issue");
    assert_eq!(issue.kind, IssueKind::Missing);
    assert_eq!(issue.fallback, Some(ProfilerKind::Perf));
    assert!(
        issue
            .to_string()
            .contains(&format!("pip install py-spy=={PY_SPY_VERSION}")),
        "{issue}"
    );
    assert_eq!(p.profilers(), [ProfilerKind::Perf]);
    // Through perf, CPython shows its interpreter: classified as runtime, not application.
    let eval = p
        .top
        .iter()
        .find(|f| f.function.starts_with("_PyEval_EvalFrameDefault"))
        .expect("the interpreter loop in perf's stacks");
    assert_eq!(eval.kind, Some(FrameKind::Runtime));
}

/// The first `python3` on `PATH` whose interpreter runs from a shared libpython.
fn source_built_python() -> Option<(PathBuf, Runtime)> {
    let mut child = std::process::Command::new("python3")
        .args(["-c", "import time; time.sleep(5)"])
        .spawn()
        .ok()?;
    let pid = i32::try_from(child.id()).ok()?;
    // `python3` may be a launcher (pyenv's shim is a shell script) that execs the interpreter
    // a while later: wait until the process is an interpreter, within a generous bound
    let deadline = Instant::now() + Duration::from_secs(10);
    let (runtime, exe) = loop {
        std::thread::sleep(Duration::from_millis(100));
        let runtime = perfhive_profile::runtime::detect(pid);
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if matches!(runtime, Runtime::CPython { .. }) || Instant::now() > deadline {
            break (runtime, exe);
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    match (&runtime, exe) {
        (
            Runtime::CPython {
                libpython: Some(_), ..
            },
            Some(exe),
        ) => Some((exe, runtime)),
        _ => None,
    }
}

/// Runs a Python service under a shell, profiles it with `py_spy`; `None` when perf is unusable.
fn profile_python_service(python: &Path, py_spy: PathBuf, check: &str) -> Option<Profile> {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = support::free_port();
    let shell = Spawned::sh_in(
        &format!("{} service.py {port}; exit $?", python.display()),
        &fixture("python"),
        &[],
    );
    assert!(wait_http(port, "/", Duration::from_secs(20)), "service up");
    let load = Load::start(port, "/work", ONE_AT_A_TIME);
    let target = Target::Pid {
        pid: shell.pid(),
        duration: Duration::from_secs(2),
    };
    let result = profile_with(&target, dir.path(), &options(Some(py_spy)));
    drop(load);
    let p = profiled(check, result)?;
    show(&p);
    Some(p)
}

#[test]
fn source_built_python_is_read_by_py_spy_or_falls_back_to_perf_saying_why() {
    let _serial = serial();
    let check = "py-spy on a source-built Python";
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip(check, &why),
    };
    let Some((python, runtime)) = source_built_python() else {
        return skip(
            check,
            "the first python3 on PATH does not run from a shared libpython",
        );
    };
    eprintln!("{} is {runtime:?}", python.display());
    let Some(p) = profile_python_service(&python, env.bin("py-spy"), check) else {
        return;
    };
    match p.issues.iter().find(|i| i.profiler == ProfilerKind::PySpy) {
        // py-spy read the interpreter (0.4.3 reads this machine's pyenv build once it has
        // initialised): the application comes first, with its file.
        None => {
            assert_eq!(p.profilers(), [ProfilerKind::PySpy]);
            assert_eq!(p.hot[0].function, "compute_checksum", "{:#?}", p.hot);
        }
        Some(issue) => {
            assert_eq!(issue.kind, IssueKind::AttachFailed, "{issue}");
            assert_eq!(issue.fallback, Some(ProfilerKind::Perf));
            assert!(issue.to_string().contains("libpython"), "{issue}");
            assert_eq!(p.profilers(), [ProfilerKind::Perf]);
        }
    }
}

#[test]
fn ptrace_refused_to_py_spy_is_reported_and_perf_takes_over() {
    let _serial = serial();
    let check = "py-spy refused by ptrace";
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip(check, &why),
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/usr/bin/setpriv").exists() {
        return skip(
            check,
            "needs root and setpriv to run py-spy as another user",
        );
    }
    // py-spy as `nobody` may not ptrace a root-owned service: a real kernel refusal.
    let dir = tempfile::tempdir().expect("tempdir");
    let wrapper = dir.path().join("py-spy-as-nobody");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups {} \"$@\"\n",
            env.bin("py-spy").display()
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .arg("755")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let Some(p) = profile_python_service(Path::new(support::PYTHON), wrapper, check) else {
        return;
    };
    let issue = p
        .issues
        .iter()
        .find(|i| i.profiler == ProfilerKind::PySpy)
        .expect("py-spy's refusal is reported");
    assert_eq!(issue.kind, IssueKind::NotPermitted, "{issue}");
    assert!(issue.remedy.contains("CAP_SYS_PTRACE"), "{issue}");
    assert_eq!(issue.fallback, Some(ProfilerKind::Perf));
    assert_eq!(p.profilers(), [ProfilerKind::Perf]);
    // The service answers each request on a new thread; perf still sees them (it samples every
    // CPU and keeps the tree's processes, where `perf record -p` would see no new thread).
    assert!(p.samples > 10, "{} samples", p.samples);
    assert!(
        p.hot
            .iter()
            .any(|f| f.function.starts_with("_PyEval") && f.kind == Some(FrameKind::Runtime)),
        "perf shows CPython's interpreter loop, classified as runtime: {:#?}",
        p.hot
    );
}

#[test]
fn node_command_hot_function_through_perf_and_its_perf_map() {
    let _serial = serial();
    if !Path::new("/usr/bin/node").exists() {
        return skip("node through perf", "/usr/bin/node is missing");
    }
    let v8_logs = || {
        std::fs::read_dir(".")
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with("-v8.log"))
                    .count()
            })
            .unwrap_or(0)
    };
    let logs_before = v8_logs();
    let dir = tempfile::tempdir().expect("tempdir");
    let target = Target::Command(vec![
        "/usr/bin/node".into(),
        fixture("node/hot.js").to_string_lossy().into_owned(),
    ]);
    let Some(p) = profiled(
        "node through perf",
        profile_with(&target, dir.path(), &options(None)),
    ) else {
        return;
    };
    show(&p);
    let top = &p.hot[0];
    assert_eq!(top.function, "mixChecksum", "{:#?}", p.hot);
    assert!(file_ends_with(top, "node/hot.js"), "{top:?}");
    assert_eq!(top.line, Some(5), "{top:?}");
    assert_eq!(top.kind, Some(FrameKind::Application));
    assert!(
        p.issues.iter().all(|i| i.kind != IssueKind::NoJitMap),
        "{:?}",
        p.issues
    );
    // `--perf-basic-prof` would leave an isolate-*-v8.log in the working directory.
    assert_eq!(
        v8_logs(),
        logs_before,
        "no V8 log written into the working directory"
    );
}

#[test]
fn node_service_under_a_shell_is_profiled_and_a_missing_map_is_reported() {
    let _serial = serial();
    if !Path::new("/usr/bin/node").exists() {
        return skip("node service through perf", "/usr/bin/node is missing");
    }
    let run = |node_options: Option<String>| -> Option<(Profile, i32)> {
        let port = support::free_port();
        let envs: Vec<(&str, &str)> = node_options
            .as_deref()
            .map(|o| vec![("NODE_OPTIONS", o)])
            .unwrap_or_default();
        let shell = Spawned::sh_in(
            &format!("node server.js {port}; exit $?"),
            &fixture("node"),
            &envs,
        );
        assert!(wait_http(port, "/", Duration::from_secs(20)), "node up");
        let load = Load::start(port, "/work", 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let target = Target::Pid {
            pid: shell.pid(),
            duration: Duration::from_secs(2),
        };
        let result = profile_with(&target, dir.path(), &options(None));
        drop(load);
        let node_pids: Vec<i32> = result
            .as_ref()
            .map(|p| p.processes.iter().map(|pr| pr.pid).collect())
            .unwrap_or_default();
        drop(shell);
        for pid in node_pids {
            let _ = std::fs::remove_file(perfhive_profile::node::perf_map_path(pid));
        }
        profiled("node service through perf", result).map(|p| (p, 0))
    };
    let Some((p, _)) = run(Some(perfhive_profile::node_options(None))) else {
        return;
    };
    show(&p);
    let top = &p.hot[0];
    assert_eq!(top.function, "renderInvoice", "{:#?}", p.hot);
    assert!(file_ends_with(top, "node/server.js"), "{top:?}");
    let node = p
        .processes
        .iter()
        .find(|pr| pr.runtime == Runtime::Node)
        .expect("node process");
    assert_eq!(node.profiler, Some(ProfilerKind::Perf));

    let start = Instant::now();
    let Some((p, _)) = run(None) else { return };
    show(&p);
    let issue = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::NoJitMap)
        .expect("the missing perf map is reported");
    assert!(issue.to_string().contains("--perf-basic-prof"), "{issue}");
    assert!(start.elapsed() < Duration::from_secs(120));
}

#[test]
fn the_pinned_py_spy_is_the_one_ci_and_the_fixture_install() {
    assert!(support::PACKAGES.contains(&format!("py-spy=={PY_SPY_VERSION}").as_str()));
    let ci = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/run"))
        .expect(".ci/run");
    assert!(
        ci.contains(&format!("py-spy=={PY_SPY_VERSION}")),
        ".ci/run installs py-spy=={PY_SPY_VERSION}"
    );
}
