//! Sampling stacks with Linux `perf`.
//!
//! [`record`] runs `perf record -e cpu-clock -F <hz> -g -o <out>/perf.data` around a command
//! (`-- CMD ARGS…`) or attached to a process (`-p PID -- sleep SECONDS`), then turns the binary
//! recording into text with `perf script -i <out>/perf.data`, the input format of Brendan
//! Gregg's `stackcollapse-perf.pl` and of [`inferno::collapse::perf`].
//!
//! Why the `cpu-clock` software event: it is a timer-driven sampler that works on virtual
//! machines and containers where hardware counters (`cycles`) are not exposed. Why `perf` and not
//! a built-in `perf_event_open` sampler: perf already handles symbolisation (ELF, DWARF,
//! JIT maps, kernel symbols) and frame-pointer call chains, which a built-in sampler would have
//! to reimplement.
//!
//! Failures are classified so that callers can degrade cleanly:
//! perf not installed → [`ProfileError::PerfMissing`], kernel refusal (perf_event_paranoid,
//! missing capabilities) → [`ProfileError::NotPermitted`], anything else → perf's stderr in
//! [`ProfileError::PerfFailed`].

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use perfhive_probe::Runtime;

use crate::classify;
use crate::error::{perf_event_paranoid, ProfileError};
use crate::stack::{Frame, ProfilerKind, Stack};

/// What to profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Start this command (program and arguments) under perf and profile it until it exits.
    Command(Vec<String>),
    /// Attach to a running process for a while.
    Pid {
        /// The process id.
        pid: i32,
        /// How long to sample.
        duration: Duration,
    },
}

/// The result of [`record`]: where the recording is and its text form.
#[derive(Debug, Clone)]
pub struct Recording {
    /// `<out_dir>/perf.data`.
    pub perf_data: PathBuf,
    /// The output of `perf script` (one block per sample: header line, then one frame per line).
    pub script: String,
    /// perf record's stderr (its summary, warnings, and the profiled command's own stderr).
    pub record_stderr: String,
}

/// Records `target` with the `perf` found on `PATH`; see [`record_with`].
pub fn record(
    target: &Target,
    out_dir: &Path,
    frequency_hz: u32,
) -> Result<Recording, ProfileError> {
    record_with(Path::new("perf"), target, out_dir, frequency_hz)
}

/// Records `target` with the perf binary at `perf` (a path, or a bare name looked up on `PATH`).
///
/// Runs `perf record -e cpu-clock -F <frequency_hz> -g -o <out_dir>/perf.data …`, then
/// `perf script -F comm,pid,tid,time,event,ip,sym,dso -i <out_dir>/perf.data`. The profiled
/// command's stdout is inherited; its stderr is mixed into perf's and returned in [`Recording::record_stderr`].
pub fn record_with(
    perf: &Path,
    target: &Target,
    out_dir: &Path,
    frequency_hz: u32,
) -> Result<Recording, ProfileError> {
    record_observed(perf, target, out_dir, frequency_hz, None, |_| ()).0
}

/// What perf records: a command it starts (with extra environment), or running processes for
/// a while.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Workload<'a> {
    /// `perf record -- ARGV…`.
    Command {
        /// Program and arguments.
        argv: &'a [String],
        /// Variables set for the command.
        envs: &'a [(String, String)],
    },
    /// `perf record -p PID,PID… -- sleep SECONDS`.
    Pids {
        /// The processes.
        pids: &'a [i32],
        /// How long.
        duration: Duration,
    },
    /// `perf record -a -- sleep SECONDS`, then `perf script --pid` for the processes below
    /// `roots` (those at the start and those found at the end). `perf record -p` samples only
    /// the threads that existed when it attached, so a server starting a thread per request
    /// (Python's `ThreadingHTTPServer`, Flask's development server) would be missed; sampling
    /// every CPU and keeping the tree's processes does not miss them.
    System {
        /// The processes of the tree when recording starts.
        pids: &'a [i32],
        /// The roots whose descendants are kept.
        roots: &'a [i32],
        /// How long.
        duration: Duration,
    },
}

