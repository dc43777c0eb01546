//! Traces during an investigation: the OTLP receiver perfhive runs for its whole length, and the
//! standard OpenTelemetry environment (OpenTelemetry SDK configuration, "Environment Variable
//! Specification") given to a target perfhive starts, so any instrumented program reports to
//! the receiver with no code change.

use crate::investigation::InvestigateError;
use crate::investigators::traces::TracesInvestigator;
use crate::plan::TracesOpts;
use perfhive_scenario::Scenario;
use perfhive_traces::{ReceiverError, ReceiverOptions, RunningReceiver};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The export delay perfhive asks of batch span processors (ms): spans of the baseline arrive
/// within half a second of its end instead of the default five.
pub const BSP_SCHEDULE_DELAY_MS: u32 = 500;

/// Starts the receiver for an investigation. Unless the plan names an address, a busy default
/// port (another collector on 4318) falls back to a free port: the targets perfhive starts are
/// told the real one.
pub fn start_receiver(opts: &TracesOpts) -> Result<RunningReceiver, InvestigateError> {
    let fail = |e: ReceiverError| InvestigateError::Plan(format!("trace receiver: {e}"));
    let explicit = match &opts.listen {
        Some(a) => Some(a.parse::<SocketAddr>().map_err(|e| {
            InvestigateError::Plan(format!(
                "investigators.traces.listen `{a}`: expected an address such as 127.0.0.1:4318 ({e})"
            ))
        })?),
        None => None,
    };
    let mut o = ReceiverOptions::default();
    if let Some(addr) = explicit {
        o.bind = addr;
        o.grpc_bind = None; // an explicit address is the one place spans go
    }
    match perfhive_traces::spawn(o.clone()) {
        Ok(rx) => Ok(rx),
        Err(ReceiverError::Bind { .. } | ReceiverError::GrpcBind { .. }) if explicit.is_none() => {
            o.bind.set_port(0);
            if let Some(g) = o.grpc_bind.as_mut() {
                g.set_port(0);
            }
            perfhive_traces::spawn(o).map_err(fail)
        }
        Err(e) => Err(fail(e)),
    }
}

/// The OpenTelemetry environment for a target perfhive starts: export every trace (sampled
/// parent-based, always on) over OTLP/HTTP protobuf to `rx`, quickly, and no metrics or logs
/// (which the receiver does not take). `OTEL_SERVICE_NAME` is set only when the environment
/// does not name the service already.
pub fn otel_env(rx: &RunningReceiver, service: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("OTEL_SDK_DISABLED", "false".to_string()),
        ("OTEL_TRACES_EXPORTER", "otlp".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint()),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", rx.traces_url()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
        (
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "http/protobuf".to_string(),
        ),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on".to_string()),
        ("OTEL_BSP_SCHEDULE_DELAY", BSP_SCHEDULE_DELAY_MS.to_string()),
        ("OTEL_METRICS_EXPORTER", "none".to_string()),
        ("OTEL_LOGS_EXPORTER", "none".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        env.push(("OTEL_SERVICE_NAME".into(), service.to_string()));
    }
    env
}

/// The trace investigator for a plan's `traces` options: budgets from the baseline scenario's
/// `dependencies:` and the options' own `budgets`.
pub fn investigator(
    opts: &TracesOpts,
    receiver: Arc<RunningReceiver>,
    baseline: Duration,
    scenario: &Scenario,
    started_by_perfhive: bool,
) -> TracesInvestigator {
    let mut budgets: Vec<(String, f64)> = scenario
        .dependencies
        .iter()
        .filter_map(|d| Some((d.name.clone(), d.latency_budget_ms?)))
        .collect();
    for (name, b) in &opts.budgets {
        budgets.retain(|(n, _)| n != name);
        budgets.push((name.clone(), *b));
    }
    let how_to_send = if started_by_perfhive {
        format!(
            "perfhive set OTEL_EXPORTER_OTLP_ENDPOINT={} on the target it started; is the target instrumented with an OpenTelemetry SDK and its OTLP exporter?",
            receiver.endpoint()
        )
    } else {
        format!(
            "instrument the target with an OpenTelemetry SDK and start it with OTEL_EXPORTER_OTLP_ENDPOINT={} (or give `target.start` and perfhive sets it)",
            receiver.endpoint()
        )
    };
    TracesInvestigator {
        receiver,
        duration: baseline,
        wait: Duration::from_secs_f64(opts.wait_seconds.unwrap_or(6.0).clamp(0.0, 60.0)),
        budgets,
        n_plus_one: opts
            .n_plus_one
            .unwrap_or(perfhive_traces::DEFAULT_THRESHOLD)
            .max(2),
        how_to_send,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_default_port_falls_back_and_the_env_names_the_real_one() {
        let first = start_receiver(&TracesOpts::default()).unwrap();
        let second = start_receiver(&TracesOpts::default()).unwrap();
        assert_ne!(first.addr, second.addr);
        let env = otel_env(&second, "svc");
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            Some(format!("http://{}", second.addr))
        );
        assert_eq!(
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            Some(format!("http://{}/v1/traces", second.addr))
        );
        assert_eq!(
            get("OTEL_TRACES_SAMPLER").as_deref(),
            Some("parentbased_always_on")
        );
        let explicit = TracesOpts {
            listen: Some(first.addr.to_string()),
            ..TracesOpts::default()
        };
        assert!(
            start_receiver(&explicit).is_err(),
            "an explicit address never falls back"
        );
    }
}
