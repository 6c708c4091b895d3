//! The catalog's I/O through the storefront's catalog port: on a product storefront the plugin
//! maps each style to a product; new styles become products (variants inline), changed ones
//! are batch-updated ([`super::batch`]), new SKUs of a known product are added
//! ([`super::variants`]). Only what changed is written: a content hash per product and per
//! variant is kept in the bindings. A SKU-list storefront is served by [`super::skus`].

use std::collections::HashMap;

use selvedge_bluecherry::model::Style;
use selvedge_runtime::CallReport;
use selvedge_runtime::rules::catalog::{self as rules, CatalogDecision};
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, SkuBinding};
use serde_json::json;
use time::OffsetDateTime;

use super::batch::{Pending, flush};
use super::plan::{content_hash, erp_style, product_hash};
use super::{CatalogOutcome, CatalogSettings};
use crate::flows::{ClientServices, ExceptionKind, FlowError, FlowKind};
use crate::plugins::record_call;
use crate::progress::Progress;
use crate::storefronts::{CatalogPort, CreateRefused, ProductSink, StoredProduct};

/// The run's bindings by ERP SKU, kept current as the run writes.
pub(super) type Bound = HashMap<String, SkuBinding>;

/// Applies `styles` through the storefront's catalog port.
/// With `rewrite`, the stored content hashes are ignored: every product and variant of
/// `styles` is written again (a targeted re-sync after someone edited the storefront).
pub(super) async fn sync(
    ctx: &ClientServices,
    settings: &CatalogSettings,
    styles: &[Style],
    rewrite: bool,
    progress: &dyn Progress,
) -> Result<CatalogOutcome, FlowError> {
    progress.start("catalog sync", "styles", Some(styles.len() as u64));
    let out = match ctx.storefront.catalog()? {
        CatalogPort::Products(sink) => {
            products(ctx, sink, settings, styles, (rewrite, progress)).await?
        }
        CatalogPort::Skus(sink) => {
            // One pass with a single write at the end: nothing to report on the way.
            let out = super::skus::sync(ctx, sink, styles).await?;
            progress.advance(styles.len() as u64);
            out
        }
    };
    progress.finish();
    Ok(out)
}

/// The client's bindings on this storefront by ERP SKU.
pub(super) async fn bindings(ctx: &ClientServices) -> Result<Bound, FlowError> {
    Ok(ctx
        .store
        .list_bindings(&ctx.client, ctx.storefront.name())
        .await?
        .into_iter()
        .map(|b| (b.erp_sku.clone(), b))
        .collect())
}

async fn products(
    ctx: &ClientServices,
    sink: &dyn ProductSink,
    settings: &CatalogSettings,
    styles: &[Style],
    (rewrite, progress): (bool, &dyn Progress),
) -> Result<CatalogOutcome, FlowError> {
    let mut out = CatalogOutcome::default();
    let mut bound = bindings(ctx).await?;
    if rewrite {
        for b in bound.values_mut() {
            b.content_hash = None;
        }
    }
    let mut pending = Pending::default();
    for chunk in styles.chunks(settings.styles_per_call.max(1)) {
        let input = chunk
            .iter()
            .map(|s| erp_style(s, &settings.wholesale_level))
            .collect();
        let called = ctx.plugin.map_styles(input).await?;
        if called.output.len() != chunk.len() {
            return Err(FlowError::Invalid(format!(
                "plugin {} returned {} catalog decisions for {} styles",
                called.report.plugin,
                called.output.len(),
                chunk.len()
            )));
        }
        let mut decisions = Vec::new();
        for (style, decision) in chunk.iter().zip(called.output) {
            let mut run = StyleRun {
                ctx,
                sink,
                bound: &mut bound,
                out: &mut out,
            };
            let action = run.apply(settings, style, &decision, &mut pending).await?;
            if action != "unchanged" {
                decisions.push(record(
                    ctx,
                    &called.report,
                    style,
                    &decision,
                    action,
                    &bound,
                ));
            }
        }
        // Recorded even when nothing changed: shadow runs read the recent calls.
        record_call(
            ctx.store.as_ref(),
            &ctx.client,
            FlowKind::Catalog.as_str(),
            &called.report,
            Vec::new,
            decisions,
        )
        .await?;
        progress.advance(chunk.len() as u64);
    }
    flush(ctx, sink, pending, &mut out).await?;
    Ok(out)
}

