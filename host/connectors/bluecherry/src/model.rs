//! Types of the modelled Blue Cherry gateway (see `docs/bluecherry-gateway.md`).
//!
//! The same types are produced by the JSON client and by the CSV drop, so flows never care
//! which route the data came by. Field names match the wire; quantities are whole units.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

pub use crate::money::Cents;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// One style with its colour x size (x dimension) grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Style {
    /// Style number, zero padded (`00123`).
    pub style: String,
    /// `Style Name`.
    pub name: String,
    /// Season code, e.g. `SP26`; a pre-order season is an ordinary code flagged by the client's rules.
    pub season: String,
    /// Size scale code (`A`, `B`, `O`, ...).
    pub size_scale: String,
    /// `GENDER`.
    #[serde(default)]
    pub gender: String,
    /// Category levels `P1`, `P2`, `P3`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Fabric content (`Style Detail Content Desc`).
    #[serde(default)]
    pub fabric: String,
    /// Colours offered.
    pub colours: Vec<Colour>,
    /// Sizes of the scale, in display order.
    pub sizes: Vec<Size>,
    /// Dimensions (fit or inseam); empty when the style has none.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Retail price and wholesale levels for the whole style.
    pub prices: Prices,
    /// Every sellable SKU of the grid.
    pub skus: Vec<Sku>,
    /// Last change inside the ERP.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A colour of a style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colour {
    /// `Color #`, the ERP's colour code.
    pub code: String,
    /// `Color Name`.
    pub name: String,
    /// NRF colour code, 3 digits.
    pub nrf_colour: String,
}

/// A size of a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Size label as in `SIZES` (`M`, `32`, `OS`).
    pub code: String,
    /// NRF size code, 5 digits.
    pub nrf_size: String,
}

/// Style-level prices: retail plus wholesale levels keyed `A`, `B`, ...
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Prices {
    /// `RET_PRICE`.
    pub retail: Cents,
    /// `A_PRICE`, `B_PRICE`, ... keyed by level letter.
    #[serde(default)]
    pub wholesale: BTreeMap<String, Cents>,
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku {
    /// `Style-Color#-Size` or `Style-Color#-Size-Dim`.
    pub sku: String,
    /// `Color #`.
    pub colour: String,
    /// Size label.
    pub size: String,
    /// `Dm/Pk` (fit or inseam), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// `UPC Number`, 12 digits.
    pub upc: String,
    /// NRF size code, 5 digits.
    pub nrf_size: String,
    /// NRF colour code, 3 digits.
    pub nrf_colour: String,
}

/// Builds the SKU the way Blue Cherry exports do: `Style-Color#-Size[-Dim]`.
pub fn sku_code(style: &str, colour: &str, size: &str, dimension: Option<&str>) -> String {
    match dimension {
        Some(d) if !d.is_empty() => format!("{style}-{colour}-{size}-{d}"),
        _ => format!("{style}-{colour}-{size}"),
    }
}

/// Status of the ERP's inventory batch cycles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CycleStatus {
    /// Id of the last completed cycle; 0 before the first one.
    pub last_cycle_id: u64,
    /// When the last cycle completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_completed_at: Option<OffsetDateTime>,
    /// When the next cycle is scheduled, if a schedule is set.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_scheduled_at: Option<OffsetDateTime>,
}

/// Inventory buckets of one SKU in one warehouse, named after the inventory report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AtsBuckets {
    /// `Total QOH`: quantity on hand.
    pub total_qoh: i64,
    /// `Total Pick`: on pick tickets.
    pub total_pick: i64,
    /// `Avail QOH`: on hand minus pick minus open orders (as computed by the ERP).
    pub avail_qoh: i64,
    /// `Total Open`: open sales orders not yet shipped.
    pub total_open: i64,
    /// `Total Ship To WIP`: shipped to a work-in-progress location.
    pub total_ship_to_wip: i64,
    /// `Total Prod`: open work orders, in production.
    pub total_prod: i64,
    /// In transit between locations.
    pub in_transit: i64,
}

/// One row of an ATS snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtsRow {
    /// Warehouse code (`Location`).
    pub warehouse: String,
    /// Division (`Div`).
    pub division: String,
    /// SKU built as in [`sku_code`].
    pub sku: String,
    /// `UPC Number`.
    pub upc: String,
    /// `Style`.
    pub style: String,
    /// `Color #`.
    pub colour: String,
    /// `Size`.
    pub size: String,
    /// `Dm/Pk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// `Season`.
    pub season: String,
    /// The buckets.
    #[serde(flatten)]
    pub buckets: AtsBuckets,
}

