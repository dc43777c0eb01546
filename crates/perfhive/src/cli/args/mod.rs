//! The clap declarations of the commands whose flags alone are long; each command's file
//! re-exports its own. Doc comments on flags are the help text.

pub mod audit;
pub mod bench;
pub mod history;
pub mod run;
pub mod scan;
