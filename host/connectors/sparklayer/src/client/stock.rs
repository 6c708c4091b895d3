//! Stock levels and stock locations.

use reqwest::Method;

use super::SparklayerClient;
use super::transport::Call;
use crate::error::Error;
use crate::model::{NewStockLocation, StockLocation, StockUpdate};

impl SparklayerClient {
    /// Overwrites the stock of the (location, SKU) pairs sent (`POST /api/v1/batch-update-stock`),
    /// in calls of at most `stock_batch_size` rows. Returns the number of calls made.
    ///
    /// Each call overwrites levels, so repeating one is harmless: a failure part-way returns the
    /// error and the whole input can simply be sent again.
    pub async fn batch_update_stock(&self, rows: &[StockUpdate]) -> Result<usize, Error> {
        let mut calls = 0;
        for chunk in rows.chunks(self.config().stock_batch_size) {
            let call = Call::new(Method::POST, "/api/v1/batch-update-stock".into())
                .idempotent()
                .json(&chunk)?;
            self.send_unit(&call).await?;
            calls += 1;
        }
        Ok(calls)
    }

    /// Creates a stock location (`POST /api/v1/stock-locations`); after a lost answer or a 5xx
    /// it looks the location up by `external_id` before trying again.
    pub async fn create_stock_location(
        &self,
        location: &NewStockLocation,
    ) -> Result<StockLocation, Error> {
        let call = Call::new(Method::POST, "/api/v1/stock-locations".into()).json(location)?;
        self.create_or_find(&call, || async {
            let all = self.list_stock_locations().await?;
            Ok(all
                .into_iter()
                .find(|l| l.external_id.as_deref() == Some(location.external_id.as_str())))
        })
        .await
    }

    /// Every stock location (this list is not paged).
    pub async fn list_stock_locations(&self) -> Result<Vec<StockLocation>, Error> {
        let call = Call::new(Method::GET, "/api/v1/stock-locations".into());
        self.send_json(&call).await
    }
}
