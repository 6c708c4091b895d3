//! B2B flow end to end: Blue Cherry terms and price levels -> b2b-wholesale plugin -> Sparklayer.

use crate::support;

use std::collections::BTreeSet;

use selvedge::flows::b2b::{self, B2bSettings};
use selvedge::flows::catalog::{self, CatalogSettings};
use selvedge::flows::inventory::{self, InventorySettings};
use selvedge_bluecherry::model::Cents;
use selvedge_sparklayer::model::{Customer, PaymentOnAccount};
use support::Harness;
use support::b2b::wholesaler;

/// A Sparklayer customer linked to an ERP customer number.
fn customer(id: &str, erp: &str) -> Customer {
    Customer {
        id: id.into(),
        external_id: Some(erp.into()),
        email: Some(format!("{id}@example.com")),
        name: Some(id.into()),
        customer_group: Some("trade".into()),
        metafields: Vec::new(),
        extra: Default::default(),
    }
}

/// The wholesaler on 4 styles with three Sparklayer buyers linked to ERP customers, its catalog
/// bound.
async fn wholesaler_with_buyers() -> Harness {
    let h = wholesaler(4).await;
    for (id, erp) in [("sl_1", "C10001"), ("sl_2", "C10002"), ("sl_3", "C10003")] {
        h.sl().state().add_customer(customer(id, erp));
    }
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog binds the SKUs");
    h
}

