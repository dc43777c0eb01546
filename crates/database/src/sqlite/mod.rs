//! SQLite behind [`crate::Engine`]: the file opened read-only (`SQLITE_OPEN_READ_ONLY`), so
//! nothing perfhive runs can change it. SQLite keeps no statement statistics, so a window's
//! statements come from the traces and the code scan (and `--statements`).
//!
//! - plans: `EXPLAIN QUERY PLAN` (`plan.rs`); with `analyze`, a SELECT is also run on the
//!   read-only file and timed;
//! - index advice: verified on a copy of the file in a temporary folder (`VACUUM INTO`, a
//!   consistent snapshot even of a WAL database in use): the statement timed (median of
//!   `runs`) before and after `CREATE INDEX` on the copy, a write statement inside a
//!   transaction rolled back each time; the index dropped after each candidate, the folder
//!   removed at the end;
//! - health (`health.rs`): PRAGMAs, table sizes, foreign keys without an index, free pages.

mod health;
pub mod plan;

use crate::engine::{
    Engine, Health, HealthContext, PlanContext, SampleFn, VerifyContext, VerifyMode,
};
use crate::model::{
    EngineInfo, EngineKind, IndexCandidate, PlanMethod, PlanReport, Snapshot, Verification,
    VerifyMethod,
};
use crate::DbError;
use perfhive_core::sql::{bind, placeholder_count, quote_ident, quote_literal, shape, ParamRole};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An SQLite file, open read-only.
pub struct SqliteEngine {
    conn: Connection,
    path: PathBuf,
    info: EngineInfo,
    copy: Option<(tempfile::TempDir, Connection)>,
}

fn sqlite_err(context: &str) -> impl Fn(rusqlite::Error) -> DbError + '_ {
    move |e| DbError::query(context, e)
}

impl SqliteEngine {
    /// Opens `path` read-only; fails for a file that is not an SQLite database.
    pub fn open(path: &Path) -> Result<SqliteEngine, DbError> {
        let open_err = |reason: String| DbError::Open {
            path: path.display().to_string(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| open_err(e.to_string()))?;
        if meta.len() > 0 {
            let mut header = [0u8; 16];
            use std::io::Read;
            let n = std::fs::File::open(path)
                .and_then(|mut f| f.read(&mut header))
                .map_err(|e| open_err(e.to_string()))?;
            if n < 16 || &header != b"SQLite format 3\0" {
                return Err(open_err(
                    "not an SQLite 3 database (its header does not say `SQLite format 3`)".into(),
                ));
            }
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| open_err(e.to_string()))?;
        let version: String = conn
            .query_row("SELECT sqlite_version()", [], |r| r.get(0))
            .map_err(|e| open_err(e.to_string()))?;
        // Reading the schema proves the file is a database (a wrong key, a truncated file).
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| open_err(e.to_string()))?;
        let wal = path.with_extension(format!(
            "{}-wal",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let size = meta.len() + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        let dbstat = conn
            .query_row("SELECT count(*) FROM dbstat LIMIT 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok();
        let info = EngineInfo {
            kind: EngineKind::Sqlite,
            version,
            target: path.display().to_string(),
            database: path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default(),
            size_bytes: Some(size),
            capabilities: if dbstat {
                vec!["dbstat".into()]
            } else {
                Vec::new()
            },
        };
        Ok(SqliteEngine {
            conn,
            path: path.to_path_buf(),
            info,
            copy: None,
        })
    }

    /// Row counts of the tables a statement reads.
    fn table_rows(&self, tables: &[String]) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        for t in tables {
            if let Ok(n) = self.conn.query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(t)),
                [],
                |r| r.get::<_, i64>(0),
            ) {
                out.insert(t.clone(), n.max(0) as u64);
            }
        }
        out
    }

