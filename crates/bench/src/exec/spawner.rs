//! The spawner: a small helper process that forks the benchmarked commands, so that each
//! child's peak RSS is its own.
//!
//! It shares its parent's process group, so a stop sent to the whole group (Ctrl-C, `timeout`,
//! systemd, Kubernetes) reaches it too. It survives SIGINT and SIGTERM: either one only ends
//! the stoppable run in progress (its process group killed, the reply [`Reply::Stopped`]); the
//! spawner itself ends when its parent closes the pipe. SIGUSR1 ends a run that no stop ends
//! (`--cleanup`) the same way. A parent whose flag for the run in progress is set sends the
//! matching signal (SIGTERM or SIGUSR1) on every poll until the reply arrives: a signal that
//! lands before the spawner has taken the request (and cleared what the run before left) is
//! sent again.

use super::{own_hwm_kb, run_with, EndOn, ExecError, Io, Launcher};
use perfhive_core::bench::Sample;
use std::io;
use std::os::fd::AsRawFd as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// A small helper process that forks the benchmarked commands, so that each child's peak RSS
/// is its own. On Linux, `exec` folds the parent's RSS high-water mark into the child's
/// `ru_maxrss` (`exec_mmap` → `setmax_mm_hiwater_rss`): a child forked from a large process can
/// never report less than that process. perfhive re-executes itself as `perfhive __spawn`
/// (a few MiB, nothing initialised) and asks it, over a pipe, to run and measure each command.
pub struct Spawner {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    /// The spawner's own peak RSS, KiB: the smallest peak a child can report.
    pub floor_kb: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Request {
    line: String,
    shell: Option<String>,
    input: Option<PathBuf>,
    show_output: bool,
    /// Whether SIGINT/SIGTERM end this run (not for `--cleanup`, which runs after a stop and
    /// only SIGUSR1 ends).
    stoppable: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum Reply {
    Hello { floor_kb: u64 },
    Ok(Sample),
    Parse(String),
    Spawn(String),
    Stopped,
}

fn read_reply(r: &mut impl std::io::BufRead) -> io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the spawner exited",
        ));
    }
    serde_json::from_str(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Whether an error talking to the spawner means it is gone.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
    )
}

