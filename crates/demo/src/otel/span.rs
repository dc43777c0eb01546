//! Recording spans on the request path: [`Tracer`], the per-request [`RequestTrace`], database
//! spans through [`DbTrace`], and the compact [`SpanRecord`] that is queued.
//!
//! A [`SpanRecord`] holds only fixed-size data and `&'static str`s (span names, SQL text and
//! attribute values are constants of the demo), so recording a span allocates nothing: it takes
//! two clock readings, draws an id, and pushes a value into the bounded queue under a short
//! lock that is never held across an `.await`. The OTLP messages are built later, by the export
//! task (see `encode.rs`).

use std::borrow::Cow;
use std::sync::Arc;

use http::{HeaderMap, Method};

use super::config::Sampler;
use super::context::{new_span_id, new_trace_id, parse_traceparent, Clock, SpanId, TraceId};
use super::export::Queue;

/// The OTLP `SpanKind` values used here (`opentelemetry.proto.trace.v1.Span.SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `SPAN_KIND_INTERNAL` = 1.
    Internal = 1,
    /// `SPAN_KIND_SERVER` = 2.
    Server = 2,
    /// `SPAN_KIND_CLIENT` = 3.
    Client = 3,
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
    /// `code.function.name`: the function issuing it.
    pub(crate) function: &'static str,
}

/// What a span describes, with its attributes.
#[derive(Debug, Clone)]
pub(crate) enum SpanData {
    /// The request (`SERVER`): named `{method} {route}`, or `{method}` for an unknown path.
    Server {
        /// `http.request.method`.
        method: Method,
        /// `http.route`, when the path is one of the service's routes.
        route: Option<&'static str>,
        /// `url.path`: the route itself, or the request's path for an unknown one.
        path: Cow<'static, str>,
        /// `http.response.status_code`.
        status: u16,
    },
    /// A phase of the request (`INTERNAL`) carrying `code.function.name`.
    Phase {
        /// `parse`, `serialize`.
        name: &'static str,
        /// `code.function.name`.
        function: &'static str,
    },
    /// A database statement (`CLIENT`).
    Db {
        /// The statement.
        query: &'static DbQuery,
        /// `db.operation.batch.size` when a span covers several executions (≥ 2).
        batch: u32,
    },
}

/// One finished span, as queued for export.
#[derive(Debug, Clone)]
pub(crate) struct SpanRecord {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: SpanId,
    /// The parent span, all zeros for a root span.
    pub(crate) parent: SpanId,
    /// Whether the parent came from another process (an incoming `traceparent`).
    pub(crate) remote_parent: bool,
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
    /// Whether the span ended in an error (status `ERROR`).
    pub(crate) error: bool,
    pub(crate) data: SpanData,
}

impl SpanRecord {
    /// The span kind.
    pub(crate) fn kind(&self) -> Kind {
        match self.data {
            SpanData::Server { .. } => Kind::Server,
            SpanData::Phase { .. } => Kind::Internal,
            SpanData::Db { .. } => Kind::Client,
        }
    }

    /// The span name.
    pub(crate) fn name(&self) -> Cow<'static, str> {
        match &self.data {
            SpanData::Server { method, route, .. } => match route {
                Some(route) => Cow::Owned(format!("{method} {route}")),
                None => Cow::Owned(method.to_string()),
            },
            SpanData::Phase { name, .. } => Cow::Borrowed(name),
            SpanData::Db { query, .. } => Cow::Borrowed(query.span_name),
        }
    }

    /// Calls `f` with every attribute of the span.
    pub(crate) fn attributes<'s>(&'s self, mut f: impl FnMut(&'static str, AttrValue<'s>)) {
        match &self.data {
            SpanData::Server {
                method,
                route,
                path,
                status,
            } => {
                f("http.request.method", AttrValue::Str(method.as_str()));
                f("url.path", AttrValue::Str(path));
                if let Some(route) = route {
                    f("http.route", AttrValue::Str(route));
                }
                f(
                    "http.response.status_code",
                    AttrValue::Int(i64::from(*status)),
                );
            }
            SpanData::Phase { function, .. } => {
                f("code.function.name", AttrValue::Str(function));
            }
            SpanData::Db { query, batch } => {
                // Both the current database conventions and the older names that many
                // back-ends (and perfhive's N+1 detector) still read.
                f("db.system.name", AttrValue::Str("sqlite"));
                f("db.system", AttrValue::Str("sqlite"));
                f("db.query.text", AttrValue::Str(query.sql));
                f("db.statement", AttrValue::Str(query.sql));
                f("db.operation.name", AttrValue::Str(query.operation));
                f("db.collection.name", AttrValue::Str(query.collection));
                f("code.function.name", AttrValue::Str(query.function));
                if *batch >= 2 {
                    f("db.operation.batch.size", AttrValue::Int(i64::from(*batch)));
                }
            }
        }
    }
}

/// An attribute value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AttrValue<'a> {
    /// A string.
    Str(&'a str),
    /// A 64-bit integer.
    Int(i64),
}

/// Starts request spans and hands finished spans to the export queue.
#[derive(Debug)]
pub(crate) struct Tracer {
    sampler: Sampler,
    clock: Clock,
    queue: Arc<Queue>,
}

