//! OTLP/HTTP (<https://opentelemetry.io/docs/specs/otlp/#otlphttp>): `POST /v1/traces`.
//!
//! Request bodies are `ExportTraceServiceRequest`s in binary protobuf (`application/x-protobuf`)
//! or JSON (`application/json`), uncompressed or with `Content-Encoding: gzip`. An accepted
//! request gets `200 OK` with an `ExportTraceServiceResponse` in the same encoding (empty, or a
//! `partial_success` counting the spans dropped because the store is full); a malformed one
//! gets `400`, a body over the size limit (compressed or decompressed) `413`, another media type
//! or content coding `415`, another path `404` and another method `405`. Connections are
//! HTTP/1.1, or HTTP/2 with prior knowledge (hyper-util's `auto` builder).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::net::TcpStream;

use super::gzip::{gunzip_bounded, GunzipError};
use super::{dropped_message, Shared, TRACES_PATH};
use crate::otlp::{self, Encoding, OtlpError};

/// Serves one OTLP/HTTP connection until the peer closes it.
pub(super) async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let svc = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(respond(req, &shared).await) }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

fn plain(status: StatusCode, msg: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(msg.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// The content codings a body may arrive in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
}

fn coding(value: &str) -> Option<Coding> {
    let v = value.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("identity") {
        Some(Coding::Identity)
    } else if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") {
        Some(Coding::Gzip)
    } else {
        None
    }
}

/// The response body: an `ExportTraceServiceResponse`, with a `partial_success` when spans
/// were dropped.
fn export_response(encoding: Encoding, dropped: u64) -> Vec<u8> {
    if dropped == 0 {
        return otlp::success_response(encoding);
    }
    match encoding {
        Encoding::Protobuf => ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: i64::try_from(dropped).unwrap_or(i64::MAX),
                error_message: dropped_message(dropped),
            }),
        }
        .encode_to_vec(),
        // 64-bit integers are strings in the OTLP JSON encoding.
        Encoding::Json => serde_json::json!({
            "partialSuccess": {
                "rejectedSpans": dropped.to_string(),
                "errorMessage": dropped_message(dropped),
            }
        })
        .to_string()
        .into_bytes(),
    }
}

async fn respond(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    if req.uri().path() != TRACES_PATH {
        return plain(StatusCode::NOT_FOUND, "only /v1/traces is served\n");
    }
    if req.method() != Method::POST {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    let header_str = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
    };
    let Some(encoding) = Encoding::from_content_type(header_str(header::CONTENT_TYPE)) else {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/x-protobuf or application/json\n",
        );
    };
    let Some(coding) = coding(header_str(header::CONTENT_ENCODING)) else {
        let mut resp = plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-encoding must be gzip or identity\n",
        );
        resp.headers_mut().insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, identity"),
        );
        return resp;
    };
    let too_large = || plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
    let declared = header_str(header::CONTENT_LENGTH).parse::<u64>().ok();
    if declared.is_some_and(|n| n > shared.max_body as u64) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), shared.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("reading the body: {e}\n")),
    };
    let body = match coding {
        Coding::Identity => body,
        Coding::Gzip => match gunzip_bounded(&body, shared.max_body) {
            Ok(b) => Bytes::from(b),
            Err(GunzipError::TooLarge { .. }) => return too_large(),
            Err(e) => return plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
        },
    };
    match otlp::decode(&body, encoding, shared.max_body) {
        Ok(spans) => {
            let dropped = shared.keep(spans);
            let content_type = match encoding {
                Encoding::Protobuf => "application/x-protobuf",
                Encoding::Json => "application/json",
            };
            let mut resp =
                Response::new(Full::new(Bytes::from(export_response(encoding, dropped))));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            resp
        }
        Err(OtlpError::TooLarge { .. }) => too_large(),
        Err(e) => plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    }
}
