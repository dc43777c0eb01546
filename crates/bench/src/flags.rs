//! The command line's way of saying what to benchmark, turned into [`BenchOptions`] parts and
//! checked: parameter scans and lists as given (`NAME MIN MAX`, `NAME a,b,c`), display names
//! paired with their commands, the shell, the input file and the run bounds. Messages name the
//! option they are about.

use crate::exec::{Io, Launcher};
use crate::params::Param;
use crate::{CommandSpec, Metric};
use std::path::PathBuf;

/// Most values a numeric scan may expand to.
pub const MAX_SCAN_VALUES: f64 = 100_000.0;

/// Runs of an adaptive benchmark without `--max-runs`.
pub const DEFAULT_MAX_RUNS: usize = 10_000;

impl CommandSpec {
    /// The commands, the first ones named by `names` (`--command-name`, in order); more names
    /// than commands is an error.
    pub fn named(commands: &[String], names: &[String]) -> Result<Vec<CommandSpec>, String> {
        if names.len() > commands.len() {
            return Err(format!(
                "more --command-name ({}) than commands ({})",
                names.len(),
                commands.len()
            ));
        }
        Ok(commands
            .iter()
            .enumerate()
            .map(|(i, c)| CommandSpec {
                name: names.get(i).cloned(),
                line: c.clone(),
            })
            .collect())
    }
}

impl Param {
    /// The parameters of `--parameter-scan NAME MIN MAX` (each three values of `scans`) with
    /// the step `step`, then of `--parameter-list NAME a,b,c` (each two values of `lists`).
    pub fn from_flags(scans: &[String], step: f64, lists: &[String]) -> Result<Vec<Param>, String> {
        let mut params = Vec::new();
        for chunk in scans.chunks(3) {
            let [name, from, to] = chunk else {
                return Err("--parameter-scan: expected NAME MIN MAX".into());
            };
            let num = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("--parameter-scan: `{s}` is not a number"))
            };
            let (from, to) = (num(from)?, num(to)?);
            if to < from {
                return Err(format!("--parameter-scan {name}: expected MIN <= MAX"));
            }
            if (to - from) / step > MAX_SCAN_VALUES {
                return Err(format!(
                    "--parameter-scan {name}: more than 100000 values; use a larger --parameter-step-size"
                ));
            }
            params.push(Param::Range {
                name: name.clone(),
                from,
                to,
                step,
            });
        }
        for chunk in lists.chunks(2) {
            let [name, values] = chunk else {
                return Err("--parameter-list: expected NAME VALUES".into());
            };
            if values.split(',').any(str::is_empty) {
                return Err(format!(
                    "--parameter-list {name}: `{values}` has an empty value"
                ));
            }
            params.push(Param::List {
                name: name.clone(),
                values: values.split(',').map(str::to_string).collect(),
            });
        }
        Ok(params)
    }
}

impl Launcher {
    /// The launcher of `--shell SHELL`: direct exec without it or with `none`.
    pub fn from_flag(shell: Option<&str>) -> Launcher {
        match shell {
            None | Some("none") => Launcher::Direct,
            Some(sh) => Launcher::Shell(sh.to_string()),
        }
    }
}

impl Io {
    /// The streams of `--input FILE` (which must be a file) and `--show-output`.
    pub fn from_flags(input: Option<PathBuf>, show_output: bool) -> Result<Io, String> {
        if let Some(input) = input.as_ref().filter(|i| !i.is_file()) {
            return Err(format!(
                "--input `{}` is not a readable file",
                input.display()
            ));
        }
        Ok(Io { input, show_output })
    }
}

impl Metric {
    /// The metric named `wall`, `cpu` or `rss` in records and on the command line.
    pub fn from_name(name: &str) -> Option<Metric> {
        [Metric::Wall, Metric::Cpu, Metric::Rss]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// The most runs of an adaptive benchmark: `--max-runs` (not below `--min-runs`), else
/// [`DEFAULT_MAX_RUNS`] (or `min_runs` when that is more).
pub fn max_runs(min_runs: usize, max_runs: Option<usize>) -> Result<usize, String> {
    match max_runs {
        Some(max) if max < min_runs => Err(format!(
            "--max-runs {max} is below --min-runs {min_runs}: give at least as many"
        )),
        Some(max) => Ok(max),
        None => Ok(DEFAULT_MAX_RUNS.max(min_runs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scans_and_lists_are_read_and_checked() {
        let p = Param::from_flags(
            &strings(&["threads", "1", "8"]),
            2.0,
            &strings(&["mode", "fast,slow"]),
        )
        .unwrap();
        assert_eq!(
            p,
            [
                Param::Range {
                    name: "threads".into(),
                    from: 1.0,
                    to: 8.0,
                    step: 2.0
                },
                Param::List {
                    name: "mode".into(),
                    values: strings(&["fast", "slow"])
                }
            ]
        );
        let err = |scan: &[&str], step: f64, list: &[&str]| {
            Param::from_flags(&strings(scan), step, &strings(list)).unwrap_err()
        };
        assert_eq!(
            err(&["n", "x", "2"], 1.0, &[]),
            "--parameter-scan: `x` is not a number"
        );
        assert_eq!(
            err(&["n", "5", "2"], 1.0, &[]),
            "--parameter-scan n: expected MIN <= MAX"
        );
        assert!(err(&["n", "0", "1e9"], 1.0, &[]).contains("more than 100000 values"));
        assert_eq!(
            err(&[], 1.0, &["m", "a,,b"]),
            "--parameter-list m: `a,,b` has an empty value"
        );
    }

    #[test]
    fn names_shell_input_metric_and_run_bounds() {
        let specs = CommandSpec::named(&strings(&["a", "b"]), &strings(&["first"])).unwrap();
        assert_eq!(specs[0].name.as_deref(), Some("first"));
        assert_eq!(specs[1].name, None);
        assert_eq!(
            CommandSpec::named(&strings(&["a"]), &strings(&["x", "y"])).unwrap_err(),
            "more --command-name (2) than commands (1)"
        );
        assert_eq!(Launcher::from_flag(Some("none")), Launcher::Direct);
        assert_eq!(
            Launcher::from_flag(Some("bash")),
            Launcher::Shell("bash".into())
        );
        assert!(Io::from_flags(Some(std::env::temp_dir()), false).is_err());
        let this = PathBuf::from(file!());
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        assert!(Io::from_flags(Some(manifest), true).unwrap().show_output);
        assert!(Io::from_flags(Some(this.join("nope")), false).is_err());
        assert_eq!(Metric::from_name("cpu"), Some(Metric::Cpu));
        assert_eq!(Metric::from_name("heap"), None);
        assert_eq!(max_runs(10, None), Ok(DEFAULT_MAX_RUNS));
        assert_eq!(max_runs(20_000, None), Ok(20_000));
        assert_eq!(max_runs(2, Some(5)), Ok(5));
        assert_eq!(
            max_runs(10, Some(5)).unwrap_err(),
            "--max-runs 5 is below --min-runs 10: give at least as many"
        );
    }
}
