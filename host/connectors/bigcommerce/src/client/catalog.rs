//! Catalog V3 calls: products, options, variants.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::paging::{Params, param};
use super::{BigCommerceClient, Call, Operation, join};
use crate::error::Error;
use crate::model::{
    BatchReport, Envelope, ItemFailure, NewOption, NewProduct, NewVariant, Product, ProductOption,
    ProductQuery, ProductUpdate, Variant, VariantQuery, VariantUpdate,
};

/// Most products one `PUT /catalog/products` accepts (more gives 413).
pub const PRODUCT_BATCH_MAX: usize = 10;
/// Most variants one `PUT /catalog/variants` accepts (more gives 413).
pub const VARIANT_BATCH_MAX: usize = 50;
/// SKUs or ids per `:in` filter, to keep URLs short.
const FILTER_CHUNK: usize = 50;

/// The `include` value for variants and/or options.
fn includes(variants: bool, options: bool) -> Option<&'static str> {
    match (variants, options) {
        (true, true) => Some("variants,options"),
        (true, false) => Some("variants"),
        (false, true) => Some("options"),
        (false, false) => None,
    }
}

/// `207` body: applied items in `data`, refused ones keyed by id in `errors.errors`.
#[derive(Deserialize)]
struct MultiStatus<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    errors: Option<MultiStatusErrors>,
}

#[derive(Deserialize, Default)]
struct MultiStatusErrors {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    errors: BTreeMap<String, serde_json::Value>,
}

