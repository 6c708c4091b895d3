//! Buyer-side actions only the sandbox offers: a B2B checkout and an order edited in Sparklayer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::problem::SandboxError;
use super::routes::orders::{PAYMENT_METHODS, find, json_of, sparklayer_uuid, upsert_metafield};
use super::state::{PurchaseRecord, SandboxState};
use crate::model::customer::{METAFIELD_NAMESPACE, PAYMENT_ON_ACCOUNT_KEY};
use crate::model::purchase::PAY_ON_ACCOUNT;
use crate::model::{
    Customer, LookupBy, Metafield, Purchase, PurchaseCustomer, PurchaseIdentifiers, PurchaseLine,
};

type Answer<T> = Result<T, SandboxError>;

/// A B2B buyer's checkout, for `POST /sandbox/purchases` and [`SandboxState::checkout`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    /// Sparklayer customer id of the buyer.
    pub customer_id: String,
    /// What is in the cart.
    pub lines: Vec<CheckoutLine>,
    /// `card`, `invoice` or `pay_on_account`.
    pub payment_method: String,
    /// PO number typed at checkout (stored under the configured attribute).
    #[serde(default)]
    pub po_number: Option<String>,
    /// Location the order ships from, by our id.
    #[serde(default)]
    pub stock_location_external_id: Option<String>,
    /// Currency; GBP when left out.
    #[serde(default)]
    pub currency_code: Option<String>,
}

/// One cart line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutLine {
    /// Variant SKU.
    pub sku: String,
    /// Units.
    pub quantity: u32,
    /// Unit price in cents.
    pub price_cents: i64,
}

/// An edit made in Sparklayer (`PATCH /sandbox/purchases/{sparklayer_id}`); bumps `updated_at`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseEdit {
    /// New cart lines.
    pub lines: Option<Vec<CheckoutLine>>,
    /// New PO number.
    pub po_number: Option<String>,
    /// New status.
    pub status: Option<String>,
}

fn purchase_lines(lines: &[CheckoutLine]) -> Answer<Vec<PurchaseLine>> {
    if lines.is_empty() {
        return Err(SandboxError::validation("lines", "the cart is empty"));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if l.quantity == 0 || l.price_cents < 0 || l.sku.is_empty() {
                return Err(SandboxError::validation(
                    format!("lines[{i}]"),
                    "needs a SKU, a quantity and a price",
                ));
            }
            Ok(PurchaseLine {
                sku: l.sku.clone(),
                name: None,
                quantity: l.quantity,
                price_cents: l.price_cents,
                extra: Map::new(),
            })
        })
        .collect()
}

impl SandboxState {
    /// Places an order as a B2B buyer would. Pay on Account orders arrive unpaid, need terms on
    /// the customer, are refused over the credit limit and add to the customer's balance.
    pub fn checkout(&self, checkout: Checkout) -> Result<Purchase, SandboxError> {
        typed(self.checkout_rendered(checkout)?)
    }

