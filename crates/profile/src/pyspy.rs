//! Sampling CPython with py-spy: Python functions, files and lines instead of the interpreter's
//! C frames.
//!
//! py-spy (<https://github.com/benfred/py-spy>) reads the interpreter's own data structures from
//! outside the process (`process_vm_readv`, pausing it with ptrace for each sample by default), so
//! it needs no change to the service. perfhive runs it as documented in its README:
//!
//! * `py-spy dump --pid PID` first: a one-shot read that fails fast and says why when the
//!   interpreter cannot be read (ptrace refused, or "Failed to find python version" from a
//!   source-built interpreter with a shared libpython), before a whole window is spent;
//! * then `py-spy record --pid PID --subprocesses --nonblocking --format raw --full-filenames
//!   --rate HZ [--duration S] --output FILE`, which samples the process and every Python process
//!   below it (a gunicorn arbiter and its workers, re-scanned as workers are replaced) and writes
//!   folded stacks.
//!
//! Why `--nonblocking`: by default py-spy stops the process (ptrace) for every sample, and a
//! thread read while stopped does not look idle — an idle gunicorn arbiter waiting in `select`
//! came out as 58 samples in 2 s (29 % of a core) in blocking mode and none with
//! `--nonblocking`. Not pausing the service also keeps the profiler out of the latencies a load
//! test measures meanwhile; the price is an occasional torn stack, which py-spy counts as an
//! error and drops.
//!
//! The raw format is Brendan Gregg's folded stacks: one `frame;frame;… COUNT` line per distinct
//! stack, outermost frame first. A Python frame is `function (file:line)` (3.11+ gives qualified
//! names such as `Handler.do_GET`); with `--subprocesses`, each stack starts with one
//! `process PID:"command line"` frame per process from the attached one down to the sampled one.
//! Idle threads (waiting on I/O or a lock) are left out by py-spy's default, so what remains is
//! where the service spent CPU.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use perfhive_probe::Runtime;

use crate::classify;
use crate::issue::ProfilerIssue;
use crate::stack::{ProfilerKind, Stack};

/// The py-spy release perfhive is tested with and tells users to install.
pub const PY_SPY_VERSION: &str = "0.4.3";

/// The command that installs the pinned py-spy.
pub fn install_command() -> String {
    format!("pip install py-spy=={PY_SPY_VERSION}")
}

/// Checks that py-spy can read `pid` (`py-spy dump`).
pub(crate) fn preflight(py_spy: &Path, pid: i32, runtime: &Runtime) -> Result<(), ProfilerIssue> {
    let out = Command::new(py_spy)
        .args(["dump", "--pid"])
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_issue(py_spy, &e, pid, runtime))?;
    if out.status.success() {
        return Ok(());
    }
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stderr.trim().is_empty() {
        stderr = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    Err(ProfilerIssue::py_spy_failed(&stderr, pid, runtime))
}

/// A running `py-spy record`.
#[derive(Debug)]
pub(crate) struct Recorder {
    child: Child,
    output: PathBuf,
    pid: i32,
    runtime: Runtime,
}

/// Starts `py-spy record` on `pid` and its Python subprocesses, writing to `output`; runs for
/// `duration` (rounded up to whole seconds, py-spy's unit) or until the process exits.
pub(crate) fn start(
    py_spy: &Path,
    pid: i32,
    runtime: &Runtime,
    output: &Path,
    hz: u32,
    duration: Option<Duration>,
) -> Result<Recorder, ProfilerIssue> {
    let mut cmd = Command::new(py_spy);
    cmd.args(["record", "--pid"])
        .arg(pid.to_string())
        .args([
            "--subprocesses",
            "--nonblocking",
            "--format",
            "raw",
            "--full-filenames",
        ])
        .arg("--rate")
        .arg(hz.max(1).to_string())
        .arg("--output")
        .arg(output);
    if let Some(d) = duration {
        let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        cmd.arg("--duration").arg(secs.max(1).to_string());
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_issue(py_spy, &e, pid, runtime))?;
    Ok(Recorder {
        child,
        output: output.to_path_buf(),
        pid,
        runtime: runtime.clone(),
    })
}

impl Recorder {
    /// The process py-spy is attached to.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The raw file it writes.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// Whether py-spy has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Asks py-spy to stop now (SIGINT: it writes what it has, as on Ctrl-C).
    pub fn interrupt(&self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the py-spy child this recorder started.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
    }

    /// Waits for py-spy and reads its stacks; `process_name` names a pid.
    pub fn finish(self, process_name: &dyn Fn(i32) -> String) -> Result<Vec<Stack>, ProfilerIssue> {
        let Recorder {
            child,
            output,
            pid,
            runtime,
        } = self;
        let out = child.wait_with_output().map_err(|e| {
            ProfilerIssue::py_spy_failed(&format!("waiting for py-spy: {e}"), pid, &runtime)
        })?;
        let raw = std::fs::read_to_string(&output).unwrap_or_default();
        if raw.trim().is_empty() && !out.status.success() {
            return Err(ProfilerIssue::py_spy_failed(
                &String::from_utf8_lossy(&out.stderr),
                pid,
                &runtime,
            ));
        }
        Ok(parse_raw(&raw, pid, process_name))
    }
}

