//! Request routing and the endpoint behaviours of the testbed.
//!
//! Routing is a `match` on the path (no router, no middleware) so `/fast` stays a handful of
//! instructions plus header inserts: load benchmarks hit it and must measure the client, not us.
//! Each request is first parsed into a [`Route`] (validating query parameters, or refusing with a
//! [`Reject`]), then executed; `/admin/*` bypasses both the stall windows and the request counters.

use std::convert::Infallible;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE, SERVER};
use http::{Method, Request, Response, StatusCode};
use hyper::body::{Body as _, Incoming};
use serde::{Deserialize, Serialize};

use crate::body::{filler, DemoBody, MAX_BODY};
use crate::state::{ConnControl, Shared};

const SERVER_NAME: &str = "perfhive-testbed";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
const OCTETS: &str = "application/octet-stream";

/// Largest `/checkout` request body.
const MAX_CHECKOUT_BODY: usize = 1024 * 1024;
/// Upper bound of the simulated `/checkout` work, whatever `items` says.
const MAX_CHECKOUT_WORK: Duration = Duration::from_secs(10);
/// How long `/hang` waits unless the server shuts down first.
const HANG_FOR: Duration = Duration::from_secs(3600);
/// How long a `/reset` handler lingers if its connection somehow outlives the reset.
const RESET_LINGER: Duration = Duration::from_secs(10);

const INDEX: &str = "\
perfhive testbed

