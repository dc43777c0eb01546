//! The history's time arguments as the command line gives them: `--since` (a date, RFC 3339,
//! or a duration ago) and `--keep-days` (a retention period), turned into the RFC 3339 times
//! the store compares; and pruning with the pruned runs exported to a file first.

use crate::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A `--since` that is not a time.
#[derive(Debug, thiserror::Error)]
pub enum SinceError {
    /// A duration reaching before 1970.
    #[error("--since is too far back")]
    TooFarBack,
    /// Neither a duration nor a date.
    #[error("--since `{given}`: expected a date (2026-01-31), RFC 3339, or a duration (7d)")]
    NotATime {
        /// What was given.
        given: String,
        /// Why it is not a date.
        #[source]
        source: humantime::TimestampError,
    },
}

/// The start of `--since WHEN` in RFC 3339: a duration ago (`7d`, `12h`), a day
/// (`2026-01-31`, from midnight UTC) or an RFC 3339 time.
pub fn since(when: &str) -> Result<String, SinceError> {
    if let Ok(d) = humantime::parse_duration(when) {
        // humantime formats times from 1970 only
        let t = SystemTime::now()
            .checked_sub(d)
            .filter(|t| *t >= UNIX_EPOCH)
            .ok_or(SinceError::TooFarBack)?;
        return Ok(humantime::format_rfc3339_seconds(t).to_string());
    }
    if when.len() == 10 && when.as_bytes()[4] == b'-' {
        return Ok(format!("{when}T00:00:00Z"));
    }
    humantime::parse_rfc3339_weak(when)
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .map_err(|source| SinceError::NotATime {
            given: when.to_string(),
            source,
        })
}

/// The time `days` days ago in RFC 3339 (`None` before 1970): the cutoff of `--keep-days`.
pub fn days_ago(days: u64) -> Option<String> {
    let t = SystemTime::now()
        .checked_sub(Duration::from_secs(days.checked_mul(86_400)?))
        .filter(|t| *t >= UNIX_EPOCH)?;
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// Why a prune did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// The export file cannot be opened for appending.
    #[error("cannot write `{}`", path.display())]
    Export {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The export could not be finished.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Deletes the runs started before `cutoff`, appending them to `export` first (JSON Lines)
    /// when given; returns how many were deleted.
    pub fn prune_to(&mut self, cutoff: &str, export: Option<&Path>) -> Result<usize, PruneError> {
        let Some(path) = export else {
            return Ok(self.prune_before(cutoff, None)?);
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| PruneError::Export {
                path: path.to_path_buf(),
                source,
            })?;
        let mut f = std::io::BufWriter::new(file);
        let n = self.prune_before(cutoff, Some(&mut f))?;
        std::io::Write::flush(&mut f)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_days_and_rfc3339() {
        assert_eq!(since("2026-01-31").unwrap(), "2026-01-31T00:00:00Z");
        assert_eq!(
            since("2026-01-31T12:30:00Z").unwrap(),
            "2026-01-31T12:30:00Z"
        );
        let week = since("7d").unwrap();
        assert!(week < crate::now_rfc3339(), "{week}");
        assert_eq!(
            week[..10],
            days_ago(7).unwrap()[..10],
            "a duration ago is the same day as that many days ago"
        );
        let e = since("last tuesday").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("--since `last tuesday`: expected a date"));
        assert!(std::error::Error::source(&e).is_some());
        assert!(matches!(since("1000000y"), Err(SinceError::TooFarBack)));
        assert_eq!(days_ago(u64::MAX), None);
    }

    #[test]
    fn an_unwritable_export_prunes_nothing() {
        let dir = std::env::temp_dir().join(format!("perfhive-prune-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut store = Store::open(&dir.join("h.db")).unwrap();
        let e = store
            .prune_to("2999-01-01T00:00:00Z", Some(&dir.join("no/such/dir.jsonl")))
            .unwrap_err();
        assert!(matches!(e, PruneError::Export { .. }), "{e}");
        let out = dir.join("pruned.jsonl");
        assert_eq!(
            store.prune_to("2999-01-01T00:00:00Z", Some(&out)).unwrap(),
            0
        );
        assert!(out.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
