//! Credit-memo ledger: one record per storefront refund, until the ERP memo is posted.

use time::OffsetDateTime;

use crate::{StoreFuture, Transition, text_enum};

text_enum! {
    /// Where a refund is on its way to an ERP credit memo.
    RefundState {
        /// Webhook accepted and queued.
        Received = "received",
        /// ERP write in progress (each entry counts an attempt).
        Posting = "posting",
        /// The ERP has the memo: `memo_no` is set.
        Posted = "posted",
        /// Needs a person; see the exception queue.
        Exception = "exception",
    }
}

impl RefundState {
    /// Whether [`RefundLedger::transition_refund`] may move a refund from `self` to `to`.
    /// `posted` is reached only through [`RefundLedger::record_memo_posted`] and is final.
    pub fn can_go_to(self, to: RefundState) -> bool {
        use RefundState::*;
        !matches!((self, to), (Posted, _) | (_, Posted) | (_, Received))
    }
}

/// A refund to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// Client the refund belongs to.
    pub client: String,
    /// Storefront refund id: unique per client.
    pub refund_id: String,
    /// Storefront it came from.
    pub storefront: String,
    /// The refunded order, when known.
    pub storefront_order_id: Option<String>,
    /// Hash of the received payload.
    pub payload_hash: String,
}

/// A stored refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// Client the refund belongs to.
    pub client: String,
    /// Storefront refund id.
    pub refund_id: String,
    /// Storefront it came from.
    pub storefront: String,
    /// The refunded order, when known.
    pub storefront_order_id: Option<String>,
    /// Current state.
    pub state: RefundState,
    /// ERP credit memo number once posted.
    pub memo_no: Option<String>,
    /// The reference the credit memo carries (the host's idempotency key), once assigned.
    pub erp_ref: Option<String>,
    /// Posting attempts (entries into `posting`).
    pub attempts: u32,
    /// Note of the last move to `exception`.
    pub last_error: Option<String>,
    /// Hash of the payload first received.
    pub payload_hash: String,
    /// First received.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// The credit-memo ledger; same idempotent semantics as the order ledger.
pub trait RefundLedger: Send + Sync {
    /// Records a received refund, or returns the existing record unchanged.
    fn record_refund_received<'a>(
        &'a self,
        refund: &'a NewRefund,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord>;

    /// Moves a refund to another state (see [`RefundState::can_go_to`]); entering
    /// `posting` counts an attempt.
    fn transition_refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        to: RefundState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord>;

    /// Records the ERP credit memo. Idempotent for the same number; a different number is
    /// refused with [`crate::StoreError::ConflictingErpNumber`] naming both.
    fn record_memo_posted<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        memo_no: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord>;

    /// Stores `erp_ref` as the refund's memo reference unless it has one already; returns
    /// the record, whose `erp_ref` is the one to use (the first assignment wins forever).
    fn assign_refund_ref<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord>;

    /// A refund by id.
    fn refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Option<RefundRecord>>;

    /// Its transitions, oldest first.
    fn refund_history<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Vec<Transition<RefundState>>>;
}
