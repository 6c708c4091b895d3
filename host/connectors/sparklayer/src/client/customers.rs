//! Customers and their pay-on-account terms.

use reqwest::Method;
use serde::Serialize;

use super::SparklayerClient;
use super::transport::{Call, segment};
use crate::error::Error;
use crate::model::customer::{METAFIELD_NAMESPACE, PAYMENT_ON_ACCOUNT_KEY};
use crate::model::{Customer, Metafield, PaymentOnAccount};

#[derive(Serialize)]
struct MetafieldPatch<'a> {
    metafields: [&'a Metafield; 1],
}

impl SparklayerClient {
    /// One customer; `None` when unknown.
    pub async fn get_customer(&self, id: &str) -> Result<Option<Customer>, Error> {
        let call = Call::new(Method::GET, customer_path(id));
        self.send_json_opt(&call).await
    }

    /// Every customer (this list is not paged).
    pub async fn list_customers(&self) -> Result<Vec<Customer>, Error> {
        let call = Call::new(Method::GET, "/api/v1/customers".into());
        self.send_json(&call).await
    }

    /// The customer's `sparklayer.payment_on_account` terms; `None` when the customer or the
    /// metafield is missing, a `Decode` error when the stored JSON is malformed.
    pub async fn payment_on_account(&self, id: &str) -> Result<Option<PaymentOnAccount>, Error> {
        let Some(customer) = self.get_customer(id).await? else {
            return Ok(None);
        };
        customer
            .payment_on_account()
            .map_err(|message| Error::Decode {
                method: "GET".into(),
                path: customer_path(id),
                at: "metafields.payment_on_account".into(),
                message,
            })
    }

    /// Writes the customer's `sparklayer.payment_on_account` terms (credit limit, balance, net
    /// terms); other metafields are left alone. Returns the updated customer.
    pub async fn set_payment_on_account(
        &self,
        id: &str,
        terms: &PaymentOnAccount,
    ) -> Result<Customer, Error> {
        let value = serde_json::to_string(terms).map_err(|e| Error::Encode(e.to_string()))?;
        let field = Metafield {
            namespace: METAFIELD_NAMESPACE.to_owned(),
            key: PAYMENT_ON_ACCOUNT_KEY.to_owned(),
            value,
        };
        let call = Call::new(Method::PATCH, customer_path(id)).json(&MetafieldPatch {
            metafields: [&field],
        })?;
        self.send_json(&call).await
    }
}

fn customer_path(id: &str) -> String {
    format!("/api/v1/customers/{}", segment(id))
}
