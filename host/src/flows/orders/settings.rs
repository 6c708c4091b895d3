//! `[orders]` in a client's config: intake, pacing and retries of order injection.
//!
//! ```toml
//! [orders]
//! webhook_secret_env = "SELVEDGE_BRAND_WEBHOOK_SECRET"
//! max_attempts = 8
//! [orders.pacing]
//! mode = "pick_cycles"          # or "as_arrived" (the default)
//! max_per_second = 5
//! burst = 5
//! pick_cycles = ["0 6,10,14 * * MON-FRI"]
//! time_zone = "America/New_York"
//! ```

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

/// Header BigCommerce sends back on every delivery (registered with the hook).
pub const WEBHOOK_SECRET_HEADER: &str = "x-selvedge-webhook-secret";

/// How orders are received, paced and retried for one client.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersSettings {
    /// Environment variable holding the secret BigCommerce sends back in
    /// [`WEBHOOK_SECRET_HEADER`]; secrets never live in config files. Default
    /// `SELVEDGE_WEBHOOK_SECRET_<CLIENT ID>`: every client its own.
    pub webhook_secret_env: String,
    /// Claims of one order job before it goes to the exception queue as `order_stuck`.
    pub max_attempts: u32,
    /// First retry delay after a transient failure, in milliseconds (doubles per attempt).
    pub retry_base_ms: u64,
    /// Longest retry delay, in milliseconds.
    pub retry_max_ms: u64,
    /// Lease of a claimed job, in milliseconds: a worker that dies holds its jobs this long,
    /// then the rescuer hands them to another worker.
    pub lease_ms: u64,
    /// Jobs claimed (and mapped through the plugin in one call) per batch.
    pub batch_size: u32,
    /// Jobs of a batch worked on concurrently (ERP creates are still paced by `pacing`).
    pub concurrency: usize,
    /// Idle wait between empty claims, in milliseconds.
    pub idle_poll_ms: u64,
    /// Pacing of ERP creates.
    pub pacing: Pacing,
    /// Times an incomplete order (checkout not finished) is checked again, with backoff,
    /// before it is recorded as skipped; a later status update re-arms it.
    pub incomplete_checks: u32,
    /// External reference prefix of this client's sales orders (as the plugin builds it),
    /// used to find the storefront order of an ERP shipment.
    pub external_ref_prefix: Option<String>,
}

impl Default for OrdersSettings {
    fn default() -> Self {
        Self {
            // Filled in per client when the config is read.
            webhook_secret_env: String::new(),
            max_attempts: 8,
            retry_base_ms: 2_000,
            retry_max_ms: 600_000,
            lease_ms: 60_000,
            batch_size: 16,
            concurrency: 8,
            idle_poll_ms: 250,
            pacing: Pacing::default(),
            incomplete_checks: 8,
            external_ref_prefix: None,
        }
    }
}

/// When queued orders may go to the ERP.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PacingMode {
    /// Each order is injected as soon as it is received (still rate limited).
    #[default]
    AsArrived,
    /// Orders wait in the durable queue until the next pick cycle of the warehouse, then go
    /// in together (rate limited), so the warehouse sees them on that cycle's pick tickets.
    PickCycles,
}

/// Pacing of ERP creates: a GCRA rate limit per client plus the batching mode.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Pacing {
    /// As orders arrive, or batched on pick cycles.
    pub mode: PacingMode,
    /// Sustained ERP creates per second for this client (GCRA), so an order drop cannot
    /// flood the gateway. 0 = unlimited.
    pub max_per_second: u32,
    /// Creates allowed back to back before the rate applies.
    pub burst: u32,
    /// Cron patterns (5 fields, minute first) of the warehouse's pick cycles, for `pick_cycles`.
    pub pick_cycles: Vec<String>,
    /// IANA time zone the pick-cycle patterns are read in.
    pub time_zone: String,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            mode: PacingMode::AsArrived,
            max_per_second: 5,
            burst: 5,
            pick_cycles: Vec::new(),
            time_zone: "UTC".into(),
        }
    }
}

