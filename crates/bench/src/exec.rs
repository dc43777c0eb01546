//! Running one command and measuring that child alone: `fork`/`exec` through std, then
//! `wait4(2)` on its pid for the child's own `rusage` (user and system time, peak RSS, context
//! switches). hyperfine reads `getrusage(RUSAGE_CHILDREN)`, whose `ru_maxrss` is the high-water
//! mark of *all* children so far; wait4 gives each run its own.

use perfhive_core::bench::Sample;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};
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
    run_with(line, launcher, io, None)
}

fn run_with(
    line: &str,
    launcher: &Launcher,
    io: &Io,
    output: Option<(Stdio, Stdio)>,
) -> Result<Sample, ExecError> {
    let mut cmd = command(line, launcher)?;
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
}

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
}

#[derive(serde::Serialize, serde::Deserialize)]
enum Reply {
    Hello { floor_kb: u64 },
    Ok(Sample),
    Parse(String),
    Spawn(String),
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

    /// Runs `line` once in the spawner and returns its measurement.
    pub fn run(&mut self, line: &str, launcher: &Launcher, io: &Io) -> Result<Sample, ExecError> {
        use std::io::Write as _;
        let req = Request {
            line: line.to_string(),
            shell: match launcher {
                Launcher::Shell(s) => Some(s.clone()),
                Launcher::Direct => None,
            },
            input: io.input.clone(),
            show_output: io.show_output,
        };
        let spawn_err = |e: io::Error| ExecError::Spawn {
            line: line.into(),
            source: e,
        };
        let mut text = serde_json::to_string(&req).map_err(|e| spawn_err(io::Error::other(e)))?;
        text.push('\n');
        self.stdin.write_all(text.as_bytes()).map_err(spawn_err)?;
        self.stdin.flush().map_err(spawn_err)?;
        match read_reply(&mut self.stdout).map_err(spawn_err)? {
            Reply::Ok(s) => Ok(s),
            Reply::Parse(message) => Err(ExecError::Parse {
                line: line.into(),
                message,
            }),
            Reply::Spawn(message) => Err(spawn_err(io::Error::other(message))),
            Reply::Hello { .. } => Err(spawn_err(io::Error::other("unexpected reply"))),
        }
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `__spawn` mode: read requests on stdin, run and measure each, reply on stdout. Child
/// output, when shown, goes to stderr (stdout is the protocol). Returns the exit code.
pub fn serve_spawner() -> u8 {
    use std::io::{BufRead, Write};
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
                match run_once_to_stderr(&req.line, &launcher, &io) {
                    Ok(s) => Reply::Ok(s),
                    Err(ExecError::Parse { message, .. }) => Reply::Parse(message),
                    Err(ExecError::Spawn { source, .. }) => Reply::Spawn(source.to_string()),
                }
            }
        };
        if !send(&mut out, &reply) {
            return 1;
        }
    }
    0
}

/// Like [`run_once`], but shown output goes to stderr (the spawner's stdout is the protocol).
fn run_once_to_stderr(line: &str, launcher: &Launcher, io: &Io) -> Result<Sample, ExecError> {
    if !io.show_output {
        return run_once(line, launcher, io);
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
    run_with(line, launcher, io, Some((to_err()?, to_err()?)))
}

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
