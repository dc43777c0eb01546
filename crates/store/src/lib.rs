//! The history store: every run of every kind, kept in an embedded SQLite database (bundled
//! SQLite through rusqlite), local and serverless like asv's result store or bencher's local
//! mode.
//!
//! - WAL journal with `synchronous=NORMAL`: a run killed with SIGKILL loses at most its
//!   in-memory state, never the database; what was written (points, samples) stays visible and
//!   the run is marked `incomplete` the next time the store is opened.
//! - Versioned migrations keyed by `PRAGMA user_version`.
//! - FTS5 full-text index over names, notes and tags.
//! - A `metrics` table of flattened scalars per run, for history queries and change points.

mod error;
mod migrations;
mod query;
pub mod when;

pub use error::StoreError;
pub use query::{Filter, RunRow, RunState, StoredRun};

use perfhive_core::record::{RecordKind, RunStatus};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable that overrides the default location.
pub const ENV_VAR: &str = "PERFHIVE_HISTORY";

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A run about to start.
#[derive(Clone, Debug)]
pub struct NewRun {
    /// What produces it.
    pub kind: RecordKind,
    /// Scenario or benchmark name.
    pub name: String,
    /// RFC 3339 start.
    pub started_at: String,
    /// Git commit of the working directory.
    pub git_commit: Option<String>,
    /// Git branch.
    pub git_branch: Option<String>,
    /// Host name.
    pub host: String,
    /// The environment fingerprint (JSON).
    pub fingerprint: serde_json::Value,
    /// Tags.
    pub tags: Vec<String>,
    /// Free-text notes.
    pub notes: String,
}

/// A flattened scalar of a finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    /// Measure name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Value.
    pub value: f64,
    /// Direction.
    pub lower_is_better: bool,
}

/// The history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

/// How long opening waits for other processes that hold the database, as SQLite's busy timeout.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// Switches the database to WAL mode. A new file's switch takes an exclusive lock from under a
/// shared one, and SQLite answers `SQLITE_BUSY` at once rather than call the busy handler
/// (waiting could deadlock), so concurrent first opens retry here until [`BUSY_WAIT`].
fn wal_mode(conn: &Connection) -> rusqlite::Result<()> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && start.elapsed() < BUSY_WAIT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            done => return done,
        }
    }
}

