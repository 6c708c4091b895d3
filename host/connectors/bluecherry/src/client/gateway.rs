//! [`ErpGateway`] for the HTTP client: each method boxes the client's own async method.

use time::OffsetDateTime;

use super::BlueCherryClient;
use crate::gateway::{ErpGateway, GatewayFuture};
use crate::model::{
    AtsSnapshot, CreditMemo, CreditMemoRequest, Customer, CycleStatus, PriceLevel, SalesOrder,
    SalesOrderRequest, ShipmentPage, Style,
};

// `BlueCherryClient::x(self, ..)` names the inherent method, which takes precedence over the
// trait's method of the same name.
impl ErpGateway for BlueCherryClient {
    fn list_styles(&self, changed_since: Option<OffsetDateTime>) -> GatewayFuture<'_, Vec<Style>> {
        Box::pin(BlueCherryClient::list_styles(self, changed_since))
    }

    fn cycle_status(&self) -> GatewayFuture<'_, CycleStatus> {
        Box::pin(BlueCherryClient::cycle_status(self))
    }

    fn ats_snapshot(&self, cycle_id: u64) -> GatewayFuture<'_, AtsSnapshot> {
        Box::pin(BlueCherryClient::ats_snapshot(self, cycle_id))
    }

    fn create_sales_order<'a>(
        &'a self,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(BlueCherryClient::create_sales_order(self, order))
    }

    fn find_sales_order<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<SalesOrder>> {
        Box::pin(BlueCherryClient::find_sales_order(self, external_ref))
    }

    fn get_sales_order<'a>(&'a self, order_number: &'a str) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(BlueCherryClient::get_sales_order(self, order_number))
    }

    fn revise_sales_order<'a>(
        &'a self,
        order_number: &'a str,
        revision: u32,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(BlueCherryClient::revise_sales_order(
            self,
            order_number,
            revision,
            order,
        ))
    }

    fn list_shipments<'a>(
        &'a self,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> GatewayFuture<'a, ShipmentPage> {
        Box::pin(BlueCherryClient::list_shipments(self, cursor, limit))
    }

    fn create_credit_memo<'a>(
        &'a self,
        memo: &'a CreditMemoRequest,
    ) -> GatewayFuture<'a, CreditMemo> {
        Box::pin(BlueCherryClient::create_credit_memo(self, memo))
    }

    fn find_credit_memo<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<CreditMemo>> {
        Box::pin(BlueCherryClient::find_credit_memo(self, external_ref))
    }

    fn list_customers(&self) -> GatewayFuture<'_, Vec<Customer>> {
        Box::pin(BlueCherryClient::list_customers(self))
    }

    fn list_price_levels<'a>(
        &'a self,
        level: Option<&'a str>,
    ) -> GatewayFuture<'a, Vec<PriceLevel>> {
        Box::pin(BlueCherryClient::list_price_levels(self, level))
    }
}
