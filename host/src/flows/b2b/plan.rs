//! What the B2B flow intends, pure: the terms each ERP customer should have on the storefront,
//! the price rows the plugin is given, and the tier sets that changed since they were last
//! accepted. `apply` reads the inputs and performs the changes.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use selvedge_bluecherry::model::{Customer, PriceLevel};
use selvedge_runtime::rules::pricing::{ErpPrice, PriceBreak, PriceList, PriceTier};

use crate::storefronts::{AccountTerms, B2bCustomer, TierSet};

/// What to do about one ERP customer's terms.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TermsChange {
    /// A card or web account: no credit, nothing to publish (not counted).
    NoCredit,
    /// No storefront customer carries its number.
    Unmatched,
    /// Net terms the storefront cannot express: a finance exception, never clamped terms.
    Refused(String),
    /// The storefront already holds these terms.
    Unchanged,
    /// Write these terms to this storefront customer.
    Write {
        customer_id: String,
        terms: AccountTerms,
    },
}

/// The terms `customer` should have, against `matched` (the storefront customer carrying its
/// number, if any) and the net days the storefront accepts.
pub(super) fn terms_change(
    customer: &Customer,
    matched: Option<&B2bCustomer>,
    accepted: &RangeInclusive<u16>,
    storefront: &str,
) -> TermsChange {
    if customer.net_days == 0 && customer.credit_limit.0 == 0 {
        return TermsChange::NoCredit;
    }
    let Some(remote) = matched else {
        return TermsChange::Unmatched;
    };
    let Some(days) = u16::try_from(customer.net_days)
        .ok()
        .filter(|d| accepted.contains(d))
    else {
        return TermsChange::Refused(format!(
            "customer {}: terms {} ({} days) are outside {storefront}'s {}-{} day net terms",
            customer.customer,
            customer.terms_code,
            customer.net_days,
            accepted.start(),
            accepted.end()
        ));
    };
    let mut want = AccountTerms {
        credit_limit_cents: customer.credit_limit.0,
        balance_cents: customer.balance.0,
        net_days: Some(days),
        other: serde_json::Map::new(),
    };
    if let Some(current) = &remote.terms {
        // Keys the flow does not model stay as the storefront has them.
        want.other = current.other.clone();
        if *current == want {
            return TermsChange::Unchanged;
        }
    }
    TermsChange::Write {
        customer_id: remote.id.clone(),
        terms: want,
    }
}

/// The plugin's input: the ERP price rows of the wanted levels (all when `levels` is empty)
/// whose SKU is bound on the storefront, and how many rows were skipped as unbound.
pub(super) fn price_rows(
    erp: Vec<PriceLevel>,
    levels: &[String],
    bound: &HashMap<String, String>,
    currency: &str,
) -> (Vec<ErpPrice>, u64) {
    let mut unbound = 0;
    let mut rows = Vec::new();
    for p in erp {
        if !levels.is_empty() && !levels.contains(&p.level) {
            continue;
        }
        if !bound.contains_key(&p.sku) {
            unbound += 1;
            continue;
        }
        rows.push(ErpPrice {
            sku: p.sku,
            level: p.level,
            currency: currency.to_string(),
            breaks: p
                .breaks
                .iter()
                .map(|b| PriceBreak {
                    min_quantity: u32::try_from(b.min_qty.max(1)).unwrap_or(u32::MAX),
                    price: b.unit_price.0,
                })
                .collect(),
        });
    }
    (rows, unbound)
}

/// Adds one plugin call's lists to those of earlier calls (a list may span calls).
pub(super) fn merge_lists(into: &mut BTreeMap<String, PriceList>, lists: Vec<PriceList>) {
    for list in lists {
        match into.get_mut(&list.slug) {
            Some(known) => known.entries.extend(list.entries),
            None => {
                into.insert(list.slug.clone(), list);
            }
        }
    }
}

/// The tier sets to send: every entry whose hash differs from the one last accepted for its
/// (storefront SKU, list), and how many were unchanged.
pub(super) fn tier_changes(
    lists: &BTreeMap<String, PriceList>,
    bound: &HashMap<String, String>,
    accepted: &HashMap<(String, String), String>,
    hash: impl Fn(&[PriceTier]) -> String,
) -> (Vec<TierSet>, u64) {
    let mut unchanged = 0;
    let mut changed = Vec::new();
    for list in lists.values() {
        for entry in &list.entries {
            let sku = bound
                .get(&entry.sku)
                .cloned()
                .unwrap_or_else(|| entry.sku.clone());
            let hash = hash(&entry.tiers);
            if accepted.get(&(sku.clone(), list.slug.clone())) == Some(&hash) {
                unchanged += 1;
                continue;
            }
            changed.push(TierSet {
                list_slug: list.slug.clone(),
                sku,
                tiers: entry.tiers.clone(),
                hash,
            });
        }
    }
    (changed, unchanged)
}

