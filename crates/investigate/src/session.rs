//! One `perfhive investigate` from request to report folder, for the binary: [`prepare`]
//! reads and checks everything that can be wrong before anything runs (the plan, the report
//! folder's writability), [`Prepared::run`] runs the investigation (a plan, or the demo
//! experiment) and writes the folder `<out_dir>/<date>-<name>/`.

use crate::demo::{self, DemoOptions};
use crate::investigation::{self, InvestigateError, Options};
use crate::plan::{plan_dir, Plan};
use crate::progress::Progress;
use crate::report::Report;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What to investigate.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A plan file.
    Plan(PathBuf),
    /// The demo experiment.
    Demo(DemoOptions),
}

/// A `perfhive investigate` request.
#[derive(Clone, Debug)]
pub struct Request {
    /// What to investigate.
    pub subject: Subject,
    /// Where report folders are written.
    pub out_dir: PathBuf,
    /// Load generator threads.
    pub threads: usize,
    /// Set on an interrupt: the investigation stops and writes a partial report.
    pub stop: Arc<AtomicBool>,
}

/// A request whose plan and report folder are checked.
pub struct Prepared {
    request: Request,
    what: Checked,
}

/// What a prepared request investigates.
enum Checked {
    /// A plan, read from this file.
    Plan(Box<Plan>, PathBuf),
    /// The demo experiment.
    Demo(DemoOptions),
}

/// A finished investigation and where its report is.
pub struct Finished {
    /// The report.
    pub report: Report,
    /// The report folder.
    pub folder: PathBuf,
    /// Why the folder could not be written, when it could not (the report is still here).
    pub write_error: Option<String>,
}

/// Reads the plan and checks that the report folder can be written, before anything runs.
pub fn prepare(request: Request) -> Result<Prepared, InvestigateError> {
    let what = match &request.subject {
        Subject::Plan(path) => Checked::Plan(Box::new(Plan::from_file(path)?), path.clone()),
        Subject::Demo(d) => Checked::Demo(d.clone()),
    };
    check_out_dir(&request.out_dir)?;
    Ok(Prepared { request, what })
}

/// Creates `dir` if needed and writes (then removes) a file in it.
pub fn check_out_dir(dir: &Path) -> Result<(), InvestigateError> {
    let fail = |e: std::io::Error| {
        InvestigateError::OutDir(format!(
            "cannot write reports into `{}`: {e} (give a writable --out-dir)",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".perfhive-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

impl Prepared {
    /// The investigation's name (the history's name for it).
    pub fn name(&self) -> &str {
        match &self.what {
            Checked::Plan(p, _) => &p.name,
            Checked::Demo(_) => "demo",
        }
    }

    /// Runs the investigation and writes its report folder; phases and investigators are
    /// reported to `progress` as they start and finish.
    pub fn run(self, progress: &Progress) -> Result<Finished, InvestigateError> {
        let r = &self.request;
        let outcome = match &self.what {
            Checked::Plan(plan, path) => investigation::run(
                plan,
                &Options {
                    plan_dir: plan_dir(path),
                    plan_ref: path.display().to_string(),
                    threads: r.threads,
                    stop: r.stop.clone(),
                    receiver: None,
                    progress: progress.clone(),
                },
            )?,
            Checked::Demo(d) => demo::run(d, r.threads, r.stop.clone(), progress)?,
        };
        let folder = r.out_dir.join(folder_name(&outcome.report));
        let write_error = crate::render::write_folder(&outcome.report, &folder, &outcome.raw)
            .err()
            .map(|e| format!("cannot write the report to `{}`: {e}", folder.display()));
        Ok(Finished {
            report: outcome.report,
            folder,
            write_error,
        })
    }
}

/// `<date>-<name>`, the name made safe for a file name.
pub fn folder_name(report: &Report) -> String {
    let safe: String = report
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "{}-{safe}",
        report.date.replace(':', "").trim_end_matches('Z')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_out_dir_is_an_error_before_anything_runs() {
        // a path under a regular file can never be created, whoever runs the test
        let file = std::env::temp_dir().join(format!("perfhive-not-a-dir-{}", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let e = check_out_dir(&file.join("reports")).unwrap_err();
        assert!(e.to_string().contains("--out-dir"), "{e}");
        let ok = std::env::temp_dir().join(format!("perfhive-out-{}", std::process::id()));
        check_out_dir(&ok).unwrap();
        assert_eq!(
            std::fs::read_dir(&ok).unwrap().count(),
            0,
            "the check leaves nothing"
        );
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_dir_all(&ok);
    }
}
