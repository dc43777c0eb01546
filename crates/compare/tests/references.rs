//! Resolving `latest~1`, `latest@BRANCH`, ids and files against a real history database, and
//! comparing investigations through their baselines.

use perfhive_compare::{resolve, resolve_pair, ReferenceError, Scope};
use perfhive_core::record::{RecordKind, RunStatus};
use perfhive_store::{NewRun, Store};
use serde_json::{json, Value};
use std::path::PathBuf;

fn temp_db() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "perfhive-compare-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d.join("history.db")
}

fn summary(xs: &[f64]) -> Value {
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    json!({"n": xs.len(), "mean": mean, "stdev": 0.0, "median": mean, "median_ci": [mean, mean],
           "min": mean, "max": mean})
}

/// A bench record of one command whose runs took `walls` seconds.
fn bench(name: &str, command: &str, walls: &[f64]) -> Value {
    let runs: Vec<Value> = walls
        .iter()
        .map(|w| {
            json!({"wall_s": w, "user_s": 0.0, "system_s": 0.0, "max_rss_kb": 1024,
                        "voluntary_cs": 0, "involuntary_cs": 0, "exit_code": 0})
        })
        .collect();
    json!({
        "schema_version": "1.0.0", "kind": "bench", "tool": {"name": "perfhive", "version": "0"},
        "name": name, "date": "2026-01-01T00:00:00Z", "duration_s": 1.0, "status": "passed",
        "metric": "wall", "interleaved": true,
        "commands": [{"name": command, "command": command, "runs": runs, "wall_s": summary(walls),
                      "user_s": summary(&[0.0]), "system_s": summary(&[0.0]), "max_rss_mb": summary(&[1.0]),
                      "outliers": [], "failures": 0}],
        "comparisons": []
    })
}

fn store_run(s: &mut Store, kind: RecordKind, name: &str, branch: &str, record: &Value) -> i64 {
    let id = s
        .begin_run(&NewRun {
            kind,
            name: name.into(),
            started_at: perfhive_store::now_rfc3339(),
            git_commit: Some("abc".into()),
            git_branch: Some(branch.into()),
            host: "h".into(),
            fingerprint: json!({}),
            tags: vec![],
            notes: String::new(),
        })
        .unwrap();
    s.finish_run(id, RunStatus::Passed, record, &[]).unwrap();
    id
}

fn walls(base: f64) -> Vec<f64> {
    (0..10).map(|i| base + i as f64 * 1e-4).collect()
}

#[test]
fn latest_pairs_share_the_latest_runs_name_and_kind() {
    let path = temp_db();
    let mut s = Store::open(&path).unwrap();
    let nap1 = store_run(
        &mut s,
        RecordKind::Bench,
        "nap",
        "main",
        &bench("nap", "nap", &walls(0.1)),
    );
    let _other = store_run(
        &mut s,
        RecordKind::Bench,
        "parse",
        "main",
        &bench("parse", "p", &walls(1.0)),
    );
    let nap2 = store_run(
        &mut s,
        RecordKind::Bench,
        "nap",
        "feature",
        &bench("nap", "nap", &walls(0.2)),
    );
    let (b, n) = resolve_pair("latest~1", "latest", Some(&s), &Scope::default()).unwrap();
    assert_eq!(
        (b.label.as_str(), n.label.as_str()),
        (
            format!("run {nap1}").as_str(),
            format!("run {nap2}").as_str()
        )
    );
    // `latest@main` is the newest run on main *of the same benchmark*
    let (b, _) = resolve_pair("latest@main", "latest", Some(&s), &Scope::default()).unwrap();
    assert_eq!(b.label, format!("run {nap1}"));
    // an id on one side scopes the other side's `latest`
    let (_, n) = resolve_pair("2", "latest", Some(&s), &Scope::default()).unwrap();
    assert_eq!(n.label, "run 2");
    // `--name` wins
    let scope = Scope {
        name: Some("parse".into()),
        ..Default::default()
    };
    let err = resolve_pair("latest~1", "latest", Some(&s), &scope).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no complete run matches `latest~1` among runs named `parse`"),
        "{msg}"
    );
    assert!(msg.contains("it has 1 such run: 2"), "{msg}");
    assert!(
        msg.contains("Recent runs:") && msg.contains("perfhive compare"),
        "{msg}"
    );
}

#[test]
fn a_lone_run_says_which_runs_could_be_compared() {
    let path = temp_db();
    let mut s = Store::open(&path).unwrap();
    store_run(
        &mut s,
        RecordKind::Bench,
        "parse",
        "main",
        &bench("parse", "p", &walls(1.0)),
    );
    store_run(
        &mut s,
        RecordKind::Bench,
        "nap",
        "main",
        &bench("nap", "nap", &walls(0.1)),
    );
    let err = resolve_pair("latest~1", "latest", Some(&s), &Scope::default()).unwrap_err();
    assert!(matches!(err, ReferenceError::NotFound(_)));
    let msg = err.to_string();
    assert!(msg.contains("named `nap` of kind bench"), "{msg}");
    // no two runs of one name to suggest: ids of different benchmarks are not offered
    assert!(!msg.contains("perfhive compare 1 2"), "{msg}");
    assert!(msg.contains("Name two runs of one name by id, or"), "{msg}");
    assert!(msg.contains("--name NAME"), "{msg}");
    // with a second run of `parse`, the suggestion names the two runs of `parse`
    store_run(
        &mut s,
        RecordKind::Bench,
        "parse",
        "main",
        &bench("parse", "p", &walls(1.0)),
    );
    let scope = Scope {
        name: Some("nap".into()),
        ..Default::default()
    };
    let msg = resolve_pair("latest~1", "latest", Some(&s), &scope)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("(`perfhive compare 1 3`)"), "{msg}");
}

