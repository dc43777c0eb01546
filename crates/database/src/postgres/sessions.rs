//! The sessions on the server: idle in a transaction, connections against max_connections and
//! the application's pool, and lock waits.

use super::health::{apply_note, finding, fix, setting, window_words, Counters};
use super::stats::ev;
use super::PgEngine;
use crate::engine::{Health, HealthContext};
use crate::model::{Applies, Check, Severity};
use crate::workload::MARK;

/// Sessions idle in a transaction; connections against max_connections (and the pool).
pub(super) fn sessions(
    e: &mut PgEngine,
    ctx: &HealthContext<'_>,
    _: &Counters,
    _: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let r = e.client.query_one(
        &format!(
            "{MARK} SELECT count(*) FILTER (WHERE backend_type = 'client backend')::int8, \
             count(*) FILTER (WHERE state LIKE 'idle in transaction%' AND datname = current_database())::int8, \
             coalesce(max(extract(epoch FROM clock_timestamp() - state_change)) \
               FILTER (WHERE state LIKE 'idle in transaction%' AND datname = current_database()), 0)::float8, \
             current_setting('max_connections')::int8, current_setting('superuser_reserved_connections')::int8 \
             FROM pg_stat_activity"
        ),
        &[],
    )?;
    let (now_conn, idle_tx, idle_tx_s, max_conn, reserved): (i64, i64, f64, i64, i64) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    let act = ctx
        .workload
        .and_then(|w| w.activity.clone())
        .unwrap_or_default();
    let longest = idle_tx_s.max(act.longest_idle_in_transaction_s);
    let count = (idle_tx as u64).max(act.max_idle_in_transaction);
    if longest >= 5.0 {
        let severity = if longest >= 300.0 {
            Severity::High
        } else if longest >= 30.0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut f = finding(
            Check::IdleInTransaction,
            severity,
            "idle_in_transaction_session_timeout",
            format!("{count} session(s) idle in a transaction, the longest for {longest:.0} s"),
            "A session idle inside an open transaction holds its locks and its snapshot: other writers \
             wait, and VACUUM cannot remove rows deleted since it began. Usually a missing commit or a \
             slow step between statements in the application."
                .into(),
        );
        f.evidence = vec![
            ev("sessions idle in transaction", count as f64, "sessions"),
            ev("longest", longest, "s"),
        ];
        let cur = setting(e, "idle_in_transaction_session_timeout")
            .map(|s| s.number)
            .unwrap_or(0.0);
        if cur == 0.0 {
            let applies = e.applies("idle_in_transaction_session_timeout");
            f.fix = fix(
                "ALTER SYSTEM SET idle_in_transaction_session_timeout = '60s';".into(),
                applies,
                apply_note(applies),
            );
        }
        h.findings.push(f);
    }
    let usable = (max_conn - reserved).max(1) as f64;
    let used = (now_conn as u64).max(act.max_sessions) as f64;
    let ratio = used / usable;
    if ratio >= 0.8 {
        let mut f = finding(
            Check::Connections,
            if ratio >= 0.95 { Severity::High } else { Severity::Medium },
            "max_connections",
            format!("{used:.0} of {usable:.0} usable connections in use ({:.0}%)", ratio * 100.0),
            "Near max_connections new clients are refused. Each connection is a process with its own \
             memory: a pool in front (PgBouncer in transaction mode, or the application's pool sized \
             below max_connections − superuser_reserved_connections) serves more clients than raising \
             max_connections would."
                .into(),
        );
        f.evidence = vec![
            ev("connections", used, "connections"),
            ev("usable", usable, "connections"),
        ];
        let applies = e.applies("max_connections");
        f.fix = fix(
            format!(
                "ALTER SYSTEM SET max_connections = '{}';",
                (max_conn as f64 * 1.5).ceil()
            ),
            applies,
            Some(
                "needs a restart; a pool is the better fix when clients hold idle connections"
                    .into(),
            ),
        );
        h.findings.push(f);
    }
    if let Some(pool) = ctx.pool.filter(|p| *p > 0) {
        pool_checks(e, f64::from(pool), usable, max_conn, reserved, &act, h);
    }
    Ok(())
}

