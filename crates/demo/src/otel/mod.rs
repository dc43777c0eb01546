//! OpenTelemetry tracing of the demo service: spans per request, exported over OTLP/HTTP.
//!
//! The demo reports to any OTLP/HTTP endpoint (perfhive's receiver, an OpenTelemetry
//! Collector, Jaeger) configured only by the standard environment variables, read by
//! [`ExportConfig::from_env`]: `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (`http/protobuf`, `http/json`; `grpc` falls back to
//! `http/protobuf` with a warning), `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` and `…_TIMEOUT`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` with
//! `OTEL_TRACES_SAMPLER_ARG`, `OTEL_TRACES_EXPORTER` (`none` disables), `OTEL_SDK_DISABLED`
//! and the batch processor's `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_MAX_QUEUE_SIZE`,
//! `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. Without an endpoint variable there is no tracer and no
//! export task at all: the request path pays one `Option` check.
//!
//! **Why hand-written.** The OpenTelemetry Rust SDK with its OTLP exporter would pull reqwest or
//! tonic (and their TLS and HTTP/2 stacks) into the one perfhive binary for a demo service. What
//! the demo needs is small: ids, a sampler, a bounded queue and one HTTP/1.1 POST, on the hyper
//! client and the `opentelemetry-proto` message types perfhive already links for its receiver.
//!
//! Spans (see `routes.rs` and `db.rs` for where they are taken), mirroring the `Server-Timing`
//! phases:
//!
//! | span | kind | attributes |
//! |------|------|------------|
//! | `GET /items`, `POST /ingest`, … (`{method}` for an unknown path) | SERVER | `http.request.method`, `url.path`, `http.route`, `http.response.status_code`; status ERROR on 5xx |
//! | `parse` (ingest) | INTERNAL | `code.function.name` = `parse_records` |
//! | `serialize` (items) | INTERNAL | `code.function.name` = `render_items` (fast path) or `render_item_slow` |
//! | `SELECT items`, `SELECT item_details`, `INSERT readings` | CLIENT | `db.system.name` and `db.system` = `sqlite`, `db.query.text` and `db.statement`, `db.operation.name`, `db.collection.name`, `code.function.name` (`load_items_n_plus_one`, `load_items_joined`, `ingest`), `db.operation.batch.size` |
//!
//! Database spans are children of the SERVER span; on the N+1 path every statement of the loop
//! is its own sibling span, which is what an N+1 detector looks for. An ingestion transaction
//! is one `INSERT readings` span from BEGIN to COMMIT (the commit is where the time goes), with
//! the number of records as `db.operation.batch.size`.
//!
//! An incoming W3C `traceparent` is continued (the parent-based samplers follow its sampled
//! flag); otherwise trace and span ids come from a per-thread SplitMix64 generator.

mod config;
mod context;
mod encode;
pub(crate) mod export;
mod span;

pub use config::{
    ExportConfig, Protocol, Sampler, DEFAULT_MAX_EXPORT_BATCH_SIZE, DEFAULT_MAX_QUEUE_SIZE,
    DEFAULT_SCHEDULE_DELAY, DEFAULT_SERVICE_NAME, DEFAULT_TIMEOUT,
};
pub use context::{parse_traceparent, RemoteParent, SpanId, TraceId};
pub use export::{TraceStats, FLUSH_TIMEOUT};

pub(crate) use export::pipeline;
pub(crate) use span::{traced, DbQuery, DbTrace, RequestTrace, SpanData, Tracer};
