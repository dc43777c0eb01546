//! A spawned child process that cannot outlive its test.
//!
//! The child runs in its own process group (`setpgid(0, 0)` at spawn), so killing the group
//! also kills what it forked (a shell's commands, a service's workers); the guard sends SIGKILL
//! to the group and reaps the child when dropped, also when the test panics.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A child process (and its process group) killed and reaped when dropped.
#[derive(Debug)]
pub struct Spawned(Child);

impl Spawned {
    /// Spawns `cmd` in a new process group; its stdio is what `cmd` says.
    pub fn spawn(mut cmd: Command) -> std::io::Result<Self> {
        cmd.process_group(0).spawn().map(Spawned)
    }

    /// `sh -c script`, with stdio to /dev/null.
    pub fn sh(script: &str) -> Self {
        Self::cmd("sh", &["-c", script])
    }

    /// `sh -c script` in `dir` with `envs` added to the environment, stdio to /dev/null.
    pub fn sh_in(script: &str, dir: &Path, envs: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .current_dir(dir)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self::spawn(cmd).unwrap_or_else(|e| panic!("cannot spawn sh in {}: {e}", dir.display()))
    }

    /// `program args…`, with stdio to /dev/null.
    pub fn cmd(program: &str, args: &[&str]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self::spawn(cmd).unwrap_or_else(|e| panic!("cannot spawn {program}: {e}"))
    }

    /// The child's pid (also its process group id).
    pub fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).expect("pid fits i32")
    }

    /// The child itself (its pipes, a kill without reaping).
    pub fn child(&mut self) -> &mut Child {
        &mut self.0
    }

    /// Whether the child has exited (reaping it if so).
    pub fn exited(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(Some(_)))
    }

    /// The first line the child writes to its piped stdout, without the line end; the rest of
    /// stdout stays unread.
    pub fn first_line(&mut self) -> String {
        let stdout = self.0.stdout.take().expect("stdout is piped");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("read the child's stdout");
        // keep the pipe open: a child writing more must not get SIGPIPE
        self.0.stdout = Some(reader.into_inner());
        line.trim_end().to_string()
    }

    /// Closes the child's stdin (the stop signal of a child serving until end of input) and
    /// waits up to `limit` for it to exit; `None` if it is still running then.
    pub fn close_stdin_and_wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        drop(self.0.stdin.take());
        self.wait_for(limit)
    }

    /// Waits up to `limit` for the child to exit; `None` if it is still running then.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What the child wrote to its piped stderr (read to the end: call once it has exited).
    pub fn stderr(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut e) = self.0.stderr.take() {
            let _ = e.read_to_string(&mut out);
        }
        out
    }

    /// Kills the child's process group and reaps the child.
    pub fn kill(&mut self) {
        // SAFETY: kill(2) with a negative pid signals the child's own process group (made at
        // spawn); it touches no memory. A group already gone is ESRCH, ignored.
        unsafe {
            libc::kill(-self.pid(), libc::SIGKILL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether process `pid` is running: a zombie (killed, not yet reaped) or a process already
/// gone is not.
pub fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|st| {
        !st.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: i32) -> bool {
        // SAFETY: signal 0 checks that the process exists; it sends nothing.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    #[test]
    fn the_group_dies_with_the_guard() {
        let mut sh = Command::new("sh");
        sh.args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = Spawned::spawn(sh).expect("spawn");
        let grandchild: i32 = child.first_line().parse().expect("a pid");
        assert!(alive(grandchild));
        drop(child);
        // the grandchild was killed with the group (it may linger as a zombie of init briefly)
        let deadline = Instant::now() + Duration::from_secs(5);
        while running(grandchild) {
            assert!(
                Instant::now() < deadline,
                "grandchild {grandchild} survived"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn stdin_end_stops_a_reader() {
        let mut cmd = Command::new("cat");
        cmd.stdin(Stdio::piped()).stdout(Stdio::null());
        let mut child = Spawned::spawn(cmd).expect("spawn");
        assert!(!child.exited());
        let status = child
            .close_stdin_and_wait(Duration::from_secs(5))
            .expect("cat exits at end of input");
        assert!(status.success());
    }

    #[test]
    fn a_shell_runs_in_its_folder_with_its_variables() {
        let dir = crate::tempdir("child-sh-in");
        let mut child = Spawned::sh_in(
            "printf '%s' \"$GREETING\" > out",
            &dir,
            &[("GREETING", "hi")],
        );
        let status = child.wait_for(Duration::from_secs(5)).expect("sh exits");
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(dir.join("out")).unwrap(), "hi");
    }
}
