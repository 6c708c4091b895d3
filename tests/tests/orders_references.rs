//! The host owns the ERP reference: two clients whose plugins would have built the same one
//! still get two ERP orders, a reference already on an ERP order with other content is an
//! exception (never a silent success), an order in flight under an old-style reference is not
//! doubled after the upgrade, and an edit back to earlier content is a new revision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::Arc;

use selvedge::flows::orders::{self, Injector, order_kind};
use selvedge_sparklayer::sandbox::PurchaseEdit;
use selvedge_store::{JobQueue, NewJob, OrderKey, OrderState};
use serde_json::json;
use support::erp::web_order;
use support::orders::*;
use time::OffsetDateTime;

async fn enqueue_order(store: &dyn JobQueue, client: &str, order_id: i64) {
    let now = OffsetDateTime::now_utc();
    store
        .enqueue(
            NewJob {
                client: client.into(),
                kind: order_kind(client),
                idempotency_key: format!("bigcommerce:{order_id}"),
                payload: json!({ "storefront": "bigcommerce", "order_id": order_id.to_string() }),
                run_at: now,
                max_attempts: 4,
            },
            now,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_whose_plugins_would_build_the_same_reference_get_two_erp_orders() {
    let settings = fast_settings();
    let quiet = Options {
        register_hooks: false,
        ..Options::default()
    };
    let a = b2c(quiet.clone(), &settings).await;
    let b = b2c(quiet, &settings).await;
    let sku = a.skus[0].clone();
    // Each store's first order: the same storefront order id in both.
    let id_a = a.checkout("Express", &[(&sku, 1)]);
    let id_b = b.checkout("Express", &[(&sku, 3)]);
    assert_eq!(id_a, id_b, "both stores number their first order alike");
    // Client `brand2` sells through store B and writes to A's ERP, on the same host (store).
    let mut ctx_b = b.ctx.clone();
    ctx_b.client = "brand2".into();
    ctx_b.store = a.ctx.store.clone();
    ctx_b.erp = a.ctx.erp.clone();
    enqueue_order(&*a.store, "brand", id_a).await;
    enqueue_order(&*a.store, "brand2", id_b).await;
    Arc::new(Injector::new(a.ctx.clone(), settings.clone()))
        .drain()
        .await
        .unwrap();
    Arc::new(Injector::new(ctx_b, settings))
        .drain()
        .await
        .unwrap();
    let refs: Vec<String> = a.erp_orders().into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        refs.len(),
        2,
        "two storefront orders, two ERP orders: {refs:?}"
    );
    assert!(refs.contains(&format!("brand:bc:{id_a}")));
    assert!(refs.contains(&format!("brand2:bc:{id_b}")));
    let qty: Vec<i64> = a.erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| o.order.lines.iter().map(|l| l.qty).sum())
            .collect()
    });
    assert!(
        qty.contains(&1) && qty.contains(&3),
        "each order with its own lines"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_already_on_an_erp_order_with_other_content_is_an_exception() {
    let settings = fast_settings();
    let env = b2c(
        Options {
            register_hooks: false,
            ..Options::default()
        },
        &settings,
    )
    .await;
    let (sku, other) = (env.skus[0].clone(), env.skus[1].clone());
    let id = env.checkout("Express", &[(&sku, 1)]);
    // Someone keyed an order with our reference by hand, with other lines.
    let squatter = env
        .ctx
        .erp
        .create_sales_order(&web_order(&format!("brand:bc:{id}"), &[(&other, 7)]))
        .await
        .unwrap();
    enqueue_order(&*env.store, "brand", id).await;
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    assert_eq!(env.erp_orders().len(), 1, "no second ERP order");
    let rec = env
        .store
        .order(&OrderKey::new("brand", "bigcommerce", &id.to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.state, OrderState::Exception);
    assert_eq!(
        rec.erp_order_no, None,
        "the other order is not recorded as ours"
    );
    let raised = env.exceptions("order_invalid").await;
    assert_eq!(raised.len(), 1);
    assert!(
        raised[0].summary.contains(&squatter.order_number)
            && raised[0].summary.contains("other content"),
        "{}",
        raised[0].summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_in_flight_under_an_old_style_reference_is_not_doubled_after_the_upgrade() {
    let settings = fast_settings();
    let env = b2c(
        Options {
            register_hooks: false,
            ..Options::default()
        },
        &settings,
    )
    .await;
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 2)]);
    // Before the upgrade: the order went to the ERP as `BC-<id>` (the plugin's reference),
    // the answer was lost, the host stopped with the order `injecting`.
    enqueue_order(&*env.store, "brand", id).await;
    let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
    let now = OffsetDateTime::now_utc();
    env.store
        .record_order_received(&key, "pre-upgrade", now)
        .await
        .unwrap();
    env.store
        .transition_order(&key, OrderState::Injecting, None, now)
        .await
        .unwrap();
    let before = env
        .ctx
        .erp
        .create_sales_order(&web_order(&format!("BC-{id}"), &[(&sku, 2)]))
        .await
        .unwrap();
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    let orders = env.erp_orders();
    assert_eq!(
        orders.len(),
        1,
        "found under its old reference, not created again: {orders:?}"
    );
    let rec = env.store.order(&key).await.unwrap().unwrap();
    assert_eq!(rec.state, OrderState::Injected);
    assert_eq!(
        rec.erp_order_no.as_deref(),
        Some(before.order_number.as_str())
    );
    assert_eq!(
        rec.erp_ref.as_deref(),
        Some(format!("BC-{id}").as_str()),
        "it keeps the reference it was created with"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sparklayer_order_edited_a_b_a_ends_with_content_a_in_the_erp() {
    let env = b2b(Options::default()).await;
    let (a, b) = (env.skus[0].clone(), env.skus[1].clone());
    let id = env.sl_checkout(b2b_checkout("WH-NJ", &[(&a, 2)]));
    let settings = fast_settings();
    let edit = |lines: &[(&str, u32)]| {
        env.sl()
            .state()
            .edit_purchase(
                &id,
                PurchaseEdit {
                    lines: Some(b2b_lines(lines)),
                    ..PurchaseEdit::default()
                },
            )
            .expect("edit")
    };
    let erp_lines = || {
        env.erp.with_state(|s| {
            s.orders
                .iter()
                .map(|o| {
                    (
                        o.order.revision,
                        o.order
                            .lines
                            .iter()
                            .map(|l| (l.sku.clone(), l.qty))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    edit(&[(&b, 4)]);
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    assert_eq!(erp_lines(), vec![(2, vec![(b.clone(), 4)])]);
    edit(&[(&a, 2)]);
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    assert_eq!(
        erp_lines(),
        vec![(3, vec![(a.clone(), 2)])],
        "the edit back to A is revision 3, and the ERP holds A again"
    );
    let current = env
        .store
        .order(&OrderKey::new(
            "wholesaler",
            "sparklayer",
            &format!("{id}~r3"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.state, OrderState::Injected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_built_for_wit_0_1_0_keeps_working_and_its_own_reference_is_ignored() {
    let settings = fast_settings();
    let mut env = b2c(
        Options {
            register_hooks: false,
            ..Options::default()
        },
        &settings,
    )
    .await;
    let slot = support::runtime::test_guest("brand", "legacy-v0-1").await;
    assert_eq!(
        slot.current().map(|v| v.contract()),
        Some("0.1.0"),
        "run through the contract it was built for"
    );
    env.ctx.plugin = slot;
    let sku = env.skus[0].clone();
    let first = env.checkout("Express", &[(&sku, 1)]);
    let second = env.checkout("Express", &[(&sku, 2)]);
    for id in [first, second] {
        enqueue_order(&*env.store, "brand", id).await;
    }
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    let mut refs: Vec<String> = env.erp_orders().into_iter().map(|(r, _)| r).collect();
    refs.sort();
    let mut want = vec![format!("brand:bc:{first}"), format!("brand:bc:{second}")];
    want.sort();
    assert_eq!(
        refs, want,
        "the host's references, not the plugin's LEGACY-<id>"
    );
    // Matched by position: each ERP order holds its own order's quantity.
    let by_ref: std::collections::HashMap<String, i64> = env.erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| {
                (
                    o.order.external_ref.clone(),
                    o.order.lines.iter().map(|l| l.qty).sum(),
                )
            })
            .collect()
    });
    assert_eq!(by_ref[&format!("brand:bc:{first}")], 1);
    assert_eq!(by_ref[&format!("brand:bc:{second}")], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_swap_between_an_ambiguous_create_and_its_retry_makes_no_second_order() {
    use selvedge_bluecherry::sandbox::{CreateOutcome, Faults};
    let settings = fast_settings();
    let env = b2c(
        Options {
            register_hooks: false,
            ..Options::default()
        },
        &settings,
    )
    .await;
    // An ERP without idempotency: a second create with our reference would be a second order.
    env.erp.set_faults(Faults {
        accept_duplicates: true,
        hang_next_creates: 1,
        hang_ms: 5_000,
        ..Faults::default()
    });
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 2)]);
    enqueue_order(&*env.store, "brand", id).await;
    // The first attempt: the ERP commits the create, then the worker dies before the answer.
    let first =
        tokio::spawn(Arc::new(Injector::new(env.ctx.clone(), settings.clone())).run_batch());
    let committed = support::wait_until(std::time::Duration::from_secs(10), || async {
        env.erp
            .creates()
            .iter()
            .any(|c| c.outcome == CreateOutcome::Created)
    })
    .await;
    assert!(committed, "the first create reached the ERP");
    first.abort();
    // A new plugin version goes live before the retry (its mapping differs in every field
    // the ERP does not compare, e.g. ship-via and authorisation).
    env.ctx
        .plugin
        .install_file(&selvedge_plugin_artifacts::test_guest("legacy-v0-1"), None)
        .await
        .expect("hot-swap");
    // The lease runs out; the retry looks before it creates.
    tokio::time::sleep(std::time::Duration::from_millis(settings.lease_ms + 200)).await;
    orders::run_and_drain(&env.ctx, &settings).await.unwrap();
    let mine: Vec<_> = env
        .erp_orders()
        .into_iter()
        .filter(|(r, _)| *r == format!("brand:bc:{id}"))
        .collect();
    assert_eq!(mine.len(), 1, "one ERP order across the swap and the retry");
    let created = env
        .erp
        .creates()
        .iter()
        .filter(|c| c.outcome == CreateOutcome::Created)
        .count();
    assert_eq!(created, 1, "no second create call");
    let rec = env
        .store
        .order(&OrderKey::new("brand", "bigcommerce", &id.to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.state, OrderState::Injected);
    assert_eq!(rec.erp_order_no.as_deref(), Some(mine[0].1.as_str()));
}
