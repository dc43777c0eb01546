//! From the document as written ([`crate::raw`]) to a validated [`Scenario`]: every value is
//! checked against [`crate::limits`] and every failure is located in the source
//! (`file:line:column`, pointing at the key or at the value, or at a token inside a criterion).
//! The traffic profile's rules are in [`profile`].

mod profile;

use crate::error::ScenarioError;
use crate::input::{read_limited, read_text_unnamed};
use crate::limits::{self, MAX_BODY_BYTES, MAX_REQUESTS, MAX_SCENARIO_BYTES};
use crate::locate::{locate, Seg};
use crate::model::*;
use crate::raw::{self, RawHttp, RawModel, RawScenario};
use crate::url::{check_url, join_url};
use crate::yaml::parse_yaml;
use perfhive_core::{Criterion, Trigger};
use std::path::Path;

/// A validation failure before it is located in the source.
pub(crate) struct Invalid {
    pub path: Vec<Seg>,
    pub message: String,
    /// Point at the value (true) or the key (false).
    pub value: bool,
    /// Extra column offset inside the value (an expression's token).
    pub offset: usize,
}

/// A failure at the value of `path`.
pub(crate) fn invalid(path: Vec<Seg>, message: impl Into<String>) -> Invalid {
    Invalid {
        path,
        message: message.into(),
        value: true,
        offset: 0,
    }
}

/// A failure at the key of `path`.
pub(crate) fn invalid_key(path: Vec<Seg>, message: impl Into<String>) -> Invalid {
    Invalid {
        value: false,
        ..invalid(path, message)
    }
}