/// Whether perf may sample every CPU here: root, or `perf_event_paranoid` at most 0.
pub(crate) fn system_wide_allowed() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root || perf_event_paranoid().is_some_and(|p| p <= 0)
}

/// Like [`record_with`], but runs `observe(perf_pid)` on another thread while perf records
/// and returns its result too (the library uses it to sample off-CPU states meanwhile). When
/// `stop` is set, perf gets SIGINT: it stops recording and writes what it sampled.
pub(crate) fn record_observed<T, F>(
    perf: &Path,
    target: &Target,
    out_dir: &Path,
    frequency_hz: u32,
    stop: Option<&AtomicBool>,
    observe: F,
) -> (Result<Recording, ProfileError>, Option<T>)
where
    F: FnOnce(u32) -> T + Send,
    T: Send,
{
    let pid_list;
    let workload = match target {
        Target::Command(argv) => Workload::Command { argv, envs: &[] },
        Target::Pid { pid, duration } => {
            pid_list = [*pid];
            Workload::Pids {
                pids: &pid_list,
                duration: *duration,
            }
        }
    };
    record_workload(perf, workload, out_dir, frequency_hz, stop, observe)
}

/// Records `workload`; see [`record_observed`].
pub(crate) fn record_workload<T, F>(
    perf: &Path,
    workload: Workload<'_>,
    out_dir: &Path,
    frequency_hz: u32,
    stop: Option<&AtomicBool>,
    observe: F,
) -> (Result<Recording, ProfileError>, Option<T>)
where
    F: FnOnce(u32) -> T + Send,
    T: Send,
{
    let perf_data = out_dir.join("perf.data");
    let mut cmd = Command::new(perf);
    cmd.arg("record")
        .args(["-e", "cpu-clock", "-F"])
        .arg(frequency_hz.max(1).to_string())
        .arg("-g")
        .arg("-o")
        .arg(&perf_data);
    let mut keep: Option<(&[i32], &[i32])> = None;
    match workload {
        Workload::System {
            pids,
            roots,
            duration,
        } => {
            keep = Some((pids, roots));
            cmd.arg("-a")
                .arg("--")
                .arg("sleep")
                .arg(format!("{:.3}", duration.as_secs_f64()));
        }
        Workload::Command { argv, envs } => {
            if argv.is_empty() {
                return (Err(ProfileError::EmptyCommand), None);
            }
            cmd.envs(envs.iter().map(|(k, v)| (k, v)));
            cmd.arg("--").args(argv);
        }
        Workload::Pids { pids, duration } => {
            let list: Vec<String> = pids.iter().map(i32::to_string).collect();
            cmd.arg("-p")
                .arg(list.join(","))
                .arg("--")
                .arg("sleep")
                .arg(format!("{:.3}", duration.as_secs_f64()));
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (Err(spawn_error(perf, &e)), None),
    };
    let perf_pid = child.id();
    let (output, observed) = std::thread::scope(|s| {
        let handle = s.spawn(move || observe(perf_pid));
        let output = wait_or_interrupt(child, stop);
        (output, handle.join().ok())
    });
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            return (
                Err(ProfileError::Io {
                    path: perf.to_path_buf(),
                    source: e,
                }),
                observed,
            )
        }
    };
    let filter = keep.map(|(pids, roots)| {
        let mut all: Vec<i32> = pids.to_vec();
        let tree = perfhive_probe::ProcessTree::of_roots(roots);
        all.extend(tree.service().map(|p| p.pid));
        all.sort_unstable();
        all.dedup();
        all
    });
    let result = finish_record(perf, &perf_data, &output, filter.as_deref());
    (result, observed)
}

