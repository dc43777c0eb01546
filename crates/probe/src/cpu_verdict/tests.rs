//! Unit tests of the CPU verdict.

use super::*;
use crate::window::{ProcessUsage, TreeMemory};

fn thread(pid: i32, tid: i32, runtime: Runtime, cpu: f64, demand: f64) -> ThreadUsage {
    ThreadUsage {
        pid,
        tid,
        name: format!("t{tid}"),
        process: "svc".into(),
        runtime,
        cpu_s: cpu / 100.0,
        wait_s: (demand - cpu) / 100.0,
        cpu_pct: cpu,
        demand_pct: demand,
        alive: true,
    }
}

fn process(pid: i32, runtime: Runtime, role: ProcessRole, threads: usize) -> ProcessUsage {
    ProcessUsage {
        pid,
        ppid: 1,
        starttime: 1,
        comm: "svc".into(),
        role,
        runtime,
        asgi_server: None,
        cpu_s: 0.0,
        cpu_pct: 0.0,
        rss_bytes: 0,
        pss_bytes: None,
        uss_bytes: None,
        threads,
        fds: 0,
        read_bytes: None,
        write_bytes: None,
        alive: true,
        first_seen_s: 0.0,
    }
}

fn window(processes: Vec<ProcessUsage>, threads: Vec<ThreadUsage>) -> TreeWindow {
    TreeWindow {
        duration_s: 1.0,
        cpu_s: threads.iter().map(|t| t.cpu_s).sum(),
        wait_s: threads.iter().map(|t| t.wait_s).sum(),
        processes,
        threads,
        memory: TreeMemory {
            rss_bytes: 0,
            pss_bytes: None,
            uss_bytes: None,
        },
        exited: 0,
        started: 0,
    }
}

fn py() -> Runtime {
    Runtime::CPython {
        version: Some("3.11".into()),
        libpython: None,
    }
}

#[test]
fn one_python_thread_on_a_half_idle_machine_is_the_gil() {
    // 60% on CPU + 38% waiting for a CPU taken by other processes: saturated all the same.
    let w = window(
        vec![process(10, py(), ProcessRole::Service, 4)],
        vec![
            thread(10, 11, py(), 60.0, 98.0),
            thread(10, 12, py(), 1.0, 1.0),
        ],
    );
    let v = CpuVerdict::assess(&w, 2);
    let CpuVerdict::SingleThreadSaturated { cause, workers, .. } = &v else {
        panic!("{v:?}");
    };
    assert_eq!((*cause, *workers), (SaturationCause::Gil, 1));
    assert!(
        v.headline().starts_with("CPU-bound on one thread (GIL)"),
        "{}",
        v.headline()
    );
    assert!(
        v.fix().expect("fix").contains("gunicorn -w 2"),
        "{:?}",
        v.fix()
    );
    assert!(v.is_cpu_limited());
}

/// One ASGI worker process of `server`, pid 30 and named after the server's script: its main
/// thread (the event loop) at 95 % and the given others `(tid, cpu %)`.
fn asgi_worker(server: AsgiServer, others: &[(i32, f64)]) -> TreeWindow {
    let named = |mut t: ThreadUsage| {
        t.process = server.label().split(' ').next().unwrap_or_default().into();
        t
    };
    let mut threads = vec![named(thread(30, 30, py(), 95.0, 96.0))];
    threads.extend(
        others
            .iter()
            .map(|&(tid, cpu)| named(thread(30, tid, py(), cpu, cpu + 1.0))),
    );
    threads.sort_by(|a, b| b.demand_pct.total_cmp(&a.demand_pct));
    let mut p = process(30, py(), ProcessRole::Service, 4);
    p.asgi_server = Some(server);
    window(vec![p], threads)
}

/// One uvicorn process running a CPU-bound `async def` handler: its event loop, not the
/// GIL, is what caps it — a span exporter's few percent on another thread notwithstanding —
/// and the fix is offloading or `uvicorn --workers`.
#[test]
fn one_saturated_uvicorn_thread_is_its_asyncio_event_loop() {
    let w = asgi_worker(AsgiServer::Uvicorn, &[(31, 6.0), (32, 1.0)]);
    let v = CpuVerdict::assess(&w, 2);
    let CpuVerdict::SingleThreadSaturated { cause, thread, .. } = &v else {
        panic!("{v:?}");
    };
    assert_eq!(
        *cause,
        SaturationCause::AsyncioEventLoop(AsgiServer::Uvicorn)
    );
    assert_eq!(thread.tid, 30);
    let (headline, fix) = (v.headline(), v.fix().expect("fix"));
    assert!(
        headline.contains("event loop") && !headline.contains("GIL"),
        "{headline}"
    );
    for word in [
        "uvicorn (pid 30) runs",
        "event loop",
        "run_in_executor",
        "uvicorn --workers 2",
    ] {
        assert!(fix.contains(word), "{word}: {fix}");
    }
    for word in ["GIL", "gunicorn", "uWSGI"] {
        assert!(!fix.contains(word), "{word}: {fix}");
    }
}

