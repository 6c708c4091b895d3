//! Refunds -> credit memos: restock unless the item is damaged.

use selvedge_plugin_sdk::prelude::*;

pub fn map_refund(refund: Refund) -> RefundDecision {
    let damaged = refund.reason.to_lowercase().contains("damaged");
    let mut issues = vec![];
    let lines: Vec<MemoLine> = refund
        .lines
        .iter()
        .map(|l| MemoLine {
            sku: l.sku.clone(),
            quantity: l.quantity,
            amount: l.amount,
            restock: !damaged && !l.reason.to_lowercase().contains("damaged"),
        })
        .collect();
    if refund.sales_order.is_none() {
        issues.push(error(
            "unknown-sales-order",
            "sales-order",
            format!("order {} never reached the ERP: no memo", refund.order_id),
        ));
    }
    let restock = lines
        .iter()
        .filter(|l| l.restock && l.quantity > 0)
        .map(|l| Restock {
            sku: l.sku.clone(),
            warehouse: refund.warehouse.clone(),
            quantity: l.quantity,
        })
        .collect();
    let memo = issues.is_empty().then(|| CreditMemo {
        customer: refund.customer.clone(),
        sales_order: refund.sales_order.clone(),
        warehouse: refund.warehouse.clone(),
        division: refund.division.clone(),
        lines,
        freight: refund.shipping,
        tax: refund.tax,
        total: refund.total,
        reason_code: if damaged { "DMG".into() } else { "RET".into() },
    });
    RefundDecision {
        refund_id: refund.refund_id.clone(),
        memo,
        restock: if issues.is_empty() { restock } else { vec![] },
        issues,
        reasons: vec![reason(
            "restock",
            if damaged {
                "damaged: no restock"
            } else {
                "returned to stock"
            },
        )],
    }
}
