//! The demo's SQLite database: seeded items to read, readings to ingest, and the two slow paths.
//!
//! **One connection behind a mutex**, used from tokio's blocking pool. SQLite serialises writers
//! anyway (one `RESERVED` lock per database, "File Locking And Concurrency In SQLite Version 3"),
//! so a single connection is how a small service realistically talks to it, and it keeps the write
//! path free of `SQLITE_BUSY` retries: what the demo measures is the cost of committing, not of
//! lock contention. Reads share the connection, so a slow write delays reads too, as it would on a
//! single-writer service.
//!
//! The slow paths are deliberate and named so a profiler and a code scanner find them:
//! - [`Db::ingest`] commits every `batch` records; with `batch = 1` and the rollback journal with
//!   `synchronous=FULL`, every record pays for several fsyncs (SQLite FAQ 19, "Atomic Commit In
//!   SQLite" §3).
//! - [`Db::load_items_n_plus_one`] runs one query for the ids, then two per item in a loop.
//!
//! When the request is traced, every statement (every transaction, for ingestion) is a database
//! span timed here, on the blocking pool, around the real work (see [`DbQuery`] for the SQL and
//! its attributes).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, Row};
use serde::{Deserialize, Serialize};

use crate::otel::{traced, Code, DbQuery, DbTrace};
use crate::{DemoError, Stats, DETAILS_PER_ITEM, SEED_ITEMS};

/// This file, as spans name it in `code.file.path`.
pub(crate) const FILE: &str = file!();

/// The ids of the first items (N+1 path, once per request).
static SELECT_IDS: DbQuery = DbQuery {
    span_name: "SELECT items",
    sql: "SELECT id FROM items ORDER BY id LIMIT ?1",
    operation: "SELECT",
    collection: "items",
    code: Code {
        function: "load_items_n_plus_one",
        file: FILE,
    },
};
/// One item (N+1 path, once per item).
static SELECT_ITEM: DbQuery = DbQuery {
    span_name: "SELECT items",
    sql: "SELECT id, name, category, price_cents, description FROM items WHERE id = ?1",
    operation: "SELECT",
    collection: "items",
    code: Code {
        function: "load_items_n_plus_one",
        file: FILE,
    },
};
/// One item's details (N+1 path, once per item).
static SELECT_DETAILS: DbQuery = DbQuery {
    span_name: "SELECT item_details",
    sql: "SELECT key, value FROM item_details WHERE item_id = ?1 ORDER BY id",
    operation: "SELECT",
    collection: "item_details",
    code: Code {
        function: "load_items_n_plus_one",
        file: FILE,
    },
};
/// Items with their details in one statement (the fixed path).
static SELECT_JOINED: DbQuery = DbQuery {
    span_name: "SELECT items",
    sql: "SELECT i.id, i.name, i.category, i.price_cents, i.description, d.key, d.value
             FROM (SELECT * FROM items ORDER BY id LIMIT ?1) AS i
             LEFT JOIN item_details AS d ON d.item_id = i.id
             ORDER BY i.id, d.id",
    operation: "SELECT",
    collection: "items",
    code: Code {
        function: "load_items_joined",
        file: FILE,
    },
};
/// One reading; an ingestion transaction's span covers BEGIN, the INSERTs and COMMIT.
static INSERT_READING: DbQuery = DbQuery {
    span_name: "INSERT readings",
    sql: "INSERT INTO readings (sensor, value) VALUES (?1, ?2)",
    operation: "INSERT",
    collection: "readings",
    code: Code {
        function: "ingest",
        file: FILE,
    },
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS item_details (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS item_details_item ON item_details(item_id);
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    sensor TEXT NOT NULL,
    value REAL NOT NULL
);
";

const CATEGORIES: [&str; 6] = [
    "sensors",
    "cables",
    "gateways",
    "batteries",
    "mounts",
    "tools",
];
const DETAIL_KEYS: [&str; DETAILS_PER_ITEM] = ["color", "weight_g", "warranty"];

/// One ingested record: `{"sensor": "s1", "value": 1.5}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    /// Which sensor sent it.
    pub(crate) sensor: String,
    /// The measured value.
    pub(crate) value: f64,
}

/// An item with its details, as `/items` returns it.
///
/// Fields are declared in alphabetical order so that `serde_json::to_vec` of the struct and a
/// round trip through `serde_json::Value` (whose maps sort their keys) give identical bytes: the
/// slow and the fast serialisation produce the same response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Item {
    pub(crate) category: String,
    pub(crate) description: String,
    pub(crate) details: Vec<Detail>,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
}

