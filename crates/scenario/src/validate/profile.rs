//! The traffic profile's rules: which keys belong to which model, durations given once (minutes
//! or seconds), rates and users within [`crate::limits`], a spike inside the run, at most
//! [`MAX_STEPS`] steps or stages, and a whole run of at most [`crate::limits::MAX_RUN`].

use super::{invalid, invalid_key, Invalid};
use crate::limits::{self, MAX_RATE_RPS, MAX_RUN, MAX_STEPS, MAX_USERS};
use crate::locate::Seg;
use crate::profile::Profile;
use crate::raw::{OneOrMany, RawProfile};
use std::time::Duration;

fn path(k: &'static str) -> Vec<Seg> {
    vec![Seg::Key("traffic_profile"), Seg::Key(k)]
}

/// `x_minutes` / `x_seconds`: one of them, within [`limits::duration_secs`].
fn duration_pair(
    minutes: Option<f64>,
    seconds: Option<f64>,
    key_min: &'static str,
    key_sec: &'static str,
) -> Result<Option<Duration>, Invalid> {
    let (checked, key) = match (minutes, seconds) {
        (Some(_), Some(_)) => {
            return Err(invalid_key(
                path(key_sec),
                format!("give `{key_min}` or `{key_sec}`, not both"),
            ))
        }
        (Some(m), None) => (limits::duration_minutes(m), key_min),
        (None, Some(s)) => (limits::duration_secs(s), key_sec),
        (None, None) => return Ok(None),
    };
    checked.map(Some).map_err(|m| invalid(path(key), m))
}

/// The whole run is at most [`MAX_RUN`].
fn check_total(total: Duration) -> Result<(), Invalid> {
    if total > MAX_RUN {
        return Err(invalid_key(
            vec![Seg::Key("traffic_profile")],
            format!(
                "the phases add up to {} s; a run may last at most a week ({} s)",
                total.as_secs_f64(),
                MAX_RUN.as_secs()
            ),
        ));
    }
    Ok(())
}

/// The open model: warm-up, ramp, steady steps, an optional spike, cool-down.
pub(super) fn open(p: &RawProfile) -> Result<Profile, Invalid> {
    for (set, key) in [
        (p.stages.is_some(), "stages"),
        (p.start_users.is_some(), "start_users"),
        (p.warmup_users.is_some(), "warmup_users"),
        (p.rate_cap_rps.is_some(), "rate_cap_rps"),
    ] {
        if set {
            return Err(invalid_key(
                path(key),
                format!("`{key}` belongs to the closed model; add `model: closed` or remove it"),
            ));
        }
    }
    let rates = match &p.arrival_rate_rps {
        Some(OneOrMany::One(r)) => vec![*r],
        Some(OneOrMany::Many(v)) if v.len() > MAX_STEPS => {
            return Err(invalid(
                path("arrival_rate_rps"),
                format!(
                    "{} rates; at most {MAX_STEPS} steps are allowed (each is a phase with its own histograms)",
                    v.len()
                ),
            ))
        }
        Some(OneOrMany::Many(v)) if !v.is_empty() => v.clone(),
        Some(OneOrMany::Many(_)) => {
            return Err(invalid(
                path("arrival_rate_rps"),
                "expected at least one rate",
            ))
        }
        None => {
            return Err(invalid_key(
                vec![Seg::Key("traffic_profile")],
                "expected `arrival_rate_rps` (a rate or a list of rates) in the open model",
            ))
        }
    };
    for (i, r) in rates.iter().enumerate() {
        if let Err(m) = limits::rate(*r) {
            let mut pth = path("arrival_rate_rps");
            if matches!(p.arrival_rate_rps, Some(OneOrMany::Many(_))) {
                pth.push(Seg::Index(i));
            }
            return Err(invalid(pth, m));
        }
    }
    let warmup = duration_pair(
        p.warmup_minutes,
        p.warmup_seconds,
        "warmup_minutes",
        "warmup_seconds",
    )?
    .unwrap_or_default();
    let ramp = duration_pair(
        p.ramp_minutes,
        p.ramp_seconds,
        "ramp_minutes",
        "ramp_seconds",
    )?
    .unwrap_or_default();
    let steady_key = if p.steady_minutes.is_some() {
        "steady_minutes"
    } else {
        "steady_seconds"
    };
    let steady = duration_pair(
        p.steady_minutes,
        p.steady_seconds,
        "steady_minutes",
        "steady_seconds",
    )?
    .ok_or_else(|| {
        invalid_key(
            vec![Seg::Key("traffic_profile")],
            "expected `steady_minutes` or `steady_seconds`",
        )
    })?;
    if steady.is_zero() {
        return Err(invalid(
            path(steady_key),
            "expected a steady phase longer than zero",
        ));
    }
    let cooldown = duration_pair(
        p.cooldown_minutes,
        p.cooldown_seconds,
        "cooldown_minutes",
        "cooldown_seconds",
    )?
    .unwrap_or_default();
    let warmup_rate = match p.warmup_rate_rps {
        Some(r) => limits::rate(r).map_err(|m| invalid(path("warmup_rate_rps"), m))?,
        None => rates[0],
    };
    let total = warmup + ramp + steady + cooldown;
    check_total(total)?;
    let spike_at = duration_pair(
        p.spike_after_minutes,
        p.spike_after_seconds,
        "spike_after_minutes",
        "spike_after_seconds",
    )?;
    let spike = match spike_at {
        None => {
            for (set, key) in [
                (p.spike_multiplier.is_some(), "spike_multiplier"),
                (p.spike_seconds.is_some(), "spike_seconds"),
                (p.spike_minutes.is_some(), "spike_minutes"),
            ] {
                if set {
                    return Err(invalid_key(
                        path(key),
                        format!("`{key}` needs `spike_after_minutes` or `spike_after_seconds`"),
                    ));
                }
            }
            None
        }
        Some(at) => {
            let key = if p.spike_after_minutes.is_some() {
                "spike_after_minutes"
            } else {
                "spike_after_seconds"
            };
            if at >= total {
                return Err(invalid(
                    path(key),
                    format!(
                        "the spike starts after the run ends ({} s)",
                        total.as_secs_f64()
                    ),
                ));
            }
            let len = duration_pair(
                p.spike_minutes,
                p.spike_seconds,
                "spike_minutes",
                "spike_seconds",
            )?
            .unwrap_or(steady / 10);
            let mult = p.spike_multiplier.unwrap_or(3.0);
            if !(mult.is_finite() && mult > 0.0) {
                return Err(invalid(
                    path("spike_multiplier"),
                    format!(
                        "expected a multiplier above zero, found {}",
                        limits::show(mult)
                    ),
                ));
            }
            Some((at, len, mult))
        }
    };
    let profile = Profile::open(warmup, warmup_rate, ramp, steady, &rates, cooldown, spike);
    let peak = profile.peak();
    if peak > MAX_RATE_RPS {
        return Err(invalid(
            path("spike_multiplier"),
            format!(
                "the spike reaches {} requests per second; at most {MAX_RATE_RPS} are allowed (what one generator can schedule)",
                limits::show(peak)
            ),
        ));
    }
    Ok(profile)
}

