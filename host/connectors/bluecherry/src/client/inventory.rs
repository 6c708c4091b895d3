//! Inventory batch cycles and the ATS snapshot each one leaves.

use super::{BlueCherryClient, Query};
use crate::error::Error;
use crate::model::{AtsSnapshot, CycleStatus};

impl BlueCherryClient {
    /// Where the ERP's batch cycles stand.
    pub async fn cycle_status(&self) -> Result<CycleStatus, Error> {
        self.get("/cycles/status", Query::new()).await
    }

    /// Inventory as of the end of cycle `cycle_id`.
    pub async fn ats_snapshot(&self, cycle_id: u64) -> Result<AtsSnapshot, Error> {
        self.get(&format!("/ats/{cycle_id}"), Query::new()).await
    }
}
