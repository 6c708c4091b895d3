//! Orders V2 calls: orders (list, count, create, get, status), lines, shipping addresses,
//! coupons, shipments, the status table and the store clock.

use super::{BigCommerceClient, Call, Operation};
use crate::error::Error;
use crate::model::{
    NewOrder, NewShipment, Order, OrderCount, OrderCoupon, OrderProduct, OrderQuery,
    OrderStatusInfo, ServerTime, Shipment, ShippingAddress, StatusUpdate,
};

impl BigCommerceClient {
    /// Lists orders matching `query`, all pages, least recently modified first.
    pub async fn list_orders(&self, query: &OrderQuery) -> Result<Vec<Order>, Error> {
        let mut params = vec![("sort".to_owned(), "date_modified:asc".to_owned())];
        params.extend(query.to_params());
        self.v2_all(Operation::GetOrdersV2, &[], &params).await
    }

    /// How many orders match `query`, in total and per status.
    pub async fn count_orders(&self, query: &OrderQuery) -> Result<OrderCount, Error> {
        let call = Call::new(Operation::GetOrdersCountV2, &[]).params(&query.to_params());
        self.fetch(call).await
    }

    /// Creates an order (as a merchant or an importer would). Not retried: on a timeout,
    /// look the order up by `external_id` before sending again.
    pub async fn create_order(&self, order: &NewOrder) -> Result<Order, Error> {
        let call = Call::new(Operation::CreateOrderV2, &[]).json(order)?;
        self.fetch(call).await
    }

    /// One order.
    pub async fn get_order(&self, order_id: i64) -> Result<Order, Error> {
        self.fetch(Call::new(Operation::GetOrderV2, &[order_id]))
            .await
    }

    /// The lines of an order.
    pub async fn order_products(&self, order_id: i64) -> Result<Vec<OrderProduct>, Error> {
        self.v2_all(Operation::GetOrderProductsV2, &[order_id], &[])
            .await
    }

    /// The shipping addresses of an order (with the chosen shipping method).
    pub async fn order_shipping_addresses(
        &self,
        order_id: i64,
    ) -> Result<Vec<ShippingAddress>, Error> {
        self.v2_all(Operation::GetOrderShippingAddressesV2, &[order_id], &[])
            .await
    }

    /// The coupons applied to an order.
    pub async fn order_coupons(&self, order_id: i64) -> Result<Vec<OrderCoupon>, Error> {
        self.v2_all(Operation::GetOrderCouponsV2, &[order_id], &[])
            .await
    }

    /// Sets an order's status.
    pub async fn update_order_status(&self, order_id: i64, status_id: i64) -> Result<Order, Error> {
        let call =
            Call::new(Operation::PutOrderV2, &[order_id]).json(&StatusUpdate { status_id })?;
        self.fetch(call).await
    }

    /// Creates a (possibly partial) shipment. Not retried: on a timeout, list shipments first.
    pub async fn create_shipment(
        &self,
        order_id: i64,
        shipment: &NewShipment,
    ) -> Result<Shipment, Error> {
        let call = Call::new(Operation::CreateShipmentV2, &[order_id]).json(shipment)?;
        self.fetch(call).await
    }

    /// The shipments of an order.
    pub async fn list_shipments(&self, order_id: i64) -> Result<Vec<Shipment>, Error> {
        self.v2_all(Operation::GetOrderShipmentsV2, &[order_id], &[])
            .await
    }

    /// The store's order statuses (ids, names, labels).
    pub async fn order_statuses(&self) -> Result<Vec<OrderStatusInfo>, Error> {
        let reply = self
            .send(&Call::new(Operation::GetOrderStatusesV2, &[]))
            .await?;
        reply.decode_list()
    }

    /// The store's clock, in Unix seconds (to set polling cursors in the store's time).
    pub async fn server_time(&self) -> Result<i64, Error> {
        let t: ServerTime = self.fetch(Call::new(Operation::GetTimeV2, &[])).await?;
        Ok(t.time)
    }
}
