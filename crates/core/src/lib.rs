//! perfhive's shared model: latency histograms, metrics and success criteria, and the versioned
//! result record every run produces.
//!
//! Invariant: this crate does no I/O. Every measurement path in perfhive records into the
//! mergeable HDR histograms of [`hist`], so results from workers, stages and runs can be merged
//! and re-analysed later.

pub mod bench;
pub mod criteria;
pub mod hist;
pub mod import;
pub mod investigation;
pub mod measure;
pub mod record;
pub mod route;
pub mod secret;
pub mod sql;
pub mod text;
pub mod trace;

pub use criteria::{Criterion, CriterionError, LatencyStat, Metric, MetricSource, Op, Trigger};
pub use hist::{LatencyHistogram, LatencySummary};
pub use record::{RecordKind, RunRecord, RunStatus, SCHEMA_VERSION};
