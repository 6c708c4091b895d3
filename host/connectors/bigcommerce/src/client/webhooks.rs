//! Webhooks V3 calls.

use super::{BigCommerceClient, Call, Operation};
use crate::error::Error;
use crate::model::{Envelope, NewWebhook, Webhook, WebhookUpdate};

impl BigCommerceClient {
    /// Registers a webhook.
    pub async fn create_webhook(&self, hook: &NewWebhook) -> Result<Webhook, Error> {
        let call = Call::new(Operation::CreateHook, &[]).json(hook)?;
        let env: Envelope<Webhook> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Updates a webhook, e.g. to reactivate one BigCommerce deactivated.
    pub async fn update_webhook(&self, id: i64, update: &WebhookUpdate) -> Result<Webhook, Error> {
        let call = Call::new(Operation::PutHook, &[id]).json(update)?;
        let env: Envelope<Webhook> = self.fetch(call).await?;
        Ok(env.data)
    }

    /// Lists this app's webhooks (all pages).
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, Error> {
        self.v3_all(Operation::GetHooks, &[], &[], 250).await
    }
}
