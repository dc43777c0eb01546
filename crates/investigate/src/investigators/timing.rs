//! Where the time goes, from the server's own `Server-Timing` response header (W3C Server
//! Timing): a few sequential requests per named request, each phase's mean duration, weighted
//! by the request mix. A plain blocking HTTP/1.1 client with `Connection: close` ([`send`]),
//! so sampling never queues behind the load test's connections.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Phases of one response: (name, ms).
pub type Phases = Vec<(String, f64)>;

/// Parses `db;dur=12.3, serialize;dur=4.1;desc="x", total;dur=17`.
pub fn parse_server_timing(value: &str) -> Phases {
    value
        .split(',')
        .filter_map(|metric| {
            let mut parts = metric.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?.to_string();
            let dur = parts
                .find_map(|p| p.strip_prefix("dur="))
                .and_then(|d| d.trim_matches('"').parse::<f64>().ok())?;
            Some((name, dur))
        })
        .collect()
}

/// A response's status code and head (status line and headers).
#[derive(Clone, Debug)]
pub struct Head {
    /// The status code (0 when the status line cannot be read).
    pub status: u16,
    /// The status line and headers, as text.
    pub text: String,
}

/// Sends one request over a fresh connection (`Connection: close`) and returns the response's
/// head; the body is read and dropped.
pub fn send(
    url: &str,
    method: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Head> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this client speaks plain http",
        ));
    }
    let host = uri.host().unwrap_or("127.0.0.1");
    let port = uri.port_u16().unwrap_or(80);
    let mut s = TcpStream::connect((host, port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("content-length") && !k.eq_ignore_ascii_case("connection") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok(Head { status, text })
}

/// Sends one request and returns its Server-Timing phases (empty when the header is absent).
pub fn fetch(
    url: &str,
    method: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Phases> {
    let head = send(url, method, headers, body, timeout)?;
    Ok(head
        .text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("server-timing"))
        .flat_map(|(_, v)| parse_server_timing(v))
        .collect())
}

/// Mean ms per phase over `samples` requests; `total` excluded. Empty when the server sends no
/// Server-Timing.
pub fn mean_phases(samples: &[Phases]) -> BTreeMap<String, f64> {
    let mut sum: BTreeMap<String, f64> = BTreeMap::new();
    let n = samples.iter().filter(|s| !s.is_empty()).count();
    for s in samples {
        for (name, d) in s {
            if name != "total" {
                *sum.entry(name.clone()).or_default() += d;
            }
        }
    }
    if n == 0 {
        return BTreeMap::new();
    }
    sum.into_iter().map(|(k, v)| (k, v / n as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_header() {
        let p =
            parse_server_timing("db;dur=12.3, serialize;desc=\"x\";dur=4.1 , total;dur=17, cache");
        assert_eq!(
            p,
            vec![
                ("db".into(), 12.3),
                ("serialize".into(), 4.1),
                ("total".into(), 17.0)
            ]
        );
        let m = mean_phases(&[p.clone(), vec![("db".into(), 7.7)]]);
        assert_eq!(m["db"], 10.0);
        assert!(!m.contains_key("total"));
    }
}
