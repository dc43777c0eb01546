//! The typed data of each investigator: what it measured, behind its findings' evidence
//! pointers, written into report.json (`investigators[i].data`) and as the raw data file
//! `<name>.json`. One struct per investigator, read by field by the integrator and the demo
//! experiment; [`InvestigatorData`] holds one of them and is read back by the investigator's
//! name. The JSON is the one these files have always had: same keys, same values, and the
//! keys in the order of serde_json's map (see [`InvestigatorData`]'s `Serialize`).

use crate::model::{Finding, InvestigatorName, InvestigatorResult, Verdict};
use perfhive_core::bench::{BenchRecord, CommandResult};
use perfhive_core::record::RunRecord;
use perfhive_core::trace::TraceSummary;
use perfhive_probe::{CpuVerdict, HostNoise, ProcessUsage, ThreadUsage, TreeMemory, UseSummary};
use perfhive_scan::ScanReport;
use perfhive_stats::{Trend, UslFit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One phase of where the time goes: Server-Timing phases of the load investigator, or the
/// user CPU / system CPU / waiting split of a command's runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// Phase name.
    pub phase: String,
    /// Percent of the total.
    pub share_pct: f64,
    /// Mean per request (or per run), ms.
    pub mean_ms: f64,
}

/// Mean Server-Timing phase durations (ms) per named request.
pub type ServerTiming = BTreeMap<String, BTreeMap<String, f64>>;

/// The load investigator's data: the baseline's run record and, when requests completed, the
/// Server-Timing means and the breakdown weighted by the request mix.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadData {
    /// The baseline, as `perfhive run` records it.
    pub record: RunRecord,
    /// Mean phase durations per named request; absent when no request completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_timing: Option<ServerTiming>,
    /// Where the time goes, largest first; absent when no request completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Vec<PhaseTime>>,
}

/// A USE-method verdict of the resources investigator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseVerdict {
    /// CPU saturated: the service uses most of the cores.
    CpuBound,
    /// One thread uses a whole core while the service as a whole does not (GIL, event loop,
    /// a single worker).
    CpuBoundOneThread,
    /// Threads waiting on storage.
    IoWait,
    /// Low CPU with many voluntary context switches.
    LockOrSleepBound,
    /// Resident memory grows over the run.
    MemoryGrowth,
}

impl UseVerdict {
    /// The verdict as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            UseVerdict::CpuBound => "cpu-bound",
            UseVerdict::CpuBoundOneThread => "cpu-bound-one-thread",
            UseVerdict::IoWait => "io-wait",
            UseVerdict::LockOrSleepBound => "lock-or-sleep-bound",
            UseVerdict::MemoryGrowth => "memory-growth",
        }
    }
}

/// What the resources investigator observed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
// one per investigation, and boxed in `InvestigatorData`: the size difference costs nothing
#[allow(clippy::large_enum_variant)]
pub enum ResourcesData {
    /// Enough samples to judge.
    Observed {
        /// Rates and shares over the baseline.
        summary: UseSummary,
        /// The USE verdicts.
        verdicts: Vec<UseVerdict>,
        /// Resident memory per whole second, MiB.
        rss_per_second: Vec<f64>,
        /// The trend of resident memory (Theil–Sen, Mann–Kendall), when it could be fitted.
        growth: Option<Trend>,
        /// The one CPU verdict of the report (per-thread demand and the tree's CPU); absent in
        /// reports recorded before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cpu: Option<CpuVerdict>,
        /// The busiest threads of the service's processes, by demand.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        threads: Vec<ThreadUsage>,
        /// The tree's memory at the end (Σ RSS, Σ PSS, Σ USS).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        memory: Option<TreeMemory>,
        /// The service's processes (launchers, supervisors, workers) over the window.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        processes: Vec<ProcessUsage>,
        /// Steal time and other processes' CPU over the same window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        noise: Option<HostNoise>,
    },
    /// Too few samples to judge (the process was not found, or exited).
    TooFewSamples {
        /// How many samples were taken.
        samples: usize,
    },
}

