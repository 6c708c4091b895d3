//! A plugin call as data: what the plugin was asked and everything it could read, so the
//! same call can be made again later (shadow runs, replay) on any build of the plugin.
//!
//! A plugin has no clock, network or files: its answer depends on its arguments and on what
//! it read through the host imports (`config-value`, `mapping-table`), which is the client's
//! [`ClientContext`]. A [`RecordedInput`] holds both, so running it again with the same build
//! gives the same answer, byte for byte.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bindings::rules::{catalog, inventory, orders, pricing, returns};
use crate::calls::Called;
use crate::context::ClientContext;
use crate::error::PluginError;
use crate::fixtures::CallKind;
use crate::limits::PluginLimits;
use crate::runtime::PluginVersion;

/// The arguments of one plugin call, one variant per rule.
// One value per call, never held in bulk: the column headers' size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CallInput {
    ComputeAts {
        stock: inventory::StockContext,
        rows: inventory::StockRows,
    },
    MapOrders {
        orders: Vec<orders::StorefrontOrder>,
    },
    MapStyles {
        styles: Vec<catalog::ErpStyle>,
    },
    MapRefunds {
        refunds: Vec<returns::Refund>,
    },
    MapPrices {
        prices: Vec<pricing::ErpPrice>,
    },
}

/// What one plugin call answered, one variant per rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CallOutput {
    ComputeAts {
        ats: inventory::AtsRows,
    },
    MapOrders {
        decisions: Vec<orders::OrderDecision>,
    },
    MapStyles {
        decisions: Vec<catalog::CatalogDecision>,
    },
    MapRefunds {
        decisions: Vec<returns::RefundDecision>,
    },
    MapPrices {
        decision: pricing::PricingDecision,
    },
}

impl CallInput {
    /// The rule this call asks.
    pub fn kind(&self) -> CallKind {
        match self {
            CallInput::ComputeAts { .. } => CallKind::ComputeAts,
            CallInput::MapOrders { .. } => CallKind::MapOrders,
            CallInput::MapStyles { .. } => CallKind::MapStyles,
            CallInput::MapRefunds { .. } => CallKind::MapRefunds,
            CallInput::MapPrices { .. } => CallKind::MapPrices,
        }
    }

    /// Makes this call on `plugin` with `context` under `limits`.
    pub fn run(
        &self,
        plugin: &PluginVersion,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
    ) -> Result<Called<CallOutput>, PluginError> {
        fn wrap<T>(called: Called<T>, f: impl FnOnce(T) -> CallOutput) -> Called<CallOutput> {
            Called {
                output: f(called.output),
                report: called.report,
            }
        }
        Ok(match self {
            CallInput::ComputeAts { stock, rows } => {
                wrap(plugin.compute_ats(context, limits, stock, rows)?, |ats| {
                    CallOutput::ComputeAts { ats }
                })
            }
            CallInput::MapOrders { orders } => {
                wrap(plugin.map_orders(context, limits, orders)?, |decisions| {
                    CallOutput::MapOrders { decisions }
                })
            }
            CallInput::MapStyles { styles } => {
                wrap(plugin.map_styles(context, limits, styles)?, |decisions| {
                    CallOutput::MapStyles { decisions }
                })
            }
            CallInput::MapRefunds { refunds } => {
                wrap(plugin.map_refunds(context, limits, refunds)?, |decisions| {
                    CallOutput::MapRefunds { decisions }
                })
            }
            CallInput::MapPrices { prices } => {
                wrap(plugin.map_prices(context, limits, prices)?, |decision| {
                    CallOutput::MapPrices { decision }
                })
            }
        })
    }
}

/// A call's arguments with the config the plugin could read while answering it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedInput {
    /// The client's `[rules]` and `[mappings]` as the call saw them.
    pub context: Arc<ClientContext>,
    pub input: CallInput,
}

