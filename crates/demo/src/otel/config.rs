//! [`ExportConfig`]: where and how spans are exported, read from the standard OpenTelemetry
//! environment variables.
//!
//! Semantics follow the OpenTelemetry "Environment Variable Specification"
//! (<https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/>) and the
//! OTLP exporter specification
//! (<https://opentelemetry.io/docs/specs/otel/protocol/exporter/>):
//!
//! - an empty variable is the same as an unset one;
//! - booleans (`OTEL_SDK_DISABLED`) are true only for case-insensitive `true`; any other value
//!   but `false` is false with a warning;
//! - an unknown enum value or an invalid number is ignored with a warning (the default applies);
//! - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is; `OTEL_EXPORTER_OTLP_ENDPOINT` is a base
//!   URL to which `v1/traces` is appended (after a `/` if its path does not end with one);
//! - signal-specific variables (`…_TRACES_…`) take precedence over the general ones;
//! - `OTEL_SERVICE_NAME` takes precedence over a `service.name` in `OTEL_RESOURCE_ATTRIBUTES`;
//!   `OTEL_RESOURCE_ATTRIBUTES` is `key=value,…` with percent-encoded values, and is discarded
//!   as a whole when any entry is malformed (Resource SDK specification).
//!
//! One departure, on purpose: the specification's default endpoint is `http://localhost:4318`,
//! but the demo exports only when an endpoint variable is set, so an uninstrumented run pays
//! nothing. `grpc` is not supported (it would need an HTTP/2 gRPC stack): it falls back to
//! `http/protobuf` with a warning. `https` endpoints are not supported either (no TLS client in
//! the demo): the exporter is disabled with a warning.

use std::time::Duration;

use http::Uri;

/// Default for `OTEL_SERVICE_NAME`.
pub const DEFAULT_SERVICE_NAME: &str = "perfhive-demo";
/// Default export interval: `OTEL_BSP_SCHEDULE_DELAY` (the specification says 5 s; the demo
/// is measured in short runs, so it exports every 200 ms).
pub const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_millis(200);
/// Default `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (as the specification).
pub const DEFAULT_MAX_EXPORT_BATCH_SIZE: usize = 512;
/// Default `OTEL_BSP_MAX_QUEUE_SIZE` (the specification says 2048; an N+1 request of the demo
/// makes dozens of spans, so the queue is larger).
pub const DEFAULT_MAX_QUEUE_SIZE: usize = 8192;
/// Default `OTEL_EXPORTER_OTLP_TIMEOUT` (as the specification: 10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP/HTTP encoding of export requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf`: binary protobuf, `Content-Type: application/x-protobuf` (the default).
    HttpProtobuf,
    /// `http/json`: the OTLP JSON encoding, `Content-Type: application/json`.
    HttpJson,
}

impl Protocol {
    /// The `Content-Type` of export requests in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
        }
    }
}

