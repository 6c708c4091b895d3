//! Generated activity for the demo: what shoppers, buyers and the warehouse do, plus a
//! periodic look at each system so a newcomer sees data move.

use std::sync::Arc;
use std::time::Duration;

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::{
    BillingAddress, NewRefund, NewRefundItem, NewRefundPayment, ProductQuery,
};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_sparklayer::sandbox::{Checkout, CheckoutLine};
use time::OffsetDateTime;

use crate::flows::inventory::advice;
use crate::sandbox::Sandboxes;

/// Where the demo reads buffer advice: the host's store and its clients.
pub struct AdviceSource {
    pub store: Arc<dyn selvedge_store::Store>,
    pub clients: Vec<String>,
}

/// Runs until aborted: one step every `step`, cycling through the scenario.
pub async fn generate(sandboxes: Arc<Sandboxes>, step: Duration, advice_from: AdviceSource) {
    let bc = match BigCommerceClient::new(sandboxes.bigcommerce.client_config()) {
        Ok(c) => c,
        Err(err) => {
            println!("demo: cannot reach the BigCommerce sandbox: {err}");
            return;
        }
    };
    let mut n: u64 = 0;
    let mut refunded = false;
    let mut advised = 0;
    loop {
        tokio::time::sleep(step).await;
        n += 1;
        match n % 4 {
            // Every fifth shopper step is a flash-sale stampede on one SKU.
            1 if n % 20 == 9 => flash_sale(&sandboxes, &bc, n).await,
            1 => place_bigcommerce_order(&sandboxes, &bc, n).await,
            2 => place_sparklayer_order(&sandboxes, n),
            3 => ship_one(&sandboxes),
            _ => {
                if !refunded {
                    refunded = refund_one(&bc).await;
                }
            }
        }
        report(&sandboxes, &bc).await;
        advised = report_advice(&advice_from, advised).await;
    }
}

/// Prints buffer advice when new oversells were seen; returns the oversells seen so far.
async fn report_advice(from: &AdviceSource, seen_before: usize) -> usize {
    let mut seen = 0;
    let mut lines = Vec::new();
    for client in &from.clients {
        let Ok(all) = advice::for_client(from.store.as_ref(), client, None, 28).await else {
            continue;
        };
        seen += all.iter().map(|a| a.oversells).sum::<usize>();
        for rule in advice::by_rule(&all) {
            lines.push(format!(
                "demo: buffer advice for {client}, rule {}: {} ({} SKU-location(s) oversold)",
                rule.rule, rule.recommended_buffer, rule.skus
            ));
        }
        lines.extend(
            all.iter()
                .take(3)
                .map(|a| format!("demo:   {client} {}: {}", a.sku, a.why)),
        );
    }
    if seen > seen_before {
        for line in lines {
            println!("{line}");
        }
    }
    seen
}

/// A flash sale between two ERP cycles: shoppers take more of one SKU than Blue Cherry has
/// left at NJ01 (Express ships from there), the oversell a stock buffer is for.
async fn flash_sale(sandboxes: &Sandboxes, bc: &BigCommerceClient, n: u64) {
    let query = ProductQuery {
        include_variants: true,
        ..ProductQuery::default()
    };
    let Ok(products) = bc.list_products(&query).await else {
        return;
    };
    let skus: Vec<String> = products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.sku.clone()))
        .collect();
    let Some(sku) = skus
        .get(usize::try_from(n).unwrap_or(0) % skus.len().max(1))
        .cloned()
    else {
        return;
    };
    let left = sandboxes.bluecherry.with_state(|s| {
        s.stock
            .get(&("NJ01".to_string(), sku.clone()))
            .map_or(0, |b| b.total_qoh - b.total_pick - b.total_open)
    });
    let quantity = left.max(0) + 3;
    let order = SandboxOrder {
        shipping_address: BillingAddress {
            first_name: "Flash".into(),
            last_name: "Sale".into(),
            street_1: "1 Broadway".into(),
            city: "New York".into(),
            state: "New York".into(),
            zip: "10004".into(),
            country: "United States".into(),
            country_iso2: "US".into(),
            email: "flash@example.com".into(),
            ..BillingAddress::default()
        },
        shipping_method: "Express".into(),
        products: vec![OrderLineInput {
            sku: sku.clone(),
            quantity,
            price: None,
        }],
        ..SandboxOrder::default()
    };
    match sandboxes.bigcommerce.handle().create_order(&order) {
        Ok(id) => println!(
            "demo: flash sale: order #{id} takes {quantity} x {sku}, {left} left at NJ01 in Blue Cherry"
        ),
        Err(err) => println!("demo: flash-sale order not placed: {err}"),
    }
}

