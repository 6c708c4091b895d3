//! The kill -9 harness: the real host (`selvedge run`) as a child process, BigCommerce order
//! bursts (some Declined, Incomplete or Cancelled) and refunds, and the host SIGKILLed at
//! random points of `KILLS` rounds (default 5; `KILLS=100` on demand), aimed in turn at a
//! create the ERP has committed but not answered, at start-up (before `/healthz` answers) and
//! anywhere. The Blue Cherry sandbox accepts a second create with the same reference (a host
//! that creates twice shows a double), and its commit-then-hang and fail-next faults are armed
//! through the run so retries really happen. Each kill's phase is logged, as observed: during
//! start-up (`/healthz` had not answered), create in flight (the create log has a document made
//! for the killed process that it had not taken in: an order its ledger has no number for, a
//! memo neither its ledger nor its job names), or idle.
//!
//! Then: every sale placed has exactly one ERP sales order and every refund exactly one credit
//! memo (none doubled, none lost, in the create log and in the books), no order that is not a
//! sale reached the ERP, and every ERP order is the b2c-apparel plugin's mapping of its
//! storefront order. `KILL9_SEED` replays a run (its seed is printed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge::flows::orders::{order_kind, refund_kind};
use selvedge_bigcommerce::model::{NewRefund, NewRefundItem, NewRefundPayment, OrderProduct};
use selvedge_bigcommerce::sandbox::{Fault, OrderLineInput, SandboxOrder};
use selvedge_bigcommerce::{BigCommerceClient, Money};
use selvedge_bluecherry::model::{Cents, CreditMemo, CreditMemoLineRequest, MemoStatus};
use selvedge_bluecherry::sandbox::faults::Faults;
use selvedge_bluecherry::sandbox::{CreateKind, CreateOutcome, Sandbox as Erp};
use selvedge_store::{ExceptionFilter, OrderKey, Page, RefundState, Store};

use support::burst::{
    NOT_SALES, Placed, assert_erp_orders_are_b2c_apparel_mappings,
    assert_no_non_sale_reached_the_erp, bc_client, brand_sandboxes, created_by_ref,
    sales_not_exactly_once,
};
use support::chaos::{HealthWatch, Rng};
use support::host_process::{HostDir, HostProcess, brand_client};
use support::orders::address;
use support::stores::{self, Backend};
use support::wait_until;

/// Kills when `KILLS` is not set: a few, for CI.
const DEFAULT_KILLS: usize = 5;
/// Checkouts per round.
const ORDERS_PER_ROUND: usize = 24;
/// Refunds per round, of sales the host has injected.
const REFUNDS_PER_ROUND: usize = 8;
/// Blue Cherry client timeout: a hung create is ambiguous after this.
const ERP_TIMEOUT_MS: u64 = 1_000;
/// How long a committed create hangs before the sandbox answers (past the timeout).
const HANG_MS: u64 = 3_000;
/// How long the storefront takes to fail the host's first hook listing at a start aimed at.
const SLOW_START_MS: u64 = 400;
/// The brand's second warehouse (division 01), for `Standard` shipping.
const SECOND_WAREHOUSE: &str = "NJ02";

/// Where a kill is aimed; where it landed is observed ([`Kill::phase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aim {
    /// A create is armed to commit and hang; the kill comes while the host waits for it.
    CreateInFlight,
    /// A random moment of a start held up by a slow storefront, before `/healthz` answers.
    StartUp,
    /// A random moment after a burst.
    Anywhere,
}

const AIMS: [Aim; 3] = [Aim::CreateInFlight, Aim::StartUp, Aim::Anywhere];

/// One kill as it landed.
struct Kill {
    aim: Aim,
    /// From the spawn of the killed process to the kill.
    after_spawn: Duration,
    /// Whether it answered `/healthz` before the kill.
    healthy: bool,
    /// Documents the ERP created for this process that its ledger did not record: creates it
    /// had in flight.
    in_flight: Vec<String>,
}

