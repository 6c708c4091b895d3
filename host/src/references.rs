//! ERP references are the host's: the idempotency key of a sales order or credit memo in Blue
//! Cherry is built from (client, storefront, storefront order or refund id), stored in the
//! ledger before the first ERP call, and never changes for the life of that order or refund
//! (a revision of an order keeps it). Plugins do not build references, so two clients, two
//! stores or a plugin swap mid-retry cannot make two documents share one, or one order two.

#[cfg(test)]
use selvedge_bluecherry::model::ShipTo;
use selvedge_bluecherry::model::{CreditMemo, CreditMemoRequest, SalesOrder, SalesOrderRequest};

/// Short storefront tag in references.
fn tag(storefront: &str) -> &str {
    match storefront {
        "bigcommerce" => "bc",
        "sparklayer" => "sl",
        other => other,
    }
}

/// The storefront order id without the ledger's revision suffix (`~rN`).
pub fn base_order_id(ledger_id: &str) -> &str {
    ledger_id
        .split_once("~r")
        .map_or(ledger_id, |(base, _)| base)
}

/// `<client>:<bc|sl>:<order id>`: the reference of a storefront order's sales order.
pub fn order_ref(client: &str, storefront: &str, order_id: &str) -> String {
    format!("{client}:{}:{}", tag(storefront), base_order_id(order_id))
}

/// `<client>:<bc|sl>:rf:<refund id>`: the reference of a refund's credit memo.
pub fn refund_ref(client: &str, storefront: &str, refund_id: &str) -> String {
    format!("{client}:{}:rf:{refund_id}", tag(storefront))
}

/// The reference an order sent to the ERP before references were the host's carries: the
/// plugin built `<prefix><order id>` (`BC-` / `SL-` by default, or `[orders]
/// external_ref_prefix`). Orders in flight at the upgrade keep it, so none is doubled.
pub fn legacy_order_ref(prefix: &str, order_id: &str) -> String {
    format!("{prefix}{}", base_order_id(order_id))
}

/// The reference a refund sent to the ERP before references were the host's carries: the
/// example plugins built `<prefix>RF-<id>` with their storefront's order prefix (`BC-RF-<id>`,
/// `SL-RF-<id>`; see [`crate::storefronts::OrderSource::legacy_ref_prefix`]).
pub fn legacy_refund_ref(prefix: &str, refund_id: &str) -> String {
    format!("{prefix}RF-{refund_id}")
}

/// Why an existing ERP sales order is not the one we would have created.
pub fn sales_order_differs(want: &SalesOrderRequest, have: &SalesOrder) -> Option<String> {
    if want.customer != have.customer {
        return Some(format!(
            "customer {} instead of {}",
            have.customer, want.customer
        ));
    }
    if want.tax_amount != have.tax_amount {
        return Some(format!(
            "tax {} instead of {}",
            have.tax_amount.0, want.tax_amount.0
        ));
    }
    // Orders created before the host sent a ship-to hold none: not a difference.
    if have.ship_to.is_some() && want.ship_to != have.ship_to {
        return Some(format!(
            "ship-to {:?} instead of {:?}",
            have.ship_to, want.ship_to
        ));
    }
    let mut want_lines: Vec<(String, i64, i64)> = want
        .lines
        .iter()
        .map(|l| {
            let item = l.sku.clone().or_else(|| l.upc.clone()).unwrap_or_default();
            (item, l.qty, l.unit_price.0)
        })
        .collect();
    let mut have_lines: Vec<(String, i64, i64)> = have
        .lines
        .iter()
        .map(|l| {
            // A line sent by UPC is held under its resolved SKU; compare by what we sent.
            let by_upc = want
                .lines
                .iter()
                .any(|w| w.sku.is_none() && w.upc.as_deref() == Some(&l.upc));
            let item = if by_upc { l.upc.clone() } else { l.sku.clone() };
            (item, l.qty, l.unit_price.0)
        })
        .collect();
    want_lines.sort();
    have_lines.sort();
    (want_lines != have_lines).then(|| format!("lines {have_lines:?} instead of {want_lines:?}"))
}

