//! One level of a sweep, measured until it has enough requests for the percentiles it reports:
//! a closed-model load test of the level's length, extended by further runs (their histograms
//! merged) while fewer than [`MIN_REQUESTS`] requests completed — when the rate measured so far
//! reaches them within [`MAX_EXTENSION`] times the level's length and the deadline; else the
//! level is reported short — with the target's process tree observed over the same time
//! (memory, the one CPU verdict, host noise).

use crate::data::Level;
use crate::measure::load_test;
use crate::runner::{Context, InvestigatorError};
use perfhive_core::record::RunRecord;
use perfhive_core::LatencyHistogram;
use perfhive_probe::{HostNoise, Observation, ProcessSelector};
use perfhive_scenario::{HttpVersion, Quick, RequestSpec, Scenario};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Completed requests a level needs for its p99: two requests beyond the 99th percentile.
pub const MIN_REQUESTS: u64 = 200;

/// A level runs at most this many times its planned length to reach [`MIN_REQUESTS`].
pub const MAX_EXTENSION: f64 = 4.0;

/// Samples per second of the observation of each level.
const OBSERVE_HZ: u32 = 20;

/// What a level needs to run.
pub struct LevelRun<'a> {
    /// The request to repeat.
    pub request: &'a RequestSpec,
    /// Its URL (with a swept query parameter).
    pub url: &'a str,
    /// Users.
    pub users: u32,
    /// Planned length.
    pub duration: Duration,
    /// Generator threads.
    pub threads: usize,
    /// The target's processes, observed meanwhile.
    pub observe: Option<&'a ProcessSelector>,
}

/// A measured level and the host noise over it.
pub struct Measured {
    /// The level.
    pub level: Level,
    /// Steal time and other processes' CPU over it, when the target was observed.
    pub noise: Option<HostNoise>,
}

impl LevelRun<'_> {
    fn scenario(&self, duration: Duration) -> Result<Scenario, InvestigatorError> {
        let mut s = Scenario::quick(Quick {
            url: self.url.to_string(),
            method: self.request.method.clone(),
            headers: self.request.headers.clone(),
            body: self.request.body.clone(),
            rate: None,
            users: Some(self.users),
            duration,
            warmup: Duration::from_millis(500),
            http: HttpVersion::Http1,
            timeout: Duration::from_secs(30),
            max_in_flight: None,
            insecure: false,
            criteria: Vec::new(),
            triggers: Vec::new(),
        })
        .map_err(InvestigatorError)?;
        s.name = format!("sweep {}", self.users);
        Ok(s)
    }

    /// The load tests of the level: the planned one, then extensions while too few requests
    /// completed.
    fn records(
        &self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<Vec<RunRecord>, InvestigatorError> {
        let run = |d: Duration| {
            load_test(&self.scenario(d)?, self.threads, 1.0, &ctx.stop)
                .map_err(|e| InvestigatorError(format!("sweep level: {e}")))
        };
        let mut records = vec![run(self.duration)?];
        let cap = self.duration.as_secs_f64() * MAX_EXTENSION;
        loop {
            let (got, secs) = totals(&records);
            if got >= MIN_REQUESTS || ctx.stopped() || got == 0 || secs <= 0.0 {
                break;
            }
            let rate = got as f64 / secs;
            let wanted = 1.2 * (MIN_REQUESTS - got) as f64 / rate + 0.5;
            let left = deadline
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
                - 1.5;
            // a level that cannot get there within its cap says so rather than spend the
            // time of the levels after it
            if wanted > cap - secs || wanted > left {
                break;
            }
            let more = wanted.max(0.5);
            records.push(run(Duration::from_secs_f64(more))?);
        }
        Ok(records)
    }

    /// Measures the level, observing the target meanwhile; `value` and `label` name it.
    pub fn measure(
        &self,
        ctx: &Context,
        deadline: Instant,
        value: f64,
        label: String,
    ) -> Result<Measured, InvestigatorError> {
        let done = AtomicBool::new(false);
        let max = self.duration.mul_f64(MAX_EXTENSION) + Duration::from_secs(5);
        let (records, obs) = std::thread::scope(|scope| {
            let observer = self.observe.map(|sel| {
                let done = &done;
                scope.spawn(move || perfhive_probe::observe_for(sel.clone(), OBSERVE_HZ, max, done))
            });
            let records = self.records(ctx, deadline);
            done.store(true, Ordering::SeqCst);
            let obs: Option<Observation> = observer.and_then(|h| h.join().ok());
            (records, obs)
        });
        let records = records?;
        let mut level = level_of(&records, value, label);
        if let Some(o) = &obs {
            if !o.window.processes.is_empty() {
                level.rss_mb = Some(o.window.memory.footprint_bytes() as f64 / 1048576.0);
                level.cpu = Some(o.cpu.clone());
            }
        }
        Ok(Measured {
            level,
            noise: obs.map(|o| o.noise),
        })
    }
}

/// Completed requests (behind the latency percentiles) and measured seconds of `records`.
fn totals(records: &[RunRecord]) -> (u64, f64) {
    records.iter().fold((0, 0.0), |(n, s), r| {
        let m = &r.metrics;
        let secs = if m.throughput_rps > 0.0 {
            m.requests as f64 / m.throughput_rps
        } else {
            0.0
        };
        (n + m.latency_ms.as_ref().map_or(0, |l| l.count), s + secs)
    })
}

/// One histogram of every record's `pick`ed histogram, when each decodes.
fn merged(
    records: &[RunRecord],
    pick: fn(&RunRecord) -> Option<&String>,
) -> Option<LatencyHistogram> {
    let mut out = LatencyHistogram::new();
    for r in records {
        out.merge(&LatencyHistogram::decode(pick(r)?).ok()?);
    }
    (!out.is_empty()).then_some(out)
}

/// The level the records of one level make together (pure).
pub fn level_of(records: &[RunRecord], value: f64, label: String) -> Level {
    let (completed, secs) = totals(records);
    let requests: u64 = records.iter().map(|r| r.metrics.requests).sum();
    let errors: u64 = records.iter().map(|r| r.metrics.errors).sum();
    let first = &records[0].metrics;
    let latency = merged(records, |r| r.histograms.latency.as_ref());
    let ttfb = merged(records, |r| r.histograms.ttfb.as_ref());
    let q = |h: &Option<LatencyHistogram>, q: f64, fallback: f64| {
        h.as_ref()
            .and_then(|h| h.quantile_ms(q))
            .unwrap_or(fallback)
    };
    let l = first.latency_ms.as_ref();
    Level {
        level: value,
        label,
        throughput: if secs > 0.0 {
            requests as f64 / secs
        } else {
            0.0
        },
        p50_ms: q(&latency, 0.5, l.map_or(0.0, |l| l.p50)),
        p99_ms: q(&latency, 0.99, l.map_or(0.0, |l| l.p99)),
        mean_ms: latency
            .as_ref()
            .and_then(|h| h.mean_ms())
            .unwrap_or(l.map_or(0.0, |l| l.mean)),
        error_rate_pct: if requests > 0 {
            100.0 * errors as f64 / requests as f64
        } else {
            first.error_rate_pct
        },
        ttfb_p50_ms: q(&ttfb, 0.5, first.ttfb_ms.as_ref().map_or(0.0, |t| t.p50)),
        rss_mb: None,
        requests: Some(completed),
        duration_s: Some(secs),
        cpu: None,
    }
}
