//! Refunds V3 calls.

use super::paging::{Params, param};
use super::{BigCommerceClient, Call, Operation, join};
use crate::error::Error;
use crate::model::{Envelope, NewRefund, Refund, RefundQuery};

impl BigCommerceClient {
    /// Lists refunds (all pages), e.g. those created since the last poll.
    pub async fn list_refunds(&self, query: &RefundQuery) -> Result<Vec<Refund>, Error> {
        let mut params = Params::new();
        if !query.order_ids.is_empty() {
            param(&mut params, "order_id:in", join(&query.order_ids));
        }
        if let Some(min) = &query.created_min {
            param(&mut params, "created:min", min);
        }
        self.v3_all(Operation::GetRefunds, &[], &params, 250).await
    }

    /// One refund.
    pub async fn get_refund(&self, refund_id: i64) -> Result<Refund, Error> {
        let call = Call::new(Operation::GetRefund, &[refund_id]);
        let env: Envelope<Refund> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Creates a refund on an order. Refunds on one order must be sequential; not retried.
    pub async fn create_refund(&self, order_id: i64, refund: &NewRefund) -> Result<Refund, Error> {
        let call = Call::new(Operation::CreateRefund, &[order_id]).json(refund)?;
        let env: Envelope<Refund> = self.fetch(call).await?;
        Ok(env.data)
    }
}
