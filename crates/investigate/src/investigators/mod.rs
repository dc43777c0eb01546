//! The investigators. Each is a small module behind [`crate::Investigator`].

pub mod code;
pub mod command;
pub mod database;
pub mod level;
pub mod load;
pub mod profile;
pub mod resources;
pub mod sweep;
pub mod timing;
pub mod traces;
pub mod traces_fix;
