//! perfhive-testbed: the built-in HTTP server with known, controllable behaviour.
//!
//! The testbed is the "system under test" of perfhive's own examples and integration tests, and
//! what `builtin:testbed/...` URLs in scenarios point at. Every endpoint has a documented, cheap
//! behaviour (fixed latency, injected errors, large or chunked bodies, resets, hangs), and a global
//! *stall* simulates a stop-the-world pause so coordinated omission (Gil Tene, "How NOT to Measure
//! Latency") can be demonstrated and tested: see [`TargetOptions::stall_every`] and
//! `POST /admin/stall?ms=N`.
//!
//! One port serves HTTP/1.1 with keep-alive and HTTP/2 over cleartext with prior knowledge
//! (`h2c`, RFC 9113 §3.3); with [`TargetOptions::tls`] it serves HTTPS with ALPN `h2` and
//! `http/1.1` using a freshly generated self-signed certificate.
//!
//! Endpoints (all methods unless noted):
//!
//! | path | behaviour |
//! |------|-----------|
//! | `GET /` | text index of the endpoints |
//! | `/fast` | 200 `ok` |
//! | `/slow?ms=N` | sleeps N ms (default [`TargetOptions::delay`]), then 200 |
//! | `/error?rate=P` | 500 with probability P (default [`TargetOptions::error_rate`]), else 200 |
//! | `/status/{code}` | responds with that status (200..=999) and an empty body |
//! | `/bytes?n=N` | N filler bytes, at most 16 MiB |
//! | `/chunked?n=N&chunks=K` | N bytes as K chunks (`Transfer-Encoding: chunked` on HTTP/1.1) |
//! | `/echo` | echoes the request body (at most 16 MiB) |
//! | `POST /checkout` | `{"items": N}` → ~(1 + N/10) ms of work → `{"ok":true,"items":N}`; bad JSON → 400 |
//! | `/reset` | closes the connection with a TCP RST, no response |
//! | `/hang` | never responds (until the server shuts down) |
//! | `POST /admin/stall?ms=N` | stalls every non-admin request for N ms from now |
//! | `GET /admin/stats` | `{"requests": finished, "in_flight": n}` (admin requests not counted) |
//!
//! Two ways to run it: [`spawn`] starts it on its own OS thread and runtime (tests, in-process
//! scenarios), [`serve`] runs it on the caller's runtime (the `perfhive target` command).

mod body;
mod error;
mod routes;
mod running;
mod server;
mod stall;
mod state;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use error::{BuiltinError, TargetError};
pub use running::{spawn, spawn_builtin, RunningTarget};

/// How to run the testbed.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetOptions {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// Serve HTTPS with a generated self-signed certificate instead of cleartext HTTP.
    pub tls: bool,
    /// Period of the automatic stall windows; the first one starts one period after start-up.
    /// `None` (the default) disables periodic stalls.
    pub stall_every: Option<Duration>,
    /// Length of each periodic stall window; must be shorter than `stall_every`.
    pub stall_for: Duration,
    /// Default failure probability of `/error` when the request gives no `rate` (0..=1).
    pub error_rate: f64,
    /// Default sleep of `/slow` when the request gives no `ms`.
    pub delay: Duration,
    /// Worker threads of the runtime [`spawn`] creates: 1 (the default) means a current-thread
    /// runtime, 0 is treated as 1. Ignored by [`serve`], which uses the caller's runtime.
    pub threads: usize,
}

impl Default for TargetOptions {
    fn default() -> Self {
        Self {
            bind: perfhive_background::loopback(0),
            tls: false,
            stall_every: None,
            stall_for: Duration::from_millis(100),
            error_rate: 0.1,
            delay: Duration::from_millis(100),
            threads: 1,
        }
    }
}

impl TargetOptions {
    /// Checks the options for contradictions.
    pub fn validate(&self) -> Result<(), TargetError> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(TargetError::InvalidOptions(format!(
                "error_rate must be within 0..=1, got {}",
                self.error_rate
            )));
        }
        if let Some(every) = self.stall_every {
            if self.stall_for >= every {
                return Err(TargetError::InvalidOptions(format!(
                    "stall_for ({:?}) must be shorter than stall_every ({every:?})",
                    self.stall_for
                )));
            }
        }
        Ok(())
    }
}

/// Serves the testbed on `listener` until `shutdown` resolves, on the caller's runtime.
///
/// With `opts.tls` a fresh self-signed certificate is generated first. After `shutdown`
/// resolves, the listener is closed, in-flight requests get a short grace period (`/hang`
/// returns 503 at once) and remaining connections are dropped. `opts.bind` and `opts.threads`
/// are ignored: the listener and the runtime are the caller's.
pub async fn serve(
    listener: tokio::net::TcpListener,
    opts: TargetOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TargetError> {
    opts.validate()?;
    let tls = if opts.tls {
        Some(tls::TlsSetup::self_signed()?.acceptor)
    } else {
        None
    };
    let shared = Arc::new(state::Shared::new(&opts));
    server::run(listener, shared, tls, shutdown).await;
    Ok(())
}
