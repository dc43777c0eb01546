//! The second stage of a run: merges the workers' one-second reports into the time series
//! (a second is final when every worker reported it, or 1.5 s late without the laggard),
//! samples the observed processes, evaluates rollback triggers on sliding windows, reports
//! progress, and keeps the run's deadline: [`END_GRACE`] after the planned end, or
//! [`STOP_GRACE`] after a stop, requests in flight are cancelled.

use super::window::{Second, Window};
use super::{round2, LoadOptions, Progress, RunContext, Tick, END_GRACE, STOP_GRACE};
use crate::stats::{Interval, WorkerStats};
use crate::worker::Msg;
use perfhive_core::record::{AbortInfo, ProcessPoint, TimePoint};
use perfhive_core::{Metric, Trigger};
use perfhive_scenario::{Profile, Scenario};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// A second that a worker has not reported this long after it ended is finalised without it.
const LATE_REPORT: Duration = Duration::from_millis(1500);
/// Workers that have not finished this long after the deadline are not waited for.
const GIVE_UP: Duration = Duration::from_secs(3);
/// Shortest wait of the aggregation loop.
const POLL: Duration = Duration::from_millis(10);

/// One second as it is being merged: workers that reported it, their merged interval, and the
/// requests they had in flight.
type Pending = (usize, Interval, u64);

/// What the aggregation accumulates.
pub(crate) struct State {
    /// Some trigger tests latency: windows keep their latency histograms.
    latency_triggers: bool,
    /// The longest trigger window, seconds.
    max_window: usize,
    ring: VecDeque<Second>,
    pending: BTreeMap<u64, Pending>,
    /// CPU time of each worker thread so far.
    pub worker_cpu: Vec<Duration>,
    last_cpu: Duration,
    /// Full statistics of the workers that finished, with their ids.
    pub finals: Vec<(usize, Box<WorkerStats>)>,
    /// The workers' last partial seconds.
    pub tail: Interval,
    /// The next second to finalise (1-based).
    pub next: u64,
    pub timeseries: Vec<TimePoint>,
    pub abort: Option<AbortInfo>,
    /// When requests in flight are cancelled.
    deadline: Instant,
    /// The aggregation stopped the workers itself (the deadline passed).
    stopped_by_deadline: bool,
    /// A stop was seen and the deadline moved.
    stop_seen: bool,
    /// Someone else stopped the run (Ctrl-C, SIGTERM, the caller).
    pub interrupted: bool,
    total_requests: u64,
    total_errors: u64,
}

impl State {
    pub(crate) fn new(
        scenario: &Scenario,
        opts: &LoadOptions,
        start: Instant,
        profile: &Profile,
        workers: usize,
    ) -> State {
        State {
            latency_triggers: scenario
                .triggers
                .iter()
                .any(|t| matches!(t.condition.metric, Metric::Latency { .. })),
            max_window: scenario
                .triggers
                .iter()
                .map(|t| window_of(t, opts.time_scale))
                .max()
                .unwrap_or(0),
            ring: VecDeque::new(),
            pending: BTreeMap::new(),
            worker_cpu: vec![Duration::ZERO; workers],
            last_cpu: Duration::ZERO,
            finals: Vec::new(),
            tail: Interval::default(),
            next: 1,
            timeseries: Vec::new(),
            abort: None,
            deadline: start + profile.total() + END_GRACE,
            stopped_by_deadline: false,
            stop_seen: false,
            interrupted: false,
            total_requests: 0,
            total_errors: 0,
        }
    }
}

impl State {
    /// Takes the seconds not finalised yet.
    pub(crate) fn pending_all(&mut self) -> BTreeMap<u64, Pending> {
        std::mem::take(&mut self.pending)
    }
}

/// A trigger's window in seconds, scaled like the phases when rehearsing with --time-scale.
fn window_of(t: &Trigger, time_scale: f64) -> usize {
    ((t.window.as_secs_f64() * time_scale).round() as usize).max(1)
}

