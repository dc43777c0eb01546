//! Load-test scenarios: the YAML format of the team playbook (see `docs/scenario.md`), parsed
//! into a validated [`Scenario`]. Malformed YAML, wrong types, unknown keys and invalid values
//! are reported as `file:line:column: what was expected`, with the source line and a caret.

mod error;
mod locate;
pub mod profile;
mod raw;

pub use error::ScenarioError;
pub use profile::{Model, Phase, PhaseKind, Profile};

use locate::{locate, Seg};
use perfhive_core::{Criterion, Trigger};
use raw::{OneOrMany, RawHttp, RawModel, RawProfile, RawScenario};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of requests in flight at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1000;

/// Names accepted in `metrics_to_capture`, and what perfhive records for each.
pub const CAPTURABLE_METRICS: &[(&str, &str)] = &[
    (
        "http_latency_histogram",
        "corrected and uncorrected HDR histograms per phase and request",
    ),
    (
        "error_rate_breakdown",
        "failures by class and responses by status code",
    ),
    (
        "cpu_mem_usage",
        "CPU and RSS of the `observe:` processes, and of the generator",
    ),
    (
        "timing_breakdown",
        "connect, TLS and time-to-first-byte histograms",
    ),
    (
        "queue_depth",
        "requests in flight per second (client-side queue)",
    ),
    (
        "cache_hit_ratio",
        "not measurable from the client alone: needs target metrics",
    ),
];

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `scenario:` name.
    pub name: String,
    /// Environment label.
    pub environment: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Free text carried to the record.
    pub notes: Option<String>,
    /// Cache state label (warm, cold).
    pub cache_state: Option<String>,
    /// What to send.
    pub target: Target,
    /// How much, when.
    pub profile: Profile,
    /// Downstream dependencies and their latency budgets.
    pub dependencies: Vec<Dependency>,
    /// `metrics_to_capture` as written.
    pub metrics_to_capture: Vec<String>,
    /// Success criteria, evaluated over the measured phases.
    pub criteria: Vec<Criterion>,
    /// Rollback triggers, evaluated each second on sliding windows.
    pub triggers: Vec<Trigger>,
    /// Processes to sample from /proc.
    pub observe: Vec<Observe>,
}

/// HTTP protocol choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/2 when TLS ALPN offers it, HTTP/1.1 otherwise.
    Auto,
    /// HTTP/1.1 with keep-alive.
    Http1,
    /// HTTP/2 (prior knowledge over cleartext, ALPN over TLS).
    Http2,
}

/// The request side.
#[derive(Clone, Debug)]
pub struct Target {
    /// The base URL as written (`http://…`, `https://…` or `builtin:testbed/…`).
    pub url: String,
    /// Protocol.
    pub http: HttpVersion,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Most requests in flight at once.
    pub max_in_flight: usize,
    /// HTTP/2 connections (HTTP/1.1 opens one per request in flight).
    pub connections: Option<usize>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Status codes counted as success (default: below 400).
    pub ok_status: Option<Vec<u16>>,
    /// The weighted request mix (one entry for a single-request target).
    pub requests: Vec<RequestSpec>,
}

/// One request of the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSpec {
    /// Name for per-request results.
    pub name: String,
    /// Relative weight.
    pub weight: u32,
    /// HTTP method.
    pub method: String,
    /// Absolute URL (`http(s)://…` or `builtin:name/path`).
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

/// A dependency with a latency budget (checked from trace spans when traces are received).
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    /// Name as it appears in spans.
    pub name: String,
    /// Budget in milliseconds.
    pub latency_budget_ms: Option<f64>,
}

/// How to find an observed process.
#[derive(Clone, Debug, PartialEq)]
pub enum ObserveBy {
    /// A pid.
    Pid(i32),
    /// A file holding a pid.
    PidFile(PathBuf),
    /// A process name.
    Process(String),
}

