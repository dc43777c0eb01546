//! `perfhive profile` on a program with a known hot function, and `perfhive traces` receiving
//! an OTLP/HTTP export.

use crate::{perfhive, repo, tempdir};
use serde_json::Value;
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn profile_puts_the_known_hot_function_on_top() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let exe = dir.join("hot");
    let cc = std::process::Command::new("gcc")
        .args(["-O1", "-g", "-fno-omit-frame-pointer", "-o"])
        .arg(&exe)
        .arg(repo("crates/profile/tests/fixtures/hot.c"))
        .output();
    let perf_ok = std::process::Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !cc.is_ok_and(|o| o.status.success()) || !perf_ok {
        return perfhive_test_support::skip(
            "perfhive::it::diagnose::profile_puts_the_known_hot_function_on_top",
            "needs gcc and perf; apt install gcc linux-perf (.ci/run does)",
        );
    }
    let out = dir.join("prof");
    let o = perfhive()
        .args(["profile", "--hz", "499", "--out"])
        .arg(&out)
        .arg("--")
        .arg(&exe)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let first = text
        .lines()
        .skip_while(|l| !l.contains("by self time"))
        .nth(1)
        .unwrap_or("");
    assert!(first.contains("hot_spin"), "{text}");
    let svg = std::fs::read_to_string(out.join("flamegraph.svg")).unwrap();
    assert!(svg.contains("hot_spin"));
    // a missing command is a usage error
    let o = perfhive().args(["profile"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn traces_receives_otlp_json_and_prints_the_breakdown() {
    let _serial = crate::exclusive();
    let port = perfhive_test_support::free_port();
    let dir = tempdir();
    let out = dir.join("traces.json");
    let child = perfhive()
        .args([
            "traces",
            "--duration",
            "3s",
            "--bind",
            &format!("127.0.0.1:{port}"),
            // never the default 4317, which another test or a local collector may hold
            "--grpc-listen",
            "127.0.0.1:0",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let body = std::fs::read(repo("crates/traces/tests/fixtures/checkout.json")).unwrap();
    let mut sent = false;
    for _ in 0..50 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(s, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
            s.write_all(&body).unwrap();
            let mut resp = String::new();
            let _ = s.read_to_string(&mut resp);
            assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
            sent = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sent, "the receiver listened");
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains("Where the time goes (critical path):"),
        "{text}"
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(v["spans"].as_u64().unwrap() > 0);
    assert!(!v["phases"].as_array().unwrap().is_empty());
}
