//! perfhive's trace investigator: an OTLP receiver (HTTP and gRPC) and the phase breakdown of
//! what it received.
//!
//! - [`otlp`] decodes OTLP/HTTP trace exports (protobuf and JSON, OpenTelemetry Protocol
//!   specification 1.x) into flat [`Span`]s;
//! - [`receiver`] serves OTLP/HTTP (`POST /v1/traces`, port 4318) and OTLP/gRPC
//!   (`TraceService/Export` over h2c, port 4317) on loopback, gzip or not, and keeps what arrives
//!   in a bounded store;
//! - [`analysis`] computes self time, the critical path (Jaeger's algorithm) and per-phase
//!   statistics, [`nplusone`] finds repeated database statements under one parent, and [`deps`]
//!   measures dependency latency and checks budgets.

pub mod analysis;
pub mod deps;
pub mod grpc_frame;
pub mod model;
pub mod nplusone;
pub mod otlp;
pub mod receiver;
pub mod summary;

pub use analysis::{amdahl, amdahl_with, breakdown, Breakdown, PhaseStat};
pub use deps::{BudgetCheck, BudgetVerdict, Dependencies, DependencyStat};
pub use model::Span;
pub use nplusone::{detect_n_plus_one, NPlusOne, DEFAULT_THRESHOLD};
pub use otlp::{decode, decode_json, decode_protobuf, Encoding, OtlpError, DEFAULT_MAX_BYTES};
pub use receiver::{spawn, ReceiverError, ReceiverOptions, RunningReceiver};
pub use summary::summarize;
