//! The calling process's own resource use, from `getrusage(2)`.
//!
//! perfhive measures its own CPU time and peak memory next to the target's, the way hyperfine
//! reports user and system time of benchmarked commands: a load generator that saturates its own
//! core measures itself, not the target. `RUSAGE_THREAD` (Linux ≥ 2.6.26) gives per-thread CPU time
//! for worker-level accounting.

use std::time::Duration;

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of CPU times in `/proc/<pid>/stat`.
pub fn ticks_per_second() -> u64 {
    procfs::ticks_per_second().max(1)
}

/// CPU time (user + system) consumed by this process so far, from `getrusage(RUSAGE_SELF)`.
pub fn self_cpu_time() -> Duration {
    rusage(libc::RUSAGE_SELF).map_or(Duration::ZERO, |ru| cpu_time(&ru))
}

/// CPU time (user + system) of the calling thread, from `getrusage(RUSAGE_THREAD)`.
pub fn thread_cpu_time() -> Duration {
    rusage(libc::RUSAGE_THREAD).map_or(Duration::ZERO, |ru| cpu_time(&ru))
}

/// Peak resident set size of this process in bytes (`ru_maxrss`, which Linux reports in KiB).
pub fn self_peak_rss_bytes() -> u64 {
    rusage(libc::RUSAGE_SELF).map_or(0, |ru| u64::try_from(ru.ru_maxrss).unwrap_or(0) * 1024)
}

fn rusage(who: libc::c_int) -> Option<libc::rusage> {
    // SAFETY: `rusage` is a plain C struct of integers, for which all-zero bytes are valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage`; getrusage only writes into it.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    (rc == 0).then_some(ru)
}

fn cpu_time(ru: &libc::rusage) -> Duration {
    timeval(&ru.ru_utime) + timeval(&ru.ru_stime)
}

fn timeval(tv: &libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::new(secs, 0) + Duration::from_micros(u64::from(micros))
}
