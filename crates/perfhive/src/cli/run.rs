//! `perfhive run`: a load test from a scenario file or a URL.

use crate::cli::parse_duration;
use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{fingerprint, History, RecordArgs, Recording};
use anyhow::{bail, Context};
use clap::Args;
use perfhive_core::record::{RecordKind, RunStatus};
use perfhive_load::{LoadError, LoadOptions, Progress, StopSignal, Tick};
use perfhive_scenario::{HttpVersion, Quick, Scenario};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `perfhive run`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 ok, 1 success criteria failed, 2 usage or input error, \
3 aborted by a rollback trigger, 130 interrupted.\n\nExamples:\n  perfhive run examples/quickstart.yaml\n  \
perfhive run http://127.0.0.1:8080/ --rate 500 --duration 30s\n  perfhive run http://127.0.0.1:8080/ -c 50 --duration 30s --json"
)]
pub struct RunArgs {
    /// A scenario file (YAML), or a URL (http://, https://, builtin:testbed/PATH) for a quick test.
    pub scenario: String,

    /// Open model: requests per second (URL mode).
    #[arg(long, value_name = "RPS")]
    pub rate: Option<f64>,
    /// Closed model: concurrent users (URL mode; default 10 when --rate is not given).
    #[arg(short = 'c', long = "connections", value_name = "N")]
    pub connections: Option<u32>,
    /// Measured duration (URL mode).
    #[arg(short, long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up before the measured part, excluded from criteria (URL mode).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// HTTP method (URL mode).
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Extra header `Name: value` (URL mode; repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request body (URL mode).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Request body from a file (URL mode).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Use HTTP/2 (h2c prior knowledge on http://, ALPN on https://) (URL mode).
    #[arg(long, conflicts_with = "http1")]
    pub http2: bool,
    /// Force HTTP/1.1 (URL mode).
    #[arg(long)]
    pub http1: bool,
    /// Per-request timeout (URL mode).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Most requests in flight at once (URL mode, open model).
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// Accept any TLS certificate (URL mode).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Success criterion, e.g. 'p99_latency_ms <= 50' (URL mode; repeatable).
    #[arg(long = "criteria", value_name = "EXPR")]
    pub criteria: Vec<String>,
    /// Rollback trigger, e.g. 'error_rate_pct > 5 for 10s' (URL mode; repeatable).
    #[arg(long = "trigger", value_name = "EXPR")]
    pub triggers: Vec<String>,

    /// Worker threads of the load generator (default: one per core).
    #[arg(short = 't', long)]
    pub threads: Option<usize>,
    /// Multiply every phase duration (0.01 rehearses a 50-minute scenario in 30 s).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub time_scale: f64,
    /// Write the result record (JSON) to this file.
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the result record (JSON) to stdout; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// No progress display and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the phase plan and exit without sending anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Compare with a baseline run (id, latest, latest~N, latest@BRANCH, or a record file) and
    /// fill the record's `comparison` block.
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    /// Receive OpenTelemetry traces (OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on :4317) during
    /// the run: phase breakdown, dependency budgets and `<dependency>_p95_ms` criteria.
    #[arg(long)]
    pub traces: bool,
    /// Where the OTLP/HTTP receiver listens (with --traces).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4318",
        requires = "traces"
    )]
    pub traces_listen: std::net::SocketAddr,
    /// Where the OTLP/gRPC receiver listens (with --traces).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:4317",
        requires = "traces",
        conflicts_with = "traces_no_grpc"
    )]
    pub traces_grpc_listen: std::net::SocketAddr,
    /// Receive OTLP/HTTP only (with --traces).
    #[arg(long, requires = "traces")]
    pub traces_no_grpc: bool,
    /// Longest wait after the load for the last spans (exporters batch: the OpenTelemetry
    /// batch processor sends every 5 s by default).
    #[arg(long, default_value = "6s", value_parser = parse_duration, requires = "traces")]
    pub traces_wait: Duration,
    #[command(flatten)]
    pub record: RecordArgs,
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("builtin:")
}

