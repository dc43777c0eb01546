//! What kept a profiler from giving the best stacks of a process, and what to do about it.
//!
//! A profile of a real service is often partial: py-spy is not installed, ptrace is not
//! permitted, a source-built interpreter cannot be read, a Node.js process was started without a
//! perf map. None of these stops the profile — another profiler takes over where it can — but
//! each is reported as a [`ProfilerIssue`] naming the profiler, the process, why, the command or
//! setting that fixes it, and what profiled the process instead.

use std::fmt;

use perfhive_probe::Runtime;
use serde::{Deserialize, Serialize};

use crate::pyspy::PY_SPY_VERSION;
use crate::stack::ProfilerKind;

/// The kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// The profiler is not installed.
    Missing,
    /// The kernel refused (ptrace scope, perf_event_paranoid, missing capability).
    NotPermitted,
    /// The profiler ran but could not read this process.
    AttachFailed,
    /// JIT-compiled code has no symbol map, so its frames have no names.
    NoJitMap,
    /// The profiler failed for another reason.
    Failed,
}

/// One profiler problem; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilerIssue {
    /// The profiler that could not do its job.
    pub profiler: ProfilerKind,
    /// What went wrong.
    pub kind: IssueKind,
    /// The process concerned, when it is about one.
    pub pid: Option<i32>,
    /// That process's runtime.
    pub runtime: Option<Runtime>,
    /// What the profiler said (trimmed), or what was observed.
    pub detail: String,
    /// What to install or change.
    pub remedy: String,
    /// The profiler that recorded the process instead, if any.
    pub fallback: Option<ProfilerKind>,
}

impl ProfilerIssue {
    /// py-spy is not installed.
    pub fn py_spy_missing(detail: String, pid: Option<i32>, runtime: Option<Runtime>) -> Self {
        Self {
            profiler: ProfilerKind::PySpy,
            kind: IssueKind::Missing,
            pid,
            runtime,
            detail,
            remedy: format!("install it: `pip install py-spy=={PY_SPY_VERSION}`"),
            fallback: None,
        }
    }

    /// py-spy failed on `pid`; `stderr` is what it said.
    pub fn py_spy_failed(stderr: &str, pid: i32, runtime: &Runtime) -> Self {
        let detail = trim(stderr);
        let lower = detail.to_ascii_lowercase();
        let (kind, remedy) = if lower.contains("permission denied")
            || lower.contains("operation not permitted")
            || lower.contains("ptrace")
        {
            (
                IssueKind::NotPermitted,
                "allow ptrace: run perfhive as root or with CAP_SYS_PTRACE (containers: \
                 `--cap-add SYS_PTRACE`), or `sysctl -w kernel.yama.ptrace_scope=0`"
                    .to_owned(),
            )
        } else if let Runtime::CPython {
            libpython: Some(lib),
            ..
        } = runtime
        {
            (
                IssueKind::AttachFailed,
                format!(
                    "py-spy cannot read this interpreter: a source-built CPython with a shared \
                     libpython ({}); run the service with a distribution's Python (Debian: \
                     /usr/bin/python3.X) or a python.org build, or try a newer py-spy \
                     (`pip install -U py-spy`)",
                    lib.display()
                ),
            )
        } else {
            (
                IssueKind::AttachFailed,
                format!(
                    "check that py-spy {PY_SPY_VERSION} supports this Python \
                     (`pip install -U py-spy`)"
                ),
            )
        };
        Self {
            profiler: ProfilerKind::PySpy,
            kind,
            pid: Some(pid),
            runtime: Some(runtime.clone()),
            detail,
            remedy,
            fallback: None,
        }
    }

    /// perf could not run; `error` is the [`crate::ProfileError`] it gave.
    pub fn perf_failed(error: &crate::ProfileError) -> Self {
        let kind = match error {
            crate::ProfileError::PerfMissing { .. } => IssueKind::Missing,
            crate::ProfileError::NotPermitted { .. } => IssueKind::NotPermitted,
            _ => IssueKind::Failed,
        };
        Self {
            profiler: ProfilerKind::Perf,
            kind,
            pid: None,
            runtime: None,
            detail: error.to_string(),
            remedy: String::new(),
            fallback: None,
        }
    }

