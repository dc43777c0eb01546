//! The OpenTelemetry Python SDK as a real OTLP exporter.
//!
//! [`Python::otel`] finds an interpreter with the SDK and the exporter modules a test needs —
//! or reports the skip of that test (see [`crate::skip`]: a failure in CI, one standard line
//! elsewhere). The interpreter is `python3` on the `PATH`, or the one `PERFHIVE_PYTHON` names (a
//! virtual environment with the SDK, for example). [`Python::export_checkout`] runs
//! `python/otlp_export.py`, which records a known trace and exports it.

use std::process::{Command, Output};

/// The OTLP/HTTP exporter module.
pub const HTTP_EXPORTER: &str = "opentelemetry.exporter.otlp.proto.http";
/// The OTLP/gRPC exporter module.
pub const GRPC_EXPORTER: &str = "opentelemetry.exporter.otlp.proto.grpc";
/// How to install what the fixture needs.
pub const INSTALL: &str = "pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http \
                           opentelemetry-exporter-otlp-proto-grpc (.ci/run does), or set \
                           PERFHIVE_PYTHON to an interpreter that has them";

/// The variable naming the interpreter to use instead of `python3`.
pub const PYTHON_VAR: &str = "PERFHIVE_PYTHON";

/// Spans in the trace [`Python::export_checkout`] exports, per compression.
pub const CHECKOUT_SPANS: usize = 9;

/// An OTLP transport of the Python exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// OTLP/HTTP protobuf; the endpoint is the full traces URL.
    Http,
    /// OTLP/gRPC, cleartext; the endpoint is `http://HOST:PORT`.
    Grpc,
}

/// A body compression of the Python exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Uncompressed.
    None,
    /// gzip.
    Gzip,
}

/// A Python interpreter with the OpenTelemetry SDK.
#[derive(Debug, Clone)]
pub struct Python {
    program: String,
}

impl Python {
    /// The interpreter with the SDK and every module of `modules` (such as [`HTTP_EXPORTER`]),
    /// or `None` after reporting that `check` is skipped (in CI: a panic).
    pub fn otel(check: &str, modules: &[&str]) -> Option<Self> {
        let program = std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".into());
        let imports = std::iter::once("opentelemetry.sdk")
            .chain(modules.iter().copied())
            .collect::<Vec<_>>()
            .join(", ");
        let found = Command::new(&program)
            .args(["-c", &format!("import {imports}")])
            .output()
            .is_ok_and(|o| o.status.success());
        let why = format!("{program} cannot import {imports}; {INSTALL}");
        crate::require(check, found, &why).then_some(Self { program })
    }

    /// The interpreter's command (as found on the `PATH` or named by `PERFHIVE_PYTHON`).
    pub fn program(&self) -> &str {
        &self.program
    }

    /// A command running the interpreter.
    pub fn command(&self) -> Command {
        Command::new(&self.program)
    }

    /// Records the checkout trace ([`CHECKOUT_SPANS`] spans of service `shop`) and exports it
    /// to `endpoint` over `transport`, once per entry of `compressions`, each through its own
    /// exporter. The output's status is success only if every export succeeded.
    pub fn export_checkout(
        &self,
        transport: Transport,
        endpoint: &str,
        compressions: &[Compression],
    ) -> Output {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/otlp_export.py");
        let transport = match transport {
            Transport::Http => "http",
            Transport::Grpc => "grpc",
        };
        self.command()
            .arg(script)
            .args([transport, endpoint])
            .args(compressions.iter().map(|c| match c {
                Compression::None => "none",
                Compression::Gzip => "gzip",
            }))
            .output()
            .expect("the Python interpreter runs")
    }
}

/// Panics with the exporter's stderr unless `out` is a successful export.
pub fn assert_exported(out: &Output) {
    assert!(
        out.status.success(),
        "the Python export failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
