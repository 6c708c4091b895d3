//! Clients, sync health, drift and chart series.

use selvedge_store::SyncRun;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{ExceptionView, rfc3339};

/// One client and the headline of its health.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientSummary {
    /// Client id.
    pub id: String,
    /// `bigcommerce` or `sparklayer`.
    pub storefront: String,
    /// Flows with a schedule.
    pub flows: Vec<String>,
    /// Active plugin version (short hash), if any.
    pub plugin_version: Option<String>,
    /// Unresolved exceptions (open + retrying).
    pub unresolved_exceptions: u64,
    /// Flows an operator paused (`*`: the whole client), with who paused them.
    #[serde(default)]
    pub paused: Vec<PausedView>,
    /// Sync health.
    pub health: SyncHealth,
}

/// A pause in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PausedView {
    /// The flow, or `*` for every flow of the client.
    pub flow: String,
    pub by: String,
    pub at: String,
}

/// How a client's sync is doing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncHealth {
    /// Latest inventory run.
    pub last_inventory: Option<RunView>,
    /// ERP cycle end -> storefront updated, seconds, of the latest successful inventory run.
    pub cycle_latency_secs: Option<f64>,
    /// Successful inventory updates in the last hour.
    pub inventory_updates_last_hour: u64,
    /// Storefront API calls since the host started.
    pub api_calls: u64,
    /// Storefront 429 answers since the host started.
    pub throttled: u64,
    /// Storefront retries since the host started.
    pub retries: u64,
    /// Orders waiting to be injected into the ERP.
    pub order_queue_depth: u64,
    /// Orders injected.
    pub orders_injected: u64,
    /// Orders that ended in the exception state.
    pub orders_failed: u64,
    /// injected / (injected + failed), if any order finished.
    pub injection_success_rate: Option<f64>,
    /// Every scheduled flow's latest run.
    pub flows: Vec<FlowStatus>,
    /// Webhook deliveries refused since the host started (a rotated secret shows here).
    pub webhook_auth: WebhookAuth,
}

/// A client's refused webhook deliveries (401) since the host started.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct WebhookAuth {
    /// How many.
    pub failures: u64,
    /// When the latest was refused.
    pub last_at: Option<String>,
    /// Why: `missing secret` or `wrong secret`.
    pub last_reason: Option<String>,
}

/// A flow's latest run and latest success.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlowStatus {
    /// Flow name.
    pub flow: String,
    /// Latest run.
    pub last_run: Option<RunView>,
    /// When the latest successful run finished.
    pub last_success_at: Option<String>,
}

/// A sync run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: i64,
    /// Flow.
    pub flow: String,
    /// `running`, `succeeded`, `failed`.
    pub status: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: Option<String>,
    /// Error of a failed run.
    pub error: Option<String>,
    /// Records read.
    pub records: Option<u64>,
    /// Records changed.
    pub changed: Option<u64>,
    /// API calls.
    pub api_calls: Option<u64>,
    /// 429 answers.
    pub throttled: Option<u64>,
    /// ERP cycle consumed.
    pub erp_cycle_id: Option<String>,
    /// ERP cycle end -> storefront updated, seconds.
    pub cycle_latency_secs: Option<f64>,
    /// Other measurements of the flow.
    #[schema(value_type = Object)]
    pub extra: Value,
}

impl From<&SyncRun> for RunView {
    fn from(r: &SyncRun) -> Self {
        let m = &r.measurements;
        Self {
            id: r.id,
            flow: r.flow.clone(),
            status: r.status.as_str().into(),
            started_at: rfc3339(r.started_at),
            finished_at: r.finished_at.map(rfc3339),
            error: r.error.clone(),
            records: m.records,
            changed: m.changed,
            api_calls: m.api_calls,
            throttled: m.throttled,
            erp_cycle_id: m.erp_cycle_id.clone(),
            cycle_latency_secs: m.cycle_latency().map(|d| d.as_seconds_f64()),
            extra: Value::Object(m.extra.clone()),
        }
    }
}

/// Drift found by the latest reconciliation, and the SKU exceptions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DriftReport {
    /// Latest reconciliation run.
    pub last_run: Option<RunView>,
    /// Orders whose ERP value or quantity differs.
    pub order_drift: Option<u64>,
    /// SKU-locations whose storefront stock differs.
    pub stock_drift: Option<u64>,
    /// SKUs on one side only.
    pub sku_missing: Option<u64>,
    /// Unresolved drift and SKU exceptions.
    pub exceptions: Vec<ExceptionView>,
}

/// Points for the charts, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Series {
    /// Client.
    pub client: String,
    /// Inventory runs: cycle latency, oldest first (the latest `limit` runs).
    pub inventory_lag: Vec<LagPoint>,
    /// `before` for the page of older runs; null when there are none.
    #[serde(default)]
    pub inventory_lag_next: Option<i64>,
    /// Orders that reached a final state, per time bucket: injection success.
    pub injection: Vec<InjectionPoint>,
}

/// One inventory run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LagPoint {
    /// Run start.
    pub at: String,
    /// ERP cycle end -> storefront updated, seconds.
    pub latency_secs: Option<f64>,
    /// Run status.
    pub status: String,
}

/// One time bucket of orders.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InjectionPoint {
    /// Bucket start.
    pub at: String,
    /// Orders that reached a final state (injected or failed).
    pub attempted: u64,
    /// Orders injected.
    pub injected: u64,
    /// injected / attempted.
    pub success_rate: Option<f64>,
}
