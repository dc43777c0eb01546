//! The last stage of a run: seconds still pending and the last partial second go into the time
//! series, the workers' full statistics are merged, and the [`RunResult`] is assembled with
//! what the run found about itself.

use super::aggregate::finalize;
use super::{round2, Progress, RunContext, RunResult, END_GRACE, STOP_GRACE};
use crate::stats::WorkerStats;
use perfhive_core::record::AbortInfo;

/// Assembles the result of a run whose aggregation has ended; the seconds finalised here are
/// reported to `progress` too.
pub(crate) fn finish(mut ctx: RunContext<'_>, progress: &mut dyn Progress) -> RunResult {
    let elapsed = ctx.start.elapsed();
    // seconds still pending, then the last partial second
    let rest = ctx.agg.pending_all();
    for (k, e) in rest {
        let k = k.max(ctx.agg.next);
        finalize(&mut ctx, k, e, elapsed, progress);
        ctx.agg.next = k + 1;
    }
    if ctx.agg.tail.requests > 0 {
        let tail = std::mem::take(&mut ctx.agg.tail);
        let next = ctx.agg.next;
        finalize(&mut ctx, next, (0, tail, 0), elapsed, progress);
        if let Some(p) = ctx.agg.timeseries.last_mut() {
            p.t = round2(elapsed.as_secs_f64());
        }
    }
    // a worker that never finished is left behind rather than waited for forever
    let finished: Vec<usize> = ctx.agg.finals.iter().map(|(id, _)| *id).collect();
    for (id, t) in std::mem::take(&mut ctx.threads).into_iter().enumerate() {
        if finished.contains(&id) {
            let _ = t.join();
        }
    }
    let mut warnings = std::mem::take(&mut ctx.warnings);
    if finished.len() < ctx.workers {
        warnings.push(format!(
            "{} of {} generator threads did not finish: their requests are missing from the totals",
            ctx.workers - finished.len(),
            ctx.workers
        ));
    }
    let mut abort = ctx.agg.abort.take();
    if abort.is_none() && ctx.agg.interrupted {
        abort = Some(AbortInfo {
            reason: "interrupt".into(),
            trigger: None,
            value: None,
            at_s: round2(elapsed.as_secs_f64()),
        });
    }
    let mut stats = WorkerStats::new(
        ctx.profile.phases.len().max(1),
        ctx.scenario.target.requests.len(),
    );
    for (_, f) in &ctx.agg.finals {
        stats.merge(f);
    }
    let grace = if abort.is_some() {
        STOP_GRACE
    } else {
        END_GRACE
    };
    let end = if abort.is_some() {
        "stop"
    } else {
        "planned end"
    };
    if stats.cancelled > 0 {
        warnings.push(format!(
            "{} requests were still in flight {} s after the {end}, longer than any request that succeeded; they were cancelled and count as timeouts",
            stats.cancelled,
            grace.as_secs_f64(),
        ));
    }
    if stats.cut_off > 0 {
        warnings.push(format!(
            "{} requests were cut off {} s after the {end}, in flight no longer than requests that succeeded; they are not counted",
            stats.cut_off,
            grace.as_secs_f64(),
        ));
    }
    RunResult {
        started: ctx.started,
        elapsed,
        proto: ctx.proto,
        workers: ctx.workers,
        stats,
        timeseries: std::mem::take(&mut ctx.agg.timeseries),
        observed: ctx
            .observers
            .into_iter()
            .map(|o| (o.observer.name().to_string(), o.selector, o.found, o.pids))
            .collect(),
        abort,
        generator_cpu: ctx.agg.worker_cpu.iter().sum(),
        in_flight_limit: ctx.in_flight_limit,
        url: ctx.scenario.target.url.clone(),
        warnings,
        profile: ctx.profile,
    }
}
