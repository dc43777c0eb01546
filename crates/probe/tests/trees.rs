//! Process trees of real services: a Python server under `sh -c`, gunicorn with three workers
//! (one killed and replaced), a thread saturating a core, another process's CPU as host noise.
//! The gunicorn tests need the Python fixture environment (see `support`); a check that cannot run
//! here fails under CI and otherwise prints a `perfhive-skip:` line.

#![allow(clippy::print_stderr)]

#[path = "../../profile/tests/support/mod.rs"]
mod support;

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use perfhive_probe::{
    observe_for, CpuVerdict, ProcessObserver, ProcessRole, ProcessSelector, ProcessTree, Runtime,
    SaturationCause, UseSampler,
};
use support::{fixture, pyenv, skip, wait_http, Load, Spawned, PYTHON};

/// One test at a time: they measure CPU and must not compete for the cores.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Polls the tree below `root` until `ready` holds or 20 s pass.
fn tree_when(root: i32, ready: impl Fn(&ProcessTree) -> bool) -> ProcessTree {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let tree = ProcessTree::of_roots(&[root]);
        if ready(&tree) || Instant::now() > deadline {
            return tree;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn workers(tree: &ProcessTree) -> Vec<i32> {
    tree.processes
        .iter()
        .filter(|p| p.role == ProcessRole::Worker)
        .map(|p| p.pid)
        .collect()
}

#[test]
fn python_server_is_found_under_its_shell() {
    let _serial = serial();
    if !std::path::Path::new(PYTHON).exists() {
        return skip("python server under sh -c", &format!("{PYTHON} is missing"));
    }
    let port = support::free_port();
    let dir = fixture("python");
    // `; exit $?` keeps the shell from exec-ing the server: the tree perfhive starts.
    let shell = Spawned::sh_in(&format!("{PYTHON} service.py {port}; exit $?"), &dir, &[]);
    assert!(wait_http(port, "/", Duration::from_secs(20)), "service up");
    let tree = ProcessTree::of_roots(&[shell.pid()]);
    let roles: Vec<(&str, ProcessRole)> = tree
        .processes
        .iter()
        .map(|p| (p.comm.as_str(), p.role))
        .collect();
    assert_eq!(roles.len(), 2, "{tree:#?}");
    assert_eq!(roles[0].1, ProcessRole::Launcher, "{roles:?}");
    let server = &tree.processes[1];
    assert_eq!(server.role, ProcessRole::Service);
    assert_eq!(
        server.runtime,
        Runtime::CPython {
            version: Some("3.11".into()),
            libpython: None
        }
    );
    assert_eq!(tree.topmost().first().map(|p| p.pid), Some(server.pid));

    // The observer of the shell's pid sees the server's CPU and memory.
    let mut observer = ProcessObserver::new("svc", ProcessSelector::Pid(shell.pid()));
    assert!(observer.sample().is_some());
    let load = Load::start(port, "/work", 2);
    let mut best = 0.0f64;
    let mut last = None;
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(500));
        let p = observer.sample().expect("alive");
        best = best.max(p.cpu_pct.unwrap_or(0.0));
        last = Some(p);
        if best > 30.0 && load.ok() > 0 {
            break;
        }
    }
    let last = last.expect("points");
    eprintln!(
        "server under sh -c: best {best:.0}% CPU, {last:?}, {} responses",
        load.ok()
    );
    assert_eq!(last.pids, 2, "{:?}", observer.pids());
    assert!(
        best > 30.0,
        "the server's CPU is seen through the shell: {best}%"
    );
    let pss = last
        .pss_mb
        .expect("own processes' smaps_rollup is readable");
    assert!(pss > 1.0 && pss <= last.rss_mb, "{last:?}");
}

