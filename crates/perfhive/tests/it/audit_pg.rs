//! `perfhive audit db` against a throwaway PostgreSQL cluster, as a user runs it: a window
//! around a real client's load (pgbench) with the verified index in the JSON report, and
//! Ctrl-C during a window ending it early with what it measured (exit 130).

#[path = "../../../database/tests/support/mod.rs"]
mod support;

use crate::perfhive;
use serde_json::Value;
use std::time::{Duration, Instant};

const SETUP: &str = "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL);
INSERT INTO orders (customer_id, total) SELECT 1 + (g * 7919) % 2000, g % 100 FROM generate_series(1, 100000) g;
ANALYZE orders;
CREATE EXTENSION pg_stat_statements;";

#[test]
fn a_window_around_pgbench_finds_the_scan_and_ctrl_c_keeps_what_it_measured() {
    let _serial = crate::exclusive();
    let cluster = match support::start(&[("fsync", "off")]) {
        Ok(c) => c,
        Err(e) => return support::unavailable(&e),
    };
    cluster.psql("postgres", "CREATE DATABASE shop");
    cluster.psql("shop", SETUP);
    let dsn = cluster.dsn("shop");

    // a 3 s window while pgbench looks orders up by customer
    let child = perfhive()
        .args(["audit", "db", &dsn, "--window", "3s", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    cluster.pgbench(
        "shop",
        "\\set cid random(1, 2000)\nSELECT * FROM orders WHERE customer_id = :cid;\n",
        &["-M", "prepared", "-c", "2", "-j", "2", "-t", "20"],
    );
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(
        report["workload"]["source"]["kind"], "pg_stat_statements",
        "{report:#}"
    );
    let by_customer = report["workload"]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["normalized"]
                .as_str()
                .is_some_and(|n| n.contains("FROM orders WHERE customer_id ="))
        })
        .unwrap_or_else(|| panic!("{:#}", report["workload"]));
    assert_eq!(
        by_customer["calls"], 40,
        "the window's own calls: 2 clients × 20"
    );
    let advised = report["statements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["indexes"].as_array().cloned().unwrap_or_default())
        .find(|a| a["recommended"] == true)
        .unwrap_or_else(|| panic!("{:#}", report["statements"]));
    assert_eq!(
        advised["candidate"]["columns"][0], "customer_id",
        "{advised:#}"
    );
    // nothing it did is left in the database
    assert_eq!(
        cluster.psql(
            "shop",
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"
        ),
        "1",
        "only the primary key"
    );

    // Ctrl-C one second into a 60 s window: the audit goes on with what it sampled, exits 130
    let child = perfhive()
        .args(["audit", "db", &dsn, "--window", "60s", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let sent = Instant::now();
    // SAFETY: kill(2) on the child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "{:?}",
        sent.elapsed()
    );
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    let window = report["workload"]["duration_s"].as_f64().unwrap();
    assert!(window < 10.0, "the window ended at the signal: {window} s");
}