/// A shopper buys two variants the catalog flow has published.
async fn place_bigcommerce_order(sandboxes: &Sandboxes, bc: &BigCommerceClient, n: u64) {
    let query = ProductQuery {
        include_variants: true,
        ..ProductQuery::default()
    };
    let skus: Vec<String> = match bc.list_products(&query).await {
        Ok(products) => products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.sku.clone()))
            .take(40)
            .collect(),
        Err(err) => {
            println!("demo: BigCommerce catalog not readable yet: {err}");
            return;
        }
    };
    if skus.is_empty() {
        println!(
            "demo: BigCommerce catalog still empty; waiting for the catalog flow before placing an order"
        );
        return;
    }
    let pick = |k: u64| skus[usize::try_from((n * 7 + k) % skus.len() as u64).unwrap_or(0)].clone();
    let order = SandboxOrder {
        shipping_address: BillingAddress {
            first_name: "Ada".into(),
            last_name: "Shopper".into(),
            street_1: "12 Mercer St".into(),
            city: "New York".into(),
            state: "New York".into(),
            zip: "10013".into(),
            country: "United States".into(),
            country_iso2: "US".into(),
            email: "ada@example.com".into(),
            ..BillingAddress::default()
        },
        shipping_method: if n.is_multiple_of(2) {
            "Express"
        } else {
            "Standard"
        }
        .into(),
        products: vec![
            OrderLineInput {
                sku: pick(0),
                quantity: 1,
                price: None,
            },
            OrderLineInput {
                sku: pick(3),
                quantity: 2,
                price: None,
            },
        ],
        ..SandboxOrder::default()
    };
    match sandboxes.bigcommerce.handle().create_order(&order) {
        Ok(id) => println!(
            "demo: BigCommerce shopper placed order #{id} ({} + {}); the webhook goes to the host",
            order.products[0].sku, order.products[1].sku
        ),
        Err(err) => println!("demo: BigCommerce order not placed: {err}"),
    }
}

/// A B2B buyer orders on account with a PO number.
fn place_sparklayer_order(sandboxes: &Sandboxes, n: u64) {
    let (sku, price) = sandboxes.bluecherry.with_state(|s| {
        let style = s
            .styles
            .get(usize::try_from(n).unwrap_or(0) % s.styles.len().max(1));
        style
            .and_then(|st| {
                st.skus.first().map(|k| {
                    (
                        k.sku.clone(),
                        st.prices
                            .wholesale
                            .values()
                            .next()
                            .unwrap_or(&st.prices.retail)
                            .0,
                    )
                })
            })
            .unwrap_or_default()
    });
    let customer = sandboxes.bluecherry.with_state(|s| {
        s.customers
            .iter()
            .find(|c| c.terms_code != "CC")
            .map(|c| c.customer.to_lowercase())
    });
    let (Some(customer), false) = (customer, sku.is_empty()) else {
        println!("demo: no B2B customer or SKU to order with");
        return;
    };
    let checkout = Checkout {
        customer_id: format!("cust_{customer}"),
        lines: vec![CheckoutLine {
            sku: sku.clone(),
            quantity: 12,
            price_cents: price,
        }],
        payment_method: "pay_on_account".into(),
        po_number: Some(format!("PO-{}", 4000 + n)),
        stock_location_external_id: Some("NJ01".into()),
        currency_code: Some("USD".into()),
    };
    match sandboxes.sparklayer.state().checkout(checkout) {
        Ok(p) => println!(
            "demo: Sparklayer buyer {customer} ordered 12 x {sku} on account (purchase {})",
            p.purchase_identifiers.sparklayer.as_deref().unwrap_or("-")
        ),
        Err(err) => println!("demo: Sparklayer order not placed: {err}"),
    }
}

/// The warehouse ships the oldest open ERP order.
fn ship_one(sandboxes: &Sandboxes) {
    let shipped = sandboxes.bluecherry.with_state(|s| {
        let open = s
            .orders
            .iter()
            .map(|o| o.order.order_number.clone())
            .find(|num| !s.shipments.iter().any(|sh| &sh.order_number == num))?;
        let tracking = format!("1Z999AA1{:010}", s.shipments.len() + 1);
        s.ship(&open, "UPS", &tracking, None, OffsetDateTime::now_utc())
            .ok()
            .map(|_| (open, tracking))
    });
    match shipped {
        Some((order, tracking)) => {
            println!("demo: warehouse shipped ERP order {order} (UPS {tracking})")
        }
        None => println!("demo: no ERP order to ship yet (orders arrive through the order flow)"),
    }
}

/// Customer service refunds one unit of the first BigCommerce order.
async fn refund_one(bc: &BigCommerceClient) -> bool {
    let Ok(orders) = bc.list_orders(&Default::default()).await else {
        return false;
    };
    let Some(order) = orders.first() else {
        return false;
    };
    let Ok(lines) = bc.order_products(order.id).await else {
        return false;
    };
    let Some(line) = lines.first() else {
        return false;
    };
    let refund = NewRefund {
        items: vec![NewRefundItem::product(line.id, 1)],
        payments: vec![NewRefundPayment {
            provider_id: "storecredit".into(),
            amount: line.price_inc_tax,
            offline: true,
        }],
    };
    match bc.create_refund(order.id, &refund).await {
        Ok(r) => {
            println!(
                "demo: BigCommerce refund {} of 1 x {} on order #{}",
                r.id, line.sku, order.id
            );
            true
        }
        Err(err) => {
            println!("demo: refund not created: {err}");
            false
        }
    }
}

/// One line per system: what each holds now.
async fn report(sandboxes: &Sandboxes, bc: &BigCommerceClient) {
    let (cycle, orders, memos, shipments) = sandboxes.bluecherry.with_state(|s| {
        (
            s.cycle.last_cycle_id,
            s.orders.len(),
            s.memos.len(),
            s.shipments.len(),
        )
    });
    let products = bc
        .list_products(&ProductQuery::default())
        .await
        .map(|p| p.len())
        .unwrap_or(0);
    let purchases = sandboxes.sparklayer.state().purchases().len();
    let stock_rows = sandboxes.sparklayer.state().stock_row_count();
    println!(
        "demo: now  ERP cycle {cycle}, {orders} sales orders, {shipments} shipments, {memos} credit memos | BigCommerce {products} products | Sparklayer {stock_rows} stock rows, {purchases} purchases"
    );
}
