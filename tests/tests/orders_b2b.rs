//! Sparklayer (B2B) orders: polled, mapped by the wholesale plugin, pay-on-account terms and
//! PO from the ERP customer, edits re-synced, unknown locations flagged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use selvedge::flows::orders;
use selvedge_bluecherry::model::SalesOrder;
use selvedge_sparklayer::sandbox::{Checkout, PurchaseEdit};
use selvedge_store::{OrderKey, OrderRecord, OrderState};
use support::orders::*;
use support::{Harness, wait_until};

/// The buyer checks out on account from stock `location`; returns the purchase id.
fn checkout(env: &Harness, location: &str, lines: &[(&str, u32)]) -> String {
    env.sl_checkout(b2b_checkout(location, lines))
}

/// The buyer changes the purchase's lines.
fn edit(env: &Harness, id: &str, lines: &[(&str, u32)]) {
    let edit = PurchaseEdit {
        lines: Some(b2b_lines(lines)),
        ..PurchaseEdit::default()
    };
    env.sl().state().edit_purchase(id, edit).expect("edit");
}

/// The ledger record of a Sparklayer purchase (`{id}~r2` for its second revision).
async fn ledger(env: &Harness, id: &str) -> OrderRecord {
    env.store
        .order(&OrderKey::new("wholesaler", "sparklayer", id))
        .await
        .unwrap()
        .unwrap()
}

