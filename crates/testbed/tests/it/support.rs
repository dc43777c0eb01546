//! Minimal hyper clients over loopback, and a time bound for every test.

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
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

/// Either HTTP/1.1 or HTTP/2 request sender.
pub enum Client {
    H1(http1::SendRequest<Full<Bytes>>),
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
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("request");
        let res = match self {
            Client::H1(s) => {
                req.headers_mut()
                    .insert(http::header::HOST, "127.0.0.1".parse().expect("host"));
                s.ready().await?;
                s.send_request(req).await?
            }
            Client::H2(s) => {
                *req.uri_mut() = format!("http://127.0.0.1{path}").parse().expect("uri");
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

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, b"").await.expect("GET")
    }

    pub async fn post(&mut self, path: &str, body: &[u8]) -> Reply {
        self.send(Method::POST, path, body).await.expect("POST")
    }
}
