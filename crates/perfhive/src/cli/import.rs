//! `perfhive import`: other tools' results into the history (hyperfine, k6, go test -bench,
//! criterion, pytest-benchmark), so they can be listed, compared and searched for change
//! points like perfhive's own runs.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{fingerprint, History, RecordArgs, Recording};
use anyhow::Context;
use clap::Args;
use perfhive_compare::side::{default_import_name, import_record};
use perfhive_core::record::{RecordKind, RunStatus};
use perfhive_import::Format;
use std::path::PathBuf;

/// Arguments of `perfhive import`.
#[derive(Args, Debug)]
#[command(
    after_help = "Formats: hyperfine (--export-json), k6 (--summary-export or handleSummary JSON), \
go (go test -bench output), criterion (target/criterion/**/new/estimates.json), pytest-benchmark (--benchmark-json).\n\n\
Each file is stored as an import record (schema/import-record.schema.json); --name names them all."
)]
pub struct ImportArgs {
    /// Result files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The format [default: detected from the content].
    #[arg(long, value_name = "FORMAT", value_parser = ["hyperfine", "k6", "go", "criterion", "pytest-benchmark"])]
    pub format: Option<String>,
    #[command(flatten)]
    pub record: RecordArgs,
}

fn format_of(name: &str) -> Option<Format> {
    Format::all().iter().copied().find(|f| {
        f.name() == name
            || (name == "k6" && f.name().starts_with("k6"))
            || (name == "go" && f.name().starts_with("go"))
    })
}

/// Runs `perfhive import`.
pub fn exec(a: ImportArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let format = a
        .format
        .as_deref()
        .map(|f| format_of(f).with_context(|| format!("unknown format `{f}`")))
        .transpose()?;
    let fp = fingerprint();
    let mut lost = 0;
    for path in &a.files {
        let imp = perfhive_import::import_file(path, format)?;
        let name = a.record.name_or(&default_import_name(path, &imp));
        let record = import_record(&imp, &name);
        let measures = perfhive_core::measure::of_import(&record);
        let mut fp = fp.clone();
        // the file's own context (commit, machine) is kept in the record; the fingerprint is ours
        fp.git_commit = imp.context.get("commit").cloned().or(fp.git_commit);
        let what = format!(
            "{}: {} benchmarks ({})",
            path.display(),
            imp.benchmarks.len(),
            imp.format.name()
        );
        let stored = Recording::begin(history, &a.record, RecordKind::Import, &name, &fp, out)
            .and_then(|rec| {
                rec.finish(
                    RunStatus::Passed,
                    &serde_json::to_value(&record).unwrap_or_default(),
                    &measures,
                    out,
                )
            });
        match stored {
            Some(id) => writeln!(out.out(), "{what} stored as run {id} `{name}`")?,
            None if !history.enabled => writeln!(out.out(), "{what} — not stored (--no-history)")?,
            None => {
                lost += 1;
                writeln!(out.out(), "{what} — not stored")?
            }
        }
    }
    if lost > 0 {
        // storing is what `import` is for
        anyhow::bail!(
            "{lost} of {} files could not be stored in the history at `{}`",
            a.files.len(),
            history.path.display()
        );
    }
    Ok(Code::OK)
}
