//! Investigation plans: a YAML document naming the target, the baseline workload, the budget
//! and which investigators run with which options. Errors are reported as file:line:column
//! with the source line, like scenarios.
//!
//! ```yaml
//! name: ingest-service
//! target:
//!   url: http://127.0.0.1:8080
//!   process: ingestd            # or pid: 1234, or pid_file: /run/ingestd.pid (for `resources`)
//!   start: ./ingestd --port 8080   # optional: perfhive starts it and stops it at the end
//! budget_seconds: 120
//! load:                         # the baseline; `scenario: file.yaml` uses a perfhive run scenario
//!   users: 4                    # closed model (or rate_rps: 100 for an open model)
//!   duration_seconds: 10
//!   requests:
//!     - { name: ingest, path: /ingest, method: POST, body: '[{"sensor":"a","value":1}]', weight: 4 }
//!     - { name: items, path: /items?limit=10 }
//! investigators:
//!   load: { timing_samples: 20 }
//!   resources: { hz: 50 }
//!   profile: { hz: 99 }         # perf record on the target's process
//!   traces: { budgets: { payments: 150 } }   # OTLP receiver; OTEL_* set on a started target
//!   code: { path: ./src }       # perfhive scan's rules over the source
//!   database: { dsn: "postgresql://app@127.0.0.1/shop" }   # or an SQLite file, relative to the plan
//!   sweep:
//!     request: ingest           # a request name of the baseline (default: the first)
//!     concurrency: [1, 2, 4, 8]
//!     level_seconds: 3
//!     parameter: { name: batch_size, values: ["1", "10", "50"], concurrency: 2, subject: database }
//! ```

mod check;

pub use check::limits;
use perfhive_scenario::{parse_yaml, ScenarioError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A parsed plan.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Investigation name.
    pub name: String,
    /// The target.
    pub target: PlanTarget,
    /// Total time budget, s.
    #[serde(default = "default_budget")]
    pub budget_seconds: f64,
    /// The baseline workload.
    pub load: PlanLoad,
    /// Investigators and their options.
    #[serde(default)]
    pub investigators: PlanInvestigators,
    /// Success criteria evaluated on the baseline (`p95_latency_ms <= 250`); a failed one makes
    /// `perfhive investigate` exit 1.
    #[serde(default)]
    pub success_criteria: Vec<String>,
}

fn default_budget() -> f64 {
    120.0
}

/// The target.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTarget {
    /// Base URL of an HTTP target.
    #[serde(default)]
    pub url: Option<String>,
    /// Or a command or pipeline to run repeatedly (through `sh -c`).
    #[serde(default)]
    pub command: Option<String>,
    /// Pid to observe.
    #[serde(default)]
    pub pid: Option<i32>,
    /// Process name to observe.
    #[serde(default)]
    pub process: Option<String>,
    /// Pid file to observe.
    #[serde(default)]
    pub pid_file: Option<String>,
    /// A shell command that starts the target: perfhive starts it, observes it (unless a pid,
    /// process or pid file is given), waits until the URL accepts connections, and stops it at
    /// the end.
    #[serde(default)]
    pub start: Option<String>,
    /// How long to wait for a started target to accept connections, s (default 30).
    #[serde(default)]
    pub ready_timeout_seconds: Option<f64>,
}

/// The baseline workload.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanLoad {
    /// A perfhive run scenario file (relative to the plan), instead of the keys below.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Closed model users.
    #[serde(default)]
    pub users: Option<u32>,
    /// Open model rate.
    #[serde(default)]
    pub rate_rps: Option<f64>,
    /// Length, s.
    #[serde(default)]
    pub duration_seconds: Option<f64>,
    /// Command targets: measured runs (default 20).
    #[serde(default)]
    pub runs: Option<usize>,
    /// Command targets: warm-up runs (default 2).
    #[serde(default)]
    pub warmup: Option<usize>,
    /// The request mix.
    #[serde(default)]
    pub requests: Vec<PlanRequest>,
}

