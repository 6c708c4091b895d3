//! What every API request goes through: counting, the rate-limit window (headers on every
//! answer, 429 when spent), the `X-Auth-Token` check, injected faults, refusal of query
//! parameters on writes (none is applied) and the exchange log.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::query::Refusal;
use super::state::Exchange;
use super::{SandboxHandle, v2_error, v3_error};

const BODY_LIMIT: usize = 16 * 1024 * 1024;

struct Window {
    allowed: bool,
    quota: u32,
    left: u32,
    window_ms: u64,
    reset_ms: u64,
}

pub(crate) async fn gate(State(h): State<SandboxHandle>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let full_path = req.uri().path().to_owned();
    // `/stores/{hash}/{api}/rest`
    let mut segs = full_path.splitn(5, '/').skip(2);
    let hash = segs.next().unwrap_or_default().to_owned();
    let api = segs.next().unwrap_or_default().to_owned();
    let path = format!("/{}", segs.next().unwrap_or_default());
    let query: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let token_ok = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == h.config().access_token);
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let request_body = serde_json::from_slice(&bytes).ok();
    let req = Request::from_parts(parts, Body::from(bytes));
    let v2 = api == "v2";

    let (window, fault) = {
        let mut s = h.store();
        s.count(&format!("{method} {route}"));
        let now = Instant::now();
        if now.duration_since(s.window_start) >= Duration::from_millis(s.window_ms) {
            s.window_start = now;
            s.window_used = 0;
        }
        let allowed = s.window_used < s.quota;
        if allowed {
            s.window_used += 1;
        } else {
            s.counters.throttled += 1;
        }
        let elapsed =
            u64::try_from(now.duration_since(s.window_start).as_millis()).unwrap_or(u64::MAX);
        let window = Window {
            allowed,
            quota: s.quota,
            left: s.quota.saturating_sub(s.window_used),
            window_ms: s.window_ms,
            reset_ms: s.window_ms.saturating_sub(elapsed),
        };
        let fault = if allowed && token_ok && hash == h.config().store_hash {
            let idx = s.faults.iter().position(|f| {
                f.count > 0
                    && f.method
                        .as_deref()
                        .is_none_or(|m| m.eq_ignore_ascii_case(&method))
                    && f.path_contains.as_deref().is_none_or(|p| path.contains(p))
            });
            idx.map(|i| {
                s.faults[i].count -= 1;
                let f = s.faults[i].clone();
                if s.faults[i].count == 0 {
                    s.faults.remove(i);
                }
                f
            })
        } else {
            None
        };
        (window, fault)
    };

    let mut resp = if !window.allowed {
        let msg = "You have exceeded the request quota for this window; wait for the reset.";
        if v2 {
            v2_error(StatusCode::TOO_MANY_REQUESTS, msg)
        } else {
            v3_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                json!({}),
            )
        }
    } else if !token_ok {
        let msg = "You must provide a valid X-Auth-Token header.";
        if v2 {
            v2_error(StatusCode::UNAUTHORIZED, msg)
        } else {
            v3_error(StatusCode::UNAUTHORIZED, msg, json!({}))
        }
    } else if hash != h.config().store_hash {
        let msg = "Store not found.";
        if v2 {
            v2_error(StatusCode::NOT_FOUND, msg)
        } else {
            v3_error(StatusCode::NOT_FOUND, msg, json!({}))
        }
    } else if let Some(fault) = fault {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if v2 {
            v2_error(status, "Injected fault")
        } else {
            v3_error(status, "Injected fault", json!({}))
        }
    } else if let Some((name, _)) = query.first().filter(|_| method != "GET") {
        // No modelled write applies a query parameter (e.g. `include` on POST /v2/orders).
        let refusal = Refusal::new(name.as_str(), "is not applied by the sandbox on this write");
        if v2 { refusal.v2() } else { refusal.v3() }
    } else {
        next.run(req).await
    };

    let headers = resp.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("x-rate-limit-time-window-ms", window.window_ms.to_string());
    put("x-rate-limit-time-reset-ms", window.reset_ms.to_string());
    put("x-rate-limit-requests-quota", window.quota.to_string());
    put("x-rate-limit-requests-left", window.left.to_string());
    if !window.allowed {
        put("x-retry-after", window.reset_ms.div_ceil(1000).to_string());
    }

    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (parts, body) = resp.into_parts();
    let out = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    let response_body = serde_json::from_slice(&out).ok();
    h.store().log.push(Exchange {
        method,
        api,
        path,
        route,
        query,
        request_body,
        status,
        content_type,
        response_body,
    });
    Response::from_parts(parts, Body::from(out))
}
