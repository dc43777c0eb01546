//! A target process perfhive starts for an investigation: `sh -c` in its own process group (so
//! the whole tree stops together), the caller's environment plus the given variables (the
//! OpenTelemetry ones, a swept parameter, and `NODE_OPTIONS` with V8's perf-map flags appended
//! so a Node.js service can be profiled), its stdout and stderr appended to a log file (the
//! report folder's `target.log`: the terminal shows perfhive only), a readiness wait on the
//! target's port (given up on an interrupt), and SIGTERM then SIGKILL to the whole process group
//! when dropped — also when perfhive itself is interrupted, so the target never outlives it
//! holding its port.

use crate::investigation::InvestigateError;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A target process perfhive started; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct StartedTarget {
    child: std::process::Child,
}

impl StartedTarget {
    /// Its pid.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for StartedTarget {
    fn drop(&mut self) {
        // SAFETY: signalling our own child's process group, created by setsid below.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// The environment a started target gets besides the caller's: `env`, then `NODE_OPTIONS` — the
/// one in `env` or perfhive's own, with V8's perf-map flags appended
/// ([`perfhive_profile::node_options`]).
pub fn target_env(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != "NODE_OPTIONS")
        .cloned()
        .collect();
    let existing = env
        .iter()
        .rev()
        .find(|(k, _)| k == "NODE_OPTIONS")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("NODE_OPTIONS").ok());
    vars.push((
        "NODE_OPTIONS".into(),
        perfhive_profile::node_options(existing.as_deref()),
    ));
    vars
}

/// The last `lines` lines of the log, for an error message.
fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let from = text.len().saturating_sub(4096);
    let text = String::from_utf8_lossy(&text[from..]);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts `command` through `sh -c` in its own process group, in `dir`, its output appended to
/// `log`, and waits until `url` accepts TCP connections — or until `stop` is set
/// ([`InvestigateError::Interrupted`]; the target is stopped again).
pub fn start_target(
    command: &str,
    url: &str,
    dir: &Path,
    timeout: Duration,
    env: &[(String, String)],
    log: &Path,
    stop: &AtomicBool,
) -> Result<StartedTarget, InvestigateError> {
    use std::os::unix::process::CommandExt;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| InvestigateError::Plan(format!("target.url: {e}")))?;
    let host = uri
        .host()
        .unwrap_or("127.0.0.1")
        .trim_matches(['[', ']'])
        .to_string();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| {
            InvestigateError::Plan(format!(
                "cannot write the target's log `{}`: {e}",
                log.display()
            ))
        })?;
    let err = out.try_clone().map_err(|e| {
        InvestigateError::Plan(format!("the target's log `{}`: {e}", log.display()))
    })?;
    let mut cmd = std::process::Command::new("sh");
    cmd.envs(target_env(env));
    // the target's output goes to its log: the terminal shows perfhive only, and stdout may
    // carry the report (--json)
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(out))
        .stderr(std::process::Stdio::from(err));
    // SAFETY: setsid is async-signal-safe; it gives the target its own process group so the
    // whole tree can be stopped.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| {
        InvestigateError::Plan(format!(
            "cannot run target.start `{command}` in `{}`: {e}",
            dir.display()
        ))
    })?;
    let mut started = StartedTarget { child };
    let deadline = Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect((host.as_str(), port)).is_ok() {
            return Ok(started);
        }
        if stop.load(Ordering::SeqCst) {
            return Err(InvestigateError::Interrupted);
        }
        if let Ok(Some(status)) = started.child.try_wait() {
            let tail = log_tail(log, 5);
            return Err(InvestigateError::Plan(format!(
                "target.start `{command}` exited ({status}) before {url} accepted connections{}",
                if tail.is_empty() {
                    String::new()
                } else {
                    format!("; its last output:\n{tail}")
                }
            )));
        }
        if Instant::now() >= deadline {
            return Err(InvestigateError::Plan(format!(
                "{url} did not accept connections within {:.0} s of target.start",
                timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_options_get_the_perf_map_flags_appended_to_what_the_target_had() {
        let env = vec![
            ("OTEL_SDK_DISABLED".to_string(), "false".to_string()),
            (
                "NODE_OPTIONS".to_string(),
                "--max-old-space-size=512".to_string(),
            ),
        ];
        let vars = target_env(&env);
        let node = vars
            .iter()
            .filter(|(k, _)| k == "NODE_OPTIONS")
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>();
        assert_eq!(node.len(), 1, "{vars:?}");
        assert!(
            node[0].starts_with("--max-old-space-size=512 "),
            "{}",
            node[0]
        );
        assert!(node[0].contains("--perf-basic-prof"), "{}", node[0]);
        assert!(vars.iter().any(|(k, _)| k == "OTEL_SDK_DISABLED"));
    }

    #[test]
    fn a_target_that_exits_early_shows_its_last_output_and_never_the_terminal() {
        let dir = std::env::temp_dir();
        let log = dir.join(format!("perfhive-started-test-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&log);
        let err = start_target(
            "echo to-stdout; echo to-stderr >&2; exit 3",
            "http://127.0.0.1:9",
            &dir,
            Duration::from_secs(10),
            &[],
            &log,
            &AtomicBool::new(false),
        )
        .err()
        .expect("the target exits");
        let text = err.to_string();
        assert!(text.contains("to-stderr"), "{text}");
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(
            logged.contains("to-stdout") && logged.contains("to-stderr"),
            "{logged}"
        );
        let _ = std::fs::remove_file(&log);
    }
}
