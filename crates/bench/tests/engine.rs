//! The bench engine on real commands: naming, the progress it reports, and which outliers it
//! warns about.

use perfhive_bench::analysis::{build_record, RecordInfo};
use perfhive_bench::{BenchOptions, CommandSpec, Measured, Metric, Observer, Planned};
use perfhive_core::bench::Sample;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn spec(line: &str) -> CommandSpec {
    CommandSpec {
        name: None,
        line: line.into(),
    }
}

#[test]
fn a_named_single_command_takes_the_benchmarks_name() {
    let opts = |line: &str| BenchOptions {
        commands: vec![spec(line)],
        name: Some("nap".into()),
        ..BenchOptions::default()
    };
    // two benchmarks named `nap` whose command lines differ have measures in common
    assert_eq!(
        perfhive_bench::plan(&opts("sleep 0.1")).unwrap()[0].name,
        "nap"
    );
    assert_eq!(
        perfhive_bench::plan(&opts("sleep 0.2")).unwrap()[0].name,
        "nap"
    );
    // several commands keep their own names; so does a command named with -n
    let two = BenchOptions {
        commands: vec![spec("true"), spec("false")],
        name: Some("pair".into()),
        ..BenchOptions::default()
    };
    let names: Vec<String> = perfhive_bench::plan(&two)
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["true", "false"]);
    let named = BenchOptions {
        commands: vec![CommandSpec {
            name: Some("work".into()),
            line: "true".into(),
        }],
        name: Some("nap".into()),
        ..BenchOptions::default()
    };
    assert_eq!(perfhive_bench::plan(&named).unwrap()[0].name, "work");
}

/// Records what the engine reports.
#[derive(Default)]
struct Log {
    started: usize,
    plans: Vec<usize>,
    samples_before_plan: usize,
    samples: usize,
}

impl Observer for Log {
    fn start(&mut self, _: &[Planned]) {
        self.started += 1;
    }
    fn plan(&mut self, _: &[Planned], total: usize) {
        self.plans.push(total);
    }
    fn sample(&mut self, _: usize, _: usize, _: &Sample) {
        self.samples += 1;
        if self.plans.is_empty() {
            self.samples_before_plan += 1;
        }
    }
}

#[test]
fn the_progress_total_is_given_once_and_never_changes() {
    for interleave in [true, false] {
        let opts = BenchOptions {
            commands: vec![spec("true"), spec("sleep 0.001")],
            min_runs: 3,
            max_time: Duration::from_millis(60),
            interleave,
            ..BenchOptions::default()
        };
        let mut log = Log::default();
        perfhive_bench::run(&opts, &mut log, &AtomicBool::new(false)).unwrap();
        assert_eq!(log.started, 1);
        assert_eq!(
            log.plans.len(),
            1,
            "interleave {interleave}: {:?}",
            log.plans
        );
        assert_eq!(
            log.plans[0], log.samples,
            "the total announced is the total run"
        );
        // adaptive: sized from the first round (interleaved) or each command's first run
        assert!(log.samples_before_plan >= 1, "{}", log.samples_before_plan);
    }
    // a fixed count is known before the first run
    let fixed = BenchOptions {
        commands: vec![spec("true")],
        runs: Some(4),
        ..BenchOptions::default()
    };
    let mut log = Log::default();
    perfhive_bench::run(&fixed, &mut log, &AtomicBool::new(false)).unwrap();
    assert_eq!(
        (log.plans.as_slice(), log.samples_before_plan),
        (&[4][..], 0)
    );
}

fn sample(wall: f64) -> Sample {
    Sample {
        wall_s: wall,
        user_s: 0.0,
        system_s: 0.0,
        max_rss_kb: 1024,
        voluntary_cs: 0,
        involuntary_cs: 0,
        exit_code: 0,
    }
}

fn measured(series: Vec<Vec<f64>>) -> Measured {
    Measured {
        commands: series
            .iter()
            .enumerate()
            .map(|(i, _)| Planned {
                name: format!("cmd{i}"),
                line: format!("cmd{i}"),
                parameters: Default::default(),
                prepare: None,
            })
            .collect(),
        samples: series
            .into_iter()
            .map(|s| s.into_iter().map(sample).collect())
            .collect(),
        shell_overhead: None,
        interrupted: false,
        rss_floor_kb: None,
        elapsed: Duration::from_secs(1),
    }
}

fn warnings(series: Vec<Vec<f64>>) -> Vec<String> {
    build_record(
        &measured(series),
        RecordInfo {
            name: "t",
            date: String::new(),
            metric: Metric::Wall,
            interleaved: true,
            shell: None,
            notes: None,
        },
    )
    .warnings
}

