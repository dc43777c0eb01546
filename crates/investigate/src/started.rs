//! A target process perfhive starts for an investigation: `sh -c` in its own process group (so
//! the whole tree stops together), the caller's environment plus the given variables (the
//! OpenTelemetry ones, a swept parameter), a readiness wait on the target's port (given up on
//! an interrupt), and SIGTERM then SIGKILL to the whole process group when dropped — also when
//! perfhive itself is interrupted, so the target never outlives it holding its port.

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

/// Starts `command` through `sh -c` in its own process group, in `dir`, and waits until `url`
/// accepts TCP connections — or until `stop` is set ([`InvestigateError::Interrupted`]; the
/// target is stopped again).
pub fn start_target(
    command: &str,
    url: &str,
    dir: &Path,
    timeout: Duration,
    env: &[(String, String)],
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
    let mut cmd = std::process::Command::new("sh");
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    // the target's output goes to perfhive's stderr: stdout may carry the report (--json)
    if let Ok(err) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        cmd.stdout(std::process::Stdio::from(err));
    }
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
            return Err(InvestigateError::Plan(format!(
                "target.start `{command}` exited ({status}) before {url} accepted connections"
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
