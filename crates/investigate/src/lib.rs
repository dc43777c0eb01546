//! `perfhive investigate`: several investigators run side by side on one target, each behind
//! the [`runner::Investigator`] trait with its own time budget (load, resources, sweep, command,
//! profile, traces, code) and its own typed data ([`data`]), and the [`integrator`] ranks their
//! findings into one report: joined by subject and by function, measured evidence over
//! heuristics, expected gains bounded.
//!
//! The binary calls [`session::prepare`] and [`session::Prepared::run`]: a plan
//! ([`investigation`], by target kind) or the demo experiment ([`demo`]), then the report
//! folder ([`render`]). While it runs it reports its phases and each investigator's state to
//! the caller's [`progress::Sink`].

pub mod data;
pub mod demo;
pub mod integrator;
pub mod investigation;
pub mod investigators;
pub mod measure;
pub mod model;
pub mod otel;
pub mod plan;
pub mod progress;
pub mod render;
pub mod report;
pub mod runner;
pub mod session;
pub mod started;

pub use data::InvestigatorData;
pub use investigation::InvestigateError;
pub use model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation, Verdict,
};
pub use progress::{Event, Phase, Progress};
pub use runner::{run_all, Context, Investigator, InvestigatorError};
pub use session::{prepare, Finished, Prepared, Request, Subject};
