//! The load engine on its own, against the testbed on 127.0.0.1 (real HTTP, ephemeral ports):
//! rate accounting, deadlines, stops, status classification and option bounds. Every load is
//! loopback-only and bounded in requests and time; the tests take a lock so that two loads
//! never share the two cores of the test machine.

use perfhive_core::record::RunRecord;
use perfhive_load::{build_record, run_blocking, LoadError, LoadOptions, NoProgress, StopSignal};
use perfhive_scenario::{HttpVersion, Profile, Quick, Scenario};
use perfhive_testbed::{RunningTarget, TargetOptions};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn testbed() -> RunningTarget {
    perfhive_testbed::spawn(TargetOptions::default()).expect("testbed starts")
}

fn quick(url: String) -> Quick {
    Quick {
        url,
        method: "GET".into(),
        headers: Vec::new(),
        body: Vec::new(),
        rate: None,
        users: None,
        duration: Duration::from_secs(1),
        warmup: Duration::ZERO,
        http: HttpVersion::Http1,
        timeout: Duration::from_secs(30),
        max_in_flight: None,
        insecure: false,
        criteria: Vec::new(),
        triggers: Vec::new(),
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        threads: 1,
        ..LoadOptions::default()
    }
}

/// Runs `scenario` and returns its record and how long the run took.
fn run(scenario: &Scenario, opts: &LoadOptions) -> (RunRecord, Duration) {
    let t = Instant::now();
    let result = run_blocking(scenario, opts, &mut NoProgress).expect("the run starts");
    (build_record(scenario, &result), t.elapsed())
}

fn class(r: &RunRecord, name: &str) -> u64 {
    r.metrics.errors_by_class.get(name).copied().unwrap_or(0)
}

#[test]
fn open_model_sends_the_planned_requests() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        rate: Some(200.0),
        duration: Duration::from_secs(2),
        ..quick(format!("{}/fast", t.base_url()))
    })
    .unwrap();
    let (r, took) = run(&s, &options());
    assert_eq!(r.metrics.requests, 400, "{:?}", r.metrics);
    assert_eq!(r.metrics.errors, 0);
    assert!(
        (r.metrics.throughput_rps - 200.0).abs() <= 2.0,
        "{}",
        r.metrics.throughput_rps
    );
    assert!(took >= Duration::from_secs(2), "{took:?}");
    let points: u64 = r.timeseries.iter().map(|p| p.requests).sum();
    assert_eq!(
        points, r.metrics.requests,
        "the time series sums to the total"
    );
}

#[test]
fn a_low_rate_run_lasts_its_planned_length_and_reports_its_rate() {
    let _serial = exclusive();
    let t = testbed();
    // one request a second for 3 s: due at 0, 1 and 2 s; the run still ends at 3 s
    let s = Scenario::quick(Quick {
        rate: Some(1.0),
        duration: Duration::from_secs(3),
        ..quick(format!("{}/fast", t.base_url()))
    })
    .unwrap();
    let (r, took) = run(&s, &options());
    assert_eq!(r.metrics.requests, 3);
    assert!(r.duration_s >= 3.0, "the run ended at {} s", r.duration_s);
    assert!(took >= Duration::from_secs(3), "{took:?}");
    assert!(
        (r.metrics.throughput_rps - 1.0).abs() < 0.01,
        "{}",
        r.metrics.throughput_rps
    );
    // half a request a second for a second: the one request due at 0 s, over one second
    let s = Scenario::quick(Quick {
        rate: Some(0.5),
        duration: Duration::from_secs(1),
        ..quick(format!("{}/fast", t.base_url()))
    })
    .unwrap();
    let (r, _) = run(&s, &options());
    assert_eq!(r.metrics.requests, 1);
    assert!(
        r.metrics.throughput_rps <= 1.0,
        "{}",
        r.metrics.throughput_rps
    );
}

#[test]
fn a_target_that_never_answers_ends_within_a_second_of_the_planned_end() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        rate: Some(20.0),
        duration: Duration::from_secs(2),
        timeout: Duration::from_secs(30),
        ..quick(format!("{}/hang", t.base_url()))
    })
    .unwrap();
    let (r, took) = run(&s, &options());
    // 2 s planned + 1 s of grace, plus slack for a loaded machine: far below the 30 s timeout
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(r.duration_s < 3.5, "{}", r.duration_s);
    // every request sent is counted, as a timeout at the deadline
    assert_eq!(r.metrics.requests, 40, "{:?}", r.metrics);
    assert_eq!(class(&r, "timeout"), 40);
    assert!(r.abort.is_none(), "not an interruption: {:?}", r.abort);
    let warnings = r.generator.warnings.join("\n");
    assert!(
        warnings.contains("40 requests were still in flight"),
        "{warnings}"
    );
}

