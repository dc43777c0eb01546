//! The OTLP JSON encoding of `ExportTraceServiceRequest`
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>), read with serde.
//!
//! Only the fields perfhive uses are declared; unknown fields are ignored, as the specification
//! requires of receivers. Keys are lowerCamelCase with the original proto names as aliases.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

use super::OtlpError;
use crate::model::{hex, Span};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Request {
    #[serde(alias = "resource_spans")]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ResourceSpans {
    resource: Option<Resource>,
    #[serde(alias = "scope_spans", alias = "instrumentationLibrarySpans")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeSpans {
    #[serde(alias = "instrumentationLibrary")]
    scope: Option<JsonScope>,
    spans: Vec<JsonSpan>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonScope {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonSpan {
    #[serde(alias = "trace_id")]
    trace_id: String,
    #[serde(alias = "span_id")]
    span_id: String,
    #[serde(alias = "parent_span_id")]
    parent_span_id: String,
    name: String,
    kind: Option<Number>,
    #[serde(alias = "start_time_unix_nano")]
    start_time_unix_nano: Option<Number>,
    #[serde(alias = "end_time_unix_nano")]
    end_time_unix_nano: Option<Number>,
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValue {
    key: String,
    value: Option<AnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AnyValue {
    #[serde(alias = "string_value")]
    string_value: Option<String>,
    #[serde(alias = "bool_value")]
    bool_value: Option<bool>,
    #[serde(alias = "int_value")]
    int_value: Option<Number>,
    #[serde(alias = "double_value")]
    double_value: Option<Number>,
    #[serde(alias = "array_value")]
    array_value: Option<Values>,
    #[serde(alias = "kvlist_value")]
    kvlist_value: Option<KeyValues>,
    #[serde(alias = "bytes_value")]
    bytes_value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Values {
    values: Vec<AnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValues {
    values: Vec<KeyValue>,
}

/// A JSON number or a string holding one (64-bit integers, `"NaN"`, enum names).
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    U(u64),
    I(i64),
    F(f64),
    S(String),
}

impl Number {
    fn text(&self) -> String {
        match self {
            Number::U(v) => v.to_string(),
            Number::I(v) => v.to_string(),
            Number::F(v) => v.to_string(),
            Number::S(s) => s.clone(),
        }
    }

    fn as_u64(&self, field: &'static str) -> Result<u64, OtlpError> {
        let bad = || OtlpError::InvalidNumber {
            field,
            value: self.text(),
        };
        match self {
            Number::U(v) => Ok(*v),
            Number::I(v) => u64::try_from(*v).map_err(|_| bad()),
            Number::F(v) if v.is_finite() && *v >= 0.0 && v.fract() == 0.0 => Ok(*v as u64),
            Number::F(_) => Err(bad()),
            Number::S(s) => s.trim().parse().map_err(|_| bad()),
        }
    }

    fn as_i64(&self, field: &'static str) -> Result<i64, OtlpError> {
        let bad = || OtlpError::InvalidNumber {
            field,
            value: self.text(),
        };
        match self {
            Number::U(v) => i64::try_from(*v).map_err(|_| bad()),
            Number::I(v) => Ok(*v),
            Number::F(v) if v.is_finite() && v.fract() == 0.0 => Ok(*v as i64),
            Number::F(_) => Err(bad()),
            Number::S(s) => s.trim().parse().map_err(|_| bad()),
        }
    }

    fn as_f64(&self) -> String {
        match self {
            Number::F(v) => v.to_string(),
            other => other.text(),
        }
    }

    /// A `SpanKind` given as its number or its name.
    fn as_kind(&self) -> Result<i32, OtlpError> {
        const NAMES: [&str; 6] = [
            "SPAN_KIND_UNSPECIFIED",
            "SPAN_KIND_INTERNAL",
            "SPAN_KIND_SERVER",
            "SPAN_KIND_CLIENT",
            "SPAN_KIND_PRODUCER",
            "SPAN_KIND_CONSUMER",
        ];
        if let Number::S(s) = self {
            if let Some(i) = NAMES.iter().position(|n| n == s) {
                return Ok(i as i32);
            }
        }
        let v = self.as_i64("kind")?;
        i32::try_from(v).map_err(|_| OtlpError::InvalidNumber {
            field: "kind",
            value: self.text(),
        })
    }
}

pub(super) fn decode(body: &[u8]) -> Result<Vec<Span>, OtlpError> {
    let req: Request = serde_json::from_slice(body)?;
    let mut out = Vec::new();
    for rs in req.resource_spans {
        let resource_attrs = rs.resource.map(|r| r.attributes).unwrap_or_default();
        let service = resource_attrs
            .iter()
            .find(|kv| kv.key == "service.name")
            .map(|kv| stringify_opt(kv.value.as_ref()))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            let scope = ss.scope.map(|s| s.name).unwrap_or_default();
            for s in ss.spans {
                let mut attrs = attributes(&s.attributes)?;
                crate::otlp::add_scope(&mut attrs, &scope);
                out.push(Span {
                    trace_id: hex_id("traceId", &s.trace_id)?,
                    span_id: hex_id("spanId", &s.span_id)?,
                    parent: if s.parent_span_id.is_empty() {
                        None
                    } else {
                        Some(hex_id("parentSpanId", &s.parent_span_id)?)
                    },
                    kind: s.kind.as_ref().map_or(Ok(0), Number::as_kind)?,
                    start_ns: time(s.start_time_unix_nano.as_ref(), "startTimeUnixNano")?,
                    end_ns: time(s.end_time_unix_nano.as_ref(), "endTimeUnixNano")?,
                    attributes: attrs,
                    name: s.name,
                    service: service.clone(),
                });
            }
        }
    }
    Ok(out)
}

fn time(n: Option<&Number>, field: &'static str) -> Result<u64, OtlpError> {
    n.map_or(Ok(0), |n| n.as_u64(field))
}

fn hex_id<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], OtlpError> {
    let bad = || OtlpError::InvalidId {
        field,
        value: text.to_owned(),
        bytes: N,
    };
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return Err(bad());
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut raw = [0u8; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let (Some(hi), Some(lo)) = (nibble(pair[0]), nibble(pair[1])) else {
            return Err(bad());
        };
        raw[i] = hi << 4 | lo;
    }
    super::id_bytes(field, &raw).map_err(|_| bad())
}

fn attributes(kvs: &[KeyValue]) -> Result<BTreeMap<String, String>, OtlpError> {
    kvs.iter()
        .map(|kv| Ok((kv.key.clone(), stringify(kv.value.as_ref())?)))
        .collect()
}

fn stringify_opt(v: Option<&AnyValue>) -> String {
    stringify(v).unwrap_or_default()
}

fn stringify(v: Option<&AnyValue>) -> Result<String, OtlpError> {
    let Some(v) = v else { return Ok(String::new()) };
    Ok(if let Some(s) = &v.string_value {
        s.clone()
    } else if let Some(b) = v.bool_value {
        b.to_string()
    } else if let Some(i) = &v.int_value {
        i.as_i64("intValue")?.to_string()
    } else if let Some(d) = &v.double_value {
        d.as_f64()
    } else if let Some(a) = &v.array_value {
        let items = a
            .values
            .iter()
            .map(|v| stringify(Some(v)))
            .collect::<Result<Vec<_>, _>>()?;
        format!("[{}]", items.join(", "))
    } else if let Some(l) = &v.kvlist_value {
        let items = l
            .values
            .iter()
            .map(|kv| Ok(format!("{}: {}", kv.key, stringify(kv.value.as_ref())?)))
            .collect::<Result<Vec<_>, OtlpError>>()?;
        format!("{{{}}}", items.join(", "))
    } else if let Some(b) = &v.bytes_value {
        // Attribute bytes use the standard proto3 JSON mapping: base64.
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .map(|raw| hex(&raw))
            .unwrap_or_else(|_| b.clone())
    } else {
        String::new()
    })
}
