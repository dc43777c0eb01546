//! The bounded span queue and the background task exporting it over OTLP/HTTP.
//!
//! Requests push finished spans into [`Queue`] and never wait: when the queue is full the span
//! is dropped and counted. The export task ([`Exporter::run`]) wakes every
//! `schedule_delay`, or as soon as a full batch is queued, encodes up to
//! `max_export_batch_size` spans per request and POSTs them with hyper's HTTP/1.1 client over
//! one kept-alive connection (reconnecting after errors). Failed exports are not retried (the
//! data is a measurement aid, and a retry loop would compete with the service being measured);
//! the first failure is reported on stderr, all are counted in [`TraceStats`]. At shutdown the
//! task exports what is queued, bounded by [`FLUSH_TIMEOUT`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderName, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::config::{warn, ExportConfig, Protocol};
use super::encode::{self, ResourceAttrs};
use super::span::{SpanRecord, Tracer};

/// How long shutdown waits for the last spans to be exported.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest export response body read (OTLP responses are tiny; the body is read only so the
/// connection can be reused).
const MAX_RESPONSE: usize = 64 * 1024;

/// Counters of the span pipeline since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Spans the collector accepted (a 2xx answer to their export request).
    pub exported: u64,
    /// Spans dropped because the queue was full.
    pub dropped: u64,
    /// Spans whose export request failed (connection error, timeout, non-2xx status).
    pub failed: u64,
}

