//! Axes for the SVG charts: the data domain, the mapping of a value to a fraction of the plot,
//! and "nice" ticks — steps of 1, 2 or 5 × 10ⁿ on linear axes (Heckbert, "Nice numbers for
//! graph labels", Graphics Gems, 1990), decades (with 2 and 5 when the range is short) on
//! logarithmic ones.
//!
//! Every label is formatted with a fixed number of decimals derived from the step, so the same
//! data always gives the same text.

/// Slack for floating-point error when snapping a bound to a multiple of the step.
const EPS: f64 = 1e-9;

/// One axis: its domain, its scale and its labelled ticks.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The value at the start of the axis (left or bottom).
    pub lo: f64,
    /// The value at the end of the axis (right or top).
    pub hi: f64,
    /// Logarithmic scale (then `0 < lo < hi`).
    pub log: bool,
    /// Tick positions (in data units, within `lo..=hi`) and their labels.
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A linear axis covering `lo..=hi`, widened to multiples of a 1-2-5 step, with about
    /// `target` intervals. An empty or degenerate range gets a sensible neighbourhood.
    pub fn linear(lo: f64, hi: f64, target: usize) -> Axis {
        let (lo, hi) = widen(lo, hi);
        let (m, e) = nice_step_parts(hi - lo, target.max(1));
        let step = decimal(m, e);
        let first = (lo / step + EPS).floor() as i64;
        let last = (hi / step - EPS).ceil() as i64;
        // k·m·10ᵉ parsed from its decimal form is the double nearest the exact tick.
        let ticks: Vec<(f64, String)> = (first..=last)
            .map(|k| {
                let v = decimal(k * m, e);
                (v, label(v, step))
            })
            .collect();
        Axis {
            lo: decimal(first * m, e),
            hi: decimal(last * m, e),
            log: false,
            ticks,
        }
    }

    /// A logarithmic axis from the decade at or below `lo` to the decade at or above `hi`.
    /// Ticks are at each decade (every few decades beyond eight), with 2× and 5× added when
    /// the axis spans at most two decades. Non-positive bounds give `1..10`.
    pub fn log(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = if lo > 0.0 && hi >= lo && hi.is_finite() {
            (lo, hi)
        } else {
            (1.0, 10.0)
        };
        let d_lo = (lo.log10() + EPS).floor() as i32;
        let mut d_hi = (hi.log10() - EPS).ceil() as i32;
        if d_hi <= d_lo {
            d_hi = d_lo + 1;
        }
        let decades = d_hi - d_lo;
        let every = (decades + 7) / 8;
        let mut ticks = Vec::new();
        for d in d_lo..=d_hi {
            if (d - d_lo) % every != 0 && d != d_hi {
                continue;
            }
            let base = pow10(d);
            ticks.push((base, label(base, base)));
            if decades <= 2 && d < d_hi {
                for m in [2.0, 5.0] {
                    ticks.push((m * base, label(m * base, base)));
                }
            }
        }
        Axis {
            lo: pow10(d_lo),
            hi: pow10(d_hi),
            log: true,
            ticks,
        }
    }

    /// An axis with caller-chosen ticks whose domain is exactly the span of the ticks and of
    /// `lo..=hi` (no widening).
    pub fn explicit(lo: f64, hi: f64, log: bool, ticks: Vec<(f64, String)>) -> Axis {
        let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
        let vals = ticks.iter().map(|t| t.0).chain([lo, hi]).filter(|v| ok(*v));
        let (mut a, mut b) = min_max(vals).unwrap_or(if log { (1.0, 10.0) } else { (0.0, 1.0) });
        if a == b {
            (a, b) = if log {
                (a / 10.0, b * 10.0)
            } else {
                widen(a, b)
            };
        }
        let ticks = ticks.into_iter().filter(|t| ok(t.0)).collect();
        Axis {
            lo: a,
            hi: b,
            log,
            ticks,
        }
    }

    /// Where `v` falls on the axis, from 0 (`lo`) to 1 (`hi`); `None` if it cannot be shown
    /// (not finite, or not positive on a log axis).
    pub fn frac(&self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        if self.log {
            if v <= 0.0 {
                return None;
            }
            let (a, b) = (self.lo.log10(), self.hi.log10());
            Some((v.log10() - a) / (b - a))
        } else {
            Some((v - self.lo) / (self.hi - self.lo))
        }
    }
}

/// The smallest and largest of some values.
pub(crate) fn min_max(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    vals.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// A range that is not empty: equal bounds get a neighbourhood, non-finite ones `0..1`.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() || hi < lo {
        return (0.0, 1.0);
    }
    if hi > lo {
        return (lo, hi);
    }
    if lo == 0.0 {
        (0.0, 1.0)
    } else if lo > 0.0 {
        (0.0, 2.0 * lo)
    } else {
        (2.0 * lo, 0.0)
    }
}

/// A step of 1, 2 or 5 × 10ⁿ giving about `target` intervals over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let (m, e) = nice_step_parts(span, target);
    decimal(m, e)
}

/// [`nice_step`] as `(m, e)` with the step `m × 10ᵉ`, `m` ∈ {1, 2, 5, 10}.
fn nice_step_parts(span: f64, target: usize) -> (i64, i32) {
    let raw = span / target as f64;
    let e = raw.log10().floor() as i32;
    let n = raw / pow10(e);
    let m = if n < 1.5 {
        1
    } else if n < 3.0 {
        2
    } else if n < 7.0 {
        5
    } else {
        10
    };
    (m, e)
}

/// The double nearest `n × 10ᵉ`.
fn decimal(n: i64, e: i32) -> f64 {
    format!("{n}e{e}").parse().unwrap_or(f64::NAN)
}

/// 10ⁿ, the double nearest the exact value (`powi` of 10 drifts for negative exponents).
fn pow10(d: i32) -> f64 {
    decimal(1, d)
}

/// The number of decimals needed to tell ticks `step` apart.
fn decimals(step: f64) -> usize {
    let e = (step.abs().log10() + EPS).floor();
    if e >= 0.0 {
        0
    } else {
        (-e) as usize
    }
}

/// The label of tick `v` on an axis whose ticks are `step` apart: fixed decimals, and `k` / `M`
/// when the step is a whole number of thousands or millions.
pub fn label(v: f64, step: f64) -> String {
    let (div, suffix) = if step >= 1e6 {
        (1e6, "M")
    } else if step >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let s = fixed(v / div, decimals(step / div));
    if v == 0.0 {
        s
    } else {
        format!("{s}{suffix}")
    }
}

/// `v` with `d` decimals, never `-0`.
pub fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `v` with three significant digits (more for large whole numbers), for descriptions and
/// value labels.
pub fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    fixed(v, (2 - e).max(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_fixed() {
        assert_eq!(label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(label(-0.0, 0.2), "0.0");
        assert_eq!(label(4000.0, 2000.0), "4k");
        assert_eq!(label(0.0, 2000.0), "0");
        assert_eq!(sig3(1234.6), "1235");
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(pow10(-3), 0.001);
    }
}
