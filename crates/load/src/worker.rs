//! One worker thread: a current-thread tokio runtime running a share of the load.
//!
//! Open model (like wrk2, but without per-connection schedules): a dispatcher wakes on a
//! precise timer at each due time; request `k` belongs to worker `k mod W`. Requests are taken
//! by *slots* (one in-flight request each, owning an HTTP/1.1 connection or sharing HTTP/2 ones).
//! The backlog is a count (`due − claimed`), never a queue of requests, so memory stays flat
//! when the target stalls. Slots are added up to the in-flight limit; past it, requests are
//! sent late and their corrected latency includes the wait (coordinated omission corrected).
//!
//! Closed model (like k6's ramping-vus): each slot is a virtual user sending its next request
//! when the previous one completes; a controller follows the stage targets every 100 ms, and an
//! optional rate cap paces users on the same arrival schedule.

use crate::conn::{self, Endpoint, ErrorClass};
use crate::h2::{self, H2Sender};
use crate::http1::Http1Conn;
use crate::schedule::Schedule;
use crate::stats::{Interval, Outcome, WorkerStats};
use crate::timer::PreciseTimer;
use bytes::Bytes;
use http_body_util::Full;
use perfhive_scenario::Profile;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc::UnboundedSender, Notify};

use crate::mix::Swrr;
pub use crate::stop::StopSignal;
use tokio_rustls::TlsConnector;

/// Requests later than this count as late in the generator report.
const LATE: Duration = Duration::from_millis(10);
/// A request waits this long for a busy slot before the pool grows (open model).
const GROW_AFTER: Duration = Duration::from_millis(1);
/// How long after the planned end a backlog may still be sent before the rest is dropped
/// (well inside the engine's end grace, after which requests in flight are cancelled).
const DRAIN: Duration = Duration::from_millis(250);
/// Due arrivals the dispatcher steps through one by one after its closed-form count, to absorb
/// floating-point disagreement between the count and the due times.
const STEP_LIMIT: usize = 64;

/// Protocol used for the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// HTTP/1.1 keep-alive, one request per connection at a time.
    Http1,
    /// HTTP/2 multiplexed.
    Http2,
}

/// A request prepared before the run.
pub struct Prepared {
    /// Index into endpoints.
    pub endpoint: usize,
    /// Serialised HTTP/1.1 request.
    pub http1: Vec<u8>,
    /// HEAD request (no response body).
    pub head: bool,
    /// For HTTP/2.
    pub method: http::Method,
    /// For HTTP/2 (absolute).
    pub uri: http::Uri,
    /// For HTTP/2.
    pub headers: http::HeaderMap,
    /// For HTTP/2.
    pub body: Bytes,
    /// Mix weight.
    pub weight: u32,
}

/// Everything workers share, immutable during the run.
pub struct Plan {
    /// Time zero of the run.
    pub start: Instant,
    /// Phases (already time-scaled).
    pub profile: Profile,
    /// Arrival schedule: open model, or the rate cap of a closed one.
    pub schedule: Option<Schedule>,
    /// Open model?
    pub open: bool,
    /// The request mix.
    pub requests: Vec<Prepared>,
    /// Origins.
    pub endpoints: Vec<Endpoint>,
    /// Protocol.
    pub proto: Proto,
    /// TLS, for https.
    pub tls: Option<TlsConnector>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Success statuses (default: < 400).
    pub ok_status: Option<Vec<u16>>,
    /// Number of workers.
    pub workers: usize,
    /// In-flight limit per worker.
    pub max_in_flight: usize,
    /// HTTP/2 connections per worker.
    pub h2_connections: usize,
    /// Stop control.
    pub stop: Arc<StopSignal>,
}

