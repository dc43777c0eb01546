//! The Markdown, HTML and folder renderings of an investigation report.

mod fixture;
mod xml;

use perfhive_investigate::render::{self, SECTIONS};
use perfhive_report::html::escape;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Replaces every run of ASCII digits with `N`, so the snapshot pins the wording and layout
/// rather than the numbers.
fn redact_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            if !in_run {
                out.push('N');
            }
            in_run = true;
        } else {
            out.push(ch);
            in_run = false;
        }
    }
    out
}

/// A scratch directory under Cargo's target tmp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn markdown_has_every_section_in_order() {
    let md = render::markdown(&fixture::report());
    assert!(md.starts_with("# Investigation: demo-ingest\n"));
    let mut at = 0;
    for h in SECTIONS {
        let needle = format!("\n## {h}\n");
        let pos = md[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("heading {h:?} missing or out of order"));
        at += pos + needle.len();
    }
    assert_eq!(md.matches("\n## ").count(), SECTIONS.len());
}

#[test]
fn headline_is_the_first_sentence_of_the_summary() {
    let md = render::markdown(&fixture::report());
    let body = md.split("## Executive summary\n\n").nth(1).unwrap();
    let expected = format!("{}.\n\n**P0: set batch_size to 100", fixture::HEADLINE);
    assert!(body.starts_with(&expected), "{body}");
    // then the before/after, labelled, and where the time goes
    let ba = body.find("(measured before/after).**").unwrap();
    let breakdown = body.find("Where the time goes: 61.0% db commit (12.3 ms), 17.0% serialization (3.44 ms), 14.0% N+1 lookups (2.83 ms), 8.0% other (0.457 ms) (source: Server-Timing headers).").unwrap();
    assert!(ba < breakdown, "{body}");
    // the per-request table
    assert!(
        body.contains("| Request | Rate | p50 | p95 | p99 | Errors |"),
        "{body}"
    );
    assert!(
        body.contains("| items | 40.1 req/s | 4.20 ms | 9.90 ms | 14.0 ms | 3 (0.1%) |"),
        "{body}"
    );
}

#[test]
fn findings_recommendations_and_investigators() {
    let md = render::markdown(&fixture::report());
    // In rank order first, with evidence and what joined the confirmation.
    let findings = md
        .split("## Key findings")
        .nth(1)
        .unwrap()
        .split("## Top recommendations")
        .next()
        .unwrap();
    let first = findings
        .find("### #1 Unbatched SQLite commits dominate POST /ingest")
        .unwrap();
    let second = findings.find("### #2 ").unwrap();
    assert!(first < second && findings.find("### #3 ").unwrap() > second);
    assert!(findings
        .contains("traces · score 0.512 · severity 0.90 · 61.0% of request time · measured"));
    assert!(findings
        .contains("- mean commit time: 12.3 ms (`/investigators/0/data/phases/db/mean_ms`)"));
    assert!(findings.contains("- commit share of request time: 61%"));
    assert!(findings.contains("Confirmed by: load (same function `database_handler`)\n"));
    assert!(findings.contains("Confirmed by: load (same request `GET /items`)\n"));
    // the per-investigator view comes after, in the investigator summaries
    let summaries = md.split("## Investigator summaries").nth(1).unwrap();
    assert!(summaries
        .contains("Findings, by rank:\n\n- #1 Unbatched SQLite commits dominate POST /ingest"));
    // P0, P1, P2 with speed-up and effort.
    for p in [
        "### P0 — Batch inserts",
        "### P1 — Switch",
        "### P2 quick win — Replace",
    ] {
        assert!(md.contains(p), "{p}");
    }
    assert!(md.contains("on the affected path (Amdahl bound, not measured)"));
    assert!(md.contains("throughput (measured by a sweep)"));
    assert!(md.contains("- **Effort:** medium"));
    // Verdicts, the error of the failed investigator, artefacts.
    assert!(md.contains("### load — insufficient data"));
    assert!(md.contains("### profile — failed"));
    assert!(md.contains(&format!(
        "### profile — failed\n\n**Error:** {}\n",
        fixture::FAILED_ERROR
    )));
    assert!(md.contains("Artefacts:\n\n- [traces/server-timing.csv](traces/server-timing.csv)\n"));
    assert!(md.contains("Artefacts:\n\n- [load-sweep.csv](load-sweep.csv)\n"));
    assert!(md.contains("### Shared artefacts\n\n- [baseline.json](baseline.json)\n"));
    // latency percentiles at the standard points only
    assert!(
        md.contains("| 99.9% | 95.0 ms |\n| 99.99% | 128 ms |"),
        "{md}"
    );
    // roadmap headings are numbered once
    assert!(!md.contains("Phase 1: Phase"));
    // Disagreement with its resolution; risks as a table.
    assert!(
        md.contains("#### connections") && md.contains("**Resolution:** Measured evidence wins")
    );
    assert!(md.contains("| Risk | Likelihood | Impact | Mitigation |"));
}

