//! Tests of the normaliser and the light parse on real statements: what Django, SQLAlchemy,
//! knex and Sequelize generate (`tests/fixtures/sql/orm.jsonl`, made by `generate.sh`) and
//! what pg_stat_statements recorded for statements sent with literal values
//! (`tests/fixtures/sql/pg_stat_statements.jsonl`, made by `pg_stat_statements.sh`).

use super::*;
use serde_json::Value;

const ORM: &str = include_str!("../../tests/fixtures/sql/orm.jsonl");
const PGSS: &str = include_str!("../../tests/fixtures/sql/pg_stat_statements.jsonl");

fn orm(orm: &str, dialect: &str, name: &str) -> String {
    ORM.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["orm"] == orm && v["dialect"] == dialect && v["name"] == name)
        .unwrap_or_else(|| panic!("no fixture {orm}/{dialect}/{name}"))["sql"]
        .as_str()
        .unwrap()
        .to_string()
}

fn n(sql: &str) -> String {
    normalize(sql).text
}

fn col(table: &str, column: &str) -> ColumnRef {
    ColumnRef {
        table: Some(table.into()),
        column: column.into(),
    }
}

#[test]
fn every_statement_pg_stat_statements_recorded_matches_what_was_sent() {
    let mut checked = 0;
    for line in PGSS.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (sent, recorded) = (v["sent"].as_str().unwrap(), v["recorded"].as_str().unwrap());
        assert_eq!(
            normalize(sent),
            normalize(recorded),
            "\nsent:     {sent}\nrecorded: {recorded}"
        );
        checked += 1;
    }
    assert!(checked >= 14);
}

#[test]
fn normalised_text_of_real_statements() {
    assert_eq!(
        n(&orm("django", "postgresql", "orders_of_customer")),
        "SELECT shop_order.id, shop_order.customer_id, shop_order.status, shop_order.total, \
         shop_order.created_at FROM shop_order WHERE shop_order.customer_id = ?"
    );
    assert_eq!(
        n(&orm("knex", "postgresql", "recent_orders")),
        "SELECT id, total FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?"
    );
    assert_eq!(
        n(&orm("sequelize", "postgresql", "orders_by_status")),
        r#"SELECT * FROM "Orders" AS "Order" WHERE "Order".status IN (?) AND "Order".total >= ?"#
    );
    assert_eq!(
        n(&orm("sqlalchemy", "postgresql", "bulk_insert")),
        "INSERT INTO orders (customer_id, status) VALUES (?, ?)"
    );
    assert_eq!(
        n(&orm("django", "postgresql", "name_prefix")),
        "SELECT shop_customer.id, shop_customer.name, shop_customer.email FROM shop_customer \
         WHERE (shop_customer.name::text LIKE ? AND NOT (shop_customer.email IS NULL))"
    );
}

#[test]
fn one_statement_through_different_drivers_has_one_fingerprint() {
    // (recent_orders differs: SQLAlchemy's SQLite dialect adds `OFFSET ?`.)
    for name in [
        "orders_of_customer",
        "orders_by_status",
        "orders_by_email",
        "mark_shipped",
        "busy_customers",
        "bulk_insert",
    ] {
        let a = orm("sqlalchemy", "postgresql", name);
        let b = orm("sqlalchemy", "sqlite", name);
        assert_eq!(
            fingerprint(&a),
            fingerprint(&b),
            "sqlalchemy {name}:\n{a}\n{b}"
        );
    }
    for name in [
        "orders_of_customer",
        "recent_orders",
        "orders_by_status",
        "orders_by_email",
        "mark_shipped",
    ] {
        let a = orm("knex", "postgresql", name);
        let b = orm("knex", "sqlite", name);
        assert_eq!(fingerprint(&a), fingerprint(&b), "knex {name}:\n{a}\n{b}");
    }
    // knex's `$1` and a hand-written statement with a literal, spaced and cased differently.
    assert_eq!(
        fingerprint(&orm("knex", "postgresql", "orders_of_customer")),
        fingerprint("select *\n  from orders\n where customer_id = 42;  -- the slow one")
    );
    // The value list's length does not matter.
    assert_eq!(
        fingerprint("SELECT * FROM orders WHERE status IN ('a')"),
        fingerprint("select * from orders where status in ($1, $2, $3)")
    );
}