/// The stored form: `{"context": {"rules", "mappings"}, "input": {"call": .., ..}}`.
#[derive(Serialize)]
struct WireRef<'a> {
    context: &'a ClientContext,
    input: &'a CallInput,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    context: ClientContext,
    input: CallInput,
}

/// A stored call input that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("recorded plugin call cannot be read: {0}")]
pub struct RecordedError(String);

impl RecordedInput {
    pub fn new(context: Arc<ClientContext>, input: CallInput) -> Self {
        Self { context, input }
    }

    /// The JSON text stored for this input (written straight to text: a 100,000-row cycle
    /// never becomes a tree of values).
    pub fn to_text(&self) -> Result<String, RecordedError> {
        serde_json::to_string(&WireRef {
            context: &self.context,
            input: &self.input,
        })
        .map_err(|e| RecordedError(e.to_string()))
    }

    /// Reads a stored input back; `client` names the client for the plugin's logs and errors.
    pub fn from_text(client: &str, text: &str) -> Result<Self, RecordedError> {
        let wire: Wire = serde_json::from_str(text).map_err(|e| RecordedError(e.to_string()))?;
        let mut context = wire.context;
        context.client = client.to_string();
        Ok(Self {
            context: Arc::new(context),
            input: wire.input,
        })
    }

    /// The id of a call with the stored input `text` answered by plugin build `version`: a
    /// digest of both, so the same call recorded twice (a retried batch) is stored once.
    pub fn call_id(version: &str, text: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(version.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hex::encode(&hash.finalize()[..16])
    }

    /// Makes the call again on `plugin` under `limits`, with the recorded context.
    pub fn run(
        &self,
        plugin: &PluginVersion,
        limits: &PluginLimits,
    ) -> Result<Called<CallOutput>, PluginError> {
        self.input.run(plugin, &self.context, limits)
    }
}

/// Makes a recorded call again on `plugin`, on a blocking thread holding one of the pool's
/// instance slots like a live call (it is not counted as one: shadow runs and replays never
/// move a version's failure rate).
pub async fn run_pooled(
    plugin: Arc<PluginVersion>,
    input: Arc<RecordedInput>,
    limits: PluginLimits,
) -> Result<Called<CallOutput>, PluginError> {
    let slot = plugin
        .runtime()
        .pool_slot()
        .await
        .map_err(|e| plugin.error(e.into()))?;
    let task_plugin = plugin.clone();
    slot.run(move || input.run(&task_plugin, &limits))
        .await
        .map_err(|e| plugin.error(e.into()))
        .and_then(|r| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders_input() -> RecordedInput {
        let case: serde_json::Value = serde_json::from_str(include_str!(
            "../../../plugins/b2c-apparel/fixtures/orders-invalid-rejected.json"
        ))
        .unwrap();
        let orders: Vec<orders::StorefrontOrder> =
            serde_json::from_value(case["input"].clone()).unwrap();
        RecordedInput::new(
            Arc::new(ClientContext::new("acme").with_rule("buffer", "2")),
            CallInput::MapOrders { orders },
        )
    }

    #[test]
    fn a_recorded_input_reads_back_equal_and_keeps_its_id() {
        let input = orders_input();
        let text = input.to_text().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["input"]["call"], "map-orders");
        assert_eq!(json["context"]["rules"]["buffer"], "2");
        let back = RecordedInput::from_text("acme", &text).unwrap();
        assert_eq!(back, input);
        assert_eq!(back.to_text().unwrap(), text, "stored text is stable");
        let id = RecordedInput::call_id("v1", &text);
        assert_eq!(id, RecordedInput::call_id("v1", &back.to_text().unwrap()));
        assert_ne!(id, RecordedInput::call_id("v2", &text));
    }

    #[test]
    fn a_stored_input_with_an_unknown_field_is_refused_by_name() {
        let mut json: serde_json::Value =
            serde_json::from_str(&orders_input().to_text().unwrap()).unwrap();
        json["input"]["extra"] = serde_json::json!(1);
        let err = RecordedInput::from_text("acme", &json.to_string()).unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
    }
}
