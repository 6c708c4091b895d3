//! Connector orders -> the plugin's `StorefrontOrder` (money as cents), and the plugin's
//! `SalesOrder` -> the Blue Cherry request.
//!
//! Everything here reads data that came from outside: no panics, a [`ConvertError`] naming
//! the field instead.

use selvedge_bigcommerce::model::{Order, OrderProduct, ShippingAddress};
use selvedge_bluecherry::model::{Cents, Customer, SalesOrderLineRequest, SalesOrderRequest};
use selvedge_runtime::rules::orders::{
    CustomerTerms, OrderLine, PaymentKind, SalesOrder, StorefrontOrder,
};
use selvedge_runtime::rules::types::{Address, Storefront};
use selvedge_sparklayer::model::Purchase;
use selvedge_store::{ErpSnapshot, SoldUnits};
use time::OffsetDateTime;

/// A storefront record that cannot become a plugin input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ConvertError {
    /// The field at fault, e.g. `products[2].quantity`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> ConvertError {
    ConvertError {
        field: field.into(),
        problem: problem.into(),
    }
}

fn quantity(field: String, qty: i64) -> Result<u32, ConvertError> {
    u32::try_from(qty).map_err(|_| bad(field, format!("quantity {qty} is out of range")))
}

/// Payment method names -> the plugin's kinds (BigCommerce names are free text).
fn payment_kind(method: &str) -> PaymentKind {
    let m = method.to_ascii_lowercase();
    if m.contains("account") {
        PaymentKind::PayOnAccount
    } else if m.contains("invoice") {
        PaymentKind::Invoice
    } else if m.contains("card") || m.contains("paypal") || m.contains("stripe") {
        PaymentKind::Card
    } else {
        PaymentKind::Other
    }
}

/// A full BigCommerce order (order + lines + shipping addresses).
///
/// BigCommerce orders carry no customer group (it lives on `/v3/customers`), and B2C rules
/// map by shipping method, so `customer_group` and `location` stay empty.
pub fn bigcommerce_order(
    order: &Order,
    products: &[OrderProduct],
    addresses: &[ShippingAddress],
) -> Result<StorefrontOrder, ConvertError> {
    let first = addresses.first();
    let lines = products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(OrderLine {
                line_id: p.id.to_string(),
                sku: p.sku.clone(),
                quantity: quantity(format!("products[{i}].quantity"), p.quantity)?,
                unit_price: p.price_ex_tax.cents(),
            })
        })
        .collect::<Result<Vec<_>, ConvertError>>()?;
    let ship_to = first.map_or_else(empty_address, |a| Address {
        name: format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_string(),
        company: a.company.clone(),
        street1: a.street_1.clone(),
        street2: a.street_2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        zip: a.zip.clone(),
        country: a.country_iso2.clone(),
        phone: a.phone.clone(),
    });
    Ok(StorefrontOrder {
        storefront: Storefront::Bigcommerce,
        order_id: order.id.to_string(),
        customer_id: if order.customer_id == 0 {
            String::new()
        } else {
            order.customer_id.to_string()
        },
        erp_customer: None,
        customer_group: None,
        shipping_method: first.map(|a| a.shipping_method.clone()).unwrap_or_default(),
        location: None,
        payment: payment_kind(&order.payment_method),
        currency: order.currency_code.clone(),
        subtotal: order.subtotal_ex_tax.cents(),
        shipping: order.shipping_cost_inc_tax.cents(),
        tax: order.total_tax.cents(),
        total: order.total_inc_tax.cents(),
        attributes: first
            .map(|a| {
                a.form_fields
                    .iter()
                    .map(|f| (f.name.clone(), f.value.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        ship_to,
        lines,
        terms: None,
    })
}

/// A Sparklayer purchase, with the buyer's terms from the ERP customer master (Blue Cherry is
/// master for terms and credit, not Sparklayer's metafield). `order_id` is the Sparklayer id.
pub fn sparklayer_order(
    purchase: &Purchase,
    erp_customer: Option<&Customer>,
) -> Result<StorefrontOrder, ConvertError> {
    let order_id = purchase
        .purchase_identifiers
        .sparklayer
        .clone()
        .ok_or_else(|| bad("purchase_identifiers.sparklayer", "missing"))?;
    let buyer = purchase.customer.as_ref();
    let lines: Vec<OrderLine> = purchase
        .line_items
        .iter()
        .enumerate()
        .map(|(i, l)| OrderLine {
            line_id: i.to_string(),
            sku: l.sku.clone(),
            quantity: l.quantity,
            unit_price: l.price_cents,
        })
        .collect();
    let subtotal = lines.iter().fold(0i64, |sum, l| {
        sum.saturating_add(l.unit_price.saturating_mul(i64::from(l.quantity)))
    });
    let mut ship_to = empty_address();
    ship_to.name = buyer.and_then(|b| b.name.clone()).unwrap_or_default();
    Ok(StorefrontOrder {
        storefront: Storefront::Sparklayer,
        order_id,
        customer_id: buyer.and_then(|b| b.id.clone()).unwrap_or_default(),
        erp_customer: buyer.and_then(|b| b.external_id.clone()),
        customer_group: None,
        shipping_method: String::new(),
        location: purchase.stock_location_external_id.clone(),
        payment: payment_kind(purchase.payment_method.as_deref().unwrap_or("other")),
        currency: purchase.currency_code.clone().unwrap_or_default(),
        subtotal,
        shipping: 0,
        tax: 0,
        total: purchase.total_cents.unwrap_or(subtotal),
        attributes: purchase
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ship_to,
        lines,
        terms: erp_customer.map(|c| CustomerTerms {
            customer: c.customer.clone(),
            terms_code: c.terms_code.clone(),
            net_days: c.net_days,
            credit_limit: c.credit_limit.0,
            balance: c.balance.0,
        }),
    })
}

fn empty_address() -> Address {
    Address {
        name: String::new(),
        company: String::new(),
        street1: String::new(),
        street2: String::new(),
        city: String::new(),
        state: String::new(),
        zip: String::new(),
        country: String::new(),
        phone: String::new(),
    }
}

/// The plugin's sales order as a Blue Cherry create, with `external_ref` as decided by the
/// caller (a revision suffix for a re-synced edit). Freight is not a field of the modelled
/// gateway's order header, so it is not sent.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_names_map_to_kinds() {
        assert_eq!(payment_kind("Credit Card"), PaymentKind::Card);
        assert_eq!(payment_kind("pay_on_account"), PaymentKind::PayOnAccount);
        assert_eq!(payment_kind("invoice"), PaymentKind::Invoice);
        assert_eq!(payment_kind("Cash on Delivery"), PaymentKind::Other);
    }
}
