//! Sales orders as we send them and as the ERP holds them.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::Cents;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

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
    /// Where the order ships to; the customer's own address when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<ShipTo>,
    /// Lines.
    pub lines: Vec<SalesOrderLineRequest>,
}

/// A ship-to address on a sales order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipTo {
    /// Addressee.
    pub name: String,
    /// Company, if any.
    #[serde(default)]
    pub company: String,
    /// Street, first line.
    pub street1: String,
    /// Street, second line.
    #[serde(default)]
    pub street2: String,
    /// City.
    pub city: String,
    /// State or region.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
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
    /// Where it ships to (absent: the customer's own address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<ShipTo>,
    /// Lines.
    pub lines: Vec<SalesOrderLine>,
    /// Merchandise total (sum of qty x price), excluding tax.
    pub merchandise_total: Cents,
    /// Last change inside the ERP (edits there do not flow back by themselves).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}