/// One request of the baseline.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Name.
    pub name: String,
    /// Path joined to the target URL.
    pub path: String,
    /// Method.
    #[serde(default)]
    pub method: Option<String>,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
    /// Weight.
    #[serde(default)]
    pub weight: Option<u32>,
    /// Headers.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// Which investigators run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInvestigators {
    /// The baseline load test.
    #[serde(default)]
    pub load: Option<LoadOpts>,
    /// /proc sampling of the target.
    #[serde(default)]
    pub resources: Option<ResourcesOpts>,
    /// Active experiments.
    #[serde(default)]
    pub sweep: Option<SweepOpts>,
    /// CPU profile of the target during the baseline (perf).
    #[serde(default)]
    pub profile: Option<ProfileOpts>,
    /// OpenTelemetry traces received during the baseline: phases, N+1, dependency budgets.
    #[serde(default)]
    pub traces: Option<TracesOpts>,
    /// Static anti-pattern scan of the target's source (perfhive scan's rules).
    #[serde(default)]
    pub code: Option<CodeOpts>,
    /// The database audit over the baseline window.
    #[serde(default)]
    pub database: Option<DatabaseOpts>,
}

/// Options of `database`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseOpts {
    /// `postgresql://…` (or libpq's `host=… dbname=…`), or an SQLite file path relative to
    /// the plan. Read-only: perfhive never changes the database.
    pub dsn: String,
    /// The window's costliest statements to plan (default 10), besides every statement the
    /// traces saw.
    #[serde(default)]
    pub top: Option<usize>,
    /// Run SELECTs with EXPLAIN ANALYZE, in a read-only transaction rolled back (default
    /// false).
    #[serde(default)]
    pub analyze: Option<bool>,
    /// The application's connection pool size (the most connections it opens, over all its
    /// processes): connections are judged against it too.
    #[serde(default)]
    pub pool: Option<u32>,
}

/// Options of `code`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeOpts {
    /// The source to scan: a folder or file, relative to the plan.
    pub path: String,
    /// Folders of extra rules (relative to the plan).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Whether the built-in rules run (default true).
    #[serde(default)]
    pub builtin: Option<bool>,
}

/// Options of `traces`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracesOpts {
    /// Where the OTLP/HTTP receiver listens (default 127.0.0.1:4318, or a free port when that
    /// is busy and perfhive starts the target).
    #[serde(default)]
    pub listen: Option<String>,
    /// Sibling database spans with one statement that make an N+1 pattern (default 5).
    #[serde(default)]
    pub n_plus_one: Option<usize>,
    /// Longest wait for the last spans after the baseline, s (default 6).
    #[serde(default)]
    pub wait_seconds: Option<f64>,
    /// Dependency latency budgets on p95, ms (`payments: 150`), besides the `dependencies:` of
    /// the baseline scenario.
    #[serde(default)]
    pub budgets: std::collections::BTreeMap<String, f64>,
}

/// Options of `profile`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileOpts {
    /// Stack samples per second (default 99).
    #[serde(default)]
    pub hz: Option<u32>,
    /// The py-spy binary for CPython services (relative to the plan; default `py-spy` on the
    /// `PATH`).
    #[serde(default)]
    pub py_spy: Option<std::path::PathBuf>,
}

/// Options of `load`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadOpts {
    /// Server-Timing samples per request.
    #[serde(default)]
    pub timing_samples: Option<usize>,
}

/// Options of `resources`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesOpts {
    /// Samples per second (10..=100).
    #[serde(default)]
    pub hz: Option<u32>,
}

/// Options of `sweep`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepOpts {
    /// Request name to sweep (default: the first).
    #[serde(default)]
    pub request: Option<String>,
    /// Concurrency levels (default 1, 2, 4, 8, 16).
    #[serde(default)]
    pub concurrency: Option<Vec<u32>>,
    /// Seconds per level (default 3).
    #[serde(default)]
    pub level_seconds: Option<f64>,
    /// A named parameter to sweep.
    #[serde(default)]
    pub parameter: Option<ParameterOpts>,
}

/// How a swept parameter reaches the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Appended to the request URL as `?name=value` (the default).
    #[default]
    Query,
    /// An environment variable of the target, which is restarted for each value.
    Env,
}

