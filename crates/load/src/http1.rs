//! A lean HTTP/1.1 client connection for the load engine: the request is serialised once
//! before the run and written as is; the response head is parsed with `httparse` (the parser
//! hyper uses) and the body is consumed by `Content-Length`, chunked transfer coding
//! (RFC 9112 §7.1) or connection close, without copying it anywhere. One request in flight
//! per connection, keep-alive.

use crate::conn::{ErrorClass, Stream};
use std::io;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BUF: usize = 16 * 1024;
const MAX_HEAD: usize = 64 * 1024;

/// What a completed exchange returned.
#[derive(Clone, Copy, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Bytes read (head and body).
    pub bytes_in: u64,
    /// Time from the end of the write to the first response byte.
    pub ttfb: Duration,
}

/// A failed exchange.
#[derive(Debug)]
pub struct ExchangeError {
    /// Classified.
    pub class: ErrorClass,
    /// Bytes read before the failure.
    pub bytes_in: u64,
}

impl ExchangeError {
    fn io(e: io::Error, bytes_in: u64) -> Self {
        ExchangeError {
            class: ErrorClass::of_io(&e),
            bytes_in,
        }
    }
    fn protocol(bytes_in: u64) -> Self {
        ExchangeError {
            class: ErrorClass::Protocol,
            bytes_in,
        }
    }
}

/// One keep-alive connection.
pub struct Http1Conn {
    stream: Stream,
    buf: Vec<u8>,
    /// Whether the connection may carry another request.
    pub reusable: bool,
}

enum Framing {
    None,
    Length(u64),
    Chunked,
    Close,
}

impl Http1Conn {
    /// Wraps a connected stream.
    pub fn new(stream: Stream) -> Self {
        Http1Conn {
            stream,
            buf: vec![0; BUF],
            reusable: true,
        }
    }

    /// Writes `request` and reads one full response. `head_request` marks a HEAD (no body).
    pub async fn exchange(
        &mut self,
        request: &[u8],
        head_request: bool,
    ) -> Result<Response, ExchangeError> {
        self.stream.write_all(request).await.map_err(|e| {
            self.reusable = false;
            ExchangeError::io(e, 0)
        })?;
        let sent = Instant::now();
        let r = self.read_response(head_request, sent).await;
        if r.is_err() {
            self.reusable = false;
        }
        r
    }

    async fn read_more(
        &mut self,
        filled: usize,
        bytes_in: &mut u64,
    ) -> Result<usize, ExchangeError> {
        if filled == self.buf.len() {
            if self.buf.len() >= MAX_HEAD {
                return Err(ExchangeError::protocol(*bytes_in));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self
            .stream
            .read(&mut self.buf[filled..])
            .await
            .map_err(|e| ExchangeError::io(e, *bytes_in))?;
        *bytes_in += n as u64;
        Ok(n)
    }

    async fn read_response(
        &mut self,
        head_request: bool,
        sent: Instant,
    ) -> Result<Response, ExchangeError> {
        let mut bytes_in = 0u64;
        let mut filled = 0usize;
        let mut ttfb = None;
        // Head.
        let (status, head_len, framing, close) = loop {
            let n = self.read_more(filled, &mut bytes_in).await?;
            if n == 0 {
                return Err(ExchangeError {
                    class: if filled == 0 {
                        ErrorClass::Reset
                    } else {
                        ErrorClass::Protocol
                    },
                    bytes_in,
                });
            }
            ttfb.get_or_insert_with(|| sent.elapsed());
            filled += n;
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf[..filled]) {
                Ok(httparse::Status::Partial) => continue,
                Err(_) => return Err(ExchangeError::protocol(bytes_in)),
                Ok(httparse::Status::Complete(len)) => {
                    let status = resp.code.unwrap_or(0);
                    if (100..200).contains(&status) && status != 101 {
                        // interim response (100 Continue, 103 Early Hints): drop it, read on
                        self.buf.copy_within(len..filled, 0);
                        filled -= len;
                        continue;
                    }
                    let mut framing = Framing::Close;
                    let mut close = resp.version == Some(0);
                    for h in resp.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let v = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|s| s.trim().parse().ok());
                            match v {
                                Some(n) if !matches!(framing, Framing::Chunked) => {
                                    framing = Framing::Length(n)
                                }
                                Some(_) => {}
                                None => return Err(ExchangeError::protocol(bytes_in)),
                            }
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            if h.value
                                .split(|b| *b == b',')
                                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
                            {
                                framing = Framing::Chunked;
                            }
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            if h.value
                                .split(|b| *b == b',')
                                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
                            {
                                close = true;
                            } else if h
                                .value
                                .split(|b| *b == b',')
                                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"keep-alive"))
                            {
                                close = false;
                            }
                        }
                    }
                    if head_request || status == 204 || status == 304 {
                        framing = Framing::None;
                    }
                    break (status, len, framing, close);
                }
            }
        };
        let ttfb = ttfb.unwrap_or_default();
        // Bytes beyond the end of the body: a protocol violation for a non-pipelined exchange.
        let surplus = match framing {
            Framing::None => filled > head_len,
            Framing::Length(len) => {
                let have = (filled - head_len) as u64;
                let mut left = len.saturating_sub(have);
                let mut surplus = have > len;
                while left > 0 {
                    let n = self.read_more(0, &mut bytes_in).await? as u64;
                    if n == 0 {
                        return Err(ExchangeError {
                            class: ErrorClass::Reset,
                            bytes_in,
                        });
                    }
                    surplus = n > left;
                    left = left.saturating_sub(n);
                }
                surplus
            }
            Framing::Chunked => {
                let mut dec = ChunkedDecoder::default();
                let (mut start, mut end) = (head_len, filled);
                loop {
                    match dec.feed(&self.buf[start..end]) {
                        Err(()) => return Err(ExchangeError::protocol(bytes_in)),
                        Ok((used, true)) => break start + used < end,
                        Ok((_, false)) => {
                            let n = self.read_more(0, &mut bytes_in).await?;
                            if n == 0 {
                                return Err(ExchangeError {
                                    class: ErrorClass::Reset,
                                    bytes_in,
                                });
                            }
                            (start, end) = (0, n);
                        }
                    }
                }
            }
            Framing::Close => {
                while self.read_more(0, &mut bytes_in).await? > 0 {}
                true
            }
        };
        if close || surplus {
            self.reusable = false;
        }
        if self.buf.len() > BUF {
            self.buf.truncate(BUF);
            self.buf.shrink_to(BUF);
        }
        Ok(Response {
            status,
            bytes_in,
            ttfb,
        })
    }
}

