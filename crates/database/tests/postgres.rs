//! The audit against a real PostgreSQL server: one throwaway cluster for this test binary
//! (pg_stat_statements preloaded; shared_buffers 16MB, work_mem 64kB, max_wal_size 32MB,
//! max_connections 40, checkpoint_timeout 1h), 300,000 orders of 5,000 customers with no
//! index on orders.customer_id, driven by real clients (pgbench with custom scripts, psql,
//! and rust-postgres sessions that hold a transaction open, wait on a lock, or just connect).
//!
//! The scenarios share the cluster, so they run one after the other inside one test; each
//! failure is reported by its scenario's name.

// The measured figures are printed for the record (`--nocapture`).
#![allow(clippy::print_stderr)]

mod support;

/// The scenarios about sessions, statement statistics and errors.
#[path = "postgres/sessions.rs"]
mod sessions;

use perfhive_core::sql::fingerprint;
use perfhive_database::*;
use std::time::{Duration, Instant};
use support::Cluster;

const SETUP: &str = "
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
  status text NOT NULL, total numeric(10,2) NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@example.com' FROM generate_series(1, 5000) i;
INSERT INTO orders (customer_id, status, total, created_at)
  SELECT 1 + (i::bigint * 7919) % 5000, (ARRAY['new', 'paid', 'shipped'])[1 + i % 3], (i % 1000) / 10.0,
         timestamptz '2024-01-01' + i * interval '1 minute'
  FROM generate_series(1, 300000) i;
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_status_copy_idx ON orders (status);
ANALYZE;
CREATE EXTENSION pg_stat_statements;";

/// A named step run against the shared cluster.
type Scenario = (&'static str, fn(&Cluster));

const BY_CUSTOMER: &str = "SELECT * FROM orders WHERE customer_id = $1";

fn machine() -> Machine {
    Machine {
        memory_bytes: 8 << 30,
        cpus: 4,
        storage: Storage::Ssd,
        source: "given".into(),
    }
}

fn opts(verify: VerifyMode, analyze: bool) -> AnalyseOptions {
    AnalyseOptions {
        verify,
        analyze,
        machine: Some(machine()),
        runs: 3,
        ..AnalyseOptions::default()
    }
}

fn finding(r: &DatabaseReport, check: Check) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| {
            panic!(
                "no {check:?} finding in {:#?}",
                r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
            )
        })
}

fn catalog_state(c: &Cluster, db: &str) -> String {
    c.psql(
        db,
        "SELECT (SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'orders') \
         || ' | ' || (SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension) \
         || ' | ' || (SELECT count(*) FROM pg_class WHERE relnamespace::regnamespace::text LIKE 'pg_temp%')",
    )
}

#[test]
fn postgres_scenarios() {
    let cluster = match support::start(&[
        ("shared_buffers", "16MB"),
        ("work_mem", "64kB"),
        ("max_wal_size", "32MB"),
        ("min_wal_size", "32MB"),
        ("checkpoint_timeout", "1h"),
        ("max_connections", "40"),
        ("fsync", "off"),
    ]) {
        Ok(c) => c,
        Err(e) => return support::unavailable(&e),
    };
    cluster.psql("postgres", "CREATE DATABASE shop_template");
    cluster.psql("shop_template", SETUP);
    let scenarios: [Scenario; 6] = [
        (
            "a window of pgbench load: the seq scan, its verified index, sessions and settings",
            window_finds_the_scan_and_verifies_the_index,
        ),
        (
            "the scratch copy measures the statement before and after the index",
            scratch_copy_measures_before_and_after,
        ),
        (
            "a tiny work_mem sort spills; a write burst requests checkpoints",
            temp_files_spills_and_checkpoints,
        ),
        (
            "without pg_stat_statements, activity sampling",
            sessions::sampling_without_statement_statistics,
        ),
        (
            "bad DSNs and unreachable servers are clear errors",
            sessions::errors_are_clear,
        ),
        (
            "the application's pool against the server and the window's sessions",
            sessions::pool_against_sessions,
        ),
    ];
    let mut failed = Vec::new();
    for (name, f) in scenarios {
        eprintln!("--- {name}");
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&cluster))).is_err() {
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "failed scenarios: {failed:#?}\nserver log:\n{}",
        cluster.log()
    );
}

