//! Export request bodies: an `ExportTraceServiceRequest` in binary protobuf (the
//! `opentelemetry-proto` prost types) or in the OTLP JSON encoding.
//!
//! The prost types carry no serde implementation here, so the JSON is written from the same
//! span records by hand, following the OTLP specification's JSON rules
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>): lowerCamelCase field
//! names, trace and span ids as lower-case hex (not base64), enums as integers, and 64-bit
//! integers (timestamps, `intValue`) as decimal strings.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use serde::Serialize;

use super::context::hex;
use super::span::{AttrValue, SpanRecord};

/// The instrumentation scope of every span.
pub(crate) const SCOPE_NAME: &str = "perfhive-demo";
/// The scope's version: the crate's.
pub(crate) const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `Span.flags`: bit 0 `sampled` (every exported span is), bit 8 "is-remote known", bit 9
/// "parent is remote" (`opentelemetry.proto.trace.v1.SpanFlags`).
fn flags(span: &SpanRecord) -> u32 {
    0x1 | 0x100 | if span.remote_parent { 0x200 } else { 0 }
}

/// Status `ERROR` for failed spans; unset otherwise.
const STATUS_ERROR: i32 = status::StatusCode::Error as i32;

/// The resource attributes, in order: `service.name` first.
pub(crate) type ResourceAttrs = Vec<(String, String)>;

/// The export request as binary protobuf.
pub(crate) fn protobuf(resource: &ResourceAttrs, spans: &[SpanRecord]) -> Vec<u8> {
    let kv = |key: &str, value: any_value::Value| KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    };
    let resource = Resource {
        attributes: resource
            .iter()
            .map(|(k, v)| kv(k, any_value::Value::StringValue(v.clone())))
            .collect(),
        ..Default::default()
    };
    let spans = spans
        .iter()
        .map(|s| {
            let mut attributes = Vec::with_capacity(8);
            s.attributes(|key, value| {
                attributes.push(kv(
                    key,
                    match value {
                        AttrValue::Str(v) => any_value::Value::StringValue(v.to_string()),
                        AttrValue::Int(v) => any_value::Value::IntValue(v),
                    },
                ));
            });
            Span {
                trace_id: s.trace_id.to_vec(),
                span_id: s.span_id.to_vec(),
                parent_span_id: if s.parent == [0; 8] {
                    Vec::new()
                } else {
                    s.parent.to_vec()
                },
                flags: flags(s),
                name: s.name().into_owned(),
                kind: s.kind() as i32,
                start_time_unix_nano: s.start_ns,
                end_time_unix_nano: s.end_ns,
                attributes,
                status: s.error.then(|| Status {
                    code: STATUS_ERROR,
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_string(),
                    version: SCOPE_VERSION.to_string(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRequest<'a> {
    resource_spans: [JsonResourceSpans<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonResourceSpans<'a> {
    resource: JsonResource<'a>,
    scope_spans: [JsonScopeSpans<'a>; 1],
}

#[derive(Serialize)]
struct JsonResource<'a> {
    attributes: Vec<JsonKeyValue<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonScopeSpans<'a> {
    scope: JsonScope,
    spans: Vec<JsonSpan<'a>>,
}

#[derive(Serialize)]
struct JsonScope {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSpan<'a> {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    parent_span_id: String,
    flags: u32,
    name: std::borrow::Cow<'static, str>,
    kind: i32,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<JsonKeyValue<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<JsonStatus>,
}

#[derive(Serialize)]
struct JsonStatus {
    code: i32,
}

#[derive(Serialize)]
struct JsonKeyValue<'a> {
    key: &'a str,
    value: JsonAnyValue<'a>,
}

/// `AnyValue` in JSON: `{"stringValue": "…"}` or `{"intValue": "123"}` (a string: int64).
#[derive(Serialize)]
enum JsonAnyValue<'a> {
    #[serde(rename = "stringValue")]
    Str(&'a str),
    #[serde(rename = "intValue")]
    Int(String),
}

/// The export request in the OTLP JSON encoding.
pub(crate) fn json(resource: &ResourceAttrs, spans: &[SpanRecord]) -> Vec<u8> {
    let spans = spans
        .iter()
        .map(|s| {
            let mut attributes = Vec::with_capacity(8);
            s.attributes(|key, value| {
                attributes.push(JsonKeyValue {
                    key,
                    value: match value {
                        AttrValue::Str(v) => JsonAnyValue::Str(v),
                        AttrValue::Int(v) => JsonAnyValue::Int(v.to_string()),
                    },
                });
            });
            JsonSpan {
                trace_id: hex(&s.trace_id),
                span_id: hex(&s.span_id),
                parent_span_id: if s.parent == [0; 8] {
                    String::new()
                } else {
                    hex(&s.parent)
                },
                flags: flags(s),
                name: s.name(),
                kind: s.kind() as i32,
                start_time_unix_nano: s.start_ns.to_string(),
                end_time_unix_nano: s.end_ns.to_string(),
                attributes,
                status: s.error.then_some(JsonStatus { code: STATUS_ERROR }),
            }
        })
        .collect();
    let request = JsonRequest {
        resource_spans: [JsonResourceSpans {
            resource: JsonResource {
                attributes: resource
                    .iter()
                    .map(|(k, v)| JsonKeyValue {
                        key: k,
                        value: JsonAnyValue::Str(v),
                    })
                    .collect(),
            },
            scope_spans: [JsonScopeSpans {
                scope: JsonScope {
                    name: SCOPE_NAME,
                    version: SCOPE_VERSION,
                },
                spans,
            }],
        }],
    };
    // Serialising these plain structs to memory cannot fail.
    serde_json::to_vec(&request).unwrap_or_default()
}