#[test]
fn gunicorn_workers_are_observed_and_a_killed_one_is_replaced() {
    let _serial = serial();
    let env = match pyenv() {
        Ok(env) => env,
        Err(why) => return skip("gunicorn process tree", &why),
    };
    let port = support::free_port();
    let gunicorn = env.bin("gunicorn");
    let shell = Spawned::sh_in(
        &format!(
            "{} -w 3 -b 127.0.0.1:{port} --timeout 60 wsgi_app:app; exit $?",
            gunicorn.display()
        ),
        &fixture("python"),
        &[],
    );
    let tree = tree_when(shell.pid(), |t| workers(t).len() == 3);
    let before = workers(&tree);
    assert_eq!(before.len(), 3, "{tree:#?}");
    let master = tree
        .processes
        .iter()
        .find(|p| p.role == ProcessRole::Supervisor)
        .expect("the arbiter is a supervisor");
    assert!(master.runtime.is_python(), "{master:?}");
    assert_eq!(tree.processes[0].role, ProcessRole::Launcher);
    assert_eq!(tree.topmost().first().map(|p| p.pid), Some(master.pid));
    assert_eq!(tree.workers(&master.runtime), 3);
    assert!(wait_http(port, "/", Duration::from_secs(20)), "gunicorn up");

    let mut sampler = UseSampler::new(ProcessSelector::Pid(shell.pid()));
    let load = Load::start(port, "/work", 3);
    let first = sampler.sample().expect("tree alive");
    std::thread::sleep(Duration::from_millis(1500));
    let mid = sampler.sample().expect("tree alive");

    // Kill one worker; the arbiter forks a replacement.
    let victim = before[0];
    // SAFETY: kill(2) on a pid of the tree this test started.
    unsafe {
        libc::kill(victim, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut samples = vec![first, mid];
    loop {
        std::thread::sleep(Duration::from_millis(100));
        samples.push(sampler.sample().expect("tree alive"));
        let now = workers(sampler.tree());
        if now.len() == 3 && !now.contains(&victim) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no replacement for worker {victim}"
        );
    }
    std::thread::sleep(Duration::from_millis(1200));
    samples.push(sampler.sample().expect("tree alive"));
    drop(load);
    let window = sampler.window();
    for p in &window.processes {
        eprintln!(
            "{:>7} {:<10} {:<10} alive={} cpu {:.2}s rss {} pss {:?}",
            p.pid,
            p.comm,
            p.role.as_str(),
            p.alive,
            p.cpu_s,
            p.rss_bytes,
            p.pss_bytes
        );
    }
    let cpu: Vec<f64> = samples
        .iter()
        .map(|s| s.cpu_user_s + s.cpu_system_s)
        .collect();
    assert!(
        cpu.windows(2).all(|w| w[1] >= w[0]),
        "cumulative CPU never goes back when a worker dies: {cpu:?}"
    );
    let dead = window
        .processes
        .iter()
        .find(|p| p.pid == victim)
        .expect("the killed worker stays in the window");
    assert!(!dead.alive && dead.cpu_s > 0.0, "{dead:?}");
    assert!(window.exited >= 1 && window.started >= 1, "{window:?}");
    let busy_workers = window
        .processes
        .iter()
        .filter(|p| p.role == ProcessRole::Worker && p.cpu_s > 0.05)
        .count();
    assert!(busy_workers >= 2, "the load reached several workers");
    // Workers share the arbiter's pages: the tree's PSS is well below its summed RSS.
    let mem = window.memory;
    let pss = mem.pss_bytes.expect("readable");
    eprintln!(
        "tree memory: rss {} pss {pss} uss {:?}",
        mem.rss_bytes, mem.uss_bytes
    );
    assert!(
        (pss as f64) < 0.8 * mem.rss_bytes as f64,
        "shared pages counted once: {mem:?}"
    );
}

#[test]
fn one_saturated_python_thread_is_the_gil_verdict() {
    let _serial = serial();
    if !std::path::Path::new(PYTHON).exists() {
        return skip("per-thread CPU verdict", &format!("{PYTHON} is missing"));
    }
    let shell = Spawned::sh_in(
        &format!("{PYTHON} spinner.py; exit $?"),
        &fixture("python"),
        &[],
    );
    let tree = tree_when(shell.pid(), |t| {
        t.service().next().is_some_and(|p| p.runtime.is_python())
    });
    let spinner = tree.service().next().expect("python under the shell").pid;
    // Wait for the named threads.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_dir(format!("/proc/{spinner}/task"))
        .map(|d| d.count() >= 4)
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "threads did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stop = AtomicBool::new(false);
    let obs = observe_for(
        ProcessSelector::Pid(shell.pid()),
        20,
        Duration::from_secs(2),
        &stop,
    );
    for t in obs.window.threads.iter().take(4) {
        eprintln!(
            "{:>7} {:<12} of {:<10} cpu {:5.1}% demand {:5.1}%",
            t.tid, t.name, t.process, t.cpu_pct, t.demand_pct
        );
    }
    eprintln!("{}", obs.cpu.headline());
    eprintln!("noise: {}", obs.noise.describe());
    let top = &obs.window.threads[0];
    assert_eq!(top.name, "hot-spinner", "{:?}", obs.window.threads);
    assert!(top.demand_pct > 85.0, "{top:?}");
    assert!(top.runtime.is_python());
    let idle = obs
        .window
        .threads
        .iter()
        .find(|t| t.name == "idle-a")
        .expect("idle thread listed");
    assert!(idle.cpu_pct < 10.0, "{idle:?}");
    if cores() >= 2 {
        let CpuVerdict::SingleThreadSaturated { cause, thread, .. } = &obs.cpu else {
            panic!("expected one saturated thread: {:?}", obs.cpu);
        };
        assert_eq!(*cause, SaturationCause::Gil);
        assert_eq!(thread.name, "hot-spinner");
        let fix = obs.cpu.fix().expect("a fix");
        assert!(fix.contains("worker processes"), "{fix}");
    } else {
        assert!(
            matches!(obs.cpu, CpuVerdict::CpuBound { .. }),
            "{:?}",
            obs.cpu
        );
    }
}

/// A busy loop that is not a descendant of this process (a descendant would count as
/// perfhive's own CPU): started through a shell that exits at once, so it is re-parented.
struct Orphan(i32);

impl Orphan {
    fn busy_loop() -> Self {
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                "sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null & echo $!",
            ])
            .output()
            .expect("spawn");
        let pid = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("pid of the loop");
        Orphan(pid)
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the pid of the loop this test started.
        unsafe {
            libc::kill(self.0, libc::SIGKILL);
        }
    }
}