/// Messages from workers to the aggregator.
pub enum Msg {
    /// One second of one worker.
    Interval {
        /// Worker id.
        worker: usize,
        /// 1-based second.
        second: u64,
        /// What happened.
        interval: Interval,
        /// Requests in flight now.
        in_flight: u64,
        /// Worker thread CPU so far.
        cpu: Duration,
    },
    /// The worker finished; its full stats and last partial second.
    Done {
        /// Worker id.
        worker: usize,
        /// Everything.
        stats: Box<WorkerStats>,
        /// The last partial second.
        interval: Interval,
        /// Worker thread CPU in total.
        cpu: Duration,
    },
}

struct Local {
    plan: Arc<Plan>,
    id: usize,
    stats: RefCell<WorkerStats>,
    due: Cell<u64>,
    claimed: Cell<u64>,
    done: Cell<bool>,
    idle: Cell<usize>,
    slots: Cell<usize>,
    live: Cell<usize>,
    in_flight: Cell<u64>,
    wake: Notify,
    active: Cell<usize>,
    resume: Notify,
    exited: Notify,
    picker: RefCell<Swrr>,
    h2: Vec<tokio::sync::Mutex<Option<H2Sender>>>,
}

impl Local {
    /// Global index of this worker's `j`-th scheduled request.
    fn global(&self, j: u64) -> u64 {
        self.id as u64 + j * self.plan.workers as u64
    }
}

/// Starts worker `id` on its own thread.
pub fn spawn(
    plan: Arc<Plan>,
    id: usize,
    tx: UnboundedSender<Msg>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("perfhive-w{id}"))
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("building a current-thread runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, worker_main(plan, id, tx));
        })
}

async fn worker_main(plan: Arc<Plan>, id: usize, tx: UnboundedSender<Msg>) {
    let phases = plan.profile.phases.len().max(1);
    let l = Rc::new(Local {
        stats: RefCell::new(WorkerStats::new(phases, plan.requests.len())),
        due: Cell::new(0),
        claimed: Cell::new(0),
        done: Cell::new(false),
        idle: Cell::new(0),
        slots: Cell::new(0),
        live: Cell::new(0),
        in_flight: Cell::new(0),
        wake: Notify::new(),
        active: Cell::new(0),
        resume: Notify::new(),
        exited: Notify::new(),
        picker: RefCell::new(Swrr::new(
            &plan.requests.iter().map(|r| r.weight).collect::<Vec<_>>(),
        )),
        h2: (0..plan.h2_connections)
            .map(|_| tokio::sync::Mutex::new(None))
            .collect(),
        plan,
        id,
    });
    tokio::time::sleep_until(l.plan.start.into()).await;
    let reporter = tokio::task::spawn_local(report(l.clone(), tx.clone()));
    if l.plan.open {
        dispatch(&l).await;
    } else {
        control(&l).await;
    }
    loop {
        let exited = l.exited.notified();
        if l.live.get() == 0 {
            break;
        }
        exited.await;
    }
    reporter.abort();
    let mut stats = l.stats.borrow_mut();
    if l.plan.open {
        // due but never sent; requests scheduled after a stop were never due
        stats.dropped = l.due.get().saturating_sub(l.claimed.get());
    }
    let interval = stats.take_interval();
    let empty = WorkerStats::new(0, stats.nreq.max(1));
    let full = std::mem::replace(&mut *stats, empty);
    let _ = tx.send(Msg::Done {
        worker: id,
        stats: Box::new(full),
        interval,
        cpu: perfhive_probe::thread_cpu_time(),
    });
}

async fn report(l: Rc<Local>, tx: UnboundedSender<Msg>) {
    let mut second = 1u64;
    loop {
        tokio::time::sleep_until((l.plan.start + Duration::from_secs(second)).into()).await;
        let interval = l.stats.borrow_mut().take_interval();
        let msg = Msg::Interval {
            worker: l.id,
            second,
            interval,
            in_flight: l.in_flight.get(),
            cpu: perfhive_probe::thread_cpu_time(),
        };
        if tx.send(msg).is_err() {
            return;
        }
        second += 1;
    }
}