fn build_scenario(a: &RunArgs) -> anyhow::Result<Scenario> {
    if !is_url(&a.scenario) {
        let path = PathBuf::from(&a.scenario);
        if !path.exists() {
            bail!("no such scenario file `{}` (give a YAML scenario, or a URL such as http://127.0.0.1:8080/)", a.scenario);
        }
        return Ok(Scenario::from_file(&path)?);
    }
    let mut headers = Vec::new();
    for h in &a.headers {
        let (k, v) = h
            .split_once(':')
            .with_context(|| format!("header `{h}`: expected `Name: value`"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let body = match (&a.body, &a.body_file) {
        (Some(b), _) => b.clone().into_bytes(),
        (None, Some(f)) => perfhive_scenario::read_body_file(f).map_err(anyhow::Error::msg)?,
        (None, None) => Vec::new(),
    };
    Scenario::quick(Quick {
        url: a.scenario.clone(),
        method: a.method.clone(),
        headers,
        body,
        rate: a.rate,
        users: a.connections,
        duration: a.duration,
        warmup: a.warmup,
        http: if a.http2 {
            HttpVersion::Http2
        } else if a.http1 {
            HttpVersion::Http1
        } else {
            HttpVersion::Auto
        },
        timeout: a.timeout,
        max_in_flight: a.max_in_flight,
        insecure: a.insecure,
        criteria: a.criteria.clone(),
        triggers: a.triggers.clone(),
    })
    .map_err(anyhow::Error::msg)
}

fn dry_run(s: &Scenario, opts: &LoadOptions, out: &mut Printer) -> anyhow::Result<Code> {
    let profile = opts.check(s)?;
    let w = out.out();
    let unit = if matches!(profile.model, perfhive_scenario::Model::Open) {
        "rps"
    } else {
        "users"
    };
    writeln!(
        w,
        "{}: {:.1} s planned",
        s.name,
        profile.total().as_secs_f64()
    )?;
    writeln!(
        w,
        "  {:<12} {:>9} {:>9} {:>16} {:>10}  measured",
        "phase",
        "start s",
        "length s",
        format!("target {unit}"),
        "requests"
    )?;
    for p in &profile.phases {
        let planned = if unit == "rps" {
            format!("{:.0}", (p.from + p.to) / 2.0 * p.duration.as_secs_f64())
        } else {
            "-".into()
        };
        writeln!(
            w,
            "  {:<12} {:>9.1} {:>9.1} {:>16} {:>10}  {}",
            p.name,
            p.start.as_secs_f64(),
            p.duration.as_secs_f64(),
            format!("{:.0}→{:.0}", p.from, p.to),
            planned,
            if p.measured() { "yes" } else { "no (warm-up)" }
        )?;
    }
    for c in &s.criteria {
        writeln!(w, "  criterion  {}", c.text)?;
    }
    for t in &s.triggers {
        writeln!(
            w,
            "  trigger    {} (window {} s)",
            t.text,
            t.window.as_secs()
        )?;
    }
    Ok(Code::OK)
}

/// Live progress: an indicatif bar on terminals, a line every 10 s otherwise; and the time
/// series written to the history as it comes.
struct Live {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    recording: Option<Recording>,
    store_error: Option<String>,
}

fn tick_message(t: &Tick) -> String {
    let err_pct = if t.requests > 0 {
        100.0 * t.errors as f64 / t.requests as f64
    } else {
        0.0
    };
    format!(
        "{} | target {:.0} | {:.0} req/s | p99 {} | errors {} ({:.2}%) | in flight {}",
        t.phase,
        t.target,
        t.rps,
        t.p99_ms
            .map(perfhive_report::summary::ms)
            .unwrap_or_else(|| "-".into()),
        t.errors,
        err_pct,
        t.in_flight
    )
}

impl Progress for Live {
    fn tick(&mut self, t: &Tick, point: &perfhive_core::record::TimePoint) {
        if let Some(r) = &self.recording {
            let v = serde_json::to_value(point).unwrap_or_default();
            if let Err(e) = r.store.append_point(r.id, point.t, &v) {
                self.store_error.get_or_insert(e.to_string());
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_length(t.total.as_secs().max(1));
            bar.set_position(t.elapsed.as_secs().min(t.total.as_secs()));
            bar.set_message(tick_message(t));
        } else if self.lines && t.elapsed.as_secs().is_multiple_of(10) {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("[{:>4}s] {}", t.elapsed.as_secs(), tick_message(t));
            }
        }
    }
}

/// Runs `perfhive run`.
pub fn exec(a: RunArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let mut scenario = build_scenario(&a)?;
    let stop = Arc::new(StopSignal::default());
    let opts = LoadOptions {
        threads: a.threads.unwrap_or_else(|| LoadOptions::default().threads),
        time_scale: a.time_scale,
        extra_roots: Vec::new(),
        stop: stop.clone(),
    };
    // threads and time scale are refused before anything starts
    opts.check(&scenario).map_err(|e| match e {
        LoadError::Threads(n) => anyhow::anyhow!(
            "--threads: expected 1 to {} generator threads, found {n}",
            perfhive_load::MAX_THREADS
        ),
        LoadError::TimeScale(m) => anyhow::anyhow!("--time-scale: {m}"),
        e => e.into(),
    })?;
    if a.dry_run {
        return dry_run(&scenario, &opts, out);
    }
    // A built-in target runs in this process, on its own thread, on 127.0.0.1.
    let _builtin = match scenario.builtin_target().map(str::to_string) {
        Some(name) if name == "testbed" || name == "demo" => {
            let t = perfhive_testbed::spawn(perfhive_testbed::TargetOptions::default())
                .context("cannot start the built-in testbed")?;
            scenario.resolve_builtin(&name, &t.base_url());
            Some(t)
        }
        Some(other) => bail!("unknown built-in target `{other}`"),
        None => None,
    };
    let fp = fingerprint();
    let baseline = match &a.baseline {
        Some(r) => Some(crate::cli::compare::load_side(
            r,
            history,
            Some(&a.record.name_or(&scenario.name)),
        )?),
        None => None,
    };
    let recording = Recording::begin(
        history,
        &a.record,
        RecordKind::Load,
        &scenario.name,
        &fp,
        out,
    );
    let interactive = out.interactive() && !a.quiet;
    let mut live = Live {
        bar: interactive.then(|| {
            let bar = indicatif::ProgressBar::new(scenario.profile.total().as_secs().max(1));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len}s {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar
        }),
        lines: !a.quiet && !interactive,
        recording,
        store_error: None,
    };
    let receiver = if a.traces {
        let rx = perfhive_traces::spawn(perfhive_traces::ReceiverOptions {
            bind: a.traces_listen,
            grpc_bind: (!a.traces_no_grpc).then_some(a.traces_grpc_listen),
            ..Default::default()
        })
        .context("cannot start the trace receiver (--traces-listen picks another address)")?;
        if !a.quiet {
            writeln!(
                out.err(),
                "receiving traces: OTEL_EXPORTER_OTLP_ENDPOINT={}{}",
                rx.endpoint(),
                rx.grpc_endpoint()
                    .map(|g| format!(" (OTLP/gRPC: {g})"))
                    .unwrap_or_default()
            )?;
        }
        Some(rx)
    } else {
        None
    };
    if receiver.is_some() {
        scenario.add_budget_criteria();
    }
    let interrupts = crate::interrupt::Interrupts::install();
    // the first signal stops scheduling, a second one cancels the requests in flight
    interrupts.on_signal(move |_, n| if n > 1 { stop.hard_stop() } else { stop.stop() });
    let result = perfhive_load::run_blocking(&scenario, &opts, &mut live)?;
    if let Some(bar) = live.bar.take() {
        bar.finish_and_clear();
    }
    let mut record = match &receiver {
        Some(rx) => {
            let spans = perfhive_traces::summary::collect_after(rx, a.traces_wait);
            let deps = perfhive_traces::Dependencies::from_spans(&spans);
            let mut record = perfhive_load::build_record_with(&scenario, &result, &deps);
            record.traces = Some(perfhive_traces::summarize(
                &spans,
                &scenario.budgets(),
                rx.dropped(),
                perfhive_traces::DEFAULT_THRESHOLD,
            ));
            record
        }
        None => perfhive_load::build_record(&scenario, &result),
    };
    drop(receiver);
    record.fingerprint = Some(fp);
    let measures = perfhive_core::measure::of_load(&record);
    if let Some(base) = &baseline {
        record.comparison = Some(crate::cli::compare::comparison_block(base, &measures));
    }
    let value = serde_json::to_value(&record)?;
    let json = serde_json::to_string_pretty(&value)?;
    // the record goes out first, whatever happens to the history
    let written = a.out.as_ref().map(|path| {
        std::fs::write(path, &json)
            .with_context(|| format!("cannot write the record to `{}`", path.display()))
    });
    let run_id = live
        .recording
        .take()
        .and_then(|r| r.finish(record.status, &value, &measures, out));
    if let Some(e) = live.store_error.take() {
        out.warn(&format!(
            "some time-series points could not be written to the history: {e}"
        ));
    }
    if !a.quiet {
        let color = out.color(a.json);
        let w = if a.json { out.err() } else { out.out() };
        perfhive_report::render_run_summary(&record, w, perfhive_report::Style { color })?;
        if let (Some(path), Some(Ok(()))) = (&a.out, &written) {
            writeln!(w, "\n  record written to {}", path.display())?;
        }
        if let Some(id) = run_id {
            writeln!(w, "  stored in the history as run {id}")?;
        }
    }
    if a.json {
        writeln!(out.out(), "{json}")?;
    }
    written.transpose()?;
    Ok(match record.status {
        RunStatus::Interrupted => interrupts.code_or(Code::INTERRUPTED),
        status => Code::for_status(status),
    })
}