/// A process to sample during the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Observe {
    /// The name used in metrics (`<name>_cpu_pct`).
    pub name: String,
    /// How to find it.
    pub by: ObserveBy,
}

/// A validation failure before it is located in the source.
struct Invalid {
    path: Vec<Seg>,
    message: String,
    /// Point at the value (true) or the key (false).
    value: bool,
    /// Extra column offset inside the value (an expression's token).
    offset: usize,
}

fn invalid(path: Vec<Seg>, message: impl Into<String>) -> Invalid {
    Invalid {
        path,
        message: message.into(),
        value: true,
        offset: 0,
    }
}

impl Scenario {
    /// Reads and validates a scenario file; body files are resolved next to it.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::whole(path, format!("cannot read the scenario: {e}")))?;
        Self::from_str_at(&text, path)
    }

    /// Parses scenario text; `path` names it in errors and anchors relative body files.
    pub fn from_str_at(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario =
            serde_yaml_ng::from_str(text).map_err(|e| yaml_error(&e, text, path))?;
        let base = path.parent().unwrap_or(Path::new("."));
        validate(raw, base).map_err(|inv| {
            let (line, col) = locate(text, &inv.path, inv.value).unwrap_or((1, 1));
            let quoted = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.chars().nth(col - 1))
                .is_some_and(|c| c == '"' || c == '\'');
            let col = col + inv.offset + usize::from(quoted && inv.offset > 0);
            ScenarioError::at(path, text, line, col, inv.message)
        })
    }
}

/// Parses any YAML document with this crate's error reporting (file:line:column with a caret),
/// for other file formats of perfhive (investigation plans).
pub fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    serde_yaml_ng::from_str(text).map_err(|e| yaml_error(&e, text, path))
}

