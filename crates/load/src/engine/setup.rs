//! The first stage of a run: options checked, requests prepared, HTTP/1.1 or HTTP/2 chosen,
//! observed processes found, and the workers started on their own threads.

use super::{LoadError, LoadOptions, RunContext, RATE_PER_THREAD};
use crate::conn::{self, Endpoint};
use crate::http1::serialize_request;
use crate::schedule::Schedule;
use crate::worker::{self, Plan, Prepared, Proto};
use perfhive_probe::{ProcessObserver, ProcessSelector};
use perfhive_scenario::{HttpVersion, Model, ObserveBy, Profile, Scenario};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Longest wait for the ALPN probe of an `https://` target in `http: auto`.
const NEGOTIATE_WAIT: Duration = Duration::from_secs(3);

/// An observed process: its observer, how it was selected, whether it was ever found, and the
/// most pids it matched.
pub(crate) struct Observed {
    pub observer: ProcessObserver,
    pub selector: String,
    pub found: bool,
    pub pids: usize,
}

/// Checks the options, prepares everything and starts the workers.
pub(crate) async fn setup<'a>(
    scenario: &'a Scenario,
    opts: &'a LoadOptions,
) -> Result<RunContext<'a>, LoadError> {
    let profile = opts.check(scenario)?;
    let (requests, endpoints) = prepare(scenario)?;
    let (proto, tls) = negotiate(scenario, opts, &endpoints).await;
    let workers = opts.threads;
    let warnings = rate_warnings(&profile, workers);
    let schedule = match profile.model {
        Model::Open => Some(Schedule::from_profile(&profile)),
        Model::Closed {
            rate_cap_rps: Some(cap),
        } => Some(Schedule::constant(cap, profile.total())),
        Model::Closed { rate_cap_rps: None } => None,
    };
    let per_worker = scenario.target.max_in_flight.div_ceil(workers).max(1);
    let h2_connections = scenario
        .target
        .connections
        .map(|c| c.div_ceil(workers))
        .unwrap_or(1)
        .max(1);
    let observers = observers(scenario);

    let start = Instant::now() + Duration::from_millis(30);
    let started = SystemTime::now() + Duration::from_millis(30);
    let plan = Arc::new(Plan {
        start,
        profile: profile.clone(),
        schedule,
        open: matches!(profile.model, Model::Open),
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
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut threads = Vec::new();
    for id in 0..workers {
        match worker::spawn(plan.clone(), id, tx.clone()) {
            Ok(t) => threads.push(t),
            Err(e) => {
                // the workers already started see the stop and exit
                opts.stop.hard_stop();
                return Err(LoadError::Start(e));
            }
        }
    }
    Ok(RunContext {
        scenario,
        opts,
        start,
        started,
        agg: super::aggregate::State::new(scenario, opts, start, &profile, workers),
        profile,
        proto,
        workers,
        in_flight_limit: (per_worker * workers) as u64,
        threads,
        rx,
        observers,
        warnings,
    })
}

/// A warning when the profile asks for more than `workers` threads can send.
fn rate_warnings(profile: &Profile, workers: usize) -> Vec<String> {
    let peak = match profile.model {
        Model::Open => profile.peak(),
        Model::Closed { rate_cap_rps } => rate_cap_rps.unwrap_or(0.0),
    };
    let capacity = RATE_PER_THREAD * workers as f64;
    if peak > capacity {
        vec![format!(
            "the peak rate ({peak:.0} req/s) is above what {workers} generator thread(s) can send (about {RATE_PER_THREAD:.0} req/s each): requests will leave late or be dropped; add --threads, or a second generator"
        )]
    } else {
        Vec::new()
    }
}

/// The processes named in `observe:`, plus those that criteria and triggers name (looked up by
/// process name), each sampled once to prime its CPU accounting.
fn observers(scenario: &Scenario) -> Vec<Observed> {
    let mut out: Vec<Observed> = scenario
        .observe
        .iter()
        .map(|o| observed(o.name.clone(), selector(&o.by)))
        .collect();
    let metrics = scenario
        .criteria
        .iter()
        .map(|c| &c.metric)
        .chain(scenario.triggers.iter().map(|t| &t.condition.metric));
    for m in metrics {
        if let Some(name) = m.process() {
            if !out.iter().any(|o| o.observer.name() == name) {
                out.push(observed(
                    name.to_string(),
                    ProcessSelector::Name(name.to_string()),
                ));
            }
        }
    }
    for o in out.iter_mut() {
        if let Some(p) = o.observer.sample() {
            o.found = true;
            o.pids = p.pids;
        }
    }
    out
}

fn observed(name: String, sel: ProcessSelector) -> Observed {
    let selector = sel.describe();
    Observed {
        observer: ProcessObserver::new(name, sel),
        selector,
        found: false,
        pids: 0,
    }
}

/// Parses and serialises every request once, and resolves each origin once.
fn prepare(scenario: &Scenario) -> Result<(Vec<Prepared>, Vec<Endpoint>), LoadError> {
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
            // a target that never answers delays the start by at most NEGOTIATE_WAIT
            let wait = scenario.target.timeout.min(NEGOTIATE_WAIT);
            let h2 = tokio::select! {
                r = tokio::time::timeout(wait, conn::connect(ep, Some(&probe))) => {
                    matches!(r, Ok(Ok((_, _, true))))
                }
                _ = opts.stop.stopped(false) => false,
            };
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
