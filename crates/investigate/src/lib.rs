//! `perfhive investigate`: several investigators run side by side on one target, each behind
//! the [`runner::Investigator`] trait with its own time budget (load, resources, sweep, command,
//! profile, traces, code), and the [`integrator`] ranks their findings into one report: joined
//! by subject and by function, measured evidence over heuristics, expected gains bounded.

pub mod integrator;
pub mod investigation;
pub mod investigators;
pub mod model;
pub mod otel;
pub mod plan;
pub mod render;
pub mod report;
pub mod runner;
pub mod started;

pub use model::{Effort, Evidence, Finding, InvestigatorResult, Recommendation, Verdict};
pub use runner::{run_all, Context, Investigator, InvestigatorError};