/// Which requests are traced (`OTEL_TRACES_SAMPLER` with `OTEL_TRACES_SAMPLER_ARG`).
///
/// The parent-based samplers follow the sampled flag of an incoming `traceparent` header and
/// use the named root sampler for requests without one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Sampler {
    /// `always_on`: every request.
    AlwaysOn,
    /// `always_off`: none.
    AlwaysOff,
    /// `traceidratio`: a fraction (0..=1) of traces, decided from the trace id.
    TraceIdRatio(f64),
    /// `parentbased_always_on` (the default).
    #[default]
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`.
    ParentBasedTraceIdRatio(f64),
}

impl Sampler {
    /// Whether a span with `trace_id` is recorded and exported. `parent_sampled` is the sampled
    /// flag of a valid incoming `traceparent`, `None` without one.
    pub fn should_sample(self, trace_id: &[u8; 16], parent_sampled: Option<bool>) -> bool {
        let root = match (self, parent_sampled) {
            (
                Sampler::ParentBasedAlwaysOn
                | Sampler::ParentBasedAlwaysOff
                | Sampler::ParentBasedTraceIdRatio(_),
                Some(sampled),
            ) => return sampled,
            (Sampler::AlwaysOn | Sampler::ParentBasedAlwaysOn, _) => return true,
            (Sampler::AlwaysOff | Sampler::ParentBasedAlwaysOff, _) => return false,
            (Sampler::TraceIdRatio(r) | Sampler::ParentBasedTraceIdRatio(r), _) => r,
        };
        ratio_sampled(trace_id, root)
    }

    /// Whether this sampler ever needs a trace id to decide for a request without a parent
    /// (false for the constant samplers).
    pub(crate) fn never_samples_roots(self) -> bool {
        matches!(self, Sampler::AlwaysOff | Sampler::ParentBasedAlwaysOff)
    }

    fn parse(name: &str, arg: Option<&str>, warnings: &mut Vec<String>) -> Self {
        let ratio = |warnings: &mut Vec<String>| -> f64 {
            match arg {
                None => 1.0,
                Some(a) => match a.trim().parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => r,
                    _ => {
                        warnings.push(format!(
                            "OTEL_TRACES_SAMPLER_ARG={a:?} is not a probability in [0, 1]; using 1.0"
                        ));
                        1.0
                    }
                },
            }
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "always_on" => Sampler::AlwaysOn,
            "always_off" => Sampler::AlwaysOff,
            "traceidratio" => Sampler::TraceIdRatio(ratio(warnings)),
            "parentbased_always_on" => Sampler::ParentBasedAlwaysOn,
            "parentbased_always_off" => Sampler::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => Sampler::ParentBasedTraceIdRatio(ratio(warnings)),
            other => {
                warnings.push(format!(
                    "OTEL_TRACES_SAMPLER={other:?} is not supported; using parentbased_always_on"
                ));
                Sampler::default()
            }
        }
    }
}

/// TraceIdRatioBased: the trace is sampled when the trace id's last 8 bytes, as a big-endian
/// integer shifted to 63 bits, fall below `ratio × 2^63` (the comparison the Go and Java SDKs
/// make), so every service of a trace decides alike.
fn ratio_sampled(trace_id: &[u8; 16], ratio: f64) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 || ratio.is_nan() {
        return false;
    }
    let mut low = [0u8; 8];
    low.copy_from_slice(&trace_id[8..]);
    let x = u64::from_be_bytes(low) >> 1;
    // `ratio < 1` here, so the bound is below 2^63 and fits.
    let bound = (ratio * (1u64 << 63) as f64) as u64;
    x < bound
}

/// Where and how the demo exports spans.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportConfig {
    /// The full URL export requests are POSTed to, e.g. `http://127.0.0.1:4318/v1/traces`.
    pub endpoint: Uri,
    /// The request encoding.
    pub protocol: Protocol,
    /// Extra request headers (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`).
    pub headers: Vec<(String, String)>,
    /// Time limit of one export request (`OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`).
    pub timeout: Duration,
    /// The `service.name` resource attribute.
    pub service_name: String,
    /// Further resource attributes (`OTEL_RESOURCE_ATTRIBUTES`), in their order, without
    /// `service.name`.
    pub resource_attributes: Vec<(String, String)>,
    /// Which requests are traced.
    pub sampler: Sampler,
    /// How often queued spans are exported (`OTEL_BSP_SCHEDULE_DELAY`).
    pub schedule_delay: Duration,
    /// Spans queued at most; more are dropped and counted (`OTEL_BSP_MAX_QUEUE_SIZE`).
    pub max_queue_size: usize,
    /// Spans per export request at most; a full batch is exported at once
    /// (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    pub max_export_batch_size: usize,
}

