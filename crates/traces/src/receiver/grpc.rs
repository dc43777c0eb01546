//! OTLP/gRPC (<https://opentelemetry.io/docs/specs/otlp/#otlpgrpc>) by hand over hyper's HTTP/2
//! server: the one unary method `opentelemetry.proto.collector.trace.v1.TraceService/Export`.
//!
//! The wire format is gRPC over HTTP/2
//! (<https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md>), cleartext with prior
//! knowledge (h2c), as exporters speak it with `insecure`/`http://` endpoints:
//!
//! - request: `POST`, `content-type: application/grpc` (or `application/grpc+proto`), a body of
//!   length-prefixed messages, each `compressed flag (1 byte) | length (4 bytes, big-endian) |
//!   message`, and exactly one `ExportTraceServiceRequest` for this unary method. A compressed
//!   flag of 1 means the message is compressed with the `grpc-encoding` of the request
//!   (`gzip`; `identity` or none means uncompressed);
//! - response: `200`, `content-type: application/grpc`, one length-prefixed
//!   `ExportTraceServiceResponse` (with a `partial_success` counting spans dropped because the
//!   store is full), then the trailers `grpc-status: 0`. An error is a Trailers-Only response:
//!   `grpc-status` and a percent-encoded `grpc-message` in the headers, no body.
//!
//! Status codes: `INVALID_ARGUMENT` (3) for a request that cannot be decoded (truncated frame,
//! corrupt gzip, malformed protobuf, invalid ids), `RESOURCE_EXHAUSTED` (8) for a message or
//! body over the size limit (checked on the length prefix before the message is buffered, and
//! again while decompressing), `UNIMPLEMENTED` (12) for another method, an unsupported
//! `grpc-encoding` (with `grpc-accept-encoding` listing the supported ones) and zero or several
//! request messages (a cardinality violation, as the gRPC status code table says), `INTERNAL`
//! (13) for framing protocol violations (a compressed flag without an encoding, a flag other
//! than 0 or 1) and a failed read of the request. Requests that are not gRPC at all get HTTP
//! `415` (another content type) or `405` (another method), as the protocol specifies.
//!
//! Why not tonic: one unary method does not need tonic's codegen, tower and the router; framing
//! is a five-byte header, and hyper (already here for OTLP/HTTP) does HTTP/2 and trailers.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame as BodyFrame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::net::TcpStream;

use super::gzip::{gunzip_bounded, GunzipError};
use super::{dropped_message, Shared};
use crate::grpc_frame::{Frame, FrameDecoder, FrameError, HEADER_LEN};
use crate::otlp::{self, OtlpError};

/// The HTTP/2 path of the OTLP/gRPC trace export method.
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// The message encodings accepted, for `grpc-accept-encoding`.
const ACCEPT_ENCODING: &str = "gzip,identity";

/// The gRPC status codes this server returns
/// (<https://github.com/grpc/grpc/blob/master/doc/statuscodes.md>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Code {
    Ok = 0,
    InvalidArgument = 3,
    ResourceExhausted = 8,
    Unimplemented = 12,
    Internal = 13,
}

/// A non-OK outcome: code and message.
#[derive(Debug, PartialEq, Eq)]
struct Status {
    code: Code,
    message: String,
}

impl Status {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<FrameError> for Status {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::TooLarge { len, limit } => Status::new(
                Code::ResourceExhausted,
                format!("message of {len} bytes exceeds the {limit}-byte limit"),
            ),
            FrameError::BadFlag(flag) => Status::new(
                Code::Internal,
                format!("invalid compressed flag {flag} (must be 0 or 1)"),
            ),
            FrameError::Truncated { have, need } => Status::new(
                Code::InvalidArgument,
                format!("truncated gRPC frame: body ended after {have} of {need} bytes"),
            ),
        }
    }
}

/// Reads the one request message of a unary call: at most `limit` bytes of message and
/// `limit + 5` of body.
async fn read_message<B>(mut body: B, limit: usize) -> Result<Frame, Status>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut dec = FrameDecoder::new(limit);
    let mut first = None;
    let mut wire = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| Status::new(Code::Internal, format!("reading the request: {e}")))?;
        // Request trailers carry nothing for this method.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        wire = wire.saturating_add(data.len());
        dec.push(&data);
        while let Some(f) = dec.next_frame()? {
            if first.is_some() {
                return Err(Status::new(
                    Code::Unimplemented,
                    "more than one request message for the unary Export method",
                ));
            }
            first = Some(f);
        }
        if wire > limit.saturating_add(HEADER_LEN) {
            return Err(Status::new(
                Code::ResourceExhausted,
                format!("request body exceeds the {limit}-byte limit"),
            ));
        }
    }
    dec.finish()?;
    first.ok_or_else(|| {
        Status::new(
            Code::Unimplemented,
            "no request message for the unary Export method",
        )
    })
}

