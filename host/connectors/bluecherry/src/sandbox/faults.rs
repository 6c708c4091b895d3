//! Fault modes of the sandbox, armed through `PUT /sandbox/faults`, and the request quota
//! (`PUT /sandbox/quota`), answered with 429 and `Retry-After` like the other sandboxes.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use selvedge_connector_kit::sandbox::quota::retry_after_secs;
use serde::{Deserialize, Serialize};

use super::{Shared, lock};
use crate::model::{ErrorBody, ErrorDetail};

/// Armed faults. Counters go down as requests consume them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Delay every `/v1` response by this many milliseconds.
    pub delay_ms: u64,
    /// The next N `/v1` requests fail with `fail_status` and do nothing.
    pub fail_next: u32,
    /// Status of those failures (5xx).
    pub fail_status: u16,
    /// The next N creates (orders, memos) are committed, then the answer hangs.
    pub hang_next_creates: u32,
    /// The next N sales-order revisions are applied, then the answer hangs.
    pub hang_next_revisions: u32,
    /// How long a hung answer hangs, in milliseconds (longer than the client's timeout).
    pub hang_ms: u64,
    /// Creates (orders, memos) with an `external_ref` already in use are accepted as a new
    /// document with a new number, as an ERP without idempotency would; this makes a host
    /// that creates twice show a double instead of being saved by the 409. Stays on until
    /// cleared.
    pub accept_duplicates: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            delay_ms: 0,
            fail_next: 0,
            fail_status: 503,
            hang_next_creates: 0,
            hang_next_revisions: 0,
            hang_ms: 30_000,
            accept_duplicates: false,
        }
    }
}

/// Middleware on `/v1`: the quota, then the delay and the 5xx burst, before the handler runs.
pub async fn apply(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let (delay, fail) = {
        let mut s = lock(&shared);
        if let Some(wait) = s.quota.as_mut().and_then(|q| q.take().err()) {
            s.rate_limited += 1;
            return over_quota(wait);
        }
        let f = &mut s.faults;
        let fail = if f.fail_next > 0 {
            f.fail_next -= 1;
            Some(f.fail_status)
        } else {
            None
        };
        (f.delay_ms, fail)
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if let Some(status) = fail {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let body = error_body(
            "unavailable",
            "gateway temporarily unavailable (sandbox fault)",
        );
        return (status, axum::Json(body)).into_response();
    }
    next.run(req).await
}

/// 429 with `Retry-After` in whole seconds (rounded up: the window is over by then).
fn over_quota(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    let body = error_body(
        "rate_limited",
        &format!("request quota used up; retry in {secs} s"),
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.to_string())],
        axum::Json(body),
    )
        .into_response()
}

fn error_body(code: &str, message: &str) -> ErrorBody {
    ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.to_string(),
            field: None,
            existing_number: None,
            current_revision: None,
        },
    }
}

/// Called by create handlers after committing: hangs if a commit-then-timeout is armed.
pub async fn hang_after_commit(shared: &Shared) {
    hang_if_armed(shared, |f| &mut f.hang_next_creates).await;
}

/// Called by the revision handler after applying: hangs if a commit-then-timeout is armed.
pub async fn hang_after_revision(shared: &Shared) {
    hang_if_armed(shared, |f| &mut f.hang_next_revisions).await;
}

async fn hang_if_armed(shared: &Shared, counter: impl FnOnce(&mut Faults) -> &mut u32) {
    let hang = {
        let mut s = lock(shared);
        let f = &mut s.faults;
        let ms = f.hang_ms;
        let left = counter(f);
        if *left > 0 {
            *left -= 1;
            Some(ms)
        } else {
            None
        }
    };
    if let Some(ms) = hang {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
