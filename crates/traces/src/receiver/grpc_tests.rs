use std::collections::VecDeque;
use std::sync::Mutex;

use http_body_util::Full;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as PSpan};

use super::*;
use crate::receiver::gzip::gzip;
use crate::receiver::Store;

fn shared(max_body: usize, max_spans: usize) -> Shared {
    Shared {
        store: Mutex::new(Store::default()),
        max_spans,
        max_body,
    }
}

/// An export request with `n` spans of one trace.
fn export(n: u8) -> Vec<u8> {
    let spans = (1..=n)
        .map(|i| PSpan {
            trace_id: vec![7; 16],
            span_id: vec![i; 8],
            name: format!("span-{i}"),
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            ..PSpan::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

fn framed(compressed: bool, msg: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

fn request(path: &str, encoding: Option<&str>, body: Vec<u8>) -> Request<Full<Bytes>> {
    let mut b = Request::post(path).header("content-type", "application/grpc");
    if let Some(e) = encoding {
        b = b.header("grpc-encoding", e);
    }
    b.body(Full::new(Bytes::from(body))).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// Sends one request; returns the HTTP status, the grpc-status (trailer or header), the
/// grpc-message and the response message (without its prefix).
fn call(
    shared: &Shared,
    req: Request<Full<Bytes>>,
) -> (StatusCode, Option<u16>, String, Option<Bytes>) {
    let resp = block_on(respond(req, shared));
    let status = resp.status();
    let header = |h: &HeaderMap, name: &str| {
        h.get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        header(resp.headers(), "grpc-accept-encoding"),
        if status == StatusCode::OK {
            ACCEPT_ENCODING
        } else {
            ""
        }
    );
    let (parts, body) = resp.into_parts();
    let collected = block_on(body.collect()).unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let data = collected.to_bytes();
    let code = [&parts.headers, &trailers]
        .iter()
        .find_map(|h| h.get("grpc-status"))
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let message = header(&parts.headers, "grpc-message");
    let msg = (!data.is_empty() && status == StatusCode::OK).then(|| {
        assert_eq!(data[0], 0, "responses are uncompressed");
        let len = u32::from_be_bytes([data[1], data[2], data[3], data[4]]) as usize;
        assert_eq!(data.len(), HEADER_LEN + len);
        data.slice(HEADER_LEN..)
    });
    (status, code, message, msg)
}

#[test]
fn decoder_splits_multiple_messages_fed_byte_by_byte() {
    let mut body = framed(false, b"first");
    body.extend(framed(true, b""));
    body.extend(framed(false, &[9; 300]));
    let mut dec = FrameDecoder::new(1024);
    let mut frames = Vec::new();
    for b in &body {
        dec.push(std::slice::from_ref(b));
        while let Some(f) = dec.next_frame().unwrap() {
            frames.push(f);
        }
    }
    dec.finish().unwrap();
    assert_eq!(
        frames,
        vec![
            Frame {
                compressed: false,
                message: Bytes::from_static(b"first")
            },
            Frame {
                compressed: true,
                message: Bytes::new()
            },
            Frame {
                compressed: false,
                message: Bytes::from(vec![9; 300])
            },
        ]
    );
}

#[test]
fn decoder_reports_truncated_frames_and_bad_flags() {
    let body = framed(false, b"0123456789");
    // cut inside the message
    let mut dec = FrameDecoder::new(1024);
    dec.push(&body[..8]);
    assert_eq!(dec.next_frame(), Ok(None));
    assert_eq!(
        dec.finish(),
        Err(FrameError::Truncated { have: 8, need: 15 })
    );
    // cut inside the prefix
    let mut dec = FrameDecoder::new(1024);
    dec.push(&body[..3]);
    assert_eq!(dec.next_frame(), Ok(None));
    assert_eq!(
        dec.finish(),
        Err(FrameError::Truncated { have: 3, need: 5 })
    );
    let mut dec = FrameDecoder::new(1024);
    dec.push(&[2, 0, 0, 0, 0]);
    assert_eq!(dec.next_frame(), Err(FrameError::BadFlag(2)));
}

#[test]
fn decoder_rejects_an_oversized_length_prefix_from_the_prefix_alone() {
    let mut dec = FrameDecoder::new(1024);
    dec.push(&[0, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        dec.next_frame(),
        Err(FrameError::TooLarge {
            len: u32::MAX as usize,
            limit: 1024
        })
    );
    // nothing but the prefix was buffered: no room reserved for the announced message
    assert!(dec.buf.capacity() < 1024, "{}", dec.buf.capacity());
    // one byte over the limit is refused, the limit itself is not
    let mut dec = FrameDecoder::new(4);
    dec.push(&[0, 0, 0, 0, 5]);
    assert!(matches!(dec.next_frame(), Err(FrameError::TooLarge { .. })));
    let mut dec = FrameDecoder::new(4);
    dec.push(&framed(false, b"abcd"));
    assert!(dec.next_frame().unwrap().is_some());
}

/// A body that yields its chunks, then fails: reading past them is a test failure.
struct Chunks(VecDeque<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = &'static str;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(
            self.get_mut()
                .0
                .pop_front()
                .map(BodyFrame::data)
                .ok_or("read past the oversized prefix"),
        ))
    }
}

#[test]
fn an_oversized_prefix_is_refused_without_reading_the_message() {
    let body = Chunks(VecDeque::from([Bytes::from_static(&[0, 0, 0x10, 0, 0])]));
    let err = block_on(read_message(body, 1024)).unwrap_err();
    assert_eq!(err.code, Code::ResourceExhausted, "{err:?}");
    assert!(err.message.contains("1048576 bytes"), "{err:?}");
}

#[test]
fn unary_export_accepts_one_message_and_answers_with_trailers() {
    let s = shared(1 << 20, 100);
    let (status, code, _, msg) = call(&s, request(EXPORT_PATH, None, framed(false, &export(3))));
    assert_eq!((status, code), (StatusCode::OK, Some(0)));
    let resp = ExportTraceServiceResponse::decode(msg.unwrap()).unwrap();
    assert_eq!(resp.partial_success, None);
    let store = s.store();
    assert_eq!(store.spans.len(), 3);
    assert_eq!(store.spans[2].name, "span-3");
    assert_eq!(store.requests, 1);
}

#[test]
fn gzip_messages_are_decompressed_and_identity_ones_still_accepted() {
    let s = shared(1 << 20, 100);
    let z = gzip(&export(2));
    let (_, code, message, _) = call(&s, request(EXPORT_PATH, Some("gzip"), framed(true, &z)));
    assert_eq!(code, Some(0), "{message}");
    // with grpc-encoding gzip, a message may still be sent uncompressed (flag 0)
    let (_, code, _, _) = call(
        &s,
        request(EXPORT_PATH, Some("gzip"), framed(false, &export(1))),
    );
    assert_eq!(code, Some(0));
    assert_eq!(s.store().spans.len(), 3);
    // a compressed flag without an encoding is a protocol error
    let (_, code, message, _) = call(&s, request(EXPORT_PATH, None, framed(true, &z)));
    assert_eq!(code, Some(Code::Internal as u16), "{message}");
    // corrupt gzip data cannot be decoded
    let (_, code, _, _) = call(
        &s,
        request(EXPORT_PATH, Some("gzip"), framed(true, b"\x1f\x8bnope")),
    );
    assert_eq!(code, Some(Code::InvalidArgument as u16));
    assert_eq!(s.store().requests, 2);
}

#[test]
fn a_gzip_bomb_is_refused_after_limit_bytes() {
    let s = shared(64 << 10, 100);
    // 8 MiB of zeros: a few KiB compressed, far over the 64 KiB limit decompressed
    let bomb = gzip(&vec![0; 8 << 20]);
    assert!(bomb.len() < 64 << 10);
    let (_, code, message, _) = call(&s, request(EXPORT_PATH, Some("gzip"), framed(true, &bomb)));
    assert_eq!(code, Some(Code::ResourceExhausted as u16), "{message}");
    assert!(message.contains("65536-byte limit"), "{message}");
}

#[test]
fn error_statuses() {
    let s = shared(1024, 100);
    let ok_body = || framed(false, &export(1));
    let check = |req, want: Code, needle: &str| {
        let (status, code, message, msg) = call(&s, req);
        assert_eq!(status, StatusCode::OK, "gRPC errors are HTTP 200");
        assert_eq!(code, Some(want as u16), "{message}");
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        assert!(msg.is_none(), "Trailers-Only: no body");
    };
    check(
        request(
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            None,
            ok_body(),
        ),
        Code::Unimplemented,
        "unknown method /opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    );
    check(
        request(EXPORT_PATH, Some("zstd"), ok_body()),
        Code::Unimplemented,
        "grpc-encoding zstd",
    );
    let mut two = ok_body();
    two.extend(ok_body());
    check(
        request(EXPORT_PATH, None, two),
        Code::Unimplemented,
        "more than one request message",
    );
    check(
        request(EXPORT_PATH, None, Vec::new()),
        Code::Unimplemented,
        "no request message",
    );
    let mut cut = ok_body();
    cut.pop();
    check(
        request(EXPORT_PATH, None, cut),
        Code::InvalidArgument,
        "truncated gRPC frame",
    );
    check(
        request(EXPORT_PATH, None, framed(false, b"\xff\xff\xff")),
        Code::InvalidArgument,
        "invalid OTLP protobuf",
    );
    check(
        request(EXPORT_PATH, None, framed(false, &[0; 1025])),
        Code::ResourceExhausted,
        "1025 bytes exceeds the 1024-byte limit",
    );
    assert_eq!(s.store().requests, 0);
    // not gRPC at all: plain HTTP statuses
    let req = Request::post(EXPORT_PATH)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        block_on(respond(req, &s)).status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let req = Request::get(EXPORT_PATH)
        .header("content-type", "application/grpc")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(
        block_on(respond(req, &s)).status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[test]
fn the_unsupported_encoding_answer_lists_the_supported_ones() {
    let s = shared(1024, 100);
    let resp = block_on(respond(
        request(EXPORT_PATH, Some("snappy"), framed(false, &export(1))),
        &s,
    ));
    assert_eq!(resp.headers()["grpc-status"], "12");
    assert_eq!(resp.headers()["grpc-accept-encoding"], "gzip,identity");
}

#[test]
fn a_full_store_is_a_partial_success() {
    let s = shared(1 << 20, 2);
    let (_, code, _, msg) = call(
        &s,
        request(EXPORT_PATH, Some("identity"), framed(false, &export(5))),
    );
    assert_eq!(code, Some(0));
    let p = ExportTraceServiceResponse::decode(msg.unwrap())
        .unwrap()
        .partial_success
        .unwrap();
    assert_eq!(p.rejected_spans, 3);
    assert!(p.error_message.contains("store is full"), "{p:?}");
    assert_eq!(s.store().dropped, 3);
}

#[test]
fn content_types_and_message_escaping() {
    assert!(is_grpc_proto("application/grpc"));
    assert!(is_grpc_proto("Application/GRPC+proto; charset=x"));
    assert!(!is_grpc_proto("application/grpc+json"));
    assert!(!is_grpc_proto("application/x-protobuf"));
    assert_eq!(percent_encode("50% ok\né"), "50%25 ok%0A%C3%A9");
}
