use crate::{close, find, fixture};
use perfhive_import::{import_file, Format};

#[test]
fn benchmark_json_with_raw_data() {
    let imported = import_file(&fixture("pytest-benchmark.json"), None).unwrap();
    assert_eq!(imported.format, Format::PytestBenchmark);
    assert_eq!(
        imported.date.as_deref(),
        Some("2026-11-23T10:18:54.939303+00:00")
    );
    assert_eq!(imported.benchmarks.len(), 2);
    let fib = find(&imported, "test_tiny.py::test_fib_10", "wall_time");
    assert_eq!((fib.unit.as_str(), fib.lower_is_better), ("s", true));
    assert_eq!(fib.samples.len(), 10);
    close(fib.mean, 8.31229995128524e-06);
    let mean_of_data = fib.samples.iter().sum::<f64>() / fib.samples.len() as f64;
    close(Some(mean_of_data), 8.31229995128524e-06);
    assert_eq!(fib.extra["rounds"], 10.0);
    assert_eq!(fib.extra["iterations"], 1.0);
    let sum = find(&imported, "test_tiny.py::test_sum_range", "wall_time");
    assert_eq!(sum.samples.len(), 15);
    assert_eq!(sum.extra["iterations"], 10.0);
    close(sum.median, 6.466000286309281e-07);
    close(sum.stddev, 9.60276521716422e-09);
    assert!(sum.extra.contains_key("ops") && sum.extra.contains_key("iqr"));

    let ctx = &imported.context;
    assert_eq!(ctx["python_version"], "3.11.7");
    assert_eq!(ctx["python_implementation"], "CPython");
    assert_eq!(ctx["cpu"], "Intel(R) Xeon(R) Processor @ 2.80GHz");
    assert_eq!(ctx["cpu_count"], "2");
    assert_eq!(ctx["os"], "Linux");
    assert_eq!(ctx["commit"], "unversioned");
    assert_eq!(ctx["dirty"], "false");
    assert_eq!(ctx["pytest_benchmark_version"], "5.3.1");
    assert!(!ctx.contains_key("commit_time"), "null values are left out");
}

#[test]
fn saved_file_without_data_has_statistics_only() {
    let imported = import_file(&fixture("pytest-benchmark-saved.json"), None).unwrap();
    assert_eq!(imported.format, Format::PytestBenchmark);
    assert_eq!(imported.benchmarks.len(), 2);
    for b in &imported.benchmarks {
        assert!(b.samples.is_empty());
        assert!(b.mean.is_some() && b.median.is_some() && b.min.is_some() && b.max.is_some());
    }
}
