//! Help, version and the dry-run plan.

use crate::{repo, run_raw};

#[test]
fn help_and_version() {
    let _serial = crate::exclusive();
    let out = run_raw(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("perfhive "));
    for sub in ["run", "testbed"] {
        let out = run_raw(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help");
    }
    let out = run_raw(&["run"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn dry_run_prints_the_playbook_plan() {
    let _serial = crate::exclusive();
    let out = run_raw(&["run", &repo("examples/checkout-peak.yaml"), "--dry-run"]);
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

fn help(args: &[&str]) -> String {
    let out = run_raw(args);
    assert!(out.status.success(), "{args:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn history_options_are_grouped_and_only_where_the_history_is_used() {
    let _serial = crate::exclusive();
    for sub in ["run", "bench", "import", "investigate"] {
        let h = help(&[sub, "--help"]);
        let group = h
            .split("\nHistory:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{sub}: {h}"));
        for flag in ["--name", "--tag", "--note", "--history", "--no-history"] {
            assert!(group.contains(flag), "{sub} {flag}: {h}");
        }
    }
    for sub in ["compare", "history"] {
        let h = help(&[sub, "--help"]);
        assert!(
            h.contains("\nHistory:\n") && h.contains("--history <PATH>"),
            "{sub}: {h}"
        );
        assert!(!h.contains("--no-history"), "{sub} never records: {h}");
    }
    for sub in ["testbed", "scan", "profile", "traces"] {
        let h = help(&[sub, "--help"]);
        assert!(
            !h.contains("--history") && !h.contains("--no-history"),
            "{sub}: {h}"
        );
        let out = run_raw(&[sub, "--no-history"]);
        assert_eq!(out.status.code(), Some(2), "{sub} rejects --no-history");
    }
    // before the subcommand, as scripts have always written it
    let top = help(&["--help"]);
    assert!(
        top.contains("\nHistory:\n") && top.contains("--no-history"),
        "{top}"
    );
    assert!(top.contains("OTLP/HTTP and OTLP/gRPC"), "{top}");
}

#[test]
fn bad_bench_compare_and_history_values_are_rejected() {
    let _serial = crate::exclusive();
    let cases: &[(&[&str], &str)] = &[
        (&["bench", "true", "--runs", "0"], "--runs"),
        (&["bench", "true", "--min-runs", "1"], "--min-runs"),
        (
            &["bench", "true", "--min-runs", "5", "--max-runs", "3"],
            "--max-runs 3 is below --min-runs 5",
        ),
        (&["bench", "true", "--max-time", "0s"], "--max-time"),
        (&["bench", "true", "-D", "0"], "--parameter-step-size"),
        (&["bench", "true", "-D", "-1"], "--parameter-step-size"),
        (
            &["history", "changes", "x", "--min-change", "-3"],
            "--min-change",
        ),
        (
            &["bench", "true {n}", "-P", "n", "1", "NaN"],
            "not a number",
        ),
        (&["bench", "true {n}", "-L", "n", "1,,2"], "empty value"),
        (
            &["compare", "a.json", "b.json", "--threshold", "-5%"],
            "--threshold",
        ),
        (&["compare", "a.json", "b.json", "--alpha", "0"], "--alpha"),
        (
            &["compare", "a.json", "b.json", "--alpha", "1.5"],
            "--alpha",
        ),
        (&["history", "--limit", "0"], "--limit"),
        (&["history", "--kind", "loads"], "unknown record kind"),
        (
            &["history", "prune", "--keep-days", "99999999999"],
            "--keep-days",
        ),
        (
            &["history", "changes", "x", "--min-segment", "0"],
            "--min-segment",
        ),
        (&["history", "changes", "x", "--alpha", "2"], "--alpha"),
    ];
    for (args, expect) in cases {
        let out = crate::perfhive()
            .arg("--no-history")
            .args(*args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
    }
}

/// Output cut short by its reader (`| head -c 1`) ends perfhive quietly with 141, as for a
/// process SIGPIPE ended: no panic, no "Broken pipe" error, never a success.
#[test]
fn a_reader_that_goes_away_ends_output_quietly() {
    for args in ["completions bash", "completions zsh", "man"] {
        let out = std::process::Command::new("bash")
            .args([
                "-c",
                // the reader is gone before perfhive starts
                &format!(
                    "{{ sleep 0.3; exec \"$0\" {args}; }} | true; echo \"${{PIPESTATUS[0]}}\""
                ),
                env!("CARGO_BIN_EXE_perfhive"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "141",
            "{args}: {stderr}"
        );
        assert!(stderr.is_empty(), "{args}: {stderr}");
    }
}

#[test]
fn completions_are_valid_shell_scripts() {
    let _serial = crate::exclusive();
    let dir = crate::tempdir();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run_raw(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("perfhive") && script.contains("investigate"),
            "{shell}"
        );
    }
    let bash = run_raw(&["completions", "bash"]).stdout;
    let file = dir.join("perfhive.bash");
    std::fs::write(&file, &bash).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // bash completes subcommands and a subcommand's flags from it
    let probe = format!(
        "source {}; COMP_WORDS=(perfhive bench --max); COMP_CWORD=2; _perfhive perfhive --max bench; echo \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let got = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&got.stdout);
    assert!(
        words.contains("--max-runs") && words.contains("--max-time"),
        "{words}"
    );
    assert_eq!(run_raw(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_renders() {
    let _serial = crate::exclusive();
    let out = run_raw(&["man"]);
    assert!(out.status.success());
    let roff = String::from_utf8_lossy(&out.stdout);
    assert!(
        roff.starts_with(".ie") || roff.contains(".TH perfhive"),
        "{roff}"
    );
    let dir = crate::tempdir();
    let page = dir.join("perfhive.1");
    std::fs::write(&page, &out.stdout).unwrap();
    let pages = dir.join("pages");
    let o = run_raw(&["man", "--out-dir", pages.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        pages.join("perfhive-bench.1").is_file() && pages.join("perfhive-history-show.1").is_file()
    );
    // rendered by man, else groff, when installed
    let render = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .arg(&page)
            .env("MANWIDTH", "100")
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    match render("man", &["-l", "-P", "cat"]).or_else(|| render("groff", &["-man", "-Tutf8"])) {
        Some(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(
                text.contains("perfhive") && text.contains("compare"),
                "{text}"
            );
        }
        None => perfhive_test_support::skip(
            "perfhive::it::cli::the_man_page_renders (rendering by man or groff)",
            "neither `man -l` nor `groff -man` runs here; apt install groff-base (.ci/run does)",
        ),
    }
}
