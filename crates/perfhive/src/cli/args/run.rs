//! The flags of `perfhive run`; their doc comments are the help text.

use crate::cli::parse_duration;
use crate::recording::RecordArgs;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `perfhive run`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 ok, 1 success criteria failed, 2 usage or input error, \
3 aborted by a rollback trigger, 130 interrupted.\n\nExamples:\n  perfhive run examples/quickstart.yaml\n  \
perfhive run http://127.0.0.1:8080/ --rate 500 --duration 30s\n  perfhive run http://127.0.0.1:8080/ -c 50 --duration 30s --json"
)]
pub struct RunArgs {
    /// A scenario file (YAML), or a URL (http://, https://, builtin:testbed/PATH) for a quick test.
    pub scenario: String,

    /// Open model: requests per second (URL mode).
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
    /// Closed model: concurrent users (URL mode; default 10 when --rate is not given).
    #[arg(short = 'c', long = "connections", value_name = "N")]
    pub connections: Option<u32>,
    /// Measured duration (URL mode).
    #[arg(short, long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up before the measured part, excluded from criteria (URL mode).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// HTTP method (URL mode).
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Extra header `Name: value` (URL mode; repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request body (URL mode).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Request body from a file (URL mode).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Use HTTP/2 (h2c prior knowledge on http://, ALPN on https://) (URL mode).
    #[arg(long, conflicts_with = "http1")]
    pub http2: bool,
    /// Force HTTP/1.1 (URL mode).
    #[arg(long)]
    pub http1: bool,
    /// Per-request timeout (URL mode).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Most requests in flight at once (URL mode, open model).
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Accept any TLS certificate (URL mode).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Success criterion, e.g. 'p99_latency_ms <= 50' (URL mode; repeatable).
    #[arg(long = "criteria", value_name = "EXPR")]
    pub criteria: Vec<String>,
    /// Rollback trigger, e.g. 'error_rate_pct > 5 for 10s' (URL mode; repeatable).
    #[arg(long = "trigger", value_name = "EXPR")]
    pub triggers: Vec<String>,

    /// Worker threads of the load generator (default: one per core).
    #[arg(short = 't', long)]
    pub threads: Option<usize>,
    /// Multiply every phase duration (0.01 rehearses a 50-minute scenario in 30 s).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub time_scale: f64,
    /// Write the result record (JSON) to this file.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the result record (JSON) to stdout; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// No progress display and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the phase plan and exit without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Compare with a baseline run (id, latest, latest~N, latest@BRANCH, or a record file) and
    /// fill the record's `comparison` block.
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    /// Receive OpenTelemetry traces (OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on :4317) during
    /// the run: phase breakdown, dependency budgets and `<dependency>_p95_ms` criteria.
    #[arg(long)]
    pub traces: bool,
    /// Where the OTLP/HTTP receiver listens (with --traces).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4318",
        requires = "traces"
    )]
    pub traces_listen: std::net::SocketAddr,
    /// Where the OTLP/gRPC receiver listens (with --traces).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4317",
        requires = "traces",
        conflicts_with = "traces_no_grpc"
    )]
    pub traces_grpc_listen: std::net::SocketAddr,
    /// Receive OTLP/HTTP only (with --traces).
    #[arg(long, requires = "traces")]
    pub traces_no_grpc: bool,
    /// Longest wait after the load for the last spans (exporters batch: the OpenTelemetry
    /// batch processor sends every 5 s by default).
    #[arg(long, default_value = "6s", value_parser = parse_duration, requires = "traces")]
    pub traces_wait: Duration,
    #[command(flatten)]
    pub record: RecordArgs,
}
