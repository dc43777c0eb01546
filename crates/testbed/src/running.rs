//! Running the testbed in the background: a `perfhive_background::BackgroundServer`, its own OS
//! thread and tokio runtime.
//!
//! A private runtime keeps the testbed's scheduling independent of the code under test (a load
//! generator measuring it must not share worker threads with it, or it would measure itself).
//! Everything that can fail — option checks, binding, certificate generation, runtime creation,
//! registering the listener — happens before [`spawn`] returns, so a returned [`RunningTarget`] is
//! already accepting connections.

use std::net::SocketAddr;
use std::sync::Arc;

use perfhive_background::{self as background, BackgroundServer, Workers};

use crate::state::Shared;
use crate::tls::TlsSetup;
use crate::{server, BuiltinError, TargetError, TargetOptions};

/// A testbed serving in the background; shut down by [`RunningTarget::shutdown`] or on drop.
#[derive(Debug)]
pub struct RunningTarget {
    /// The address actually bound (with the real port when `bind` asked for port 0).
    pub addr: SocketAddr,
    /// Whether the testbed serves HTTPS.
    pub tls: bool,
    cert_der: Option<Vec<u8>>,
    server: BackgroundServer,
}

impl RunningTarget {
    /// The base URL, `http://127.0.0.1:PORT` or `https://…`; an unspecified bind address
    /// (`0.0.0.0`, `::`) is reported as the loopback address of the same family.
    pub fn base_url(&self) -> String {
        self.server.url(if self.tls { "https" } else { "http" })
    }

    /// The DER bytes of the self-signed certificate (for `localhost` and `127.0.0.1`) when
    /// serving HTTPS, for clients to add to their trusted roots; `None` for cleartext.
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.cert_der.clone()
    }

    /// Stops the testbed and waits for its thread to finish (bounded by the shutdown grace
    /// period). Dropping a `RunningTarget` does the same.
    pub fn shutdown(self) {
        self.server.shutdown();
    }
}

/// Serves the built-in target `name` of a scenario (`builtin:testbed/…`, or its alias
/// `builtin:demo/…`): the testbed with default options, on 127.0.0.1.
pub fn spawn_builtin(name: &str) -> Result<RunningTarget, BuiltinError> {
    match name {
        "testbed" | "demo" => spawn(TargetOptions::default()).map_err(BuiltinError::Start),
        other => Err(BuiltinError::Unknown(other.to_string())),
    }
}

/// Starts the testbed on its own OS thread with its own tokio runtime (`opts.threads`
/// workers; 1 means a current-thread runtime) and returns once it is listening.
pub fn spawn(opts: TargetOptions) -> Result<RunningTarget, TargetError> {
    opts.validate()?;
    let workers = match opts.threads {
        0 | 1 => Workers::CurrentThread,
        n => Workers::Pool(n),
    };
    let rt = background::runtime("perfhive-testbed", workers).map_err(TargetError::Runtime)?;
    let (listener, addr) =
        background::listen(&rt, opts.bind).map_err(|source| TargetError::Bind {
            addr: opts.bind,
            source,
        })?;
    let tls = opts.tls.then(TlsSetup::self_signed).transpose()?;
    let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
    let shared = Arc::new(Shared::new(&opts));
    let thread = format!("perfhive-testbed-{}", addr.port());
    let server = BackgroundServer::spawn(rt, thread, addr, move |stop| {
        server::run(listener, shared, acceptor, stop)
    })
    .map_err(TargetError::Runtime)?;
    Ok(RunningTarget {
        addr,
        tls: opts.tls,
        cert_der: tls.map(|t| t.cert_der),
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builtin_target_is_served_on_loopback_by_name() {
        for name in ["testbed", "demo"] {
            let t = spawn_builtin(name).unwrap();
            assert!(t.addr.ip().is_loopback(), "{}", t.addr);
            assert!(t.base_url().starts_with("http://127.0.0.1:"));
            // it accepts connections once returned
            std::net::TcpStream::connect(t.addr).unwrap();
            t.shutdown();
        }
        let e = spawn_builtin("nginx").unwrap_err();
        assert!(matches!(e, BuiltinError::Unknown(ref n) if n == "nginx"));
        assert_eq!(e.to_string(), "unknown built-in target `nginx`");
    }
}
