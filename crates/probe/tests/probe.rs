//! Observing real child processes through /proc, and our own rusage. Every child is killed by a
//! guard (perfhive-test-support's `Spawned`), so no test outlives its few seconds; the CPU-hungry
//! tests take turns so they do not steal each other's core on small machines.

use std::time::{Duration, Instant};

use perfhive_test_support::{exclusive, unique_path, Spawned};

use perfhive_probe::{
    self_cpu_time, self_peak_rss_bytes, thread_cpu_time, ticks_per_second, ProbeError,
    ProcessObserver, ProcessSelector,
};

fn temp_path(tag: &str) -> std::path::PathBuf {
    unique_path(&format!("probe-{tag}.pid"))
}

/// The kernel's own accounting of `pid` (`/proc/PID/schedstat`): nanoseconds on a CPU and
/// nanoseconds runnable but waiting for one.
fn schedstat(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).expect("schedstat");
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<u64>().expect("a number"));
    (fields.next().expect("run"), fields.next().expect("wait"))
}

#[test]
fn busy_loop_cpu_matches_the_kernels_accounting() {
    let _cpu = exclusive();
    let busy = Spawned::sh("while :; do :; done");
    let mut observer = ProcessObserver::new("busy", ProcessSelector::Pid(busy.pid()));
    assert_eq!(observer.name(), "busy");
    let (run0, wait0) = schedstat(busy.pid());
    let t0 = Instant::now();
    let first = observer.sample().expect("busy loop is alive");
    assert_eq!(
        (first.cpu_pct, first.pids),
        (None, 1),
        "no CPU figure on the first sample"
    );
    std::thread::sleep(Duration::from_secs(1));
    let point = observer.sample().expect("still alive");
    let (run1, wait1) = schedstat(busy.pid());
    let wall_ns = t0.elapsed().as_nanos() as f64;
    let cpu = point.cpu_pct.expect("CPU after the first sample");
    // However much of a core a loaded machine leaves the loop, the observer's figure is the
    // kernel's run time over the window (clock ticks are 10 ms: a few points of slack).
    let kernel = (run1 - run0) as f64 / wall_ns * 100.0;
    assert!(
        (cpu - kernel).abs() <= 5.0_f64.max(kernel * 0.1),
        "observer {cpu:.1}% vs kernel {kernel:.1}%"
    );
    assert!(cpu < 150.0, "one shell thread cannot use {cpu}%");
    // and it is a busy loop: running or waiting for a CPU all the time
    let demand = (run1 - run0 + wait1 - wait0) as f64 / wall_ns;
    assert!((0.8..1.2).contains(&demand), "demand {demand:.2} cores");
    let raw = observer.last_sample().expect("raw sample");
    assert!(
        raw.cpu_ticks > 0 && raw.threads >= 1 && raw.rss_bytes > 0,
        "{raw:?}"
    );
}

#[test]
fn sleeping_process_uses_almost_no_cpu() {
    let sleeper = Spawned::cmd("sleep", &["5"]);
    let mut observer = ProcessObserver::new("sleeper", ProcessSelector::Pid(sleeper.pid()));
    assert!(observer.sample().is_some());
    std::thread::sleep(Duration::from_millis(300));
    let point = observer.sample().expect("alive");
    let cpu = point.cpu_pct.expect("CPU on the second sample");
    assert!(cpu < 10.0, "sleep CPU {cpu}%");
    assert!(point.rss_mb > 0.0, "{point:?}");
    assert_eq!(point.pids, 1);
}