impl ExportConfig {
    /// Exports to `endpoint` (a full URL) with every other setting at its default: protobuf,
    /// service `perfhive-demo`, `parentbased_always_on`.
    pub fn new(endpoint: Uri) -> Self {
        Self {
            endpoint,
            protocol: Protocol::HttpProtobuf,
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            service_name: DEFAULT_SERVICE_NAME.to_string(),
            resource_attributes: Vec::new(),
            sampler: Sampler::default(),
            schedule_delay: DEFAULT_SCHEDULE_DELAY,
            max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
            max_export_batch_size: DEFAULT_MAX_EXPORT_BATCH_SIZE,
        }
    }

    /// The configuration the process environment asks for, or `None` when tracing is off (no
    /// endpoint variable, `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`, or an
    /// unusable endpoint). Warnings about ignored values go to stderr, one line each.
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
        // An empty value is the same as an unset variable.
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut warnings = Vec::new();

        if let Some(v) = var("OTEL_SDK_DISABLED") {
            if v.trim().eq_ignore_ascii_case("true") {
                return (None, warnings);
            }
            if !v.trim().eq_ignore_ascii_case("false") {
                warnings.push(format!(
                    "OTEL_SDK_DISABLED={v:?} is not a boolean; treating it as false"
                ));
            }
        }
        if let Some(v) = var("OTEL_TRACES_EXPORTER") {
            let names: Vec<String> = v
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            if names.iter().all(|n| n == "none") {
                return (None, warnings);
            }
            if !names.iter().any(|n| n == "otlp") {
                warnings.push(format!(
                    "OTEL_TRACES_EXPORTER={v:?}: only otlp (and none) are supported; using otlp"
                ));
            }
        }

        let endpoint = match (
            var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            var("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ) {
            (Some(url), _) => (url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            (None, Some(base)) => (traces_url(&base), "OTEL_EXPORTER_OTLP_ENDPOINT"),
            (None, None) => return (None, warnings),
        };
        let endpoint = match check_endpoint(&endpoint.0) {
            Ok(uri) => uri,
            Err(why) => {
                warnings.push(format!("{}: {why}; spans are not exported", endpoint.1));
                return (None, warnings);
            }
        };
        let mut config = Self::new(endpoint);

        let protocol_var = if var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").is_some() {
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        } else {
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        };
        if let Some(p) = var(protocol_var) {
            config.protocol = match p.trim().to_ascii_lowercase().as_str() {
                "http/protobuf" => Protocol::HttpProtobuf,
                "http/json" => Protocol::HttpJson,
                "grpc" => {
                    warnings.push(format!(
                        "{protocol_var}=grpc is not supported by the demo's exporter; using http/protobuf"
                    ));
                    Protocol::HttpProtobuf
                }
                _ => {
                    warnings.push(format!(
                        "{protocol_var}={p:?} is not supported; using http/protobuf"
                    ));
                    Protocol::HttpProtobuf
                }
            };
        }

        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        ] {
            if let Some(v) = var(name) {
                match parse_key_values(&v) {
                    Ok(pairs) => {
                        for (k, v) in pairs {
                            // Signal-specific headers override general ones of the same name.
                            config
                                .headers
                                .retain(|(old, _)| !old.eq_ignore_ascii_case(&k));
                            if http::HeaderName::try_from(k.as_str()).is_ok()
                                && http::HeaderValue::try_from(v.as_str()).is_ok()
                            {
                                config.headers.push((k, v));
                            } else {
                                warnings
                                    .push(format!("{name}: header {k:?} is not valid; ignored"));
                            }
                        }
                    }
                    Err(why) => warnings.push(format!("{name}: {why}; ignored")),
                }
            }
        }

