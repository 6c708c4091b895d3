//! One ERP shipment to its storefront order: found by the reference the host stored (or the
//! plugin's old prefix), then applied through the storefront's shipment port.

use selvedge_bluecherry::model::Shipment;
use selvedge_store::OrderKey;

use super::FulfilmentSettings;
use crate::flows::{ClientServices, FlowError};

/// Why one shipment was not applied.
pub(super) enum Skip {
    /// Not this client's order.
    NotOurs,
    /// Cannot be applied as is: an exception, and the feed moves on.
    Failed(String),
}

pub(super) async fn apply(
    ctx: &ClientServices,
    settings: &FulfilmentSettings,
    shipment: &Shipment,
) -> Result<Result<(), Skip>, FlowError> {
    // By the reference stored in the ledger; orders sent before references were the host's
    // are found by the prefix their plugin used.
    let record = match ctx
        .store
        .order_by_erp_ref(&ctx.client, &shipment.external_ref)
        .await?
    {
        Some(rec) => Some(rec),
        None => {
            let prefix = settings
                .external_ref_prefix
                .as_deref()
                .unwrap_or(ctx.storefront.orders()?.legacy_ref_prefix());
            let Some(legacy_id) = shipment.external_ref.strip_prefix(prefix) else {
                return Ok(Err(Skip::NotOurs));
            };
            let key = OrderKey::new(&ctx.client, ctx.storefront.name(), legacy_id);
            ctx.store.order(&key).await?
        }
    };
    let ledger_id = match record {
        Some(rec) if rec.erp_order_no.as_deref() == Some(&shipment.order_number) => {
            rec.key.storefront_order_id
        }
        _ => {
            return Ok(Err(Skip::Failed(format!(
                "{} ({}) is not an order this host injected",
                shipment.order_number, shipment.external_ref
            ))));
        }
    };
    let ledger_id = ledger_id.as_str();
    // A re-synced Sparklayer edit carries `~rN`; the storefront knows the base id.
    let storefront_id = ledger_id.split('~').next().unwrap_or(ledger_id);
    Ok(ctx
        .storefront
        .shipments()?
        .apply_shipment(storefront_id, shipment)
        .await?
        .map_err(Skip::Failed))
}
