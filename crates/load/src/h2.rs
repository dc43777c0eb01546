//! HTTP/2 for the load engine, through hyper's client connection API: a few connections per
//! worker, each multiplexing many streams; prior knowledge (h2c) over cleartext, ALPN over TLS.

use crate::conn::{ErrorClass, Stream};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::time::{Duration, Instant};

/// An established HTTP/2 connection handle (cheap to clone).
pub type H2Sender = SendRequest<Full<Bytes>>;

/// Performs the HTTP/2 handshake and spawns the connection driver on the current runtime.
pub async fn handshake(stream: Stream) -> Result<H2Sender, ErrorClass> {
    let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(1 << 20)
        .initial_connection_window_size(4 << 20)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| classify(&e))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// Result of one exchange: (status, bytes read, time to headers).
pub async fn exchange(
    send: &mut H2Sender,
    request: http::Request<Full<Bytes>>,
) -> Result<(u16, u64, Duration), ErrorClass> {
    send.ready().await.map_err(|e| classify(&e))?;
    let t0 = Instant::now();
    let resp = send.send_request(request).await.map_err(|e| classify(&e))?;
    let ttfb = t0.elapsed();
    let status = resp.status().as_u16();
    let mut bytes = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
        .sum::<u64>();
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Some(d) = frame.data_ref() {
            bytes += d.len() as u64;
        }
    }
    Ok((status, bytes, ttfb))
}

fn classify(e: &hyper::Error) -> ErrorClass {
    if e.is_timeout() {
        return ErrorClass::Timeout;
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return ErrorClass::of_io(io);
        }
        src = s.source();
    }
    if e.is_closed() || e.is_canceled() || e.is_incomplete_message() {
        ErrorClass::Reset
    } else {
        ErrorClass::Protocol
    }
}
