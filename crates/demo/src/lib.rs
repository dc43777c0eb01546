//! perfhive-demo: a demo service that is slow for known, realistic reasons, with a switch that
//! fixes each cause.
//!
//! `perfhive investigate --demo` runs its investigators against this service. Because the causes
//! are known, an investigation can be checked against them, and because each has a switch
//! (at start-up through [`DemoOptions`], live through `POST /config`), a before/after run can
//! prove that applying a recommendation helps. The causes model the classic findings of database
//! and service performance work:
//!
//! | cause | default (slow) | fix | what it models |
//! |-------|----------------|-----|----------------|
//! | unbatched writes | one transaction per record | `batch_size` > 1 | SQLite FAQ 19: "INSERT is really slow — I can only do a few dozen INSERTs per second": each COMMIT waits for the disk, so batch them in one transaction |
//! | durable-but-costly commits | rollback journal, `synchronous=FULL` | `synchronous_full = false`: WAL with `synchronous=NORMAL` | SQLite's WAL documentation: in WAL mode with NORMAL, commits do not fsync; only checkpoints do |
//! | N+1 queries | one query per item and per item's details, in a loop | `n_plus_one = false`: one JOIN | the ORM "N+1 selects" anti-pattern (Fowler, *Patterns of Enterprise Application Architecture*, lazy load) |
//! | CPU-heavy serialisation | `render_item_slow`: pretty-print and re-parse each item several times | `fast_serialization = true`: one `serde_json::to_vec` | a hot function that a profiler (perf + FlameGraph) shows on top |
//!
//! Endpoints:
//!
//! | path | behaviour |
//! |------|-----------|
//! | `GET /health` | 200 `ok` |
//! | `POST /ingest[?batch_size=N]` | a JSON record `{"sensor": "s1", "value": 1.5}` or an array of them → SQLite, committing every `batch_size` records → `{"ingested": N}` |
//! | `GET /items[?limit=N]` | N (default 50, at most 10 000) seeded items with their details, as `{"count": N, "items": […]}` |
//! | `GET /config` | the current [`Switches`] as JSON |
//! | `POST /config` | a JSON object with some of the [`Switches`] fields: changes them live, answers the new switches |
//! | `GET /stats` | [`Stats`]: statements, transactions and records so far |
//!
//! Every response carries a `Server-Timing` header (W3C Server Timing) with the phases of the
//! request, for example `db;dur=12.300, serialize;dur=4.100, total;dur=17.000`, so a client sees
//! where the time goes without traces.
//!
//! With [`DemoOptions::trace`] set (for example from [`otel::ExportConfig::from_env`]), the
//! service is instrumented with the OpenTelemetry SDK: spans of the same phases — a SERVER span
//! per request with `parse` / `db` / `serialize` children and one CLIENT span per SQL statement
//! — exported over OTLP/HTTP; see [`otel`].
//!
//! The database is one SQLite connection behind a mutex, used from tokio's blocking pool: SQLite
//! allows one writer at a time anyway, and a single connection keeps the write path (the subject
//! of the demo) free of `SQLITE_BUSY` retries. See `db.rs`.

mod db;
mod error;
pub mod otel;
mod render;
mod routes;
mod running;
mod timing;

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use error::DemoError;
pub use running::{spawn, RunningDemo};

/// Number of items seeded into a fresh database.
pub const SEED_ITEMS: usize = 2_000;

/// The service's own source files (`file name`, text), so an investigation of the demo can scan
/// the code it runs (the code investigator) without the repository at hand.
pub const SOURCES: &[(&str, &str)] = &[
    ("db.rs", include_str!("db.rs")),
    ("error.rs", include_str!("error.rs")),
    ("lib.rs", include_str!("lib.rs")),
    ("render.rs", include_str!("render.rs")),
    ("routes.rs", include_str!("routes.rs")),
    ("running.rs", include_str!("running.rs")),
    ("timing.rs", include_str!("timing.rs")),
];

/// Number of detail rows seeded per item.
pub const DETAILS_PER_ITEM: usize = 3;
/// Largest `limit` that `GET /items` accepts.
pub const MAX_LIMIT: usize = 10_000;

/// How to run the demo service.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The SQLite database file; `None` (the default) creates a fresh file in the temporary
    /// directory, removed at shutdown. A real file, not `:memory:`, so commits pay for fsync.
    pub db_path: Option<PathBuf>,
    /// Initial [`Switches::batch_size`] (default 1: one transaction per record).
    pub batch_size: usize,
    /// Initial [`Switches::synchronous_full`] (default `true`).
    pub synchronous_full: bool,
    /// Initial [`Switches::n_plus_one`] (default `true`).
    pub n_plus_one: bool,
    /// Initial [`Switches::fast_serialization`] (default `false`).
    pub fast_serialization: bool,
    /// Worker threads of the service's runtime (default 2; 0 is treated as 1).
    pub threads: usize,
    /// Whether (and, optionally, where) to export OpenTelemetry spans; `None` (the default)
    /// records none, at no cost. [`otel::ExportConfig::from_env`] decides from the standard
    /// `OTEL_*` variables; the SDK reads the rest of its configuration from them at start-up.
    pub trace: Option<otel::ExportConfig>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        let slow = Switches::default();
        Self {
            bind: perfhive_background::loopback(0),
            db_path: None,
            batch_size: slow.batch_size,
            synchronous_full: slow.synchronous_full,
            n_plus_one: slow.n_plus_one,
            fast_serialization: slow.fast_serialization,
            threads: 2,
            trace: None,
        }
    }
}

impl DemoOptions {
    /// The switches these options start with.
    pub fn switches(&self) -> Switches {
        Switches {
            batch_size: self.batch_size,
            synchronous_full: self.synchronous_full,
            n_plus_one: self.n_plus_one,
            fast_serialization: self.fast_serialization,
        }
    }

    /// Checks the options for contradictions.
    pub fn validate(&self) -> Result<(), DemoError> {
        self.switches()
            .validate()
            .map_err(DemoError::InvalidOptions)
    }
}

/// The switches that make the service slow or fast, as `GET /config` shows them.
///
/// The default is the slow configuration, each field naming one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    /// Ingestion commits every `batch_size` records (1 = one transaction per record).
    pub batch_size: usize,
    /// `true`: rollback journal with `PRAGMA synchronous=FULL` (fsyncs on every commit);
    /// `false`: WAL with `synchronous=NORMAL` (commits do not fsync).
    pub synchronous_full: bool,
    /// `true`: `/items` loads each item and its details with their own queries in a loop;
    /// `false`: one JOIN.
    pub n_plus_one: bool,
    /// `false`: each item goes through `render_item_slow`; `true`: one `serde_json::to_vec`.
    pub fast_serialization: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Self {
            batch_size: 1,
            synchronous_full: true,
            n_plus_one: true,
            fast_serialization: false,
        }
    }
}

impl Switches {
    /// The configuration with every cause fixed (batches of 100).
    pub fn fast() -> Self {
        Self {
            batch_size: 100,
            synchronous_full: false,
            n_plus_one: false,
            fast_serialization: true,
        }
    }

    /// Checks the switches, explaining what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.batch_size == 0 {
            return Err("batch_size must be at least 1".into());
        }
        Ok(())
    }
}

/// Work counters since start-up, as `GET /stats` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// SQL statements executed for requests (SELECTs and INSERTs; not BEGIN/COMMIT/PRAGMA).
    pub queries: u64,
    /// Write transactions committed by ingestion.
    pub transactions: u64,
    /// Records ingested.
    pub records: u64,
}
