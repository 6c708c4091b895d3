//! Credit memos (refunds).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Cents;

/// A credit memo line as we send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemoLineRequest {
    /// SKU returned or refunded.
    pub sku: String,
    /// Units credited, > 0.
    pub qty: i64,
    /// Unit credit.
    pub unit_price: Cents,
    /// Put the units back into stock (an inventory adjustment at the next cycle).
    pub restock: bool,
}

/// A credit memo as we send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemoRequest {
    /// Our reference (storefront refund id); the idempotency key.
    pub external_ref: String,
    /// Customer number.
    pub customer: String,
    /// ERP number of the order being credited.
    pub original_order: String,
    /// Free-text reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Tax refunded.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<CreditMemoLineRequest>,
}

/// Credit memo status: a refund is complete only once the memo is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoStatus {
    /// Entered, waiting for the next cycle to post.
    Open,
    /// Posted to the ledger.
    Posted,
}

/// A credit memo as the ERP holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemo {
    /// ERP memo number (`CM-500001`).
    pub memo_number: String,
    /// Our reference.
    pub external_ref: String,
    /// Customer.
    pub customer: String,
    /// Original order number.
    pub original_order: String,
    /// Status.
    pub status: MemoStatus,
    /// When it was posted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub posted_at: Option<OffsetDateTime>,
    /// Tax refunded.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<CreditMemoLineRequest>,
    /// Lines total plus tax.
    pub total: Cents,
}
