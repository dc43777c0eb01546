//! The history: every run stored, SIGKILL-safe, listed, searched, pruned, change points.

use crate::{perfhive, target, tempdir};
use perfhive_store::Store;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn ph(db: &Path, args: &[&str]) -> std::process::Output {
    perfhive()
        .arg("--history")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn a_run_killed_with_sigkill_leaves_the_history_intact_and_the_partial_run_visible() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let mut child = perfhive()
        .arg("--history")
        .arg(&db)
        .args(["run", &url, "--rate", "200", "--duration", "30s", "-q"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let rows = store.list(&Default::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "incomplete");
    let run = store.get(rows[0].id).unwrap().unwrap();
    assert!(run.points.len() >= 2, "{} points", run.points.len());
    let requests: u64 = run
        .points
        .iter()
        .filter_map(|p| p["requests"].as_u64())
        .sum();
    assert!(requests >= 400, "{requests}");

    let shown = ph(&db, &["history", "show", &rows[0].id.to_string()]);
    assert!(shown.status.success());
    let text = stdout(&shown);
    assert!(
        text.contains("incomplete run") && text.contains("requests"),
        "{text}"
    );
}

#[test]
fn runs_are_listed_filtered_searched_and_pruned() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    for (note, tag) in [
        ("baseline before the token cache", "nightly"),
        ("added an LRU token cache", "feature"),
    ] {
        let o = ph(
            &db,
            &[
                "bench", "true", "--runs", "2", "-q", "--name", "parse", "--note", note, "--tag",
                tag,
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let list: Value =
        serde_json::from_slice(&ph(&db, &["history", "list", "--json"]).stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let tagged: Value =
        serde_json::from_slice(&ph(&db, &["history", "--tag", "nightly", "--json"]).stdout)
            .unwrap();
    assert_eq!(tagged.as_array().unwrap().len(), 1);
    let found = stdout(&ph(&db, &["history", "search", "lru"]));
    assert!(
        found.contains("added an LRU token cache") && !found.contains("baseline"),
        "{found}"
    );
    let since: Value =
        serde_json::from_slice(&ph(&db, &["history", "--since", "1h", "--json"]).stdout).unwrap();
    assert_eq!(since.as_array().unwrap().len(), 2);

    let export = dir.join("pruned.jsonl");
    let o = ph(
        &db,
        &[
            "history",
            "prune",
            "--keep-days",
            "0",
            "--export",
            export.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let lines = std::fs::read_to_string(&export).unwrap();
    assert_eq!(lines.lines().count(), 2);
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["record"]["kind"], "bench");
    assert_eq!(stdout(&ph(&db, &["history"])).trim(), "no runs");
}

#[test]
fn change_points_over_the_history() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    for cmd in ["sleep 0.01"; 6].iter().chain(["sleep 0.1"; 6].iter()) {
        let o = ph(
            &db,
            &[
                "bench", cmd, "-n", "work", "--name", "step", "--runs", "3", "-q",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = ph(
        &db,
        &["history", "changes", "step", "--metric", "work/wall_s"],
    );
    let text = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(text.matches("  run ").count(), 1, "{text}");
    let ids: Value = serde_json::from_slice(&ph(&db, &["history", "--json"]).stdout).unwrap();
    let seventh = ids.as_array().unwrap().iter().rev().nth(6).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert!(text.contains(&format!("run {seventh:>5}")), "{text}");
    // the spelling
    let o = ph(
        &db,
        &["history", "--changes", "step", "--metric", "work/wall_s"],
    );
    assert_eq!(stdout(&o), text);
}
