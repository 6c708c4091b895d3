//! Refunds V3 calls.

use reqwest::Method;

use super::{Api, BigCommerceClient, Call, join};
use crate::error::Error;
use crate::model::{Envelope, NewRefund, Refund, RefundQuery};

impl BigCommerceClient {
    /// Lists refunds (all pages), e.g. those created since the last poll.
    pub async fn list_refunds(&self, query: &RefundQuery) -> Result<Vec<Refund>, Error> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let mut call = Call::new(Method::GET, Api::V3, "/orders/payment_actions/refunds")
                .query("page", page)
                .query("limit", 250);
            if !query.order_ids.is_empty() {
                call = call.query("order_id:in", join(&query.order_ids));
            }
            if let Some(min) = &query.created_min {
                call = call.query("created:min", min);
            }
            let env: Envelope<Vec<Refund>> = self.fetch(call).await?;
            let done = env.data.is_empty()
                || env
                    .meta
                    .pagination
                    .as_ref()
                    .is_none_or(|p| p.current_page >= p.total_pages);
            out.extend(env.data);
            if done {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// One refund.
    pub async fn get_refund(&self, refund_id: i64) -> Result<Refund, Error> {
        let call = Call::new(
            Method::GET,
            Api::V3,
            format!("/orders/payment_actions/refunds/{refund_id}"),
        );
        let env: Envelope<Refund> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Creates a refund on an order. Refunds on one order must be sequential; not retried.
    pub async fn create_refund(&self, order_id: i64, refund: &NewRefund) -> Result<Refund, Error> {
        let call = Call::new(
            Method::POST,
            Api::V3,
            format!("/orders/{order_id}/payment_actions/refunds"),
        )
        .json(refund)?;
        let env: Envelope<Refund> = self.fetch(call).await?;
        Ok(env.data)
    }
}
