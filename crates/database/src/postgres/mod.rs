//! PostgreSQL (15 and newer) behind [`crate::Engine`]: one session through rust-postgres,
//! read-only by default (`default_transaction_read_only = on`, a statement and a lock
//! timeout); every statement perfhive sends starts with `/* perfhive */`, so it is left out
//! of the window's statements.
//!
//! - `stats.rs`: pg_stat_statements snapshots and pg_stat_activity samples;
//! - `explain.rs`: EXPLAIN with representative values (or a generic plan), and ANALYZE in a
//!   rolled-back read-only transaction when asked;
//! - `plan.rs`: the JSON plan read into lines and issues;
//! - `verify.rs`: index candidates verified with hypopg or on a temporary copy;
//! - `tune.rs`: PGTune's formulas, `settings.rs`: the settings against them;
//! - `health.rs`: the pg_stat_* checks, `catalog.rs`: unused and duplicate indexes, sizes.

mod catalog;
mod explain;
mod health;
pub mod plan;
mod sessions;
mod settings;
mod stats;
pub mod tune;
mod verify;

use crate::dsn::PgTarget;
use crate::engine::{Engine, Health, HealthContext, PlanContext, SampleFn, VerifyContext};
use crate::model::{
    Applies, EngineInfo, EngineKind, IndexCandidate, PlanReport, Snapshot, Verification,
};
use crate::workload::MARK;
use crate::DbError;
use perfhive_core::sql::quote_ident;

/// Whether pg_stat_statements can be read, and if not, what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementsState {
    /// Readable.
    Available,
    /// Not in shared_preload_libraries.
    NotLoaded,
    /// Loaded, but `CREATE EXTENSION` was not run in this database.
    NotCreated,
    /// Another reason (the server's message).
    Failed(String),
}

impl StatementsState {
    /// How to enable statement statistics, for a finding.
    pub fn how_to_enable(&self) -> Option<(String, Applies)> {
        match self {
            StatementsState::Available => None,
            StatementsState::NotLoaded => Some((
                "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; \
                 -- restart, then in this database: CREATE EXTENSION pg_stat_statements;"
                    .into(),
                Applies::Restart,
            )),
            StatementsState::NotCreated | StatementsState::Failed(_) => Some((
                "CREATE EXTENSION pg_stat_statements;".into(),
                Applies::Online,
            )),
        }
    }
}

/// Whether hypopg can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HypopgState {
    /// Created in this database.
    Created,
    /// Installed on the server, not created here: perfhive creates it inside a transaction it
    /// rolls back (needs the privilege to create extensions).
    Available,
    /// Not installed.
    Missing,
}

/// A PostgreSQL session.
pub struct PgEngine {
    client: postgres::Client,
    target: PgTarget,
    info: EngineInfo,
    version_num: i32,
    statements: StatementsState,
    hypopg: HypopgState,
    backend_pid: i32,
    work_mem_kb: f64,
    hash_mem_multiplier: f64,
    prepared: usize,
}

fn connect_client(target: &PgTarget) -> Result<postgres::Client, DbError> {
    target.config.connect(postgres::NoTls).map_err(|e| {
        let mut reason = crate::error::pg_message(&e);
        if reason.contains("password authentication failed") || reason.contains("no password") {
            reason.push_str(
                "; give the password in PGPASSWORD or ~/.pgpass (PGPASSFILE), never on the command line",
            );
        }
        if reason.contains("Connection refused") || reason.contains("No such file") {
            reason.push_str("; is the server running and listening there?");
        }
        DbError::Connect {
            target: target.display(),
            reason,
        }
    })
}

fn setup_session(client: &mut postgres::Client) -> Result<(), DbError> {
    client
        .batch_execute(&format!(
            "{MARK} SET default_transaction_read_only = on; \
             {MARK} SET statement_timeout = '120s'; {MARK} SET lock_timeout = '2s'"
        ))
        .map_err(|e| {
            DbError::query(
                "setting up a read-only session",
                crate::error::pg_message(&e),
            )
        })
}