/// Inventory as of the end of one batch cycle, all warehouses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtsSnapshot {
    /// The cycle that produced it.
    pub cycle_id: u64,
    /// When that cycle completed.
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
    /// One row per warehouse x SKU.
    pub rows: Vec<AtsRow>,
}

/// A sales order line as we send it: by SKU or by UPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderLineRequest {
    /// SKU; one of `sku` and `upc` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// UPC, used when `sku` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// Units ordered, > 0.
    pub qty: i64,
    /// Unit price.
    pub unit_price: Cents,
}

/// A sales order as we send it. `division` and `warehouse` are optional on the wire because
/// the ERP, not serde, is the one that rejects their absence (with a 422 naming the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderRequest {
    /// Our reference (storefront order id); unique per order, the idempotency key.
    pub external_ref: String,
    /// Division code, e.g. `01` B2C, `02` wholesale.
    pub division: Option<String>,
    /// Warehouse code, e.g. `NJ01`.
    pub warehouse: Option<String>,
    /// ERP customer number.
    pub customer: String,
    /// Terms code (`NET30`); the customer's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Buyer's PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_number: Option<String>,
    /// The `other reference` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_reference: Option<String>,
    /// Ship-via code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_via: Option<String>,
    /// Order date.
    #[serde(with = "iso_date")]
    pub order_date: Date,
    /// Requested ship date.
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ship_date: Option<Date>,
    /// Cancel-after date.
    #[serde(
        default,
        with = "iso_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub cancel_date: Option<Date>,
    /// Authorised for pay-on-account (B2B on terms).
    #[serde(default)]
    pub authorised: bool,
    /// Tax fixed at checkout; the ERP stores it and does not recompute.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<SalesOrderLineRequest>,
}

/// A whole new version of an open sales order (`PUT /v1/sales-orders/{order_number}`).
///
/// The body is a full [`SalesOrderRequest`] plus `revision`, our idempotency key for revisions:
/// the create is revision 1, the host sends 2, 3, ... Sending the current revision again with
/// the same content answers the order as it is; an older or equal revision with other content
/// is refused as stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderRevision {
    /// Revision number, above the order's current one for a new version.
    pub revision: u32,
    /// The whole order; `external_ref` must be the order's own.
    #[serde(flatten)]
    pub order: SalesOrderRequest,
}

/// The revision a freshly created order holds.
pub const FIRST_REVISION: u32 = 1;

fn first_revision() -> u32 {
    FIRST_REVISION
}

/// Sales order status inside the ERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Entered, nothing shipped.
    Open,
    /// Some lines shipped.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
    /// Cancelled inside the ERP.
    Cancelled,
}

/// A sales order line as the ERP holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderLine {
    /// 1-based line number.
    pub line_no: u32,
    /// Resolved SKU.
    pub sku: String,
    /// UPC of the SKU.
    pub upc: String,
    /// Units ordered.
    pub qty: i64,
    /// Units shipped so far.
    pub qty_shipped: i64,
    /// Unit price.
    pub unit_price: Cents,
}

/// A sales order as the ERP holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrder {
    /// ERP order number (`SO-100001`).
    pub order_number: String,
    /// Our reference.
    pub external_ref: String,
    /// Status.
    pub status: OrderStatus,
    /// Revision of our content the order holds: 1 as created, then the `revision` of the last
    /// [`SalesOrderRevision`] applied. Edits made inside the ERP do not change it.
    #[serde(default = "first_revision")]
    pub revision: u32,
    /// Division.
    pub division: String,
    /// Warehouse.
    pub warehouse: String,
    /// Customer number.
    pub customer: String,
    /// Terms code applied.
    pub terms: String,
    /// PO number.
    pub po_number: Option<String>,
    /// Other reference.
    pub other_reference: Option<String>,
    /// Ship via.
    pub ship_via: Option<String>,
    /// Order date.
    #[serde(with = "iso_date")]
    pub order_date: Date,
    /// Ship date.
    #[serde(default, with = "iso_date::option")]
    pub ship_date: Option<Date>,
    /// Cancel date.
    #[serde(default, with = "iso_date::option")]
    pub cancel_date: Option<Date>,
    /// Authorised for pay-on-account.
    pub authorised: bool,
    /// Fixed tax.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<SalesOrderLine>,
    /// Merchandise total (sum of qty x price), excluding tax.
    pub merchandise_total: Cents,
    /// Last change inside the ERP (edits there do not flow back by themselves).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A credit memo line as we send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemoLineRequest {
    /// SKU returned or refunded.
    pub sku: String,
    /// Units credited, > 0.
    pub qty: i64,
    /// Unit credit.
    pub unit_price: Cents,
    /// Put the units back into stock (an inventory adjustment at the next cycle).
    pub restock: bool,
}

