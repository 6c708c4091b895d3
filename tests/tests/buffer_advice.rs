//! Buffer advice from real oversells: a SKU-location the ERP has 1 unit of is sold three
//! times 2 units between two cycles; each order line is held at injection to what Blue
//! Cherry had left, and the advice is the buffer that would have kept them off the
//! storefront.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use selvedge::flows::inventory::{self, advice};
use selvedge::flows::orders;
use support::b2c::brand_with_locations;
use support::orders::fast_settings;
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sku_oversold_three_times_in_one_cycle_gets_the_buffer_that_would_have_prevented_it() {
    let (h, settings) = brand_with_locations(2, &["NJ01"]).await;
    let (short_sku, plenty_sku) = (h.skus[0].clone(), h.skus[1].clone());
    h.erp.with_state(|s| {
        // Card orders land authorised and the ERP checks them against credit: give the web
        // customer a credit line, as the order tests do.
        for c in s.customers.iter_mut().filter(|c| c.customer == "WEB001") {
            c.credit_limit = selvedge_bluecherry::model::Cents(1_000_000_000_000);
        }
        for (sku, qoh) in [(&short_sku, 1), (&plenty_sku, 50)] {
            let b = s
                .stock
                .get_mut(&("NJ01".to_string(), sku.clone()))
                .expect("stocked at NJ01");
            // Nothing in production or transit: a pre-order season would count it.
            b.total_qoh = qoh;
            b.total_pick = 0;
            b.total_open = 0;
            b.avail_qoh = qoh;
            b.total_prod = 0;
            b.in_transit = 0;
        }
    });
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings).await.expect("cycle");
    // "Why" in one sentence, from the recorded decision.
    let why = selvedge::explain::sentence(&h.last_decision("inventory", &short_sku).await);
    assert!(
        why.starts_with("ATS 1 at NJ01 = on hand 1 + open work orders 0 (buffer 0, pre-order on)"),
        "{why}"
    );
    assert!(
        why.contains("plugin b2c_apparel") && why.contains("pushed 1 at"),
        "{why}"
    );
    let order_settings = fast_settings();
    // The first sweep only sets the cursor.
    orders::run_and_drain(&h.ctx, &order_settings)
        .await
        .expect("first sweep");
    // Before the next cycle: three orders of 2 from the 1 unit the ERP had, and 2 of the
    // plenty SKU (never short).
    for _ in 0..3 {
        h.checkout("Express", &[(&short_sku, 2), (&plenty_sku, 1)]);
    }
    let r = orders::run_and_drain(&h.ctx, &order_settings)
        .await
        .expect("inject");
    assert!(r.summary.contains("3 orders injected"), "{}", r.summary);
    let seen = h
        .store
        .oversells_since("brand", None, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.iter()
            .all(|o| o.sku == short_sku && o.location == "NJ01")
    );
    let mut shorts: Vec<i64> = seen.iter().map(|o| o.short()).collect();
    shorts.sort();
    assert_eq!(
        shorts,
        [1, 2, 2],
        "1 of 2 was there for the first; none after"
    );

    let advice = advice::for_client(h.store.as_ref(), "brand", None, 28)
        .await
        .unwrap();
    assert_eq!(advice.len(), 1, "only the short SKU: {advice:?}");
    let a = &advice[0];
    assert_eq!(
        (a.sku.as_str(), a.location.as_str()),
        (short_sku.as_str(), "NJ01")
    );
    assert_eq!(
        (a.oversells, a.worst_cycle_short, a.current_buffer),
        (3, 5, 0)
    );
    assert_eq!(a.recommended_buffer, 5);
    // With that buffer the storefront would have offered max(1 - 5, 0) = 0 units: none of
    // the three lines could have been sold.
    assert_eq!((1 - a.recommended_buffer).max(0), 0);
    assert!(
        a.why.contains("3 order line(s) took 5 unit(s) more"),
        "{}",
        a.why
    );
    let one = advice::for_client(h.store.as_ref(), "brand", Some(&plenty_sku), 28)
        .await
        .unwrap();
    assert!(one.is_empty(), "the plenty SKU was never short");

    // The next cycle is the ERP's new count: orders after it are held to that.
    h.erp.with_state(|s| {
        let b = s
            .stock
            .get_mut(&("NJ01".to_string(), short_sku.clone()))
            .unwrap();
        b.total_qoh = 10;
        b.total_open = 0;
        b.total_prod = 0;
        b.in_transit = 0;
    });
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings).await.expect("next cycle");
    h.checkout("Express", &[(&short_sku, 2)]);
    orders::run_and_drain(&h.ctx, &order_settings)
        .await
        .expect("inject");
    let after = h
        .store
        .oversells_since("brand", None, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(after.len(), 3, "2 of 10 is no oversell");
}
