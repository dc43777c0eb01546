//! Index candidates verified before they are recommended, without changing the database.
//!
//! - **hypopg** (Dexter's method): the statement's cost, `hypopg_create_index` (a
//!   hypothetical index that lives in this session's memory), the cost again, and whether the
//!   plan now reads the table through it. Where hypopg is installed but not created in the
//!   database, perfhive creates it inside a transaction that it rolls back.
//! - **a scratch copy**: inside a transaction that is rolled back, `CREATE TEMP TABLE` with
//!   the table's rows (temporary tables are private to the session and shadow the real one,
//!   `pg_temp` being first on the search path), ANALYZE, the statement run with EXPLAIN
//!   ANALYZE (median of `runs`), `CREATE INDEX` on the copy, the same again. Write statements,
//!   generic plans and SELECTs calling a volatile function (`nextval`, one that writes: its
//!   effects may outlive the rollback), in their text or through a view, are compared by cost,
//!   never executed. The rollback drops the copy.

use super::explain::{explain_json, facts_for, Prepared};
use super::plan;
use super::{qualified, HypopgState, PgEngine};
use crate::engine::{VerifyContext, VerifyMode};
use crate::error::pg_message;
use crate::model::{IndexCandidate, PlanMethod, PlanReport, Verification, VerifyMethod};
use crate::workload::MARK;
use crate::DbError;
use perfhive_core::sql::{quote_ident, shape, tokenize, Kind, StatementKind};

/// Whether hypopg is created here, installed, or missing.
pub fn hypopg_state(client: &mut postgres::Client) -> Result<HypopgState, DbError> {
    let row = client
        .query_one(
            &format!(
                "{MARK} SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg'), \
                 EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg')"
            ),
            &[],
        )
        .map_err(|e| DbError::query("looking for hypopg", pg_message(&e)))?;
    Ok(match (row.get::<_, bool>(0), row.get::<_, bool>(1)) {
        (true, _) => HypopgState::Created,
        (false, true) => HypopgState::Available,
        _ => HypopgState::Missing,
    })
}

/// Verifies `candidate` for the planned statement.
pub fn verify(
    engine: &mut PgEngine,
    candidate: &IndexCandidate,
    plan: &PlanReport,
    ctx: &VerifyContext,
) -> Result<Verification, DbError> {
    let hypo_ok = engine.hypopg != HypopgState::Missing;
    match ctx.mode {
        VerifyMode::Off => Err(DbError::Unsupported("verification is turned off".into())),
        VerifyMode::Hypopg if !hypo_ok => Err(DbError::Unsupported(
            "hypopg is not installed on the server (Debian: postgresql-15-hypopg)".into(),
        )),
        VerifyMode::Hypopg => with_hypopg(engine, candidate, plan),
        VerifyMode::Copy => with_copy(engine, candidate, plan, ctx),
        VerifyMode::Auto if hypo_ok => match with_hypopg(engine, candidate, plan) {
            Ok(v) => Ok(v),
            // No privilege to create the extension, for instance: the copy still works.
            Err(_) => with_copy(engine, candidate, plan, ctx),
        },
        VerifyMode::Auto => with_copy(engine, candidate, plan, ctx),
    }
}

fn prepared_of(plan: &PlanReport) -> Prepared {
    match plan.method {
        PlanMethod::Generic => Prepared::Generic {
            sql: plan.statement.clone(),
            params: perfhive_core::sql::placeholder_count(&plan.statement),
            note: String::new(),
        },
        _ => Prepared::Literal {
            sql: plan.statement.clone(),
            note: None,
        },
    }
}

