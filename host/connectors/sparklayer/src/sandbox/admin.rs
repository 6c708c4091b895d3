//! Sandbox-only routes under `/sandbox/...` (no auth: the server only listens on loopback).

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::buyer::{Checkout, PurchaseEdit};
use super::faults::{FaultPlan, Quota, QuotaWindow};
use super::problem::SandboxError;
use super::seed::seed_demo;
use super::state::{PriceListRecord, PurchaseRecord, SandboxState, SandboxStats, StockRow};
use crate::model::{Customer, StockLocation, SyncLogUpdate};

pub(super) fn routes(state: SandboxState) -> Router {
    Router::new()
        .route("/sandbox/state", get(snapshot))
        .route("/sandbox/stats", get(stats))
        .route("/sandbox/faults", post(inject))
        .route("/sandbox/quota", put(set_quota).delete(clear_quota))
        .route("/sandbox/token-lifetime", put(token_lifetime))
        .route("/sandbox/tokens/expire", post(expire_tokens))
        .route("/sandbox/purchases", post(checkout))
        .route("/sandbox/purchases/{sparklayer_id}", patch(edit))
        .route("/sandbox/customers", post(add_customer))
        .route("/sandbox/seed", post(seed))
        .with_state(state)
}

/// Everything the sandbox holds.
#[derive(Serialize)]
struct Snapshot {
    price_lists: Vec<PriceListRecord>,
    stock_locations: Vec<StockLocation>,
    stock: Vec<StockEntry>,
    purchases: Vec<Value>,
    customers: Vec<Customer>,
    sync_logs: Vec<SyncLogEntry>,
    stats: SandboxStats,
}

#[derive(Serialize)]
struct StockEntry {
    stock_location_id: String,
    sku: String,
    #[serde(flatten)]
    row: StockRow,
}

#[derive(Serialize)]
struct SyncLogEntry {
    integration: String,
    data_type: String,
    #[serde(flatten)]
    log: SyncLogUpdate,
}

async fn snapshot(State(state): State<SandboxState>) -> Json<Snapshot> {
    let store = state.lock();
    Json(Snapshot {
        price_lists: store.price_lists.values().cloned().collect(),
        stock_locations: store.locations.clone(),
        stock: store
            .stock
            .iter()
            .map(|((location, sku), row)| StockEntry {
                stock_location_id: location.clone(),
                sku: sku.clone(),
                row: row.clone(),
            })
            .collect(),
        purchases: store.purchases.iter().map(PurchaseRecord::render).collect(),
        customers: store.customers.values().cloned().collect(),
        sync_logs: store
            .sync_logs
            .iter()
            .map(|((integration, data_type), log)| SyncLogEntry {
                integration: integration.clone(),
                data_type: data_type.clone(),
                log: log.clone(),
            })
            .collect(),
        stats: store.stats.clone(),
    })
}

async fn stats(State(state): State<SandboxState>) -> Json<SandboxStats> {
    Json(state.stats())
}

async fn inject(State(state): State<SandboxState>, Json(plan): Json<FaultPlan>) -> StatusCode {
    state.inject(plan);
    StatusCode::NO_CONTENT
}

async fn set_quota(State(state): State<SandboxState>, Json(quota): Json<Quota>) -> StatusCode {
    state.lock().quota = Some(QuotaWindow::new(quota));
    StatusCode::NO_CONTENT
}

async fn clear_quota(State(state): State<SandboxState>) -> StatusCode {
    state.lock().quota = None;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetime {
    secs: u64,
}

async fn token_lifetime(State(state): State<SandboxState>, Json(l): Json<Lifetime>) -> StatusCode {
    state.set_token_lifetime(Duration::from_secs(l.secs));
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(state): State<SandboxState>) -> StatusCode {
    state.expire_all_tokens();
    StatusCode::NO_CONTENT
}

async fn checkout(
    State(state): State<SandboxState>,
    Json(checkout): Json<Checkout>,
) -> Result<(StatusCode, Json<Value>), SandboxError> {
    Ok((
        StatusCode::CREATED,
        Json(state.checkout_rendered(checkout)?),
    ))
}

async fn edit(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
    Json(edit): Json<PurchaseEdit>,
) -> Result<Json<Value>, SandboxError> {
    Ok(Json(state.edit_purchase_rendered(&id, edit)?))
}

async fn add_customer(
    State(state): State<SandboxState>,
    Json(customer): Json<Customer>,
) -> StatusCode {
    state.add_customer(customer);
    StatusCode::NO_CONTENT
}

async fn seed(State(state): State<SandboxState>) -> StatusCode {
    seed_demo(&state);
    StatusCode::NO_CONTENT
}
