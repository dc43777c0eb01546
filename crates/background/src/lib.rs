//! perfhive-background: a server on its own OS thread and tokio runtime, with its address and a
//! clean stop that waits for the thread.
//!
//! The testbed, the demo service and the OTLP trace receiver all run this way, for the same
//! reason: a private runtime keeps a server's scheduling apart from the code measuring it (a load
//! generator sharing worker threads with its target would measure itself). In three steps:
//!
//! 1. [`runtime`] builds the server's runtime ([`Workers`]: current-thread or a pool);
//! 2. [`listen`] binds each listening socket (127.0.0.1 unless told otherwise, see
//!    [`loopback`]) and registers it with that runtime, so a bind error is returned to the
//!    caller before any thread exists, and a returned server is already accepting;
//! 3. [`BackgroundServer::spawn`] runs the serving future on a new named thread until the
//!    [`Stop`] it was given resolves; [`BackgroundServer::shutdown`] (or dropping the handle)
//!    fires the stop and joins the thread, so the caller knows the server is gone — its
//!    listening sockets closed, its runtime and blocking pool finished.
//!
//! What a server does between accept and stop (graceful drain, grace periods) is its own.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener as StdTcpListener};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// `127.0.0.1:port`: where perfhive's servers listen unless told otherwise (port 0 asks the
/// system for a free port).
pub const fn loopback(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

/// The worker threads of a server's runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// A current-thread runtime: everything runs on the server's own thread.
    CurrentThread,
    /// A multi-thread runtime with this many workers (0 is treated as 1).
    Pool(usize),
}

/// Builds a server's runtime with timers and I/O enabled; pool workers are named `name`.
pub fn runtime(name: &str, workers: Workers) -> io::Result<Runtime> {
    match workers {
        Workers::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Workers::Pool(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n.max(1))
            .thread_name(name)
            .enable_all()
            .build(),
    }
}

/// Binds a listening socket on `addr` and registers it with `rt`'s reactor; returns it with the
/// address actually bound (the real port when `addr` asked for port 0).
pub fn listen(rt: &Runtime, addr: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
    let std = StdTcpListener::bind(addr)?;
    std.set_nonblocking(true)?;
    let real = std.local_addr()?;
    let _in_rt = rt.enter();
    Ok((TcpListener::from_std(std)?, real))
}

/// Resolves when the server is asked to stop: [`BackgroundServer::shutdown`], or its handle was
/// dropped.
#[derive(Debug)]
pub struct Stop(oneshot::Receiver<()>);

impl Future for Stop {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A dropped sender also means stop.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// A server running on its own thread; stopped by [`BackgroundServer::shutdown`] or on drop.
#[derive(Debug)]
pub struct BackgroundServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundServer {
    /// Starts a thread named `thread` that runs `serve(stop)` to completion on `rt`, then drops
    /// `rt` (which waits for the runtime's blocking tasks). `addr` is the server's address as
    /// [`listen`] returned it; `serve` must return soon after its [`Stop`] resolves.
    ///
    /// The only error is the operating system refusing a new thread.
    pub fn spawn<S, F>(rt: Runtime, thread: String, addr: SocketAddr, serve: S) -> io::Result<Self>
    where
        S: FnOnce(Stop) -> F + Send + 'static,
        F: Future<Output = ()>,
    {
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(thread)
            .spawn(move || rt.block_on(serve(Stop(stopped))))?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `scheme://ADDR`, with an unspecified address (`0.0.0.0`, `::`) reported as the loopback
    /// address of the same family, which is where a local client reaches it.
    pub fn url(&self, scheme: &str) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("{scheme}://{addr}")
    }

    /// Asks the server to stop and waits for its thread to end. Dropping the handle does the
    /// same.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has nothing left to clean up; a destructor must not
            // propagate it.
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;

    /// A server answering `hi` to every connection until stopped; `done` is set once its serving
    /// future has returned.
    fn greeter(workers: Workers, done: Arc<AtomicBool>) -> BackgroundServer {
        let rt = runtime("test-greeter", workers).expect("runtime");
        let (listener, addr) = listen(&rt, loopback(0)).expect("listen");
        BackgroundServer::spawn(rt, "test-greeter".into(), addr, move |stop| async move {
            let mut stop = std::pin::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => break,
                    Ok((mut s, _)) = listener.accept() => {
                        let _ = s.write_all(b"hi").await;
                    }
                }
            }
            done.store(true, Ordering::SeqCst);
        })
        .expect("spawn")
    }

    fn greet(addr: SocketAddr) -> String {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn serves_on_loopback_until_shut_down() {
        for workers in [Workers::CurrentThread, Workers::Pool(2)] {
            let done = Arc::new(AtomicBool::new(false));
            let server = greeter(workers, Arc::clone(&done));
            let addr = server.addr();
            assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
            assert_eq!(server.url("http"), format!("http://{addr}"));
            assert_eq!(greet(addr), "hi");
            server.shutdown();
            // shutdown waited for the serving future and dropped the listener
            assert!(done.load(Ordering::SeqCst));
            assert!(std::net::TcpStream::connect(addr).is_err());
        }
    }

    #[test]
    fn dropping_the_handle_stops_the_server() {
        let done = Arc::new(AtomicBool::new(false));
        let server = greeter(Workers::CurrentThread, Arc::clone(&done));
        let addr = server.addr();
        drop(server);
        assert!(done.load(Ordering::SeqCst));
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn a_busy_address_is_an_error_before_any_thread_starts() {
        let busy = std::net::TcpListener::bind(loopback(0)).expect("bind");
        let rt = runtime("test", Workers::CurrentThread).expect("runtime");
        let err = listen(&rt, busy.local_addr().expect("addr")).expect_err("in use");
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        let mut w =
            std::net::TcpStream::connect(busy.local_addr().expect("addr")).expect("connect");
        w.write_all(b"x")
            .expect("the first listener still owns the port");
    }

    #[test]
    fn unspecified_addresses_are_reached_on_loopback() {
        let rt = runtime("test", Workers::CurrentThread).expect("runtime");
        let (listener, addr) = listen(&rt, "0.0.0.0:0".parse().expect("addr")).expect("listen");
        let server = BackgroundServer::spawn(rt, "test".into(), addr, move |stop| async move {
            let _listening = listener;
            stop.await;
        })
        .expect("spawn");
        assert_eq!(
            server.url("https"),
            format!("https://127.0.0.1:{}", addr.port())
        );
    }
}
