//! Recorded plugin calls and shadow runs.
//!
//! Every live plugin call's input (its arguments and the config the plugin could read) is
//! stored with the decisions made from it, in one write: a decision names its call
//! ([`Decision::call_id`]), so "why" can run the same call again on any build of the plugin
//! (replay), and a candidate build can be tried on the client's recent real calls before it
//! goes live (a shadow run, whose report is kept here too).

use serde_json::Value;
use time::OffsetDateTime;

use crate::{Decision, StoreFuture};

/// One recorded plugin call.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginCall {
    /// Digest of the plugin version and the input: the same call recorded twice is one row.
    pub id: String,
    /// Client whose plugin was called.
    pub client: String,
    /// Flow that called it (`inventory`, `orders`, ...).
    pub flow: String,
    /// The rule called (`compute-ats`, `map-orders`, ...).
    pub call: String,
    /// Plugin id.
    pub plugin_id: String,
    /// Digest of the plugin build that answered.
    pub plugin_version: String,
    /// The call's arguments and the config it could read: JSON text in the runtime's
    /// recorded form, stored as written.
    pub input: String,
    /// Names of the stock rows, in order (`SKU@LOCATION`); empty for calls whose decisions
    /// name their subject.
    pub labels: Vec<String>,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A recorded call without its (possibly large) input.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginCallSummary {
    /// The call's id.
    pub id: String,
    /// Flow that called.
    pub flow: String,
    /// The rule called.
    pub call: String,
    /// Plugin id.
    pub plugin_id: String,
    /// Build that answered.
    pub plugin_version: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A shadow run to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewShadowRun {
    /// Client.
    pub client: String,
    /// Digest of the candidate build.
    pub candidate: String,
    /// Digest of the live build it ran beside.
    pub live: String,
    /// Recorded calls it ran.
    pub calls: u64,
    /// Subjects whose decision changed, over every call.
    pub changed: u64,
    /// The whole report, as shown to the operator.
    pub report: Value,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A stored shadow run.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowRun {
    /// Store-assigned id.
    pub id: i64,
    /// The run.
    pub run: NewShadowRun,
    /// Who accepted its differences after review, if anyone.
    pub accepted_by: Option<String>,
    /// When it was accepted.
    pub accepted_at: Option<OffsetDateTime>,
}

impl ShadowRun {
    /// A candidate may go live after this run: nothing changed, or a person accepted it.
    pub fn clears(&self) -> bool {
        self.run.changed == 0 || self.accepted_by.is_some()
    }
}

/// Recorded calls and shadow runs.
pub trait PluginCalls: Send + Sync {
    /// Stores `calls` (those not stored yet) and `decisions` in one write.
    fn record_call_decisions<'a>(
        &'a self,
        calls: &'a [PluginCall],
        decisions: &'a [Decision],
    ) -> StoreFuture<'a, ()>;

    /// One recorded call of `client`.
    fn plugin_call<'a>(
        &'a self,
        client: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<PluginCall>>;

    /// The newest recorded calls of `client` to the rule `call`, newest first.
    fn recent_plugin_calls<'a>(
        &'a self,
        client: &'a str,
        call: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PluginCallSummary>>;

    /// Stores a shadow run; returns its id.
    fn record_shadow_run<'a>(&'a self, run: &'a NewShadowRun) -> StoreFuture<'a, i64>;

    /// The newest shadow runs of `client` (of one candidate, if given), newest first.
    fn shadow_runs<'a>(
        &'a self,
        client: &'a str,
        candidate: Option<&'a str>,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ShadowRun>>;

    /// Records that `by` reviewed and accepted a shadow run's differences; false when the
    /// client has no such run.
    fn accept_shadow_run<'a>(
        &'a self,
        client: &'a str,
        id: i64,
        by: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, bool>;
}