/// The trace of one sampled request: its SERVER span, open until [`Tracer::end_request`].
#[derive(Debug)]
pub(crate) struct RequestTrace {
    trace_id: TraceId,
    span_id: SpanId,
    parent: Option<SpanId>,
    start_ns: u64,
}

/// A child span started by [`Tracer::open`], not yet ended.
#[derive(Debug)]
pub(crate) struct OpenSpan {
    parent: ChildOf,
    span_id: SpanId,
    start_ns: u64,
}

impl OpenSpan {
    /// The context for spans under this one.
    pub(crate) fn child(&self) -> ChildOf {
        ChildOf {
            trace_id: self.parent.trace_id,
            parent: self.span_id,
        }
    }
}

/// Where a child span goes: its trace and parent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildOf {
    trace_id: TraceId,
    parent: SpanId,
}

impl RequestTrace {
    /// The context for spans under the request's SERVER span.
    pub(crate) fn child(&self) -> ChildOf {
        ChildOf {
            trace_id: self.trace_id,
            parent: self.span_id,
        }
    }
}

impl Tracer {
    /// A tracer deciding by `sampler`, queuing into `queue`.
    pub(crate) fn new(sampler: Sampler, queue: Arc<Queue>) -> Self {
        Self {
            sampler,
            clock: Clock::new(),
            queue,
        }
    }

    /// Now, in Unix nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Starts the SERVER span of a request, continuing the trace of a valid `traceparent`
    /// header; `None` when the sampler drops the request (nothing else is recorded for it).
    pub(crate) fn start_request(&self, headers: &HeaderMap) -> Option<RequestTrace> {
        let start_ns = self.now();
        let remote = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_traceparent);
        let trace_id = match remote {
            Some(p) => p.trace_id,
            None if self.sampler.never_samples_roots() => return None,
            None => new_trace_id(),
        };
        if !self
            .sampler
            .should_sample(&trace_id, remote.map(|p| p.sampled))
        {
            return None;
        }
        Some(RequestTrace {
            trace_id,
            span_id: new_span_id(),
            parent: remote.map(|p| p.span_id),
            start_ns,
        })
    }

    /// Ends the request's SERVER span now. A 5xx status marks it as an error (HTTP semantic
    /// conventions: 4xx is the client's error, not the server span's).
    pub(crate) fn end_request(
        &self,
        trace: RequestTrace,
        method: Method,
        route: Option<&'static str>,
        path: Cow<'static, str>,
        status: u16,
    ) {
        self.queue.push(SpanRecord {
            trace_id: trace.trace_id,
            span_id: trace.span_id,
            parent: trace.parent.unwrap_or([0; 8]),
            remote_parent: trace.parent.is_some(),
            start_ns: trace.start_ns,
            end_ns: self.now(),
            error: status >= 500,
            data: SpanData::Server {
                method,
                route,
                path,
                status,
            },
        });
    }

    /// Starts a child span of `parent` now whose own children need its id (a phase enclosing
    /// database statements); finished by [`Tracer::close`].
    pub(crate) fn open(&self, parent: ChildOf) -> OpenSpan {
        OpenSpan {
            parent,
            span_id: new_span_id(),
            start_ns: self.now(),
        }
    }

    /// Ends a span from [`Tracer::open`] now.
    pub(crate) fn close(&self, span: OpenSpan, error: bool, data: SpanData) {
        self.queue.push(SpanRecord {
            trace_id: span.parent.trace_id,
            span_id: span.span_id,
            parent: span.parent.parent,
            remote_parent: false,
            start_ns: span.start_ns,
            end_ns: self.now(),
            error,
            data,
        });
    }

    /// Records a finished child span of `parent` that started at `start_ns` and ends now.
    pub(crate) fn child(&self, parent: ChildOf, start_ns: u64, error: bool, data: SpanData) {
        self.queue.push(SpanRecord {
            trace_id: parent.trace_id,
            span_id: new_span_id(),
            parent: parent.parent,
            remote_parent: false,
            start_ns,
            end_ns: self.now(),
            error,
            data,
        });
    }
}

/// Database spans of one request, taken to the blocking pool with the database work.
#[derive(Debug, Clone)]
pub(crate) struct DbTrace {
    tracer: Arc<Tracer>,
    parent: ChildOf,
}

impl DbTrace {
    /// Database spans under `parent`.
    pub(crate) fn new(tracer: Arc<Tracer>, parent: ChildOf) -> Self {
        Self { tracer, parent }
    }

    /// Now, in Unix nanoseconds (the start of a statement).
    pub(crate) fn now(&self) -> u64 {
        self.tracer.now()
    }

    /// Records `query`, started at `start_ns`, ending now; `batch` executions (1 for one).
    pub(crate) fn query(&self, query: &'static DbQuery, start_ns: u64, batch: usize, ok: bool) {
        let batch = u32::try_from(batch).unwrap_or(u32::MAX);
        self.tracer
            .child(self.parent, start_ns, !ok, SpanData::Db { query, batch });
    }
}

/// Times `f` as a database span when `trace` is set; `f` alone (one branch) when it is not.
pub(crate) fn traced<T, E>(
    trace: Option<&DbTrace>,
    query: &'static DbQuery,
    batch: usize,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    match trace {
        None => f(),
        Some(t) => {
            let start = t.now();
            let out = f();
            t.query(query, start, batch, out.is_ok());
            out
        }
    }
}
