//! OTLP JSON fixtures (hex ids, string-encoded 64-bit integers, enum names, snake_case keys)
//! and the protobuf round trip.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span as PSpan};
use perfhive_traces::model::hex;
use perfhive_traces::{breakdown, decode_json, decode_protobuf, OtlpError, DEFAULT_MAX_BYTES};
use prost::Message;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn spec_example_decodes() {
    let spans = decode_json(&fixture("spec_example.json"), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spans.len(), 1);
    let s = &spans[0];
    assert_eq!(hex(&s.trace_id), "5b8efff798038103d269b633813fc60c");
    assert_eq!(hex(&s.span_id), "eee19b7ec3c1b174");
    assert_eq!(
        s.parent.map(|p| hex(&p)).as_deref(),
        Some("eee19b7ec3c1b173")
    );
    assert_eq!((s.service.as_str(), s.kind), ("my.service", 2));
    assert_eq!(s.start_ns, 1_544_712_660_000_000_000);
    assert_eq!(s.duration_ns(), 1_000_000_000);
    assert_eq!(s.attributes["my.span.attr"], "some value");
}

#[test]
fn checkout_fixture_decodes_every_encoding_variant() {
    let spans = decode_json(&fixture("checkout.json"), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spans.len(), 3);
    let root = &spans[0];
    assert!(root.parent.is_none());
    assert_eq!(root.attributes["http.response.status_code"], "200");
    assert_eq!(root.attributes["retry"], "false");
    assert_eq!(root.attributes["ratio"], "0.25");
    assert_eq!(root.attributes["tags"], "[a, 7]");
    assert_eq!(root.attributes["meta"], "{k: v}");
    assert_eq!(root.attributes["blob"], "deadbeef");
    assert_eq!(spans[1].start_ns, 1_700_000_000_020_000_000);
    let db = &spans[2];
    assert_eq!(db.kind, 3);
    assert_eq!(db.trace_id, root.trace_id, "hex ids are case-insensitive");
    assert_eq!(db.parent, Some(root.span_id));
    assert!(spans.iter().all(|s| s.service == "shop"));

    let b = breakdown(&spans);
    assert_eq!(b.traces, 1);
    assert!((b.total_critical_ms - 100.0).abs() < 1e-6);
    assert_eq!(b.phases[0].name, "charge");
    assert!((b.phases[0].share_pct - 70.0).abs() < 1e-6);
}

#[test]
fn json_errors_are_typed() {
    let bad_id = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0000000000000001"}]}]}]}"#;
    assert!(matches!(
        decode_json(bad_id, DEFAULT_MAX_BYTES),
        Err(OtlpError::InvalidId {
            field: "traceId",
            ..
        })
    ));
    let bad_time = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0000000000000001","startTimeUnixNano":"soon"}]}]}]}"#;
    assert!(matches!(
        decode_json(bad_time, DEFAULT_MAX_BYTES),
        Err(OtlpError::InvalidNumber {
            field: "startTimeUnixNano",
            ..
        })
    ));
    assert!(matches!(
        decode_json(b"[", DEFAULT_MAX_BYTES),
        Err(OtlpError::Json(_))
    ));
    assert!(matches!(
        decode_json(&fixture("checkout.json"), 100),
        Err(OtlpError::TooLarge { limit: 100, .. })
    ));
    assert!(decode_json(b"{}", DEFAULT_MAX_BYTES).unwrap().is_empty());
}

/// An export request with one root and `children` children, for protobuf tests.
pub fn request(children: u8) -> ExportTraceServiceRequest {
    let kv = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    };
    let mut spans = vec![PSpan {
        trace_id: vec![7; 16],
        span_id: vec![1; 8],
        name: "root".into(),
        kind: 2,
        start_time_unix_nano: 1_000_000_000,
        end_time_unix_nano: 1_100_000_000,
        ..Default::default()
    }];
    for i in 0..children {
        spans.push(PSpan {
            trace_id: vec![7; 16],
            span_id: vec![10 + i; 8],
            parent_span_id: vec![1; 8],
            name: "query".into(),
            kind: 3,
            start_time_unix_nano: 1_000_000_000 + u64::from(i) * 1_000_000,
            end_time_unix_nano: 1_000_000_000 + u64::from(i + 1) * 1_000_000,
            attributes: vec![kv("db.system", "sqlite"), kv("db.statement", "SELECT 1")],
            ..Default::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "api")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn protobuf_decodes_and_rejects_bad_ids() {
    let body = request(3).encode_to_vec();
    let spans = decode_protobuf(&body, DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spans.len(), 4);
    assert_eq!(spans[1].parent, Some([1; 8]));
    assert_eq!(spans[1].attributes["db.statement"], "SELECT 1");
    assert_eq!(spans[0].service, "api");

    let mut bad = request(0);
    bad.resource_spans[0].scope_spans[0].spans[0].span_id = vec![0; 8];
    assert!(matches!(
        decode_protobuf(&bad.encode_to_vec(), DEFAULT_MAX_BYTES),
        Err(OtlpError::InvalidId {
            field: "spanId",
            ..
        })
    ));
    assert!(matches!(
        decode_protobuf(&[0xff, 0xff], DEFAULT_MAX_BYTES),
        Err(OtlpError::Protobuf(_))
    ));
}