/// Waits for perf, sending it SIGINT once `stop` is set (perf then stops recording and writes
/// what it sampled); its stderr is read meanwhile so it never blocks on a full pipe.
fn wait_or_interrupt(
    mut child: std::process::Child,
    stop: Option<&AtomicBool>,
) -> std::io::Result<Output> {
    let Some(stop) = stop else {
        return child.wait_with_output();
    };
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = stderr_pipe.as_mut() {
            let _ = std::io::Read::read_to_end(p, &mut buf);
        }
        buf
    });
    let mut signalled = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if !signalled && stop.load(Ordering::SeqCst) {
            // SAFETY: our own child, not yet reaped (try_wait above returned None).
            unsafe {
                libc::kill(child.id() as i32, libc::SIGINT);
            }
            signalled = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout: Vec::new(),
        stderr,
    })
}

fn finish_record(
    perf: &Path,
    perf_data: &Path,
    output: &Output,
    pids: Option<&[i32]>,
) -> Result<Recording, ProfileError> {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // perf exits with the workload's status, so a failing command still leaves a usable
    // recording: trust the data file when perf says it wrote one.
    let wrote = stderr.contains("perf record: Captured and wrote")
        && std::fs::metadata(perf_data).is_ok_and(|m| m.len() > 0);
    if !output.status.success() && !wrote {
        return Err(classify_failure(
            "record",
            &output.status.to_string(),
            &stderr,
        ));
    }
    let mut script = Command::new(perf);
    script
        .arg("script")
        // No `period` field: inferno would weight stacks by it (nanoseconds for cpu-clock);
        // without it, folded counts are sample counts.
        .args(["-F", "comm,pid,tid,time,event,ip,sym,dso"])
        .arg("-i")
        .arg(perf_data);
    if let Some(pids) = pids {
        let list: Vec<String> = pids.iter().map(i32::to_string).collect();
        script.arg(format!("--pid={}", list.join(",")));
    }
    let script = script
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(perf, &e))?;
    let script_stderr = String::from_utf8_lossy(&script.stderr);
    if !script.status.success() {
        return Err(classify_failure(
            "script",
            &script.status.to_string(),
            &script_stderr,
        ));
    }
    Ok(Recording {
        perf_data: perf_data.to_path_buf(),
        script: String::from_utf8_lossy(&script.stdout).into_owned(),
        record_stderr: stderr,
    })
}

/// Parses `perf script -F comm,pid,tid,time,event,ip,sym,dso` output into stacks (identical
/// stacks of a process merged). `runtime_of` gives a pid's runtime when it is known; otherwise
/// the objects on its stacks tell ([`classify::runtime_of_objects`]).
pub fn parse_script(script: &str, runtime_of: &dyn Fn(i32) -> Option<Runtime>) -> Vec<Stack> {
    let mut merged: HashMap<(i32, String, Vec<Frame>), u64> = HashMap::new();
    let mut runtimes: HashMap<i32, Runtime> = HashMap::new();
    let mut lines = script.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with(char::is_whitespace) {
            continue;
        }
        let Some((comm, pid)) = parse_header(line) else {
            continue;
        };
        let mut raw: Vec<(&str, Option<&str>)> = Vec::new();
        while let Some(frame) = lines.peek() {
            if !frame.starts_with(char::is_whitespace) || frame.trim().is_empty() {
                break;
            }
            if let Some(f) = parse_frame_line(frame) {
                raw.push(f);
            }
            lines.next();
        }
        let runtime = runtimes
            .entry(pid)
            .or_insert_with(|| {
                runtime_of(pid)
                    .filter(|r| *r != Runtime::Unknown)
                    .unwrap_or_else(|| classify::runtime_of_objects(raw.iter().filter_map(|f| f.1)))
            })
            .clone();
        // perf lists the leaf first.
        let frames: Vec<Frame> = raw
            .iter()
            .rev()
            .map(|(sym, dso)| classify::native_frame(sym, *dso, &runtime))
            .collect();
        *merged.entry((pid, comm.to_owned(), frames)).or_default() += 1;
    }
    let mut stacks: Vec<Stack> = merged
        .into_iter()
        .map(|((pid, process, frames), count)| Stack {
            pid,
            process,
            frames,
            count,
            profiler: ProfilerKind::Perf,
        })
        .collect();
    stacks.sort_by(|a, b| b.count.cmp(&a.count).then(a.pid.cmp(&b.pid)));
    stacks
}

