//! `perfhive investigate`: investigators side by side on one target, one ranked report
//! (Markdown, self-contained HTML, JSON) in `perfhive-reports/<date>-<name>/`, stored in the
//! history. `--demo` does it end to end on the built-in demo service, then applies the
//! recommendations through the service's switches and measures before and after.

use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{fingerprint, History, RecordArgs, Recording};
use anyhow::{bail, Context as _};
use clap::Args;
use perfhive_core::record::{RecordKind, RunRecord, RunStatus};
use perfhive_investigate::investigation::{self, Outcome};
use perfhive_investigate::plan::Plan;
use perfhive_investigate::report::Report;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
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
    /// Load generator threads.
    #[arg(short, long)]
    pub threads: Option<usize>,
    /// Print report.json to stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// The demo investigation: ingestion with 50 records per request (4 in 5 requests) and reads
/// of 10 items; the sweep varies concurrency and the ingest batch size.
const DEMO_PLAN: &str = r#"name: demo
target:
  url: "{URL}"
  pid: {PID}
budget_seconds: 90
success_criteria:
  - error_rate_pct <= 1
load:
  users: 4
  duration_seconds: 8
  requests:
    - name: ingest
      path: /ingest
      method: POST
      headers: { content-type: application/json }
      body: '{BODY}'
      weight: 4
    - { name: items, path: "/items?limit=10", weight: 1 }
investigators:
  load: { timing_samples: 12 }
  resources: { hz: 50 }
  profile: { hz: 99 }
  traces: { wait_seconds: 3 }
  code: { path: "{SRC}" }
  sweep:
    request: ingest
    concurrency: [1, 2, 4, 8]
    level_seconds: 2
    parameter: { name: batch_size, values: ["1", "10", "50"], concurrency: 2, subject: database }
"#;

/// The demo service in its own process: `perfhive __demo` prints its URL and serves until
/// its stdin closes.
struct DemoChild(Child);

