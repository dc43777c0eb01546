//! The open-model arrival schedule: request `k` is due at the time `t_k` where the cumulative
//! target rate Λ(t) = ∫ r reaches `k`. Rates are piecewise linear (one segment per phase), so
//! Λ is piecewise quadratic and inverts in closed form. No per-request state: any task can ask
//! when request `k` is due, in O(log phases).

use perfhive_scenario::Profile;
use std::time::Duration;

#[derive(Clone, Debug)]
struct Segment {
    t0: f64,
    dur: f64,
    r0: f64,
    r1: f64,
    /// Λ at the start of the segment.
    cum0: f64,
}

impl Segment {
    fn arrivals(&self) -> f64 {
        (self.r0 + self.r1) / 2.0 * self.dur
    }
}

/// Due times of an arrival-rate profile.
#[derive(Clone, Debug)]
pub struct Schedule {
    segs: Vec<Segment>,
    total: f64,
}

impl Schedule {
    /// The schedule of a profile whose targets are rates (req/s).
    pub fn from_profile(profile: &Profile) -> Schedule {
        Self::from_segments(profile.phases.iter().map(|p| {
            (
                p.start.as_secs_f64(),
                p.duration.as_secs_f64(),
                p.from,
                p.to,
            )
        }))
    }

    /// A constant rate for `duration`.
    pub fn constant(rate: f64, duration: Duration) -> Schedule {
        Self::from_segments([(0.0, duration.as_secs_f64(), rate, rate)].into_iter())
    }

    fn from_segments(it: impl Iterator<Item = (f64, f64, f64, f64)>) -> Schedule {
        let mut segs = Vec::new();
        let mut cum = 0.0;
        for (t0, dur, r0, r1) in it {
            let s = Segment {
                t0,
                dur,
                r0: r0.max(0.0),
                r1: r1.max(0.0),
                cum0: cum,
            };
            cum += s.arrivals();
            segs.push(s);
        }
        Schedule { segs, total: cum }
    }

    /// Number of arrivals over the whole schedule.
    pub fn total_arrivals(&self) -> u64 {
        // arrivals at Λ = 0, 1, 2, … strictly below the total
        let t = self.total;
        if t <= 0.0 {
            0
        } else {
            t.ceil() as u64
        }
    }

    /// How many arrivals are due at or before `t` (from the start): the `k` with
    /// `time_of(k) <= t`, from Λ(t) in closed form, O(log phases). A generator that fell behind
    /// catches up in one step instead of walking every arrival it missed.
    pub fn arrivals_by(&self, t: Duration) -> u64 {
        let Some(last) = self.segs.last() else {
            return 0;
        };
        let t = t.as_secs_f64();
        if t >= last.t0 + last.dur {
            return self.total_arrivals();
        }
        let i = self
            .segs
            .partition_point(|s| s.t0 + s.dur <= t)
            .min(self.segs.len() - 1);
        let s = &self.segs[i];
        let tau = (t - s.t0).clamp(0.0, s.dur);
        let a = if s.dur > 0.0 {
            (s.r1 - s.r0) / (2.0 * s.dur)
        } else {
            0.0
        };
        let cum = s.cum0 + s.r0 * tau + a * tau * tau;
        // arrival k is due when Λ reaches k: k = 0, 1, …, floor(Λ(t))
        let due = cum.max(0.0).floor() + 1.0;
        if due >= self.total {
            self.total_arrivals()
        } else {
            due as u64
        }
    }

    /// When arrival `k` (0-based) is due, from the start; `None` past the end.
    pub fn time_of(&self, k: u64) -> Option<Duration> {
        let k = k as f64;
        if k >= self.total {
            return None;
        }
        let i = self
            .segs
            .partition_point(|s| s.cum0 + s.arrivals() <= k)
            .min(self.segs.len() - 1);
        let s = &self.segs[i];
        let x = k - s.cum0; // arrivals into this segment
        let a = if s.dur > 0.0 {
            (s.r1 - s.r0) / (2.0 * s.dur)
        } else {
            0.0
        };
        let tau = if a.abs() < 1e-12 {
            if s.r0 > 0.0 {
                x / s.r0
            } else {
                0.0
            }
        } else {
            // r0 τ + a τ² = x, stable form of the quadratic root
            let disc = (s.r0 * s.r0 + 4.0 * a * x).max(0.0);
            let den = s.r0 + disc.sqrt();
            if den > 0.0 {
                2.0 * x / den
            } else {
                0.0
            }
        };
        Some(Duration::from_secs_f64(s.t0 + tau.clamp(0.0, s.dur)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfhive_scenario::Profile;

    #[test]
    fn constant_rate_is_exact() {
        let s = Schedule::constant(1000.0, Duration::from_secs(5));
        assert_eq!(s.total_arrivals(), 5000);
        assert_eq!(s.time_of(0), Some(Duration::ZERO));
        assert_eq!(s.time_of(1500), Some(Duration::from_millis(1500)));
        assert_eq!(s.time_of(5000), None);
    }

    #[test]
    fn arrivals_by_agrees_with_time_of() {
        let p = Profile::open(
            Duration::from_secs(1),
            50.0,
            Duration::from_secs(2),
            Duration::from_secs(3),
            &[100.0, 300.0],
            Duration::from_secs(2),
            None,
        );
        let s = Schedule::from_profile(&p);
        for ms in (0..9000).step_by(7) {
            let t = Duration::from_millis(ms);
            let n = s.arrivals_by(t);
            // every counted arrival is due by t (to rounding), the next one after it
            if n > 0 {
                let last = s.time_of(n - 1).unwrap();
                assert!(
                    last <= t + Duration::from_micros(1),
                    "{ms} ms: {n} {last:?}"
                );
            }
            if let Some(next) = s.time_of(n) {
                assert!(
                    next + Duration::from_micros(1) >= t,
                    "{ms} ms: {n} {next:?}"
                );
            }
        }
        assert_eq!(s.arrivals_by(Duration::from_secs(100)), s.total_arrivals());
        // a rate no generator could send is counted, not walked
        let huge = Schedule::constant(1e9, Duration::from_secs(10));
        assert_eq!(huge.arrivals_by(Duration::from_secs(5)), 5_000_000_001);
    }

    #[test]
    fn ramp_inverts_the_quadratic() {
        // 0 → 100 rps over 10 s: Λ(t) = 5 t², 500 arrivals; k due at sqrt(k/5).
        let p = Profile::open(
            Duration::ZERO,
            1.0,
            Duration::ZERO,
            Duration::from_secs(1),
            &[100.0],
            Duration::from_secs(10),
            None,
        );
        let s = Schedule::from_profile(&p);
        // steady 1 s at 100 = 100 arrivals, then cool-down 100 → 0 over 10 s = 500 arrivals
        assert_eq!(s.total_arrivals(), 600);
        let t = s.time_of(100 + 275).unwrap().as_secs_f64();
        // Λ(1+τ) - 100 = 100 τ - 5 τ² = 275 → τ = 10 - sqrt(45)
        assert!((t - (1.0 + 10.0 - 45f64.sqrt())).abs() < 1e-9, "{t}");
        // monotone
        let mut last = Duration::ZERO;
        for k in 0..600 {
            let t = s.time_of(k).unwrap();
            assert!(t >= last);
            last = t;
        }
    }
}
