//! The comparisons of reconciliation, pure: what each side holds in, findings out. `apply`
//! reads both sides and raises what these find.

use std::collections::{BTreeMap, HashMap, HashSet};

use selvedge_store::PushedStock;

use super::{MissingFrom, OrderDrift, SkuMissing, StockDrift};

/// Value (ex tax, cents) and units of one order on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Totals {
    pub value_minor: i64,
    pub qty: i64,
}

/// One injected order as both sides hold it.
#[derive(Debug, Clone)]
pub(super) struct OrderSides<'a> {
    pub storefront_order_id: &'a str,
    pub erp_order_no: &'a str,
    /// What the storefront order became at injection (or is now, without a snapshot).
    pub expected: Totals,
    /// What the ERP holds now (zero when it lost the order).
    pub erp: Totals,
    /// Units on the storefront order now, when it was read.
    pub storefront_qty: Option<i64>,
}

/// The drift of one order, if its value is off by more than `value_tolerance_cents` or any
/// unit differs.
pub(super) fn order_drift(
    sides: &OrderSides<'_>,
    value_tolerance_cents: i64,
    owner: &str,
) -> Option<OrderDrift> {
    let value_off =
        (sides.erp.value_minor - sides.expected.value_minor).abs() > value_tolerance_cents;
    (value_off || sides.erp.qty != sides.expected.qty).then(|| OrderDrift {
        storefront_order_id: sides.storefront_order_id.to_string(),
        erp_order_no: sides.erp_order_no.to_string(),
        expected_value_cents: sides.expected.value_minor,
        erp_value_cents: sides.erp.value_minor,
        expected_qty: sides.expected.qty,
        erp_qty: sides.erp.qty,
        storefront_qty: sides.storefront_qty,
        owner: owner.to_string(),
    })
}

/// Exception subject of a stock drift: `sku@location`.
pub(super) fn stock_subject(sku: &str, location: &str) -> String {
    format!("{sku}@{location}")
}

/// Stock the storefront shows against what was last pushed: the `sku@location` keys compared
/// and the drifted ones (a SKU-location with no stock record there has drifted).
pub(super) fn stock_drift(
    pushed: Vec<PushedStock>,
    shown: &HashMap<(String, String), i64>,
    tolerance: i64,
    owner: &str,
) -> (HashSet<String>, Vec<StockDrift>) {
    let mut checked = HashSet::with_capacity(pushed.len());
    let mut drift = Vec::new();
    for p in pushed {
        checked.insert(stock_subject(&p.sku, &p.location));
        let now = shown.get(&(p.sku.clone(), p.location.clone())).copied();
        if now.is_none_or(|q| (q - p.qty).abs() > tolerance) {
            drift.push(StockDrift {
                sku: p.sku,
                location: p.location,
                expected: p.qty,
                storefront: now,
                owner: owner.to_string(),
            });
        }
    }
    (checked, drift)
}

/// SKUs on one side only, both keyed by lower-cased SKU: how many SKUs were compared (the
/// union) and the missing ones, ERP-only first.
pub(super) fn skus_missing(
    erp: &BTreeMap<String, String>,
    storefront: &BTreeMap<String, String>,
    owner: &str,
) -> (u64, Vec<SkuMissing>) {
    let missing = |sku: &String, missing_from| SkuMissing {
        sku: sku.clone(),
        missing_from,
        owner: owner.to_string(),
    };
    let mut found: Vec<SkuMissing> = erp
        .iter()
        .filter(|(key, _)| !storefront.contains_key(*key))
        .map(|(_, sku)| missing(sku, MissingFrom::Storefront))
        .collect();
    let storefront_only: Vec<SkuMissing> = storefront
        .iter()
        .filter(|(key, _)| !erp.contains_key(*key))
        .map(|(_, sku)| missing(sku, MissingFrom::Erp))
        .collect();
    let checked = (erp.len() + storefront_only.len()) as u64;
    found.extend(storefront_only);
    (checked, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(expected: (i64, i64), erp: (i64, i64)) -> OrderSides<'static> {
        OrderSides {
            storefront_order_id: "100",
            erp_order_no: "SO-1",
            expected: Totals {
                value_minor: expected.0,
                qty: expected.1,
            },
            erp: Totals {
                value_minor: erp.0,
                qty: erp.1,
            },
            storefront_qty: None,
        }
    }

    #[test]
    fn an_order_drifts_beyond_the_value_tolerance_or_on_any_unit() {
        assert_eq!(
            order_drift(&sides((1000, 2), (1003, 2)), 5, "finance"),
            None
        );
        let value = order_drift(&sides((1000, 2), (1006, 2)), 5, "finance");
        assert_eq!(
            value.map(|d| (d.erp_value_cents, d.owner)),
            Some((1006, "finance".into()))
        );
        let units = order_drift(&sides((1000, 2), (1000, 3)), 5, "finance");
        assert_eq!(units.map(|d| (d.expected_qty, d.erp_qty)), Some((2, 3)));
        // An order the ERP lost reads as zero: drifted.
        assert!(order_drift(&sides((1000, 2), (0, 0)), 0, "finance").is_some());
    }

    #[test]
    fn stock_outside_the_tolerance_or_without_a_record_has_drifted_and_every_key_is_checked() {
        let pushed = |sku: &str, qty| PushedStock {
            sku: sku.into(),
            location: "1".into(),
            qty,
        };
        let shown = HashMap::from([
            (("A".to_string(), "1".to_string()), 10),
            (("B".to_string(), "1".to_string()), 7),
        ]);
        let (checked, drift) = stock_drift(
            vec![pushed("A", 11), pushed("B", 10), pushed("C", 4)],
            &shown,
            1,
            "ecom",
        );
        assert_eq!(checked.len(), 3);
        assert!(checked.contains("C@1"));
        let drifted: Vec<(&str, Option<i64>)> = drift
            .iter()
            .map(|d| (d.sku.as_str(), d.storefront))
            .collect();
        assert_eq!(drifted, vec![("B", Some(7)), ("C", None)]);
    }

    #[test]
    fn skus_are_compared_case_blind_and_named_as_each_side_spells_them() {
        let erp = BTreeMap::from([
            ("a-1".to_string(), "A-1".to_string()),
            ("b-1".to_string(), "B-1".to_string()),
        ]);
        let storefront = BTreeMap::from([
            ("a-1".to_string(), "a-1".to_string()),
            ("z-9".to_string(), "z-9".to_string()),
        ]);
        let (checked, missing) = skus_missing(&erp, &storefront, "ecom");
        assert_eq!(checked, 3);
        let found: Vec<(&str, MissingFrom)> = missing
            .iter()
            .map(|m| (m.sku.as_str(), m.missing_from))
            .collect();
        assert_eq!(
            found,
            vec![("B-1", MissingFrom::Storefront), ("z-9", MissingFrom::Erp)]
        );
    }
}
