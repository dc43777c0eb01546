//! The OTLP trace receiver: OTLP/HTTP (`POST /v1/traces`) and OTLP/gRPC
//! (`TraceService/Export`) on loopback, spans kept in one bounded store.
//!
//! Implements the server side of the OpenTelemetry Protocol's two transports
//! (<https://opentelemetry.io/docs/specs/otlp/>):
//!
//! - `http`: OTLP/HTTP, protobuf or JSON bodies, optionally gzip-compressed, on
//!   `127.0.0.1:4318` by default;
//! - `grpc`: OTLP/gRPC, the unary `Export` method of
//!   `opentelemetry.proto.collector.trace.v1.TraceService` spoken by hand over hyper's HTTP/2
//!   server (cleartext, prior knowledge), identity or gzip messages, on `127.0.0.1:4317` by
//!   default.
//!
//! Both listeners are bound before [`spawn`] returns, so a returned [`RunningReceiver`] is
//! already accepting; if either address cannot be bound, nothing is started. Like the testbed
//! and the demo service, the receiver is a `perfhive_background::BackgroundServer`: its own OS
//! thread with a current-thread tokio runtime. The store keeps at most [`ReceiverOptions::max_spans`] spans; the rest are
//! counted as dropped and reported to the exporter as a partial success. Shutdown stops both
//! listeners together and drops open connections.
//!
//! Request size: a body (or gRPC message) larger than [`ReceiverOptions::max_body_bytes`] is
//! refused, both as received and after decompression; decompression stops as soon as the output
//! passes the limit, so a small compressed body cannot expand into a large allocation.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use perfhive_background::{self as background, BackgroundServer, Stop, Workers};
use thiserror::Error;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::model::Span;
use crate::otlp::DEFAULT_MAX_BYTES;

mod grpc;
mod gzip;
mod http;

pub use grpc::EXPORT_PATH;

/// The OTLP/HTTP default port.
pub const DEFAULT_PORT: u16 = 4318;

/// The OTLP/gRPC default port.
pub const DEFAULT_GRPC_PORT: u16 = 4317;

/// The default cap on spans kept in memory.
pub const DEFAULT_MAX_SPANS: usize = 1_000_000;

/// The path OTLP/HTTP exporters post traces to.
pub const TRACES_PATH: &str = "/v1/traces";

/// How to run the receiver.
#[derive(Clone, Debug)]
pub struct ReceiverOptions {
    /// Address of the OTLP/HTTP listener; `127.0.0.1:4318` by default. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// Address of the OTLP/gRPC listener; `Some(127.0.0.1:4317)` by default, `None` serves
    /// OTLP/HTTP only. Port 0 picks a free port.
    pub grpc_bind: Option<SocketAddr>,
    /// Largest accepted request body or gRPC message in bytes, compressed and decompressed
    /// (beyond it: HTTP 413, gRPC `RESOURCE_EXHAUSTED`).
    pub max_body_bytes: usize,
    /// Most spans kept; later spans are counted in [`RunningReceiver::dropped`].
    pub max_spans: usize,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        Self {
            bind: background::loopback(DEFAULT_PORT),
            grpc_bind: Some(background::loopback(DEFAULT_GRPC_PORT)),
            max_body_bytes: DEFAULT_MAX_BYTES,
            max_spans: DEFAULT_MAX_SPANS,
        }
    }
}

impl ReceiverOptions {
    /// The defaults with both listeners on free loopback ports (`127.0.0.1:0`): for tests and
    /// for callers that hand the chosen endpoints to the exporters they start.
    pub fn ephemeral() -> Self {
        let any = background::loopback(0);
        Self {
            bind: any,
            grpc_bind: Some(any),
            ..Self::default()
        }
    }
}

/// Why the receiver could not start.
#[derive(Debug, Error)]
pub enum ReceiverError {
    /// Binding or registering the OTLP/HTTP listening socket failed.
    #[error("cannot listen for OTLP/HTTP on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// Binding or registering the OTLP/gRPC listening socket failed.
    #[error(
        "cannot listen for OTLP/gRPC on {addr}: {source} (choose another address, port 0 for a \
         free one, or disable gRPC)"
    )]
    GrpcBind {
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

/// What both transports share: the store and the limits.
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

    /// Keeps what fits of one export request; returns how many spans were dropped.
    fn keep(&self, spans: Vec<Span>) -> u64 {
        let mut store = self.store();
        store.requests += 1;
        let room = self.max_spans.saturating_sub(store.spans.len());
        let extra = spans.len().saturating_sub(room) as u64;
        store.dropped += extra;
        store.spans.extend(spans.into_iter().take(room));
        extra
    }
}

