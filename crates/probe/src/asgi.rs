//! Which ASGI server a CPython process runs, from its name and command line.
//!
//! An ASGI server — uvicorn, hypercorn, daphne, granian, or gunicorn with uvicorn's worker
//! class — runs every request of a worker process as a coroutine on one asyncio event loop, in
//! the process's main thread. [`detect`] finds the server of one process from:
//!
//! * its name, the console script the kernel names it after (`uvicorn main:app`);
//! * its command line: the script (`python /venv/bin/uvicorn main:app`), the module
//!   (`python -m uvicorn main:app`), and for gunicorn the worker class
//!   (`gunicorn -k uvicorn.workers.UvicornWorker main:app`; gunicorn's own workers are not
//!   asyncio servers).
//!
//! gunicorn also takes its worker class from the environment (`GUNICORN_CMD_ARGS="-k …"`)
//! and from its configuration file (`-c FILE`, else `gunicorn.conf.py` in its working
//! directory: `worker_class = "uvicorn.workers.UvicornWorker"`); [`server_of`] reads both
//! from `/proc` when the command line names no class, which is also the case of a process
//! title set with setproctitle (`gunicorn: worker [main:app]`).
//!
//! [`server_of`] adds the workers a server starts with `multiprocessing`'s spawn method
//! (`uvicorn --workers 4`, hypercorn, granian): their command line is
//! `python -c "from multiprocessing.spawn import spawn_main; …" --multiprocessing-fork`, and
//! their server is their parent's.

use serde::{Deserialize, Serialize};

use crate::tree::{ProcessTree, TreeProcess};

/// A CPython ASGI server, whose workers serve requests on an asyncio event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsgiServer {
    /// uvicorn.
    Uvicorn,
    /// hypercorn.
    Hypercorn,
    /// daphne (Django Channels).
    Daphne,
    /// granian.
    Granian,
    /// gunicorn running uvicorn's worker class.
    GunicornUvicorn,
}

/// Servers recognised by script or module name.
const BY_NAME: &[(&str, AsgiServer)] = &[
    ("uvicorn", AsgiServer::Uvicorn),
    ("hypercorn", AsgiServer::Hypercorn),
    ("daphne", AsgiServer::Daphne),
    ("granian", AsgiServer::Granian),
];

impl AsgiServer {
    /// `uvicorn`, `hypercorn`, `daphne`, `granian`, `gunicorn with uvicorn workers`.
    pub fn label(self) -> &'static str {
        match self {
            AsgiServer::Uvicorn => "uvicorn",
            AsgiServer::Hypercorn => "hypercorn",
            AsgiServer::Daphne => "daphne",
            AsgiServer::Granian => "granian",
            AsgiServer::GunicornUvicorn => "gunicorn with uvicorn workers",
        }
    }

    /// How to run `n` worker processes with this server's own option.
    pub fn more_workers(self, n: usize) -> String {
        match self {
            AsgiServer::Uvicorn => format!("run more worker processes (`uvicorn --workers {n}`)"),
            AsgiServer::Hypercorn => {
                format!("run more worker processes (`hypercorn --workers {n}`)")
            }
            AsgiServer::Granian => format!("run more worker processes (`granian --workers {n}`)"),
            AsgiServer::GunicornUvicorn => format!(
                "run more worker processes \
                 (`gunicorn -k uvicorn.workers.UvicornWorker -w {n}`)"
            ),
            AsgiServer::Daphne => format!(
                "run more processes: daphne serves from one process, so run {n} daphne \
                 processes (each on its own port, or sharing a socket with `--fd`) behind a \
                 load balancer"
            ),
        }
    }
}

/// The ASGI server process `comm` with command line `argv` runs, if any.
pub fn detect(comm: &str, argv: &[String]) -> Option<AsgiServer> {
    let argv = &untitled(argv)[..];
    let program = program(argv);
    let names = [Some(comm), program.as_deref()];
    if is_gunicorn(comm, argv) {
        return worker_class(argv).and_then(gunicorn_server);
    }
    BY_NAME
        .iter()
        .find(|(name, _)| names.iter().flatten().any(|n| n == name))
        .map(|&(_, server)| server)
}

/// The ASGI server of `p`, a process of `tree`: its own, or for a worker spawned with
/// `multiprocessing`, its parent's.
pub fn server_of(tree: &ProcessTree, p: &TreeProcess) -> Option<AsgiServer> {
    detect(&p.comm, &p.argv)
        .or_else(|| gunicorn_elsewhere(p))
        .or_else(|| {
            if !is_spawned_worker(&p.argv) {
                return None;
            }
            let parent = tree.get(p.ppid)?;
            detect(&parent.comm, &parent.argv)
        })
}

