//! Sales orders: create once, look up by reference or number, revise by revision number.

use super::{BlueCherryClient, Query, Subject, path_segment};
use crate::error::Error;
use crate::model::{SalesOrder, SalesOrderRequest, SalesOrderRevision};

impl BlueCherryClient {
    /// Creates the order; never retried (see [`Error::Ambiguous`]).
    pub async fn create_sales_order(&self, order: &SalesOrderRequest) -> Result<SalesOrder, Error> {
        self.create("/sales-orders", order, &order.external_ref)
            .await
    }

    /// The order carrying our `external_ref`, if any.
    pub async fn find_sales_order(&self, external_ref: &str) -> Result<Option<SalesOrder>, Error> {
        self.find_one("/sales-orders", external_ref).await
    }

    /// The order numbered `order_number`.
    pub async fn get_sales_order(&self, order_number: &str) -> Result<SalesOrder, Error> {
        let path = format!("/sales-orders/{}", path_segment(order_number));
        self.get(&path, Query::new()).await
    }

    /// Replaces the open order with revision `revision` of it.
    pub async fn revise_sales_order(
        &self,
        order_number: &str,
        revision: u32,
        order: &SalesOrderRequest,
    ) -> Result<SalesOrder, Error> {
        let path = format!("/sales-orders/{}", path_segment(order_number));
        // One clone per revision keeps a single wire type for client and sandbox.
        let body = SalesOrderRevision {
            revision,
            order: order.clone(),
        };
        let subject = Subject {
            external_ref: Some(&order.external_ref),
            order_number: Some(order_number),
            revision: Some(revision),
        };
        self.put(&path, &body, subject).await
    }
}
