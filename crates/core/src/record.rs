//! The result record: one JSON document per run, a superset of the team playbook's template
//! (`service`, `environment`, `scenario`, `date`, `workload`, `metrics`, `comparison`, `notes`),
//! versioned by `schema_version` and described by the checked-in JSON Schema
//! `schema/result-record.schema.json`. The schema evolves by adding optional fields.

use crate::hist::LatencySummary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the record format written by this build.
pub const SCHEMA_VERSION: &str = "1.0.0";

/// One run's result.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RunRecord {
    /// Record format version (semver).
    pub schema_version: String,
    /// What produced it: `load` for `perfhive run`.
    pub kind: RecordKind,
    /// The tool and version that wrote the record.
    pub tool: ToolInfo,
    /// The service under test, when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The environment label (staging, local, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Scenario name.
    pub scenario: String,
    /// Start of the run, RFC 3339 UTC.
    pub date: String,
    /// Wall-clock length of the run in seconds.
    pub duration_s: f64,
    /// `passed`, `failed` (a criterion failed), `aborted` (a rollback trigger fired) or
    /// `interrupted` (stopped by the user).
    pub status: RunStatus,
    /// What was sent to the target.
    pub target: TargetInfo,
    /// The offered load.
    pub workload: Workload,
    /// Totals over the measured phases (warm-up excluded).
    pub metrics: Metrics,
    /// Per phase (warm-up, ramp, steady steps, spike, cool-down, or closed-model stages).
    pub phases: Vec<PhaseResult>,
    /// Per named request (measured phases only).
    pub requests: Vec<RequestResult>,
    /// One point per second of the run.
    pub timeseries: Vec<TimePoint>,
    /// Processes observed from /proc during the run.
    #[serde(default)]
    pub observed: Vec<ObservedProcess>,
    /// Success criteria and their outcome.
    #[serde(default)]
    pub criteria: Vec<CriterionResult>,
    /// Set when the run stopped early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort: Option<AbortInfo>,
    /// The load generator's check of itself.
    pub generator: GeneratorReport,
    /// Full histograms of the measured phases, for merging and re-analysis.
    pub histograms: Histograms,
    /// Filled when the run was compared with a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Where it ran: host, CPU, kernel, perfhive version, git commit and branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Environment>,
    /// What the OpenTelemetry traces received during the run say (`perfhive run --traces`):
    /// phases, dependency latency and budgets, N+1 patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces: Option<crate::trace::TraceSummary>,
}

/// The environment fingerprint stored with every run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Environment {
    /// Host name.
    pub host: String,
    /// Operating system and kernel release.
    pub kernel: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Logical CPUs.
    pub cores: usize,
    /// Total memory, MiB.
    pub memory_mb: u64,
    /// perfhive version.
    pub perfhive_version: String,
    /// Git commit of the working directory, when it is a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// Git branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// Uncommitted changes in the working tree.
    #[serde(default)]
    pub git_dirty: bool,
}

/// What produced a record: every record's `kind` field and the history's `kind` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A load test (`perfhive run`).
    Load,
    /// A command benchmark (`perfhive bench`).
    Bench,
    /// Another tool's results (`perfhive import`).
    Import,
    /// An investigation's report (`perfhive investigate`).
    Investigation,
}

impl RecordKind {
    /// Every kind, in the order above.
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Load,
        RecordKind::Bench,
        RecordKind::Import,
        RecordKind::Investigation,
    ];

    /// The name in records and in the history: `load`, `bench`, `import`, `investigation`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Load => "load",
            RecordKind::Bench => "bench",
            RecordKind::Import => "import",
            RecordKind::Investigation => "investigation",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`RecordKind`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown record kind `{0}` (expected load, bench, import or investigation)")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for RecordKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

impl RunStatus {
    /// The name in records and in the history: `passed`, `failed`, `aborted`, `interrupted`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Aborted => "aborted",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// Outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Completed, every criterion passed (or none were given).
    Passed,
    /// Completed, at least one criterion failed.
    Failed,
    /// Stopped by a rollback trigger.
    Aborted,
    /// Stopped by the user (Ctrl-C); what was measured is kept.
    Interrupted,
}

/// Name and version of the producing tool.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ToolInfo {
    /// `perfhive`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// The request side of the run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TargetInfo {
    /// Base URL (a `builtin:` target shows the address it was served on).
    pub url: String,
    /// `http/1.1` or `h2`.
    pub http_version: String,
    /// Names of the requests in the mix, with their weights.
    pub requests: Vec<RequestMix>,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: f64,
}

/// One request of the weighted mix.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RequestMix {
    /// Request name.
    pub name: String,
    /// `METHOD url`.
    pub request: String,
    /// Relative weight.
    pub weight: u32,
}

