//! A poison order never takes its batch down: the plugin traps on one order of 16; the host
//! maps them one by one, the 15 go in on the same claim, the one goes to the exception queue
//! with the plugin and version that failed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::sync::Arc;

use selvedge::flows::orders::{Injector, order_kind};
use selvedge_store::JobState;
use support::orders::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trapping_order_in_a_batch_of_16_leaves_the_other_15_injected_on_their_first_attempt() {
    let mut settings = fast_settings();
    settings.batch_size = 16;
    let mut env = b2c(Options::default(), &settings).await;
    let slot = support::runtime::test_guest("brand", "poison-order").await;
    env.ctx.plugin = slot;
    let sku = env.skus[0].clone();
    let mut ids = Vec::new();
    for i in 0..16 {
        let qty = if i == 7 { 13 } else { 1 };
        ids.push(env.checkout("Express", &[(&sku, qty)]));
    }
    let poison = ids[7];
    assert!(env.wait_for_queue_depth(&order_kind("brand"), 16).await);
    let outcome = Arc::new(Injector::new(env.ctx.clone(), settings))
        .run_batch()
        .await
        .unwrap();
    assert_eq!(outcome.claimed, 16, "one batch");
    assert_eq!((outcome.injected, outcome.exceptions), (15, 1));
    assert_eq!(env.erp_orders().len(), 15);
    for id in &ids {
        let job = env
            .store
            .job_by_key("brand", &order_kind("brand"), &format!("bigcommerce:{id}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            job.attempts, 1,
            "order {id}: one claim, none lost to the poison"
        );
        let want = if *id == poison {
            JobState::Dead
        } else {
            JobState::Done
        };
        assert_eq!(job.state, want, "order {id}");
    }
    let raised = env.exceptions("plugin_error").await;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].subject, poison.to_string());
    let details = &raised[0].details;
    assert!(
        details["plugin"]
            .as_str()
            .is_some_and(|p| p.contains("poison"))
            && details["version"].as_str().is_some_and(|v| !v.is_empty())
            && details["code"] == "trap",
        "names the plugin, its version and the failure: {details}"
    );
}
