//! Typed calls into a plugin, one per rule interface, with output checks.

use std::sync::Arc;

use crate::bindings::rules::{catalog, inventory, orders, pricing, returns};
use crate::calls::Called;
use crate::context::ClientContext;
use crate::error::{PluginError, PluginErrorKind};
use crate::limits::PluginLimits;
use crate::runtime::PluginVersion;

/// Bytes of output counted against the limit, estimated from the JSON form (small batches).
fn json_size<T: serde::Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

fn expect_count(what: &str, got: usize, want: usize) -> Result<(), PluginErrorKind> {
    if got == want {
        Ok(())
    } else {
        Err(PluginErrorKind::Malformed(format!(
            "{got} {what} for {want} inputs: one per input is required"
        )))
    }
}

impl PluginVersion {
    /// ATS for a whole cycle. The plugin must return one value per row.
    pub fn compute_ats(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        stock: &inventory::StockContext,
        rows: &inventory::StockRows,
    ) -> Result<Called<inventory::AtsRows>, PluginError> {
        let n = rows.on_hand.len();
        let called = self.call(
            context,
            limits,
            |b, store| {
                b.selvedge_rules_inventory()
                    .call_compute_ats(store, stock, rows)
            },
            |out| match out {
                Ok(rows) => rows.ats.len() * 4 + rows.buffer.len() * 4 + rows.reason.len() * 2,
                Err(msg) => msg.len(),
            },
        )?;
        let output = called
            .output
            .map_err(|msg| self.error(PluginErrorKind::Rule(msg)))?;
        for (name, len) in [
            ("ats", output.ats.len()),
            ("buffer", output.buffer.len()),
            ("reason", output.reason.len()),
        ] {
            if len != n {
                return Err(self.error(PluginErrorKind::Malformed(format!(
                    "column `{name}` has {len} rows for {n} input rows"
                ))));
            }
        }
        if let Some(i) = output.ats.iter().position(|v| *v < 0) {
            return Err(self.error(PluginErrorKind::Malformed(format!(
                "row {i}: ATS {} is negative",
                output.ats[i]
            ))));
        }
        Ok(Called {
            output,
            report: called.report,
        })
    }

    /// Maps orders; exactly one decision per order.
    pub fn map_orders(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        input: &[orders::StorefrontOrder],
    ) -> Result<Called<Vec<orders::OrderDecision>>, PluginError> {
        let called = self.call(
            context,
            limits,
            |b, store| b.selvedge_rules_orders().call_map_orders(store, input),
            json_size,
        )?;
        expect_count("decisions", called.output.len(), input.len()).map_err(|k| self.error(k))?;
        Ok(called)
    }

    /// Maps styles; exactly one decision per style.
    pub fn map_styles(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        input: &[catalog::ErpStyle],
    ) -> Result<Called<Vec<catalog::CatalogDecision>>, PluginError> {
        let called = self.call(
            context,
            limits,
            |b, store| b.selvedge_rules_catalog().call_map_styles(store, input),
            json_size,
        )?;
        expect_count("decisions", called.output.len(), input.len()).map_err(|k| self.error(k))?;
        Ok(called)
    }

    /// Maps refunds; exactly one decision per refund.
    pub fn map_refunds(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        input: &[returns::Refund],
    ) -> Result<Called<Vec<returns::RefundDecision>>, PluginError> {
        let called = self.call(
            context,
            limits,
            |b, store| b.selvedge_rules_returns().call_map_refunds(store, input),
            json_size,
        )?;
        expect_count("decisions", called.output.len(), input.len()).map_err(|k| self.error(k))?;
        Ok(called)
    }

    /// Maps ERP price levels to price lists.
    pub fn map_prices(
        &self,
        context: &Arc<ClientContext>,
        limits: &PluginLimits,
        input: &[pricing::ErpPrice],
    ) -> Result<Called<pricing::PricingDecision>, PluginError> {
        self.call(
            context,
            limits,
            |b, store| b.selvedge_rules_pricing().call_map_prices(store, input),
            json_size,
        )
    }
}
