//! The flags of `perfhive scan`; their doc comments are the help text. The value enums map
//! onto `perfhive-scan`'s types.

use clap::{Args, ValueEnum};
use perfhive_scan::{Confidence, Language, Severity};
use std::path::PathBuf;

/// Arguments of `perfhive scan`.
#[derive(Args, Debug)]
#[command(
    after_help = "Rule format and built-in rules: docs/scan.md.\n\nExamples:\n  \
perfhive scan src/\n  perfhive scan . --format sarif --out scan.sarif --fail-on high\n  \
perfhive scan --rules team-rules/ --no-builtin services/\n  \
perfhive scan . --format json --out scan-baseline.json\n  \
perfhive scan . --baseline scan-baseline.json --fail-on medium\n\n\
A comment `perfhive: ignore[RULE-ID] -- reason` on a finding's line, a statement's or its\n\
loop's line, or alone on the line above one of them, suppresses it."
)]
pub struct ScanArgs {
    /// Files or folders to scan (.gitignore is respected).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// A folder of YAML rules to add (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Do not run the built-in rules.
    #[arg(long)]
    pub no_builtin: bool,
    /// Only these languages (repeatable): python, javascript, typescript, tsx, go, java, rust.
    #[arg(long = "lang", value_name = "LANG", value_parser = parse_lang)]
    pub langs: Vec<Language>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with code 1 when there are findings of this severity or higher.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// List (and fail on) only findings of this confidence or higher; the others are counted.
    /// A rule's confidence is its measured precision on code it was not tuned to, where
    /// measured (docs/scan.md).
    #[arg(long, value_enum, value_name = "CONFIDENCE", default_value_t = MinConfidence::Low)]
    pub min_confidence: MinConfidence,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = perfhive_scan::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Walker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Scan test code too (test files and folders are skipped by default).
    #[arg(long)]
    pub include_tests: bool,
    /// List findings in one-off code (migrations, management commands, scripts, build code);
    /// by default they are only counted.
    #[arg(long)]
    pub include_one_off: bool,
    /// List findings of per-item rules (a query or request per item of a loop) in loops
    /// whose names do not tell how many items they walk (`for c in candidates`); by default
    /// they are only counted. Loops over data (`for order in orders`) are always listed,
    /// loops over a handful of things by nature (`for env in environments`) never.
    #[arg(long)]
    pub include_unsized: bool,
    /// List findings in background work (scheduled, queued, looping jobs); by default they
    /// are only counted when the scanned code serves requests (a library or CLI with no
    /// request-handling code lists them). Code the scanner could not place is listed.
    #[arg(long)]
    pub include_off_request: bool,
    /// List every finding: `--include-one-off --include-unsized --include-off-request`
    /// (suppressed ones need `--include-suppressed`).
    #[arg(long)]
    pub all_findings: bool,
    /// List the findings a `perfhive: ignore` comment suppresses, marked (they never count
    /// for `--fail-on`); by default they are only counted.
    #[arg(long)]
    pub include_suppressed: bool,
    /// A JSON report of an earlier scan (`--format json`): findings it lists are not listed
    /// again (matched by fingerprint, not line), so `--fail-on` fails on new findings only.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also run the built-in rules that are off by default (see `--list-rules --all-rules`).
    #[arg(long)]
    pub all_rules: bool,
    /// List the rules and exit: severity, confidence, the share of findings worth changing on
    /// held-out code where measured; those off by default are marked.
    #[arg(long)]
    pub list_rules: bool,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings grouped by file, coloured on a terminal.
    Terminal,
    /// The versioned JSON report (schema/scan-report.schema.json).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown with a findings table.
    Markdown,
}

/// `--fail-on` levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding.
    Low,
    /// Medium or high.
    Medium,
    /// High only.
    High,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

/// `--min-confidence` levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MinConfidence {
    /// Every finding.
    Low,
    /// Medium or high: at least 40% of a measured rule's findings were worth changing.
    Medium,
    /// High only: at least 70%.
    High,
}

impl From<MinConfidence> for Confidence {
    fn from(m: MinConfidence) -> Confidence {
        match m {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        }
    }
}

fn parse_lang(s: &str) -> Result<Language, String> {
    Language::from_name(s).ok_or_else(|| {
        format!("unknown language `{s}`: expected python, javascript, typescript, tsx, go, java or rust")
    })
}
