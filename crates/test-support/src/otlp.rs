//! OTLP trace export requests to send to a receiver: protobuf bodies, gzip, gRPC frames.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

/// An export request with `n` spans named `name-1` … `name-n` in one trace (trace id all 3s,
/// span ids all `i`), each from 10 ns to 20 ns.
pub fn export_request(name: &str, n: u8) -> ExportTraceServiceRequest {
    let spans = (1..=n)
        .map(|i| Span {
            trace_id: vec![3; 16],
            span_id: vec![i; 8],
            name: format!("{name}-{i}"),
            start_time_unix_nano: 10,
            end_time_unix_nano: 20,
            ..Span::default()
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
}

/// [`export_request`] encoded as an OTLP/HTTP protobuf body.
pub fn protobuf_export(name: &str, n: u8) -> Vec<u8> {
    export_request(name, n).encode_to_vec()
}

/// `data` gzip-compressed (`Content-Encoding: gzip`, `grpc-encoding: gzip`).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("write to memory");
    enc.finish().expect("finish in memory")
}

/// One gRPC length-prefixed message: the compressed flag, the length (big-endian u32), `msg`.
pub fn grpc_frame(compressed: bool, msg: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&u32::try_from(msg.len()).expect("under 4 GiB").to_be_bytes());
    out.extend_from_slice(msg);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let body = protobuf_export("a", 3);
        let back = ExportTraceServiceRequest::decode(body.as_slice()).expect("decode");
        let names: Vec<&str> = back.resource_spans[0].scope_spans[0]
            .spans
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["a-1", "a-2", "a-3"]);
        assert_eq!(&gzip(b"x")[..2], &[0x1f, 0x8b]);
        assert_eq!(grpc_frame(true, b"ab"), [1, 0, 0, 0, 2, b'a', b'b']);
    }
}
