use super::*;

fn temp() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "perfhive-store-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d.join("history.db")
}

fn new_run(name: &str, when: &str, branch: &str, notes: &str) -> NewRun {
    NewRun {
        kind: "bench".into(),
        name: name.into(),
        started_at: when.into(),
        git_commit: Some("abc123".into()),
        git_branch: Some(branch.into()),
        host: hostname(),
        fingerprint: serde_json::json!({"cores": 2}),
        tags: vec!["ci".into()],
        notes: notes.into(),
    }
}

#[test]
fn runs_are_stored_listed_found_and_pruned() {
    let path = temp();
    let mut s = Store::open(&path).unwrap();
    let a = s
        .begin_run(&new_run(
            "parse",
            "2026-01-01T00:00:00Z",
            "main",
            "baseline before the cache",
        ))
        .unwrap();
    s.append_sample(a, "cmd", 0, &serde_json::json!({"wall_s": 0.1}))
        .unwrap();
    s.finish_run(
        a,
        "passed",
        &serde_json::json!({"kind": "bench"}),
        &[MetricRow {
            name: "cmd/wall_s".into(),
            unit: "s".into(),
            value: 0.1,
            lower_is_better: true,
        }],
    )
    .unwrap();
    let b = s
        .begin_run(&new_run(
            "parse",
            "2026-02-01T00:00:00Z",
            "feature",
            "added an LRU cache for tokens",
        ))
        .unwrap();
    s.finish_run(
        b,
        "passed",
        &serde_json::json!({}),
        &[MetricRow {
            name: "cmd/wall_s".into(),
            unit: "s".into(),
            value: 0.08,
            lower_is_better: true,
        }],
    )
    .unwrap();

    assert_eq!(s.list(&Filter::default()).unwrap().len(), 2);
    assert_eq!(
        s.list(&Filter {
            branch: Some("main".into()),
            ..Default::default()
        })
        .unwrap()[0]
            .id,
        a
    );
    assert_eq!(
        s.list(&Filter {
            tag: Some("ci".into()),
            ..Default::default()
        })
        .unwrap()
        .len(),
        2
    );
    assert_eq!(
        s.list(&Filter {
            since: Some("2026-01-15T00:00:00Z".into()),
            ..Default::default()
        })
        .unwrap()
        .len(),
        1
    );
    assert_eq!(s.search("lru cache").unwrap()[0].id, b);
    assert_eq!(s.search("baseline").unwrap()[0].id, a);
    assert_eq!(s.latest(Some("parse"), None, None, 0).unwrap(), Some(b));
    assert_eq!(s.latest(Some("parse"), None, None, 1).unwrap(), Some(a));
    assert_eq!(s.latest(None, None, Some("main"), 0).unwrap(), Some(a));
    let hist = s.metric_history("parse", "cmd/wall_s", None).unwrap();
    assert_eq!(hist.iter().map(|h| h.1).collect::<Vec<_>>(), [0.1, 0.08]);
    let got = s.get(a).unwrap().unwrap();
    assert_eq!(got.samples.len(), 1);
    assert!(s
        .annotate(a, &["slow".into()], Some("re-run on a quiet machine"))
        .unwrap());
    assert_eq!(s.search("quiet").unwrap()[0].id, a);

    let mut export = Vec::new();
    assert_eq!(
        s.prune_before("2026-01-15T00:00:00Z", Some(&mut export))
            .unwrap(),
        1
    );
    let line: serde_json::Value =
        serde_json::from_slice(export.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["id"], a);
    assert_eq!(s.list(&Filter::default()).unwrap().len(), 1);
    assert!(s.search("baseline").unwrap().is_empty());
    assert!(s.delete(b).unwrap());
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn a_run_left_running_by_a_dead_process_becomes_incomplete() {
    let path = temp();
    let s = Store::open(&path).unwrap();
    let id = s
        .begin_run(&new_run("soak", "2026-01-01T00:00:00Z", "main", ""))
        .unwrap();
    s.append_point(id, 1.0, &serde_json::json!({"t": 1.0, "requests": 10}))
        .unwrap();
    // pretend a process that does not exist started it
    s.conn
        .execute("UPDATE runs SET pid = 999999999 WHERE id = ?1", [id])
        .unwrap();
    drop(s);
    let s = Store::open(&path).unwrap();
    let run = s.get(id).unwrap().unwrap();
    assert_eq!(run.row.status, "incomplete");
    assert_eq!(run.points.len(), 1);
    assert_eq!(
        s.latest(Some("soak"), None, None, 0).unwrap(),
        None,
        "incomplete runs are not `latest`"
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let path = temp();
    drop(Store::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let path = temp();
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert_eq!(Store::open(&path).unwrap().integrity_check().unwrap(), "ok");
}
