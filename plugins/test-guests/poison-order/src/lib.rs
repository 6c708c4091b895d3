//! Maps web orders plainly (warehouse NJ01, division 01, customer WEB001) but traps on any
//! order with a 13-unit line: the poison order a batch must survive.
use selvedge_plugin_sdk::prelude::*;

struct PoisonOrder;

impl Rules for PoisonOrder {
    fn map_orders(orders: Vec<StorefrontOrder>) -> Vec<OrderDecision> {
        orders.into_iter().map(map_one).collect()
    }
}

fn map_one(order: StorefrontOrder) -> OrderDecision {
    if order.lines.iter().any(|l| l.quantity == 13) {
        // A real trap from the order's content, as a plugin bug would cause.
        let divisor =
            std::hint::black_box(order.lines.len() as u32).saturating_sub(order.lines.len() as u32);
        let _ = std::hint::black_box(13 / divisor);
    }
    OrderDecision {
        order_id: order.order_id,
        sales_order: Some(SalesOrder {
            division: "01".into(),
            warehouse: "NJ01".into(),
            customer: "WEB001".into(),
            terms_code: None,
            authorised: false,
            po_number: None,
            other_reference: None,
            ship_via: "GROUND".into(),
            tax: order.tax,
            freight: order.shipping,
            ship_to: order.ship_to,
            lines: order
                .lines
                .into_iter()
                .map(|l| SalesOrderLine {
                    sku: l.sku,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
                .collect(),
            review: false,
        }),
        issues: Vec::new(),
        reasons: Vec::new(),
    }
}

selvedge_plugin_sdk::export_rules!(PoisonOrder);
