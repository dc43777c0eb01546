//! The OTLP/HTTP trace receiver: `POST /v1/traces` on loopback, spans kept in a bounded store.
//!
//! Implements the server side of the OpenTelemetry Protocol's OTLP/HTTP transport
//! (<https://opentelemetry.io/docs/specs/otlp/#otlphttp>): request bodies are
//! `ExportTraceServiceRequest`s in binary protobuf (`application/x-protobuf`) or JSON
//! (`application/json`); a fully accepted request gets `200 OK` with an empty
//! `ExportTraceServiceResponse` in the same encoding; a malformed one gets `400`, a body over the
//! size limit `413`, another media type or a compressed body (`Content-Encoding` other than
//! `identity`, not supported yet) `415`, another path `404` and another method `405`.
//!
//! Like the demo target (`perfhive-target`), the receiver runs on its own OS thread with a
//! current-thread tokio runtime and serves connections with hyper-util's `auto` builder
//! (HTTP/1.1, or HTTP/2 with prior knowledge). Binding happens before [`spawn`] returns, so a
//! returned [`RunningReceiver`] is already accepting. It binds `127.0.0.1:4318` (the OTLP/HTTP
//! default port) unless told otherwise. The store keeps at most [`ReceiverOptions::max_spans`]
//! spans; the rest are counted as dropped. Shutdown stops accepting and drops open connections.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::model::Span;
use crate::otlp::{self, Encoding, OtlpError, DEFAULT_MAX_BYTES};

/// The OTLP/HTTP default port.
pub const DEFAULT_PORT: u16 = 4318;

/// The default cap on spans kept in memory.
pub const DEFAULT_MAX_SPANS: usize = 1_000_000;

/// The path OTLP/HTTP exporters post traces to.
pub const TRACES_PATH: &str = "/v1/traces";

/// How to run the receiver.
#[derive(Clone, Debug)]
pub struct ReceiverOptions {
    /// Address to bind; `127.0.0.1:4318` by default. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// Largest accepted request body in bytes (after which: 413).
    pub max_body_bytes: usize,
    /// Most spans kept; later spans are counted in [`RunningReceiver::dropped`].
    pub max_spans: usize,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            max_body_bytes: DEFAULT_MAX_BYTES,
            max_spans: DEFAULT_MAX_SPANS,
        }
    }
}

/// Why the receiver could not start.
#[derive(Debug, Error)]
pub enum ReceiverError {
    /// Binding or registering the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The tokio runtime or the receiver thread could not be created.
    #[error("cannot start the receiver runtime: {0}")]
    Runtime(io::Error),
}

#[derive(Default)]
struct Store {
    spans: Vec<Span>,
    dropped: u64,
    requests: u64,
}

struct Shared {
    store: Mutex<Store>,
    max_spans: usize,
    max_body: usize,
}

impl Shared {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // The store stays consistent even if a holder panicked: every update is one push.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keep(&self, spans: Vec<Span>) {
        let mut store = self.store();
        store.requests += 1;
        let room = self.max_spans.saturating_sub(store.spans.len());
        let extra = spans.len().saturating_sub(room);
        store.dropped += extra as u64;
        store.spans.extend(spans.into_iter().take(room));
    }
}

/// A receiver running in the background; stopped by [`RunningReceiver::shutdown`] or on drop.
pub struct RunningReceiver {
    /// The bound address (with the real port when port 0 was asked for).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningReceiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningReceiver {
    /// The endpoint URL exporters should post to, `http://ADDR/v1/traces`.
    pub fn traces_url(&self) -> String {
        format!("http://{}{TRACES_PATH}", self.addr)
    }

    /// The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`, `http://ADDR`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A copy of every span kept so far.
    pub fn spans(&self) -> Vec<Span> {
        self.shared.store().spans.clone()
    }

    /// Takes the spans kept so far, leaving the store empty (the dropped count stays).
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.shared.store().spans)
    }

    /// Spans refused because the store was full.
    pub fn dropped(&self) -> u64 {
        self.shared.store().dropped
    }

    /// Export requests accepted.
    pub fn requests(&self) -> u64 {
        self.shared.store().requests
    }

    /// Stops serving and waits for the receiver thread. Dropping does the same.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningReceiver {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Binds and starts the receiver on its own thread; returns once it is accepting.
pub fn spawn(opts: ReceiverOptions) -> Result<RunningReceiver, ReceiverError> {
    let bind_err = |source| ReceiverError::Bind {
        addr: opts.bind,
        source,
    };
    let std_listener = StdTcpListener::bind(opts.bind).map_err(bind_err)?;
    std_listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = std_listener.local_addr().map_err(bind_err)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ReceiverError::Runtime)?;
    let listener = {
        let _guard = rt.enter();
        TcpListener::from_std(std_listener).map_err(bind_err)?
    };
    let shared = Arc::new(Shared {
        store: Mutex::new(Store::default()),
        max_spans: opts.max_spans,
        max_body: opts.max_body_bytes,
    });
    let (stop, stopped) = oneshot::channel();
    let thread = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("perfhive-otlp".into())
            .spawn(move || rt.block_on(serve(listener, shared, stopped)))
            .map_err(ReceiverError::Runtime)?
    };
    Ok(RunningReceiver {
        addr,
        shared,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, stopped: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = Arc::clone(&shared);
                    conns.spawn(async move {
                        let svc = service_fn(move |req| handle(req, Arc::clone(&shared)));
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                // EMFILE and friends are transient for a listener: back off and keep serving.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

fn plain(status: StatusCode, msg: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(msg.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(respond(req, &shared).await)
}

async fn respond(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    if req.uri().path() != TRACES_PATH {
        return plain(StatusCode::NOT_FOUND, "only /v1/traces is served\n");
    }
    if req.method() != Method::POST {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
        resp.headers_mut()
            .insert(header::ALLOW, http::HeaderValue::from_static("POST"));
        return resp;
    }
    let header_str = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
            .unwrap_or("")
    };
    let Some(encoding) = Encoding::from_content_type(header_str(header::CONTENT_TYPE)) else {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/x-protobuf or application/json\n",
        );
    };
    let coding = header_str(header::CONTENT_ENCODING).trim();
    if !coding.is_empty() && !coding.eq_ignore_ascii_case("identity") {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "compressed bodies are not supported; export uncompressed\n",
        );
    }
    let too_large = || plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
    let declared = header_str(header::CONTENT_LENGTH).parse::<u64>().ok();
    if declared.is_some_and(|n| n > shared.max_body as u64) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), shared.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("reading the body: {e}\n")),
    };
    match otlp::decode(&body, encoding, shared.max_body) {
        Ok(spans) => {
            shared.keep(spans);
            let content_type = match encoding {
                Encoding::Protobuf => "application/x-protobuf",
                Encoding::Json => "application/json",
            };
            let mut resp = Response::new(Full::new(Bytes::from(otlp::success_response(encoding))));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static(content_type),
            );
            resp
        }
        Err(OtlpError::TooLarge { .. }) => too_large(),
        Err(e) => plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    }
}