impl ResourcesData {
    /// The CPU verdict, when the observation gave one.
    pub fn cpu_verdict(&self) -> Option<&CpuVerdict> {
        match self {
            ResourcesData::Observed { cpu, .. } => cpu.as_ref(),
            ResourcesData::TooFewSamples { .. } => None,
        }
    }
}

/// One measured level of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Users (or the parameter value as a number when numeric).
    pub level: f64,
    /// Label (the parameter value).
    pub label: String,
    /// req/s.
    pub throughput: f64,
    /// ms.
    pub p50_ms: f64,
    /// ms.
    pub p99_ms: f64,
    /// ms.
    pub mean_ms: f64,
    /// Failed %.
    pub error_rate_pct: f64,
    /// Median time to first byte, ms.
    #[serde(default)]
    pub ttfb_p50_ms: f64,
    /// The target's memory at the end of the level (its process tree's Σ PSS when readable,
    /// else Σ RSS), MiB.
    pub rss_mb: Option<f64>,
    /// Completed requests behind the percentiles (the level ran until it had
    /// [`crate::investigators::level::MIN_REQUESTS`], or ran out of time); absent in reports
    /// recorded before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Measured seconds of the level (with its extensions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// The CPU verdict over the level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuVerdict>,
}

impl Level {
    /// Whether the level completed enough requests for its p99 (unknown counts as enough).
    pub fn enough_requests(&self) -> bool {
        self.requests
            .is_none_or(|n| n >= crate::investigators::level::MIN_REQUESTS)
    }
}

/// The levels of a parameter sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterLevels {
    /// The parameter.
    pub name: String,
    /// Users while it was swept.
    pub concurrency: u32,
    /// One level per value, in the plan's order (the first is the current setting).
    pub levels: Vec<Level>,
}

/// The sweep investigator's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepData {
    /// Concurrency levels.
    pub levels: Vec<Level>,
    /// USL fit of throughput over concurrency.
    pub usl: Option<UslFit>,
    /// Index of the knee level.
    pub knee: Option<usize>,
    /// Little's law: observed / expected concurrency per level.
    pub littles_law_ratio: Vec<Option<f64>>,
    /// The parameter sweep, when the plan has one.
    pub parameter: Option<ParameterLevels>,
    /// Why the concurrency levels give no advice (a poor USL fit, too few requests), when
    /// they give none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insufficient: Option<String>,
    /// The noisiest host noise measured over a level (steal, other processes' CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<HostNoise>,
}

/// The command investigator's data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommandData {
    /// The current command's runs.
    pub commands: Vec<CommandResult>,
    /// User CPU, system CPU and waiting, largest first.
    pub breakdown: Vec<PhaseTime>,
    /// The parameter sweep's benchmark, when the plan has one.
    pub sweep: Option<BenchRecord>,
}

/// A function's share of the CPU samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HotFunction {
    /// The symbol.
    pub function: String,
    /// % of samples with it as the leaf frame.
    pub self_pct: f64,
    /// % of samples with it on the stack.
    pub inclusive_pct: f64,
    /// Samples with it as the leaf frame (in the list by self time only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
    /// Its source file, when the profiler knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line sampled most in it (Python) or its first line (JavaScript).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// `application`, `library`, `runtime` or `kernel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// % of samples whose innermost application frame is this function (the ranking of
    /// `hot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_pct: Option<f64>,
}

/// How one process of the service was profiled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfiledProcess {
    /// Its pid.
    pub pid: i32,
    /// Its name.
    pub process: String,
    /// Its runtime (`CPython 3.11`, `Node.js`, `native`).
    pub runtime: String,
    /// Its role in the tree (`launcher`, `supervisor`, `worker`, `service`).
    pub role: String,
    /// The profiler whose stacks represent it; absent when none could.
    pub profiler: Option<String>,
    /// Its stack samples.
    pub samples: u64,
}

