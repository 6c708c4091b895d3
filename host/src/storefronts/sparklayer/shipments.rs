//! Shipments on Sparklayer: a package per ERP shipment (its number as the package's
//! `external_id`), and the purchase's status from what has shipped.
//!
//! Sparklayer's purchase write is a full replace (`PUT /api/v1/purchases/...`) with no version,
//! ETag or condition (see the Sparklayer facts), so a write from a stale copy would drop
//! whatever another writer added meanwhile, such as an admin's new return. The host re-reads
//! right before the write and writes only over an unchanged copy, adding the shipment to the
//! newer one otherwise. What it cannot close is the one round trip between that last read and
//! the write: only a conditional write from Sparklayer could.

use std::collections::BTreeMap;

use async_trait::async_trait;
use selvedge_bluecherry::model::Shipment;
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{LookupBy, Package, PackageLine, Purchase};
use serde_json::json;

use super::Sparklayer;
use crate::storefronts::{PortError, ShipmentSink};

#[async_trait]
impl ShipmentSink for Sparklayer {
    async fn apply_shipment(
        &self,
        purchase_id: &str,
        shipment: &Shipment,
    ) -> Result<Result<(), String>, PortError> {
        apply(&self.client, purchase_id, shipment).await
    }
}

/// Reads that may find the purchase changed by someone else before this shipment is written.
const MAX_READS: usize = 4;

async fn apply(
    sl: &SparklayerClient,
    purchase_id: &str,
    shipment: &Shipment,
) -> Result<Result<(), String>, PortError> {
    let not_found = || format!("purchase {purchase_id} not found in Sparklayer");
    let Some(mut seen) = sl.get_purchase(LookupBy::Sparklayer, purchase_id).await? else {
        return Ok(Err(not_found()));
    };
    for _ in 0..MAX_READS {
        let mut shipped = seen.clone();
        if !add_shipment(&mut shipped, shipment) {
            return Ok(Ok(()));
        }
        // The PUT replaces the whole purchase and Sparklayer offers no version or condition
        // to send with it: read again right before writing, and write only if nobody changed
        // the purchase since the copy this shipment was added to. Otherwise add it to theirs
        // (an admin's new return is kept, not overwritten).
        let Some(fresh) = sl.get_purchase(LookupBy::Sparklayer, purchase_id).await? else {
            return Ok(Err(not_found()));
        };
        if fresh == seen {
            sl.replace_purchase(LookupBy::Sparklayer, purchase_id, &shipped)
                .await?;
            return Ok(Ok(()));
        }
        seen = fresh;
    }
    Err(PortError::Other {
        storefront: super::NAME,
        message: format!("purchase {purchase_id} kept changing while a shipment was written"),
        transient: true,
    })
}

/// Adds `shipment` to `purchase` as a package with the status it implies; false when the
/// purchase already has it.
fn add_shipment(purchase: &mut Purchase, shipment: &Shipment) -> bool {
    let number = json!(shipment.shipment_number);
    if purchase
        .packages
        .iter()
        .any(|p| p.extra.get("external_id") == Some(&number))
    {
        return false;
    }
    let mut extra = serde_json::Map::new();
    extra.insert("external_id".into(), number);
    purchase.packages.push(Package {
        package_type: "shipment".into(),
        status: Some("shipped".into()),
        carrier: Some(shipment.carrier.clone()),
        tracking_number: Some(shipment.tracking.clone()),
        tracking_url: None,
        lines: shipment
            .lines
            .iter()
            .map(|l| PackageLine {
                sku: l.sku.clone(),
                quantity: u32::try_from(l.qty).unwrap_or(0),
            })
            .collect(),
        extra,
    });
    let mut shipped: BTreeMap<String, u64> = BTreeMap::new();
    for p in purchase
        .packages
        .iter()
        .filter(|p| p.package_type == "shipment")
    {
        for l in &p.lines {
            *shipped.entry(l.sku.to_ascii_uppercase()).or_default() += u64::from(l.quantity);
        }
    }
    let complete = purchase.line_items.iter().all(|l| {
        shipped
            .get(&l.sku.to_ascii_uppercase())
            .copied()
            .unwrap_or(0)
            >= u64::from(l.quantity)
    });
    purchase.status = Some(if complete { "shipped" } else { "processing" }.into());
    purchase
        .purchase_identifiers
        .set(LookupBy::Internal, shipment.order_number.clone());
    true
}
