//! Trace context: W3C `traceparent` parsing, random ids, and the span clock.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A 16-byte trace id.
pub type TraceId = [u8; 16];
/// An 8-byte span id.
pub type SpanId = [u8; 8];

/// The parent named by an incoming W3C `traceparent` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteParent {
    /// The trace the request belongs to.
    pub trace_id: TraceId,
    /// The caller's span.
    pub span_id: SpanId,
    /// The `sampled` trace flag (bit 0).
    pub sampled: bool,
}

/// Parses a `traceparent` header value (W3C Trace Context, level 1, §3.2):
/// `version-traceid-parentid-flags`, lower-case hex of 2, 32, 16 and 2 digits.
///
/// Returns `None` for anything invalid: version `ff`, version `00` with trailing data, wrong
/// lengths, upper-case or non-hex digits, an all-zero trace or parent id. A version above `00`
/// is parsed as `00` when its first four fields are well formed and, if there is more, a `-`
/// follows them (§4.3, "versioning of traceparent").
pub fn parse_traceparent(value: &str) -> Option<RemoteParent> {
    let v = value.trim_matches([' ', '\t']).as_bytes();
    if v.len() < 55 {
        return None;
    }
    let version = hex_byte(&v[0..2])?;
    if version == 0xff {
        return None;
    }
    if version == 0 && v.len() != 55 {
        return None;
    }
    if v.len() > 55 && v[55] != b'-' {
        return None;
    }
    if v[2] != b'-' || v[35] != b'-' || v[52] != b'-' {
        return None;
    }
    let mut trace_id = [0u8; 16];
    for (i, b) in trace_id.iter_mut().enumerate() {
        *b = hex_byte(&v[3 + 2 * i..5 + 2 * i])?;
    }
    let mut span_id = [0u8; 8];
    for (i, b) in span_id.iter_mut().enumerate() {
        *b = hex_byte(&v[36 + 2 * i..38 + 2 * i])?;
    }
    let flags = hex_byte(&v[53..55])?;
    if trace_id == [0; 16] || span_id == [0; 8] {
        return None;
    }
    Some(RemoteParent {
        trace_id,
        span_id,
        sampled: flags & 1 == 1,
    })
}

/// Two lower-case hex digits.
fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    Some(digit(two[0])? << 4 | digit(two[1])?)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Per-thread SplitMix64 state (Steele, Lea & Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): ids need to be unique, not unpredictable, and this costs a few
/// arithmetic instructions with no lock and no system call.
fn next_random() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// A distinct seed per thread: wall-clock nanoseconds, the process id and a per-process thread
/// counter, mixed so that neighbouring threads start far apart.
fn seed() -> u64 {
    static THREADS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let n = THREADS.fetch_add(1, Ordering::Relaxed);
    nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03)
}

/// A random, non-zero trace id.
pub(crate) fn new_trace_id() -> TraceId {
    loop {
        let (a, b) = (next_random(), next_random());
        if a | b != 0 {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&a.to_be_bytes());
            id[8..].copy_from_slice(&b.to_be_bytes());
            return id;
        }
    }
}

/// A random, non-zero span id.
pub(crate) fn new_span_id() -> SpanId {
    loop {
        let a = next_random();
        if a != 0 {
            return a.to_be_bytes();
        }
    }
}

/// Span timestamps: Unix nanoseconds from a monotonic clock anchored once to the wall clock, so
/// times taken on different threads (workers, the blocking pool) are consistent with each other
/// and durations are never negative.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    anchor: Instant,
    anchor_unix_ns: u64,
}

impl Clock {
    /// Anchors the clock now.
    pub(crate) fn new() -> Self {
        let anchor = Instant::now();
        let anchor_unix_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self {
            anchor,
            anchor_unix_ns,
        }
    }

    /// Now, in Unix nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        self.anchor_unix_ns + self.anchor.elapsed().as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn valid_traceparent() {
        let p = parse_traceparent(VALID).expect("valid");
        assert_eq!(hex(&p.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(hex(&p.span_id), "00f067aa0ba902b7");
        assert!(p.sampled);
        let p = parse_traceparent(&VALID.replace("-01", "-00")).expect("valid");
        assert!(!p.sampled);
        // Other flag bits do not matter; only bit 0 is `sampled`.
        assert!(
            parse_traceparent(&VALID.replace("-01", "-03"))
                .expect("ok")
                .sampled
        );
        assert!(
            !parse_traceparent(&VALID.replace("-01", "-02"))
                .expect("ok")
                .sampled
        );
        // A future version with more fields is read as version 00.
        let future = format!("{}-extra", VALID.replacen("00-", "cc-", 1));
        assert!(parse_traceparent(&future).is_some());
        assert!(parse_traceparent(&VALID.replacen("00-", "cc-", 1)).is_some());
    }

    #[test]
    fn invalid_traceparents_are_rejected() {
        let cases = [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            // Version ff is invalid.
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            // Version 00 must not have trailing data.
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            // A future version's extra data must follow a dash.
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            // All-zero ids.
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            // Upper case, non-hex, wrong separators.
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            "00-4bf92f3577b34da6a3ce929d0e0e47-3600f067aa0ba902b7-01",
        ];
        for case in cases {
            assert_eq!(parse_traceparent(case), None, "{case:?}");
        }
    }

    #[test]
    fn ids_are_random_and_non_zero() {
        let a = new_trace_id();
        let b = new_trace_id();
        assert_ne!(a, b);
        assert_ne!(a, [0; 16]);
        let spans: std::collections::HashSet<SpanId> = (0..10_000).map(|_| new_span_id()).collect();
        assert_eq!(spans.len(), 10_000);
        assert!(!spans.contains(&[0; 8]));
        let other = std::thread::spawn(new_span_id).join().expect("thread");
        assert!(!spans.contains(&other));
    }

    #[test]
    fn clock_is_unix_time_and_monotonic() {
        let clock = Clock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as u64;
        assert!(a.abs_diff(wall) < 1_000_000_000, "{a} vs {wall}");
    }
}
