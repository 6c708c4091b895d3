//! Webhooks V3: registrations and the delivery payload.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A registered webhook.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Webhook {
    /// Hook id.
    pub id: i64,
    /// Owning API client.
    #[serde(default)]
    pub client_id: String,
    /// Store hash.
    #[serde(default)]
    pub store_hash: String,
    /// Event scope, e.g. `store/order/created` or `store/order/*`.
    pub scope: String,
    /// HTTPS URL receiving deliveries.
    pub destination: String,
    /// Deliveries are sent only while active.
    #[serde(default)]
    pub is_active: bool,
    /// Headers BigCommerce sends back on each delivery (used to authenticate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: i64,
    /// Unix seconds.
    #[serde(default)]
    pub updated_at: i64,
}

/// Webhook to register.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NewWebhook {
    /// Event scope.
    pub scope: String,
    /// Destination URL.
    pub destination: String,
    /// Active from the start.
    pub is_active: bool,
    /// Headers to send with each delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// Changes to a webhook (`PUT /hooks/{id}`): only set fields change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct WebhookUpdate {
    /// New scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// New destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Reactivate (BigCommerce deactivates a hook after ~48 h of failed deliveries) or pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// New delivery headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// A delivery: a light event; fetch the resource by `data.id`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebhookPayload {
    /// Event scope.
    pub scope: String,
    /// Numeric store id, as a string.
    pub store_id: String,
    /// `{type, id, ...}`; `refund/created` adds `refund.refund_id`.
    pub data: serde_json::Value,
    /// Identifies the payload: duplicate deliveries share it.
    pub hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `stores/{store_hash}`.
    pub producer: String,
}

impl WebhookPayload {
    /// `data.id` (order id for order events, shipment id for shipments).
    pub fn resource_id(&self) -> Option<i64> {
        self.data.get("id").and_then(serde_json::Value::as_i64)
    }
}
