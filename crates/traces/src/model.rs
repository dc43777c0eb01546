//! The span model every analysis works on: one finished span, flattened from OTLP.
//!
//! Field meanings follow the OpenTelemetry trace data model (OTLP `trace.proto`,
//! <https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto>):
//! ids are the raw 16- and 8-byte identifiers, `kind` is the `SpanKind` enum value
//! (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer), times are Unix
//! nanoseconds, and attribute values are stringified (`AnyValue` scalars as text, arrays as
//! `[a, b]`, key-value lists as `{k: v}`, bytes as lower-case hex).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `SpanKind::SPAN_KIND_SERVER`.
pub const KIND_SERVER: i32 = 2;
/// `SpanKind::SPAN_KIND_CLIENT`.
pub const KIND_CLIENT: i32 = 3;

/// One finished span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The trace this span belongs to.
    pub trace_id: [u8; 16],
    /// This span's id, unique within its trace.
    pub span_id: [u8; 8],
    /// The parent span's id; `None` for a root span.
    pub parent: Option<[u8; 8]>,
    /// The span name (the operation, e.g. `GET /checkout` or `SELECT items`).
    pub name: String,
    /// The `service.name` resource attribute of the process that emitted the span
    /// (empty when absent).
    pub service: String,
    /// The OTLP `SpanKind` value.
    pub kind: i32,
    /// Start time, Unix nanoseconds.
    pub start_ns: u64,
    /// End time, Unix nanoseconds.
    pub end_ns: u64,
    /// Span attributes, values stringified.
    pub attributes: BTreeMap<String, String>,
}

impl Span {
    /// The span's duration in nanoseconds (0 when the end precedes the start).
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    /// The first present attribute among `keys`.
    pub fn attr_any(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|k| self.attributes.get(*k))
            .map(String::as_str)
    }
}

/// The spans without repeats: a span is identified by its trace and span ids, and an exporter
/// that retries a batch sends the same spans again. The first occurrence is kept, in order.
/// Every count and statistic of this crate goes through it (the phase breakdown keeps the
/// first occurrence within each trace, the same rule), so a span posted twice counts once
/// everywhere.
pub fn distinct(spans: &[Span]) -> impl Iterator<Item = &Span> {
    let mut seen = std::collections::HashSet::with_capacity(spans.len());
    spans
        .iter()
        .filter(move |s| seen.insert((s.trace_id, s.span_id)))
}

/// Lower-case hex of an id (the OTLP/JSON and W3C Trace Context spelling).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}