/// The B2B flow's terms sync alone (no price lists).
fn terms_only() -> B2bSettings {
    B2bSettings {
        pricing: false,
        ..B2bSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erp_terms_and_credit_limits_land_in_payment_on_account() {
    let h = wholesaler_with_buyers().await;
    let report = b2b::run(&h.ctx, &terms_only()).await.expect("b2b run");
    let erp = h.erp.with_state(|s| s.customers.clone());
    for (id, code) in [("sl_1", "C10001"), ("sl_2", "C10002"), ("sl_3", "C10003")] {
        let c = erp
            .iter()
            .find(|c| c.customer == code)
            .expect("ERP customer");
        let terms = h
            .sl()
            .state()
            .customer(id)
            .and_then(|c| c.payment_on_account().ok().flatten())
            .expect("terms written");
        let days = u16::try_from(c.net_days).ok();
        assert_eq!(
            terms,
            PaymentOnAccount::new(c.credit_limit.0, c.balance.0, days),
            "{code}"
        );
    }
    assert_eq!(
        report.measurements.extra["terms_updated"],
        serde_json::json!(3),
        "{}",
        report.summary
    );
    assert_eq!(
        report.measurements.extra["customers_unmatched"],
        serde_json::json!(9),
        "ERP customers without a Sparklayer account"
    );

    // Blue Cherry is the master: a new balance is published, nothing else is rewritten.
    h.erp.with_state(|s| {
        if let Some(c) = s.customers.iter_mut().find(|c| c.customer == "C10002") {
            c.balance = Cents(c.balance.0 + 12_345);
        }
    });
    let again = b2b::run(&h.ctx, &terms_only()).await.expect("second run");
    assert_eq!(
        again.measurements.extra["terms_updated"],
        serde_json::json!(1),
        "{}",
        again.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_levels_become_price_lists_with_quantity_breaks_and_only_changes_are_resent() {
    let h = wholesaler_with_buyers().await;
    let settings = B2bSettings {
        terms: false,
        ..B2bSettings::default()
    };
    let report = b2b::run(&h.ctx, &settings).await.expect("b2b run");
    assert_eq!(
        report.measurements.extra["lists_created"],
        serde_json::json!(2),
        "{}",
        report.summary
    );
    let levels = h.erp.with_state(|s| s.price_levels.clone());
    for level in levels.iter().take(30) {
        let slug = if level.level == "A" {
            "wholesale-a"
        } else {
            "wholesale-b"
        };
        let tiers = h
            .sl()
            .state()
            .tiers(slug, &level.sku)
            .unwrap_or_else(|| panic!("no tiers for {} on {slug}", level.sku));
        let got: Vec<(u32, i64)> = tiers.iter().map(|t| (t.quantity, t.price_cents)).collect();
        let want: Vec<(u32, i64)> = level
            .breaks
            .iter()
            .map(|b| (b.min_qty as u32, b.unit_price.0))
            .collect();
        assert_eq!(got, want, "{} level {}", level.sku, level.level);
    }
    let sent = report.measurements.extra["tiers_updated"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(sent, levels.len() as u64);
    assert_eq!(
        report.measurements.extra["pricing_calls"],
        serde_json::json!(sent.div_ceil(500))
    );

    let calls = || {
        h.sl()
            .state()
            .requests_to("PATCH /api/v1/batch-update-pricing")
    };
    let before = calls();
    let idle = b2b::run(&h.ctx, &settings).await.expect("unchanged run");
    assert_eq!(
        calls(),
        before,
        "nothing changed, nothing sent: {}",
        idle.summary
    );

    let sku = h.erp.with_state(|s| {
        let p = &mut s.price_levels[0];
        p.breaks[1].unit_price = Cents(p.breaks[1].unit_price.0 - 100);
        p.sku.clone()
    });
    let changed = b2b::run(&h.ctx, &settings).await.expect("changed run");
    assert_eq!(
        changed.measurements.extra["tiers_updated"],
        serde_json::json!(1),
        "{}",
        changed.summary
    );
    assert_eq!(calls(), before + 1);
    let decisions = h
        .ctx
        .store
        .latest_decisions("wholesaler", Some("b2b"), "wholesale-a", 1)
        .await
        .expect("decisions");
    assert!(
        !decisions.is_empty(),
        "the pricing decision is recorded for {sku}'s list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_sparklayer_cannot_express_raise_a_finance_exception() {
    let h = wholesaler_with_buyers().await;
    h.erp.with_state(|s| {
        if let Some(c) = s.customers.iter_mut().find(|c| c.customer == "C10003") {
            c.terms_code = "NET120".into();
            c.net_days = 120;
        }
    });
    b2b::run(&h.ctx, &terms_only()).await.expect("b2b run");
    let open = h.exceptions("b2b_sync").await;
    let e = open
        .iter()
        .find(|e| e.subject == "C10003")
        .expect("exception for C10003");
    assert_eq!(e.owner, "finance");
    assert!(
        h.sl()
            .state()
            .customer("sl_3")
            .and_then(|c| c.payment_on_account().ok().flatten())
            .is_none(),
        "no clamped terms written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wholesale_stock_goes_to_sparklayer_in_batch_calls_with_the_plugin_buffer() {
    let h = wholesaler(6).await;
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog");
    let settings = InventorySettings {
        locations: [("CA02".to_string(), "CA02".to_string())].into(),
        ..Default::default()
    };
    let report = inventory::run(&h.ctx, &settings).await.expect("cycle");
    let rows = report.measurements.records.unwrap_or(0);
    assert!(rows > 0);
    assert_eq!(
        h.sl()
            .state()
            .requests_to("POST /api/v1/batch-update-stock"),
        rows.div_ceil(500),
        "{}",
        report.summary
    );
    let buckets: BTreeSet<(String, i64)> = h.erp.with_state(|s| {
        s.stock
            .iter()
            .filter(|((w, _), _)| w == "CA02")
            .map(|((_, k), b)| {
                (
                    k.clone(),
                    (b.total_qoh - b.total_pick - b.total_open).max(0),
                )
            })
            .collect()
    });
    for (sku, physical) in buckets.iter().take(40) {
        // b2b-wholesale: physical stock less a 10% buffer, rounded up.
        let expected = physical - (physical * 10 + 99) / 100;
        assert_eq!(
            h.sl().state().stock_level("CA02", sku),
            Some(expected),
            "{sku}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_grid_cell_is_not_bound_for_sparklayer_and_shows_in_its_sync_log() {
    let h = wholesaler(3).await;
    let broken = h.erp.with_state(|s| {
        let st = &mut s.styles[0];
        let mut k = st.skus[0].clone();
        k.colour = "999".into();
        k.sku = format!("{}-999-{}", st.style, k.size);
        k.upc = "084129966666".into();
        st.skus.push(k.clone());
        s.reindex();
        k.sku
    });
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog");
    let bound = h
        .ctx
        .store
        .list_bindings("wholesaler", "sparklayer")
        .await
        .expect("bindings");
    let skus: usize = h
        .erp
        .with_state(|s| s.styles.iter().map(|st| st.skus.len()).sum());
    assert_eq!(bound.len(), skus - 1, "every sound SKU is bound");
    assert!(bound.iter().all(|b| b.erp_sku != broken));
    let log = h
        .sl()
        .state()
        .sync_log("selvedge", "catalog")
        .expect("sync log written");
    assert_eq!(log.last_full_sync_succeeded, Some(false));
    assert!(
        log.errors
            .iter()
            .any(|e| e.external_id.as_deref() == Some(broken.as_str())),
        "{log:?}"
    );
    let open = h.exceptions("sku_unmapped").await;
    assert!(
        open.iter()
            .any(|e| e.subject == broken && e.owner == "ecommerce")
    );
}
