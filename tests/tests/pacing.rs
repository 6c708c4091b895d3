//! Pacing is a promise to the ERP, whichever way orders arrive: the real host (`selvedge run`)
//! with `[orders.pacing] max_per_second = 20, burst = 5`, its webhook intake and a sweep every
//! second both feeding it, and 300 BigCommerce orders placed in one burst (a third reach the
//! host only through the sweep, the hook paused). From the Blue Cherry sandbox's create log,
//! sorted by time, every pair of creates i < j keeps `j - i + 1 <= burst + rate x (t_j - t_i)
//! + 1`; and no Declined, Cancelled or Incomplete order reaches the ERP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::HashSet;
use std::time::Duration;

use selvedge::flows::orders::order_kind;
use selvedge::storefronts::bigcommerce::ORDERS_CURSOR as BIGCOMMERCE_CURSOR;
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_bluecherry::sandbox::CreateKind;
use selvedge_bluecherry::sandbox::faults::Faults;
use selvedge_store::{ExceptionFilter, Page};

use support::burst::{
    NOT_SALES, Placed, assert_no_non_sale_reached_the_erp, bc_client, brand_sandboxes,
    created_by_ref, sales_not_exactly_once, set_order_created_hooks,
};
use support::host_process::{HostDir, brand_client};
use support::orders::address;
use support::pacing::{describe_violation, pacing_violation};
use support::wait_until;
use time::OffsetDateTime;

/// ERP creates a second after the burst.
const RATE: u32 = 20;
/// Creates back to back.
const BURST: u32 = 5;
/// Orders in the burst.
const ORDERS: usize = 300;
/// The first this many reach the host only through the sweep.
const SWEEP_ONLY: usize = 100;

/// Order `n` of the burst: every tenth is Declined, Cancelled or Incomplete in turn.
fn status_of(n: usize) -> Option<i64> {
    (n % 10 == 3).then(|| NOT_SALES[(n / 10) % NOT_SALES.len()].0)
}

