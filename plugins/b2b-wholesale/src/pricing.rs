//! ERP price levels -> Sparklayer price lists with quantity breaks.

use std::collections::BTreeMap;

use selvedge_plugin_sdk::prelude::*;

pub fn map(prices: Vec<ErpPrice>) -> PricingDecision {
    let lists_by_level = Table::load("price_level_list");
    let mut lists: BTreeMap<String, PriceList> = BTreeMap::new();
    let mut issues = vec![];
    for (i, price) in prices.into_iter().enumerate() {
        let Some(slug) = lists_by_level.get(&price.level) else {
            issues.push(warning(
                "unmapped-price-level",
                &format!("prices[{i}].level"),
                format!(
                    "price level {} has no price list: {} skipped",
                    price.level, price.sku
                ),
            ));
            continue;
        };
        let mut tiers: Vec<PriceTier> = price
            .breaks
            .iter()
            .map(|b| PriceTier {
                quantity: b.min_quantity.max(1),
                price: b.price,
            })
            .collect();
        tiers.sort_by_key(|t| t.quantity);
        tiers.dedup_by_key(|t| t.quantity);
        if tiers.iter().any(|t| t.price <= 0) {
            issues.push(error(
                "non-positive-price",
                &format!("prices[{i}].breaks"),
                format!(
                    "{} level {} has a price of zero or less",
                    price.sku, price.level
                ),
            ));
            continue;
        }
        let list = lists.entry(slug.to_string()).or_insert_with(|| PriceList {
            slug: slug.to_string(),
            name: format!("Wholesale {}", price.level),
            currency: price.currency.clone(),
            entries: vec![],
        });
        list.entries.push(PriceEntry {
            sku: price.sku,
            tiers,
        });
    }
    PricingDecision {
        lists: lists.into_values().collect(),
        issues,
        reasons: vec![reason(
            "price-levels",
            "ERP levels mapped through price_level_list",
        )],
    }
}