#[test]
fn validation_commands_are_sh_blocks() {
    let r = fixture::report();
    let md = render::markdown(&r);
    for step in &r.validation_plan {
        assert!(md.contains(&format!("```sh\n{}\n```", step.command)));
    }
    let tricky = perfhive_investigate::report::ValidationStep {
        purpose: "odd".into(),
        command: "echo ```".into(),
    };
    let mut r2 = r.clone();
    r2.validation_plan = vec![tricky];
    assert!(render::markdown(&r2).contains("````sh\necho ```\n````"));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "markdown",
        redact_digits(&render::markdown(&fixture::report()))
    );
}

/// report.json is a link in the appendices, like every other data file, in both renderings.
#[test]
fn report_json_is_linked_like_the_other_artefacts() {
    let md = render::markdown(&fixture::report());
    let data = md.split("### Data files").nth(1).unwrap();
    assert!(data.contains("is in [report.json](report.json)."), "{data}");
    assert!(!md.contains("`report.json`"), "{md}");
    let html = render::html(&fixture::report());
    assert!(html.contains("is in <a href=\"report.json\">report.json</a>."));
    assert!(!html.contains("<code>report.json</code>"));
}

/// The page with the user's texts (escaped) removed: what the renderer itself wrote.
fn own_markup(html: &str) -> String {
    html.replace(&escape(fixture::USER_TEXT), "")
        .replace(&escape(fixture::TARGET), "")
}

#[test]
fn html_is_self_contained_and_well_formed() {
    let html = render::html(&fixture::report());
    // Bar, spectrum, throughput, p99, sweep, parameter.
    assert_eq!(html.matches("<svg").count(), 6);
    assert!(
        html.contains("stroke-dasharray=\"6 4\""),
        "USL fit is dashed"
    );
    let own = own_markup(&html);
    for bad in [
        "http://", "https://", "<script", "<link", "<img", " src=", "url(", "@import",
    ] {
        assert!(!own.contains(bad), "page contains {bad}");
    }
    assert!(html.contains(&escape(fixture::USER_TEXT)));
    xml::check_xml(&xml::page_as_xml(&html)).unwrap_or_else(|e| panic!("{e}"));
    // Sections in order, the failed investigator's error, the commands.
    let mut at = 0;
    for h in SECTIONS {
        let pos = html[at..]
            .find(&format!("\">{h}</h2>"))
            .unwrap_or_else(|| panic!("{h}"));
        at += pos;
    }
    assert!(html.contains(&escape(fixture::FAILED_ERROR)));
    assert!(html.contains("<pre><code class=\"language-sh\">perfhive run scenarios/ingest.yaml --save baseline</code></pre>"));
    assert!(html.contains("perfhive run scenarios/ingest.yaml --save batched &amp;&amp; perfhive"));
}

#[test]
fn html_omits_empty_charts() {
    let html = render::html(&fixture::empty_charts());
    assert_eq!(html.matches("<svg").count(), 0);
    xml::check_xml(&xml::page_as_xml(&html)).unwrap_or_else(|e| panic!("{e}"));
    let mut r = fixture::report();
    r.charts.usl = None;
    r.charts.parameter = Some(("batch_size".into(), Vec::new()));
    r.charts.timeseries.clear();
    let html = render::html(&r);
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(!html.contains("USL fit"));
}

#[test]
fn folder_has_every_file() {
    let r = fixture::report();
    let dir = scratch("render-folder").join("out");
    let raw = vec![
        (
            "traces/server-timing.csv".to_string(),
            b"t,db\n0,12.3\n".to_vec(),
        ),
        ("load-sweep.csv".to_string(), b"n,x\n1,93\n".to_vec()),
    ];
    let paths = render::write_folder(&r, &dir, &raw).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "report.md",
            "report.html",
            "report.json",
            "traces/server-timing.csv",
            "load-sweep.csv"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        render::markdown(&r)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&paths[2]).unwrap()).unwrap();
    assert_eq!(json["name"], "demo-ingest");
    assert_eq!(std::fs::read(&paths[3]).unwrap(), raw[0].1);
    let bad = vec![("../escape.txt".to_string(), Vec::new())];
    let err = render::write_folder(&r, &dir, &bad).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Runs headless Chromium on `page` with the network blocked, killing it after 120 s.
fn chromium_screenshot(page: &Path, profile: &Path, png: &Path) {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait chromium").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn html_renders_in_headless_chromium() {
    if !perfhive_test_support::require(
        "investigate::render::html_renders_in_headless_chromium",
        Path::new(CHROMIUM).exists(),
        &format!("{CHROMIUM} is not installed; apt install chromium (.ci/run does)"),
    ) {
        return;
    }
    let dir = scratch("render-chromium");
    let paths = render::write_folder(&fixture::report(), &dir, &[]).unwrap();
    let png = dir.join("report.png");
    chromium_screenshot(&paths[1], &dir.join("profile"), &png);
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!((be32(&bytes[16..20]), be32(&bytes[20..24])), (1200, 2400));
    assert!(
        bytes.len() > 40_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
}