/// A sync `def` handler saturates an executor thread, not the loop: the threads share the GIL.
#[test]
fn a_saturated_thread_pool_thread_of_an_asgi_worker_is_the_gil() {
    let mut w = asgi_worker(AsgiServer::Uvicorn, &[(31, 2.0)]);
    // the loop idles at 8 %; an AnyIO worker thread runs the handler
    w.threads = vec![
        thread(30, 41, py(), 93.0, 97.0),
        thread(30, 30, py(), 8.0, 9.0),
    ];
    for t in &mut w.threads {
        t.process = "uvicorn".into();
    }
    let v = CpuVerdict::assess(&w, 2);
    let CpuVerdict::SingleThreadSaturated { cause, thread, .. } = &v else {
        panic!("{v:?}");
    };
    assert_eq!((*cause, thread.tid), (SaturationCause::Gil, 41));
    let fix = v.fix().expect("fix");
    assert!(fix.contains("GIL") && !fix.contains("event loop"), "{fix}");
}

/// The loop saturated while another thread of the process also works: the GIL, which the
/// threads share, caps them together.
#[test]
fn a_saturated_loop_with_another_busy_thread_is_the_gil() {
    for others in [&[(31, 30.0)][..], &[(31, 12.0), (32, 11.0)]] {
        let v = CpuVerdict::assess(&asgi_worker(AsgiServer::Hypercorn, others), 2);
        assert!(
            matches!(
                v,
                CpuVerdict::SingleThreadSaturated {
                    cause: SaturationCause::Gil,
                    ..
                }
            ),
            "{others:?}: {v:?}"
        );
    }
}

/// Each server's fix names its own way to run more workers, never uvicorn's for another.
#[test]
fn each_asgi_server_gets_its_own_scale_out_fix() {
    let fixes = [
        (AsgiServer::Uvicorn, "`uvicorn --workers 4`"),
        (AsgiServer::Hypercorn, "`hypercorn --workers 4`"),
        (AsgiServer::Granian, "`granian --workers 4`"),
        (AsgiServer::Daphne, "4 daphne processes"),
        (
            AsgiServer::GunicornUvicorn,
            "`gunicorn -k uvicorn.workers.UvicornWorker -w 4`",
        ),
    ];
    for (server, option) in fixes {
        let v = CpuVerdict::assess(&asgi_worker(server, &[]), 4);
        assert!(
            matches!(
                v,
                CpuVerdict::SingleThreadSaturated {
                    cause: SaturationCause::AsyncioEventLoop(s),
                    ..
                } if s == server
            ),
            "{v:?}"
        );
        let fix = v.fix().expect("fix");
        assert!(fix.contains(option), "{server:?}: {fix}");
        assert!(fix.contains("run_in_executor"), "{server:?}: {fix}");
        if server != AsgiServer::Uvicorn {
            assert!(!fix.contains("uvicorn --workers"), "{server:?}: {fix}");
        }
    }
}

/// `python -m uvicorn`: the process is named python3; the server comes from its command line
/// through the window's accounts.
#[test]
fn a_python_m_uvicorn_process_is_found_from_its_command_line() {
    use crate::tree::{ProcessTree, TreeProcess};
    use crate::window::{Accounts, ProcReading};
    use std::time::{Duration, Instant};

    let mut a = Accounts::default();
    let t0 = Instant::now();
    let reading = |ticks| ProcReading {
        pid: 30,
        starttime: 0,
        ticks,
        io: None,
        rss_bytes: 0,
        fds: 0,
        threads: 2,
        comm: b"python3",
        ppid: 1,
    };
    let tree = |argv: &str| ProcessTree {
        processes: vec![TreeProcess {
            pid: 30,
            ppid: 1,
            starttime: 0,
            comm: "python3".into(),
            exe: None,
            argv: argv.split(' ').map(str::to_owned).collect(),
            runtime: py(),
            role: ProcessRole::Service,
            depth: 0,
        }],
    };
    a.begin(t0);
    a.process(&reading(0));
    a.thread(30, 30, 0, b"python3", (0, 0));
    a.thread(30, 31, 0, b"python3", (0, 0));
    a.begin(t0 + Duration::from_secs(1));
    a.process(&reading(97));
    a.thread(30, 30, 0, b"python3", (960_000_000, 10_000_000));
    a.thread(30, 31, 0, b"python3", (10_000_000, 0));

    a.describe(&tree("/usr/bin/python3 main.py"));
    let v = CpuVerdict::assess(&a.window(100.0), 2);
    assert!(
        matches!(
            v,
            CpuVerdict::SingleThreadSaturated {
                cause: SaturationCause::Gil,
                ..
            }
        ),
        "{v:?}"
    );
    a.describe(&tree("/usr/bin/python3 -m uvicorn main:app --port 8000"));
    let v = CpuVerdict::assess(&a.window(100.0), 2);
    assert!(
        v.fix().unwrap().contains("python3 (pid 30, uvicorn)"),
        "{v:?}"
    );
    assert!(
        matches!(
            v,
            CpuVerdict::SingleThreadSaturated {
                cause: SaturationCause::AsyncioEventLoop(AsgiServer::Uvicorn),
                ..
            }
        ),
        "{v:?}"
    );
    assert!(v.fix().unwrap().contains("uvicorn --workers 2"), "{v:?}");
}

