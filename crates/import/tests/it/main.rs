//! Importing real result files of each tool (see `tests/fixtures/README.md` for how each was
//! produced), format detection, and the errors malformed input gives.

mod criterion;
mod detect;
mod errors;
mod go;
mod hyperfine;
mod k6;
mod pytest;

use perfhive_import::{Benchmark, Imported};
use std::path::{Path, PathBuf};

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The fixture's content.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// The one benchmark with this name and metric.
pub fn find<'a>(imported: &'a Imported, name: &str, metric: &str) -> &'a Benchmark {
    let found: Vec<&Benchmark> = imported
        .benchmarks
        .iter()
        .filter(|b| b.name == name && b.metric == metric)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{name} / {metric} in {:#?}",
        names(imported)
    );
    found[0]
}

/// (name, metric) of every benchmark, for assertion messages.
pub fn names(imported: &Imported) -> Vec<(String, String)> {
    imported
        .benchmarks
        .iter()
        .map(|b| (b.name.clone(), b.metric.clone()))
        .collect()
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("perfhive-import-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts two floats are equal to 1e-9 relative.
#[track_caller]
pub fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a value");
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{actual} != {expected}"
    );
}
