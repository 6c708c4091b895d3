//! What an inventory run did, and the run's summary line and measurements from it.

use serde::Serialize;

use super::PARTIAL_SUBJECT;
use crate::flows::{CycleTiming, FlowOutcome, extra_of};
use crate::storefronts::CallCount;

/// What an inventory run did. Its serialized fields are the flow's own measurements; the
/// skipped ones feed the common measurements and the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InventoryOutcome {
    /// Push requests sent.
    pub push_requests: u64,
    /// The fewest requests the storefront allows for the same changes.
    pub push_requests_minimum: u64,
    /// Snapshot SKUs with no storefront binding (not published).
    pub skipped_unbound_skus: u64,
    /// SKU-locations on sale that the snapshot no longer lists.
    pub missing_from_snapshot: u64,
    /// Of those, pushed as 0.
    pub missing_zeroed: u64,
    /// So many vanished that the snapshot looks partial: none were zeroed.
    pub partial_snapshot: bool,
    /// Earlier exceptions this run showed are over.
    pub exceptions_resolved: u64,
    /// ERP cycles that completed between the last pushed one and this one.
    pub cycles_skipped: u64,
    /// The measured cycle latency given to the plugin.
    pub cycle_latency_minutes_given: u32,
    /// Content hash of the plugin that computed the ATS.
    pub plugin_version: String,
    /// How often the storefront was updated lately.
    #[serde(flatten)]
    pub frequency: Frequency,
    /// SKU-locations the plugin computed.
    #[serde(skip)]
    pub rows: u64,
    /// Of those, pushed.
    #[serde(skip)]
    pub rows_pushed: u64,
    /// Storefront calls of the run.
    #[serde(skip)]
    pub calls: CallCount,
    /// The cycle pushed.
    #[serde(skip)]
    pub cycle: Option<CycleTiming>,
    /// Share of the SKU-locations on sale that vanished, in percent, and the allowed share.
    #[serde(skip)]
    pub missing_percent: (f64, u8),
}

/// Storefront updates over the last day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Frequency {
    /// Storefront updates in the last 24 hours, this run's included.
    pub updates_last_24h: u64,
    /// Mean minutes between those updates (with two or more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_minutes_between_updates: Option<f64>,
}

impl FlowOutcome for InventoryOutcome {
    fn summary(&self) -> String {
        let latency_s = self
            .cycle
            .map(|c| (c.storefront_updated_at - c.cycle_end).as_seconds_f64())
            .unwrap_or(0.0);
        let cycle_id = self.cycle.map_or(0, |c| c.cycle_id);
        let mut summary = format!(
            "cycle {cycle_id}: pushed {} of {} SKU-locations in {} calls (minimum {}); latency {latency_s:.1} s",
            self.rows_pushed, self.rows, self.push_requests, self.push_requests_minimum
        );
        if self.partial_snapshot {
            let (percent, max_percent) = self.missing_percent;
            summary.push_str(&format!(
                "; {} SKU-locations on sale missing from the snapshot ({percent:.0}%, above {max_percent}%): not zeroed, see exception {PARTIAL_SUBJECT}",
                self.missing_from_snapshot,
            ));
        } else if self.missing_zeroed > 0 {
            summary.push_str(&format!(
                "; {} SKU-locations missing from the snapshot set to 0",
                self.missing_zeroed
            ));
        }
        if self.exceptions_resolved > 0 {
            summary.push_str(&format!(
                "; {} earlier exceptions resolved",
                self.exceptions_resolved
            ));
        }
        summary
    }

    fn records(&self) -> Option<u64> {
        Some(self.rows)
    }

    fn changed(&self) -> Option<u64> {
        Some(self.rows_pushed)
    }

    fn calls(&self) -> Option<CallCount> {
        Some(self.calls)
    }

    fn cycle(&self) -> Option<CycleTiming> {
        self.cycle
    }

    fn extra(&self) -> serde_json::Map<String, serde_json::Value> {
        extra_of(self)
    }
}

/// A run that found no cycle it had not pushed.
pub(super) struct NoNewCycle(pub u64);

impl FlowOutcome for NoNewCycle {
    fn summary(&self) -> String {
        format!("no new ERP cycle (last {})", self.0)
    }

    fn records(&self) -> Option<u64> {
        None
    }

    fn changed(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_report_carries_the_common_measurements_and_the_flows_own_by_their_names() {
        let outcome = InventoryOutcome {
            push_requests: 2,
            push_requests_minimum: 1,
            plugin_version: "abc".into(),
            frequency: Frequency {
                updates_last_24h: 3,
                mean_minutes_between_updates: Some(30.0),
            },
            rows: 10,
            rows_pushed: 4,
            calls: CallCount {
                calls: 5,
                throttled: 1,
                retries: 2,
            },
            cycle: Some(CycleTiming {
                cycle_id: 42,
                cycle_end: datetime!(2026-01-01 10:00 UTC),
                storefront_updated_at: datetime!(2026-01-01 10:01:30 UTC),
            }),
            ..InventoryOutcome::default()
        };
        let report = outcome.report();
        let m = &report.measurements;
        assert_eq!((m.records, m.changed), (Some(10), Some(4)));
        assert_eq!((m.api_calls, m.throttled), (Some(5), Some(1)));
        assert_eq!(m.erp_cycle_id.as_deref(), Some("42"));
        assert_eq!(m.cycle_latency(), Some(time::Duration::seconds(90)));
        let mut keys: Vec<&str> = m.extra.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "cycle_latency_minutes_given",
                "cycles_skipped",
                "exceptions_resolved",
                "mean_minutes_between_updates",
                "missing_from_snapshot",
                "missing_zeroed",
                "partial_snapshot",
                "plugin_version",
                "push_requests",
                "push_requests_minimum",
                "skipped_unbound_skus",
                "updates_last_24h",
            ]
        );
        assert_eq!(m.extra["updates_last_24h"], 3);
        assert_eq!(
            report.summary,
            "cycle 42: pushed 4 of 10 SKU-locations in 2 calls (minimum 1); latency 90.0 s"
        );
    }

    #[test]
    fn no_new_cycle_reports_only_its_summary() {
        let report = NoNewCycle(7).report();
        assert_eq!(report.summary, "no new ERP cycle (last 7)");
        assert_eq!(report.measurements, selvedge_store::Measurements::default());
    }
}
