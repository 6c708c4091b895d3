//! Sparklayer purchases -> the plugin's input (money as cents).

use selvedge_runtime::rules::orders::{OrderLine, StorefrontOrder};
use selvedge_runtime::rules::types::Storefront;
use selvedge_sparklayer::model::Purchase;

use crate::storefronts::convert::{ConvertError, bad, empty_address, payment_kind};

/// A Sparklayer purchase; `order_id` is the Sparklayer id, `erp_customer` the buyer's ERP
/// customer number (its `external_id`).
pub(super) fn order(purchase: &Purchase) -> Result<StorefrontOrder, ConvertError> {
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
        // Blue Cherry is master for terms and credit: the host adds them from its
        // customer master (`erp_customer`), not Sparklayer's metafield.
        terms: None,
    })
}
