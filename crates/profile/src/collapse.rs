//! Folding stacks and ranking functions.
//!
//! [`collapse_perf_script`] turns `perf script` output into *folded stacks* — one line per
//! distinct stack, `process;outer;…;leaf COUNT` — with [`inferno::collapse::perf`], the Rust
//! port of Brendan Gregg's `stackcollapse-perf.pl`. [`function_shares`] then reads folded stacks
//! and computes, per function, its *self* share (samples where it is the leaf frame, i.e. was
//! running) and its *inclusive* share (samples where it is anywhere on the stack, counted once
//! per stack even under recursion).
//!
//! The first frame of each folded stack is the process name (inferno's perf collapser puts it
//! there); it is not a function and is not ranked, except as the leaf of a stack that has no
//! other frame, so that self shares still add up to 100 %.

use std::collections::{HashMap, HashSet};

use inferno::collapse::perf::{Folder, Options};
use inferno::collapse::Collapse;
use serde::{Deserialize, Serialize};

use crate::error::ProfileError;
use crate::stack::FrameKind;

/// One function's share of the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionShare {
    /// The function: the symbol as perf resolved it, or the (qualified) name py-spy or a
    /// JavaScript perf map gives. In rankings from folded text alone, kernel symbols end in
    /// `_[k]`.
    pub function: String,
    /// Its source file, when the profiler knows it.
    pub file: Option<String>,
    /// The line sampled most often in it (Python), or its first line (JavaScript).
    pub line: Option<u32>,
    /// What the function belongs to; `None` when ranked from folded text alone.
    pub kind: Option<FrameKind>,
    /// Percentage (0–100) of all samples in which this function was the leaf frame.
    pub self_pct: f64,
    /// Percentage (0–100) of all samples in which this function was on the stack.
    pub inclusive_pct: f64,
    /// Percentage (0–100) of all samples whose innermost application frame is this function
    /// (0 for functions that are not the application's).
    pub attributed_pct: f64,
    /// Number of samples in which this function was the leaf frame.
    pub samples: u64,
    /// Number of samples in which this function was on the stack.
    pub inclusive_samples: u64,
    /// Number of samples whose innermost application frame is this function.
    pub attributed_samples: u64,
}

impl FunctionShare {
    /// `function (file:line)`, `function (file)` or `function`.
    pub fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{} ({file}:{line})", self.function),
            (Some(file), None) => format!("{} ({file})", self.function),
            _ => self.function.clone(),
        }
    }
}

/// Collapses `perf script` output into folded stacks (sorted lines, `a;b;c COUNT`).
///
/// Kernel frames are annotated with `_[k]`; the process name is the root frame.
pub fn collapse_perf_script(script: &str) -> Result<String, ProfileError> {
    let mut options = Options::default();
    options.annotate_kernel = true;
    let mut folder = Folder::from(options);
    let mut out = Vec::with_capacity(script.len() / 8);
    folder
        .collapse(script.as_bytes(), &mut out)
        .map_err(|source| ProfileError::Inferno {
            what: "collapse perf script output",
            source,
        })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Parses one folded line into its frames and count; `None` for blank or malformed lines.
fn parse_line(line: &str) -> Option<(Vec<&str>, u64)> {
    let (stack, count) = line.trim_end().rsplit_once(' ')?;
    let count = count.parse::<u64>().ok()?;
    if stack.is_empty() {
        return None;
    }
    Some((stack.split(';').collect(), count))
}

/// Total number of samples in folded stacks.
pub fn total_samples(folded: &str) -> u64 {
    folded
        .lines()
        .filter_map(parse_line)
        .map(|(_, count)| count)
        .sum()
}

/// Every function's self and inclusive share, sorted by self share, then inclusive share,
/// then name.
pub fn function_shares(folded: &str) -> Vec<FunctionShare> {
    let mut total = 0u64;
    // name -> (self, inclusive)
    let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (frames, count) in folded.lines().filter_map(parse_line) {
        total += count;
        let functions = if frames.len() > 1 {
            &frames[1..]
        } else {
            &frames[..]
        };
        if let Some(leaf) = functions.last() {
            counts.entry(leaf).or_default().0 += count;
        }
        seen.clear();
        for f in functions {
            if seen.insert(f) {
                counts.entry(f).or_default().1 += count;
            }
        }
    }
    let pct = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / total as f64
        }
    };
    let mut shares: Vec<FunctionShare> = counts
        .into_iter()
        .map(|(function, (self_n, incl_n))| FunctionShare {
            function: function.to_owned(),
            file: None,
            line: None,
            kind: function.ends_with("_[k]").then_some(FrameKind::Kernel),
            self_pct: pct(self_n),
            inclusive_pct: pct(incl_n),
            attributed_pct: 0.0,
            samples: self_n,
            inclusive_samples: incl_n,
            attributed_samples: 0,
        })
        .collect();
    shares.sort_by(|a, b| {
        b.samples
            .cmp(&a.samples)
            .then(b.inclusive_samples.cmp(&a.inclusive_samples))
            .then_with(|| a.function.cmp(&b.function))
    });
    shares
}