fn fresh_db(c: &Cluster, name: &str) {
    c.psql(
        "postgres",
        &format!("CREATE DATABASE {name} TEMPLATE shop_template"),
    );
}

fn window_finds_the_scan_and_verifies_the_index(c: &Cluster) {
    fresh_db(c, "shop_a");
    let started = Instant::now();
    // Calls before the window must not count as the window's.
    for id in [11, 12, 13, 14, 15] {
        c.psql(
            "shop_a",
            &format!("SELECT count(*) FROM orders WHERE customer_id = {id}"),
        );
        c.psql(
            "shop_a",
            &format!("SELECT * FROM orders WHERE customer_id = {id}"),
        );
    }
    let catalog_before = catalog_state(c, "shop_a");
    // A session idle in a transaction holding a row lock, a second session waiting on it, and
    // enough idle connections to pass 80% of max_connections.
    let mut holder = ::postgres::Client::connect(&c.dsn("shop_a"), ::postgres::NoTls).unwrap();
    holder
        .batch_execute("BEGIN; UPDATE customers SET name = 'held' WHERE id = 1")
        .unwrap();
    let dsn = c.dsn("shop_a");
    let waiter = std::thread::spawn(move || {
        let mut w = ::postgres::Client::connect(&dsn, ::postgres::NoTls).unwrap();
        w.batch_execute("UPDATE customers SET name = 'waited' WHERE id = 1")
            .unwrap();
    });
    let idle: Vec<::postgres::Client> = (0..26)
        .map(|_| ::postgres::Client::connect(&c.dsn("shop_a"), ::postgres::NoTls).unwrap())
        .collect();

    let mut db = Database::connect(&c.dsn("shop_a"), None).unwrap();
    let window = db.begin_window(Duration::from_millis(50)).unwrap();
    c.pgbench(
        "shop_a",
        "\\set cid random(1, 5000)\nSELECT * FROM orders WHERE customer_id = :cid;\n\
         SELECT id, total FROM orders WHERE customer_id = :cid AND status = 'paid';\n\
         SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE email = :cid;\n\
         SELECT count(*) FROM orders WHERE total > :cid / 100;\n",
        &["-M", "prepared", "-c", "2", "-j", "2", "-t", "40"],
    );
    let workload = db.end_window(window).unwrap();
    assert_eq!(workload.source, WorkloadSource::PgStatStatements);
    let stats = workload
        .statement(fingerprint(BY_CUSTOMER))
        .expect("the pgbench statement in the window");
    assert_eq!(
        stats.calls, 80,
        "exactly the window's own calls: 2 clients × 40"
    );
    assert!(
        stats.share > 0.2,
        "one of three full scans: {}",
        stats.share
    );
    let activity = workload.activity.clone().unwrap();
    assert!(
        activity.lock_wait_samples > 0,
        "the waiting UPDATE was sampled: {activity:?}"
    );
    assert!(activity.max_idle_in_transaction >= 1);
    // rows and shared blocks of the window, per statement
    assert_eq!(stats.rows, 80 * 60, "60 orders per customer");
    assert!(
        stats.shared_blks_hit + stats.shared_blks_read > 0,
        "{stats:?}"
    );

    // Idle in transaction for at least 6 s before the checks.
    std::thread::sleep(Duration::from_secs(6).saturating_sub(started.elapsed()));
    let seen = [SeenStatement {
        text: "SELECT * FROM orders WHERE customer_id = 1234".into(),
        source: SeenSource::Trace {
            route: "GET /customers/{id}/orders".into(),
            time_share: Some(0.69),
            count: 80,
        },
    }];
    let report = db.analyse(Some(&workload), &seen, &opts(VerifyMode::Auto, false));

    // The terminal and Markdown reports show them too.
    let (mut term, mut md) = (Vec::new(), Vec::new());
    render::terminal(&report, &mut term, false).unwrap();
    render::markdown(&report, &mut md).unwrap();
    let (term, md) = (
        String::from_utf8(term).unwrap(),
        String::from_utf8(md).unwrap(),
    );
    assert!(
        term.contains("rows/call") && term.contains("hit %"),
        "{term}"
    );
    let row = term
        .lines()
        .skip_while(|l| !l.contains("rows/call"))
        .find(|l| l.ends_with(stats.normalized.as_str()))
        .unwrap_or_else(|| panic!("{term}"));
    assert!(row.split_whitespace().nth(4) == Some("60"), "{row}");
    assert!(
        md.contains("4,800 rows (60 per call); shared blocks"),
        "{md}"
    );

    // The chain: route → statement → plan → verified index → gain.
    let s = report
        .statement(fingerprint(BY_CUSTOMER))
        .expect("statement report");
    assert!(
        matches!(&s.seen[0], SeenSource::Trace { route, .. } if route == "GET /customers/{id}/orders")
    );
    let plan = s.plan.as_ref().unwrap();
    assert!(
        plan.statement.contains("1234"),
        "the trace's own value was planned: {}",
        plan.statement
    );
    let issue = &plan.issues[0];
    assert_eq!(issue.kind, IssueKind::SeqScan);
    assert_eq!(issue.rows_read, Some(300_000.0));
    let advice = &s.indexes[0];
    assert_eq!(advice.candidate.columns, ["customer_id"]);
    assert!(advice.recommended, "{}", advice.reason);
    let v = advice.verification.as_ref().unwrap();
    let expected = if c.has_hypopg() {
        VerifyMethod::Hypopg
    } else {
        VerifyMethod::ScratchCopy
    };
    assert_eq!(v.method, expected);
    assert!(v.index_used && v.speedup() >= 5.0, "{v:?}");
    eprintln!("verified: {}", describe_verification(v));

    // A statement pg_stats can fill: bound with representative values, its index verified.
    let two = report
        .statements
        .iter()
        .find(|s| {
            s.normalized == "SELECT id, total FROM orders WHERE customer_id = ? AND status = ?"
        })
        .expect("the second pgbench statement");
    let p2 = two.plan.as_ref().unwrap();
    assert_eq!(p2.method, PlanMethod::Estimate);
    assert!(
        p2.notes.iter().any(|n| n.contains("representative values")),
        "{:?}",
        p2.notes
    );
    assert!(!p2.statement.contains('$'), "{}", p2.statement);
    assert!(
        two.indexes
            .iter()
            .any(|a| a.recommended && a.candidate.columns[0] == "customer_id"),
        "{:?}",
        two.indexes
    );
    // A column of one of two tables, unqualified: no value to bind, the generic plan.
    let three = report
        .statements
        .iter()
        .find(|s| s.normalized.ends_with("WHERE email = ?"))
        .expect("the join statement");
    let p3 = three
        .plan
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", three.error));
    assert_eq!(p3.method, PlanMethod::Generic);
    // Parameters pg_stat_statements made of constants have no type: said, not guessed.
    let four = report
        .statements
        .iter()
        .find(|s| {
            s.normalized
                .starts_with("SELECT count(*) FROM orders WHERE total >")
        })
        .unwrap();
    assert!(four.plan.is_none());
    assert!(
        four.error.as_ref().unwrap().contains("unknown"),
        "{:?}",
        four.error
    );

    let scan = finding(&report, Check::SeqScan);
    assert_eq!(scan.severity, Severity::High);
    assert_eq!(scan.statement, Some(fingerprint(BY_CUSTOMER)));
    let fix = scan.fix.as_ref().unwrap();
    assert_eq!(
        fix.sql,
        "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);"
    );
    assert_eq!(fix.applies, Applies::Online);

    // Settings follow from the cluster's: shared_buffers 16MB on 8 GiB (restart), random_page_cost 4 on SSD (reload).
    let sb = report
        .findings
        .iter()
        .find(|f| f.check == Check::Setting && f.subject.as_deref() == Some("shared_buffers"))
        .unwrap();
    assert_eq!(
        sb.fix.as_ref().unwrap().sql,
        "ALTER SYSTEM SET shared_buffers = '2GB';"
    );
    assert_eq!(sb.fix.as_ref().unwrap().applies, Applies::Restart);
    assert_eq!(sb.severity, Severity::Medium);
    let rpc = report
        .findings
        .iter()
        .find(|f| f.check == Check::Setting && f.subject.as_deref() == Some("random_page_cost"))
        .unwrap();
    assert_eq!(rpc.fix.as_ref().unwrap().applies, Applies::Reload);

    let idle_tx = finding(&report, Check::IdleInTransaction);
    assert!(
        idle_tx
            .evidence
            .iter()
            .any(|e| e.label == "longest" && e.value >= 5.0),
        "{idle_tx:?}"
    );
    assert!(idle_tx
        .fix
        .as_ref()
        .unwrap()
        .sql
        .contains("idle_in_transaction_session_timeout"));
    let locks = finding(&report, Check::LockWaits);
    assert!(locks
        .evidence
        .iter()
        .any(|e| e.label == "lock-wait samples" && e.value > 0.0));
    // log_lock_waits is off by default: the line to apply turns it on, to name the blockers
    let lock_fix = locks.fix.as_ref().unwrap();
    assert_eq!(lock_fix.sql, "ALTER SYSTEM SET log_lock_waits = on;");
    assert_eq!(lock_fix.applies, Applies::Reload);
    assert!(lock_fix.note.as_ref().unwrap().contains("lock_timeout"));
    let conns = finding(&report, Check::Connections);
    assert!(conns.title.contains("of 37 usable"), "{}", conns.title);
    let unused = report
        .findings
        .iter()
        .filter(|f| f.check == Check::UnusedIndex)
        .count();
    assert!(unused >= 1);
    let dup = finding(&report, Check::DuplicateIndex);
    assert!(dup
        .fix
        .as_ref()
        .unwrap()
        .sql
        .starts_with("DROP INDEX CONCURRENTLY public.orders_status"));

    // Nothing changed in the database: no index, no extension left behind, no scratch table.
    holder.batch_execute("ROLLBACK").unwrap();
    waiter.join().unwrap();
    drop(idle);
    drop(db);
    assert_eq!(catalog_state(c, "shop_a"), catalog_before);
    let json = serde_json::to_value(&report).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schema/database-report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn scratch_copy_measures_before_and_after(c: &Cluster) {
    fresh_db(c, "shop_b");
    let before = catalog_state(c, "shop_b");
    let mut db = Database::connect(&c.dsn("shop_b"), None).unwrap();
    let seen = [SeenStatement {
        text: "SELECT id, total FROM orders WHERE customer_id = 1234 ORDER BY created_at DESC LIMIT 20".into(),
        source: SeenSource::User { origin: "queries.sql:1".into() },
    }];
    let report = db.analyse(None, &seen, &opts(VerifyMode::Copy, true));
    let s = &report.statements[0];
    let plan = s.plan.as_ref().unwrap();
    assert_eq!(plan.method, PlanMethod::Analyze);
    assert!(plan.execution_ms.unwrap() > 0.0);
    let issue = plan
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::SeqScan)
        .unwrap();
    assert!(!issue.estimated);
    assert_eq!(
        issue.rows_returned,
        Some(60.0),
        "5,000 customers × 60 orders"
    );
    assert_eq!(issue.rows_read, Some(300_000.0));
    let a = &s.indexes[0];
    assert_eq!(
        a.candidate.columns,
        ["customer_id", "created_at"],
        "the ORDER BY follows the equality"
    );
    let v = a.verification.as_ref().unwrap();
    assert_eq!(v.method, VerifyMethod::ScratchCopy);
    assert_eq!(v.unit, "ms");
    assert!(a.recommended && v.index_used, "{}", a.reason);
    // A full scan of 300,000 rows against an index lookup of 60: far more than 5× on any machine.
    assert!(v.before > 5.0 * v.after, "{v:?}");
    eprintln!("scratch copy: {}", describe_verification(v));
    let f = finding(&report, Check::SeqScan);
    assert!(f
        .fix
        .as_ref()
        .unwrap()
        .note
        .as_ref()
        .unwrap()
        .contains("temporary copy"));
    // A SELECT calling a volatile function is compared by cost on the copy, never run: the
    // sequence's nextval would outlive the rollback. In its text, and through a view (the
    // statement's text then calls nothing; its plan does).
    c.psql("shop_b", "CREATE SEQUENCE probe_seq");
    c.psql(
        "shop_b",
        "CREATE VIEW numbered_orders AS SELECT o.*, nextval('probe_seq') AS n FROM orders o",
    );
    let sequence = || {
        c.psql(
            "shop_b",
            "SELECT last_value || ' ' || is_called FROM probe_seq",
        )
    };
    let before_seq = sequence();
    for (line, text) in [
        (
            2,
            "SELECT id, nextval('probe_seq') FROM orders WHERE customer_id = 1234",
        ),
        (
            3,
            "SELECT id, n FROM numbered_orders WHERE customer_id = 1234",
        ),
    ] {
        let seen = [SeenStatement {
            text: text.into(),
            source: SeenSource::User {
                origin: format!("queries.sql:{line}"),
            },
        }];
        let report = db.analyse(None, &seen, &opts(VerifyMode::Copy, false));
        let how: Vec<(VerifyMethod, &str)> = report
            .statements
            .iter()
            .flat_map(|s| &s.indexes)
            .filter_map(|a| a.verification.as_ref())
            .map(|v| (v.method, v.unit.as_str()))
            .collect();
        assert!(
            !how.is_empty()
                && how
                    .iter()
                    .all(|h| *h == (VerifyMethod::ScratchCopy, "cost")),
            "{text}: {how:?}"
        );
        assert_eq!(sequence(), before_seq, "{text}");
    }
    c.psql("shop_b", "DROP VIEW numbered_orders");
    c.psql("shop_b", "DROP SEQUENCE probe_seq");
    drop(db);
    assert_eq!(
        catalog_state(c, "shop_b"),
        before,
        "the copy went with the rolled-back transaction"
    );

    // With hypopg created in the database by its owner, `--verify hypopg` uses it as it is.
    let mut db = Database::connect(&c.dsn("shop_b"), None).unwrap();
    if !c.has_hypopg() {
        let report = db.analyse(None, &seen, &opts(VerifyMode::Hypopg, false));
        let reason = &report.statements[0].indexes[0].reason;
        assert!(reason.contains("hypopg is not installed"), "{reason}");
        return;
    }
    drop(db);
    c.psql("shop_b", "CREATE EXTENSION hypopg");
    let mut db = Database::connect(&c.dsn("shop_b"), None).unwrap();
    assert!(db.info().capabilities.iter().any(|c| c == "hypopg"));
    let report = db.analyse(None, &seen, &opts(VerifyMode::Hypopg, false));
    let a = &report.statements[0].indexes[0];
    let v = a.verification.as_ref().unwrap();
    assert_eq!((v.method, v.unit.as_str()), (VerifyMethod::Hypopg, "cost"));
    assert!(a.recommended && v.before > 5.0 * v.after, "{v:?}");
    drop(db);
    let hypothetical: String = c.psql("shop_b", "SELECT count(*) FROM hypopg_list_indexes");
    assert_eq!(
        hypothetical, "0",
        "hypothetical indexes live in perfhive's session only"
    );
}

