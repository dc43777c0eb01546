//! The history options of every command, and writing a run into the history as it goes.
//!
//! The history never costs a measurement: when it cannot be opened or written (a read-only
//! file, a full disk), the run goes on, its output is written, and a warning says what to do.
//! Commands that only read it (`history`, `compare`) open a read-only history read-only.

use crate::output::Printer;
use anyhow::Context;
use perfhive_core::bench::Sample;
use perfhive_core::measure::Measure;
use perfhive_core::record::{Environment, RecordKind, RunStatus, TimePoint};
use perfhive_store::{MetricRow, NewRun, Store, StoreError};
use std::path::{Path, PathBuf};

/// `--history` and `--no-history` before the subcommand (`perfhive --history h.db run …`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GlobalHistoryArgs {
    /// The history database [default: $PERFHIVE_HISTORY, else
    /// ~/.local/share/perfhive/history.db].
    #[arg(
        long,
        value_name = "PATH",
        env = "PERFHIVE_HISTORY",
        hide_env = true,
        help_heading = "History"
    )]
    pub history: Option<PathBuf>,
    /// Do not store the run in the history.
    #[arg(long, help_heading = "History")]
    pub no_history: bool,
}

/// `--history` of the commands that read the history (`history` and its subcommands,
/// `compare`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HistoryArgs {
    /// The history database [default: $PERFHIVE_HISTORY, else
    /// ~/.local/share/perfhive/history.db].
    #[arg(long, value_name = "PATH", global = true, help_heading = "History")]
    pub history: Option<PathBuf>,
}

/// What every command that stores its run accepts: its name, tags and note in the history,
/// and where the history is.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RecordArgs {
    /// Name of the run in the history [default: the scenario, the commands, the file or the
    /// plan].
    #[arg(long, value_name = "NAME", help_heading = "History")]
    pub name: Option<String>,
    /// Tag the run in the history (repeatable).
    #[arg(long, value_name = "TAG", help_heading = "History")]
    pub tag: Vec<String>,
    /// A note stored with the run (searchable).
    #[arg(long, value_name = "TEXT", help_heading = "History")]
    pub note: Option<String>,
    /// The history database [default: $PERFHIVE_HISTORY, else
    /// ~/.local/share/perfhive/history.db].
    #[arg(long, value_name = "PATH", help_heading = "History")]
    pub history: Option<PathBuf>,
    /// Do not store the run in the history.
    #[arg(long, help_heading = "History")]
    pub no_history: bool,
}

impl RecordArgs {
    /// The name in the history: `--name`, else `default`.
    pub fn name_or(&self, default: &str) -> String {
        self.name.clone().unwrap_or_else(|| default.to_string())
    }
}

/// Where the history is and whether this run goes into it, from the options before and after
/// the subcommand (after wins).
#[derive(Clone, Debug)]
pub struct History {
    /// The database.
    pub path: PathBuf,
    /// False with `--no-history`.
    pub enabled: bool,
}

impl History {
    /// The history of a command that reads it.
    pub fn reading(global: &GlobalHistoryArgs, own: &HistoryArgs) -> History {
        History {
            path: own
                .history
                .clone()
                .or_else(|| global.history.clone())
                .unwrap_or_else(Store::default_path),
            enabled: !global.no_history,
        }
    }

    /// The history of a command that stores its run.
    pub fn recording(global: &GlobalHistoryArgs, own: &RecordArgs) -> History {
        History {
            path: own
                .history
                .clone()
                .or_else(|| global.history.clone())
                .unwrap_or_else(Store::default_path),
            enabled: !(global.no_history || own.no_history),
        }
    }

    /// Opens the store to read it (read-only when it cannot be written).
    pub fn open_for_reading(&self) -> anyhow::Result<Store> {
        Store::open_for_reading(&self.path)
            .with_context(|| format!("cannot read the history at `{}`", self.path.display()))
    }

    /// Opens the store to change it (`history tag`, `delete`, `prune`).
    pub fn open(&self) -> anyhow::Result<Store> {
        Store::open(&self.path)
            .with_context(|| format!("cannot open the history at `{}`", self.path.display()))
    }
}

