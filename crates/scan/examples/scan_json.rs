//! The scanner alone, for benchmarks that should not wait for the whole `perfhive` binary to
//! build: `scan_json [scan] PATH… [--lang L]… [--threads N] [--include-tests] [--out FILE]`
//! writes the JSON report of `perfhive scan --format json` (other `--format` values are
//! accepted and ignored). Exit 0, or 2 on bad arguments or a scan error.

use perfhive_scan::{Language, ScanOptions};
use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut opts = ScanOptions {
        paths: Vec::new(),
        ..ScanOptions::default()
    };
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("scan") {
        args.next();
    }
    let usage = |m: &str| -> ! {
        let _ = writeln!(std::io::stderr(), "scan_json: {m}");
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--lang" => {
                let v = value();
                opts.languages.push(
                    Language::from_name(&v).unwrap_or_else(|| usage(&format!("language {v}"))),
                )
            }
            "--threads" => {
                let v = value();
                opts.threads = v.parse().unwrap_or_else(|_| usage(&format!("threads {v}")))
            }
            "--out" => out = Some(PathBuf::from(value())),
            "--format" => {
                value();
            }
            "--include-tests" => opts.include_tests = true,
            "--include-one-off" => opts.include_one_off = true,
            "--include-unsized" => opts.include_unsized = true,
            "--include-off-request" => opts.include_off_request = true,
            "--all-findings" => {
                opts.include_one_off = true;
                opts.include_unsized = true;
                opts.include_off_request = true;
            }
            "--all-rules" => opts.all_rules = true,
            "--version" => {
                let v = env!("CARGO_PKG_VERSION");
                let _ = writeln!(std::io::stdout(), "perfhive-scan {v} (scan_json)");
                return;
            }
            s if s.starts_with("--") => usage(&format!("unknown option {s}")),
            p => opts.paths.push(PathBuf::from(p)),
        }
    }
    if opts.paths.is_empty() {
        opts.paths.push(PathBuf::from("."));
    }
    let report = perfhive_scan::scan(&opts).unwrap_or_else(|e| usage(&e.to_string()));
    let r = match out {
        Some(p) => std::fs::File::create(&p).and_then(|mut f| report.render_json(&mut f)),
        None => report.render_json(&mut std::io::stdout().lock()),
    };
    r.unwrap_or_else(|e| usage(&e.to_string()));
}
