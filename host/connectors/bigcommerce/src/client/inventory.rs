//! Inventory V3 calls: absolute adjustments, items, locations.

use std::collections::BTreeMap;

use super::paging::{Params, param};
use super::{BigCommerceClient, Call, Operation, join};
use crate::error::Error;
use crate::model::{
    AbsoluteAdjustment, AdjustmentRequest, InventoryItem, InventoryQuery, Location, NewLocation,
    TransactionId,
};

/// Most items (items x locations) one adjustment request may carry.
pub const ADJUSTMENT_MAX_ITEMS: usize = 2_000;

impl BigCommerceClient {
    /// Sets absolute stock levels. Items are grouped by location and sent in requests of at most
    /// [`ADJUSTMENT_MAX_ITEMS`], one after the other (each waits for the previous 200).
    /// Returns the transaction ids. BigCommerce applies them asynchronously.
    pub async fn set_inventory_absolute(
        &self,
        reason: Option<&str>,
        items: &[AbsoluteAdjustment],
    ) -> Result<Vec<String>, Error> {
        let mut by_location: BTreeMap<i64, Vec<AbsoluteAdjustment>> = BTreeMap::new();
        for item in items {
            by_location
                .entry(item.location_id)
                .or_default()
                .push(item.clone());
        }
        let mut transactions = Vec::new();
        for group in by_location.values() {
            for chunk in group.chunks(ADJUSTMENT_MAX_ITEMS) {
                let body = AdjustmentRequest {
                    reason: reason.map(str::to_owned),
                    items: chunk.to_vec(),
                };
                let call = Call::new(Operation::PutInventoryAbsolute, &[]).json(&body)?;
                let tx: TransactionId = self.fetch(call).await?;
                transactions.push(tx.transaction_id);
            }
        }
        Ok(transactions)
    }

    /// Reads inventory items (all pages).
    pub async fn inventory_items(
        &self,
        query: &InventoryQuery,
    ) -> Result<Vec<InventoryItem>, Error> {
        let mut params = Params::new();
        if !query.skus.is_empty() {
            param(&mut params, "sku:in", join(&query.skus));
        }
        if !query.variant_ids.is_empty() {
            param(&mut params, "variant_id:in", join(&query.variant_ids));
        }
        if !query.location_ids.is_empty() {
            param(&mut params, "location_id:in", join(&query.location_ids));
        }
        self.v3_all(Operation::GetInventoryItems, &[], &params, 1000)
            .await
    }

    /// Lists inventory locations.
    pub async fn list_locations(&self) -> Result<Vec<Location>, Error> {
        self.locations_where(None).await
    }

    async fn locations_where(&self, code: Option<&str>) -> Result<Vec<Location>, Error> {
        let mut params = Params::new();
        if let Some(code) = code {
            param(&mut params, "location_code:in", code);
        }
        self.v3_all(Operation::GetLocations, &[], &params, 250)
            .await
    }

    /// Creates a location and reads it back by code (the create answers only a transaction id).
    pub async fn create_location(&self, location: &NewLocation) -> Result<Location, Error> {
        let call =
            Call::new(Operation::CreateLocations, &[]).json(std::slice::from_ref(location))?;
        let _: TransactionId = self.fetch(call).await?;
        self.locations_where(Some(&location.code))
            .await?
            .into_iter()
            .find(|l| l.code == location.code)
            .ok_or_else(|| Error::NotFound {
                method: "GET".into(),
                path: "/inventory/locations".into(),
                message: format!("location `{}` not visible after create", location.code),
            })
    }
}
