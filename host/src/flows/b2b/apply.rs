//! The B2B flow's I/O: the ERP's customers and price levels in, the plugin for price lists,
//! the storefront's [`B2bSink`] port for terms and tiers, the store for what was accepted.

use std::collections::{BTreeMap, HashMap};

use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, PublishedPrice};
use serde_json::json;
use time::OffsetDateTime;

use super::plan::{self, TermsChange};
use super::{B2bOutcome, B2bSettings};
use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowKind};
use crate::plugins::CallRecorder;
use crate::storefronts::{B2bSink, TierSet};

/// Price rows per plugin call.
const ROWS_PER_CALL: usize = 20_000;

/// ERP terms and credit -> the storefront customers carrying the ERP number.
pub(super) async fn sync_terms(
    ctx: &ClientServices,
    sink: &dyn B2bSink,
    out: &mut B2bOutcome,
) -> Result<(), FlowError> {
    let erp = ctx.erp.list_customers().await?;
    let remote = sink.customers().await?;
    let by_number: HashMap<&str, _> = remote
        .iter()
        .map(|c| (c.erp_customer.as_str(), c))
        .collect();
    let accepted = sink.net_days();
    let storefront = ctx.storefront.name();
    for c in &erp {
        let matched = by_number.get(c.customer.as_str()).copied();
        let change = plan::terms_change(c, matched, &accepted, storefront);
        if change == TermsChange::NoCredit {
            continue;
        }
        out.customers_read += 1;
        let (summary, details) = match change {
            TermsChange::NoCredit | TermsChange::Unchanged => continue,
            TermsChange::Unmatched => {
                out.customers_unmatched += 1;
                continue;
            }
            TermsChange::Refused(summary) => (summary, json!({ "terms": c.terms_code })),
            TermsChange::Write { customer_id, terms } => {
                match sink.set_terms(&customer_id, &terms).await? {
                    Ok(()) => {
                        out.terms_updated += 1;
                        continue;
                    }
                    Err(reason) => (
                        format!(
                            "customer {}: {storefront} refused the terms: {reason}",
                            c.customer
                        ),
                        json!({ format!("{storefront}_id"): customer_id }),
                    ),
                }
            }
        };
        out.terms_refused += 1;
        ctx.raise(ExceptionKind::B2bSync, &c.customer, summary, details)
            .await?;
    }
    Ok(())
}

/// ERP price levels -> the plugin -> the storefront's price lists, sending only tier sets
/// that changed since last accepted.
pub(super) async fn sync_prices(
    ctx: &ClientServices,
    sink: &dyn B2bSink,
    settings: &B2bSettings,
    out: &mut B2bOutcome,
) -> Result<(), FlowError> {
    let storefront = ctx.storefront.name();
    let bound: HashMap<String, String> = ctx
        .store
        .list_bindings(&ctx.client, storefront)
        .await?
        .into_iter()
        .map(|b| (b.erp_sku, b.storefront_sku))
        .collect();
    let levels = ctx.erp.list_price_levels(None).await?;
    let (input, unbound) =
        plan::price_rows(levels, &settings.price_levels, &bound, &settings.currency);
    out.prices_unbound += unbound;
    let mut lists = BTreeMap::new();
    let mut decisions = Vec::new();
    let mut recorder = CallRecorder::new();
    for chunk in input.chunks(ROWS_PER_CALL) {
        let called = ctx.plugin.map_prices(chunk.to_vec()).await?;
        for issue in called
            .output
            .issues
            .iter()
            .filter(|i| i.severity != Severity::Warning)
        {
            let subject = plan::row_of(&issue.field)
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
        let call_id = recorder.call(
            &ctx.client,
            FlowKind::B2b.as_str(),
            &called.report,
            Vec::new,
        );
        for list in &called.output.lists {
            decisions.push(Decision {
                client: ctx.client.clone(),
                flow: FlowKind::B2b.as_str().into(),
                subject: list.slug.clone(),
                plugin_id: called.report.plugin.clone(),
                plugin_version: called.report.version.clone(),
                reason: json!({ "reasons": called.output.reasons, "issues": called.output.issues.len() }),
                value: json!({ "entries": list.entries.len(), "currency": list.currency }),
                call_id: call_id.clone(),
                created_at: OffsetDateTime::now_utc(),
            });
        }
        plan::merge_lists(&mut lists, called.output.lists);
    }
    let accepted: HashMap<(String, String), String> = ctx
        .store
        .published_prices(&ctx.client, storefront)
        .await?
        .into_iter()
        .map(|p| ((p.sku, p.price_list), p.content_hash))
        .collect();
    for list in lists.values() {
        if !sink.has_price_list(&list.slug).await? {
            sink.create_price_list(list).await?;
            out.lists_created += 1;
        }
    }
    let (changed, unchanged) = plan::tier_changes(&lists, &bound, &accepted, |t| sink.tier_hash(t));
    out.tiers_unchanged += unchanged;
    for chunk in changed.chunks(settings.pricing_batch.max(1)) {
        sink.send_tiers(chunk).await?;
        out.pricing_calls += 1;
        out.tiers_updated += chunk.len() as u64;
        let rows: Vec<PublishedPrice> = chunk.iter().map(published).collect();
        ctx.store
            .upsert_published_prices(&ctx.client, storefront, &rows, OffsetDateTime::now_utc())
            .await?;
    }
    recorder.save(ctx.store.as_ref(), &decisions).await?;
    Ok(())
}

fn published(set: &TierSet) -> PublishedPrice {
    PublishedPrice {
        price_list: set.list_slug.clone(),
        sku: set.sku.clone(),
        content_hash: set.hash.clone(),
    }
}
