//! `perfhive investigate`: the demo end to end (findings, report folder, before/after, history,
//! the HTML rendered in headless Chromium), a plan file, and plan errors; user input in
//! [`inputs`], interrupts in [`interrupt`], the progress display in [`progress`].

mod inputs;
mod interrupt;
mod progress;

use crate::{f, perfhive, tempdir};
use serde_json::Value;
use std::path::Path;

fn only_dir(p: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// Runs `perfhive --no-history investigate PLAN --out-dir OUT --json` (from `cwd` when given):
/// the exit code, the report and stderr.
fn investigate_json(plan: &Path, out: &Path, cwd: Option<&Path>) -> (Option<i32>, Value, String) {
    let mut cmd = perfhive();
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let o = cmd
        .args(["--no-history", "investigate"])
        .arg(plan)
        .arg("--out-dir")
        .arg(out)
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let r = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("a JSON report on stdout ({e}); stderr: {err}"));
    (o.status.code(), r, err)
}

/// The investigators' names, in report order.
fn investigator_names(r: &Value) -> Vec<&str> {
    r["investigators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

/// The first ranked finding for which `pred` holds.
fn find_finding(r: &Value, pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["finding"])
        .find(|f| pred(f))
}

#[test]
fn the_demo_investigation_finds_the_unbatched_writes_and_the_fix_improves_the_result() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let out = dir.join("reports");
    let o = perfhive()
        .arg("--history")
        .arg(dir.join("h.db"))
        .args(["investigate", "--demo", "--out-dir"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // the demo service's exporter says nothing: its receiver is up before the service starts
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("Connection refused") && !err.contains("exporting"),
        "{err}"
    );
    // not a terminal: one line per phase
    for phase in [
        "starting the target",
        "baseline",
        "sweep",
        "report",
        "before/after",
    ] {
        let lines = err
            .lines()
            .filter(|l| l.starts_with('[') && l.contains(&format!("] {phase} done in")))
            .count();
        assert_eq!(lines, 1, "{phase}: {err}");
    }
    let folder = only_dir(&out);
    for file in [
        "report.md",
        "report.html",
        "report.json",
        "load.json",
        "resources.json",
        "traces.json",
        "code.json",
        "sweep.json",
        "after.json",
    ] {
        assert!(
            folder.join(file).is_file(),
            "{file} in {}",
            folder.display()
        );
    }
    let r: Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    // the cause: unbatched writes, with their measured share
    let headline = r["executive_summary"]["headline"].as_str().unwrap();
    assert!(
        headline.starts_with("The bottleneck is database ("),
        "{headline}"
    );
    let first_phase = &r["executive_summary"]["time_breakdown"][0];
    assert_eq!(first_phase["name"], "db");
    assert!(f(first_phase, "/share_pct") > 50.0, "{first_phase}");
    let top = &r["findings"][0]["finding"];
    assert_eq!(top["subject"], "database", "{top}");
    // the P0 batches the writes: the batch size the sweep measured best, with its measured
    // gain; or, when the sweep could not measure batch_size=1 at all (a busy machine: not one
    // request in its level, so no credible ratio), the N+1 writes' fix, one batch per request
    let p0 = &r["recommendations"][0];
    assert_eq!(p0["priority"], "P0");
    let action = p0["recommendation"]["action"].as_str().unwrap();
    if action.starts_with("set batch_size to ") {
        assert!(f(p0, "/recommendation/expected_speedup") > 3.0, "{p0}");
    } else {
        assert!(
            p0["finding_id"]
                .as_str()
                .unwrap()
                .starts_with("traces.n-plus-one")
                && action.contains("one batch"),
            "{p0}"
        );
    }
    let applied = r["before_after"]["applied"].as_array().unwrap();
    assert!(
        applied
            .iter()
            .any(|c| c["change"].as_str().unwrap().starts_with("batch_size = ")),
        "{}",
        r["before_after"]
    );
    // every investigator reported
    let verdicts: Vec<&str> = r["investigators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["load", "resources", "profile", "code", "traces", "sweep"]
    );
    // the demo's spans: the breakdown comes from the traces, with the N+1 of the item reads
    let traces = &r["investigators"][4];
    assert_eq!(traces["verdict"], "found", "{traces}");
    assert!(r["executive_summary"]["breakdown_source"]
        .as_str()
        .unwrap()
        .contains("critical path"));
    let finding = |prefix: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["finding"]["id"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} finding"))
            .clone()
    };
    let n1 = finding("traces.n-plus-one");
    assert!(n1["finding"]["title"].as_str().unwrap().contains("N+1"));
    // the code scan of the demo's own source finds the N+1 loop, and the trace joins it
    let code = finding("code.rust-n-plus-one-query");
    assert_eq!(code["joined_on"][0], "load_items_n_plus_one", "{code}");
    assert!(code["finding"]["title"]
        .as_str()
        .unwrap()
        .contains("crates/demo/src/db.rs:"));
    // the CPU profile of the demo process: perf works on CI machines
    let profile = &r["investigators"][2];
    assert_eq!(
        profile["verdict"].as_str().map(|v| v != "failed"),
        Some(true),
        "{profile}"
    );
    if profile["verdict"] != "insufficient_data" {
        assert!(folder.join("flamegraph.svg").is_file());
    }
    assert!(!r["charts"]["sweep"].as_array().unwrap().is_empty());
    // before and after applying the recommendation
    let before: Value =
        serde_json::from_slice(&std::fs::read(folder.join("load.json")).unwrap()).unwrap();
    let after: Value =
        serde_json::from_slice(&std::fs::read(folder.join("after.json")).unwrap()).unwrap();
    let (b, a) = (
        f(&before, "/record/metrics/throughput_rps"),
        f(&after, "/metrics/throughput_rps"),
    );
    assert!(a > 2.0 * b, "before {b} req/s, after {a} req/s");
    assert!(f(&after, "/metrics/latency_ms/p95") < f(&before, "/record/metrics/latency_ms/p95"));
    // the Markdown has every section of the report format
    let md = std::fs::read_to_string(folder.join("report.md")).unwrap();
    let mut at = 0;
    for h in [
        "## Executive summary",
        "## Key findings",
        "## Top recommendations",
        "## Investigator summaries",
        "## Consensus analysis",
        "## Roadmap",
        "## Risks",
        "## Validation plan",
        "## Appendices",
    ] {
        let i = md[at..]
            .find(h)
            .unwrap_or_else(|| panic!("{h} after byte {at}"));
        at += i;
    }
    assert!(md.contains("perfhive investigate --demo"));
    report_md_reads_top_down(&md, &r);
    // stored in the history
    let list = perfhive()
        .arg("--history")
        .arg(dir.join("h.db"))
        .args(["history", "--kind", "investigation", "--json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["status"], "passed");
    assert_eq!(r["status"], "passed");
    assert!(stdout.contains("Report: "));
    render_in_chromium(&folder.join("report.html"));
}

/// The demo's report.md read as a user would: the summary names the P0 with its labelled
/// gain and the before/after of applying it; the first key finding is rank 1, and the key
/// findings come in rank order.
fn report_md_reads_top_down(md: &str, r: &Value) {
    let section = |h: &str| {
        md.split(&format!("## {h}\n"))
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_else(|| panic!("no {h} section"))
            .to_string()
    };
    let summary = section("Executive summary");
    let p0 = &r["recommendations"][0];
    assert_eq!(p0["priority"], "P0");
    let action = p0["recommendation"]["action"].as_str().unwrap();
    assert!(
        summary.contains(&format!("**P0: {action} (finding `")),
        "the summary names the P0 `{action}`:\n{summary}"
    );
    // its gain is labelled for what it is
    assert!(
        ["(measured by a sweep)", "(Amdahl bound, not measured)"]
            .iter()
            .any(|l| summary.contains(l)),
        "{summary}"
    );
    // the before/after of what was applied, labelled as such
    let applied = r["before_after"]["applied"].as_array().unwrap();
    assert!(!applied.is_empty(), "{}", r["before_after"]);
    assert!(
        summary.contains("**Applied ") && summary.contains("(measured before/after).**"),
        "{summary}"
    );
    // the per-request table
    assert!(summary.contains("| Request | Rate | p50 | p95 | p99 | Errors |"));
    let findings = section("Key findings");
    let ranks: Vec<usize> = findings
        .lines()
        .filter_map(|l| l.strip_prefix("### #"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ranks.first(), Some(&1), "{findings}");
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
    assert!(!md.contains("Phase 1: Phase"));
    // a count of one takes the singular, wherever the report prints one
    for noun in [
        "users",
        "findings",
        "files",
        "matches",
        "requests",
        "runs",
        "statements",
    ] {
        let slip = format!(" 1 {noun}");
        let at = md
            .match_indices(&slip)
            .find(|(i, _)| !md[i + slip.len()..].starts_with(|c: char| c.is_alphanumeric()));
        assert!(
            at.is_none(),
            "`{slip}` in the report: {}",
            &md[at.unwrap().0..][..80.min(md.len() - at.unwrap().0)]
        );
    }
    assert!(!md.contains("1 concurrent requests"));
}

/// Opens the HTML report in headless Chromium (network off) and checks it renders. CI installs
/// chromium; elsewhere the check is a reported skip.
fn render_in_chromium(html: &Path) {
    let chromium = Path::new("/usr/bin/chromium");
    if !perfhive_test_support::require(
        "perfhive::it::investigate (the demo report rendered in headless Chromium)",
        chromium.exists(),
        "/usr/bin/chromium is not installed; apt install chromium (.ci/run does)",
    ) {
        return;
    }
    let dir = tempdir();
    let png = dir.join("report.png");
    let dom = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(["--window-size=1200,2400", "--dump-dom"])
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.matches("<svg").count() >= 4,
        "charts in the rendered DOM: {}",
        dom.matches("<svg").count()
    );
    let shot = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("profile2").display()
        ))
        .args(["--window-size=1200,2400"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    assert!(
        std::fs::metadata(&png).unwrap().len() > 20_000,
        "a non-trivial screenshot"
    );
}

#[test]
fn a_plan_file_starts_and_investigates_a_target() {
    let _serial = crate::exclusive();
    let port = perfhive_test_support::free_port();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: fast-endpoint\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' target --port {port} --duration 120s\"\nbudget_seconds: 30\nsuccess_criteria: [\"error_rate_pct <= 1\", \"p50_latency_ms < 0.001\"]\nload:\n  users: 2\n  duration_seconds: 2\n  requests:\n    - {{ name: fast, path: /fast }}\n    - {{ name: slow, path: \"/slow?ms=20\" }}\ninvestigators:\n  load: {{ timing_samples: 2 }}\n  resources: {{ hz: 20 }}\n  sweep: {{ request: fast, concurrency: [1, 2, 4], level_seconds: 1 }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    let out = dir.join("reports");
    let (code, r, err) = investigate_json(&plan, &out, None);
    // a criterion on the baseline fails: exit 1, reported
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(r["name"], "fast-endpoint");
    assert_eq!(r["criteria"][0]["passed"], true);
    assert_eq!(r["criteria"][1]["passed"], false);
    let names = investigator_names(&r);
    assert_eq!(names, ["load", "resources", "sweep"]);
    // the started process was observed
    assert_ne!(
        r["investigators"][1]["verdict"], "insufficient_data",
        "{}",
        r["investigators"][1]
    );
    // the testbed sends no Server-Timing: the report says where its breakdown would come from
    assert!(r["executive_summary"]["breakdown_source"]
        .as_str()
        .unwrap()
        .contains("no phase data"));
    assert_eq!(r["charts"]["sweep"].as_array().unwrap().len(), 3);
    assert!(r["validation_plan"][0]["command"]
        .as_str()
        .unwrap()
        .starts_with("perfhive investigate "));
    assert!(only_dir(&out).join("report.html").is_file());
    // and stopped at the end
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the started target was stopped"
    );
}

#[test]
fn a_bad_plan_names_file_line_and_column() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    std::fs::write(&plan, "name: x\ntarget: { url: \"http://127.0.0.1:9\" }\nload: { users: 2, requests: [{ name: a, path: / }] }\ninvestigators:\n  load: {}\n  sweeep: {}\n").unwrap();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "{}:6:3: investigators: unknown field `sweeep`",
            plan.display()
        )),
        "{err}"
    );
}

