//! The plain-English sentences of the handover document.

use crate::config::{ClientConfig, StorefrontKind};
use crate::flows::{ExceptionKind, FlowKind};

/// Display name of a storefront.
pub fn storefront_name(kind: StorefrontKind) -> &'static str {
    match kind {
        StorefrontKind::Bigcommerce => "BigCommerce",
        StorefrontKind::Sparklayer => "Sparklayer",
    }
}

/// Whether a flow exists for this kind of storefront.
pub fn applies(flow: FlowKind, kind: StorefrontKind) -> bool {
    !matches!(
        (flow, kind),
        (FlowKind::B2b, StorefrontKind::Bigcommerce)
            | (FlowKind::Refunds, StorefrontKind::Sparklayer)
    )
}

/// (route, what moves) of a flow.
pub fn flow_text(flow: FlowKind, store: &str) -> (String, String) {
    let bc = "Blue Cherry";
    match flow {
        FlowKind::Catalog => (format!("{bc} → {store}"), "Styles, colours and sizes become products and variants (the plugin decides names, options, visibility).".into()),
        FlowKind::Inventory => (format!("{bc} → {store}"), "Stock available to sell per warehouse, after the plugin's buffers, pushed after each ERP batch cycle.".into()),
        FlowKind::Orders => (format!("{store} → {bc}"), "New orders are injected as ERP orders; the plugin picks warehouse, division and ship-via.".into()),
        FlowKind::Fulfilment => (format!("{bc} → {store}"), "Shipments and tracking numbers close the storefront orders.".into()),
        FlowKind::Refunds => (format!("{store} → {bc}"), "Refunds become credit memos.".into()),
        FlowKind::B2b => (format!("{bc} → {store}"), "Customer terms and price lists for wholesale buyers.".into()),
        FlowKind::Reconciliation => (format!("{bc} ↔ {store}"), "Compares both sides and reports drift (stock, order values, missing SKUs) as exceptions; changes nothing.".into()),
    }
}

/// When a flow runs, in words.
pub fn schedule(c: &ClientConfig, flow: FlowKind) -> String {
    let Some(s) = c.schedules.get(flow) else {
        return "not scheduled (runs only when asked)".into();
    };
    let mut parts = Vec::new();
    if s.after_erp_cycle {
        parts.push(format!(
            "after every Blue Cherry batch cycle (checked every {} s)",
            c.schedules.erp_cycle_poll_secs
        ));
    }
    if let Some(cron) = &s.cron {
        parts.push(cron_words(cron));
    }
    if parts.is_empty() {
        "scheduled, no trigger set".into()
    } else {
        parts.join("; and ")
    }
}

/// A cron pattern, with words for the common shapes.
fn cron_words(cron: &str) -> String {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let every = |f: &str, unit: &str| f.strip_prefix("*/").map(|n| format!("every {n} {unit}"));
    let words = match fields.as_slice() {
        [sec, "*", "*", "*", "*", "*"] => every(sec, "seconds"),
        ["0", min, "*", "*", "*", "*"] | [min, "*", "*", "*", "*"] => every(min, "minutes"),
        [min, hour, "*", "*", "*"] | ["0", min, hour, "*", "*", "*"]
            if min.parse::<u8>().is_ok() && hour.parse::<u8>().is_ok() =>
        {
            Some(format!("daily at {hour:0>2}:{min:0>2}"))
        }
        _ => None,
    };
    match words {
        Some(w) => format!("{w} (`{cron}`)"),
        None => format!("cron `{cron}`"),
    }
}

/// (data, master, meaning) rows.
pub fn masters(kind: StorefrontKind, store: &str) -> Vec<(String, String, String)> {
    let bc = "Blue Cherry".to_string();
    let mut rows = vec![
        ("Products, styles, SKUs".into(), bc.clone(), format!("Edit in Blue Cherry; changes made in {store} are overwritten at the next catalog run.")),
        ("Stock".into(), bc.clone(), format!("{store} shows what Blue Cherry has available, less buffers; never adjust stock in {store}.")),
        ("Prices".into(), bc.clone(), "Set in Blue Cherry.".into()),
        ("Orders (until injected)".into(), store.to_string(), "An order lives in the storefront until Blue Cherry accepts it; then Blue Cherry holds it.".into()),
        ("Shipments".into(), bc.clone(), format!("Shipped in Blue Cherry; tracking is copied to {store}.")),
    ];
    match kind {
        StorefrontKind::Bigcommerce => rows.push((
            "Refunds".into(),
            store.to_string(),
            "Refunded in BigCommerce; Selvedge posts the credit memo in Blue Cherry.".into(),
        )),
        StorefrontKind::Sparklayer => rows.push((
            "Customers, terms, price lists".into(),
            bc,
            "Kept in Blue Cherry; Sparklayer receives them.".into(),
        )),
    }
    rows
}

/// What an exception kind means, for the person who owns it.
pub fn kind_text(kind: ExceptionKind) -> &'static str {
    match kind {
        ExceptionKind::OrderInvalid => {
            "An order failed checks or Blue Cherry rejected it; it is not in the ERP until fixed."
        }
        ExceptionKind::UnknownLocation => {
            "An order's location was unknown, so it went to the default warehouse: check it ships from the right place."
        }
        ExceptionKind::OrderStuck => {
            "An order kept failing on temporary errors until its attempts ran out."
        }
        ExceptionKind::SkuUnmapped => "A style or SKU could not be published to the storefront.",
        ExceptionKind::DriftOrder => {
            "An order's value or quantities in Blue Cherry no longer match the storefront."
        }
        ExceptionKind::DriftStock => {
            "Storefront stock differs from what Blue Cherry says it should be."
        }
        ExceptionKind::SkuMissing => "A SKU exists on one side only.",
        ExceptionKind::RefundFailed => "A refund could not become a credit memo.",
        ExceptionKind::ShipmentFailed => {
            "A shipment could not be sent to the storefront; the customer has no tracking."
        }
        ExceptionKind::PluginError => {
            "The client rules plugin failed; the affected records were not synced."
        }
        ExceptionKind::B2bSync => "Wholesale terms or price lists could not be published.",
    }
}

#[cfg(test)]
mod tests {
    use super::cron_words;

    #[test]
    fn common_cron_shapes_read_as_words_and_others_stay_literal() {
        assert_eq!(
            cron_words("*/30 * * * * *"),
            "every 30 seconds (`*/30 * * * * *`)"
        );
        assert_eq!(
            cron_words("*/15 * * * *"),
            "every 15 minutes (`*/15 * * * *`)"
        );
        assert_eq!(cron_words("0 6 * * *"), "daily at 06:00 (`0 6 * * *`)");
        assert_eq!(cron_words("30 22 * * 1-5"), "cron `30 22 * * 1-5`");
    }
}