/// The offered load (the playbook's `workload`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Workload {
    /// `open` (arrival rate) or `closed` (concurrent users).
    pub model: String,
    /// Mean target arrival rate over the measured phases (open model, or closed with a cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// Peak target arrival rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rps: Option<f64>,
    /// Highest number of requests in flight (open) or of virtual users (closed).
    pub concurrency: u64,
    /// What was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `warm`, `cold` or as the scenario says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_state: Option<String>,
    /// Planned length of the run in seconds.
    pub planned_duration_s: f64,
}

/// Totals over the measured phases.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct Metrics {
    /// Latency from the intended send time (coordinated-omission corrected), in ms.
    pub latency_ms: Option<LatencySummary>,
    /// Latency from the actual send, in ms.
    pub latency_uncorrected_ms: Option<LatencySummary>,
    /// Time to first response byte from the actual send, in ms.
    pub ttfb_ms: Option<LatencySummary>,
    /// TCP connect time per new connection, in ms.
    pub connect_ms: Option<LatencySummary>,
    /// TLS handshake time per new connection, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<LatencySummary>,
    /// Completed requests (responses and failures) per second.
    pub throughput_rps: f64,
    /// Failed requests as a percentage of completed ones.
    pub error_rate_pct: f64,
    /// Completed requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Scheduled requests never sent before the run ended.
    pub dropped_requests: u64,
    /// Request bytes written.
    pub bytes_sent: u64,
    /// Response bytes read (head and body).
    pub bytes_received: u64,
    /// Failures by class: refused, timeout, reset, tls, protocol, http_4xx, http_5xx, other.
    pub errors_by_class: BTreeMap<String, u64>,
    /// Responses by status code.
    pub status_codes: BTreeMap<String, u64>,
    /// Mean CPU of the first observed process, percent of one core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_pct: Option<f64>,
    /// Peak resident memory of the first observed process, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<f64>,
}

/// One phase of the traffic profile.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PhaseResult {
    /// `warmup`, `ramp`, `steady-1`, `spike`, `cooldown`, `stage-1`, …
    pub name: String,
    /// Offset from the start of the run, seconds.
    pub start_s: f64,
    /// Planned length, seconds.
    pub duration_s: f64,
    /// Target rate (open) or users (closed) at the start of the phase.
    pub target_start: f64,
    /// Target rate (open) or users (closed) at the end of the phase.
    pub target_end: f64,
    /// False for warm-up: recorded, excluded from criteria and totals.
    pub measured: bool,
    /// Completed requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Completed requests per second of the phase.
    pub throughput_rps: f64,
    /// Failed percentage.
    pub error_rate_pct: f64,
    /// Corrected latency.
    pub latency_ms: Option<LatencySummary>,
    /// Uncorrected latency.
    pub latency_uncorrected_ms: Option<LatencySummary>,
    /// Corrected latency histogram (HDR V2 deflate, base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
}

/// One named request of the mix, over the measured phases.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RequestResult {
    /// Request name.
    pub name: String,
    /// Completed requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Failed percentage.
    pub error_rate_pct: f64,
    /// Corrected latency.
    pub latency_ms: Option<LatencySummary>,
    /// Uncorrected latency.
    pub latency_uncorrected_ms: Option<LatencySummary>,
    /// Time to first byte.
    pub ttfb_ms: Option<LatencySummary>,
    /// Responses by status code.
    pub status_codes: BTreeMap<String, u64>,
    /// Corrected latency histogram (HDR V2 deflate, base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
}

/// One second of the run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TimePoint {
    /// End of the second, seconds from the start.
    pub t: f64,
    /// The phase in force.
    pub phase: String,
    /// Target rate (open) or users (closed).
    pub target: f64,
    /// Completed requests in this second.
    pub requests: u64,
    /// Failed requests in this second.
    pub errors: u64,
    /// Corrected median latency in this second, ms.
    pub p50_ms: Option<f64>,
    /// Corrected 99th percentile in this second, ms.
    pub p99_ms: Option<f64>,
    /// Requests in flight at the end of the second.
    pub in_flight: u64,
    /// Generator CPU in this second, percent of one core.
    pub generator_cpu_pct: f64,
    /// Observed processes: CPU percent of one core and RSS MiB.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub processes: BTreeMap<String, ProcessPoint>,
}

/// An observed process at one point in time.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProcessPoint {
    /// CPU, percent of one core.
    pub cpu_pct: Option<f64>,
    /// Resident memory, MiB.
    pub rss_mb: f64,
}

