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
    /// Write the breakdown, N+1 patterns and dependencies as JSON.
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
    let b = perfhive_traces::breakdown(&spans);
    let n1 = perfhive_traces::detect_n_plus_one(&spans, a.n_plus_one.max(2));
    let deps = perfhive_traces::Dependencies::from_spans(&spans);
    let w = out.out();
    writeln!(
        w,
        "{} spans in {} traces{}",
        spans.len(),
        b.traces,
        if dropped > 0 {
            format!(" ({dropped} dropped: store full)")
        } else {
            String::new()
        }
    )?;
    if !b.phases.is_empty() {
        let parts: Vec<String> = b
            .phases
            .iter()
            .take(5)
            .map(|p| {
                format!(
                    "{:.0}% {} ({:.1} ms)",
                    p.share_pct,
                    p.name,
                    p.critical_ms / b.traces.max(1) as f64
                )
            })
            .collect();
        writeln!(
            w,
            "Where the time goes (critical path): {}",
            parts.join(", ")
        )?;
        writeln!(
            w,
            "\n  {:<32} {:>7} {:>10} {:>10} {:>9} {:>9} {:>7}",
            "phase", "share", "critical", "self", "p50", "p95", "count"
        )?;
        for p in &b.phases {
            writeln!(
                w,
                "  {:<32} {:>6.1}% {:>8.1}ms {:>8.1}ms {:>7.2}ms {:>7.2}ms {:>7}",
                p.name.chars().take(32).collect::<String>(),
                p.share_pct,
                p.critical_ms,
                p.self_ms,
                p.p50_ms,
                p.p95_ms,
                p.count
            )?;
        }
        for p in b.phases.iter().take(3) {
            writeln!(
                w,
                "  removing `{}` entirely would speed requests up {:.2}× at most (Amdahl)",
                p.name,
                perfhive_traces::amdahl(p.share_pct / 100.0)
            )?;
        }
    }
    for n in &n1 {
        writeln!(
            w,
            "  N+1: `{}` runs `{}` {}× in one request ({} traces)",
            n.parent_name, n.statement, n.count, n.traces_affected
        )?;
    }
    let stats = deps.stats();
    if !stats.is_empty() {
        writeln!(
            w,
            "\n  dependency                       calls      p50      p95"
        )?;
        for d in &stats {
            writeln!(
                w,
                "  {:<30} {:>7} {:>6.1}ms {:>6.1}ms",
                d.name, d.count, d.p50_ms, d.p95_ms
            )?;
        }
    }
    if let Some(path) = &a.out {
        let v = serde_json::json!({
            "spans": spans.len(),
            "dropped": dropped,
            "traces": b.traces,
            "phases": b.phases.iter().map(|p| serde_json::json!({
                "name": p.name, "share_pct": p.share_pct, "critical_ms": p.critical_ms, "self_ms": p.self_ms,
                "count": p.count, "p50_ms": p.p50_ms, "p95_ms": p.p95_ms, "amdahl_bound": perfhive_traces::amdahl(p.share_pct / 100.0),
            })).collect::<Vec<_>>(),
            "n_plus_one": n1.iter().map(|n| serde_json::json!({"parent": n.parent_name, "statement": n.statement, "count": n.count, "traces": n.traces_affected})).collect::<Vec<_>>(),
            "dependencies": stats.iter().map(|d| serde_json::json!({"name": d.name, "count": d.count, "p50_ms": d.p50_ms, "p95_ms": d.p95_ms, "max_ms": d.max_ms})).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&v)?)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(Code::OK)
}
