//! The USE sampler against real child processes with known behaviour: busy, sleeping, writing,
//! forking, growing. Every child runs in its own process group, killed (and reaped) by a guard
//! (perfhive-test-support's `Spawned`), so
//! no test outlives its few seconds; the tests take turns so they do not compete for the CPUs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use perfhive_test_support::{exclusive, Spawned};

use perfhive_probe::{
    sample_for, summarize, thread_cpu_time, ProcessSelector, UseSample, UseSampler,
};

fn selector(child: &Spawned) -> ProcessSelector {
    ProcessSelector::Pid(child.pid())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Samples `sampler` every `every` until `until` returns true or `max` passes.
fn sample_while(
    sampler: &mut UseSampler,
    every: Duration,
    max: Duration,
    mut until: impl FnMut(&[UseSample]) -> bool,
) -> Vec<UseSample> {
    let end = Instant::now() + max;
    let mut out = Vec::new();
    while Instant::now() < end {
        if let Some(s) = sampler.sample() {
            out.push(s);
        }
        if until(&out) {
            break;
        }
        std::thread::sleep(every);
    }
    out
}

fn mean_share(samples: &[UseSample], f: fn(&UseSample) -> usize) -> f64 {
    let n = samples.len().max(1) as f64;
    samples
        .iter()
        .map(|s| f(s) as f64 / s.threads.max(1) as f64)
        .sum::<f64>()
        / n
}

#[test]
fn busy_child_is_cpu_bound() {
    let _serial = exclusive();
    let busy = Spawned::sh("while :; do :; done");
    let stop = AtomicBool::new(false);
    let samples = sample_for(selector(&busy), 50, Duration::from_millis(1500), &stop);
    drop(busy);
    let summary = summarize(&samples, cores()).expect("enough samples");
    let busy_cores = summary.cpu_utilization * summary.cores as f64;
    assert!((busy_cores - summary.cpu_busy_cores).abs() < 1e-9);
    // One thread that always wants a CPU: running or waiting in the run queue for about one
    // core's worth of time per second, however much of the CPU a loaded machine leaves it.
    let demand = summary.cpu_busy_cores + summary.run_queue_wait_ratio;
    assert!((0.8..1.2).contains(&demand), "{summary:?}");
    assert!(summary.cpu_busy_cores > 0.05, "{summary:?}");
    assert!(summary.running_fraction > 0.7, "{summary:?}");
    assert!(summary.duration_s > 1.2, "{summary:?}");
    let last = samples.last().expect("samples");
    assert_eq!((last.pids, last.threads), (1, 1));
    assert!(last.fds >= 3, "stdin/stdout/stderr at least: {last:?}");
}

#[test]
fn sleeping_child_is_idle() {
    let _serial = exclusive();
    let sleeper = Spawned::cmd("sleep", &["3"]);
    let stop = AtomicBool::new(false);
    let samples = sample_for(selector(&sleeper), 20, Duration::from_secs(1), &stop);
    let summary = summarize(&samples, cores()).expect("enough samples");
    assert!(summary.cpu_busy_cores < 0.1, "{summary:?}");
    assert!(summary.running_fraction < 0.2, "{summary:?}");
    assert!(summary.ivcs_per_s < 50.0, "{summary:?}");
    let sleeping = mean_share(&samples, |s| s.threads_sleeping);
    assert!(sleeping > 0.8, "sleeping share {sleeping}");
}

#[test]
fn writing_child_shows_write_bytes() {
    let _serial = exclusive();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("use-sampler-{}.bin", std::process::id()));
    let mut writer = Spawned::cmd(
        "dd",
        &[
            "if=/dev/zero",
            &format!("of={}", file.display()),
            "bs=1M",
            "count=200",
            "conv=fsync",
        ],
    );
    let mut sampler = UseSampler::new(selector(&writer));
    let samples = sample_while(
        &mut sampler,
        Duration::from_millis(10),
        Duration::from_secs(20),
        |_| writer.exited(),
    );
    drop(writer);
    let _ = std::fs::remove_file(&file);
    let (first, last) = (
        samples.first().expect("samples"),
        samples.last().expect("samples"),
    );
    assert!(samples.len() >= 2, "{samples:?}");
    if first.io_readable && last.io_readable {
        let grown = last.write_bytes.saturating_sub(first.write_bytes);
        assert!(grown > 20 << 20, "write_bytes grew by {grown}: {samples:?}");
        assert!(last.write_bytes <= 256 << 20, "{last:?}");
    }
    // Threads in D state (waiting on the disk) may or may not be caught: not asserted.
}