/// Two ids of investigations of different plans are refused, with both plans named and how to
/// name two investigations of one; two ids of one plan compare, and so do benchmarks of
/// different names.
#[test]
fn investigations_of_different_plans_are_not_compared() {
    let path = temp_db();
    let mut s = Store::open(&path).unwrap();
    for (name, wall) in [("shop", 0.1), ("catalog", 0.1), ("shop", 0.2)] {
        store_run(
            &mut s,
            RecordKind::Investigation,
            name,
            "main",
            &investigation(name, wall, true),
        );
    }
    let err = resolve_pair("1", "2", Some(&s), &Scope::default()).unwrap_err();
    assert!(matches!(err, ReferenceError::DifferentPlans(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "run 1 and run 2 are investigations of different plans, `shop` and `catalog`"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("`perfhive compare latest~1 latest --name catalog`")
            && msg.contains("`perfhive history --kind investigation --name catalog`"),
        "{msg}"
    );
    // `latest` on one side takes the other side's name: no mismatch
    let (b, n) = resolve_pair("1", "latest", Some(&s), &Scope::default()).unwrap();
    assert_eq!((b.label.as_str(), n.label.as_str()), ("run 1", "run 3"));
    // `--name` with an id of another name
    let scope = Scope {
        name: Some("catalog".into()),
        ..Default::default()
    };
    let err = resolve_pair("1", "latest", Some(&s), &scope).unwrap_err();
    assert!(matches!(err, ReferenceError::DifferentPlans(_)), "{err}");
    let (b, n) = resolve_pair("1", "3", Some(&s), &Scope::default()).unwrap();
    assert_eq!((b.name.as_str(), n.name.as_str()), ("shop", "shop"));
    // files are compared as given
    let dir = path.with_file_name("files");
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<String> = [("shop", 0.1), ("catalog", 0.1)]
        .iter()
        .map(|(name, wall)| {
            let f = dir.join(format!("{name}.json"));
            std::fs::write(&f, investigation(name, *wall, true).to_string()).unwrap();
            f.display().to_string()
        })
        .collect();
    assert!(resolve_pair(&files[0], &files[1], None, &Scope::default()).is_ok());
    // two benchmarks of different names: an A/B one means
    let a = store_run(
        &mut s,
        RecordKind::Bench,
        "nap-a",
        "main",
        &bench("nap-a", "nap", &walls(0.1)),
    );
    let b = store_run(
        &mut s,
        RecordKind::Bench,
        "nap-b",
        "main",
        &bench("nap-b", "nap", &walls(0.1)),
    );
    assert!(resolve_pair(&a.to_string(), &b.to_string(), Some(&s), &Scope::default()).is_ok());
}

/// An investigation's report.json as `investigate` stores it, with a bench baseline.
fn investigation(name: &str, wall: f64, with_baseline: bool) -> Value {
    let data = if with_baseline {
        json!({"commands": bench(name, "work", &walls(wall))["commands"]})
    } else {
        Value::Null
    };
    json!({
        "schema_version": "1.0.0", "kind": "investigation", "name": name, "date": "2026-01-01T00:00:00Z",
        "target": "sh -c work", "duration_s": 3.0,
        "executive_summary": {"headline": "waiting, not computing", "time_breakdown": [], "breakdown_source": ""},
        "findings": [], "recommendations": [],
        "investigators": [{"name": "command", "verdict": if with_baseline { "found" } else { "failed" },
                           "summary": "", "findings": [], "data": data, "duration_s": 1.0}]
    })
}

#[test]
fn investigations_compare_through_their_baselines() {
    let path = temp_db();
    let mut s = Store::open(&path).unwrap();
    store_run(
        &mut s,
        RecordKind::Investigation,
        "plan",
        "main",
        &investigation("plan", 0.1, true),
    );
    store_run(
        &mut s,
        RecordKind::Bench,
        "plan",
        "main",
        &bench("plan", "work", &walls(9.0)),
    );
    store_run(
        &mut s,
        RecordKind::Investigation,
        "plan",
        "main",
        &investigation("plan", 0.2, true),
    );
    // the bench of the same name in between is another kind: skipped
    let (b, n) = resolve_pair("latest~1", "latest", Some(&s), &Scope::default()).unwrap();
    assert_eq!((b.label.as_str(), n.label.as_str()), ("run 1", "run 3"));
    let c = perfhive_compare::compare(&b, &n, 5.0, 0.05);
    assert_eq!(c.regressions().next().unwrap().name, "work/wall_s");
    // without a baseline, the message says why
    store_run(
        &mut s,
        RecordKind::Investigation,
        "plan",
        "main",
        &investigation("plan", 0.2, false),
    );
    let err = resolve(
        "latest",
        Some(&s),
        &Scope {
            name: Some("plan".into()),
            kind: Some(RecordKind::Investigation),
            branch: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("run 4 is an investigation with nothing to compare: its command investigator measured nothing (failed)"), "{err}");
}

#[test]
fn files_need_no_history() {
    let dir = temp_db();
    let file = dir.with_file_name("b.json");
    std::fs::write(&file, bench("nap", "nap", &walls(0.1)).to_string()).unwrap();
    let f = file.to_str().unwrap();
    let (b, n) = resolve_pair(f, f, None, &Scope::default()).unwrap();
    assert_eq!(b.kind, RecordKind::Bench);
    assert_eq!(n.measures.len(), 4);
    let err = resolve("latest", None, &Scope::default()).unwrap_err();
    assert!(matches!(err, ReferenceError::NoHistory(_)), "{err}");
}
