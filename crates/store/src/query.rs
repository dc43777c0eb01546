//! Reading the history: listing with filters, one run with its points and samples, full-text
//! search, `latest` references, and a metric's values over time.

use crate::{Result, Store};
use perfhive_core::record::{RecordKind, RunStatus};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{params_from_iter, OptionalExtension, Row};
use serde::Serialize;

/// Where a stored run is in its life: running, stopped before its end without a record
/// (`incomplete`: the process died), or finished with an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Being written by a live process.
    Running,
    /// Its process died before the end; what it wrote is kept.
    Incomplete,
    /// Finished: every criterion passed.
    Passed,
    /// Finished: a criterion failed.
    Failed,
    /// Stopped by a rollback trigger.
    Aborted,
    /// Stopped by the user.
    Interrupted,
}

impl RunState {
    const ALL: [RunState; 6] = [
        RunState::Running,
        RunState::Incomplete,
        RunState::Passed,
        RunState::Failed,
        RunState::Aborted,
        RunState::Interrupted,
    ];

    /// The name in the `status` column and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Incomplete => "incomplete",
            RunState::Passed => "passed",
            RunState::Failed => "failed",
            RunState::Aborted => "aborted",
            RunState::Interrupted => "interrupted",
        }
    }

    /// The outcome of a finished run.
    pub fn outcome(self) -> Option<RunStatus> {
        match self {
            RunState::Running | RunState::Incomplete => None,
            RunState::Passed => Some(RunStatus::Passed),
            RunState::Failed => Some(RunStatus::Failed),
            RunState::Aborted => Some(RunStatus::Aborted),
            RunState::Interrupted => Some(RunStatus::Interrupted),
        }
    }
}

impl From<RunStatus> for RunState {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Passed => RunState::Passed,
            RunStatus::Failed => RunState::Failed,
            RunStatus::Aborted => RunState::Aborted,
            RunStatus::Interrupted => RunState::Interrupted,
        }
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromSql for RunState {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = v.as_str()?;
        RunState::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| FromSqlError::Other(format!("unknown run status `{s}`").into()))
    }
}

/// The `kind` column.
struct Kind(RecordKind);

impl FromSql for Kind {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        v.as_str()?
            .parse()
            .map(Kind)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A run as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRow {
    /// Id.
    pub id: i64,
    /// What produced it.
    pub kind: RecordKind,
    /// Name.
    pub name: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: Option<String>,
    /// Running, incomplete, or the outcome.
    pub status: RunState,
    /// Whether the final record was written.
    pub complete: bool,
    /// Commit.
    pub git_commit: Option<String>,
    /// Branch.
    pub git_branch: Option<String>,
    /// Host.
    pub host: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Notes.
    pub notes: String,
    /// Where its artefacts are (an investigation's report folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// A run with everything stored for it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredRun {
    /// The row.
    #[serde(flatten)]
    pub row: RunRow,
    /// Environment fingerprint.
    pub fingerprint: serde_json::Value,
    /// The record (final, or partial for an incomplete run).
    pub record: Option<serde_json::Value>,
    /// Time-series points written while it ran.
    pub points: Vec<serde_json::Value>,
    /// Raw samples written while it ran: (series, seq, sample).
    pub samples: Vec<(String, i64, serde_json::Value)>,
}

impl StoredRun {
    /// The whole run as one JSON value (for exports).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Filters of `history list`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Name contains this (case-insensitive).
    pub name: Option<String>,
    /// Of this kind.
    pub kind: Option<RecordKind>,
    /// Has this tag.
    pub tag: Option<String>,
    /// On this branch.
    pub branch: Option<String>,
    /// Started at or after (RFC 3339).
    pub since: Option<String>,
    /// Most rows (newest first).
    pub limit: Option<usize>,
}

const COLS: &str = "id, kind, name, started_at, finished_at, status, complete, git_commit, git_branch, host, tags, notes, artifact";
/// Number of columns in [`COLS`].
const NCOLS: usize = 13;

fn row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    let tags: String = r.get(10)?;
    Ok(RunRow {
        id: r.get(0)?,
        kind: r.get::<_, Kind>(1)?.0,
        name: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        status: r.get(5)?,
        complete: r.get(6)?,
        git_commit: r.get(7)?,
        git_branch: r.get(8)?,
        host: r.get(9)?,
        tags: tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        notes: r.get(11)?,
        artifact: r.get(12)?,
    })
}

