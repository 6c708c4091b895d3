//! Inventory flow end to end: SKU-locations that vanish from the Blue Cherry ATS snapshot.
//!
//! A SKU-location the storefront sells that a complete snapshot no longer lists is pushed as 0
//! (no oversell on stale stock); a snapshot that lost most of the assortment at once is taken
//! as partial: nothing is zeroed and one exception asks a person to look. A later complete
//! snapshot resolves what it shows is over, and only what the inventory flow raised.

use crate::support;

use std::collections::BTreeMap;

use selvedge::flows::inventory::{self, InventorySettings, PARTIAL_SUBJECT};
use selvedge::flows::reconcile::{self, MissingFrom, ReconcileSettings, SkuMissing};
use selvedge::flows::{ExceptionKind, Owners};
use selvedge_bluecherry::model::AtsBuckets;
use selvedge_store::{ExceptionRecord, ExceptionState};
use serde_json::json;
use support::erp_sandbox::SandboxState;
use support::{Harness, b2c};
use time::OffsetDateTime;

/// A brand with its catalog on BigCommerce, warehouse NJ01 on location 1, one cycle pushed.
async fn pushed_brand(styles: usize) -> (Harness, InventorySettings) {
    let (mut h, settings) = b2c::brand_with_locations(styles, &["NJ01"]).await;
    // As in the example wholesaler config: stock drift goes to operations.
    let owners: Owners = toml::from_str("drift_stock = \"operations\"").expect("owners");
    h.ctx.owners = std::sync::Arc::new(owners);
    let first = inventory::run(&h.ctx, &settings)
        .await
        .expect("first cycle");
    assert!(
        first.measurements.changed.unwrap_or(0) > 0,
        "{}",
        first.summary
    );
    (h, settings)
}

/// Stock on BigCommerce at location 1: SKU -> on hand.
async fn bc_stock(h: &Harness) -> BTreeMap<String, i64> {
    h.bc_stock()
        .await
        .into_iter()
        .filter(|((_, location), _)| *location == 1)
        .map(|((sku, _), qty)| (sku, qty))
        .collect()
}

/// ERP SKUs at NJ01 the storefront was last told have stock, with that quantity.
async fn on_sale(h: &Harness) -> Vec<(String, i64)> {
    let pushed = h.pushed_stock().await;
    let mut out = Vec::new();
    for p in pushed
        .into_iter()
        .filter(|p| p.location == "1" && p.qty > 0)
    {
        let binding = h
            .ctx
            .store
            .binding_by_storefront_sku("brand", "bigcommerce", &p.sku)
            .await
            .expect("binding")
            .expect("a pushed SKU is bound");
        out.push((binding.erp_sku, p.qty));
    }
    out
}

/// Takes these SKUs out of NJ01's books (and their open work orders, which would bring the
/// rows back when they mature), so the next cycle's snapshot lists them no more. Returns the
/// rows removed.
fn drop_rows(s: &mut SandboxState, skus: &[String]) -> usize {
    s.work_orders
        .retain(|wo| !(wo.warehouse == "NJ01" && skus.contains(&wo.sku)));
    skus.iter()
        .filter(|sku| {
            s.stock
                .remove(&("NJ01".to_string(), sku.to_string()))
                .is_some()
        })
        .count()
}

/// NJ01's books of these SKUs, to put back with [`put_back`].
fn books(s: &SandboxState, skus: &[String]) -> Vec<((String, String), AtsBuckets)> {
    s.stock
        .iter()
        .filter(|((w, sku), _)| w == "NJ01" && skus.contains(sku))
        .map(|(k, b)| (k.clone(), *b))
        .collect()
}

/// The rows are back in Blue Cherry's inventory report from the next cycle.
fn put_back(s: &mut SandboxState, books: &[((String, String), AtsBuckets)]) {
    s.stock.extend(books.iter().cloned());
}