    /// A Node.js process without `/tmp/perf-<pid>.map`.
    pub fn node_without_map(pid: i32) -> Self {
        Self {
            profiler: ProfilerKind::Perf,
            kind: IssueKind::NoJitMap,
            pid: Some(pid),
            runtime: Some(Runtime::Node),
            detail: format!("no /tmp/perf-{pid}.map: JavaScript frames have no names"),
            remedy: format!(
                "start node with `NODE_OPTIONS=\"{}\"` (perfhive sets it on targets it starts)",
                crate::node::node_options(None)
            ),
            fallback: None,
        }
    }

    /// A JVM, whose JIT code perf cannot name without an agent.
    pub fn jvm_without_map(pid: i32) -> Self {
        Self {
            profiler: ProfilerKind::Perf,
            kind: IssueKind::NoJitMap,
            pid: Some(pid),
            runtime: Some(Runtime::Jvm),
            detail: format!("no /tmp/perf-{pid}.map: JIT-compiled Java frames have no names"),
            remedy: "run the JVM with -XX:+PreserveFramePointer and write a perf map \
                     (perf-map-agent, or `jcmd <pid> Compiler.perfmap` on JDK 17+), or profile \
                     it with async-profiler"
                .to_owned(),
            fallback: None,
        }
    }
}

impl fmt::Display for ProfilerIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            IssueKind::Missing => "is not available",
            IssueKind::NotPermitted => "is not permitted",
            IssueKind::AttachFailed => "could not attach",
            IssueKind::NoJitMap => "has no symbols for JIT code",
            IssueKind::Failed => "failed",
        };
        write!(f, "{} {what}", self.profiler.as_str())?;
        if let Some(pid) = self.pid {
            write!(f, " (pid {pid}")?;
            if let Some(rt) = &self.runtime {
                write!(f, ", {rt}")?;
            }
            f.write_str(")")?;
        }
        write!(f, ": {}", self.detail)?;
        if !self.remedy.is_empty() {
            write!(f, "; {}", self.remedy)?;
        }
        match self.fallback {
            Some(p) => write!(f, "; profiled with {} instead", p.as_str()),
            None => Ok(()),
        }
    }
}

/// The first lines of a tool's message, on one line.
fn trim(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
        .collect();
    lines.join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_built_interpreter_names_its_libpython_and_the_way_out() {
        let rt = Runtime::CPython {
            version: Some("3.11".into()),
            libpython: Some("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0".into()),
        };
        let mut issue = ProfilerIssue::py_spy_failed(
            "Error: Failed to find python version from target process\n",
            42,
            &rt,
        );
        issue.fallback = Some(ProfilerKind::Perf);
        let text = issue.to_string();
        assert_eq!(issue.kind, IssueKind::AttachFailed);
        assert!(text.starts_with("py-spy could not attach (pid 42, CPython 3.11): Error: Failed to find python version"), "{text}");
        assert!(text.contains("libpython3.11.so.1.0"), "{text}");
        assert!(text.contains("/usr/bin/python3.X"), "{text}");
        assert!(text.ends_with("profiled with perf instead"), "{text}");
    }

    #[test]
    fn missing_and_not_permitted() {
        let missing = ProfilerIssue::py_spy_missing("`py-spy` not found".into(), None, None);
        assert!(missing
            .to_string()
            .contains(&format!("pip install py-spy=={PY_SPY_VERSION}")));
        let denied = ProfilerIssue::py_spy_failed(
            "Error: Permission Denied (os error 13)",
            7,
            &Runtime::CPython {
                version: None,
                libpython: None,
            },
        );
        assert_eq!(denied.kind, IssueKind::NotPermitted);
        assert!(denied.remedy.contains("CAP_SYS_PTRACE"));
        assert!(ProfilerIssue::node_without_map(9)
            .to_string()
            .contains("--perf-basic-prof-only-functions"));
    }
}
