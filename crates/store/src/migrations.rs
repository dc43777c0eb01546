//! Versioned schema migrations, applied in order inside one transaction each and recorded in
//! `PRAGMA user_version` (the approach of rusqlite_migration and Cargo's own SQLite caches).

use crate::{Result, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[FIRST, SECOND];

/// 1: runs, their time series and samples, flattened metrics, full-text search.
pub(crate) const FIRST: &str = r#"
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        complete    INTEGER NOT NULL DEFAULT 0,
        pid         INTEGER NOT NULL DEFAULT 0,
        host        TEXT NOT NULL DEFAULT '',
        git_commit  TEXT,
        git_branch  TEXT,
        fingerprint TEXT NOT NULL DEFAULT '{}',
        tags        TEXT NOT NULL DEFAULT '',
        notes       TEXT NOT NULL DEFAULT '',
        record      TEXT
    );
    CREATE INDEX runs_by_name ON runs (name, started_at);
    CREATE INDEX runs_by_started ON runs (started_at);
    CREATE TABLE points (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        t      REAL NOT NULL,
        data   TEXT NOT NULL
    );
    CREATE INDEX points_by_run ON points (run_id, t);
    CREATE TABLE samples (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        series TEXT NOT NULL,
        seq    INTEGER NOT NULL,
        data   TEXT NOT NULL
    );
    CREATE INDEX samples_by_run ON samples (run_id, series, seq);
    CREATE TABLE metrics (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name            TEXT NOT NULL,
        unit            TEXT NOT NULL,
        value           REAL NOT NULL,
        lower_is_better INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
    );
    CREATE INDEX metrics_by_name ON metrics (name);
    CREATE VIRTUAL TABLE runs_fts USING fts5(name, notes, tags, content='runs', content_rowid='id');
    CREATE TRIGGER runs_ai AFTER INSERT ON runs BEGIN
        INSERT INTO runs_fts(rowid, name, notes, tags) VALUES (new.id, new.name, new.notes, new.tags);
    END;
    CREATE TRIGGER runs_ad AFTER DELETE ON runs BEGIN
        INSERT INTO runs_fts(runs_fts, rowid, name, notes, tags) VALUES ('delete', old.id, old.name, old.notes, old.tags);
    END;
    CREATE TRIGGER runs_au AFTER UPDATE OF name, notes, tags ON runs BEGIN
        INSERT INTO runs_fts(runs_fts, rowid, name, notes, tags) VALUES ('delete', old.id, old.name, old.notes, old.tags);
        INSERT INTO runs_fts(rowid, name, notes, tags) VALUES (new.id, new.name, new.notes, new.tags);
    END;
    "#;

/// 2: where a run's artefacts are (an investigation's report folder).
const SECOND: &str = "ALTER TABLE runs ADD COLUMN artifact TEXT;";

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema version of an open database.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the database to [`VERSION`]. The version is read again under a write lock
/// (`BEGIN IMMEDIATE`), so processes opening a new history at the same time migrate it once.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let sqlite = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    if version(conn).map_err(sqlite)? == VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let current = version(&tx).map_err(sqlite)?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported: VERSION,
        });
    }
    for sql in MIGRATIONS.iter().skip(current as usize) {
        tx.execute_batch(sql).map_err(sqlite)?;
    }
    tx.pragma_update(None, "user_version", VERSION)
        .map_err(sqlite)?;
    tx.commit().map_err(sqlite)
}
