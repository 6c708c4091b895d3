//! Reconciliation end to end: order drift from ERP edits, stock drift, SKUs on one side only,
//! and their exceptions resolved once a later run finds them gone.

use crate::support;

use selvedge::flows::ExceptionKind;
use selvedge::flows::catalog::{self, CatalogSettings};
use selvedge::flows::inventory::{self, InventorySettings};
use selvedge::flows::reconcile::{self, MissingFrom, ReconcileSettings};
use selvedge_bigcommerce::Money;
use selvedge_bigcommerce::model::{AbsoluteAdjustment, ItemRef};
use selvedge_bigcommerce::sandbox::SeedProduct;
use selvedge_bluecherry::model::{Cents, SalesOrder, Sku};
use selvedge_store::{
    ErpSnapshot, ExceptionFilter, ExceptionRecord, ExceptionState, OrderKey, OrderState, Page,
};
use support::erp::web_order;
use support::{Harness, b2c};
use time::OffsetDateTime;

/// The brand with its catalog and NJ01's stock on BigCommerce (location 1), on 6 styles;
/// returns it with the first three SKUs of the first style.
async fn brand_on_sale() -> (Harness, Vec<String>) {
    let h = b2c::brand(6).await;
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog");
    let inv = InventorySettings {
        locations: [("NJ01".to_string(), "1".to_string())].into(),
        ..Default::default()
    };
    inventory::run(&h.ctx, &inv).await.expect("inventory");
    let skus: Vec<String> = h.erp.with_state(|s| {
        s.styles[0]
            .skus
            .iter()
            .map(|k| k.sku.clone())
            .take(3)
            .collect()
    });
    (h, skus)
}

/// Adds a SKU to the fourth style in the ERP only; returns it.
fn add_erp_only_sku(h: &Harness) -> String {
    h.erp.with_state(|s| {
        let st = &mut s.styles[3];
        let mut k: Sku = st.skus[0].clone();
        k.sku = format!("{}-NEW", k.sku);
        k.upc = "084129977777".into();
        st.skus.push(k.clone());
        s.reindex();
        k.sku
    })
}