/// The command line, with a process title set by setproctitle (one argument with spaces)
/// split into its words.
fn untitled(argv: &[String]) -> std::borrow::Cow<'_, [String]> {
    match argv {
        [title] if title.contains(' ') => {
            std::borrow::Cow::Owned(title.split_whitespace().map(str::to_owned).collect())
        }
        _ => std::borrow::Cow::Borrowed(argv),
    }
}

/// The server gunicorn runs with worker class `class`: uvicorn's workers only.
fn gunicorn_server(class: &str) -> Option<AsgiServer> {
    class
        .to_ascii_lowercase()
        .contains("uvicorn")
        .then_some(AsgiServer::GunicornUvicorn)
}

/// Whether the process is gunicorn (a master or a forked worker), by its name, command line
/// or setproctitle title (`gunicorn: master [main:app]`).
fn is_gunicorn(comm: &str, argv: &[String]) -> bool {
    let program = program(&untitled(argv));
    let named = [Some(comm), program.as_deref()]
        .into_iter()
        .flatten()
        .any(|n| n == "gunicorn" || n.starts_with("gunicorn:"));
    named
}

/// For a gunicorn process whose command line names no worker class: the class from its
/// environment (`GUNICORN_CMD_ARGS`), else from its configuration file, read from `/proc`.
fn gunicorn_elsewhere(p: &TreeProcess) -> Option<AsgiServer> {
    if !is_gunicorn(&p.comm, &p.argv) {
        return None;
    }
    let proc = std::path::PathBuf::from(format!("/proc/{}", p.pid));
    let environ = std::fs::read(proc.join("environ")).unwrap_or_default();
    if let Some(args) = environ
        .split(|&b| b == 0)
        .find_map(|kv| kv.strip_prefix(b"GUNICORN_CMD_ARGS="))
    {
        let args: Vec<String> = String::from_utf8_lossy(args)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if let Some(class) = worker_class(&args) {
            return gunicorn_server(class);
        }
    }
    let file = config_file(&p.argv)?;
    let path = proc.join("cwd").join(file);
    let text = std::fs::read_to_string(path).ok()?;
    config_worker_class(&text).and_then(gunicorn_server)
}

/// gunicorn's configuration file: `-c FILE`, `--config FILE`, `--config=FILE`, else
/// `gunicorn.conf.py` (in the working directory). `None` for a `python:module` config.
fn config_file(argv: &[String]) -> Option<String> {
    let mut args = argv.iter();
    let mut file = None;
    while let Some(a) = args.next() {
        if a == "-c" || a == "--config" {
            file = args.next().cloned();
        } else if let Some(f) = a.strip_prefix("--config=") {
            file = Some(f.to_owned());
        } else if let Some(f) = a.strip_prefix("-c").filter(|f| !f.is_empty()) {
            file = Some(f.to_owned());
        }
    }
    let file = file.unwrap_or_else(|| "gunicorn.conf.py".to_owned());
    (!file.starts_with("python:")).then_some(file)
}

/// The `worker_class = "…"` a gunicorn configuration file sets (the last assignment at the
/// start of a line, to a string literal).
fn config_worker_class(text: &str) -> Option<&str> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("worker_class")?.trim_start();
            let value = rest.strip_prefix('=')?.trim();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let inner = &value[1..];
            Some(&inner[..inner.find(quote)?])
        })
        .next_back()
}

