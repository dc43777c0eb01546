//! Errors of the probe.
//!
//! Typed with thiserror; "process not found" is not an error anywhere (a selector simply resolves
//! to no pids), only misconfiguration and unreadable `/proc` are.

use std::path::PathBuf;

/// What can go wrong while resolving which processes to observe.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The pid file could not be read.
    #[error("cannot read pid file {}", path.display())]
    PidFileRead {
        /// The pid file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The pid file does not contain a positive process id.
    #[error("pid file {} does not contain a process id (found {content:?})", path.display())]
    PidFileParse {
        /// The pid file.
        path: PathBuf,
        /// What the file contained (trimmed, truncated to 64 characters).
        content: String,
    },
    /// `/proc` could not be listed.
    #[error("cannot list processes in /proc")]
    ListProcesses(#[source] procfs::ProcError),
}