/// `prices[12].breaks` -> 12: the row a plugin issue names.
pub(super) fn row_of(field: &str) -> Option<usize> {
    field
        .strip_prefix("prices[")?
        .split(']')
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use selvedge_bluecherry::model::{Cents, PriceBreak as ErpBreak};
    use selvedge_runtime::rules::pricing::PriceEntry;

    use super::*;

    fn customer(number: &str, net_days: u32, credit: i64) -> Customer {
        Customer {
            customer: number.into(),
            name: number.into(),
            terms_code: format!("NET{net_days}"),
            net_days,
            credit_limit: Cents(credit),
            balance: Cents(1_000),
            price_level: "A".into(),
            division: "01".into(),
        }
    }

    fn remote(terms: Option<AccountTerms>) -> B2bCustomer {
        B2bCustomer {
            id: "sl_1".into(),
            erp_customer: "C1".into(),
            terms,
        }
    }

    const DAYS: RangeInclusive<u16> = 7..=90;

    #[test]
    fn terms_are_written_keeping_other_keys_and_only_when_they_differ() {
        let mut other = serde_json::Map::new();
        other.insert("currency".into(), "USD".into());
        let held = AccountTerms {
            credit_limit_cents: 500_000,
            balance_cents: 1_000,
            net_days: Some(30),
            other,
        };
        let c = customer("C1", 30, 500_000);
        let same = remote(Some(held.clone()));
        assert_eq!(
            terms_change(&c, Some(&same), &DAYS, "sparklayer"),
            TermsChange::Unchanged
        );

        let raised = customer("C1", 30, 900_000);
        match terms_change(&raised, Some(&same), &DAYS, "sparklayer") {
            TermsChange::Write { customer_id, terms } => {
                assert_eq!(customer_id, "sl_1");
                assert_eq!(terms.credit_limit_cents, 900_000);
                assert_eq!(terms.other.get("currency"), Some(&"USD".into()));
            }
            other => panic!("expected a write, got {other:?}"),
        }
        // None held (or unreadable): written fresh.
        assert!(matches!(
            terms_change(&c, Some(&remote(None)), &DAYS, "sparklayer"),
            TermsChange::Write { .. }
        ));
    }

    #[test]
    fn card_accounts_unmatched_customers_and_inexpressible_terms_are_told_apart() {
        assert_eq!(
            terms_change(&customer("C1", 0, 0), None, &DAYS, "sparklayer"),
            TermsChange::NoCredit
        );
        assert_eq!(
            terms_change(&customer("C1", 30, 100), None, &DAYS, "sparklayer"),
            TermsChange::Unmatched
        );
        let refused = terms_change(
            &customer("C1", 120, 100),
            Some(&remote(None)),
            &DAYS,
            "sparklayer",
        );
        assert!(
            matches!(&refused, TermsChange::Refused(why) if why.contains("120 days") && why.contains("7-90")),
            "{refused:?}"
        );
    }

    #[test]
    fn only_wanted_levels_of_bound_skus_reach_the_plugin_with_breaks_from_one() {
        let level = |sku: &str, level: &str, min_qty| PriceLevel {
            level: level.into(),
            sku: sku.into(),
            breaks: vec![ErpBreak {
                min_qty,
                unit_price: Cents(1_250),
            }],
        };
        let bound = HashMap::from([("A-1".to_string(), "a-1".to_string())]);
        let erp = vec![
            level("A-1", "A", 0),
            level("A-1", "B", 1),
            level("Z-9", "A", 1),
        ];
        let (rows, unbound) = price_rows(erp, &["A".to_string()], &bound, "USD");
        assert_eq!(unbound, 1);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].sku.as_str(), rows[0].currency.as_str()),
            ("A-1", "USD")
        );
        assert_eq!(rows[0].breaks[0].min_quantity, 1);
    }

    #[test]
    fn only_tier_sets_whose_hash_changed_are_sent_under_the_storefront_sku() {
        let tiers = |price| vec![PriceTier { quantity: 1, price }];
        let list = |entries: Vec<PriceEntry>| PriceList {
            slug: "trade".into(),
            name: "Trade".into(),
            currency: "USD".into(),
            entries,
        };
        let mut lists = BTreeMap::new();
        merge_lists(
            &mut lists,
            vec![list(vec![PriceEntry {
                sku: "A-1".into(),
                tiers: tiers(100),
            }])],
        );
        merge_lists(
            &mut lists,
            vec![list(vec![PriceEntry {
                sku: "B-1".into(),
                tiers: tiers(200),
            }])],
        );
        let bound = HashMap::from([
            ("A-1".to_string(), "a-1".to_string()),
            ("B-1".to_string(), "b-1".to_string()),
        ]);
        let hash = |t: &[PriceTier]| t.iter().map(|t| t.price.to_string()).collect::<String>();
        let accepted =
            HashMap::from([(("a-1".to_string(), "trade".to_string()), "100".to_string())]);
        let (changed, unchanged) = tier_changes(&lists, &bound, &accepted, hash);
        assert_eq!(unchanged, 1);
        let sent: Vec<(&str, &str)> = changed
            .iter()
            .map(|t| (t.sku.as_str(), t.hash.as_str()))
            .collect();
        assert_eq!(sent, vec![("b-1", "200")]);
    }

    #[test]
    fn a_plugin_issue_names_its_row() {
        assert_eq!(row_of("prices[12].breaks"), Some(12));
        assert_eq!(row_of("lists"), None);
    }
}
