//! The flags of `perfhive history` and its subcommands; their doc comments are the help text.

use crate::cli::compare::{parse_alpha, parse_threshold};
use crate::recording::HistoryArgs;
use clap::{Args, Subcommand};
use perfhive_core::record::RecordKind;
use std::path::PathBuf;

/// Arguments of `perfhive history`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryCmd {
    #[command(subcommand)]
    pub sub: Option<Sub>,
    #[command(flatten)]
    pub list: ListArgs,
    /// Find change points in the history of runs with this name (see `history changes`).
    #[arg(long, value_name = "NAME")]
    pub changes: Option<String>,
    /// With --changes: the metric [default: every metric].
    #[arg(long, requires = "changes", value_name = "METRIC")]
    pub metric: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// The subcommands of `perfhive history`.
#[derive(Subcommand, Debug)]
pub enum Sub {
    /// List runs, newest first.
    List(ListArgs),
    /// Show one run: its record (an investigation's summary, P0 and report folder), or what
    /// an incomplete run measured.
    Show {
        /// Run id.
        #[arg(value_name = "ID")]
        id: i64,
        /// Print the stored run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over names, notes and tags.
    Search {
        /// Words (or an SQLite FTS5 query).
        #[arg(value_name = "QUERY")]
        query: String,
    },
    /// Add tags or a note to a run.
    Tag {
        /// Run id.
        #[arg(value_name = "ID")]
        id: i64,
        /// Tags.
        #[arg(value_name = "TAG")]
        tags: Vec<String>,
        /// A note to append.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Delete runs.
    Delete {
        /// Run ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<i64>,
    },
    /// Delete runs older than a retention period.
    Prune {
        /// Keep runs from the last N days.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=36_500))]
        keep_days: u64,
        /// Write the pruned runs to this file first (JSON Lines).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
    /// Change points over the history of a metric (E-Divisive means with a t-test, as Apache
    /// Otava / Hunter).
    Changes(ChangesArgs),
}

/// The filters of `perfhive history [list]`.
#[derive(Args, Debug, Default)]
pub struct ListArgs {
    /// Name contains.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Of this kind: load, bench, import or investigation.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<RecordKind>,
    /// Has this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// On this git branch.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Since a date (2026-01-31, RFC 3339) or a duration ago (7d, 12h).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Most rows (at least 1).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `perfhive history changes`.
#[derive(Args, Debug)]
pub struct ChangesArgs {
    /// Runs with this name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The metric [default: every metric].
    #[arg(long, value_name = "METRIC")]
    pub metric: Option<String>,
    /// Only runs on this branch.
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Largest p-value of a reported change (Apache Otava's default), between 0 and 1.
    #[arg(long, default_value = "0.001", value_name = "ALPHA", value_parser = parse_alpha, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Smallest reported change, percent of the mean before it (at least 0).
    #[arg(long, default_value = "5", value_name = "PCT", value_parser = parse_threshold, allow_hyphen_values = true)]
    pub min_change: f64,
    /// Fewest runs in a segment (at least 1).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub min_segment: u64,
}

/// A record kind (`load`, `bench`, `import`, `investigation`).
fn parse_kind(s: &str) -> Result<RecordKind, String> {
    s.parse()
        .map_err(|e: perfhive_core::record::UnknownKind| e.to_string())
}