/// What one style's writes share.
pub(super) struct StyleRun<'r> {
    pub ctx: &'r ClientServices,
    pub sink: &'r dyn ProductSink,
    pub bound: &'r mut Bound,
    pub out: &'r mut CatalogOutcome,
}

enum Created {
    Done,
    Refused,
    /// The product already existed on the store (e.g. bindings lost): now bound, to update.
    Adopted(i64),
}

impl StyleRun<'_> {
    /// Applies one style's decision; returns what happened (`created`, `updated`,
    /// `unchanged`, `refused`) for the decision audit.
    async fn apply(
        &mut self,
        settings: &CatalogSettings,
        style: &Style,
        decision: &CatalogDecision,
        pending: &mut Pending,
    ) -> Result<&'static str, FlowError> {
        let ctx = self.ctx;
        let blocking: Vec<_> = decision
            .issues
            .iter()
            .filter(|i| i.severity != Severity::Warning)
            .collect();
        let refused = decision
            .issues
            .iter()
            .any(|i| i.severity == Severity::Error);
        let Some(product) = decision.product.as_ref().filter(|_| !refused) else {
            self.out.styles_rejected += 1;
            let summary = blocking
                .iter()
                .map(|i| i.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let summary = if summary.is_empty() {
                "the plugin returned no product".to_string()
            } else {
                summary
            };
            let details = json!({ "style": style.style, "issues": decision.issues });
            ctx.raise(
                ExceptionKind::SkuUnmapped,
                &style.style,
                format!("style {}: {summary}", style.style),
                details,
            )
            .await?;
            return Ok("refused");
        };
        for issue in &blocking {
            // A review issue lets the product through but needs a person.
            let summary = format!("style {} needs review: {}", style.style, issue.message);
            ctx.raise(
                ExceptionKind::SkuUnmapped,
                &style.style,
                summary,
                json!({ "issue": issue }),
            )
            .await?;
        }
        let most = self.sink.max_variants();
        if product.variants.len() > most {
            self.out.styles_rejected += 1;
            let summary = format!(
                "style {} has {} SKUs; {} allows {most} per product",
                style.style,
                product.variants.len(),
                self.sink.title()
            );
            ctx.raise(ExceptionKind::SkuUnmapped, &style.style, summary, json!({}))
                .await?;
            return Ok("refused");
        }
        let product_hash = product_hash(product);
        let product_id = self
            .bound
            .get(&product.sku)
            .map(|b| b.product_id.clone())
            .or_else(|| {
                product
                    .variants
                    .iter()
                    .find_map(|v| self.bound.get(&v.sku).map(|b| b.product_id.clone()))
            })
            .and_then(|id| id.parse::<i64>().ok());
        let product_id = match product_id {
            Some(id) => id,
            None => match self.create(settings, product).await? {
                Created::Done => return Ok("created"),
                Created::Refused => return Ok("refused"),
                Created::Adopted(id) => id,
            },
        };
        let mut action = "unchanged";
        if self
            .bound
            .get(&product.sku)
            .and_then(|b| b.content_hash.as_deref())
            != Some(product_hash.as_str())
        {
            pending.product(product_id, product, product_hash);
            action = "updated";
        }
        let mut new_variants = Vec::new();
        for v in &product.variants {
            match self
                .bound
                .get(&v.sku)
                .and_then(|b| Some((b.variant_id.as_deref()?.parse::<i64>().ok()?, b)))
            {
                Some((id, b)) => {
                    let hash = content_hash(v);
                    if b.content_hash.as_deref() != Some(hash.as_str()) {
                        pending.variant(id, v, hash);
                        action = "updated";
                    }
                }
                None => new_variants.push(v),
            }
        }
        if !new_variants.is_empty() {
            self.add_variants(product_id, &new_variants).await?;
            action = "updated";
        }
        if action == "unchanged" {
            self.out.styles_unchanged += 1;
        }
        Ok(action)
    }

    async fn create(
        &mut self,
        settings: &CatalogSettings,
        product: &rules::Product,
    ) -> Result<Created, FlowError> {
        match self.sink.create_product(product, settings).await? {
            Ok(created) => {
                self.bind(&created, product, true).await?;
                self.out.products_created += 1;
                Ok(Created::Done)
            }
            Err(CreateRefused::Conflict) => match self.sink.product_by_sku(&product.sku).await? {
                Some(found) => {
                    self.bind(&found, product, false).await?;
                    Ok(Created::Adopted(found.id))
                }
                None => {
                    self.refuse(
                        product,
                        "a SKU of this style is already used by another product",
                    )
                    .await
                }
            },
            Err(CreateRefused::Invalid(why)) => self.refuse(product, &why).await,
        }
    }

    async fn refuse(&self, product: &rules::Product, why: &str) -> Result<Created, FlowError> {
        let summary = format!(
            "style {}: {} refused the product: {why}",
            product.style,
            self.sink.title()
        );
        self.ctx
            .raise(
                ExceptionKind::SkuUnmapped,
                &product.style,
                summary,
                json!({ "sku": product.sku }),
            )
            .await?;
        Ok(Created::Refused)
    }

    /// Binds a stored product and its variants (matched by SKU); with `hashes`, records the
    /// content just written (a create); an adopted product keeps no hash so it is rewritten.
    async fn bind(
        &mut self,
        stored: &StoredProduct,
        product: &rules::Product,
        hashes: bool,
    ) -> Result<(), FlowError> {
        let ctx = self.ctx;
        let now = OffsetDateTime::now_utc();
        let mut rows = vec![binding(
            ctx,
            stored.id,
            None,
            &product.sku,
            &stored.sku,
            now,
        )];
        let mut written = vec![(product.sku.clone(), product_hash(product))];
        for v in &product.variants {
            if let Some(sv) = stored
                .variants
                .iter()
                .find(|sv| sv.sku.eq_ignore_ascii_case(&v.sku))
            {
                rows.push(binding(ctx, stored.id, Some(sv.id), &v.sku, &sv.sku, now));
                written.push((v.sku.clone(), content_hash(v)));
            }
        }
        ctx.store.upsert_bindings(&rows, now).await?;
        if hashes {
            ctx.store
                .set_content_hashes(&ctx.client, ctx.storefront.name(), &written, now)
                .await?;
        }
        let hash_of: HashMap<String, String> = written.into_iter().collect();
        for mut b in rows {
            b.content_hash = if hashes {
                hash_of.get(&b.erp_sku).cloned()
            } else {
                None
            };
            self.bound.insert(b.erp_sku.clone(), b);
        }
        Ok(())
    }
}

