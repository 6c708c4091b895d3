//! Stock on BigCommerce: locations by id or code, absolute adjustments grouped by location,
//! 2,000 items a request; the inventory read for reconciliation.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use selvedge_bigcommerce::client::ADJUSTMENT_MAX_ITEMS;
use selvedge_bigcommerce::model::{
    AbsoluteAdjustment, InventoryQuery, ItemRef, LocationAddress, LocationType, NewLocation,
};

use super::BigCommerce;
use crate::storefronts::{LocationTarget, PortError, StockLine, StockSink, StockSnapshot};

/// Reason sent with adjustments (shows in the store's inventory history).
const ADJUSTMENT_REASON: &str = "Selvedge: Blue Cherry ATS";

#[async_trait]
impl StockSink for BigCommerce {
    async fn resolve_locations(
        &self,
        configured: &[String],
    ) -> Result<Vec<LocationTarget>, PortError> {
        let known = self.client.list_locations().await?;
        let mut out = Vec::new();
        for c in configured {
            let found = known
                .iter()
                .find(|l| c.parse::<i64>().is_ok_and(|id| id == l.id) || &l.code == c)
                .map(|l| l.id);
            let id = match found {
                Some(id) => id,
                // An unknown id is a config error; an unknown code is a warehouse the store
                // does not list yet: create it, as for Sparklayer.
                None if c.parse::<i64>().is_ok() => {
                    return Err(PortError::invalid(
                        super::NAME,
                        format!(
                            "inventory.locations: BigCommerce has no location with id {c}; \
                             use an id or code listed under Settings > Locations"
                        ),
                    ));
                }
                None => self.client.create_location(&new_location(c)).await?.id,
            };
            out.push(LocationTarget {
                configured: c.clone(),
                key: id.to_string(),
                numeric_id: Some(id),
            });
        }
        Ok(out)
    }

    fn split(&self, locations_of_lines: &[usize], locations: usize) -> Vec<Vec<usize>> {
        // Absolute adjustments: one location per request, 2,000 items at most.
        let mut by_location: Vec<Vec<usize>> = vec![Vec::new(); locations];
        for (i, location) in locations_of_lines.iter().enumerate() {
            if let Some(group) = by_location.get_mut(*location) {
                group.push(i);
            }
        }
        by_location
            .iter()
            .flat_map(|group| group.chunks(ADJUSTMENT_MAX_ITEMS).map(<[usize]>::to_vec))
            .collect()
    }

    async fn push(&self, targets: &[LocationTarget], lines: &[StockLine]) -> Result<(), PortError> {
        let items: Vec<AbsoluteAdjustment> = lines
            .iter()
            .filter_map(|c| {
                let location_id = targets.get(c.location)?.numeric_id?;
                let item = match c.variant_id {
                    Some(id) => ItemRef::VariantId(id),
                    None => ItemRef::Sku(c.sku.clone()),
                };
                Some(AbsoluteAdjustment {
                    location_id,
                    item,
                    quantity: c.qty,
                })
            })
            .collect();
        self.client
            .set_inventory_absolute(Some(ADJUSTMENT_REASON), &items)
            .await?;
        Ok(())
    }

    async fn read_stock(&self) -> Result<StockSnapshot, PortError> {
        let items = self
            .client
            .inventory_items(&InventoryQuery::default())
            .await?;
        let mut on_hand = HashMap::new();
        let mut skus = BTreeMap::new();
        for item in items {
            if item.identity.sku.is_empty() {
                continue;
            }
            for l in &item.locations {
                on_hand.insert(
                    (item.identity.sku.clone(), l.location_id.to_string()),
                    l.total_inventory_onhand,
                );
            }
            skus.insert(item.identity.sku.to_lowercase(), item.identity.sku);
        }
        Ok(StockSnapshot { on_hand, skus })
    }
}

/// A physical, enabled location named after the ERP warehouse code.
fn new_location(code: &str) -> NewLocation {
    NewLocation {
        code: code.to_string(),
        label: format!("Blue Cherry {code}"),
        enabled: true,
        type_id: LocationType::Physical,
        managed_by_external_source: true,
        time_zone: "UTC".into(),
        address: LocationAddress::default(),
    }
}