        let millis = |name: &str, warnings: &mut Vec<String>| -> Option<u64> {
            let v = var(name)?;
            match v.trim().parse::<u64>() {
                Ok(ms) => Some(ms),
                Err(_) => {
                    warnings.push(format!(
                        "{name}={v:?} is not a number of milliseconds; ignored"
                    ));
                    None
                }
            }
        };
        let count = |name: &str, warnings: &mut Vec<String>| -> Option<usize> {
            let v = var(name)?;
            match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    warnings.push(format!("{name}={v:?} is not a positive integer; ignored"));
                    None
                }
            }
        };
        let timeout = millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", &mut warnings)
            .or_else(|| millis("OTEL_EXPORTER_OTLP_TIMEOUT", &mut warnings));
        if let Some(ms) = timeout.filter(|&ms| ms > 0) {
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = millis("OTEL_BSP_SCHEDULE_DELAY", &mut warnings) {
            config.schedule_delay = Duration::from_millis(ms.max(1));
        }
        if let Some(n) = count("OTEL_BSP_MAX_QUEUE_SIZE", &mut warnings) {
            config.max_queue_size = n;
        }
        if let Some(n) = count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &mut warnings) {
            // The specification: the batch size must not exceed the queue size.
            config.max_export_batch_size = n.min(config.max_queue_size);
        }

        if let Some(v) = var("OTEL_RESOURCE_ATTRIBUTES") {
            match parse_key_values(&v) {
                Ok(pairs) => {
                    for (k, v) in pairs {
                        if k == "service.name" {
                            config.service_name = v;
                        } else {
                            config.resource_attributes.retain(|(old, _)| *old != k);
                            config.resource_attributes.push((k, v));
                        }
                    }
                }
                Err(why) => warnings.push(format!("OTEL_RESOURCE_ATTRIBUTES: {why}; ignored")),
            }
        }
        if let Some(name) = var("OTEL_SERVICE_NAME") {
            config.service_name = name.trim().to_string();
        }

        if let Some(name) = var("OTEL_TRACES_SAMPLER") {
            let arg = var("OTEL_TRACES_SAMPLER_ARG");
            config.sampler = Sampler::parse(&name, arg.as_deref(), &mut warnings);
        }

        (Some(config), warnings)
    }
}

/// Prints one warning line to stderr.
///
/// The demo runs as `perfhive __demo`, whose stderr is the investigation's; a misconfigured
/// variable must be visible there, and there is no other channel at start-up.
#[allow(clippy::print_stderr)]
pub(crate) fn warn(message: &str) {
    eprintln!("perfhive-demo: warning: {message}");
}

/// The traces URL for a base `OTEL_EXPORTER_OTLP_ENDPOINT`: `v1/traces` appended to its path.
fn traces_url(base: &str) -> String {
    let base = base.trim();
    // Only the path is extended; a query or fragment (which the specification lets exporters
    // ignore) is dropped.
    let base = base.split(['?', '#']).next().unwrap_or(base);
    if base.ends_with('/') {
        format!("{base}v1/traces")
    } else {
        format!("{base}/v1/traces")
    }
}

