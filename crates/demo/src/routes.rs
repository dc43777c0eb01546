//! Request routing and the endpoints of the demo service.
//!
//! Routing is a `match` on method and path. Database work runs on tokio's blocking pool
//! (`spawn_blocking`), so waiting for fsync never stalls the runtime's workers; serialisation runs
//! on the worker itself, so the slow serialisation path competes for CPU with other requests the
//! way a CPU-heavy handler does in a real async service. Every response gets a `Server-Timing`
//! header (see `timing.rs`) and, when tracing, the same phases as spans (see `otel`): a SERVER
//! span per request, `parse` and `serialize` children, database spans from `db.rs`.

use std::convert::Infallible;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE, SERVER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};

use crate::db::{Db, Record};
use crate::otel::{Code, DbTrace, RequestTrace, Tracer};
use crate::render::render_items;
use crate::timing::ServerTiming;
use crate::{DemoError, Switches, MAX_LIMIT};

const SERVER_NAME: &str = "perfhive-demo";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");
/// Largest request body (`/ingest`, `/config`).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Default `limit` of `GET /items`.
const DEFAULT_LIMIT: usize = 50;
/// The service's paths, as `http.route` of SERVER spans.
const ROUTES: [&str; 5] = ["/health", "/ingest", "/items", "/config", "/stats"];

/// The response body type.
pub(crate) type Body = Full<Bytes>;

/// Everything the handlers of one service instance share.
pub(crate) struct Shared {
    /// The database.
    pub(crate) db: Arc<Db>,
    /// The current switches (held only to copy or replace them).
    switches: Mutex<Switches>,
    /// Serialises `POST /config` so the durability mode and the switches change together.
    config: tokio::sync::Mutex<()>,
    /// HTTP/1.1 + HTTP/2 connection builder (protocol detected per connection).
    pub(crate) http: auto::Builder<TokioExecutor>,
    /// Starts spans when tracing is configured.
    tracer: Option<Tracer>,
}

impl Shared {
    /// Shared state over an opened database, starting with `switches`, recording spans with
    /// `tracer` if given.
    pub(crate) fn new(db: Db, switches: Switches, tracer: Option<Tracer>) -> Self {
        let mut http = auto::Builder::new(TokioExecutor::new());
        http.http1().timer(TokioTimer::new());
        http.http2().timer(TokioTimer::new());
        Self {
            db: Arc::new(db),
            switches: Mutex::new(switches),
            config: tokio::sync::Mutex::new(()),
            http,
            tracer,
        }
    }

    /// Runs database work on the blocking pool as the request's `db` phase (waiting for a pool
    /// thread and the connection included, as in Server-Timing), its statements as child spans
    /// when the request is traced. `function` is the `Db` method doing the work.
    async fn db_phase<T: Send + 'static>(
        &self,
        trace: Option<&RequestTrace>,
        function: &'static str,
        work: impl FnOnce(Arc<Db>, Option<&DbTrace>) -> Result<T, DemoError> + Send + 'static,
    ) -> Result<T, Reject> {
        let db = Arc::clone(&self.db);
        let phase = match (self.tracer.as_ref(), trace) {
            (Some(tracer), Some(trace)) => {
                let code = Code {
                    function,
                    file: crate::db::FILE,
                };
                Some(tracer.open_phase(trace, "db", code))
            }
            _ => None,
        };
        let db_trace = phase.clone();
        let out = blocking(move || work(db, db_trace.as_ref())).await;
        if let Some(phase) = phase {
            phase.end(&out);
        }
        out
    }

    /// Runs `f`, recording it as phase `name` of the request's trace (with its `code`) when the
    /// request is traced.
    fn phase<T, E: std::fmt::Display>(
        &self,
        trace: Option<&RequestTrace>,
        name: &'static str,
        code: Code,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        match (self.tracer.as_ref(), trace) {
            (Some(tracer), Some(trace)) => tracer.phase(trace, name, code, f),
            _ => f(),
        }
    }

    fn switches(&self) -> Switches {
        *self.switches.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_switches(&self, new: Switches) {
        *self.switches.lock().unwrap_or_else(|e| e.into_inner()) = new;
    }
}

