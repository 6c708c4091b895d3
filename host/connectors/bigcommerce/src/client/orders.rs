//! Orders V2 calls: orders, lines, shipping addresses, status, shipments.

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::{Api, BigCommerceClient, Call};
use crate::error::Error;
use crate::model::{
    NewShipment, Order, OrderProduct, OrderQuery, Shipment, ShippingAddress, StatusUpdate,
};

/// V2 page size (its maximum).
const V2_LIMIT: usize = 250;

impl BigCommerceClient {
    /// Lists orders matching `query`, all pages, oldest first.
    pub async fn list_orders(&self, query: &OrderQuery) -> Result<Vec<Order>, Error> {
        let mut base = vec![("sort".to_owned(), "date_modified:asc".to_owned())];
        if let Some(min) = &query.min_date_modified {
            base.push(("min_date_modified".into(), min.clone()));
        }
        if let Some(status) = query.status_id {
            base.push(("status_id".into(), status.to_string()));
        }
        if let Some(min_id) = query.min_id {
            base.push(("min_id".into(), min_id.to_string()));
        }
        self.v2_pages("/orders", &base).await
    }

    /// One order.
    pub async fn get_order(&self, order_id: i64) -> Result<Order, Error> {
        self.fetch(Call::new(
            Method::GET,
            Api::V2,
            format!("/orders/{order_id}"),
        ))
        .await
    }

    /// The lines of an order.
    pub async fn order_products(&self, order_id: i64) -> Result<Vec<OrderProduct>, Error> {
        self.v2_pages(&format!("/orders/{order_id}/products"), &[])
            .await
    }

    /// The shipping addresses of an order (with the chosen shipping method).
    pub async fn order_shipping_addresses(
        &self,
        order_id: i64,
    ) -> Result<Vec<ShippingAddress>, Error> {
        self.v2_pages(&format!("/orders/{order_id}/shipping_addresses"), &[])
            .await
    }

    /// Sets an order's status.
    pub async fn update_order_status(&self, order_id: i64, status_id: i64) -> Result<Order, Error> {
        let call = Call::new(Method::PUT, Api::V2, format!("/orders/{order_id}"))
            .json(&StatusUpdate { status_id })?;
        self.fetch(call).await
    }

    /// Creates a (possibly partial) shipment. Not retried: on a timeout, list shipments first.
    pub async fn create_shipment(
        &self,
        order_id: i64,
        shipment: &NewShipment,
    ) -> Result<Shipment, Error> {
        let call = Call::new(
            Method::POST,
            Api::V2,
            format!("/orders/{order_id}/shipments"),
        )
        .json(shipment)?;
        self.fetch(call).await
    }

    /// The shipments of an order.
    pub async fn list_shipments(&self, order_id: i64) -> Result<Vec<Shipment>, Error> {
        self.v2_pages(&format!("/orders/{order_id}/shipments"), &[])
            .await
    }

    async fn v2_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(String, String)],
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let mut call = Call::new(Method::GET, Api::V2, path)
                .query("page", page)
                .query("limit", V2_LIMIT);
            for (k, v) in params {
                call = call.query(k, v);
            }
            let items: Vec<T> = self.send(&call).await?.decode_list()?;
            let full = items.len() >= V2_LIMIT;
            out.extend(items);
            if !full {
                return Ok(out);
            }
            page += 1;
        }
    }
}