/// Parses and checks an endpoint URL: `http` with a host.
fn check_endpoint(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "{url:?}: https is not supported by the demo's exporter (no TLS client)"
            ))
        }
        _ => return Err(format!("{url:?} is not an http:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(uri)
}

/// Parses `key1=value1,key2=value2` with percent-encoded values (W3C Baggage octets), as
/// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS` use. Any malformed entry fails
/// the whole list.
pub(crate) fn parse_key_values(list: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for entry in list.split(',') {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = entry.split_once('=') else {
            return Err(format!("entry {entry:?} is not key=value"));
        };
        let key = k.trim();
        if key.is_empty() {
            return Err(format!("entry {entry:?} has an empty key"));
        }
        let value = percent_decode(v.trim())
            .ok_or_else(|| format!("the value of {key:?} is not valid percent-encoded UTF-8"))?;
        out.push((key.to_string(), value));
    }
    Ok(out)
}

/// Decodes `%XX` escapes; `None` for a truncated or non-hex escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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

    fn config(vars: &[(&str, &str)]) -> ExportConfig {
        lookup(vars).0.expect("a config")
    }

    const BASE: (&str, &str) = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");

    #[test]
    fn no_endpoint_means_no_exporter() {
        assert_eq!(lookup(&[]), (None, vec![]));
        assert_eq!(lookup(&[("OTEL_SERVICE_NAME", "x")]).0, None);
        // Empty is the same as unset.
        assert_eq!(lookup(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]).0, None);
    }

    #[test]
    fn endpoints_base_and_signal_specific() {
        let c = config(&[BASE]);
        assert_eq!(c.endpoint, "http://127.0.0.1:4318/v1/traces");
        assert_eq!(c.protocol, Protocol::HttpProtobuf);
        assert_eq!(c.service_name, "perfhive-demo");
        assert_eq!(c.sampler, Sampler::ParentBasedAlwaysOn);
        let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otel/")]);
        assert_eq!(c.endpoint, "http://collector:4318/otel/v1/traces");
        let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otel")]);
        assert_eq!(c.endpoint, "http://collector:4318/otel/v1/traces");
        // The signal-specific URL is used as is and wins.
        let c = config(&[
            BASE,
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://127.0.0.1:9/custom",
            ),
        ]);
        assert_eq!(c.endpoint, "http://127.0.0.1:9/custom");
    }

    #[test]
    fn unusable_endpoints_disable_with_a_warning() {
        for url in [
            "https://127.0.0.1:4318",
            "ftp://x/",
            "not a url",
            "/v1/traces",
        ] {
            let (c, w) = lookup(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)]);
            assert_eq!(c, None, "{url}");
            assert_eq!(w.len(), 1, "{url}: {w:?}");
        }
    }

    #[test]
    fn disabled_sdk_and_none_exporter() {
        assert_eq!(lookup(&[BASE, ("OTEL_SDK_DISABLED", "TRUE")]).0, None);
        let (c, w) = lookup(&[BASE, ("OTEL_SDK_DISABLED", "false")]);
        assert!(c.is_some() && w.is_empty());
        let (c, w) = lookup(&[BASE, ("OTEL_SDK_DISABLED", "yes")]);
        assert!(c.is_some(), "only `true` disables");
        assert_eq!(w.len(), 1);
        assert_eq!(lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "none")]).0, None);
        let (c, w) = lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "otlp")]);
        assert!(c.is_some() && w.is_empty());
        let (c, w) = lookup(&[BASE, ("OTEL_TRACES_EXPORTER", "zipkin")]);
        assert!(c.is_some());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn protocols() {
        let p = |v| config(&[BASE, ("OTEL_EXPORTER_OTLP_PROTOCOL", v)]).protocol;
        assert_eq!(p("http/json"), Protocol::HttpJson);
        assert_eq!(p("http/protobuf"), Protocol::HttpProtobuf);
        let (c, w) = lookup(&[BASE, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(c.expect("config").protocol, Protocol::HttpProtobuf);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("grpc"), "{w:?}");
        let c = config(&[
            BASE,
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
        ]);
        assert_eq!(c.protocol, Protocol::HttpJson);
    }

    #[test]
    fn samplers_and_their_arguments() {
        let s = |name: &str, arg: Option<&str>| {
            let mut vars = vec![BASE, ("OTEL_TRACES_SAMPLER", name)];
            if let Some(a) = arg {
                vars.push(("OTEL_TRACES_SAMPLER_ARG", a));
            }
            lookup(&vars)
        };
        assert_eq!(
            s("always_on", None).0.expect("c").sampler,
            Sampler::AlwaysOn
        );
        assert_eq!(
            s("always_off", None).0.expect("c").sampler,
            Sampler::AlwaysOff
        );
        assert_eq!(
            s("traceidratio", Some("0.25")).0.expect("c").sampler,
            Sampler::TraceIdRatio(0.25)
        );
        assert_eq!(
            s("traceidratio", None).0.expect("c").sampler,
            Sampler::TraceIdRatio(1.0)
        );
        assert_eq!(
            s("parentbased_traceidratio", Some("0"))
                .0
                .expect("c")
                .sampler,
            Sampler::ParentBasedTraceIdRatio(0.0)
        );
        assert_eq!(
            s("parentbased_always_off", None).0.expect("c").sampler,
            Sampler::ParentBasedAlwaysOff
        );
        // A bad argument: warning, and the specification's default of 1.0.
        for bad in ["abc", "1.5", "-0.1", "NaN"] {
            let (c, w) = s("traceidratio", Some(bad));
            assert_eq!(c.expect("c").sampler, Sampler::TraceIdRatio(1.0), "{bad}");
            assert_eq!(w.len(), 1, "{bad}: {w:?}");
        }
        // An unknown sampler: warning, and the default sampler.
        let (c, w) = s("jaeger_remote", None);
        assert_eq!(c.expect("c").sampler, Sampler::ParentBasedAlwaysOn);
        assert_eq!(w.len(), 1);
        // The argument of a sampler that takes none is ignored silently.
        let (_, w) = s("always_on", Some("abc"));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn sampling_decisions() {
        let low = [0u8; 16];
        let mut high = [0xffu8; 16];
        high[0] = 1;
        let mut mid = [0u8; 16];
        mid[8] = 0x40; // 0.25 of the 63-bit range after the shift
        assert!(Sampler::AlwaysOn.should_sample(&high, Some(false)));
        assert!(!Sampler::AlwaysOff.should_sample(&low, Some(true)));
        assert!(Sampler::ParentBasedAlwaysOff.should_sample(&high, Some(true)));
        assert!(!Sampler::ParentBasedAlwaysOn.should_sample(&high, Some(false)));
        assert!(Sampler::ParentBasedAlwaysOn.should_sample(&high, None));
        assert!(!Sampler::ParentBasedAlwaysOff.should_sample(&high, None));
        assert!(!Sampler::TraceIdRatio(0.0).should_sample(&low, None));
        assert!(Sampler::TraceIdRatio(1.0).should_sample(&high, None));
        assert!(Sampler::TraceIdRatio(0.5).should_sample(&mid, None));
        assert!(!Sampler::TraceIdRatio(0.1).should_sample(&mid, None));
        assert!(!Sampler::TraceIdRatio(0.5).should_sample(&high, None));
        assert!(Sampler::ParentBasedTraceIdRatio(0.0).should_sample(&low, Some(true)));
        assert!(!Sampler::ParentBasedTraceIdRatio(0.0).should_sample(&low, None));
    }

    #[test]
    fn resource_attributes_and_service_name() {
        let c = config(&[
            BASE,
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=lab, service.name=from-attrs,team=perf%20lab",
            ),
        ]);
        assert_eq!(c.service_name, "from-attrs");
        assert_eq!(
            c.resource_attributes,
            vec![
                ("deployment.environment.name".to_string(), "lab".to_string()),
                ("team".to_string(), "perf lab".to_string()),
            ]
        );
        let c = config(&[
            BASE,
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"),
            ("OTEL_SERVICE_NAME", "checkout"),
        ]);
        assert_eq!(c.service_name, "checkout");
        // One malformed entry discards the whole variable.
        let (c, w) = lookup(&[BASE, ("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken,b=%zz")]);
        assert!(c.expect("c").resource_attributes.is_empty());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn headers_timeouts_and_batching() {
        let c = config(&[
            BASE,
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20x,x-a=1",
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-A=2"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "1000"),
        ]);
        assert_eq!(
            c.headers,
            vec![
                ("authorization".to_string(), "Bearer x".to_string()),
                ("X-A".to_string(), "2".to_string()),
            ]
        );
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.schedule_delay, Duration::from_millis(50));
        assert_eq!((c.max_queue_size, c.max_export_batch_size), (100, 100));
        let (c, w) = lookup(&[
            BASE,
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
        ]);
        let c = c.expect("c");
        assert_eq!(c.max_queue_size, DEFAULT_MAX_QUEUE_SIZE);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Cb%3D%C3%A9").as_deref(), Some("a,b=é"));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%g0"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
