//! `perfhive bench`: ratios, per-child memory, shell overhead, scans, exports, failures.

use crate::{f, perfhive, tempdir};
use serde_json::Value;

/// Runs `perfhive bench ARGS --json -q`.
pub fn bench_json(args: &[&str]) -> (i32, Value, String) {
    let out = perfhive()
        .arg("bench")
        .args(args)
        .args(["--json", "--quiet"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}); stderr: {err}"));
    (out.status.code().unwrap_or(-1), v, err)
}

#[test]
fn sleeps_50_ms_apart_are_compared() {
    let _serial = crate::exclusive();
    let (code, r, err) = bench_json(&["sleep 0.05", "sleep 0.1", "--runs", "10"]);
    assert_eq!(code, 0, "{err}");
    let c = &r["comparisons"][0];
    let ratio = f(c, "/ratio");
    // The ratio is of means, so one stalled run (this VM has stalls of half a second) moves it
    // anywhere: it is checked against the runs the record holds, and the Hodges–Lehmann shift,
    // which one outlier does not move, is the accuracy check.
    let mean = |i: usize| {
        let runs = r["commands"][i]["runs"].as_array().unwrap();
        runs.iter().map(|x| f(x, "/wall_s")).sum::<f64>() / runs.len() as f64
    };
    assert!((ratio - mean(1) / mean(0)).abs() < 1e-9, "ratio {ratio}");
    let (lo, hi) = (f(c, "/ratio_ci/0"), f(c, "/ratio_ci/1"));
    assert!(lo <= ratio && ratio <= hi, "{lo} {ratio} {hi}");
    assert!(f(c, "/p_value") < 0.05, "{c}");
    assert!((f(c, "/shift") - 0.05).abs() < 0.02, "{c}");
    assert_eq!(r["interleaved"], true);
    assert_eq!(r["commands"][0]["runs"].as_array().unwrap().len(), 10);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::repo("schema/bench-record.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&r)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn peak_memory_is_per_child_not_a_high_water_mark() {
    let _serial = crate::exclusive();
    // interleaved: the trivial command runs right after the 200 MB one
    let big = "python3 -c \"x = b'x' * (200 * 1024 * 1024)\"";
    let (code, r, err) = bench_json(&[big, "true", "--runs", "3"]);
    assert_eq!(code, 0, "{err}");
    let big_mb = f(&r, "/commands/0/max_rss_mb/median");
    let small_mb = f(&r, "/commands/1/max_rss_mb/max");
    assert!((195.0..280.0).contains(&big_mb), "big {big_mb} MiB");
    // no run can report less than the spawner it was forked from (exec folds the parent's
    // high-water mark in); a trivial command adds almost nothing to that floor
    let floor = f(&r, "/rss_floor_mb");
    assert!(floor > 0.0 && floor < 40.0, "floor {floor} MiB");
    assert!(
        small_mb < floor + 4.0,
        "trivial command {small_mb} MiB, floor {floor} MiB"
    );
}

#[test]
fn shell_overhead_is_measured_and_subtracted() {
    let _serial = crate::exclusive();
    let (code, r, err) = bench_json(&["--shell", "sh", "sleep 0.05", "--runs", "5"]);
    assert_eq!(code, 0, "{err}");
    assert!(f(&r, "/shell_overhead_s") > 0.0);
    let mean = f(&r, "/commands/0/wall_s/mean");
    // 50 ms of sleep once the shell's start is subtracted (a sanity bound: starts can stall)
    assert!((0.045..0.1).contains(&mean), "mean {mean}");
}

#[test]
fn parameter_scans_names_and_adaptive_runs() {
    let _serial = crate::exclusive();
    let (code, r, err) = bench_json(&[
        "-P",
        "n",
        "1",
        "3",
        "-n",
        "sleep {n}0ms",
        "sleep 0.0{n}",
        "--min-runs",
        "3",
        "--max-time",
        "200ms",
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<_> = r["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["sleep 10ms", "sleep 20ms", "sleep 30ms"]);
    assert_eq!(r["commands"][2]["parameters"]["n"], "3");
    // adaptive: about 200 ms per command, at least 3 runs
    let runs = r["commands"][0]["runs"].as_array().unwrap().len();
    assert!((3..=25).contains(&runs), "{runs} runs");
    // three comparisons against the first, Holm-adjusted
    assert_eq!(r["comparisons"].as_array().unwrap().len(), 2);
    assert!(f(&r, "/comparisons/1/p_adjusted") >= f(&r, "/comparisons/1/p_value"));
}

#[test]
fn exports_and_failures() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let (j, c, m) = (dir.join("b.json"), dir.join("b.csv"), dir.join("b.md"));
    let out = perfhive()
        .args(["bench", "true", "--runs", "3", "-q", "--export-json"])
        .arg(&j)
        .arg("--export-csv")
        .arg(&c)
        .arg("--export-markdown")
        .arg(&m)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec: Value = serde_json::from_slice(&std::fs::read(&j).unwrap()).unwrap();
    assert_eq!(rec["kind"], "bench");
    let csv = std::fs::read_to_string(&c).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.starts_with("command,run,wall_s"));
    assert!(std::fs::read_to_string(&m).unwrap().contains("| `true` |"));

    let out = perfhive()
        .args(["bench", "false", "--runs", "2", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--ignore-failure"));
    let (code, r, _) = bench_json(&["false", "--runs", "2", "-i"]);
    assert_eq!(code, 0);
    assert_eq!(r["commands"][0]["failures"], 2);
}

/// Benchmarks `sleep 0.3` 30 times in a process group of its own (as a shell, `timeout`,
/// systemd or Kubernetes start it), sends `signal` to the whole group after 1.5 s, and returns
/// the exit code, the seconds from the signal to the exit, the exported record and the
/// history's row.
fn stopped_by_group(signal: libc::c_int) -> (Option<i32>, f64, Value, Value, String) {
    use std::os::unix::process::CommandExt as _;
    let dir = tempdir();
    let (export, history) = (dir.join("b.json"), dir.join("h.db"));
    let child = perfhive()
        .arg("--history")
        .arg(&history)
        .args(["bench", "sleep 0.3", "--runs", "30", "--warmup", "1", "-q"])
        .arg("--export-json")
        .arg(&export)
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = std::time::Instant::now();
    // SAFETY: signalling the process group the child leads (its pid is not reaped yet).
    assert_eq!(
        unsafe { libc::kill(-(child.id() as libc::pid_t), signal) },
        0
    );
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let record: Value = serde_json::from_slice(
        &std::fs::read(&export).unwrap_or_else(|e| panic!("no export ({e}); stderr: {err}")),
    )
    .unwrap();
    let rows = perfhive()
        .arg("--history")
        .arg(&history)
        .args(["history", "--kind", "bench", "--json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    (out.status.code(), took, record, rows[0].clone(), err)
}

fn assert_kept(record: &Value, row: &Value, err: &str) {
    // 1.5 s: a warm-up run and about three measured ones (fewer on a busy machine), each a
    // whole 0.3 s
    let runs = record["commands"][0]["runs"].as_array().unwrap();
    assert!((1..=5).contains(&runs.len()), "{} runs; {err}", runs.len());
    for r in runs {
        assert!(f(r, "/wall_s") >= 0.29, "a partial run was kept: {r}");
        assert_eq!(r["exit_code"], 0, "{r}");
    }
    assert_eq!(row["status"], "interrupted", "{row:#}");
}

#[test]
fn sigterm_to_the_process_group_keeps_the_runs_and_exits_143() {
    let _serial = crate::exclusive();
    let (code, took, record, row, err) = stopped_by_group(libc::SIGTERM);
    assert_eq!(code, Some(143), "{err}");
    // the run in progress is killed, not waited for (a sanity bound for a busy machine)
    assert!(took < 5.0, "stopped {took:.1} s after SIGTERM");
    assert_kept(&record, &row, &err);
}

#[test]
fn sigint_to_the_process_group_keeps_the_runs_and_exits_130() {
    let _serial = crate::exclusive();
    let (code, took, record, row, err) = stopped_by_group(libc::SIGINT);
    assert_eq!(code, Some(130), "{err}");
    assert!(took < 5.0, "stopped {took:.1} s after SIGINT");
    assert_kept(&record, &row, &err);
}

#[test]
fn a_second_ctrl_c_kills_a_hung_cleanup() {
    use std::os::unix::process::CommandExt as _;
    use std::time::{Duration, Instant};
    let _serial = crate::exclusive();
    let dir = tempdir();
    let pidfile = dir.join("bg.pid");
    let cleanup = format!("sh -c 'sleep 30 & echo $! > {}; wait'", pidfile.display());
    let child = perfhive()
        .arg("--history")
        .arg(dir.join("h.db"))
        .args([
            "bench",
            "sleep 5",
            "--runs",
            "3",
            "-q",
            "--cleanup",
            &cleanup,
        ])
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let group = -(child.id() as libc::pid_t);
    // Ctrl-C reaches the whole group: perfhive and its spawner
    let ctrl_c = || {
        // SAFETY: signalling the process group the child leads (its pid is not reaped yet).
        assert_eq!(unsafe { libc::kill(group, libc::SIGINT) }, 0);
    };
    std::thread::sleep(Duration::from_millis(1000));
    ctrl_c();
    let t = Instant::now();
    let bg = loop {
        let pid = std::fs::read_to_string(&pidfile).ok();
        if let Some(pid) = pid.and_then(|p| p.trim().parse::<i32>().ok()) {
            break pid;
        }
        assert!(t.elapsed().as_secs() < 10, "the cleanup did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        perfhive_test_support::running(bg),
        "the first Ctrl-C does not end the cleanup"
    );
    ctrl_c();
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        took < 5.0,
        "ended {took:.1} s after the second Ctrl-C; {err}"
    );
    assert_eq!(out.status.code(), Some(130), "{err}");
    let t = Instant::now();
    while perfhive_test_support::running(bg) && t.elapsed().as_secs() < 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !perfhive_test_support::running(bg),
        "the cleanup's background process {bg} outlived the kill"
    );
}
