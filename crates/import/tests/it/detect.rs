use crate::{fixture, fixture_text};
use perfhive_import::{detect, Format};
use std::path::Path;

#[track_caller]
fn detected(name: &str) -> Option<Format> {
    detect(&fixture(name), &fixture_text(name))
}

#[test]
fn every_fixture_is_recognised() {
    let cases = [
        ("hyperfine.json", Format::Hyperfine),
        ("hyperfine-param.json", Format::Hyperfine),
        ("hyperfine-one-run.json", Format::Hyperfine),
        ("k6-summary-export.json", Format::K6Summary),
        ("k6-handle-summary.json", Format::K6Summary),
        ("go-bench.txt", Format::GoBench),
        ("go-bench-cpu-verbose.txt", Format::GoBench),
        (
            "criterion/sum/range/10/new/estimates.json",
            Format::Criterion,
        ),
        ("pytest-benchmark.json", Format::PytestBenchmark),
        ("pytest-benchmark-saved.json", Format::PytestBenchmark),
    ];
    for (name, format) in cases {
        assert_eq!(detected(name), Some(format), "{name}");
    }
}

#[test]
fn criterion_estimates_are_recognised_by_content_alone() {
    let text = fixture_text("criterion/fib 10/new/estimates.json");
    assert_eq!(
        detect(Path::new("renamed.json"), &text),
        Some(Format::Criterion)
    );
}

#[test]
fn empty_results_are_still_recognised() {
    let p = Path::new("x.json");
    assert_eq!(detect(p, r#"{"results": []}"#), Some(Format::Hyperfine));
    assert_eq!(
        detect(
            p,
            r#"{"machine_info": {}, "commit_info": {}, "benchmarks": []}"#
        ),
        Some(Format::PytestBenchmark)
    );
    assert_eq!(
        detect(p, r#"{"root_group": {}, "metrics": {}}"#),
        Some(Format::K6Summary)
    );
}

#[test]
fn unrelated_content_is_not_recognised() {
    let p = Path::new("x.txt");
    assert_eq!(detect(p, ""), None);
    assert_eq!(detect(p, "hello\nBenchmarking is fun\n"), None);
    assert_eq!(detect(p, "PASS\nok  \texample.com/x\t0.002s\n"), None);
    assert_eq!(detect(p, r#"{"name": "package.json"}"#), None);
    assert_eq!(detect(p, "[1, 2, 3]"), None);
    assert_eq!(
        detect(p, r#"{"results": [{"name": "not hyperfine"}]}"#),
        None
    );
    assert_eq!(
        detect(
            Path::new("benchmark.json"),
            &fixture_text("criterion/fib 10/new/benchmark.json")
        ),
        None
    );
}

#[test]
fn broken_json_is_guessed_from_its_keys() {
    let p = Path::new("x.json");
    assert_eq!(
        detect(p, r#"{"results": [{"command": "ls", "mean": "#),
        Some(Format::Hyperfine)
    );
    assert_eq!(
        detect(p, r#"{"machine_info": {}, "benchmarks": [ "#),
        Some(Format::PytestBenchmark)
    );
    assert_eq!(
        detect(Path::new("new/estimates.json"), "{"),
        Some(Format::Criterion)
    );
}
