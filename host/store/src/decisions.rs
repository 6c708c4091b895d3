//! Decision audit: what a client rule plugin decided, with which version, and why.

use serde_json::Value;
use time::OffsetDateTime;

use crate::StoreFuture;

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Client whose plugin decided.
    pub client: String,
    /// Flow that asked (e.g. `inventory`, `orders`).
    pub flow: String,
    /// What it decided about (SKU, order id, ...).
    pub subject: String,
    /// Plugin id.
    pub plugin_id: String,
    /// Hash of the plugin build that decided.
    pub plugin_version: String,
    /// Why, as the plugin explained it.
    pub reason: Value,
    /// The decided value.
    pub value: Value,
    /// The recorded plugin call it was made from ([`crate::PluginCall::id`]), if recorded.
    pub call_id: Option<String>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    /// Store-assigned id; increases with insertion order.
    pub id: i64,
    /// The decision.
    pub decision: Decision,
}

/// The decision audit log (append-only).
pub trait DecisionAudit: Send + Sync {
    /// Appends decisions in one transaction.
    fn record_decisions<'a>(&'a self, decisions: &'a [Decision]) -> StoreFuture<'a, ()>;

    /// The latest decisions about a subject, newest first; `flow: None` means any flow.
    fn latest_decisions<'a>(
        &'a self,
        client: &'a str,
        flow: Option<&'a str>,
        subject: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<DecisionRecord>> {
        self.decisions_before(client, flow, subject, None, limit)
    }

    /// A page of [`DecisionAudit::latest_decisions`]: decisions with an id below `before`
    /// (the last id of the previous page), newest first.
    fn decisions_before<'a>(
        &'a self,
        client: &'a str,
        flow: Option<&'a str>,
        subject: &'a str,
        before: Option<i64>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<DecisionRecord>>;
}
