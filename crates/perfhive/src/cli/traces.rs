//! `perfhive traces`: receive OpenTelemetry traces over OTLP (HTTP and gRPC) for a while, then print where
//! the time goes by phase (critical-path share, self time, p50/p95), the Amdahl bound of the top
//! phases, N+1 patterns and dependency latencies.

use crate::cli::parse_duration;
use crate::exit::Code;
use crate::output::Printer;
use anyhow::Context;
use clap::Args;
use perfhive_traces::receiver::{spawn, ReceiverError, ReceiverOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `perfhive traces`.
#[derive(Args, Debug)]
#[command(
    after_help = "Point an OpenTelemetry SDK at it, e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json), or OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 \
OTEL_EXPORTER_OTLP_PROTOCOL=grpc (cleartext, OTEL_EXPORTER_OTLP_INSECURE=true). gzip compression is accepted on both.\n\n\
Example:\n  perfhive traces --duration 30s --out traces.json"
)]
pub struct TracesArgs {
    /// How long to listen (Ctrl-C stops earlier).
    #[arg(short, long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Address of the OTLP/HTTP receiver. Loopback by default.
    #[arg(long, default_value = "127.0.0.1:4318")]
    pub bind: SocketAddr,
    /// Address of the OTLP/gRPC receiver. Loopback by default; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4317")]
    pub grpc_listen: SocketAddr,
    /// Receive OTLP/HTTP only.
    #[arg(long, conflicts_with = "grpc_listen")]
    pub no_grpc: bool,
    /// Write the summary (phases, N+1 patterns, dependencies) as JSON, the `traces` block of a
    /// run record.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Sibling spans with the same statement that count as N+1.
    #[arg(long, default_value_t = perfhive_traces::DEFAULT_THRESHOLD)]
    pub n_plus_one: usize,
}

/// Runs `perfhive traces`.
pub fn exec(a: TracesArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let grpc_bind = (!a.no_grpc).then_some(a.grpc_listen);
    for addr in std::iter::once(a.bind).chain(grpc_bind) {
        if !addr.ip().is_loopback() {
            out.warn(&format!(
                "listening on {addr}: traces from beyond this machine are accepted"
            ));
        }
    }
    // The receiver's error names the transport and address that could not be bound.
    let rx = match spawn(ReceiverOptions {
        bind: a.bind,
        grpc_bind,
        ..ReceiverOptions::default()
    }) {
        Ok(rx) => rx,
        Err(e @ ReceiverError::GrpcBind { .. }) => {
            return Err(anyhow::Error::new(e)
                .context("cannot start the OTLP receiver (pass --grpc-listen ADDR or --no-grpc)"))
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot start the OTLP receiver")),
    };
    writeln!(
        out.err(),
        "receiving OTLP/HTTP traces at {} for {:.0} s",
        rx.traces_url(),
        a.duration.as_secs_f64()
    )?;
    if let Some(grpc) = rx.grpc_endpoint() {
        writeln!(out.err(), "receiving OTLP/gRPC traces at {grpc}")?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        tokio::select! {
            _ = tokio::time::sleep(a.duration) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    });
    let spans = rx.take_spans();
    let dropped = rx.dropped();
    rx.shutdown();
    let summary = perfhive_traces::summarize(&spans, &[], dropped, a.n_plus_one.max(2));
    let style = perfhive_report::Style {
        color: out.color(false),
    };
    perfhive_report::render_trace_summary(&summary, out.out(), style)?;
    if let Some(path) = &a.out {
        std::fs::write(path, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(Code::OK)
}
