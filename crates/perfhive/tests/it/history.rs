//! The history: every run stored, SIGKILL-safe, listed, searched, pruned, change points.

use crate::{perfhive, target, tempdir};
use perfhive_store::{RunState, Store};
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
    assert_eq!(rows[0].status, RunState::Incomplete);
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
    // `history --changes` prints what `history changes` does
    let o = ph(
        &db,
        &["history", "--changes", "step", "--metric", "work/wall_s"],
    );
    assert_eq!(stdout(&o), text);
}

/// Investigates `sleep $(cat delay)` (one command line, whose speed the file sets) with the
/// plan `nap`, stored in `db`.
fn investigate_nap(dir: &Path, db: &Path, delay: &str) -> std::process::Output {
    std::fs::write(dir.join("delay"), delay).unwrap();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        "name: nap\ntarget:\n  command: \"sleep $(cat delay)\"\nload: { runs: 6, warmup: 0 }\ninvestigators:\n  load: {}\n",
    )
    .unwrap();
    perfhive()
        .current_dir(dir)
        .arg("--history")
        .arg(db)
        .args(["investigate", "plan.yaml", "--out-dir"])
        .arg(dir.join("reports"))
        .output()
        .unwrap()
}

#[test]
fn history_show_presents_an_investigation_and_compare_uses_its_baseline() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    for delay in ["0.01", "0.06"] {
        let o = investigate_nap(&dir, &db, delay);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let list = stdout(&ph(&db, &["history"]));
    assert!(
        list.contains("investigation") && list.contains("nap"),
        "{list}"
    );
    let shown = ph(&db, &["history", "show", "2"]);
    let text = stdout(&shown);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(text.contains("run 2  investigation  nap  passed"), "{text}");
    assert!(
        text.contains("report ") && text.contains("report.html"),
        "{text}"
    );
    let report = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("report "))
        .and_then(|l| l.split(" (").next())
        .unwrap();
    assert!(Path::new(report).is_file(), "{report}");
    assert!(text.contains("where the time goes"), "{text}");
    assert!(
        text.contains("P0") || text.contains("no P0 recommendation"),
        "{text}"
    );
    assert!(text.contains("investigators: command"), "{text}");
    // the obvious next command works: the two investigations of plan `nap`, by their baselines
    let o = ph(
        &db,
        &["compare", "latest~1", "latest", "--fail-on-regression"],
    );
    let text = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // the command investigator names its command `current`
    assert!(
        text.contains("current/wall_s") && text.contains("REGRESSED"),
        "{text}"
    );
}

#[test]
fn the_history_table_fits_its_columns() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    let mut s = Store::open(&db).unwrap();
    for (kind, branch, name) in [
        (perfhive_core::RecordKind::Investigation, "main", "checkout"),
        (
            perfhive_core::RecordKind::Bench,
            "feature/faster-parser",
            "parse",
        ),
    ] {
        let id = s
            .begin_run(&perfhive_store::NewRun {
                kind,
                name: name.into(),
                started_at: perfhive_store::now_rfc3339(),
                git_commit: Some("0123456789abcdef".into()),
                git_branch: Some(branch.into()),
                host: "h".into(),
                fingerprint: serde_json::json!({}),
                tags: vec![],
                notes: String::new(),
            })
            .unwrap();
        s.finish_run(
            id,
            perfhive_core::RunStatus::Passed,
            &serde_json::json!({}),
            &[],
        )
        .unwrap();
    }
    let text = stdout(&ph(&db, &["history"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("kind") && lines[0].contains("branch") && lines[0].contains("commit"),
        "{text}"
    );
    // the whole kind and a readable branch, each in its own column, aligned
    assert!(
        lines[1].contains(" bench ")
            && lines[1].contains("feature/faster-parser")
            && lines[1].contains("01234567"),
        "{text}"
    );
    assert!(
        lines[2].contains(" investigation ") && lines[2].contains(" main "),
        "{text}"
    );
    let col = |l: &str, word: &str| l.find(word).unwrap();
    assert_eq!(
        col(lines[1], "01234567"),
        col(lines[2], "01234567"),
        "{text}"
    );
    assert!(!text.contains("@m"), "{text}");
}
