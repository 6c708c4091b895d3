//! The sync log: our errors shown in the Sparklayer dashboard.

use reqwest::Method;

use super::SparklayerClient;
use super::transport::{Call, segment};
use crate::error::Error;
use crate::model::{SYNC_LOG_MAX_ERRORS, SyncLogError, SyncLogStatus, SyncLogUpdate};

impl SparklayerClient {
    /// Replaces the log of one integration and data type
    /// (`PUT /api/v1/sync-log/{integration}/{data_type}`).
    ///
    /// Sparklayer takes at most 5000 errors: beyond that the first 4999 are sent and the last
    /// entry says how many were left out, so the dashboard still shows the scale of the problem.
    pub async fn put_sync_log(
        &self,
        integration: &str,
        data_type: &str,
        update: &SyncLogUpdate,
    ) -> Result<(), Error> {
        let path = sync_log_path(integration, data_type);
        let call = if update.errors.len() > SYNC_LOG_MAX_ERRORS {
            let kept = SYNC_LOG_MAX_ERRORS - 1;
            let mut capped = update.clone();
            capped.errors.truncate(kept);
            capped.errors.push(SyncLogError {
                external_id: None,
                external_url: None,
                message: format!(
                    "{} more errors not shown (sync log holds {SYNC_LOG_MAX_ERRORS})",
                    update.errors.len() - kept
                ),
            });
            Call::new(Method::PUT, path).json(&capped)?
        } else {
            Call::new(Method::PUT, path).json(update)?
        };
        self.send_unit(&call).await
    }

    /// Timestamps and error count of one log; `None` when nothing was logged yet.
    pub async fn get_sync_log(
        &self,
        integration: &str,
        data_type: &str,
    ) -> Result<Option<SyncLogStatus>, Error> {
        let call = Call::new(Method::GET, sync_log_path(integration, data_type));
        self.send_json_opt(&call).await
    }

    /// Clears every sync log of the site (`DELETE /api/v1/sync-log`).
    pub async fn clear_sync_logs(&self) -> Result<(), Error> {
        self.send_unit(&Call::new(Method::DELETE, "/api/v1/sync-log".into()))
            .await
    }
}

fn sync_log_path(integration: &str, data_type: &str) -> String {
    format!(
        "/api/v1/sync-log/{}/{}",
        segment(integration),
        segment(data_type)
    )
}
