//! Orders and refunds on BigCommerce (V2 orders, V3 refunds), the status rules, and the
//! webhooks the host registers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use selvedge_bigcommerce::model::{NewWebhook, OrderQuery, RefundQuery};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{BigCommerce, NAME, convert};
use crate::flows::orders::WEBHOOK_SECRET_HEADER;
use crate::storefronts::{
    FetchedOrder, ListedOrder, ListedRefund, OrderSource, OrderTotals, PortError, RefundSource,
    StatusRule, StorefrontRefund,
};

/// Cursor of the order sweep (RFC 3339 `min_date_modified`, inclusive).
pub const ORDERS_CURSOR: &str = "bigcommerce.orders.modified_since";

/// Scopes the host registers on BigCommerce.
pub const WEBHOOK_SCOPES: [&str; 3] = [
    "store/order/created",
    "store/order/statusUpdated",
    "store/order/refund/created",
];

/// BigCommerce order statuses (`status_id`, V2 orders API).
pub fn status_rule(status_id: i64) -> StatusRule {
    match status_id {
        0 => StatusRule::Recheck,
        5 => StatusRule::Skip("cancelled in BigCommerce (status 5)"),
        6 => StatusRule::Skip("declined in BigCommerce (status 6)"),
        // Pending, awaiting payment/fulfilment/shipment/pickup, shipped, completed, manual
        // verification, disputed, (partially) refunded: a placed order.
        1..=4 | 7..=14 => StatusRule::Inject,
        _ => StatusRule::Skip("unknown BigCommerce order status"),
    }
}

fn order_id(id: &str) -> Result<i64, PortError> {
    id.parse::<i64>()
        .map_err(|_| PortError::invalid(NAME, format!("`{id}` is not a BigCommerce order id")))
}

#[async_trait]
impl OrderSource for BigCommerce {
    async fn changed_since(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<Vec<ListedOrder>, PortError> {
        // Whole seconds, rounded down: BigCommerce dates have no fraction, and down keeps the
        // window inclusive.
        let min_date_modified = since
            .map(|t| t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339))
            .transpose()
            .map_err(|e| PortError::invalid(NAME, e.to_string()))?;
        let found = self
            .client
            .list_orders(&OrderQuery {
                min_date_modified,
                ..Default::default()
            })
            .await?;
        Ok(found
            .iter()
            .map(|o| ListedOrder {
                id: o.id.to_string(),
                status: status_rule(o.status_id),
                modified_at: o.modified_at(),
                content_hash: None,
            })
            .collect())
    }

    fn first_poll_starts_now(&self) -> bool {
        true
    }

    fn cursor_name(&self) -> &'static str {
        ORDERS_CURSOR
    }

    fn edits_are_revisions(&self) -> bool {
        false
    }

    async fn fetch(&self, id: &str) -> Result<Option<FetchedOrder>, PortError> {
        let id = order_id(id)?;
        let fetched = tokio::try_join!(
            self.client.get_order(id),
            self.client.order_products(id),
            self.client.order_shipping_addresses(id)
        );
        let (order, products, addresses) = match fetched {
            Ok(f) => f,
            Err(selvedge_bigcommerce::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let status = status_rule(order.status_id);
        let order = convert::order(&order, &products, &addresses)
            .map_err(|e| PortError::invalid(NAME, e.to_string()))?;
        let content_hash = hex::encode(Sha256::digest(format!("{order:?}").as_bytes()));
        Ok(Some(FetchedOrder {
            order,
            status,
            content_hash,
        }))
    }

    async fn status(&self, id: &str) -> Result<StatusRule, PortError> {
        let order = self.client.get_order(order_id(id)?).await?;
        Ok(status_rule(order.status_id))
    }

    async fn totals(&self, id: &str) -> Result<Option<OrderTotals>, PortError> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let lines = match self.client.order_products(id).await {
            Ok(lines) => lines,
            Err(selvedge_bigcommerce::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(OrderTotals {
            value_minor: lines
                .iter()
                .map(|l| l.price_ex_tax.cents() * l.quantity)
                .sum(),
            qty: lines.iter().map(|l| l.quantity).sum(),
        }))
    }

    fn legacy_ref_prefix(&self) -> &'static str {
        "BC-"
    }

    /// Skips hooks already registered the same way.
    async fn register_webhooks(&self, destination: &str, secret: &str) -> Result<usize, PortError> {
        let existing = self.client.list_webhooks().await?;
        let headers = BTreeMap::from([(WEBHOOK_SECRET_HEADER.to_string(), secret.to_string())]);
        let mut created = 0;
        for scope in WEBHOOK_SCOPES {
            let present = existing.iter().any(|h| {
                h.scope == scope
                    && h.destination == destination
                    && h.is_active
                    && h.headers.as_ref() == Some(&headers)
            });
            if !present {
                self.client
                    .create_webhook(&NewWebhook {
                        scope: scope.into(),
                        destination: destination.into(),
                        is_active: true,
                        headers: Some(headers.clone()),
                    })
                    .await?;
                created += 1;
            }
        }
        Ok(created)
    }
}

#[async_trait]
impl RefundSource for BigCommerce {
    async fn created_since(&self, since: Option<&str>) -> Result<Vec<ListedRefund>, PortError> {
        let refunds = self
            .client
            .list_refunds(&RefundQuery {
                order_ids: vec![],
                created_min: since.map(str::to_string),
            })
            .await?;
        Ok(refunds
            .into_iter()
            .map(|r| ListedRefund {
                id: r.id.to_string(),
                order_id: r.order_id.to_string(),
                created: r.created,
            })
            .collect())
    }

    async fn fetch(
        &self,
        refund_id: &str,
        order_id_text: &str,
    ) -> Result<StorefrontRefund, PortError> {
        let id = refund_id.parse::<i64>().map_err(|_| {
            PortError::invalid(
                NAME,
                format!("`{refund_id}` is not a BigCommerce refund id"),
            )
        })?;
        let order = order_id(order_id_text)?;
        let (refund, products) = tokio::try_join!(
            self.client.get_refund(id),
            self.client.order_products(order)
        )?;
        Ok(convert::refund(&refund, &products, order_id_text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declined_cancelled_and_incomplete_orders_are_not_sales() {
        assert!(matches!(status_rule(5), StatusRule::Skip(_)));
        assert!(matches!(status_rule(6), StatusRule::Skip(_)));
        assert_eq!(status_rule(0), StatusRule::Recheck);
        assert!(matches!(status_rule(99), StatusRule::Skip(_)));
        for placed in [1, 7, 9, 11, 12] {
            assert_eq!(status_rule(placed), StatusRule::Inject, "status {placed}");
        }
    }
}