#[test]
fn grandchildren_are_observed() {
    let _serial = exclusive();
    let parent = Spawned::sh("sleep 2 & wait");
    let mut sampler = UseSampler::new(selector(&parent));
    let samples = sample_while(
        &mut sampler,
        Duration::from_millis(50),
        Duration::from_millis(1800),
        |s| s.last().is_some_and(|s| s.pids >= 2),
    );
    let last = samples.last().expect("samples");
    assert!(last.pids >= 2, "{samples:?}");
    assert!(last.threads >= 2, "{last:?}");
    assert!(sampler.pids().contains(&parent.pid()));
    assert!(sampler.pids().len() >= 2);
}

#[test]
fn growing_child_shows_rss_growth() {
    let _serial = exclusive();
    let script = "import time\n\
                  held = []\n\
                  for _ in range(10):\n    held.append(b'\\x01' * (10 << 20))\n    time.sleep(0.1)\n\
                  time.sleep(3)\n";
    let grower = Spawned::cmd("python3", &["-c", script]);
    let stop = AtomicBool::new(false);
    let samples = sample_for(selector(&grower), 20, Duration::from_millis(1600), &stop);
    let summary = summarize(&samples, cores()).expect("enough samples");
    assert!(
        summary.rss_end_mb > summary.rss_start_mb + 30.0,
        "{summary:?}"
    );
}

#[test]
fn sample_for_keeps_its_rate_and_stops_on_the_flag() {
    let _serial = exclusive();
    let sleeper = Spawned::cmd("sleep", &["10"]);

    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let samples = sample_for(selector(&sleeper), 50, Duration::from_secs(1), &stop);
    let took = started.elapsed();
    assert!((25..=50).contains(&samples.len()), "{}", samples.len());
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(samples.windows(2).all(|w| w[0].t < w[1].t));

    // Out-of-range rates are clamped to 10..=100, and at most max × hz samples are kept.
    let samples = sample_for(
        selector(&sleeper),
        100_000,
        Duration::from_millis(300),
        &stop,
    );
    assert!(samples.len() <= 30, "{}", samples.len());
    let samples = sample_for(selector(&sleeper), 1, Duration::from_millis(500), &stop);
    assert!((3..=5).contains(&samples.len()), "{}", samples.len());

    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let samples = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
        sample_for(selector(&sleeper), 20, Duration::from_secs(30), &stop)
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!((2..=10).contains(&samples.len()), "{}", samples.len());

    // Nothing matches: no samples, and no waiting beyond `max`.
    let none = sample_for(
        ProcessSelector::Name("perfhive-no-such-process".into()),
        10,
        Duration::from_millis(200),
        &AtomicBool::new(false),
    );
    assert!(none.is_empty());
}

/// The cost the module docs state: one sample of a ~20-thread process at a few percent CPU.
#[test]
#[allow(clippy::print_stderr)]
fn sample_cost() {
    let _serial = exclusive();
    let script = "import threading, time\n\
                  def work():\n    while True:\n        time.sleep(0.01)\n        sum(range(300))\n\
                  for _ in range(20):\n    threading.Thread(target=work, daemon=True).start()\n\
                  time.sleep(10)\n";
    let target = Spawned::cmd("python3", &["-c", script]);
    let mut sampler = UseSampler::new(selector(&target));
    // Wait until the threads exist; the first sample also builds the process tree.
    let warm = sample_while(
        &mut sampler,
        Duration::from_millis(20),
        Duration::from_secs(3),
        |s| s.last().is_some_and(|s| s.threads >= 21),
    );
    assert!(warm.last().is_some_and(|s| s.threads >= 21), "{warm:?}");

    let rounds = 200u32;
    let (cpu0, wall0) = (thread_cpu_time(), Instant::now());
    let mut threads = 0;
    for _ in 0..rounds {
        threads = sampler.sample().expect("target alive").threads;
    }
    let (cpu, wall) = (
        (thread_cpu_time() - cpu0) / rounds,
        wall0.elapsed() / rounds,
    );
    // One sample that also refreshes the process tree (once a second).
    std::thread::sleep(Duration::from_millis(1100));
    let refresh0 = Instant::now();
    let _ = sampler.sample();
    let refresh = refresh0.elapsed();
    eprintln!(
        "use sampler: {threads} threads, {cpu:?} CPU, {wall:?} wall per sample; \
         {refresh:?} with the tree refresh"
    );
    assert!(wall < Duration::from_millis(5), "{wall:?} per sample");
}