#[test]
fn a_stop_ends_the_run_within_a_second_and_keeps_what_was_measured() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        rate: Some(20.0),
        duration: Duration::from_secs(60),
        ..quick(format!("{}/hang", t.base_url()))
    })
    .unwrap();
    let stop = Arc::new(StopSignal::default());
    let opts = LoadOptions {
        stop: stop.clone(),
        ..options()
    };
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        let at = Instant::now();
        stop.stop();
        at
    });
    let result = run_blocking(&s, &opts, &mut NoProgress).unwrap();
    let ended = Instant::now();
    let stopped_at = stopper.join().unwrap();
    let after_stop = ended - stopped_at;
    assert!(
        after_stop < Duration::from_secs(3),
        "{after_stop:?} after the stop"
    );
    let r = build_record(&s, &result);
    assert_eq!(
        r.abort.as_ref().map(|a| a.reason.as_str()),
        Some("interrupt")
    );
    assert!(
        (15..=25).contains(&r.metrics.requests),
        "the requests of the first second are kept: {}",
        r.metrics.requests
    );
    assert_eq!(class(&r, "timeout"), r.metrics.requests);
}

#[test]
fn a_rate_no_generator_can_send_is_warned_about_and_still_stops() {
    let _serial = exclusive();
    let t = testbed();
    let mut s = Scenario::quick(Quick {
        rate: Some(1000.0),
        max_in_flight: Some(4),
        ..quick(format!("{}/fast", t.base_url()))
    })
    .unwrap();
    // beyond what a scenario may ask: built directly, as a library user could
    s.profile = Profile::open(
        Duration::ZERO,
        1e9,
        Duration::ZERO,
        Duration::from_secs(30),
        &[1e9],
        Duration::ZERO,
        None,
    );
    let stop = Arc::new(StopSignal::default());
    let opts = LoadOptions {
        stop: stop.clone(),
        ..options()
    };
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        stop.stop();
        Instant::now()
    });
    let result = run_blocking(&s, &opts, &mut NoProgress).unwrap();
    let after_stop = Instant::now() - stopper.join().unwrap();
    assert!(
        after_stop < Duration::from_secs(3),
        "{after_stop:?} after the stop"
    );
    let r = build_record(&s, &result);
    assert!(r.metrics.requests > 0);
    assert!(
        r.metrics.dropped_requests > 1_000_000,
        "{}",
        r.metrics.dropped_requests
    );
    let warnings = r.generator.warnings.join("\n");
    assert!(
        warnings.contains("above what 1 generator thread(s) can send"),
        "{warnings}"
    );
}

#[test]
fn a_non_standard_status_is_kept_and_classified() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        rate: Some(20.0),
        ..quick(format!("{}/status/999", t.base_url()))
    })
    .unwrap();
    let (r, _) = run(&s, &options());
    assert_eq!(
        r.metrics.status_codes.get("999"),
        Some(&20),
        "{:?}",
        r.metrics.status_codes
    );
    assert_eq!(r.metrics.status_codes.get("599"), None);
    assert_eq!(class(&r, "protocol"), 20);
}

#[test]
fn a_rollback_trigger_stops_the_run_early() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        rate: Some(50.0),
        duration: Duration::from_secs(30),
        triggers: vec!["error_rate_pct > 50 for 1s".into()],
        ..quick(format!("{}/status/503", t.base_url()))
    })
    .unwrap();
    let (r, took) = run(&s, &options());
    assert!(took < Duration::from_secs(8), "{took:?}");
    let abort = r.abort.expect("aborted");
    assert_eq!(abort.reason, "trigger");
    assert!(r.metrics.requests >= 50, "{}", r.metrics.requests);
}

#[test]
fn the_closed_model_keeps_its_users_busy() {
    let _serial = exclusive();
    let t = testbed();
    let s = Scenario::quick(Quick {
        users: Some(4),
        duration: Duration::from_secs(2),
        ..quick(format!("{}/slow?ms=20", t.base_url()))
    })
    .unwrap();
    let (r, _) = run(&s, &options());
    // Little's law: 4 users / ~20 ms = ~200 req/s at most; a loaded machine sends fewer
    let rps = r.metrics.throughput_rps;
    assert!((60.0..=210.0).contains(&rps), "{rps}");
    assert_eq!(r.metrics.errors, 0);
    assert_eq!(r.workload.model, "closed");
}

#[test]
fn options_out_of_range_are_refused_before_anything_starts() {
    let s = Scenario::quick(Quick {
        rate: Some(1.0),
        ..quick("http://127.0.0.1:9/".into())
    })
    .unwrap();
    for threads in [0, 100_000] {
        let opts = LoadOptions {
            threads,
            ..options()
        };
        assert!(matches!(opts.check(&s), Err(LoadError::Threads(n)) if n == threads));
        assert!(run_blocking(&s, &opts, &mut NoProgress).is_err());
    }
    for scale in [1e300, 0.0, f64::NAN, 1e-300] {
        let opts = LoadOptions {
            time_scale: scale,
            ..options()
        };
        assert!(
            matches!(opts.check(&s), Err(LoadError::TimeScale(_))),
            "{scale}"
        );
    }
}