fn spawn_slot(l: &Rc<Local>) {
    let idx = l.slots.get();
    l.slots.set(idx + 1);
    l.live.set(l.live.get() + 1);
    tokio::task::spawn_local(slot(l.clone(), idx));
}

async fn dispatch(l: &Rc<Local>) {
    let plan = &l.plan;
    let sched = plan.schedule.as_ref().expect("open model has a schedule");
    let timer = PreciseTimer::new().ok(); // without timerfd: tokio's millisecond timer
    let due_at = |j: u64| sched.time_of(l.global(j)).map(|t| plan.start + t);
    // A small pool to begin with (Little's law at 1 ms), connected on first use.
    let first_rate = plan.profile.phases.first().map_or(1.0, |p| p.from) / plan.workers as f64;
    for _ in 0..((first_rate / 1000.0).ceil() as usize + 1).min(plan.max_in_flight) {
        spawn_slot(l);
    }
    let end = plan.start + plan.profile.total();
    let mut j = 0u64;
    let mut recheck: Option<Instant> = None;
    while !plan.stop.is_stopped() {
        let next = due_at(j);
        let wake_at = match (next, recheck) {
            (Some(a), Some(r)) => a.min(r),
            (Some(a), None) => a,
            (None, Some(r)) => r,
            // nothing more is due: the run still lasts until its planned end
            (None, None) if Instant::now() < end => end,
            (None, None) => break,
        };
        if wake_at > Instant::now() {
            let stop = plan.stop.stopped(false);
            tokio::select! {
                _ = async {
                    match &timer {
                        Some(timer) => { let _ = timer.sleep_until(wake_at).await; }
                        None => tokio::time::sleep_until(wake_at.into()).await,
                    }
                } => {}
                _ = stop => break,
            }
        } else {
            // behind schedule: let the slots and the stop signal run before catching up
            tokio::task::yield_now().await;
        }
        let now = Instant::now();
        if next.is_some_and(|a| a <= now) {
            l.stats
                .borrow_mut()
                .timer_lag
                .record(now.saturating_duration_since(wake_at));
        }
        // every arrival due by now, counted in closed form whatever the backlog
        let due = sched.arrivals_by(now.saturating_duration_since(plan.start));
        let id = l.id as u64;
        j = j.max(due.saturating_sub(id).div_ceil(plan.workers as u64));
        for _ in 0..STEP_LIMIT {
            if due_at(j).is_none_or(|t| t > now) {
                break;
            }
            j += 1;
        }
        l.due.set(j);
        recheck = None;
        let backlog = usize::try_from(j - l.claimed.get()).unwrap_or(usize::MAX);
        let idle = l.idle.get();
        for _ in 0..backlog.min(idle) {
            l.wake.notify_one();
        }
        if backlog > idle {
            // Slots whose responses are already in let them claim first: a hiccup of the
            // generator itself must not open a burst of connections.
            tokio::task::yield_now().await;
            let claimed = l.claimed.get();
            let backlog = usize::try_from(j - claimed).unwrap_or(usize::MAX);
            if backlog > l.idle.get() {
                let oldest = due_at(claimed).unwrap_or(now);
                if now.saturating_duration_since(oldest) >= GROW_AFTER {
                    let room = plan.max_in_flight.saturating_sub(l.slots.get());
                    for _ in 0..(backlog - l.idle.get()).min(room) {
                        spawn_slot(l);
                    }
                } else {
                    recheck = Some(oldest + GROW_AFTER);
                }
            }
        }
    }
    l.done.set(true);
    l.wake.notify_waiters();
}

