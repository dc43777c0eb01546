//! Checks shared by the importer targets (a module, not a target: bench/fuzz.sh runs the
//! `fuzz_targets/*.rs` files only).

use perfhive_import::Imported;

/// Every statistic an import keeps is a finite number, and a time is never negative: what the
/// history stores and `compare` divides by must not be NaN or a negative duration.
pub fn assert_numbers_hold(imported: &Imported) {
    let time = |unit: &str| matches!(unit, "s" | "ms" | "us" | "µs" | "ns");
    for b in &imported.benchmarks {
        let stats = [b.mean, b.median, b.stddev, b.min, b.max];
        let all = b
            .samples
            .iter()
            .copied()
            .chain(stats.into_iter().flatten())
            .chain(b.extra.values().copied());
        for v in all {
            assert!(v.is_finite(), "{} {}: {v}", b.name, b.metric);
        }
        if time(&b.unit) {
            for v in b.samples.iter().chain([b.mean, b.median, b.min, b.max].iter().flatten()) {
                assert!(*v >= 0.0, "{} {}: negative time {v}", b.name, b.metric);
            }
        }
    }
}
