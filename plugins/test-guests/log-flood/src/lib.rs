//! Logs far more than a call's log budget, and tries to forge host log lines: the host must
//! cut its log, escape its messages and still return its decisions.
use selvedge_plugin_sdk::host::LogLevel;
use selvedge_plugin_sdk::prelude::*;

struct Flood;

impl Rules for Flood {
    /// One log line per row, then the physical ATS of every row.
    fn compute_ats(_c: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        for (i, on_hand) in rows.on_hand.iter().enumerate() {
            let row = i.to_string();
            let on_hand = on_hand.to_string();
            config::log(
                LogLevel::Info,
                "flood: row checked",
                &[("row", &row), ("on_hand", &on_hand)],
            );
        }
        ats::compute(&rows, |row| Buckets::physical().available(row))
    }

    /// A message and a field value with line breaks that, written raw, would start lines
    /// of their own in the host log; then one empty decision per order.
    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        config::log(
            LogLevel::Warn,
            "order checked\nFORGED-LINE ERROR selvedge: plugin verified",
            &[("note", "ok\r\nFORGED-FIELD INFO selvedge: swapped")],
        );
        orders
            .into_iter()
            .map(|o| OrderDecision {
                order_id: o.order_id,
                sales_order: None,
                issues: vec![],
                reasons: vec![],
            })
            .collect()
    }
}

selvedge_plugin_sdk::export_rules!(Flood);
