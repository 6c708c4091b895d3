//! The catalog port on Sparklayer: it sells the platform's products, so the catalog flow only
//! binds SKUs; what reaches Sparklayer is the run's refused SKUs, in its sync log.

use async_trait::async_trait;
use selvedge_sparklayer::model::{SyncLogError, SyncLogUpdate};
use time::OffsetDateTime;

use super::Sparklayer;
use crate::storefronts::{PortError, SkuListSink, SkuProblem};

/// Integration name under which Selvedge writes to the Sparklayer sync log.
pub const SYNC_LOG_INTEGRATION: &str = "selvedge";

#[async_trait]
impl SkuListSink for Sparklayer {
    fn title(&self) -> &'static str {
        "Sparklayer"
    }

    async fn publish_problems(
        &self,
        started: OffsetDateTime,
        problems: &[SkuProblem],
    ) -> Result<(), PortError> {
        let log = SyncLogUpdate {
            started_full_sync: Some(started),
            last_full_sync: Some(OffsetDateTime::now_utc()),
            last_full_sync_succeeded: Some(problems.is_empty()),
            errors: problems
                .iter()
                .map(|p| SyncLogError {
                    external_id: Some(p.sku.clone()),
                    external_url: None,
                    message: p.message.clone(),
                })
                .collect(),
        };
        self.client
            .put_sync_log(SYNC_LOG_INTEGRATION, "catalog", &log)
            .await?;
        Ok(())
    }
}