impl OrdersSettings {
    /// Checks values serde cannot; the message names the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("orders.max_attempts must be at least 1".into());
        }
        if self.batch_size == 0 || self.concurrency == 0 {
            return Err("orders.batch_size and orders.concurrency must be at least 1".into());
        }
        if self.pacing.mode == PacingMode::PickCycles && self.pacing.pick_cycles.is_empty() {
            return Err(
                "orders.pacing.mode is `pick_cycles` but orders.pacing.pick_cycles is empty: \
                 add the warehouse's pick times, e.g. [\"0 6,10,14 * * *\"]"
                    .into(),
            );
        }
        self.pacing.next_pick(OffsetDateTime::now_utc()).map(|_| ())
    }

    /// The webhook secret from the environment variable named by `webhook_secret_env`.
    pub fn webhook_secret(&self) -> Result<String, String> {
        std::env::var(&self.webhook_secret_env)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                format!(
                    "orders.webhook_secret_env names `{}`, which is not set: export it with the \
                     secret registered on the BigCommerce hooks",
                    self.webhook_secret_env
                )
            })
    }

    /// Delay before retry number `attempt` (1-based): exponential, capped, +-10% jitter.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        backoff(self.retry_base_ms, self.retry_max_ms, attempt)
    }

    /// The claim lease.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(1))
    }
}

pub use crate::jobs::kinds::backoff;

impl Pacing {
    /// When an order received at `now` may be injected: `now` as orders arrive, or the
    /// next pick cycle.
    pub fn release_at(&self, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
        match self.mode {
            PacingMode::AsArrived => Ok(now),
            PacingMode::PickCycles => self.next_pick(now).map(|t| t.unwrap_or(now)),
        }
    }

    /// The earliest pick cycle after `now` over every pattern (`None` without patterns).
    pub fn next_pick(&self, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
        let tz = jiff::tz::TimeZone::get(&self.time_zone).map_err(|e| {
            format!(
                "orders.pacing.time_zone `{}` is not an IANA zone ({e}): use e.g. `Europe/London`",
                self.time_zone
            )
        })?;
        let start = jiff::Timestamp::from_second(now.unix_timestamp())
            .map_err(|e| e.to_string())?
            .to_zoned(tz);
        let mut best: Option<i64> = None;
        for pattern in &self.pick_cycles {
            let cron = croner::Cron::from_str(pattern).map_err(|e| {
                format!("orders.pacing.pick_cycles `{pattern}` is not a cron pattern: {e}")
            })?;
            let next = cron
                .find_next_occurrence(&start, false)
                .map_err(|e| format!("orders.pacing.pick_cycles `{pattern}`: {e}"))?;
            let s = next.timestamp().as_second();
            best = Some(best.map_or(s, |b| b.min(s)));
        }
        best.map(|s| OffsetDateTime::from_unix_timestamp(s).map_err(|e| e.to_string()))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_cycle_mode_releases_orders_at_the_next_cycle_in_the_zone() {
        let pacing = Pacing {
            mode: PacingMode::PickCycles,
            pick_cycles: vec!["0 6,14 * * *".into()],
            time_zone: "UTC".into(),
            ..Pacing::default()
        };
        let now = time::macros::datetime!(2026-11-23 07:30 UTC);
        assert_eq!(
            pacing.release_at(now),
            Ok(time::macros::datetime!(2026-11-23 14:00 UTC))
        );
        let bad = Pacing {
            time_zone: "Mars/Base".into(),
            ..pacing
        };
        assert!(bad.next_pick(now).is_err_and(|e| e.contains("time_zone")));
    }

    #[test]
    fn backoff_grows_and_is_capped_with_jitter() {
        let d1 = backoff(100, 1_000, 1).as_millis();
        let d5 = backoff(100, 1_000, 5).as_millis();
        assert!((90..=110).contains(&d1), "{d1}");
        assert!((900..=1_100).contains(&d5), "{d5}");
    }
}