/// One detail row of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Detail {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The connection and the durability mode it is in.
struct Inner {
    conn: Connection,
    synchronous_full: bool,
}

/// The database of one demo service instance.
pub(crate) struct Db {
    inner: Mutex<Inner>,
    queries: AtomicU64,
    transactions: AtomicU64,
    records: AtomicU64,
    /// Declared last: dropped after the connection is closed, then removes the files.
    _temp: Option<TempFile>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("stats", &self.stats()).finish()
    }
}

impl Db {
    /// Opens (or creates) the database at `path`, or a fresh temporary file, sets the durability
    /// mode and seeds the items if the table is empty.
    pub(crate) fn open(path: Option<&Path>, synchronous_full: bool) -> Result<Self, DemoError> {
        let (path, temp) = match path {
            Some(p) => (p.to_path_buf(), None),
            None => {
                let t = TempFile::new();
                (t.0.clone(), Some(t))
            }
        };
        let err = |source| DemoError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        set_durability(&conn, synchronous_full).map_err(err)?;
        seed(&conn).map_err(err)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                conn,
                synchronous_full,
            }),
            queries: AtomicU64::new(0),
            transactions: AtomicU64::new(0),
            records: AtomicU64::new(0),
            _temp: temp,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves SQLite consistent (an open transaction is rolled
        // back when its guard drops), so a poisoned mutex is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Work counters since start-up.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            queries: self.queries.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }

    fn count_queries(&self, n: usize) {
        self.queries.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Switches between the rollback journal with `synchronous=FULL` and WAL with
    /// `synchronous=NORMAL`, if not already in the requested mode.
    pub(crate) fn set_synchronous_full(&self, full: bool) -> Result<(), DemoError> {
        let mut inner = self.lock();
        if inner.synchronous_full != full {
            set_durability(&inner.conn, full)?;
            inner.synchronous_full = full;
        }
        Ok(())
    }

    /// Inserts `records` into `readings`, committing a transaction every `batch` records.
    ///
    /// With `batch = 1` this is the classic slow ingestion: BEGIN / INSERT / COMMIT per record,
    /// each COMMIT waiting for the disk. Each transaction is one span when traced.
    pub(crate) fn ingest(
        &self,
        records: &[Record],
        batch: usize,
        trace: Option<&DbTrace>,
    ) -> Result<(), DemoError> {
        let mut inner = self.lock();
        for chunk in records.chunks(batch.max(1)) {
            traced(trace, &INSERT_READING, chunk.len(), || {
                let tx = inner.conn.transaction()?;
                {
                    let mut insert = tx.prepare_cached(INSERT_READING.sql)?;
                    for record in chunk {
                        insert.execute(params![record.sensor, record.value])?;
                    }
                }
                tx.commit()
            })?;
            self.count_queries(chunk.len());
            self.transactions.fetch_add(1, Ordering::Relaxed);
            self.records
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Loads the first `limit` items, with their details, by the N+1 path or one JOIN.
    pub(crate) fn load_items(
        &self,
        limit: usize,
        n_plus_one: bool,
        trace: Option<&DbTrace>,
    ) -> Result<Vec<Item>, DemoError> {
        let inner = self.lock();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if n_plus_one {
            self.load_items_n_plus_one(&inner.conn, limit, trace)
        } else {
            self.load_items_joined(&inner.conn, limit, trace)
        }
    }

    /// The N+1 path: one query for the ids, then, in a loop, one query per item and one per
    /// item's details — `1 + 2N` statements, each prepared anew as naive code does (and each
    /// its own span when traced).
    pub(crate) fn load_items_n_plus_one(
        &self,
        conn: &Connection,
        limit: i64,
        trace: Option<&DbTrace>,
    ) -> Result<Vec<Item>, DemoError> {
        let ids: Vec<i64> = traced(trace, &SELECT_IDS, 1, || {
            conn.prepare(SELECT_IDS.sql)?
                .query_map([limit], |r| r.get(0))?
                .collect::<Result<_, _>>()
        })?;
        self.count_queries(1);
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let mut item = traced(trace, &SELECT_ITEM, 1, || {
                conn.query_row(SELECT_ITEM.sql, [id], item_from_row)
            })?;
            item.details = traced(trace, &SELECT_DETAILS, 1, || {
                conn.prepare(SELECT_DETAILS.sql)?
                    .query_map([id], |r| detail_from_row(r, 0))?
                    .collect::<Result<_, _>>()
            })?;
            self.count_queries(2);
            items.push(item);
        }
        Ok(items)
    }

    /// The fixed path: one statement joining the first `limit` items with their details.
    fn load_items_joined(
        &self,
        conn: &Connection,
        limit: i64,
        trace: Option<&DbTrace>,
    ) -> Result<Vec<Item>, DemoError> {
        let items = traced(trace, &SELECT_JOINED, 1, || {
            let mut stmt = conn.prepare_cached(SELECT_JOINED.sql)?;
            let mut rows = stmt.query([limit])?;
            let mut items: Vec<Item> = Vec::new();
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                if items.last().is_none_or(|last| last.id != id) {
                    items.push(item_from_row(row)?);
                }
                if let (Some(item), Some(_)) = (items.last_mut(), row.get::<_, Option<String>>(5)?)
                {
                    item.details.push(detail_from_row(row, 5)?);
                }
            }
            Ok::<_, rusqlite::Error>(items)
        })?;
        self.count_queries(1);
        Ok(items)
    }
}

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        id: row.get(0)?,
        name: row.get(1)?,
        category: row.get(2)?,
        price_cents: row.get(3)?,
        description: row.get(4)?,
        details: Vec::new(),
    })
}