/// A response body: at most one data chunk, then optional trailers.
struct GrpcBody {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl Body for GrpcBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(data) = this.data.take() {
            return Poll::Ready(Some(Ok(BodyFrame::data(data))));
        }
        Poll::Ready(this.trailers.take().map(|t| Ok(BodyFrame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

/// Percent-encodes a `grpc-message`: bytes outside printable ASCII, and `%`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &b in message.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Headers every gRPC response carries.
fn grpc_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(
        "grpc-accept-encoding",
        HeaderValue::from_static(ACCEPT_ENCODING),
    );
}

/// A Trailers-Only response carrying a non-OK status.
fn status_response(status: &Status) -> Response<GrpcBody> {
    let mut resp = Response::new(GrpcBody {
        data: None,
        trailers: None,
    });
    let headers = resp.headers_mut();
    grpc_headers(headers);
    headers.insert("grpc-status", HeaderValue::from(status.code as u16));
    if let Ok(v) = HeaderValue::from_str(&percent_encode(&status.message)) {
        headers.insert("grpc-message", v);
    }
    resp
}

/// The successful response: one length-prefixed `ExportTraceServiceResponse`, `grpc-status: 0`.
fn ok_response(dropped: u64) -> Response<GrpcBody> {
    let msg = ExportTraceServiceResponse {
        partial_success: (dropped > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: i64::try_from(dropped).unwrap_or(i64::MAX),
            error_message: dropped_message(dropped),
        }),
    }
    .encode_to_vec();
    let mut framed = BytesMut::with_capacity(HEADER_LEN + msg.len());
    framed.extend_from_slice(&[0]);
    framed.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
    framed.extend_from_slice(&msg);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(Code::Ok as u16));
    let mut resp = Response::new(GrpcBody {
        data: Some(framed.freeze()),
        trailers: Some(trailers),
    });
    grpc_headers(resp.headers_mut());
    resp
}

/// A plain HTTP error, for requests that are not gRPC.
fn http_error(status: StatusCode, msg: &'static str) -> Response<GrpcBody> {
    let mut resp = Response::new(GrpcBody {
        data: Some(Bytes::from_static(msg.as_bytes())),
        trailers: None,
    });
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Whether a `content-type` is gRPC with the protobuf codec.
fn is_grpc_proto(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/grpc" || media == "application/grpc+proto"
}

/// Serves one h2c connection until the peer closes it.
pub(super) async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(respond(req, &shared).await) }
    });
    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

async fn respond<B>(req: Request<B>, shared: &Shared) -> Response<GrpcBody>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    match handle(req, shared).await {
        Ok(resp) => resp,
        Err(status) => status_response(&status),
    }
}

async fn handle<B>(req: Request<B>, shared: &Shared) -> Result<Response<GrpcBody>, Status>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if req.method() != Method::POST {
        let mut resp = http_error(StatusCode::METHOD_NOT_ALLOWED, "gRPC uses POST\n");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Ok(resp);
    }
    let header_str = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    if !is_grpc_proto(&header_str(header::CONTENT_TYPE.as_str())) {
        return Ok(http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/grpc or application/grpc+proto\n",
        ));
    }
    if req.uri().path() != EXPORT_PATH {
        return Err(Status::new(
            Code::Unimplemented,
            format!(
                "unknown method {}: only {EXPORT_PATH} is served",
                req.uri().path()
            ),
        ));
    }
    let encoding = header_str("grpc-encoding");
    let gzip = if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
        false
    } else if encoding.eq_ignore_ascii_case("gzip") {
        true
    } else {
        return Err(Status::new(
            Code::Unimplemented,
            format!("grpc-encoding {encoding} is not supported (use gzip or identity)"),
        ));
    };
    let limit = shared.max_body;
    let frame = read_message(req.into_body(), limit).await?;
    let message = match (frame.compressed, gzip) {
        (false, _) => frame.message,
        (true, false) => {
            return Err(Status::new(
                Code::Internal,
                "compressed flag set but the request has no grpc-encoding",
            ))
        }
        (true, true) => match gunzip_bounded(&frame.message, limit) {
            Ok(m) => Bytes::from(m),
            Err(e @ GunzipError::TooLarge { .. }) => {
                return Err(Status::new(Code::ResourceExhausted, e.to_string()))
            }
            Err(e) => return Err(Status::new(Code::InvalidArgument, e.to_string())),
        },
    };
    match otlp::decode_protobuf(&message, limit) {
        Ok(spans) => Ok(ok_response(shared.keep(spans))),
        Err(e @ OtlpError::TooLarge { .. }) => {
            Err(Status::new(Code::ResourceExhausted, e.to_string()))
        }
        Err(e) => Err(Status::new(Code::InvalidArgument, e.to_string())),
    }
}

#[cfg(test)]
#[path = "grpc_tests.rs"]
mod tests;
