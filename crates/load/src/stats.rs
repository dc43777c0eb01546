//! What each worker records, without locks or per-request storage: HDR histograms per
//! (phase, named request) cell, allocated when first used, plus counters; and a one-second
//! interval that the worker ships to the aggregator for the time series and triggers.

use crate::conn::ErrorClass;
use perfhive_core::LatencyHistogram;
use std::time::Duration;

/// Status codes tracked individually: every three-digit code a response can carry (0..=999),
/// so a non-standard one (999) is kept as it is, not folded into another.
const STATUS_SLOTS: usize = 1000;

/// Results of one (phase, request) pair.
#[derive(Clone)]
pub struct Cell {
    /// Latency from the intended send time.
    pub corrected: LatencyHistogram,
    /// Latency from the actual send.
    pub uncorrected: LatencyHistogram,
    /// Time to first byte from the actual send.
    pub ttfb: LatencyHistogram,
    /// Completed requests (responses and failures).
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Failures by class, indexed like [`ErrorClass::ALL`].
    pub classes: [u64; 8],
    /// Responses by status code.
    pub status: Box<[u64; STATUS_SLOTS]>,
    /// Bytes written.
    pub bytes_out: u64,
    /// Bytes read.
    pub bytes_in: u64,
}

impl Default for Cell {
    fn default() -> Self {
        Cell {
            corrected: LatencyHistogram::new(),
            uncorrected: LatencyHistogram::new(),
            ttfb: LatencyHistogram::new(),
            requests: 0,
            errors: 0,
            classes: [0; 8],
            status: Box::new([0; STATUS_SLOTS]),
            bytes_out: 0,
            bytes_in: 0,
        }
    }
}

impl Cell {
    /// Adds `other` into this cell.
    pub fn merge(&mut self, other: &Cell) {
        self.corrected.merge(&other.corrected);
        self.uncorrected.merge(&other.uncorrected);
        self.ttfb.merge(&other.ttfb);
        self.requests += other.requests;
        self.errors += other.errors;
        for (a, b) in self.classes.iter_mut().zip(other.classes.iter()) {
            *a += b;
        }
        for (a, b) in self.status.iter_mut().zip(other.status.iter()) {
            *a += b;
        }
        self.bytes_out += other.bytes_out;
        self.bytes_in += other.bytes_in;
    }
}

/// The outcome of one request.
pub struct Outcome {
    /// Intended send minus run start… as latency inputs:
    pub corrected: Duration,
    /// Actual send to completion.
    pub uncorrected: Duration,
    /// Time to first byte, for responses.
    pub ttfb: Option<Duration>,
    /// Status code of a response.
    pub status: Option<u16>,
    /// Failure class (transport failure, or a status outside the success set).
    pub error: Option<ErrorClass>,
    /// Bytes written.
    pub bytes_out: u64,
    /// Bytes read.
    pub bytes_in: u64,
}

/// One second of one worker.
#[derive(Clone)]
pub struct Interval {
    /// Corrected latency (two significant digits).
    pub latency: LatencyHistogram,
    /// Completed requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
}

impl Default for Interval {
    fn default() -> Self {
        Interval {
            latency: LatencyHistogram::with_precision(2),
            requests: 0,
            errors: 0,
        }
    }
}

impl Interval {
    /// Adds `other` into this interval.
    pub fn merge(&mut self, other: &Interval) {
        self.latency.merge(&other.latency);
        self.requests += other.requests;
        self.errors += other.errors;
    }
}

