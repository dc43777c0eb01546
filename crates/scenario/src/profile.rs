//! The traffic profile as a list of phases, each a linear segment of the target arrival rate
//! (open model) or of the number of virtual users (closed model, like k6's ramping-vus).
//!
//! Open model semantics: warm-up holds `warmup_rate_rps` (default: the first rate) and is
//! excluded from criteria; the ramp goes linearly from the warm-up rate to the first steady
//! rate; steady steps through `arrival_rate_rps` in equal shares; a spike at
//! `spike_after_*` (from the start of the run) holds `spike_multiplier` (default 3) × the rate
//! in force for `spike_*` (default a tenth of steady); cool-down ramps linearly to zero.

use std::time::Duration;

/// What a phase is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseKind {
    /// Recorded, excluded from criteria and totals.
    Warmup,
    /// Linear change of the target.
    Ramp,
    /// Constant target.
    Steady,
    /// A burst above the current rate.
    Spike,
    /// Linear ramp down to zero.
    Cooldown,
    /// A closed-model stage (linear change of users).
    Stage,
}

/// One linear segment of the profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// Display name (`warmup`, `ramp`, `steady-1`, `spike`, `cooldown`, `stage-2`).
    pub name: String,
    /// What it is.
    pub kind: PhaseKind,
    /// Offset from the start of the run.
    pub start: Duration,
    /// Length.
    pub duration: Duration,
    /// Target rate (req/s) or users at the start.
    pub from: f64,
    /// Target rate (req/s) or users at the end.
    pub to: f64,
}

impl Phase {
    /// Whether the phase counts towards totals and criteria.
    pub fn measured(&self) -> bool {
        self.kind != PhaseKind::Warmup
    }

    /// End offset.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }

    /// Target at `t` (clamped to the phase).
    pub fn target_at(&self, t: Duration) -> f64 {
        let d = self.duration.as_secs_f64();
        if d <= 0.0 {
            return self.to;
        }
        let x = ((t.as_secs_f64() - self.start.as_secs_f64()) / d).clamp(0.0, 1.0);
        self.from + (self.to - self.from) * x
    }
}

/// Open (arrival rate) or closed (concurrent users) workload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// Requests arrive on a schedule whatever the responses.
    Open,
    /// Each virtual user sends its next request when the previous one completes,
    /// optionally capped to a total rate.
    Closed {
        /// Upper bound on the total request rate.
        rate_cap_rps: Option<f64>,
    },
}

/// The whole profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Open or closed.
    pub model: Model,
    /// Contiguous phases from zero.
    pub phases: Vec<Phase>,
}

impl Profile {
    /// Total planned length.
    pub fn total(&self) -> Duration {
        self.phases.last().map(Phase::end).unwrap_or_default()
    }

    /// Index of the phase in force at `t` (the last one past the end).
    pub fn phase_index(&self, t: Duration) -> usize {
        self.phases
            .partition_point(|p| p.end() <= t)
            .min(self.phases.len().saturating_sub(1))
    }

    /// Target (rate or users) at `t`.
    pub fn target_at(&self, t: Duration) -> f64 {
        self.phases
            .get(self.phase_index(t))
            .map(|p| p.target_at(t))
            .unwrap_or(0.0)
    }

    /// Highest target of any phase.
    pub fn peak(&self) -> f64 {
        self.phases
            .iter()
            .map(|p| p.from.max(p.to))
            .fold(0.0, f64::max)
    }

    /// Mean target over the measured phases (time-weighted).
    pub fn mean_measured_target(&self) -> f64 {
        let (mut area, mut time) = (0.0, 0.0);
        for p in self.phases.iter().filter(|p| p.measured()) {
            let d = p.duration.as_secs_f64();
            area += (p.from + p.to) / 2.0 * d;
            time += d;
        }
        if time > 0.0 {
            area / time
        } else {
            0.0
        }
    }