fn spawn_issue(py_spy: &Path, e: &std::io::Error, pid: i32, runtime: &Runtime) -> ProfilerIssue {
    ProfilerIssue::py_spy_missing(
        format!("`{}` could not be started: {e}", py_spy.display()),
        Some(pid),
        Some(runtime.clone()),
    )
}

/// Parses py-spy's raw output. Stacks without a `process` frame belong to `attached`.
pub fn parse_raw(raw: &str, attached: i32, process_name: &dyn Fn(i32) -> String) -> Vec<Stack> {
    let mut stacks = Vec::new();
    for line in raw.lines() {
        let Some((stack, count)) = line.trim_end().rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.parse::<u64>() else {
            continue;
        };
        let mut pid = attached;
        let mut frames = Vec::new();
        let mut parts = stack.split(';');
        while let Some(part) = parts.next() {
            if let Some(rest) = part.strip_prefix("process ") {
                // `process PID:"cmdline"`; a `;` inside the command line splits it: rejoin.
                let mut whole = rest.to_owned();
                while whole.contains(":\"") && !whole.ends_with('"') {
                    match parts.next() {
                        Some(more) => {
                            whole.push(';');
                            whole.push_str(more);
                        }
                        None => break,
                    }
                }
                if let Some(p) = whole.split(':').next().and_then(|p| p.parse().ok()) {
                    pid = p;
                }
                continue;
            }
            if let Some(frame) = python_frame(part) {
                frames.push(frame);
            }
        }
        if frames.is_empty() {
            continue;
        }
        stacks.push(Stack {
            pid,
            process: process_name(pid),
            frames,
            count,
            profiler: ProfilerKind::PySpy,
        });
    }
    stacks
}

/// `function (file:line)`, `function (file)` or a bare name.
fn python_frame(part: &str) -> Option<crate::stack::Frame> {
    let part = part.trim();
    if part.is_empty() {
        return None;
    }
    let Some((function, location)) = part.strip_suffix(')').and_then(|p| p.rsplit_once(" ("))
    else {
        return Some(crate::stack::Frame {
            function: part.to_owned(),
            file: None,
            line: None,
            module: None,
            kind: crate::stack::FrameKind::Runtime,
        });
    };
    let (file, line) = match location.rsplit_once(':') {
        Some((file, line)) if line.bytes().all(|b| b.is_ascii_digit()) && !line.is_empty() => {
            (file, line.parse().ok())
        }
        _ => (location, None),
    };
    Some(classify::python_frame(function, file, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::FrameKind;

    const GUNICORN: &str = concat!(
        "process 100:\"/venv/bin/python3.11 /venv/bin/gunicorn -w 2 app:app\";",
        "process 102:\"/venv/bin/python3.11 /venv/bin/gunicorn -w 2 app:app\";",
        "<module> (/venv/bin/gunicorn:8);",
        "run (/venv/lib/python3.11/site-packages/gunicorn/arbiter.py:247);",
        "handle (/venv/lib/python3.11/site-packages/gunicorn/workers/sync.py:166);",
        "app (/srv/app.py:12);build_report (/srv/app.py:4) 41\n",
        "process 100:\"/venv/bin/python3.11 /venv/bin/gunicorn -w 2 app:app\";",
        "<module> (/venv/bin/gunicorn:8);sleep (/usr/lib/python3.11/time.py:1) 3\n",
        "main (relative.py:7);helper (relative.py) 2\n",
        "garbage\n",
    );

    #[test]
    fn gunicorn_worker_stacks_carry_their_pid() {
        let stacks = parse_raw(GUNICORN, 100, &|pid| format!("p{pid}"));
        assert_eq!(stacks.len(), 3);
        let worker = &stacks[0];
        assert_eq!(
            (worker.pid, worker.process.as_str(), worker.count),
            (102, "p102", 41)
        );
        let leaf = worker.frames.last().expect("frames");
        assert_eq!(
            (
                leaf.function.as_str(),
                leaf.file.as_deref(),
                leaf.line,
                leaf.kind
            ),
            (
                "build_report",
                Some("/srv/app.py"),
                Some(4),
                FrameKind::Application
            )
        );
        assert_eq!(worker.frames[1].kind, FrameKind::Library);
        assert_eq!(stacks[1].pid, 100);
        assert_eq!(stacks[1].frames[1].kind, FrameKind::Library);
        // No process frame: the attached process.
        assert_eq!(stacks[2].pid, 100);
        assert_eq!(stacks[2].frames[1].line, None);
        assert_eq!(stacks[2].frames[1].file.as_deref(), Some("relative.py"));
    }

    #[test]
    fn semicolons_in_a_command_line() {
        let raw = "process 7:\"sh -c a; b\";f (/x.py:1) 5\n";
        let stacks = parse_raw(raw, 1, &|_| "x".into());
        assert_eq!(stacks[0].pid, 7);
        assert_eq!(stacks[0].frames.len(), 1);
    }

    #[test]
    fn missing_binary_is_an_install_hint() {
        let rt = Runtime::CPython {
            version: None,
            libpython: None,
        };
        let issue = preflight(Path::new("/nonexistent/py-spy"), 1, &rt).expect_err("missing");
        assert!(issue.to_string().contains(&install_command()), "{issue}");
    }
}
