//! `[schedules]` in a client file: when each flow runs.

use std::path::Path;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;

use super::ConfigError;
use crate::flows::FlowKind;

/// When one flow runs. A flow with no schedule does not run on a timer (event-driven flows,
/// such as BigCommerce order webhooks, still run as events arrive).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FlowSchedule {
    /// Cron pattern in the client's time zone: five fields (minute precision) or six
    /// (leading seconds), e.g. `"0 */6 * * *"`; `@hourly` style aliases work too.
    #[serde(default)]
    pub cron: Option<String>,
    /// Also run once after every completed ERP batch cycle (the inventory flow's trigger).
    #[serde(default)]
    pub after_erp_cycle: bool,
    /// Run once at start when this flow has never run for the client, so a fresh install
    /// syncs without waiting for the first cron time. (A run missed while the host was down
    /// is always caught up once.)
    #[serde(default = "default_initial_run")]
    pub initial_run: bool,
}

fn default_initial_run() -> bool {
    true
}

impl Default for FlowSchedule {
    fn default() -> Self {
        Self {
            cron: None,
            after_erp_cycle: false,
            initial_run: default_initial_run(),
        }
    }
}

/// Schedules of every flow of one client.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Schedules {
    /// How often the ERP's cycle status is polled for `after_erp_cycle` triggers, seconds.
    #[serde(default = "default_erp_cycle_poll_secs")]
    pub erp_cycle_poll_secs: u64,
    /// Catalog: ERP styles -> storefront products.
    #[serde(default)]
    pub catalog: Option<FlowSchedule>,
    /// Inventory: ATS after each ERP cycle -> storefront stock.
    #[serde(default)]
    pub inventory: Option<FlowSchedule>,
    /// Orders: storefront orders polled (Sparklayer) or swept (BigCommerce webhooks missed).
    #[serde(default)]
    pub orders: Option<FlowSchedule>,
    /// Fulfilment: ERP shipments -> storefront shipments.
    #[serde(default)]
    pub fulfilment: Option<FlowSchedule>,
    /// Refunds: storefront refunds -> ERP credit memos.
    #[serde(default)]
    pub refunds: Option<FlowSchedule>,
    /// B2B: customer terms and price lists -> Sparklayer.
    #[serde(default)]
    pub b2b: Option<FlowSchedule>,
    /// Reconciliation: drift reports.
    #[serde(default)]
    pub reconciliation: Option<FlowSchedule>,
}

fn default_erp_cycle_poll_secs() -> u64 {
    30
}

impl Default for Schedules {
    fn default() -> Self {
        Self {
            erp_cycle_poll_secs: default_erp_cycle_poll_secs(),
            catalog: None,
            inventory: None,
            orders: None,
            fulfilment: None,
            refunds: None,
            b2b: None,
            reconciliation: None,
        }
    }
}

/// A flow's schedule, checked and compiled.
#[derive(Debug, Clone)]
pub struct CompiledSchedule {
    /// The flow.
    pub flow: FlowKind,
    /// Parsed cron pattern, if any.
    pub cron: Option<Cron>,
    /// Run after each new ERP cycle.
    pub after_erp_cycle: bool,
    /// Run at start if the flow never ran.
    pub initial_run: bool,
}

impl Schedules {
    /// The schedule of `flow`, if one is configured.
    pub fn get(&self, flow: FlowKind) -> Option<&FlowSchedule> {
        match flow {
            FlowKind::Catalog => self.catalog.as_ref(),
            FlowKind::Inventory => self.inventory.as_ref(),
            FlowKind::Orders => self.orders.as_ref(),
            FlowKind::Fulfilment => self.fulfilment.as_ref(),
            FlowKind::Refunds => self.refunds.as_ref(),
            FlowKind::B2b => self.b2b.as_ref(),
            FlowKind::Reconciliation => self.reconciliation.as_ref(),
        }
    }

    /// Parses every cron pattern; an error names the flow's key.
    pub fn compile(&self, file: &Path) -> Result<Vec<CompiledSchedule>, ConfigError> {
        if self.erp_cycle_poll_secs == 0 {
            return Err(ConfigError::invalid(
                file,
                "schedules.erp_cycle_poll_secs",
                "must be at least 1",
                "set a polling interval in seconds, e.g. 30",
            ));
        }
        let mut out = Vec::new();
        for flow in FlowKind::ALL {
            let Some(schedule) = self.get(flow) else {
                continue;
            };
            let key = format!("schedules.{flow}");
            let cron = match &schedule.cron {
                Some(pattern) => Some(parse_cron(pattern).map_err(|e| {
                    ConfigError::invalid(
                        file,
                        format!("{key}.cron"),
                        format!("`{pattern}` is not a cron pattern: {e}"),
                        "use five fields `min hour day month weekday` (e.g. \"0 */6 * * *\") or six with leading seconds",
                    )
                })?),
                None => None,
            };
            if cron.is_none() && !schedule.after_erp_cycle {
                return Err(ConfigError::invalid(
                    file,
                    key,
                    "has neither `cron` nor `after_erp_cycle = true`, so it would never run",
                    "add a cron pattern or `after_erp_cycle = true`, or remove the section",
                ));
            }
            out.push(CompiledSchedule {
                flow,
                cron,
                after_erp_cycle: schedule.after_erp_cycle,
                initial_run: schedule.initial_run,
            });
        }
        Ok(out)
    }
}

/// Parses a cron pattern with optional leading seconds.
pub fn parse_cron(pattern: &str) -> Result<Cron, croner::errors::CronError> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(pattern)
}
