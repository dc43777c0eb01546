//! Rates and shares over a run of [`UseSample`]s: the numbers a USE-method verdict is made from
//! (Brendan Gregg, <https://www.brendangregg.com/usemethod.html>).
//!
//! Cumulative counters (CPU seconds, run delay, context switches, I/O bytes) are differenced
//! between the first and the last sample — the sampler keeps them monotone across exiting
//! processes and threads — and divided by the wall time between them; thread-state shares are
//! means over the samples; RSS and descriptor counts are reported at both ends so a caller can
//! test for growth. Sizes are in MiB (2^20 bytes), like [`crate::ObservedPoint::rss_mb`].

use serde::{Deserialize, Serialize};

use crate::UseSample;

const MIB: f64 = 1024.0 * 1024.0;

/// Rates and shares over a sampled interval, for the USE verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseSummary {
    /// Cores the utilization is relative to.
    pub cores: usize,
    /// `(Δuser + Δsystem) / (Δt × cores)`: 1.0 means every core busy for the target.
    pub cpu_utilization: f64,
    /// `(Δuser + Δsystem) / Δt`: how many cores' worth of CPU the target used.
    pub cpu_busy_cores: f64,
    /// `Δrun_delay / Δt`: thread-seconds spent waiting for a CPU per second of wall time (1.0 means
    /// on average one thread was runnable but not running) — CPU saturation.
    pub run_queue_wait_ratio: f64,
    /// Voluntary context switches per second.
    pub vcs_per_s: f64,
    /// Involuntary context switches per second.
    pub ivcs_per_s: f64,
    /// Mean over samples of the share of threads in `D` state.
    pub d_state_fraction: f64,
    /// Mean over samples of the share of threads running or runnable.
    pub running_fraction: f64,
    /// Resident set size at the first sample, MiB.
    pub rss_start_mb: f64,
    /// Resident set size at the last sample, MiB.
    pub rss_end_mb: f64,
    /// Open file descriptors at the first sample.
    pub fds_start: usize,
    /// Open file descriptors at the last sample.
    pub fds_end: usize,
    /// Storage reads, MiB per second.
    pub read_mb_per_s: f64,
    /// Storage writes, MiB per second.
    pub write_mb_per_s: f64,
    /// Number of samples summarized.
    pub samples: usize,
    /// Time from the first to the last sample, seconds.
    pub duration_s: f64,
}

/// Summarizes samples in time order against `cores` (at least 1 is assumed). `None` with fewer
/// than two samples or no time between the first and the last.
pub fn summarize(samples: &[UseSample], cores: usize) -> Option<UseSummary> {
    let (first, last) = (samples.first()?, samples.last()?);
    let dt = last.t.checked_sub(first.t)?.as_secs_f64();
    if samples.len() < 2 || dt <= 0.0 {
        return None;
    }
    let cores = cores.max(1);
    let per_s = |a: f64, b: f64| (b - a).max(0.0) / dt;
    let cpu = per_s(
        first.cpu_user_s + first.cpu_system_s,
        last.cpu_user_s + last.cpu_system_s,
    );
    let share = |f: fn(&UseSample) -> usize| {
        let (sum, n) = samples
            .iter()
            .filter(|s| s.threads > 0)
            .fold((0.0, 0usize), |(sum, n), s| {
                (sum + f(s) as f64 / s.threads as f64, n + 1)
            });
        if n == 0 {
            0.0
        } else {
            sum / n as f64
        }
    };
    Some(UseSummary {
        cores,
        cpu_utilization: cpu / cores as f64,
        cpu_busy_cores: cpu,
        run_queue_wait_ratio: per_s(first.run_delay_s, last.run_delay_s),
        vcs_per_s: per_s(first.voluntary_cs as f64, last.voluntary_cs as f64),
        ivcs_per_s: per_s(first.involuntary_cs as f64, last.involuntary_cs as f64),
        d_state_fraction: share(|s| s.threads_d_state),
        running_fraction: share(|s| s.threads_running),
        rss_start_mb: first.rss_bytes as f64 / MIB,
        rss_end_mb: last.rss_bytes as f64 / MIB,
        fds_start: first.fds,
        fds_end: last.fds,
        read_mb_per_s: per_s(first.read_bytes as f64, last.read_bytes as f64) / MIB,
        write_mb_per_s: per_s(first.write_bytes as f64, last.write_bytes as f64) / MIB,
        samples: samples.len(),
        duration_s: dt,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sample(t_ms: u64, cpu: f64, threads: usize, d: usize) -> UseSample {
        UseSample {
            t: Duration::from_millis(t_ms),
            pids: 1,
            threads,
            cpu_user_s: cpu * 0.75,
            cpu_system_s: cpu * 0.25,
            run_delay_s: cpu / 2.0,
            voluntary_cs: t_ms,
            involuntary_cs: t_ms / 10,
            threads_running: threads - d,
            threads_d_state: d,
            threads_sleeping: 0,
            rss_bytes: t_ms * 1024 * 1024,
            fds: 3 + t_ms as usize / 1000,
            read_bytes: 0,
            write_bytes: t_ms * 2 * 1024 * 1024,
            io_readable: true,
        }
    }

    #[test]
    fn summary_of_known_samples() {
        // Two seconds during which 3 CPU-seconds were used on 4 cores.
        let s = [
            sample(1000, 1.0, 4, 0),
            sample(2000, 2.5, 4, 2),
            sample(3000, 4.0, 4, 1),
        ];
        let u = summarize(&s, 4).expect("summary");
        assert_eq!(u.samples, 3);
        assert!((u.duration_s - 2.0).abs() < 1e-12);
        assert!((u.cpu_busy_cores - 1.5).abs() < 1e-12);
        assert!((u.cpu_utilization - 0.375).abs() < 1e-12);
        assert!((u.run_queue_wait_ratio - 0.75).abs() < 1e-12);
        assert!((u.vcs_per_s - 1000.0).abs() < 1e-9);
        assert!((u.ivcs_per_s - 100.0).abs() < 1e-9);
        assert!((u.d_state_fraction - 0.25).abs() < 1e-12);
        assert!((u.running_fraction - 0.75).abs() < 1e-12);
        assert!((u.rss_start_mb - 1000.0).abs() < 1e-9);
        assert!((u.rss_end_mb - 3000.0).abs() < 1e-9);
        assert_eq!((u.fds_start, u.fds_end), (4, 6));
        assert!((u.write_mb_per_s - 2000.0).abs() < 1e-9);
        assert_eq!(u.read_mb_per_s, 0.0);
    }

    #[test]
    fn summary_needs_two_samples_and_time() {
        assert_eq!(summarize(&[], 2), None);
        assert_eq!(summarize(&[sample(0, 0.0, 1, 0)], 2), None);
        assert_eq!(
            summarize(&[sample(5, 0.0, 1, 0), sample(5, 1.0, 1, 0)], 2),
            None
        );
        let zero_cores = summarize(&[sample(0, 0.0, 1, 0), sample(1000, 1.0, 1, 0)], 0);
        assert_eq!(zero_cores.map(|u| u.cores), Some(1));
    }
}
