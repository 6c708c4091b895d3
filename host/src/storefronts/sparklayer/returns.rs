//! Returns on Sparklayer as refunds: a `return` package on a placed purchase is a refund of
//! its units at the purchase's line prices.
//!
//! Sparklayer gives packages no id of their own, so a return is identified by its place
//! among the purchase's returns and the hash of its lines: `<purchase>:ret<n>:<hash>`. Packages
//! are only ever appended (a purchase is replaced whole, after reading it), so the place is
//! stable; the hash makes a return that was edited or moved a different refund rather than
//! silently the same one.

use async_trait::async_trait;
use selvedge_runtime::rules::returns::{Refund, RefundLine};
use selvedge_runtime::rules::types::Storefront as RulesStorefront;
use selvedge_sparklayer::model::{LookupBy, Package, Purchase};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NAME, Sparklayer};
use crate::storefronts::{ListedRefund, PortError, RefundSource, StorefrontRefund};

/// Reason given to the plugin for a return.
const RETURN_REASON: &str = "return";

fn invalid(message: String) -> PortError {
    PortError::invalid(NAME, message)
}

fn returns(p: &Purchase) -> impl Iterator<Item = &Package> {
    p.packages.iter().filter(|k| k.package_type == "return")
}

/// 16 hex digits of the hash of the return's lines.
fn lines_hash(package: &Package) -> String {
    let lines: Vec<(&str, u32)> = package
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity))
        .collect();
    let digest = Sha256::digest(serde_json::to_vec(&lines).unwrap_or_default());
    hex::encode(&digest[..8])
}

fn return_id(purchase_id: &str, ordinal: usize, package: &Package) -> String {
    format!("{purchase_id}:ret{ordinal}:{}", lines_hash(package))
}

/// Whole seconds in UTC: every `created` has one format, so they compare as text.
fn created(t: Option<OffsetDateTime>) -> String {
    let t = t.unwrap_or_else(OffsetDateTime::now_utc);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

#[async_trait]
impl RefundSource for Sparklayer {
    async fn created_since(&self, since: Option<&str>) -> Result<Vec<ListedRefund>, PortError> {
        let since = since
            .map(|s| OffsetDateTime::parse(s, &Rfc3339))
            .transpose()
            .map_err(|e| invalid(format!("refund cursor: {e}")))?;
        let purchases = self.client.poll_purchases(since).await?;
        let mut out = Vec::new();
        for p in purchases.iter().filter(|p| p.purchase_type == "order") {
            let Some(id) = p.purchase_identifiers.sparklayer.as_deref() else {
                continue;
            };
            for (i, package) in returns(p).enumerate() {
                out.push(ListedRefund {
                    id: return_id(id, i + 1, package),
                    order_id: id.to_string(),
                    created: created(p.updated_at),
                });
            }
        }
        Ok(out)
    }

    async fn fetch(&self, refund_id: &str, order_id: &str) -> Result<StorefrontRefund, PortError> {
        let Some(purchase) = self
            .client
            .get_purchase(LookupBy::Sparklayer, order_id)
            .await?
        else {
            return Err(invalid(format!("purchase {order_id} not found")));
        };
        let (index, package) = returns(&purchase)
            .enumerate()
            .find(|(i, package)| return_id(order_id, i + 1, package) == refund_id)
            .ok_or_else(|| {
                invalid(format!(
                    "return {refund_id} is no longer on purchase {order_id} as it was"
                ))
            })?;
        let mut lines = Vec::new();
        for (j, l) in package.lines.iter().enumerate() {
            let price = purchase
                .line_items
                .iter()
                .find(|item| item.sku.eq_ignore_ascii_case(&l.sku))
                .map(|item| item.price_cents)
                .ok_or_else(|| {
                    invalid(format!(
                        "packages (return {}).lines[{j}].sku: {} is not on the purchase",
                        index + 1,
                        l.sku
                    ))
                })?;
            lines.push(RefundLine {
                line_id: j.to_string(),
                sku: l.sku.clone(),
                quantity: l.quantity,
                amount: price.saturating_mul(i64::from(l.quantity)),
                reason: RETURN_REASON.into(),
            });
        }
        let total = lines.iter().map(|l| l.amount).sum();
        Ok(Refund {
            storefront: RulesStorefront::Sparklayer,
            refund_id: refund_id.to_string(),
            order_id: order_id.to_string(),
            // The ERP side is the host's to add.
            sales_order: None,
            customer: String::new(),
            warehouse: String::new(),
            division: String::new(),
            lines,
            shipping: 0,
            tax: 0,
            total,
            reason: RETURN_REASON.into(),
        })
    }
}
