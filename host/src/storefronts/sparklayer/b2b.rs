//! Sparklayer behind the B2B port: terms in the customer's `sparklayer.payment_on_account`
//! metafield, price lists and `batch-update-pricing` (the flow is [`crate::flows::b2b`]).

use std::ops::RangeInclusive;

use async_trait::async_trait;
use selvedge_runtime::rules::pricing::{PriceList as PluginList, PriceTier};
use selvedge_sparklayer::model::customer::NET_TERMS_DAYS;
use selvedge_sparklayer::model::{
    BatchSkuPricing, PaymentOnAccount, PriceList, SkuPricing, TierPrice,
};
use sha2::{Digest, Sha256};

use super::Sparklayer;
use crate::storefronts::{AccountTerms, B2bCustomer, B2bSink, PortError, TierSet};

fn wire_tiers(tiers: &[PriceTier]) -> Vec<TierPrice> {
    tiers
        .iter()
        .map(|t| TierPrice {
            quantity: t.quantity,
            price_cents: t.price,
            unit_of_measure: None,
        })
        .collect()
}

#[async_trait]
impl B2bSink for Sparklayer {
    fn net_days(&self) -> RangeInclusive<u16> {
        NET_TERMS_DAYS
    }

    async fn customers(&self) -> Result<Vec<B2bCustomer>, PortError> {
        let listed = self.client.list_customers().await?;
        Ok(listed
            .into_iter()
            .filter_map(|c| {
                // A malformed stored value is simply replaced with the ERP's.
                let terms = c.payment_on_account().ok().flatten().map(|p| AccountTerms {
                    credit_limit_cents: p.credit_limit_cents,
                    balance_cents: p.balance_cents,
                    net_days: p.net_terms_days,
                    other: p.extra,
                });
                Some(B2bCustomer {
                    erp_customer: c.external_id?,
                    id: c.id,
                    terms,
                })
            })
            .collect())
    }

    async fn set_terms(
        &self,
        customer_id: &str,
        terms: &AccountTerms,
    ) -> Result<Result<(), String>, PortError> {
        let mut want = PaymentOnAccount::new(
            terms.credit_limit_cents,
            terms.balance_cents,
            terms.net_days,
        );
        want.extra = terms.other.clone();
        match self.client.set_payment_on_account(customer_id, &want).await {
            Ok(_) => Ok(Ok(())),
            Err(e) if e.status().is_some_and(|s| s == 400 || s == 422) => Ok(Err(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    async fn has_price_list(&self, slug: &str) -> Result<bool, PortError> {
        Ok(self.client.get_price_list(slug).await?.is_some())
    }

    async fn create_price_list(&self, list: &PluginList) -> Result<(), PortError> {
        let new = PriceList {
            slug: list.slug.clone(),
            name: list.name.clone(),
            currency_code: list.currency.clone(),
            source: Some("bluecherry".into()),
            tax_inclusive_display: None,
            rules: Vec::new(),
        };
        self.client.create_price_list(&new).await?;
        Ok(())
    }

    /// Hex SHA-256 of the tiers' JSON as Sparklayer is sent them.
    fn tier_hash(&self, tiers: &[PriceTier]) -> String {
        hex::encode(Sha256::digest(
            serde_json::to_vec(&wire_tiers(tiers)).unwrap_or_default(),
        ))
    }

    async fn send_tiers(&self, batch: &[TierSet]) -> Result<(), PortError> {
        let items: Vec<BatchSkuPricing> = batch
            .iter()
            .map(|set| BatchSkuPricing {
                price_list_slug: set.list_slug.clone(),
                item: SkuPricing {
                    sku: set.sku.clone(),
                    display_tax_rate: None,
                    pricing: wire_tiers(&set.tiers),
                },
            })
            .collect();
        self.client.batch_update_pricing(&items).await?;
        Ok(())
    }
}