GET  /                      this index
ANY  /fast                  200 \"ok\"
ANY  /slow?ms=N             sleep N ms, then 200
ANY  /error?rate=P          500 with probability P (0..=1), else 200
ANY  /status/{code}         respond with that status code
ANY  /bytes?n=N             N bytes (at most 16 MiB)
ANY  /chunked?n=N&chunks=K  N bytes in K chunks (Transfer-Encoding: chunked on HTTP/1.1)
ANY  /echo                  echo the request body
POST /checkout              {\"items\": N} -> ~(1 + N/10) ms of work -> {\"ok\":true,\"items\":N}
ANY  /reset                 close the connection abruptly (TCP RST), no response
ANY  /hang                  never respond
POST /admin/stall?ms=N      stall every request (except /admin/*) for N ms from now
GET  /admin/stats           {\"requests\": finished, \"in_flight\": n}
";

/// The service function: one request in, one response out.
pub(crate) async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    ctl: Arc<ConnControl>,
) -> Result<Response<DemoBody>, Infallible> {
    if let Some(rest) = req.uri().path().strip_prefix("/admin/") {
        let res = admin(rest, &req, &shared).unwrap_or_else(Reject::into_response);
        return Ok(res);
    }
    let _in_flight = shared.stats.start();
    let _on_conn = ctl.start();
    if shared.stall.may_stall() {
        tokio::select! {
            () = shared.stall.wait() => {}
            () = shared.shutting_down() => {}
        }
    }
    let res = match Route::parse(&req, &shared) {
        Ok(route) => route.run(req, &shared, &ctl).await,
        Err(reject) => Err(reject),
    };
    Ok(res.unwrap_or_else(Reject::into_response))
}

/// A validated request.
enum Route {
    Index,
    Fast,
    Slow(Duration),
    Error(f64),
    Status(StatusCode),
    Bytes(usize),
    Chunked { n: usize, chunks: usize },
    Echo,
    Checkout,
    Reset,
    Hang,
}

impl Route {
    fn parse(req: &Request<Incoming>, shared: &Shared) -> Result<Self, Reject> {
        let q = req.uri().query();
        let route = match req.uri().path() {
            "/fast" => Route::Fast,
            "/" => Route::Index,
            "/slow" => {
                let default = u64::try_from(shared.delay.as_millis()).unwrap_or(u64::MAX);
                Route::Slow(Duration::from_millis(param(q, "ms", default)?))
            }
            "/error" => {
                let rate: f64 = param(q, "rate", shared.error_rate)?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err(Reject::BadRequest("rate must be within 0..=1".into()));
                }
                Route::Error(rate)
            }
            "/bytes" => Route::Bytes(param::<usize>(q, "n", 0)?.min(MAX_BODY)),
            "/chunked" => Route::Chunked {
                n: param::<usize>(q, "n", 1024)?.min(MAX_BODY),
                chunks: param(q, "chunks", 4)?,
            },
            "/echo" => Route::Echo,
            "/checkout" => {
                require_method(req, Method::POST)?;
                Route::Checkout
            }
            "/reset" => Route::Reset,
            "/hang" => Route::Hang,
            path => match path.strip_prefix("/status/") {
                Some(code) => Route::Status(parse_status(code)?),
                None => return Err(Reject::NotFound),
            },
        };
        Ok(route)
    }

    async fn run(
        self,
        req: Request<Incoming>,
        shared: &Shared,
        ctl: &ConnControl,
    ) -> Result<Response<DemoBody>, Reject> {
        let res = match self {
            Route::Fast => ok(),
            Route::Index => respond(StatusCode::OK, Some(TEXT), DemoBody::text(INDEX)),
            Route::Slow(delay) => {
                tokio::time::sleep(delay).await;
                ok()
            }
            Route::Error(rate) if shared.rng.next_f64() < rate => respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(TEXT),
                DemoBody::text("injected error\n"),
            ),
            Route::Error(_) => ok(),
            Route::Status(code) => respond(code, None, DemoBody::empty()),
            Route::Bytes(n) => respond(StatusCode::OK, Some(OCTETS), filler(n).into()),
            Route::Chunked { n, chunks } => {
                respond(StatusCode::OK, Some(OCTETS), DemoBody::chunked(n, chunks))
            }
            Route::Echo => {
                let content_type = req.headers().get(CONTENT_TYPE).cloned();
                let body = read_body(req.into_body(), MAX_BODY).await?;
                let mut res = respond(StatusCode::OK, None, body.into());
                let ct = content_type.unwrap_or(HeaderValue::from_static(OCTETS));
                res.headers_mut().insert(CONTENT_TYPE, ct);
                res
            }
            Route::Checkout => checkout(req.into_body()).await?,
            Route::Reset => {
                ctl.request_reset();
                // The connection task drops this connection (and, on HTTP/1.1, this future).
                tokio::select! {
                    () = tokio::time::sleep(RESET_LINGER) => {}
                    () = shared.shutting_down() => {}
                }
                respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some(TEXT),
                    DemoBody::text("reset failed\n"),
                )
            }
            Route::Hang => {
                tokio::select! {
                    () = tokio::time::sleep(HANG_FOR) => {}
                    () = shared.shutting_down() => {}
                }
                respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some(TEXT),
                    DemoBody::text("shutting down\n"),
                )
            }
        };
        Ok(res)
    }
}

/// `/admin/*`: never stalled, never counted.
fn admin(
    rest: &str,
    req: &Request<Incoming>,
    shared: &Shared,
) -> Result<Response<DemoBody>, Reject> {
    match rest {
        "stats" => {
            let (requests, in_flight) = shared.stats.snapshot();
            Ok(json(&Stats {
                requests,
                in_flight,
            }))
        }
        "stall" => {
            require_method(req, Method::POST)?;
            let ms: u64 = param(req.uri().query(), "ms", 0)?;
            shared.stall.stall_now(Duration::from_millis(ms));
            Ok(ok())
        }
        _ => Err(Reject::NotFound),
    }
}

#[derive(Serialize)]
struct Stats {
    requests: u64,
    in_flight: u64,
}

#[derive(Deserialize)]
struct CheckoutRequest {
    items: u64,
}

#[derive(Serialize)]
struct CheckoutResponse {
    ok: bool,
    items: u64,
}

/// Simulated work proportional to the basket: `1 ms + items × 0.1 ms`, capped.
async fn checkout(body: Incoming) -> Result<Response<DemoBody>, Reject> {
    let bytes = read_body(body, MAX_CHECKOUT_BODY).await?;
    let order: CheckoutRequest = serde_json::from_slice(&bytes)
        .map_err(|e| Reject::BadRequest(format!("invalid checkout JSON: {e}")))?;
    let work = Duration::from_micros(1000u64.saturating_add(order.items.saturating_mul(100)));
    tokio::time::sleep(work.min(MAX_CHECKOUT_WORK)).await;
    Ok(json(&CheckoutResponse {
        ok: true,
        items: order.items,
    }))
}

/// Collects a request body of at most `limit` bytes.
async fn read_body(mut body: Incoming, limit: usize) -> Result<Bytes, Reject> {
    if body.size_hint().lower() > limit as u64 {
        return Err(Reject::TooLarge);
    }
    let mut buf = BytesMut::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| Reject::BadRequest("cannot read the request body".into()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(Reject::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
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

/// A final status code (`200..=999`; `1xx` cannot end an exchange).
fn parse_status(code: &str) -> Result<StatusCode, Reject> {
    code.parse::<u16>()
        .ok()
        .filter(|c| *c >= 200)
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| {
            Reject::BadRequest(format!("invalid status code {code:?} (expected 200..=999)"))
        })
}

fn require_method(req: &Request<Incoming>, method: Method) -> Result<(), Reject> {
    if *req.method() == method {
        Ok(())
    } else {
        Err(Reject::MethodNotAllowed(method))
    }
}

/// Why a request is refused before (or instead of) running its endpoint.
#[derive(Debug)]
enum Reject {
    /// 400 with an explanation.
    BadRequest(String),
    /// 404.
    NotFound,
    /// 405, naming the method that is allowed.
    MethodNotAllowed(Method),
    /// 413.
    TooLarge,
}

impl Reject {
    fn status(&self) -> StatusCode {
        match self {
            Reject::BadRequest(_) => StatusCode::BAD_REQUEST,
            Reject::NotFound => StatusCode::NOT_FOUND,
            Reject::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Reject::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn into_response(self) -> Response<DemoBody> {
        let status = self.status();
        match self {
            Reject::BadRequest(msg) => respond(status, Some(TEXT), format!("{msg}\n").into()),
            Reject::NotFound => respond(status, Some(TEXT), DemoBody::text("not found\n")),
            Reject::TooLarge => respond(status, Some(TEXT), DemoBody::text("body too large\n")),
            Reject::MethodNotAllowed(allowed) => {
                let mut res = respond(status, Some(TEXT), DemoBody::text("method not allowed\n"));
                if let Ok(allow) = HeaderValue::from_str(allowed.as_str()) {
                    res.headers_mut().insert(ALLOW, allow);
                }
                res
            }
        }
    }
}

fn ok() -> Response<DemoBody> {
    respond(StatusCode::OK, Some(TEXT), DemoBody::text("ok"))
}

fn json<T: Serialize>(value: &T) -> Response<DemoBody> {
    match serde_json::to_vec(value) {
        Ok(bytes) => respond(StatusCode::OK, Some(JSON), Bytes::from(bytes).into()),
        Err(_) => respond(StatusCode::INTERNAL_SERVER_ERROR, None, DemoBody::empty()),
    }
}

fn respond(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: DemoBody,
) -> Response<DemoBody> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static(SERVER_NAME));
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        assert_eq!(param(Some("a=1&ms=25"), "ms", 7u64).ok(), Some(25));
        assert_eq!(param(Some("a=1"), "ms", 7u64).ok(), Some(7));
        assert_eq!(param(None, "ms", 7u64).ok(), Some(7));
        let err = param(Some("ms=x"), "ms", 7u64).expect_err("unparsable");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(matches!(err, Reject::BadRequest(msg) if msg.contains("`ms`")));
    }

    #[test]
    fn status_codes() {
        assert_eq!(
            parse_status("503").ok(),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert!(parse_status("100").is_err());
        assert!(parse_status("abc").is_err());
        assert!(parse_status("1000").is_err());
    }

    #[test]
    fn rejections_become_responses() {
        let res = Reject::MethodNotAllowed(Method::POST).into_response();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()[ALLOW], "POST");
        assert_eq!(
            Reject::TooLarge.into_response().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