fn temp_files_spills_and_checkpoints(c: &Cluster) {
    fresh_db(c, "shop_c");
    let mut db = Database::connect(&c.dsn("shop_c"), None).unwrap();
    let window = db.begin_window(Duration::from_millis(100)).unwrap();
    c.pgbench(
        "shop_c",
        "SELECT count(*) FROM (SELECT * FROM orders ORDER BY total, created_at) s;\n",
        &["-c", "1", "-t", "3"],
    );
    // Full scans of a table larger than a quarter of shared_buffers (16MB) go through a small
    // ring of buffers: nearly every block is read from outside the cache.
    c.pgbench(
        "shop_c",
        "SELECT count(*) FROM orders;\n",
        &["-c", "1", "-t", "5"],
    );
    // About 40 MB of WAL against max_wal_size = 32MB.
    c.psql("shop_c", "CREATE TABLE orders_copy AS SELECT * FROM orders");
    c.psql("shop_c", "CHECKPOINT");
    let workload = db.end_window(window).unwrap();
    let counters = workload.database.clone().unwrap();
    assert!(counters.temp_files >= 3, "{counters:?}");
    assert!(counters.checkpoints_requested >= 1, "{counters:?}");
    let report = db.analyse(Some(&workload), &[], &opts(VerifyMode::Auto, true));

    let temp = finding(&report, Check::TempFiles);
    assert!(temp.severity >= Severity::Medium);
    let fix = temp.fix.as_ref().unwrap();
    assert!(
        fix.sql.starts_with("ALTER SYSTEM SET work_mem = '"),
        "{}",
        fix.sql
    );
    assert_eq!(fix.applies, Applies::Reload);
    let sort_fp =
        fingerprint("SELECT count(*) FROM (SELECT * FROM orders ORDER BY total, created_at) s");
    assert_eq!(
        temp.statement,
        Some(sort_fp),
        "the statement that wrote the temp blocks"
    );
    let spill = report
        .findings
        .iter()
        .find(|f| f.check == Check::SortSpill && f.statement == Some(sort_fp))
        .expect("the sort's spill, measured with ANALYZE");
    assert!(
        spill
            .evidence
            .iter()
            .any(|e| e.label == "spilled" && e.value > 1000.0),
        "{spill:?}"
    );
    assert!(!spill.title.contains("estimate"), "{}", spill.title);
    // A hash join of two 300,000-row tables in 64 kB of work_mem runs in batches on disk.
    let join = "SELECT count(*) FROM orders o JOIN orders_copy c ON c.id = o.id";
    let seen = [SeenStatement {
        text: join.into(),
        source: SeenSource::User {
            origin: "queries.sql:3".into(),
        },
    }];
    let joined = db.analyse(None, &seen, &opts(VerifyMode::Off, true));
    let hash = joined
        .findings
        .iter()
        .find(|f| f.check == Check::HashSpill && f.statement == Some(fingerprint(join)))
        .unwrap_or_else(|| panic!("{:#?}", joined.findings));
    assert!(
        hash.evidence
            .iter()
            .any(|e| e.label == "spilled" && e.value > 1000.0),
        "{hash:?}"
    );
    let cp = finding(&report, Check::Checkpoints);
    assert!(cp
        .fix
        .as_ref()
        .unwrap()
        .sql
        .starts_with("ALTER SYSTEM SET max_wal_size = '"));
    assert_eq!(cp.fix.as_ref().unwrap().applies, Applies::Reload);
    let hit = finding(&report, Check::CacheHitRatio);
    let ratio = hit
        .evidence
        .iter()
        .find(|e| e.label == "hit ratio")
        .unwrap();
    assert!(ratio.value < 99.0, "{hit:?}");
    assert!(hit.title.contains("in the window"), "{}", hit.title);

    // Half of a table deleted with its autovacuum off: dead rows, and a table never analysed.
    c.psql(
        "shop_c",
        "CREATE TABLE churn WITH (autovacuum_enabled = false) AS \
         SELECT g AS id FROM generate_series(1, 40000) g; \
         DELETE FROM churn WHERE id % 2 = 0; \
         CREATE TABLE fresh WITH (autovacuum_enabled = false) AS \
         SELECT g AS id FROM generate_series(1, 5000) g",
    );
    let report = db.analyse(None, &[], &opts(VerifyMode::Auto, false));
    let dead = report
        .findings
        .iter()
        .find(|f| f.check == Check::DeadTuples && f.subject.as_deref() == Some("public.churn"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    let share = dead
        .evidence
        .iter()
        .find(|e| e.label == "dead share")
        .unwrap();
    assert!((share.value - 50.0).abs() < 1.0, "{dead:?}");
    assert_eq!(
        dead.fix.as_ref().unwrap().sql,
        "VACUUM (ANALYZE) public.churn;"
    );
    assert_eq!(dead.fix.as_ref().unwrap().applies, Applies::Online);
    let stale = report
        .findings
        .iter()
        .find(|f| {
            f.check == Check::PlannerStatistics && f.subject.as_deref() == Some("public.fresh")
        })
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(stale.fix.as_ref().unwrap().sql, "ANALYZE public.fresh;");
}