#[test]
fn name_selector_finds_the_spawned_sleep() {
    let sleeper = Spawned::cmd("sleep", &["5"]);
    let selector = ProcessSelector::Name("sleep".to_owned());
    let deadline = Instant::now() + Duration::from_secs(3);
    // The child execs `sleep` right after fork; wait until /proc shows the new image.
    while !selector
        .resolve()
        .expect("resolve")
        .contains(&sleeper.pid())
    {
        assert!(
            Instant::now() < deadline,
            "sleep {} not found by name",
            sleeper.pid()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut observer = ProcessObserver::new("sleepers", selector);
    let point = observer.sample().expect("found by name");
    assert!(point.pids >= 1);
    assert!(observer.pids().contains(&sleeper.pid()));
    assert!(ProcessSelector::Name("no-such-process-perfhive".into())
        .resolve()
        .expect("resolve")
        .is_empty());
}

#[test]
fn vanished_and_zombie_processes_are_gone_not_errors() {
    let mut child = Spawned::cmd("sleep", &["5"]);
    let pid = child.pid();
    let mut observer = ProcessObserver::new("gone", ProcessSelector::Pid(pid));
    assert!(observer.sample().is_some());
    // Killed but not yet reaped: a zombie, which does not count as alive.
    let _ = child.child().kill();
    let deadline = Instant::now() + Duration::from_secs(3);
    while !ProcessSelector::Pid(pid)
        .resolve()
        .expect("resolve")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "zombie still counted as alive");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(observer.sample(), None);
    child.kill();
    assert_eq!(
        ProcessSelector::Pid(pid).resolve().expect("resolve"),
        Vec::<i32>::new()
    );
    assert_eq!(observer.sample(), None);
}

#[test]
fn pid_file_follows_a_restart() {
    let path = temp_path("restart");
    let mut first = Spawned::cmd("sleep", &["5"]);
    std::fs::write(&path, format!("{}\n", first.pid())).expect("write pid file");
    let selector = ProcessSelector::PidFile(path.clone());
    assert!(selector.describe().contains(&*path.to_string_lossy()));
    let mut observer = ProcessObserver::new("svc", selector);
    assert_eq!(observer.sample().map(|p| p.pids), Some(1));
    assert_eq!(observer.pids(), &[first.pid()]);

    first.kill();
    let second = Spawned::cmd("sleep", &["5"]);
    std::fs::write(&path, format!("{}\n", second.pid())).expect("rewrite pid file");
    let point = observer.sample().expect("restarted process found");
    assert_eq!(point.cpu_pct, None, "a new process has no CPU baseline");
    assert_eq!(observer.pids(), &[second.pid()]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn bogus_pid_files_are_errors_naming_the_file() {
    let missing = temp_path("missing");
    let err = ProcessSelector::PidFile(missing.clone())
        .resolve()
        .expect_err("missing pid file");
    assert!(matches!(err, ProbeError::PidFileRead { .. }));
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );

    let garbage = temp_path("garbage");
    std::fs::write(&garbage, "not-a-pid\n").expect("write");
    let err = ProcessSelector::PidFile(garbage.clone())
        .resolve()
        .expect_err("garbage pid file");
    let _ = std::fs::remove_file(&garbage);
    assert!(matches!(err, ProbeError::PidFileParse { .. }));
    assert!(
        err.to_string().contains(&*garbage.to_string_lossy()),
        "{err}"
    );
    assert!(err.to_string().contains("not-a-pid"), "{err}");

    // An observer treats an unreadable pid file as "nothing to observe".
    assert_eq!(
        ProcessObserver::new("x", ProcessSelector::PidFile(missing)).sample(),
        None
    );
}

#[test]
fn own_cpu_time_grows_with_busy_work() {
    let _cpu = exclusive();
    let (process0, thread0) = (self_cpu_time(), thread_cpu_time());
    // Spin until this thread has burnt 100 ms of CPU (wall time is no proxy for CPU time when
    // other tests compete for the cores), bounded by a wall-clock deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut x = 0u64;
    while thread_cpu_time() < thread0 + Duration::from_millis(100) {
        assert!(Instant::now() < deadline, "thread CPU time did not grow");
        for i in 0..10_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
    let (process1, thread1) = (self_cpu_time(), thread_cpu_time());
    assert!(
        process1 >= process0 + Duration::from_millis(100),
        "{process0:?} -> {process1:?}"
    );
    assert!(thread1 <= process1, "a thread cannot exceed its process");
}

#[test]
fn peak_rss_and_tick_rate() {
    let block = vec![1u8; 32 * 1024 * 1024];
    std::hint::black_box(&block);
    assert!(
        self_peak_rss_bytes() >= 32 * 1024 * 1024,
        "{}",
        self_peak_rss_bytes()
    );
    assert!(ticks_per_second() >= 1);
}
