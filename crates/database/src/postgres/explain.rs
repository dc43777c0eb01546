//! Planning a statement on PostgreSQL.
//!
//! A statement with literal values (as a trace or the user gave it) is explained as it is:
//! those are the workload's own values. A statement with bind parameters (as
//! pg_stat_statements records it) gets representative values: for a parameter compared with
//! a column, the median of the column's histogram in `pg_stats` (else its most common value,
//! else a value read from the table); 20 for a LIMIT, 0 for an OFFSET. When a parameter
//! cannot be bound, or the bound statement does not plan, the generic plan is shown instead
//! (PREPARE, `plan_cache_mode = force_generic_plan`, `EXPLAIN EXECUTE` with NULLs: the plan
//! PostgreSQL would cache, independent of the values).
//!
//! EXPLAIN ANALYZE runs only when asked, only for SELECT, inside a read-only transaction
//! that is rolled back.

use super::plan::{self, PlanFacts};
use super::PgEngine;
use crate::engine::PlanContext;
use crate::error::pg_message;
use crate::model::{PlanMethod, PlanReport};
use crate::workload::MARK;
use crate::DbError;
use perfhive_core::sql::{
    bind, placeholder_count, quote_ident, quote_literal, shape, ParamRole, StatementKind,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A statement ready to explain.
#[derive(Clone, Debug)]
pub enum Prepared {
    /// Values bound (or none needed).
    Literal {
        /// The SQL.
        sql: String,
        /// What values were chosen.
        note: Option<String>,
    },
    /// Parameters left as `$n`: a generic plan.
    Generic {
        /// The SQL with `$1…$n`.
        sql: String,
        /// Number of parameters.
        params: usize,
        /// Why.
        note: String,
    },
}

impl Prepared {
    fn sql(&self) -> &str {
        match self {
            Prepared::Literal { sql, .. } | Prepared::Generic { sql, .. } => sql,
        }
    }
}

/// Binds representative values (see the module documentation).
pub fn prepare(engine: &mut PgEngine, statement: &str) -> Prepared {
    let n = placeholder_count(statement);
    if n == 0 {
        return Prepared::Literal {
            sql: statement.to_string(),
            note: None,
        };
    }
    let sh = shape(statement);
    let mut values = Vec::with_capacity(n);
    let mut chosen = Vec::new();
    let mut cache: HashMap<(String, String), Option<String>> = HashMap::new();
    for k in 0..n {
        let v = match sh.params.get(k) {
            Some(ParamRole::Compared { column, .. }) => column.table.as_ref().and_then(|t| {
                let key = (t.clone(), column.column.clone());
                let v = cache
                    .entry(key)
                    .or_insert_with(|| representative(&mut engine.client, t, &column.column))
                    .clone();
                if let Some(v) = &v {
                    if !chosen
                        .iter()
                        .any(|(c, _): &(String, String)| c == &column.column)
                    {
                        chosen.push((column.column.clone(), v.clone()));
                    }
                }
                v.map(|v| quote_literal(&v))
            }),
            Some(ParamRole::Limit) => Some("20".to_string()),
            Some(ParamRole::Offset) => Some("0".to_string()),
            _ => None,
        };
        values.push(v);
    }
    if values.iter().all(Option::is_some) {
        let values: Vec<String> = values.into_iter().map(Option::unwrap_or_default).collect();
        if let Some(sql) = bind(statement, &values) {
            let note = (!chosen.is_empty()).then(|| {
                let list: Vec<String> = chosen.iter().map(|(c, v)| format!("{c} = {v}")).collect();
                format!(
                    "parameters bound to representative values from the column statistics: {}",
                    list.join(", ")
                )
            });
            return Prepared::Literal { sql, note };
        }
    }
    generic(
        statement,
        n,
        "some parameters are not compared with a column perfhive could read",
    )
}

fn generic(statement: &str, n: usize, why: &str) -> Prepared {
    let dollars: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    Prepared::Generic {
        sql: bind(statement, &dollars).unwrap_or_else(|| statement.to_string()),
        params: n,
        note: format!("generic plan (values unknown to the planner): {why}"),
    }
}

/// The median of the column's histogram, else its most common value, else any value.
fn representative(client: &mut postgres::Client, table: &str, column: &str) -> Option<String> {
    let from_stats = client
        .query_opt(
            &format!(
                "{MARK} SELECT coalesce(\
                 (histogram_bounds::text::text[])[(array_length(histogram_bounds::text::text[], 1) + 1) / 2], \
                 (most_common_vals::text::text[])[1]) \
                 FROM pg_stats WHERE tablename = $1 AND attname = $2 \
                 ORDER BY (schemaname = ANY (current_schemas(false))) DESC LIMIT 1"
            ),
            &[&table, &column],
        )
        .ok()
        .flatten()
        .and_then(|r| r.get::<_, Option<String>>(0));
    if from_stats.is_some() {
        return from_stats;
    }
    let (t, c) = (quote_ident(table), quote_ident(column));
    client
        .query_opt(
            &format!("{MARK} SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL LIMIT 1"),
            &[],
        )
        .ok()
        .flatten()
        .and_then(|r| r.get::<_, Option<String>>(0))
}

/// Runs EXPLAIN on `prepared` in the session's current transaction state and returns the
/// JSON. `analyze` requires a literal statement.
pub fn explain_json(
    client: &mut impl postgres::GenericClient,
    prepared: &Prepared,
    analyze: bool,
    counter: usize,
) -> Result<Value, DbError> {
    let options = if analyze {
        "ANALYZE, BUFFERS, VERBOSE, FORMAT JSON"
    } else {
        "VERBOSE, FORMAT JSON"
    };
    let text = match prepared {
        Prepared::Literal { sql, .. } => {
            first_text(client.simple_query(&format!("{MARK} EXPLAIN ({options}) {sql}")))?
        }
        Prepared::Generic { sql, params, .. } => {
            let name = format!("perfhive_p{counter}");
            client
                .batch_execute(&format!("{MARK} PREPARE {name} AS {sql}"))
                .map_err(|e| {
                    DbError::query("preparing the statement for a generic plan", pg_message(&e))
                })?;
            let nulls = vec!["NULL"; *params].join(", ");
            let args = if *params > 0 {
                format!("({nulls})")
            } else {
                String::new()
            };
            let r = first_text(client.simple_query(&format!(
                "{MARK} SET plan_cache_mode = force_generic_plan; \
                 {MARK} EXPLAIN ({options}) EXECUTE {name}{args}"
            )));
            let _ = client.batch_execute(&format!(
                "{MARK} DEALLOCATE {name}; {MARK} RESET plan_cache_mode"
            ));
            r?
        }
    };
    serde_json::from_str(&text).map_err(|e| DbError::query("reading EXPLAIN's JSON", e))
}

fn first_text(
    r: Result<Vec<postgres::SimpleQueryMessage>, postgres::Error>,
) -> Result<String, DbError> {
    let msgs = r.map_err(|e| DbError::query("EXPLAIN", pg_message(&e)))?;
    msgs.iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or_else(|| DbError::query("EXPLAIN", "no plan returned"))
}

/// What the plan reader needs from the catalog: each scanned table's row count.
pub fn facts_for(
    client: &mut impl postgres::GenericClient,
    json: &Value,
    engine_work_mem_kb: f64,
    hash_mult: f64,
    min_rows: f64,
) -> PlanFacts {
    let mut tables: HashSet<String> = HashSet::new();
    collect_tables(json, &mut tables);
    let list: Vec<String> = tables.into_iter().collect();
    let mut table_rows = HashMap::new();
    if !list.is_empty() {
        if let Ok(rows) = client.query(
            &format!(
                "{MARK} SELECT n.nspname::text, c.relname::text, \
                 greatest(c.reltuples, coalesce(s.n_live_tup, 0))::float8 \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid \
                 WHERE n.nspname || '.' || c.relname = ANY ($1)"
            ),
            &[&list],
        ) {
            for r in rows {
                table_rows.insert((r.get(0), r.get(1)), r.get(2));
            }
        }
    }
    PlanFacts {
        table_rows,
        work_mem_kb: engine_work_mem_kb,
        hash_mem_multiplier: hash_mult,
        min_rows,
    }
}

fn collect_tables(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(s)), Some(Value::String(r))) =
                (m.get("Schema"), m.get("Relation Name"))
            {
                out.insert(format!("{s}.{r}"));
            }
            for x in m.values() {
                collect_tables(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_tables(x, out)),
        _ => {}
    }
}