#[test]
fn an_environment_parameter_restarts_the_target_per_value() {
    let _serial = crate::exclusive();
    let port = perfhive_test_support::free_port();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    // the target reads its /slow delay from DELAY, set by the sweep for each value
    std::fs::write(
        &plan,
        format!(
            "name: env-sweep\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' target --port {port} --duration 120s --delay ${{DELAY:-40}}ms\"\nbudget_seconds: 40\nload:\n  users: 2\n  duration_seconds: 1\n  requests:\n    - {{ name: slow, path: /slow }}\ninvestigators:\n  sweep:\n    concurrency: [1, 2]\n    level_seconds: 1\n    parameter: {{ name: DELAY, via: env, values: [\"40\", \"5\"], concurrency: 2, subject: latency }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    let (code, r, err) = investigate_json(&plan, &dir.join("r"), None);
    assert_eq!(code, Some(0), "{err}");
    let f = find_finding(&r, |f| f["id"] == "sweep.parameter.DELAY").expect("a DELAY finding");
    assert!(
        f["title"].as_str().unwrap().starts_with("DELAY=5 gives"),
        "{f}"
    );
    // 40 ms against 5 ms of delay: 8× at best, far less when this VM's timers run late
    assert!(
        f["recommendation"]["expected_speedup"].as_f64().unwrap() > 1.2,
        "{f}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the target was stopped"
    );

    // `via: env` without a start command is a plan error
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, format!("name: x\ntarget: {{ url: \"http://127.0.0.1:{port}\" }}\nload: {{ users: 1, requests: [{{ name: a, path: / }}] }}\ninvestigators:\n  sweep:\n    parameter: {{ name: X, via: env, values: [\"1\"] }}\n")).unwrap();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs `target.start`"));
}

#[test]
fn a_command_target_is_benchmarked_and_its_parameter_swept() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let plan = dir.join("plan.yaml");
    let text = r#"name: hash
target:
  command: "head -c {SIZE} /dev/zero | sha256sum > /dev/null"
load: { runs: 8, warmup: 1 }
investigators:
  load: {}
  resources: {}
  sweep:
    parameter: { name: SIZE, values: ["40000000", "4000000"] }
"#;
    std::fs::write(&plan, text).unwrap();
    let (code, r, err) = investigate_json(&plan, &dir.join("r"), None);
    assert_eq!(code, Some(0), "{err}");
    let names = investigator_names(&r);
    assert_eq!(names, ["command", "resources"]);
    assert_eq!(r["investigators"][1]["verdict"], "insufficient_data");
    // where the time goes, from wait4: user CPU, system CPU, waiting
    let src = r["executive_summary"]["breakdown_source"].as_str().unwrap();
    assert!(src.contains("wait4"), "{src}");
    assert_eq!(
        r["executive_summary"]["time_breakdown"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let size = find_finding(&r, |f| f["id"] == "command.parameter.SIZE").expect("a SIZE finding");
    assert!(
        size["title"]
            .as_str()
            .unwrap()
            .starts_with("SIZE=4000000 is "),
        "{size}"
    );
    assert!(
        size["recommendation"]["expected_speedup"].as_f64().unwrap() > 3.0,
        "{size}"
    );
    assert!(r["validation_plan"][1]["command"]
        .as_str()
        .unwrap()
        .starts_with("perfhive bench --shell sh "));
}

#[test]
fn a_command_target_gets_its_source_scanned() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    // a batch job with a query per item in a loop (SQLite in memory stands in for a networked
    // database: opened through a DB-API alias, which the scan does not take for an embedded one)
    std::fs::write(
        dir.join("src/job.py"),
        r#"import sqlite3 as dbapi

def export(conn, ids):
    rows = []
    for i in ids:
        rows.append(conn.execute("SELECT name FROM items WHERE id = ?", (i,)).fetchone())
    return rows

if __name__ == "__main__":
    conn = dbapi.connect(":memory:")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    export(conn, range(100))
"#,
    )
    .unwrap();
    let plan = dir.join("plan.yaml");
    let text = r#"name: job
target:
  command: "python3 src/job.py"
load: { runs: 3, warmup: 0 }
investigators:
  load: {}
  profile: {}
  code: { path: src }
"#;
    std::fs::write(&plan, text).unwrap();
    let (code, r, err) = investigate_json(&plan, &dir.join("r"), Some(&dir));
    assert_eq!(code, Some(0), "{err}");
    let names = investigator_names(&r);
    assert_eq!(names, ["command", "code", "profile"]);
    // the profile is not silently dropped: the report says why and what to run instead
    let profile = &r["investigators"][2];
    assert_eq!(profile["verdict"], "insufficient_data");
    assert!(
        profile["summary"]
            .as_str()
            .unwrap()
            .contains("perfhive profile"),
        "{profile}"
    );
    let n1 = find_finding(&r, |f| f["investigator"] == "code")
        .unwrap_or_else(|| panic!("a code finding in {:#}", r["findings"]));
    let text = n1.to_string();
    assert!(text.contains("n-plus-one"), "{n1}");
    assert!(text.contains("job.py"), "{n1}");
}

#[test]
fn a_command_target_audits_the_database_its_plan_names() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    // an SQLite file the job reads, relative to the plan
    let made = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3\nc = sqlite3.connect('jobs.db')\nc.execute('CREATE TABLE runs (id INTEGER PRIMARY KEY, owner TEXT)')\nc.executemany('INSERT INTO runs (owner) VALUES (?)', [('u%d' % (i % 50),) for i in range(5000)])\nc.commit()\n",
        )
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(made.success());
    let before = std::fs::read(dir.join("jobs.db")).unwrap();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        "name: job-db\ntarget:\n  command: \"python3 -c \\\"import sqlite3; sqlite3.connect('jobs.db').execute('SELECT count(*) FROM runs WHERE owner = ?', ('u7',)).fetchone()\\\"\"\nload: { runs: 3, warmup: 0 }\ninvestigators:\n  load: {}\n  database: { dsn: jobs.db }\n",
    )
    .unwrap();
    let (code, r, err) = investigate_json(&plan, &dir.join("r"), Some(&dir));
    assert_eq!(code, Some(0), "{err}");
    // not silently dropped: the database investigator ran after the command's runs
    assert_eq!(investigator_names(&r), ["command", "database"], "{err}");
    let db = &r["investigators"][1];
    assert_ne!(db["verdict"], "failed", "{db:#}");
    assert_eq!(
        std::fs::read(dir.join("jobs.db")).unwrap(),
        before,
        "read-only"
    );
}
