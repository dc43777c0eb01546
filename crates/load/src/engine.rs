//! The run: prepares requests and connections from a scenario, starts the workers, and
//! aggregates their one-second reports into the time series, evaluates rollback triggers on
//! sliding windows, samples observed processes from /proc, and reports progress.

use crate::conn::{self, Endpoint};
use crate::http1::serialize_request;
use crate::schedule::Schedule;
use crate::stats::{Interval, WorkerStats};
use crate::worker::{self, Msg, Plan, Prepared, Proto, StopSignal};
use perfhive_core::record::{AbortInfo, ProcessPoint, TimePoint};
use perfhive_core::{Metric, MetricSource};
use perfhive_probe::{ProcessObserver, ProcessSelector};
use perfhive_scenario::{HttpVersion, Model, ObserveBy, Profile, Scenario};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How a run is carried out (not what is sent: that is the scenario).
#[derive(Clone)]
pub struct LoadOptions {
    /// Worker threads (each a current-thread runtime).
    pub threads: usize,
    /// Multiplies every phase duration (1.0 = as written).
    pub time_scale: f64,
    /// Extra trusted root certificates (DER).
    pub extra_roots: Vec<Vec<u8>>,
    /// Stop control shared with the caller (Ctrl-C).
    pub stop: Arc<StopSignal>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            time_scale: 1.0,
            extra_roots: Vec::new(),
            stop: Arc::new(StopSignal::default()),
        }
    }
}

/// A once-a-second progress report.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Time since the start.
    pub elapsed: Duration,
    /// Planned length.
    pub total: Duration,
    /// Phase in force.
    pub phase: String,
    /// Target rate or users.
    pub target: f64,
    /// Completed requests in the last second.
    pub rps: f64,
    /// Corrected p99 of the last second, ms.
    pub p99_ms: Option<f64>,
    /// Completed requests so far.
    pub requests: u64,
    /// Failed requests so far.
    pub errors: u64,
    /// Requests in flight.
    pub in_flight: u64,
}

/// Receives progress.
pub trait Progress {
    /// Called once a second with the totals so far and that second's time-series point.
    fn tick(&mut self, tick: &Tick, point: &TimePoint);
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn tick(&mut self, _: &Tick, _: &TimePoint) {}
}

