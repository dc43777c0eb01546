//! Errors of the database audit. A DSN that cannot be understood, a server that cannot be
//! reached and a file that is not a database are the caller's to fix (the binary exits 2);
//! a query that fails mid-audit is reported on the statement or check it concerns and the
//! audit goes on.

use thiserror::Error;

/// What went wrong.
#[derive(Debug, Error)]
pub enum DbError {
    /// The DSN is malformed or names nothing usable.
    #[error("invalid DSN `{dsn}`: {reason}")]
    InvalidDsn {
        /// The DSN, with any password masked.
        dsn: String,
        /// What was expected.
        reason: String,
    },
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        /// The target, with any password masked.
        target: String,
        /// The driver's explanation.
        reason: String,
    },
    /// The SQLite file cannot be opened as a database.
    #[error("cannot open {path} as an SQLite database: {reason}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A query failed.
    #[error("{context}: {reason}")]
    Query {
        /// What perfhive was doing.
        context: String,
        /// The server's message.
        reason: String,
    },
    /// The engine or server cannot do what was asked (too old a version, a missing privilege).
    #[error("{0}")]
    Unsupported(String),
    /// A local file operation failed (the SQLite copy, the temporary folder).
    #[error("{context}: {source}")]
    Io {
        /// What perfhive was doing.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl DbError {
    /// A query error with its context.
    pub fn query(context: impl Into<String>, err: impl std::fmt::Display) -> Self {
        DbError::Query {
            context: context.into(),
            reason: one_line(&err.to_string()),
        }
    }
}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        DbError::query("PostgreSQL", pg_message(&e))
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::query("SQLite", e)
    }
}

/// The server's own message for a PostgreSQL error (with its detail and hint), else the
/// driver's.
pub fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(c) = src {
                s.push_str(&format!(": {c}"));
                src = c.source();
            }
            s
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
