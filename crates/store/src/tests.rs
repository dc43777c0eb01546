use super::*;
use perfhive_core::record::{RecordKind, RunStatus};

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
        kind: RecordKind::Bench,
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
        RunStatus::Passed,
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
        RunStatus::Passed,
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
    assert_eq!(run.row.status, RunState::Incomplete);
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

#[test]
fn kinds_and_outcomes_are_typed_through_the_store() {
    let path = temp();
    let mut s = Store::open(&path).unwrap();
    let mut run = new_run("checkout", "2026-01-01T00:00:00Z", "main", "");
    run.kind = RecordKind::Investigation;
    let id = s.begin_run(&run).unwrap();
    assert_eq!(s.get(id).unwrap().unwrap().row.status, RunState::Running);
    s.set_artifact(id, Path::new("perfhive-reports/2026-checkout"))
        .unwrap();
    s.finish_run(id, RunStatus::Failed, &serde_json::json!({}), &[])
        .unwrap();
    let row = &s.list(&Filter::default()).unwrap()[0];
    assert_eq!(row.kind, RecordKind::Investigation);
    assert_eq!(row.status, RunState::Failed);
    assert_eq!(row.status.outcome(), Some(RunStatus::Failed));
    assert_eq!(
        row.artifact.as_deref(),
        Some("perfhive-reports/2026-checkout")
    );
    let json = serde_json::to_value(row).unwrap();
    assert_eq!(json["kind"], "investigation");
    assert_eq!(json["status"], "failed");
    let only = |kind| Filter {
        kind: Some(kind),
        ..Default::default()
    };
    assert_eq!(s.list(&only(RecordKind::Investigation)).unwrap().len(), 1);
    assert!(s.list(&only(RecordKind::Load)).unwrap().is_empty());
    assert_eq!(
        s.latest(None, Some(RecordKind::Investigation), None, 0)
            .unwrap(),
        Some(id)
    );
}

#[test]
fn a_version_one_history_is_upgraded_in_place() {
    let path = temp();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(migrations::FIRST).unwrap();
        c.execute(
            "INSERT INTO runs (kind, name, started_at, status, complete) VALUES ('bench', 'old', '2025-01-01T00:00:00Z', 'passed', 1)",
            [],
        )
        .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
    }
    let s = Store::open(&path).unwrap();
    let rows = s.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].artifact, None);
}

/// Makes `dir` read-only for this process for real: by permissions for an ordinary user, by
/// a read-only bind mount for root (whom permissions do not stop). `None` when neither works
/// here (root without the right to mount).
fn read_only_dir(dir: &Path) -> Option<ReadOnlyDir> {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } != 0 {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        return Some(ReadOnlyDir {
            dir: dir.to_path_buf(),
            mounted: false,
        });
    }
    let mount = |args: &[&str]| {
        std::process::Command::new("mount")
            .args(args)
            .arg(dir)
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mount(&["--bind"]) {
        return None;
    }
    let guard = ReadOnlyDir {
        dir: dir.to_path_buf(),
        mounted: true,
    };
    mount(&["-o", "remount,bind,ro"]).then_some(guard)
}

/// Undoes [`read_only_dir`].
struct ReadOnlyDir {
    dir: PathBuf,
    mounted: bool,
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.mounted {
            let _ = std::process::Command::new("umount").arg(&self.dir).status();
        } else {
            let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_read_only_history_is_read_but_never_written() {
    let path = temp();
    let mut s = Store::open(&path).unwrap();
    let id = s
        .begin_run(&new_run("parse", "2026-01-01T00:00:00Z", "main", "kept"))
        .unwrap();
    s.finish_run(
        id,
        RunStatus::Passed,
        &serde_json::json!({"kind": "bench"}),
        &[],
    )
    .unwrap();
    drop(s);
    let Some(_ro) = read_only_dir(path.parent().unwrap()) else {
        return perfhive_test_support::skip(
            "store::tests::a_read_only_history_is_read_but_never_written",
            "for root only a read-only bind mount makes a folder read-only, and mounting needs \
             CAP_SYS_ADMIN",
        );
    };
    let err = Store::open(&path)
        .err()
        .expect("a read-only file is not opened for writing");
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("read-only"), "{err}");
    let s = Store::open_for_reading(&path).unwrap();
    assert!(s.is_read_only());
    assert_eq!(s.list(&Filter::default()).unwrap()[0].id, id);
    assert_eq!(s.search("kept").unwrap()[0].id, id);
    assert!(s.get(id).unwrap().unwrap().record.is_some());
    let err = s
        .begin_run(&new_run("parse", "2026-01-02T00:00:00Z", "main", ""))
        .unwrap_err();
    assert!(err.is_unwritable(), "{err}");
}

/// A tmpfs of `kib` KiB mounted on a fresh folder, unmounted on drop; `None` when this process
/// may not mount (not root, or a container without the capability).
fn small_fs(kib: u64) -> Option<SmallFs> {
    let dir = temp().parent().unwrap().join("fs");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = unsafe { libc::geteuid() } == 0
        && std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(SmallFs { dir })
}

struct SmallFs {
    dir: PathBuf,
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.dir).status();
    }
}

/// Fills the file system holding `dir` until a write fails.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_is_named_as_such() {
    let Some(fs) = small_fs(1024) else {
        return perfhive_test_support::skip(
            "store::tests::a_full_disk_is_named_as_such",
            "a full disk is a small tmpfs, and mounting one needs root with CAP_SYS_ADMIN",
        );
    };
    let path = fs.dir.join("history.db");
    let mut s = Store::open(&path).unwrap();
    let id = s
        .begin_run(&new_run("soak", "2026-01-01T00:00:00Z", "main", ""))
        .unwrap();
    fill(&fs.dir);
    let big = serde_json::json!({ "pad": "x".repeat(256 * 1024) });
    let err = s
        .finish_run(id, RunStatus::Passed, &big, &[])
        .expect_err("no room for the record");
    assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().contains("is full"), "{err}");
    assert!(err.is_unwritable());
    drop(s);
    // what was written before stays readable, even with no room to spare
    let s = Store::open_for_reading(&path).unwrap();
    assert_eq!(s.get(id).unwrap().unwrap().row.status, RunState::Running);
}