    /// The copy of the file in a temporary folder, made once.
    fn copy(&mut self, max_bytes: u64) -> Result<&mut Connection, DbError> {
        if self.copy.is_none() {
            let size = self.info.size_bytes.unwrap_or(0);
            if size > max_bytes {
                return Err(DbError::Unsupported(format!(
                    "{} takes {:.0} MiB, more than the {:.0} MiB perfhive copies (raise --max-copy)",
                    self.path.display(),
                    size as f64 / 1048576.0,
                    max_bytes as f64 / 1048576.0
                )));
            }
            let dir = tempfile::Builder::new()
                .prefix("perfhive-sqlite-")
                .tempdir()
                .map_err(|e| DbError::Io {
                    context: "cannot make a temporary folder for the copy".into(),
                    source: e,
                })?;
            let file = dir.path().join("copy.db");
            self.conn
                .execute("VACUUM INTO ?1", [file.to_string_lossy().as_ref()])
                .map_err(sqlite_err("copying the database (VACUUM INTO)"))?;
            let c = Connection::open(&file).map_err(sqlite_err("opening the copy"))?;
            self.copy = Some((dir, c));
        }
        Ok(&mut self.copy.as_mut().expect("set above").1)
    }
}

/// The statement with every placeholder spelled `?` (SQLite knows `?`, `?N`, `:a`, `@a`,
/// `$a`, but not psycopg's `%s`).
fn with_question_marks(sql: &str) -> String {
    let n = placeholder_count(sql);
    bind(sql, &vec!["?".to_string(); n]).unwrap_or_else(|| sql.to_string())
}

fn literal(v: rusqlite::types::Value) -> String {
    use rusqlite::types::Value::*;
    match v {
        Null => "NULL".into(),
        Integer(i) => i.to_string(),
        Real(f) => format!("{f:?}"),
        Text(t) => quote_literal(&t),
        Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
    }
}

/// Representative values: for a parameter compared with a column, the value in the middle
/// row (by rowid) of those that have one; 20 for LIMIT, 0 for OFFSET, NULL otherwise.
fn bind_values(conn: &Connection, statement: &str) -> (String, Option<String>) {
    let sql = with_question_marks(statement);
    let n = placeholder_count(&sql);
    if n == 0 {
        return (sql, None);
    }
    let sh = shape(&sql);
    let mut chosen = Vec::new();
    let values: Vec<String> = (0..n)
        .map(|k| match sh.params.get(k) {
            Some(ParamRole::Compared { column, .. }) => {
                let v = column.table.as_ref().and_then(|t| {
                    let (t, c) = (quote_ident(t), quote_ident(&column.column));
                    conn.query_row(
                        &format!(
                            "SELECT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT 1 OFFSET \
                             (SELECT count(*) FROM {t} WHERE {c} IS NOT NULL) / 2"
                        ),
                        [],
                        |r| r.get::<_, rusqlite::types::Value>(0),
                    )
                    .ok()
                });
                let lit = v.map(literal).unwrap_or_else(|| "NULL".into());
                chosen.push(format!("{} = {lit}", column.column));
                lit
            }
            Some(ParamRole::Limit) => "20".into(),
            Some(ParamRole::Offset) => "0".into(),
            _ => "NULL".into(),
        })
        .collect();
    let note = (!chosen.is_empty()).then(|| {
        format!(
            "parameters bound to values from the table: {}",
            chosen.join(", ")
        )
    });
    (bind(&sql, &values).unwrap_or(sql), note)
}

