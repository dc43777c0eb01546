//! The accept loop and per-connection serving, on hyper directly.
//!
//! Each accepted socket is served by hyper-util's `auto` builder, which sniffs the HTTP/2
//! connection preface (RFC 9113 §3.4, "prior knowledge") and otherwise speaks HTTP/1.1 with
//! keep-alive, so one port serves both `h2c` and HTTP/1.1 (and, behind TLS, whatever ALPN chose).
//!
//! Serving connections ourselves (rather than through `axum::serve`) gives each connection a
//! [`ConnControl`]: `/reset` asks the connection task to drop the connection future, which drops
//! the socket, after `SO_LINGER = 0` turned the close into a TCP RST (the "abortive close" of
//! RFC 9293 §3.10.7.1 / 4.4BSD) — the client sees a reset instead of a response.
//!
//! Shutdown is graceful with a bound: stop accepting, let each connection finish what is in
//! flight (idle keep-alive connections close at once, HTTP/2 gets GOAWAY), drop connections that
//! have stayed idle for [`IDLE_GRACE`] (an HTTP/2 client that does not answer the GOAWAY PING must
//! not hold us up), then abort whatever is left after [`GRACE`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::routes;
use crate::state::{ConnControl, Shared};

/// How long in-flight requests may take to finish once shutdown starts.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// How long an idle connection may take to close gracefully (an HTTP/2 GOAWAY needs a PING round
/// trip) before it is dropped; also lets the last response of a connection be flushed.
const IDLE_GRACE: Duration = Duration::from_millis(100);

/// How often shutdown checks whether a connection became idle.
const IDLE_POLL: Duration = Duration::from_millis(10);

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after an accept error such as `EMFILE`, so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// Accepts and serves connections until `shutdown` resolves, then shuts down gracefully.
pub(crate) async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let mut conns = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Latency matters more than segment count for a benchmark target.
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, Arc::clone(&shared), tls.clone()));
                }
                // Per-connection errors (ECONNABORTED) and resource exhaustion (EMFILE) are
                // transient for a listener; back off briefly and keep serving.
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    shared.begin_shutdown();
    let drained = async { while conns.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(GRACE, drained).await;
    conns.shutdown().await;
}

/// Serves one accepted TCP connection, optionally behind TLS.
async fn connection(stream: TcpStream, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let ctl = Arc::new(ConnControl::default());
    let io = ResettableStream {
        inner: stream,
        ctl: Arc::clone(&ctl),
    };
    match tls {
        None => drive(io, shared, ctl).await,
        Some(acceptor) => {
            if let Ok(Ok(tls_stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(io)).await
            {
                drive(tls_stream, shared, ctl).await;
            }
        }
    }
}

/// Runs the HTTP connection until it ends, is aborted by `/reset`, or the server shuts down.
async fn drive<I>(io: I, shared: Arc<Shared>, ctl: Arc<ConnControl>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let shutting_down = shared.shutting_down();
    let svc = {
        let shared = Arc::clone(&shared);
        let ctl = Arc::clone(&ctl);
        service_fn(move |req| routes::handle(req, Arc::clone(&shared), Arc::clone(&ctl)))
    };
    let conn = shared.http.serve_connection(TokioIo::new(io), svc);
    let mut conn = std::pin::pin!(conn);
    // Dropping `conn` drops the socket; on abort that is the point.
    tokio::select! {
        _ = conn.as_mut() => return,
        () = ctl.aborted() => return,
        () = shutting_down => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        () = ctl.aborted() => {}
        () = idle_for(&ctl, IDLE_GRACE) => {}
    }
}

/// Resolves once the connection has had no request in flight for `grace` (polling; this runs
/// only during shutdown, so it costs nothing on the request path).
async fn idle_for(ctl: &ConnControl, grace: Duration) {
    let mut idle_since = None;
    loop {
        if ctl.in_flight() == 0 {
            let since = *idle_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= grace {
                return;
            }
        } else {
            idle_since = None;
        }
        tokio::time::sleep(IDLE_POLL).await;
    }
}

/// A TCP stream that closes with an RST instead of a FIN when its connection was reset.
struct ResettableStream {
    inner: TcpStream,
    ctl: Arc<ConnControl>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.ctl.reset_requested() {
            // Zero linger never blocks; failure just means a FIN instead of an RST.
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
