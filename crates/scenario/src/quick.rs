//! A scenario from the command line (`perfhive run URL --rate 500 -d 30s`): the same model, and
//! the same checks of [`crate::limits`] as a scenario file, so a value that YAML refuses is
//! refused on the command line too (`--timeout 0s`, `-c 0`, `--max-in-flight 0`). Messages name
//! the option they are about.

use crate::error::ScenarioError;
use crate::limits;
use crate::model::*;
use crate::profile::Profile;
use crate::url::check_url;
use crate::validate::{check_method_name, check_trigger};
use perfhive_core::{Criterion, Trigger};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Users of the closed model when neither a rate nor users are given.
pub const DEFAULT_USERS: u32 = 10;

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

/// Whether `perfhive run`'s argument is a target URL (`http://`, `https://`, `builtin:`) for a
/// quick test rather than a scenario file.
pub fn is_quick_target(arg: &str) -> bool {
    arg.starts_with("http://") || arg.starts_with("https://") || arg.starts_with("builtin:")
}

/// Why the scenario `perfhive run ARG` names could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The argument is neither a URL nor an existing file.
    #[error("no such scenario file `{0}` (give a YAML scenario, or a URL such as http://127.0.0.1:8080/)")]
    NoSuchFile(String),
    /// The scenario file is not valid.
    #[error(transparent)]
    File(ScenarioError),
    /// The command-line options of a quick test are not valid.
    #[error("{0}")]
    Options(String),
}

impl Quick {
    /// A quick test of `url` with the command line's defaults: `GET`, no headers or body,
    /// [`DEFAULT_USERS`] users for 10 s without warm-up, [`DEFAULT_TIMEOUT`], no criteria.
    pub fn new(url: impl Into<String>) -> Quick {
        Quick {
            url: url.into(),
            method: "GET".into(),
            headers: Vec::new(),
            body: Vec::new(),
            rate: None,
            users: None,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            http: HttpVersion::Auto,
            timeout: DEFAULT_TIMEOUT,
            max_in_flight: None,
            insecure: false,
            criteria: Vec::new(),
            triggers: Vec::new(),
        }
    }

    /// Parses a `Name: value` header option (both sides trimmed).
    pub fn header(h: &str) -> Result<(String, String), String> {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| format!("header `{h}`: expected `Name: value`"))?;
        Ok((k.trim().to_string(), v.trim().to_string()))
    }

    /// The body of `--body TEXT` or `--body-file FILE` (the text when both are given), empty
    /// without either; the file is read within the scenario files' body limit.
    pub fn body(text: Option<&str>, file: Option<&Path>) -> Result<Vec<u8>, String> {
        match (text, file) {
            (Some(b), _) => Ok(b.as_bytes().to_vec()),
            (None, Some(f)) => crate::read_body_file(f),
            (None, None) => Ok(Vec::new()),
        }
    }
}

impl HttpVersion {
    /// The protocol of the `--http1` and `--http2` flags (HTTP/2 wins), else [`HttpVersion::Auto`].
    pub fn from_flags(http1: bool, http2: bool) -> HttpVersion {
        if http2 {
            HttpVersion::Http2
        } else if http1 {
            HttpVersion::Http1
        } else {
            HttpVersion::Auto
        }
    }
}

impl Scenario {
    /// The scenario of `perfhive run ARG`: for a target URL ([`is_quick_target`]) the quick test
    /// `quick` builds from the command-line options, else the scenario file.
    pub fn from_arg(
        arg: &str,
        quick: impl FnOnce(String) -> Result<Quick, String>,
    ) -> Result<Scenario, SourceError> {
        if !is_quick_target(arg) {
            let path = PathBuf::from(arg);
            if !path.exists() {
                return Err(SourceError::NoSuchFile(arg.to_string()));
            }
            return Scenario::from_file(&path).map_err(SourceError::File);
        }
        quick(arg.to_string())
            .and_then(Scenario::quick)
            .map_err(SourceError::Options)
    }