impl BigCommerceClient {
    /// Lists every product matching `query`, following pages.
    pub async fn list_products(&self, query: &ProductQuery) -> Result<Vec<Product>, Error> {
        // Big `:in` lists are split so URLs stay short; every (skus, ids) chunk pair is paged
        // on its own (the filters combine with AND) and products found twice are kept once.
        let sku_chunks: Vec<&[String]> = if query.skus.is_empty() {
            vec![&[]]
        } else {
            query.skus.chunks(FILTER_CHUNK).collect()
        };
        let id_chunks: Vec<&[i64]> = if query.ids.is_empty() {
            vec![&[]]
        } else {
            query.ids.chunks(FILTER_CHUNK).collect()
        };
        let mut out: Vec<Product> = Vec::new();
        for skus in &sku_chunks {
            for ids in &id_chunks {
                let q = ProductQuery {
                    skus: skus.to_vec(),
                    ids: ids.to_vec(),
                    ..query.clone()
                };
                for p in self.list_products_paged(&q).await? {
                    if !out.iter().any(|seen| seen.id == p.id) {
                        out.push(p);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn list_products_paged(&self, query: &ProductQuery) -> Result<Vec<Product>, Error> {
        // With options included BigCommerce serves at most 10 products per page.
        let limit = if query.include_options { 10 } else { 250 };
        let mut params = Params::new();
        if let Some(sku) = &query.sku {
            param(&mut params, "sku", sku);
        }
        if !query.skus.is_empty() {
            param(&mut params, "sku:in", join(&query.skus));
        }
        if !query.ids.is_empty() {
            param(&mut params, "id:in", join(&query.ids));
        }
        if let Some(min) = &query.date_modified_min {
            param(&mut params, "date_modified:min", min);
        }
        if let Some(include) = includes(query.include_variants, query.include_options) {
            param(&mut params, "include", include);
        }
        self.v3_all(Operation::GetProducts, &[], &params, limit)
            .await
    }

    /// One product, with its variants and/or options when asked.
    pub async fn get_product(
        &self,
        product_id: i64,
        include_variants: bool,
        include_options: bool,
    ) -> Result<Product, Error> {
        let mut call = Call::new(Operation::GetProduct, &[product_id]);
        if let Some(include) = includes(include_variants, include_options) {
            call = call.query("include", include);
        }
        let env: Envelope<Product> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// The variants of one product (all pages).
    pub async fn product_variants(&self, product_id: i64) -> Result<Vec<Variant>, Error> {
        self.v3_all(Operation::GetProductVariants, &[product_id], &[], 250)
            .await
    }

    /// Variants across the catalog matching `query` (all pages).
    pub async fn list_variants(&self, query: &VariantQuery) -> Result<Vec<Variant>, Error> {
        let mut params = Params::new();
        if let Some(id) = query.id {
            param(&mut params, "id", id);
        }
        if let Some(sku) = &query.sku {
            param(&mut params, "sku", sku);
        }
        if let Some(upc) = &query.upc {
            param(&mut params, "upc", upc);
        }
        if !query.product_ids.is_empty() {
            param(&mut params, "product_id:in", join(&query.product_ids));
        }
        self.v3_all(Operation::GetVariants, &[], &params, 250).await
    }

    /// Creates one product (with inline variants that create its options).
    pub async fn create_product(&self, product: &NewProduct) -> Result<Product, Error> {
        let call = Call::new(Operation::CreateProduct, &[]).json(product)?;
        let env: Envelope<Product> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Updates products in batches of [`PRODUCT_BATCH_MAX`], reporting per item.
    /// A batch refused whole (409/422...) marks its items failed and the next batch still goes.
    pub async fn update_products(
        &self,
        updates: &[ProductUpdate],
    ) -> Result<BatchReport<Product>, Error> {
        let mut report = BatchReport::default();
        for chunk in updates.chunks(PRODUCT_BATCH_MAX) {
            let ids: Vec<i64> = chunk.iter().map(|u| u.id).collect();
            let call = Call::new(Operation::PutProducts, &[]).json(chunk)?;
            self.batch(call, &ids, |p: &Product| p.id, &mut report)
                .await?;
        }
        Ok(report)
    }

    /// Creates a variant option (size, colour) on a product.
    pub async fn create_option(
        &self,
        product_id: i64,
        option: &NewOption,
    ) -> Result<ProductOption, Error> {
        let call = Call::new(Operation::CreateOption, &[product_id]).json(option)?;
        let env: Envelope<ProductOption> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Creates a variant on a product whose options exist.
    pub async fn create_variant(
        &self,
        product_id: i64,
        variant: &NewVariant,
    ) -> Result<Variant, Error> {
        let call = Call::new(Operation::CreateVariant, &[product_id]).json(variant)?;
        let env: Envelope<Variant> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Updates variants in batches of [`VARIANT_BATCH_MAX`], reporting per item.
    pub async fn update_variants(
        &self,
        updates: &[VariantUpdate],
    ) -> Result<BatchReport<Variant>, Error> {
        let mut report = BatchReport::default();
        for chunk in updates.chunks(VARIANT_BATCH_MAX) {
            let ids: Vec<i64> = chunk.iter().map(|u| u.id).collect();
            let call = Call::new(Operation::PutVariants, &[]).json(chunk)?;
            self.batch(call, &ids, |v: &Variant| v.id, &mut report)
                .await?;
        }
        Ok(report)
    }

    async fn batch<T: DeserializeOwned>(
        &self,
        call: Call,
        ids: &[i64],
        id_of: impl Fn(&T) -> i64,
        report: &mut BatchReport<T>,
    ) -> Result<(), Error> {
        let reply = match self.send(&call).await {
            Ok(reply) => reply,
            Err(e)
                if e.status()
                    .is_some_and(|s| (400..500).contains(&s) && s != 429) =>
            {
                let status = e.status().unwrap_or(400);
                let reason = e.to_string();
                // Whole batch refused: use the per-id reason when the error names the item.
                let fields = match &e {
                    Error::Conflict { fields, .. } | Error::Validation { fields, .. } => {
                        Some(fields)
                    }
                    _ => None,
                };
                report.failed.extend(ids.iter().map(|&id| {
                    ItemFailure {
                        id,
                        status,
                        reason: fields
                            .and_then(|f| f.get(&id.to_string()))
                            .cloned()
                            .unwrap_or_else(|| reason.clone()),
                    }
                }));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if reply.status != StatusCode::MULTI_STATUS {
            let env: Envelope<Vec<T>> = reply.decode()?;
            report.succeeded.extend(env.data);
            return Ok(());
        }
        let multi: MultiStatus<T> = reply.decode()?;
        let errors = multi.errors.unwrap_or_default();
        let status = errors.status.unwrap_or(207);
        let applied: Vec<i64> = multi.data.iter().map(&id_of).collect();
        let mut failed: Vec<ItemFailure> = errors
            .errors
            .iter()
            .filter_map(|(key, why)| {
                let id = key.parse().ok()?;
                let reason = why.as_str().map_or_else(|| why.to_string(), str::to_owned);
                Some(ItemFailure { id, status, reason })
            })
            .collect();
        // Items neither applied nor named: failed for the batch's stated reason.
        let title = errors.title.unwrap_or_else(|| "not applied".to_owned());
        for &id in ids {
            if !applied.contains(&id) && !failed.iter().any(|f| f.id == id) {
                failed.push(ItemFailure {
                    id,
                    status,
                    reason: title.clone(),
                });
            }
        }
        report.succeeded.extend(multi.data);
        report.failed.extend(failed);
        Ok(())
    }
}