/// A binding of ERP SKU `erp_sku` to a stored product (and variant), without a hash.
pub(super) fn binding(
    ctx: &ClientServices,
    product_id: i64,
    variant_id: Option<i64>,
    erp_sku: &str,
    storefront_sku: &str,
    now: OffsetDateTime,
) -> SkuBinding {
    SkuBinding {
        client: ctx.client.clone(),
        storefront: ctx.storefront.name().into(),
        erp_sku: erp_sku.into(),
        product_id: product_id.to_string(),
        variant_id: variant_id.map(|v| v.to_string()),
        storefront_sku: storefront_sku.into(),
        content_hash: None,
        updated_at: now,
    }
}

fn record(
    ctx: &ClientServices,
    report: &CallReport,
    style: &Style,
    decision: &CatalogDecision,
    action: &str,
    bound: &Bound,
) -> Decision {
    let product_id = bound.get(&style.style).map(|b| b.product_id.clone());
    Decision {
        client: ctx.client.clone(),
        flow: FlowKind::Catalog.as_str().into(),
        subject: style.style.clone(),
        plugin_id: report.plugin.clone(),
        plugin_version: report.version.clone(),
        reason: json!({ "reasons": decision.reasons, "issues": decision.issues }),
        value: json!({
            "action": action,
            "product_id": product_id,
            "variants": decision.product.as_ref().map(|p| p.variants.len()),
        }),
        call_id: None,
        created_at: OffsetDateTime::now_utc(),
    }
}
