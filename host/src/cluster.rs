//! Several hosts sharing one PostgreSQL store. Each host heartbeats; the live hosts split the
//! clients between them by rendezvous hashing (each client goes to the host with the highest
//! hash of (client, host), so a host leaving moves only its own clients); a scheduled run
//! takes a lease on (client, flow) in the store first, so no client's flow runs on two hosts
//! at once even while hosts disagree for a moment about who is alive. Jobs (orders, refunds)
//! need none of this: any host claims them with `SKIP LOCKED`, and webhooks may arrive at any
//! host. `[cluster]` in `selvedge.toml`; with the embedded SQLite store there is one host and
//! none of this runs.

use std::sync::Arc;
use std::time::Duration;

use selvedge_store::{LeaseTake, Store};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::flows::FlowKind;

/// `[cluster]` in `selvedge.toml` (used where `[store] url` names a shared database).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This host's id among the others; default `<hostname>:<admin port>` (stable across
    /// restarts, distinct for two hosts on one machine).
    pub host_id: Option<String>,
    /// How long a silent host keeps its clients and a run keeps its lease, milliseconds. A
    /// dead host's clients and runs are taken over within this period.
    pub lease_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            host_id: None,
            lease_ms: 15_000,
        }
    }
}

impl ClusterConfig {
    /// The lease, never under one second (heartbeats go every third of it).
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(1_000))
    }
}

/// This host's view of the cluster.
pub struct Membership {
    host_id: String,
    store: Arc<dyn Store>,
    lease: Duration,
    live: watch::Sender<Vec<String>>,
}

impl Membership {
    /// Registers this host and reads who else is alive, so the first schedule decisions
    /// already see the other hosts.
    pub async fn join(
        host_id: String,
        store: Arc<dyn Store>,
        lease: Duration,
    ) -> Result<Arc<Self>, selvedge_store::StoreError> {
        let membership = Arc::new(Self {
            host_id,
            store,
            lease,
            live: watch::channel(Vec::new()).0,
        });
        membership.beat().await?;
        tracing::info!(host = %membership.host_id, hosts = ?*membership.live.borrow(), "joined the cluster");
        Ok(membership)
    }

    /// This host's id.
    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    /// The run and membership lease.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Live hosts, by id, as of the last heartbeat; changes as hosts come and go.
    pub fn live_hosts(&self) -> watch::Receiver<Vec<String>> {
        self.live.subscribe()
    }

    /// Whether this host schedules `client`'s flows.
    pub fn owns(&self, client: &str) -> bool {
        owner(client, &self.live.borrow()).is_none_or(|o| o == self.host_id)
    }

    /// The store lease that one scheduled run of `client`'s `flow` holds.
    pub fn run_lease_name(client: &str, flow: FlowKind) -> String {
        format!("run/{client}/{flow}")
    }

    /// Takes the run lease of `client`'s `flow` to start a run; `false` when another host
    /// runs it, or the store cannot say (then nobody should start it here).
    ///
    /// A run lease is released once the run is recorded, so one found unreleased was left by
    /// a run that never finished: on another host whose lease expired (it stopped), or under
    /// this host's id in an earlier process. That run is still marked running; it is closed
    /// as failed here, now that this host holds the lease and nothing else runs the flow.
    pub async fn take_run(&self, client: &str, flow: FlowKind) -> bool {
        let take = self.try_run_lease(client, flow).await;
        let left_by = match &take {
            LeaseTake::TakenOver { from } => Some(from.as_str()),
            LeaseTake::Renewed => Some(self.host_id.as_str()),
            LeaseTake::Taken | LeaseTake::Held => None,
        };
        if let Some(host) = left_by {
            self.close_runs_left_by(host, client, flow).await;
        }
        take.is_held()
    }

    /// Renews the run lease while the run goes; `false` when another host has taken it (this
    /// host was silent past the lease) or the store cannot say.
    pub async fn renew_run(&self, client: &str, flow: FlowKind) -> bool {
        self.try_run_lease(client, flow).await.is_held()
    }

    /// Gives the run lease back once the run is recorded.
    pub async fn release_run(&self, client: &str, flow: FlowKind) {
        let name = Self::run_lease_name(client, flow);
        if let Err(e) = self.store.release_lease(&name, &self.host_id).await {
            tracing::warn!(%client, %flow, error = %e, "cannot release the run lease; it expires by itself");
        }
    }