/// Summary of one observed process over the measured phases.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ObservedProcess {
    /// The `observe:` name.
    pub name: String,
    /// How it was found (pid, pid file, process name).
    pub selector: String,
    /// Whether any matching process was found.
    pub found: bool,
    /// Most processes matched at once.
    pub pids: usize,
    /// Number of one-second samples.
    pub samples: u64,
    /// Mean CPU, percent of one core.
    pub cpu_pct_mean: Option<f64>,
    /// Highest one-second CPU, percent of one core.
    pub cpu_pct_max: Option<f64>,
    /// Mean RSS, MiB.
    pub rss_mb_mean: Option<f64>,
    /// Peak RSS, MiB.
    pub rss_mb_max: Option<f64>,
}

/// A success criterion and its outcome.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CriterionResult {
    /// As written in the scenario.
    pub expr: String,
    /// The measured value.
    pub value: Option<f64>,
    /// `None` when the metric had no data (for example an observed process never found).
    pub passed: Option<bool>,
    /// Why it could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why and when a run stopped early.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct AbortInfo {
    /// `trigger` or `interrupt`.
    pub reason: String,
    /// The trigger expression that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// The metric's value over the window when it fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Seconds from the start.
    pub at_s: f64,
}

/// The generator's check of itself (was the load generator the bottleneck?).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct GeneratorReport {
    /// Worker threads.
    pub threads: usize,
    /// Mean CPU of the generator, percent of one core.
    pub cpu_pct: f64,
    /// Generator CPU seconds per 1,000 requests.
    pub cpu_ms_per_request: f64,
    /// Actual send minus intended send time, ms (open model, or closed with a rate cap).
    pub send_lag_ms: Option<LatencySummary>,
    /// How late the generator's own timer woke, ms: lag caused by the generator alone.
    pub timer_lag_ms: Option<LatencySummary>,
    /// Requests sent more than 10 ms after their intended time.
    pub late_requests: u64,
    /// Scheduled requests never sent.
    pub dropped_requests: u64,
    /// Most requests in flight at once.
    pub max_in_flight: u64,
    /// The configured in-flight limit.
    pub in_flight_limit: u64,
    /// TCP connections opened.
    pub connections_opened: u64,
    /// Peak resident memory of perfhive, MiB.
    pub peak_rss_mb: f64,
    /// True when the generator, not the target, limited the run.
    pub bottleneck: bool,
    /// False when the results should not be trusted (generator-limited).
    pub valid: bool,
    /// Human-readable warnings.
    pub warnings: Vec<String>,
}

/// Serialised histograms of the measured phases.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct Histograms {
    /// `hdr-v2-deflate-base64`.
    pub encoding: String,
    /// `us` (microseconds).
    pub unit: String,
    /// Corrected latency.
    pub latency: Option<String>,
    /// Uncorrected latency.
    pub latency_uncorrected: Option<String>,
    /// Time to first byte.
    pub ttfb: Option<String>,
    /// Connect time.
    pub connect: Option<String>,
    /// Generator send lag.
    pub send_lag: Option<String>,
}

/// Comparison with a baseline run (filled by `--baseline`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// Date of the baseline run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_date: Option<String>,
    /// Change of p95 latency, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_delta_pct: Option<f64>,
    /// Change of throughput, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_delta_pct: Option<f64>,
    /// Change of cost, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_delta_pct: Option<f64>,
    /// Further deltas.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The JSON Schema of [`RunRecord`] (draft 2020-12), as checked in at
/// `schema/result-record.schema.json`.
pub fn json_schema() -> serde_json::Value {
    titled(
        schemars::schema_for!(RunRecord),
        "result-record",
        "perfhive result record (load run)",
    )
}

/// The JSON Schema of [`crate::bench::BenchRecord`], as checked in at
/// `schema/bench-record.schema.json`.
pub fn bench_json_schema() -> serde_json::Value {
    titled(
        schemars::schema_for!(crate::bench::BenchRecord),
        "bench-record",
        "perfhive bench record",
    )
}

pub(crate) fn titled(schema: schemars::Schema, file: &str, title: &str) -> serde_json::Value {
    let mut schema = serde_json::to_value(schema).expect("schema serialises");
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            format!("https://perfhive.dev/schema/{file}.schema.json").into(),
        );
        obj.insert("title".into(), title.into());
    }
    schema
}

#[cfg(test)]
mod tests {
    /// The checked-in schemas match the record types. Regenerate with
    /// `UPDATE_SCHEMA=1 cargo test -p perfhive-core schema`.
    #[test]
    fn checked_in_schemas_are_current() {
        let schemas = [
            ("result-record", super::json_schema()),
            ("bench-record", super::bench_json_schema()),
            ("import-record", crate::import::json_schema()),
        ];
        for (file, schema) in schemas {
            let path = format!(
                "{}/../../schema/{file}.schema.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
            if std::env::var_os("UPDATE_SCHEMA").is_some() {
                std::fs::write(&path, &generated).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                on_disk == generated,
                "schema/{file}.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test -p perfhive-core schema"
            );
        }
    }
}