/// What to do about a history that cannot be written.
fn advice(e: &StoreError) -> &'static str {
    match e {
        StoreError::DiskFull { .. } => "free some space, or use --no-history",
        StoreError::FileSizeLimit { .. } => "raise the limit (ulimit -f), or use --no-history",
        StoreError::ReadOnly { .. } | StoreError::Create { .. } => {
            "give a writable --history PATH, or use --no-history"
        }
        _ => "use --no-history to run without it",
    }
}

/// A run being written to the history.
pub struct Recording {
    /// The store.
    pub store: Store,
    /// The run's id.
    pub id: i64,
    /// The first failed write while the run went on, as the warning at its end says it.
    write_error: Option<String>,
}

impl Recording {
    /// Starts recording a run, unless `--no-history`. When the history cannot be opened or
    /// written, warns and returns `None`: the run goes on without it.
    pub fn begin(
        history: &History,
        args: &RecordArgs,
        kind: RecordKind,
        default_name: &str,
        fingerprint: &Environment,
        out: &mut Printer,
    ) -> Option<Recording> {
        if !history.enabled {
            return None;
        }
        let started = Store::open(&history.path).and_then(|store| {
            let id = store.begin_run(&NewRun {
                kind,
                name: args.name_or(default_name),
                started_at: perfhive_store::now_rfc3339(),
                git_commit: fingerprint.git_commit.clone(),
                git_branch: fingerprint.git_branch.clone(),
                host: fingerprint.host.clone(),
                fingerprint: serde_json::to_value(fingerprint).unwrap_or_default(),
                tags: args.tag.clone(),
                notes: args.note.clone().unwrap_or_default(),
            })?;
            Ok(Recording {
                store,
                id,
                write_error: None,
            })
        });
        match started {
            Ok(r) => Some(r),
            Err(e) => {
                out.warn(&format!(
                    "this run will not be stored in the history: {e}; {}",
                    advice(&e)
                ));
                None
            }
        }
    }

    /// Appends a load test's time-series point; a failure is remembered and reported by
    /// [`Recording::finish`].
    pub fn append_point(&mut self, point: &TimePoint) {
        let v = serde_json::to_value(point).unwrap_or_default();
        if let Err(e) = self.store.append_point(self.id, point.t, &v) {
            self.write_error.get_or_insert_with(|| {
                format!("some time-series points could not be written to the history: {e}")
            });
        }
    }

    /// Appends a benchmark sample of the command `series`; a failure is remembered and
    /// reported by [`Recording::finish`].
    pub fn append_sample(&mut self, series: &str, seq: usize, sample: &Sample) {
        let v = serde_json::to_value(sample).unwrap_or_default();
        if let Err(e) = self.store.append_sample(self.id, series, seq as i64, &v) {
            self.write_error.get_or_insert_with(|| {
                format!("some samples could not be written to the history: {e}")
            });
        }
    }

    /// Records where the run's artefacts are (an investigation's report folder); a failure is
    /// a warning.
    pub fn attach(&self, artifact: &Path, out: &mut Printer) {
        if let Err(e) = self.store.set_artifact(self.id, artifact) {
            out.warn(&format!(
                "the history did not record the report folder: {e}"
            ));
        }
    }

    /// Finishes the run with its outcome, final record and measures; returns its id, or warns
    /// and returns `None` when the history cannot take it (what was measured is in the
    /// command's output, and what was written while it ran stays in the history as an
    /// incomplete run). A write that failed while the run went on is warned about after.
    pub fn finish(
        mut self,
        status: RunStatus,
        record: &serde_json::Value,
        measures: &[Measure],
        out: &mut Printer,
    ) -> Option<i64> {
        let rows: Vec<MetricRow> = measures
            .iter()
            .map(|m| MetricRow {
                name: m.name.clone(),
                unit: m.unit.clone(),
                value: m.value,
                lower_is_better: m.lower_is_better,
            })
            .collect();
        let finished = match self.store.finish_run(self.id, status, record, &rows) {
            Ok(()) => Some(self.id),
            Err(e) => {
                out.warn(&format!(
                    "the run was measured but not stored in the history (run {} stays incomplete): {e}; {}",
                    self.id,
                    advice(&e)
                ));
                None
            }
        };
        if let Some(e) = self.write_error.take() {
            out.warn(&e);
        }
        finished
    }
}

/// The fingerprint of this machine and the current directory's git state.
pub fn fingerprint() -> Environment {
    let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    perfhive_probe::env::fingerprint(&dir)
}