/// Errors that prevent a run from starting.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A URL could not be used.
    #[error("invalid URL `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// DNS resolution failed.
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        /// The host.
        host: String,
        /// The error.
        source: std::io::Error,
    },
    /// A request could not be built.
    #[error("invalid request `{name}`: {reason}")]
    Request {
        /// Request name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Threads or timers could not be created.
    #[error("cannot start the load generator: {0}")]
    Start(#[from] std::io::Error),
}

/// What the engine measured; turned into a record by [`crate::build_record`].
pub struct RunResult {
    /// Wall-clock start.
    pub started: SystemTime,
    /// Length of the run.
    pub elapsed: Duration,
    /// The profile as run (time-scaled).
    pub profile: Profile,
    /// Protocol used.
    pub proto: Proto,
    /// Worker threads.
    pub workers: usize,
    /// Merged stats of all workers.
    pub stats: WorkerStats,
    /// One point per second.
    pub timeseries: Vec<TimePoint>,
    /// Observed processes: name and how they were selected, and whether ever found.
    pub observed: Vec<(String, String, bool, usize)>,
    /// Set when stopped early.
    pub abort: Option<AbortInfo>,
    /// Total CPU of the worker threads.
    pub generator_cpu: Duration,
    /// The in-flight limit.
    pub in_flight_limit: u64,
    /// Base URL actually targeted.
    pub url: String,
}

fn prepare(
    scenario: &Scenario,
    opts: &LoadOptions,
) -> Result<(Vec<Prepared>, Vec<Endpoint>), LoadError> {
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let mut prepared = Vec::new();
    for r in &scenario.target.requests {
        let uri: http::Uri = r
            .url
            .parse()
            .map_err(|e: http::uri::InvalidUri| LoadError::Url {
                url: r.url.clone(),
                reason: e.to_string(),
            })?;
        if !matches!(uri.scheme_str(), Some("http") | Some("https")) {
            return Err(LoadError::Url {
                url: r.url.clone(),
                reason: "expected http:// or https://".into(),
            });
        }
        let ep = Endpoint::resolve(&uri).map_err(|source| LoadError::Resolve {
            host: uri.host().unwrap_or_default().to_string(),
            source,
        })?;
        let idx = match endpoints.iter().position(|e| e.origin == ep.origin) {
            Some(i) => i,
            None => {
                endpoints.push(ep);
                endpoints.len() - 1
            }
        };
        let authority = endpoints[idx].authority.clone();
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let path = if path.is_empty() { "/" } else { path };
        let method: http::Method = r.method.parse().map_err(|_| LoadError::Request {
            name: r.name.clone(),
            reason: format!("invalid method `{}`", r.method),
        })?;
        let mut headers = http::HeaderMap::new();
        for (k, v) in &r.headers {
            let name: http::HeaderName = k.parse().map_err(|_| LoadError::Request {
                name: r.name.clone(),
                reason: format!("invalid header name `{k}`"),
            })?;
            let value: http::HeaderValue = v.parse().map_err(|_| LoadError::Request {
                name: r.name.clone(),
                reason: format!("invalid value for header `{k}`"),
            })?;
            if name != http::header::HOST {
                headers.append(name, value);
            }
        }
        headers
            .entry(http::header::USER_AGENT)
            .or_insert(http::HeaderValue::from_static(concat!(
                "perfhive/",
                env!("CARGO_PKG_VERSION")
            )));
        prepared.push(Prepared {
            endpoint: idx,
            http1: serialize_request(&r.method, path, &authority, &r.headers, &r.body),
            head: method == http::Method::HEAD,
            method,
            uri,
            headers,
            body: bytes::Bytes::from(r.body.clone()),
            weight: r.weight,
        });
    }
    let _ = opts;
    Ok((prepared, endpoints))
}

/// Picks HTTP/1.1 or HTTP/2 and builds the TLS connector.
async fn negotiate(
    scenario: &Scenario,
    opts: &LoadOptions,
    endpoints: &[Endpoint],
) -> (Proto, Option<tokio_rustls::TlsConnector>) {
    let any_tls = endpoints.iter().any(|e| e.tls);
    let insecure = scenario.target.insecure;
    let mk = |alpn: &[&[u8]]| {
        tokio_rustls::TlsConnector::from(conn::tls_config(insecure, alpn, &opts.extra_roots))
    };
    match scenario.target.http {
        HttpVersion::Http1 => (Proto::Http1, any_tls.then(|| mk(&[b"http/1.1"]))),
        HttpVersion::Http2 => (Proto::Http2, any_tls.then(|| mk(&[b"h2"]))),
        HttpVersion::Auto if !any_tls => (Proto::Http1, None),
        HttpVersion::Auto => {
            // Ask the server (ALPN) once; fall back to HTTP/1.1 when it cannot be reached.
            let probe = mk(&[b"h2", b"http/1.1"]);
            let ep = endpoints.iter().find(|e| e.tls).expect("any_tls");
            let h2 = matches!(
                tokio::time::timeout(scenario.target.timeout, conn::connect(ep, Some(&probe)))
                    .await,
                Ok(Ok((_, _, true)))
            );
            if h2 {
                (Proto::Http2, Some(mk(&[b"h2"])))
            } else {
                (Proto::Http1, Some(mk(&[b"http/1.1"])))
            }
        }
    }
}

fn selector(by: &ObserveBy) -> ProcessSelector {
    match by {
        ObserveBy::Pid(p) => ProcessSelector::Pid(*p),
        ObserveBy::PidFile(f) => ProcessSelector::PidFile(f.clone()),
        ObserveBy::Process(n) => ProcessSelector::Name(n.clone()),
    }
}

/// One finalised second, kept for trigger windows.
struct Second {
    interval: Interval,
    procs: BTreeMap<String, ProcessPoint>,
}

/// Metrics over the last `n` seconds.
struct Window<'a> {
    secs: &'a VecDeque<Second>,
    n: usize,
}

