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

mod migrations;
mod query;

pub use query::{Filter, RunRow, StoredRun};

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable that overrides the default location.
pub const ENV_VAR: &str = "PERFHIVE_HISTORY";

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("history database: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// A record could not be (de)serialised.
    #[error("history record: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A run about to start.
#[derive(Clone, Debug, Default)]
pub struct NewRun {
    /// `load`, `bench`, `import`, …
    pub kind: String,
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
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn, path)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.mark_stale()?;
        Ok(store)
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn mark_stale(&self) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, pid, host FROM runs WHERE status = 'running'")?;
        let rows: Vec<(i64, i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<std::result::Result<_, _>>()?;
        let host = hostname();
        for (id, pid, run_host) in rows {
            let alive = run_host == host
                && Path::new(&format!("/proc/{pid}")).exists()
                && pid as u32 != std::process::id();
            if !alive {
                self.conn
                    .execute("UPDATE runs SET status = 'incomplete' WHERE id = ?1", [id])?;
            }
        }
        Ok(())
    }

    /// Records the start of a run; returns its id. The run is `running` until finished.
    pub fn begin_run(&self, run: &NewRun) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (kind, name, started_at, status, pid, host, git_commit, git_branch, fingerprint, tags, notes)
             VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                run.kind,
                run.name,
                run.started_at,
                std::process::id() as i64,
                run.host,
                run.git_commit,
                run.git_branch,
                run.fingerprint.to_string(),
                normalize_tags(&run.tags),
                run.notes,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Appends a time-series point of a running run (load runs write one per second).
    pub fn append_point(&self, run: i64, t: f64, point: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "INSERT INTO points (run_id, t, data) VALUES (?1, ?2, ?3)",
            params![run, t, point.to_string()],
        )?;
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
        self.conn.execute(
            "INSERT INTO samples (run_id, series, seq, data) VALUES (?1, ?2, ?3, ?4)",
            params![run, series, seq, sample.to_string()],
        )?;
        Ok(())
    }

    /// Stores a partial record of a running run (replaced by the final one).
    pub fn save_partial(&self, run: i64, record: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET record = ?2 WHERE id = ?1",
            params![run, record.to_string()],
        )?;
        Ok(())
    }

    /// Finishes a run: its status, final record and flattened metrics, in one transaction.
    pub fn finish_run(
        &mut self,
        run: i64,
        status: &str,
        record: &serde_json::Value,
        metrics: &[MetricRow],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE runs SET status = ?2, record = ?3, finished_at = ?4, complete = 1 WHERE id = ?1",
            params![run, status, record.to_string(), now_rfc3339()],
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
        tx.commit()?;
        Ok(())
    }

    /// Adds tags and appends to the notes of a run.
    pub fn annotate(&self, run: i64, tags: &[String], note: Option<&str>) -> Result<bool> {
        let Some((old_tags, old_notes)): Option<(String, String)> = self
            .conn
            .query_row("SELECT tags, notes FROM runs WHERE id = ?1", [run], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
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
        self.conn.execute(
            "UPDATE runs SET tags = ?2, notes = ?3 WHERE id = ?1",
            params![run, normalize_tags(&all), notes],
        )?;
        Ok(true)
    }

    /// Deletes a run and everything attached to it.
    pub fn delete(&self, run: i64) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM runs WHERE id = ?1", [run])? > 0)
    }

    /// Deletes runs started at or before `cutoff` (RFC 3339); each is first written to `export` as a
    /// JSON line when given. Returns how many were pruned.
    pub fn prune_before(
        &mut self,
        cutoff: &str,
        mut export: Option<&mut dyn std::io::Write>,
    ) -> Result<usize> {
        let ids: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM runs WHERE started_at <= ?1 ORDER BY id")?;
            let ids = stmt
                .query_map([cutoff], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            ids
        };
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
        let tx = self.conn.transaction()?;
        for id in &ids {
            tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(ids.len())
    }

    /// `PRAGMA integrity_check`: `ok` when the database is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
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