/// Receives the workers' reports until every worker has finished (or the deadline is long
/// past).
pub(crate) async fn aggregate(ctx: &mut RunContext<'_>, progress: &mut dyn Progress) {
    loop {
        let now = Instant::now();
        if ctx.opts.stop.is_stopped() && !ctx.agg.stop_seen {
            ctx.agg.stop_seen = true;
            if !ctx.agg.stopped_by_deadline {
                // a stop from outside, or a trigger's: in-flight requests get STOP_GRACE
                ctx.agg.interrupted = ctx.agg.abort.is_none();
                ctx.agg.deadline = ctx.agg.deadline.min(now + STOP_GRACE);
            }
        }
        let deadline = if ctx.opts.stop.is_hard() {
            // cancelled already: only waiting for the workers to finish
            ctx.agg.deadline + GIVE_UP
        } else {
            ctx.agg.deadline
        };
        // a report or a deadline already past is rechecked at most every POLL, never in a spin
        let wait_until = deadline
            .min(ctx.start + Duration::from_secs(ctx.agg.next) + LATE_REPORT)
            .max(now + POLL);
        let stop = ctx.opts.stop.clone();
        let msg = tokio::select! {
            msg = ctx.rx.recv() => match msg {
                Some(m) => Some(m),
                None => break,
            },
            _ = tokio::time::sleep_until(wait_until.into()) => None,
            _ = stop.stopped(false), if !stop.is_stopped() => continue,
        };
        match msg {
            Some(Msg::Interval {
                worker,
                second,
                interval,
                in_flight,
                cpu,
            }) => {
                ctx.agg.worker_cpu[worker] = cpu;
                let key = second.max(ctx.agg.next);
                let e = ctx
                    .agg
                    .pending
                    .entry(key)
                    .or_insert_with(|| (0, Interval::default(), 0));
                e.0 += 1;
                e.1.merge(&interval);
                e.2 += in_flight;
            }
            Some(Msg::Done {
                worker,
                stats,
                interval,
                cpu,
            }) => {
                ctx.agg.worker_cpu[worker] = cpu;
                ctx.agg.tail.merge(&interval);
                ctx.agg.finals.push((worker, stats));
            }
            None => {
                let now = Instant::now();
                if now >= ctx.agg.deadline && !ctx.opts.stop.is_hard() {
                    ctx.agg.stopped_by_deadline |= !ctx.opts.stop.is_stopped();
                    ctx.opts.stop.hard_stop();
                }
                if now >= ctx.agg.deadline + GIVE_UP {
                    break;
                }
                // a worker is late with its report: finalise the second without it
                let next = ctx.agg.next;
                if let Some(e) = ctx.agg.pending.remove(&next) {
                    finalize(ctx, next, e, ctx.start.elapsed(), progress);
                    ctx.agg.next += 1;
                }
            }
        }
        let done = ctx.agg.finals.len();
        loop {
            let next = ctx.agg.next;
            match ctx.agg.pending.get(&next) {
                Some(e) if e.0 + done >= ctx.workers => {}
                _ => break,
            }
            let e = ctx.agg.pending.remove(&next).expect("present");
            finalize(ctx, next, e, ctx.start.elapsed(), progress);
            ctx.agg.next += 1;
        }
        if ctx.agg.abort.is_some() && !ctx.opts.stop.is_stopped() {
            ctx.opts.stop.stop();
        }
    }
}

/// Finalises second `k`: one time-series point, progress, the trigger windows.
pub(crate) fn finalize(
    ctx: &mut RunContext<'_>,
    k: u64,
    (_, interval, in_flight): Pending,
    elapsed: Duration,
    progress: &mut dyn Progress,
) {
    let st = &mut ctx.agg;
    let cpu: Duration = st.worker_cpu.iter().sum();
    let cpu_pct = 100.0 * cpu.saturating_sub(st.last_cpu).as_secs_f64();
    st.last_cpu = cpu;
    let mut procs = BTreeMap::new();
    for o in ctx.observers.iter_mut() {
        if let Some(p) = o.observer.sample() {
            o.found = true;
            o.pids = o.pids.max(p.pids);
            procs.insert(
                o.observer.name().to_string(),
                ProcessPoint {
                    cpu_pct: p.cpu_pct.map(round2),
                    rss_mb: round2(p.rss_mb),
                },
            );
        }
    }
    let profile = &ctx.profile;
    let mid = Duration::from_secs(k)
        .saturating_sub(Duration::from_millis(500))
        .min(elapsed);
    let phase = profile.phases.get(profile.phase_index(mid));
    st.total_requests += interval.requests;
    st.total_errors += interval.errors;
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
            requests: st.total_requests,
            errors: st.total_errors,
            in_flight,
        },
        &point,
    );
    st.timeseries.push(point);
    if st.max_window == 0 {
        return;
    }
    let mut kept = interval;
    if !st.latency_triggers {
        kept.latency = perfhive_core::LatencyHistogram::with_precision(1);
    }
    st.ring.push_back(Second {
        interval: kept,
        procs,
    });
    while st.ring.len() > st.max_window {
        st.ring.pop_front();
    }
    if st.abort.is_some() {
        return;
    }
    for t in &ctx.scenario.triggers {
        let n = window_of(t, ctx.opts.time_scale);
        if st.ring.len() < n {
            continue;
        }
        let (value, holds) = t.condition.evaluate(&Window { secs: &st.ring, n });
        if holds == Some(true) {
            st.abort = Some(AbortInfo {
                reason: "trigger".into(),
                trigger: Some(t.text.clone()),
                value: value.map(round2),
                at_s: k as f64,
            });
            break;
        }
    }
}
