//! Stock on Sparklayer: locations by external id (created when missing), batch updates of
//! any mix of locations. Sparklayer offers no stock read.

use async_trait::async_trait;
use selvedge_sparklayer::model::{LocationRef, NewStockLocation, StockUpdate};

use super::Sparklayer;
use crate::storefronts::{
    Capability, LocationTarget, PortError, StockLine, StockSink, StockSnapshot, Storefront,
};

#[async_trait]
impl StockSink for Sparklayer {
    async fn resolve_locations(
        &self,
        configured: &[String],
    ) -> Result<Vec<LocationTarget>, PortError> {
        let known = self.client.list_stock_locations().await?;
        let mut out = Vec::new();
        for c in configured {
            if !known
                .iter()
                .any(|l| l.external_id.as_deref() == Some(c.as_str()))
            {
                // Sparklayer needs the location before stock can be written to it.
                self.client
                    .create_stock_location(&NewStockLocation {
                        name: c.clone(),
                        external_id: c.clone(),
                    })
                    .await?;
            }
            out.push(LocationTarget {
                configured: c.clone(),
                key: c.clone(),
                numeric_id: None,
            });
        }
        Ok(out)
    }

    fn split(&self, locations_of_lines: &[usize], _locations: usize) -> Vec<Vec<usize>> {
        // The batch takes any mix of locations per call.
        let size = self.client.config().stock_batch_size.max(1);
        (0..locations_of_lines.len())
            .collect::<Vec<_>>()
            .chunks(size)
            .map(<[usize]>::to_vec)
            .collect()
    }

    async fn push(&self, targets: &[LocationTarget], lines: &[StockLine]) -> Result<(), PortError> {
        let rows: Vec<StockUpdate> = lines
            .iter()
            .filter_map(|c| {
                Some(StockUpdate {
                    location: LocationRef::ExternalId(targets.get(c.location)?.key.clone()),
                    sku: c.sku.clone(),
                    stock_level: c.qty,
                    restock_date: None,
                    min_stock_level: None,
                })
            })
            .collect();
        self.client.batch_update_stock(&rows).await?;
        Ok(())
    }

    async fn read_stock(&self) -> Result<StockSnapshot, PortError> {
        Err(self.unsupported(Capability::StockRead))
    }
}
