//! The catalog port on BigCommerce: products, options and variants in and out of the V3
//! catalog's wire types. What to write is the catalog flow's ([`crate::flows::catalog`]).

use async_trait::async_trait;
use selvedge_bigcommerce::model::{
    Availability, BatchReport, CustomField, InventoryTracking, NewProduct, NewVariant,
    Product as BcProduct, ProductQuery, ProductType, ProductUpdate, Variant, VariantOptionValue,
    VariantUpdate,
};
use selvedge_bigcommerce::{Error, Money};
use selvedge_runtime::rules::catalog::{self as rules, ProductVariant};

use super::BigCommerce;
use crate::flows::catalog::CatalogSettings;
use crate::storefronts::{
    CreateRefused, ItemRefused, PortError, ProductSink, StoredOption, StoredProduct, StoredVariant,
};

/// BigCommerce allows at most 600 SKUs per product.
const MAX_VARIANTS: usize = 600;

#[async_trait]
impl ProductSink for BigCommerce {
    fn title(&self) -> &'static str {
        "BigCommerce"
    }

    fn max_variants(&self) -> usize {
        MAX_VARIANTS
    }

    async fn create_product(
        &self,
        product: &rules::Product,
        settings: &CatalogSettings,
    ) -> Result<Result<StoredProduct, CreateRefused>, PortError> {
        match self
            .client
            .create_product(&new_product(product, settings))
            .await
        {
            Ok(created) => Ok(Ok(stored(created))),
            Err(Error::Conflict { .. }) => Ok(Err(CreateRefused::Conflict)),
            Err(e @ Error::Validation { .. }) => Ok(Err(CreateRefused::Invalid(e.to_string()))),
            Err(e) => Err(e.into()),
        }
    }

    async fn product_by_sku(&self, sku: &str) -> Result<Option<StoredProduct>, PortError> {
        let query = ProductQuery {
            sku: Some(sku.to_string()),
            include_variants: true,
            ..ProductQuery::default()
        };
        let found = self.client.list_products(&query).await?;
        Ok(found
            .into_iter()
            .find(|p| p.sku.eq_ignore_ascii_case(sku))
            .map(stored))
    }

    async fn product(&self, id: i64) -> Result<Option<StoredProduct>, PortError> {
        let query = ProductQuery {
            ids: vec![id],
            include_variants: true,
            include_options: true,
            ..ProductQuery::default()
        };
        let found = self.client.list_products(&query).await?;
        Ok(found.into_iter().next().map(stored))
    }

    async fn update_products(
        &self,
        updates: &[(i64, rules::Product)],
    ) -> Result<Vec<ItemRefused>, PortError> {
        let updates: Vec<ProductUpdate> = updates
            .iter()
            .map(|(id, p)| product_update(*id, p))
            .collect();
        Ok(refused(self.client.update_products(&updates).await?))
    }

    async fn update_variants(
        &self,
        updates: &[(i64, ProductVariant)],
    ) -> Result<Vec<ItemRefused>, PortError> {
        let updates: Vec<VariantUpdate> = updates
            .iter()
            .map(|(id, v)| variant_update(*id, v))
            .collect();
        Ok(refused(self.client.update_variants(&updates).await?))
    }

    async fn create_variant(
        &self,
        product_id: i64,
        variant: &ProductVariant,
        option_values: &[(i64, i64)],
    ) -> Result<Result<StoredVariant, String>, PortError> {
        let new = NewVariant {
            product_id: Some(product_id),
            sku: variant.sku.clone(),
            price: Some(Money(variant.price)),
            upc: Some(variant.upc.clone()).filter(|u| !u.is_empty()),
            option_values: option_values
                .iter()
                .map(|&(option, value)| VariantOptionValue::ids(option, value))
                .collect(),
            ..NewVariant::default()
        };
        match self.client.create_variant(product_id, &new).await {
            Ok(created) => Ok(Ok(stored_variant(&created))),
            Err(e @ (Error::Validation { .. } | Error::Conflict { .. })) => Ok(Err(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}

fn stored(p: BcProduct) -> StoredProduct {
    StoredProduct {
        id: p.id,
        variants: p.variants.iter().map(stored_variant).collect(),
        options: p
            .options
            .into_iter()
            .map(|o| StoredOption {
                id: o.id,
                name: o.display_name,
                values: o
                    .option_values
                    .into_iter()
                    .map(|v| (v.label, v.id))
                    .collect(),
            })
            .collect(),
        sku: p.sku,
    }
}

fn stored_variant(v: &Variant) -> StoredVariant {
    StoredVariant {
        id: v.id,
        sku: v.sku.clone(),
    }
}

fn refused<T>(report: BatchReport<T>) -> Vec<ItemRefused> {
    report
        .failed
        .into_iter()
        .map(|f| ItemRefused {
            id: f.id,
            status: f.status,
            reason: f.reason,
        })
        .collect()
}

fn availability(a: rules::Availability) -> Availability {
    match a {
        rules::Availability::Available => Availability::Available,
        rules::Availability::Preorder => Availability::Preorder,
        rules::Availability::Disabled => Availability::Disabled,
    }
}

fn new_product(p: &rules::Product, settings: &CatalogSettings) -> NewProduct {
    NewProduct {
        name: p.name.clone(),
        product_type: ProductType::Physical,
        sku: Some(p.sku.clone()),
        weight: settings.default_weight,
        price: Money(p.price),
        inventory_tracking: Some(InventoryTracking::Variant),
        is_visible: Some(settings.visible),
        availability: Some(availability(p.availability)),
        custom_fields: p
            .custom_fields
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| CustomField {
                id: None,
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        variants: p
            .variants
            .iter()
            .map(|v| NewVariant {
                sku: v.sku.clone(),
                price: Some(Money(v.price)),
                upc: Some(v.upc.clone()).filter(|u| !u.is_empty()),
                option_values: v
                    .options
                    .iter()
                    .map(|(o, l)| VariantOptionValue::named(o, l))
                    .collect(),
                ..NewVariant::default()
            })
            .collect(),
        ..NewProduct::default()
    }
}

/// Product fields the flow owns. Custom fields are written on create only: BigCommerce would
/// add duplicates for fields sent again without their ids.
fn product_update(id: i64, p: &rules::Product) -> ProductUpdate {
    ProductUpdate {
        id,
        name: Some(p.name.clone()),
        sku: Some(p.sku.clone()),
        price: Some(Money(p.price)),
        availability: Some(availability(p.availability)),
        ..ProductUpdate::default()
    }
}

fn variant_update(id: i64, v: &ProductVariant) -> VariantUpdate {
    VariantUpdate {
        id,
        sku: Some(v.sku.clone()),
        price: Some(Money(v.price)),
        upc: Some(v.upc.clone()).filter(|u| !u.is_empty()),
        mpn: Some(v.mpn.clone()).filter(|m| !m.is_empty()),
        ..VariantUpdate::default()
    }
}
