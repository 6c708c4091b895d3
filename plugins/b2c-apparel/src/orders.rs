//! B2C order rules: warehouse by shipping method, one web customer, fixed tax.

use selvedge_plugin_sdk::prelude::*;

pub fn map(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
    let warehouses = Table::load("shipping_warehouse");
    let ship_via = Table::load("ship_via");
    let division = config::string_or("division", "01");
    let web_customer = config::string_or("web_customer", "WEB");
    orders
        .into_iter()
        .map(|o| map_one(o, &warehouses, &ship_via, &division, &web_customer))
        .collect()
}

fn map_one(
    order: StorefrontOrder,
    warehouses: &Table,
    ship_via: &Table,
    division: &str,
    web_customer: &str,
) -> OrderDecision {
    let order_id = order.order_id.clone();
    let mut issues = validate(&order);
    let mut reasons = vec![];
    let warehouse = match warehouses.get_or_default(&order.shipping_method) {
        Some((wh, true)) => {
            reasons.push(reason(
                "warehouse-by-shipping-method",
                format!("{} -> {wh}", order.shipping_method),
            ));
            wh.to_string()
        }
        Some((wh, false)) => {
            issues.push(review(
                "unknown-shipping-method",
                "shipping-method",
                format!(
                    "shipping method {:?} has no warehouse: default {wh} used",
                    order.shipping_method
                ),
            ));
            reasons.push(reason(
                "default-warehouse",
                format!("{} unmapped -> {wh}", order.shipping_method),
            ));
            wh.to_string()
        }
        None => {
            issues.push(error(
                "no-warehouse",
                "shipping-method",
                format!(
                    "shipping method {:?} has no warehouse and no default (`*`) is set",
                    order.shipping_method
                ),
            ));
            String::new()
        }
    };
    if issues.iter().any(|i| i.severity == Severity::Error) {
        return OrderDecision {
            order_id: order_id.clone(),
            sales_order: None,
            issues,
            reasons,
        };
    }
    let review_flag = issues.iter().any(|i| i.severity == Severity::Review);
    let sales_order = SalesOrder {
        division: division.to_string(),
        warehouse,
        customer: web_customer.to_string(),
        terms_code: None,
        authorised: order.payment == PaymentKind::Card,
        po_number: None,
        other_reference: Some(format!("BC#{}", order.order_id)),
        ship_via: ship_via
            .get(&order.shipping_method)
            .unwrap_or("GROUND")
            .to_string(),
        tax: order.tax,
        freight: order.shipping,
        ship_to: order.ship_to,
        lines: order
            .lines
            .into_iter()
            .map(|l| SalesOrderLine {
                sku: l.sku,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
        review: review_flag,
    };
    OrderDecision {
        order_id: order_id.clone(),
        sales_order: Some(sales_order),
        issues,
        reasons,
    }
}

fn validate(order: &StorefrontOrder) -> Vec<Issue> {
    let mut issues = vec![];
    if order.lines.is_empty() {
        issues.push(error("no-lines", "lines", "the order has no lines"));
    }
    for (i, line) in order.lines.iter().enumerate() {
        if line.sku.trim().is_empty() {
            issues.push(error(
                "missing-sku",
                &format!("lines[{i}].sku"),
                "a line has no SKU",
            ));
        }
        if line.quantity == 0 {
            issues.push(error(
                "zero-quantity",
                &format!("lines[{i}].quantity"),
                "a line has quantity 0",
            ));
        }
    }
    if order.ship_to.country.trim().is_empty() {
        issues.push(error(
            "missing-country",
            "ship-to.country",
            "the shipping address has no country",
        ));
    }
    issues
}