/// An error at the value of a top-level key path (`["sweep", "levels"]`), located in `text`.
pub fn error_at(
    text: &str,
    path: &Path,
    keys: &[&'static str],
    message: impl Into<String>,
) -> ScenarioError {
    let segs: Vec<Seg> = keys.iter().map(|k| Seg::Key(k)).collect();
    let (line, col) = locate(text, &segs, true).unwrap_or((1, 1));
    ScenarioError::at(path, text, line, col, message)
}

/// Turns serde's YAML error into ours: location, and the message without serde's own suffix.
fn yaml_error(e: &serde_yaml_ng::Error, text: &str, path: &Path) -> ScenarioError {
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    if text.trim().is_empty() {
        return ScenarioError::whole(
            path,
            "the scenario is empty; expected a mapping with `scenario:` and `target:`",
        );
    }
    match e.location() {
        Some(loc) => ScenarioError::at(path, text, loc.line(), loc.column(), message),
        None => ScenarioError::whole(path, message),
    }
}

/// `x_minutes` / `x_seconds`: one of them, non-negative.
fn duration_pair(
    minutes: Option<f64>,
    seconds: Option<f64>,
    key_min: &'static str,
    key_sec: &'static str,
) -> Result<Option<Duration>, Invalid> {
    let p = |k| vec![Seg::Key("traffic_profile"), Seg::Key(k)];
    let secs = match (minutes, seconds) {
        (Some(_), Some(_)) => {
            return Err(Invalid {
                value: false,
                ..invalid(
                    p(key_sec),
                    format!("give `{key_min}` or `{key_sec}`, not both"),
                )
            })
        }
        (Some(m), None) => (m * 60.0, key_min),
        (None, Some(s)) => (s, key_sec),
        (None, None) => return Ok(None),
    };
    if !(secs.0.is_finite() && secs.0 >= 0.0) {
        return Err(invalid(p(secs.1), "expected a non-negative duration"));
    }
    Ok(Some(Duration::from_secs_f64(secs.0)))
}

fn validate(raw: RawScenario, base: &Path) -> Result<Scenario, Invalid> {
    let target = validate_target(&raw.target, base)?;
    let model = raw.model.unwrap_or(RawModel::Open);
    let profile_raw = raw.traffic_profile.unwrap_or_default();
    let profile = match model {
        RawModel::Open => open_profile(&profile_raw)?,
        RawModel::Closed => closed_profile(&profile_raw)?,
    };
    let criteria = raw
        .success_criteria
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Criterion::parse(s).map_err(|e| Invalid {
                offset: e.offset,
                ..invalid(vec![Seg::Key("success_criteria"), Seg::Index(i)], e.message)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let triggers = raw
        .rollback_triggers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = Trigger::parse(s).map_err(|e| Invalid {
                offset: e.offset,
                ..invalid(
                    vec![Seg::Key("rollback_triggers"), Seg::Index(i)],
                    e.message,
                )
            })?;
            match t.condition.metric.dependency() {
                Some(d) => Err(invalid(
                    vec![Seg::Key("rollback_triggers"), Seg::Index(i)],
                    format!("`{d}` latency comes from trace spans, which arrive in batches after the fact: use it in success_criteria, not in a rollback trigger"),
                )),
                None => Ok(t),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, c) in criteria.iter().enumerate() {
        if let Some(d) = c.metric.dependency() {
            if !raw.dependencies.iter().any(|x| x.name == d) {
                let declared: Vec<&str> =
                    raw.dependencies.iter().map(|x| x.name.as_str()).collect();
                return Err(invalid(
                    vec![Seg::Key("success_criteria"), Seg::Index(i)],
                    format!(
                        "`{d}` is not a declared dependency; declare it under `dependencies:` (declared: {})",
                        if declared.is_empty() { "none".to_string() } else { declared.join(", ") }
                    ),
                ));
            }
        }
    }
    for (i, m) in raw.metrics_to_capture.iter().enumerate() {
        if !CAPTURABLE_METRICS.iter().any(|(k, _)| k == m) {
            let known: Vec<_> = CAPTURABLE_METRICS.iter().map(|(k, _)| *k).collect();
            return Err(invalid(
                vec![Seg::Key("metrics_to_capture"), Seg::Index(i)],
                format!(
                    "unknown metric to capture `{m}`; expected one of {}",
                    known.join(", ")
                ),
            ));
        }
    }
    let mut observe = Vec::new();
    for (i, o) in raw.observe.iter().enumerate() {
        let path = |k| vec![Seg::Key("observe"), Seg::Index(i), Seg::Key(k)];
        let by = match (o.pid, &o.pid_file, &o.process) {
            (Some(pid), None, None) if pid > 0 => ObserveBy::Pid(pid),
            (Some(_), None, None) => return Err(invalid(path("pid"), "expected a positive pid")),
            (None, Some(f), None) => ObserveBy::PidFile(base.join(f)),
            (None, None, Some(n)) => ObserveBy::Process(n.clone()),
            _ => {
                return Err(Invalid {
                    value: false,
                    ..invalid(
                        path("name"),
                        "give exactly one of `pid`, `pid_file` or `process`",
                    )
                })
            }
        };
        if observe.iter().any(|x: &Observe| x.name == o.name) {
            return Err(invalid(
                path("name"),
                format!("`{}` is observed twice", o.name),
            ));
        }
        observe.push(Observe {
            name: o.name.clone(),
            by,
        });
    }
    let dependencies = raw
        .dependencies
        .iter()
        .map(|d| Dependency {
            name: d.name.clone(),
            latency_budget_ms: d.latency_budget_ms,
        })
        .collect();
    Ok(Scenario {
        name: raw.scenario,
        environment: raw.environment,
        service: raw.service,
        notes: raw.notes,
        cache_state: raw.cache_state,
        target,
        profile,
        dependencies,
        metrics_to_capture: raw.metrics_to_capture,
        criteria,
        triggers,
        observe,
    })
}

fn open_profile(p: &RawProfile) -> Result<Profile, Invalid> {
    let path = |k| vec![Seg::Key("traffic_profile"), Seg::Key(k)];
    for (set, key) in [
        (p.stages.is_some(), "stages"),
        (p.start_users.is_some(), "start_users"),
        (p.warmup_users.is_some(), "warmup_users"),
        (p.rate_cap_rps.is_some(), "rate_cap_rps"),
    ] {
        if set {
            return Err(Invalid {
                value: false,
                ..invalid(
                    path(key),
                    format!(
                        "`{key}` belongs to the closed model; add `model: closed` or remove it"
                    ),
                )
            });
        }
    }
    let rates = match &p.arrival_rate_rps {
        Some(OneOrMany::One(r)) => vec![*r],
        Some(OneOrMany::Many(v)) if !v.is_empty() => v.clone(),
        Some(OneOrMany::Many(_)) => {
            return Err(invalid(
                path("arrival_rate_rps"),
                "expected at least one rate",
            ))
        }
        None => {
            return Err(Invalid {
                value: false,
                ..invalid(
                    vec![Seg::Key("traffic_profile")],
                    "expected `arrival_rate_rps` (a rate or a list of rates) in the open model",
                )
            })
        }
    };
    if let Some(i) = rates.iter().position(|r| !(r.is_finite() && *r > 0.0)) {
        let mut pth = path("arrival_rate_rps");
        if matches!(p.arrival_rate_rps, Some(OneOrMany::Many(_))) {
            pth.push(Seg::Index(i));
        }
        return Err(invalid(
            pth,
            "expected a rate above zero (requests per second)",
        ));
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
    let steady = duration_pair(
        p.steady_minutes,
        p.steady_seconds,
        "steady_minutes",
        "steady_seconds",
    )?
    .ok_or_else(|| Invalid {
        value: false,
        ..invalid(
            vec![Seg::Key("traffic_profile")],
            "expected `steady_minutes` or `steady_seconds`",
        )
    })?;
    if steady.is_zero() {
        return Err(invalid(
            path(if p.steady_minutes.is_some() {
                "steady_minutes"
            } else {
                "steady_seconds"
            }),
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
    let warmup_rate = p.warmup_rate_rps.unwrap_or(rates[0]);
    if !(warmup_rate.is_finite() && warmup_rate > 0.0) {
        return Err(invalid(
            path("warmup_rate_rps"),
            "expected a rate above zero",
        ));
    }
    let total = warmup + ramp + steady + cooldown;
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
                    return Err(Invalid {
                        value: false,
                        ..invalid(
                            path(key),
                            format!("`{key}` needs `spike_after_minutes` or `spike_after_seconds`"),
                        )
                    });
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
                    "expected a multiplier above zero",
                ));
            }
            Some((at, len, mult))
        }
    };
    Ok(Profile::open(
        warmup,
        warmup_rate,
        ramp,
        steady,
        &rates,
        cooldown,
        spike,
    ))
}

fn closed_profile(p: &RawProfile) -> Result<Profile, Invalid> {
    let path = |k| vec![Seg::Key("traffic_profile"), Seg::Key(k)];
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
            return Err(Invalid {
                value: false,
                ..invalid(
                    path(key),
                    format!("`{key}` belongs to the open model; the closed model uses `stages`"),
                )
            });
        }
    }
    let Some(stages) = p.stages.as_ref().filter(|s| !s.is_empty()) else {
        return Err(Invalid {
            value: false,
            ..invalid(
                vec![Seg::Key("traffic_profile")],
                "expected `stages: [{duration_seconds: N, target: USERS}, …]` in the closed model",
            )
        });
    };
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
        let secs = match (s.duration_minutes, s.duration_seconds) {
            (Some(m), None) => m * 60.0,
            (None, Some(x)) => x,
            (Some(_), Some(_)) => {
                return Err(Invalid {
                    value: false,
                    ..invalid(
                        spath("duration_seconds"),
                        "give `duration_minutes` or `duration_seconds`, not both",
                    )
                })
            }
            (None, None) => {
                return Err(Invalid {
                    value: false,
                    ..invalid(
                        spath("target"),
                        "expected `duration_seconds` or `duration_minutes` in this stage",
                    )
                })
            }
        };
        if !(secs.is_finite() && secs > 0.0) {
            return Err(invalid(
                spath(if s.duration_minutes.is_some() {
                    "duration_minutes"
                } else {
                    "duration_seconds"
                }),
                "expected a duration above zero",
            ));
        }
        out.push((Duration::from_secs_f64(secs), s.target as f64));
    }
    if let Some(cap) = p.rate_cap_rps {
        if !(cap.is_finite() && cap > 0.0) {
            return Err(invalid(path("rate_cap_rps"), "expected a rate above zero"));
        }
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
        return Err(Invalid {
            value: false,
            ..invalid(
                path(key),
                "the closed model ramps down with a last stage whose target is 0",
            )
        });
    }
    let first = out[0].1;
    Ok(Profile::closed(
        warmup,
        p.warmup_users.map(f64::from).unwrap_or(first),
        p.start_users.map(f64::from).unwrap_or(0.0),
        &out,
        p.rate_cap_rps,
    ))
}

