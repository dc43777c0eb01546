//! The demo under test, in this process ([`demo`]) or in a process of its own configured by
//! `OTEL_*` variables ([`DemoProcess`], as `perfhive __demo` runs it); the shared HTTP client,
//! time bound and OTLP receiver come from perfhive-test-support and perfhive-traces.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use perfhive_demo::otel::ExportConfig;
use perfhive_demo::{spawn, DemoOptions, RunningDemo};
pub use perfhive_test_support::http::{bounded, Client, Reply};
use perfhive_test_support::Spawned;

/// A demo service with the default (slow) switches.
pub fn demo() -> RunningDemo {
    spawn(DemoOptions::default()).expect("spawn demo")
}

/// `GET /stats` as JSON.
pub async fn stats(c: &mut Client) -> serde_json::Value {
    c.get("/stats").await.json()
}

/// `n` records as a JSON array, sensors named after `tag`.
pub fn records(n: usize, tag: &str) -> Vec<u8> {
    let records: Vec<_> = (0..n)
        .map(|i| serde_json::json!({"sensor": format!("{tag}-{}", i % 8), "value": i as f64 * 0.5}))
        .collect();
    serde_json::to_vec(&records).expect("json")
}

/// Set in the environment of the child that [`DemoProcess::start`] runs.
const CHILD: &str = "PERFHIVE_DEMO_TEST_CHILD";
/// What the child prints before its URL.
const URL_LINE: &str = "perfhive-demo-test-url: ";

/// The demo service in a child process: this test binary again, running only
/// [`demo_process_main`], with `OTEL_*` variables of the test's choosing (and none inherited),
/// so the OpenTelemetry SDK reads a real process environment, as under `perfhive __demo`.
pub struct DemoProcess {
    child: Spawned,
    /// Where the demo listens.
    pub addr: SocketAddr,
}

impl DemoProcess {
    /// Starts the demo with `env` and waits until it listens.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
        cmd.args(["--exact", "support::demo_process_main", "--ignored"])
            .args(["--nocapture", "--test-threads=1", "--quiet"]);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.env(CHILD, "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = Spawned::spawn(cmd).expect("re-run the test binary");
        let stdout = child.child().stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix(URL_LINE) {
                        break url.to_string();
                    }
                }
                _ => panic!(
                    "the demo process exited before listening: {}",
                    child.stderr()
                ),
            }
        };
        // the rest of stdout (libtest's summary) is drained so the child never blocks on it
        std::thread::spawn(move || lines.for_each(drop));
        let addr = url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("not a demo URL: {url}"));
        Self { child, addr }
    }

    /// Stops the demo the way `perfhive __demo` stops (its stdin closes: it finishes the
    /// requests in flight and flushes its spans), within `limit`; returns what it wrote on
    /// stderr, apart from libtest's own lines.
    pub fn stop_within(mut self, limit: Duration) -> String {
        let status = self
            .child
            .close_stdin_and_wait(limit)
            .unwrap_or_else(|| panic!("the demo process did not stop within {limit:?}"));
        let stderr = self.child.stderr();
        assert!(status.success(), "the demo process failed: {stderr}");
        stderr
    }
}

/// The child's body: a demo service configured by `ExportConfig::from_env`, as `perfhive
/// __demo` does, serving until stdin closes. A no-op in the normal test run.
#[test]
#[ignore = "run by DemoProcess in a child process"]
fn demo_process_main() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let demo = spawn(DemoOptions {
        trace: ExportConfig::from_env(),
        ..Default::default()
    })
    .expect("spawn demo");
    let mut out = std::io::stdout();
    writeln!(out, "{URL_LINE}{}", demo.base_url()).expect("stdout");
    out.flush().expect("stdout");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    demo.shutdown();
}