async fn control(l: &Rc<Local>) {
    let plan = &l.plan;
    let total = plan.profile.total();
    let w = plan.workers;
    loop {
        let elapsed = plan.start.elapsed();
        if elapsed >= total || plan.stop.is_stopped() {
            break;
        }
        let users = plan.profile.target_at(elapsed).round().max(0.0) as usize;
        let share = users / w + usize::from(l.id < users % w);
        let before = l.active.get();
        l.active.set(share);
        while l.slots.get() < share {
            spawn_slot(l);
        }
        if share > before {
            l.resume.notify_waiters();
        }
        let next = (elapsed + Duration::from_millis(100)).min(total);
        tokio::select! {
            _ = tokio::time::sleep_until((plan.start + next).into()) => {}
            _ = plan.stop.stopped(false) => break,
        }
    }
    l.done.set(true);
    l.active.set(0);
    l.resume.notify_waiters();
}

async fn slot(l: Rc<Local>, idx: usize) {
    let plan = l.plan.clone();
    let mut conn: Option<(usize, Http1Conn)> = None;
    loop {
        if plan.stop.is_stopped() {
            break;
        }
        if plan.open {
            let c = l.claimed.get();
            if l.done.get() && Instant::now() > plan.start + plan.profile.total() + DRAIN {
                // past the end: what is still backlogged is dropped, not sent
                break;
            }
            if c < l.due.get() {
                l.claimed.set(c + 1);
                let t = plan
                    .schedule
                    .as_ref()
                    .and_then(|s| s.time_of(l.global(c)))
                    .unwrap_or_default();
                one_request(&l, &mut conn, plan.start + t, true, idx).await;
                continue;
            }
            if l.done.get() {
                break;
            }
            let woken = l.wake.notified();
            l.idle.set(l.idle.get() + 1);
            tokio::select! {
                _ = woken => {}
                _ = plan.stop.stopped(false) => {}
            }
            l.idle.set(l.idle.get() - 1);
        } else {
            if idx >= l.active.get() {
                if l.done.get() {
                    break;
                }
                let resumed = l.resume.notified();
                tokio::select! {
                    _ = resumed => {}
                    _ = plan.stop.stopped(false) => {}
                }
                continue;
            }
            let (intended, paced) = match &plan.schedule {
                None => (Instant::now(), false),
                Some(s) => {
                    let c = l.claimed.get();
                    l.claimed.set(c + 1);
                    let Some(t) = s.time_of(l.global(c)) else {
                        break;
                    };
                    let at = plan.start + t;
                    if at > Instant::now() {
                        tokio::select! {
                            _ = tokio::time::sleep_until(at.into()) => {}
                            _ = plan.stop.stopped(false) => break,
                        }
                    }
                    (at, true)
                }
            };
            one_request(&l, &mut conn, intended, paced, idx).await;
        }
    }
    l.live.set(l.live.get() - 1);
    if l.live.get() == 0 {
        l.exited.notify_waiters();
    }
}

