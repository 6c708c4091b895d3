//! The one path that creates orders, for the simulated checkout (`POST /sandbox/orders`) and
//! `POST /v2/orders`: lines resolved against the catalog and priced, stock taken from the
//! default location, one shipping address, `store/order/created` fired.

use serde_json::json;
use time::OffsetDateTime;

use super::super::SandboxHandle;
use super::super::inventory::sku_inventory_event;
use super::super::query::Refusal;
use super::super::state::{OrderRec, Store, rfc2822};
use crate::model::{
    BillingAddress, FormField, Money, Order, OrderProduct, OrderProductOption, OrderStatus,
    ShippingAddress, Variant,
};

/// What a line names.
#[derive(Debug, Clone)]
pub(crate) enum LineRef {
    /// A variant by SKU (checkout).
    Sku(String),
    /// A catalog variant (its product must match when given).
    Variant {
        product_id: Option<i64>,
        variant_id: i64,
    },
    /// A product's variant by (option id, option value id) pairs.
    Options {
        product_id: i64,
        options: Vec<(i64, i64)>,
    },
    /// A product without options (its base variant).
    Product(i64),
    /// A product outside the catalog.
    Custom { name: String, sku: String },
}

/// One line to record; prices default to the catalog's calculated price.
#[derive(Debug, Clone)]
pub(crate) struct LineDraft {
    pub item: LineRef,
    pub quantity: i64,
    pub price_inc_tax: Option<Money>,
    pub price_ex_tax: Option<Money>,
}

/// An order to record.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderDraft {
    pub customer_id: i64,
    pub billing: BillingAddress,
    pub ship_to: BillingAddress,
    pub shipping_method: String,
    pub shipping_cost: Money,
    pub form_fields: Vec<FormField>,
    pub lines: Vec<LineDraft>,
    pub customer_message: String,
    pub staff_notes: String,
    pub external_id: Option<String>,
    pub status_id: i64,
    pub payment_method: String,
    pub channel_id: i64,
}

fn at(i: usize, field: &str) -> String {
    format!("products[{i}].{field}")
}

/// The catalog variant a line names.
fn variant_of(s: &Store, i: usize, item: &LineRef) -> Result<Option<Variant>, Refusal> {
    let found = match item {
        LineRef::Custom { .. } => return Ok(None),
        LineRef::Sku(sku) => s
            .variants
            .values()
            .find(|v| v.sku.eq_ignore_ascii_case(sku))
            .ok_or_else(|| Refusal::new(at(i, "sku"), format!("no variant has SKU {sku}")))?,
        LineRef::Variant {
            product_id,
            variant_id,
        } => s
            .variants
            .get(variant_id)
            .filter(|v| product_id.is_none_or(|p| p == v.product_id))
            .ok_or_else(|| {
                Refusal::new(
                    at(i, "variant_id"),
                    format!("variant {variant_id} does not exist on that product"),
                )
            })?,
        LineRef::Options {
            product_id,
            options,
        } => s
            .variants
            .values()
            .filter(|v| v.product_id == *product_id)
            .find(|v| {
                v.option_values.len() == options.len()
                    && v.option_values.iter().all(|ov| {
                        options
                            .iter()
                            .any(|(o, val)| ov.option_id == Some(*o) && ov.id == Some(*val))
                    })
            })
            .ok_or_else(|| {
                Refusal::new(
                    at(i, "product_options"),
                    "no variant of the product has these option values",
                )
            })?,
        LineRef::Product(product_id) => {
            let mut of_product = s.variants.values().filter(|v| v.product_id == *product_id);
            match (of_product.next(), of_product.next()) {
                (Some(v), None) if v.option_values.is_empty() => v,
                (None, _) => {
                    return Err(Refusal::new(
                        at(i, "product_id"),
                        format!("product {product_id} does not exist"),
                    ));
                }
                _ => {
                    return Err(Refusal::new(
                        at(i, "product_options"),
                        "the product has variants: give variant_id or product_options",
                    ));
                }
            }
        }
    };
    Ok(Some(s.shown_variant(found)))
}

