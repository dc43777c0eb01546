//! End to end: profile a small C program with a known hot function under real `perf`.
//!
//! When gcc or perf is unavailable or perf is not permitted, the check fails under CI and
//! otherwise prints a `perfhive-skip:` line.

#![allow(clippy::print_stderr)]

mod support;

use std::path::Path;
use std::process::Command;

use perfhive_profile::{flame, profile, ProfileError, Target};

fn compile(dir: &Path) -> Option<std::path::PathBuf> {
    compile_sources(dir, "hot", &["hot.c"])
}

/// Builds C `sources` (under `tests/fixtures`) into `dir/name` with gcc at `-O1`, with debug
/// information.
fn compile_sources(dir: &Path, name: &str, sources: &[&str]) -> Option<std::path::PathBuf> {
    build(dir, name, ("gcc", "-O1"), sources)
}

/// Builds `sources` (under `tests/fixtures`) into `dir/name` with `compiler` at `opt`, with
/// debug information and frame pointers; `None` (after a skip line) when it cannot.
fn build(
    dir: &Path,
    name: &str,
    (compiler, opt): (&str, &str),
    sources: &[&str],
) -> Option<std::path::PathBuf> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let bin = dir.join(name);
    let status = Command::new(compiler)
        .args([opt, "-g", "-fno-omit-frame-pointer", "-o"])
        .arg(&bin)
        .args(sources.iter().map(|s| fixtures.join(s)))
        .status();
    match status {
        Ok(s) if s.success() => Some(bin),
        other => {
            support::skip(
                &format!("profile::hot_function (a fixture built by {compiler})"),
                &format!(
                    "{compiler} unavailable or failed: {other:?}; apt install {compiler} (.ci/run does)"
                ),
            );
            None
        }
    }
}

/// The profile of `target`, or `None` (after a skip line naming `check`) when perf is missing
/// or not permitted here.
fn profiled(
    check: &str,
    result: Result<perfhive_profile::Profile, ProfileError>,
) -> Option<perfhive_profile::Profile> {
    match result {
        Ok(p) => Some(p),
        Err(e @ (ProfileError::PerfMissing { .. } | ProfileError::NotPermitted { .. })) => {
            support::skip(
                &format!("profile::hot_function::{check}"),
                &format!("perf unusable here: {e}"),
            );
            None
        }
        Err(e) => panic!("profile failed: {e}"),
    }
}

#[test]
fn hot_spin_comes_out_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = compile(dir.path()) else {
        return;
    };
    let out = dir.path().join("profile");
    let target = Target::Command(vec![bin.to_string_lossy().into_owned()]);
    let Some(profile) = profiled("hot_spin_comes_out_on_top", profile(&target, &out, 997)) else {
        return;
    };

    // The application's function first, with its file and line from the debug information.
    let hot = &profile.hot[0];
    assert_eq!(hot.function, "hot_spin", "{:#?}", profile.hot);
    assert_eq!(hot.kind, Some(perfhive_profile::FrameKind::Application));
    assert!(
        hot.file
            .as_deref()
            .is_some_and(|f| f.ends_with("fixtures/hot.c")),
        "{hot:?}"
    );
    assert_eq!(hot.line, Some(10), "hot_spin starts on line 10 of hot.c");

    for share in profile.top.iter().take(5) {
        eprintln!(
            "{:>6.2}% self {:>6.2}% incl {:>5} samples  {}",
            share.self_pct, share.inclusive_pct, share.samples, share.function
        );
    }
    eprintln!("total samples: {}", profile.samples);
    assert!(
        profile.samples > 100,
        "too few samples: {}",
        profile.samples
    );
    let top = &profile.top[0];
    assert_eq!(top.function, "hot_spin", "{:#?}", profile.top);
    assert!(top.self_pct > 50.0, "{top:?}");
    let main = profile
        .top_inclusive
        .iter()
        .find(|s| s.function == "main")
        .expect("main on the stack");
    assert!(main.inclusive_pct > 90.0, "{main:?}");
    assert!(
        profile.folded.contains("main;hot_spin"),
        "{}",
        profile.folded
    );

    let svg = std::fs::read_to_string(&profile.flamegraph).unwrap();
    assert!(svg.contains("hot_spin"));
    assert!(flame::external_references(&svg).is_empty());
    let folded = std::fs::read_to_string(out.join("out.folded")).unwrap();
    assert_eq!(folded, profile.folded);

    // The off-CPU view followed the command: it was busy, so mostly running.
    let off = profile.offcpu.expect("off-CPU samples of the command");
    eprintln!(
        "off-CPU: {} rounds, running {:.1}%, sleeping {:.1}%",
        off.rounds, off.running_pct, off.sleeping_pct
    );
    assert!(off.rounds > 10, "{off:?}");
    assert!(off.running_pct > 50.0, "{off:?}");
}

