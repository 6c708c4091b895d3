//! The gate every API request passes: Site-Id and token checks, the request quota, and the
//! faults a test asked for (5xx, 429 with `Retry-After`, 409, a write applied then failed).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::problem::SandboxError;
use super::state::SandboxState;

/// Faults to serve to the next API requests, in this order of precedence: 429, 5xx, 409
/// (writes only), applied-then-502 (writes only). Counts add up across injections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultPlan {
    /// Next N requests get 429 with `Retry-After: retry_after_secs`.
    pub rate_limits: u32,
    /// `Retry-After` of injected 429s, in seconds.
    pub retry_after_secs: u64,
    /// Next N requests get 503.
    pub server_errors: u32,
    /// Next N writes get 409 concurrent update.
    pub conflicts: u32,
    /// Next N writes are applied and then answered 502 (the ambiguous failure).
    pub applied_then_failed: u32,
}

impl FaultPlan {
    pub(crate) fn add(&mut self, other: FaultPlan) {
        self.rate_limits += other.rate_limits;
        if other.rate_limits > 0 {
            self.retry_after_secs = other.retry_after_secs;
        }
        self.server_errors += other.server_errors;
        self.conflicts += other.conflicts;
        self.applied_then_failed += other.applied_then_failed;
    }
}

pub use selvedge_connector_kit::sandbox::{Quota, QuotaWindow};

enum After {
    Nothing,
    FailWith502,
}

/// Middleware on the `/api/v1` and `/api/v2` routes.
pub(crate) async fn gate(
    State(state): State<SandboxState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let is_write = request.method() != Method::GET;
    let site_id = header(&request, "site-id");
    let bearer = header(&request, "authorization")
        .and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned));
    let after = {
        let mut store = state.lock();
        let store = &mut *store;
        store.stats.requests += 1;
        *store
            .stats
            .by_route
            .entry(format!("{} {route}", request.method()))
            .or_default() += 1;
        let valid_token = bearer
            .as_deref()
            .and_then(|t| store.tokens.get(t))
            .is_some_and(|expiry| Instant::now() < *expiry);
        let refusal = if site_id.as_deref() != Some(store.config.site_id.as_str()) {
            Some(SandboxError::unauthorized(
                "missing or unknown Site-Id header",
            ))
        } else if !valid_token {
            Some(SandboxError::unauthorized(
                "missing, unknown or expired access token",
            ))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            store.stats.unauthorized += 1;
            return refusal.into_response();
        }
        if let Some(wait) = store.quota.as_mut().and_then(|q| q.take().err()) {
            store.stats.rate_limited += 1;
            return SandboxError::rate_limited(wait).into_response();
        }
        let faults = &mut store.faults;
        if faults.rate_limits > 0 {
            faults.rate_limits -= 1;
            store.stats.rate_limited += 1;
            let wait = Duration::from_secs(faults.retry_after_secs);
            return SandboxError::rate_limited(wait).into_response();
        }
        if faults.server_errors > 0 {
            faults.server_errors -= 1;
            store.stats.server_errors += 1;
            return SandboxError::server_error(503).into_response();
        }
        if is_write && faults.conflicts > 0 {
            faults.conflicts -= 1;
            store.stats.conflicts += 1;
            return SandboxError::conflict().into_response();
        }
        if is_write && faults.applied_then_failed > 0 {
            faults.applied_then_failed -= 1;
            After::FailWith502
        } else {
            After::Nothing
        }
    };
    let response = next.run(request).await;
    match after {
        After::FailWith502 if response.status().is_success() => {
            state.lock().stats.server_errors += 1;
            SandboxError::server_error(502).into_response()
        }
        _ => response,
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
