//! Running one command and measuring that child alone: `fork`/`exec` through std, then
//! `wait4(2)` on its pid for the child's own `rusage` (user and system time, peak RSS, context
//! switches). hyperfine reads `getrusage(RUSAGE_CHILDREN)`, whose `ru_maxrss` is the high-water
//! mark of *all* children so far; wait4 gives each run its own.
//!
//! Each command runs in a process group of its own, so that a stop can end it with everything
//! it started: a stoppable run watches its child through a pidfd and, when its flag is set,
//! kills the child's group before reaping it (the pid cannot be reused until then). A run that
//! nothing watches ([`run_once`], or any run without pidfds, Linux before 5.3) stays in the
//! caller's process group, where a stop sent to the whole group (Ctrl-C) still reaches it.

mod spawner;

pub use spawner::{serve_spawner, Spawner};

use perfhive_core::bench::Sample;
use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How to run a command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Launcher {
    /// Split into words (shell-words rules) and exec directly.
    Direct,
    /// `SHELL -c LINE`.
    Shell(String),
}

/// Where the child's standard streams go.
#[derive(Clone, Debug, Default)]
pub struct Io {
    /// Feed this file on stdin (else /dev/null).
    pub input: Option<PathBuf>,
    /// Inherit stdout/stderr instead of discarding them.
    pub show_output: bool,
}

/// A command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The command line could not be split into words.
    #[error("cannot parse `{line}`: {message}")]
    Parse {
        /// The line.
        line: String,
        /// Why.
        message: String,
    },
    /// The program could not be spawned.
    #[error("cannot run `{line}`: {source}")]
    Spawn {
        /// The line.
        line: String,
        /// Why.
        source: io::Error,
    },
    /// A stop ended the run before it finished: the command's process group was killed and
    /// the run is not a measurement.
    #[error("`{line}` was stopped before it finished")]
    Stopped {
        /// The line.
        line: String,
    },
    /// The spawner process exited (killed from outside) before the run's result arrived.
    #[error("the spawner exited while running `{line}`")]
    SpawnerExited {
        /// The line.
        line: String,
    },
}

/// The flag that ends a run before its end.
#[derive(Clone, Copy, Debug)]
pub enum EndOn<'a> {
    /// A stop: measured runs, warm-up, `--setup`, `--prepare`. In the spawner SIGINT and
    /// SIGTERM end such a run too.
    Stop(&'a AtomicBool),
    /// Only a kill (a second stop): `--cleanup`, which runs after a stop. In the spawner only
    /// SIGUSR1 ends such a run.
    Kill(&'a AtomicBool),
}

impl<'a> EndOn<'a> {
    /// The flag.
    pub fn flag(self) -> &'a AtomicBool {
        match self {
            EndOn::Stop(f) | EndOn::Kill(f) => f,
        }
    }
}

/// Builds the process for `line`.
pub fn command(line: &str, launcher: &Launcher) -> Result<Command, ExecError> {
    match launcher {
        Launcher::Shell(sh) => {
            let mut c = Command::new(sh);
            c.arg("-c").arg(line);
            Ok(c)
        }
        Launcher::Direct => {
            let words = shell_words::split(line).map_err(|e| ExecError::Parse {
                line: line.into(),
                message: e.to_string(),
            })?;
            let (prog, args) = words.split_first().ok_or_else(|| ExecError::Parse {
                line: line.into(),
                message: "empty command".into(),
            })?;
            let mut c = Command::new(prog);
            c.args(args);
            Ok(c)
        }
    }
}

/// Runs `line` once in this process and measures it.
pub fn run_once(line: &str, launcher: &Launcher, io: &Io) -> Result<Sample, ExecError> {
    run_with(line, launcher, io, None, None)
}

/// [`run_once`], ended early when `stop` is set: the command's process group is killed within
/// a few milliseconds and the result is [`ExecError::Stopped`]. (Without pidfds, Linux before
/// 5.3, the run is waited for; it shares the caller's process group, so a stop sent to the
/// whole group ends it.)
pub fn run_stoppable(
    line: &str,
    launcher: &Launcher,
    io: &Io,
    stop: &AtomicBool,
) -> Result<Sample, ExecError> {
    run_with(line, launcher, io, None, Some(stop))
}