/// The `n` functions with the largest self share (ties broken by inclusive share, then name).
pub fn top_functions(folded: &str, n: usize) -> Vec<FunctionShare> {
    let mut shares = function_shares(folded);
    shares.truncate(n);
    shares
}

/// The `n` functions with the largest inclusive share (ties broken by self share, then name).
pub fn top_inclusive(folded: &str, n: usize) -> Vec<FunctionShare> {
    let mut shares = function_shares(folded);
    shares.sort_by(|a, b| {
        b.inclusive_samples
            .cmp(&a.inclusive_samples)
            .then(b.samples.cmp(&a.samples))
            .then_with(|| a.function.cmp(&b.function))
    });
    shares.truncate(n);
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = include_str!("../tests/fixtures/perf-script.txt");

    #[test]
    fn collapses_fixture() {
        let folded = collapse_perf_script(SCRIPT).unwrap();
        let lines: Vec<&str> = folded.lines().collect();
        assert_eq!(
            lines,
            [
                "demo;_start;__libc_start_main;main;cold_path 1",
                "demo;_start;__libc_start_main;main;hot_spin 3",
                "demo;_start;__libc_start_main;main;hot_spin;clock_gettime 1",
                "demo;_start;__libc_start_main;main;hot_spin;hot_spin 1",
            ],
            "{folded}"
        );
        assert_eq!(total_samples(&folded), 6);
    }

    #[test]
    fn self_and_inclusive_shares() {
        let folded = collapse_perf_script(SCRIPT).unwrap();
        let top = top_functions(&folded, 3);
        assert_eq!(top[0].function, "hot_spin");
        assert_eq!(top[0].samples, 4);
        assert!((top[0].self_pct - 400.0 / 6.0).abs() < 1e-9);
        // Recursion counts once per stack: 5 stacks contain hot_spin.
        assert_eq!(top[0].inclusive_samples, 5);
        assert_eq!(top[1].function, "clock_gettime");
        assert_eq!(top[2].function, "cold_path");
        assert!((top[2].self_pct - 100.0 / 6.0).abs() < 1e-9);

        let incl = top_inclusive(&folded, 10);
        assert_eq!(incl[0].inclusive_pct, 100.0);
        assert!(incl.iter().all(|s| s.function != "demo"));
        let self_sum: f64 = function_shares(&folded).iter().map(|s| s.self_pct).sum();
        assert!((self_sum - 100.0).abs() < 1e-9);
    }

    #[test]
    fn handwritten_folded_lines() {
        let folded = "p;a;b 2\np;a 1\np 1\n\nbroken line\n";
        let shares = function_shares(folded);
        assert_eq!(total_samples(folded), 4);
        let b = shares.iter().find(|s| s.function == "b").unwrap();
        assert_eq!((b.samples, b.inclusive_samples), (2, 2));
        let a = shares.iter().find(|s| s.function == "a").unwrap();
        assert_eq!((a.samples, a.inclusive_samples), (1, 3));
        assert_eq!(a.inclusive_pct, 75.0);
        let p = shares.iter().find(|s| s.function == "p").unwrap();
        assert_eq!(p.samples, 1);
        assert!(top_functions("", 5).is_empty());
    }
}