/// Whether a command line is a `multiprocessing` spawn child's.
fn is_spawned_worker(argv: &[String]) -> bool {
    argv.iter().any(|a| a == "--multiprocessing-fork")
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The program a command line runs: `argv[0]`'s name, or for a Python interpreter, its
/// `-m` module (top-level package) or script's name (without `.py`). `None` for `-c` code.
fn program(argv: &[String]) -> Option<String> {
    let first = basename(argv.first()?);
    if !first.starts_with("python") {
        return Some(first.to_owned());
    }
    let mut args = argv[1..].iter();
    while let Some(a) = args.next() {
        let module = match a.as_str() {
            "-m" => args.next().map(String::as_str),
            "-c" | "-" | "--" => return None,
            // options with a separate argument
            "-X" | "-W" | "--check-hash-based-pycs" => {
                args.next();
                continue;
            }
            m if m.starts_with("-m") => Some(&m[2..]),
            o if o.starts_with('-') => continue,
            script => return Some(basename(script).trim_end_matches(".py").to_owned()),
        };
        return module.map(|m| m.split('.').next().unwrap_or(m).to_owned());
    }
    None
}

/// gunicorn's worker class, from `-k CLASS`, `-kCLASS`, `--worker-class CLASS` or
/// `--worker-class=CLASS`.
fn worker_class(argv: &[String]) -> Option<&str> {
    let mut args = argv.iter();
    while let Some(a) = args.next() {
        if a == "-k" || a == "--worker-class" {
            return args.next().map(String::as_str);
        }
        if let Some(k) = a.strip_prefix("--worker-class=") {
            return Some(k);
        }
        if let Some(k) = a.strip_prefix("-k").filter(|k| !k.is_empty()) {
            return Some(k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Runtime;
    use crate::tree::ProcessRole;

    fn argv(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn servers_by_name_script_and_module() {
        let cases = [
            (
                "uvicorn",
                "/venv/bin/python3 /venv/bin/uvicorn main:app",
                Some(AsgiServer::Uvicorn),
            ),
            (
                "python3",
                "python3 -m uvicorn main:app --port 8000",
                Some(AsgiServer::Uvicorn),
            ),
            (
                "python",
                "/usr/bin/python -X dev -u -muvicorn main:app",
                Some(AsgiServer::Uvicorn),
            ),
            (
                "python3",
                "python3 /srv/venv/bin/hypercorn app:app",
                Some(AsgiServer::Hypercorn),
            ),
            (
                "python3.11",
                "python3.11 -m hypercorn.__main__ app:app",
                Some(AsgiServer::Hypercorn),
            ),
            (
                "daphne",
                "/venv/bin/python /venv/bin/daphne proj.asgi:app",
                Some(AsgiServer::Daphne),
            ),
            (
                "granian",
                "granian --interface asgi main:app",
                Some(AsgiServer::Granian),
            ),
            ("python3", "python3 main.py", None),
            ("python3", "python3 -c import uvicorn", None),
            ("node", "node uvicorn.js", None),
            ("uvicorn-proxy", "uvicorn-proxy --port 1", None),
        ];
        for (comm, line, want) in cases {
            assert_eq!(detect(comm, &argv(line)), want, "{comm}: {line}");
        }
    }

    #[test]
    fn gunicorn_is_an_asgi_server_only_with_uvicorn_workers() {
        let cases = [
            ("gunicorn -k uvicorn.workers.UvicornWorker main:app", true),
            (
                "gunicorn --worker-class=uvicorn.workers.UvicornWorker main:app",
                true,
            ),
            (
                "gunicorn -w 4 --worker-class uvicorn_worker.UvicornWorker main:app",
                true,
            ),
            ("gunicorn -kuvicorn.workers.UvicornH11Worker main:app", true),
            ("gunicorn -w 4 main:app", false),
            ("gunicorn -k gthread --threads 8 main:app", false),
        ];
        for (line, asgi) in cases {
            let mut full = argv("/venv/bin/python3 /venv/bin/gunicorn");
            full.extend(argv(line).into_iter().skip(1));
            let want = asgi.then_some(AsgiServer::GunicornUvicorn);
            assert_eq!(detect("gunicorn", &full), want, "{line}");
            let mut module = argv("python3 -m gunicorn");
            module.extend(argv(line).into_iter().skip(1));
            assert_eq!(detect("python3", &module), want, "-m: {line}");
        }
        // a process title: "gunicorn: worker [main:app]" names no worker class
        assert_eq!(
            detect("gunicorn", &["gunicorn: worker [main:app]".into()]),
            None
        );
    }

    #[test]
    fn gunicorn_config_files_and_their_worker_class() {
        assert_eq!(
            config_file(&argv("gunicorn -c conf/prod.py main:app")).as_deref(),
            Some("conf/prod.py")
        );
        assert_eq!(
            config_file(&argv("gunicorn --config=g.py main:app")).as_deref(),
            Some("g.py")
        );
        assert_eq!(
            config_file(&argv("gunicorn main:app")).as_deref(),
            Some("gunicorn.conf.py")
        );
        assert_eq!(config_file(&argv("gunicorn -c python:conf.prod m:a")), None);
        let conf = "bind = '127.0.0.1:8000'\n# worker_class = \"sync\"\nworkers = 4\nworker_class = \"uvicorn.workers.UvicornWorker\"\n";
        assert_eq!(
            config_worker_class(conf),
            Some("uvicorn.workers.UvicornWorker")
        );
        assert_eq!(
            config_worker_class("worker_class='gthread'"),
            Some("gthread")
        );
        assert_eq!(config_worker_class("worker_class = pick()"), None);
        assert_eq!(config_worker_class("workers = 2"), None);
    }

    /// A real process named gunicorn, its worker class set only in its environment or its
    /// configuration file, read through /proc.
    #[test]
    fn gunicorn_worker_class_from_environment_and_config_file() {
        let dir = std::env::temp_dir().join(format!("perfhive-asgi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = |env: Option<&str>, title: &str| {
            let mut cmd = std::process::Command::new("bash");
            cmd.args(["-c", &format!("exec -a '{title}' sleep 30")])
                .current_dir(&dir)
                .env_remove("GUNICORN_CMD_ARGS");
            if let Some(v) = env {
                cmd.env("GUNICORN_CMD_ARGS", v);
            }
            let mut child = cmd.spawn().unwrap();
            let pid = child.id() as i32;
            // wait for the exec
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .unwrap_or_default()
                .trim()
                != "sleep"
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let tree = ProcessTree::of_roots(&[pid]);
            let found = tree.get(pid).and_then(|p| server_of(&tree, p));
            let _ = child.kill();
            let _ = child.wait();
            found
        };
        let uvicorn = Some(AsgiServer::GunicornUvicorn);
        let env = "--workers 2 -k uvicorn.workers.UvicornWorker";
        assert_eq!(run(Some(env), "gunicorn"), uvicorn);
        assert_eq!(run(Some("-k gthread"), "gunicorn"), None);
        assert_eq!(run(None, "gunicorn"), None);
        std::fs::write(
            dir.join("gunicorn.conf.py"),
            "worker_class = 'uvicorn.workers.UvicornWorker'\n",
        )
        .unwrap();
        assert_eq!(run(None, "gunicorn"), uvicorn);
        // a setproctitle title: the same files
        assert_eq!(run(None, "gunicorn: worker [main:app]"), uvicorn);
        // not gunicorn: its files say nothing
        assert_eq!(run(Some(env), "python3"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn spawned_workers_are_their_parents_server() {
        let proc = |pid: i32, ppid: i32, comm: &str, line: &str| TreeProcess {
            pid,
            ppid,
            starttime: 1,
            comm: comm.into(),
            exe: None,
            argv: argv(line),
            runtime: Runtime::Unknown,
            role: ProcessRole::Worker,
            depth: 0,
        };
        let spawn = "/venv/bin/python3 -c from multiprocessing.spawn import spawn_main; \
                     spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork";
        let tree = ProcessTree {
            processes: vec![
                proc(
                    1,
                    0,
                    "uvicorn",
                    "/venv/bin/python3 /venv/bin/uvicorn --workers 2 m:app",
                ),
                proc(2, 1, "python3", spawn),
                proc(3, 2, "python3", "python3 job.py"),
                proc(4, 0, "python3", "python3 pool.py"),
                proc(5, 4, "python3", spawn),
            ],
        };
        let server = |pid| server_of(&tree, tree.get(pid).unwrap());
        assert_eq!(server(1), Some(AsgiServer::Uvicorn));
        assert_eq!(server(2), Some(AsgiServer::Uvicorn));
        assert_eq!(server(3), None, "a subprocess of a worker is not a server");
        assert_eq!(server(5), None, "a spawned child of a non-server");
    }

    #[test]
    fn each_server_scales_out_with_its_own_option() {
        let fixes = [
            (AsgiServer::Uvicorn, "uvicorn --workers 4"),
            (AsgiServer::Hypercorn, "hypercorn --workers 4"),
            (AsgiServer::Granian, "granian --workers 4"),
            (AsgiServer::GunicornUvicorn, "-w 4"),
            (AsgiServer::Daphne, "4 daphne processes"),
        ];
        for (server, option) in fixes {
            let fix = server.more_workers(4);
            assert!(fix.contains(option), "{server:?}: {fix}");
            let other = fixes.iter().any(|&(s, o)| s != server && fix.contains(o));
            assert!(!other, "{server:?}: {fix}");
        }
        assert!(AsgiServer::GunicornUvicorn
            .more_workers(2)
            .contains("uvicorn.workers.UvicornWorker"));
    }
}