impl MetricSource for Window<'_> {
    fn metric(&self, m: &Metric) -> Option<f64> {
        let skip = self.secs.len().saturating_sub(self.n);
        let win = || self.secs.iter().skip(skip);
        let requests: u64 = win().map(|s| s.interval.requests).sum();
        match m {
            Metric::ErrorRatePct => (requests > 0).then(|| {
                100.0 * win().map(|s| s.interval.errors).sum::<u64>() as f64 / requests as f64
            }),
            Metric::ThroughputRps => Some(requests as f64 / self.n as f64),
            Metric::Requests => Some(requests as f64),
            Metric::DroppedRequests => None,
            Metric::Latency { stat, .. } => {
                let mut h = perfhive_core::LatencyHistogram::with_precision(2);
                for s in win() {
                    h.merge(&s.interval.latency);
                }
                crate::record::latency_stat(&h, *stat)
            }
            Metric::ProcessCpuPct { process, max } => {
                let v: Vec<f64> = win()
                    .filter_map(|s| s.procs.get(process).and_then(|p| p.cpu_pct))
                    .collect();
                if v.is_empty() {
                    None
                } else if *max {
                    v.iter().copied().reduce(f64::max)
                } else {
                    Some(v.iter().sum::<f64>() / v.len() as f64)
                }
            }
            Metric::ProcessRssMb { process } => win()
                .filter_map(|s| s.procs.get(process).map(|p| p.rss_mb))
                .reduce(f64::max),
            // rejected in triggers by the scenario parser: spans arrive in batches, too late
            Metric::DependencyLatency { .. } => None,
        }
    }
}

