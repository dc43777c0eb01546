use crate::{close, find, fixture, names, temp_dir};
use perfhive_import::{import_file, Format, ImportError};
use serde_json::Value;

fn json(name: &str) -> Value {
    serde_json::from_str(&crate::fixture_text(name)).unwrap()
}

#[test]
fn estimates_with_benchmark_and_sample() {
    let dir = "criterion/sum/range/100/new";
    let imported = import_file(&fixture(&format!("{dir}/estimates.json")), None).unwrap();
    assert_eq!(imported.format, Format::Criterion);
    assert_eq!(imported.benchmarks.len(), 2, "{:#?}", names(&imported));
    assert_eq!(imported.context["sampling_mode"], "Linear");

    let estimates = json(&format!("{dir}/estimates.json"));
    let sample = json(&format!("{dir}/sample.json"));
    let b = find(&imported, "sum/range/100", "wall_time");
    assert_eq!((b.unit.as_str(), b.lower_is_better), ("ns", true));
    close(
        b.mean,
        estimates["mean"]["point_estimate"].as_f64().unwrap(),
    );
    close(
        b.median,
        estimates["median"]["point_estimate"].as_f64().unwrap(),
    );
    close(
        b.stddev,
        estimates["std_dev"]["point_estimate"].as_f64().unwrap(),
    );
    let lower = estimates["mean"]["confidence_interval"]["lower_bound"]
        .as_f64()
        .unwrap();
    close(b.extra.get("mean_lower_bound").copied(), lower);
    close(
        b.extra.get("slope").copied(),
        estimates["slope"]["point_estimate"].as_f64().unwrap(),
    );
    assert_eq!(b.extra["confidence_level"], 0.95);
    assert_eq!(b.extra["throughput_elements"], 100.0);

    let iters = sample["iters"].as_array().unwrap();
    let times = sample["times"].as_array().unwrap();
    assert_eq!(b.samples.len(), iters.len());
    close(
        Some(b.samples[0]),
        times[0].as_f64().unwrap() / iters[0].as_f64().unwrap(),
    );
    let min = b.samples.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(b.min, Some(min));
    let total: f64 = iters.iter().map(|n| n.as_f64().unwrap()).sum();
    assert_eq!(b.extra["iterations"], total);

    let t = find(&imported, "sum/range/100", "elements_per_s");
    assert_eq!((t.unit.as_str(), t.lower_is_better), ("elem/s", false));
    close(t.mean, 100.0 * 1e9 / b.mean.unwrap());
    close(t.max, 100.0 * 1e9 / b.min.unwrap());
}

#[test]
fn name_comes_from_benchmark_json() {
    let imported = import_file(&fixture("criterion/fib 10/new/estimates.json"), None).unwrap();
    assert_eq!(
        imported.benchmarks.len(),
        1,
        "no throughput, no second benchmark"
    );
    assert_eq!(imported.benchmarks[0].name, "fib 10");
}

#[test]
fn without_siblings_the_name_comes_from_the_path() {
    let root = temp_dir("criterion-alone");
    let dir = root.join("target/criterion/grp/bench/new");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("estimates.json");
    std::fs::copy(fixture("criterion/sum/range/10/new/estimates.json"), &file).unwrap();
    let imported = import_file(&file, None).unwrap();
    let b = &imported.benchmarks[0];
    assert_eq!(b.name, "grp/bench");
    assert!(b.samples.is_empty() && b.min.is_none());
    assert!(b.mean.is_some());
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_directory_imports_every_benchmark_under_it() {
    let imported = import_file(&fixture("criterion"), None).unwrap();
    let got = names(&imported);
    let want = [
        ("fib 10", "wall_time"),
        ("sum/range/10", "elements_per_s"),
        ("sum/range/10", "wall_time"),
        ("sum/range/100", "elements_per_s"),
        ("sum/range/100", "wall_time"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(imported.source.ends_with("criterion"));
}

#[test]
fn a_benchmark_directory_or_sibling_file_stands_for_its_estimates() {
    let by_dir = import_file(&fixture("criterion/sum/range/10"), None).unwrap();
    let by_sample = import_file(&fixture("criterion/sum/range/10/new/sample.json"), None).unwrap();
    assert_eq!(by_dir.benchmarks, by_sample.benchmarks);
    assert!(by_sample.source.ends_with("estimates.json"));
}

#[test]
fn change_estimates_are_refused() {
    let path = fixture("criterion/sum/range/100/change/estimates.json");
    let err = import_file(&path, None).unwrap_err();
    assert!(matches!(
        err,
        ImportError::Parse {
            format: Format::Criterion,
            ..
        }
    ));
    assert!(
        err.to_string().contains("new/estimates.json instead"),
        "{err}"
    );
}

#[test]
fn an_empty_directory_is_an_error() {
    let dir = temp_dir("criterion-empty");
    let err = import_file(&dir, None).unwrap_err();
    assert!(err.to_string().contains("found none"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
