//! Which processes to observe, and resolving that to live pids through `/proc`.
//!
//! Name matching follows what `pgrep`/`pidof` users expect: the kernel's `comm` (the executable
//! name, truncated to 15 bytes — `TASK_COMM_LEN` in `proc(5)`), the basename of `argv[0]` or of the
//! `exe` link, or a `comm` that continues the name with `-`, `_` or `:` (so `redis` finds
//! `redis-server`). Zombies count as gone, and the observing process never matches itself.

use std::fmt;
use std::path::{Path, PathBuf};

use procfs::process::Process;
use serde::{Deserialize, Serialize};

use crate::ProbeError;

/// Longest `comm` the kernel keeps (`TASK_COMM_LEN - 1`).
const COMM_MAX: usize = 15;

/// How the processes to observe are named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessSelector {
    /// One process id.
    Pid(i32),
    /// A file holding a process id (re-read on every resolution, so restarts are followed).
    PidFile(PathBuf),
    /// Every process with this name (see the module docs for the matching rules).
    Name(String),
}

impl ProcessSelector {
    /// The pids that match right now (possibly none). Only an unreadable or malformed pid file,
    /// or an unlistable `/proc`, is an error.
    pub fn resolve(&self) -> Result<Vec<i32>, ProbeError> {
        match self {
            ProcessSelector::Pid(pid) => Ok(alive(*pid).into_iter().collect()),
            ProcessSelector::PidFile(path) => Ok(alive(read_pid_file(path)?).into_iter().collect()),
            ProcessSelector::Name(name) => by_name(name),
        }
    }

    /// A short human description, e.g. `process "redis"` or `pid file /run/app.pid`.
    pub fn describe(&self) -> String {
        match self {
            ProcessSelector::Pid(pid) => format!("pid {pid}"),
            ProcessSelector::PidFile(path) => format!("pid file {}", path.display()),
            ProcessSelector::Name(name) => format!("process {name:?}"),
        }
    }

    /// Whether the set of matching processes can change while observing (new workers appear).
    pub(crate) fn is_by_name(&self) -> bool {
        matches!(self, ProcessSelector::Name(_))
    }
}

impl fmt::Display for ProcessSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `Some(pid)` if the process exists and is not a zombie.
fn alive(pid: i32) -> Option<i32> {
    let proc = Process::new(pid).ok()?;
    proc.is_alive().then_some(pid)
}

fn read_pid_file(path: &Path) -> Result<i32, ProbeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProbeError::PidFileRead {
        path: path.to_owned(),
        source,
    })?;
    let trimmed = text.trim();
    trimmed
        .parse::<i32>()
        .ok()
        .filter(|pid| *pid > 0)
        .ok_or_else(|| ProbeError::PidFileParse {
            path: path.to_owned(),
            content: trimmed.chars().take(64).collect(),
        })
}

fn by_name(name: &str) -> Result<Vec<i32>, ProbeError> {
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let own = i32::try_from(std::process::id()).unwrap_or(-1);
    let mut pids = Vec::new();
    for proc in procfs::process::all_processes().map_err(ProbeError::ListProcesses)? {
        // A process may exit between listing and reading: skip it.
        let Ok(proc) = proc else { continue };
        if proc.pid() == own {
            continue;
        }
        let Ok(stat) = proc.stat() else { continue };
        if matches!(stat.state, 'Z' | 'X') {
            continue;
        }
        let matched = comm_matches(name, &stat.comm)
            || proc
                .cmdline()
                .ok()
                .and_then(|argv| argv.into_iter().next())
                .is_some_and(|argv0| basename(&argv0) == name)
            || proc
                .exe()
                .ok()
                .is_some_and(|exe| exe.file_name().is_some_and(|f| f == name));
        if matched {
            pids.push(proc.pid());
        }
    }
    pids.sort_unstable();
    Ok(pids)
}

/// `comm` equals `name` (allowing for the kernel's truncation), or continues it with `-`, `_`, `:`.
fn comm_matches(name: &str, comm: &str) -> bool {
    if comm == name {
        return true;
    }
    if name.len() > COMM_MAX
        && comm.len() == COMM_MAX
        && name.as_bytes().starts_with(comm.as_bytes())
    {
        return true;
    }
    comm.strip_prefix(name)
        .is_some_and(|rest| rest.starts_with(['-', '_', ':']))
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_rules() {
        assert!(comm_matches("redis", "redis"));
        assert!(comm_matches("redis", "redis-server"));
        assert!(comm_matches("php", "php_fpm"));
        assert!(comm_matches("postgres", "postgres:ckpt"));
        assert!(!comm_matches("redis", "redisx"));
        assert!(!comm_matches("redis-server", "redis"));
        // The kernel keeps 15 bytes of a name: `perfhive-testbed-server` runs as `perfhive-testbe`.
        assert!(comm_matches("perfhive-testbed-server", "perfhive-testbe"));
        assert!(!comm_matches("perfhive-x", "perfhive-testbe"));
    }

    #[test]
    fn basenames() {
        assert_eq!(basename("/usr/bin/sleep"), "sleep");
        assert_eq!(basename("sleep"), "sleep");
    }

    #[test]
    fn descriptions() {
        assert_eq!(ProcessSelector::Pid(42).describe(), "pid 42");
        assert_eq!(
            ProcessSelector::Name("redis".into()).to_string(),
            "process \"redis\""
        );
        assert_eq!(
            ProcessSelector::PidFile("/run/x.pid".into()).describe(),
            "pid file /run/x.pid"
        );
    }

    #[test]
    fn never_matches_itself() {
        let own = i32::try_from(std::process::id()).expect("pid fits i32");
        let comm = Process::myself()
            .and_then(|p| p.stat())
            .expect("own stat")
            .comm;
        let pids = ProcessSelector::Name(comm).resolve().expect("resolve");
        assert!(!pids.contains(&own));
    }
}