/// Runs a scenario to completion, abort or interruption.
pub async fn run(
    scenario: &Scenario,
    opts: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<RunResult, LoadError> {
    let (requests, endpoints) = prepare(scenario, opts)?;
    let (proto, tls) = negotiate(scenario, opts, &endpoints).await;
    let profile = if (opts.time_scale - 1.0).abs() > f64::EPSILON {
        scenario.profile.time_scaled(opts.time_scale)
    } else {
        scenario.profile.clone()
    };
    let (open, schedule) = match profile.model {
        Model::Open => (true, Some(Schedule::from_profile(&profile))),
        Model::Closed {
            rate_cap_rps: Some(cap),
        } => (false, Some(Schedule::constant(cap, profile.total()))),
        Model::Closed { rate_cap_rps: None } => (false, None),
    };
    let workers = opts.threads.max(1);
    let limit = scenario.target.max_in_flight;
    let per_worker = limit.div_ceil(workers).max(1);
    let h2_connections = scenario
        .target
        .connections
        .map(|c| c.div_ceil(workers))
        .unwrap_or(1)
        .max(1);

    // Observed processes: those named in `observe:`, plus names used by criteria and triggers
    // (looked up by process name).
    let mut observers: Vec<(ProcessObserver, String, bool, usize)> = scenario
        .observe
        .iter()
        .map(|o| {
            let sel = selector(&o.by);
            let desc = sel.describe();
            (ProcessObserver::new(o.name.clone(), sel), desc, false, 0)
        })
        .collect();
    let metrics = scenario
        .criteria
        .iter()
        .map(|c| &c.metric)
        .chain(scenario.triggers.iter().map(|t| &t.condition.metric));
    for m in metrics {
        if let Some(name) = m.process() {
            if !observers.iter().any(|(o, ..)| o.name() == name) {
                let sel = ProcessSelector::Name(name.to_string());
                let desc = sel.describe();
                observers.push((ProcessObserver::new(name.to_string(), sel), desc, false, 0));
            }
        }
    }
    for (o, _, found, pids) in observers.iter_mut() {
        // first sample primes CPU accounting
        if let Some(p) = o.sample() {
            *found = true;
            *pids = p.pids;
        }
    }

    let start = Instant::now() + Duration::from_millis(30);
    let started = SystemTime::now() + Duration::from_millis(30);
    let plan = Arc::new(Plan {
        start,
        profile: profile.clone(),
        schedule,
        open,
        requests,
        endpoints,
        proto,
        tls,
        timeout: scenario.target.timeout,
        ok_status: scenario.target.ok_status.clone(),
        workers,
        max_in_flight: per_worker,
        h2_connections,
        stop: opts.stop.clone(),
    });
    let url = scenario.target.url.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut threads = Vec::new();
    for id in 0..workers {
        threads.push(worker::spawn(plan.clone(), id, tx.clone())?);
    }
    drop(tx);

    let latency_triggers = scenario
        .triggers
        .iter()
        .any(|t| matches!(t.condition.metric, Metric::Latency { .. }));
    // Trigger windows in seconds, scaled like the phases when rehearsing with --time-scale.
    let window_of = |t: &perfhive_core::Trigger| {
        ((t.window.as_secs_f64() * opts.time_scale).round() as usize).max(1)
    };
    let max_window = scenario.triggers.iter().map(window_of).max().unwrap_or(0);
    let mut ring: VecDeque<Second> = VecDeque::new();
    let mut pending: BTreeMap<u64, (usize, Interval, u64)> = BTreeMap::new();
    let mut worker_cpu = vec![Duration::ZERO; workers];
    let mut last_cpu = Duration::ZERO;
    let mut finals: Vec<Box<WorkerStats>> = Vec::new();
    let mut tail = Interval::default();
    let mut next = 1u64;
    let mut timeseries = Vec::new();
    let mut abort: Option<AbortInfo> = None;
    let mut hard_deadline: Option<Instant> = None;
    let (mut total_requests, mut total_errors) = (0u64, 0u64);
    let give_up = start + profile.total() + scenario.target.timeout + Duration::from_secs(10);

    let mut finalize = |k: u64,
                        agg: (usize, Interval, u64),
                        worker_cpu: &[Duration],
                        observers: &mut Vec<(ProcessObserver, String, bool, usize)>,
                        abort: &mut Option<AbortInfo>,
                        timeseries: &mut Vec<TimePoint>,
                        elapsed: Duration| {
        let (_, interval, in_flight) = agg;
        let cpu: Duration = worker_cpu.iter().sum();
        let cpu_pct = 100.0 * cpu.saturating_sub(last_cpu).as_secs_f64() / 1.0;
        last_cpu = cpu;
        let mut procs = BTreeMap::new();
        for (o, _, found, pids) in observers.iter_mut() {
            if let Some(p) = o.sample() {
                *found = true;
                *pids = (*pids).max(p.pids);
                procs.insert(
                    o.name().to_string(),
                    ProcessPoint {
                        cpu_pct: p.cpu_pct.map(round2),
                        rss_mb: round2(p.rss_mb),
                    },
                );
            }
        }
        let mid = Duration::from_secs(k)
            .saturating_sub(Duration::from_millis(500))
            .min(elapsed);
        let phase = profile.phases.get(profile.phase_index(mid));
        total_requests += interval.requests;
        total_errors += interval.errors;
        let point = TimePoint {
            t: k as f64,
            phase: phase.map(|p| p.name.clone()).unwrap_or_default(),
            target: round2(profile.target_at(mid)),
            requests: interval.requests,
            errors: interval.errors,
            p50_ms: interval.latency.quantile_ms(0.5),
            p99_ms: interval.latency.quantile_ms(0.99),
            in_flight,
            generator_cpu_pct: round2(cpu_pct),
            processes: procs.clone(),
        };
        progress.tick(
            &Tick {
                elapsed: Duration::from_secs(k),
                total: profile.total(),
                phase: point.phase.clone(),
                target: point.target,
                rps: interval.requests as f64,
                p99_ms: point.p99_ms,
                requests: total_requests,
                errors: total_errors,
                in_flight,
            },
            &point,
        );
        timeseries.push(point);
        let mut kept = interval;
        if !latency_triggers {
            kept.latency = perfhive_core::LatencyHistogram::with_precision(1);
        }
        if max_window > 0 {
            ring.push_back(Second {
                interval: kept,
                procs,
            });
            while ring.len() > max_window {
                ring.pop_front();
            }
        }
        if abort.is_none() {
            for t in &scenario.triggers {
                let n = window_of(t);
                if ring.len() < n {
                    continue;
                }
                let (value, holds) = t.condition.evaluate(&Window { secs: &ring, n });
                if holds == Some(true) {
                    *abort = Some(AbortInfo {
                        reason: "trigger".into(),
                        trigger: Some(t.text.clone()),
                        value: value.map(round2),
                        at_s: k as f64,
                    });
                    break;
                }
            }
        }
    };

    let mut done_workers = 0usize;
    loop {
        let wait_until = hard_deadline
            .unwrap_or(give_up)
            .min(start + Duration::from_secs(next) + Duration::from_millis(1500));
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Interval { worker, second, interval, in_flight, cpu }) => {
                    worker_cpu[worker] = cpu;
                    let key = second.max(next);
                    let e = pending.entry(key).or_insert_with(|| (0, Interval::default(), 0));
                    e.0 += 1;
                    e.1.merge(&interval);
                    e.2 += in_flight;
                }
                Some(Msg::Done { worker, stats, interval, cpu }) => {
                    worker_cpu[worker] = cpu;
                    tail.merge(&interval);
                    finals.push(stats);
                    done_workers += 1;
                }
                None => break,
            },
            _ = tokio::time::sleep_until(wait_until.into()) => {
                let now = Instant::now();
                if hard_deadline.is_some_and(|d| now >= d) || now >= give_up {
                    opts.stop.hard_stop();
                }
                // a worker is late with its report: finalise the second without it
                if let Some(e) = pending.remove(&next) {
                    let el = start.elapsed();
                    finalize(next, e, &worker_cpu, &mut observers, &mut abort, &mut timeseries, el);
                    next += 1;
                }
            }
        }
        while let Some(e) = pending.get(&next) {
            if e.0 + done_workers < workers {
                break;
            }
            let e = pending.remove(&next).expect("present");
            let el = start.elapsed();
            finalize(
                next,
                e,
                &worker_cpu,
                &mut observers,
                &mut abort,
                &mut timeseries,
                el,
            );
            next += 1;
        }
        if abort.is_some() && hard_deadline.is_none() {
            opts.stop.stop();
            hard_deadline = Some(Instant::now() + Duration::from_secs(2));
        }
        if opts.stop.is_stopped() && hard_deadline.is_none() {
            hard_deadline = Some(
                Instant::now()
                    + Duration::from_secs(2)
                        .max(scenario.target.timeout.min(Duration::from_secs(5))),
            );
        }
    }
    let elapsed = start.elapsed();
    // seconds still pending, then the last partial second
    let rest: Vec<_> = std::mem::take(&mut pending).into_iter().collect();
    for (k, e) in rest {
        finalize(
            k.max(next),
            e,
            &worker_cpu,
            &mut observers,
            &mut abort,
            &mut timeseries,
            elapsed,
        );
        next = k.max(next) + 1;
    }
    if tail.requests > 0 {
        finalize(
            next,
            (0, tail, 0),
            &worker_cpu,
            &mut observers,
            &mut abort,
            &mut timeseries,
            elapsed,
        );
        if let Some(p) = timeseries.last_mut() {
            p.t = round2(elapsed.as_secs_f64());
        }
    }
    for t in threads {
        let _ = t.join();
    }
    if abort.is_none() && opts.stop.is_stopped() {
        abort = Some(AbortInfo {
            reason: "interrupt".into(),
            trigger: None,
            value: None,
            at_s: round2(elapsed.as_secs_f64()),
        });
    }
    let mut stats = WorkerStats::new(profile.phases.len().max(1), scenario.target.requests.len());
    for f in &finals {
        stats.merge(f);
    }
    Ok(RunResult {
        started,
        elapsed,
        profile,
        proto,
        workers,
        stats,
        timeseries,
        observed: observers
            .into_iter()
            .map(|(o, desc, found, pids)| (o.name().to_string(), desc, found, pids))
            .collect(),
        abort,
        generator_cpu: worker_cpu.iter().sum(),
        in_flight_limit: (per_worker * workers) as u64,
        url,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
