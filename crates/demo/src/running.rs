//! Running the demo service in the background: a `perfhive_background::BackgroundServer`, its
//! own OS thread and tokio runtime.
//!
//! A private runtime keeps the service's scheduling independent of the code investigating it (a
//! load generator sharing worker threads with its target would measure itself). Everything that
//! can fail — option checks, opening and seeding the database, binding, building the runtime and
//! the tracing pipeline — happens before [`spawn`] returns, so a returned [`RunningDemo`] is
//! already accepting connections with a seeded database.
//!
//! Connections are served by hyper-util's `auto` builder (HTTP/1.1 with keep-alive, or h2c with
//! prior knowledge). Shutdown is graceful with a bound: stop accepting, ask every connection to
//! finish what is in flight, abort what is left after [`GRACE`]; then, when tracing, flush the
//! spans still queued (bounded by [`crate::otel::FLUSH_TIMEOUT`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use perfhive_background::{self as background, BackgroundServer, Stop, Workers};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::db::Db;
use crate::otel::Tracing;
use crate::routes::{self, Shared};
use crate::{DemoError, DemoOptions};

/// How long in-flight requests may take to finish once shutdown starts.
const GRACE: Duration = Duration::from_secs(2);

/// Pause after an accept error such as `EMFILE`, so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// A demo service running in the background; shut down by [`RunningDemo::shutdown`] or on drop.
#[derive(Debug)]
pub struct RunningDemo {
    /// The address actually bound (with the real port when `bind` asked for port 0).
    pub addr: SocketAddr,
    db_path: Option<PathBuf>,
    server: BackgroundServer,
}

impl RunningDemo {
    /// The base URL, `http://127.0.0.1:PORT`; an unspecified bind address (`0.0.0.0`, `::`) is
    /// reported as the loopback address of the same family.
    pub fn base_url(&self) -> String {
        self.server.url("http")
    }

    /// The database file when [`DemoOptions::db_path`] named one; `None` for the temporary file.
    pub fn db_path(&self) -> Option<&std::path::Path> {
        self.db_path.as_deref()
    }

    /// Stops the service, waits for its thread to finish (bounded by the shutdown grace period
    /// and, when tracing, the flush of queued spans) and removes a temporary database. Dropping
    /// a `RunningDemo` does the same.
    pub fn shutdown(self) {
        self.server.shutdown();
    }
}

/// Starts the demo service on its own OS thread with its own multi-threaded tokio runtime
/// (`opts.threads` workers) and returns once it is listening with a seeded database.
pub fn spawn(opts: DemoOptions) -> Result<RunningDemo, DemoError> {
    opts.validate()?;
    let db = Db::open(opts.db_path.as_deref(), opts.synchronous_full)?;
    let rt = background::runtime("perfhive-demo", Workers::Pool(opts.threads))
        .map_err(DemoError::Runtime)?;
    let (listener, addr) =
        background::listen(&rt, opts.bind).map_err(|source| DemoError::Bind {
            addr: opts.bind,
            source,
        })?;
    let (tracing, tracer) = match &opts.trace {
        Some(config) => {
            let (tracing, tracer) = Tracing::start(config, rt.handle().clone())?;
            (Some(tracing), Some(tracer))
        }
        None => (None, None),
    };
    let shared = Arc::new(Shared::new(db, opts.switches(), tracer));
    let thread = format!("perfhive-demo-{}", addr.port());
    let server = BackgroundServer::spawn(rt, thread, addr, move |stop| async move {
        serve(listener, shared, stop).await;
        // Every connection is done: the spans of all answered requests are queued.
        if let Some(tracing) = tracing {
            tracing.shutdown().await;
        }
        // Dropping the runtime waits for database work still on the blocking pool; the
        // database (and a temporary file) goes with the last `Shared`.
    })
    .map_err(DemoError::Runtime)?;
    Ok(RunningDemo {
        addr,
        db_path: opts.db_path,
        server,
    })
}

/// Accepts and serves connections until `stop` fires (or its sender is dropped).
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: Stop) {
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, Arc::clone(&shared), shutdown_rx.clone()));
                }
                // Transient for a listener (ECONNABORTED, EMFILE): back off and keep serving.
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    shutdown_tx.send_replace(true);
    let drained = async { while conns.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(GRACE, drained).await;
    conns.shutdown().await;
}

/// Serves one connection until it ends or, after shutdown starts, finishes what is in flight.
async fn connection(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let svc = {
        let shared = Arc::clone(&shared);
        service_fn(move |req| routes::handle(req, Arc::clone(&shared)))
    };
    let conn = shared.http.serve_connection(TokioIo::new(stream), svc);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = shutdown.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
