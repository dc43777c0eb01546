//! `perfhive investigate`: investigators side by side on one target, one ranked report
//! (Markdown, self-contained HTML, JSON) in `perfhive-reports/<date>-<name>/`, stored in the
//! history. The investigation — a plan, or `--demo`'s experiment on the demo service — is
//! perfhive-investigate's; this file parses, stores and prints. SIGINT and SIGTERM stop it
//! with a partial report, the started target stopped, and exit 130 or 143. Progress goes to
//! stderr ([`crate::progress`]).

use crate::exit::Code;
use crate::interrupt::Interrupts;
use crate::output::Printer;
use crate::progress::{InvestigateProgress, Mode};
use crate::recording::{fingerprint, History, RecordArgs, Recording};
use anyhow::Context as _;
use clap::Args;
use perfhive_core::record::RecordKind;
use perfhive_investigate::demo::{DemoOptions, DemoService};
use perfhive_investigate::{InvestigateError, Progress, Request, Subject};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Arguments of `perfhive investigate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive investigate --demo\n  perfhive investigate plan.yaml\n\n\
The plan format is in docs/investigate.md. Reports go to perfhive-reports/<date>-<name>/ (report.md, report.html, report.json, raw data)."
)]
pub struct InvestigateArgs {
    /// The investigation plan (YAML).
    #[arg(required_unless_present = "demo", conflicts_with = "demo")]
    pub plan: Option<PathBuf>,
    /// Investigate the built-in demo service (started on 127.0.0.1), then apply the
    /// recommendations and measure before and after.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: report only, do not apply the recommendations.
    #[arg(long, requires = "demo")]
    pub no_apply: bool,
    /// Where report folders are written.
    #[arg(long, default_value = "perfhive-reports", value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Load generator threads (1 to 1024; default 1).
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// No progress on stderr (a live display on a terminal, one line per phase otherwise).
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// Runs the demo service until stdin closes (the `__demo` mode of the binary).
pub fn serve_demo() -> u8 {
    // The child reports spans to whatever the standard OTEL_* variables name (none: no tracing).
    let opts = perfhive_demo::DemoOptions {
        trace: perfhive_demo::otel::ExportConfig::from_env(),
        ..Default::default()
    };
    let demo = match perfhive_demo::spawn(opts) {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "demo service: {e}");
            return 2;
        }
    };
    let mut out = std::io::stdout();
    if writeln!(out, "{}", demo.base_url())
        .and_then(|_| out.flush())
        .is_err()
    {
        return 1;
    }
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    demo.shutdown();
    0
}

/// What to investigate, from the flags.
fn subject(a: &InvestigateArgs) -> anyhow::Result<Subject> {
    if !a.demo {
        let plan = a
            .plan
            .clone()
            .context("a plan file is required without --demo")?;
        return Ok(Subject::Plan(plan));
    }
    let service = DemoService {
        program: std::env::current_exe().context("cannot find the perfhive executable")?,
        args: vec!["__demo".into()],
        sources: perfhive_demo::SOURCES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
    };
    Ok(Subject::Demo(DemoOptions {
        service,
        apply: !a.no_apply,
    }))
}

/// Runs `perfhive investigate`.
pub fn exec(a: InvestigateArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let stop = Arc::new(AtomicBool::new(false));
    let interrupts = Interrupts::install();
    let s = stop.clone();
    interrupts.on_signal(move |_, _| s.store(true, Ordering::SeqCst));
    let mode = Mode::of(a.quiet, out);
    let prepared = perfhive_investigate::prepare(Request {
        subject: subject(&a)?,
        out_dir: a.out_dir.clone(),
        threads: usize::from(a.threads.unwrap_or(1)),
        stop,
    })?;
    let recording = Recording::begin(
        history,
        &a.record,
        RecordKind::Investigation,
        prepared.name(),
        &fingerprint(),
        out,
    );
    let display = Arc::new(InvestigateProgress::new(mode));
    let ran = prepared.run(&Progress::to(display.clone()));
    display.finish();
    let done = match ran {
        Err(InvestigateError::Interrupted) => return Ok(interrupts.code_or(Code::INTERRUPTED)),
        done => done?,
    };
    if let Some(e) = &done.write_error {
        out.warn(e);
    }
    let json = serde_json::to_value(&done.report)?;
    if a.json {
        writeln!(out.out(), "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        perfhive_investigate::render::summary(&done.report, &done.folder, out.out())?;
    }
    if let Some(r) = recording {
        let measures = done
            .report
            .baseline()
            .map(perfhive_core::measure::of_load)
            .unwrap_or_default();
        r.attach(&done.folder, out);
        r.finish(done.report.status, &json, &measures, out);
    }
    Ok(interrupts.code_for(done.report.status))
}
