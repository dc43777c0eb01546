use crate::{close, find, fixture, names};
use perfhive_import::{import_file, Format};

#[test]
fn count_3_with_benchmem_and_custom_units() {
    let imported = import_file(&fixture("go-bench.txt"), None).unwrap();
    assert_eq!(imported.format, Format::GoBench);
    assert_eq!(imported.benchmarks.len(), 17, "{:#?}", names(&imported));
    let ctx = &imported.context;
    assert_eq!(ctx["goos"], "linux");
    assert_eq!(ctx["goarch"], "amd64");
    assert_eq!(ctx["pkg"], "example.com/tinybench");
    assert_eq!(ctx["cpu"], "Intel(R) Xeon(R) Processor @ 2.80GHz");
    assert_eq!(ctx["gomaxprocs"], "2");

    let ns = find(&imported, "BenchmarkSprintf", "ns_per_op");
    assert_eq!((ns.unit.as_str(), ns.lower_is_better), ("ns", true));
    assert_eq!(ns.samples, vec![153.1, 102.2, 152.2]);
    close(ns.mean, (153.1 + 102.2 + 152.2) / 3.0);
    close(ns.median, 152.2);
    close(ns.min, 102.2);
    close(ns.max, 153.1);
    assert!(ns.stddev.is_some());
    assert_eq!(ns.extra["gomaxprocs"], 2.0);
    assert_eq!(ns.extra["runs"], 3.0);
    assert_eq!(ns.extra["iterations"], 60000.0);

    let bytes = find(&imported, "BenchmarkSprintf", "bytes_per_op");
    assert_eq!(
        (bytes.unit.as_str(), bytes.samples.clone()),
        ("B", vec![15.0; 3])
    );
    let allocs = find(&imported, "BenchmarkSprintf", "allocs_per_op");
    assert_eq!(allocs.unit, "allocs");

    let mbs = find(&imported, "BenchmarkJoin", "mb_per_s");
    assert_eq!((mbs.unit.as_str(), mbs.lower_is_better), ("MB/s", false));
    assert_eq!(mbs.samples, vec![92.65, 78.61, 86.29]);

    let widgets = find(&imported, "BenchmarkCustom", "widgets_per_op");
    assert_eq!(
        (widgets.unit.as_str(), widgets.lower_is_better),
        ("widgets", true)
    );
    assert_eq!(widgets.samples, vec![42.0; 3]);

    let sub = find(&imported, "BenchmarkSub/n=100", "ns_per_op");
    assert_eq!(sub.samples, vec![323.2, 472.3, 589.1]);
}

#[test]
fn several_gomaxprocs_keep_names_apart_and_verbose_names_are_skipped() {
    let imported = import_file(&fixture("go-bench-cpu-verbose.txt"), None).unwrap();
    assert_eq!(imported.benchmarks.len(), 6, "{:#?}", names(&imported));
    let one = find(&imported, "BenchmarkSprintf", "ns_per_op");
    assert_eq!(
        (one.samples.clone(), one.extra["gomaxprocs"]),
        (vec![118.9], 1.0)
    );
    let two = find(&imported, "BenchmarkSprintf-2", "ns_per_op");
    assert_eq!(
        (two.samples.clone(), two.extra["gomaxprocs"]),
        (vec![110.3], 2.0)
    );
    assert!(!imported.context.contains_key("gomaxprocs"));
}

#[test]
fn a_run_that_matched_no_benchmark_is_empty() {
    let imported = import_file(&fixture("go-bench-no-match.txt"), Some(Format::GoBench)).unwrap();
    assert!(imported.benchmarks.is_empty());
}

#[test]
fn several_packages_qualify_names() {
    let text = "goos: linux\npkg: example.com/a\nBenchmarkX-4 \t 10\t 5.0 ns/op\n\
                pkg: example.com/b\nBenchmarkX-4 \t 10\t 7.0 ns/op\nPASS\n";
    let imported = perfhive_import::parse(Format::GoBench, "two.txt".as_ref(), text).unwrap();
    assert_eq!(
        find(&imported, "example.com/a.BenchmarkX", "ns_per_op").samples,
        vec![5.0]
    );
    assert_eq!(
        find(&imported, "example.com/b.BenchmarkX", "ns_per_op").samples,
        vec![7.0]
    );
    assert_eq!(imported.context["pkg"], "example.com/a, example.com/b");
}
