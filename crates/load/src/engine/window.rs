//! Rollback triggers are evaluated on sliding windows of finalised seconds: a [`Window`]
//! answers metrics over its last `n` seconds, as run totals do over the whole run.

use crate::stats::Interval;
use perfhive_core::record::ProcessPoint;
use perfhive_core::{Metric, MetricSource};
use std::collections::{BTreeMap, VecDeque};

/// One finalised second, kept for trigger windows.
pub(crate) struct Second {
    pub interval: Interval,
    pub procs: BTreeMap<String, ProcessPoint>,
}

/// Metrics over the last `n` seconds.
pub(crate) struct Window<'a> {
    pub secs: &'a VecDeque<Second>,
    pub n: usize,
}

impl MetricSource for Window<'_> {
    fn metric(&self, m: &Metric) -> Option<f64> {
        let skip = self.secs.len().saturating_sub(self.n);
        let win = || self.secs.iter().skip(skip);
        let requests: u64 = win().map(|s| s.interval.requests).sum();
        match m {
            Metric::ErrorRatePct => (requests > 0).then(|| {
                100.0 * win().map(|s| s.interval.errors).sum::<u64>() as f64 / requests as f64
            }),
            Metric::ThroughputRps => Some(requests as f64 / self.n as f64),
            Metric::Requests => Some(requests as f64),
            Metric::DroppedRequests => None,
            Metric::Latency { stat, .. } => {
                let mut h = perfhive_core::LatencyHistogram::with_precision(2);
                for s in win() {
                    h.merge(&s.interval.latency);
                }
                crate::record::latency_stat(&h, *stat)
            }
            Metric::ProcessCpuPct { process, max } => {
                let v: Vec<f64> = win()
                    .filter_map(|s| s.procs.get(process).and_then(|p| p.cpu_pct))
                    .collect();
                if v.is_empty() {
                    None
                } else if *max {
                    v.iter().copied().reduce(f64::max)
                } else {
                    Some(v.iter().sum::<f64>() / v.len() as f64)
                }
            }
            Metric::ProcessRssMb { process } => win()
                .filter_map(|s| s.procs.get(process).map(|p| p.rss_mb))
                .reduce(f64::max),
            // rejected in triggers by the scenario parser: spans arrive in batches, too late
            Metric::DependencyLatency { .. } => None,
        }
    }
}
