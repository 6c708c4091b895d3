//! Purchases on Sparklayer: polled by `updated_since`; an edit of a placed order becomes the
//! next ERP revision, identified by the hash of what the ERP order is made of.

use async_trait::async_trait;
use selvedge_sparklayer::model::{LookupBy, Purchase};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{NAME, Sparklayer, convert};
use crate::storefronts::{
    Capability, FetchedOrder, ListedOrder, OrderSource, OrderTotals, PortError, StatusRule,
    Storefront,
};

/// Cursor of the purchase poll (RFC 3339, inclusive).
pub const ORDERS_CURSOR: &str = "sparklayer.purchases.updated_since";

/// Sparklayer purchase statuses: everything but `cancelled` is a placed order.
pub fn status_rule(status: Option<&str>) -> StatusRule {
    match status {
        Some("cancelled") => StatusRule::Skip("cancelled in Sparklayer"),
        _ => StatusRule::Inject,
    }
}

/// What of a purchase the ERP order is made of: an edit changes it, a status or package
/// update (ours included) does not.
pub fn purchase_content_hash(p: &Purchase) -> String {
    let content = json!({
        "lines": p.line_items.iter().map(|l| (&l.sku, l.quantity, l.price_cents)).collect::<Vec<_>>(),
        "attributes": &p.attributes,
        "location": &p.stock_location_external_id,
        "payment": &p.payment_method,
        "customer": p.customer.as_ref().and_then(|c| c.external_id.as_ref()),
    });
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

#[async_trait]
impl OrderSource for Sparklayer {
    async fn changed_since(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<Vec<ListedOrder>, PortError> {
        let purchases = self.client.poll_purchases(since).await?;
        Ok(purchases
            .iter()
            // Quotes and carts are not orders.
            .filter(|p| p.purchase_type == "order")
            .filter_map(|p| {
                Some(ListedOrder {
                    id: p.purchase_identifiers.sparklayer.clone()?,
                    status: status_rule(p.status.as_deref()),
                    modified_at: p.updated_at,
                    content_hash: Some(purchase_content_hash(p)),
                })
            })
            .collect())
    }

    fn first_poll_starts_now(&self) -> bool {
        false
    }

    fn cursor_name(&self) -> &'static str {
        ORDERS_CURSOR
    }

    fn edits_are_revisions(&self) -> bool {
        true
    }

    async fn fetch(&self, id: &str) -> Result<Option<FetchedOrder>, PortError> {
        let Some(purchase) = self.client.get_purchase(LookupBy::Sparklayer, id).await? else {
            return Ok(None);
        };
        let order =
            convert::order(&purchase).map_err(|e| PortError::invalid(NAME, e.to_string()))?;
        Ok(Some(FetchedOrder {
            order,
            status: status_rule(purchase.status.as_deref()),
            // The purchase as it is now: a later edit than the polled one is simply handled
            // here (its own job will then find it done).
            content_hash: purchase_content_hash(&purchase),
        }))
    }

    async fn status(&self, id: &str) -> Result<StatusRule, PortError> {
        match self.client.get_purchase(LookupBy::Sparklayer, id).await? {
            Some(p) => Ok(status_rule(p.status.as_deref())),
            None => Ok(StatusRule::Skip(
                "the purchase no longer exists in Sparklayer",
            )),
        }
    }

    async fn totals(&self, _id: &str) -> Result<Option<OrderTotals>, PortError> {
        // Reconciliation compares BigCommerce lines only; a purchase's lines are its revisions'.
        Ok(None)
    }

    fn legacy_ref_prefix(&self) -> &'static str {
        "SL-"
    }

    async fn register_webhooks(
        &self,
        _destination: &str,
        _secret: &str,
    ) -> Result<usize, PortError> {
        Err(self.unsupported(Capability::OrderWebhooks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cancelled_purchases_are_not_sales() {
        assert!(matches!(
            status_rule(Some("cancelled")),
            StatusRule::Skip(_)
        ));
        assert_eq!(status_rule(Some("submitted")), StatusRule::Inject);
        assert_eq!(status_rule(None), StatusRule::Inject);
    }
}
