//! The process tree behind a target: the processes a [`ProcessSelector`] names and all their
//! descendants, each with its runtime and its role in the service.
//!
//! A service is rarely one process. perfhive starts targets through `sh -c`, so the service runs
//! under a shell; pre-forking servers (gunicorn `-w 4`, uWSGI, a Node.js cluster, nginx) run a
//! supervisor and workers that share its executable; a worker that dies is replaced by a new pid.
//! This module finds them all and tells them apart:
//!
//! * **Descendants** come from `/proc/<pid>/task/<tid>/children` when the kernel has it
//!   (`CONFIG_PROC_CHILDREN`), otherwise from one scan of every `/proc/<pid>/stat` for parent
//!   ids — the same two methods `pstree` and `ps --forest` choose between.
//! * **Roles** ([`ProcessRole`]): a *launcher* is a shell or exec-wrapper (`sh`, `bash`, `env`,
//!   `nohup`, `timeout`, `tini`, `npm`, `poetry run`, …) that has children — it waits, the work
//!   is below it; a *supervisor* has children running its own executable (gunicorn's arbiter,
//!   uWSGI's master, a Node.js cluster primary); its children are *workers*; every other process
//!   is a *service* process.
//! * **Identity**: a process is `(pid, starttime)` (field 22 of `stat`), so a reused pid is a new
//!   process. Its runtime is re-detected when its `comm` changes under the same identity: that is
//!   an `exec` (a `sh -c 'python app.py'` whose shell replaced itself with Python).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::runtime::Runtime;
use crate::{ProbeError, ProcessSelector};

mod walk;
pub(crate) use walk::{InfoCache, TreeWalker};

/// Executables that start a program and wait for it.
const LAUNCHERS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ash",
    "ksh",
    "busybox",
    "env",
    "nohup",
    "timeout",
    "setsid",
    "stdbuf",
    "nice",
    "ionice",
    "chrt",
    "taskset",
    "time",
    "tini",
    "dumb-init",
    "catatonit",
    "su",
    "sudo",
    "runuser",
    "xargs",
];

/// Scripts an interpreter runs to start another program (`npm start`, `poetry run`, …), by the
/// file name of the interpreter's first argument.
const LAUNCHER_SCRIPTS: &[&str] = &[
    "npm",
    "npm-cli.js",
    "npx",
    "npx-cli.js",
    "yarn",
    "yarn.js",
    "yarn.cjs",
    "pnpm",
    "pnpm.cjs",
    "poetry",
    "pipenv",
    "pdm",
    "hatch",
    "uv",
];

/// What a process does in the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessRole {
    /// A shell or wrapper that started the service and waits for it.
    Launcher,
    /// A process whose children run its own executable (a pre-fork master).
    Supervisor,
    /// A child of a supervisor running the same executable.
    Worker,
    /// Any other process of the tree.
    Service,
}

impl ProcessRole {
    /// `launcher`, `supervisor`, `worker`, `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessRole::Launcher => "launcher",
            ProcessRole::Supervisor => "supervisor",
            ProcessRole::Worker => "worker",
            ProcessRole::Service => "service",
        }
    }
}

/// One process of a [`ProcessTree`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeProcess {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Start time after boot in clock ticks: with the pid, the process's identity.
    pub starttime: u64,
    /// The kernel's command name (at most 15 bytes).
    pub comm: String,
    /// The executable (`/proc/<pid>/exe`), when readable.
    pub exe: Option<PathBuf>,
    /// The command line.
    pub argv: Vec<String>,
    /// The language runtime.
    pub runtime: Runtime,
    /// Its role in the tree.
    pub role: ProcessRole,
    /// Distance from the nearest root (roots are 0).
    pub depth: usize,
}

impl TreeProcess {
    /// `gunicorn (pid 4242)`-style label.
    pub fn label(&self) -> String {
        format!("{} (pid {})", self.comm, self.pid)
    }

    /// How long the process has been running.
    pub fn age(&self) -> Duration {
        let now = crate::window::boot_ticks();
        let ticks = now.saturating_sub(self.starttime);
        Duration::from_secs_f64(ticks as f64 / crate::ticks_per_second() as f64)
    }
}

/// A snapshot of the processes behind a target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessTree {
    /// Roots first, then descendants breadth-first.
    pub processes: Vec<TreeProcess>,
}

impl ProcessTree {
    /// Resolves `selector` and reads the tree below the processes it names now.
    pub fn discover(selector: &ProcessSelector) -> Result<Self, ProbeError> {
        Ok(Self::of_roots(&selector.resolve()?))
    }

    /// Reads the tree below `roots` (roots that are gone are left out).
    pub fn of_roots(roots: &[i32]) -> Self {
        TreeReader::new().read(roots)
    }

