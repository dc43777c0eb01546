//! A minimal HTTP/1.1 client over loopback, `Server-Timing` parsing, and a time bound per test.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use perfhive_demo::{spawn, DemoOptions, RunningDemo};
use tokio::net::TcpStream;

/// Fails the test if `fut` takes longer than `secs` seconds.
pub async fn bounded<T>(secs: u64, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .expect("test exceeded its time bound")
}

/// A demo service with the default (slow) switches.
pub fn demo() -> RunningDemo {
    spawn(DemoOptions::default()).expect("spawn demo")
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// The duration of phase `name` in the `Server-Timing` header, in milliseconds.
    pub fn phase_ms(&self, name: &str) -> f64 {
        let header = self.headers["server-timing"].to_str().expect("ascii");
        header
            .split(", ")
            .find_map(|metric| {
                let (n, dur) = metric.split_once(";dur=")?;
                (n == name).then(|| dur.parse().expect("dur"))
            })
            .unwrap_or_else(|| panic!("no phase {name:?} in {header:?}"))
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Client(http1::SendRequest<Full<Bytes>>);

impl Client {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Client(sender)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&mut self, method: Method, path: &str, body: &[u8]) -> Reply {
        self.send_with(method, path, body, &[]).await
    }

    /// Sends a request with extra headers and reads the whole response.
    pub async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, "127.0.0.1");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("request");
        self.0.ready().await.expect("ready");
        let res = self.0.send_request(req).await.expect("send");
        let (parts, body) = res.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.expect("body").to_bytes(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, b"").await
    }

    pub async fn post(&mut self, path: &str, body: &[u8]) -> Reply {
        self.send(Method::POST, path, body).await
    }

    /// `GET /stats` as JSON.
    pub async fn stats(&mut self) -> serde_json::Value {
        self.get("/stats").await.json()
    }
}

/// `n` records as a JSON array, sensors named after `tag`.
pub fn records(n: usize, tag: &str) -> Vec<u8> {
    let records: Vec<_> = (0..n)
        .map(|i| serde_json::json!({"sensor": format!("{tag}-{}", i % 8), "value": i as f64 * 0.5}))
        .collect();
    serde_json::to_vec(&records).expect("json")
}