    /// The run lease of `client`'s `flow`, taken or renewed; [`LeaseTake::Held`] (and a
    /// warning) when the store cannot say.
    async fn try_run_lease(&self, client: &str, flow: FlowKind) -> LeaseTake {
        let name = Self::run_lease_name(client, flow);
        let now = OffsetDateTime::now_utc();
        match self
            .store
            .try_lease(&name, &self.host_id, self.lease, now)
            .await
        {
            Ok(take) => take,
            Err(e) => {
                tracing::warn!(%client, %flow, error = %e, "cannot take the run lease; not running here");
                LeaseTake::Held
            }
        }
    }

    /// Closes as failed the runs of `client`'s `flow` that `host` left running.
    async fn close_runs_left_by(&self, host: &str, client: &str, flow: FlowKind) {
        let reason = format!("host {host} stopped before the run finished");
        let now = OffsetDateTime::now_utc();
        match self
            .store
            .fail_unfinished_runs_of(client, flow.as_str(), &reason, now)
            .await
        {
            // This host's own lease left over with nothing running: a release that failed.
            Ok(0) if host == self.host_id => {}
            Ok(closed) => {
                tracing::warn!(%client, %flow, stopped = %host, closed, "took over the run lease of a host that stopped; closed the runs it left running");
            }
            Err(e) => {
                tracing::warn!(%client, %flow, stopped = %host, error = %e, "cannot close the runs a stopped host left running");
            }
        }
    }

    /// Heartbeats every third of the lease until `stop`, then leaves the cluster so the
    /// others take this host's clients at once.
    pub fn spawn(self: Arc<Self>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let every = self.lease / 3;
            loop {
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => break,
                    () = tokio::time::sleep(every) => {}
                }
                if let Err(e) = self.beat().await {
                    tracing::warn!(host = %self.host_id, error = %e, "cluster heartbeat failed");
                }
            }
            if let Err(e) = self.store.host_left(&self.host_id).await {
                tracing::warn!(host = %self.host_id, error = %e, "cannot leave the cluster; the others take over when the lease ends");
            }
        })
    }

    /// One heartbeat and a fresh list of live hosts (this one always among them).
    async fn beat(&self) -> Result<(), selvedge_store::StoreError> {
        let now = OffsetDateTime::now_utc();
        self.store.host_heartbeat(&self.host_id, now).await?;
        let mut live: Vec<String> = self
            .store
            .live_hosts(now - self.lease)
            .await?
            .into_iter()
            .map(|h| h.id)
            .collect();
        if !live.contains(&self.host_id) {
            live.push(self.host_id.clone());
            live.sort();
        }
        self.live.send_if_modified(|current| {
            let changed = *current != live;
            if changed {
                tracing::info!(host = %self.host_id, hosts = ?live, "cluster membership changed");
                *current = live;
            }
            changed
        });
        Ok(())
    }
}

/// The host that schedules `client` among `hosts` (rendezvous hashing); `None` when no host
/// is known.
pub fn owner<'h>(client: &str, hosts: &'h [String]) -> Option<&'h str> {
    hosts
        .iter()
        .max_by_key(|host| {
            let digest = Sha256::new()
                .chain_update(client.as_bytes())
                .chain_update([0])
                .chain_update(host.as_bytes())
                .finalize();
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            u64::from_be_bytes(first)
        })
        .map(String::as_str)
}

/// The default host id: the machine's name and the admin port.
pub fn default_host_id(admin_port: u16) -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    format!("{name}:{admin_port}")
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn clients_spread_over_hosts_and_a_leaving_host_moves_only_its_own() {
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let clients: Vec<String> = (0..300).map(|i| format!("client-{i}")).collect();
        let before: Vec<&str> = clients
            .iter()
            .map(|c| owner(c, &three).expect("an owner"))
            .collect();
        for host in ["a", "b", "c"] {
            let n = before.iter().filter(|o| **o == host).count();
            assert!((60..=140).contains(&n), "{host} owns {n} of 300");
        }
        let two: Vec<String> = ["a", "c"].map(String::from).to_vec();
        for (client, was) in clients.iter().zip(&before) {
            let now = owner(client, &two).expect("an owner");
            if *was != "b" {
                assert_eq!(now, *was, "{client} stays where it was");
            } else {
                assert!(now == "a" || now == "c");
            }
        }
        assert_eq!(owner("x", &[]), None);
    }
}