fn detail_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Detail> {
    Ok(Detail {
        key: row.get(first)?,
        value: row.get(first + 1)?,
    })
}

/// Rollback journal + `synchronous=FULL`, or WAL + `synchronous=NORMAL`.
fn set_durability(conn: &Connection, full: bool) -> rusqlite::Result<()> {
    let (journal, sync) = if full {
        ("DELETE", "FULL")
    } else {
        ("WAL", "NORMAL")
    };
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", journal, |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", sync)
}

/// Fills an empty `items` table with [`SEED_ITEMS`] deterministic items of
/// [`DETAILS_PER_ITEM`] details each, in one transaction.
fn seed(conn: &Connection) -> rusqlite::Result<()> {
    let existing: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    if existing > 0 {
        return Ok(());
    }
    conn.execute_batch("BEGIN")?;
    {
        let mut item = conn.prepare(
            "INSERT INTO items (id, name, category, price_cents, description) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut detail =
            conn.prepare("INSERT INTO item_details (item_id, key, value) VALUES (?1, ?2, ?3)")?;
        for id in 1..=SEED_ITEMS as i64 {
            let category = CATEGORIES[id as usize % CATEGORIES.len()];
            let description = format!(
                "Item {id} of the {category} range. Rated for outdoor use, ships in recyclable \
                 packaging, compatible with every gateway of the last three generations. \
                 Batch {:04}, revision {}.",
                id * 37 % 10_000,
                id % 7
            );
            item.execute(params![
                id,
                format!("item-{id:05}"),
                category,
                (id * 7919) % 100_000,
                description
            ])?;
            for (k, key) in DETAIL_KEYS.iter().enumerate() {
                detail.execute(params![
                    id,
                    key,
                    format!("{key}-{}", (id as usize * 31 + k) % 97)
                ])?;
            }
        }
    }
    conn.execute_batch("COMMIT")
}

/// A database file in the temporary directory, removed (with its journal and WAL files) on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "perfhive-demo-{}-{}-{nanos}.sqlite",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        Self(std::env::temp_dir().join(name))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_read_paths_agree_and_count_queries() {
        let db = Db::open(None, false).expect("open");
        let slow = db.load_items(20, true, None).expect("n+1");
        assert_eq!(db.stats().queries, 41);
        let fast = db.load_items(20, false, None).expect("join");
        assert_eq!(db.stats().queries, 42);
        assert_eq!(slow, fast);
        assert_eq!(slow.len(), 20);
        assert!(slow.iter().all(|i| i.details.len() == DETAILS_PER_ITEM));
    }

    #[test]
    fn ingest_commits_per_batch() {
        let db = Db::open(None, false).expect("open");
        let records: Vec<Record> = (0..25)
            .map(|i| Record {
                sensor: format!("s{i}"),
                value: f64::from(i),
            })
            .collect();
        db.ingest(&records, 10, None).expect("ingest");
        let stats = db.stats();
        assert_eq!((stats.transactions, stats.records), (3, 25));
        db.set_synchronous_full(true).expect("mode");
        db.ingest(&records, 1, None).expect("ingest");
        assert_eq!(db.stats().transactions, 28);
    }

    #[test]
    fn temp_files_are_removed() {
        let db = Db::open(None, true).expect("open");
        let path = db._temp.as_ref().expect("temp").0.clone();
        assert!(path.exists());
        drop(db);
        assert!(!path.exists());
    }
}