fn query_plan(conn: &Connection, sql: &str) -> Result<Vec<plan::Row>, DbError> {
    let mut st = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .map_err(sqlite_err("EXPLAIN QUERY PLAN"))?;
    let rows = st
        .query_map([], |r| {
            Ok(plan::Row {
                id: r.get(0)?,
                parent: r.get(1)?,
                detail: r.get(3)?,
            })
        })
        .map_err(sqlite_err("EXPLAIN QUERY PLAN"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(sqlite_err("EXPLAIN QUERY PLAN"))
}

/// Runs `sql` to the end (every row stepped), inside a transaction rolled back; ms.
fn time_once(conn: &Connection, sql: &str) -> Result<(f64, u64), DbError> {
    conn.execute_batch("SAVEPOINT perfhive")
        .map_err(sqlite_err("starting a savepoint"))?;
    let t = Instant::now();
    let result = (|| {
        let mut st = conn.prepare(sql)?;
        let mut rows = st.raw_query();
        let mut n = 0u64;
        while rows.next()?.is_some() {
            n += 1;
        }
        Ok::<u64, rusqlite::Error>(n)
    })();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let _ = conn.execute_batch("ROLLBACK TO perfhive; RELEASE perfhive");
    let n = result.map_err(sqlite_err("running the statement"))?;
    Ok((ms, n))
}

fn median_time(conn: &Connection, sql: &str, runs: usize) -> Result<f64, DbError> {
    // A first run warms the page cache; it is not counted.
    time_once(conn, sql)?;
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        v.push(time_once(conn, sql)?.0);
    }
    v.sort_by(f64::total_cmp);
    Ok(v[v.len() / 2])
}

impl Engine for SqliteEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn snapshot(&mut self) -> Result<Snapshot, DbError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Ok(Snapshot {
            taken_at: now,
            statements: Vec::new(),
            database: None,
            statements_available: false,
        })
    }

    fn activity_sampler(&self) -> Result<Option<SampleFn>, DbError> {
        Ok(None)
    }

    fn plan(&mut self, statement: &str, ctx: &PlanContext) -> Result<PlanReport, DbError> {
        let (sql, note) = bind_values(&self.conn, statement);
        let sh = shape(&sql);
        let rows = query_plan(&self.conn, &sql)?;
        let tables: Vec<String> = sh.tables.iter().map(|t| t.name.clone()).collect();
        let sizes = self.table_rows(&tables);
        let mut issues = plan::issues(&rows, &sh, &sizes, ctx.min_rows);
        let mut notes: Vec<String> = note.into_iter().collect();
        let mut execution_ms = None;
        if ctx.analyze {
            if sh.kind == perfhive_core::sql::StatementKind::Select {
                // The file is open read-only: running a SELECT cannot change it.
                let (ms, n) = time_once(&self.conn, &sql)?;
                execution_ms = Some(ms);
                for i in issues
                    .iter_mut()
                    .filter(|i| i.kind == crate::model::IssueKind::SeqScan)
                {
                    i.rows_returned = Some(n as f64);
                }
            } else {
                notes.push(
                    "not run: perfhive never executes a write statement on the database".into(),
                );
            }
        }
        Ok(PlanReport {
            method: PlanMethod::QueryPlan,
            statement: sql,
            total_cost: None,
            execution_ms,
            lines: plan::lines(&rows),
            issues,
            notes,
        })
    }

    fn create_index_sql(&self, c: &IndexCandidate) -> String {
        let name: String = format!("{}_{}_idx", c.table, c.columns.join("_"))
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        let cols: Vec<String> = c.columns.iter().map(|c| quote_ident(c)).collect();
        format!(
            "CREATE INDEX {} ON {} ({});",
            quote_ident(&name),
            quote_ident(&c.table),
            cols.join(", ")
        )
    }

    fn verify_index(
        &mut self,
        c: &IndexCandidate,
        plan: &PlanReport,
        ctx: &VerifyContext,
    ) -> Result<Verification, DbError> {
        if matches!(ctx.mode, VerifyMode::Off | VerifyMode::Hypopg) {
            return Err(DbError::Unsupported(match ctx.mode {
                VerifyMode::Off => "verification is turned off".into(),
                _ => {
                    "hypopg is PostgreSQL's; SQLite advice is verified on a copy of the file".into()
                }
            }));
        }
        let runs = ctx.runs;
        let copy = self.copy(ctx.max_copy_bytes)?;
        let sql = plan.statement.clone();
        let before = median_time(copy, &sql, runs)?;
        let cols: Vec<String> = c.columns.iter().map(|c| quote_ident(c)).collect();
        copy.execute_batch(&format!(
            "CREATE INDEX perfhive_candidate ON {} ({})",
            quote_ident(&c.table),
            cols.join(", ")
        ))
        .map_err(sqlite_err("creating the index on the copy"))?;
        let result = (|| {
            let after = median_time(copy, &sql, runs)?;
            let rows = query_plan(copy, &sql)?;
            let node = rows
                .iter()
                .find(|r| r.detail.contains("perfhive_candidate"))
                .or_else(|| rows.first())
                .map(|r| r.detail.replace("perfhive_candidate", "the new index"))
                .unwrap_or_default();
            Ok(Verification {
                method: VerifyMethod::FileCopy,
                before,
                after,
                unit: "ms".into(),
                index_used: rows.iter().any(|r| r.detail.contains("perfhive_candidate")),
                plan_after: node,
                statement: sql.clone(),
            })
        })();
        let _ = copy.execute_batch("DROP INDEX perfhive_candidate");
        result
    }

    fn health(&mut self, ctx: &HealthContext<'_>) -> Result<Health, DbError> {
        health::check(&self.conn, ctx)
    }
}
