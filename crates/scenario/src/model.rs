//! The validated scenario: what to send ([`Target`], [`RequestSpec`]), how much and when (the
//! [`crate::Profile`]), what counts as success ([`Criterion`]s, dependency budgets) and when to
//! stop early ([`Trigger`]s). Everything here has passed [`crate::limits`].

use crate::profile::Profile;
use perfhive_core::{Criterion, Trigger};
use std::path::PathBuf;
use std::time::Duration;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of requests in flight at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;

/// Names accepted in `metrics_to_capture`, and what perfhive records for each.
pub const CAPTURABLE_METRICS: &[(&str, &str)] = &[
    (
        "http_latency_histogram",
        "corrected and uncorrected HDR histograms per phase and request",
    ),
    (
        "error_rate_breakdown",
        "failures by class and responses by status code",
    ),
    (
        "cpu_mem_usage",
        "CPU and RSS of the `observe:` processes, and of the generator",
    ),
    (
        "timing_breakdown",
        "connect, TLS and time-to-first-byte histograms",
    ),
    (
        "queue_depth",
        "requests in flight per second (client-side queue)",
    ),
    (
        "cache_hit_ratio",
        "not measurable from the client alone: needs target metrics",
    ),
];

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `scenario:` name.
    pub name: String,
    /// Environment label.
    pub environment: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Free text carried to the record.
    pub notes: Option<String>,
    /// Cache state label (warm, cold).
    pub cache_state: Option<String>,
    /// What to send.
    pub target: Target,
    /// How much, when.
    pub profile: Profile,
    /// Downstream dependencies and their latency budgets.
    pub dependencies: Vec<Dependency>,
    /// `metrics_to_capture` as written.
    pub metrics_to_capture: Vec<String>,
    /// Success criteria, evaluated over the measured phases.
    pub criteria: Vec<Criterion>,
    /// Rollback triggers, evaluated each second on sliding windows.
    pub triggers: Vec<Trigger>,
    /// Processes to sample from /proc.
    pub observe: Vec<Observe>,
}

/// HTTP protocol choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 when TLS ALPN offers it, HTTP/1.1 otherwise.
    Auto,
    /// HTTP/1.1 with keep-alive.
    Http1,
    /// HTTP/2 (prior knowledge over cleartext, ALPN over TLS).
    Http2,
}

/// The request side.
#[derive(Clone, Debug)]
pub struct Target {
    /// The base URL as written (`http://…`, `https://…` or `builtin:testbed/…`).
    pub url: String,
    /// Protocol.
    pub http: HttpVersion,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Most requests in flight at once.
    pub max_in_flight: usize,
    /// HTTP/2 connections (HTTP/1.1 opens one per request in flight).
    pub connections: Option<usize>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Status codes counted as success (default: below 400).
    pub ok_status: Option<Vec<u16>>,
    /// The weighted request mix (one entry for a single-request target).
    pub requests: Vec<RequestSpec>,
}

/// One request of the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSpec {
    /// Name for per-request results.
    pub name: String,
    /// Relative weight.
    pub weight: u32,
    /// HTTP method.
    pub method: String,
    /// Absolute URL (`http(s)://…` or `builtin:name/path`).
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

/// A dependency with a latency budget (checked from trace spans when traces are received).
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    /// Name as it appears in spans.
    pub name: String,
    /// Budget in milliseconds (finite, above zero).
    pub latency_budget_ms: Option<f64>,
}

/// How to find an observed process.
#[derive(Clone, Debug, PartialEq)]
pub enum ObserveBy {
    /// A pid.
    Pid(i32),
    /// A file holding a pid.
    PidFile(PathBuf),
    /// A process name.
    Process(String),
}

/// A process to sample during the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Observe {
    /// The name used in metrics (`<name>_cpu_pct`).
    pub name: String,
    /// How to find it.
    pub by: ObserveBy,
}

impl Scenario {
    /// The built-in target named by the URLs (`builtin:testbed/...`), if any.
    pub fn builtin_target(&self) -> Option<&str> {
        std::iter::once(&self.target.url)
            .chain(self.target.requests.iter().map(|r| &r.url))
            .find_map(|u| u.strip_prefix("builtin:"))
            .map(|rest| rest.split('/').next().unwrap_or(rest))
    }

    /// Replaces `builtin:NAME` with `base` (for example `http://127.0.0.1:41234`) in every URL.
    pub fn resolve_builtin(&mut self, name: &str, base: &str) {
        let prefix = format!("builtin:{name}");
        let fix = |u: &mut String| {
            if let Some(rest) = u.strip_prefix(&prefix) {
                *u = format!("{base}{}", if rest.is_empty() { "/" } else { rest });
            }
        };
        fix(&mut self.target.url);
        for r in &mut self.target.requests {
            fix(&mut r.url);
        }
    }

    /// The dependencies that have a latency budget, as `(name, budget ms)`.
    pub fn budgets(&self) -> Vec<(String, f64)> {
        self.dependencies
            .iter()
            .filter_map(|d| Some((d.name.clone(), d.latency_budget_ms?)))
            .collect()
    }

    /// Makes each dependency budget a criterion too (`payments_p95_ms <= 150`), unless the
    /// scenario states one for the same metric: with traces, a dependency over budget fails the
    /// run. A dependency whose name is not a metric name (`payments.v2`) keeps its budget check
    /// in the trace summary only.
    pub fn add_budget_criteria(&mut self) {
        for (name, budget) in self.budgets() {
            let Ok(c) = Criterion::parse(&format!("{name}_p95_ms <= {budget}")) else {
                continue;
            };
            if !self.criteria.iter().any(|x| x.metric == c.metric) {
                self.criteria.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn budgets_become_criteria_once() {
        let mut s = Scenario::from_str_at(crate::tests::PLAYBOOK, Path::new("s.yaml")).unwrap();
        let before = s.criteria.len();
        s.add_budget_criteria();
        let added: Vec<&str> = s.criteria[before..]
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(added, ["payments_p95_ms <= 150", "inventory_p95_ms <= 200"]);
        s.add_budget_criteria();
        assert_eq!(s.criteria.len(), before + 2, "no duplicates");
        assert_eq!(s.budgets()[1], ("inventory".to_string(), 200.0));
    }
}
