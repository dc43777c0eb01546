//! `perfhive scan`: static scan of source trees for performance anti-patterns with the
//! tree-sitter rules of `perfhive-scan` (built-in, plus `--rules DIR`). Exit code 1 with
//! `--fail-on SEVERITY` when findings at or above it exist (suppressed ones and those of
//! `--baseline` aside).

use crate::exit::Code;
use crate::output::Printer;
use clap::{Args, ValueEnum};
use perfhive_scan::{Language, ScanOptions, Severity};
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
    /// List the rules and exit (those off by default are marked).
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

fn parse_lang(s: &str) -> Result<Language, String> {
    Language::from_name(s).ok_or_else(|| {
        format!("unknown language `{s}`: expected python, javascript, typescript, tsx, go, java or rust")
    })
}

/// Runs `perfhive scan`.
pub fn exec(a: ScanArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let baseline = match &a.baseline {
        Some(p) => {
            Some(perfhive_scan::Baseline::load(p).map_err(|e| anyhow::anyhow!("--baseline {e}"))?)
        }
        None => None,
    };
    let opts = ScanOptions {
        paths: a.paths,
        rule_dirs: a.rules,
        builtin: !a.no_builtin,
        languages: a.langs,
        max_file_size: a.max_file_size,
        threads: a.threads,
        include_tests: a.include_tests,
        include_one_off: a.include_one_off || a.all_findings,
        include_unsized: a.include_unsized || a.all_findings,
        include_off_request: a.include_off_request || a.all_findings,
        // the listing shows every rule, marking those off by default
        all_rules: a.all_rules || a.list_rules,
        include_suppressed: a.include_suppressed,
        baseline,
    };
    let rules = perfhive_scan::select_rules(&opts)?;
    if a.list_rules {
        let w = out.out();
        for r in &rules {
            let langs: Vec<&str> = r.languages.iter().map(|l| l.name()).collect();
            writeln!(
                w,
                "{:<32} {:<7} {:<11} {:<28} {}{}",
                r.id,
                r.severity.name(),
                format!("conf:{}", r.confidence.name()),
                langs.join(","),
                r.message,
                if r.enabled { "" } else { " (off by default)" }
            )?;
        }
        return Ok(Code::OK);
    }
    let report = perfhive_scan::scan_with(&rules, &opts)?;
    let mut buf: Vec<u8> = Vec::new();
    let color = a.out.is_none() && out.color(false);
    match a.format {
        Format::Terminal => report.render_terminal(&mut buf, color)?,
        Format::Json => report.render_json(&mut buf)?,
        Format::Sarif => report.render_sarif(&mut buf)?,
        Format::Markdown => report.render_markdown(&mut buf)?,
    }
    let terminal = a.format == Format::Terminal;
    out.report(&buf, a.out.as_deref(), &report.summary_line(), terminal)?;
    if a.format == Format::Terminal || a.out.is_some() {
        for n in &report.notes {
            writeln!(out.err(), "note: {}: {}", n.file, n.message)?;
        }
    }
    let failed = a
        .fail_on
        .is_some_and(|level| report.count_at_least(level.into()) > 0);
    Ok(Code::failed_if(failed))
}