fn erp_order(env: &Harness, external_ref: &str) -> Option<SalesOrder> {
    support::erp::order_by_ref(&env.erp, external_ref)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_on_account_order_lands_authorised_with_erp_terms_and_po() {
    let env = b2b(Options::default()).await;
    let sku = env.skus[0].clone();
    let id = checkout(&env, "WH-NJ", &[(&sku, 3)]);
    let report = orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    assert!(
        report.summary.contains("1 orders injected"),
        "{}",
        report.summary
    );
    let so = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("ERP order");
    let customer = env
        .erp
        .with_state(|s| s.customers.iter().find(|c| c.customer == "C10001").cloned());
    let customer = customer.expect("ERP customer");
    assert!(so.authorised, "pay on account lands authorised");
    assert_eq!(so.terms, customer.terms_code, "terms from the ERP customer");
    assert_eq!(so.customer, "C10001");
    assert_eq!(so.po_number.as_deref(), Some("PO-7781"));
    assert_eq!(
        (so.warehouse.as_str(), so.division.as_str()),
        ("NJ01", "02")
    );
    assert_eq!(so.lines.len(), 1);
    assert_eq!(so.lines[0].qty, 3);
    // The decision is audited with the plugin version.
    let decisions = env
        .store
        .latest_decisions("wholesaler", Some("orders"), &id, 5)
        .await
        .unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].decision.plugin_version.len(), 64);
    // Polling again changes nothing.
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    assert_eq!(env.erp_orders().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_edited_in_sparklayer_resyncs_the_whole_order() {
    let env = b2b(Options::default()).await;
    let (a, b) = (env.skus[0].clone(), env.skus[1].clone());
    let id = checkout(&env, "WH-NJ", &[(&a, 2)]);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let first = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("first ERP order");
    edit(&env, &id, &[(&a, 5), (&b, 1)]);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let revised = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("the same ERP order");
    assert_eq!(
        revised.order_number, first.order_number,
        "the edit replaces the ERP order, it does not add one"
    );
    assert_eq!(revised.revision, 2);
    let lines: Vec<_> = revised
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.qty))
        .collect();
    assert_eq!(lines, vec![(a, 5), (b, 1)], "the whole edited order");
    assert_eq!(env.erp_orders().len(), 1);
    let old = ledger(&env, &id).await;
    assert_eq!(old.state, OrderState::Cancelled, "revision 1 is closed");
    let current = ledger(&env, &format!("{id}~r2")).await;
    assert_eq!(current.state, OrderState::Injected);
    assert_eq!(
        current.erp_order_no.as_deref(),
        Some(first.order_number.as_str())
    );
    assert_eq!(
        current.erp_snapshot.map(|s| s.qty),
        Some(6),
        "reconciliation compares the ERP with the edited content"
    );
    assert!(env.exceptions("drift_order").await.is_empty());
    // A poll that sees no new edit re-syncs nothing.
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    assert_eq!(env.erp_orders().len(), 1);
    assert_eq!(
        erp_order(&env, &format!("wholesaler:sl:{id}")).map(|o| o.revision),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_after_the_erp_started_shipping_goes_to_finance_and_changes_nothing() {
    let env = b2b(Options::default()).await;
    let (a, b) = (env.skus[0].clone(), env.skus[1].clone());
    let id = checkout(&env, "WH-NJ", &[(&a, 2)]);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let first = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("first ERP order");
    env.erp
        .with_state(|s| {
            s.ship(
                &first.order_number,
                "UPS",
                "1Z999",
                None,
                time::OffsetDateTime::now_utc(),
            )
        })
        .expect("shipped");
    edit(&env, &id, &[(&b, 4)]);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let kept = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("ERP order");
    assert_eq!(kept.revision, 1, "a shipped order is not rewritten");
    assert_eq!(kept.lines[0].sku, a);
    assert_eq!(env.erp_orders().len(), 1, "and no second order is made");
    let drift = env.exceptions("drift_order").await;
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].subject, id);
    assert_eq!(drift[0].owner, "finance");
    assert!(drift[0].summary.contains("shipped"), "{}", drift[0].summary);
    let edited = ledger(&env, &format!("{id}~r2")).await;
    assert_eq!(edited.state, OrderState::Exception);
    // The first record still describes what the ERP holds.
    let original = ledger(&env, &id).await;
    assert_eq!(original.state, OrderState::Injected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_location_goes_to_default_warehouse_and_is_flagged() {
    let env = b2b(Options::default()).await;
    let sku = env.skus[0].clone();
    let id = checkout(&env, "WH-LDN", &[(&sku, 1)]);
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    let so = erp_order(&env, &format!("wholesaler:sl:{id}")).expect("injected anyway");
    assert_eq!(so.warehouse, "NJ01", "the default warehouse");
    let flagged = env.exceptions("unknown_location").await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].subject, id);
    assert_eq!(flagged[0].owner, "operations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_order_goes_to_the_exception_queue_with_its_issues_and_owner() {
    let env = b2b(Options::default()).await;
    let sku = env.skus[0].clone();
    let id = env.sl_checkout(Checkout {
        po_number: None,
        currency_code: None,
        ..b2b_checkout("WH-NJ", &[(&sku, 1)])
    });
    orders::run_and_drain(&env.ctx, &fast_settings())
        .await
        .unwrap();
    assert!(env.erp_orders().is_empty(), "no bad ERP record");
    let invalid = env.exceptions("order_invalid").await;
    assert_eq!(invalid.len(), 1);
    assert!(
        invalid[0].summary.contains("PO number"),
        "{}",
        invalid[0].summary
    );
    assert_eq!(invalid[0].owner, "operations");
    let rec = ledger(&env, &id).await;
    assert_eq!(rec.state, OrderState::Exception);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_clients_worker_never_claims_another_clients_orders() {
    let settings = fast_settings();
    let brand = b2c(Options::default(), &settings).await;
    let wholesaler = b2b(Options::default()).await;
    // Both clients on one host: one store.
    let mut ctx = wholesaler.ctx.clone();
    ctx.store = brand.ctx.store.clone();
    let sku = brand.skus[0].clone();
    let id = brand.checkout("Express", &[(&sku, 1)]);
    let kind = selvedge::flows::orders::order_kind("brand");
    let key = format!("bigcommerce:{id}");
    let queued = wait_until(std::time::Duration::from_secs(5), || async {
        selvedge_store::JobQueue::job_by_key(&*brand.store, "brand", &kind, &key)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert!(queued);
    orders::run_and_drain(&ctx, &settings).await.unwrap();
    let job = selvedge_store::JobQueue::job_by_key(&*brand.store, "brand", &kind, &key)
        .await
        .unwrap()
        .expect("job");
    assert_eq!(
        job.attempts, 0,
        "the wholesaler's pass left the brand's order alone"
    );
    orders::run_and_drain(&brand.ctx, &settings).await.unwrap();
    assert_eq!(brand.erp_orders().len(), 1);
}