impl Store {
    /// The default location: `$PERFHIVE_HISTORY`, else `$XDG_DATA_HOME/perfhive/history.db`,
    /// else `~/.local/share/perfhive/history.db`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        data.join("perfhive").join("history.db")
    }

    /// Opens (creating and migrating) the store at `path`, and marks runs left `running` by a
    /// process that no longer exists as `incomplete`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Create {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let fail = |e| error::classify(path, e);
        let mut conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(BUSY_WAIT).map_err(fail)?;
        wal_mode(&conn).map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        migrations::migrate(&mut conn, path).map_err(|e| match e {
            StoreError::Sqlite { source, .. } => fail(source),
            e => e,
        })?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        };
        store.mark_stale()?;
        Ok(store)
    }

    /// Opens the store at `path` for reading only: nothing is created, migrated or marked. A
    /// database whose WAL index cannot be created beside it (a read-only folder) is read as
    /// an immutable snapshot.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Create {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let uri = file_uri(path);
        let try_open = |query: &str| -> rusqlite::Result<(Connection, i64)> {
            let conn = Connection::open_with_flags(format!("{uri}?{query}"), flags)?;
            conn.busy_timeout(BUSY_WAIT)?;
            let v = migrations::version(&conn)?;
            Ok((conn, v))
        };
        let (conn, found) = try_open("mode=ro")
            .or_else(|_| try_open("immutable=1"))
            .map_err(|e| error::classify(path, e))?;
        if found != migrations::VERSION {
            let (path, supported) = (path.to_path_buf(), migrations::VERSION);
            return Err(if found > supported {
                StoreError::TooNew {
                    path,
                    found,
                    supported,
                }
            } else {
                StoreError::Outdated {
                    path,
                    found,
                    supported,
                }
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        })
    }

    /// Opens the store to read it: read-write when possible (so stale runs are marked), else
    /// read-only when the database cannot be written (a read-only file, a full disk).
    pub fn open_for_reading(path: &Path) -> Result<Store> {
        match Store::open(path) {
            Ok(s) => Ok(s),
            Err(e) if e.is_unwritable() && path.is_file() => Store::open_read_only(path),
            Err(e) => Err(e),
        }
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A SQLite error on this database, classified.
    pub(crate) fn fail(&self, e: rusqlite::Error) -> StoreError {
        error::classify(&self.path, e)
    }

    fn mark_stale(&self) -> Result<()> {
        let rows: Vec<(i64, i64, String)> = (|| {
            let mut stmt = self
                .conn
                .prepare("SELECT id, pid, host FROM runs WHERE status = 'running'")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })()
        .map_err(|e| self.fail(e))?;
        let host = hostname();
        for (id, pid, run_host) in rows {
            let alive = run_host == host
                && Path::new(&format!("/proc/{pid}")).exists()
                && pid as u32 != std::process::id();
            if !alive {
                self.conn
                    .execute(
                        "UPDATE runs SET status = ?2 WHERE id = ?1",
                        params![id, RunState::Incomplete.as_str()],
                    )
                    .map_err(|e| self.fail(e))?;
            }
        }
        Ok(())
    }

    /// Records the start of a run; returns its id. The run is `running` until finished.
    pub fn begin_run(&self, run: &NewRun) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO runs (kind, name, started_at, status, pid, host, git_commit, git_branch, fingerprint, tags, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    run.kind.as_str(),
                    run.name,
                    run.started_at,
                    RunState::Running.as_str(),
                    std::process::id() as i64,
                    run.host,
                    run.git_commit,
                    run.git_branch,
                    run.fingerprint.to_string(),
                    normalize_tags(&run.tags),
                    run.notes,
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Appends a time-series point of a running run (load runs write one per second).
    pub fn append_point(&self, run: i64, t: f64, point: &serde_json::Value) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO points (run_id, t, data) VALUES (?1, ?2, ?3)",
                params![run, t, point.to_string()],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Appends one raw sample of a series (a bench command's run, as it completes).
    pub fn append_sample(
        &self,
        run: i64,
        series: &str,
        seq: i64,
        sample: &serde_json::Value,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO samples (run_id, series, seq, data) VALUES (?1, ?2, ?3, ?4)",
                params![run, series, seq, sample.to_string()],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Stores a partial record of a running run (replaced by the final one).
    pub fn save_partial(&self, run: i64, record: &serde_json::Value) -> Result<()> {
        self.conn
            .execute(
                "UPDATE runs SET record = ?2 WHERE id = ?1",
                params![run, record.to_string()],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Records where a run's artefacts are (an investigation's report folder).
    pub fn set_artifact(&self, run: i64, path: &Path) -> Result<()> {
        self.conn
            .execute(
                "UPDATE runs SET artifact = ?2 WHERE id = ?1",
                params![run, path.display().to_string()],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Finishes a run: its outcome, final record and flattened metrics, in one transaction.
    pub fn finish_run(
        &mut self,
        run: i64,
        status: RunStatus,
        record: &serde_json::Value,
        metrics: &[MetricRow],
    ) -> Result<()> {
        let state = RunState::from(status);
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE runs SET status = ?2, record = ?3, finished_at = ?4, complete = 1 WHERE id = ?1",
                params![run, state.as_str(), record.to_string(), now_rfc3339()],
            )?;
            tx.execute("DELETE FROM metrics WHERE run_id = ?1", [run])?;
            {
                let mut stmt = tx.prepare("INSERT INTO metrics (run_id, name, unit, value, lower_is_better) VALUES (?1, ?2, ?3, ?4, ?5)")?;
                for m in metrics {
                    if m.value.is_finite() {
                        stmt.execute(params![run, m.name, m.unit, m.value, m.lower_is_better])?;
                    }
                }
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| self.fail(e))
    }

    /// Adds tags and appends to the notes of a run.
    pub fn annotate(&self, run: i64, tags: &[String], note: Option<&str>) -> Result<bool> {
        let Some((old_tags, old_notes)): Option<(String, String)> = self
            .conn
            .query_row("SELECT tags, notes FROM runs WHERE id = ?1", [run], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.fail(e))?
        else {
            return Ok(false);
        };
        let mut all: Vec<String> = old_tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        all.extend(tags.iter().cloned());
        let notes = match note {
            Some(n) if old_notes.is_empty() => n.to_string(),
            Some(n) => format!("{old_notes}\n{n}"),
            None => old_notes,
        };
        self.conn
            .execute(
                "UPDATE runs SET tags = ?2, notes = ?3 WHERE id = ?1",
                params![run, normalize_tags(&all), notes],
            )
            .map_err(|e| self.fail(e))?;
        Ok(true)
    }

    /// Deletes a run and everything attached to it.
    pub fn delete(&self, run: i64) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM runs WHERE id = ?1", [run])
            .map_err(|e| self.fail(e))?;
        Ok(n > 0)
    }

    /// Deletes runs started at or before `cutoff` (RFC 3339); each is first written to `export` as a
    /// JSON line when given. Returns how many were pruned.
    pub fn prune_before(
        &mut self,
        cutoff: &str,
        mut export: Option<&mut dyn std::io::Write>,
    ) -> Result<usize> {
        let ids: Vec<i64> = (|| {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM runs WHERE started_at <= ?1 ORDER BY id")?;
            let ids = stmt
                .query_map([cutoff], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })()
        .map_err(|e| self.fail(e))?;
        if let Some(w) = export.as_mut() {
            for id in &ids {
                if let Some(run) = self.get(*id)? {
                    let line = serde_json::to_string(&run.to_json())?;
                    writeln!(w, "{line}").map_err(|source| StoreError::Create {
                        path: PathBuf::from("<export>"),
                        source,
                    })?;
                }
            }
        }
        let delete = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            for id in &ids {
                tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
            }
            tx.commit()
        };
        delete(&mut self.conn).map_err(|e| self.fail(e))?;
        Ok(ids.len())
    }

    /// `PRAGMA integrity_check`: `ok` when the database is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.fail(e))
    }
}

/// The `file:` URI of a path, for SQLite's URI parameters (`?`, `#` and `%` escaped).
fn file_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file:");
    for b in abs.as_os_str().as_encoded_bytes() {
        match b {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{b:02X}")),
            _ if b.is_ascii() => out.push(*b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn normalize_tags(tags: &[String]) -> String {
    let mut t: Vec<&str> = tags
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    t.sort_unstable();
    t.dedup();
    t.join(",")
}

/// Host name of this machine.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Now, RFC 3339 UTC (seconds).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests;
