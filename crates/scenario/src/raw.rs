//! The scenario document as written: serde structs that reject unknown keys and wrong types,
//! so serde's YAML errors name the line and column. Validation into [`crate::Scenario`] follows.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub scenario: String,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub cache_state: Option<String>,
    pub target: RawTarget,
    #[serde(default)]
    pub model: Option<RawModel>,
    #[serde(default)]
    pub traffic_profile: Option<RawProfile>,
    #[serde(default)]
    pub dependencies: Vec<RawDependency>,
    #[serde(default)]
    pub metrics_to_capture: Vec<String>,
    #[serde(default)]
    pub success_criteria: Vec<String>,
    #[serde(default)]
    pub rollback_triggers: Vec<String>,
    #[serde(default)]
    pub observe: Vec<RawObserve>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawModel {
    Open,
    Closed,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawHttp {
    Auto,
    #[serde(alias = "http1", alias = "http/1.1", alias = "h1")]
    Http1,
    #[serde(alias = "http2", alias = "h2", alias = "h2c")]
    Http2,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub url: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_file: Option<String>,
    #[serde(default)]
    pub requests: Vec<RawRequest>,
    #[serde(default)]
    pub http: Option<RawHttp>,
    #[serde(default)]
    pub timeout_seconds: Option<f64>,
    #[serde(default)]
    pub timeout_ms: Option<f64>,
    #[serde(default)]
    pub max_in_flight: Option<usize>,
    #[serde(default)]
    pub connections: Option<usize>,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub ok_status: Option<Vec<u16>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRequest {
    pub name: String,
    #[serde(default)]
    pub weight: Option<u32>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_file: Option<String>,
}

/// One number or a list of numbers.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(f64),
    Many(Vec<f64>),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub warmup_minutes: Option<f64>,
    pub warmup_seconds: Option<f64>,
    pub ramp_minutes: Option<f64>,
    pub ramp_seconds: Option<f64>,
    pub steady_minutes: Option<f64>,
    pub steady_seconds: Option<f64>,
    pub cooldown_minutes: Option<f64>,
    pub cooldown_seconds: Option<f64>,
    pub arrival_rate_rps: Option<OneOrMany>,
    pub warmup_rate_rps: Option<f64>,
    pub spike_after_minutes: Option<f64>,
    pub spike_after_seconds: Option<f64>,
    pub spike_multiplier: Option<f64>,
    pub spike_seconds: Option<f64>,
    pub spike_minutes: Option<f64>,
    // closed model
    pub stages: Option<Vec<RawStage>>,
    pub start_users: Option<u32>,
    pub warmup_users: Option<u32>,
    pub rate_cap_rps: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    #[serde(default)]
    pub duration_minutes: Option<f64>,
    pub target: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDependency {
    pub name: String,
    #[serde(default)]
    pub latency_budget_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObserve {
    pub name: String,
    #[serde(default)]
    pub pid: Option<i32>,
    #[serde(default)]
    pub pid_file: Option<String>,
    #[serde(default)]
    pub process: Option<String>,
}
