//! Renderers of perfhive results. Only this crate and the binary know output formats; the
//! engines produce [`perfhive_core::RunRecord`]s and never print.

pub mod bench;
pub mod history;
pub mod html;
pub mod markup;
pub mod summary;
pub mod svg;
pub mod trace;

pub use summary::{render_run_summary, Style};
pub use trace::{render_trace_summary, trace_headline};