impl Scenario {
    /// Reads and validates a scenario file (at most [`MAX_SCENARIO_BYTES`], a regular file or a
    /// pipe); body files are resolved next to it.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = read_text_unnamed(path, MAX_SCENARIO_BYTES, "scenario")
            .map_err(|e| ScenarioError::whole(path, e))?;
        Self::from_str_at(&text, path)
    }

    /// Parses scenario text; `path` names it in errors and anchors relative body files.
    pub fn from_str_at(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        if text.trim().is_empty() {
            return Err(ScenarioError::whole(
                path,
                "the scenario is empty; expected a mapping with `scenario:` and `target:`",
            ));
        }
        let raw: RawScenario = parse_yaml(text, path)?;
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

fn validate(raw: RawScenario, base: &Path) -> Result<Scenario, Invalid> {
    let target = validate_target(&raw.target, base)?;
    let model = raw.model.unwrap_or(RawModel::Open);
    let profile_raw = raw.traffic_profile.unwrap_or_default();
    let profile = match model {
        RawModel::Open => profile::open(&profile_raw)?,
        RawModel::Closed => profile::closed(&profile_raw)?,
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
            let path = || vec![Seg::Key("rollback_triggers"), Seg::Index(i)];
            let t = Trigger::parse(s).map_err(|e| Invalid {
                offset: e.offset,
                ..invalid(path(), e.message)
            })?;
            check_trigger(&t).map_err(|m| invalid(path(), m))?;
            Ok(t)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut dependencies = Vec::new();
    for (i, d) in raw.dependencies.iter().enumerate() {
        if let Some(b) = d.latency_budget_ms {
            if !(b.is_finite() && b > 0.0) {
                return Err(invalid(
                    vec![
                        Seg::Key("dependencies"),
                        Seg::Index(i),
                        Seg::Key("latency_budget_ms"),
                    ],
                    format!(
                        "expected a budget above zero (milliseconds), found {}",
                        limits::show(b)
                    ),
                ));
            }
        }
        dependencies.push(Dependency {
            name: d.name.clone(),
            latency_budget_ms: d.latency_budget_ms,
        });
    }
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
    let observe = validate_observe(&raw.observe, base)?;
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

/// What a rollback trigger may test: anything measured live, not dependency latency (spans
/// arrive in batches, after the fact).
pub(crate) fn check_trigger(t: &Trigger) -> Result<(), String> {
    match t.condition.metric.dependency() {
        Some(d) => Err(format!("`{d}` latency comes from trace spans, which arrive in batches after the fact: use it in success_criteria, not in a rollback trigger")),
        None => Ok(()),
    }
}

fn validate_observe(list: &[raw::RawObserve], base: &Path) -> Result<Vec<Observe>, Invalid> {
    let mut observe = Vec::new();
    for (i, o) in list.iter().enumerate() {
        let path = |k| vec![Seg::Key("observe"), Seg::Index(i), Seg::Key(k)];
        let by = match (o.pid, &o.pid_file, &o.process) {
            (Some(pid), None, None) if pid > 0 => ObserveBy::Pid(pid),
            (Some(_), None, None) => return Err(invalid(path("pid"), "expected a positive pid")),
            (None, Some(f), None) => ObserveBy::PidFile(base.join(f)),
            (None, None, Some(n)) => ObserveBy::Process(n.clone()),
            _ => {
                return Err(invalid_key(
                    path("name"),
                    "give exactly one of `pid`, `pid_file` or `process`",
                ))
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
    Ok(observe)
}

fn read_body(
    body: &Option<String>,
    file: &Option<String>,
    base: &Path,
    path: impl Fn(&'static str) -> Vec<Seg>,
) -> Result<Vec<u8>, Invalid> {
    match (body, file) {
        (Some(_), Some(_)) => Err(invalid_key(
            path("body_file"),
            "give `body` or `body_file`, not both",
        )),
        (Some(b), None) => Ok(b.clone().into_bytes()),
        (None, Some(f)) => read_body_file(&base.join(f)).map_err(|e| invalid(path("body_file"), e)),
        (None, None) => Ok(Vec::new()),
    }
}

/// Reads a request body file: a regular file or a pipe of at most [`MAX_BODY_BYTES`].
pub fn read_body_file(path: &Path) -> Result<Vec<u8>, String> {
    read_limited(path, MAX_BODY_BYTES, "body file")
}

fn check_method(m: &str, path: Vec<Seg>) -> Result<String, Invalid> {
    check_method_name(m).map_err(|e| invalid(path, e))
}

/// An HTTP method token (letters only), upper-cased.
pub(crate) fn check_method_name(m: &str) -> Result<String, String> {
    if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(m.to_ascii_uppercase())
    } else {
        Err(format!(
            "expected an HTTP method (GET, POST, …), found `{m}`"
        ))
    }
}

fn validate_target(t: &raw::RawTarget, base: &Path) -> Result<Target, Invalid> {
    let path = |k: &'static str| vec![Seg::Key("target"), Seg::Key(k)];
    check_url(&t.url).map_err(|m| invalid(path("url"), m))?;
    let timeout = match (t.timeout_seconds, t.timeout_ms) {
        (Some(_), Some(_)) => {
            return Err(invalid_key(
                path("timeout_ms"),
                "give `timeout_seconds` or `timeout_ms`, not both",
            ))
        }
        (Some(s), None) => {
            limits::timeout_secs(s).map_err(|m| invalid(path("timeout_seconds"), m))?
        }
        (None, Some(ms)) => {
            limits::timeout_secs(ms / 1000.0).map_err(|m| invalid(path("timeout_ms"), m))?
        }
        (None, None) => DEFAULT_TIMEOUT,
    };
    let max_in_flight = match t.max_in_flight {
        Some(n) => limits::max_in_flight(n).map_err(|m| invalid(path("max_in_flight"), m))?,
        None => DEFAULT_MAX_IN_FLIGHT,
    };
    if let Some(n) = t.connections {
        limits::connections(n).map_err(|m| invalid(path("connections"), m))?;
    }
    if let Some(list) = &t.ok_status {
        for (i, &code) in list.iter().enumerate() {
            limits::status(code).map_err(|m| {
                invalid(
                    vec![Seg::Key("target"), Seg::Key("ok_status"), Seg::Index(i)],
                    m,
                )
            })?;
        }
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
                return Err(invalid_key(
                    path(k),
                    format!(
                        "`{k}` goes inside each entry of `requests` when a request mix is given"
                    ),
                ));
            }
        }
        if t.requests.len() > MAX_REQUESTS {
            return Err(invalid_key(
                path("requests"),
                format!(
                    "{} requests in the mix; at most {MAX_REQUESTS} are allowed (each keeps its own histograms per phase)",
                    t.requests.len()
                ),
            ));
        }
        for (i, r) in t.requests.iter().enumerate() {
            requests.push(validate_request(t, r, i, &headers, &requests, base)?);
        }
    }
    Ok(Target {
        url: t.url.clone(),
        http: match t.http.unwrap_or(RawHttp::Auto) {
            RawHttp::Auto => HttpVersion::Auto,
            RawHttp::Http1 => HttpVersion::Http1,
            RawHttp::Http2 => HttpVersion::Http2,
        },
        timeout,
        max_in_flight,
        connections: t.connections,
        insecure: t.insecure,
        ok_status: t.ok_status.clone(),
        requests,
    })
}

fn validate_request(
    t: &raw::RawTarget,
    r: &raw::RawRequest,
    i: usize,
    headers: &[(String, String)],
    before: &[RequestSpec],
    base: &Path,
) -> Result<RequestSpec, Invalid> {
    let rpath = move |k: &'static str| {
        vec![
            Seg::Key("target"),
            Seg::Key("requests"),
            Seg::Index(i),
            Seg::Key(k),
        ]
    };
    if before.iter().any(|q| q.name == r.name) {
        return Err(invalid(
            rpath("name"),
            format!("two requests are named `{}`", r.name),
        ));
    }
    let url = match (&r.path, &r.url) {
        (Some(_), Some(_)) => {
            return Err(invalid_key(rpath("url"), "give `path` or `url`, not both"))
        }
        (Some(p), None) => join_url(&t.url, p),
        (None, Some(u)) => {
            check_url(u).map_err(|m| invalid(rpath("url"), m))?;
            u.clone()
        }
        (None, None) => t.url.clone(),
    };
    if r.path.is_some() {
        check_url(&url).map_err(|m| invalid(rpath("path"), m))?;
    }
    let weight = r.weight.unwrap_or(1);
    if weight == 0 {
        return Err(invalid(rpath("weight"), "expected a weight of at least 1"));
    }
    let mut h = headers.to_vec();
    for (k, v) in &r.headers {
        h.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
        h.push((k.clone(), v.clone()));
    }
    Ok(RequestSpec {
        name: r.name.clone(),
        weight,
        method: check_method(r.method.as_deref().unwrap_or("GET"), rpath("method"))?,
        url,
        headers: h,
        body: read_body(&r.body, &r.body_file, base, rpath)?,
    })
}
