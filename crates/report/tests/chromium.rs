//! The demo report page rendered by headless Chromium, with the network blocked: the DOM keeps
//! every chart, and the screenshot is a real picture. A reported skip (a failure in CI) when
//! `/usr/bin/chromium` is not installed; `.ci/run` installs it from apt.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs Chromium headless on `page` with `extra` flags, killing it after 120 s.
fn chromium(page: &Path, profile: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        // Any network request fails: the page must not need one.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait chromium").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("chromium output")
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[test]
#[allow(clippy::print_stderr)]
fn page_renders_in_headless_chromium() {
    if !perfhive_test_support::require(
        "report::chromium::page_renders_in_headless_chromium",
        Path::new(CHROMIUM).exists(),
        &format!("{CHROMIUM} is not installed; apt install chromium (.ci/run does)"),
    ) {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-chromium");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report-demo.html");
    std::fs::write(&page, common::demo_page()).unwrap();

    // The parsed DOM keeps the four charts with their titles.
    let out = chromium(&page, &dir.join("profile-dom"), &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dom.matches("<svg class=\"ph-chart\"").count(), 4, "{dom}");
    assert!(dom.contains("Latency percentile spectrum") && dom.contains("99.9%"));
    assert!(dom.contains("<nav aria-label=\"Contents\">"));

    // The screenshot is a 1200×900 PNG with real content (a blank page compresses to ~5 KB).
    let png = dir.join("report-demo.png");
    let out = chromium(
        &page,
        &dir.join("profile-shot"),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1200,900",
        ],
    );
    assert!(
        out.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!((be32(&bytes[16..20]), be32(&bytes[20..24])), (1200, 900));
    assert!(
        bytes.len() > 20_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    eprintln!("screenshot: {}", png.display());
}
