//! The host process killed with SIGKILL three times while it turns a burst of BigCommerce
//! refunds into Blue Cherry credit memos, each time with a memo create the ERP has committed
//! but not yet answered, then restarted on the same data folder: every refund ends with
//! exactly one credit memo (external reference `brand:bc:rf:<refund id>`) carrying the refund's
//! lines and amounts, posted, and each restocked line back on hand once. Runs the real CLI
//! (`selvedge run --config <dir>`) as a child process against the sandboxes of this test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use selvedge_bigcommerce::model::{NewRefund, NewRefundItem, NewRefundPayment};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bigcommerce::{BigCommerceClient, Money};
use selvedge_bluecherry::model::{Cents, CreditMemo, CreditMemoLineRequest, MemoStatus};
use selvedge_connector_kit::RetryPolicy;
use selvedge_store::{OrderKey, Store};
use support::b2c::{seed_products, start_bc};
use support::host_process::{HostDir, brand_client};
use support::memos::{
    arm_hanging_creates, assert_host_recorded, assert_no_refund_failed, assert_one_memo_each,
    crash_refund_settings, drained, kill_at_memo_counts, memos_by_ref, on_hand, run_cycles,
    unposted,
};
use support::orders::{Options, address, start_erp};
use support::wait_until;

/// Orders injected through the host before any refund.
const ORDERS: usize = 100;
/// Refunds sent while the host runs; the rest of [`REFUNDS`] arrive while it is down.
const BURST: usize = 120;
/// Refunds in all: one per order, and a second one on half of them.
const REFUNDS: usize = 150;
/// Memos in the ERP when each kill is prepared.
const KILL_AT: [usize; 3] = [30, 70, 110];
/// Where the brand's orders ship from, and the restocked units return to.
const WAREHOUSE: &str = "NJ01";

/// One refunded order line as planned.
#[derive(Clone)]
struct RefundLine {
    /// BigCommerce order product id.
    item_id: i64,
    sku: String,
    qty: i64,
    /// Unit price excluding tax: the memo's unit credit.
    unit_ex_tax: i64,
    /// Unit price including tax: what the shopper gets back.
    unit_inc_tax: i64,
    /// Not damaged: the units go back to stock.
    restock: bool,
}

/// A refund to send, and once sent, its id and tax.
struct Refund {
    order_id: i64,
    lines: Vec<RefundLine>,
    id: i64,
    tax: i64,
}

impl Refund {
    fn refund_id(&self) -> String {
        self.id.to_string()
    }

    fn external_ref(&self) -> String {
        format!("brand:bc:rf:{}", self.id)
    }

    /// The memo lines the refund must become (the plugin keeps the refund's line order).
    fn memo_lines(&self) -> Vec<CreditMemoLineRequest> {
        self.lines
            .iter()
            .map(|l| CreditMemoLineRequest {
                sku: l.sku.clone(),
                qty: l.qty,
                unit_price: Cents(l.unit_ex_tax),
                restock: l.restock,
            })
            .collect()
    }
}

/// Order `n`: two lines of two different SKUs, 2-3 and 1-2 units.
fn order_lines(skus: &[String], n: usize) -> [(String, i64); 2] {
    [
        (skus[n % skus.len()].clone(), 2 + (n % 2) as i64),
        (
            skus[(n + 1) % skus.len()].clone(),
            1 + i64::from(n.is_multiple_of(3)),
        ),
    ]
}

/// The refunds, by order `n` and its two lines `[a, b]` (full quantities), before any is sent:
/// every order once (a unit of `a`; all of `b`, damaged on odd orders; or everything), then a
/// second refund on the first 50 orders with units left (a unit of `a`, and a unit of `b` where
/// some is left; damaged on every fourth). A damaged refund restocks none of its lines (the
/// plugin's rule).
fn plan(orders: &[(i64, [RefundLine; 2])]) -> Vec<Refund> {
    let refund = |order_id: i64, damaged: bool, lines: &[(&RefundLine, i64)]| Refund {
        order_id,
        lines: lines
            .iter()
            .map(|(l, qty)| RefundLine {
                qty: *qty,
                restock: !damaged,
                ..(*l).clone()
            })
            .collect(),
        id: 0,
        tax: 0,
    };
    let mut out: Vec<Refund> = orders
        .iter()
        .enumerate()
        .map(|(n, (id, [a, b]))| match n % 3 {
            0 => refund(*id, false, &[(a, 1)]),
            1 => refund(*id, n % 2 == 1, &[(b, b.qty)]),
            _ => refund(*id, false, &[(a, a.qty), (b, b.qty)]),
        })
        .collect();
    let second = orders
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 3 != 2)
        .take(REFUNDS - orders.len())
        .map(|(n, (id, [a, b]))| match n % 3 {
            0 => refund(*id, n % 4 == 0, &[(a, 1), (b, 1)]),
            _ => refund(*id, n % 4 == 1, &[(a, 1)]),
        });
    out.extend(second);
    out
}

