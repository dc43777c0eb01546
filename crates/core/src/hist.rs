//! Latency histograms: HDR histograms (Gil Tene's HdrHistogram, via the `hdrhistogram` crate)
//! recording microseconds with three significant digits, merged across workers and stages and
//! serialised in the HDR V2 compressed format (base64), the same encoding HdrHistogram's Java,
//! C and Go implementations read.
//!
//! Memory is bounded by the value range, not by the number of requests.

use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Microseconds, the unit every latency histogram records in.
pub type Micros = u64;

/// Highest trackable value before the histogram grows: 60 s in microseconds.
const INITIAL_HIGH: Micros = 60_000_000;

/// A mergeable latency histogram in microseconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// A histogram with three significant digits (0.1% value precision).
    pub fn new() -> Self {
        Self::with_precision(3)
    }

    /// A histogram with `sigfig` significant digits (1..=5). Two digits is a tenth of the memory
    /// of three, for short-lived interval histograms.
    pub fn with_precision(sigfig: u8) -> Self {
        let mut inner = Histogram::new_with_bounds(1, INITIAL_HIGH, sigfig)
            .expect("static histogram bounds are valid");
        inner.auto(true);
        Self { inner }
    }

    /// Records one duration (rounded to microseconds, at least 1 µs).
    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.record_micros(d.as_micros().min(u64::MAX as u128) as u64);
    }

    /// Records one value in microseconds (0 counts as 1 µs).
    #[inline]
    pub fn record_micros(&mut self, us: Micros) {
        // auto-resize is on, so recording only fails for values beyond u64 range.
        let _ = self.inner.record(us.max(1));
    }

    /// Adds every count of `other` into this histogram.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        let _ = self.inner.add(&other.inner);
    }

    /// Number of recorded values.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Clears all counts, keeping the allocation.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// The value at quantile `q` (0..=1) in milliseconds; `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        (!self.is_empty()).then(|| self.inner.value_at_quantile(q) as f64 / 1000.0)
    }

    /// Mean in milliseconds; `None` when empty.
    pub fn mean_ms(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.inner.mean() / 1000.0)
    }

    /// Maximum in milliseconds; `None` when empty.
    pub fn max_ms(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.inner.max() as f64 / 1000.0)
    }

    /// Minimum in milliseconds; `None` when empty.
    pub fn min_ms(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.inner.min() as f64 / 1000.0)
    }

    /// The standard summary (percentiles in milliseconds); `None` when empty.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.is_empty() {
            return None;
        }
        let q = |q: f64| round3(self.inner.value_at_quantile(q) as f64 / 1000.0);
        Some(LatencySummary {
            count: self.len(),
            min: round3(self.inner.min() as f64 / 1000.0),
            mean: round3(self.inner.mean() / 1000.0),
            stdev: round3(self.inner.stdev() / 1000.0),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p99_9: q(0.999),
            max: round3(self.inner.max() as f64 / 1000.0),
        })
    }

    /// Percentile spectrum for plots: (quantile, value in ms) at HdrHistogram's
    /// "percentiles" iteration with `ticks` steps per half-distance.
    pub fn spectrum_ms(&self, ticks: u32) -> Vec<(f64, f64)> {
        self.inner
            .iter_quantiles(ticks)
            .map(|v| {
                (
                    v.quantile_iterated_to(),
                    v.value_iterated_to() as f64 / 1000.0,
                )
            })
            .collect()
    }

    /// Serialises to HDR V2 compressed (deflate) and base64: the `HISTFAAA…` form.
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        let mut buf = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.inner, &mut buf)
            .expect("serialising to a Vec cannot fail");
        base64::engine::general_purpose::STANDARD.encode(buf)
    }

    /// Parses what [`encode`](Self::encode) wrote (V2, compressed or not).
    pub fn decode(text: &str) -> Result<Self, HistogramDecodeError> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| HistogramDecodeError(format!("base64: {e}")))?;
        let mut inner: Histogram<u64> = Deserializer::new()
            .deserialize(&mut &bytes[..])
            .map_err(|e| HistogramDecodeError(format!("{e:?}")))?;
        inner.auto(true);
        Ok(Self { inner })
    }

    /// The underlying HDR histogram, for iteration by renderers and statistics.
    pub fn raw(&self) -> &Histogram<u64> {
        &self.inner
    }
}

/// A histogram could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("invalid HDR histogram: {0}")]
pub struct HistogramDecodeError(String);

/// Rounds to three decimals (microsecond resolution when the unit is milliseconds).
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The usual percentiles of a latency distribution, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    /// Number of values.
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Standard deviation.
    pub stdev: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p99_9: f64,
    /// Largest value.
    pub max: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_merge() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        for ms in 1..=100u64 {
            a.record(Duration::from_millis(ms));
        }
        b.record(Duration::from_secs(120)); // beyond the initial range: auto-resizes
        a.merge(&b);
        let s = a.summary().unwrap();
        assert_eq!(s.count, 101);
        assert!((s.p50 - 51.0).abs() < 0.1, "{s:?}");
        assert!((s.max - 120_000.0).abs() / 120_000.0 < 0.001, "{s:?}");
    }

    #[test]
    fn encode_round_trip() {
        let mut h = LatencyHistogram::new();
        for us in [5u64, 80, 1_234, 99_999, 3_000_000] {
            h.record_micros(us);
        }
        let text = h.encode();
        assert!(text.starts_with("HISTFAAA"), "{text}");
        let back = LatencyHistogram::decode(&text).unwrap();
        assert_eq!(back.summary(), h.summary());
        assert!(LatencyHistogram::decode("not base64!").is_err());
    }
}