#[test]
fn different_statements_have_different_fingerprints() {
    let all: Vec<String> = ORM
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["sql"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut by_fp: std::collections::BTreeMap<Fingerprint, String> = Default::default();
    for s in &all {
        let norm = n(s);
        if let Some(other) = by_fp.insert(fingerprint(s), norm.clone()) {
            assert_eq!(other, norm, "fingerprint collision");
        }
    }
    assert_ne!(
        fingerprint("SELECT * FROM orders WHERE customer_id = 1"),
        fingerprint("SELECT * FROM orders WHERE customer_id > 1")
    );
    assert_ne!(
        fingerprint("SELECT a FROM t"),
        fingerprint(r#"SELECT "A" FROM t"#)
    );
}

#[test]
fn literals_comments_and_signs() {
    assert_eq!(
        n("SELECT /* hint */ 'it''s', E'a\\'b', $$x$$, -1.5e3, 0x1F FROM t -- end"),
        "SELECT ?, ?, ?, ?, ? FROM t"
    );
    assert_eq!(
        n("SELECT a - 1 FROM t WHERE b = -2"),
        "SELECT a - ? FROM t WHERE b = ?"
    );
    assert_eq!(
        n("select a from t where b != 1;;"),
        "SELECT a FROM t WHERE b <> ?"
    );
    assert_eq!(
        n("SELECT * FROM t WHERE x = ANY(ARRAY[1,2,3])"),
        "SELECT * FROM t WHERE x = ANY (ARRAY[?])"
    );
    assert_eq!(n("SELECT 1; SELECT 2"), "SELECT ?; SELECT ?");
    assert_eq!(
        n("SELECT * FROM t WHERE d > :since AND e = @p AND f = ?3"),
        "SELECT * FROM t WHERE d > ? AND e = ? AND f = ?"
    );
    assert_eq!(
        fingerprint("").to_string(),
        format!("{:016x}", 0xcbf2_9ce4_8422_2325u64)
    );
}

#[test]
fn fingerprint_round_trips_through_text_and_json() {
    let f = fingerprint("SELECT 1");
    assert_eq!(f.to_string().parse::<Fingerprint>().unwrap(), f);
    let j = serde_json::to_string(&f).unwrap();
    assert_eq!(serde_json::from_str::<Fingerprint>(&j).unwrap(), f);
    assert_eq!(j.len(), 18);
}

#[test]
fn shape_of_a_join_with_aliases() {
    let s = shape(&orm("django", "postgresql", "orders_by_email"));
    assert_eq!(s.kind, StatementKind::Select);
    let names: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["shop_order", "shop_customer"]);
    assert_eq!(
        s.joins,
        [Join {
            left: col("shop_order", "customer_id"),
            right: col("shop_customer", "id")
        }]
    );
    assert_eq!(s.predicates.len(), 1);
    assert_eq!(s.predicates[0].column, col("shop_customer", "email"));
    assert_eq!(s.predicates[0].op, PredicateOp::Eq);
    assert_eq!(s.predicates[0].params, [0]);

    let s = shape("SELECT o.id, c.name FROM orders o JOIN customers AS c ON o.customer_id = c.id WHERE c.email = $1 AND o.total > 10");
    assert_eq!(s.tables[0].alias.as_deref(), Some("o"));
    assert_eq!(s.join_columns_of("orders"), ["customer_id"]);
    assert_eq!(
        s.predicates_on("orders").map(|p| p.op).collect::<Vec<_>>(),
        [PredicateOp::Range]
    );
}

#[test]
fn shape_resolves_quoted_aliases_and_unqualified_columns() {
    let s = shape(&orm("sequelize", "postgresql", "recent_orders"));
    assert_eq!(s.tables[0].name, "Orders");
    assert_eq!(s.tables[0].alias.as_deref(), Some("Order"));
    assert_eq!(s.predicates[0].column, col("Orders", "customerId"));
    assert_eq!(s.order_by, [col("Orders", "createdAt")]);

    let s = shape(&orm("knex", "sqlite", "recent_orders"));
    assert_eq!(s.predicates[0].column, col("orders", "customer_id"));
    assert_eq!(s.order_by, [col("orders", "created_at")]);
    assert_eq!(
        s.params,
        [
            ParamRole::Compared {
                column: col("orders", "customer_id"),
                op: PredicateOp::Eq
            },
            ParamRole::Limit
        ]
    );
}

#[test]
fn shape_of_in_between_like_null_and_writes() {
    let s = shape(&orm("knex", "postgresql", "orders_by_status"));
    let ops: Vec<(String, PredicateOp, Vec<usize>)> = s
        .predicates
        .iter()
        .map(|p| (p.column.column.clone(), p.op, p.params.clone()))
        .collect();
    assert_eq!(
        ops,
        [
            ("status".into(), PredicateOp::In, vec![0, 1]),
            ("total".into(), PredicateOp::Range, vec![2])
        ]
    );

    let s = shape(&orm("django", "postgresql", "name_prefix"));
    let ops: Vec<(String, PredicateOp)> = s
        .predicates
        .iter()
        .map(|p| (p.column.column.clone(), p.op))
        .collect();
    assert_eq!(
        ops,
        [
            ("name".into(), PredicateOp::Like),
            ("email".into(), PredicateOp::IsNull)
        ]
    );

    let s = shape(
        "SELECT * FROM orders WHERE total BETWEEN $1 AND $2 AND customer_id = ANY($3::int[])",
    );
    assert_eq!(s.predicates[0].op, PredicateOp::Range);
    assert_eq!(s.predicates[0].params, [0, 1]);
    assert_eq!(s.predicates[1].op, PredicateOp::In);

    let s = shape(&orm("sqlalchemy", "postgresql", "mark_shipped"));
    assert_eq!(s.kind, StatementKind::Update);
    assert_eq!(s.tables[0].name, "orders");
    assert_eq!(s.params[0], ParamRole::Other);
    assert_eq!(s.predicates[0].column, col("orders", "id"));

    let s = shape("DELETE FROM orders WHERE created_at < now() - interval '1 year'");
    assert_eq!(s.kind, StatementKind::Delete);
    // Statements that write, whatever SELECT they hold, are not queries.
    for sql in [
        "CREATE TABLE orders_copy AS SELECT * FROM orders",
        "SELECT * INTO orders_copy FROM orders",
        "EXPLAIN SELECT * FROM orders",
        "COPY (SELECT * FROM orders) TO STDOUT",
    ] {
        assert_eq!(shape(sql).kind, StatementKind::Other, "{sql}");
    }
    assert_eq!(
        shape("(SELECT 1 FROM t) UNION (SELECT 2 FROM u)").kind,
        StatementKind::Select
    );
    let s = shape(&orm("knex", "postgresql", "bulk_insert"));
    assert_eq!(
        (s.kind, s.tables[0].name.as_str()),
        (StatementKind::Insert, "orders")
    );
    assert!(s.predicates.is_empty());
}

#[test]
fn shape_scopes_subqueries_and_ctes() {
    let s = shape(
        "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') \
         SELECT customer_id, sum(total) FROM recent WHERE customer_id IN \
         (SELECT id FROM customers WHERE email = ?) GROUP BY customer_id",
    );
    assert_eq!(s.kind, StatementKind::Select);
    let t: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(t, ["orders", "recent", "customers"]);
    // `created_at` in the CTE belongs to orders; `email` to customers, not to recent.
    assert_eq!(s.predicates[0].column, col("orders", "created_at"));
    assert_eq!(
        s.predicates.last().unwrap().column,
        col("customers", "email")
    );
    // Two tables at one level: an unqualified column is not guessed.
    let s = shape("SELECT * FROM a, b WHERE x = 1 AND a.y = b.y");
    assert_eq!(s.predicates[0].column.table, None);
    assert_eq!(s.joins.len(), 1);
}

#[test]
fn columns_of_plan_conditions() {
    let s = predicate_columns("((status)::text = 'shipped'::text)");
    assert_eq!(s.predicates[0].column.column, "status");
    assert_eq!(s.predicates[0].op, PredicateOp::Eq);
    let s = predicate_columns(
        "((customer_id = 42) AND (created_at > '2024-01-01 00:00:00+00'::timestamp with time zone))",
    );
    let c: Vec<(&str, PredicateOp)> = s
        .predicates
        .iter()
        .map(|p| (p.column.column.as_str(), p.op))
        .collect();
    assert_eq!(
        c,
        [
            ("customer_id", PredicateOp::Eq),
            ("created_at", PredicateOp::Range)
        ]
    );
    let s = predicate_columns("((name)::text ~~ 'Ann%'::text)");
    assert_eq!(s.predicates[0].op, PredicateOp::Like);
    let s = predicate_columns("(o.customer_id = c.id)");
    assert_eq!(s.joins[0].left, col("o", "customer_id"));
    let s = predicate_columns("(lower(email) = 'x'::text)");
    assert!(
        s.predicates.is_empty(),
        "a column under a function is not an index column"
    );
}

#[test]
fn scripts_split_on_top_level_semicolons() {
    let script = "-- report queries\nSELECT 'a;b' FROM t;\n\n/* two */ SELECT $$;$$;\n  -- only a comment\n;\nSELECT 3";
    let st = split_statements(script);
    let got: Vec<(&str, usize)> = st.iter().map(|s| (s.text.as_str(), s.line)).collect();
    assert_eq!(
        got,
        [
            ("SELECT 'a;b' FROM t", 2),
            ("SELECT $$;$$", 4),
            ("SELECT 3", 7)
        ]
    );
}

#[test]
fn bind_replaces_parameters_in_order() {
    assert_eq!(
        bind(
            "SELECT * FROM t WHERE a = $1 AND b IN (?, :x) LIMIT %s",
            &["1".into(), "'x'".into(), "2".into(), "10".into()]
        )
        .unwrap(),
        "SELECT * FROM t WHERE a = 1 AND b IN ('x', 2) LIMIT 10"
    );
    assert_eq!(bind("SELECT $1, $2", &["1".into()]), None);
    assert_eq!(placeholder_count("SELECT '?' , ?, $1 -- ?"), 2);
    assert_eq!(quote_literal("it's"), "'it''s'");
    assert_eq!(quote_ident("orders"), "orders");
    assert_eq!(quote_ident("Orders"), "\"Orders\"");
    assert_eq!(quote_ident("order"), "\"order\"");
}

#[test]
fn normalising_twice_changes_nothing() {
    for line in ORM.lines().chain(PGSS.lines()) {
        let v: Value = serde_json::from_str(line).unwrap();
        for key in ["sql", "sent", "recorded"] {
            if let Some(s) = v[key].as_str() {
                let once = normalize(s);
                assert_eq!(normalize(&once.text), once, "{s}");
            }
        }
    }
}

#[test]
fn arbitrary_input_never_panics() {
    // Fragments of SQL glued at random (a seeded LCG), cut at random byte offsets.
    let parts = [
        "SELECT", " ", "'", "\"", "`", "$1", "$$", "$a$", "(", ")", "[", "]", "::", "--", "/*",
        "*/", "?", ":x", "%s", "%(", "@", "é", "E'", "\\", ",", ";", "IN", "VALUES", "FROM", "t",
        ".", "=", "-", "1.5e", "WHERE", "BETWEEN", "AND", "IS", "NOT", "INTO", "JOIN", "ON",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..(x % 24) {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push_str(parts[(x >> 33) as usize % parts.len()]);
        }
        let _ = normalize(&s);
        let _ = shape(&s);
        let _ = predicate_columns(&s);
        let _ = split_statements(&s);
        let cut = (x as usize) % (s.len() + 1);
        if s.is_char_boundary(cut) {
            let _ = normalize(&s[..cut]);
            let _ = shape(&s[..cut]);
        }
    }
}

#[test]
fn every_placeholder_spelling_has_one_fingerprint() {
    // psycopg (`%s`, `%(name)s`), SQLAlchemy text (`:name`), sqlite3 and mysql (`?`),
    // node-postgres (`$1`), SQL Server (`@p1`) and a literal: one statement.
    let want = fingerprint("SELECT id FROM orders WHERE customer_id = 42 AND status = 'paid'");
    for sql in [
        "SELECT id FROM orders WHERE customer_id = %s AND status = %s",
        "SELECT id FROM orders WHERE customer_id = %(customer_id)s AND status = %(status)s",
        "SELECT id FROM orders WHERE customer_id = :customer_id AND status = :status",
        "SELECT id FROM orders WHERE customer_id = ? AND status = ?",
        "SELECT id FROM orders WHERE customer_id = $1 AND status = $2",
        "SELECT id FROM orders WHERE customer_id = @p1 AND status = @p2",
    ] {
        assert_eq!(fingerprint(sql), want, "{sql}");
    }
}

/// A `%` that ends the text inside an operator run (found by fuzzing the scanner: it sliced
/// past the end) is an operator character, not a parameter; the named and positional psycopg
/// parameters after an operator are still parameters.
#[test]
fn a_percent_sign_at_the_very_end_is_an_operator() {
    for sql in ["WHERE id =%", "a %", "%", "x <>%", "x =%("] {
        let toks = tokenize(sql);
        assert!(!toks.is_empty(), "{sql}");
        assert!(
            toks.iter().all(|t| t.kind != Kind::Param),
            "{sql}: {toks:?}"
        );
    }
    let toks = tokenize("id =%(id)s AND n =%s");
    let params: Vec<&str> = toks
        .iter()
        .filter(|t| t.kind == Kind::Param)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(params, ["%(id)s", "%s"]);
}
