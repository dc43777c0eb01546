//! A child process on a pseudo-terminal, as a person runs it: its stdin, stdout and stderr are
//! the terminal (`isatty` holds, the window has a size), and everything it writes is collected
//! for the test, escape sequences included, to be replayed through a terminal emulator.
//!
//! `openpty(3)` through libc, which the workspace already links: a pty crate would bring a
//! cross-platform layer the Linux-only tests do not need.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A child running on a pseudo-terminal.
pub struct PtyChild {
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Starts `cmd` on a new pseudo-terminal of `rows` × `cols`, in its own session with the
/// terminal as its controlling terminal.
pub fn spawn(cmd: &mut Command, rows: u16, cols: u16) -> std::io::Result<PtyChild> {
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the locals; no name buffer, default termios.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    cmd.stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave.try_clone()?));
    // SAFETY: between fork and exec only async-signal-safe calls: setsid, ioctl.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    // the child holds the terminal now: reading ends (EIO) once it and its children close it
    drop(slave);
    let output = Arc::new(Mutex::new(Vec::new()));
    let sink = output.clone();
    let mut file = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&buf[..n]);
        }
    });
    Ok(PtyChild {
        child,
        output,
        reader: Some(reader),
    })
}

impl PtyChild {
    /// Everything written to the terminal so far.
    pub fn output(&self) -> Vec<u8> {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the output contains `needle` (true) or `timeout` passes (false).
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if String::from_utf8_lossy(&self.output()).contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the child to exit, killing it after `timeout`, and for the terminal to be
    /// closed by whatever it started; its status and everything it wrote.
    pub fn finish(mut self, timeout: Duration) -> (ExitStatus, Vec<u8>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait for the pty child") {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                break self.child.wait().expect("wait for the killed pty child");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // the reader ends when the last holder of the terminal closes it
        let reader = self.reader.take();
        let until = Instant::now() + Duration::from_secs(10);
        while reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(r) = reader.filter(|r| r.is_finished()) {
            let _ = r.join();
        }
        (status, self.output())
    }
}

impl Drop for PtyChild {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_on_a_pty_sees_a_terminal_of_the_given_size() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "test -t 2 && stty size && printf 'done\\n'"]);
        let child = spawn(&mut cmd, 24, 100).expect("openpty");
        let (status, out) = child.finish(Duration::from_secs(20));
        let text = String::from_utf8_lossy(&out);
        assert!(status.success(), "{text}");
        assert!(text.contains("24 100"), "{text:?}");
        assert!(text.contains("done"), "{text:?}");
    }
}