fn cols(c: &IndexCandidate) -> String {
    c.columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The node that reads `table`, and whether it goes through an index named like `needle`.
fn reading(parsed: &plan::Parsed, table: &str, needle: Option<&str>) -> (String, bool) {
    let node = parsed
        .scans
        .iter()
        .find(|(t, _)| t == table)
        .map(|(_, d)| d.clone())
        .unwrap_or_default();
    let used = match needle {
        Some(n) => parsed.indexes_used.iter().any(|i| i.contains(n)),
        None => node.contains(" using "),
    };
    (node, used)
}

fn with_hypopg(
    engine: &mut PgEngine,
    c: &IndexCandidate,
    plan: &PlanReport,
) -> Result<Verification, DbError> {
    let prepared = prepared_of(plan);
    let create_ext = engine.hypopg == HypopgState::Available;
    engine.prepared += 1;
    let counter = engine.prepared;
    let (wm, hm) = (engine.work_mem_kb, engine.hash_mem_multiplier);
    let mut tx = engine
        .client
        .build_transaction()
        .read_only(!create_ext)
        .start()
        .map_err(|e| DbError::query("starting a transaction", pg_message(&e)))?;
    if create_ext {
        tx.batch_execute(&format!("{MARK} CREATE EXTENSION hypopg"))
            .map_err(|e| {
                DbError::query(
                    "creating hypopg inside a rolled-back transaction",
                    pg_message(&e),
                )
            })?;
    }
    let before = explain_json(&mut tx, &prepared, false, counter)?;
    let facts = facts_for(&mut tx, &before, wm, hm, 0.0);
    let before = plan::parse(&before, &facts);
    let definition = format!(
        "CREATE INDEX ON {} ({})",
        qualified(c.schema.as_deref(), &c.table),
        cols(c)
    );
    let name: String = tx
        .query_one(
            &format!("{MARK} SELECT indexname::text FROM hypopg_create_index($1)"),
            &[&definition],
        )
        .map_err(|e| DbError::query("creating the hypothetical index", pg_message(&e)))?
        .get(0);
    let after = explain_json(&mut tx, &prepared, false, counter + 1);
    let _ = tx.batch_execute(&format!("{MARK} SELECT hypopg_reset()"));
    let _ = tx.rollback();
    engine.prepared += 1;
    let after = plan::parse(&after?, &facts);
    let (node, used) = reading(&after, &c.table, Some(&name));
    Ok(Verification {
        method: VerifyMethod::Hypopg,
        before: before.total_cost.unwrap_or(0.0),
        after: after.total_cost.unwrap_or(0.0),
        unit: "cost".into(),
        index_used: used,
        plan_after: node,
        statement: plan.statement.clone(),
    })
}

/// The names a statement calls as functions (`name(`, `schema.name(`), lower-cased.
pub fn called_functions(sql: &str) -> Vec<String> {
    let toks = tokenize(sql);
    let mut out: Vec<String> = toks
        .windows(2)
        .filter(|w| matches!(w[0].kind, Kind::Word | Kind::Quoted) && w[1].is("("))
        .map(|w| match w[0].kind {
            Kind::Quoted => w[0].text.clone(),
            _ => w[0].text.to_ascii_lowercase(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The functions `sql` calls that some overload of which is volatile in `pg_proc` (names that
/// are SQL keywords, such as `IN (`, are in no catalog and drop out): those its text shows,
/// and those its plan runs that the text does not (a view's, an inlined SQL function's), read
/// from the expressions of `EXPLAIN (VERBOSE)`, which executes nothing.
fn volatile_calls(client: &mut postgres::Client, sql: &str) -> Result<Vec<String>, DbError> {
    let mut names = called_functions(sql);
    let literal = Prepared::Literal {
        sql: sql.to_string(),
        note: None,
    };
    if let Ok(plan) = explain_json(client, &literal, false, 0) {
        plan_calls(&plan, &mut names);
    }
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(names);
    }
    let rows = client
        .query(
            &format!(
                "{MARK} SELECT DISTINCT proname::text FROM pg_proc \
                 WHERE proname = ANY($1::text[]) AND provolatile = 'v'"
            ),
            &[&names],
        )
        .map_err(|e| DbError::query("reading which functions are volatile", pg_message(&e)))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The function names in a plan's expressions (every string of its JSON: output lists,
/// filters, conditions, function scans), schema prefixes dropped.
fn plan_calls(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.contains('(') => {
            out.extend(called_functions(s));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| plan_calls(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| plan_calls(x, out)),
        _ => {}
    }
}

/// `schema.table` references rewritten to `pg_temp.table`; unqualified ones already resolve
/// to the temporary copy.
pub fn retarget(sql: &str, schema: &str, table: &str) -> String {
    let toks = tokenize(sql);
    let name = |i: usize, want: &str| {
        toks.get(i).is_some_and(|t| match t.kind {
            Kind::Word => t.text.eq_ignore_ascii_case(want),
            Kind::Quoted => t.text == want,
            _ => false,
        })
    };
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    let mut i = 0;
    while i < toks.len() {
        if name(i, schema) && toks.get(i + 1).is_some_and(|t| t.is(".")) && name(i + 2, table) {
            out.push_str(&sql[at..toks[i].start]);
            out.push_str(&format!("pg_temp.{}", quote_ident(table)));
            at = toks[i + 2].end;
            i += 3;
        } else {
            i += 1;
        }
    }
    out.push_str(&sql[at..]);
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn with_copy(
    engine: &mut PgEngine,
    c: &IndexCandidate,
    plan: &PlanReport,
    ctx: &VerifyContext,
) -> Result<Verification, DbError> {
    let schema = c.schema.clone().unwrap_or_else(|| "public".into());
    let real = qualified(Some(&schema), &c.table);
    let size: i64 = engine
        .client
        .query_one(
            &format!("{MARK} SELECT coalesce(pg_total_relation_size(to_regclass($1)), 0)::int8"),
            &[&real],
        )
        .map_err(|e| DbError::query("reading the table's size", pg_message(&e)))?
        .get(0);
    if size as u64 > ctx.max_copy_bytes {
        return Err(DbError::Unsupported(format!(
            "{real} takes {:.0} MiB, more than the {:.0} MiB perfhive copies (raise --max-copy, or install hypopg)",
            size as f64 / 1048576.0,
            ctx.max_copy_bytes as f64 / 1048576.0
        )));
    }
    let mut prepared = prepared_of(plan);
    let retargeted = retarget(&plan.statement, &schema, &c.table);
    match &mut prepared {
        Prepared::Literal { sql, .. } | Prepared::Generic { sql, .. } => *sql = retargeted.clone(),
    }
    // A SELECT is executed on the copy only when every function it calls is immutable or
    // stable: a volatile one (nextval, a function that writes) may change what a rollback
    // does not restore. Such statements are compared by cost.
    let measured = matches!(prepared, Prepared::Literal { .. })
        && shape(&plan.statement).kind == StatementKind::Select
        && volatile_calls(&mut engine.client, &plan.statement)?.is_empty();
    let runs = ctx.runs.max(1);
    let (wm, hm) = (engine.work_mem_kb, engine.hash_mem_multiplier);
    engine.prepared += 1;
    let counter = engine.prepared * 1000;
    let mut tx = engine
        .client
        .build_transaction()
        .read_only(false)
        .start()
        .map_err(|e| DbError::query("starting a transaction", pg_message(&e)))?;
    let temp = format!("pg_temp.{}", quote_ident(&c.table));
    tx.batch_execute(&format!(
        "{MARK} SET LOCAL statement_timeout = '300s'; \
         {MARK} CREATE TEMP TABLE {} AS SELECT * FROM {real}; {MARK} ANALYZE {temp}",
        quote_ident(&c.table)
    ))
    .map_err(|e| {
        DbError::query(
            format!("copying {real} into a temporary table"),
            pg_message(&e),
        )
    })?;
    let side =
        |tx: &mut postgres::Transaction<'_>, k: usize| -> Result<(f64, plan::Parsed), DbError> {
            let mut values = Vec::new();
            let mut last = None;
            for r in 0..if measured { runs } else { 1 } {
                let json = explain_json(tx, &prepared, measured, counter + k * 100 + r)?;
                let facts = facts_for(tx, &json, wm, hm, 0.0);
                let parsed = plan::parse(&json, &facts);
                values.push(if measured {
                    parsed.execution_ms.unwrap_or(0.0)
                } else {
                    parsed.total_cost.unwrap_or(0.0)
                });
                last = Some(parsed);
            }
            Ok((median(values), last.unwrap_or_default()))
        };
    let result = (|| {
        let (before, _) = side(&mut tx, 0)?;
        tx.batch_execute(&format!(
            "{MARK} CREATE INDEX perfhive_candidate ON {temp} ({}); {MARK} ANALYZE {temp}",
            cols(c)
        ))
        .map_err(|e| DbError::query("building the index on the copy", pg_message(&e)))?;
        let (after, parsed) = side(&mut tx, 1)?;
        let (node, used) = reading(&parsed, &c.table, Some("perfhive_candidate"));
        Ok(Verification {
            method: VerifyMethod::ScratchCopy,
            before,
            after,
            unit: if measured { "ms" } else { "cost" }.into(),
            index_used: used,
            plan_after: node.replace("perfhive_candidate", "the new index"),
            statement: retargeted.clone(),
        })
    })();
    let _ = tx.rollback();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn called_functions_are_the_names_before_a_parenthesis() {
        assert_eq!(
            called_functions(
                "SELECT nextval('s'), lower(name), \"MyFn\"(1) FROM t WHERE id IN (1, 2) AND f = 'x('"
            ),
            vec!["MyFn", "in", "lower", "nextval"]
        );
        assert!(called_functions("SELECT * FROM orders WHERE customer_id = 7").is_empty());
    }

    #[test]
    fn qualified_references_move_to_the_temporary_schema() {
        assert_eq!(
            retarget(
                "SELECT * FROM public.orders o JOIN public.customers c ON c.id = o.customer_id",
                "public",
                "orders"
            ),
            "SELECT * FROM pg_temp.orders o JOIN public.customers c ON c.id = o.customer_id"
        );
        assert_eq!(
            retarget(r#"SELECT 1 FROM "public"."orders""#, "public", "orders"),
            "SELECT 1 FROM pg_temp.orders"
        );
        assert_eq!(
            retarget("SELECT 'public.orders' FROM orders", "public", "orders"),
            "SELECT 'public.orders' FROM orders"
        );
    }

    #[test]
    fn the_median_of_runs() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![5.0]), 5.0);
    }
}