#[test]
fn another_process_burning_cpu_is_host_noise() {
    let _serial = serial();
    let target = Spawned::sh_in("sleep 30; exit $?", std::path::Path::new("/"), &[]);
    let burner = Orphan::busy_loop();
    std::thread::sleep(Duration::from_millis(100));
    let stop = AtomicBool::new(false);
    let obs = observe_for(
        ProcessSelector::Pid(target.pid()),
        10,
        Duration::from_millis(1500),
        &stop,
    );
    let n = &obs.noise;
    eprintln!(
        "{}; target {:.2} cores, own {:.2}",
        n.describe(),
        n.target_cores,
        n.own_cores
    );
    let burner_cores = n
        .top_others
        .iter()
        .find(|o| o.pid == burner.0)
        .map(|o| o.cores)
        .expect("the burner is named among other processes");
    assert!(burner_cores > 0.15, "{n:?}");
    assert!(n.other_cores >= burner_cores - 1e-9, "{n:?}");
    assert!(n.target_cores < 0.05, "a sleeping target: {n:?}");
    assert!(n.is_noisy() || n.cores > 4, "{n:?}");
    assert!(n.confidence() < 1.0);
    assert!(
        matches!(obs.cpu, CpuVerdict::NotCpuBound { .. }),
        "{:?}",
        obs.cpu
    );
}

#[test]
fn node_cluster_primary_and_workers() {
    let _serial = serial();
    if !std::path::Path::new("/usr/bin/node").exists() {
        return skip("node cluster tree", "/usr/bin/node is missing");
    }
    let port = support::free_port();
    let shell = Spawned::sh_in(
        &format!("node cluster.js {port}; exit $?"),
        &fixture("node"),
        &[],
    );
    let tree = tree_when(shell.pid(), |t| workers(t).len() == 2);
    let roles: Vec<(ProcessRole, Runtime)> = tree
        .processes
        .iter()
        .map(|p| (p.role, p.runtime.clone()))
        .collect();
    assert_eq!(
        roles,
        [
            (ProcessRole::Launcher, Runtime::Native),
            (ProcessRole::Supervisor, Runtime::Node),
            (ProcessRole::Worker, Runtime::Node),
            (ProcessRole::Worker, Runtime::Node),
        ],
        "{tree:#?}"
    );
    assert_eq!(tree.workers(&Runtime::Node), 2);
}

#[test]
fn a_saturated_node_event_loop_is_its_verdict() {
    let _serial = serial();
    if !std::path::Path::new("/usr/bin/node").exists() {
        return skip("node event-loop verdict", "/usr/bin/node is missing");
    }
    let port = support::free_port();
    let shell = Spawned::sh_in(
        &format!("node server.js {port}; exit $?"),
        &fixture("node"),
        &[],
    );
    assert!(wait_http(port, "/", Duration::from_secs(20)), "node up");
    let load = Load::start(port, "/work", 3);
    std::thread::sleep(Duration::from_millis(300));
    let stop = AtomicBool::new(false);
    let obs = observe_for(
        ProcessSelector::Pid(shell.pid()),
        20,
        Duration::from_secs(2),
        &stop,
    );
    drop(load);
    eprintln!("{}", obs.cpu.headline());
    for t in obs.window.threads.iter().take(3) {
        eprintln!(
            "{:>7} {:<14} cpu {:5.1}% demand {:5.1}%",
            t.tid, t.name, t.cpu_pct, t.demand_pct
        );
    }
    if cores() < 2 {
        assert!(obs.cpu.is_cpu_limited(), "{:?}", obs.cpu);
        return;
    }
    let CpuVerdict::SingleThreadSaturated { cause, thread, .. } = &obs.cpu else {
        panic!("expected the event loop: {:?}", obs.cpu);
    };
    assert_eq!(*cause, SaturationCause::EventLoop);
    assert_eq!(thread.runtime, Runtime::Node);
    assert!(obs.cpu.fix().expect("fix").contains("worker_threads"));
}
