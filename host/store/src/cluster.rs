//! Several hosts on one store: who is alive, who runs what, and one ERP pace for all.
//!
//! - **Hosts** heartbeat a row; a host whose heartbeat is older than the membership lease is
//!   gone, and the others take over its clients. Retention deletes the row of a host silent
//!   for [`crate::RetentionAges::silent_hosts`].
//! - **Leases** name a piece of work (a scheduled run of one client's flow) and the host
//!   holding it until a time; a host takes a lease that is free, expired or already its own,
//!   so one run of a client and flow happens at a time across every host, and a dead host's
//!   lease frees itself. Taking one says what it found ([`LeaseTake`]): a lease that is
//!   released after every use and found expired in another's hands was left by a holder that
//!   stopped mid-use.
//! - **ERP permits** pace writes to one Blue Cherry account across hosts: a GCRA whose
//!   theoretical arrival time lives in one row, advanced atomically by each permit.

use std::time::Duration;

use time::OffsetDateTime;

use crate::StoreFuture;

/// One host of the cluster, as its heartbeat row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRecord {
    /// The host's id (`[cluster] host_id`, or hostname and process id).
    pub id: String,
    /// When it first registered in this life.
    pub started_at: OffsetDateTime,
    /// Its last heartbeat.
    pub last_seen: OffsetDateTime,
}

/// What [`Cluster::try_lease`] found and did, learnt in the same transaction that took the
/// lease, so two takers never both see themselves as the one who took it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseTake {
    /// Nobody held it: the caller has it now.
    Taken,
    /// The caller held it already (in time or expired): renewed.
    Renewed,
    /// `from` held it but let it expire without releasing it: the caller has it now. For a
    /// lease released after every use (a run's), `from` stopped in the middle of one.
    TakenOver {
        /// The previous holder.
        from: String,
    },
    /// Another holder has it and it has not expired: not taken.
    Held,
}

impl LeaseTake {
    /// Whether the caller holds the lease now.
    pub fn is_held(&self) -> bool {
        !matches!(self, Self::Held)
    }

    /// The answer from the holder of the lease before the take (none: no lease) and whether
    /// the take changed it. Backends read the previous holder under the lock the take holds.
    pub fn after(previous: Option<String>, caller: &str, taken: bool) -> Self {
        match previous {
            _ if !taken => Self::Held,
            None => Self::Taken,
            Some(holder) if holder == caller => Self::Renewed,
            // The take only changes another's lease once it has expired.
            Some(from) => Self::TakenOver { from },
        }
    }
}

/// Membership, leases and the shared ERP pace.
pub trait Cluster {
    /// Records that `host` is alive at `now` (registers it on its first call).
    fn host_heartbeat<'a>(&'a self, host: &'a str, now: OffsetDateTime) -> StoreFuture<'a, ()>;

    /// Hosts whose last heartbeat is at or after `since`, by id.
    fn live_hosts<'a>(&'a self, since: OffsetDateTime) -> StoreFuture<'a, Vec<HostRecord>>;

    /// Removes `host` (a clean stop), so the others take over at once.
    fn host_left<'a>(&'a self, host: &'a str) -> StoreFuture<'a, ()>;

    /// Takes or renews the lease `name` for `holder` until `now + lease` when it is free,
    /// expired or already `holder`'s, and says which it was; [`LeaseTake::Held`] when
    /// another holder has it.
    fn try_lease<'a>(
        &'a self,
        name: &'a str,
        holder: &'a str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, LeaseTake>;

    /// Gives the lease up if `holder` still has it.
    fn release_lease<'a>(&'a self, name: &'a str, holder: &'a str) -> StoreFuture<'a, ()>;

    /// Reserves the next write slot of `account` at `rate` a second with bursts of `burst`
    /// (GCRA over every host) and returns how long the caller must wait before writing.
    fn reserve_erp_write<'a>(
        &'a self,
        account: &'a str,
        rate: u32,
        burst: u32,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Duration>;
}

/// One GCRA step in whole milliseconds: from the stored theoretical arrival time `tat` (none
/// yet: `now`), the new `tat` to store and the wait before this write may go. Backends run it
/// inside the statement or transaction that reads and writes the row.
pub fn gcra_step(tat: Option<i64>, now: i64, rate: u32, burst: u32) -> (i64, i64) {
    // Emission interval in microseconds would be finer, but milliseconds keep every backend's
    // arithmetic in BIGINT; at the rates an ERP takes (<= 1000/s) the rounding is nil.
    let interval = 1_000 / i64::from(rate.max(1));
    let burst = i64::from(burst.max(1));
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval;
    let allowed_at = new_tat - burst * interval;
    (new_tat, (allowed_at - now).max(0))
}

#[cfg(test)]
mod tests {
    use super::{LeaseTake, gcra_step};

    #[test]
    fn a_take_is_read_from_the_previous_holder() {
        assert_eq!(LeaseTake::after(None, "a", true), LeaseTake::Taken);
        assert_eq!(
            LeaseTake::after(Some("a".into()), "a", true),
            LeaseTake::Renewed
        );
        assert_eq!(
            LeaseTake::after(Some("b".into()), "a", true),
            LeaseTake::TakenOver { from: "b".into() }
        );
        assert_eq!(
            LeaseTake::after(Some("b".into()), "a", false),
            LeaseTake::Held
        );
        assert!(!LeaseTake::Held.is_held() && LeaseTake::Renewed.is_held());
    }

    #[test]
    fn a_burst_goes_at_once_then_writes_are_spaced_by_the_interval() {
        // 5 a second, bursts of 2, all asked for at t = 0.
        let mut tat = None;
        let waits: Vec<i64> = (0..5)
            .map(|_| {
                let (next, wait) = gcra_step(tat, 0, 5, 2);
                tat = Some(next);
                wait
            })
            .collect();
        assert_eq!(waits, [0, 0, 200, 400, 600]);
        // After an idle second the bucket is full again.
        let (_, wait) = gcra_step(Some(200), 2_000, 5, 2);
        assert_eq!(wait, 0);
    }
}
