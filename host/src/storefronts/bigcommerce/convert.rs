//! BigCommerce orders and refunds -> the plugin's inputs (money as cents).

use selvedge_bigcommerce::model::{
    Order, OrderProduct, Refund as BcRefund, RefundItemType, ShippingAddress,
};
use selvedge_runtime::rules::orders::{OrderLine, StorefrontOrder};
use selvedge_runtime::rules::returns::{Refund, RefundLine};
use selvedge_runtime::rules::types::{Address, Storefront};

use crate::storefronts::convert::{ConvertError, empty_address, payment_kind, quantity};

/// A full BigCommerce order (order + lines + shipping addresses).
///
/// BigCommerce orders carry no customer group (it lives on `/v3/customers`), and B2C rules
/// map by shipping method, so `customer_group` and `location` stay empty.
pub(super) fn order(
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

/// The plugin's input: refunded lines by SKU (amounts in cents, excluding tax), shipping
/// and tax.
pub(super) fn refund(refund: &BcRefund, products: &[OrderProduct], order_id: &str) -> Refund {
    let mut lines = Vec::new();
    let mut shipping = 0;
    for item in &refund.items {
        match item.item_type {
            RefundItemType::Product => {
                let Some(p) = products.iter().find(|p| p.id == item.item_id) else {
                    continue;
                };
                let qty = item.quantity.unwrap_or(0);
                lines.push(RefundLine {
                    line_id: p.id.to_string(),
                    sku: p.sku.clone(),
                    quantity: u32::try_from(qty).unwrap_or(0),
                    amount: p.price_ex_tax.cents().saturating_mul(qty),
                    reason: item.reason.clone().unwrap_or_else(|| refund.reason.clone()),
                });
            }
            RefundItemType::Shipping => shipping += item.requested_amount.map_or(0, |m| m.cents()),
            _ => {}
        }
    }
    Refund {
        storefront: Storefront::Bigcommerce,
        refund_id: refund.id.to_string(),
        order_id: order_id.to_string(),
        // The ERP side is the host's to add.
        sales_order: None,
        customer: String::new(),
        warehouse: String::new(),
        division: String::new(),
        lines,
        shipping,
        tax: refund.total_tax.cents(),
        total: refund.total_amount.cents(),
        reason: refund.reason.clone(),
    }
}