#[test]
fn node_event_loop_and_single_native_worker() {
    let w = window(
        vec![process(20, Runtime::Node, ProcessRole::Service, 11)],
        vec![thread(20, 20, Runtime::Node, 97.0, 99.0)],
    );
    let v = CpuVerdict::assess(&w, 4);
    assert!(matches!(
        v,
        CpuVerdict::SingleThreadSaturated {
            cause: SaturationCause::EventLoop,
            ..
        }
    ));
    assert!(v.fix().expect("fix").contains("worker_threads"));

    let w = window(
        vec![process(30, Runtime::Native, ProcessRole::Service, 1)],
        vec![thread(30, 30, Runtime::Native, 99.0, 99.0)],
    );
    let v = CpuVerdict::assess(&w, 4);
    assert!(matches!(
        v,
        CpuVerdict::SingleThreadSaturated {
            cause: SaturationCause::SingleWorker,
            ..
        }
    ));
    let w = window(
        vec![process(30, Runtime::Native, ProcessRole::Service, 8)],
        vec![
            thread(30, 30, Runtime::Native, 99.0, 99.0),
            thread(30, 31, Runtime::Native, 20.0, 20.0),
        ],
    );
    assert!(matches!(
        CpuVerdict::assess(&w, 4),
        CpuVerdict::SingleThreadSaturated {
            cause: SaturationCause::SingleThread,
            ..
        }
    ));
}

#[test]
fn all_cores_busy_is_cpu_bound_not_one_thread() {
    let w = window(
        vec![
            process(1, py(), ProcessRole::Worker, 1),
            process(2, py(), ProcessRole::Worker, 1),
        ],
        vec![
            thread(1, 1, py(), 95.0, 99.0),
            thread(2, 2, py(), 90.0, 99.0),
        ],
    );
    let v = CpuVerdict::assess(&w, 2);
    assert!(
        matches!(
            v,
            CpuVerdict::CpuBound {
                saturated_threads: 2,
                ..
            }
        ),
        "{v:?}"
    );
    assert!(v
        .headline()
        .starts_with("CPU-bound: the service uses 1.85 of 2 cores"));
}

#[test]
fn many_wakeful_idle_threads_on_a_busy_host_are_not_cpu_bound() {
    // 40 threads, each 0.5% on CPU and 15% waiting for a core after its wake-ups.
    let threads: Vec<ThreadUsage> = (0..40)
        .map(|i| thread(1, 100 + i, Runtime::Jvm, 0.5, 15.0))
        .collect();
    let w = window(
        vec![process(1, Runtime::Jvm, ProcessRole::Service, 40)],
        threads,
    );
    assert!(w.demand_cores() > 5.0);
    let v = CpuVerdict::assess(&w, 2);
    assert!(matches!(v, CpuVerdict::NotCpuBound { .. }), "{v:?}");
}

#[test]
fn idle_and_short_windows() {
    let w = window(
        vec![process(1, py(), ProcessRole::Service, 2)],
        vec![thread(1, 1, py(), 30.0, 35.0)],
    );
    let v = CpuVerdict::assess(&w, 2);
    assert!(matches!(v, CpuVerdict::NotCpuBound { .. }), "{v:?}");
    assert!(v.fix().is_none() && !v.is_cpu_limited());
    assert!(
        v.headline().contains("wants 35% of a core"),
        "{}",
        v.headline()
    );
    let mut short = w.clone();
    short.duration_s = 0.1;
    assert!(matches!(
        CpuVerdict::assess(&short, 2),
        CpuVerdict::InsufficientData { .. }
    ));
    let empty = window(Vec::new(), Vec::new());
    assert!(matches!(
        CpuVerdict::assess(&empty, 2),
        CpuVerdict::InsufficientData { .. }
    ));
}