/// `comm pid/tid time: event:` (or `comm pid time: …`) → (comm, pid). The command name may
/// contain spaces, so the fields are found from the time stamp, the first `SECONDS.FRACTION:`.
fn parse_header(line: &str) -> Option<(&str, i32)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let is_time = |f: &str| {
        f.strip_suffix(':').is_some_and(|t| {
            t.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
            })
        })
    };
    let time = fields.iter().find(|f| is_time(f))?;
    let before = line[..line.find(time)?].trim_end();
    let (comm, pid_field) = before.rsplit_once(char::is_whitespace)?;
    let pid = pid_field.split('/').next()?.parse().ok()?;
    Some((comm.trim(), pid))
}

/// `hot_spin+0x1a` → `hot_spin` (perf adds the offset when `symoff` is asked for, or in older
/// recordings).
fn strip_offset(sym: &str) -> &str {
    match sym.rsplit_once("+0x") {
        Some((name, off)) if !name.is_empty() && off.bytes().all(|b| b.is_ascii_hexdigit()) => name,
        _ => sym,
    }
}

/// `\t    7f00aa sym (dso)` → (sym, dso). Symbols may contain spaces and parentheses; the dso is
/// the last parenthesised group.
fn parse_frame_line(line: &str) -> Option<(&str, Option<&str>)> {
    let line = line.trim();
    let (_addr, rest) = line.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
        Some((sym, dso)) => Some((strip_offset(sym.trim()), Some(dso))),
        None => rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .map_or(Some((rest, None)), |dso| Some(("[unknown]", Some(dso)))),
    }
}

fn spawn_error(perf: &Path, e: &std::io::Error) -> ProfileError {
    match e.kind() {
        ErrorKind::NotFound => ProfileError::PerfMissing {
            detail: format!("`{}` not found", perf.display()),
        },
        ErrorKind::PermissionDenied => ProfileError::PerfMissing {
            detail: format!("`{}` is not executable: {e}", perf.display()),
        },
        _ => ProfileError::Io {
            path: perf.to_path_buf(),
            source: std::io::Error::new(e.kind(), e.to_string()),
        },
    }
}

/// Sorts a perf failure into missing / not permitted / other, from its stderr.
pub(crate) fn classify_failure(step: &'static str, status: &str, stderr: &str) -> ProfileError {
    let trimmed = trim_stderr(stderr);
    let lower = stderr.to_ascii_lowercase();
    // Debian's /usr/bin/perf is a wrapper that looks for perf_<kernel version>.
    if lower.contains("perf not found for kernel")
        || (lower.contains("linux-perf") && lower.contains("not installed"))
        || lower.contains("you may need to install")
    {
        return ProfileError::PerfMissing { detail: trimmed };
    }
    if lower.contains("perf_event_paranoid")
        || lower.contains("permission denied")
        || lower.contains("no permission")
        || lower.contains("operation not permitted")
        || lower.contains("access to performance monitoring")
    {
        return ProfileError::NotPermitted {
            paranoid: perf_event_paranoid(),
            stderr: trimmed,
        };
    }
    ProfileError::PerfFailed {
        step,
        status: status.to_owned(),
        stderr: trimmed,
    }
}