/// 29 runs around 10 ms, a little spread, reproducibly.
fn steady(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.010 + 0.0002 * ((i * 7) % 5) as f64)
        .collect()
}

#[test]
fn outliers_that_change_nothing_are_not_warned_about() {
    let mut runs = steady(29);
    runs[5] = 0.0116; // an outlier by z-score (4.0), but the mean hardly moves
    let record = build_record(
        &measured(vec![runs.clone()]),
        RecordInfo {
            name: "t",
            date: String::new(),
            metric: Metric::Wall,
            interleaved: true,
            shell: None,
            notes: None,
        },
    );
    assert_eq!(
        record.commands[0].outliers,
        vec![5],
        "still flagged in the record"
    );
    assert!(record.warnings.is_empty(), "{:?}", record.warnings);
}

#[test]
fn outliers_that_move_the_mean_are_warned_about_in_good_grammar() {
    let mut runs = steady(29);
    runs[3] = 0.5; // one stall of half a second
    let w = warnings(vec![runs]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("1 of 29 runs is an outlier") && w[0].contains("moves the mean"),
        "{}",
        w[0]
    );
}

#[test]
fn outliers_that_flip_a_comparison_are_warned_about() {
    // the second command is 0.4 ms slower (p ≈ 0.01); one stall of the first hides it
    let mut a = steady(12);
    a[0] = 0.5;
    let b: Vec<f64> = steady(12).iter().map(|x| x + 0.0004).collect();
    let w = warnings(vec![a, b]);
    assert!(
        w.iter().any(
            |x| x.contains("`cmd1` against `cmd0`: 1 of 12 runs is an outlier")
                && x.contains(
                    "of `cmd0` changes the conclusion: the difference is significant without them"
                )
        ),
        "{w:?}"
    );
}

/// Sets `stop` after `ms` milliseconds, on a thread of its own.
fn stop_after(ms: u64) -> std::sync::Arc<AtomicBool> {
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        s.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    stop
}

#[test]
fn a_stop_ends_the_run_in_progress_and_keeps_the_completed_ones() {
    // 0.3 s runs, a stop after 1 s: three runs done, the fourth killed at once and discarded
    let opts = BenchOptions {
        commands: vec![spec("sleep 0.3")],
        runs: Some(20),
        ..BenchOptions::default()
    };
    let stop = stop_after(1000);
    let t = std::time::Instant::now();
    let mut log = Log::default();
    let m = perfhive_bench::run(&opts, &mut log, &stop).unwrap();
    let took = t.elapsed().as_secs_f64();
    assert!(m.interrupted);
    assert!(
        took < 1.25,
        "ended {took:.2} s after the start (stop at 1 s)"
    );
    let runs = &m.samples[0];
    assert!((2..=3).contains(&runs.len()), "{} runs", runs.len());
    assert!(
        runs.iter().all(|s| s.exit_code == 0 && s.wall_s >= 0.29),
        "only whole runs are kept: {runs:?}"
    );
    assert_eq!(log.samples, runs.len());
}