/// Resolves `path` against `url`'s origin, or keeps an absolute URL.
fn join_url(url: &str, path: &str) -> String {
    if path.contains("://") || path.starts_with("builtin:") {
        return path.to_string();
    }
    // origin = scheme://authority (or builtin:name)
    let origin_end = if let Some(rest) = url.strip_prefix("builtin:") {
        "builtin:".len() + rest.find('/').unwrap_or(rest.len())
    } else {
        let after = url.find("://").map(|i| i + 3).unwrap_or(0);
        after + url[after..].find('/').unwrap_or(url.len() - after)
    };
    let origin = &url[..origin_end];
    if path.starts_with('/') {
        format!("{origin}{path}")
    } else {
        format!("{origin}/{path}")
    }
}

/// Checks a URL: `http(s)://host[:port]/…` or `builtin:NAME[/path]`.
pub fn check_url(url: &str) -> Result<(), String> {
    if let Some(rest) = url.strip_prefix("builtin:") {
        let name = rest.split('/').next().unwrap_or("");
        // `demo` is the former name of the testbed, still accepted.
        return if name == "testbed" || name == "demo" {
            Ok(())
        } else {
            Err(format!(
                "unknown built-in target `{name}`; expected `builtin:testbed[/path]`"
            ))
        };
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL `{url}`: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(format!(
                "expected an http:// or https:// URL (or builtin:testbed), found `{url}`"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("the URL `{url}` has no host"));
    }
    Ok(())
}

fn read_body(
    body: &Option<String>,
    file: &Option<String>,
    base: &Path,
    path: impl Fn(&'static str) -> Vec<Seg>,
) -> Result<Vec<u8>, Invalid> {
    match (body, file) {
        (Some(_), Some(_)) => Err(Invalid {
            value: false,
            ..invalid(path("body_file"), "give `body` or `body_file`, not both")
        }),
        (Some(b), None) => Ok(b.clone().into_bytes()),
        (None, Some(f)) => std::fs::read(base.join(f)).map_err(|e| {
            invalid(
                path("body_file"),
                format!("cannot read `{}`: {e}", base.join(f).display()),
            )
        }),
        (None, None) => Ok(Vec::new()),
    }
}

fn check_method(m: &str, path: Vec<Seg>) -> Result<String, Invalid> {
    let ok = !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic());
    if ok {
        Ok(m.to_ascii_uppercase())
    } else {
        Err(invalid(
            path,
            format!("expected an HTTP method (GET, POST, …), found `{m}`"),
        ))
    }
}

fn validate_target(t: &raw::RawTarget, base: &Path) -> Result<Target, Invalid> {
    let path = |k: &'static str| vec![Seg::Key("target"), Seg::Key(k)];
    check_url(&t.url).map_err(|m| invalid(path("url"), m))?;
    let timeout = match (t.timeout_seconds, t.timeout_ms) {
        (Some(_), Some(_)) => {
            return Err(Invalid {
                value: false,
                ..invalid(
                    path("timeout_ms"),
                    "give `timeout_seconds` or `timeout_ms`, not both",
                )
            })
        }
        (Some(s), None) => (s, "timeout_seconds"),
        (None, Some(ms)) => (ms / 1000.0, "timeout_ms"),
        (None, None) => (DEFAULT_TIMEOUT.as_secs_f64(), ""),
    };
    if !(timeout.0.is_finite() && timeout.0 > 0.0) {
        return Err(invalid(path(timeout.1), "expected a timeout above zero"));
    }
    if t.max_in_flight == Some(0) {
        return Err(invalid(path("max_in_flight"), "expected at least 1"));
    }
    if t.connections == Some(0) {
        return Err(invalid(path("connections"), "expected at least 1"));
    }
    let headers: Vec<_> = t
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut requests = Vec::new();
    if t.requests.is_empty() {
        let method = check_method(t.method.as_deref().unwrap_or("GET"), path("method"))?;
        requests.push(RequestSpec {
            name: "default".into(),
            weight: 1,
            method,
            url: t.url.clone(),
            headers: headers.clone(),
            body: read_body(&t.body, &t.body_file, base, path)?,
        });
    } else {
        for (k, set) in [
            ("method", t.method.is_some()),
            ("body", t.body.is_some()),
            ("body_file", t.body_file.is_some()),
        ] {
            if set {
                return Err(Invalid { value: false, ..invalid(path(k), format!("`{k}` goes inside each entry of `requests` when a request mix is given")) });
            }
        }
        for (i, r) in t.requests.iter().enumerate() {
            let rpath = move |k: &'static str| {
                vec![
                    Seg::Key("target"),
                    Seg::Key("requests"),
                    Seg::Index(i),
                    Seg::Key(k),
                ]
            };
            if requests.iter().any(|q: &RequestSpec| q.name == r.name) {
                return Err(invalid(
                    rpath("name"),
                    format!("two requests are named `{}`", r.name),
                ));
            }
            let url = match (&r.path, &r.url) {
                (Some(_), Some(_)) => {
                    return Err(Invalid {
                        value: false,
                        ..invalid(rpath("url"), "give `path` or `url`, not both")
                    })
                }
                (Some(p), None) => join_url(&t.url, p),
                (None, Some(u)) => {
                    check_url(u).map_err(|m| invalid(rpath("url"), m))?;
                    u.clone()
                }
                (None, None) => t.url.clone(),
            };
            let weight = r.weight.unwrap_or(1);
            if weight == 0 {
                return Err(invalid(rpath("weight"), "expected a weight of at least 1"));
            }
            let mut h = headers.clone();
            for (k, v) in &r.headers {
                h.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
                h.push((k.clone(), v.clone()));
            }
            requests.push(RequestSpec {
                name: r.name.clone(),
                weight,
                method: check_method(r.method.as_deref().unwrap_or("GET"), rpath("method"))?,
                url,
                headers: h,
                body: read_body(&r.body, &r.body_file, base, rpath)?,
            });
        }
    }
    Ok(Target {
        url: t.url.clone(),
        http: match t.http.unwrap_or(RawHttp::Auto) {
            RawHttp::Auto => HttpVersion::Auto,
            RawHttp::Http1 => HttpVersion::Http1,
            RawHttp::Http2 => HttpVersion::Http2,
        },
        timeout: Duration::from_secs_f64(timeout.0),
        max_in_flight: t.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT),
        connections: t.connections,
        insecure: t.insecure,
        ok_status: t.ok_status.clone(),
        requests,
    })
}

