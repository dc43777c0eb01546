use crate::fixture;
use perfhive_import::{import_file, parse, Format, ImportError};
use std::path::Path;

#[track_caller]
fn parse_error(format: Format, name: &str, content: &str) -> (String, Option<usize>, String) {
    match parse(format, Path::new(name), content) {
        Err(err @ ImportError::Parse { .. }) => {
            let text = err.to_string();
            let ImportError::Parse { message, line, .. } = err else {
                unreachable!()
            };
            (message, line, text)
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn go_bad_value_points_at_its_line() {
    let text = "goos: linux\npkg: example.com/x\nBenchmarkX-8   \t 1000\t  abc ns/op\nPASS\n";
    let (message, line, display) = parse_error(Format::GoBench, "bench.txt", text);
    assert_eq!(line, Some(3));
    assert!(
        message.contains("expected a number before `ns/op`, found `abc`"),
        "{message}"
    );
    assert_eq!(
        display,
        "bench.txt:3: go test -bench output: `BenchmarkX-8`: expected a number before `ns/op`, found `abc`"
    );
}

#[test]
fn go_bad_iteration_count_and_missing_unit() {
    let (message, line, _) =
        parse_error(Format::GoBench, "b.txt", "BenchmarkX-8  fast  12 ns/op\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("expected an iteration count"), "{message}");

    let text = "goos: linux\n\nBenchmarkY-8  100  12 ns/op  3\n";
    let (message, line, _) = parse_error(Format::GoBench, "b.txt", text);
    assert_eq!(line, Some(3));
    assert!(message.contains("value/unit pairs"), "{message}");
}

#[test]
fn go_text_without_any_benchmark_marker_is_refused() {
    let (message, line, _) = parse_error(Format::GoBench, "notes.txt", "just some notes\n");
    assert_eq!(line, None);
    assert!(message.contains("found none"), "{message}");
}

#[test]
fn json_type_errors_carry_the_line() {
    let text = "{\n  \"results\": [\n    {\n      \"command\": \"ls\",\n      \"mean\": \"fast\"\n    }\n  ]\n}\n";
    let (message, line, display) = parse_error(Format::Hyperfine, "h.json", text);
    assert_eq!(line, Some(5));
    assert!(
        message.contains("invalid type: string \"fast\", expected f64"),
        "{message}"
    );
    assert!(
        display.starts_with("h.json:5: hyperfine --export-json: JSON: "),
        "{display}"
    );
}

#[test]
fn json_syntax_errors_carry_the_line() {
    let text = "{\n  \"results\": [\n    {\"command\": \"ls\", \"mean\": 1.0,,}\n";
    let (_, line, _) = parse_error(Format::Hyperfine, "h.json", text);
    assert_eq!(line, Some(3));
}

#[test]
fn missing_fields_are_named() {
    let (message, _, _) = parse_error(Format::PytestBenchmark, "p.json", r#"{"machine_info": {}}"#);
    assert!(message.contains("missing field `benchmarks`"), "{message}");
    let (message, _, _) = parse_error(Format::Criterion, "estimates.json", r#"{"mean": {}}"#);
    assert!(message.contains("missing field"), "{message}");
}

#[test]
fn k6_errors_name_the_metric() {
    let (message, _, _) = parse_error(
        Format::K6Summary,
        "k6.json",
        r#"{"metrics": {"http_reqs": {"count": "many", "rate": 1}}}"#,
    );
    assert_eq!(
        message,
        "`metrics.http_reqs.count`: expected a number, found a string"
    );
    let (message, _, _) = parse_error(
        Format::K6Summary,
        "k6.json",
        r#"{"metrics": {"x": {"type": "histogram", "values": {}}}}"#,
    );
    assert!(
        message.contains("expected trend, counter, rate or gauge, found `histogram`"),
        "{message}"
    );
    let (message, _, _) = parse_error(Format::K6Summary, "k6.json", r#"{"root_group": {}}"#);
    assert!(message.contains("expected a `metrics` object"), "{message}");
}

#[test]
fn empty_results_import_as_empty() {
    let cases = [
        (Format::Hyperfine, r#"{"results": []}"#),
        (
            Format::PytestBenchmark,
            r#"{"machine_info": {}, "benchmarks": [], "datetime": "2026-01-02T03:04:05.000006"}"#,
        ),
        (Format::K6Summary, r#"{"root_group": {}, "metrics": {}}"#),
    ];
    for (format, content) in cases {
        let imported = parse(format, Path::new("empty.json"), content).unwrap();
        assert!(imported.benchmarks.is_empty(), "{format}");
        assert_eq!(imported.format, format);
    }
    let pytest = parse(Format::PytestBenchmark, Path::new("e.json"), cases[1].1).unwrap();
    assert_eq!(pytest.date.as_deref(), Some("2026-01-02T03:04:05.000006Z"));
}

#[test]
fn unknown_content_and_missing_files() {
    let dir = crate::temp_dir("errors");
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "nothing to see here\n").unwrap();
    let err = import_file(&notes, None).unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}: not a result file", notes.display())),
        "{text}"
    );
    assert!(text.contains("hyperfine --export-json"), "{text}");

    let missing = dir.join("missing.json");
    let err = import_file(&missing, None).unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
    assert!(err
        .to_string()
        .starts_with(&format!("{}: cannot read", missing.display())));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_format_given_explicitly_is_used() {
    let err = import_file(&fixture("hyperfine.json"), Some(Format::GoBench)).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Parse {
                format: Format::GoBench,
                ..
            }
        ),
        "{err:?}"
    );
}
