//! Run control on this host: the pauses in force (read from the store, so a pause made on
//! any host, or before a restart, holds here) and the run-now requests this host takes for
//! the clients it runs.
//!
//! A paused flow's scheduled runs are skipped; a paused orders or refunds flow keeps its jobs
//! queued (webhooks that arrive meanwhile are stored as jobs as always) and the engine claims
//! none until it is resumed, so nothing is lost and nothing runs twice.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use selvedge_store::{Pause, Store, StoreError};
use tokio::sync::watch;

use crate::flows::FlowKind;
use crate::jobs::kinds::{ORDER_INJECT, REFUND_POST};

/// The pauses in force, as last read from the store.
pub struct Pauses {
    store: Arc<dyn Store>,
    current: RwLock<Vec<Pause>>,
}

impl Pauses {
    /// An empty view of `store`'s pauses: [`Pauses::refresh`] fills it.
    pub fn new(store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            store,
            current: RwLock::new(Vec::new()),
        })
    }

    /// Reads the pauses again.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let pauses = self.store.pauses().await?;
        if let Ok(mut current) = self.current.write() {
            *current = pauses;
        }
        Ok(())
    }

    /// The pause that stops `client`'s `flow`, if any (its own, or the whole client's).
    pub fn paused(&self, client: &str, flow: &str) -> Option<Pause> {
        let current = self.current.read().ok()?;
        current.iter().find(|p| p.stops(client, flow)).cloned()
    }

    /// The pause that stops the jobs of `kind` (`order.inject/<client>` -> its orders flow).
    pub fn paused_kind(&self, kind: &str) -> Option<Pause> {
        let (family, client) = kind.split_once('/')?;
        let flow = match family {
            ORDER_INJECT => FlowKind::Orders,
            REFUND_POST => FlowKind::Refunds,
            _ => return None,
        };
        self.paused(client, flow.as_str())
    }
}

/// Asks this host to run a flow now; false when it does not run that flow for the client.
pub type Trigger = Arc<dyn Fn(&str, FlowKind, &str) -> bool + Send + Sync>;

/// Which of the host's clients it runs right now (all of them, or those its cluster share
/// gives it).
pub type Owned = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// Every `every`: reads the pauses, then takes the run requests of the clients this host
/// runs and triggers them (a request for a paused flow is dropped with a log line: the API
/// refuses those up front, this covers a pause that came after).
pub fn spawn_control_loop(
    pauses: Arc<Pauses>,
    owned: Owned,
    trigger: Trigger,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = pauses.refresh().await {
                tracing::warn!(error = %e, "cannot read the pauses; keeping the last ones read");
            }
            let clients = owned();
            match pauses.store.take_run_requests(&clients).await {
                Ok(requests) => {
                    for r in requests {
                        let Some(flow) = FlowKind::parse(&r.flow) else {
                            tracing::warn!(client = %r.client, flow = %r.flow, "run request for an unknown flow dropped");
                            continue;
                        };
                        if let Some(p) = pauses.paused(&r.client, flow.as_str()) {
                            tracing::info!(client = %r.client, %flow, paused_by = %p.by, "run request dropped: paused");
                            continue;
                        }
                        let reason = format!("run now, asked by {}", r.by);
                        if !trigger(&r.client, flow, &reason) {
                            tracing::warn!(client = %r.client, %flow, "run request for a flow this host does not schedule");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot take run requests"),
            }
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    })
}
