//! The sync flows. Every flow is a folder of the same shape:
//!
//! - `mod.rs`: a settings struct (`<Flow>Settings`, serde, `deny_unknown_fields`) read from the
//!   client's config section of the same name, and a short
//!   `pub async fn run(ctx: &ClientServices, settings: &<Flow>Settings) -> Result<FlowReport, FlowError>`
//!   with its typed outcome (`<Flow>Outcome`, a [`FlowOutcome`]) from which the run's summary
//!   and measurements come;
//! - `plan.rs`: pure parts (inputs -> intended changes), unit-tested without I/O;
//! - `apply.rs`: I/O through the storefront's ports ([`crate::storefronts`]), or, for flows the
//!   job engine drives (orders, refunds), `worker.rs`: the flow's [`crate::jobs::Worker`].
//!
//! Flows never see a connector crate: the storefront is a [`Storefront`] behind ports, the ERP
//! an [`ErpGateway`]. Exceptions are raised through [`ClientServices::raise`] with the owner
//! team from config; plugin decisions are recorded in the decision audit with the plugin
//! version that made them.

pub mod b2b;
pub mod catalog;
pub mod fulfilment;
pub mod inventory;
pub mod orders;
pub mod reconcile;
pub mod refunds;
pub mod resync;

use std::sync::Arc;

use selvedge_bluecherry::ErpGateway;
use selvedge_runtime::{ClientPlugin, PluginError};
use selvedge_store::{Measurements, Store, StoreError};

use crate::storefronts::{CallCount, PortError, Storefront};

pub use crate::exceptions::{ExceptionKind, Owners};

/// Which flow a run or an exception belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    Catalog,
    Inventory,
    Orders,
    Fulfilment,
    Refunds,
    B2b,
    Reconciliation,
}

impl FlowKind {
    pub const ALL: [FlowKind; 7] = [
        FlowKind::Catalog,
        FlowKind::Inventory,
        FlowKind::Orders,
        FlowKind::Fulfilment,
        FlowKind::Refunds,
        FlowKind::B2b,
        FlowKind::Reconciliation,
    ];

    /// The flow named `name` (`inventory`, `orders`, ...).
    pub fn parse(name: &str) -> Option<FlowKind> {
        FlowKind::ALL.into_iter().find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Catalog => "catalog",
            FlowKind::Inventory => "inventory",
            FlowKind::Orders => "orders",
            FlowKind::Fulfilment => "fulfilment",
            FlowKind::Refunds => "refunds",
            FlowKind::B2b => "b2b",
            FlowKind::Reconciliation => "reconciliation",
        }
    }
}

impl std::fmt::Display for FlowKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a flow needs for one client. Cheap to clone.
#[derive(Clone)]
pub struct ClientServices {
    pub client: String,
    pub store: Arc<dyn Store>,
    pub erp: Arc<dyn ErpGateway>,
    /// The storefront behind its ports: flows never see a connector.
    pub storefront: Arc<dyn Storefront>,
    pub plugin: Arc<ClientPlugin>,
    pub owners: Arc<Owners>,
    /// Paces every ERP write (order create and revise, memo create); shared by every client
    /// on the same Blue Cherry account.
    pub erp_writes: Arc<crate::jobs::pacing::ErpWriteLimiter>,
    /// What the ERP had available at the client's last cycle, less what was injected since:
    /// order lines are checked against it for oversells.
    pub availability: Arc<inventory::availability::Availability>,
}

impl ClientServices {
    /// Raises (or re-sees) an exception with the owner team configured for its kind.
    pub async fn raise(
        &self,
        kind: ExceptionKind,
        subject: &str,
        summary: impl Into<String>,
        details: serde_json::Value,
    ) -> Result<(), FlowError> {
        let summary = summary.into();
        tracing::warn!(client = %self.client, kind = kind.as_str(), subject, %summary, "exception raised");
        self.store
            .raise_exception(
                selvedge_store::NewException {
                    client: self.client.clone(),
                    kind: kind.as_str().to_string(),
                    owner: self.owners.owner(kind).to_string(),
                    subject: subject.to_string(),
                    summary,
                    details,
                },
                time::OffsetDateTime::now_utc(),
            )
            .await?;
        Ok(())
    }
}

/// The prefix plugins put before order ids in ERP references before 0.2.0 (`BC-`, `SL-`):
/// the storefront's own; none for a storefront without orders.
pub(crate) fn legacy_prefix(ctx: &ClientServices) -> &'static str {
    ctx.storefront
        .orders()
        .map_or("", |orders| orders.legacy_ref_prefix())
}

/// What a flow run did, stored with the sync run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowReport {
    pub measurements: Measurements,
    /// One line for humans, e.g. `pushed 1,204 of 20,000 SKU-locations in 2 calls`.
    pub summary: String,
}

/// A flow's typed outcome: the one place its run's summary line and measurements come from
/// (no flow writes a measurement by name).
pub trait FlowOutcome {
    /// One line for humans.
    fn summary(&self) -> String;
    /// Records read, when the flow counts them.
    fn records(&self) -> Option<u64>;
    /// Records changed, when the flow counts them.
    fn changed(&self) -> Option<u64>;
    /// Storefront calls made (and answered 429), when the flow counts them.
    fn calls(&self) -> Option<CallCount> {
        None
    }
    /// The ERP cycle the run carried to the storefront, when it carried one.
    fn cycle(&self) -> Option<CycleTiming> {
        None
    }
    /// The flow's own measurements beside the common ones (the dashboard shows them by name).
    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    /// The run's report.
    fn report(&self) -> FlowReport {
        let mut report = FlowReport {
            summary: self.summary(),
            ..FlowReport::default()
        };
        let m = &mut report.measurements;
        m.records = self.records();
        m.changed = self.changed();
        if let Some(calls) = self.calls() {
            m.api_calls = Some(calls.calls);
            m.throttled = Some(calls.throttled);
        }
        if let Some(cycle) = self.cycle() {
            m.erp_cycle_id = Some(cycle.cycle_id.to_string());
            m.erp_cycle_end = Some(cycle.cycle_end);
            m.storefront_updated_at = Some(cycle.storefront_updated_at);
        }
        m.extra = self.extra();
        report
    }
}

/// An ERP cycle carried to the storefront: from its end to the storefront's update is the
/// latency a client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleTiming {
    pub cycle_id: u64,
    pub cycle_end: time::OffsetDateTime,
    pub storefront_updated_at: time::OffsetDateTime,
}

/// The fields of a serializable outcome as measurements.
pub(crate) fn extra_of(
    outcome: &impl serde::Serialize,
) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(outcome) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// Why a flow run failed as a whole (individual records go to the exception queue instead).
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("Blue Cherry: {0}")]
    Erp(#[from] selvedge_bluecherry::BlueCherryError),
    #[error(transparent)]
    Storefront(#[from] PortError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}
