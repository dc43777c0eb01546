//! [`ExportConfig`]: whether the demo traces, decided from the standard OpenTelemetry
//! environment before the SDK reads the rest of it.
//!
//! The Rust SDK has no "autoconfiguration" step (other SDKs' `OTEL_SDK_DISABLED` and
//! `OTEL_TRACES_EXPORTER` handling), so this gate is the demo's, following the OpenTelemetry
//! "Environment Variable Specification":
//!
//! - an empty variable is the same as an unset one;
//! - `OTEL_SDK_DISABLED` disables only for case-insensitive `true`; any other value but `false`
//!   is ignored with a warning;
//! - `OTEL_TRACES_EXPORTER` is a comma-separated list: `none` disables, `otlp` is the one
//!   exporter built in, anything else is ignored with a warning;
//! - an endpoint comes from `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`
//!   (the SDK resolves which, and appends `v1/traces` to the general one). Without either the
//!   demo does not trace — a departure from the specification's `localhost:4318` default, so an
//!   uninstrumented run pays nothing — and an `https` one disables the exporter with a warning
//!   (no TLS client in perfhive);
//! - `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` other than `http/protobuf` is ignored with a warning:
//!   the exporter built into perfhive speaks OTLP/HTTP protobuf only.

/// Whether and where the demo exports spans; everything else the SDK reads from the environment
/// when the service starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportConfig {
    /// The full OTLP/HTTP traces URL (`http://HOST:PORT/v1/traces`) given in code, which wins
    /// over the endpoint variables as any SDK setting given in code does; `None` (what
    /// [`ExportConfig::from_env`] gives) leaves the endpoint to the SDK's environment handling.
    pub endpoint: Option<String>,
}

impl ExportConfig {
    /// Exports to `url`, a full traces URL such as `http://127.0.0.1:4318/v1/traces`.
    pub fn to(url: impl Into<String>) -> Self {
        Self {
            endpoint: Some(url.into()),
        }
    }

    /// The configuration the process environment asks for, or `None` when tracing is off (no
    /// endpoint variable, `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`, an `https`
    /// endpoint). Warnings about ignored values go to stderr, one line each.
    pub fn from_env() -> Option<Self> {
        let (config, warnings) = Self::from_lookup(|name| std::env::var(name).ok());
        for w in warnings {
            warn(&w);
        }
        config
    }

    /// [`ExportConfig::from_env`] over any variable lookup, returning the warnings instead of
    /// printing them.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> (Option<Self>, Vec<String>) {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut warnings = Vec::new();
        if let Some(v) = var("OTEL_SDK_DISABLED") {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" => return (None, warnings),
                "false" => {}
                _ => warnings.push(format!(
                    "OTEL_SDK_DISABLED={v:?} is neither true nor false; tracing stays on"
                )),
            }
        }
        if let Some(v) = var("OTEL_TRACES_EXPORTER") {
            let names: Vec<String> = v
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect();
            if names.iter().any(|n| n == "none") {
                return (None, warnings);
            }
            for other in names.iter().filter(|n| *n != "otlp") {
                warnings.push(format!(
                    "OTEL_TRACES_EXPORTER: {other:?} is not built in; exporting over OTLP"
                ));
            }
        }
        let Some(endpoint) = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"))
        else {
            return (None, warnings);
        };
        if endpoint
            .trim()
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("https:"))
        {
            warnings.push(format!(
                "{endpoint:?}: https is not supported by the demo's exporter (no TLS client); \
                 not tracing"
            ));
            return (None, warnings);
        }
        let protocol = [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ]
        .into_iter()
        .find_map(|name| var(name).map(|v| (name, v)));
        if let Some((name, p)) = protocol {
            if p.trim() != "http/protobuf" {
                warnings.push(format!(
                    "{name}={p:?} is not built in; exporting http/protobuf"
                ));
            }
        }
        (Some(Self::default()), warnings)
    }
}

/// Prints one warning line to stderr.
///
/// The demo runs as `perfhive __demo`, whose stderr is the investigation's; a misconfigured
/// variable must be visible there, and there is no other channel at start-up.
#[allow(clippy::print_stderr)]
fn warn(message: &str) {
    eprintln!("perfhive-demo: warning: {message}");
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> (Option<ExportConfig>, Vec<String>) {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ExportConfig::from_lookup(|k| map.get(k).cloned())
    }

    const BASE: (&str, &str) = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    const ON: (Option<ExportConfig>, Vec<String>) = (Some(ExportConfig { endpoint: None }), vec![]);

    #[test]
    fn an_endpoint_variable_turns_tracing_on() {
        assert_eq!(lookup(&[]), (None, vec![]));
        assert_eq!(lookup(&[("OTEL_SERVICE_NAME", "x")]), (None, vec![]));
        // empty is the same as unset
        assert_eq!(
            lookup(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]),
            (None, vec![])
        );
        assert_eq!(lookup(&[BASE]), ON);
        assert_eq!(
            lookup(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://h:1/x")]),
            ON
        );
    }

    #[test]
    fn disabled_sdk_and_none_exporter() {
        assert_eq!(lookup(&[BASE, ("OTEL_SDK_DISABLED", "TRUE")]).0, None);
        assert_eq!(lookup(&[BASE, ("OTEL_SDK_DISABLED", "false")]), ON);
        let (c, w) = lookup(&[BASE, ("OTEL_SDK_DISABLED", "yes")]);
        assert!(c.is_some(), "only `true` disables");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "none")]).0, None);
        assert_eq!(
            lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "otlp,none")]).0,
            None
        );
        assert_eq!(lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "otlp")]), ON);
        let (c, w) = lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "zipkin")]);
        assert!(c.is_some());
        assert!(w[0].contains("zipkin"), "{w:?}");
    }

    #[test]
    fn https_disables_and_other_protocols_warn() {
        let (c, w) = lookup(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "HTTPS://collector:4318")]);
        assert_eq!(c, None);
        assert!(w[0].contains("https"), "{w:?}");
        assert_eq!(
            lookup(&[BASE, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]),
            ON
        );
        for p in ["grpc", "http/json"] {
            let (c, w) = lookup(&[BASE, ("OTEL_EXPORTER_OTLP_PROTOCOL", p)]);
            assert!(c.is_some(), "{p}");
            assert!(w[0].contains(p) && w[0].contains("http/protobuf"), "{w:?}");
        }
        // the signal-specific variable wins
        let (_, w) = lookup(&[
            BASE,
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ]);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn an_endpoint_in_code() {
        assert_eq!(
            ExportConfig::to("http://127.0.0.1:9/v1/traces")
                .endpoint
                .as_deref(),
            Some("http://127.0.0.1:9/v1/traces")
        );
    }
}