async fn one_request(
    l: &Rc<Local>,
    conn: &mut Option<(usize, Http1Conn)>,
    intended: Instant,
    scheduled: bool,
    idx: usize,
) {
    let plan = &l.plan;
    let r = l.picker.borrow_mut().next();
    let p = &plan.requests[r];
    let in_flight = l.in_flight.get() + 1;
    l.in_flight.set(in_flight);
    let sent = Instant::now();
    {
        let mut s = l.stats.borrow_mut();
        s.max_in_flight = s.max_in_flight.max(in_flight);
        if scheduled {
            let lag = sent.saturating_duration_since(intended);
            s.send_lag.record(lag);
            if lag > LATE {
                s.late += 1;
            }
        }
    }
    // Some(response or timeout), or None when the run cancelled it (its deadline, a hard stop)
    let result = tokio::select! {
        r = tokio::time::timeout(plan.timeout, perform(l, conn, p, idx)) => Some(r),
        _ = plan.stop.stopped(true) => None,
    };
    let done = Instant::now();
    l.in_flight.set(l.in_flight.get() - 1);
    let (status, error, bytes_in, ttfb) = match result {
        None => {
            *conn = None;
            let mut s = l.stats.borrow_mut();
            if done - sent <= s.slowest_ok {
                // successful requests have taken this long: cut off, not failed
                s.cut_off += 1;
                return;
            }
            s.cancelled += 1;
            (None, Some(ErrorClass::Timeout), 0, None)
        }
        Some(Err(_elapsed)) => {
            *conn = None;
            (None, Some(ErrorClass::Timeout), 0, None)
        }
        Some(Ok(Err((class, bytes)))) => (None, Some(class), bytes, None),
        Some(Ok(Ok((status, bytes, ttfb)))) => (
            Some(status),
            ErrorClass::of_status(status, plan.ok_status.as_deref()),
            bytes,
            Some(ttfb),
        ),
    };
    let phase = plan
        .profile
        .phase_index(intended.saturating_duration_since(plan.start));
    let mut s = l.stats.borrow_mut();
    if status.is_some() && error.is_none() {
        s.slowest_ok = s.slowest_ok.max(done - sent);
    }
    s.record(
        phase,
        r,
        &Outcome {
            corrected: done.saturating_duration_since(intended),
            uncorrected: done - sent,
            ttfb,
            status,
            error,
            bytes_out: p.http1.len() as u64,
            bytes_in,
        },
    );
}

type Exchange = Result<(u16, u64, Duration), (ErrorClass, u64)>;

async fn perform(
    l: &Local,
    conn: &mut Option<(usize, Http1Conn)>,
    p: &Prepared,
    idx: usize,
) -> Exchange {
    let plan = &l.plan;
    match plan.proto {
        Proto::Http1 => {
            let reuse = matches!(conn, Some((ep, c)) if *ep == p.endpoint && c.reusable);
            if !reuse {
                *conn = None;
                let (stream, timing, _) = connect(l, p.endpoint).await?;
                *conn = Some((p.endpoint, Http1Conn::new(stream)));
                let _ = timing;
            }
            let (_, c) = conn.as_mut().expect("connected above");
            match c.exchange(&p.http1, p.head).await {
                Ok(r) => {
                    if !c.reusable {
                        *conn = None;
                    }
                    Ok((r.status, r.bytes_in, r.ttfb))
                }
                Err(e) => {
                    *conn = None;
                    Err((e.class, e.bytes_in))
                }
            }
        }
        Proto::Http2 => {
            let entry = &l.h2[idx % l.h2.len()];
            let mut sender = {
                let mut guard = entry.lock().await;
                match guard.as_ref() {
                    Some(s) if !s.is_closed() => s.clone(),
                    _ => {
                        let (stream, _, _) = connect(l, p.endpoint).await?;
                        let s = h2::handshake(stream).await.map_err(|c| (c, 0))?;
                        *guard = Some(s.clone());
                        s
                    }
                }
            };
            let mut req = http::Request::builder()
                .method(p.method.clone())
                .uri(p.uri.clone());
            if let Some(h) = req.headers_mut() {
                *h = p.headers.clone();
            }
            let req = req
                .body(Full::new(p.body.clone()))
                .map_err(|_| (ErrorClass::Protocol, 0))?;
            h2::exchange(&mut sender, req).await.map_err(|c| (c, 0))
        }
    }
}

async fn connect(
    l: &Local,
    endpoint: usize,
) -> Result<(conn::Stream, conn::ConnectTiming, bool), (ErrorClass, u64)> {
    let ep = &l.plan.endpoints[endpoint];
    let r = conn::connect(ep, l.plan.tls.as_ref()).await;
    let mut s = l.stats.borrow_mut();
    match r {
        Ok((stream, timing, h2)) => {
            s.connections += 1;
            s.connect.record(timing.connect);
            if let Some(t) = timing.tls {
                s.tls.record(t);
            }
            Ok((stream, timing, h2))
        }
        Err(e) => Err((e.class, 0)),
    }
}
