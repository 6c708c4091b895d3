//! Purchases: polling for new and edited orders, reading one, full replace.

use reqwest::Method;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SparklayerClient;
use super::transport::{Call, pages_stuck, segment};
use crate::config::MAX_PURCHASES_LIMIT;
use crate::error::Error;
use crate::model::{LookupBy, Purchase};
use selvedge_connector_kit::pagination::{Next, collect_pages};

/// Query parameter of `GET /api/v1/purchases` that keeps purchases changed at or after a time.
/// Sparklayer's docs do not name it; the sandbox implements this name.
pub const UPDATED_SINCE_PARAM: &str = "updated_since";

/// One page request of `GET /api/v1/purchases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurchaseQuery {
    /// Only purchases updated at or after this time (inclusive, so upserts absorb repeats).
    pub updated_since: Option<OffsetDateTime>,
    /// Page size, at most 500.
    pub limit: u32,
    /// Purchases to skip.
    pub offset: u32,
}

/// `GET /api/v1/purchases` answer; the `data` envelope is assumed (as on `GET /api/v2/price-lists`).
#[derive(Deserialize)]
struct PurchaseList {
    data: Vec<Purchase>,
}

impl SparklayerClient {
    /// One page of purchases, oldest change first.
    pub async fn list_purchases(&self, query: &PurchaseQuery) -> Result<Vec<Purchase>, Error> {
        let limit = query.limit.clamp(1, MAX_PURCHASES_LIMIT);
        let mut call = Call::new(Method::GET, "/api/v1/purchases".into())
            .query("limit", limit)
            .query("offset", query.offset);
        if let Some(since) = query.updated_since {
            let since = since
                .format(&Rfc3339)
                .map_err(|e| Error::Encode(format!("updated_since: {e}")))?;
            call = call.query(UPDATED_SINCE_PARAM, since);
        }
        Ok(self.send_json::<PurchaseList>(&call).await?.data)
    }

    /// Every purchase changed at or after `since` (all when `None`), paging with the configured
    /// limit until a short page. Save the largest `updated_at` seen as the next cursor only after
    /// the purchases are applied. A purchase edited while we page may move past our offset and be
    /// missed on this pass; its new `updated_at` is after the cursor, so the next poll gets it.
    pub async fn poll_purchases(
        &self,
        since: Option<OffsetDateTime>,
    ) -> Result<Vec<Purchase>, Error> {
        let limit = self.config().purchases_page_limit;
        let fetch = |offset: u32| async move {
            let page = self
                .list_purchases(&PurchaseQuery {
                    updated_since: since,
                    limit,
                    offset,
                })
                .await?;
            // A short page is the last one.
            let next = if page.len() < limit as usize {
                Next::Done
            } else {
                Next::At(offset + page.len() as u32)
            };
            Ok((page, next))
        };
        // A full page always moves the offset on; an empty one ends the loop first.
        let stuck = |current, next| pages_stuck("/api/v1/purchases", current, next);
        collect_pages(0, fetch, stuck).await
    }

    /// One purchase; `None` when no purchase has that identifier.
    pub async fn get_purchase(
        &self,
        lookup: LookupBy,
        identifier: &str,
    ) -> Result<Option<Purchase>, Error> {
        let call = Call::new(Method::GET, purchase_path(lookup, identifier));
        self.send_json_opt(&call).await
    }

    /// Replaces the whole purchase (`PUT /api/v1/purchases/{lookupBy}/{identifier}`), creating
    /// it when absent. Send the full purchase (read it first): fields left out are removed.
    pub async fn replace_purchase(
        &self,
        lookup: LookupBy,
        identifier: &str,
        purchase: &Purchase,
    ) -> Result<Purchase, Error> {
        let call = Call::new(Method::PUT, purchase_path(lookup, identifier)).json(purchase)?;
        self.send_json(&call).await
    }
}

fn purchase_path(lookup: LookupBy, identifier: &str) -> String {
    format!("/api/v1/purchases/{lookup}/{}", segment(identifier))
}
