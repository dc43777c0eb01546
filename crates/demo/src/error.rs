//! Errors of the demo service.
//!
//! Library code reports failures as typed [`DemoError`] values (thiserror), never by printing;
//! the binary decides how to render them and which exit code to use.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can go wrong while starting or running the demo service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The options are inconsistent (for example a batch size of 0).
    #[error("invalid demo options: {0}")]
    InvalidOptions(String),
    /// Binding or registering the listening socket failed.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address we tried to bind.
        addr: SocketAddr,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// Building the service's own tokio runtime or its OS thread failed.
    #[error("cannot start the demo runtime")]
    Runtime(#[source] std::io::Error),
    /// Opening, configuring or seeding the SQLite database failed.
    #[error("database error on {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The OpenTelemetry exporter cannot be built from the `OTEL_*` environment (a malformed
    /// endpoint URL, an unsupported compression).
    #[error("cannot set up tracing from the OTEL_* environment: {0}")]
    Tracing(String),
    /// A statement failed while serving a request.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
}