/// Why an existing credit memo is not the one we would have created.
pub fn memo_differs(want: &CreditMemoRequest, have: &CreditMemo) -> Option<String> {
    if want.customer != have.customer {
        return Some(format!(
            "customer {} instead of {}",
            have.customer, want.customer
        ));
    }
    if want.original_order != have.original_order {
        return Some(format!(
            "original order {} instead of {}",
            have.original_order, want.original_order
        ));
    }
    if want.tax_amount != have.tax_amount {
        return Some(format!(
            "tax {} instead of {}",
            have.tax_amount.0, want.tax_amount.0
        ));
    }
    let key = |l: &selvedge_bluecherry::model::CreditMemoLineRequest| {
        (l.sku.clone(), l.qty, l.unit_price.0, l.restock)
    };
    let mut a: Vec<_> = want.lines.iter().map(key).collect();
    let mut b: Vec<_> = have.lines.iter().map(key).collect();
    a.sort();
    b.sort();
    (a != b).then(|| format!("lines {b:?} instead of {a:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_client_storefront_and_order_and_ignore_revisions() {
        assert_eq!(order_ref("brand", "bigcommerce", "100"), "brand:bc:100");
        assert_eq!(order_ref("acme", "sparklayer", "p-7~r3"), "acme:sl:p-7");
        assert_ne!(
            order_ref("brand", "bigcommerce", "100"),
            order_ref("other", "bigcommerce", "100"),
            "two clients never share a reference"
        );
        assert_eq!(refund_ref("brand", "bigcommerce", "9"), "brand:bc:rf:9");
        assert_eq!(legacy_order_ref("SL-", "p-7~r2"), "SL-p-7");
    }

    fn request(ship_to: Option<ShipTo>) -> SalesOrderRequest {
        serde_json::from_value(serde_json::json!({
            "external_ref": "brand:bc:1", "division": "01", "warehouse": "NJ01",
            "customer": "WEB001", "order_date": "2026-12-07", "tax_amount": "1.00",
            "ship_to": ship_to,
            "lines": [{ "sku": "A", "qty": 1, "unit_price": "10.00" }]
        }))
        .expect("request")
    }

    fn held(ship_to: Option<ShipTo>) -> SalesOrder {
        serde_json::from_value(serde_json::json!({
            "order_number": "SO-1", "external_ref": "brand:bc:1", "status": "open",
            "division": "01", "warehouse": "NJ01", "customer": "WEB001", "terms": "NET30",
            "order_date": "2026-12-07", "authorised": false, "tax_amount": "1.00",
            "ship_to": ship_to,
            "lines": [{ "line_no": 1, "sku": "A", "upc": "1", "qty": 1, "qty_shipped": 0,
                        "unit_price": "10.00" }],
            "merchandise_total": "10.00", "updated_at": "2026-12-07T00:00:00Z"
        }))
        .expect("sales order")
    }

    #[test]
    fn an_erp_order_shipping_elsewhere_is_not_ours_but_one_from_before_ship_to_is() {
        let home = ShipTo {
            name: "Ada".into(),
            street1: "1 Loop Rd".into(),
            city: "Newark".into(),
            zip: "07102".into(),
            country: "US".into(),
            ..ShipTo::default()
        };
        let elsewhere = ShipTo {
            city: "Trenton".into(),
            ..home.clone()
        };
        let want = request(Some(home.clone()));
        assert_eq!(sales_order_differs(&want, &held(Some(home))), None);
        let differs = sales_order_differs(&want, &held(Some(elsewhere)));
        assert!(differs.is_some_and(|d| d.contains("Trenton")));
        assert_eq!(sales_order_differs(&want, &held(None)), None);
    }
}
