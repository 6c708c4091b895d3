//! Shadow runs and replay on real recorded calls: an inventory cycle and an order are run
//! through the example plugin, then a candidate is tried beside it on what was recorded,
//! and stored decisions are made again by the build that made them, or by another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeSet;

use selvedge::flows::inventory;
use selvedge::flows::orders::{self, order_kind};
use selvedge::plugins::NewBuild;
use selvedge::plugins::replay::{ReplayError, replay};
use selvedge::plugins::shadow::shadow_run;
use support::b2c::brand_with_locations;
use support::orders::{Options, b2c, fast_settings};
use support::runtime::plugin_context;

fn build(path: std::path::PathBuf, name: &str) -> NewBuild {
    NewBuild {
        name: name.into(),
        bytes: std::fs::read(&path).expect("built component"),
        label: Some(name.into()),
        source: format!("test {}", path.display()),
    }
}

fn wider_buffer() -> NewBuild {
    build(
        selvedge_plugin_artifacts::test_guest("wider-buffer"),
        "wider-buffer",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_run_of_a_wider_buffer_shows_exactly_the_rows_it_changes_and_replay_reproduces_a_stock_decision()
 {
    let (h, mut settings) = brand_with_locations(3, &["NJ01", "CA02"]).await;
    // Every row is a fast mover (buffer 2); SKUs with their own buffer keep it whatever the
    // fast-mover rule says, so a wider fast-mover buffer changes exactly the others.
    h.ctx
        .plugin
        .set_context(plugin_context("b2c-apparel").with_rule("fast_mover_weekly_units", "0"));
    let skus: BTreeSet<String> = h
        .erp
        .with_state(|s| s.stock.keys().map(|(_, sku)| sku.clone()).collect());
    let own_buffer: BTreeSet<String> = skus.iter().step_by(2).cloned().collect();
    for sku in &own_buffer {
        settings.sku_buffers.insert(sku.clone(), 1);
    }
    inventory::run(&h.ctx, &settings).await.expect("cycle");
    let recorded = h
        .store
        .recent_plugin_calls("brand", "compute-ats", 5)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1, "the cycle's call is recorded once");
    let rows: Vec<String> = h
        .store
        .plugin_call("brand", &recorded[0].id)
        .await
        .unwrap()
        .unwrap()
        .labels;
    let expected: BTreeSet<&String> = rows
        .iter()
        .filter(|label| {
            let sku = label.split('@').next().unwrap_or_default();
            !own_buffer.contains(sku)
        })
        .collect();
    assert!(!expected.is_empty() && expected.len() < rows.len());

    let report = shadow_run(&h.store, &h.ctx.plugin, wider_buffer(), 5)
        .await
        .expect("shadow run");
    assert!(!report.clean);
    let ats = report
        .rules
        .iter()
        .find(|r| r.call == "compute-ats")
        .unwrap();
    assert_eq!((ats.calls, ats.subjects), (1, rows.len()));
    assert_eq!(
        ats.changed,
        expected.len(),
        "exactly the rows without their own buffer"
    );
    assert_eq!(
        report.changed as usize,
        expected.len(),
        "no other rule changed"
    );
    assert!(!ats.examples.is_empty());
    for example in &ats.examples {
        assert!(
            expected.contains(&example.changed.subject),
            "{}",
            example.changed.subject
        );
        assert_eq!(example.changed.live["buffer"], 2);
        assert_eq!(example.changed.candidate["buffer"], 3);
        let (live, candidate) = (
            example.changed.live["ats"].as_i64().unwrap(),
            example.changed.candidate["ats"].as_i64().unwrap(),
        );
        assert_eq!(candidate, (live - 1).max(0), "one unit less to sell");
    }
    let delta = ats.ats_delta.expect("ats moved");
    assert!(delta.max <= 0 && delta.min >= -1 && delta.total < 0);
    let stored = h
        .store
        .shadow_runs("brand", Some(&report.candidate), 1)
        .await
        .unwrap();
    assert_eq!(stored[0].id, report.run_id);
    assert!(
        !stored[0].clears(),
        "differences wait for a person to accept them"
    );

    // The live build rebuilt (new digest, same rules) changes nothing.
    let same = NewBuild {
        bytes: selvedge_plugin_artifacts::rebuilt(
            &std::fs::read(selvedge_plugin_artifacts::b2c_apparel()).unwrap(),
            "same-rules",
        ),
        ..build(selvedge_plugin_artifacts::b2c_apparel(), "b2c-apparel")
    };
    let clean = shadow_run(&h.store, &h.ctx.plugin, same, 5).await.unwrap();
    assert!(clean.clean && clean.changed == 0);
    assert_eq!(
        clean.calls, report.calls,
        "the same recorded calls: the cycle and the catalog runs"
    );

    // Replay a pushed SKU without its own buffer: the same build gives the same answer...
    let sku = expected
        .iter()
        .map(|l| l.split('@').next().unwrap_or_default().to_string())
        .next()
        .unwrap();
    let again = replay(&h.store, &h.ctx.plugin, "inventory", &sku, None)
        .await
        .expect("replay");
    assert!(again.identical, "{again:?}");
    assert!(!again.with_candidate);
    assert_eq!(again.replayed.plugin_version, again.original.plugin_version);
    assert!(
        again
            .original
            .decided
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    // ...and the candidate shows its wider buffer beside the original.
    let with = replay(
        &h.store,
        &h.ctx.plugin,
        "inventory",
        &sku,
        Some(wider_buffer()),
    )
    .await
    .expect("replay with candidate");
    assert!(!with.identical && with.with_candidate);
    assert_eq!(with.replayed.decided[0]["buffer"], 3);
    assert_eq!(with.original.decided[0]["buffer"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_decision_replays_byte_for_byte_and_another_build_shows_its_difference() {
    let settings = fast_settings();
    let h = b2c(Options::default(), &settings).await;
    let sku = h.skus[0].clone();
    let order = h.checkout("Standard", &[(&sku, 2)]).to_string();
    assert!(h.wait_for_queue_depth(&order_kind("brand"), 1).await);
    orders::run_and_drain(&h.ctx, &settings)
        .await
        .expect("drain");
    let stored = h.last_decision("orders", &order).await;
    assert!(stored.call_id.is_some(), "the decision names its call");
    assert_eq!(
        stored.value["warehouse"], "CA02",
        "Standard ships from CA02"
    );

    let again = replay(&h.store, &h.ctx.plugin, "orders", &order, None)
        .await
        .expect("replay");
    assert!(again.identical, "{again:?}");
    assert_eq!(
        serde_json::to_string(&again.original.decided).unwrap(),
        serde_json::to_string(&again.replayed.decided).unwrap(),
        "byte for byte"
    );
    // A build that ships everything from NJ01.
    let plain = build(
        selvedge_plugin_artifacts::test_guest("poison-order"),
        "poison-order",
    );
    let with = replay(&h.store, &h.ctx.plugin, "orders", &order, Some(plain))
        .await
        .expect("replay with candidate");
    assert!(!with.identical);
    assert_eq!(with.original.decided["value"]["warehouse"], "CA02");
    assert_eq!(with.replayed.decided["value"]["warehouse"], "NJ01");
    assert_ne!(with.replayed.plugin_version, with.original.plugin_version);

    // A subject with no decision says so by name.
    let none = replay(&h.store, &h.ctx.plugin, "orders", "no-such-order", None).await;
    assert!(
        matches!(none, Err(ReplayError::NoDecision { .. })),
        "{none:?}"
    );
}
