//! PostgreSQL scenarios about sessions and statement statistics: activity sampling without
//! pg_stat_statements (and a server without its preload), the application's pool, and clear
//! errors for bad DSNs and unreachable servers.

use super::{finding, fresh_db, opts, support};
use perfhive_database::*;
use std::time::Duration;
use support::Cluster;

pub fn sampling_without_statement_statistics(c: &Cluster) {
    c.psql("postgres", "CREATE DATABASE noext");
    c.psql(
        "noext",
        "CREATE TABLE slow (id int); INSERT INTO slow SELECT generate_series(1, 1000)",
    );
    let mut db = Database::connect(&c.dsn("noext"), None).unwrap();
    assert!(!db
        .info()
        .capabilities
        .iter()
        .any(|c| c == "pg_stat_statements"));
    let window = db.begin_window(Duration::from_millis(20)).unwrap();
    c.pgbench(
        "noext",
        "SELECT pg_sleep(0.15), count(*) FROM slow;\n",
        &["-c", "2", "-j", "2", "-t", "5"],
    );
    let workload = db.end_window(window).unwrap();
    assert!(
        matches!(workload.source, WorkloadSource::ActivitySampling { .. }),
        "{:?}",
        workload.source
    );
    let s = workload
        .statements
        .iter()
        .find(|s| s.normalized.contains("pg_sleep"))
        .expect("sampled statement");
    assert!(s.estimated);
    assert!(
        (5..=10).contains(&s.calls),
        "10 executions of 150 ms, each seen: {}",
        s.calls
    );
    assert!(s.total_ms >= 500.0, "{}", s.total_ms);
    let report = db.analyse(Some(&workload), &[], &opts(VerifyMode::Off, false));
    let f = finding(&report, Check::StatementStatistics);
    let fix = f.fix.as_ref().unwrap();
    assert_eq!(fix.sql, "CREATE EXTENSION pg_stat_statements;");
    assert_eq!(fix.applies, Applies::Online);
    assert!(f.detail.contains("fell back to sampling"), "{}", f.detail);
    // sampled numbers have no rows or blocks: the reports say estimated, not "0 rows"
    let (mut term, mut md) = (Vec::new(), Vec::new());
    render::terminal(&report, &mut term, false).unwrap();
    render::markdown(&report, &mut md).unwrap();
    let (term, md) = (
        String::from_utf8(term).unwrap(),
        String::from_utf8(md).unwrap(),
    );
    let row = term
        .lines()
        .skip_while(|l| !l.contains("rows/call"))
        .find(|l| l.contains("pg_sleep"))
        .unwrap_or_else(|| panic!("{term}"));
    assert_eq!(row.split_whitespace().nth(4), Some("-"), "{row}");
    if md.contains("pg_sleep") {
        assert!(!md.contains(" 0 rows ("), "{md}");
    }
    // without a window nothing was sampled, and the finding does not say it was
    let report = db.analyse(None, &[], &opts(VerifyMode::Off, false));
    let f = finding(&report, Check::StatementStatistics);
    assert!(!f.detail.contains("fell back"), "{}", f.detail);
    assert!(f.detail.contains("--window"), "{}", f.detail);
}

pub fn errors_are_clear(c: &Cluster) {
    let closed = perfhive_test_support::free_port();
    let err = Database::connect(
        &format!("postgresql://app:s3cret@127.0.0.1:{closed}/shop"),
        None,
    )
    .err()
    .unwrap();
    let msg = err.to_string();
    assert!(matches!(err, DbError::Connect { .. }), "{msg}");
    assert!(
        msg.contains("cannot connect to postgresql://app@127.0.0.1") && !msg.contains("s3cret"),
        "{msg}"
    );
    let err = Database::connect(
        &format!("postgresql://postgres@127.0.0.1:{}/no_such_db", c.port),
        None,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("no_such_db"), "{err}");
    let err = Database::connect("host=127.0.0.1 port=notaport", None)
        .err()
        .unwrap();
    assert!(matches!(err, DbError::InvalidDsn { .. }), "{err}");
}

/// A server without pg_stat_statements in shared_preload_libraries: the finding gives the
/// line to apply, says it needs a restart, and a window falls back to activity sampling.
#[test]
fn statement_statistics_not_preloaded() {
    let cluster = match support::start(&[("shared_preload_libraries", "''"), ("fsync", "off")]) {
        Ok(c) => c,
        Err(e) => return support::unavailable(&e),
    };
    let mut db = Database::connect(&cluster.dsn("postgres"), None).unwrap();
    let window = db.begin_window(Duration::from_millis(20)).unwrap();
    cluster.pgbench(
        "postgres",
        "SELECT pg_sleep(0.1);\n",
        &["-c", "1", "-t", "3"],
    );
    let workload = db.end_window(window).unwrap();
    assert!(
        matches!(workload.source, WorkloadSource::ActivitySampling { .. }),
        "{:?}",
        workload.source
    );
    let report = db.analyse(Some(&workload), &[], &opts(VerifyMode::Off, false));
    let f = finding(&report, Check::StatementStatistics);
    assert!(
        f.detail.contains("not in shared_preload_libraries"),
        "{}",
        f.detail
    );
    let fix = f.fix.as_ref().unwrap();
    assert!(
        fix.sql
            .starts_with("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';"),
        "{}",
        fix.sql
    );
    assert_eq!(fix.applies, Applies::Restart);
}

pub fn pool_against_sessions(c: &Cluster) {
    fresh_db(c, "shop_p");
    let mut db = Database::connect(&c.dsn("shop_p"), None).unwrap();
    // four clients, each always inside a 200 ms statement: a pool of 4 is full and busy
    let window = db.begin_window(Duration::from_millis(20)).unwrap();
    c.pgbench(
        "shop_p",
        "SELECT pg_sleep(0.2);\n",
        &["-c", "4", "-j", "2", "-t", "5"],
    );
    let workload = db.end_window(window).unwrap();
    let pooled = |pool| AnalyseOptions {
        pool: Some(pool),
        ..opts(VerifyMode::Off, false)
    };
    let report = db.analyse(Some(&workload), &[], &pooled(4));
    let full = report
        .findings
        .iter()
        .find(|f| f.check == Check::Connections && f.subject.as_deref() == Some("pool"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert!(full.title.contains("4 open (pool 4)"), "{}", full.title);
    assert!(
        full.detail.contains("waited for a connection"),
        "{}",
        full.detail
    );
    // a pool of 20 had room
    let report = db.analyse(Some(&workload), &[], &pooled(20));
    assert!(!report
        .findings
        .iter()
        .any(|f| f.subject.as_deref() == Some("pool")));
    // a pool larger than the server's 37 usable connections
    let report = db.analyse(None, &[], &pooled(100));
    let over = report
        .findings
        .iter()
        .find(|f| f.check == Check::Connections && f.title.contains("pool (100)"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert!(over.title.contains("accepts (37)"), "{}", over.title);
    let fix = over.fix.as_ref().unwrap();
    assert_eq!(fix.sql, "ALTER SYSTEM SET max_connections = '113';");
    assert_eq!(fix.applies, Applies::Restart);
}