/// Thread states of the profiled process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffCpuShares {
    /// % of thread samples running.
    pub running_pct: f64,
    /// % sleeping.
    pub sleeping_pct: f64,
    /// % waiting on disk (D state).
    pub disk_wait_pct: f64,
}

/// The profile investigator's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileData {
    /// Stack samples.
    pub samples: u64,
    /// Top functions by self time.
    pub top: Vec<HotFunction>,
    /// Top functions by inclusive time.
    pub top_inclusive: Vec<HotFunction>,
    /// Where perf wrote the flame graph (copied into the report folder as flamegraph.svg).
    pub flamegraph: PathBuf,
    /// Thread states, when they could be sampled.
    pub offcpu: Option<OffCpuShares>,
    /// The application's functions first (by attributed share), with file and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot: Vec<HotFunction>,
    /// Each process of the service and its profiler.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProfiledProcess>,
    /// What kept a profiler from doing its job, each with its remedy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
}

/// The trace investigator's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracesData {
    /// The receiver's OTLP/HTTP endpoint.
    pub endpoint: String,
    /// The analysis of the spans received during the baseline.
    pub summary: TraceSummary,
}

/// One investigator's data.
#[derive(Clone, Debug)]
pub enum InvestigatorData {
    /// Of [`InvestigatorName::Load`].
    Load(Box<LoadData>),
    /// Of [`InvestigatorName::Resources`].
    Resources(Box<ResourcesData>),
    /// Of [`InvestigatorName::Sweep`].
    Sweep(SweepData),
    /// Of [`InvestigatorName::Command`].
    Command(Box<CommandData>),
    /// Of [`InvestigatorName::Profile`].
    Profile(ProfileData),
    /// Of [`InvestigatorName::Traces`].
    Traces(Box<TracesData>),
    /// Of [`InvestigatorName::Code`]: perfhive scan's report.
    Code(Box<ScanReport>),
    /// Of [`InvestigatorName::Database`]: perfhive audit db's report of the baseline window.
    Database(Box<perfhive_database::DatabaseReport>),
}

impl InvestigatorData {
    /// The investigator this data belongs to.
    pub fn name(&self) -> InvestigatorName {
        match self {
            InvestigatorData::Load(_) => InvestigatorName::Load,
            InvestigatorData::Resources(_) => InvestigatorName::Resources,
            InvestigatorData::Sweep(_) => InvestigatorName::Sweep,
            InvestigatorData::Command(_) => InvestigatorName::Command,
            InvestigatorData::Profile(_) => InvestigatorName::Profile,
            InvestigatorData::Traces(_) => InvestigatorName::Traces,
            InvestigatorData::Code(_) => InvestigatorName::Code,
            InvestigatorData::Database(_) => InvestigatorName::Database,
        }
    }

    /// Reads `name`'s data from its JSON (`null`: none).
    pub fn from_json(
        name: InvestigatorName,
        value: serde_json::Value,
    ) -> Result<Option<Self>, serde_json::Error> {
        use serde_json::from_value as v;
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(match name {
            InvestigatorName::Load => InvestigatorData::Load(v(value)?),
            InvestigatorName::Resources => InvestigatorData::Resources(v(value)?),
            InvestigatorName::Sweep => InvestigatorData::Sweep(v(value)?),
            InvestigatorName::Command => InvestigatorData::Command(v(value)?),
            InvestigatorName::Profile => InvestigatorData::Profile(v(value)?),
            InvestigatorName::Traces => InvestigatorData::Traces(v(value)?),
            InvestigatorName::Code => InvestigatorData::Code(v(value)?),
            InvestigatorName::Database => InvestigatorData::Database(v(value)?),
        }))
    }

    /// As a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            InvestigatorData::Load(d) => serde_json::to_value(d),
            InvestigatorData::Resources(d) => serde_json::to_value(d),
            InvestigatorData::Sweep(d) => serde_json::to_value(d),
            InvestigatorData::Command(d) => serde_json::to_value(d),
            InvestigatorData::Profile(d) => serde_json::to_value(d),
            InvestigatorData::Traces(d) => serde_json::to_value(d),
            InvestigatorData::Code(d) => serde_json::to_value(d),
            InvestigatorData::Database(d) => serde_json::to_value(d),
        };
        // every field is a string-keyed struct, map or number: serialisation cannot fail
        v.unwrap_or(serde_json::Value::Null)
    }

    /// The raw data file's contents (pretty JSON).
    pub fn to_file_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.to_json()).unwrap_or_default()
    }
}

