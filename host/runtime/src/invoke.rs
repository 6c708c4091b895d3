//! Typed calls into a plugin, one per rule interface, with output checks.

use std::sync::Arc;

use crate::bindings::rules::{catalog, inventory, orders, pricing, returns};
use crate::calls::Called;
use crate::context::ClientContext;
use crate::error::{PluginError, PluginErrorKind};
use crate::limits::PluginLimits;
use crate::runtime::{PluginVersion, Rules};

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

/// The same value as the other contract version's type: the shapes are identical for every
/// interface 0.2.0 left alone, so a JSON round trip converts (plugins on 0.1.0 only).
fn recast<A: serde::Serialize + ?Sized, B: serde::de::DeserializeOwned>(
    a: &A,
) -> wasmtime::Result<B> {
    Ok(serde_json::from_value(serde_json::to_value(a)?)?)
}

/// A 0.1.0 decision list as 0.2.0 decisions: each names the input at its position (0.1.0
/// matched by position; the count is checked after), and the plugin's `external_ref` is
/// dropped (references are the host's).
fn recast_decisions<A: serde::Serialize, B: serde::de::DeserializeOwned>(
    decisions: &[A],
    ids: &[String],
    id_field: &str,
    document: &str,
) -> wasmtime::Result<Vec<B>> {
    decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut v = serde_json::to_value(d)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert(
                    id_field.to_string(),
                    serde_json::Value::String(ids.get(i).cloned().unwrap_or_default()),
                );
                if let Some(doc) = obj.get_mut(document).and_then(|d| d.as_object_mut()) {
                    doc.remove("external_ref");
                }
            }
            Ok(serde_json::from_value(v)?)
        })
        .collect()
}

/// Puts decisions in input order by the id each names; a decision naming an input it was
/// not given, or a second decision for one input, is malformed output.
fn match_by_id<D>(
    decisions: Vec<D>,
    ids: &[String],
    id_of: impl Fn(&D) -> &str,
    what: &str,
) -> Result<Vec<D>, PluginErrorKind> {
    let position: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut slots: Vec<Option<D>> = std::iter::repeat_with(|| None).take(ids.len()).collect();
    for d in decisions {
        let id = id_of(&d).to_string();
        let Some(&i) = position.get(id.as_str()) else {
            return Err(PluginErrorKind::Malformed(format!(
                "a decision names {what} `{id}`, which was not in the call"
            )));
        };
        if slots[i].replace(d).is_some() {
            return Err(PluginErrorKind::Malformed(format!(
                "two decisions name {what} `{id}`"
            )));
        }
    }
    slots
        .into_iter()
        .zip(ids)
        .map(|(d, id)| {
            d.ok_or_else(|| PluginErrorKind::Malformed(format!("no decision names {what} `{id}`")))
        })
        .collect()
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
            |b, store| match b {
                Rules::V0_2(b) => b
                    .selvedge_rules_inventory()
                    .call_compute_ats(store, stock, rows),
                Rules::V0_1(b) => {
                    let out = b.selvedge_rules_inventory().call_compute_ats(
                        store,
                        &recast(stock)?,
                        &recast(rows)?,
                    )?;
                    Ok(match out {
                        Ok(r) => Ok(recast(&r)?),
                        Err(e) => Err(e),
                    })
                }
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
        let ids: Vec<String> = input.iter().map(|o| o.order_id.clone()).collect();
        let mut called = self.call(
            context,
            limits,
            |b, store| match b {
                Rules::V0_2(b) => b.selvedge_rules_orders().call_map_orders(store, input),
                Rules::V0_1(b) => {
                    let out = b
                        .selvedge_rules_orders()
                        .call_map_orders(store, &recast::<_, Vec<_>>(input)?)?;
                    recast_decisions(&out, &ids, "order_id", "sales_order")
                }
            },
            json_size,
        )?;
        expect_count("decisions", called.output.len(), input.len()).map_err(|k| self.error(k))?;
        called.output = match_by_id(
            std::mem::take(&mut called.output),
            &ids,
            |d: &orders::OrderDecision| d.order_id.as_str(),
            "order",
        )
        .map_err(|k| self.error(k))?;
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
            |b, store| match b {
                Rules::V0_2(b) => b.selvedge_rules_catalog().call_map_styles(store, input),
                Rules::V0_1(b) => {
                    let out = b
                        .selvedge_rules_catalog()
                        .call_map_styles(store, &recast::<_, Vec<_>>(input)?)?;
                    recast(&out)
                }
            },
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
        let ids: Vec<String> = input.iter().map(|r| r.refund_id.clone()).collect();
        let mut called = self.call(
            context,
            limits,
            |b, store| match b {
                Rules::V0_2(b) => b.selvedge_rules_returns().call_map_refunds(store, input),
                Rules::V0_1(b) => {
                    let out = b
                        .selvedge_rules_returns()
                        .call_map_refunds(store, &recast::<_, Vec<_>>(input)?)?;
                    recast_decisions(&out, &ids, "refund_id", "memo")
                }
            },
            json_size,
        )?;
        expect_count("decisions", called.output.len(), input.len()).map_err(|k| self.error(k))?;
        called.output = match_by_id(
            std::mem::take(&mut called.output),
            &ids,
            |d: &returns::RefundDecision| d.refund_id.as_str(),
            "refund",
        )
        .map_err(|k| self.error(k))?;
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
            |b, store| match b {
                Rules::V0_2(b) => b.selvedge_rules_pricing().call_map_prices(store, input),
                Rules::V0_1(b) => {
                    let out = b
                        .selvedge_rules_pricing()
                        .call_map_prices(store, &recast::<_, Vec<_>>(input)?)?;
                    recast(&out)
                }
            },
            json_size,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_put_in_input_order_by_the_id_they_name() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let got = match_by_id(vec!["b", "a"], &ids, |d| d, "order").expect("matched");
        assert_eq!(got, vec!["a", "b"]);
    }

    #[test]
    fn a_decision_for_another_order_or_a_second_one_is_malformed() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let other = match_by_id(vec!["a", "z"], &ids, |d| d, "order").expect_err("foreign");
        assert!(
            other.to_string().contains("`z`, which was not in the call"),
            "{other}"
        );
        let twice = match_by_id(vec!["a", "a"], &ids, |d| d, "order").expect_err("twice");
        assert!(
            twice.to_string().contains("two decisions name order `a`"),
            "{twice}"
        );
    }

    #[test]
    fn a_0_1_0_decision_names_its_input_and_loses_the_plugins_reference() {
        let v1 = vec![serde_json::json!({
            "sales_order": { "external_ref": "BC-1", "warehouse": "NJ01" },
            "issues": [], "reasons": []
        })];
        let v2: Vec<serde_json::Value> =
            recast_decisions(&v1, &["1001".to_string()], "order_id", "sales_order")
                .expect("recast");
        assert_eq!(v2[0]["order_id"], "1001");
        assert_eq!(v2[0]["sales_order"]["warehouse"], "NJ01");
        assert!(v2[0]["sales_order"].get("external_ref").is_none());
    }
}