/// Sends `refund` to BigCommerce (which fires `store/order/refund/created`).
async fn send(bc: &BigCommerceClient, refund: &mut Refund) {
    let items = refund
        .lines
        .iter()
        .map(|l| NewRefundItem {
            reason: (!l.restock).then(|| "damaged in transit".to_string()),
            ..NewRefundItem::product(l.item_id, l.qty)
        })
        .collect();
    let amount: i64 = refund.lines.iter().map(|l| l.unit_inc_tax * l.qty).sum();
    let created = bc
        .create_refund(
            refund.order_id,
            &NewRefund {
                items,
                payments: vec![NewRefundPayment {
                    provider_id: "custom".into(),
                    amount: Money(amount),
                    offline: true,
                }],
            },
        )
        .await
        .expect("refund created");
    refund.id = created.id;
    refund.tax = created.total_tax.cents();
}

/// How many of `orders` the host's ledger has with their ERP number.
async fn injected(store: &Arc<dyn Store>, orders: &[i64]) -> usize {
    let mut n = 0;
    for id in orders {
        let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
        let rec = store.order(&key).await.expect("order ledger");
        n += usize::from(rec.is_some_and(|r| r.erp_order_no.is_some()));
    }
    n
}

/// The memo carries the refund: its lines (unit credit excluding tax, restock unless damaged),
/// its tax and total, against the refunded order's ERP number; and it is posted.
fn assert_memo_is_the_refund(memo: &CreditMemo, refund: &Refund, erp_order: &str) {
    let external_ref = refund.external_ref();
    let lines = refund.memo_lines();
    let lines_total: i64 = lines.iter().map(|l| l.unit_price.0 * l.qty).sum();
    assert_eq!(memo.lines, lines, "{external_ref}: the refund's lines");
    assert_eq!(memo.tax_amount, Cents(refund.tax), "{external_ref}: tax");
    assert_eq!(
        memo.total,
        Cents(lines_total + refund.tax),
        "{external_ref}: total"
    );
    assert_eq!(memo.original_order, erp_order, "{external_ref}: its order");
    assert_eq!(memo.customer, "WEB001", "{external_ref}: customer");
    assert_eq!(memo.status, MemoStatus::Posted, "{external_ref}: posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn host_killed_with_sigkill_while_posting_credit_memos_makes_each_exactly_once() {
    let erp = Arc::new(start_erp().await);
    // Only posted memos move stock on hand during this test (work orders would too).
    erp.with_state(|s| s.work_orders.clear());
    let bc = start_bc(Options::default().bc).await;
    let seed = seed_products(&erp, 2);
    bc.handle().seed(&seed).unwrap();
    let skus: Vec<String> = seed
        .iter()
        .flat_map(|p| {
            p.sizes
                .iter()
                .take(2)
                .map(|z| p.variant_sku(&p.colours[0], z))
        })
        .collect();
    assert_eq!(skus.len(), 4, "two sizes of two styles");
    let mut client = brand_client(&erp.base_url(), &bc.base_url());
    crash_refund_settings(&mut client);
    let dir = HostDir::new(&client);
    let host = dir.start("the host came up").await;
    // The host's store, only read from here, alongside the host (WAL: readers never block it).
    let store = dir.open_store().await;

    // Orders first: each must be in the ERP, and its number in the host's ledger, before
    // its refund can become a memo.
    let order_ids: Vec<i64> = (0..ORDERS)
        .map(|n| {
            let products = order_lines(&skus, n)
                .into_iter()
                .map(|(sku, quantity)| OrderLineInput {
                    sku,
                    quantity,
                    price: None,
                })
                .collect();
            let order = SandboxOrder {
                shipping_address: address(),
                shipping_method: "Express".into(),
                products,
                ..Default::default()
            };
            bc.handle().create_order(&order).unwrap()
        })
        .collect();
    let all_injected = wait_until(Duration::from_secs(90), || async {
        injected(&store, &order_ids).await == ORDERS
    })
    .await;
    assert!(
        all_injected,
        "orders injected: {} of {ORDERS}",
        injected(&store, &order_ids).await
    );

    let mut bc_config = bc.client_config();
    bc_config.retry = RetryPolicy::fast();
    let bc_client = BigCommerceClient::new(bc_config).unwrap();
    let mut orders = Vec::new();
    for (n, id) in order_ids.iter().enumerate() {
        let products = bc_client.order_products(*id).await.unwrap();
        let line = |p: &selvedge_bigcommerce::model::OrderProduct| RefundLine {
            item_id: p.id,
            sku: p.sku.clone(),
            qty: p.quantity,
            unit_ex_tax: p.price_ex_tax.cents(),
            unit_inc_tax: p.price_inc_tax.cents(),
            restock: true,
        };
        assert_eq!(products.len(), 2, "order {id} has two lines");
        let skus_sent = order_lines(&skus, n).map(|(sku, _)| sku);
        let skus_got = [&products[0].sku, &products[1].sku];
        assert_eq!(
            skus_got,
            [&skus_sent[0], &skus_sent[1]],
            "order {id}'s lines"
        );
        orders.push((*id, [line(&products[0]), line(&products[1])]));
    }
    let mut refunds = plan(&orders);
    assert_eq!(refunds.len(), REFUNDS);
    let before: HashMap<&String, i64> = skus
        .iter()
        .map(|k| (k, on_hand(&erp, WAREHOUSE, k)))
        .collect();

    // A slow ERP, and the first two memo creates committed then hung past the host's timeout.
    arm_hanging_creates(&erp, false);
    // Memos post (and restock) at the ERP's batch cycles.
    let cycles = run_cycles(erp.clone());
    for refund in &mut refunds[..BURST] {
        send(&bc_client, refund).await;
    }
    let (host, in_flight_at_kill) =
        kill_at_memo_counts(&erp, &dir, host, &KILL_AT, REFUNDS, async |kill| {
            if kill == 1 {
                // Refunds keep coming while the host is down: webhook retries and the poll.
                for refund in &mut refunds[BURST..] {
                    send(&bc_client, refund).await;
                }
            }
        })
        .await;

    let refund_ids: Vec<String> = refunds.iter().map(Refund::refund_id).collect();
    let done = wait_until(Duration::from_secs(180), || async {
        drained(&store, "brand", &refund_ids).await
    })
    .await;
    // Let anything that would double a memo do so before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.sigkill();
    cycles.abort();

    let by_ref = memos_by_ref(&erp);
    let refs: Vec<String> = refunds.iter().map(Refund::external_ref).collect();
    assert_one_memo_each(&by_ref, &refs);
    assert!(
        done,
        "the refund queue drained with every refund posted; not posted: {:?}",
        unposted(&store, "brand", &refund_ids).await
    );
    for r in &in_flight_at_kill {
        assert_eq!(by_ref[r].len(), 1, "{r}: committed at a kill, once");
    }
    let erp_orders: HashMap<String, String> = erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| (o.order.external_ref.clone(), o.order.order_number.clone()))
            .collect()
    });
    for refund in &refunds {
        let memo = &by_ref[&refund.external_ref()][0];
        assert_memo_is_the_refund(
            memo,
            refund,
            &erp_orders[&format!("brand:bc:{}", refund.order_id)],
        );
        assert_host_recorded(&store, "brand", "bigcommerce", &refund.refund_id(), memo).await;
    }
    assert_no_refund_failed(&store, "brand").await;

    // Restock: each restocked memo line back on hand once, damaged units not at all.
    for sku in &skus {
        let restocked: i64 = refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|l| l.restock && &l.sku == sku)
            .map(|l| l.qty)
            .sum();
        assert_eq!(
            on_hand(&erp, WAREHOUSE, sku) - before[sku],
            restocked,
            "{sku}: restocked units on hand in {WAREHOUSE}"
        );
    }
    store.close().await.expect("close");
}
