//! Decision traces.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ExceptionView;

/// Why a SKU or an order is as it is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhyReport {
    /// Client.
    pub client: String,
    /// `sku` or `order`.
    pub subject_kind: String,
    /// The SKU or storefront order id.
    pub subject: String,
    /// Plugin decisions about it, newest first: a page of `limit` (default 50).
    pub decisions: Vec<DecisionView>,
    /// `before` for the next (older) page of decisions; null on the last page.
    #[serde(default)]
    pub decisions_next: Option<i64>,
    /// The order's ledger record (orders only).
    pub order: Option<OrderView>,
    /// Exceptions about it, any state.
    pub exceptions: Vec<ExceptionView>,
    /// For a SKU: the buffer per location that would have prevented the oversells seen over
    /// the last 28 days (advice; never applied by the host).
    #[serde(default)]
    pub buffer_advice: Vec<crate::flows::inventory::advice::BufferAdvice>,
}

/// A plugin decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionView {
    /// Id.
    pub id: i64,
    /// Flow that asked.
    pub flow: String,
    /// Plugin id.
    pub plugin_id: String,
    /// Plugin build that decided.
    pub plugin_version: String,
    /// The decision in one sentence (buckets, buffer, plugin, cycle; warehouse and why).
    #[serde(default)]
    pub sentence: String,
    /// Why, as the plugin explained it (buckets read, buffer applied, warehouse chosen).
    #[schema(value_type = Object)]
    pub reason: Value,
    /// The value decided (pushed stock, mapped order).
    #[schema(value_type = Object)]
    pub value: Value,
    /// When.
    pub at: String,
}

/// An order in the ledger.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    /// State.
    pub state: String,
    /// ERP order number once injected.
    pub erp_order_no: Option<String>,
    /// Injection attempts.
    pub attempts: u32,
    /// Last error.
    pub last_error: Option<String>,
    /// State changes, oldest first.
    pub history: Vec<TransitionView>,
}

/// A state change of an order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransitionView {
    /// From.
    pub from: Option<String>,
    /// To.
    pub to: String,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub at: String,
}