impl Kill {
    fn phase(&self) -> &'static str {
        match (self.healthy, self.in_flight.is_empty()) {
            (false, true) => "during start-up",
            (false, false) => "during start-up, create in flight",
            (true, false) => "create in flight",
            (true, true) => "idle",
        }
    }
}

/// A refund sent to BigCommerce and the memo it must become.
struct SentRefund {
    id: i64,
    order_id: i64,
    lines: Vec<CreditMemoLineRequest>,
    tax: i64,
}

impl SentRefund {
    fn external_ref(&self) -> String {
        format!("brand:bc:rf:{}", self.id)
    }
}

/// The test's whole world: sandboxes, the host's folder and store, what was sent.
struct World {
    erp: Arc<Erp>,
    bc: selvedge_bigcommerce::sandbox::Sandbox,
    bc_api: BigCommerceClient,
    dir: HostDir,
    skus: Vec<String>,
    placed: Vec<Placed>,
    refunds: Vec<SentRefund>,
    refunded: HashSet<i64>,
}

impl World {
    /// A checkout of 1-3 SKUs, 1-4 units each, some at a sale price; shipped Express (NJ01) or
    /// Standard (NJ02); paid by card, PayPal or bank deposit; one in seven in a status that is
    /// not a sale, the others in one of several that are.
    fn checkout(&mut self, rng: &mut Rng) {
        let n = self.placed.len();
        let first = rng.below(self.skus.len() as u64) as usize;
        let products = (0..1 + rng.below(3) as usize)
            .map(|k| OrderLineInput {
                sku: self.skus[(first + k) % self.skus.len()].clone(),
                quantity: 1 + rng.below(4) as i64,
                price: rng
                    .chance(30)
                    .then(|| Money(1_500 + 25 * rng.below(40) as i64)),
            })
            .collect();
        let status_id = if rng.chance(15) {
            Some(rng.pick(&NOT_SALES).0)
        } else {
            *rng.pick(&[None, Some(1), Some(7), Some(9)])
        };
        let mut ship_to = address();
        ship_to.first_name = format!("Shopper{n}");
        ship_to.street_1 = format!("{} Main St", 1 + n);
        let order = SandboxOrder {
            shipping_address: ship_to,
            shipping_method: rng.pick(&["Express", "Standard"]).to_string(),
            products,
            payment_method: Some(
                rng.pick(&["Credit Card", "PayPal", "Bank Deposit"])
                    .to_string(),
            ),
            status_id,
            ..Default::default()
        };
        let id = self.bc.handle().create_order(&order).expect("checkout");
        self.placed.push(Placed { id, status_id });
    }

    /// Refunds up to `max` sales the host has injected and that have no refund yet: one unit or
    /// all of their first line, damaged (no restock) one time in four.
    async fn refund_some(&mut self, store: &Arc<dyn Store>, rng: &mut Rng, max: usize) {
        let mut candidates = Vec::new();
        for p in self.placed.iter().filter(|p| p.is_sale()) {
            if self.refunded.contains(&p.id) {
                continue;
            }
            if erp_number(store, p.id).await.is_some() {
                candidates.push(p.id);
            }
        }
        for _ in 0..max.min(candidates.len()) {
            let order_id = candidates.swap_remove(rng.below(candidates.len() as u64) as usize);
            let products = self.bc_api.order_products(order_id).await.unwrap();
            let line: &OrderProduct = &products[0];
            let qty = if rng.chance(50) { 1 } else { line.quantity };
            let damaged = rng.chance(25);
            let refund = NewRefund {
                items: vec![NewRefundItem {
                    reason: damaged.then(|| "damaged in transit".to_string()),
                    ..NewRefundItem::product(line.id, qty)
                }],
                payments: vec![NewRefundPayment {
                    provider_id: "custom".into(),
                    amount: Money(line.price_inc_tax.cents() * qty),
                    offline: true,
                }],
            };
            let created = self
                .bc_api
                .create_refund(order_id, &refund)
                .await
                .expect("refund created");
            self.refunded.insert(order_id);
            self.refunds.push(SentRefund {
                id: created.id,
                order_id,
                lines: vec![CreditMemoLineRequest {
                    sku: line.sku.clone(),
                    qty,
                    unit_price: Cents(line.price_ex_tax.cents()),
                    restock: !damaged,
                }],
                tax: created.total_tax.cents(),
            });
        }
    }