impl Drop for DemoChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo(env: &[(String, String)]) -> anyhow::Result<(DemoChild, String)> {
    let exe = std::env::current_exe().context("cannot find the perfhive executable")?;
    let mut child = Command::new(exe)
        .arg("__demo")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start the demo service")?;
    let stdout = child.stdout.take().context("demo service stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let url = line.trim().to_string();
    if !url.starts_with("http://127.0.0.1:") {
        bail!("the demo service did not start (it said `{url}`)");
    }
    Ok((DemoChild(child), url))
}

/// The demo service's source, written out for the code investigator; removed on drop.
struct DemoSource(PathBuf);

impl DemoSource {
    fn write() -> anyhow::Result<Self> {
        let root =
            std::env::temp_dir().join(format!("perfhive-demo-source-{}", std::process::id()));
        let src = root.join("crates/demo/src");
        std::fs::create_dir_all(&src).context("cannot write the demo's source")?;
        for (name, text) in perfhive_demo::SOURCES {
            std::fs::write(src.join(name), text).context("cannot write the demo's source")?;
        }
        Ok(DemoSource(root))
    }
}

impl Drop for DemoSource {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

fn post_config(base: &str, body: &serde_json::Value) -> anyhow::Result<()> {
    let uri: perfhive_scenario_uri::Uri = base.parse()?;
    let addr = format!(
        "{}:{}",
        uri.host().unwrap_or("127.0.0.1"),
        uri.port_u16().unwrap_or(80)
    );
    let mut s = std::net::TcpStream::connect(addr)?;
    let text = body.to_string();
    write!(s, "POST /config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len())?;
    let mut resp = String::new();
    std::io::Read::read_to_string(&mut s, &mut resp)?;
    if !resp.starts_with("HTTP/1.1 200") {
        bail!(
            "the demo service refused the configuration: {}",
            resp.lines().next().unwrap_or("")
        );
    }
    Ok(())
}

mod perfhive_scenario_uri {
    pub use http::Uri;
}

/// Switches of the demo that the report's findings call for.
fn demo_fixes(report: &Report) -> serde_json::Value {
    let mut fixes = serde_json::Map::new();
    for f in report.findings.iter().map(|r| &r.finding) {
        if f.id == "sweep.parameter.batch_size" {
            if let Some(v) = f
                .recommendation
                .as_ref()
                .and_then(|r| r.action.rsplit(' ').next())
                .and_then(|v| v.parse::<u64>().ok())
            {
                fixes.insert("batch_size".into(), v.into());
            }
        }
        if f.subject == "serialization" && f.time_share.is_some_and(|s| s >= 0.05) {
            fixes.insert("fast_serialization".into(), true.into());
        }
    }
    serde_json::Value::Object(fixes)
}

fn measure(scenario: &perfhive_scenario::Scenario, threads: usize) -> anyhow::Result<RunRecord> {
    let opts = perfhive_load::LoadOptions {
        threads,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(perfhive_load::run(
        scenario,
        &opts,
        &mut perfhive_load::NoProgress,
    ))?;
    Ok(perfhive_load::build_record(scenario, &result))
}

fn baseline_of(report: &Report) -> Option<RunRecord> {
    report
        .investigators
        .iter()
        .find(|r| r.name == "load")
        .and_then(|r| r.data.get("record"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn folder_name(report: &Report) -> String {
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

fn print_summary(r: &Report, folder: &Path, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, "\n{}\n", r.executive_summary.headline)?;
    if !r.executive_summary.time_breakdown.is_empty() {
        let parts: Vec<String> = r
            .executive_summary
            .time_breakdown
            .iter()
            .map(|p| format!("{:.0}% {} ({:.1} ms)", p.share_pct, p.name, p.mean_ms))
            .collect();
        writeln!(w, "Where the time goes: {}", parts.join(", "))?;
    }
    writeln!(w, "\nInvestigators:")?;
    for i in &r.investigators {
        writeln!(w, "  {:<10} {:?}: {}", i.name, i.verdict, i.summary)?;
    }
    writeln!(w, "\nTop findings:")?;
    for f in r.findings.iter().take(5) {
        let conf = if f.confirmed_by.is_empty() {
            String::new()
        } else {
            format!("  [confirmed by {}]", f.confirmed_by.join(", "))
        };
        writeln!(
            w,
            "  {}. {} ({}){conf}",
            f.rank, f.finding.title, f.finding.investigator
        )?;
    }
    writeln!(w, "\nRecommendations:")?;
    for p in &r.recommendations {
        writeln!(
            w,
            "  {}: {} — {}",
            p.priority, p.recommendation.action, p.recommendation.impact
        )?;
    }
    for line in &r.appendices.configuration {
        writeln!(w, "  {line}")?;
    }
    if !r.criteria.is_empty() {
        writeln!(w, "\nSuccess criteria on the baseline:")?;
        for c in &r.criteria {
            let mark = match c.passed {
                Some(true) => "passed",
                Some(false) => "FAILED",
                None => "not evaluated",
            };
            writeln!(
                w,
                "  {mark:<13} {} ({})",
                c.expr,
                c.value.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
            )?;
        }
    }
    writeln!(
        w,
        "\nReport: {}/report.html (and report.md, report.json)",
        folder.display()
    )
}

/// Runs `perfhive investigate`.
pub fn exec(a: InvestigateArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let threads = a.threads.unwrap_or(1).max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let mut demo = None;
    let mut receiver = None;
    // the demo's source, for the code investigator, lives until the end of the investigation
    let source = if a.demo {
        Some(DemoSource::write()?)
    } else {
        None
    };
    let (plan, dir, plan_ref) = if a.demo {
        // the demo is an OpenTelemetry-instrumented service: it reports to this receiver
        let rx = perfhive_investigate::otel::start_receiver(&Default::default())?;
        let source = source.as_ref().expect("written for --demo");
        let (child, url) = start_demo(&perfhive_investigate::otel::otel_env(&rx, "perfhive-demo"))?;
        receiver = Some(Arc::new(rx)); // kept until the end: the demo reports while fixes are applied
        let body: Vec<serde_json::Value> = (0..50)
            .map(|i| serde_json::json!({"sensor": format!("s{}", i % 5), "value": i as f64 * 0.5}))
            .collect();
        let text = DEMO_PLAN
            .replace("{URL}", &url)
            .replace("{PID}", &child.0.id().to_string())
            .replace("{BODY}", &serde_json::to_string(&body)?)
            .replace("{SRC}", "crates/demo/src");
        let plan = Plan::from_str_at(&text, &source.0.join("<demo plan>"))?;
        demo = Some((child, url));
        // the plan's folder is where the demo's source was written (`code.path` is relative)
        (plan, source.0.clone(), "--demo".to_string())
    } else {
        let path = a.plan.clone().expect("clap requires a plan without --demo");
        let plan = Plan::from_file(&path)?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        (plan, dir, path.display().to_string())
    };
    let fp = fingerprint();
    let recording = Recording::begin(
        history,
        &a.record,
        RecordKind::Investigation,
        &plan.name,
        &fp,
        out,
    );
    let Outcome {
        mut report,
        mut raw,
        scenario,
    } = investigation::run(&plan, &dir, &plan_ref, threads, stop, receiver.clone())?;

    if let Some((_, url)) = &demo {
        if !a.no_apply {
            let fixes = demo_fixes(&report);
            if let (Some(before), false) = (
                baseline_of(&report),
                fixes.as_object().is_none_or(|m| m.is_empty()),
            ) {
                post_config(url, &fixes)?;
                let after = measure(&scenario, threads)?;
                let (b, f) = (&before.metrics, &after.metrics);
                let p95 = |m: &perfhive_core::record::Metrics| {
                    m.latency_ms.as_ref().map_or(f64::NAN, |l| l.p95)
                };
                report
                    .appendices
                    .configuration
                    .push(format!("applied to the demo service: {fixes}"));
                report.appendices.configuration.push(format!(
                    "before: {:.1} req/s, p95 {:.1} ms; after: {:.1} req/s, p95 {:.1} ms ({:.1}× throughput)",
                    b.throughput_rps,
                    p95(b),
                    f.throughput_rps,
                    p95(f),
                    f.throughput_rps / b.throughput_rps.max(1e-9)
                ));
                raw.push(("after.json".into(), serde_json::to_vec_pretty(&after)?));
                report.appendices.data_files.push("after.json".into());
            }
        }
        report
            .validation_plan
            .retain(|s| !s.command.contains("127.0.0.1"));
    }

    let folder = a.out_dir.join(folder_name(&report));
    perfhive_investigate::render::write_folder(&report, &folder, &raw)
        .with_context(|| format!("cannot write the report to `{}`", folder.display()))?;
    let json = serde_json::to_value(&report)?;
    if let Some(r) = recording {
        let measures = baseline_of(&report)
            .map(|b| perfhive_core::measure::of_load(&b))
            .unwrap_or_default();
        let status = if report.criteria.iter().any(|c| c.passed == Some(false)) {
            RunStatus::Failed
        } else {
            RunStatus::Passed
        };
        r.attach(&folder, out);
        r.finish(status, &json, &measures, out);
    }
    if a.json {
        writeln!(out.out(), "{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        print_summary(&report, &folder, out.out())?;
    }
    Ok(if report.criteria.iter().any(|c| c.passed == Some(false)) {
        Code::CRITERIA_FAILED
    } else {
        Code::OK
    })
}
