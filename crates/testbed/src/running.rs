//! Running the demo target in the background on its own OS thread and tokio runtime.
//!
//! A private runtime keeps the target's scheduling independent of the code under test (a load
//! generator measuring it must not share worker threads with it, or it would measure itself).
//! Everything that can fail — option checks, binding, certificate generation, runtime creation,
//! registering the listener — happens before [`spawn`] returns, so a returned [`RunningTarget`] is
//! already accepting connections.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::state::Shared;
use crate::tls::TlsSetup;
use crate::{server, TargetError, TargetOptions};

/// A demo target serving in the background; shut down by [`RunningTarget::shutdown`] or on drop.
#[derive(Debug)]
pub struct RunningTarget {
    /// The address actually bound (with the real port when `bind` asked for port 0).
    pub addr: SocketAddr,
    /// Whether the target serves HTTPS.
    pub tls: bool,
    cert_der: Option<Vec<u8>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningTarget {
    /// The base URL, `http://127.0.0.1:PORT` or `https://…`; an unspecified bind address
    /// (`0.0.0.0`, `::`) is reported as the loopback address of the same family.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("{scheme}://{addr}")
    }

    /// The DER bytes of the self-signed certificate (for `localhost` and `127.0.0.1`) when
    /// serving HTTPS, for clients to add to their trusted roots; `None` for cleartext.
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.cert_der.clone()
    }

    /// Stops the target and waits for its thread to finish (bounded by the shutdown grace
    /// period). Dropping a `RunningTarget` does the same.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the target thread has nothing left to clean up; do not propagate it
            // from a destructor.
            let _ = thread.join();
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts the demo target on its own OS thread with its own tokio runtime (`opts.threads`
/// workers; 1 means a current-thread runtime) and returns once it is listening.
pub fn spawn(opts: TargetOptions) -> Result<RunningTarget, TargetError> {
    opts.validate()?;
    let bind_err = |source| TargetError::Bind {
        addr: opts.bind,
        source,
    };
    let listener = StdTcpListener::bind(opts.bind).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let tls = opts.tls.then(TlsSetup::self_signed).transpose()?;
    let runtime = build_runtime(opts.threads).map_err(TargetError::Runtime)?;

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::sync_channel::<std::io::Result<()>>(1);
    let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
    let shared = Arc::new(Shared::new(&opts));
    let thread = std::thread::Builder::new()
        .name(format!("perfhive-testbed-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let stop = async move {
                    // A dropped sender (the handle is gone) also means stop.
                    let _ = stop_rx.await;
                };
                server::run(listener, shared, acceptor, stop).await;
            });
        })
        .map_err(TargetError::Runtime)?;

    let ready = ready_rx.recv().unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "the target thread exited before listening",
        ))
    });
    if let Err(source) = ready {
        let _ = thread.join();
        return Err(TargetError::Bind { addr, source });
    }
    Ok(RunningTarget {
        addr,
        tls: opts.tls,
        cert_der: tls.map(|t| t.cert_der),
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

fn build_runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("perfhive-testbed")
            .enable_all()
            .build()
    }
}
