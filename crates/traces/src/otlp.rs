//! Decoding OTLP/HTTP trace exports into [`Span`]s.
//!
//! Follows the OpenTelemetry Protocol specification, "OTLP/HTTP"
//! (<https://opentelemetry.io/docs/specs/otlp/#otlphttp>): the body of `POST /v1/traces` is an
//! `ExportTraceServiceRequest`, either binary protobuf (`application/x-protobuf`, decoded with
//! prost into the `opentelemetry-proto` types) or the OTLP JSON encoding (`application/json`,
//! see [`decode_json`] for its departures from the canonical proto3 JSON mapping: hex ids,
//! integer enums, 64-bit integers as strings or numbers, lowerCamelCase keys with the original
//! proto names accepted too, unknown fields ignored).
//!
//! Each span takes its `service` from the `service.name` attribute of its resource. Attribute
//! values are stringified: scalars as text, arrays as `[a, b]`, key-value lists as `{k: v}`,
//! bytes as lower-case hex. Bodies over the size limit are refused before decoding.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use prost::Message;
use thiserror::Error;

use crate::model::{hex, Span};

#[path = "otlp_json.rs"]
mod json;

/// The default request size limit: 8 MiB.
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The two OTLP/HTTP encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Binary protobuf, `application/x-protobuf`.
    Protobuf,
    /// OTLP JSON, `application/json`.
    Json,
}

impl Encoding {
    /// The encoding for a `Content-Type` header value (parameters and case ignored), if it is
    /// one OTLP/HTTP defines.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let media = value.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Self::Protobuf)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }
}

/// Why an OTLP export could not be decoded.
#[derive(Debug, Error)]
pub enum OtlpError {
    /// The body exceeds the size limit.
    #[error("request of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Body size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The protobuf body is malformed.
    #[error("invalid OTLP protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// The JSON body is malformed or does not match the OTLP JSON encoding.
    #[error("invalid OTLP JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A trace or span id has the wrong length, is all zeros, or is not hex.
    #[error("invalid {field} {value:?}: expected {bytes} non-zero bytes")]
    InvalidId {
        /// `traceId`, `spanId` or `parentSpanId`.
        field: &'static str,
        /// The offending value (hex for protobuf input).
        value: String,
        /// The expected length in bytes.
        bytes: usize,
    },
    /// A numeric field (timestamp, enum, integer) could not be read.
    #[error("invalid {field} {value:?}")]
    InvalidNumber {
        /// The field name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
}

/// Decodes `body` in `encoding`, refusing bodies larger than `limit` bytes.
pub fn decode(body: &[u8], encoding: Encoding, limit: usize) -> Result<Vec<Span>, OtlpError> {
    match encoding {
        Encoding::Protobuf => decode_protobuf(body, limit),
        Encoding::Json => decode_json(body, limit),
    }
}

/// Records the instrumentation scope's name as the span's `otel.scope.name` attribute (the
/// name the OpenTelemetry specification gives it in formats without scopes), unless the span
/// sets it itself or the scope has no name: it tells which instrumentation (an ORM's, a
/// driver's) made the span.
pub(crate) fn add_scope(attrs: &mut std::collections::BTreeMap<String, String>, scope: &str) {
    if !scope.is_empty() {
        attrs
            .entry(crate::semconv::SCOPE_KEY.to_owned())
            .or_insert_with(|| scope.to_owned());
    }
}

/// Decodes a binary protobuf `ExportTraceServiceRequest`.
pub fn decode_protobuf(body: &[u8], limit: usize) -> Result<Vec<Span>, OtlpError> {
    check_size(body, limit)?;
    let req = ExportTraceServiceRequest::decode(body)?;
    let mut out = Vec::new();
    for rs in req.resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .map(|kv| stringify_opt(kv.value.as_ref()))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            let scope = ss
                .scope
                .as_ref()
                .map(|s| s.name.as_str())
                .unwrap_or_default();
            for s in ss.spans {
                let mut attrs = attributes(&s.attributes);
                add_scope(&mut attrs, scope);
                out.push(Span {
                    trace_id: id_bytes("traceId", &s.trace_id)?,
                    span_id: id_bytes("spanId", &s.span_id)?,
                    parent: if s.parent_span_id.is_empty() {
                        None
                    } else {
                        Some(id_bytes("parentSpanId", &s.parent_span_id)?)
                    },
                    name: s.name,
                    service: service.clone(),
                    kind: s.kind,
                    start_ns: s.start_time_unix_nano,
                    end_ns: s.end_time_unix_nano,
                    attributes: attrs,
                });
            }
        }
    }
    Ok(out)
}

/// Decodes an `ExportTraceServiceRequest` in the OTLP JSON encoding
/// (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>): `traceId`, `spanId`
/// and `parentSpanId` are hex strings (not base64), enums are integers (enum names are accepted
/// too), 64-bit integers may be strings or numbers, and both lowerCamelCase and the original
/// snake_case field names are accepted.
pub fn decode_json(body: &[u8], limit: usize) -> Result<Vec<Span>, OtlpError> {
    check_size(body, limit)?;
    json::decode(body)
}

/// The response body for a fully accepted export: an empty `ExportTraceServiceResponse` in the
/// request's encoding.
pub fn success_response(encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => {
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::default()
                .encode_to_vec()
        }
        Encoding::Json => b"{}".to_vec(),
    }
}

fn check_size(body: &[u8], limit: usize) -> Result<(), OtlpError> {
    if body.len() > limit {
        return Err(OtlpError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    Ok(())
}

/// Converts a raw id, rejecting wrong lengths and the all-zero (invalid) id.
pub(crate) fn id_bytes<const N: usize>(
    field: &'static str,
    raw: &[u8],
) -> Result<[u8; N], OtlpError> {
    match <[u8; N]>::try_from(raw) {
        Ok(id) if id.iter().any(|&b| b != 0) => Ok(id),
        _ => Err(OtlpError::InvalidId {
            field,
            value: hex(raw),
            bytes: N,
        }),
    }
}

fn attributes(kvs: &[KeyValue]) -> std::collections::BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), stringify_opt(kv.value.as_ref())))
        .collect()
}

fn stringify_opt(v: Option<&AnyValue>) -> String {
    v.and_then(|v| v.value.as_ref())
        .map(stringify)
        .unwrap_or_default()
}

fn stringify(v: &any_value::Value) -> String {
    use any_value::Value;
    match v {
        Value::StringValue(s) => s.clone(),
        Value::BoolValue(b) => b.to_string(),
        Value::IntValue(i) => i.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        Value::BytesValue(b) => hex(b),
        Value::ArrayValue(a) => {
            let items: Vec<String> = a.values.iter().map(|v| stringify_opt(Some(v))).collect();
            format!("[{}]", items.join(", "))
        }
        Value::KvlistValue(l) => {
            let items: Vec<String> = l
                .values
                .iter()
                .map(|kv| format!("{}: {}", kv.key, stringify_opt(kv.value.as_ref())))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        // Dictionary-encoded strings (profiles signal) carry no text here.
        Value::StringValueStrindex(i) => format!("#{i}"),
    }
}