/// The `error_message` of a partial success for `dropped` spans.
fn dropped_message(dropped: u64) -> String {
    format!("{dropped} spans dropped: the receiver's span store is full")
}

/// A receiver running in the background; stopped by [`RunningReceiver::shutdown`] or on drop.
pub struct RunningReceiver {
    /// The bound OTLP/HTTP address (with the real port when port 0 was asked for).
    pub addr: SocketAddr,
    /// The bound OTLP/gRPC address, `None` when gRPC is disabled.
    pub grpc_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    server: BackgroundServer,
}

impl std::fmt::Debug for RunningReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningReceiver")
            .field("addr", &self.addr)
            .field("grpc_addr", &self.grpc_addr)
            .finish_non_exhaustive()
    }
}

impl RunningReceiver {
    /// The endpoint URL OTLP/HTTP exporters post to, `http://ADDR/v1/traces`.
    pub fn traces_url(&self) -> String {
        format!("http://{}{TRACES_PATH}", self.addr)
    }

    /// The OTLP/HTTP base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`, `http://ADDR`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OTLP/gRPC endpoint for `OTEL_EXPORTER_OTLP_ENDPOINT` with
    /// `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, `http://ADDR` (cleartext); `None` when gRPC is
    /// disabled.
    pub fn grpc_endpoint(&self) -> Option<String> {
        self.grpc_addr.map(|a| format!("http://{a}"))
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

    /// Export requests accepted, over both transports.
    pub fn requests(&self) -> u64 {
        self.shared.store().requests
    }

    /// Stops serving (both listeners, and open connections are dropped) and waits for the
    /// receiver thread. Dropping does the same.
    pub fn shutdown(self) {
        self.server.shutdown();
    }
}

/// Binds both listeners and starts the receiver on its own thread with a current-thread
/// runtime; returns once both are accepting. If either address cannot be bound, nothing is
/// started.
pub fn spawn(opts: ReceiverOptions) -> Result<RunningReceiver, ReceiverError> {
    let rt = background::runtime("perfhive-otlp", Workers::CurrentThread)
        .map_err(ReceiverError::Runtime)?;
    let (http, addr) =
        background::listen(&rt, opts.bind).map_err(|source| ReceiverError::Bind {
            addr: opts.bind,
            source,
        })?;
    let grpc = opts
        .grpc_bind
        .map(|a| {
            background::listen(&rt, a).map_err(|source| ReceiverError::GrpcBind { addr: a, source })
        })
        .transpose()?;
    let grpc_addr = grpc.as_ref().map(|(_, a)| *a);
    let shared = Arc::new(Shared {
        store: Mutex::new(Store::default()),
        max_spans: opts.max_spans,
        max_body: opts.max_body_bytes,
    });
    let serving = Arc::clone(&shared);
    let server = BackgroundServer::spawn(rt, "perfhive-otlp".into(), addr, move |stop| {
        serve(http, grpc.map(|(l, _)| l), serving, stop)
    })
    .map_err(ReceiverError::Runtime)?;
    Ok(RunningReceiver {
        addr,
        grpc_addr,
        shared,
        server,
    })
}

/// Accepts on `listener`, or never when there is none.
async fn accept(listener: Option<&TcpListener>) -> io::Result<TcpStream> {
    match listener {
        Some(l) => l.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

/// Accepts on both listeners until `stop`, then drops every open connection.
async fn serve(
    http_listener: TcpListener,
    grpc_listener: Option<TcpListener>,
    shared: Arc<Shared>,
    stop: Stop,
) {
    let mut conns = JoinSet::new();
    let mut stopped = std::pin::pin!(stop);
    // EMFILE and friends are transient for a listener: back off and keep serving.
    let backoff = || tokio::time::sleep(std::time::Duration::from_millis(20));
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            accepted = accept(Some(&http_listener)) => match accepted {
                Ok(stream) => {
                    conns.spawn(http::serve_connection(stream, Arc::clone(&shared)));
                }
                Err(_) => backoff().await,
            },
            accepted = accept(grpc_listener.as_ref()) => match accepted {
                Ok(stream) => {
                    conns.spawn(grpc::serve_connection(stream, Arc::clone(&shared)));
                }
                Err(_) => backoff().await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}
