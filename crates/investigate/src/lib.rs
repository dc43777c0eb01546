//! `perfhive investigate` (in progress): several investigators run side by side on one target,
//! each behind the [`runner::Investigator`] trait with its own time budget, and an integrator
//! ranks their findings into one report. This crate holds the report model and the runner;
//! the investigators, the integrator and the command arrive in the following commits.

pub mod integrator;
pub mod investigation;
pub mod investigators;
pub mod model;
pub mod otel;
pub mod plan;
pub mod render;
pub mod report;
pub mod runner;

pub use model::{Effort, Evidence, Finding, InvestigatorResult, Recommendation, Verdict};
pub use runner::{run_all, Context, Investigator, InvestigatorError};
