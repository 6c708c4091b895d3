//! Shipment confirmations, read by cursor.

use super::BlueCherryClient;
use crate::error::Error;
use crate::model::ShipmentPage;

impl BlueCherryClient {
    /// Up to `limit` shipments after `cursor` (from the start when `None`).
    pub async fn list_shipments(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ShipmentPage, Error> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(c) = cursor {
            query.push(("since", c.to_string()));
        }
        self.get("/shipments", query).await
    }
}
