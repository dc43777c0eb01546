//! ARCHITECTURE.md's crate diagram states every crate's perfhive dependencies as its
//! Cargo.toml does: each crate's `[dependencies]` on other perfhive crates, the binary's edges,
//! and which crates' tests use perfhive-test-support.

use std::collections::{BTreeMap, BTreeSet};

type Edges = BTreeMap<String, BTreeSet<String>>;

/// The short names (`core`, `load`, the binary as `perfhive`) of the perfhive crates in
/// `section` (`dependencies` or `dev-dependencies`) of each crate's Cargo.toml.
fn manifests(section: &str) -> Edges {
    let crates = perfhive_test_support::repo_path("crates");
    let mut edges = Edges::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut current = String::new();
        let deps = edges.entry(name).or_default();
        for line in text.lines().map(str::trim) {
            if let Some(header) = line.strip_prefix('[') {
                current = header.trim_end_matches(']').to_owned();
            } else if current == section {
                if let Some(dep) = line.strip_prefix("perfhive-") {
                    let dep = dep.split(['=', ' ', '.']).next().unwrap();
                    deps.insert(dep.to_owned());
                }
            }
        }
    }
    edges
}

/// The crate names of a comma-separated list, a remark in parentheses after it left out.
fn names(list: &str) -> impl Iterator<Item = String> + '_ {
    let list = list.split('(').next().unwrap();
    list.split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// The diagram's edges (the binary as `perfhive`) and the paragraph under it.
fn diagram() -> (Edges, String) {
    let doc = std::fs::read_to_string(perfhive_test_support::repo_path("ARCHITECTURE.md")).unwrap();
    let start = doc.find("```\nperfhive (bin)").expect("the crate diagram") + 4;
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let (graph, notes) = block.split_once("\n\n").expect("edges, then notes");
    let mut edges = Edges::new();
    let mut last: Vec<String> = Vec::new();
    for line in graph.lines() {
        let line = line.trim_start_matches("perfhive (bin) ──► ");
        let line = line
            .trim_start()
            .trim_start_matches(['│', '└', '─', '►'])
            .trim();
        let (left, right) = match line.split_once('►') {
            Some((l, r)) => (l.trim_end_matches(['─', ' ']), r),
            // a continuation of the line above, or a crate with no perfhive dependency
            None if line.contains(',') => ("", line),
            None => (line, ""),
        };
        if !left.is_empty() {
            last = names(left).collect();
            edges
                .entry("perfhive".into())
                .or_default()
                .extend(last.iter().cloned());
        }
        for crate_name in &last {
            edges
                .entry(crate_name.clone())
                .or_default()
                .extend(names(right));
        }
    }
    let none = notes
        .lines()
        .find_map(|l| l.strip_prefix("no perfhive dependency:"))
        .expect("the crates with no perfhive dependency");
    for crate_name in names(none) {
        edges.entry(crate_name).or_default();
    }
    (edges, notes.to_owned())
}

#[test]
fn the_architecture_diagram_states_every_crate_dependency() {
    let (drawn, notes) = diagram();
    let mut real = manifests("dependencies");
    // the shared test helpers are a dev-dependency only, checked below
    real.remove("test-support");
    assert_eq!(
        drawn, real,
        "ARCHITECTURE.md's diagram (left) against Cargo.toml (right)"
    );

    let dev = manifests("dev-dependencies");
    let tested_with_support: Vec<&String> = dev
        .iter()
        .filter(|(_, deps)| deps.contains("test-support"))
        .map(|(name, _)| name)
        .collect();
    let dev_only = notes
        .split_once("dev-only:")
        .expect("the dev-only edges")
        .1
        .split_once(';')
        .unwrap()
        .0
        .replace("the binary", "perfhive");
    for name in tested_with_support {
        assert!(
            dev_only.contains(name.as_str()),
            "{name}'s tests use test-support; the diagram's notes do not say so: {dev_only}"
        );
    }
    for (name, deps) in &dev {
        for dep in deps {
            let drawn_already = real.get(name).is_some_and(|d| d.contains(dep));
            if dep != "test-support" && !drawn_already {
                assert!(
                    notes.contains(&format!("{name}'s tests use {dep}"))
                        || notes.contains(&format!("the {name}'s tests use {dep}")),
                    "{name}'s tests use {dep}; the diagram's notes do not say so"
                );
            }
        }
    }
}
