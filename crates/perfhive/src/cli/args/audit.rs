//! The flags of `perfhive audit`; their doc comments are the help text. The value enums map
//! onto `perfhive-database`'s types.

use crate::cli::parse_duration;
use clap::{Args, Subcommand, ValueEnum};
use perfhive_database::options::parse_size;
use perfhive_database::{Severity, Storage, VerifyMode, WorkloadKind};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `perfhive audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub what: AuditCmd,
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Audit a PostgreSQL server or an SQLite file: statements, plans, verified indexes,
    /// configuration and health.
    Db(Box<DbArgs>),
}

/// Arguments of `perfhive audit db`.
#[derive(Args, Debug)]
#[command(
    after_help = "DSNs: postgresql://user@host:5432/db, host=… dbname=… key/value pairs, or an \
SQLite file path. The password comes from the DSN, PGPASSWORD or ~/.pgpass (PGPASSFILE) and is never \
printed. Nothing changes the database: see docs/database.md.\n\nExamples:\n  \
perfhive audit db postgresql://app@127.0.0.1/shop\n  \
perfhive audit db postgresql://app@127.0.0.1/shop --window 60s --format markdown --out audit.md\n  \
perfhive audit db app.sqlite3 --statements queries.sql --fail-on high"
)]
pub struct DbArgs {
    /// The database: a postgresql:// URI, libpq key/value pairs, or an SQLite file.
    #[arg(value_name = "DSN")]
    pub dsn: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with code 1 when a finding has this severity or higher.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// A SQL file whose statements (separated by `;`) are planned too (repeatable).
    #[arg(long = "statements", value_name = "FILE")]
    pub statements: Vec<PathBuf>,
    /// Snapshot the statement statistics, wait this long while your load runs, snapshot
    /// again, and audit the window's own statements (Ctrl-C ends it early).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub window: Option<Duration>,
    /// Interval of pg_stat_activity samples during the window.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "100ms")]
    pub sample_every: Duration,
    /// Run SELECT statements with EXPLAIN ANALYZE (in a read-only transaction rolled back).
    #[arg(long)]
    pub analyze: bool,
    /// How index advice is verified before it is given.
    #[arg(long, value_enum, default_value_t = Verify::Auto)]
    pub verify: Verify,
    /// The window's costliest statements to plan.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Timed runs per side of a verification on a copy (the median is kept).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: usize,
    /// A full scan of fewer rows is not reported.
    #[arg(long, value_name = "ROWS", default_value_t = 10_000)]
    pub min_rows: u64,
    /// Largest table (or SQLite file) copied to verify an index.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "512MiB")]
    pub max_copy: u64,
    /// The server's memory, when it is not this machine (e.g. 16GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,
    /// The server's CPUs, when it is not this machine.
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// The server's storage (with --memory and --cpus).
    #[arg(long, value_enum, default_value_t = StorageArg::Ssd)]
    pub storage: StorageArg,
    /// The kind of workload, for PGTune's formulas.
    #[arg(long, value_enum, default_value_t = KindArg::Web)]
    pub workload: KindArg,
    /// The application's connection pool size (the most connections it opens, over all its
    /// processes): connections are judged against it and against max_connections.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pool: Option<u32>,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings and tables for a terminal.
    Terminal,
    /// The report (schema/database-report.schema.json).
    Json,
    /// Markdown.
    Markdown,
}

/// `--fail-on` levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding but informational ones.
    Low,
    /// Medium or high.
    Medium,
    /// High only.
    High,
}

/// `--verify` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Verify {
    /// hypopg where installed, else a scratch copy (SQLite: a copy of the file).
    Auto,
    /// hypopg only.
    Hypopg,
    /// A scratch copy only.
    Copy,
    /// No verification (nothing is recommended).
    Off,
}

/// `--storage` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    /// SSD.
    Ssd,
    /// NVMe.
    Nvme,
    /// Rotating disks.
    Hdd,
    /// Network storage.
    San,
}

/// `--workload` kinds (PGTune's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Web application.
    Web,
    /// Online transaction processing.
    Oltp,
    /// Data warehouse.
    Dw,
    /// Desktop.
    Desktop,
    /// Mixed.
    Mixed,
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

impl From<Format> for perfhive_database::options::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Terminal => Self::Terminal,
            Format::Json => Self::Json,
            Format::Markdown => Self::Markdown,
        }
    }
}

impl From<Verify> for VerifyMode {
    fn from(v: Verify) -> VerifyMode {
        match v {
            Verify::Auto => VerifyMode::Auto,
            Verify::Hypopg => VerifyMode::Hypopg,
            Verify::Copy => VerifyMode::Copy,
            Verify::Off => VerifyMode::Off,
        }
    }
}

impl From<StorageArg> for Storage {
    fn from(s: StorageArg) -> Storage {
        match s {
            StorageArg::Ssd => Storage::Ssd,
            StorageArg::Nvme => Storage::Nvme,
            StorageArg::Hdd => Storage::Hdd,
            StorageArg::San => Storage::San,
        }
    }
}

impl From<KindArg> for WorkloadKind {
    fn from(k: KindArg) -> WorkloadKind {
        match k {
            KindArg::Web => WorkloadKind::Web,
            KindArg::Oltp => WorkloadKind::Oltp,
            KindArg::Dw => WorkloadKind::Dw,
            KindArg::Desktop => WorkloadKind::Desktop,
            KindArg::Mixed => WorkloadKind::Mixed,
        }
    }
}
