//! Styles, customers and wholesale price levels (the ERP is master for all three).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{BlueCherryClient, Query};
use crate::error::Error;
use crate::model::{Customer, PriceLevel, Style};

impl BlueCherryClient {
    /// Every style, or those changed since `changed_since`.
    pub async fn list_styles(
        &self,
        changed_since: Option<OffsetDateTime>,
    ) -> Result<Vec<Style>, Error> {
        let mut query = Query::new();
        if let Some(t) = changed_since {
            let t = t
                .format(&Rfc3339)
                .map_err(|e| Error::Config(format!("changed_since: {e}")))?;
            query.push(("changed_since", t));
        }
        self.get_all("/styles", query).await
    }

    /// Every B2B customer.
    pub async fn list_customers(&self) -> Result<Vec<Customer>, Error> {
        self.get_all("/customers", Query::new()).await
    }

    /// Prices at one wholesale level, or at all of them.
    pub async fn list_price_levels(&self, level: Option<&str>) -> Result<Vec<PriceLevel>, Error> {
        let query = level
            .map(|l| vec![("level", l.to_string())])
            .unwrap_or_default();
        self.get_all("/price-levels", query).await
    }
}
