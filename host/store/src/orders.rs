//! Order ledger: one record per storefront order, from webhook to ERP order number.

use time::OffsetDateTime;

use crate::{Page, StoreFuture, Transition, text_enum};

text_enum! {
    /// Where a storefront order is on its way into the ERP.
    OrderState {
        /// Webhook accepted and queued.
        Received = "received",
        /// Checks and client rules running.
        Validating = "validating",
        /// ERP write in progress (each entry counts an attempt).
        Injecting = "injecting",
        /// The ERP has it: `erp_order_no` is set.
        Injected = "injected",
        /// Needs a person; see the exception queue.
        Exception = "exception",
        /// Cancelled on the storefront.
        Cancelled = "cancelled",
    }
}

impl OrderState {
    /// Whether [`OrderLedger::transition_order`] may move an order from `self` to `to`.
    /// `injected` is reached only through [`OrderLedger::record_injected`]; `cancelled` is final.
    pub fn can_go_to(self, to: OrderState) -> bool {
        use OrderState::*;
        match (self, to) {
            (_, Injected) | (Cancelled, _) => false,
            (Injected, to) => to == Cancelled,
            (Received, to) => to != Received,
            (Validating, to) => to != Received,
            (Injecting, to) => !matches!(to, Received | Validating),
            (Exception, to) => to != Received,
        }
    }
}

/// Identifies an order: unique per client and storefront.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderKey {
    /// Client the order belongs to.
    pub client: String,
    /// Storefront it was placed on.
    pub storefront: String,
    /// The storefront's order id.
    pub storefront_order_id: String,
}

impl OrderKey {
    /// Builds a key.
    pub fn new(client: &str, storefront: &str, storefront_order_id: &str) -> Self {
        Self {
            client: client.to_owned(),
            storefront: storefront.to_owned(),
            storefront_order_id: storefront_order_id.to_owned(),
        }
    }
}

impl std::fmt::Display for OrderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.client, self.storefront, self.storefront_order_id
        )
    }
}

/// What the ERP holds for an injected order, kept to detect drift later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErpSnapshot {
    /// Order value in minor currency units (cents).
    pub value_minor: i64,
    /// Total units ordered.
    pub qty: i64,
}

/// Units of one ERP SKU an order takes from one warehouse: counted as sold when the order is
/// recorded as injected (the inventory flow's weekly sales).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldUnits {
    /// ERP SKU.
    pub sku: String,
    /// ERP warehouse.
    pub location: String,
    /// Units.
    pub units: i64,
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Its key.
    pub key: OrderKey,
    /// Current state.
    pub state: OrderState,
    /// ERP order number once injected (or found in the ERP by our reference).
    pub erp_order_no: Option<String>,
    /// The reference the ERP order carries (the host's idempotency key), once assigned.
    pub erp_ref: Option<String>,
    /// Injection attempts (entries into `injecting`).
    pub attempts: u32,
    /// Note of the last move to `exception`.
    pub last_error: Option<String>,
    /// Hash of the payload first received, to spot a changed re-delivery.
    pub payload_hash: String,
    /// ERP value and quantity at injection.
    pub erp_snapshot: Option<ErpSnapshot>,
    /// First received.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// What [`OrderLedger::finish_injection`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    /// The order, injected.
    pub record: OrderRecord,
    /// Whether the job was completed too (false: its lease was lost to another claim).
    pub job_completed: bool,
}

/// The order ledger. Every change of state writes a history row in the same transaction.
pub trait OrderLedger: Send + Sync {
    /// Records a received order, or returns the existing record unchanged (a re-delivery).
    fn record_order_received<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord>;

    /// Moves an order to another state (see [`OrderState::can_go_to`]), with a note (the
    /// error, for `exception`). Entering `injecting` counts an attempt.
    fn transition_order<'a>(
        &'a self,
        key: &'a OrderKey,
        to: OrderState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord>;

    /// Records that the ERP holds the order as `erp_order_no`, and counts `sold` as units
    /// sold on `at`'s day in the same transaction. Idempotent for the same number (nothing is
    /// counted twice); a different number is refused with
    /// [`crate::StoreError::ConflictingErpNumber`] naming both; a cancelled order is refused.
    fn record_injected<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord>;

    /// The live record carrying `erp_ref` (revisions share it: the newest one not
    /// superseded), e.g. for a shipment the ERP reports.
    fn order_by_erp_ref<'a>(
        &'a self,
        client: &'a str,
        erp_ref: &'a str,
    ) -> StoreFuture<'a, Option<OrderRecord>>;

    /// Starts an injection attempt in one write: records the order as received (with
    /// `payload_hash`) unless the ledger knows it already, then moves it to `injecting` as a
    /// compare-and-set on the worker's lease, refused with [`crate::StoreError::LeaseLost`]
    /// unless `lease` is still its job's current claim. `erp_ref` becomes the order's
    /// reference unless it has one already (the record returned holds the one to use).
    fn start_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        lease: crate::JobLease,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord>;

    /// [`OrderLedger::record_injected`] and [`crate::JobQueue::complete`] of the order's job
    /// (`lease`, with `result`) in one write. The ledger record stands even when the lease
    /// is lost, since the ERP holds the order whoever owns the job now:
    /// [`Injection::job_completed`] says whether the job was completed.
    #[allow(clippy::too_many_arguments)]
    fn finish_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        lease: crate::JobLease,
        result: serde_json::Value,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Injection>;

    /// Units sold per (SKU, warehouse) on the days from `since` (inclusive) on, summed.
    fn units_sold_since<'a>(
        &'a self,
        client: &'a str,
        since: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<SoldUnits>>;

    /// An order by key.
    fn order<'a>(&'a self, key: &'a OrderKey) -> StoreFuture<'a, Option<OrderRecord>>;

    /// Its transitions, oldest first.
    fn order_history<'a>(
        &'a self,
        key: &'a OrderKey,
    ) -> StoreFuture<'a, Vec<Transition<OrderState>>>;

    /// Orders of a client in a state, oldest change first.
    fn orders_in_state<'a>(
        &'a self,
        client: &'a str,
        state: OrderState,
        page: Page,
    ) -> StoreFuture<'a, Vec<OrderRecord>>;
}

#[cfg(test)]
mod tests {
    use super::OrderState::{self, *};

    const ALL: [OrderState; 6] = [
        Received, Validating, Injecting, Injected, Exception, Cancelled,
    ];

    #[test]
    fn injected_is_reached_only_by_recording_and_cancelled_is_final() {
        for from in ALL {
            assert!(!from.can_go_to(Injected), "{from} -> injected");
            assert!(!from.can_go_to(Received), "{from} -> received");
            assert!(!Cancelled.can_go_to(from), "cancelled -> {from}");
        }
        assert!(Injected.can_go_to(Cancelled));
        assert!(
            !Injected.can_go_to(Exception),
            "an injected order is not re-flagged here"
        );
        assert!(Exception.can_go_to(Injecting), "retry after an exception");
        assert!(Injecting.can_go_to(Injecting), "another attempt");
    }

    #[test]
    fn stored_names_round_trip() {
        for state in ALL {
            assert_eq!(OrderState::parse(state.as_str()).ok(), Some(state));
        }
        assert!(OrderState::parse("shipped").is_err());
    }
}
