//! Webhooks V3 routes and delivery: POST to each active matching hook with its custom headers,
//! retries on the real schedule (time-scaled), deactivation after the last retry, and
//! duplicate deliveries (same hash) on demand or by probability.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::query::{Params, modelled, page_answer};
use super::state::Delivery;
use super::{
    SandboxHandle, WEBHOOK_RETRY_SCHEDULE_S, json_response, paginate, parse_body, v3_error,
};
use crate::model::{NewWebhook, Webhook, WebhookPayload, WebhookUpdate};

pub(crate) fn routes() -> Router<SandboxHandle> {
    Router::new()
        .route("/stores/{store_hash}/v3/hooks", get(list).post(create))
        .route("/stores/{store_hash}/v3/hooks/{webhook_id}", put(update))
}

async fn create(State(h): State<SandboxHandle>, body: Bytes) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let new: NewWebhook = match modelled(&body) {
        Ok(n) => n,
        Err(e) => {
            return v3_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The webhook is not valid.",
                json!({e.name: e.why}),
            );
        }
    };
    if !new.scope.starts_with("store/") {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The webhook is not valid.",
            json!({"scope": "unknown scope"}),
        );
    }
    if !(new.destination.starts_with("https://") || new.destination.starts_with("http://")) {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The webhook is not valid.",
            json!({"destination": "must be a URL"}),
        );
    }
    let mut s = h.store();
    let id = s.id();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let hook = Webhook {
        id,
        client_id: "sandbox-client".into(),
        store_hash: h.config().store_hash.clone(),
        scope: new.scope,
        destination: new.destination,
        is_active: new.is_active,
        headers: new.headers,
        created_at: now,
        updated_at: now,
    };
    s.hooks.insert(id, hook.clone());
    json_response(StatusCode::OK, json!({"data": hook, "meta": {}}))
}

async fn update(
    State(h): State<SandboxHandle>,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body, false) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let update: WebhookUpdate = match modelled(&body) {
        Ok(u) => u,
        Err(e) => {
            return v3_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The webhook is not valid.",
                json!({e.name: e.why}),
            );
        }
    };
    let mut s = h.store();
    let Some(hook) = id.parse::<i64>().ok().and_then(|id| s.hooks.get_mut(&id)) else {
        return v3_error(StatusCode::NOT_FOUND, "Webhook not found", json!({}));
    };
    if let Some(v) = update.scope {
        hook.scope = v;
    }
    if let Some(v) = update.destination {
        hook.destination = v;
    }
    if let Some(v) = update.is_active {
        hook.is_active = v;
    }
    if update.headers.is_some() {
        hook.headers = update.headers;
    }
    hook.updated_at = OffsetDateTime::now_utc().unix_timestamp();
    let hook = hook.clone();
    json_response(StatusCode::OK, json!({"data": hook, "meta": {}}))
}

async fn list(State(h): State<SandboxHandle>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let applied = ["is_active", "scope", "destination", "page", "limit"];
    let s = h.store();
    let answer = Params::strict(&q, &applied).and_then(|p| {
        let (page, limit) = p.page_limit(250)?;
        let active = p.bool("is_active")?;
        let (scope, destination) = (p.str("scope"), p.str("destination"));
        let found: Vec<Webhook> = s
            .hooks
            .values()
            .filter(|w| active.is_none_or(|a| a == w.is_active))
            .filter(|w| scope.is_none_or(|sc| sc == w.scope))
            .filter(|w| destination.is_none_or(|d| d == w.destination))
            .cloned()
            .collect();
        Ok(paginate(&found, page, limit))
    });
    page_answer(answer, false)
}

fn scope_matches(hook: &str, scope: &str) -> bool {
    hook == scope
        || hook
            .strip_suffix('*')
            .is_some_and(|prefix| scope.starts_with(prefix))
}

/// Fires `scope` with `data` to every active matching hook (in the background).
pub(crate) fn emit(h: &SandboxHandle, scope: &str, data: Value) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(scope, "sandbox: no runtime, webhook not delivered");
        return;
    };
    let created_at = OffsetDateTime::now_utc().unix_timestamp();
    let (payload, targets) = {
        let mut s = h.store();
        let seq = s.id();
        let hash = hex::encode(Sha256::digest(format!("{scope}|{data}|{created_at}|{seq}")));
        let payload = WebhookPayload {
            scope: scope.to_owned(),
            store_id: h.config().store_id.clone(),
            data,
            hash,
            created_at,
            producer: format!("stores/{}", h.config().store_hash),
        };
        let targets: Vec<Webhook> = s
            .hooks
            .values()
            .filter(|w| w.is_active && scope_matches(&w.scope, scope))
            .cloned()
            .collect();
        (payload, targets)
    };
    for hook in targets {
        rt.spawn(deliver(h.clone(), hook, payload.clone()));
    }
}

async fn post(h: &SandboxHandle, hook: &Webhook, payload: &WebhookPayload) -> Option<u16> {
    let mut req = h.shared.http.post(&hook.destination).json(payload);
    for (k, v) in hook.headers.iter().flat_map(BTreeMap::iter) {
        req = req.header(k.as_str(), v.as_str());
    }
    req.send().await.ok().map(|r| r.status().as_u16())
}

fn record(
    h: &SandboxHandle,
    hook: &Webhook,
    payload: &WebhookPayload,
    attempt: u32,
    status: Option<u16>,
    duplicate: bool,
) {
    let mut s = h.store();
    let at_ms = s.elapsed_ms();
    s.deliveries.push(Delivery {
        hook_id: hook.id,
        scope: payload.scope.clone(),
        hash: payload.hash.clone(),
        attempt,
        status,
        duplicate,
        at_ms,
    });
}

async fn deliver(h: SandboxHandle, hook: Webhook, payload: WebhookPayload) {
    let scale = h.config().webhook_time_scale.max(0.0);
    let mut attempt: u32 = 1;
    loop {
        // A hook deactivated or deleted meanwhile gets nothing more.
        if !h.store().hooks.get(&hook.id).is_some_and(|w| w.is_active) {
            return;
        }
        let status = post(&h, &hook, &payload).await;
        record(&h, &hook, &payload, attempt, status, false);
        if status.is_some_and(|s| (200..300).contains(&s)) {
            let duplicate = {
                let mut s = h.store();
                if s.forced_duplicates > 0 {
                    s.forced_duplicates -= 1;
                    true
                } else {
                    rand::random::<f64>() < h.config().duplicate_probability
                }
            };
            if duplicate {
                let status = post(&h, &hook, &payload).await;
                record(&h, &hook, &payload, attempt, status, true);
            }
            return;
        }
        let Some(delay_s) = WEBHOOK_RETRY_SCHEDULE_S.get(attempt as usize - 1) else {
            // Retries exhausted (~48 h in real time): BigCommerce deactivates the hook.
            if let Some(w) = h.store().hooks.get_mut(&hook.id) {
                w.is_active = false;
            }
            return;
        };
        tokio::time::sleep(Duration::from_secs_f64(*delay_s as f64 * scale)).await;
        attempt += 1;
    }
}
