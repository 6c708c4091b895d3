//! The plan, pure: which SKU-locations change and to what. No I/O; unit-tested on its own.

use std::collections::{BTreeMap, HashMap};

use super::rows::RowMeta;
use crate::storefronts::LocationTarget;

/// One SKU-location whose ATS changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Storefront SKU.
    pub sku: String,
    /// Index into the location targets.
    pub location: usize,
    /// BigCommerce variant id, when bound.
    pub variant_id: Option<i64>,
    /// Quantity to publish.
    pub qty: i64,
    /// What the storefront was last told, if anything.
    pub previous: Option<i64>,
    /// Where `qty` comes from.
    pub source: Source,
}

/// Where the quantity of a [`Change`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The plugin's ATS of these input rows (usually one; more when warehouses share a
    /// location).
    Rows(Vec<usize>),
    /// The SKU-location was last pushed with stock but is missing from the cycle's ATS
    /// snapshot: it is pushed as 0 so the storefront stops selling stock the ERP no longer
    /// reports. `erp_sku` is the ERP SKU bound to it.
    MissingFromSnapshot { erp_sku: String },
}

/// SKU-locations whose computed ATS differs from the last pushed value.
/// `meta` and `ats` are index-aligned (the plugin's answer was checked for length).
pub(crate) fn diff(
    meta: &[RowMeta],
    ats: &[i32],
    targets: &[LocationTarget],
    previous: &HashMap<(String, String), i64>,
) -> Vec<Change> {
    // Sum per (storefront SKU, location): several warehouses may feed one location.
    let mut summed: BTreeMap<(usize, &str), Change> = BTreeMap::new();
    for (i, m) in meta.iter().enumerate() {
        let qty = i64::from(ats.get(i).copied().unwrap_or(0).max(0));
        let entry = summed
            .entry((m.location, m.storefront_sku.as_str()))
            .or_insert_with(|| Change {
                sku: m.storefront_sku.clone(),
                location: m.location,
                variant_id: m.variant_id,
                qty: 0,
                previous: None,
                source: Source::Rows(Vec::new()),
            });
        entry.qty += qty;
        if let Source::Rows(rows) = &mut entry.source {
            rows.push(i);
        }
    }
    summed
        .into_values()
        .filter_map(|mut c| {
            let key = (c.sku.clone(), targets.get(c.location)?.key.clone());
            c.previous = previous.get(&key).copied();
            (c.previous != Some(c.qty)).then_some(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sku: &str, warehouse: &str, location: usize) -> RowMeta {
        RowMeta {
            erp_sku: sku.into(),
            storefront_sku: sku.into(),
            variant_id: Some(7),
            warehouse: warehouse.into(),
            location,
            buckets: Default::default(),
            sku_buffer: 0,
        }
    }

    fn targets(keys: &[&str]) -> Vec<LocationTarget> {
        keys.iter()
            .map(|k| LocationTarget {
                configured: (*k).into(),
                key: (*k).into(),
                numeric_id: None,
            })
            .collect()
    }

    #[test]
    fn warehouses_feeding_one_location_are_summed_and_negative_ats_counts_as_zero() {
        let meta = [
            row("A", "NJ01", 0),
            row("A", "CA02", 0),
            row("B", "NJ01", 0),
        ];
        let changes = diff(&meta, &[4, 3, -2], &targets(&["1"]), &HashMap::new());
        let got: Vec<(&str, i64)> = changes.iter().map(|c| (c.sku.as_str(), c.qty)).collect();
        assert_eq!(got, vec![("A", 7), ("B", 0)]);
        assert_eq!(changes[0].source, Source::Rows(vec![0, 1]));
        assert_eq!(changes[0].variant_id, Some(7));
    }

    #[test]
    fn only_values_that_differ_from_the_last_push_are_planned() {
        let meta = [
            row("A", "NJ01", 0),
            row("B", "NJ01", 1),
            row("C", "NJ01", 1),
        ];
        let previous = HashMap::from([
            (("A".to_string(), "1".to_string()), 5),
            (("B".to_string(), "2".to_string()), 9),
        ]);
        let changes = diff(&meta, &[5, 8, 1], &targets(&["1", "2"]), &previous);
        let got: Vec<(&str, i64, Option<i64>)> = changes
            .iter()
            .map(|c| (c.sku.as_str(), c.qty, c.previous))
            .collect();
        assert_eq!(got, vec![("B", 8, Some(9)), ("C", 1, None)]);
    }
}
