//! perfhive's database audit: what the database did in a window, the plans of the statements
//! that cost the most or that the traces and the code scan saw, index advice verified before
//! it is given, and the server's configuration and health — for PostgreSQL (15 and newer)
//! and SQLite behind one [`Engine`] trait (a third engine is one more module).
//!
//! The API the `database:` investigator uses — snapshot before the baseline, snapshot after,
//! analyse the window with the statements other layers saw:
//!
//! ```no_run
//! use perfhive_database::{AnalyseOptions, Database, SeenSource, SeenStatement};
//! use std::time::Duration;
//!
//! let mut db = Database::connect("postgresql://app@127.0.0.1/shop", None)?;
//! let window = db.begin_window(Duration::from_millis(100))?;
//! // … the baseline load runs …
//! let workload = db.end_window(window)?;
//! let seen = vec![SeenStatement {
//!     text: "SELECT * FROM orders WHERE customer_id = 42".into(),
//!     source: SeenSource::Trace { route: "GET /customers/{id}/orders".into(), time_share: Some(0.69), count: 120 },
//! }];
//! let report = db.analyse(Some(&workload), &seen, &AnalyseOptions::default());
//! for s in &report.statements {
//!     for a in s.indexes.iter().filter(|a| a.recommended) {
//!         println!("{} → {} ({})", s.normalized, a.create, a.reason);
//!     }
//! }
//! # Ok::<(), perfhive_database::DbError>(())
//! ```
//!
//! Read-only by default: PostgreSQL sessions are `default_transaction_read_only`; the only
//! writes are hypopg's hypothetical indexes (session memory) and a temporary copy of a table,
//! both inside a transaction that is rolled back; SQLite files are opened read-only and
//! advice is verified on a copy in a temporary folder. EXPLAIN ANALYZE runs only when asked,
//! only for SELECT, in a read-only transaction rolled back.
//!
//! Library code: no output; the binary renders the report (`render`).

mod analyse;
pub mod dsn;
pub mod engine;
mod error;
pub mod machine;
pub mod model;
pub mod options;
pub mod postgres;
pub mod render;
pub mod sqlite;
pub mod workload;

pub use analyse::{analyse, describe_verification, AnalyseOptions};
pub use dsn::{Env, Target};
pub use engine::{Engine, Sampler, VerifyMode};
pub use error::DbError;
pub use model::*;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A connection to the audited database, behind its engine.
pub struct Database {
    engine: Box<dyn Engine>,
    notes: Vec<String>,
}

/// A window opened by [`Database::begin_window`]: the snapshot before, and the activity
/// sampler running until [`Database::end_window`]. It may be moved to another thread.
pub struct Window {
    before: Snapshot,
    sampler: Option<Sampler>,
}

impl Database {
    /// Connects to a DSN (`postgresql://…`, `host=… dbname=…`, or an SQLite file path relative
    /// to `base`), completed from the process's environment.
    pub fn connect(dsn: &str, base: Option<&Path>) -> Result<Database, DbError> {
        Database::open(Target::parse(dsn, base, &Env::process())?)
    }

    /// Connects to a parsed target.
    pub fn open(target: Target) -> Result<Database, DbError> {
        match target {
            Target::Postgres(t) => {
                let notes = t.notes.clone();
                Ok(Database {
                    engine: Box::new(postgres::PgEngine::connect(*t)?),
                    notes,
                })
            }
            Target::Sqlite(p) => Ok(Database {
                engine: Box::new(sqlite::SqliteEngine::open(&p)?),
                notes: Vec::new(),
            }),
        }
    }

    /// Wraps an engine (a third engine, or a test's).
    pub fn with_engine(engine: Box<dyn Engine>) -> Database {
        Database {
            engine,
            notes: Vec::new(),
        }
    }

    /// The server or file.
    pub fn info(&self) -> &EngineInfo {
        self.engine.info()
    }

    /// Snapshots the statement statistics and starts sampling live sessions every
    /// `sample_every` (PostgreSQL), until [`Database::end_window`].
    pub fn begin_window(&mut self, sample_every: Duration) -> Result<Window, DbError> {
        let sampler = match self.engine.activity_sampler() {
            Ok(Some(f)) => Some(Sampler::start(f, sample_every)?),
            Ok(None) => None,
            Err(e) => {
                self.notes.push(format!("no activity sampling: {e}"));
                None
            }
        };
        let before = self.engine.snapshot()?;
        Ok(Window { before, sampler })
    }

    /// Snapshots again and returns the window's own statements.
    pub fn end_window(&mut self, window: Window) -> Result<Workload, DbError> {
        let after = self.engine.snapshot();
        let sampled = window.sampler.map(Sampler::finish);
        Ok(workload::between(&window.before, &after?, sampled, false))
    }

    /// Ends `window` once `len` has passed since this call, or as soon as `stop` is set (an
    /// interrupt ends the window early: the audit goes on with what it saw).
    pub fn end_window_after(
        &mut self,
        window: Window,
        len: Duration,
        stop: &AtomicBool,
    ) -> Result<Workload, DbError> {
        let end = Instant::now() + len;
        while Instant::now() < end && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(
                Duration::from_millis(50).min(end.saturating_duration_since(Instant::now())),
            );
        }
        self.end_window(window)
    }

    /// The cumulative statement statistics (since they were last reset), without a window.
    pub fn cumulative(&mut self) -> Result<Workload, DbError> {
        let after = self.engine.snapshot()?;
        let mut before = workload::empty_snapshot();
        before.statements_available = after.statements_available;
        let mut w = workload::between(&before, &after, None, true);
        if after.statements_available {
            w.notes.push("cumulative statistics since they were last reset: run with a window to see one workload's own calls".into());
        }
        Ok(w)
    }

    /// Plans, advises and checks (see [`analyse()`]).
    pub fn analyse(
        &mut self,
        workload: Option<&Workload>,
        seen: &[SeenStatement],
        opts: &AnalyseOptions,
    ) -> DatabaseReport {
        let mut r = analyse::analyse(self.engine.as_mut(), workload, seen, opts);
        r.notes.splice(0..0, self.notes.iter().cloned());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The investigator opens the window on one thread and may end it on another.
    #[test]
    fn a_database_and_its_window_move_between_threads() {
        fn send<T: Send>() {}
        send::<super::Database>();
        send::<super::Window>();
        send::<super::DatabaseReport>();
    }

    #[test]
    fn a_stopped_window_ends_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.sqlite3");
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);")
            .unwrap();
        let mut db = Database::connect(file.to_str().unwrap(), None).unwrap();
        let window = db.begin_window(Duration::from_millis(100)).unwrap();
        let stop = AtomicBool::new(true);
        let started = Instant::now();
        db.end_window_after(window, Duration::from_secs(3600), &stop)
            .unwrap();
        // an hour's window, ended by the stop flag (generous bound for a slow machine)
        assert!(started.elapsed() < Duration::from_secs(600));
        let window = db.begin_window(Duration::from_millis(100)).unwrap();
        let started = Instant::now();
        db.end_window_after(window, Duration::from_millis(200), &AtomicBool::new(false))
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
}
