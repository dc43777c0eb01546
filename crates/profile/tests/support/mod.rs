//! Fixtures for tests on real process trees, shared by perfhive-profile's and perfhive-probe's
//! tests (the probe's include this file by path):
//!
//! * [`pyenv`]: a virtual environment built from Debian's `/usr/bin/python3.11` with pinned
//!   gunicorn and py-spy from PyPI. `.ci/run` prepares it and names it in `PERFHIVE_TEST_PYENV`;
//!   without that variable the first test that needs it builds it under
//!   `target/perfhive-test-pyenv` (one builder at a time, behind a file lock).
//! * [`Spawned`], [`free_port`], [`wait_http`]: perfhive-test-support's, re-exported (a child
//!   killed with its process group when dropped, a free loopback port, a wait for a server).
//! * [`skip`]: a check that cannot run here fails under CI (`CI` set) and otherwise prints one
//!   `perfhive-skip: <check>: <why>` line, so it never passes silently.
//! * [`Load`]: a few HTTP/1.1 clients on loopback keeping a server busy.

#![allow(dead_code, unused_imports, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use perfhive_test_support::{free_port, http_status, wait_http, Spawned};

/// The interpreter test environments are built from: Debian's, which py-spy can read.
pub const PYTHON: &str = "/usr/bin/python3.11";

/// What the environment holds, pinned. Keep py-spy's pin equal to
/// `perfhive_profile::pyspy::PY_SPY_VERSION` (a test checks it) and to `.ci/run`.
pub const PACKAGES: &[&str] = &["gunicorn==27.0.1", "py-spy==0.4.3"];

/// A file of `crates/profile/tests/fixtures` (the same path from either crate's tests).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../profile/tests/fixtures")
        .join(name)
}

/// A prepared virtual environment.
#[derive(Debug, Clone)]
pub struct PyEnv {
    /// The venv's root.
    pub root: PathBuf,
}

impl PyEnv {
    /// `<root>/bin/<name>`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.root.join("bin").join(name)
    }

    /// The venv's interpreter.
    pub fn python(&self) -> PathBuf {
        self.bin("python")
    }
}

/// The test environment, built if needed; `Err` says why it is not available.
pub fn pyenv() -> Result<PyEnv, String> {
    if let Some(dir) = std::env::var_os("PERFHIVE_TEST_PYENV") {
        let env = PyEnv { root: dir.into() };
        return if env.bin("py-spy").exists() && env.bin("gunicorn").exists() {
            Ok(env)
        } else {
            Err(format!(
                "PERFHIVE_TEST_PYENV={} has no bin/py-spy or bin/gunicorn",
                env.root.display()
            ))
        };
    }
    if !Path::new(PYTHON).exists() {
        return Err(format!(
            "{PYTHON} is missing (Debian: apt-get install python3.11-venv)"
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let root = target.join("perfhive-test-pyenv");
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let _lock = FileLock::acquire(&target.join("perfhive-test-pyenv.lock"))?;
    let marker = root.join(".perfhive-packages");
    let wanted = PACKAGES.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return Ok(PyEnv { root });
    }
    let _ = std::fs::remove_dir_all(&root);
    run(Command::new(PYTHON).args(["-m", "venv"]).arg(&root))?;
    run(Command::new(root.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(PACKAGES))?;
    std::fs::write(&marker, wanted).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(PyEnv { root })
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// An exclusive `flock(2)` on a file, released when dropped.
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &Path) -> Result<Self, String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // SAFETY: flock on a descriptor this struct owns; it touches no memory.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            return Err(format!(
                "flock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(Self(file))
    }
}

/// Reports that `check` did not run (see `perfhive_test_support::skip`: one `perfhive-skip:`
/// line, listed by `scripts/test.sh`; in CI a failure); the caller then returns.
pub fn skip(check: &str, why: &str) {
    perfhive_test_support::skip(check, why);
}

/// `clients` threads sending `GET path` back to back until dropped.
pub struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Starts the clients.
    pub fn start(port: u16, path: &str, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let threads = (0..clients)
            .map(|_| {
                let (stop, ok, path) = (stop.clone(), ok.clone(), path.to_owned());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match http_status(port, &path) {
                            Ok(status) if status.contains(" 200 ") => {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => std::thread::sleep(Duration::from_millis(20)),
                        }
                    }
                })
            })
            .collect();
        Self { stop, ok, threads }
    }

    /// Responses with status 200 so far.
    pub fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