impl Spawner {
    /// Starts `program args…` (perfhive's own `__spawn` mode) and reads its greeting.
    pub fn start(program: &std::path::Path, args: &[String]) -> io::Result<Spawner> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let mut stdout = std::io::BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| io::Error::other("no stdout"))?,
        );
        match read_reply(&mut stdout)? {
            Reply::Hello { floor_kb } => Ok(Spawner {
                child,
                stdin,
                stdout,
                floor_kb,
            }),
            _ => Err(io::Error::other("unexpected greeting from the spawner")),
        }
    }

    /// Runs `line` once in the spawner and returns its measurement. Once `end`'s flag is set
    /// the spawner is told to end the run ([`ExecError::Stopped`]): SIGTERM for a
    /// [`EndOn::Stop`] run, SIGUSR1 for a [`EndOn::Kill`] one, which SIGINT and SIGTERM do not
    /// end. A spawner that exited gives [`ExecError::SpawnerExited`].
    pub fn run(
        &mut self,
        line: &str,
        launcher: &Launcher,
        io: &Io,
        end: EndOn<'_>,
    ) -> Result<Sample, ExecError> {
        use std::io::Write as _;
        if end.flag().load(Ordering::SeqCst) {
            return Err(ExecError::Stopped { line: line.into() });
        }
        let req = Request {
            line: line.to_string(),
            shell: match launcher {
                Launcher::Shell(s) => Some(s.clone()),
                Launcher::Direct => None,
            },
            input: io.input.clone(),
            show_output: io.show_output,
            stoppable: matches!(end, EndOn::Stop(_)),
        };
        let fail = |e: io::Error| {
            if gone(&e) {
                ExecError::SpawnerExited { line: line.into() }
            } else {
                ExecError::Spawn {
                    line: line.into(),
                    source: e,
                }
            }
        };
        let mut text = serde_json::to_string(&req).map_err(|e| fail(io::Error::other(e)))?;
        text.push('\n');
        self.stdin.write_all(text.as_bytes()).map_err(fail)?;
        self.stdin.flush().map_err(fail)?;
        self.await_reply(end);
        match read_reply(&mut self.stdout).map_err(fail)? {
            Reply::Ok(s) => Ok(s),
            Reply::Stopped => Err(ExecError::Stopped { line: line.into() }),
            Reply::Parse(message) => Err(ExecError::Parse {
                line: line.into(),
                message,
            }),
            Reply::Spawn(message) => Err(fail(io::Error::other(message))),
            Reply::Hello { .. } => Err(fail(io::Error::other("unexpected reply"))),
        }
    }

    /// Waits until a reply can be read (or the spawner hung up), signalling the spawner on
    /// every poll while `end`'s flag is set: once is not enough, as the spawner clears what
    /// arrived before it took the request.
    fn await_reply(&mut self, end: EndOn<'_>) {
        let sig = match end {
            EndOn::Stop(_) => libc::SIGTERM,
            EndOn::Kill(_) => libc::SIGUSR1,
        };
        while self.stdout.buffer().is_empty() {
            if end.flag().load(Ordering::SeqCst) {
                // SAFETY: signalling our own child, which is reaped only when dropped.
                unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
            }
            let mut pfd = libc::pollfd {
                fd: self.stdout.get_ref().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd on the pipe this spawner owns.
            let rc = unsafe { libc::poll(&mut pfd, 1, super::POLL_MS) };
            if rc > 0 || (rc < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted)
            {
                return;
            }
        }
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Set by SIGINT or SIGTERM in the spawner; cleared when a request arrives.
static STOP: AtomicBool = AtomicBool::new(false);

/// Set by SIGUSR1 in the spawner (a kill: it ends runs no stop ends); cleared when a request
/// arrives.
static KILL: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

extern "C" fn on_kill(_: libc::c_int) {
    KILL.store(true, Ordering::SeqCst);
}

/// SIGINT and SIGTERM set [`STOP`], SIGUSR1 [`KILL`], instead of ending the spawner. A
/// handled signal is reset to its default action by `exec`, so the measured commands keep the
/// usual dispositions.
fn survive_stops() {
    // SAFETY: the handler only stores to an atomic (async-signal-safe); SA_RESTART restarts
    // the pipe reads and writes it interrupts (the pidfd poll sees EINTR and looks at STOP).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        sa.sa_sigaction = on_kill as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
}

/// The `__spawn` mode: read requests on stdin, run and measure each, reply on stdout. Child
/// output, when shown, goes to stderr (stdout is the protocol). SIGINT and SIGTERM end the
/// stoppable run in progress, SIGUSR1 one that no stop ends (`--cleanup`); neither ends the
/// spawner, which ends when stdin closes. Returns the exit code.
pub fn serve_spawner() -> u8 {
    use std::io::{BufRead, Write};
    survive_stops();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let floor_kb = own_hwm_kb();
    let send = |out: &mut std::io::StdoutLock<'_>, r: &Reply| -> bool {
        serde_json::to_string(r)
            .map(|t| writeln!(out, "{t}").and_then(|_| out.flush()).is_ok())
            .unwrap_or(false)
    };
    if !send(&mut out, &Reply::Hello { floor_kb }) {
        return 1;
    }
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return 1 };
        // a stop applies to the run in progress: one that arrived between runs was for the
        // run before (the parent signals again while this one is in progress)
        STOP.store(false, Ordering::SeqCst);
        KILL.store(false, Ordering::SeqCst);
        let reply = match serde_json::from_str::<Request>(&line) {
            Err(e) => Reply::Spawn(format!("bad request: {e}")),
            Ok(req) => {
                let launcher = match req.shell {
                    Some(s) => Launcher::Shell(s),
                    None => Launcher::Direct,
                };
                let io = Io {
                    input: req.input,
                    show_output: req.show_output,
                };
                let end = if req.stoppable { &STOP } else { &KILL };
                match run_once_to_stderr(&req.line, &launcher, &io, end) {
                    Ok(s) => Reply::Ok(s),
                    Err(ExecError::Parse { message, .. }) => Reply::Parse(message),
                    Err(ExecError::Spawn { source, .. }) => Reply::Spawn(source.to_string()),
                    Err(ExecError::Stopped { .. }) => Reply::Stopped,
                    Err(e @ ExecError::SpawnerExited { .. }) => Reply::Spawn(e.to_string()),
                }
            }
        };
        if !send(&mut out, &reply) {
            return 1;
        }
    }
    0
}

/// Like [`super::run_stoppable`], but shown output goes to stderr (the spawner's stdout is
/// the protocol).
fn run_once_to_stderr(
    line: &str,
    launcher: &Launcher,
    io: &Io,
    stop: &AtomicBool,
) -> Result<Sample, ExecError> {
    if !io.show_output {
        return super::run_stoppable(line, launcher, io, stop);
    }
    use std::os::fd::AsFd;
    let to_err = || {
        std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(Stdio::from)
            .map_err(|source| ExecError::Spawn {
                line: line.into(),
                source,
            })
    };
    run_with(line, launcher, io, Some((to_err()?, to_err()?)), Some(stop))
}