    /// A round's traffic: a burst of checkouts, and refunds of earlier sales.
    async fn burst(&mut self, store: &Arc<dyn Store>, rng: &mut Rng) {
        for _ in 0..ORDERS_PER_ROUND {
            self.checkout(rng);
        }
        self.refund_some(store, rng, REFUNDS_PER_ROUND).await;
    }
}

/// Changes the armed faults, keeping duplicates accepted (the point of the harness).
fn arm(erp: &Erp, change: impl FnOnce(&mut Faults)) {
    erp.with_state(|s| {
        change(&mut s.faults);
        assert!(s.faults.accept_duplicates, "duplicates stay accepted");
    });
}

/// Documents the ERP created since create-log entry `mark` that the host has not taken in:
/// right after a kill, the creates the killed process had in flight. An order is taken in when
/// its ledger holds the ERP number; a memo when its ledger does (posted) or its job waits on
/// it (open).
async fn unrecorded_creates(erp: &Erp, store: &Arc<dyn Store>, mark: usize) -> Vec<String> {
    let mut out = Vec::new();
    for entry in erp.creates().into_iter().skip(mark) {
        if entry.outcome != CreateOutcome::Created {
            continue;
        }
        let recorded = match entry.kind {
            CreateKind::SalesOrder => {
                let id = entry.external_ref.trim_start_matches("brand:bc:");
                let key = OrderKey::new("brand", "bigcommerce", id);
                let rec = store.order(&key).await.expect("order ledger");
                rec.and_then(|r| r.erp_order_no) == Some(entry.number.clone())
            }
            CreateKind::CreditMemo => {
                // The ledger names a memo once it is posted; until then the refund's job
                // waits on it, its note naming the memo.
                let id = entry.external_ref.trim_start_matches("brand:bc:rf:");
                let rec = store.refund("brand", id).await.expect("refund ledger");
                let job = store
                    .job_by_key("brand", &refund_kind("brand"), &format!("bigcommerce:{id}"))
                    .await
                    .expect("refund job");
                rec.and_then(|r| r.memo_no) == Some(entry.number.clone())
                    || job
                        .and_then(|j| j.last_error)
                        .is_some_and(|note| note.contains(&entry.number))
            }
            CreateKind::Revision => true,
        };
        if !recorded {
            out.push(entry.external_ref);
        }
    }
    out
}

/// Every sale injected, every refund posted in the host's ledger, and no order or refund job
/// queued or running.
async fn settled(store: &Arc<dyn Store>, world: &World) -> bool {
    for kind in [order_kind("brand"), refund_kind("brand")] {
        if store.queue_depth("brand", &kind).await.unwrap() > 0 {
            return false;
        }
    }
    if !all_sales_injected(store, world).await {
        return false;
    }
    for r in &world.refunds {
        let rec = store.refund("brand", &r.id.to_string()).await.unwrap();
        if rec.is_none_or(|r| r.state != RefundState::Posted) {
            return false;
        }
    }
    true
}

/// The ERP number the host's ledger holds for BigCommerce order `id`.
async fn erp_number(store: &Arc<dyn Store>, id: i64) -> Option<String> {
    let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
    let rec = store.order(&key).await.expect("order ledger");
    rec.and_then(|r| r.erp_order_no)
}

/// Every sale placed has its ERP number in the host's ledger.
async fn all_sales_injected(store: &Arc<dyn Store>, world: &World) -> bool {
    for p in world.placed.iter().filter(|p| p.is_sale()) {
        if erp_number(store, p.id).await.is_none() {
            return false;
        }
    }
    true
}