    /// [`checkout`](Self::checkout) answering the purchase as the API renders it.
    pub(crate) fn checkout_rendered(&self, checkout: Checkout) -> Answer<Value> {
        let lines = purchase_lines(&checkout.lines)?;
        let total: i64 = lines.iter().fold(0_i64, |sum, l| {
            sum.saturating_add(l.price_cents.saturating_mul(i64::from(l.quantity)))
        });
        if !PAYMENT_METHODS.contains(&checkout.payment_method.as_str()) {
            return Err(SandboxError::validation(
                "payment_method",
                format!("must be one of {PAYMENT_METHODS:?}"),
            ));
        }
        let mut store = self.lock();
        if let Some(ext) = &checkout.stock_location_external_id
            && store.location_by_external_id(ext).is_none()
        {
            return Err(SandboxError::validation(
                "stock_location_external_id",
                "unknown stock location",
            ));
        }
        let po_attribute = store.config.po_number_attribute.clone();
        let customer = store
            .customers
            .get_mut(&checkout.customer_id)
            .ok_or_else(|| SandboxError::validation("customer_id", "unknown customer"))?;
        if checkout.payment_method == PAY_ON_ACCOUNT {
            let mut terms = customer
                .payment_on_account()
                .map_err(|e| SandboxError::validation("payment_method", e))?
                .ok_or_else(|| {
                    SandboxError::validation(
                        "payment_method",
                        "customer has no pay-on-account terms",
                    )
                })?;
            if terms.balance_cents.saturating_add(total) > terms.credit_limit_cents {
                return Err(SandboxError::validation(
                    "payment_method",
                    "order exceeds the customer's credit limit",
                ));
            }
            terms.balance_cents = terms.balance_cents.saturating_add(total);
            let value = serde_json::to_string(&terms)
                .map_err(|e| SandboxError::invalid_request(e.to_string()))?;
            upsert_metafield(
                customer,
                Metafield {
                    namespace: METAFIELD_NAMESPACE.into(),
                    key: PAYMENT_ON_ACCOUNT_KEY.into(),
                    value,
                },
            );
        }
        let buyer = PurchaseCustomer {
            id: Some(customer.id.clone()),
            external_id: customer.external_id.clone(),
            email: customer.email.clone(),
            name: customer.name.clone(),
            extra: Map::new(),
        };
        let seq = store.next_seq();
        let mut extra = Map::new();
        // A field our model does not know, to prove full replaces keep such fields.
        extra.insert("channel".into(), Value::String("b2b_portal".into()));
        let purchase = Purchase {
            purchase_identifiers: PurchaseIdentifiers {
                sparklayer: Some(sparklayer_uuid(seq)),
                visible: Some(format!("SL-{}", 1000 + seq)),
                ..PurchaseIdentifiers::default()
            },
            purchase_type: "order".into(),
            status: Some("pending".into()),
            payment_status: Some(
                if checkout.payment_method == "card" {
                    "paid"
                } else {
                    "unpaid"
                }
                .into(),
            ),
            payment_method: Some(checkout.payment_method),
            currency_code: Some(checkout.currency_code.unwrap_or_else(|| "GBP".into())),
            customer: Some(buyer),
            line_items: lines,
            packages: Vec::new(),
            attributes: checkout
                .po_number
                .map(|po| BTreeMap::from([(po_attribute, po)]))
                .unwrap_or_default(),
            stock_location_external_id: checkout.stock_location_external_id,
            created_at: None,
            updated_at: None,
            total_cents: None,
            extra,
        };
        let Value::Object(body) = json_of(&purchase)? else {
            return Err(SandboxError::invalid_request("purchase is not an object"));
        };
        let now = store.stamp();
        let record = PurchaseRecord {
            body,
            created_at: now,
            updated_at: now,
        };
        let out = record.render();
        store.purchases.push(record);
        Ok(out)
    }

    /// Edits a purchase as a merchant would in Sparklayer; bumps its `updated_at`.
    pub fn edit_purchase(
        &self,
        sparklayer_id: &str,
        edit: PurchaseEdit,
    ) -> Result<Purchase, SandboxError> {
        typed(self.edit_purchase_rendered(sparklayer_id, edit)?)
    }

    /// [`edit_purchase`](Self::edit_purchase) answering the purchase as the API renders it.
    pub(crate) fn edit_purchase_rendered(
        &self,
        sparklayer_id: &str,
        edit: PurchaseEdit,
    ) -> Answer<Value> {
        let lines = edit.lines.as_deref().map(purchase_lines).transpose()?;
        let mut store = self.lock();
        let po_attribute = store.config.po_number_attribute.clone();
        let index = find(&store, LookupBy::Sparklayer, sparklayer_id)
            .ok_or_else(|| SandboxError::not_found(format!("no purchase {sparklayer_id}")))?;
        let now = store.stamp();
        let record = &mut store.purchases[index];
        if let Some(lines) = lines {
            record.body.insert("line_items".into(), json_of(&lines)?);
        }
        if let Some(status) = edit.status {
            record.body.insert("status".into(), Value::String(status));
        }
        if let Some(po) = edit.po_number {
            let attributes = record
                .body
                .entry("attributes")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = attributes {
                map.insert(po_attribute, Value::String(po));
            }
        }
        record.updated_at = now;
        Ok(record.render())
    }

    /// Adds or replaces a customer.
    pub fn add_customer(&self, customer: Customer) {
        self.lock().customers.insert(customer.id.clone(), customer);
    }
}

fn typed(rendered: Value) -> Answer<Purchase> {
    serde_json::from_value(rendered)
        .map_err(|e| SandboxError::invalid_request(format!("purchase does not render: {e}")))
}