impl PgEngine {
    /// Connects and learns what the server offers. Fails for servers older than 15.
    pub fn connect(target: PgTarget) -> Result<PgEngine, DbError> {
        let mut client = connect_client(&target)?;
        setup_session(&mut client)?;
        let row = client
            .query_one(
                &format!(
                    "{MARK} SELECT current_setting('server_version_num')::int4, \
                     current_setting('server_version'), current_database()::text, \
                     pg_database_size(current_database())::int8, pg_backend_pid(), \
                     (SELECT setting::float8 FROM pg_settings WHERE name = 'work_mem'), \
                     (SELECT setting::float8 FROM pg_settings WHERE name = 'hash_mem_multiplier')"
                ),
                &[],
            )
            .map_err(|e| {
                DbError::query("reading the server's version", crate::error::pg_message(&e))
            })?;
        let version_num: i32 = row.get(0);
        if version_num < 150000 {
            return Err(DbError::Unsupported(format!(
                "PostgreSQL {} is older than 15, which perfhive's audit requires",
                row.get::<_, String>(1)
            )));
        }
        let mut engine = PgEngine {
            info: EngineInfo {
                kind: EngineKind::Postgres,
                version: row
                    .get::<_, String>(1)
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                target: target.display(),
                database: row.get(2),
                size_bytes: Some(row.get::<_, i64>(3).max(0) as u64),
                capabilities: Vec::new(),
            },
            target,
            client,
            version_num,
            statements: StatementsState::Failed(String::new()),
            hypopg: HypopgState::Missing,
            backend_pid: row.get(4),
            work_mem_kb: row.get(5),
            hash_mem_multiplier: row.get(6),
            prepared: 0,
        };
        engine.statements = stats::statements_state(&mut engine.client);
        engine.hypopg = verify::hypopg_state(&mut engine.client)?;
        if engine.statements == StatementsState::Available {
            engine.info.capabilities.push("pg_stat_statements".into());
        }
        match engine.hypopg {
            HypopgState::Created => engine.info.capabilities.push("hypopg".into()),
            HypopgState::Available => engine
                .info
                .capabilities
                .push("hypopg (installed, not created)".into()),
            HypopgState::Missing => {}
        }
        Ok(engine)
    }

    /// Whether pg_stat_statements is readable.
    pub fn statements_state(&self) -> &StatementsState {
        &self.statements
    }

    /// Whether hypopg is usable.
    pub fn hypopg_state(&self) -> HypopgState {
        self.hypopg
    }

    /// The server's version as a number (150008).
    pub fn version_num(&self) -> i32 {
        self.version_num
    }

    /// `pg_settings.context` of a setting, as when a change applies.
    fn applies(&mut self, setting: &str) -> Applies {
        let ctx: Option<String> = self
            .client
            .query_opt(
                &format!("{MARK} SELECT context FROM pg_settings WHERE name = $1"),
                &[&setting],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0));
        match ctx.as_deref() {
            Some("postmaster") | Some("internal") => Applies::Restart,
            _ => Applies::Reload,
        }
    }
}

/// `schema.table`, each part quoted when it needs to be.
pub(crate) fn qualified(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
        None => quote_ident(table),
    }
}

impl Engine for PgEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn snapshot(&mut self) -> Result<Snapshot, DbError> {
        stats::snapshot(
            &mut self.client,
            self.version_num,
            self.statements == StatementsState::Available,
        )
    }

    fn activity_sampler(&self) -> Result<Option<SampleFn>, DbError> {
        let mut client = connect_client(&self.target)?;
        setup_session(&mut client)?;
        let exclude = self.backend_pid;
        Ok(Some(Box::new(move || {
            stats::sample_activity(&mut client, exclude)
        })))
    }

    fn plan(&mut self, statement: &str, ctx: &PlanContext) -> Result<PlanReport, DbError> {
        explain::plan(self, statement, ctx)
    }

    fn create_index_sql(&self, c: &IndexCandidate) -> String {
        let name = format!("{}_{}_idx", c.table, c.columns.join("_"))
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    ch.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(63)
            .collect::<String>();
        let cols: Vec<String> = c.columns.iter().map(|c| quote_ident(c)).collect();
        format!(
            "CREATE INDEX CONCURRENTLY {} ON {} ({});",
            quote_ident(&name),
            qualified(c.schema.as_deref(), &c.table),
            cols.join(", ")
        )
    }

    fn verify_index(
        &mut self,
        candidate: &IndexCandidate,
        plan: &PlanReport,
        ctx: &VerifyContext,
    ) -> Result<Verification, DbError> {
        verify::verify(self, candidate, plan, ctx)
    }

    fn health(&mut self, ctx: &HealthContext<'_>) -> Result<Health, DbError> {
        let mut h = health::check(self, ctx)?;
        if let Some((sql, applies)) = self.statements.how_to_enable() {
            let sampled = ctx.workload.is_some_and(|w| {
                matches!(
                    w.source,
                    crate::model::WorkloadSource::ActivitySampling { .. }
                )
            });
            h.findings.push(stats::missing_statements_finding(
                &self.statements,
                sql,
                applies,
                sampled,
            ));
        }
        Ok(h)
    }
}
