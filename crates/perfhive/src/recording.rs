//! Opening the history for a subcommand and writing a run into it as it goes.

use anyhow::Context;
use perfhive_core::measure::Measure;
use perfhive_core::record::Environment;
use perfhive_store::{MetricRow, NewRun, Store};
use std::path::PathBuf;

/// History options shared by every subcommand.
#[derive(clap::Args, Debug, Clone)]
pub struct HistoryArgs {
    /// The history database (default: $PERFHIVE_HISTORY, else ~/.local/share/perfhive/history.db).
    #[arg(long, global = true, value_name = "PATH", env = "PERFHIVE_HISTORY")]
    pub history: Option<PathBuf>,
    /// Do not record this run in the history.
    #[arg(long, global = true)]
    pub no_history: bool,
}

impl HistoryArgs {
    /// The database path.
    pub fn path(&self) -> PathBuf {
        self.history.clone().unwrap_or_else(Store::default_path)
    }

    /// Opens the store (errors when it cannot be opened).
    pub fn open(&self) -> anyhow::Result<Store> {
        let path = self.path();
        Store::open(&path)
            .with_context(|| format!("cannot open the history at `{}`", path.display()))
    }
}

/// A run being written to the history.
pub struct Recording {
    /// The store.
    pub store: Store,
    /// The run's id.
    pub id: i64,
}

impl Recording {
    /// Starts recording a run, unless `--no-history`.
    pub fn begin(
        args: &HistoryArgs,
        kind: &str,
        name: &str,
        fingerprint: &Environment,
        tags: &[String],
        note: Option<&str>,
    ) -> anyhow::Result<Option<Recording>> {
        if args.no_history {
            return Ok(None);
        }
        let store = args.open()?;
        let id = store.begin_run(&NewRun {
            kind: kind.into(),
            name: name.into(),
            started_at: perfhive_store::now_rfc3339(),
            git_commit: fingerprint.git_commit.clone(),
            git_branch: fingerprint.git_branch.clone(),
            host: fingerprint.host.clone(),
            fingerprint: serde_json::to_value(fingerprint)?,
            tags: tags.to_vec(),
            notes: note.unwrap_or_default().to_string(),
        })?;
        Ok(Some(Recording { store, id }))
    }

    /// Finishes the run with its final record and measures.
    pub fn finish(
        mut self,
        status: &str,
        record: &serde_json::Value,
        measures: &[Measure],
    ) -> anyhow::Result<i64> {
        let rows: Vec<MetricRow> = measures
            .iter()
            .map(|m| MetricRow {
                name: m.name.clone(),
                unit: m.unit.clone(),
                value: m.value,
                lower_is_better: m.lower_is_better,
            })
            .collect();
        self.store.finish_run(self.id, status, record, &rows)?;
        Ok(self.id)
    }
}

/// The fingerprint of this machine and the current directory's git state.
pub fn fingerprint() -> Environment {
    let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    perfhive_probe::env::fingerprint(&dir)
}
