//! Price lists and their quantity-break tiers.

use reqwest::Method;
use selvedge_connector_kit::pagination::{Next, collect_pages};

use super::SparklayerClient;
use super::transport::{Call, pages_stuck, segment};
use crate::error::Error;
use crate::model::{BatchSkuPricing, PriceList, PriceListPage, SkuPricing};

impl SparklayerClient {
    /// Creates a price list (`POST /api/v1/price-lists`). If the answer is lost or a 5xx, the
    /// list is looked up by slug before trying again, so it is never created twice.
    pub async fn create_price_list(&self, list: &PriceList) -> Result<PriceList, Error> {
        let call = Call::new(Method::POST, "/api/v1/price-lists".into()).json(list)?;
        self.create_or_find(&call, || self.get_price_list(&list.slug))
            .await
    }

    /// One price list by slug; `None` when there is none.
    pub async fn get_price_list(&self, slug: &str) -> Result<Option<PriceList>, Error> {
        let call = Call::new(
            Method::GET,
            format!("/api/v1/price-lists/{}", segment(slug)),
        );
        self.send_json_opt(&call).await
    }

    /// One page of `GET /api/v2/price-lists` (`page` is 1-based).
    pub async fn list_price_lists_page(
        &self,
        page: u32,
        page_size: u32,
    ) -> Result<PriceListPage, Error> {
        let call = Call::new(Method::GET, "/api/v2/price-lists".into())
            .query("page", page)
            .query("page_size", page_size);
        self.send_json(&call).await
    }

    /// Every price list, paging with the configured page size until the last page.
    pub async fn list_price_lists(&self) -> Result<Vec<PriceList>, Error> {
        let page_size = self.config().price_list_page_size;
        let fetch = |page: u32| async move {
            let got = self.list_price_lists_page(page, page_size).await?;
            let last = got.pagination.current_page >= got.pagination.total_pages;
            Ok((got.data, if last { Next::Done } else { Next::At(page + 1) }))
        };
        let stuck = |current, next| pages_stuck("/api/v2/price-lists", current, next);
        collect_pages(1, fetch, stuck).await
    }

    /// Replaces the tiers of each SKU sent on one list
    /// (`PATCH /api/v1/price-lists/{slug}/pricing`); other SKUs keep theirs.
    pub async fn update_pricing(&self, slug: &str, items: &[SkuPricing]) -> Result<(), Error> {
        let call = Call::new(
            Method::PATCH,
            format!("/api/v1/price-lists/{}/pricing", segment(slug)),
        )
        .json(&items)?;
        self.send_unit(&call).await
    }

    /// The same across several lists (`PATCH /api/v1/batch-update-pricing`).
    pub async fn batch_update_pricing(&self, items: &[BatchSkuPricing]) -> Result<(), Error> {
        let call = Call::new(Method::PATCH, "/api/v1/batch-update-pricing".into()).json(&items)?;
        self.send_unit(&call).await
    }
}
