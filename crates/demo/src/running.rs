//! Running the demo service in the background on its own OS thread and tokio runtime.
//!
//! A private runtime keeps the service's scheduling independent of the code investigating it (a
//! load generator sharing worker threads with its target would measure itself). Everything that
//! can fail — option checks, opening and seeding the database, binding, building the runtime —
//! happens before [`spawn`] returns, so a returned [`RunningDemo`] is already accepting
//! connections with a seeded database.
//!
//! Connections are served by hyper-util's `auto` builder (HTTP/1.1 with keep-alive, or h2c with
//! prior knowledge). Shutdown is graceful with a bound: stop accepting, ask every connection to
//! finish what is in flight, abort what is left after [`GRACE`]; then, when tracing, export the
//! spans still queued (bounded by [`crate::otel::FLUSH_TIMEOUT`]).

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::db::Db;
use crate::otel::{self, TraceStats};
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
    trace_stats: Option<Arc<otel::export::Queue>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningDemo {
    /// The base URL, `http://127.0.0.1:PORT`; an unspecified bind address (`0.0.0.0`, `::`) is
    /// reported as the loopback address of the same family.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// The database file when [`DemoOptions::db_path`] named one; `None` for the temporary file.
    pub fn db_path(&self) -> Option<&std::path::Path> {
        self.db_path.as_deref()
    }

    /// Counters of the span pipeline (exported, dropped, failed); `None` when not tracing.
    pub fn trace_stats(&self) -> Option<TraceStats> {
        self.trace_stats.as_ref().map(|q| q.stats())
    }

    /// Stops the service, waits for its thread to finish (bounded by the shutdown grace period
    /// and, when tracing, the flush of queued spans) and removes a temporary database. Dropping
    /// a `RunningDemo` does the same.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the service thread has nothing left to clean up; do not propagate it
            // from a destructor.
            let _ = thread.join();
        }
    }
}

impl Drop for RunningDemo {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts the demo service on its own OS thread with its own multi-threaded tokio runtime
/// (`opts.threads` workers) and returns once it is listening with a seeded database.
pub fn spawn(opts: DemoOptions) -> Result<RunningDemo, DemoError> {
    opts.validate()?;
    let db = Db::open(opts.db_path.as_deref(), opts.synchronous_full)?;
    let (tracer, exporter) = match opts.trace.clone() {
        Some(config) => {
            let (tracer, exporter) = otel::pipeline(config);
            (Some(tracer), Some(exporter))
        }
        None => (None, None),
    };
    let trace_stats = exporter.as_ref().map(otel::export::Exporter::queue);
    let shared = Arc::new(Shared::new(db, opts.switches(), tracer));
    let bind_err = |source| DemoError::Bind {
        addr: opts.bind,
        source,
    };
    let listener = StdTcpListener::bind(opts.bind).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .thread_name("perfhive-demo")
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)?;

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::sync_channel::<std::io::Result<()>>(1);
    let thread = std::thread::Builder::new()
        .name(format!("perfhive-demo-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let export = exporter.map(otel::export::Exporter::spawn);
                let _ = ready_tx.send(Ok(()));
                serve(listener, shared, stop_rx).await;
                // Every connection is done: the spans of all answered requests are queued.
                if let Some(export) = export {
                    export.shutdown().await;
                }
            });
            // Dropping the runtime waits for database work still on the blocking pool; the
            // database (and a temporary file) goes with the last `Shared`.
        })
        .map_err(DemoError::Runtime)?;

    let ready = ready_rx.recv().unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "the demo thread exited before listening",
        ))
    });
    if let Err(source) = ready {
        let _ = thread.join();
        return Err(DemoError::Bind { addr, source });
    }
    Ok(RunningDemo {
        addr,
        db_path: opts.db_path,
        trace_stats,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// Accepts and serves connections until `stop` fires (or its sender is dropped).
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
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