fn run_with(
    line: &str,
    launcher: &Launcher,
    io: &Io,
    output: Option<(Stdio, Stdio)>,
    stop: Option<&AtomicBool>,
) -> Result<Sample, ExecError> {
    if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
        return Err(ExecError::Stopped { line: line.into() });
    }
    let mut cmd = command(line, launcher)?;
    // a group of its own, when a stop can be watched for: it kills what the command started
    // too. Otherwise the caller's group, which the terminal's Ctrl-C reaches.
    if stop.is_some() && has_pidfds() {
        cmd.process_group(0);
    }
    let spawn_err = |source| ExecError::Spawn {
        line: line.into(),
        source,
    };
    match &io.input {
        Some(p) => cmd.stdin(File::open(p).map_err(spawn_err)?),
        None => cmd.stdin(Stdio::null()),
    };
    match output {
        Some((o, e)) => {
            cmd.stdout(o).stderr(e);
        }
        None if !io.show_output => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        None => {}
    }
    let start = Instant::now();
    let child = cmd.spawn().map_err(spawn_err)?;
    let pid = child.id() as libc::pid_t;
    let stopped = stop.is_some_and(|s| watch(pid, s));
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waiting for our own child with valid out-pointers. std's Child is not waited
        // on afterwards (dropping it does not reap), so the pid is reaped exactly once.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(spawn_err(err));
        }
    }
    let wall = start.elapsed();
    drop(child);
    if stopped {
        return Err(ExecError::Stopped { line: line.into() });
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        -libc::WTERMSIG(status)
    } else {
        -1
    };
    Ok(Sample {
        wall_s: wall.as_secs_f64(),
        user_s: tv(usage.ru_utime),
        system_s: tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss.max(0) as u64,
        voluntary_cs: usage.ru_nvcsw.max(0) as u64,
        involuntary_cs: usage.ru_nivcsw.max(0) as u64,
        exit_code,
    })
}

/// Waits until the child `pid` has exited (without reaping it) or `stop` is set; on a stop,
/// kills the child's process group and the child, and returns true. Returns false at once when
/// the kernel has no pidfds (the caller then simply waits).
fn watch(pid: libc::pid_t, stop: &AtomicBool) -> bool {
    // SAFETY: pidfd_open on our own child, which is not reaped before this returns.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let Ok(fd) = libc::c_int::try_from(fd) else {
        return false;
    };
    if fd < 0 {
        return false;
    }
    let killed = loop {
        if stop.load(Ordering::SeqCst) {
            // SAFETY: signalling our own unreaped child and the group it leads: neither id can
            // have been reused yet.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            break true;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd. A pidfd becomes readable when its process exits.
        let rc = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
        if rc > 0 {
            break false;
        }
        if rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break false;
        }
    };
    // SAFETY: closing the pidfd opened above, once.
    unsafe { libc::close(fd) };
    killed
}

/// Whether this kernel has `pidfd_open(2)` (Linux 5.3 and later), asked once.
fn has_pidfds() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        // SAFETY: pidfd_open on this process; the descriptor, if any, is closed at once.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
        if fd < 0 {
            return false;
        }
        // SAFETY: closing the descriptor just opened, once.
        unsafe { libc::close(fd as libc::c_int) };
        true
    })
}

/// How often a stoppable run looks at its stop flag, ms.
const POLL_MS: libc::c_int = 20;

/// This process's own RSS high-water mark (`VmHWM`), KiB: what a child forked from it inherits
/// as the floor of its `ru_maxrss`. (`getrusage(RUSAGE_SELF)` would also include the
/// high-water mark inherited from this process's own parent.)
pub fn own_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child_and_its_exit_code() {
        let s = run_once("sh -c 'exit 3'", &Launcher::Direct, &Io::default()).unwrap();
        assert_eq!(s.exit_code, 3);
        assert!(s.max_rss_kb > 0);
        let s = run_once("exit 0", &Launcher::Shell("sh".into()), &Io::default()).unwrap();
        assert_eq!(s.exit_code, 0);
        assert!(matches!(
            run_once("no-such-program-xyz", &Launcher::Direct, &Io::default()),
            Err(ExecError::Spawn { .. })
        ));
        assert!(matches!(
            run_once("echo 'unclosed", &Launcher::Direct, &Io::default()),
            Err(ExecError::Parse { .. })
        ));
    }

    #[test]
    fn a_stop_kills_the_run_and_what_it_started() {
        let dir = std::env::temp_dir().join(format!("perfhive-exec-stop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("bg.pid");
        // a shell that starts a background sleep and waits for it
        let line = format!("sleep 30 & echo $! > '{}'; wait", pidfile.display());
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            s.store(true, Ordering::SeqCst);
        });
        let t = Instant::now();
        let r = run_stoppable(&line, &Launcher::Shell("sh".into()), &Io::default(), &stop);
        setter.join().unwrap();
        assert!(matches!(r, Err(ExecError::Stopped { .. })), "{r:?}");
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
        let bg: libc::pid_t = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // the background sleep was in the run's process group: killed too (it may linger a
        // moment as a zombie of init, which /proc shows as state Z or not at all)
        let t = Instant::now();
        while perfhive_test_support::running(bg) && t.elapsed().as_secs() < 2 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            !perfhive_test_support::running(bg),
            "the background process {bg} outlived the stop"
        );
        // a stop already set: nothing runs; an unset one changes nothing
        assert!(matches!(
            run_stoppable("true", &Launcher::Direct, &Io::default(), &stop),
            Err(ExecError::Stopped { .. })
        ));
        let go = AtomicBool::new(false);
        let ok = run_stoppable("sh -c 'exit 4'", &Launcher::Direct, &Io::default(), &go);
        assert_eq!(ok.unwrap().exit_code, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
