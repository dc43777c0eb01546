//! Load-test scenarios: the YAML format of the team playbook (see `docs/scenario.md`), parsed
//! into a validated [`Scenario`]. Malformed YAML, wrong types, unknown keys and invalid values
//! are reported as `file:line:column: what was expected`, with the source line and a caret.
//!
//! Layout: [`model`] (what a validated scenario is), [`profile`] (the phases of the traffic
//! profile), [`limits`] (the bounds of every number a user gives, shared by files and the
//! command line), `validate` (document → scenario, errors located in the source), `quick`
//! (a scenario from command-line options, and the argument of `perfhive run`), `plan` (the
//! phase plan `--dry-run` prints), `yaml` (parsing with located errors, nesting bound,
//! shared with investigation plans), `input` (size-limited file reads), `url`, `locate`, `error`.

mod error;
mod input;
pub mod limits;
mod locate;
pub mod model;
mod plan;
pub mod profile;
mod quick;
mod raw;
mod url;
mod validate;
mod yaml;

pub use error::ScenarioError;
pub use input::{read_limited, read_text_limited, read_text_unnamed};
pub use model::{
    Dependency, HttpVersion, Observe, ObserveBy, RequestSpec, Scenario, Target, CAPTURABLE_METRICS,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT,
};
pub use profile::{Model, Phase, PhaseKind, Profile};
pub use quick::{is_quick_target, Quick, SourceError, DEFAULT_USERS};
pub use url::check_url;
pub use validate::read_body_file;
pub use yaml::{check_nesting, error_at, parse_yaml};

#[cfg(test)]
mod tests;
