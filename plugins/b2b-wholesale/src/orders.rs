//! B2B order rules: location -> warehouse/division, pay on account with terms, PO number.

use selvedge_plugin_sdk::prelude::*;

struct Settings {
    locations: Table,
    po_field: String,
}

pub fn map(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
    let settings = Settings {
        locations: Table::load("location_warehouse"),
        po_field: config::string_or("po_field", "PO Number"),
    };
    orders.into_iter().map(|o| map_one(o, &settings)).collect()
}

fn map_one(order: StorefrontOrder, s: &Settings) -> OrderDecision {
    let order_id = order.order_id.clone();
    let mut issues = vec![];
    let mut reasons = vec![];
    if order.lines.is_empty() {
        issues.push(error("no-lines", "lines", "the order has no lines"));
    }
    let location = order.location.clone().unwrap_or_default();
    let (warehouse, division) = match s.locations.get_or_default(&location) {
        Some((value, mapped)) => {
            let Some((wh, div)) = value.split_once('/') else {
                issues.push(error(
                    "bad-mapping",
                    "location",
                    format!("location_warehouse entry {value:?} must be WAREHOUSE/DIVISION"),
                ));
                return OrderDecision {
                    order_id: order_id.clone(),
                    sales_order: None,
                    issues,
                    reasons,
                };
            };
            if mapped {
                reasons.push(reason(
                    "warehouse-by-location",
                    format!("{location} -> {wh}/{div}"),
                ));
            } else {
                issues.push(review(
                    "unknown-location",
                    "location",
                    format!("location {location:?} is not mapped: default warehouse {wh} / division {div} used"),
                ));
                reasons.push(reason(
                    "default-warehouse",
                    format!("{location:?} unmapped -> {wh}/{div}"),
                ));
            }
            (wh.to_string(), div.to_string())
        }
        None => {
            issues.push(error(
                "unknown-location",
                "location",
                format!("location {location:?} is not mapped and no default (`*`) is set"),
            ));
            (String::new(), String::new())
        }
    };
    let po = order
        .attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&s.po_field))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let on_account = order.payment == PaymentKind::PayOnAccount;
    if on_account {
        if po.is_none() {
            issues.push(error(
                "missing-po-number",
                &format!("attributes.{}", s.po_field),
                "pay-on-account orders need a PO number",
            ));
        }
        match &order.terms {
            None => issues.push(error(
                "no-terms",
                "terms",
                format!(
                    "customer {} has no payment terms in the ERP",
                    order.customer_id
                ),
            )),
            Some(t) if t.balance.saturating_add(order.total) > t.credit_limit => {
                issues.push(error(
                    "credit-limit-exceeded",
                    "total",
                    format!(
                        "balance {} + order {} exceeds credit limit {} for {}",
                        t.balance, order.total, t.credit_limit, t.customer
                    ),
                ))
            }
            Some(t) => reasons.push(reason(
                "terms",
                format!("{} on account, {} days", t.terms_code, t.net_days),
            )),
        }
    }
    let customer = order
        .erp_customer
        .clone()
        .or_else(|| order.terms.as_ref().map(|t| t.customer.clone()));
    if customer.is_none() {
        issues.push(error(
            "no-erp-customer",
            "customer-id",
            "the buyer has no ERP customer account",
        ));
    }
    if issues.iter().any(|i| i.severity == Severity::Error) {
        return OrderDecision {
            order_id: order_id.clone(),
            sales_order: None,
            issues,
            reasons,
        };
    }
    let review_flag = issues.iter().any(|i| i.severity == Severity::Review);
    OrderDecision {
        order_id: order_id.clone(),
        sales_order: Some(SalesOrder {
            division,
            warehouse,
            customer: customer.unwrap_or_default(),
            terms_code: order.terms.as_ref().map(|t| t.terms_code.clone()),
            authorised: on_account || order.payment == PaymentKind::Card,
            po_number: po.clone(),
            other_reference: po,
            ship_via: if order.shipping_method.is_empty() {
                "LTL".into()
            } else {
                order.shipping_method.clone()
            },
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
        }),
        issues,
        reasons,
    }
}