/// Builds the order lines (ids assigned) from the draft.
fn lines(
    s: &mut Store,
    d: &OrderDraft,
    order_id: i64,
    address_id: i64,
) -> Result<Vec<OrderProduct>, Refusal> {
    let mut out = Vec::new();
    for (i, line) in d.lines.iter().enumerate() {
        if line.quantity <= 0 {
            return Err(Refusal::new(at(i, "quantity"), "must be positive"));
        }
        let variant = variant_of(s, i, &line.item)?;
        let (product_id, variant_id, name, sku, options, catalog_price) =
            match (&variant, &line.item) {
                (Some(v), _) => (
                    v.product_id,
                    v.id,
                    s.products
                        .get(&v.product_id)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    v.sku.clone(),
                    v.option_values
                        .iter()
                        .map(|ov| OrderProductOption {
                            id: ov.id.unwrap_or_default(),
                            option_id: ov.option_id.unwrap_or_default(),
                            display_name: ov.option_display_name.clone().unwrap_or_default(),
                            display_value: ov.label.clone().unwrap_or_default(),
                        })
                        .collect(),
                    v.calculated_price,
                ),
                (None, LineRef::Custom { name, sku }) => {
                    (0, 0, name.clone(), sku.clone(), Vec::new(), None)
                }
                (None, _) => return Err(Refusal::new(at(i, "product_id"), "not resolved")),
            };
        let price_inc = line
            .price_inc_tax
            .or(catalog_price)
            .ok_or_else(|| Refusal::new(at(i, "price_inc_tax"), "is required"))?;
        let price_ex = line.price_ex_tax.unwrap_or(price_inc);
        out.push(OrderProduct {
            id: s.id(),
            order_id,
            product_id,
            variant_id,
            order_address_id: address_id,
            name,
            sku,
            quantity: line.quantity,
            price_ex_tax: price_ex,
            price_inc_tax: price_inc,
            total_inc_tax: Money(price_inc.cents() * line.quantity),
            quantity_shipped: 0,
            quantity_refunded: 0,
            product_options: options,
        });
    }
    Ok(out)
}

/// Order dates have whole seconds, as the RFC 2822 strings that show them (so a date read from
/// an order, used as a `max_date_*` filter, includes that order).
pub(crate) fn whole_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Records the order and fires its webhooks. Returns the order id.
pub(crate) fn record(h: &SandboxHandle, d: &OrderDraft) -> Result<i64, Refusal> {
    if d.lines.is_empty() {
        return Err(Refusal::new(
            "products",
            "an order needs at least one product",
        ));
    }
    if !(0..=14).contains(&d.status_id) {
        return Err(Refusal::new("status_id", "must be a status id 0 to 14"));
    }
    let (order_id, events) = {
        let mut s = h.store();
        s.settle_stock();
        let order_id = s.id();
        let address_id = s.id();
        let lines = lines(&mut s, d, order_id, address_id)?;
        let mut events = Vec::new();
        for line in lines.iter().filter(|l| l.variant_id != 0) {
            let level = s.stock.entry((line.variant_id, 1)).or_insert(0);
            *level = (*level - line.quantity).max(0);
            events.extend(sku_inventory_event(
                &s,
                line.variant_id,
                "relative",
                -line.quantity,
            ));
        }
        let subtotal_inc: i64 = lines.iter().map(|l| l.total_inc_tax.cents()).sum();
        let subtotal_ex: i64 = lines
            .iter()
            .map(|l| l.price_ex_tax.cents() * l.quantity)
            .sum();
        let items: i64 = lines.iter().map(|l| l.quantity).sum();
        let now = whole_second(OffsetDateTime::now_utc());
        let a = &d.ship_to;
        let address = ShippingAddress {
            id: address_id,
            order_id,
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            company: a.company.clone(),
            street_1: a.street_1.clone(),
            street_2: a.street_2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            zip: a.zip.clone(),
            country: a.country.clone(),
            country_iso2: a.country_iso2.clone(),
            phone: a.phone.clone(),
            email: a.email.clone(),
            shipping_method: d.shipping_method.clone(),
            cost_inc_tax: d.shipping_cost,
            items_total: items,
            items_shipped: 0,
            form_fields: d.form_fields.clone(),
        };
        let total_inc = Money(subtotal_inc + d.shipping_cost.cents());
        let total_ex = Money(subtotal_ex + d.shipping_cost.cents());
        let order = Order {
            id: order_id,
            status_id: d.status_id,
            status: OrderStatus::name_of(d.status_id).into(),
            customer_id: d.customer_id,
            date_created: rfc2822(now),
            date_modified: rfc2822(now),
            subtotal_ex_tax: Money(subtotal_ex),
            subtotal_inc_tax: Money(subtotal_inc),
            shipping_cost_inc_tax: d.shipping_cost,
            total_tax: Money(total_inc.cents() - total_ex.cents()),
            total_ex_tax: total_ex,
            total_inc_tax: total_inc,
            refunded_amount: Money::ZERO,
            currency_code: "USD".into(),
            payment_method: d.payment_method.clone(),
            payment_status: "captured".into(),
            customer_message: d.customer_message.clone(),
            staff_notes: d.staff_notes.clone(),
            channel_id: d.channel_id,
            external_id: d.external_id.clone(),
            items_total: items,
            items_shipped: 0,
            billing_address: d.billing.clone(),
            products: None,
            shipping_addresses: None,
            coupons: None,
        };
        s.orders.insert(
            order_id,
            OrderRec {
                order,
                created: now,
                modified: now,
                products: lines,
                addresses: vec![address],
                shipments: Vec::new(),
            },
        );
        (order_id, events)
    };
    h.emit(
        "store/order/created",
        json!({"type": "order", "id": order_id}),
    );
    for event in events {
        h.emit("store/sku/inventory/updated", event);
    }
    Ok(order_id)
}