    /// The same profile with every duration multiplied by `factor` (for rehearsing a long
    /// scenario quickly); the factor is checked by [`crate::limits::time_scale`].
    pub fn time_scaled(&self, factor: f64) -> Result<Profile, String> {
        crate::limits::time_scale(factor, self.total())?;
        let s = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() * factor);
        Ok(Profile {
            model: self.model,
            phases: self
                .phases
                .iter()
                .map(|p| Phase {
                    start: s(p.start),
                    duration: s(p.duration),
                    ..p.clone()
                })
                .collect(),
        })
    }

    /// Builds an open-model profile. `spike` is (start, length, multiplier).
    pub fn open(
        warmup: Duration,
        warmup_rate: f64,
        ramp: Duration,
        steady: Duration,
        rates: &[f64],
        cooldown: Duration,
        spike: Option<(Duration, Duration, f64)>,
    ) -> Profile {
        let mut phases = Vec::new();
        let mut t = Duration::ZERO;
        let mut push = |name: String, kind, d: Duration, from, to| {
            if !d.is_zero() {
                phases.push(Phase {
                    name,
                    kind,
                    start: t,
                    duration: d,
                    from,
                    to,
                });
                t += d;
            }
        };
        let first = rates[0];
        push(
            "warmup".into(),
            PhaseKind::Warmup,
            warmup,
            warmup_rate,
            warmup_rate,
        );
        push("ramp".into(), PhaseKind::Ramp, ramp, warmup_rate, first);
        let n = rates.len() as u32;
        for (i, &r) in rates.iter().enumerate() {
            let name = if n == 1 {
                "steady".to_string()
            } else {
                format!("steady-{}", i + 1)
            };
            push(name, PhaseKind::Steady, steady / n, r, r);
        }
        let last = *rates.last().unwrap();
        push("cooldown".into(), PhaseKind::Cooldown, cooldown, last, 0.0);
        let mut profile = Profile {
            model: Model::Open,
            phases,
        };
        if let Some((at, len, mult)) = spike {
            profile.insert_spike(at, len, mult);
        }
        profile
    }

    /// Cuts `[at, at+len)` out of the phases and inserts a constant spike there at `mult` × the
    /// rate in force at `at`. Phases cut in two keep their name, the second part suffixed `b`.
    fn insert_spike(&mut self, at: Duration, len: Duration, mult: f64) {
        let end = (at + len).min(self.total());
        if at >= end {
            return;
        }
        let rate = self.target_at(at) * mult;
        let mut out = Vec::new();
        let mut inserted = false;
        for p in &self.phases {
            if p.end() <= at || p.start >= end {
                out.push(p.clone());
                continue;
            }
            let cut_head = p.start < at;
            if cut_head {
                out.push(Phase {
                    duration: at - p.start,
                    to: p.target_at(at),
                    ..p.clone()
                });
            }
            if !inserted {
                inserted = true;
                out.push(Phase {
                    name: "spike".into(),
                    kind: PhaseKind::Spike,
                    start: at,
                    duration: end - at,
                    from: rate,
                    to: rate,
                });
            }
            if p.end() > end {
                out.push(Phase {
                    name: if cut_head {
                        format!("{}b", p.name)
                    } else {
                        p.name.clone()
                    },
                    start: end,
                    duration: p.end() - end,
                    from: p.target_at(end),
                    ..p.clone()
                });
            }
        }
        self.phases = out;
    }

    /// Builds a closed-model profile: warm-up at `warmup_users`, then stages ramping linearly
    /// from the previous target (from `start_users` for the first).
    pub fn closed(
        warmup: Duration,
        warmup_users: f64,
        start_users: f64,
        stages: &[(Duration, f64)],
        rate_cap_rps: Option<f64>,
    ) -> Profile {
        let mut phases = Vec::new();
        let mut t = Duration::ZERO;
        if !warmup.is_zero() {
            phases.push(Phase {
                name: "warmup".into(),
                kind: PhaseKind::Warmup,
                start: t,
                duration: warmup,
                from: warmup_users,
                to: warmup_users,
            });
            t += warmup;
        }
        let mut prev = start_users;
        for (i, &(d, target)) in stages.iter().enumerate() {
            phases.push(Phase {
                name: format!("stage-{}", i + 1),
                kind: PhaseKind::Stage,
                start: t,
                duration: d,
                from: prev,
                to: target,
            });
            t += d;
            prev = target;
        }
        Profile {
            model: Model::Closed { rate_cap_rps },
            phases,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(x: u64) -> Duration {
        Duration::from_secs(60 * x)
    }

    #[test]
    fn playbook_profile() {
        let p = Profile::open(
            m(5),
            100.0,
            m(10),
            m(30),
            &[100.0, 250.0, 400.0],
            m(5),
            Some((m(20), m(3), 3.0)),
        );
        let names: Vec<_> = p.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "warmup",
                "ramp",
                "steady-1",
                "spike",
                "steady-1b",
                "steady-2",
                "steady-3",
                "cooldown"
            ]
        );
        assert_eq!(p.total(), m(50));
        let spike = &p.phases[3];
        assert_eq!(
            (spike.start, spike.duration, spike.from),
            (m(20), m(3), 300.0)
        );
        assert_eq!(p.phases[4].start, m(23));
        assert_eq!(p.phases[4].duration, m(2));
        assert_eq!(p.target_at(m(30)), 250.0);
        assert_eq!(p.target_at(Duration::from_secs(47 * 60 + 30)), 200.0);
        assert!(!p.phases[0].measured());
    }

    #[test]
    fn spike_splits_a_phase() {
        let p = Profile::open(
            Duration::ZERO,
            10.0,
            Duration::ZERO,
            Duration::from_secs(10),
            &[10.0],
            Duration::ZERO,
            Some((Duration::from_secs(4), Duration::from_secs(2), 3.0)),
        );
        let got: Vec<_> = p
            .phases
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.start.as_secs(),
                    p.duration.as_secs(),
                    p.from,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("steady", 0, 4, 10.0),
                ("spike", 4, 2, 30.0),
                ("steadyb", 6, 4, 10.0)
            ]
        );
    }

    #[test]
    fn closed_stages() {
        let p = Profile::closed(
            Duration::from_secs(2),
            5.0,
            0.0,
            &[
                (Duration::from_secs(10), 50.0),
                (Duration::from_secs(5), 0.0),
            ],
            None,
        );
        assert_eq!(p.phases.len(), 3);
        assert_eq!(p.target_at(Duration::from_secs(7)), 25.0);
        assert_eq!(p.total(), Duration::from_secs(17));
    }
}