#[test]
fn a_linked_dependency_is_not_the_hot_application_function() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = compile_sources(
        dir.path(),
        "ingest",
        &["ingest.c", "vendor/checksum/checksum.c"],
    ) else {
        return;
    };
    let target = Target::Command(vec![bin.to_string_lossy().into_owned()]);
    let Some(profile) = profiled(
        "a_linked_dependency_is_not_the_hot_application_function",
        profile(&target, &dir.path().join("profile"), 997),
    ) else {
        return;
    };
    // the time is the dependency's, attributed to the application's function that called it
    let hot = &profile.hot[0];
    assert_eq!(hot.function, "ingest_rows", "{:#?}", profile.hot);
    assert_eq!(hot.kind, Some(perfhive_profile::FrameKind::Application));
    assert!(hot.attributed_pct > 80.0, "{hot:?}");
    assert!(
        hot.file
            .as_deref()
            .is_some_and(|f| f.ends_with("fixtures/ingest.c")),
        "{hot:?}"
    );
    // (a leaf without a frame pointer hides its caller: the leaf is `mix_block` or
    // `checksum_update`, both the dependency's)
    let dependency = &profile.top[0];
    assert!(
        ["mix_block", "checksum_update"].contains(&dependency.function.as_str()),
        "{:#?}",
        profile.top
    );
    assert_eq!(
        dependency.kind,
        Some(perfhive_profile::FrameKind::Library),
        "{dependency:?}"
    );
    assert!(dependency.self_pct > 50.0, "{dependency:?}");
    assert!(profile
        .hot
        .iter()
        .filter(|s| s.kind == Some(perfhive_profile::FrameKind::Application))
        .all(|s| ["main", "ingest_rows"].contains(&s.function.as_str()) || s.attributed_pct < 5.0));
}

#[test]
fn an_optimised_cpp_function_is_the_applications_own() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = build(dir.path(), "score", ("g++", "-O2"), &["score.cpp"]) else {
        return;
    };
    let target = Target::Command(vec![bin.to_string_lossy().into_owned()]);
    let Some(profile) = profiled(
        "an_optimised_cpp_function_is_the_applications_own",
        profile(&target, &dir.path().join("profile"), 997),
    ) else {
        return;
    };
    // perf's `score` is nm's `score(std::vector<…> const&)`, and its first instruction is the
    // vector's inlined code from /usr/include: still the application's function, in its file
    let hot = &profile.hot[0];
    assert_eq!(hot.function, "score", "{:#?}", profile.hot);
    assert_eq!(hot.kind, Some(perfhive_profile::FrameKind::Application));
    assert!(hot.attributed_pct > 50.0, "{hot:?}");
    assert!(
        hot.file
            .as_deref()
            .is_some_and(|f| f.ends_with("fixtures/score.cpp")),
        "{hot:?}"
    );
}

#[test]
fn pid_target_profiles_a_running_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .unwrap();
    let target = Target::Pid {
        pid: child.id() as i32,
        duration: std::time::Duration::from_millis(1500),
    };
    let result = profile(&target, dir.path(), 199);
    let _ = child.kill();
    let _ = child.wait();
    let Some(profile) = profiled("pid_target_profiles_a_running_process", result) else {
        return;
    };
    assert!(profile.samples > 20, "{}", profile.samples);
    assert!(profile.flamegraph.exists());
    let off = profile.offcpu.expect("off-CPU view");
    assert!(off.running_pct > 50.0, "{off:?}");
}