/// What a plan investigates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind<'a> {
    /// An HTTP service at this base URL.
    Http(&'a str),
    /// A command or pipeline run repeatedly.
    Command(&'a str),
}

/// A parameter sweep.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterOpts {
    /// Parameter name.
    pub name: String,
    /// `query` (default: appended to the request URL) or `env` (an environment variable of the
    /// target, restarted per value; needs `target.start`).
    #[serde(default)]
    pub via: Via,
    /// Values; the first is the current setting.
    pub values: Vec<String>,
    /// Users during the sweep (default 2).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// What it is about (default: the name).
    #[serde(default)]
    pub subject: Option<String>,
}

/// The largest plan file read: a scenario's limit (a plan is YAML of the same kind).
pub const MAX_PLAN_BYTES: u64 = perfhive_scenario::limits::MAX_SCENARIO_BYTES;

impl Plan {
    /// Reads and checks a plan file: a regular file or a pipe of at most [`MAX_PLAN_BYTES`]
    /// (devices such as `/dev/zero` are refused, not read).
    pub fn from_file(path: &Path) -> Result<Plan, ScenarioError> {
        let text = perfhive_scenario::read_text_unnamed(path, MAX_PLAN_BYTES, "plan")
            .map_err(|e| ScenarioError::whole(path, e))?;
        Self::from_str_at(&text, path)
    }

    /// Parses and checks plan text; `path` names it in errors, and its folder is where the
    /// plan's relative paths start.
    pub fn from_str_at(text: &str, path: &Path) -> Result<Plan, ScenarioError> {
        let plan: Plan = parse_yaml(text, path)?;
        check::check(&plan, text, path)?;
        Ok(plan)
    }

    /// What the plan investigates (checked: exactly one of `url` and `command`).
    pub fn target_kind(&self) -> TargetKind<'_> {
        match (&self.target.command, &self.target.url) {
            (Some(c), _) => TargetKind::Command(c),
            (None, u) => TargetKind::Http(u.as_deref().unwrap_or_default()),
        }
    }
}

/// The folder a plan's relative paths (`code.path`, `load.scenario`, `pid_file`, the working
/// directory of `target.start`) start from: the plan file's folder, absolute, whatever the
/// plan's path looks like (`plan.yaml`, `./plan.yaml`, `../x/plan.yaml`).
pub fn plan_dir(plan_path: &Path) -> PathBuf {
    let parent = match plan_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_into_the_plan() {
        let p = Path::new("plan.yaml");
        let e = Plan::from_str_at("name: x\ntarget: { url: \"http://127.0.0.1:1\" }\nload: { users: 2, requests: [{name: a, path: /}] }\ninvestigators:\n  lod: {}\n", p).unwrap_err();
        assert_eq!((e.line, e.column), (Some(5), Some(3)), "{e}");
        assert!(e.to_string().contains("unknown field `lod`"), "{e}");
        let e = Plan::from_str_at("name: x\ntarget:\n  url: ftp://x\nload: { users: 2, requests: [{name: a, path: /}] }\ninvestigators: { load: {} }\n", p).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = Plan::from_str_at("name: x\ntarget: { url: \"http://127.0.0.1:1\" }\nload: { users: 2, requests: [{name: a, path: /}] }\ninvestigators:\n  sweep:\n    request: b\n", p).unwrap_err();
        assert!(e.to_string().contains("no request named `b`"), "{e}");
        assert_eq!(e.line, Some(6), "{e}");
        let ok = Plan::from_str_at("name: x\ntarget: { url: \"http://127.0.0.1:1\" }\nload: { users: 2, requests: [{name: a, path: /}] }\ninvestigators: { load: {}, resources: { hz: 20 } }\n", p).unwrap();
        assert_eq!(ok.budget_seconds, 120.0);
    }

    #[test]
    fn endless_and_oversized_plans_are_refused_unread() {
        let e = Plan::from_file(Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.to_string()
                .contains("the plan is a character device, not a file"),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("perfhive-plan-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.yaml");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_PLAN_BYTES + 1).unwrap();
        let e = Plan::from_file(&big).unwrap_err();
        assert!(
            e.to_string().contains("larger than the 16 MiB limit"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