/// The closed model: an optional warm-up, then stages ramping users linearly.
pub(super) fn closed(p: &RawProfile) -> Result<Profile, Invalid> {
    for (set, key) in [
        (p.arrival_rate_rps.is_some(), "arrival_rate_rps"),
        (
            p.ramp_minutes.is_some() || p.ramp_seconds.is_some(),
            if p.ramp_minutes.is_some() {
                "ramp_minutes"
            } else {
                "ramp_seconds"
            },
        ),
        (
            p.steady_minutes.is_some() || p.steady_seconds.is_some(),
            if p.steady_minutes.is_some() {
                "steady_minutes"
            } else {
                "steady_seconds"
            },
        ),
        (
            p.spike_after_minutes.is_some() || p.spike_after_seconds.is_some(),
            if p.spike_after_minutes.is_some() {
                "spike_after_minutes"
            } else {
                "spike_after_seconds"
            },
        ),
    ] {
        if set {
            return Err(invalid_key(
                path(key),
                format!("`{key}` belongs to the open model; the closed model uses `stages`"),
            ));
        }
    }
    let Some(stages) = p.stages.as_ref().filter(|s| !s.is_empty()) else {
        return Err(invalid_key(
            vec![Seg::Key("traffic_profile")],
            "expected `stages: [{duration_seconds: N, target: USERS}, …]` in the closed model",
        ));
    };
    if stages.len() > MAX_STEPS {
        return Err(invalid_key(
            path("stages"),
            format!(
                "{} stages; at most {MAX_STEPS} are allowed (each is a phase with its own histograms)",
                stages.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        let spath = |k| {
            vec![
                Seg::Key("traffic_profile"),
                Seg::Key("stages"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        let (checked, key) = match (s.duration_minutes, s.duration_seconds) {
            (Some(m), None) => (limits::duration_minutes(m), "duration_minutes"),
            (None, Some(x)) => (limits::duration_secs(x), "duration_seconds"),
            (Some(_), Some(_)) => {
                return Err(invalid_key(
                    spath("duration_seconds"),
                    "give `duration_minutes` or `duration_seconds`, not both",
                ))
            }
            (None, None) => {
                return Err(invalid_key(
                    spath("target"),
                    "expected `duration_seconds` or `duration_minutes` in this stage",
                ))
            }
        };
        let d = checked.map_err(|m| invalid(spath(key), m))?;
        if d.is_zero() {
            return Err(invalid(spath(key), "expected a duration above zero"));
        }
        if s.target > MAX_USERS {
            return Err(invalid(
                spath("target"),
                format!("expected at most {MAX_USERS} users, found {}", s.target),
            ));
        }
        out.push((d, f64::from(s.target)));
    }
    for (users, key) in [
        (p.start_users, "start_users"),
        (p.warmup_users, "warmup_users"),
    ] {
        if users.is_some_and(|u| u > MAX_USERS) {
            return Err(invalid(
                path(key),
                format!("expected at most {MAX_USERS} users"),
            ));
        }
    }
    if let Some(cap) = p.rate_cap_rps {
        limits::rate(cap).map_err(|m| invalid(path("rate_cap_rps"), m))?;
    }
    let warmup = duration_pair(
        p.warmup_minutes,
        p.warmup_seconds,
        "warmup_minutes",
        "warmup_seconds",
    )?
    .unwrap_or_default();
    let cooldown = duration_pair(
        p.cooldown_minutes,
        p.cooldown_seconds,
        "cooldown_minutes",
        "cooldown_seconds",
    )?;
    if cooldown.is_some() {
        let key = if p.cooldown_minutes.is_some() {
            "cooldown_minutes"
        } else {
            "cooldown_seconds"
        };
        return Err(invalid_key(
            path(key),
            "the closed model ramps down with a last stage whose target is 0",
        ));
    }
    check_total(warmup + out.iter().map(|s| s.0).sum::<Duration>())?;
    let first = out[0].1;
    let profile = Profile::closed(
        warmup,
        p.warmup_users.map(f64::from).unwrap_or(first),
        p.start_users.map(f64::from).unwrap_or(0.0),
        &out,
        p.rate_cap_rps,
    );
    if profile.peak() < 1.0 {
        return Err(invalid_key(
            path("stages"),
            "no stage has a user: expected a `target` of at least 1 in some stage",
        ));
    }
    Ok(profile)
}