#[cfg(test)]
mod tests;

/// A scenario given on the command line instead of a file (`perfhive run URL …`).
#[derive(Clone, Debug)]
pub struct Quick {
    /// Target URL.
    pub url: String,
    /// HTTP method.
    pub method: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Open model at this rate…
    pub rate: Option<f64>,
    /// …or closed model with this many users.
    pub users: Option<u32>,
    /// Measured length.
    pub duration: Duration,
    /// Warm-up before it (excluded from criteria).
    pub warmup: Duration,
    /// Protocol.
    pub http: HttpVersion,
    /// Per-request timeout.
    pub timeout: Duration,
    /// In-flight limit (open model).
    pub max_in_flight: Option<usize>,
    /// Accept any certificate.
    pub insecure: bool,
    /// Success criteria expressions.
    pub criteria: Vec<String>,
    /// Rollback trigger expressions.
    pub triggers: Vec<String>,
}

impl Scenario {
    /// Builds a one-request scenario from command-line options.
    pub fn quick(q: Quick) -> Result<Scenario, String> {
        check_url(&q.url)?;
        if q.duration.is_zero() {
            return Err("the duration must be above zero".into());
        }
        let profile = match (q.rate, q.users) {
            (Some(_), Some(_)) => {
                return Err(
                    "give --rate (open model) or --connections (closed model), not both".into(),
                )
            }
            (Some(r), None) if r.is_finite() && r > 0.0 => Profile::open(
                q.warmup,
                r,
                Duration::ZERO,
                q.duration,
                &[r],
                Duration::ZERO,
                None,
            ),
            (Some(_), None) => return Err("--rate must be above zero".into()),
            (None, users) => {
                let u = users.unwrap_or(10).max(1) as f64;
                let mut p = Profile::closed(q.warmup, u, u, &[(q.duration, u)], None);
                if let Some(stage) = p.phases.last_mut() {
                    stage.name = "steady".into();
                }
                p
            }
        };
        let criteria = q
            .criteria
            .iter()
            .map(|c| Criterion::parse(c).map_err(|e| format!("criterion `{c}`: {e}")))
            .collect::<Result<_, _>>()?;
        let triggers = q
            .triggers
            .iter()
            .map(|t| {
                let parsed = Trigger::parse(t).map_err(|e| format!("trigger `{t}`: {e}"))?;
                match parsed.condition.metric.dependency() {
                    Some(_) => Err(format!("trigger `{t}`: dependency latency comes from trace spans; use it in --criteria, not in a trigger")),
                    None => Ok(parsed),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Scenario {
            name: q.url.clone(),
            environment: None,
            service: None,
            notes: None,
            cache_state: None,
            target: Target {
                url: q.url.clone(),
                http: q.http,
                timeout: q.timeout,
                max_in_flight: q.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT),
                connections: None,
                insecure: q.insecure,
                ok_status: None,
                requests: vec![RequestSpec {
                    name: "default".into(),
                    weight: 1,
                    method: q.method.to_ascii_uppercase(),
                    url: q.url,
                    headers: q.headers,
                    body: q.body,
                }],
            },
            profile,
            dependencies: Vec::new(),
            metrics_to_capture: Vec::new(),
            criteria,
            triggers,
            observe: Vec::new(),
        })
    }

    /// The built-in target named by the URLs (`builtin:testbed/...`), if any.
    pub fn builtin_target(&self) -> Option<&str> {
        std::iter::once(&self.target.url)
            .chain(self.target.requests.iter().map(|r| &r.url))
            .find_map(|u| u.strip_prefix("builtin:"))
            .map(|rest| rest.split('/').next().unwrap_or(rest))
    }

    /// Replaces `builtin:NAME` with `base` (for example `http://127.0.0.1:41234`) in every URL.
    pub fn resolve_builtin(&mut self, name: &str, base: &str) {
        let prefix = format!("builtin:{name}");
        let fix = |u: &mut String| {
            if let Some(rest) = u.strip_prefix(&prefix) {
                *u = format!("{base}{}", if rest.is_empty() { "/" } else { rest });
            }
        };
        fix(&mut self.target.url);
        for r in &mut self.target.requests {
            fix(&mut r.url);
        }
    }
}
