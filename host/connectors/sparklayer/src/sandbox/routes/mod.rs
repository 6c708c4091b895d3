//! The API routes of the sandbox, as Sparklayer exposes them.

mod catalog;
pub(crate) mod orders;
mod sync_log;

use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::middleware;
use axum::routing::{get, patch, post, put};

use super::faults;
use super::problem::{SandboxError, parse_body};
use super::state::SandboxState;
use crate::model::{TokenRequest, TokenResponse};

/// `/api/...` routes; everything but the token route sits behind the auth and fault gate.
pub(crate) fn api(state: SandboxState) -> Router {
    let gated = Router::new()
        .route("/api/v1/price-lists", post(catalog::create_price_list))
        .route("/api/v1/price-lists/{slug}", get(catalog::get_price_list))
        .route("/api/v2/price-lists", get(catalog::list_price_lists))
        .route(
            "/api/v1/price-lists/{slug}/pricing",
            patch(catalog::update_pricing),
        )
        .route(
            "/api/v1/batch-update-pricing",
            patch(catalog::batch_update_pricing),
        )
        .route(
            "/api/v1/batch-update-stock",
            post(catalog::batch_update_stock),
        )
        .route(
            "/api/v1/stock-locations",
            post(catalog::create_stock_location).get(catalog::list_stock_locations),
        )
        .route("/api/v1/purchases", get(orders::list_purchases))
        .route(
            "/api/v1/purchases/{lookup_by}/{identifier}",
            put(orders::put_purchase).get(orders::get_purchase),
        )
        .route("/api/v1/customers", get(orders::list_customers))
        .route(
            "/api/v1/customers/{id}",
            get(orders::get_customer).patch(orders::patch_customer),
        )
        .route(
            "/api/v1/sync-log/{integration}/{data_type}",
            put(sync_log::put_log).get(sync_log::get_log),
        )
        .route(
            "/api/v1/sync-log",
            axum::routing::delete(sync_log::clear_logs),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), faults::gate));
    Router::new()
        .route("/api/auth/token", post(issue_token))
        .merge(gated)
        .with_state(state)
}

/// `POST /api/auth/token`: client credentials for a bearer token.
async fn issue_token(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenResponse>, SandboxError> {
    let mut store = state.lock();
    store.stats.requests += 1;
    *store
        .stats
        .by_route
        .entry("POST /api/auth/token".to_owned())
        .or_default() += 1;
    let site_ok = headers
        .get("site-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == store.config.site_id);
    if !site_ok {
        store.stats.unauthorized += 1;
        return Err(SandboxError::unauthorized(
            "missing or unknown Site-Id header",
        ));
    }
    let request: TokenRequest = parse_body(&body)?;
    if request.grant_type != "client_credentials" {
        return Err(SandboxError::validation(
            "grant_type",
            "must be client_credentials",
        ));
    }
    if request.client_id != store.config.client_id
        || request.client_secret != store.config.client_secret
    {
        store.stats.unauthorized += 1;
        return Err(SandboxError::unauthorized("invalid client credentials"));
    }
    let seq = store.next_seq();
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let token = format!("sbx_{seq}_{nanos:x}");
    let lifetime = store.config.token_lifetime;
    let now = Instant::now();
    // A lifetime too long to add is as good as forever.
    let expiry = now
        .checked_add(lifetime)
        .unwrap_or_else(|| now + Duration::from_secs(366 * 86_400));
    store.tokens.insert(token.clone(), expiry);
    store.stats.tokens_issued += 1;
    Ok(Json(TokenResponse {
        access_token: token,
        // Whole seconds, rounded up, as the real service reports them.
        expires_in: lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0),
        token_type: Some("Bearer".to_owned()),
    }))
}