    /// Builds a one-request scenario from command-line options.
    pub fn quick(q: Quick) -> Result<Scenario, String> {
        check_url(&q.url)?;
        fn flag(name: &'static str) -> impl Fn(String) -> String {
            move |m| format!("{name}: {m}")
        }
        let method = check_method_name(&q.method).map_err(flag("--method"))?;
        let duration =
            limits::duration_secs(q.duration.as_secs_f64()).map_err(flag("--duration"))?;
        if duration.is_zero() {
            return Err("--duration: expected a duration above zero".into());
        }
        let warmup = limits::duration_secs(q.warmup.as_secs_f64()).map_err(flag("--warmup"))?;
        if duration + warmup > limits::MAX_RUN {
            return Err(format!(
                "--duration and --warmup add up to more than a week ({} s)",
                limits::MAX_RUN.as_secs()
            ));
        }
        let timeout = limits::timeout_secs(q.timeout.as_secs_f64()).map_err(flag("--timeout"))?;
        let max_in_flight = match q.max_in_flight {
            Some(n) => limits::max_in_flight(n).map_err(flag("--max-in-flight"))?,
            None => DEFAULT_MAX_IN_FLIGHT,
        };
        let profile = match (q.rate, q.users) {
            (Some(_), Some(_)) => {
                return Err(
                    "give --rate (open model) or --connections (closed model), not both".into(),
                )
            }
            (Some(r), None) => {
                let r = limits::rate(r).map_err(flag("--rate"))?;
                Profile::open(
                    warmup,
                    r,
                    Duration::ZERO,
                    duration,
                    &[r],
                    Duration::ZERO,
                    None,
                )
            }
            (None, users) => {
                let u =
                    limits::users(users.unwrap_or(DEFAULT_USERS)).map_err(flag("--connections"))?;
                let u = f64::from(u);
                let mut p = Profile::closed(warmup, u, u, &[(duration, u)], None);
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
                check_trigger(&parsed).map_err(|e| format!("trigger `{t}`: {e}"))?;
                Ok(parsed)
            })
            .collect::<Result<_, String>>()?;
        Ok(Scenario {
            name: q.url.clone(),
            environment: None,
            service: None,
            notes: None,
            cache_state: None,
            target: Target {
                url: q.url.clone(),
                http: q.http,
                timeout,
                max_in_flight,
                connections: None,
                insecure: q.insecure,
                ok_status: None,
                requests: vec![RequestSpec {
                    name: "default".into(),
                    weight: 1,
                    method,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Quick {
        Quick {
            duration: Duration::from_secs(1),
            ..Quick::new("http://127.0.0.1:8080/")
        }
    }

    #[test]
    fn values_yaml_refuses_are_refused_on_the_command_line() {
        let cases: [(Quick, &str); 9] = [
            (
                Quick {
                    timeout: Duration::ZERO,
                    ..quick()
                },
                "--timeout: expected a timeout above zero",
            ),
            (
                Quick {
                    users: Some(0),
                    ..quick()
                },
                "--connections: expected at least 1 user",
            ),
            (
                Quick {
                    max_in_flight: Some(0),
                    ..quick()
                },
                "--max-in-flight: expected at least 1",
            ),
            (
                Quick {
                    rate: Some(1e9),
                    ..quick()
                },
                "--rate: expected a rate of at most",
            ),
            (
                Quick {
                    rate: Some(0.0),
                    ..quick()
                },
                "--rate: expected a rate above zero",
            ),
            (
                Quick {
                    users: Some(1_000_000),
                    ..quick()
                },
                "--connections: expected at most",
            ),
            (
                Quick {
                    duration: Duration::MAX,
                    ..quick()
                },
                "--duration: expected a duration of at most a week",
            ),
            (
                Quick {
                    url: "http://127.0.0.1:70000/".into(),
                    ..quick()
                },
                "expected a port from 1 to 65535",
            ),
            (
                Quick {
                    triggers: vec!["error_rate_pct > 1 for 99999999999999999999 seconds".into()],
                    ..quick()
                },
                "too long",
            ),
        ];
        for (q, want) in cases {
            let e = Scenario::quick(q).unwrap_err();
            assert!(e.contains(want), "{e} does not say {want}");
        }
        let s = Scenario::quick(quick()).unwrap();
        assert_eq!(s.profile.peak(), f64::from(DEFAULT_USERS));
    }

    #[test]
    fn the_run_argument_is_a_url_or_a_scenario_file() {
        assert!(is_quick_target("builtin:testbed/fast"));
        assert!(is_quick_target("https://127.0.0.1/"));
        assert!(!is_quick_target("examples/quickstart.yaml"));
        let s = Scenario::from_arg("http://127.0.0.1:8080/x", |url| {
            Ok(Quick {
                url,
                headers: vec![Quick::header(" X-Team :  perf ")?],
                body: Quick::body(Some("{}"), Some(Path::new("/nonexistent")))?,
                http: HttpVersion::from_flags(true, false),
                ..quick()
            })
        })
        .unwrap();
        let r = &s.target.requests[0];
        assert_eq!(r.url, "http://127.0.0.1:8080/x");
        assert_eq!(r.headers, [("X-Team".to_string(), "perf".to_string())]);
        assert_eq!(r.body, b"{}");
        assert_eq!(s.target.http, HttpVersion::Http1);
        assert_eq!(HttpVersion::from_flags(true, true), HttpVersion::Http2);
        assert_eq!(HttpVersion::from_flags(false, false), HttpVersion::Auto);

        let e = Scenario::from_arg("http://127.0.0.1/", |_| {
            Quick::header("no colon").map(|_| quick())
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "header `no colon`: expected `Name: value`");
        let e = Scenario::from_arg("http://127.0.0.1/", |url| {
            Ok(Quick {
                url,
                method: "GE T".into(),
                ..quick()
            })
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("--method: "), "{e}");
        let e = Scenario::from_arg("no/such/scenario.yaml", |_| unreachable!()).unwrap_err();
        assert!(
            matches!(&e, SourceError::NoSuchFile(f) if f == "no/such/scenario.yaml"),
            "{e}"
        );
        assert!(Quick::body(None, Some(Path::new("/nonexistent/body"))).is_err());
        assert!(Quick::body(None, None).unwrap().is_empty());
    }
}