/// One memo per refund, and nothing else, in the create log and the books; each carries its
/// refund against its order's ERP number, posted; the ledger names it.
async fn assert_one_memo_per_refund(world: &World, store: &Arc<dyn Store>) {
    let created = created_by_ref(&world.erp, CreateKind::CreditMemo);
    let mut books: BTreeMap<String, Vec<CreditMemo>> = BTreeMap::new();
    for m in world.erp.with_state(|s| s.memos.clone()) {
        books.entry(m.external_ref.clone()).or_default().push(m);
    }
    let wanted: HashSet<String> = world.refunds.iter().map(SentRefund::external_ref).collect();
    let wrong: Vec<(String, usize, usize)> = world
        .refunds
        .iter()
        .map(|r| {
            let x = r.external_ref();
            let logged = created.get(&x).map_or(0, Vec::len);
            let held = books.get(&x).map_or(0, Vec::len);
            (x, logged, held)
        })
        .filter(|(_, logged, held)| (*logged, *held) != (1, 1))
        .collect();
    assert!(
        wrong.is_empty(),
        "refunds without exactly one memo (reference, creates logged, memos in the books): \
         {wrong:?}"
    );
    let strays: Vec<&String> = books.keys().filter(|k| !wanted.contains(*k)).collect();
    assert!(strays.is_empty(), "memos of no refund: {strays:?}");
    let numbers: BTreeMap<String, String> = world.erp.with_state(|s| {
        s.orders
            .iter()
            .map(|o| (o.order.external_ref.clone(), o.order.order_number.clone()))
            .collect()
    });
    for r in &world.refunds {
        let x = r.external_ref();
        let memo = &books[&x][0];
        let total: i64 = r.lines.iter().map(|l| l.unit_price.0 * l.qty).sum::<i64>() + r.tax;
        assert_eq!(memo.lines, r.lines, "{x}: the refund's lines");
        assert_eq!(
            (memo.tax_amount, memo.total, memo.customer.as_str()),
            (Cents(r.tax), Cents(total), "WEB001"),
            "{x}: tax, total, customer"
        );
        assert_eq!(
            memo.original_order,
            numbers[&format!("brand:bc:{}", r.order_id)],
            "{x}: against its order"
        );
        assert_eq!(memo.status, MemoStatus::Posted, "{x}: posted");
        let rec = store
            .refund("brand", &r.id.to_string())
            .await
            .unwrap()
            .expect("ledger record");
        assert_eq!(
            (rec.state, rec.memo_no.as_deref()),
            (RefundState::Posted, Some(memo.memo_number.as_str())),
            "{x}: the ledger names the ERP's memo"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn host_killed_at_random_points_loses_and_doubles_no_order_and_no_memo() {
    killed_at_random_points(Backend::Sqlite).await;
}

/// The same harness with the host's store on PostgreSQL (the shared store several hosts use).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_host_killed_at_random_points_loses_and_doubles_no_order_and_no_memo() {
    killed_at_random_points(Backend::Postgres).await;
}

async fn killed_at_random_points(backend: Backend) {
    if stores::unavailable(backend) {
        return;
    }
    let kills: usize = std::env::var("KILLS")
        .ok()
        .map(|k| k.parse().expect("KILLS is a number"))
        .unwrap_or(DEFAULT_KILLS)
        // One kill of each aim at least: the phase assertions need both.
        .max(2);
    let (mut rng, seed) = Rng::from_env("KILL9_SEED");
    eprintln!("kill9: {kills} kills on {backend:?}, KILL9_SEED={seed}");

    let (erp, bc, skus) = brand_sandboxes(
        Faults {
            accept_duplicates: true,
            delay_ms: 5,
            hang_ms: HANG_MS,
            ..Faults::default()
        },
        3,
    )
    .await;
    let erp = Arc::new(erp);
    erp.with_state(|s| {
        s.warehouses.insert(SECOND_WAREHOUSE.into(), "01".into());
    });
    let mut client = brand_client(&erp.base_url(), &bc.base_url());
    client["bluecherry"]
        .as_table_mut()
        .unwrap()
        .insert("timeout_ms".into(), (ERP_TIMEOUT_MS as i64).into());
    client["mappings"]["shipping_warehouse"]
        .as_table_mut()
        .unwrap()
        .insert("Standard".into(), SECOND_WAREHOUSE.into());
    // Refunds every second and the order sweep every second behind the hooks; a refund job's
    // lease outlasts a hung memo create.
    let sections: toml::Table = r#"
[refunds]
max_attempts = 20
retry_base_ms = 50
retry_max_ms = 500
memo_check_ms = 100
lease_ms = 3000

[schedules.orders]
cron = "* * * * * *"

[schedules.refunds]
cron = "* * * * * *"
"#
    .parse()
    .unwrap();
    client.extend(sections);
    let dir = HostDir::on(&client, backend).expect("a database for the host");

    // Memos post (and restock) at the ERP's batch cycles.
    let cycles = {
        let erp = erp.clone();
        tokio::spawn(async move {
            loop {
                erp.run_cycle();
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let mut spawned = Instant::now();
    let mut host: Option<HostProcess> = Some(dir.start("the host came up").await);
    let mut health = HealthWatch::start(dir.webhook);
    let mut mark = 0;
    // The host's store, only read from here, alongside the host (SQLite's WAL readers never
    // block it; PostgreSQL serves both).
    let store = dir.open_store().await;
    let mut world = World {
        erp: erp.clone(),
        bc_api: bc_client(&bc),
        bc,
        dir,
        skus,
        placed: Vec::new(),
        refunds: Vec::new(),
        refunded: HashSet::new(),
    };

    let mut landed: Vec<Kill> = Vec::new();
    for k in 0..kills {
        let aim = AIMS[k % AIMS.len()];
        // 5xx answers that do nothing, for whoever calls next.
        arm(&erp, |f| f.fail_next += rng.below(4) as u32);
        if host.is_none() {
            if aim == Aim::StartUp {
                // Traffic while the host is down: webhook retries and the sweeps bring it.
                world.burst(&store, &mut rng).await;
                // A slow storefront as the host registers its hooks holds it in start-up
                // (its job engine already running) for a while before `/healthz` answers.
                world.bc.handle().inject_fault(Fault {
                    status: 503,
                    count: 1,
                    method: Some("GET".into()),
                    path_contains: Some("/hooks".into()),
                    delay_ms: Some(SLOW_START_MS),
                });
            }
            mark = erp.creates().len();
            spawned = Instant::now();
            host = Some(world.dir.spawn());
            health = HealthWatch::start(world.dir.webhook);
        }
        match aim {
            Aim::StartUp => {
                let at = Duration::from_millis(20 + rng.below(SLOW_START_MS - 20));
                tokio::time::sleep(at.saturating_sub(spawned.elapsed())).await;
            }
            Aim::CreateInFlight => {
                assert!(
                    world.dir.wait_healthy(Duration::from_secs(60)).await,
                    "the host came up before kill {}",
                    k + 1
                );
                arm(&erp, |f| f.hang_next_creates += 1);
                world.burst(&store, &mut rng).await;
                let hung = wait_until(Duration::from_secs(60), || async {
                    erp.with_state(|s| s.faults.hang_next_creates == 0)
                })
                .await;
                assert!(hung, "a create committed and hung before kill {}", k + 1);
                // Well inside the client's timeout: the host still waits for the answer.
                tokio::time::sleep(Duration::from_millis(rng.below(ERP_TIMEOUT_MS * 7 / 10))).await;
            }
            Aim::Anywhere => {
                assert!(
                    world.dir.wait_healthy(Duration::from_secs(60)).await,
                    "the host came up before kill {}",
                    k + 1
                );
                if rng.chance(50) {
                    // A create that times out in a live host: the ambiguous path, no kill.
                    arm(&erp, |f| f.hang_next_creates += 1);
                }
                world.burst(&store, &mut rng).await;
                tokio::time::sleep(Duration::from_millis(rng.below(1_500))).await;
            }
        }
        let healthy = health.answered();
        let after_spawn = spawned.elapsed();
        host.take().expect("a host to kill").sigkill();
        let kill = Kill {
            aim,
            after_spawn,
            healthy,
            in_flight: unrecorded_creates(&erp, &store, mark).await,
        };
        eprintln!(
            "kill {}/{kills}: {} (aimed {:?}, {} ms after spawn; in flight: {:?}; {} orders, \
             {} refunds sent, {} ERP creates)",
            k + 1,
            kill.phase(),
            kill.aim,
            kill.after_spawn.as_millis(),
            kill.in_flight,
            world.placed.len(),
            world.refunds.len(),
            erp.creates().len(),
        );
        landed.push(kill);
    }

    // The faults stay armed for the last start; it must finish everything.
    arm(&erp, |f| f.fail_next += 2);
    let host = world
        .dir
        .start("the host came back after the last kill")
        .await;
    // Refund the sales the last rounds injected too.
    let injected = wait_until(Duration::from_secs(60), || {
        all_sales_injected(&store, &world)
    })
    .await;
    if injected {
        let left = world.placed.len();
        world.refund_some(&store, &mut rng, left).await;
    }
    let done = wait_until(Duration::from_secs(180), || settled(&store, &world)).await;
    // Let anything that would double an order or a memo do so before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.sigkill();
    cycles.abort();

    let by_phase = landed.iter().fold(BTreeMap::new(), |mut m, k| {
        *m.entry(k.phase()).or_insert(0) += 1;
        m
    });
    let sales = world.placed.iter().filter(|p| p.is_sale()).count();
    eprintln!(
        "kill9: {} kills by phase {by_phase:?}; {} orders ({sales} sales), {} refunds, {} ERP \
         creates; KILL9_SEED={seed}",
        landed.len(),
        world.placed.len(),
        world.refunds.len(),
        erp.creates().len()
    );

    // Nothing doubled, nothing lost, nothing that is not a sale.
    let wrong = sales_not_exactly_once(&erp, &world.placed);
    assert!(
        wrong.is_empty(),
        "sales without exactly one ERP order (reference, creates logged, orders in the books): \
         {wrong:?}"
    );
    assert_no_non_sale_reached_the_erp(&erp, &world.placed);
    let placed_refs: HashSet<String> = world.placed.iter().map(Placed::external_ref).collect();
    let strays: Vec<String> = created_by_ref(&erp, CreateKind::SalesOrder)
        .into_keys()
        .filter(|r| !placed_refs.contains(r))
        .collect();
    assert!(strays.is_empty(), "ERP orders of no checkout: {strays:?}");
    let revisions = erp
        .creates()
        .iter()
        .filter(|e| e.kind == CreateKind::Revision)
        .count();
    assert_eq!(revisions, 0, "no order was edited, so none was revised");
    assert_one_memo_per_refund(&world, &store).await;
    assert!(
        done,
        "the host settled: every sale injected, every refund posted, no job left"
    );
    let warehouse = |method: &str| match method {
        "Standard" => SECOND_WAREHOUSE,
        _ => "NJ01",
    };
    assert_erp_orders_are_b2c_apparel_mappings(&erp, &world.bc_api, &world.placed, warehouse).await;
    for p in world.placed.iter().filter(|p| p.is_sale()) {
        let number = erp.with_state(|s| {
            s.orders
                .iter()
                .find(|o| o.order.external_ref == p.external_ref())
                .map(|o| o.order.order_number.clone())
        });
        assert_eq!(
            erp_number(&store, p.id).await,
            number,
            "{}: the ledger names the ERP's order",
            p.id
        );
    }
    let filter = ExceptionFilter {
        client: Some("brand".into()),
        ..ExceptionFilter::default()
    };
    let exceptions = store
        .list_exceptions(&filter, Page::default())
        .await
        .unwrap();
    assert!(exceptions.is_empty(), "no exception: {exceptions:#?}");

    // Where the kills landed.
    assert!(
        landed.iter().any(|k| !k.in_flight.is_empty()),
        "a kill landed with a create in flight: {by_phase:?}"
    );
    assert!(
        landed.iter().any(|k| !k.healthy),
        "a kill landed during start-up: {by_phase:?}"
    );
    store.close().await.expect("close");
}