/// The bounded queue between the request path and the export task.
#[derive(Debug)]
pub(crate) struct Queue {
    spans: Mutex<Vec<SpanRecord>>,
    capacity: usize,
    batch: usize,
    /// Wakes the export task when a full batch is queued.
    full_batch: Notify,
    exported: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl Queue {
    fn new(capacity: usize, batch: usize) -> Self {
        Self {
            spans: Mutex::new(Vec::with_capacity(capacity.min(4096))),
            capacity: capacity.max(1),
            batch: batch.clamp(1, capacity.max(1)),
            full_batch: Notify::new(),
            exported: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SpanRecord>> {
        // Pushing and swapping cannot leave the vector inconsistent.
        self.spans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a finished span, or drops and counts it when the queue is full. Never blocks
    /// beyond the short lock.
    pub(crate) fn push(&self, span: SpanRecord) {
        let mut spans = self.lock();
        if spans.len() >= self.capacity {
            drop(spans);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        spans.push(span);
        let wake = spans.len() == self.batch;
        drop(spans);
        if wake {
            self.full_batch.notify_one();
        }
    }

    /// Moves up to `max` queued spans (the oldest) into `out`, which must be empty. With no
    /// more than `max` queued, the buffers are swapped, so the queue keeps `out`'s capacity and
    /// the request path does not reallocate in steady state.
    fn take(&self, max: usize, out: &mut Vec<SpanRecord>) {
        debug_assert!(out.is_empty());
        let mut spans = self.lock();
        if spans.len() <= max {
            std::mem::swap(&mut *spans, out);
        } else {
            out.extend(spans.drain(..max));
        }
    }

    pub(crate) fn stats(&self) -> TraceStats {
        TraceStats {
            exported: self.exported.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// Builds the pipeline of `config`: the tracer for the request path and the export task to run
/// on the service's runtime.
pub(crate) fn pipeline(config: ExportConfig) -> (Arc<Tracer>, Exporter) {
    let queue = Arc::new(Queue::new(
        config.max_queue_size,
        config.max_export_batch_size,
    ));
    let tracer = Arc::new(Tracer::new(config.sampler, Arc::clone(&queue)));
    let mut resource: ResourceAttrs = vec![
        ("service.name".into(), config.service_name.clone()),
        ("telemetry.sdk.name".into(), "perfhive-demo".into()),
        ("telemetry.sdk.language".into(), "rust".into()),
        (
            "telemetry.sdk.version".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
    ];
    for (k, v) in &config.resource_attributes {
        resource.retain(|(old, _)| old != k);
        resource.push((k.clone(), v.clone()));
    }
    let headers = config
        .headers
        .iter()
        .filter_map(|(k, v)| {
            Some((
                HeaderName::try_from(k.as_str()).ok()?,
                HeaderValue::try_from(v.as_str()).ok()?,
            ))
        })
        .collect();
    let exporter = Exporter {
        queue,
        resource,
        headers,
        config,
        conn: None,
        batch: Vec::new(),
        reported_failure: false,
    };
    (tracer, exporter)
}

/// The export task's state.
pub(crate) struct Exporter {
    queue: Arc<Queue>,
    config: ExportConfig,
    resource: ResourceAttrs,
    headers: Vec<(HeaderName, HeaderValue)>,
    conn: Option<http1::SendRequest<Full<Bytes>>>,
    batch: Vec<SpanRecord>,
    reported_failure: bool,
}

/// A running export task, stopped (after a final flush) by [`ExportHandle::shutdown`].
#[derive(Debug)]
pub(crate) struct ExportHandle {
    queue: Arc<Queue>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ExportHandle {
    /// Stops the task after it exported what is queued, waiting at most [`FLUSH_TIMEOUT`].
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(FLUSH_TIMEOUT, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        let stats = self.queue.stats();
        if stats.dropped > 0 {
            warn(&format!(
                "{} spans were dropped because the export queue was full",
                stats.dropped
            ));
        }
    }
}

impl Exporter {
    /// Shared counters, readable while the task runs.
    pub(crate) fn queue(&self) -> Arc<Queue> {
        Arc::clone(&self.queue)
    }

    /// Spawns the export task on the current runtime.
    pub(crate) fn spawn(self) -> ExportHandle {
        let (stop, stopped) = oneshot::channel();
        let queue = self.queue();
        let task = tokio::spawn(self.run(stopped));
        ExportHandle { queue, stop, task }
    }

    /// Exports on schedule or on a full batch until `stop`, then flushes.
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        // the first export is one delay away (an interval's first tick would fire at once,
        // whenever this task first runs, and export spans queued by then early)
        let delay = self.config.schedule_delay;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + delay, delay);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let queue = Arc::clone(&self.queue);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                () = queue.full_batch.notified() => {}
                _ = tick.tick() => {}
            }
            self.export_queued(None).await;
        }
        self.export_queued(Some(Instant::now() + FLUSH_TIMEOUT))
            .await;
    }

    /// Exports queued spans batch by batch: at most what fits the queue (so a producer faster
    /// than the collector cannot keep the task here forever), or until `deadline`.
    async fn export_queued(&mut self, deadline: Option<Instant>) {
        let rounds = self.queue.capacity.div_ceil(self.queue.batch) + 1;
        for _ in 0..rounds {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return;
            }
            let mut batch = std::mem::take(&mut self.batch);
            self.queue
                .take(self.config.max_export_batch_size, &mut batch);
            if batch.is_empty() {
                self.batch = batch;
                return;
            }
            let n = batch.len() as u64;
            let body = match self.config.protocol {
                Protocol::HttpProtobuf => encode::protobuf(&self.resource, &batch),
                Protocol::HttpJson => encode::json(&self.resource, &batch),
            };
            batch.clear();
            self.batch = batch;
            let limit = match deadline {
                Some(d) => d.min(Instant::now() + self.config.timeout),
                None => Instant::now() + self.config.timeout,
            };
            let result = match tokio::time::timeout_at(limit, self.send(Bytes::from(body))).await {
                Ok(r) => r,
                Err(_) => {
                    self.conn = None;
                    Err(format!("no answer within {:?}", self.config.timeout))
                }
            };
            match result {
                Ok(()) => {
                    self.queue.exported.fetch_add(n, Ordering::Relaxed);
                }
                Err(why) => {
                    self.queue.failed.fetch_add(n, Ordering::Relaxed);
                    if !self.reported_failure {
                        self.reported_failure = true;
                        warn(&format!(
                            "exporting {n} spans to {} failed: {why} (further export errors are \
                             counted, not reported)",
                            self.config.endpoint
                        ));
                    }
                }
            }
        }
    }

    /// POSTs one export request and reads the answer.
    ///
    /// A kept-alive connection that turns out to be closed before the request was written to
    /// it (the collector closed it while idle) is replaced once: that is a reconnect, not a
    /// retry, since the collector never saw the request.
    async fn send(&mut self, body: Bytes) -> Result<(), String> {
        let mut req = self.request(body)?;
        if let Some(mut sender) = self.conn.take().filter(|s| !s.is_closed()) {
            if sender.ready().await.is_ok() {
                match sender.try_send_request(req).await {
                    Ok(res) => return self.finish(sender, res).await,
                    Err(mut e) => match e.take_message() {
                        Some(unsent) => req = unsent,
                        None => return Err(format!("request failed: {}", e.error())),
                    },
                }
            }
        }
        let mut sender = connect(&self.config.endpoint).await?;
        sender
            .ready()
            .await
            .map_err(|e| format!("connection lost: {e}"))?;
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        self.finish(sender, res).await
    }

    /// The export request carrying `body`.
    fn request(&self, body: Bytes) -> Result<Request<Full<Bytes>>, String> {
        let uri = &self.config.endpoint;
        let mut req = Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(HOST, uri.authority().map_or("localhost", |a| a.as_str()))
            .header(CONTENT_TYPE, self.config.protocol.content_type())
            .header(
                USER_AGENT,
                concat!("perfhive-demo/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        for (name, value) in &self.headers {
            req.headers_mut().insert(name.clone(), value.clone());
        }
        Ok(req)
    }

    /// Reads the answer (so the connection can be reused, and kept) and checks its status.
    async fn finish(
        &mut self,
        sender: http1::SendRequest<Full<Bytes>>,
        res: http::Response<hyper::body::Incoming>,
    ) -> Result<(), String> {
        let status = res.status();
        let body = Limited::new(res.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .map_err(|e| format!("cannot read the answer: {e}"))?;
        self.conn = Some(sender);
        if status.is_success() {
            Ok(())
        } else {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
            Err(format!("HTTP {status}: {}", text.trim()))
        }
    }
}

/// Opens an HTTP/1.1 connection to the endpoint's host and port (80 by default).
async fn connect(endpoint: &Uri) -> Result<http1::SendRequest<Full<Bytes>>, String> {
    let host = endpoint.host().unwrap_or("localhost");
    // `[::1]` in a URL is `::1` to the resolver.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = endpoint.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    tokio::spawn(async move {
        // The connection ends when the collector closes it or the sender is dropped; the next
        // export reconnects.
        let _ = conn.await;
    });
    Ok(sender)
}
