//! What requests runs: cron ticks (with one catch-up at start for a run missed while the
//! host was down) and completed ERP cycles.

use std::sync::Arc;
use std::time::Duration;

use croner::Cron;
use jiff::Timestamp;
use selvedge_bluecherry::ErpGateway;
use selvedge_store::Store;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::clock::{BoxFuture, Clock};
use crate::flows::FlowKind;

/// A completed ERP batch cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    /// Cycle id.
    pub id: u64,
    /// When it completed.
    pub completed_at: Option<OffsetDateTime>,
}

/// Where the scheduler learns that an ERP cycle completed.
pub trait CycleSource: Send + Sync {
    /// The last completed cycle, if any.
    fn last_cycle(&self) -> BoxFuture<'_, Result<Option<Cycle>, String>>;
}

/// Cycle status from the client's Blue Cherry gateway.
pub struct ErpCycles(pub Arc<dyn ErpGateway>);

impl CycleSource for ErpCycles {
    fn last_cycle(&self) -> BoxFuture<'_, Result<Option<Cycle>, String>> {
        Box::pin(async move {
            let status = self.0.cycle_status().await.map_err(|e| e.to_string())?;
            Ok((status.last_cycle_id > 0).then_some(Cycle {
                id: status.last_cycle_id,
                completed_at: status.last_completed_at,
            }))
        })
    }
}

/// Requests a run with a reason.
pub(crate) type Request = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct CronTrigger {
    pub client: String,
    pub flow: FlowKind,
    pub cron: Cron,
    pub initial_run: bool,
    pub time_zone: jiff::tz::TimeZone,
    pub clock: Arc<dyn Clock>,
    pub store: Arc<dyn Store>,
    pub slot: Request,
    pub stop: watch::Receiver<bool>,
}

fn to_timestamp(at: OffsetDateTime) -> Timestamp {
    let ms = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
}

/// Requests a run at every cron occurrence. At start, if the latest occurrence before now
/// came after the last recorded run (or the flow never ran and `initial_run` is set), one
/// catch-up run is requested.
pub(crate) async fn cron_loop(mut t: CronTrigger) {
    let now = t.clock.now();
    if let Ok(previous) = t
        .cron
        .find_previous_occurrence(&now.to_zoned(t.time_zone.clone()), false)
    {
        match t.store.recent_runs(&t.client, t.flow.as_str(), 1).await {
            Ok(runs) => match runs.first() {
                None if t.initial_run => (t.slot)("first run"),
                None => {}
                Some(last) if to_timestamp(last.started_at) < previous.timestamp() => {
                    (t.slot)(&format!("catch-up: run due at {previous} was missed"))
                }
                Some(_) => {}
            },
            Err(err) => {
                tracing::warn!(client = %t.client, flow = %t.flow, %err, "cannot read past runs; no catch-up")
            }
        }
    }
    let mut from = now;
    loop {
        let next = match t
            .cron
            .find_next_occurrence(&from.to_zoned(t.time_zone.clone()), false)
        {
            Ok(next) => next.timestamp(),
            Err(err) => {
                tracing::error!(client = %t.client, flow = %t.flow, %err, "cron pattern has no next occurrence; schedule stopped");
                return;
            }
        };
        tokio::select! {
            _ = t.clock.sleep_until(next) => {}
            _ = t.stop.wait_for(|s| *s) => return,
        }
        (t.slot)(&format!("cron {}", t.cron.pattern));
        // After a late wake-up, occurrences already past are covered by this one request.
        from = t.clock.now().max(next);
    }
}

pub(crate) struct CycleTrigger {
    pub client: String,
    /// The flow whose recorded runs say which cycle was consumed last.
    pub flow: FlowKind,
    pub poll: Duration,
    pub cycles: Arc<dyn CycleSource>,
    pub clock: Arc<dyn Clock>,
    pub store: Arc<dyn Store>,
    pub request: Request,
    pub stop: watch::Receiver<bool>,
}

/// Polls the ERP's cycle status and requests a run once per new completed cycle. A cycle
/// already consumed by a successful run (from a previous process) does not run again. A run
/// that fails is not repeated for the same cycle: the next cycle carries its changes too,
/// because the inventory flow diffs against what was last pushed, not against the last cycle.
pub(crate) async fn cycle_loop(mut t: CycleTrigger) {
    let mut seen: Option<u64> = match t
        .store
        .last_successful_run(&t.client, t.flow.as_str())
        .await
    {
        Ok(run) => run
            .and_then(|r| r.measurements.erp_cycle_id)
            .and_then(|id| id.parse().ok()),
        Err(err) => {
            tracing::warn!(client = %t.client, %err, "cannot read the last consumed ERP cycle");
            None
        }
    };
    let step =
        jiff::SignedDuration::try_from(t.poll).unwrap_or(jiff::SignedDuration::from_secs(30));
    loop {
        match t.cycles.last_cycle().await {
            // Any change of id is a new cycle: an ERP whose ids restart is still followed.
            Ok(Some(cycle)) if seen != Some(cycle.id) => {
                seen = Some(cycle.id);
                (t.request)(&format!("ERP cycle {} completed", cycle.id));
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(client = %t.client, %err, "cannot read the ERP cycle status")
            }
        }
        let next = t.clock.now().saturating_add(step).unwrap_or(Timestamp::MAX);
        tokio::select! {
            _ = t.clock.sleep_until(next) => {}
            _ = t.stop.wait_for(|s| *s) => return,
        }
    }
}
