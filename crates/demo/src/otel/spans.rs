//! Spans on the request path, with the OpenTelemetry API: the request's SERVER span
//! ([`Tracer::start_request`]), its phases ([`Tracer::phase`], [`Tracer::open_phase`]) and one
//! CLIENT span per database statement ([`traced`]).
//!
//! Each span is started with the context of its parent, passed explicitly (the database work
//! runs on tokio's blocking pool, so there is no thread-local "current span" to rely on). A
//! request the sampler drops gets non-recording spans, which the SDK never exports.

use std::fmt::Display;

use http::{HeaderMap, Method};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, Span};

/// Where the code of a span is: its `code.function.name` and `code.file.path`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Code {
    /// The function doing the work (the name a CPU profile and a code scan show).
    pub(crate) function: &'static str,
    /// Its source file, as `file!()` gives it.
    pub(crate) file: &'static str,
}

/// A database statement the demo runs, with what its span says about it.
///
/// The SQL text is the one executed (db.rs prepares `sql` itself), so the span's
/// `db.query.text` is exactly the statement.
#[derive(Debug)]
pub(crate) struct DbQuery {
    /// Span name: `{db.operation.name} {db.collection.name}` (database semantic conventions).
    pub(crate) span_name: &'static str,
    /// The SQL text.
    pub(crate) sql: &'static str,
    /// `db.operation.name`.
    pub(crate) operation: &'static str,
    /// `db.collection.name`.
    pub(crate) collection: &'static str,
    /// The function issuing it.
    pub(crate) code: Code,
}

/// Starts the spans of requests; one per service, shared by all requests.
#[derive(Debug)]
pub(crate) struct Tracer {
    tracer: SdkTracer,
    propagator: TraceContextPropagator,
}

/// The trace of one request: the context holding its SERVER span.
#[derive(Debug)]
pub(crate) struct RequestTrace(Context);

/// An open phase whose statements go under it, taken to the blocking pool with the database
/// work; ended by [`DbTrace::end`].
#[derive(Debug, Clone)]
pub(crate) struct DbTrace {
    tracer: SdkTracer,
    cx: Context,
}

impl Tracer {
    /// Spans of the instrumentation scope `tracer`, continuing W3C `traceparent` headers.
    pub(crate) fn new(tracer: SdkTracer) -> Self {
        Self {
            tracer,
            propagator: TraceContextPropagator::new(),
        }
    }

    /// Starts the SERVER span of a request, named `{method} {route}` (`{method}` for a path
    /// that is no route), as a child of a valid incoming `traceparent`.
    pub(crate) fn start_request(
        &self,
        headers: &HeaderMap,
        method: &Method,
        route: Option<&'static str>,
        path: &str,
    ) -> RequestTrace {
        let parent = self.propagator.extract(&HeaderExtractor(headers));
        let name = match route {
            Some(route) => format!("{method} {route}"),
            None => method.to_string(),
        };
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.to_string()),
            KeyValue::new("url.path", path.to_string()),
        ];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route));
        }
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent);
        RequestTrace(parent.with_span(span))
    }

    /// Ends the request's SERVER span with the response status; a 5xx marks it as an error
    /// (HTTP semantic conventions: a 4xx is the client's error, not the server span's).
    pub(crate) fn end_request(trace: RequestTrace, status: u16) {
        let span = trace.0.span();
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status),
        ));
        if status >= 500 {
            span.set_status(Status::error(format!("HTTP {status}")));
        }
        span.end();
    }

    /// Runs `f` as the INTERNAL span `name` under the request.
    pub(crate) fn phase<T, E: Display>(
        &self,
        trace: &RequestTrace,
        name: &'static str,
        code: Code,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut span = self.internal(trace, name, code);
        let out = f();
        finish(&mut span, &out);
        out
    }

    /// Opens the INTERNAL span `name` under the request for work whose statements go under it.
    pub(crate) fn open_phase(
        &self,
        trace: &RequestTrace,
        name: &'static str,
        code: Code,
    ) -> DbTrace {
        let span = self.internal(trace, name, code);
        DbTrace {
            tracer: self.tracer.clone(),
            cx: trace.0.with_span(span),
        }
    }

    fn internal(&self, trace: &RequestTrace, name: &'static str, code: Code) -> Span {
        self.tracer
            .span_builder(name)
            .with_kind(SpanKind::Internal)
            .with_attributes(code_attributes(code))
            .start_with_context(&self.tracer, &trace.0)
    }
}

impl DbTrace {
    /// Ends the phase, as an error when `out` is one.
    pub(crate) fn end<T, E: Display>(self, out: &Result<T, E>) {
        let span = self.cx.span();
        if let Err(e) = out {
            span.set_status(Status::error(e.to_string()));
        }
        span.end();
    }
}

/// Times `f` as a CLIENT span of `query` under the phase of `trace` (`batch` executions, 1 for
/// one); `f` alone, at the cost of one branch, when the request is not traced.
pub(crate) fn traced<T, E: Display>(
    trace: Option<&DbTrace>,
    query: &'static DbQuery,
    batch: usize,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let Some(t) = trace else {
        return f();
    };
    // Both the current database conventions and the older names that many back-ends (and
    // perfhive's N+1 detector) still read.
    let mut attributes = vec![
        KeyValue::new("db.system.name", "sqlite"),
        KeyValue::new("db.system", "sqlite"),
        KeyValue::new("db.query.text", query.sql),
        KeyValue::new("db.statement", query.sql),
        KeyValue::new("db.operation.name", query.operation),
        KeyValue::new("db.collection.name", query.collection),
    ];
    attributes.extend(code_attributes(query.code));
    if batch >= 2 {
        let batch = i64::try_from(batch).unwrap_or(i64::MAX);
        attributes.push(KeyValue::new("db.operation.batch.size", batch));
    }
    let mut span = t
        .tracer
        .span_builder(query.span_name)
        .with_kind(SpanKind::Client)
        .with_attributes(attributes)
        .start_with_context(&t.tracer, &t.cx);
    let out = f();
    finish(&mut span, &out);
    out
}

fn code_attributes(code: Code) -> [KeyValue; 2] {
    [
        KeyValue::new("code.function.name", code.function),
        KeyValue::new("code.file.path", code.file),
    ]
}

/// Ends `span`, as an error when `out` is one.
fn finish<T, E: Display>(span: &mut Span, out: &Result<T, E>) {
    if let Err(e) = out {
        span.set_status(Status::error(e.to_string()));
    }
    span.end();
}
