//! The plugin's `SalesOrder` -> the Blue Cherry request, and what the ledger keeps of it.
//! (Storefront orders become the plugin's input in each storefront's adapter.)

use selvedge_bluecherry::model::{Cents, SalesOrderLineRequest, SalesOrderRequest, ShipTo};
use selvedge_runtime::rules::orders::SalesOrder;
use selvedge_runtime::rules::types::Address;
use selvedge_store::{ErpSnapshot, SoldUnits};
use time::OffsetDateTime;

/// The plugin's sales order as a Blue Cherry create, with `external_ref` as decided by the
/// caller (a revision suffix for a re-synced edit). Freight is not a field of the modelled
/// gateway's order header, so it is not sent; the ship-to is.
pub fn sales_order_request(
    so: &SalesOrder,
    external_ref: String,
    today: OffsetDateTime,
) -> SalesOrderRequest {
    SalesOrderRequest {
        external_ref,
        division: Some(so.division.clone()).filter(|d| !d.is_empty()),
        warehouse: Some(so.warehouse.clone()).filter(|w| !w.is_empty()),
        customer: so.customer.clone(),
        terms: so.terms_code.clone(),
        po_number: so.po_number.clone(),
        other_reference: so.other_reference.clone(),
        ship_via: Some(so.ship_via.clone()).filter(|s| !s.is_empty()),
        order_date: today.date(),
        ship_date: None,
        cancel_date: None,
        authorised: so.authorised,
        tax_amount: Cents(so.tax),
        ship_to: ship_to(&so.ship_to),
        lines: so
            .lines
            .iter()
            .map(|l| SalesOrderLineRequest {
                sku: Some(l.sku.clone()),
                upc: None,
                qty: i64::from(l.quantity),
                unit_price: Cents(l.unit_price),
            })
            .collect(),
    }
}

/// The plugin's ship-to; none when the plugin left it empty (the ERP then ships to the
/// customer's own address).
fn ship_to(a: &Address) -> Option<ShipTo> {
    let to = ShipTo {
        name: a.name.clone(),
        company: a.company.clone(),
        street1: a.street1.clone(),
        street2: a.street2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        zip: a.zip.clone(),
        country: a.country.clone(),
        phone: a.phone.clone(),
    };
    (to != ShipTo::default()).then_some(to)
}

/// Value (merchandise, cents) and units of what we sent, kept to detect drift later.
pub fn snapshot(request: &SalesOrderRequest) -> ErpSnapshot {
    ErpSnapshot {
        value_minor: request
            .lines
            .iter()
            .map(|l| l.unit_price.0.saturating_mul(l.qty))
            .sum(),
        qty: request.lines.iter().map(|l| l.qty).sum(),
    }
}

/// Units the order takes per ERP SKU and warehouse, for the weekly-sales count. Lines known
/// only by UPC, or an order without a warehouse (the ERP's default), are not counted: the
/// host cannot tell which row of the ATS report they draw on.
pub fn sold_units(request: &SalesOrderRequest) -> Vec<SoldUnits> {
    let Some(warehouse) = &request.warehouse else {
        return Vec::new();
    };
    let mut sold: Vec<SoldUnits> = Vec::new();
    for line in &request.lines {
        let Some(sku) = &line.sku else { continue };
        match sold.iter_mut().find(|s| &s.sku == sku) {
            Some(known) => known.units += line.qty,
            None => sold.push(SoldUnits {
                sku: sku.clone(),
                location: warehouse.clone(),
                units: line.qty,
            }),
        }
    }
    sold
}