/// Plans a statement: bound values (or a generic plan), ANALYZE for a SELECT when asked.
pub fn plan(
    engine: &mut PgEngine,
    statement: &str,
    ctx: &PlanContext,
) -> Result<PlanReport, DbError> {
    let mut prepared = prepare(engine, statement);
    let kind = shape(statement).kind;
    let mut notes = Vec::new();
    let analyze = ctx.analyze
        && kind == StatementKind::Select
        && matches!(prepared, Prepared::Literal { .. });
    if ctx.analyze && !analyze {
        notes.push(if kind != StatementKind::Select {
            "not run with ANALYZE: perfhive never executes a write statement".to_string()
        } else {
            "not run with ANALYZE: its parameters could not be bound".to_string()
        });
    }
    engine.prepared += 1;
    let counter = engine.prepared;
    let first = run(engine, &prepared, analyze, counter);
    let json = match first {
        Ok(j) => j,
        // Bound values that do not plan (an array parameter given a scalar …): the generic plan.
        Err(e)
            if matches!(prepared, Prepared::Literal { .. }) && placeholder_count(statement) > 0 =>
        {
            prepared = generic(
                statement,
                placeholder_count(statement),
                &format!("with representative values it failed: {e}"),
            );
            notes.push("not run with ANALYZE: fell back to the generic plan".into());
            run(engine, &prepared, false, counter).map_err(untyped)?
        }
        Err(e) if matches!(prepared, Prepared::Generic { .. }) => return Err(untyped(e)),
        Err(e) => return Err(e),
    };
    match &prepared {
        Prepared::Literal { note: Some(n), .. } => notes.push(n.clone()),
        Prepared::Generic { note, .. } => notes.push(note.clone()),
        _ => {}
    }
    let facts = facts_for(
        &mut engine.client,
        &json,
        engine.work_mem_kb,
        engine.hash_mem_multiplier,
        ctx.min_rows,
    );
    let parsed = plan::parse(&json, &facts);
    let method = match (&prepared, analyze) {
        (Prepared::Generic { .. }, _) => PlanMethod::Generic,
        (_, true) => PlanMethod::Analyze,
        _ => PlanMethod::Estimate,
    };
    Ok(PlanReport {
        method,
        statement: prepared.sql().to_string(),
        total_cost: parsed.total_cost,
        execution_ms: parsed.execution_ms,
        lines: parsed.lines,
        issues: parsed.issues,
        notes,
    })
}

fn run(
    engine: &mut PgEngine,
    prepared: &Prepared,
    analyze: bool,
    counter: usize,
) -> Result<Value, DbError> {
    if analyze {
        let mut tx = engine
            .client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| DbError::query("starting a read-only transaction", pg_message(&e)))?;
        let r = explain_json(&mut tx, prepared, true, counter);
        let _ = tx.rollback();
        r
    } else {
        explain_json(&mut engine.client, prepared, false, counter)
    }
}

/// A generic plan that failed on parameters of unknown type, said so with what to do.
fn untyped(e: DbError) -> DbError {
    let m = e.to_string();
    if m.contains("unknown") || m.contains("could not determine data type") {
        DbError::query(
            "no generic plan: its parameters have no type (pg_stat_statements turned its \
             constants into parameters); give the statement with values (--statements) to plan it",
            m,
        )
    } else {
        e
    }
}