/// The service function: one request in, one response out.
pub(crate) async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    let mut timing = ServerTiming::start();
    let trace = shared.tracer.as_ref().map(|tracer| {
        let path = req.uri().path();
        let route = ROUTES.into_iter().find(|r| *r == path);
        tracer.start_request(req.headers(), req.method(), route, path)
    });
    let t = trace.as_ref();
    let res = match (req.method().clone(), req.uri().path()) {
        (Method::GET, "/health") => Ok(respond(StatusCode::OK, TEXT, Bytes::from_static(b"ok\n"))),
        (Method::POST, "/ingest") => ingest(req, &shared, &mut timing, t).await,
        (Method::GET, "/items") => items(&req, &shared, &mut timing, t).await,
        (Method::GET, "/config") => Ok(json(&shared.switches())),
        (Method::POST, "/config") => config(req, &shared).await,
        (Method::GET, "/stats") => Ok(json(&shared.db.stats())),
        (_, "/health" | "/items" | "/stats") => Err(Reject::MethodNotAllowed("GET")),
        (_, "/ingest") => Err(Reject::MethodNotAllowed("POST")),
        (_, "/config") => Err(Reject::MethodNotAllowed("GET, POST")),
        _ => Err(Reject::NotFound),
    };
    let mut res = res.unwrap_or_else(Reject::into_response);
    if let Ok(value) = HeaderValue::from_str(&timing.header()) {
        res.headers_mut().insert(SERVER_TIMING, value);
    }
    if let Some(trace) = trace {
        Tracer::end_request(trace, res.status().as_u16());
    }
    Ok(res)
}

#[derive(Serialize)]
struct Ingested {
    ingested: usize,
}

/// `POST /ingest[?batch_size=N]`: one record or an array of them, committed every N records.
async fn ingest(
    req: Request<Incoming>,
    shared: &Shared,
    timing: &mut ServerTiming,
    trace: Option<&RequestTrace>,
) -> Result<Response<Body>, Reject> {
    let batch = param(
        req.uri().query(),
        "batch_size",
        shared.switches().batch_size,
    )?;
    if batch == 0 {
        return Err(Reject::BadRequest("batch_size must be at least 1".into()));
    }
    let body = read_body(req.into_body()).await?;
    let records = timing.time("parse", || {
        let code = Code {
            function: "parse_records",
            file: file!(),
        };
        shared.phase(trace, "parse", code, || parse_records(&body))
    })?;
    let n = records.len();
    let t0 = Instant::now();
    shared
        .db_phase(trace, "ingest", move |db, t| db.ingest(&records, batch, t))
        .await?;
    timing.record("db", t0.elapsed());
    Ok(json(&Ingested { ingested: n }))
}

/// A JSON array of records, or one record object.
fn parse_records(body: &[u8]) -> Result<Vec<Record>, Reject> {
    let bad = |e: serde_json::Error| Reject::BadRequest(format!("invalid ingest JSON: {e}"));
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        serde_json::from_slice(body).map_err(bad)
    } else {
        serde_json::from_slice(body).map(|r| vec![r]).map_err(bad)
    }
}

/// `GET /items[?limit=N]`: the first N items with their details.
async fn items(
    req: &Request<Incoming>,
    shared: &Shared,
    timing: &mut ServerTiming,
    trace: Option<&RequestTrace>,
) -> Result<Response<Body>, Reject> {
    let limit = param(req.uri().query(), "limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(Reject::BadRequest(format!(
            "limit must be at most {MAX_LIMIT}"
        )));
    }
    let switches = shared.switches();
    let t0 = Instant::now();
    let items = shared
        .db_phase(trace, "load_items", move |db, t| {
            db.load_items(limit, switches.n_plus_one, t)
        })
        .await?;
    timing.record("db", t0.elapsed());
    // The function doing the work, so a CPU profile's frames join this phase.
    let function = if switches.fast_serialization {
        "render_items"
    } else {
        "render_item_slow"
    };
    let body = timing
        .time("serialize", || {
            let code = Code {
                function,
                file: crate::render::FILE,
            };
            shared.phase(trace, "serialize", code, || {
                render_items(&items, switches.fast_serialization)
            })
        })
        .map_err(|e| Reject::Internal(format!("cannot serialise items: {e}")))?;
    Ok(respond(StatusCode::OK, JSON, Bytes::from(body)))
}

/// A `POST /config` body: any subset of the switches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchesPatch {
    batch_size: Option<usize>,
    synchronous_full: Option<bool>,
    n_plus_one: Option<bool>,
    fast_serialization: Option<bool>,
}