/// The ERP SKUs of the unresolved exceptions of a kind, sorted, with their ids.
async fn subjects(h: &Harness, kind: ExceptionKind) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = unresolved(h, kind)
        .await
        .into_iter()
        .map(|e| (e.subject, e.id))
        .collect();
    out.sort();
    out
}

/// An exception's state and its last history entry: (action, actor, note).
async fn last_step(h: &Harness, id: i64) -> (ExceptionState, (String, String, String)) {
    let (record, history) = h
        .ctx
        .store
        .exception(id)
        .await
        .expect("exception")
        .expect("kept");
    let last = history.last().expect("history");
    (
        record.state,
        (
            last.action.clone(),
            last.actor.clone(),
            last.note.clone().unwrap_or_default(),
        ),
    )
}

/// The unresolved exceptions of a kind.
async fn unresolved(h: &Harness, kind: ExceptionKind) -> Vec<ExceptionRecord> {
    h.exceptions(kind.as_str())
        .await
        .into_iter()
        .filter(|e| e.state != ExceptionState::Resolved)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sku_gone_from_the_ats_snapshot_is_pushed_as_zero_in_minimum_calls_and_flagged() {
    let (h, settings) = pushed_brand(8).await;
    let live = on_sale(&h).await;
    let (gone, was) = live.first().cloned().expect("a SKU on sale at NJ01");
    let (_, variant) = h.bc_variant(&gone).await;
    assert_eq!(bc_stock(&h).await.get(&gone).copied(), Some(was));

    // The row drops out of Blue Cherry's inventory report (e.g. the location no longer
    // stocks the style); nothing else changes.
    let removed = h
        .erp
        .with_state(|s| drop_rows(s, std::slice::from_ref(&gone)));
    assert_eq!(removed, 1, "{gone} had a row at NJ01");
    let cycle = h.erp.run_cycle();
    h.bc().handle().clear_log();
    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle without the SKU");

    assert_eq!(
        bc_stock(&h).await.get(&gone).copied(),
        Some(0),
        "{}",
        report.summary
    );
    let requests = h.adjustment_requests();
    assert_eq!(requests.len(), 1, "one request: {requests:?}");
    let items: Vec<(i64, i64, i64)> = requests[0]
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_i64().unwrap_or(-1);
            (field("location_id"), field("variant_id"), field("quantity"))
        })
        .collect();
    assert_eq!(
        items,
        vec![(1, variant, 0)],
        "only the vanished SKU-location is pushed"
    );
    let m = &report.measurements;
    assert_eq!(m.changed, Some(1), "{}", report.summary);
    assert_eq!(m.extra["push_requests"], json!(1));
    assert_eq!(m.extra["push_requests_minimum"], json!(1));
    assert_eq!(m.extra["missing_from_snapshot"], json!(1));
    assert_eq!(m.extra["missing_zeroed"], json!(1));
    assert_eq!(m.extra["partial_snapshot"], json!(false));

    let d = h.last_decision("inventory", &gone).await;
    assert_eq!(d.value["qty"], json!(0));
    assert_eq!(
        d.reason["why"],
        json!(format!("missing from ATS snapshot {cycle}"))
    );
    assert_eq!(d.reason["previous"], json!(was));

    let flagged = unresolved(&h, ExceptionKind::SkuMissing).await;
    assert_eq!(flagged.len(), 1, "{flagged:#?}");
    assert_eq!(flagged[0].subject, gone);
    assert_eq!(flagged[0].owner, "ecommerce");
    assert!(
        flagged[0]
            .summary
            .contains(&format!("missing from ATS snapshot {cycle}")),
        "{}",
        flagged[0].summary
    );
    assert!(unresolved(&h, ExceptionKind::DriftStock).await.is_empty());

    // The next cycle: the zero is not pushed again, nor flagged again.
    h.erp.run_cycle();
    h.bc().handle().clear_log();
    let again = inventory::run(&h.ctx, &settings).await.expect("next cycle");
    assert_eq!(
        again.measurements.extra["missing_zeroed"],
        json!(0),
        "{}",
        again.summary
    );
    let pushed_again = h
        .adjustment_requests()
        .iter()
        .flatten()
        .any(|i| i["variant_id"].as_i64() == Some(variant));
    assert!(!pushed_again, "{gone} is pushed once");
    let flagged = unresolved(&h, ExceptionKind::SkuMissing).await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].occurrences, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_missing_most_skus_zeroes_nothing_and_raises_one_exception_to_operations() {
    let (h, settings) = pushed_brand(8).await;
    let live = on_sale(&h).await;
    assert!(live.len() >= 20, "{} SKUs on sale", live.len());
    let before = bc_stock(&h).await;

    // A broken report: 80% of NJ01's rows are missing; one remaining SKU got a receipt.
    let (kept, dropped): (Vec<_>, Vec<_>) = live.iter().enumerate().partition(|(i, _)| i % 5 == 0);
    let received = kept[0].1.0.clone();
    let dropped_skus: Vec<String> = dropped.iter().map(|(_, (sku, _))| sku.clone()).collect();
    h.erp.with_state(|s| {
        drop_rows(s, &dropped_skus);
        if let Some(b) = s.stock.get_mut(&("NJ01".to_string(), received.clone())) {
            b.total_qoh += 7;
        }
    });
    let cycle = h.erp.run_cycle();
    h.bc().handle().clear_log();
    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("partial cycle");

    let after = bc_stock(&h).await;
    for (_, (sku, qty)) in &dropped {
        assert_eq!(after.get(sku), Some(qty), "{sku} is not zeroed");
    }
    assert_eq!(
        after.get(&received).copied(),
        before.get(&received).map(|q| q + 7),
        "the real change still goes out"
    );
    let requests = h.adjustment_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].len(), 1, "only the real change: {requests:?}");
    let m = &report.measurements;
    assert_eq!(m.changed, Some(1), "{}", report.summary);
    assert_eq!(m.extra["partial_snapshot"], json!(true));
    assert_eq!(m.extra["missing_zeroed"], json!(0));
    assert_eq!(m.extra["missing_from_snapshot"], json!(dropped.len()));

    let raised = unresolved(&h, ExceptionKind::DriftStock).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    let e = &raised[0];
    assert_eq!(e.subject, PARTIAL_SUBJECT);
    assert_eq!(e.owner, "operations");
    assert!(
        e.summary
            .contains(&format!("ATS snapshot {cycle} looks partial")),
        "{}",
        e.summary
    );
    assert_eq!(e.details["missing"], json!(dropped.len()));
    assert!(unresolved(&h, ExceptionKind::SkuMissing).await.is_empty());

    // Still broken next cycle: the same exception is seen again, not a second one.
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings)
        .await
        .expect("second partial cycle");
    let raised = unresolved(&h, ExceptionKind::DriftStock).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].occurrences, 2);
    assert_eq!(
        bc_stock(&h).await.get(&dropped[0].1.0),
        Some(&dropped[0].1.1)
    );

    // The drop was real after all: the operator lifts the limit and re-runs the cycle.
    let accept = InventorySettings {
        missing_max_percent: 100,
        repush_cycle: true,
        ..settings.clone()
    };
    let zeroing = inventory::run(&h.ctx, &accept)
        .await
        .expect("accepted drop");
    assert_eq!(
        zeroing.measurements.extra["missing_zeroed"],
        json!(dropped.len()),
        "{}",
        zeroing.summary
    );
    let after = bc_stock(&h).await;
    for (_, (sku, _)) in &dropped {
        assert_eq!(after.get(sku), Some(&0), "{sku} zeroed");
    }
    // The accepted run is complete: the partial-snapshot exception is over (each zeroed SKU
    // is flagged `sku_missing` instead).
    assert!(unresolved(&h, ExceptionKind::DriftStock).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sku_back_in_a_complete_snapshot_resolves_its_open_sku_missing_and_nothing_else() {
    let (h, settings) = pushed_brand(8).await;
    let live = on_sale(&h).await;
    assert!(live.len() >= 10, "{} SKUs on sale", live.len());
    // Both vanish and come back; a person takes up the second one's exception meanwhile.
    let back = live[0].0.clone();
    let handled = live[1].0.clone();
    // A SKU the reconcile flow once found on one side only: its own `sku_missing`.
    let reconciled = live[2].0.clone();
    let gone = vec![back.clone(), handled.clone()];
    let saved = h.erp.with_state(|s| {
        let saved = books(s, &gone);
        drop_rows(s, &gone);
        saved
    });
    assert_eq!(saved.len(), 2);
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle without the SKUs");
    let flagged = subjects(&h, ExceptionKind::SkuMissing).await;
    let mut expected = gone.clone();
    expected.sort();
    assert_eq!(
        flagged.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
        expected
    );
    let id_of = |sku: &str| {
        flagged
            .iter()
            .find(|(s, _)| s == sku)
            .map(|(_, id)| *id)
            .expect("flagged")
    };
    let (back_id, handled_id) = (id_of(&back), id_of(&handled));

    // The reconcile flow's finding, with the shape it writes. Reconciliation resolves it (the
    // SKU is on both sides) but not the inventory flow's findings of the same kind.
    raise_reconcile_finding(&h, &reconciled).await;
    let report = reconcile::report(&h.ctx, &ReconcileSettings::default())
        .await
        .expect("reconciliation");
    let resolved: Vec<(&str, &str)> = report
        .resolved
        .iter()
        .map(|r| (r.kind.as_str(), r.subject.as_str()))
        .collect();
    assert_eq!(resolved, [("sku_missing", reconciled.as_str())]);
    for id in [back_id, handled_id] {
        assert_eq!(last_step(&h, id).await.0, ExceptionState::Open);
    }
    // Found again later; and a person takes up `handled`.
    raise_reconcile_finding(&h, &reconciled).await;
    let reconciled_id = id_of_subject(&h, &reconciled).await;
    h.ctx
        .store
        .mark_exception_retrying(
            handled_id,
            "ecommerce.sam",
            Some("asked the warehouse"),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("retrying");

    // The rows are back in the next snapshot, which is complete.
    h.erp.with_state(|s| put_back(s, &saved));
    let cycle = h.erp.run_cycle();
    let report = inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle with the SKUs back");
    let m = &report.measurements;
    assert_eq!(m.extra["partial_snapshot"], json!(false));
    assert_eq!(
        m.extra["exceptions_resolved"],
        json!(1),
        "{}",
        report.summary
    );

    let (state, (action, actor, note)) = last_step(&h, back_id).await;
    assert_eq!(state, ExceptionState::Resolved);
    assert_eq!((action.as_str(), actor.as_str()), ("resolved", "selvedge"));
    assert!(
        note.contains(&format!("complete ATS snapshot {cycle} at 1")),
        "{note}"
    );
    assert_eq!(
        last_step(&h, handled_id).await.0,
        ExceptionState::Retrying,
        "a person is handling it"
    );
    assert_eq!(
        last_step(&h, reconciled_id).await.0,
        ExceptionState::Open,
        "raised by the reconcile flow"
    );

    // Nothing more to resolve next cycle.
    h.erp.run_cycle();
    let again = inventory::run(&h.ctx, &settings).await.expect("next cycle");
    assert_eq!(again.measurements.extra["exceptions_resolved"], json!(0));
    assert_eq!(last_step(&h, handled_id).await.0, ExceptionState::Retrying);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_snapshot_after_a_partial_one_resolves_the_partial_snapshot_exception() {
    let (h, settings) = pushed_brand(8).await;
    // One SKU vanishes for real and is flagged.
    let flagged_sku = on_sale(&h).await[0].0.clone();
    let flagged_books = h.erp.with_state(|s| {
        let saved = books(s, std::slice::from_ref(&flagged_sku));
        drop_rows(s, std::slice::from_ref(&flagged_sku));
        saved
    });
    h.erp.run_cycle();
    inventory::run(&h.ctx, &settings)
        .await
        .expect("cycle without the SKU");
    let flagged = subjects(&h, ExceptionKind::SkuMissing).await;
    assert_eq!(
        flagged.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        [flagged_sku.as_str()]
    );
    let flagged_id = flagged[0].1;

    // A broken report: 80% of the rows on sale are missing, while the flagged SKU is back.
    let live = on_sale(&h).await;
    let dropped: Vec<String> = live
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 != 0)
        .map(|(_, (sku, _))| sku.clone())
        .collect();
    let dropped_books = h.erp.with_state(|s| {
        let saved = books(s, &dropped);
        drop_rows(s, &dropped);
        put_back(s, &flagged_books);
        saved
    });
    h.erp.run_cycle();
    let partial = inventory::run(&h.ctx, &settings)
        .await
        .expect("partial cycle");
    assert_eq!(partial.measurements.extra["partial_snapshot"], json!(true));
    assert_eq!(partial.measurements.extra["exceptions_resolved"], json!(0));
    let raised = unresolved(&h, ExceptionKind::DriftStock).await;
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(raised[0].subject, PARTIAL_SUBJECT);
    let partial_id = raised[0].id;
    assert_eq!(
        last_step(&h, flagged_id).await.0,
        ExceptionState::Open,
        "a partial snapshot vouches for nothing"
    );

    // Reconciliation does not take the inventory flow's exceptions for its own.
    let report = reconcile::report(&h.ctx, &ReconcileSettings::default())
        .await
        .expect("reconciliation");
    assert!(report.resolved.is_empty(), "{:#?}", report.resolved);
    for id in [partial_id, flagged_id] {
        assert_eq!(last_step(&h, id).await.0, ExceptionState::Open);
    }

    // The report is whole again.
    h.erp.with_state(|s| put_back(s, &dropped_books));
    let cycle = h.erp.run_cycle();
    let complete = inventory::run(&h.ctx, &settings)
        .await
        .expect("complete cycle");
    let m = &complete.measurements;
    assert_eq!(m.extra["partial_snapshot"], json!(false));
    assert_eq!(m.extra["missing_from_snapshot"], json!(0));
    assert_eq!(
        m.extra["exceptions_resolved"],
        json!(2),
        "{}",
        complete.summary
    );
    let (state, (action, actor, note)) = last_step(&h, partial_id).await;
    assert_eq!(state, ExceptionState::Resolved);
    assert_eq!((action.as_str(), actor.as_str()), ("resolved", "selvedge"));
    assert!(
        note.contains(&format!("ATS snapshot {cycle} is complete")),
        "{note}"
    );
    let (state, (_, actor, note)) = last_step(&h, flagged_id).await;
    assert_eq!(
        (state, actor.as_str()),
        (ExceptionState::Resolved, "selvedge")
    );
    assert!(note.contains(&format!("snapshot {cycle}")), "{note}");
    assert!(unresolved(&h, ExceptionKind::DriftStock).await.is_empty());
    assert!(unresolved(&h, ExceptionKind::SkuMissing).await.is_empty());
}

/// What the reconcile flow raises for a SKU it finds in Blue Cherry only, in its shape.
async fn raise_reconcile_finding(h: &Harness, sku: &str) {
    let finding = SkuMissing {
        sku: sku.to_string(),
        missing_from: MissingFrom::Storefront,
        owner: "ecommerce".into(),
    };
    h.ctx
        .raise(
            ExceptionKind::SkuMissing,
            sku,
            format!("{sku} is in Blue Cherry but not on bigcommerce"),
            serde_json::to_value(&finding).expect("finding as JSON"),
        )
        .await
        .expect("raise");
}

/// The id of the one unresolved `sku_missing` about this subject.
async fn id_of_subject(h: &Harness, subject: &str) -> i64 {
    let found: Vec<i64> = unresolved(h, ExceptionKind::SkuMissing)
        .await
        .into_iter()
        .filter(|e| e.subject == subject)
        .map(|e| e.id)
        .collect();
    assert_eq!(found.len(), 1, "{subject}: {found:?}");
    found[0]
}
