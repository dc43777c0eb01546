//! `perfhive run`: a load test from a scenario file or a URL.

pub use crate::cli::args::run::RunArgs;
use crate::cli::compare::{comparison_block, load_side};
use crate::exit::Code;
use crate::output::Printer;
use crate::progress::{LoadProgress, Mode};
use crate::recording::{fingerprint, History, Recording};
use anyhow::Context;
use perfhive_core::record::RecordKind;
use perfhive_load::{LoadOptions, StopSignal};
use perfhive_scenario::{HttpVersion, Quick, Scenario};
use std::sync::Arc;

/// The quick test of the URL-mode flags.
fn quick(a: &RunArgs, url: String) -> Result<Quick, String> {
    Ok(Quick {
        url,
        method: a.method.clone(),
        headers: a
            .headers
            .iter()
            .map(|h| Quick::header(h))
            .collect::<Result<_, _>>()?,
        body: Quick::body(a.body.as_deref(), a.body_file.as_deref())?,
        rate: a.rate,
        users: a.connections,
        duration: a.duration,
        warmup: a.warmup,
        http: HttpVersion::from_flags(a.http1, a.http2),
        timeout: a.timeout,
        max_in_flight: a.max_in_flight,
        insecure: a.insecure,
        criteria: a.criteria.clone(),
        triggers: a.triggers.clone(),
    })
}

/// Runs `perfhive run`.
pub fn exec(a: RunArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let mut scenario = Scenario::from_arg(&a.scenario, |url| quick(&a, url))?;
    let stop = Arc::new(StopSignal::default());
    let opts = LoadOptions::from_flags(a.threads, a.time_scale, stop.clone(), &scenario)
        .map_err(anyhow::Error::msg)?;
    if a.dry_run {
        write!(out.out(), "{}", scenario.plan_text(&opts.check(&scenario)?))?;
        return Ok(Code::OK);
    }
    // A built-in target runs in this process, on its own thread, on 127.0.0.1.
    let _builtin = match scenario.builtin_target().map(str::to_string) {
        Some(name) => {
            let t = perfhive_testbed::spawn_builtin(&name)?;
            scenario.resolve_builtin(&name, &t.base_url());
            Some(t)
        }
        None => None,
    };
    let fp = fingerprint();
    let name = a.record.name_or(&scenario.name);
    let baseline = a
        .baseline
        .as_ref()
        .map(|r| load_side(r, history, Some(&name)));
    let baseline = baseline.transpose()?;
    let mut recording = Recording::begin(
        history,
        &a.record,
        RecordKind::Load,
        &scenario.name,
        &fp,
        out,
    );
    let receiver = a.traces.then(|| receiver(&a, out)).transpose()?;
    if receiver.is_some() {
        scenario.add_budget_criteria();
    }
    let interrupts = crate::interrupt::Interrupts::install();
    // the first signal stops scheduling, a second one cancels the requests in flight
    interrupts.on_signal(move |_, n| if n > 1 { stop.hard_stop() } else { stop.stop() });
    let mode = Mode::of(a.quiet, out);
    let total = scenario.profile.total();
    let result = {
        let mut live = LoadProgress::new(mode, total, recording.as_mut());
        perfhive_load::run_blocking(&scenario, &opts, &mut live)?
    };
    let mut record = match &receiver {
        Some(rx) => {
            let got = perfhive_traces::summary::after_run(rx, a.traces_wait, &scenario.budgets());
            let mut record =
                perfhive_load::build_record_with(&scenario, &result, &got.dependencies);
            record.traces = Some(got.summary);
            record
        }
        None => perfhive_load::build_record(&scenario, &result),
    };
    drop(receiver);
    record.fingerprint = Some(fp);
    let measures = perfhive_core::measure::of_load(&record);
    record.comparison = baseline.map(|base| comparison_block(&base, &measures));
    let value = serde_json::to_value(&record)?;
    let json = serde_json::to_string_pretty(&value)?;
    // the record goes out first, whatever happens to the history
    let written = a.out.as_ref().map(|path| {
        std::fs::write(path, &json)
            .with_context(|| format!("cannot write the record to `{}`", path.display()))
    });
    let run_id = recording.and_then(|r| r.finish(record.status, &value, &measures, out));
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
    Ok(interrupts.code_for(record.status))
}

/// The trace receiver of `--traces`, announced on stderr.
fn receiver(a: &RunArgs, out: &mut Printer) -> anyhow::Result<perfhive_traces::RunningReceiver> {
    let rx = perfhive_traces::spawn(perfhive_traces::ReceiverOptions {
        bind: a.traces_listen,
        grpc_bind: (!a.traces_no_grpc).then_some(a.traces_grpc_listen),
        ..Default::default()
    })
    .context("cannot start the trace receiver (--traces-listen picks another address)")?;
    if !a.quiet {
        let grpc = rx.grpc_endpoint().map(|g| format!(" (OTLP/gRPC: {g})"));
        let endpoint = rx.endpoint();
        writeln!(
            out.err(),
            "receiving traces: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}{}",
            grpc.unwrap_or_default()
        )?;
    }
    Ok(rx)
}
