//! Errors of the testbed.
//!
//! Library code reports failures as typed [`TargetError`] values (thiserror), never by printing; the
//! binary decides how to render them and which exit code to use.

use std::net::SocketAddr;

/// Everything that can go wrong while starting or running the testbed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The options are inconsistent (for example a stall longer than its period).
    #[error("invalid target options: {0}")]
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
    /// Building the target's own tokio runtime or its OS thread failed.
    #[error("cannot start the target runtime")]
    Runtime(#[source] std::io::Error),
    /// Generating the self-signed certificate failed.
    #[error("cannot generate a self-signed certificate")]
    Certificate(#[source] rcgen::Error),
    /// Building the TLS server configuration failed.
    #[error("cannot configure TLS")]
    Tls(#[source] rustls::Error),
}

/// Why the built-in target a scenario names (`builtin:NAME/…`) could not be served.
#[derive(Debug, thiserror::Error)]
pub enum BuiltinError {
    /// No built-in target has this name.
    #[error("unknown built-in target `{0}`")]
    Unknown(String),
    /// The testbed did not start.
    #[error("cannot start the built-in testbed")]
    Start(#[source] TargetError),
}
