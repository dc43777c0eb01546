//! OpenTelemetry tracing of the demo service, with the OpenTelemetry Rust SDK
//! (`opentelemetry_sdk`) and its OTLP exporter (`opentelemetry-otlp`): spans per request,
//! exported over OTLP/HTTP protobuf.
//!
//! This is what instrumenting a Rust service looks like: a tracer provider with a batch span
//! processor and an OTLP span exporter, a `traceparent` propagator for incoming requests, and
//! spans taken with the OpenTelemetry API around the work (`routes.rs`, `db.rs`, through
//! `spans.rs`). The SDK reads its configuration from the standard environment when the service
//! starts (OpenTelemetry "Environment Variable Specification"):
//! `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `…_HEADERS`, `…_TIMEOUT`, `…_COMPRESSION` (`gzip`),
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` with
//! `OTEL_TRACES_SAMPLER_ARG`, and the batch processor's `OTEL_BSP_SCHEDULE_DELAY`,
//! `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. A failed export is retried with
//! exponential backoff within the exporter's timeout, as the SDK does, and never reported on the
//! terminal (the SDK's own diagnostics are off): a collector that starts a moment after the
//! service, or stops before it, costs at most the spans of that moment.
//!
//! What the demo decides itself, because the Rust SDK has no such switch (see `env.rs`): whether
//! to trace at all ([`ExportConfig::from_env`]: an endpoint variable is set, `OTEL_SDK_DISABLED`
//! is not `true`, `OTEL_TRACES_EXPORTER` is not `none`; without an endpoint the demo records no
//! spans rather than export to the specification's default `localhost:4318`), and the protocol:
//! only `http/protobuf` is built into perfhive (no gRPC or JSON exporter, no TLS client), so
//! another `OTEL_EXPORTER_OTLP_PROTOCOL` gets a warning and `https` endpoints disable the
//! exporter with a warning. The default service name is `perfhive-demo`.
//!
//! **Threads.** The SDK's batch processor exports from its own thread. The exporter's HTTP client
//! is the SDK's hyper client (no reqwest, no tonic: hyper is already in perfhive for its servers
//! and the receiver), which needs a tokio reactor, so each export request runs as a task on the
//! service's runtime (`OnRuntime`). Each request is bounded by the OTLP default timeout of 10 s
//! (the SDK gives no timeout to a client it did not build); `OTEL_EXPORTER_OTLP_TIMEOUT` bounds
//! the exporter's retries. At shutdown the queued spans are flushed, bounded by
//! [`FLUSH_TIMEOUT`].
//!
//! Spans (mirroring the `Server-Timing` phases):
//!
//! | span | kind | attributes |
//! |------|------|------------|
//! | `GET /items`, `POST /ingest`, … (`{method}` for an unknown path) | SERVER | `http.request.method`, `url.path`, `http.route`, `http.response.status_code`; status ERROR on 5xx |
//! | `parse` (ingest) | INTERNAL | `code.function.name` = `parse_records`, `code.file.path` |
//! | `db` (ingest, items) | INTERNAL | `code.function.name` = `ingest` or `load_items`, `code.file.path`; encloses the statements and the wait for the connection |
//! | `serialize` (items) | INTERNAL | `code.function.name` = `render_items` (fast path) or `render_item_slow`, `code.file.path` |
//! | `SELECT items`, `SELECT item_details`, `INSERT readings` | CLIENT | `db.system.name` and `db.system` = `sqlite`, `db.query.text` and `db.statement`, `db.operation.name`, `db.collection.name`, `code.function.name` (`load_items_n_plus_one`, `load_items_joined`, `ingest`), `code.file.path`, `db.operation.batch.size` |
//!
//! Statements are children of the `db` phase; on the N+1 path every statement of the loop is its
//! own sibling span, which is what an N+1 detector looks for. An ingestion transaction is one
//! `INSERT readings` span from BEGIN to COMMIT (the commit is where the time goes), with the
//! number of records as `db.operation.batch.size`. A failing phase or statement has status
//! ERROR. An incoming W3C `traceparent` is continued (the parent-based samplers follow its
//! sampled flag).

mod env;
mod spans;

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Key;
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tokio::runtime::Handle;

pub use env::ExportConfig;
pub(crate) use spans::{traced, Code, DbQuery, DbTrace, RequestTrace, Tracer};

use crate::DemoError;

/// `service.name` when the environment names none (`OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`).
pub const DEFAULT_SERVICE_NAME: &str = "perfhive-demo";

/// The instrumentation scope of the demo's spans.
pub const SCOPE: &str = "perfhive-demo";

/// How long shutdown waits for the last spans to be exported.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// Time limit of one export request (the OTLP exporter specification's default timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The SDK pipeline of a running service: shut down (which flushes) by [`Tracing::shutdown`].
#[derive(Debug)]
pub(crate) struct Tracing {
    provider: SdkTracerProvider,
}

impl Tracing {
    /// Builds the tracer provider for `config` and the standard environment; export requests
    /// run on `runtime`. An environment the exporter cannot use (a malformed endpoint URL, an
    /// unknown compression) is an error naming it.
    pub(crate) fn start(
        config: &ExportConfig,
        runtime: Handle,
    ) -> Result<(Self, Tracer), DemoError> {
        let client = OnRuntime {
            client: HyperClient::with_default_connector(REQUEST_TIMEOUT, None),
            runtime,
        };
        let mut exporter = SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary);
        if let Some(url) = &config.endpoint {
            exporter = exporter.with_endpoint(url.clone());
        }
        let exporter = exporter
            .build()
            .map_err(|e| DemoError::Tracing(e.to_string()))?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(BatchSpanProcessor::builder(exporter).build())
            .with_resource(resource())
            .build();
        let tracer = Tracer::new(provider.tracer(SCOPE));
        Ok((Self { provider }, tracer))
    }

    /// Exports what is queued and stops the batch processor, waiting at most
    /// [`FLUSH_TIMEOUT`]; runs the blocking flush on the runtime's blocking pool while the
    /// runtime keeps serving the export requests.
    pub(crate) async fn shutdown(self) {
        let provider = self.provider;
        let _ = tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(FLUSH_TIMEOUT))
            .await;
    }
}

/// The resource from the environment (the SDK's detectors: `OTEL_RESOURCE_ATTRIBUTES`,
/// `OTEL_SERVICE_NAME`, `telemetry.sdk.*`), named [`DEFAULT_SERVICE_NAME`] when the environment
/// names no service (the SDK would say `unknown_service:<executable>`).
fn resource() -> Resource {
    let resource = Resource::builder().build();
    let named = resource
        .get(&Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    if named {
        resource
    } else {
        Resource::builder()
            .with_service_name(DEFAULT_SERVICE_NAME)
            .build()
    }
}

/// The SDK's hyper client with each request run as a task on the service's runtime: the batch
/// processor calls the exporter from its own thread, which has no tokio reactor for hyper.
#[derive(Debug)]
struct OnRuntime {
    client: HyperClient,
    runtime: Handle,
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        // A runtime shutting down cancels the task: the export fails like a lost connection.
        self.runtime
            .spawn(async move { client.send_bytes(request).await })
            .await?
    }
}