    /// Polls the tree below `root` until it holds a process that is not a launcher (the service
    /// has started under its shell) or `timeout` passes; returns the last snapshot.
    pub fn wait_for_service(root: i32, timeout: Duration) -> Self {
        let deadline = Instant::now() + timeout;
        let mut reader = TreeReader::new();
        loop {
            let tree = reader.read(&[root]);
            let started =
                tree.service().next().is_some() && tree.processes.iter().all(|p| !is_launcher(p));
            if started || tree.processes.is_empty() || Instant::now() >= deadline {
                return tree;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether `pid` is `ancestor` or below it in this tree.
    pub fn is_below(&self, pid: i32, ancestor: i32) -> bool {
        let mut at = pid;
        for _ in 0..=self.processes.len() {
            if at == ancestor {
                return true;
            }
            match self.get(at) {
                Some(p) => at = p.ppid,
                None => return false,
            }
        }
        false
    }

    /// Every pid in the tree.
    pub fn pids(&self) -> Vec<i32> {
        self.processes.iter().map(|p| p.pid).collect()
    }

    /// The process with this pid.
    pub fn get(&self, pid: i32) -> Option<&TreeProcess> {
        self.processes.iter().find(|p| p.pid == pid)
    }

    /// The processes doing the service's work: everything but launchers.
    pub fn service(&self) -> impl Iterator<Item = &TreeProcess> {
        self.processes
            .iter()
            .filter(|p| p.role != ProcessRole::Launcher)
    }

    /// The topmost service processes of each runtime: those whose parent is not itself a service
    /// process of the same runtime family. A profiler that follows subprocesses (py-spy
    /// `--subprocesses`) attached to these sees every worker.
    pub fn topmost(&self) -> Vec<&TreeProcess> {
        self.service()
            .filter(|p| {
                self.get(p.ppid).is_none_or(|parent| {
                    parent.role == ProcessRole::Launcher || !parent.runtime.same_family(&p.runtime)
                })
            })
            .collect()
    }

    /// How many processes of `runtime`'s family serve requests: workers and service processes
    /// (a supervisor only hands out work).
    pub fn workers(&self, runtime: &Runtime) -> usize {
        self.processes
            .iter()
            .filter(|p| matches!(p.role, ProcessRole::Worker | ProcessRole::Service))
            .filter(|p| p.runtime.same_family(runtime))
            .count()
    }
}

/// Reads the tree below some roots again and again, re-reading a process's executable, command
/// line and runtime only when it is new or has exec'd — for watching a service as it starts,
/// forks workers and replaces them.
#[derive(Debug, Default)]
pub struct TreeReader {
    walker: TreeWalker,
    cache: InfoCache,
}

impl TreeReader {
    /// A reader with empty caches.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree below `roots` now.
    pub fn read(&mut self, roots: &[i32]) -> ProcessTree {
        let tree = self.walker.tree(roots, &mut self.cache);
        let live: Vec<(i32, u64)> = tree
            .processes
            .iter()
            .map(|p| (p.pid, p.starttime))
            .collect();
        self.cache.retain(&live);
        tree
    }
}

/// Whether `p` is a launcher by name (whatever its role came out as).
fn is_launcher(p: &TreeProcess) -> bool {
    launcher_name(&p.comm, p.exe.as_deref(), &p.argv)
}

fn launcher_name(comm: &str, exe: Option<&Path>, argv: &[String]) -> bool {
    let exe_name = exe
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .map(|n| n.trim_end_matches(" (deleted)"));
    if LAUNCHERS.contains(&comm) || exe_name.is_some_and(|n| LAUNCHERS.contains(&n)) {
        return true;
    }
    // `node /usr/lib/node_modules/npm/bin/npm-cli.js start`, `python /usr/bin/poetry run …`.
    // A process title (`npm start`) replaces the command line: its first word counts.
    let script = |arg: &String| {
        let word = arg.split_whitespace().next().unwrap_or_default();
        word.rsplit('/')
            .next()
            .is_some_and(|n| LAUNCHER_SCRIPTS.contains(&n))
    };
    argv.first().is_some_and(script) || argv.get(1).is_some_and(script)
}

/// Sets depth and role of every process (see the module docs).
fn assign_roles(processes: &mut [TreeProcess]) {
    let index: HashMap<i32, usize> = processes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.pid, i))
        .collect();
    // Parents come before children (breadth-first), so one pass sets every depth.
    for i in 0..processes.len() {
        let depth = index
            .get(&processes[i].ppid)
            .filter(|&&j| j < i)
            .map_or(0, |&j| processes[j].depth + 1);
        processes[i].depth = depth;
    }
    let has_children = |pid: i32| processes.iter().any(|c| c.ppid == pid);
    let same_exe_child = |p: &TreeProcess| {
        processes
            .iter()
            .any(|c| c.ppid == p.pid && c.exe.is_some() && c.exe == p.exe)
    };
    let roles: Vec<ProcessRole> = processes
        .iter()
        .map(|p| {
            if has_children(p.pid) && launcher_name(&p.comm, p.exe.as_deref(), &p.argv) {
                ProcessRole::Launcher
            } else if same_exe_child(p) {
                ProcessRole::Supervisor
            } else {
                ProcessRole::Service
            }
        })
        .collect();
    for (i, p) in processes.iter_mut().enumerate() {
        p.role = roles[i];
    }
    for i in 0..processes.len() {
        let Some(&parent) = index.get(&processes[i].ppid) else {
            continue;
        };
        let worker = roles[parent] == ProcessRole::Supervisor
            && roles[i] != ProcessRole::Launcher
            && processes[i].exe == processes[parent].exe;
        if worker && roles[i] == ProcessRole::Service {
            processes[i].role = ProcessRole::Worker;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: i32, ppid: i32, comm: &str, exe: &str, argv: &[&str]) -> TreeProcess {
        TreeProcess {
            pid,
            ppid,
            starttime: 1,
            comm: comm.into(),
            exe: Some(exe.into()),
            argv: argv.iter().map(|a| (*a).to_owned()).collect(),
            runtime: crate::runtime::classify(Some(Path::new(exe)), ""),
            role: ProcessRole::Service,
            depth: 0,
        }
    }

    #[test]
    fn shell_over_gunicorn_master_and_workers() {
        let py = "/usr/bin/python3.11";
        let gunicorn = [
            "/venv/bin/python3",
            "/venv/bin/gunicorn",
            "-w",
            "2",
            "app:app",
        ];
        let mut ps = vec![
            proc(
                10,
                1,
                "sh",
                "/usr/bin/dash",
                &["sh", "-c", "gunicorn -w 2 app:app"],
            ),
            proc(11, 10, "gunicorn", py, &gunicorn),
            proc(12, 11, "gunicorn", py, &gunicorn),
            proc(13, 11, "gunicorn", py, &gunicorn),
            proc(14, 12, "sh", "/usr/bin/dash", &["sh", "-c", "true"]),
        ];
        assign_roles(&mut ps);
        let roles: Vec<_> = ps.iter().map(|p| (p.pid, p.role, p.depth)).collect();
        assert_eq!(
            roles,
            [
                (10, ProcessRole::Launcher, 0),
                (11, ProcessRole::Supervisor, 1),
                (12, ProcessRole::Worker, 2),
                (13, ProcessRole::Worker, 2),
                // A shell without children is doing the work itself.
                (14, ProcessRole::Service, 3),
            ]
        );
        let tree = ProcessTree { processes: ps };
        let topmost: Vec<i32> = tree.topmost().iter().map(|p| p.pid).collect();
        assert_eq!(topmost, [11, 14]);
        assert_eq!(tree.workers(&tree.processes[1].runtime), 2);
        assert_eq!(tree.service().count(), 4);
    }

    #[test]
    fn npm_is_a_launcher_and_unrelated_children_are_services() {
        let mut ps = vec![
            proc(20, 1, "npm start", "/usr/bin/node", &["npm start"]),
            proc(
                21,
                20,
                "node",
                "/usr/bin/node",
                &["node", "/usr/lib/node_modules/npm/bin/npm-cli.js"],
            ),
            proc(
                22,
                21,
                "sh",
                "/usr/bin/dash",
                &["sh", "-c", "node server.js"],
            ),
            proc(23, 22, "node", "/usr/bin/node", &["node", "server.js"]),
            proc(
                24,
                23,
                "convert",
                "/usr/bin/convert",
                &["convert", "a.png", "b.jpg"],
            ),
        ];
        assign_roles(&mut ps);
        let roles: Vec<_> = ps.iter().map(|p| p.role).collect();
        // `npm start` (comm) runs npm-cli.js; its node child is npm itself too.
        assert_eq!(roles[1], ProcessRole::Launcher);
        assert_eq!(roles[2], ProcessRole::Launcher);
        assert_eq!(roles[3], ProcessRole::Service);
        assert_eq!(roles[4], ProcessRole::Service);
        let tree = ProcessTree { processes: ps };
        let topmost: Vec<i32> = tree.topmost().iter().map(|p| p.pid).collect();
        assert!(
            topmost.contains(&23) && topmost.contains(&24),
            "{topmost:?}"
        );
    }

    #[test]
    fn reads_this_process_and_a_child() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let own = i32::try_from(std::process::id()).expect("pid");
        let child_pid = i32::try_from(child.id()).expect("pid");
        let deadline = Instant::now() + Duration::from_secs(3);
        let tree = loop {
            let tree = ProcessTree::of_roots(&[own]);
            if tree.get(child_pid).is_some_and(|p| p.comm == "sleep") || Instant::now() > deadline {
                break tree;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(tree.processes[0].pid, own);
        let sleep = tree.get(child_pid).expect("child in the tree");
        assert_eq!(
            (sleep.ppid, sleep.depth, sleep.role),
            (own, 1, ProcessRole::Service)
        );
        assert_eq!(sleep.runtime, Runtime::Native);
        assert!(ProcessTree::of_roots(&[-3]).processes.is_empty());
    }
}
