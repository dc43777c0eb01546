//! `perfhive import`: other tools' results into the history (hyperfine, k6, go test -bench,
//! criterion, pytest-benchmark), so they can be listed, compared and searched for change
//! points like perfhive's own runs.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{fingerprint, HistoryArgs, Recording};
use anyhow::Context;
use clap::Args;
use perfhive_compare::Side;
use perfhive_core::measure::Measure;
use perfhive_import::{Format, Imported};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `perfhive import`.
#[derive(Args, Debug)]
#[command(
    after_help = "Formats: hyperfine (--export-json), k6 (--summary-export or handleSummary JSON), \
go (go test -bench output), criterion (target/criterion/**/new/estimates.json), pytest-benchmark (--benchmark-json)."
)]
pub struct ImportArgs {
    /// Result files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The format (default: detected from the content).
    #[arg(long, value_parser = ["hyperfine", "k6", "go", "criterion", "pytest-benchmark"])]
    pub format: Option<String>,
    /// Name in the history (default: derived from the file).
    #[arg(long)]
    pub name: Option<String>,
    /// Tag the imported runs (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// A note stored with each run.
    #[arg(long)]
    pub note: Option<String>,
}

fn format_of(name: &str) -> Option<Format> {
    Format::all().iter().copied().find(|f| {
        f.name() == name
            || (name == "k6" && f.name().starts_with("k6"))
            || (name == "go" && f.name().starts_with("go"))
    })
}

/// The stored form of an imported file.
pub fn stored_json(imp: &Imported, name: &str) -> Value {
    json!({
        "schema_version": perfhive_core::SCHEMA_VERSION,
        "kind": "import",
        "name": name,
        "date": imp.date,
        "format": imp.format.name(),
        "source": imp.source,
        "context": imp.context,
        "benchmarks": imp.benchmarks.iter().map(|b| json!({
            "name": b.name, "metric": b.metric, "unit": b.unit, "lower_is_better": b.lower_is_better,
            "samples": b.samples, "mean": b.mean, "median": b.median, "stddev": b.stddev,
            "min": b.min, "max": b.max, "extra": b.extra,
        })).collect::<Vec<_>>(),
    })
}

/// Measures of a stored import: `<benchmark>/<metric>`, with samples where the file had them.
pub fn measures_of_stored(v: &Value) -> anyhow::Result<Vec<Measure>> {
    let list = v["benchmarks"]
        .as_array()
        .context("an import record without benchmarks")?;
    Ok(list
        .iter()
        .filter_map(|b| {
            let samples: Vec<f64> = b["samples"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let value = b["mean"].as_f64().or(b["median"].as_f64()).or_else(|| {
                (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
            })?;
            Some(Measure {
                name: format!("{}/{}", b["name"].as_str()?, b["metric"].as_str()?),
                unit: b["unit"].as_str().unwrap_or_default().to_string(),
                value,
                lower_is_better: b["lower_is_better"].as_bool().unwrap_or(true),
                samples,
                count: None,
                histogram: None,
            })
        })
        .collect())
}

fn default_name(path: &Path, imp: &Imported) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if imp.format.name() == "criterion" && imp.benchmarks.len() == 1 {
        return imp.benchmarks[0].name.clone();
    }
    format!("{}:{stem}", imp.format.name())
}

/// A comparison side from a result file of another tool.
pub fn side_of_file(path: &Path) -> anyhow::Result<Side> {
    let imp = perfhive_import::import_file(path, None)?;
    let v = stored_json(&imp, &default_name(path, &imp));
    Ok(Side {
        label: path.display().to_string(),
        name: v["name"].as_str().unwrap_or_default().to_string(),
        kind: "import".into(),
        date: imp.date.clone(),
        commit: None,
        measures: measures_of_stored(&v)?,
    })
}

/// Prints a stored import.
pub fn render_stored(v: &Value, w: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        w,
        "\n  imported from {} ({})",
        v["source"].as_str().unwrap_or("?"),
        v["format"].as_str().unwrap_or("?")
    )?;
    for m in measures_of_stored(v)? {
        let n = if m.samples.is_empty() {
            String::new()
        } else {
            format!("  ({} samples)", m.samples.len())
        };
        writeln!(w, "  {:<48} {:>14.6} {}{}", m.name, m.value, m.unit, n)?;
    }
    Ok(())
}

/// Runs `perfhive import`.
pub fn exec(a: ImportArgs, history: &HistoryArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let format = a
        .format
        .as_deref()
        .map(|f| format_of(f).with_context(|| format!("unknown format `{f}`")))
        .transpose()?;
    let fp = fingerprint();
    for path in &a.files {
        let imp = perfhive_import::import_file(path, format)?;
        let name = a.name.clone().unwrap_or_else(|| default_name(path, &imp));
        let v = stored_json(&imp, &name);
        let measures = measures_of_stored(&v)?;
        let mut fp = fp.clone();
        // the file's own context (commit, machine) is kept in the record; the fingerprint is ours
        fp.git_commit = imp.context.get("commit").cloned().or(fp.git_commit);
        let Some(rec) = Recording::begin(history, "import", &name, &fp, &a.tag, a.note.as_deref())?
        else {
            writeln!(
                out.out(),
                "{}: {} benchmarks ({}) — not stored (--no-history)",
                path.display(),
                imp.benchmarks.len(),
                imp.format.name()
            )?;
            continue;
        };
        let id = rec.finish("passed", &v, &measures)?;
        writeln!(
            out.out(),
            "{}: {} benchmarks ({}) stored as run {id} `{name}`",
            path.display(),
            imp.benchmarks.len(),
            imp.format.name()
        )?;
    }
    Ok(Code::OK)
}
