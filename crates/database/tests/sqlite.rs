//! The audit against real SQLite files: 300,000 orders of 5,000 customers with a foreign key
//! and no index on orders.customer_id, in rollback-journal mode, with free pages left by a
//! dropped table. The file must come out byte for byte as it went in.

// The measured figures are printed for the record (`--nocapture`).
#![allow(clippy::print_stderr)]

use perfhive_core::sql::fingerprint;
use perfhive_database::*;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn build(dir: &Path) -> PathBuf {
    let path = dir.join("shop.sqlite3");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode = DELETE;
         CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
           status TEXT NOT NULL, created_at TEXT NOT NULL);
         CREATE TABLE scratch (payload BLOB);
         BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
           INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
           INSERT INTO orders (customer_id, status, created_at)
           SELECT 1 + (i * 7919) % 5000, CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'shipped' END,
                  datetime('2024-01-01', '+' || i || ' minutes') FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
           INSERT INTO scratch SELECT randomblob(4000) FROM n;
         COMMIT;
         DROP TABLE scratch;",
    )
    .unwrap();
    path
}

fn finding(r: &DatabaseReport, check: Check) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| {
            panic!(
                "no {check:?} in {:#?}",
                r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
            )
        })
}

#[test]
fn a_full_scan_gets_an_index_verified_on_a_copy_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path());
    let bytes_before = std::fs::read(&path).unwrap();
    let mut db = Database::connect(path.to_str().unwrap(), None).unwrap();
    assert_eq!(db.info().kind, EngineKind::Sqlite);
    let workload = db.cumulative().unwrap();
    assert!(matches!(
        workload.source,
        WorkloadSource::Unavailable { .. }
    ));
    let seen = [
        SeenStatement {
            text: "SELECT * FROM orders WHERE customer_id = ?".into(),
            source: SeenSource::Trace { route: "GET /customers/{id}/orders".into(), time_share: Some(0.7), count: 50 },
        },
        SeenStatement {
            text: "SELECT id FROM orders o WHERE o.status = 'paid' AND o.customer_id = 17 ORDER BY o.created_at".into(),
            source: SeenSource::Code { file: "app/orders.py".into(), line: 42, function: Some("paid_orders".into()) },
        },
    ];
    let opts = AnalyseOptions {
        runs: 3,
        analyze: true,
        ..AnalyseOptions::default()
    };
    let report = db.analyse(Some(&workload), &seen, &opts);

    let s = report
        .statement(fingerprint("SELECT * FROM orders WHERE customer_id = ?"))
        .unwrap();
    let plan = s.plan.as_ref().unwrap();
    assert_eq!(plan.method, PlanMethod::QueryPlan);
    assert_eq!(plan.lines, ["SCAN orders"]);
    assert!(
        !plan.statement.contains('?'),
        "a representative value was bound: {}",
        plan.statement
    );
    let issue = &plan.issues[0];
    assert_eq!(
        (issue.kind, issue.rows_read),
        (IssueKind::SeqScan, Some(300_000.0))
    );
    assert_eq!(
        issue.rows_returned,
        Some(60.0),
        "measured with --analyze on the read-only file"
    );
    let a = &s.indexes[0];
    assert!(a.recommended, "{}", a.reason);
    let v = a.verification.as_ref().unwrap();
    assert_eq!(v.method, VerifyMethod::FileCopy);
    assert!(
        v.index_used && v.plan_after.contains("USING INDEX the new index"),
        "{v:?}"
    );
    assert!(v.before > 5.0 * v.after, "{v:?}");
    eprintln!("file copy: {}", describe_verification(v));
    let f = report
        .findings
        .iter()
        .find(|f| f.check == Check::SeqScan && f.statement == Some(s.fingerprint))
        .unwrap();
    assert_eq!(
        f.fix.as_ref().unwrap().sql,
        "CREATE INDEX orders_customer_id_idx ON orders (customer_id);"
    );

    // The statement from the code: equality on status and customer_id, then the ORDER BY.
    let s2 = report
        .statements
        .iter()
        .find(|s| s.normalized.contains("status"))
        .unwrap();
    let a2 = s2
        .indexes
        .iter()
        .find(|a| a.recommended)
        .expect("a verified index for the code's statement");
    assert_eq!(
        a2.candidate.columns,
        ["status", "customer_id", "created_at"]
    );

    let fk = finding(&report, Check::ForeignKeyIndex);
    assert_eq!(fk.severity, Severity::Medium);
    assert!(
        fk.title.contains("orders(customer_id) → customers"),
        "{}",
        fk.title
    );
    assert_eq!(
        finding(&report, Check::JournalMode)
            .fix
            .as_ref()
            .unwrap()
            .sql,
        "PRAGMA journal_mode = WAL;"
    );
    let pragmas = finding(&report, Check::ConnectionPragmas);
    assert!(pragmas.heuristic && pragmas.fix.as_ref().unwrap().applies == Applies::PerConnection);
    assert!(finding(&report, Check::Fragmentation)
        .title
        .contains("free"));
    assert_eq!(report.tables[0].name, "orders");
    assert_eq!(report.tables[0].rows, 300_000);
    assert!(report.tables[0].bytes > 1 << 20);

    drop(db);
    assert!(
        std::fs::read(&path).unwrap() == bytes_before,
        "the database file changed"
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        left,
        ["shop.sqlite3"],
        "no journal, WAL or copy left beside it"
    );
}

#[test]
fn a_wal_database_in_use_is_copied_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path());
    // The application keeps its connection open in WAL mode with a write not yet checkpointed.
    let app = Connection::open(&path).unwrap();
    app.execute_batch("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE INDEX orders_status_idx ON orders (status);")
        .unwrap();
    let mut db = Database::connect(path.to_str().unwrap(), None).unwrap();
    let seen = [SeenStatement {
        text: "SELECT count(*) FROM orders WHERE customer_id = 42".into(),
        source: SeenSource::User {
            origin: "q.sql:1".into(),
        },
    }];
    let report = db.analyse(
        None,
        &seen,
        &AnalyseOptions {
            runs: 3,
            ..AnalyseOptions::default()
        },
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.check != Check::JournalMode),
        "WAL is reported as such"
    );
    let a = &report.statements[0].indexes[0];
    assert!(a.recommended, "{}", a.reason);
    // The copy saw the application's uncheckpointed index.
    assert!(
        report
            .tables
            .iter()
            .any(|t| t.name == "orders" && t.indexes == 1),
        "{:?}",
        report.tables
    );
}

#[test]
fn files_that_are_not_databases_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database, just text that is long enough").unwrap();
    let err = Database::connect(text.to_str().unwrap(), None)
        .err()
        .unwrap();
    assert!(matches!(err, DbError::Open { .. }), "{err}");
    assert!(
        err.to_string().contains("not an SQLite 3 database"),
        "{err}"
    );
    let err = Database::connect("missing.sqlite3", Some(dir.path()))
        .err()
        .unwrap();
    assert!(err.to_string().contains("is not a file"), "{err}");
}