/// Through a JSON value, so the keys come in serde_json's map order as they always have in
/// report.json and the raw files (sorted, or as written with serde_json's `preserve_order`).
impl Serialize for InvestigatorData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// The JSON form of [`InvestigatorResult`], whose `data` is read by the investigator's name.
#[derive(Deserialize)]
pub(crate) struct RawResult {
    name: InvestigatorName,
    verdict: Verdict,
    summary: String,
    findings: Vec<Finding>,
    #[serde(default)]
    data: serde_json::Value,
    duration_s: f64,
    #[serde(default)]
    error: Option<String>,
}

impl TryFrom<RawResult> for InvestigatorResult {
    type Error = String;

    fn try_from(r: RawResult) -> Result<Self, String> {
        let data = InvestigatorData::from_json(r.name, r.data)
            .map_err(|e| format!("the data of investigator `{}`: {e}", r.name))?;
        Ok(InvestigatorResult {
            name: r.name,
            verdict: r.verdict,
            summary: r.summary,
            findings: r.findings,
            data,
            duration_s: r.duration_s,
            error: r.error,
        })
    }
}

/// Typed access to the data of the investigators in a list of results (the first of each
/// name).
pub trait DataOf {
    /// The load investigator's data.
    fn load_data(&self) -> Option<&LoadData>;
    /// The resources investigator's data.
    fn resources_data(&self) -> Option<&ResourcesData>;
    /// The sweep investigator's data.
    fn sweep_data(&self) -> Option<&SweepData>;
    /// The command investigator's data.
    fn command_data(&self) -> Option<&CommandData>;
    /// The trace investigator's data.
    fn traces_data(&self) -> Option<&TracesData>;
    /// The code investigator's scan report.
    fn code_data(&self) -> Option<&perfhive_scan::ScanReport>;
}

impl DataOf for [InvestigatorResult] {
    fn load_data(&self) -> Option<&LoadData> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Load(d)) => Some(&**d),
            _ => None,
        })
    }
    fn resources_data(&self) -> Option<&ResourcesData> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Resources(d)) => Some(&**d),
            _ => None,
        })
    }
    fn sweep_data(&self) -> Option<&SweepData> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Sweep(d)) => Some(d),
            _ => None,
        })
    }
    fn command_data(&self) -> Option<&CommandData> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Command(d)) => Some(&**d),
            _ => None,
        })
    }
    fn traces_data(&self) -> Option<&TracesData> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Traces(d)) => Some(&**d),
            _ => None,
        })
    }
    fn code_data(&self) -> Option<&perfhive_scan::ScanReport> {
        self.iter().find_map(|r| match &r.data {
            Some(InvestigatorData::Code(d)) => Some(&**d),
            _ => None,
        })
    }
}

macro_rules! into_data {
    ($($t:ty => $v:ident boxed),* ; $($u:ty => $w:ident),*) => {
        $(impl From<$t> for InvestigatorData {
            fn from(d: $t) -> Self {
                InvestigatorData::$v(Box::new(d))
            }
        })*
        $(impl From<$u> for InvestigatorData {
            fn from(d: $u) -> Self {
                InvestigatorData::$w(d)
            }
        })*
    };
}

into_data!(
    LoadData => Load boxed, ResourcesData => Resources boxed, CommandData => Command boxed,
    TracesData => Traces boxed, ScanReport => Code boxed,
    perfhive_database::DatabaseReport => Database boxed;
    SweepData => Sweep, ProfileData => Profile
);
