//! The one adapter between the flows and whatever Blue Cherry gateway a client runs.
//!
//! Flows hold an `Arc<dyn ErpGateway>`. A client whose gateway differs from the modelled
//! contract gets its own implementation of this trait; the flows do not change.
//!
//! Why boxed futures and not `async fn`: an `async fn` in a trait makes the trait unusable as
//! `dyn`, and the flows need to swap the HTTP client for fakes and re-mapped gateways at run
//! time. One allocation per call is nothing next to an HTTP round trip, and this needs no
//! `async-trait` macro. Implementors write `Box::pin(async move { ... })`.

use std::future::Future;
use std::pin::Pin;

use time::OffsetDateTime;

use crate::error::Error;
use crate::model::{
    AtsSnapshot, CreditMemo, CreditMemoRequest, Customer, CycleStatus, PriceLevel, SalesOrder,
    SalesOrderRequest, ShipmentPage, Style,
};

/// The future every gateway operation returns.
pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Operations the flows need from the ERP.
///
/// Reads are idempotent and an implementation may retry them. Creates are idempotent only
/// through `external_ref`: on [`Error::Ambiguous`] call the matching `find_*` first.
/// Revisions are idempotent through their revision number, so an implementation may retry
/// them like reads.
pub trait ErpGateway: Send + Sync {
    /// Styles (with grids, codes and prices) changed since `changed_since`, or all of them.
    fn list_styles(&self, changed_since: Option<OffsetDateTime>) -> GatewayFuture<'_, Vec<Style>>;

    /// Last completed inventory cycle and the next scheduled one.
    fn cycle_status(&self) -> GatewayFuture<'_, CycleStatus>;

    /// ATS of every warehouse as of the end of `cycle_id`.
    fn ats_snapshot(&self, cycle_id: u64) -> GatewayFuture<'_, AtsSnapshot>;

    /// Creates a sales order. Never retried by the implementation.
    fn create_sales_order<'a>(
        &'a self,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder>;

    /// The sales order carrying our `external_ref`, if any.
    fn find_sales_order<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<SalesOrder>>;

    /// A sales order by ERP number, as it is now (edits inside the ERP included).
    fn get_sales_order<'a>(&'a self, order_number: &'a str) -> GatewayFuture<'a, SalesOrder>;

    /// Replaces the header and lines of an open sales order with `order`, as `revision`
    /// (the create is revision 1; send 2, 3, ...). Re-sending the current revision with the
    /// same content is a no-op that answers the order, so a lost answer is safe to retry.
    /// Shipped (in part or whole) or cancelled orders answer [`Error::Locked`]; an
    /// older or equal revision with other content answers [`Error::StaleRevision`].
    fn revise_sales_order<'a>(
        &'a self,
        order_number: &'a str,
        revision: u32,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder>;

    /// Shipments after `cursor` (exclusive; `None` = from the start), at most `limit`.
    fn list_shipments<'a>(
        &'a self,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> GatewayFuture<'a, ShipmentPage>;

    /// Creates a credit memo. Never retried by the implementation.
    fn create_credit_memo<'a>(
        &'a self,
        memo: &'a CreditMemoRequest,
    ) -> GatewayFuture<'a, CreditMemo>;

    /// The credit memo carrying our `external_ref`, if any.
    fn find_credit_memo<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<CreditMemo>>;

    /// All customers with their terms and credit.
    fn list_customers(&self) -> GatewayFuture<'_, Vec<Customer>>;

    /// Price levels per SKU with quantity breaks; `level` filters to one letter.
    fn list_price_levels<'a>(
        &'a self,
        level: Option<&'a str>,
    ) -> GatewayFuture<'a, Vec<PriceLevel>>;
}
