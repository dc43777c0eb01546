use crate::{close, find, fixture};
use perfhive_import::{import_file, Format};

#[test]
fn two_commands_with_times_as_samples() {
    let imported = import_file(&fixture("hyperfine.json"), None).unwrap();
    assert_eq!(imported.format, Format::Hyperfine);
    assert_eq!(imported.benchmarks.len(), 2);
    assert_eq!(imported.date, None);
    let b = find(&imported, "sleep 0.01", "wall_time");
    assert_eq!((b.unit.as_str(), b.lower_is_better), ("s", true));
    assert_eq!(b.samples.len(), 5);
    assert_eq!(b.samples[0], 0.010907342599999998);
    close(b.mean, 0.012419450600000001);
    close(b.median, 0.013152804600000002);
    close(b.stddev, 0.002293950576856878);
    close(b.min, 0.0092153266);
    close(b.max, 0.014525974600000002);
    assert_eq!(b.extra["user"], 0.00131876);
    assert_eq!(b.extra["system"], 0.00021519999999999997);
    assert_eq!(b.extra["runs"], 5.0);
    assert_eq!(b.extra["failed_runs"], 0.0);
    assert!(imported.source.ends_with("hyperfine.json"));
}

#[test]
fn parameter_scan_keeps_numeric_parameters() {
    let imported = import_file(&fixture("hyperfine-param.json"), None).unwrap();
    assert_eq!(imported.benchmarks.len(), 3);
    for (i, b) in imported.benchmarks.iter().enumerate() {
        assert_eq!(b.name, format!("sleep 0.0{}", i + 1));
        assert_eq!(b.extra["param.delay"], (i + 1) as f64);
        assert_eq!(b.samples.len(), 3);
    }
}

#[test]
fn a_single_run_has_no_stddev() {
    let imported = import_file(&fixture("hyperfine-one-run.json"), None).unwrap();
    let b = find(&imported, "true", "wall_time");
    assert_eq!(b.stddev, None);
    assert_eq!(b.samples.len(), 1);
    close(b.mean, 0.00010635713999999983);
}
