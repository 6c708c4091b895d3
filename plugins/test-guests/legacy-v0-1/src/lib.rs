//! A plugin built against `selvedge:rules@0.1.0`, as agencies shipped them before 0.2.0: it
//! builds its own `external-ref` (which the host now ignores) and answers by position. The
//! host must run it unchanged: physical stock for ATS, web orders to NJ01 / division 01 /
//! customer WEB001, refunds to memos with restock.
wit_bindgen::generate!({
    path: "../../../wit/since_v0.1.0",
    world: "client-rules",
});

use exports::selvedge::rules::{catalog, inventory, orders, pricing, returns};

struct Legacy;

impl inventory::Guest for Legacy {
    fn compute_ats(
        _context: inventory::StockContext,
        rows: inventory::StockRows,
    ) -> Result<inventory::AtsRows, String> {
        let ats: Vec<i32> = rows
            .on_hand
            .iter()
            .zip(&rows.picked)
            .zip(&rows.open_orders)
            .map(|((on_hand, picked), open)| (on_hand - picked - open).max(0))
            .collect();
        let n = ats.len();
        Ok(inventory::AtsRows {
            ats,
            buffer: vec![0; n],
            reason: vec![7; n],
        })
    }
}

impl orders::Guest for Legacy {
    fn map_orders(orders: Vec<orders::StorefrontOrder>) -> Vec<orders::OrderDecision> {
        orders
            .into_iter()
            .map(|o| orders::OrderDecision {
                sales_order: Some(orders::SalesOrder {
                    external_ref: format!("LEGACY-{}", o.order_id),
                    division: "01".into(),
                    warehouse: "NJ01".into(),
                    customer: "WEB001".into(),
                    terms_code: None,
                    authorised: false,
                    po_number: None,
                    other_reference: None,
                    ship_via: "GROUND".into(),
                    tax: o.tax,
                    freight: o.shipping,
                    ship_to: o.ship_to,
                    lines: o
                        .lines
                        .into_iter()
                        .map(|l| orders::SalesOrderLine {
                            sku: l.sku,
                            quantity: l.quantity,
                            unit_price: l.unit_price,
                        })
                        .collect(),
                    review: false,
                }),
                issues: vec![],
                reasons: vec![],
            })
            .collect()
    }
}

impl catalog::Guest for Legacy {
    fn map_styles(styles: Vec<catalog::ErpStyle>) -> Vec<catalog::CatalogDecision> {
        styles
            .iter()
            .map(|_| catalog::CatalogDecision {
                product: None,
                issues: vec![],
                reasons: vec![],
            })
            .collect()
    }
}

impl returns::Guest for Legacy {
    fn map_refunds(refunds: Vec<returns::Refund>) -> Vec<returns::RefundDecision> {
        refunds
            .into_iter()
            .map(|r| {
                let lines: Vec<returns::MemoLine> = r
                    .lines
                    .iter()
                    .map(|l| returns::MemoLine {
                        sku: l.sku.clone(),
                        quantity: l.quantity,
                        amount: l.amount,
                        restock: true,
                    })
                    .collect();
                returns::RefundDecision {
                    memo: Some(returns::CreditMemo {
                        external_ref: format!("LEGACY-RF-{}", r.refund_id),
                        customer: r.customer.clone(),
                        sales_order: r.sales_order.clone(),
                        warehouse: r.warehouse.clone(),
                        division: r.division.clone(),
                        lines,
                        freight: r.shipping,
                        tax: r.tax,
                        total: r.total,
                        reason_code: "RET".into(),
                    }),
                    restock: vec![],
                    issues: vec![],
                    reasons: vec![],
                }
            })
            .collect()
    }
}

impl pricing::Guest for Legacy {
    fn map_prices(_prices: Vec<pricing::ErpPrice>) -> pricing::PricingDecision {
        pricing::PricingDecision {
            lists: vec![],
            issues: vec![],
            reasons: vec![],
        }
    }
}

export!(Legacy);