/// Injects an order into the ERP and records it in the ledger as the orders flow would.
async fn injected(h: &Harness, storefront_id: &str, lines: &[(&str, i64)]) -> SalesOrder {
    let request = web_order(&format!("BC-{storefront_id}"), lines);
    let order = h
        .ctx
        .erp
        .create_sales_order(&request)
        .await
        .expect("ERP order");
    let key = OrderKey::new("brand", "bigcommerce", storefront_id);
    let now = OffsetDateTime::now_utc();
    let store = &h.ctx.store;
    store
        .record_order_received(&key, "hash", now)
        .await
        .expect("received");
    store
        .transition_order(&key, OrderState::Injecting, None, now)
        .await
        .expect("injecting");
    let snapshot = ErpSnapshot {
        value_minor: order.merchandise_total.0,
        qty: order.lines.iter().map(|l| l.qty).sum(),
    };
    store
        .record_injected(&key, &order.order_number, snapshot, &[], now)
        .await
        .expect("injected");
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_flags_erp_edited_orders_stock_drift_and_one_sided_skus_with_owners() {
    let (h, skus) = brand_on_sale().await;

    let untouched = injected(&h, "101", &[(&skus[0], 1)]).await;
    let edited = injected(&h, "102", &[(&skus[1], 3), (&skus[2], 1)]).await;
    // A user edits order 102 inside Blue Cherry: line 1 goes from 3 units to 1.
    h.erp
        .with_state(|s| {
            s.edit_order_line(
                &edited.order_number,
                1,
                Some(1),
                None,
                OffsetDateTime::now_utc(),
            )
        })
        .expect("ERP edit");

    // Someone sets a stock level by hand in the BigCommerce admin.
    let (_, variant) = h.bc_variant(&skus[0]).await;
    let manual = AbsoluteAdjustment {
        location_id: 1,
        item: ItemRef::VariantId(variant),
        quantity: 999,
    };
    h.bc_client()
        .set_inventory_absolute(Some("manual"), &[manual])
        .await
        .expect("manual edit");

    // A product only the storefront has, and a SKU only the ERP has.
    h.bc()
        .handle()
        .seed(&[SeedProduct {
            name: "Gift Card".into(),
            style: "GIFT".into(),
            price: Money(2_500),
            sizes: vec!["OS".into()],
            colours: vec!["Red".into()],
            stock: 5,
            custom_fields: vec![],
        }])
        .expect("seed");
    let erp_only = add_erp_only_sku(&h);

    let report = reconcile::report(&h.ctx, &ReconcileSettings::default())
        .await
        .expect("reconciliation");
    assert_eq!(report.orders_checked, 2);
    assert_eq!(report.order_drift.len(), 1, "{:#?}", report.order_drift);
    let drift = &report.order_drift[0];
    assert_eq!(
        (
            drift.storefront_order_id.as_str(),
            drift.erp_order_no.as_str()
        ),
        ("102", edited.order_number.as_str())
    );
    assert_eq!((drift.expected_qty, drift.erp_qty), (4, 2));
    assert_eq!(
        (drift.expected_value_cents, drift.erp_value_cents),
        (4 * 2_800, 2 * 2_800)
    );
    assert_eq!(drift.owner, "finance");
    assert_ne!(untouched.order_number, drift.erp_order_no);

    assert_eq!(report.stock_drift.len(), 1, "{:#?}", report.stock_drift);
    let stock = &report.stock_drift[0];
    assert_eq!(
        (
            stock.sku.as_str(),
            stock.location.as_str(),
            stock.storefront
        ),
        (skus[0].as_str(), "1", Some(999))
    );
    assert_eq!(stock.owner, "ecommerce");

    let missing: Vec<(&str, MissingFrom)> = report
        .sku_missing
        .iter()
        .map(|m| (m.sku.as_str(), m.missing_from))
        .collect();
    assert!(
        missing.contains(&(erp_only.as_str(), MissingFrom::Storefront)),
        "{missing:?}"
    );
    assert!(
        missing.contains(&("GIFT-RED-OS", MissingFrom::Erp)),
        "{missing:?}"
    );
    assert_eq!(missing.len(), 2, "{missing:?}");

    let all = h
        .ctx
        .store
        .list_exceptions(&ExceptionFilter::default(), Page::default())
        .await
        .expect("exceptions");
    let owner_of = |kind: &str, subject: &str| {
        all.iter()
            .find(|e| e.kind == kind && e.subject == subject)
            .map(|e| e.owner.clone())
    };
    assert_eq!(owner_of("drift_order", "102").as_deref(), Some("finance"));
    assert_eq!(
        owner_of("drift_stock", &format!("{}@1", skus[0])).as_deref(),
        Some("ecommerce")
    );
    assert_eq!(
        owner_of("sku_missing", &erp_only).as_deref(),
        Some("ecommerce")
    );
    let json =
        serde_json::to_value(&report).expect("the report serializes for the CLI and dashboard");
    assert_eq!(json["order_drift"][0]["erp_qty"], serde_json::json!(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_come_from_the_client_config() {
    let mut h = b2c::brand(2).await;
    let owners: selvedge::flows::Owners =
        toml::from_str("drift_order = \"operations\"").expect("owners");
    h.ctx.owners = std::sync::Arc::new(owners);
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog");
    let sku = h.erp.with_state(|s| s.styles[0].skus[0].sku.clone());
    let order = injected(&h, "201", &[(&sku, 2)]).await;
    h.erp
        .with_state(|s| {
            s.edit_order_line(
                &order.order_number,
                1,
                None,
                Some(Cents(100)),
                OffsetDateTime::now_utc(),
            )
        })
        .expect("price edit");
    let report = reconcile::report(
        &h.ctx,
        &ReconcileSettings {
            stock: false,
            skus: false,
            ..Default::default()
        },
    )
    .await
    .expect("report");
    assert_eq!(report.order_drift.len(), 1);
    assert_eq!(report.order_drift[0].owner, "operations");
}

/// Unresolved exceptions of a kind about a subject.
async fn exceptions_about(h: &Harness, kind: &str, subject: &str) -> Vec<ExceptionRecord> {
    h.exceptions(kind)
        .await
        .into_iter()
        .filter(|e| e.subject == subject)
        .collect()
}

/// The one exception of a kind about a subject.
async fn the_exception(h: &Harness, kind: &str, subject: &str) -> ExceptionRecord {
    let mut found = exceptions_about(h, kind, subject).await;
    assert_eq!(found.len(), 1, "{kind} about {subject}: {found:#?}");
    found.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_exceptions_resolve_themselves_once_a_later_run_finds_them_gone() {
    let (h, skus) = brand_on_sale().await;
    let store = &h.ctx.store;
    let now = OffsetDateTime::now_utc;

    // Order 301 is edited in Blue Cherry (3 units -> 1), order 302 too (2 -> 1); order 303
    // stays as injected.
    let restored = injected(&h, "301", &[(&skus[1], 3), (&skus[2], 1)]).await;
    let handled = injected(&h, "302", &[(&skus[0], 2)]).await;
    injected(&h, "303", &[(&skus[0], 1)]).await;
    for order in [&restored.order_number, &handled.order_number] {
        h.erp
            .with_state(|s| s.edit_order_line(order, 1, Some(1), None, now()))
            .expect("ERP edit");
    }
    // Someone sets a stock level by hand in the BigCommerce admin.
    let (binding, variant) = h.bc_variant(&skus[0]).await;
    let pushed = h
        .pushed_stock()
        .await
        .into_iter()
        .find(|p| p.sku == binding.storefront_sku && p.location == "1")
        .expect("pushed stock")
        .qty;
    let set_stock = |quantity: i64| AbsoluteAdjustment {
        location_id: 1,
        item: ItemRef::VariantId(variant),
        quantity,
    };
    h.bc_client()
        .set_inventory_absolute(Some("manual"), &[set_stock(999)])
        .await
        .expect("manual edit");
    // A SKU only the ERP has.
    let erp_only = add_erp_only_sku(&h);
    // Exceptions other than this flow's findings: another kind about order 301, and the
    // orders flow's drift_order about order 303 (an order superseded by a storefront edit).
    h.ctx
        .raise(
            ExceptionKind::OrderInvalid,
            "301",
            "held for review",
            serde_json::json!({ "reason": "manual hold" }),
        )
        .await
        .expect("raise");
    h.ctx
        .raise(
            ExceptionKind::DriftOrder,
            "303",
            "edited in Sparklayer: cancel the old order in Blue Cherry",
            serde_json::json!({ "superseded": "SO-1", "replacement": "SO-2" }),
        )
        .await
        .expect("raise");

    let first = reconcile::report(&h.ctx, &ReconcileSettings::default())
        .await
        .expect("first reconciliation");
    assert_eq!(first.order_drift.len(), 2, "{:#?}", first.order_drift);
    assert_eq!(first.stock_drift.len(), 1, "{:#?}", first.stock_drift);
    assert!(first.resolved.is_empty(), "{:#?}", first.resolved);
    let order_drift = the_exception(&h, "drift_order", "301").await;
    let stock_subject = format!("{}@1", binding.storefront_sku);
    // A person takes up order 302's drift.
    let taken = the_exception(&h, "drift_order", "302").await;
    store
        .mark_exception_retrying(taken.id, "finance.jo", Some("asked the warehouse"), now())
        .await
        .expect("retrying");

    // The ERP orders get their quantities back; the storefront stock is set right; the
    // ERP-only SKU is withdrawn. Only the order check runs next.
    for (order, qty) in [(&restored.order_number, 3), (&handled.order_number, 2)] {
        h.erp
            .with_state(|s| s.edit_order_line(order, 1, Some(qty), None, now()))
            .expect("ERP edit back");
    }
    h.bc_client()
        .set_inventory_absolute(Some("manual"), &[set_stock(pushed)])
        .await
        .expect("stock set back");
    h.erp.with_state(|s| {
        s.styles[3].skus.retain(|k| k.sku != erp_only);
        s.reindex();
    });
    let orders_only = ReconcileSettings {
        stock: false,
        skus: false,
        ..Default::default()
    };
    let second = reconcile::report(&h.ctx, &orders_only)
        .await
        .expect("second reconciliation");
    assert!(second.order_drift.is_empty(), "{:#?}", second.order_drift);
    let resolved: Vec<(&str, &str)> = second
        .resolved
        .iter()
        .map(|r| (r.kind.as_str(), r.subject.as_str()))
        .collect();
    assert_eq!(resolved, [("drift_order", "301")]);

    let (record, history) = store
        .exception(order_drift.id)
        .await
        .expect("exception")
        .expect("kept");
    assert_eq!(record.state, ExceptionState::Resolved);
    let last = history.last().expect("history");
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("resolved", "selvedge")
    );
    let note = last.note.as_deref().unwrap_or_default();
    assert!(
        note.starts_with("no longer drifting as of reconcile run "),
        "{note}"
    );
    assert!(
        history.iter().any(|e| e.action == "raised"),
        "the finding stays in the history: {history:#?}"
    );
    // What this run did not vouch for, or did not raise, stays as it was.
    assert_eq!(
        the_exception(&h, "drift_order", "302").await.state,
        ExceptionState::Retrying,
        "a person is handling it"
    );
    assert_eq!(
        the_exception(&h, "order_invalid", "301").await.state,
        ExceptionState::Open
    );
    assert_eq!(
        the_exception(&h, "drift_order", "303").await.state,
        ExceptionState::Open,
        "raised by the orders flow"
    );
    assert_eq!(
        the_exception(&h, "drift_stock", &stock_subject).await.state,
        ExceptionState::Open,
        "the stock check did not run"
    );
    assert_eq!(
        the_exception(&h, "sku_missing", &erp_only).await.state,
        ExceptionState::Open,
        "the SKU check did not run"
    );

    // Every check runs: the stock drift and the one-sided SKU are gone too.
    let third = reconcile::report(&h.ctx, &ReconcileSettings::default())
        .await
        .expect("third reconciliation");
    assert_eq!(third.findings(), 0, "{third:#?}");
    let mut resolved: Vec<(String, String)> = third
        .resolved
        .iter()
        .map(|r| (r.kind.clone(), r.subject.clone()))
        .collect();
    resolved.sort();
    assert_eq!(
        resolved,
        [
            ("drift_stock".to_string(), stock_subject.clone()),
            ("sku_missing".to_string(), erp_only.clone()),
        ]
    );
    for (kind, subject) in [("drift_stock", &stock_subject), ("sku_missing", &erp_only)] {
        assert_eq!(
            the_exception(&h, kind, subject).await.state,
            ExceptionState::Resolved,
            "{kind} {subject}"
        );
    }
    assert_eq!(
        the_exception(&h, "drift_order", "302").await.state,
        ExceptionState::Retrying
    );
    assert_eq!(
        the_exception(&h, "order_invalid", "301").await.state,
        ExceptionState::Open
    );
}
