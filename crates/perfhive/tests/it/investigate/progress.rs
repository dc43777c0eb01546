//! The progress of `investigate`: on a pseudo-terminal a live display (the phase against the
//! budget, a line per running investigator) that is gone from the screen at the end, leaving
//! one line per phase above the summary; through a pipe one plain line per phase.

use crate::{perfhive, tempdir};
use perfhive_test_support::pty;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Terminal rows and columns: every line of the run fits on the screen.
const ROWS: u16 = 200;
const COLS: u16 = 160;

/// A plan whose target perfhive starts (the testbed), with a baseline and a short sweep. The
/// target is silenced: what a started target prints shares the terminal with the live display.
fn plan(dir: &Path) -> PathBuf {
    let port = perfhive_test_support::free_port();
    let plan = dir.join("plan.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: progress\ntarget:\n  url: \"http://127.0.0.1:{port}\"\n  start: \"'{}' target --port {port} --duration 120s >/dev/null 2>&1\"\nbudget_seconds: 40\nsuccess_criteria: [\"error_rate_pct <= 1\"]\nload:\n  users: 2\n  duration_seconds: 3\n  requests:\n    - {{ name: slow, path: \"/slow?ms=5\" }}\ninvestigators:\n  load: {{ timing_samples: 2 }}\n  resources: {{ hz: 20 }}\n  traces: {{ wait_seconds: 1 }}\n  sweep: {{ request: slow, concurrency: [1, 2], level_seconds: 1 }}\n",
            env!("CARGO_BIN_EXE_perfhive")
        ),
    )
    .unwrap();
    plan
}

/// The phases the plan goes through, in order, as the display names them.
const PHASES: [&str; 4] = ["starting the target", "baseline", "sweep", "report"];

/// Whether `c` is a character the live display draws and the final screen must not keep:
/// indicatif's spinner frames (braille patterns).
fn spinner_char(c: char) -> bool {
    ('\u{2800}'..='\u{28ff}').contains(&c)
}

#[test]
fn a_terminal_gets_a_live_display_that_ends_cleanly() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let mut cmd = perfhive();
    cmd.env("TERM", "xterm-256color")
        .env_remove("CI")
        .args(["--no-history", "investigate"])
        .arg(plan(&dir))
        .arg("--out-dir")
        .arg(dir.join("reports"));
    let child = pty::spawn(&mut cmd, ROWS, COLS).expect("a pseudo-terminal");
    // the live lines appear while it runs: the phase against the budget, running investigators
    let live = child.wait_for("running ·", Duration::from_secs(60));
    let (status, raw) = child.finish(Duration::from_secs(180));
    let text = String::from_utf8_lossy(&raw);
    assert!(live, "no live investigator line: {text:?}");
    assert!(status.success(), "{status}: {text}");
    assert!(text.contains("of 40s budget"), "the header: {text:?}");
    for name in ["load", "resources", "traces"] {
        assert!(text.contains(name), "{name} in the live display: {text:?}");
    }
    assert!(text.chars().any(spinner_char), "a spinner was drawn");
    // what a person sees at the end, replayed through a terminal emulator
    let size = |n| std::num::NonZeroU16::new(n).expect("a terminal size");
    let mut term = vt100::Parser::new(size(ROWS), size(COLS), 1000);
    term.process(&raw);
    // one string per row: indicatif pads its lines to the width, which a terminal wraps
    let rows: Vec<String> = term
        .screen()
        .rows(0, COLS)
        .map(|r| r.trim_end().to_string())
        .collect();
    let screen = rows.join("\n");
    assert!(
        !screen.chars().any(spinner_char),
        "a spinner is left on the screen:\n{screen}"
    );
    assert!(
        !screen.contains("running ·"),
        "a live line is left:\n{screen}"
    );
    assert!(!screen.contains("budget"), "the header is left:\n{screen}");
    // one line per phase stays, in order, then the summary
    let phase_rows: Vec<usize> = PHASES
        .iter()
        .map(|phase| {
            rows.iter()
                .position(|l| l.starts_with('[') && l.contains(&format!("] {phase} done in")))
                .unwrap_or_else(|| panic!("no line for {phase}:\n{screen}"))
        })
        .collect();
    assert!(phase_rows.windows(2).all(|w| w[0] < w[1]), "{screen}");
    assert!(
        rows[phase_rows[3]..].iter().any(|l| l.contains("Report: ")),
        "the summary follows the phase lines:\n{screen}"
    );
    let baseline = &rows[phase_rows[1]];
    for name in ["load ", "resources ", "traces "] {
        assert!(baseline.contains(name), "{name} in `{baseline}`");
    }
    assert!(!term.screen().hide_cursor(), "the cursor is shown again");
}

#[test]
fn a_pipe_gets_one_plain_line_per_phase() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let o = perfhive()
        .args(["--no-history", "investigate"])
        .arg(plan(&dir))
        .arg("--out-dir")
        .arg(dir.join("reports"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.contains('\x1b') && !err.contains('\r'),
        "no terminal codes in a pipe: {err:?}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
    let phases: Vec<&str> = lines
        .iter()
        .map(|l| {
            let rest = l.split_once("] ").expect("[elapsed/budget] phase").1;
            rest.split(" done in").next().unwrap()
        })
        .collect();
    assert_eq!(phases, PHASES, "{err}");
    assert!(
        lines[0].contains("s/40s]"),
        "elapsed against the budget: {}",
        lines[0]
    );
    assert!(
        lines[1].contains("load found") || lines[1].contains("load clean"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("sweep "), "{}", lines[2]);
    // --quiet: none
    let o = perfhive()
        .args(["--no-history", "investigate", "--quiet"])
        .arg(plan(&dir))
        .arg("--out-dir")
        .arg(dir.join("quiet"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.lines().any(|l| l.starts_with('[')), "{err}");
}
