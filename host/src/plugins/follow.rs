//! Following the desired versions: a version recorded on another host (or by this host
//! before a restart) is loaded from its stored build.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{ChangeError, PluginChanges, Ticks};

/// What one pass of [`PluginChanges::follow`] did, as (client, version) pairs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FollowReport {
    /// Versions loaded because another host made them desired.
    pub loaded: Vec<(String, String)>,
    /// Desired versions this host could not load; it keeps serving its current one and does
    /// not try the same version again.
    pub failed: Vec<(String, String)>,
}

impl PluginChanges {
    /// Loads every client's desired version that differs from the one this host runs.
    pub async fn follow(&self) -> Result<FollowReport, ChangeError> {
        let open = self.store.active_plugin_versions().await?;
        let mut report = FollowReport::default();
        for client in self.locks.keys() {
            let Some(wanted) = open
                .iter()
                .filter(|p| &p.client == client)
                .max_by_key(|p| (p.activated_at, p.id))
            else {
                continue;
            };
            let slot = self.slot(client)?;
            let running = || slot.current().map(|v| v.version.clone());
            if running().as_deref() == Some(wanted.version_hash.as_str())
                || self.was_refused(client, &wanted.version_hash)
            {
                continue;
            }
            let _one_change = self.lock(client).await?;
            // Read again under the lock: a change on this host may have just been recorded.
            let Some(wanted) = self.desired(client).await? else {
                continue;
            };
            if running().as_deref() == Some(wanted.version_hash.as_str()) {
                continue;
            }
            let pair = (client.clone(), wanted.version_hash.clone());
            let old = running();
            match self.load_stored(&slot, &wanted).await {
                Ok(_) => {
                    self.watch_change(client, old);
                    tracing::info!(%client, version = %wanted.version_hash, "loaded the plugin version another host made desired");
                    metrics::counter!("selvedge_plugin_follows_total", "client" => client.clone(), "outcome" => "loaded").increment(1);
                    report.loaded.push(pair);
                }
                Err(err) => {
                    tracing::error!(%client, version = %wanted.version_hash, %err, "cannot load the desired plugin version; the current one keeps serving here");
                    metrics::counter!("selvedge_plugin_follows_total", "client" => client.clone(), "outcome" => "failed").increment(1);
                    if let Ok(mut refused) = self.refused.lock() {
                        refused.insert(pair.clone());
                    }
                    report.failed.push(pair);
                }
            }
        }
        Ok(report)
    }

    fn was_refused(&self, client: &str, digest: &str) -> bool {
        self.refused
            .lock()
            .map(|r| r.contains(&(client.to_owned(), digest.to_owned())))
            .unwrap_or(false)
    }

    /// Follows the desired versions and judges guarded changes every `every` until `stop`.
    pub fn spawn_follower(
        self: Arc<Self>,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = Ticks::new(every, stop);
            while ticks.next().await {
                if let Err(err) = self.follow().await {
                    tracing::warn!(%err, "cannot read the desired plugin versions; trying again");
                }
                if let Err(err) = self.check_guards().await {
                    tracing::warn!(%err, "cannot complete a plugin auto-rollback; trying again");
                }
            }
        })
    }
}
