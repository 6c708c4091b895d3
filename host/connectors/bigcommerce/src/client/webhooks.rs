//! Webhooks V3 calls.

use reqwest::Method;

use super::{Api, BigCommerceClient, Call};
use crate::error::Error;
use crate::model::{Envelope, NewWebhook, Webhook, WebhookUpdate};

impl BigCommerceClient {
    /// Registers a webhook.
    pub async fn create_webhook(&self, hook: &NewWebhook) -> Result<Webhook, Error> {
        let call = Call::new(Method::POST, Api::V3, "/hooks").json(hook)?;
        let env: Envelope<Webhook> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Updates a webhook, e.g. to reactivate one BigCommerce deactivated.
    pub async fn update_webhook(&self, id: i64, update: &WebhookUpdate) -> Result<Webhook, Error> {
        let call = Call::new(Method::PUT, Api::V3, format!("/hooks/{id}")).json(update)?;
        let env: Envelope<Webhook> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Lists this app's webhooks (all pages).
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, Error> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let call = Call::new(Method::GET, Api::V3, "/hooks")
                .query("page", page)
                .query("limit", 250);
            let env: Envelope<Vec<Webhook>> = self.fetch(call).await?;
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
}
