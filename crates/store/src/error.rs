//! What went wrong with the history, in words a user can act on. SQLite reports a full disk
//! as `SQLITE_FULL` only when a write returns ENOSPC; the same full disk met while growing the
//! WAL index (`-shm`) or a journal comes back as a generic "disk I/O error", and a file over
//! the process's size limit (`ulimit -f`) too. [`classify`] looks behind those codes: the free
//! space of the file system holding the database, the size limit, and the file's permissions.

use std::path::{Path, PathBuf};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed for another reason.
    #[error("history database `{path}`: {source}")]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file system holding the database is full.
    #[error("the disk holding the history `{path}` is full ({free} bytes free)")]
    DiskFull {
        /// The database.
        path: PathBuf,
        /// Bytes free for this user when it failed.
        free: u64,
    },
    /// A write went beyond the process's file size limit (`ulimit -f`).
    #[error(
        "the history `{path}` reached this process's file size limit (ulimit -f: {limit} bytes)"
    )]
    FileSizeLimit {
        /// The database.
        path: PathBuf,
        /// The limit, bytes.
        limit: u64,
    },
    /// The database (or its folder) cannot be written.
    #[error("the history `{path}` is read-only")]
    ReadOnly {
        /// The database.
        path: PathBuf,
    },
    /// The database file or its folder could not be created.
    #[error("cannot create the history at `{path}`: {source}")]
    Create {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database was written by a newer perfhive.
    #[error("the history at `{path}` has schema version {found}, newer than this perfhive ({supported})")]
    TooNew {
        /// The path.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// A read-only database of an older schema, which cannot be upgraded where it is.
    #[error("the history at `{path}` is read-only and has schema version {found}; this perfhive reads version {supported}: open it once with write access to upgrade it")]
    Outdated {
        /// The path.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// A record could not be (de)serialised.
    #[error("history record: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// Whether the history could not be written for lack of space or permission (the run
    /// itself is fine; another history, or none, would do).
    pub fn is_unwritable(&self) -> bool {
        matches!(
            self,
            StoreError::DiskFull { .. }
                | StoreError::FileSizeLimit { .. }
                | StoreError::ReadOnly { .. }
                | StoreError::Create { .. }
        )
    }
}

/// Below this many free bytes, an I/O error while writing is taken for a full disk.
const NEARLY_FULL: u64 = 1 << 20;

/// Turns a SQLite error on the database at `path` into what the user can act on.
pub fn classify(path: &Path, source: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    let code = source.sqlite_error_code();
    let path = path.to_path_buf();
    match code {
        Some(C::DiskFull | C::SystemIoFailure | C::CannotOpen | C::ReadOnly) => {}
        _ => return StoreError::Sqlite { path, source },
    }
    if code == Some(C::ReadOnly) {
        return StoreError::ReadOnly { path };
    }
    if let Some(free) = free_bytes(&path) {
        if code == Some(C::DiskFull) || free < NEARLY_FULL {
            return StoreError::DiskFull { path, free };
        }
    }
    if code == Some(C::CannotOpen) && !writable(&path) {
        return StoreError::ReadOnly { path };
    }
    if let Some(limit) = file_size_limit() {
        if matches!(code, Some(C::DiskFull | C::SystemIoFailure)) {
            return StoreError::FileSizeLimit { path, limit };
        }
    }
    StoreError::Sqlite { path, source }
}

/// Free bytes for this user on the file system holding `path` (or its folder).
fn free_bytes(path: &Path) -> Option<u64> {
    let probe = if path.exists() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    };
    let c = std::ffi::CString::new(probe.as_os_str().as_encoded_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-pointer for the call.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| (st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// This process's file size limit (`ulimit -f`), when there is one.
fn file_size_limit() -> Option<u64> {
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a valid out-pointer for getrlimit.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) };
    (rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY).then_some(lim.rlim_cur as u64)
}

/// Whether this process may write the database file and create files beside it.
fn writable(path: &Path) -> bool {
    let ok = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
            // SAFETY: a NUL-terminated path.
            .map(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
            .unwrap_or(false)
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (!path.exists() || ok(path)) && ok(dir)
}