/// Incremental decoder of the chunked transfer coding; it only finds the end of the body.
#[derive(Default)]
struct ChunkedDecoder {
    state: ChunkState,
    size: u64,
    digits: u32,
}

#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum ChunkState {
    #[default]
    Size,
    /// chunk extension, up to CRLF
    Ext,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    /// start of a trailer line (or the final CRLF)
    TrailerStart,
    TrailerLine,
    TrailerLf,
    FinalLf,
}

impl ChunkedDecoder {
    /// Consumes bytes; returns (bytes used, body complete). Err on malformed input.
    fn feed(&mut self, data: &[u8]) -> Result<(usize, bool), ()> {
        use ChunkState::*;
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            match self.state {
                Size => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        let d = (b as char).to_digit(16).unwrap() as u64;
                        self.digits += 1;
                        if self.digits > 15 {
                            return Err(());
                        }
                        self.size = self.size * 16 + d;
                    }
                    b';' | b' ' | b'\t' if self.digits > 0 => self.state = Ext,
                    b'\r' if self.digits > 0 => self.state = SizeLf,
                    _ => return Err(()),
                },
                Ext => {
                    if b == b'\r' {
                        self.state = SizeLf;
                    }
                }
                SizeLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.state = if self.size == 0 { TrailerStart } else { Data };
                }
                Data => {
                    let take = (self.size as usize).min(data.len() - i);
                    self.size -= take as u64;
                    i += take;
                    if self.size == 0 {
                        self.state = DataCr;
                    }
                    continue;
                }
                DataCr => {
                    if b != b'\r' {
                        return Err(());
                    }
                    self.state = DataLf;
                }
                DataLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.state = Size;
                    self.digits = 0;
                }
                TrailerStart => {
                    self.state = if b == b'\r' { FinalLf } else { TrailerLine };
                }
                TrailerLine => {
                    if b == b'\r' {
                        self.state = TrailerLf;
                    }
                }
                TrailerLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.state = TrailerStart;
                }
                FinalLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    return Ok((i + 1, true));
                }
            }
            i += 1;
        }
        Ok((i, false))
    }
}

/// Serialises a request once: request line, Host, defaults the user did not override,
/// user headers, Content-Length, body.
pub fn serialize_request(
    method: &str,
    path_and_query: &str,
    authority: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("{method} {path_and_query} HTTP/1.1\r\n").as_bytes());
    if !has("host") {
        out.extend_from_slice(format!("Host: {authority}\r\n").as_bytes());
    }
    if !has("user-agent") {
        out.extend_from_slice(
            concat!("User-Agent: perfhive/", env!("CARGO_PKG_VERSION"), "\r\n").as_bytes(),
        );
    }
    if !has("accept") {
        out.extend_from_slice(b"Accept: */*\r\n");
    }
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_decoder_finds_the_end_across_splits() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for split in 0..body.len() {
            let mut d = ChunkedDecoder::default();
            let (a, done_a) = d.feed(&body[..split]).unwrap();
            let total = if done_a {
                a
            } else {
                assert_eq!(a, split);
                let (b, done) = d.feed(&body[split..]).unwrap();
                assert!(done, "split {split}");
                split + b
            };
            assert_eq!(&body[total..], b"NEXT", "split {split}");
        }
        assert!(ChunkedDecoder::default().feed(b"zz\r\n").is_err());
        assert!(ChunkedDecoder::default().feed(b"3\r\nabcX").is_err());
    }

    #[test]
    fn serializes_with_defaults_and_overrides() {
        let r = serialize_request(
            "POST",
            "/a?b=1",
            "127.0.0.1:8080",
            &[("Accept".into(), "application/json".into())],
            b"{}",
        );
        let s = String::from_utf8(r).unwrap();
        assert!(
            s.starts_with("POST /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: perfhive/"),
            "{s}"
        );
        assert!(s.contains("Accept: application/json\r\n") && !s.contains("*/*"));
        assert!(s.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
