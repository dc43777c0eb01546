//! HTTP test clients over loopback (hyper's connection API: HTTP/1.1 or h2c with prior
//! knowledge, over TCP or any stream), whole-response [`Reply`]s, and a time bound per test.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Fails the test if `fut` takes longer than `secs` seconds.
pub async fn bounded<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .expect("test exceeded its time bound")
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The protocol version it came over.
    pub version: Version,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// The duration of metric `name` in the `Server-Timing` header (W3C Server Timing:
    /// `name;dur=12.3, …`), in milliseconds; panics when absent.
    pub fn server_timing_ms(&self, name: &str) -> f64 {
        let header = self.headers["server-timing"].to_str().expect("ascii");
        header
            .split(',')
            .find_map(|metric| {
                let (n, dur) = metric.trim().split_once(";dur=")?;
                (n == name).then(|| dur.parse().expect("a number of milliseconds"))
            })
            .unwrap_or_else(|| panic!("no metric {name:?} in {header:?}"))
    }
}

/// One connection's request sender: HTTP/1.1 (keep-alive) or HTTP/2.
pub enum Client {
    /// HTTP/1.1.
    H1(http1::SendRequest<Full<Bytes>>),
    /// HTTP/2.
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Client {
    /// HTTP/1.1 over a fresh TCP connection.
    pub async fn h1(addr: SocketAddr) -> Self {
        Self::h1_over(TcpStream::connect(addr).await.expect("connect")).await
    }

    /// HTTP/2 with prior knowledge (h2c) over a fresh TCP connection.
    pub async fn h2c(addr: SocketAddr) -> Self {
        Self::h2_over(TcpStream::connect(addr).await.expect("connect")).await
    }

    /// HTTP/1.1 over any stream.
    pub async fn h1_over<S>(io: S) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http1::handshake(TokioIo::new(io))
            .await
            .expect("h1 handshake");
        tokio::spawn(conn);
        Client::H1(sender)
    }

    /// HTTP/2 over any stream.
    pub async fn h2_over<S>(io: S) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        Client::H2(sender)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&mut self, method: Method, path: &str, body: &[u8]) -> hyper::Result<Reply> {
        self.send_with(method, path, body, &[]).await
    }

    /// Sends a request with extra headers and reads the whole response.
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> hyper::Result<Reply> {
        let mut req = Request::builder().method(method);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = match self {
            Client::H1(s) => {
                let req = req
                    .uri(path)
                    .header(http::header::HOST, "127.0.0.1")
                    .body(Full::new(Bytes::copy_from_slice(body)))
                    .expect("request");
                s.ready().await?;
                s.send_request(req).await?
            }
            Client::H2(s) => {
                let req = req
                    .uri(format!("http://127.0.0.1{path}"))
                    .body(Full::new(Bytes::copy_from_slice(body)))
                    .expect("request");
                s.ready().await?;
                s.send_request(req).await?
            }
        };
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }

    /// `GET path`; panics if the exchange fails.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, b"").await.expect("GET")
    }

    /// `POST path` with `body`; panics if the exchange fails.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Reply {
        self.send(Method::POST, path, body).await.expect("POST")
    }
}