/// A credit memo as we send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemoRequest {
    /// Our reference (storefront refund id); the idempotency key.
    pub external_ref: String,
    /// Customer number.
    pub customer: String,
    /// ERP number of the order being credited.
    pub original_order: String,
    /// Free-text reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Tax refunded.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<CreditMemoLineRequest>,
}

/// Credit memo status: a refund is complete only once the memo is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoStatus {
    /// Entered, waiting for the next cycle to post.
    Open,
    /// Posted to the ledger.
    Posted,
}

/// A credit memo as the ERP holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditMemo {
    /// ERP memo number (`CM-500001`).
    pub memo_number: String,
    /// Our reference.
    pub external_ref: String,
    /// Customer.
    pub customer: String,
    /// Original order number.
    pub original_order: String,
    /// Status.
    pub status: MemoStatus,
    /// When it was posted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub posted_at: Option<OffsetDateTime>,
    /// Tax refunded.
    pub tax_amount: Cents,
    /// Lines.
    pub lines: Vec<CreditMemoLineRequest>,
    /// Lines total plus tax.
    pub total: Cents,
}

/// A shipped line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// SKU.
    pub sku: String,
    /// Units in this shipment.
    pub qty: i64,
}

/// A shipment confirmation from the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// ERP shipment (pick ticket) number.
    pub shipment_number: String,
    /// Sales order it ships.
    pub order_number: String,
    /// Our reference of that order.
    pub external_ref: String,
    /// Carrier code (`UPS`, `FEDEX`).
    pub carrier: String,
    /// Tracking number.
    pub tracking: String,
    /// When it shipped.
    #[serde(with = "time::serde::rfc3339")]
    pub shipped_at: OffsetDateTime,
    /// Lines shipped (may be part of the order).
    pub lines: Vec<ShipmentLine>,
}

/// A page of shipments and the cursor to pass next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentPage {
    /// Shipments after the cursor, oldest first.
    pub items: Vec<Shipment>,
    /// Cursor to save once these are applied (exclusive: the next call starts after it).
    pub next_cursor: String,
    /// More shipments wait past this page.
    pub has_more: bool,
}

/// A B2B customer; Blue Cherry is master for terms and credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Customer number.
    pub customer: String,
    /// Name.
    pub name: String,
    /// Terms code (`NET30`, `NET60`, `CC`).
    pub terms_code: String,
    /// Net days of the terms.
    pub net_days: u32,
    /// Credit limit.
    pub credit_limit: Cents,
    /// Open balance.
    pub balance: Cents,
    /// Price level letter (`A`, `B`).
    pub price_level: String,
    /// Default division.
    pub division: String,
}

/// One quantity break: from `min_qty` units the unit price is `unit_price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreak {
    /// Minimum units for this price.
    pub min_qty: i64,
    /// Unit price.
    pub unit_price: Cents,
}

/// A SKU's price at one wholesale level, with quantity breaks (ascending `min_qty`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceLevel {
    /// Level letter.
    pub level: String,
    /// SKU.
    pub sku: String,
    /// Breaks, the first with `min_qty` 1.
    pub breaks: Vec<PriceBreak>,
}

/// A page of a list resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Offset of the next page, absent on the last one.
    pub next_offset: Option<usize>,
}

/// The error body every non-2xx response carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Details of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Machine code: `validation_failed`, `duplicate_external_ref`, `stale_revision`,
    /// `order_locked`, `not_found`, `unauthorized`, ...
    pub code: String,
    /// Human message from the ERP.
    pub message: String,
    /// The field at fault, for validation errors (`division`, `lines[2].sku`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The document that already carries this external reference, for duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_number: Option<String>,
    /// The order's current revision, for `stale_revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<u32>,
}