fn json(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

impl Store {
    /// Runs matching `f`, newest first.
    pub fn list(&self, f: &Filter) -> Result<Vec<RunRow>> {
        let mut sql = format!("SELECT {COLS} FROM runs WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if let Some(n) = &f.name {
            sql.push_str(" AND lower(name) LIKE '%' || lower(?) || '%'");
            args.push(n.clone());
        }
        if let Some(k) = f.kind {
            sql.push_str(" AND kind = ?");
            args.push(k.as_str().to_string());
        }
        if let Some(t) = &f.tag {
            sql.push_str(" AND (',' || tags || ',') LIKE '%,' || ? || ',%'");
            args.push(t.clone());
        }
        if let Some(b) = &f.branch {
            sql.push_str(" AND git_branch = ?");
            args.push(b.clone());
        }
        if let Some(s) = &f.since {
            sql.push_str(" AND started_at >= ?");
            args.push(s.clone());
        }
        sql.push_str(" ORDER BY started_at DESC, id DESC");
        if let Some(l) = f.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        self.rows(&sql, &args)
    }

    fn rows(&self, sql: &str, args: &[String]) -> Result<Vec<RunRow>> {
        (|| {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt
                .query_map(params_from_iter(args.iter()), row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })()
        .map_err(|e| self.fail(e))
    }

    /// One run with its record, points and samples.
    pub fn get(&self, id: i64) -> Result<Option<StoredRun>> {
        self.get_inner(id).map_err(|e| self.fail(e))
    }

    fn get_inner(&self, id: i64) -> rusqlite::Result<Option<StoredRun>> {
        let found = self
            .conn
            .query_row(
                &format!("SELECT {COLS}, fingerprint, record FROM runs WHERE id = ?1"),
                [id],
                |r| {
                    Ok((
                        row(r)?,
                        r.get::<_, String>(NCOLS)?,
                        r.get::<_, Option<String>>(NCOLS + 1)?,
                    ))
                },
            )
            .optional()?;
        let Some((row, fingerprint, record)) = found else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT data FROM points WHERE run_id = ?1 ORDER BY t")?;
        let points = stmt
            .query_map([id], |r| r.get::<_, String>(0))?
            .filter_map(|t| t.ok().and_then(|t| serde_json::from_str(&t).ok()))
            .collect();
        let mut stmt = self.conn.prepare(
            "SELECT series, seq, data FROM samples WHERE run_id = ?1 ORDER BY series, seq",
        )?;
        let samples = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .filter_map(|x| x.ok())
            .filter_map(|(s, q, d)| serde_json::from_str(&d).ok().map(|v| (s, q, v)))
            .collect();
        Ok(Some(StoredRun {
            row,
            fingerprint: json(Some(fingerprint)).unwrap_or(serde_json::Value::Null),
            record: json(record),
            points,
            samples,
        }))
    }

    /// Full-text search over names, notes and tags (SQLite FTS5 query syntax), best first.
    pub fn search(&self, query: &str) -> Result<Vec<RunRow>> {
        let cols: String = COLS
            .split(", ")
            .map(|c| format!("runs.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.rows(
            &format!(
                "SELECT {cols} FROM runs_fts JOIN runs ON runs.id = runs_fts.rowid WHERE runs_fts MATCH ?1 ORDER BY rank"
            ),
            &[fts_query(query)],
        )
    }

    /// The id of the newest complete run (skipping `skip` newer ones), optionally of a name, kind
    /// and branch.
    pub fn latest(
        &self,
        name: Option<&str>,
        kind: Option<RecordKind>,
        branch: Option<&str>,
        skip: usize,
    ) -> Result<Option<i64>> {
        let mut sql = String::from("SELECT id FROM runs WHERE complete = 1");
        let mut args = Vec::new();
        let kind = kind.map(RecordKind::as_str);
        for (col, v) in [("name", name), ("kind", kind), ("git_branch", branch)] {
            if let Some(v) = v {
                sql.push_str(&format!(" AND {col} = ?"));
                args.push(v.to_string());
            }
        }
        sql.push_str(&format!(
            " ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET {skip}"
        ));
        self.conn
            .query_row(&sql, params_from_iter(args.iter()), |r| r.get(0))
            .optional()
            .map_err(|e| self.fail(e))
    }

    /// A metric's values over the complete runs of `name`, oldest first.
    pub fn metric_history(
        &self,
        name: &str,
        metric: &str,
        branch: Option<&str>,
    ) -> Result<Vec<(RunRow, f64)>> {
        let cols: String = COLS
            .split(", ")
            .map(|c| format!("runs.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!(
            "SELECT {cols}, metrics.value FROM runs JOIN metrics ON metrics.run_id = runs.id
             WHERE runs.complete = 1 AND runs.name = ?1 AND metrics.name = ?2"
        );
        let mut args = vec![name.to_string(), metric.to_string()];
        if let Some(b) = branch {
            sql.push_str(" AND runs.git_branch = ?3");
            args.push(b.to_string());
        }
        sql.push_str(" ORDER BY runs.started_at, runs.id");
        (|| {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args.iter()), |r| {
                    Ok((row(r)?, r.get::<_, f64>(NCOLS)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })()
        .map_err(|e| self.fail(e))
    }

    /// Metric names recorded for runs of `name`.
    pub fn metric_names(&self, name: &str) -> Result<Vec<String>> {
        (|| {
            let mut stmt = self.conn.prepare(
                "SELECT DISTINCT metrics.name FROM metrics JOIN runs ON runs.id = metrics.run_id WHERE runs.name = ?1 ORDER BY metrics.name",
            )?;
            let names = stmt
                .query_map([name], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(names)
        })()
        .map_err(|e| self.fail(e))
    }
}

/// Plain words become prefix terms joined by AND; a query using FTS5 syntax is kept as is.
fn fts_query(q: &str) -> String {
    if q.contains('"')
        || q.contains(':')
        || q.contains('*')
        || q.contains(" OR ")
        || q.contains(" NOT ")
    {
        return q.to_string();
    }
    q.split_whitespace()
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" AND ")
}
