//! Inventory flow end to end: Blue Cherry cycles -> plugin ATS -> BigCommerce / Sparklayer.

use crate::support;

use std::collections::BTreeMap;

use selvedge::flows::inventory;
use selvedge_bluecherry::model::{AtsBuckets, Cents, CreditMemoLineRequest, CreditMemoRequest};
use support::b2c::brand_with_locations;
use support::erp::web_order;
use support::{Harness, bc_sandbox};
use time::OffsetDateTime;

const WAREHOUSES: [&str; 4] = ["NJ01", "CA02", "TX03", "WA04"];

/// Adjustment requests in the sandbox log: (location id, variant ids) per request.
fn adjustment_requests(h: &Harness) -> Vec<(i64, Vec<i64>)> {
    h.adjustment_requests()
        .into_iter()
        .map(|items| {
            let location = items
                .first()
                .and_then(|i| i["location_id"].as_i64())
                .unwrap_or(0);
            assert!(
                items
                    .iter()
                    .all(|i| i["location_id"].as_i64() == Some(location)),
                "one location per request"
            );
            (
                location,
                items
                    .iter()
                    .filter_map(|i| i["variant_id"].as_i64())
                    .collect(),
            )
        })
        .collect()
}

/// Stock the ERP has on the shelf for sale: on hand less picked and open orders.
fn physical(b: &AtsBuckets) -> i64 {
    (b.total_qoh - b.total_pick - b.total_open).max(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_percent_of_20000_sku_locations_changed_are_pushed_alone_in_minimum_calls_without_429s()
 {
    let (h, settings) = brand_with_locations(180, &WAREHOUSES).await;
    let first = inventory::run(&h.ctx, &settings)
        .await
        .expect("first cycle");
    let rows = first.measurements.records.unwrap_or(0);
    assert!(rows >= 20_000, "{rows} SKU-locations");
    let before = h.bc_stock().await;

    // Change 5% of the SKU-locations in the ERP (a receipt of 7 units each).
    let changed: Vec<(String, String)> = h.erp.with_state(|s| {
        let keys: Vec<(String, String)> = s
            .stock
            .keys()
            .filter(|(w, _)| WAREHOUSES.contains(&w.as_str()))
            .cloned()
            .collect();
        let picked: Vec<(String, String)> = keys.iter().step_by(20).cloned().collect();
        for k in &picked {
            if let Some(b) = s.stock.get_mut(k) {
                b.total_qoh += 7;
            }
        }
        picked
    });
    assert_eq!(changed.len() as u64, rows.div_ceil(20));
    h.erp.run_cycle();
    // A quota far below the run's requests: the client must pace itself, never hit 429.
    h.bc().handle().set_quota(2, 400);
    h.bc().handle().clear_log();
    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("delta cycle");

    let mut per_location: BTreeMap<i64, usize> = BTreeMap::new();
    let location_of = |w: &str| -> i64 { settings.locations[w].parse().unwrap_or(0) };
    for (w, _) in &changed {
        *per_location.entry(location_of(w)).or_default() += 1;
    }
    let minimum: usize = per_location.values().map(|n| n.div_ceil(2_000)).sum();
    let requests = adjustment_requests(&h);
    assert_eq!(
        requests.len(),
        minimum,
        "requests per location: {per_location:?}"
    );
    let sent: usize = requests.iter().map(|(_, items)| items.len()).sum();
    assert_eq!(
        sent,
        changed.len(),
        "only the changed SKU-locations are pushed"
    );
    assert_eq!(
        h.bc().handle().counters().throttled,
        0,
        "no 429 against a quota of 2 per 400 ms"
    );
    assert_eq!(
        report.measurements.changed,
        Some(changed.len() as u64),
        "{}",
        report.summary
    );
    assert_eq!(
        report.measurements.extra["push_requests_minimum"],
        serde_json::json!(minimum)
    );

    let after = h.bc_stock().await;
    for (w, sku) in changed.iter().take(50) {
        let key = (sku.clone(), location_of(w));
        assert_eq!(
            after.get(&key).copied(),
            before.get(&key).map(|q| q + 7),
            "{sku} at {w}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_order_skus_include_open_work_orders_and_the_trace_says_why() {
    let (h, settings) = brand_with_locations(12, &["NJ01"]).await;
    inventory::run(&h.ctx, &settings).await.expect("cycle");
    let stock = h.bc_stock().await;
    let (pre, regular) = h.erp.with_state(|s| {
        let season = |sku: &str| {
            s.sku_index
                .get(sku)
                .map(|r| s.styles[r.style].season.clone())
                .unwrap_or_default()
        };
        let nj = s.stock.iter().filter(|((w, _), _)| w == "NJ01");
        let pre = nj
            .clone()
            .find(|((_, k), b)| season(k) == "FA26" && b.total_prod > 0)
            .map(|((_, k), b)| (k.clone(), *b));
        let regular = nj
            .clone()
            .find(|((_, k), b)| season(k) != "FA26" && b.total_prod > 0 && b.total_qoh > 5)
            .map(|((_, k), b)| (k.clone(), *b));
        (pre, regular)
    });
    let (pre_sku, pre_b) = pre.expect("a pre-order SKU with work orders in the seed");
    let (reg_sku, reg_b) = regular.expect("an in-season SKU with work orders in the seed");
    assert_eq!(
        stock.get(&(pre_sku.clone(), 1)).copied(),
        Some(physical(&pre_b) + pre_b.total_prod),
        "pre-order counts work orders"
    );
    assert_eq!(
        stock.get(&(reg_sku.clone(), 1)).copied(),
        Some(physical(&reg_b)),
        "in-season stock is physical only"
    );

    let d = h.last_decision("inventory", &pre_sku).await;
    assert_eq!(
        d.plugin_version,
        h.ctx.plugin.current().expect("plugin").version
    );
    let source = &d.reason["sources"][0];
    assert_eq!(
        source["buckets"]["total_prod"],
        serde_json::json!(pre_b.total_prod)
    );
    assert!(
        source["reasons"]
            .as_array()
            .is_some_and(|r| r.contains(&"open_work_orders_included".into())),
        "{source}"
    );
    assert_eq!(
        d.value["qty"],
        serde_json::json!(physical(&pre_b) + pre_b.total_prod)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_stock_flows_back_in_the_next_erp_cycle() {
    let (h, settings) = brand_with_locations(8, &["NJ01"]).await;
    inventory::run(&h.ctx, &settings).await.expect("cycle");
    let sku = h.erp.with_state(|s| {
        s.stock
            .iter()
            .find(|((w, k), b)| {
                w == "NJ01" && b.total_qoh > 10 && b.total_pick == 0 && s.sku_index.contains_key(k)
            })
            .map(|((_, k), _)| k.clone())
    });
    let sku = sku.expect("a stocked SKU");
    let start = h.bc_stock().await[&(sku.clone(), 1)];
    let order = h
        .ctx
        .erp
        .create_sales_order(&web_order("BC-1", &[(&sku, 2)]))
        .await
        .expect("order");
    h.erp
        .with_state(|s| {
            s.ship(
                &order.order_number,
                "UPS",
                "1Z1",
                None,
                OffsetDateTime::now_utc(),
            )
        })
        .expect("shipped");
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle after the sale");
    assert_eq!(
        h.bc_stock().await[&(sku.clone(), 1)],
        start - 2,
        "the sale left the storefront stock"
    );

    let memo = CreditMemoRequest {
        external_ref: "RF-1".into(),
        customer: "WEB001".into(),
        original_order: order.order_number.clone(),
        reason: Some("wrong size".into()),
        tax_amount: Cents(0),
        lines: vec![CreditMemoLineRequest {
            sku: sku.clone(),
            qty: 2,
            unit_price: Cents(2800),
            restock: true,
        }],
    };
    h.ctx.erp.create_credit_memo(&memo).await.expect("memo");
    inventory::run(&h.ctx, &settings)
        .await
        .expect("no new cycle yet");
    assert_eq!(
        h.bc_stock().await[&(sku.clone(), 1)],
        start - 2,
        "ATS only moves when a cycle completes"
    );
    h.erp.run_cycle();
    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle after the return");
    assert_eq!(
        h.bc_stock().await[&(sku.clone(), 1)],
        start,
        "the restock came back: {}",
        report.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycle_latency_and_update_frequency_are_measured_and_latency_is_fed_back() {
    let (h, mut settings) = brand_with_locations(4, &["NJ01"]).await;
    settings.initial_cycle_latency_minutes = 45;
    let first = h
        .run_recorded("inventory", || inventory::run(&h.ctx, &settings))
        .await;
    assert_eq!(
        first.measurements.extra["cycle_latency_minutes_given"],
        serde_json::json!(45),
        "before any measurement"
    );
    let latency = first
        .measurements
        .cycle_latency()
        .expect("latency measured");
    assert!(
        latency >= time::Duration::ZERO && latency < time::Duration::minutes(1),
        "{latency}"
    );

    let idle = inventory::run(&h.ctx, &settings)
        .await
        .expect("no new cycle");
    assert!(
        idle.summary.contains("no new ERP cycle"),
        "{}",
        idle.summary
    );

    h.erp.run_cycle();
    let second = h
        .run_recorded("inventory", || inventory::run(&h.ctx, &settings))
        .await;
    let fed_back = (latency.as_seconds_f64() / 60.0).ceil() as u64;
    assert_eq!(
        second.measurements.extra["cycle_latency_minutes_given"],
        serde_json::json!(fed_back)
    );
    assert_eq!(
        second.measurements.extra["updates_last_24h"],
        serde_json::json!(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_the_storefront_refuses_is_not_recorded_and_goes_out_on_the_next_run() {
    let (h, settings) = brand_with_locations(4, &["NJ01"]).await;
    let fault = bc_sandbox::Fault {
        status: 422,
        count: 1,
        method: Some("PUT".into()),
        path_contains: Some("adjustments".into()),
        delay_ms: None,
    };
    h.bc().handle().inject_fault(fault);
    let failed = inventory::run(&h.ctx, &settings).await;
    assert!(failed.is_err(), "the storefront never accepted the push");
    let pushed = h.pushed_stock().await;
    assert!(
        pushed.is_empty(),
        "nothing is recorded as pushed: {} rows",
        pushed.len()
    );

    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("retry of the same cycle");
    let rows = report.measurements.records.unwrap_or(0);
    assert!(rows > 0);
    assert_eq!(
        report.measurements.changed,
        Some(rows),
        "{}",
        report.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_movers_keep_their_buffer_from_units_sold_this_week() {
    let (h, settings) = brand_with_locations(12, &["NJ01"]).await;
    let picks: Vec<(String, AtsBuckets)> = h.erp.with_state(|s| {
        s.stock
            .iter()
            .filter(|((w, k), b)| {
                w == "NJ01"
                    && b.total_qoh - b.total_pick - b.total_open > 5
                    && s.sku_index
                        .get(k.as_str())
                        .is_some_and(|r| s.styles[r.style].season != "FA26")
            })
            .take(2)
            .map(|((_, k), b)| (k.clone(), *b))
            .collect()
    });
    let [(fast, fast_b), (slow, slow_b)] = <[_; 2]>::try_from(picks).expect("two in-season SKUs");
    // What the orders flow records as orders go in: 25 units of `fast` two days ago (over the
    // plugin's 20 a week), 25 of `slow` ten days ago (outside the week).
    let day = time::Duration::days(1);
    for (id, sku, when) in [
        ("w1", &fast, OffsetDateTime::now_utc() - day * 2),
        ("w2", &slow, OffsetDateTime::now_utc() - day * 10),
    ] {
        let key = selvedge_store::OrderKey::new("brand", "bigcommerce", id);
        let sold = [selvedge_store::SoldUnits {
            sku: sku.clone(),
            location: "NJ01".into(),
            units: 25,
        }];
        let snapshot = selvedge_store::ErpSnapshot {
            value_minor: 0,
            qty: 25,
        };
        h.ctx
            .store
            .record_order_received(&key, "h", when)
            .await
            .expect("received");
        h.ctx
            .store
            .record_injected(&key, &format!("SO-{id}"), snapshot, &sold, when)
            .await
            .expect("injected");
    }
    inventory::run(&h.ctx, &settings).await.expect("cycle");
    let stock = h.bc_stock().await;
    assert_eq!(
        stock.get(&(fast.clone(), 1)).copied(),
        Some(physical(&fast_b) - 2),
        "a fast mover keeps the plugin's 2-unit buffer"
    );
    assert_eq!(
        stock.get(&(slow.clone(), 1)).copied(),
        Some(physical(&slow_b)),
        "last week's sales do not count"
    );
    let decision = h.last_decision("inventory", &fast).await;
    let source = &decision.reason["sources"][0];
    assert!(
        source["reasons"]
            .as_array()
            .is_some_and(|r| r.contains(&"fast_mover".into())),
        "{source}"
    );
}