#[test]
fn a_stop_during_warm_up_ends_it_and_cleanup_still_runs() {
    let dir = std::env::temp_dir().join(format!("perfhive-warmup-stop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cleaned = dir.join("cleaned");
    let opts = BenchOptions {
        commands: vec![spec("sleep 5")],
        warmup: 3,
        runs: Some(3),
        cleanup: Some(format!("touch '{}'", cleaned.display())),
        launcher: perfhive_bench::Launcher::Shell("sh".into()),
        ..BenchOptions::default()
    };
    let stop = stop_after(800);
    let t = std::time::Instant::now();
    let m = perfhive_bench::run(&opts, &mut Log::default(), &stop).unwrap();
    assert!(m.interrupted);
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    assert!(m.samples[0].is_empty());
    assert!(cleaned.exists(), "--cleanup runs after a stop");
    // a record of nothing measured still builds
    let record = build_record(
        &m,
        RecordInfo {
            name: "t",
            date: String::new(),
            metric: Metric::Wall,
            interleaved: true,
            shell: Some("sh".into()),
            notes: None,
        },
    );
    assert!(record.commands[0].runs.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_spawner_that_dies_keeps_the_completed_runs() {
    // a stand-in spawner: greets, measures one run, then dies (as one killed from outside)
    let dir = std::env::temp_dir().join(format!("perfhive-spawner-dies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cleaned = dir.join("cleaned");
    let script = r#"echo '{"Hello":{"floor_kb":1000}}'; read req; echo '{"Ok":{"wall_s":0.5,"user_s":0.1,"system_s":0.0,"max_rss_kb":2000,"voluntary_cs":1,"involuntary_cs":0,"exit_code":0}}'; read req; kill -KILL $$"#;
    let opts = BenchOptions {
        commands: vec![spec("true")],
        runs: Some(5),
        cleanup: Some(format!("touch '{}'", cleaned.display())),
        launcher: perfhive_bench::Launcher::Shell("sh".into()),
        spawner: Some(("sh".into(), vec!["-c".into(), script.into()])),
        ..BenchOptions::default()
    };
    // the shell's overhead is measured first: the stand-in dies during it
    let m = perfhive_bench::run(&opts, &mut Log::default(), &AtomicBool::new(false)).unwrap();
    assert!(m.interrupted);
    assert!(m.samples[0].is_empty());
    assert!(cleaned.exists(), "--cleanup runs in this process instead");
    std::fs::remove_file(&cleaned).unwrap();
    // without a shell, its one run is kept
    let direct = BenchOptions {
        launcher: perfhive_bench::Launcher::Direct,
        ..opts
    };
    let m = perfhive_bench::run(&direct, &mut Log::default(), &AtomicBool::new(false)).unwrap();
    assert!(m.interrupted, "a spawner that died is a stop, not an error");
    assert_eq!(m.samples[0].len(), 1);
    assert_eq!(m.samples[0][0].wall_s, 0.5);
    assert_eq!(m.rss_floor_kb, Some(1000));
    assert!(cleaned.exists(), "--cleanup runs in this process instead");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_stop_kills_a_hung_cleanup_and_what_it_started() {
    let dir = std::env::temp_dir().join(format!("perfhive-cleanup-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("bg.pid");
    let opts = BenchOptions {
        commands: vec![spec("sleep 5")],
        runs: Some(3),
        // a cleanup that hangs on something it started
        cleanup: Some(format!(
            "sleep 30 & echo $! > '{}'; wait",
            pidfile.display()
        )),
        launcher: perfhive_bench::Launcher::Shell("sh".into()),
        ..BenchOptions::default()
    };
    // the first stop ends the measured run, the second (during the cleanup) kills the cleanup
    let stop = stop_after(300);
    let kill = stop_after(1200);
    let t = std::time::Instant::now();
    let m = perfhive_bench::run_killable(&opts, &mut Log::default(), &stop, &kill).unwrap();
    assert!(m.interrupted);
    assert!(t.elapsed().as_secs_f64() < 3.0, "{:?}", t.elapsed());
    assert!(m.samples[0].is_empty());
    let bg: i32 = std::fs::read_to_string(&pidfile)
        .expect("the cleanup ran")
        .trim()
        .parse()
        .unwrap();
    let t = std::time::Instant::now();
    while perfhive_test_support::running(bg) && t.elapsed().as_secs() < 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !perfhive_test_support::running(bg),
        "the cleanup's background process {bg} outlived the kill"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failing_command_still_runs_cleanup_then_reports_the_failure() {
    let dir = std::env::temp_dir().join(format!("perfhive-fail-cleanup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cleaned = dir.join("cleaned");
    let opts = BenchOptions {
        commands: vec![spec("false")],
        runs: Some(3),
        setup: Some("true".into()),
        cleanup: Some(format!("touch '{}'", cleaned.display())),
        launcher: perfhive_bench::Launcher::Shell("sh".into()),
        ..BenchOptions::default()
    };
    let r = perfhive_bench::run(&opts, &mut Log::default(), &AtomicBool::new(false));
    assert!(
        matches!(r, Err(perfhive_bench::BenchError::Failed { code: 1, .. })),
        "the command's failure is the result"
    );
    assert!(cleaned.exists(), "--cleanup runs after a failure");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_stop_that_lands_before_the_spawner_takes_the_request_is_not_lost() {
    // a stand-in spawner that ignores SIGTERM until it has taken the request (as the real one
    // clears what arrived before), then ends its run on SIGTERM like the real one
    let script = r#"trap '' TERM; echo '{"Hello":{"floor_kb":1000}}'; read req; sleep 0.6; trap 'kill $! 2>/dev/null; echo "\"Stopped\""; exit 0' TERM; sleep 5 & wait $!; echo '{"Ok":{"wall_s":5.0,"user_s":0.0,"system_s":0.0,"max_rss_kb":2000,"voluntary_cs":1,"involuntary_cs":0,"exit_code":0}}'; read req"#;
    let opts = BenchOptions {
        commands: vec![spec("true")],
        runs: Some(1),
        spawner: Some(("sh".into(), vec!["-c".into(), script.into()])),
        ..BenchOptions::default()
    };
    let stop = stop_after(200);
    let t = std::time::Instant::now();
    let m = perfhive_bench::run(&opts, &mut Log::default(), &stop).unwrap();
    assert!(m.interrupted, "the stop ended the run");
    assert!(m.samples[0].is_empty());
    assert!(t.elapsed().as_secs_f64() < 2.5, "{:?}", t.elapsed());
}