/// `POST /config`: changes some switches live and answers the new ones.
async fn config(req: Request<Incoming>, shared: &Shared) -> Result<Response<Body>, Reject> {
    let body = read_body(req.into_body()).await?;
    let patch: SwitchesPatch = serde_json::from_slice(&body)
        .map_err(|e| Reject::BadRequest(format!("invalid config JSON: {e}")))?;
    let _one_at_a_time = shared.config.lock().await;
    let old = shared.switches();
    let new = Switches {
        batch_size: patch.batch_size.unwrap_or(old.batch_size),
        synchronous_full: patch.synchronous_full.unwrap_or(old.synchronous_full),
        n_plus_one: patch.n_plus_one.unwrap_or(old.n_plus_one),
        fast_serialization: patch.fast_serialization.unwrap_or(old.fast_serialization),
    };
    new.validate().map_err(Reject::BadRequest)?;
    if new.synchronous_full != old.synchronous_full {
        let db = Arc::clone(&shared.db);
        blocking(move || db.set_synchronous_full(new.synchronous_full)).await?;
    }
    shared.set_switches(new);
    Ok(json(&new))
}

/// Runs database work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DemoError> + Send + 'static,
) -> Result<T, Reject> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Reject::Internal(error_chain(&e))),
        Err(e) => Err(Reject::Internal(format!("database task failed: {e}"))),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Collects a request body of at most [`MAX_BODY`] bytes.
async fn read_body(body: Incoming) -> Result<Bytes, Reject> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Reject::TooLarge),
        Err(_) => Err(Reject::BadRequest("cannot read the request body".into())),
    }
}

/// The value of query parameter `key`, `default` when absent, 400 when unparsable.
fn param<T: FromStr>(query: Option<&str>, key: &str, default: T) -> Result<T, Reject> {
    let value = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then_some(v)
        })
    });
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            Reject::BadRequest(format!("invalid value {v:?} for query parameter `{key}`"))
        }),
    }
}

/// Why a request failed.
#[derive(Debug)]
enum Reject {
    /// 400 with an explanation.
    BadRequest(String),
    /// 404.
    NotFound,
    /// 405, naming the allowed methods.
    MethodNotAllowed(&'static str),
    /// 413.
    TooLarge,
    /// 500 with an explanation (a database error).
    Internal(String),
}

impl std::fmt::Display for Reject {
    /// What the response says (and a span's error status).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reject::BadRequest(msg) | Reject::Internal(msg) => f.write_str(msg),
            Reject::NotFound => f.write_str("not found"),
            Reject::MethodNotAllowed(allowed) => {
                write!(f, "method not allowed (allowed: {allowed})")
            }
            Reject::TooLarge => f.write_str("body too large"),
        }
    }
}

impl Reject {
    fn into_response(self) -> Response<Body> {
        let (status, msg) = match self {
            Reject::BadRequest(msg) => (StatusCode::BAD_REQUEST, msg),
            Reject::NotFound => (StatusCode::NOT_FOUND, "not found".into()),
            Reject::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body too large".into()),
            Reject::Internal(msg) => (StatusCode::INTERNAL_SERVER_ERROR, msg),
            Reject::MethodNotAllowed(allowed) => {
                let mut res = respond(
                    StatusCode::METHOD_NOT_ALLOWED,
                    TEXT,
                    Bytes::from_static(b"method not allowed\n"),
                );
                res.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(allowed));
                return res;
            }
        };
        respond(status, TEXT, Bytes::from(format!("{msg}\n")))
    }
}

fn json<T: Serialize>(value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => respond(StatusCode::OK, JSON, Bytes::from(bytes)),
        Err(e) => Reject::Internal(e.to_string()).into_response(),
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_as_array_or_object() {
        let many = parse_records(br#" [{"sensor":"a","value":1},{"sensor":"b","value":2.5}]"#)
            .expect("array");
        assert_eq!(many.len(), 2);
        let one = parse_records(br#"{"sensor":"a","value":1}"#).expect("object");
        assert_eq!(one[0].sensor, "a");
        assert!(parse_records(br#"{"sensor":"a"}"#).is_err());
        assert!(parse_records(b"nonsense").is_err());
    }

    #[test]
    fn query_parameters() {
        assert_eq!(
            param(Some("a=1&batch_size=25"), "batch_size", 1usize).ok(),
            Some(25)
        );
        assert_eq!(param(None, "limit", 50usize).ok(), Some(50));
        assert!(param(Some("limit=x"), "limit", 50usize).is_err());
    }
}