/// The application's pool against the server's limit and what the window's sessions did.
fn pool_checks(
    e: &mut PgEngine,
    pool: f64,
    usable: f64,
    max_conn: i64,
    reserved: i64,
    act: &crate::model::ActivitySummary,
    h: &mut Health,
) {
    if pool > usable {
        let mut f = finding(
            Check::Connections,
            Severity::High,
            "max_connections",
            format!("The application's pool ({pool:.0}) can open more connections than the server accepts ({usable:.0})"),
            format!(
                "Once the pool grows past max_connections − superuser_reserved_connections ({max_conn} − \
                 {reserved}), the server refuses its new connections: requests fail instead of waiting \
                 for a pooled one. Either the pool shrinks to at most {usable:.0} (less what other \
                 clients need), or max_connections grows."
            ),
        );
        f.evidence = vec![
            ev("pool", pool, "connections"),
            ev("usable", usable, "connections"),
        ];
        let applies = e.applies("max_connections");
        f.fix = fix(
            format!(
                "ALTER SYSTEM SET max_connections = '{}';",
                pool as i64 + reserved + 10
            ),
            applies,
            Some(
                "needs a restart; or lower the application's pool below the server's limit".into(),
            ),
        );
        h.findings.push(f);
        return;
    }
    if act.samples == 0 || (act.max_sessions as f64) < pool {
        return;
    }
    let busy = act.max_active as f64 >= 0.9 * pool;
    let mut f = finding(
        Check::Connections,
        Severity::Medium,
        "pool",
        format!(
            "Sessions on the database reached the application's pool size: {} open (pool {pool:.0}), {} running a statement at once",
            act.max_sessions, act.max_active
        ),
        // every client of the database counts: with other clients the pool may have had room
        if busy {
            format!(
                "The sampled sessions count every client of this database, the application's \
                 pool among them. As many were running a statement at the same moment as the pool \
                 holds: further \
                 requests waited for a connection before their first statement. The server allows \
                 {usable:.0}: a larger pool (up to about {:.0}) helps while the database has CPU and \
                 I/O to spare; otherwise make the statements cheaper first.",
                (pool * 2.0).min(usable)
            )
        } else {
            "The sampled sessions (every client of this database) were as many as the pool \
             holds, but most sat idle between statements: if they are the pool's, requests \
             hold a connection while they do other work (a transaction spanning application code, \
             a connection checked out for the whole request). Release it between statements, or \
             keep transactions to the statements themselves; a larger pool only hides this."
                .into()
        },
    );
    f.evidence = vec![
        ev("pool", pool, "connections"),
        ev("most sessions open", act.max_sessions as f64, "sessions"),
        ev("most running at once", act.max_active as f64, "sessions"),
    ];
    h.findings.push(f);
}

/// Sessions waiting on locks, sampled during the window and now, and deadlocks.
pub(super) fn lock_waits(
    e: &mut PgEngine,
    ctx: &HealthContext<'_>,
    (c, window): &Counters,
    since: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let waiting_now: i64 = e
        .client
        .query_one(
            &format!("{MARK} SELECT count(*)::int8 FROM pg_locks WHERE NOT granted"),
            &[],
        )?
        .get(0);
    let sampled = ctx
        .workload
        .and_then(|w| w.activity.as_ref())
        .map(|a| (a.lock_wait_samples, a.interval_ms))
        .unwrap_or((0, 0.0));
    let deadlocks = c.deadlocks;
    if waiting_now == 0 && sampled.0 == 0 && deadlocks == 0 {
        return Ok(());
    }
    let worst = ctx.workload.and_then(|w| {
        w.statements
            .iter()
            .filter(|s| s.lock_wait_samples > 0)
            .max_by_key(|s| s.lock_wait_samples)
    });
    let mut f = finding(
        Check::LockWaits,
        if deadlocks > 0 || sampled.0 >= 10 { Severity::Medium } else { Severity::Low },
        "locks",
        format!(
            "Sessions waited on locks: {} sampled waits in the window, {waiting_now} waiting now, {deadlocks} deadlocks {}",
            sampled.0,
            window_words(*window, since)
        ),
        "Statements queued behind row or table locks held by other transactions: shorten the \
         transactions that hold them, or take the locks in one order everywhere."
            .into(),
    );
    f.evidence = vec![
        ev("lock-wait samples", sampled.0 as f64, "samples"),
        ev(
            "time waiting (estimate)",
            sampled.0 as f64 * sampled.1,
            "ms",
        ),
        ev("waiting now", waiting_now as f64, "sessions"),
        ev("deadlocks", deadlocks as f64, "deadlocks"),
    ];
    f.statement = worst.map(|s| s.fingerprint);
    // The blockers are the application's transactions: the server can name them in its log
    // (each wait past deadlock_timeout, with the holder) and bound how long a statement queues.
    let logged = setting(e, "log_lock_waits").is_some_and(|s| s.shown == "on");
    let bound = "and bound the wait for the application's role: \
                 ALTER ROLE <app role> SET lock_timeout = '5s'; (new sessions)";
    f.fix = if logged {
        fix(
            "ALTER ROLE <app role> SET lock_timeout = '5s';".into(),
            Applies::Online,
            Some("applies to the role's new sessions; log_lock_waits is on: the server log names the blocking process of each wait".into()),
        )
    } else {
        fix(
            "ALTER SYSTEM SET log_lock_waits = on;".into(),
            Applies::Reload,
            Some(format!(
                "then SELECT pg_reload_conf(); (no restart needed): the server log then names the blocking process of each wait longer than deadlock_timeout; {bound}"
            )),
        )
    };
    h.findings.push(f);
    Ok(())
}
