//! Shipments on Sparklayer: a package per ERP shipment (its number as the package's
//! `external_id`), and the purchase's status from what has shipped.

use std::collections::BTreeMap;

use async_trait::async_trait;
use selvedge_bluecherry::model::Shipment;
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{LookupBy, Package, PackageLine};
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

async fn apply(
    sl: &SparklayerClient,
    purchase_id: &str,
    shipment: &Shipment,
) -> Result<Result<(), String>, PortError> {
    let Some(mut purchase) = sl.get_purchase(LookupBy::Sparklayer, purchase_id).await? else {
        return Ok(Err(format!(
            "purchase {purchase_id} not found in Sparklayer"
        )));
    };
    let number = json!(shipment.shipment_number);
    if purchase
        .packages
        .iter()
        .any(|p| p.extra.get("external_id") == Some(&number))
    {
        return Ok(Ok(()));
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
    // Full replace: the purchase was read just above, so nothing is dropped.
    sl.replace_purchase(LookupBy::Sparklayer, purchase_id, &purchase)
        .await?;
    Ok(Ok(()))
}