/// Everything one worker measured.
pub struct WorkerStats {
    /// Indexed `phase * requests + request`.
    pub cells: Vec<Option<Box<Cell>>>,
    /// Number of named requests.
    pub nreq: usize,
    /// TCP connect times.
    pub connect: LatencyHistogram,
    /// TLS handshake times.
    pub tls: LatencyHistogram,
    /// Actual minus intended send time (scheduled requests only).
    pub send_lag: LatencyHistogram,
    /// Dispatcher wake-up lateness.
    pub timer_lag: LatencyHistogram,
    /// Requests sent more than 10 ms late.
    pub late: u64,
    /// Requests still in flight when the run's deadline passed (or on a hard stop), cancelled
    /// after waiting longer than any request that succeeded: counted as timeouts.
    pub cancelled: u64,
    /// Requests cut off by the deadline (or a hard stop) while no older than requests that
    /// succeeded: nothing says they would have failed, so they are neither errors nor
    /// latencies, only counted here.
    pub cut_off: u64,
    /// The slowest successful response so far (uncorrected latency): what a request still in
    /// flight at the deadline is held against.
    pub slowest_ok: std::time::Duration,
    /// Scheduled requests never sent.
    pub dropped: u64,
    /// Connections opened.
    pub connections: u64,
    /// Most requests in flight at once on this worker.
    pub max_in_flight: u64,
    /// The current second.
    pub interval: Interval,
}

impl WorkerStats {
    /// Empty stats for `phases` × `nreq` cells.
    pub fn new(phases: usize, nreq: usize) -> Self {
        WorkerStats {
            cells: (0..phases * nreq).map(|_| None).collect(),
            nreq,
            connect: LatencyHistogram::new(),
            tls: LatencyHistogram::new(),
            send_lag: LatencyHistogram::new(),
            timer_lag: LatencyHistogram::new(),
            late: 0,
            cancelled: 0,
            cut_off: 0,
            slowest_ok: std::time::Duration::ZERO,
            dropped: 0,
            connections: 0,
            max_in_flight: 0,
            interval: Interval::default(),
        }
    }

    /// Records one completed request.
    #[inline]
    pub fn record(&mut self, phase: usize, req: usize, o: &Outcome) {
        let cell = self.cells[phase * self.nreq + req].get_or_insert_with(Default::default);
        cell.requests += 1;
        cell.bytes_out += o.bytes_out;
        cell.bytes_in += o.bytes_in;
        self.interval.requests += 1;
        if let Some(status) = o.status {
            // httparse and hyper accept three digits at most: 999 is the highest status
            cell.status[(status as usize).min(STATUS_SLOTS - 1)] += 1;
            cell.corrected.record(o.corrected);
            cell.uncorrected.record(o.uncorrected);
            self.interval.latency.record(o.corrected);
            if let Some(t) = o.ttfb {
                cell.ttfb.record(t);
            }
        }
        if let Some(class) = o.error {
            cell.errors += 1;
            cell.classes[class as usize] += 1;
            self.interval.errors += 1;
        }
    }

    /// Takes the current interval, leaving an empty one.
    pub fn take_interval(&mut self) -> Interval {
        let mut fresh = Interval::default();
        std::mem::swap(&mut fresh, &mut self.interval);
        fresh
    }

    /// Adds another worker's stats into these.
    pub fn merge(&mut self, other: &WorkerStats) {
        for (a, b) in self.cells.iter_mut().zip(other.cells.iter()) {
            if let Some(b) = b {
                a.get_or_insert_with(Default::default).merge(b);
            }
        }
        self.connect.merge(&other.connect);
        self.tls.merge(&other.tls);
        self.send_lag.merge(&other.send_lag);
        self.timer_lag.merge(&other.timer_lag);
        self.late += other.late;
        self.cancelled += other.cancelled;
        self.cut_off += other.cut_off;
        self.slowest_ok = self.slowest_ok.max(other.slowest_ok);
        self.dropped += other.dropped;
        self.connections += other.connections;
        self.max_in_flight += other.max_in_flight;
    }

    /// Merged cell over the phases where `keep(phase)` and requests where `req` matches.
    pub fn total(&self, keep: impl Fn(usize) -> bool, req: Option<usize>) -> Cell {
        let mut out = Cell::default();
        for (i, c) in self.cells.iter().enumerate() {
            let (p, r) = (i / self.nreq, i % self.nreq);
            if let Some(c) = c {
                if keep(p) && req.is_none_or(|q| q == r) {
                    out.merge(c);
                }
            }
        }
        out
    }
}
