//! `perfhive audit db`: an SQLite file made by a real client (Python's sqlite3), every output
//! format, `--fail-on` exit codes, and exit 2 with a clear message for DSNs that name nothing
//! usable and servers that cannot be reached. (The PostgreSQL engine is tested against a real
//! cluster in crates/database/tests/postgres.rs.)

use crate::{perfhive, repo, tempdir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// 50,000 orders of 1,000 customers, a foreign key, no index on orders.customer_id.
fn shop(dir: &Path) -> PathBuf {
    let path = dir.join("shop.db");
    let script = format!(
        "import sqlite3\n\
         c = sqlite3.connect({:?})\n\
         c.executescript('''\n\
         CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n\
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), total REAL);\n\
         ''')\n\
         c.executemany('INSERT INTO customers VALUES (?, ?)', [(i, f'c{{i}}@example.com') for i in range(1, 1001)])\n\
         c.executemany('INSERT INTO orders (customer_id, total) VALUES (?, ?)', [(1 + (i * 7919) % 1000, i % 97) for i in range(50000)])\n\
         c.commit()\n",
        path.display().to_string()
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn audit(args: &[&str]) -> std::process::Output {
    perfhive()
        .args(["audit", "db"])
        .args(args)
        .output()
        .expect("perfhive runs")
}

#[test]
fn audit_db_reports_an_sqlite_file_in_every_format() {
    let d = tempdir();
    let db = shop(&d);
    let queries = d.join("queries.sql");
    std::fs::write(&queries, "-- the slow page\nSELECT * FROM orders WHERE customer_id = 42;\n\nSELECT count(*) FROM customers;\n").unwrap();
    let db_s = db.to_str().unwrap();
    let q = queries.to_str().unwrap();

    let out = audit(&[db_s, "--statements", q, "--runs", "3"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("perfhive audit db") && stdout.contains("SQLite"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✔ CREATE INDEX orders_customer_id_idx ON orders (customer_id);"),
        "{stdout}"
    );
    assert!(
        stdout.contains("on a copy of the database file"),
        "{stdout}"
    );

    let json_path = d.join("audit.json");
    let out = audit(&[
        db_s,
        "--statements",
        q,
        "--runs",
        "3",
        "--format",
        "json",
        "--out",
        json_path.to_str().unwrap(),
        "--fail-on",
        "medium",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the foreign key without an index is medium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("wrote {}", json_path.display()))
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schema/database-report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let stmt = report["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["normalized"] == "SELECT * FROM orders WHERE customer_id = ?")
        .unwrap();
    assert_eq!(
        stmt["seen"][0]["origin"],
        format!("{q}:2"),
        "file:line of the statement"
    );
    assert_eq!(stmt["indexes"][0]["recommended"], true);

    let out = audit(&[
        db_s,
        "--statements",
        q,
        "--runs",
        "3",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# Database audit:")
            && md.contains("## Findings")
            && md.contains("```sql\nCREATE INDEX"),
        "{md}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("findings ("),
        "the summary line on stderr"
    );
}

#[test]
fn audit_db_input_errors_exit_2_with_a_clear_message() {
    let d = tempdir();
    let text = d.join("notes.txt");
    std::fs::write(&text, "definitely not a database file").unwrap();
    let closed = perfhive_test_support::free_port();
    let pg = format!("postgresql://app:s3cret@127.0.0.1:{closed}/shop");
    let cases: [(&[&str], &str); 7] = [
        (&["missing.db"], "invalid DSN `missing.db`"),
        (&["mysql://u@h/db"], "unknown scheme"),
        (&[text.to_str().unwrap()], "not an SQLite 3 database"),
        (&[&pg], "cannot connect to postgresql://app@127.0.0.1"),
        (&["postgresql://u@h/db?sslmode=require"], "no TLS support"),
        (
            &[text.to_str().unwrap(), "--memory", "8GiB"],
            "--memory and --cpus go together",
        ),
        (&[text.to_str().unwrap(), "--pool", "0"], "--pool"),
    ];
    for (args, expected) in cases {
        let out = audit(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: expected `{expected}` in\n{err}"
        );
        assert!(
            !err.contains("s3cret"),
            "the password is never printed: {err}"
        );
    }
    let out = audit(&["x.db", "--statements", d.join("none.sql").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
