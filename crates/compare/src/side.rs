//! Sides of a comparison from records: perfhive's own (load, bench, import, investigation —
//! stored in the history or written with `--out` / `--export-json`) and other tools' result
//! files through `perfhive-import`. Records are read into their typed structs; an
//! investigation is compared through the baseline it measured.

use crate::Side;
use perfhive_core::import::{ImportRecord, ImportedBenchmark};
use perfhive_core::investigation::StoredInvestigation;
use perfhive_core::measure;
use perfhive_core::record::{RecordKind, RunRecord};
use perfhive_core::{bench::BenchRecord, SCHEMA_VERSION};
use perfhive_import::Imported;
use std::path::Path;

/// Why a record or file gives no side.
#[derive(Debug, thiserror::Error)]
pub enum SideError {
    /// The record names no known kind.
    #[error("{label}: {source}")]
    Kind {
        /// The side.
        label: String,
        /// The unknown kind.
        source: perfhive_core::record::UnknownKind,
    },
    /// The record does not read as its kind says.
    #[error("{label}: not a valid perfhive {kind} record: {source}")]
    Record {
        /// The side.
        label: String,
        /// Its kind.
        kind: RecordKind,
        /// The deserialisation error.
        source: serde_json::Error,
    },
    /// An investigation without a baseline to compare.
    #[error("{label} is an investigation with nothing to compare: {reason}")]
    NoBaseline {
        /// The side.
        label: String,
        /// Why.
        reason: String,
    },
    /// A file that is neither a perfhive record nor another tool's result.
    #[error(transparent)]
    Import(#[from] perfhive_import::ImportError),
}

impl Side {
    /// Keeps the measures whose name contains one of `patterns` (`--metric`); all of them
    /// when `patterns` is empty.
    pub fn keep_measures(&mut self, patterns: &[String]) {
        if !patterns.is_empty() {
            self.measures
                .retain(|m| patterns.iter().any(|p| m.name.contains(p.as_str())));
        }
    }

    /// The side of a perfhive record (the JSON of any kind). `commit` overrides the record's
    /// own fingerprint commit (the history's column).
    pub fn from_record(
        label: impl Into<String>,
        v: &serde_json::Value,
        commit: Option<String>,
    ) -> Result<Side, SideError> {
        let label = label.into();
        let kind: RecordKind = v
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .parse()
            .map_err(|source| SideError::Kind {
                label: label.clone(),
                source,
            })?;
        let typed = |source| SideError::Record {
            label: label.clone(),
            kind,
            source,
        };
        let (name, date, fp_commit, measures) = match kind {
            RecordKind::Load => {
                let r: RunRecord = serde_json::from_value(v.clone()).map_err(typed)?;
                let c = r.fingerprint.as_ref().and_then(|f| f.git_commit.clone());
                (
                    r.scenario.clone(),
                    Some(r.date.clone()),
                    c,
                    measure::of_load(&r),
                )
            }
            RecordKind::Bench => {
                let r: BenchRecord = serde_json::from_value(v.clone()).map_err(typed)?;
                let c = r.fingerprint.as_ref().and_then(|f| f.git_commit.clone());
                (
                    r.name.clone(),
                    Some(r.date.clone()),
                    c,
                    measure::of_bench(&r),
                )
            }
            RecordKind::Import => {
                let r: ImportRecord = serde_json::from_value(v.clone()).map_err(typed)?;
                let c = r.context.get("commit").cloned();
                (r.name.clone(), r.date.clone(), c, measure::of_import(&r))
            }
            RecordKind::Investigation => {
                let r: StoredInvestigation = serde_json::from_value(v.clone()).map_err(typed)?;
                let measures =
                    measure::of_investigation(&r).map_err(|reason| SideError::NoBaseline {
                        label: label.clone(),
                        reason,
                    })?;
                (r.name.clone(), Some(r.date.clone()), None, measures)
            }
        };
        Ok(Side {
            label,
            name,
            kind,
            date,
            commit: commit.or(fp_commit),
            measures,
        })
    }

    /// The side of a file: a perfhive record (any kind, including an investigation's
    /// report.json), else another tool's result (hyperfine, k6, go test -bench, criterion,
    /// pytest-benchmark).
    pub fn from_file(path: &Path) -> Result<Side, SideError> {
        let label = path.display().to_string();
        if path.is_file() {
            if let Some(v) = std::fs::read(path)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            {
                let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
                if kind.parse::<RecordKind>().is_ok() && v.get("schema_version").is_some() {
                    return Side::from_record(label, &v, None);
                }
            }
        }
        let imp = perfhive_import::import_file(path, None)?;
        let record = import_record(&imp, &default_import_name(path, &imp));
        Ok(Side {
            label,
            name: record.name.clone(),
            kind: RecordKind::Import,
            date: record.date.clone(),
            commit: record.context.get("commit").cloned(),
            measures: measure::of_import(&record),
        })
    }
}

/// The record the history stores for an imported file.
pub fn import_record(imp: &Imported, name: &str) -> ImportRecord {
    ImportRecord {
        schema_version: SCHEMA_VERSION.to_string(),
        kind: RecordKind::Import,
        name: name.to_string(),
        date: imp.date.clone(),
        format: imp.format.name().to_string(),
        source: imp.source.clone(),
        context: imp.context.clone(),
        benchmarks: imp
            .benchmarks
            .iter()
            .map(|b| ImportedBenchmark {
                name: b.name.clone(),
                metric: b.metric.clone(),
                unit: b.unit.clone(),
                lower_is_better: b.lower_is_better,
                samples: b.samples.clone(),
                mean: b.mean,
                median: b.median,
                stddev: b.stddev,
                min: b.min,
                max: b.max,
                extra: b.extra.clone(),
            })
            .collect(),
    }
}

/// The history name of an imported file when none is given: `<format>:<file stem>`, or a
/// single criterion benchmark's own id.
pub fn default_import_name(path: &Path, imp: &Imported) -> String {
    if imp.format == perfhive_import::Format::Criterion && imp.benchmarks.len() == 1 {
        return imp.benchmarks[0].name.clone();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    format!("{}:{stem}", imp.format.name())
}
