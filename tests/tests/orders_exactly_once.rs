//! Orders reach Blue Cherry exactly once: duplicate webhook deliveries, commit-then-timeout,
//! and a poison order that must not hold the others back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashSet;
use std::time::Duration;

use selvedge::flows::orders::order_kind;
use selvedge_bigcommerce::sandbox::Fault;
use selvedge_bluecherry::sandbox::faults::Faults;
use selvedge_store::{OrderKey, OrderState};
use support::orders::*;
use support::probe_erp::ProbeErp;
use support::stores::{self, Backend};
use support::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn order_drop_of_1000_with_duplicate_deliveries_makes_exactly_1000_erp_orders() {
    order_drop_with_duplicate_deliveries(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_order_drop_of_1000_with_duplicate_deliveries_makes_exactly_1000_erp_orders() {
    order_drop_with_duplicate_deliveries(Backend::Postgres).await;
}

async fn order_drop_with_duplicate_deliveries(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let settings = fast_settings();
    let mut options = Options {
        store: backend,
        ..Options::default()
    };
    options.bc.duplicate_probability = 0.3;
    let env = b2c(options, &settings).await;
    let _stop = env.start_injector(settings.clone());
    let skus = env.skus.clone();
    let mut ids = Vec::new();
    for i in 0..1_000 {
        let sku = &skus[i % skus.len()];
        ids.push(env.checkout("Express", &[(sku, 1 + (i % 3) as i64)]));
    }
    let done = wait_until(Duration::from_secs(120), || async {
        env.erp_orders().len() >= 1_000
            && env
                .store
                .queue_depth("brand", &order_kind("brand"))
                .await
                .unwrap_or(1)
                == 0
    })
    .await;
    let orders = env.erp_orders();
    assert!(done, "only {} ERP orders after the wait", orders.len());
    let refs: HashSet<_> = orders.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(
        orders.len(),
        1_000,
        "exactly one ERP order per storefront order"
    );
    assert_eq!(refs.len(), 1_000);
    let duplicates = env
        .bc()
        .handle()
        .deliveries()
        .iter()
        .filter(|d| d.duplicate)
        .count();
    assert!(
        duplicates > 100,
        "the drop had duplicate deliveries ({duplicates})"
    );
    for id in ids.iter().step_by(97) {
        let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
        let rec = env.store.order(&key).await.unwrap().expect("ledger record");
        assert_eq!(rec.state, OrderState::Injected);
        assert!(refs.contains(&format!("brand:bc:{id}")));
    }
    // Units sold (the inventory flow's weekly sales) are counted once per order too.
    let ordered: i64 = (0..1_000).map(|i| 1 + (i % 3) as i64).sum();
    let sold: i64 = env
        .store
        .units_sold_since(
            "brand",
            time::OffsetDateTime::now_utc() - time::Duration::days(1),
        )
        .await
        .unwrap()
        .iter()
        .map(|s| s.units)
        .sum();
    assert_eq!(sold, ordered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_timeout_records_the_committed_order_without_a_duplicate() {
    commit_then_timeout(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_commit_then_timeout_records_the_committed_order_without_a_duplicate() {
    commit_then_timeout(Backend::Postgres).await;
}

async fn commit_then_timeout(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let settings = fast_settings();
    let options = Options {
        erp_timeout_ms: 300,
        store: backend,
        ..Options::default()
    };
    let mut env = b2c(options, &settings).await;
    let probe = ProbeErp::new(env.ctx.erp.clone(), &env.erp.base_url());
    env.ctx.erp = probe.clone();
    env.erp.set_faults(Faults {
        hang_next_creates: 1,
        hang_ms: 1_500,
        ..Faults::default()
    });
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 2)]);
    let _stop = env.start_injector(settings);
    let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
    let injected = wait_until(Duration::from_secs(20), || async {
        matches!(env.store.order(&key).await, Ok(Some(r)) if r.state == OrderState::Injected)
    })
    .await;
    assert!(injected, "the order was recorded");
    // Give a wrongly re-POSTing injector the time to do so.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let orders = env.erp_orders();
    let mine: Vec<_> = orders
        .iter()
        .filter(|(r, _)| *r == format!("brand:bc:{id}"))
        .collect();
    assert_eq!(mine.len(), 1, "one ERP order, not two: {orders:?}");
    let rec = env.store.order(&key).await.unwrap().expect("record");
    assert_eq!(rec.erp_order_no.as_deref(), Some(mine[0].1.as_str()));
    assert_eq!(
        probe
            .order_creates
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "after the ambiguous create the injector looked the order up instead of re-posting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_order_goes_to_exception_after_its_attempts_while_others_flow() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let sku = env.skus[0].clone();
    let poison = env.checkout("Express", &[(&sku, 1)]);
    // Every read of the poison order fails with a 500, for good.
    env.bc().handle().inject_fault(Fault {
        status: 500,
        count: 10_000,
        method: Some("GET".into()),
        path_contains: Some(format!("/orders/{poison}/shipping_addresses")),
        delay_ms: None,
    });
    let others: Vec<i64> = (0..20)
        .map(|_| env.checkout("Express", &[(&sku, 1)]))
        .collect();
    let _stop = env.start_injector(settings.clone());
    let flowed = wait_until(Duration::from_secs(30), || async {
        env.erp_orders().len() == 20
    })
    .await;
    assert!(
        flowed,
        "the other orders flowed: {}",
        env.erp_orders().len()
    );
    let raised = wait_until(Duration::from_secs(30), || async {
        !env.exceptions("order_stuck").await.is_empty()
    })
    .await;
    assert!(raised, "the poison order became an order_stuck exception");
    let exceptions = env.exceptions("order_stuck").await;
    assert_eq!(exceptions.len(), 1);
    assert_eq!(exceptions[0].subject, poison.to_string());
    assert_eq!(exceptions[0].owner, "operations");
    let job = env
        .store
        .job_by_key(
            "brand",
            &order_kind("brand"),
            &format!("bigcommerce:{poison}"),
        )
        .await
        .unwrap()
        .expect("job");
    assert_eq!(
        job.attempts, settings.max_attempts,
        "it used all its attempts"
    );
    assert!(
        !env.erp_orders()
            .iter()
            .any(|(r, _)| *r == format!("brand:bc:{poison}"))
    );
    for id in others {
        let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
        assert_eq!(
            env.store.order(&key).await.unwrap().map(|r| r.state),
            Some(OrderState::Injected)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_drop_is_paced_to_the_clients_rate_limit() {
    let mut settings = fast_settings();
    settings.pacing.max_per_second = 50;
    settings.pacing.burst = 1;
    let mut env = b2c(Options::default(), &settings).await;
    let probe = ProbeErp::new(env.ctx.erp.clone(), &env.erp.base_url());
    env.ctx.erp = probe.clone();
    env.ctx.erp_writes = selvedge::jobs::pacing::ErpWriteLimiter::new(50, 1);
    let sku = env.skus[0].clone();
    for _ in 0..30 {
        env.checkout("Express", &[(&sku, 1)]);
    }
    let _stop = env.start_injector(settings);
    let done = wait_until(Duration::from_secs(20), || async {
        env.erp_orders().len() == 30
    })
    .await;
    assert!(done);
    let mut times = probe.order_create_times.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 30);
    // GCRA at 50/s with a burst of 1 hands out one create every 20 ms, so 30 creates cannot
    // fit in less than 29 x 20 ms. A slow machine only makes the span longer; the margin is
    // for the first create leaving a little after its slot.
    let span = times[29] - times[0];
    assert!(
        span >= Duration::from_millis(29 * 20 - 40),
        "30 creates within {span:?}: the ERP was not paced"
    );
}
