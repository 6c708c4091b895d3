//! Clients, their sync health, and their drift report.

use axum::Json;
use axum::extract::{Extension, Path, State};
use selvedge_store::{ExceptionFilter, ExceptionState, OrderState, Page, RunStatus};
use time::OffsetDateTime;

use super::tags;
use crate::flows::orders::order_kind;
use crate::http::access::Caller;
use crate::http::model::{
    ClientSummary, DriftReport, ExceptionView, FlowStatus, RunView, SyncHealth, WebhookAuth,
    rfc3339,
};
use crate::http::{AdminClient, AdminState, HttpError};

/// Exception kinds shown in the drift report.
pub const DRIFT_KINDS: [&str; 4] = ["drift_stock", "drift_order", "sku_missing", "sku_unmapped"];
/// Orders counted for the success rate (the ledger is paged; this bounds one request).
const ORDER_COUNT_LIMIT: u32 = 100_000;

/// Every client with its health.
#[utoipa::path(get, path = "/api/clients", tag = tags::CLIENTS,
    responses((status = 200, body = [ClientSummary]), (status = 401, description = "missing or wrong token")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<ClientSummary>>, HttpError> {
    let mut out = Vec::new();
    for client in state.clients.iter().filter(|c| caller.sees_client(&c.id)) {
        out.push(summary(&state, client).await?);
    }
    Ok(Json(out))
}

/// One client's sync health.
#[utoipa::path(get, path = "/api/clients/{client}/health", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id")),
    responses((status = 200, body = ClientSummary), (status = 404, description = "unknown client")),
    security(("bearer" = [])))]
pub async fn health(
    State(state): State<AdminState>,
    Path(client): Path<String>,
) -> Result<Json<ClientSummary>, HttpError> {
    let c = state.client(&client)?;
    Ok(Json(summary(&state, c).await?))
}

/// Headline and health of one client.
pub async fn summary(state: &AdminState, client: &AdminClient) -> Result<ClientSummary, HttpError> {
    let counts = state
        .store
        .exception_counts(Some(&client.id), ExceptionState::Open)
        .await?;
    let retrying = state
        .store
        .exception_counts(Some(&client.id), ExceptionState::Retrying)
        .await?;
    let unresolved = counts.iter().chain(&retrying).map(|c| c.count).sum();
    Ok(ClientSummary {
        id: client.id.clone(),
        storefront: client.storefront.into(),
        flows: client.flows.iter().map(|f| f.to_string()).collect(),
        plugin_version: client
            .plugin
            .current()
            .map(|v| v.short_version().to_string()),
        unresolved_exceptions: unresolved,
        paused: state
            .store
            .pauses()
            .await?
            .into_iter()
            .filter(|p| p.client == client.id)
            .map(|p| crate::http::model::PausedView {
                flow: p.flow,
                by: p.by,
                at: crate::http::model::rfc3339(p.at),
            })
            .collect(),
        health: sync_health(state, client).await?,
    })
}

/// Sync health from the run records, the queue, the ledger and the live connector counters.
pub async fn sync_health(
    state: &AdminState,
    client: &AdminClient,
) -> Result<SyncHealth, HttpError> {
    let store = &state.store;
    let id = client.id.as_str();
    let inventory = store.recent_runs(id, "inventory", 200).await?;
    let hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let updates = inventory
        .iter()
        .filter(|r| {
            r.status == RunStatus::Succeeded && r.finished_at.is_some_and(|f| f >= hour_ago)
        })
        .count() as u64;
    let latency = inventory
        .iter()
        .find(|r| r.status == RunStatus::Succeeded)
        .and_then(|r| r.measurements.cycle_latency())
        .map(|d| d.as_seconds_f64());
    let (api_calls, throttled, retries) = client.stats.read();
    let page = Page {
        limit: ORDER_COUNT_LIMIT,
        offset: 0,
    };
    let injected = store
        .orders_in_state(id, OrderState::Injected, page)
        .await?
        .len() as u64;
    let failed = store
        .orders_in_state(id, OrderState::Exception, page)
        .await?
        .len() as u64;
    let mut flows = Vec::new();
    for flow in &client.flows {
        let last = store.recent_runs(id, flow.as_str(), 1).await?;
        let success = store.last_successful_run(id, flow.as_str()).await?;
        flows.push(FlowStatus {
            flow: flow.to_string(),
            last_run: last.first().map(RunView::from),
            last_success_at: success.and_then(|r| r.finished_at).map(rfc3339),
        });
    }
    Ok(SyncHealth {
        last_inventory: inventory.first().map(RunView::from),
        cycle_latency_secs: latency,
        inventory_updates_last_hour: updates,
        api_calls,
        throttled,
        retries,
        order_queue_depth: store.queue_depth(id, &order_kind(id)).await?,
        orders_injected: injected,
        orders_failed: failed,
        injection_success_rate: (injected + failed > 0)
            .then(|| injected as f64 / (injected + failed) as f64),
        flows,
        webhook_auth: state
            .webhook_auth
            .get(id)
            .map(|f| WebhookAuth {
                failures: f.count,
                last_at: Some(rfc3339(f.last_at)),
                last_reason: Some(f.last_reason.as_str().into()),
            })
            .unwrap_or_default(),
    })
}

/// The drift report: counts of the latest reconciliation and the unresolved drift and SKU
/// exceptions behind them.
#[utoipa::path(get, path = "/api/clients/{client}/drift", tag = tags::CLIENTS,
    params(("client" = String, Path, description = "client id")),
    responses((status = 200, body = DriftReport), (status = 404, description = "unknown client")),
    security(("bearer" = [])))]
pub async fn drift(
    State(state): State<AdminState>,
    Path(client): Path<String>,
) -> Result<Json<DriftReport>, HttpError> {
    let c = state.client(&client)?;
    let run = state.store.recent_runs(&c.id, "reconciliation", 1).await?;
    let run = run.first();
    let count = |key: &str| {
        run.and_then(|r| r.measurements.extra.get(key))
            .and_then(serde_json::Value::as_u64)
    };
    let mut exceptions = Vec::new();
    for kind in DRIFT_KINDS {
        for s in [ExceptionState::Open, ExceptionState::Retrying] {
            let filter = ExceptionFilter {
                client: Some(c.id.clone()),
                state: Some(s),
                owner: None,
                kind: Some(kind.into()),
            };
            let rows = state
                .store
                .list_exceptions(
                    &filter,
                    Page {
                        limit: 500,
                        offset: 0,
                    },
                )
                .await?;
            exceptions.extend(rows.iter().map(ExceptionView::from));
        }
    }
    Ok(Json(DriftReport {
        last_run: run.map(RunView::from),
        order_drift: count("order_drift"),
        stock_drift: count("stock_drift"),
        sku_missing: count("sku_missing"),
        exceptions,
    }))
}
