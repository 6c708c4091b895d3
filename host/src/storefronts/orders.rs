//! The order and refund ports: what changed, the full order as the plugin's input, its
//! status, and the refunds to turn into credit memos.

use async_trait::async_trait;
use selvedge_runtime::rules::orders::StorefrontOrder;
use selvedge_runtime::rules::returns::Refund;
use time::OffsetDateTime;

use super::PortError;

/// What to do with an order in a given storefront status: one list per storefront, applied
/// on every path (webhook, status update, sweep), so an order the shop declined never becomes
/// an ERP sales order whichever way it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRule {
    /// A sale: inject it.
    Inject,
    /// Not decided yet (checkout not finished): check again later, up to a limit.
    Recheck,
    /// Never a sale: record why and do not inject.
    Skip(&'static str),
}

/// An order the storefront lists as changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOrder {
    pub id: String,
    pub status: StatusRule,
    pub modified_at: Option<OffsetDateTime>,
    /// For storefronts whose edits become ERP revisions: what of the order the ERP order is
    /// made of (an edit changes it, a status update does not).
    pub content_hash: Option<String>,
}

/// A full order, ready for the plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedOrder {
    /// The plugin's input. `erp_customer` names an ERP customer whose terms the host adds.
    pub order: StorefrontOrder,
    pub status: StatusRule,
    /// Identifies this content (the ledger compares revisions by it).
    pub content_hash: String,
}

/// An injected order's lines as the storefront has them now (for reconciliation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTotals {
    /// Sum of line prices (ex tax) times quantities, in cents.
    pub value_minor: i64,
    pub qty: i64,
}

/// Reads orders.
#[async_trait]
pub trait OrderSource: Send + Sync {
    /// Orders changed since `since` (inclusive); `None` is the first read.
    async fn changed_since(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<Vec<ListedOrder>, PortError>;

    /// The first poll of a new client starts from now (a store's history is not injected)
    /// instead of reading everything there is.
    fn first_poll_starts_now(&self) -> bool;

    /// Name of the client's cursor for [`OrderSource::changed_since`] in the store.
    fn cursor_name(&self) -> &'static str;

    /// An edit after injection becomes an ERP revision (Sparklayer); otherwise the order is
    /// injected once and later updates only matter for its status (BigCommerce).
    fn edits_are_revisions(&self) -> bool;

    /// The full order; `Ok(None)` when it no longer exists.
    async fn fetch(&self, id: &str) -> Result<Option<FetchedOrder>, PortError>;

    /// The order's status rule as the storefront has it now.
    async fn status(&self, id: &str) -> Result<StatusRule, PortError>;

    /// The order's lines now; `Ok(None)` when the order is gone or the storefront does not say.
    async fn totals(&self, id: &str) -> Result<Option<OrderTotals>, PortError>;

    /// The prefix plugins put before the order id in ERP references before references were
    /// the host's (`BC-`, `SL-`): orders sent then are found by it.
    fn legacy_ref_prefix(&self) -> &'static str;

    /// Registers the storefront's order webhooks to `destination`, sending `secret` in the
    /// secret header; returns how many were created.
    async fn register_webhooks(&self, destination: &str, secret: &str) -> Result<usize, PortError>;
}

/// A refund the storefront lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRefund {
    pub id: String,
    pub order_id: String,
    /// ISO 8601 in one format (compares as text), the poll's cursor.
    pub created: String,
}

/// A refund as the plugin's input, without the ERP side (sales order, customer, warehouse,
/// division), which the host adds.
pub type StorefrontRefund = Refund;

/// Reads refunds.
#[async_trait]
pub trait RefundSource: Send + Sync {
    /// Refunds created since `since` (inclusive, the previous answer's `created`).
    async fn created_since(&self, since: Option<&str>) -> Result<Vec<ListedRefund>, PortError>;

    /// One refund of `order_id` as the plugin's input.
    async fn fetch(&self, refund_id: &str, order_id: &str) -> Result<StorefrontRefund, PortError>;
}