#[test]
fn pacing_check_accepts_a_paced_log_and_catches_a_burst_that_breaks_the_rate() {
    let t0 = OffsetDateTime::now_utc();
    let at = |ms: i64| t0 + time::Duration::milliseconds(ms);
    // A token bucket's own output: 5 at once, then one every 50 ms (20/s).
    let paced: Vec<OffsetDateTime> = (0..5)
        .map(|_| at(0))
        .chain((1..=40).map(|k| at(50 * k)))
        .collect();
    assert_eq!(pacing_violation(&paced, 20.0, 5.0), None);
    // The same, a few milliseconds early here and there: the +1 absorbs one.
    let jittered: Vec<OffsetDateTime> = paced
        .iter()
        .enumerate()
        .map(|(k, t)| *t - time::Duration::milliseconds(if k % 7 == 0 { 5 } else { 0 }))
        .collect();
    let mut jittered = jittered;
    jittered.sort();
    assert_eq!(pacing_violation(&jittered, 20.0, 5.0), None);
    // Two limiters of 20/s, burst 5, each keeping its own promise: 10 at once, then two
    // every 50 ms. The first 7 already break it (7 > 5 + 0 + 1).
    let doubled: Vec<OffsetDateTime> = (0..10)
        .map(|_| at(0))
        .chain((1..=20).flat_map(|k| [at(50 * k), at(50 * k)]))
        .collect();
    assert_eq!(pacing_violation(&doubled, 20.0, 5.0), Some((0, 6)));
    // A steady 30/s after an honest burst: caught once the excess outgrows the slack.
    let fast: Vec<OffsetDateTime> = (0..5)
        .map(|_| at(0))
        .chain((1..=60).map(|k| at(33 * k)))
        .collect();
    let (i, j) = pacing_violation(&fast, 20.0, 5.0).expect("30/s breaks 20/s");
    assert!(i < j && j < fast.len());
    let message = describe_violation(&fast, (i, j), 20.0, 5.0);
    assert!(message.contains("are allowed"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_and_sweeps_together_keep_the_erp_pacing_and_inject_no_non_sale() {
    let (erp, bc, skus) = brand_sandboxes(Faults::default(), usize::MAX).await;
    let mut client = brand_client(&erp.base_url(), &bc.base_url());
    let pacing = client["orders"]["pacing"].as_table_mut().unwrap();
    pacing.insert("max_per_second".into(), i64::from(RATE).into());
    pacing.insert("burst".into(), i64::from(BURST).into());
    let sweep: toml::Table = "[schedules.orders]\ncron = \"* * * * * *\"\n"
        .parse()
        .unwrap();
    client.extend(sweep);
    let dir = HostDir::new(&client);
    let host = dir.start("the host came up").await;
    let store = dir.open_store().await;

    // The sweep's first run only sets its cursor to now; orders before it are not its own.
    let swept = wait_until(Duration::from_secs(30), || async {
        store
            .cursor("brand", BIGCOMMERCE_CURSOR)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert!(swept, "the scheduled sweep ran");
    let bc_api = bc_client(&bc);
    assert_eq!(
        set_order_created_hooks(&bc_api, false).await,
        1,
        "the host registered one order hook"
    );
    let place = |n: usize| {
        let status_id = status_of(n);
        let order = SandboxOrder {
            shipping_address: address(),
            shipping_method: "Express".into(),
            products: vec![OrderLineInput {
                sku: skus[n % skus.len()].clone(),
                quantity: 1 + (n % 3) as i64,
                price: None,
            }],
            status_id,
            ..Default::default()
        };
        Placed {
            id: bc.handle().create_order(&order).unwrap(),
            status_id,
        }
    };
    let mut placed: Vec<Placed> = (0..SWEEP_ONLY).map(place).collect();
    set_order_created_hooks(&bc_api, true).await;
    placed.extend((SWEEP_ONLY..ORDERS).map(place));
    let burst_placed = OffsetDateTime::now_utc();
    let sales = placed.iter().filter(|p| p.is_sale()).count();

    let all_in = wait_until(Duration::from_secs(120), || async {
        created_by_ref(&erp, CreateKind::SalesOrder).len() >= sales
    })
    .await;
    // Incomplete orders are checked again a few times before they are skipped: let their
    // jobs finish, and anything that would create too many do so.
    let settled = wait_until(Duration::from_secs(60), || async {
        store
            .queue_depth("brand", &order_kind("brand"))
            .await
            .unwrap()
            == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.sigkill();

    let log = erp.creates();
    let times: Vec<OffsetDateTime> = log.iter().map(|e| e.at).collect();
    let span = times
        .last()
        .zip(times.first())
        .map_or(0.0, |(l, f)| (*l - *f).as_seconds_f64());
    eprintln!(
        "{} creates in {span:.2} s ({:.1}/s), the last {:.2} s after the burst was placed",
        log.len(),
        log.len() as f64 / span.max(f64::EPSILON),
        times
            .last()
            .map_or(0.0, |l| (*l - burst_placed).as_seconds_f64())
    );
    if let Some(pair) = pacing_violation(&times, f64::from(RATE), f64::from(BURST)) {
        panic!(
            "pacing broken: {}",
            describe_violation(&times, pair, f64::from(RATE), f64::from(BURST))
        );
    }
    assert_no_non_sale_reached_the_erp(&erp, &placed);
    assert!(all_in, "every sale reached the ERP within 120 s");
    assert!(settled, "the order queue drained");
    let wrong = sales_not_exactly_once(&erp, &placed);
    assert!(
        wrong.is_empty(),
        "sales without exactly one ERP order: {wrong:?}"
    );
    assert_eq!(log.len(), sales, "one create a sale, nothing else");

    // Both ways in were used: the hook delivered the last 200 and not the first 100.
    let delivered: HashSet<String> = bc
        .handle()
        .deliveries()
        .into_iter()
        .filter(|d| d.scope == "store/order/created" && d.status.is_some_and(|s| s < 300))
        .map(|d| d.hash)
        .collect();
    assert_eq!(
        delivered.len(),
        ORDERS - SWEEP_ONLY,
        "orders delivered by the hook"
    );
    let filter = ExceptionFilter {
        client: Some("brand".into()),
        ..ExceptionFilter::default()
    };
    let exceptions = store
        .list_exceptions(&filter, Page::default())
        .await
        .unwrap();
    assert!(exceptions.is_empty(), "no exception: {exceptions:?}");
    store.close().await.expect("close");
}