/// perf's messages can be long (the paranoid help is a page); keep the first lines.
fn trim_stderr(stderr: &str) -> String {
    const MAX_LINES: usize = 12;
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = lines
        .iter()
        .take(MAX_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > MAX_LINES {
        out.push_str("\n…");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_perf_binary_says_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = record_with(
            &dir.path().join("no-such-perf"),
            &Target::Command(vec!["true".into()]),
            dir.path(),
            99,
        )
        .unwrap_err();
        assert!(matches!(err, ProfileError::PerfMissing { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("apt-get install linux-perf"), "{msg}");
    }

    #[test]
    fn debian_wrapper_without_package_is_missing() {
        let err = classify_failure(
            "record",
            "exit status: 1",
            "/usr/bin/perf: line 13: exec: perf_6.1: not found\nE: linux-perf-6.1 is not installed.\n",
        );
        assert!(matches!(err, ProfileError::PerfMissing { .. }), "{err:?}");
    }

    #[test]
    fn paranoid_refusal_names_the_sysctl() {
        let err = classify_failure(
            "record",
            "exit status: 255",
            "Error:\nAccess to performance monitoring and observability operations is limited.\n\
             Consider adjusting /proc/sys/kernel/perf_event_paranoid setting",
        );
        assert!(matches!(err, ProfileError::NotPermitted { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("/proc/sys/kernel/perf_event_paranoid is "),
            "{msg}"
        );
        assert!(
            msg.contains("sysctl -w kernel.perf_event_paranoid=1"),
            "{msg}"
        );
        assert!(msg.contains("root"), "{msg}");
    }

    #[test]
    fn other_failures_carry_stderr() {
        let err = classify_failure("record", "exit status: 129", "unknown option `-Q'");
        let msg = err.to_string();
        assert!(msg.contains("unknown option"), "{msg}");
    }

    #[test]
    fn script_stacks_are_classified() {
        let script = include_str!("../tests/fixtures/perf-script.txt");
        let stacks = parse_script(script, &|_| None);
        let hot = stacks
            .iter()
            .find(|s| s.frames.last().is_some_and(|f| f.function == "hot_spin"))
            .expect("hot_spin stack");
        assert_eq!(hot.process, "demo");
        assert_eq!(
            hot.frames.last().map(|f| f.kind),
            Some(crate::FrameKind::Application)
        );
        let node = "node 15956/15956  1554.164400: cpu-clock: \n\
            \t    7fdeaafe4371 JS:*hotLoop /tmp/exp/hot.js:1:17 (/tmp/perf-15956.map)\n\
            \t         14ce0dc Builtins_JSEntryTrampoline (/usr/bin/node)\n\
            \t    ffffffff8100 asm_sysvec_apic_timer_interrupt ([kernel.kallsyms])\n\n";
        let stacks = parse_script(node, &|_| None);
        let frames = &stacks[0].frames;
        assert_eq!(stacks[0].pid, 15956);
        let kinds: Vec<_> = frames.iter().map(|f| f.kind).collect();
        use crate::FrameKind as K;
        assert_eq!(kinds, [K::Kernel, K::Runtime, K::Application]);
        assert_eq!(frames[2].file.as_deref(), Some("/tmp/exp/hot.js"));
    }

    #[test]
    fn headers_and_frames() {
        assert_eq!(
            parse_header("gunicorn: worker 4242/4243 1.0: cpu-clock:"),
            Some(("gunicorn: worker", 4242))
        );
        assert_eq!(
            parse_header("demo  4242 12345.000001: cpu-clock:ppp: "),
            Some(("demo", 4242))
        );
        assert_eq!(strip_offset("hot_spin+0x1a"), "hot_spin");
        assert_eq!(strip_offset("operator+"), "operator+");
        assert_eq!(
            parse_frame_line("\t  7f00 foo(int, char) (/usr/lib/libx.so)"),
            Some(("foo(int, char)", Some("/usr/lib/libx.so")))
        );
        assert_eq!(
            parse_frame_line("\t  7f00 [unknown] ([unknown])"),
            Some(("[unknown]", Some("[unknown]")))
        );
    }

    #[test]
    fn empty_command_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let err = record(&Target::Command(vec![]), dir.path(), 99).unwrap_err();
        assert!(matches!(err, ProfileError::EmptyCommand));
    }
}
