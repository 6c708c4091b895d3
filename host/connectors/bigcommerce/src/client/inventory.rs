//! Inventory V3 calls: absolute adjustments, items, locations.

use std::collections::BTreeMap;

use reqwest::Method;

use super::{Api, BigCommerceClient, Call, join};
use crate::error::Error;
use crate::model::{
    AbsoluteAdjustment, AdjustmentRequest, Envelope, InventoryItem, InventoryQuery, Location,
    NewLocation, TransactionId,
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
                let call = Call::new(Method::PUT, Api::V3, "/inventory/adjustments/absolute")
                    .json(&body)?;
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
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let mut call = Call::new(Method::GET, Api::V3, "/inventory/items")
                .query("page", page)
                .query("limit", 1000);
            if !query.skus.is_empty() {
                call = call.query("sku:in", join(&query.skus));
            }
            if !query.variant_ids.is_empty() {
                call = call.query("variant_id:in", join(&query.variant_ids));
            }
            if !query.location_ids.is_empty() {
                call = call.query("location_id:in", join(&query.location_ids));
            }
            let env: Envelope<Vec<InventoryItem>> = self.fetch(call).await?;
            let done = env.data.is_empty()
                || env
                    .meta
                    .pagination
                    .as_ref()
                    .is_none_or(|p| p.current_page >= p.total_pages);
            out.extend(env.data);
            if done {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Lists inventory locations.
    pub async fn list_locations(&self) -> Result<Vec<Location>, Error> {
        self.locations_where(None).await
    }

    async fn locations_where(&self, code: Option<&str>) -> Result<Vec<Location>, Error> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let mut call = Call::new(Method::GET, Api::V3, "/inventory/locations")
                .query("page", page)
                .query("limit", 250);
            if let Some(code) = code {
                call = call.query("location_code:in", code);
            }
            let env: Envelope<Vec<Location>> = self.fetch(call).await?;
            let done = env.data.is_empty()
                || env
                    .meta
                    .pagination
                    .as_ref()
                    .is_none_or(|p| p.current_page >= p.total_pages);
            out.extend(env.data);
            if done {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Creates a location and reads it back by code (the create answers only a transaction id).
    pub async fn create_location(&self, location: &NewLocation) -> Result<Location, Error> {
        let call = Call::new(Method::POST, Api::V3, "/inventory/locations")
            .json(std::slice::from_ref(location))?;
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
