//! ERP price levels -> plugin -> Sparklayer price lists, sending only changed tier sets.

use std::collections::{BTreeMap, HashMap};

use selvedge_runtime::rules::pricing::{ErpPrice, PriceBreak, PriceList as PluginList};
use selvedge_runtime::rules::types::Severity;
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{BatchSkuPricing, PriceList, SkuPricing, TierPrice};
use selvedge_store::{Decision, PublishedPrice};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::flows::b2b::{B2bOutcome, B2bSettings};
use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowKind};

/// Storefront name of the published prices.
const STOREFRONT: &str = "sparklayer";
/// Price rows per plugin call.
const ROWS_PER_CALL: usize = 20_000;

/// The content hash of a tier set (hex SHA-256 of its JSON).
fn content_hash(tiers: &[TierPrice]) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(tiers).unwrap_or_default(),
    ))
}

pub(super) async fn sync(
    ctx: &ClientServices,
    sl: &SparklayerClient,
    settings: &B2bSettings,
    out: &mut B2bOutcome,
) -> Result<(), FlowError> {
    let bound: HashMap<String, String> = ctx
        .store
        .list_bindings(&ctx.client, "sparklayer")
        .await?
        .into_iter()
        .map(|b| (b.erp_sku, b.storefront_sku))
        .collect();
    let mut input = Vec::new();
    for p in ctx.erp.list_price_levels(None).await? {
        if !settings.price_levels.is_empty() && !settings.price_levels.contains(&p.level) {
            continue;
        }
        if !bound.contains_key(&p.sku) {
            out.prices_unbound += 1;
            continue;
        }
        input.push(ErpPrice {
            sku: p.sku,
            level: p.level,
            currency: settings.currency.clone(),
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
    // Lists by slug, merged across plugin calls.
    let mut lists: BTreeMap<String, PluginList> = BTreeMap::new();
    let mut decisions = Vec::new();
    for chunk in input.chunks(ROWS_PER_CALL) {
        let called = ctx.plugin.map_prices(chunk.to_vec()).await?;
        for issue in called
            .output
            .issues
            .iter()
            .filter(|i| i.severity != Severity::Warning)
        {
            let subject = row_of(&issue.field)
                .and_then(|i| chunk.get(i))
                .map_or_else(|| issue.field.clone(), |p| format!("{} {}", p.sku, p.level));
            let summary = format!("price {subject}: {}", issue.message);
            ctx.raise(
                ExceptionKind::B2bSync,
                &subject,
                summary,
                json!({ "issue": issue }),
            )
            .await?;
        }
        for list in called.output.lists {
            decisions.push(Decision {
                client: ctx.client.clone(),
                flow: FlowKind::B2b.as_str().into(),
                subject: list.slug.clone(),
                plugin_id: called.report.plugin.clone(),
                plugin_version: called.report.version.clone(),
                reason: json!({ "reasons": called.output.reasons, "issues": called.output.issues.len() }),
                value: json!({ "entries": list.entries.len(), "currency": list.currency }),
                created_at: OffsetDateTime::now_utc(),
            });
            match lists.get_mut(&list.slug) {
                Some(known) => known.entries.extend(list.entries),
                None => {
                    lists.insert(list.slug.clone(), list);
                }
            }
        }
    }
    let previous: HashMap<(String, String), String> = ctx
        .store
        .published_prices(&ctx.client, STOREFRONT)
        .await?
        .into_iter()
        .map(|p| ((p.sku, p.price_list), p.content_hash))
        .collect();
    let mut changed: Vec<(BatchSkuPricing, String)> = Vec::new();
    for list in lists.values() {
        if sl.get_price_list(&list.slug).await?.is_none() {
            let new = PriceList {
                slug: list.slug.clone(),
                name: list.name.clone(),
                currency_code: list.currency.clone(),
                source: Some("bluecherry".into()),
                tax_inclusive_display: None,
                rules: Vec::new(),
            };
            sl.create_price_list(&new).await?;
            out.lists_created += 1;
        }
        for entry in &list.entries {
            let sku = bound
                .get(&entry.sku)
                .cloned()
                .unwrap_or_else(|| entry.sku.clone());
            let tiers: Vec<TierPrice> = entry
                .tiers
                .iter()
                .map(|t| TierPrice {
                    quantity: t.quantity,
                    price_cents: t.price,
                    unit_of_measure: None,
                })
                .collect();
            let hash = content_hash(&tiers);
            if previous.get(&(sku.clone(), list.slug.clone())) == Some(&hash) {
                out.tiers_unchanged += 1;
                continue;
            }
            let item = SkuPricing {
                sku,
                display_tax_rate: None,
                pricing: tiers,
            };
            changed.push((
                BatchSkuPricing {
                    price_list_slug: list.slug.clone(),
                    item,
                },
                hash,
            ));
        }
    }
    for chunk in changed.chunks(settings.pricing_batch.max(1)) {
        let items: Vec<BatchSkuPricing> = chunk.iter().map(|(item, _)| item.clone()).collect();
        sl.batch_update_pricing(&items).await?;
        out.pricing_calls += 1;
        out.tiers_updated += chunk.len() as u64;
        let rows: Vec<PublishedPrice> = chunk
            .iter()
            .map(|(item, hash)| PublishedPrice {
                price_list: item.price_list_slug.clone(),
                sku: item.item.sku.clone(),
                content_hash: hash.clone(),
            })
            .collect();
        ctx.store
            .upsert_published_prices(&ctx.client, STOREFRONT, &rows, OffsetDateTime::now_utc())
            .await?;
    }
    ctx.store.record_decisions(&decisions).await?;
    Ok(())
}

/// `prices[12].breaks` -> 12.
fn row_of(field: &str) -> Option<usize> {
    field
        .strip_prefix("prices[")?
        .split(']')
        .next()?
        .parse()
        .ok()
}
