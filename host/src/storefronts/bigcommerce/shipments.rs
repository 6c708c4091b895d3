//! Shipments on BigCommerce: one shipment per order address, tracking and carrier, the ERP
//! shipment number in `comments` so a shipment is never sent twice.

use std::collections::BTreeMap;

use async_trait::async_trait;
use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::{NewShipment, ShipmentItem};
use selvedge_bluecherry::model::Shipment;

use super::BigCommerce;
use crate::storefronts::{PortError, ShipmentSink};

fn marker(shipment: &Shipment) -> String {
    format!("Blue Cherry shipment {}", shipment.shipment_number)
}

/// Provider codes BigCommerce knows; other carriers go as a custom carrier name.
fn provider(carrier: &str) -> Option<String> {
    let c = carrier.to_ascii_lowercase();
    ["ups", "fedex", "usps", "dhl", "auspost", "royalmail"]
        .contains(&c.as_str())
        .then_some(c)
}

#[async_trait]
impl ShipmentSink for BigCommerce {
    async fn apply_shipment(
        &self,
        order_id: &str,
        shipment: &Shipment,
    ) -> Result<Result<(), String>, PortError> {
        let bc = &self.client;
        let Ok(id) = order_id.parse::<i64>() else {
            return Ok(Err(format!("`{order_id}` is not a BigCommerce order id")));
        };
        apply(bc, id, shipment).await
    }
}

async fn apply(
    bc: &BigCommerceClient,
    id: i64,
    shipment: &Shipment,
) -> Result<Result<(), String>, PortError> {
    let (products, existing) = tokio::try_join!(bc.order_products(id), bc.list_shipments(id))?;
    let marker = marker(shipment);
    // Units still open per order line, reduced by what this shipment takes.
    let mut open: Vec<(i64, i64, String, i64)> = products
        .iter()
        .map(|p| {
            (
                p.id,
                p.order_address_id,
                p.sku.clone(),
                p.quantity - p.quantity_shipped,
            )
        })
        .collect();
    let mut by_address: BTreeMap<i64, Vec<ShipmentItem>> = BTreeMap::new();
    for line in &shipment.lines {
        let mut left = line.qty;
        for (product_id, address_id, sku, remaining) in open.iter_mut() {
            if left == 0 || *remaining <= 0 || !sku.eq_ignore_ascii_case(&line.sku) {
                continue;
            }
            let take = left.min(*remaining);
            *remaining -= take;
            left -= take;
            by_address
                .entry(*address_id)
                .or_default()
                .push(ShipmentItem {
                    order_product_id: *product_id,
                    product_id: None,
                    quantity: take,
                });
        }
        if left > 0 && !existing.iter().any(|s| s.comments == marker) {
            return Ok(Err(format!(
                "{} units of {} shipped but not open on BigCommerce order {id}",
                left, line.sku
            )));
        }
    }
    for (address_id, items) in by_address {
        let done = existing
            .iter()
            .any(|s| s.comments == marker && s.order_address_id == address_id);
        if done {
            continue;
        }
        let tracking: String = shipment.tracking.chars().take(50).collect();
        let provider = provider(&shipment.carrier);
        bc.create_shipment(
            id,
            &NewShipment {
                order_address_id: address_id,
                tracking_number: tracking,
                tracking_carrier: provider.is_none().then(|| shipment.carrier.clone()),
                shipping_provider: provider,
                shipping_method: None,
                comments: Some(marker.clone()),
                items,
            },
        )
        .await?;
    }
    Ok(Ok(()))
}
