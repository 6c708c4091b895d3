//! The host process killed with SIGKILL three times while it turns a burst of Sparklayer
//! returns into Blue Cherry credit memos, each time with a memo create the ERP has committed
//! but not yet answered, then restarted on the same data folder: every return ends with
//! exactly one credit memo (external reference `wholesaler:sl:rf:<purchase>:ret<n>:<hash>`)
//! carrying the returned lines at the purchase's prices with restock, posted, and each
//! returned unit back on hand once. Runs the real CLI (`selvedge run --config <dir>`) for the
//! wholesaler as a child process against the sandboxes of this test; the ERP takes a second
//! create with a reference in use, so a host that creates twice shows a double.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use selvedge_bluecherry::model::{Cents, CreditMemo, CreditMemoLineRequest, MemoStatus};
use selvedge_sparklayer::SparklayerClient;
use selvedge_store::{OrderKey, Store};
use support::b2b::add_return;
use support::host_process::{HostDir, wholesaler_client};
use support::memos::{
    arm_hanging_creates, assert_host_recorded, assert_no_refund_failed, assert_one_memo_each,
    crash_refund_settings, drained, kill_at_memo_counts, memos_by, memos_by_ref, on_hand,
    run_cycles, unposted,
};
use support::orders::{b2b_checkout, start_erp, start_wholesale_sl};
use support::wait_until;

/// Purchases placed, and injected through the host, before any return.
const PURCHASES: usize = 60;
/// Returns in all: one on every purchase, a second on 30 of them.
const RETURNS: usize = 90;
/// Returns added while the host runs; the rest arrive while it is down.
const BURST: usize = 70;
/// Memos in the ERP when each kill is prepared.
const KILL_AT: [usize; 3] = [15, 40, 65];
/// Sparklayer stock location of the purchases; the client maps it to NJ01, where the
/// returned units go back on hand.
const LOCATION: &str = "WH-NJ";
const WAREHOUSE: &str = "NJ01";
/// What `b2b_checkout` charges a unit: the memo's unit credit.
const UNIT_PRICE: i64 = 1_400;
const CLIENT: &str = "wholesaler";
/// The host's reference of a return, before its `:<lines hash>`.
const REF_PREFIX: &str = "wholesaler:sl:rf:";

/// A return to add to a purchase: its place among the purchase's returns, and its lines.
struct Return {
    purchase: String,
    ordinal: usize,
    lines: Vec<(String, u32)>,
}

impl Return {
    /// `wholesaler:sl:rf:<purchase>:ret<n>`: the host's reference without the lines hash
    /// (the test does not recompute the product's hash; it finds it on the memo).
    fn key(&self) -> String {
        format!("{REF_PREFIX}{}:ret{}", self.purchase, self.ordinal)
    }
}

/// A memo's reference without its trailing `:<hash>`.
fn without_hash(external_ref: &str) -> String {
    external_ref
        .rsplit_once(':')
        .map_or(external_ref, |(key, _)| key)
        .to_string()
}

/// Purchase `n`: two SKUs, 2-3 units of the first and 1-2 of the second.
fn purchase_lines(skus: &[String], n: usize) -> [(String, u32); 2] {
    let a = &skus[n % skus.len()];
    let b = &skus[(n + 1) % skus.len()];
    [
        (a.clone(), 2 + (n % 2) as u32),
        (b.clone(), 1 + u32::from(n.is_multiple_of(3))),
    ]
}

/// The returns, first on every purchase (a unit of the first line; all of the second; or
/// everything), then a second one on 30 purchases with units left (a unit of each line, or a
/// unit of the first).
fn plan(purchases: &[(String, [(String, u32); 2])]) -> Vec<Return> {
    let ret = |purchase: &str, ordinal: usize, lines: &[(&String, u32)]| Return {
        purchase: purchase.to_string(),
        ordinal,
        lines: lines.iter().map(|(s, q)| ((*s).clone(), *q)).collect(),
    };
    let first = purchases
        .iter()
        .enumerate()
        .map(|(n, (id, [(a, qa), (b, qb)]))| match n % 3 {
            0 => ret(id, 1, &[(a, 1)]),
            1 => ret(id, 1, &[(b, *qb)]),
            _ => ret(id, 1, &[(a, *qa), (b, *qb)]),
        });
    let second = purchases
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 3 != 2)
        .take(RETURNS - PURCHASES)
        .map(|(n, (id, [(a, _), (b, _)]))| {
            if n % 3 == 0 {
                ret(id, 2, &[(a, 1), (b, 1)])
            } else {
                ret(id, 2, &[(a, 1)])
            }
        });
    first.chain(second).collect()
}

async fn send(sl: &SparklayerClient, r: &Return) {
    let lines: Vec<(&str, u32)> = r.lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    add_return(sl, &r.purchase, &lines).await;
}

/// The ERP numbers the host's ledger has for `purchases` so far.
async fn erp_numbers(store: &Arc<dyn Store>, purchases: &[String]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for id in purchases {
        let key = OrderKey::new(CLIENT, "sparklayer", id);
        let rec = store.order(&key).await.expect("order ledger");
        if let Some(no) = rec.and_then(|r| r.erp_order_no) {
            out.insert(id.clone(), no);
        }
    }
    out
}

/// The memo carries the return: its lines in order at the purchase's unit price, each to be
/// restocked, no tax, against the purchase's ERP order and buyer; and it is posted.
fn assert_memo_is_the_return(memo: &CreditMemo, r: &Return, erp_order: &str) {
    let key = r.key();
    let hash = memo.external_ref.strip_prefix(&format!("{key}:"));
    assert!(
        hash.is_some_and(|h| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit())),
        "{key}: the reference ends in the lines hash: {}",
        memo.external_ref
    );
    let lines: Vec<CreditMemoLineRequest> = r
        .lines
        .iter()
        .map(|(sku, qty)| CreditMemoLineRequest {
            sku: sku.clone(),
            qty: i64::from(*qty),
            unit_price: Cents(UNIT_PRICE),
            restock: true,
        })
        .collect();
    let total: i64 = lines.iter().map(|l| l.unit_price.0 * l.qty).sum();
    assert_eq!(memo.lines, lines, "{key}: the return's lines");
    assert_eq!(memo.tax_amount, Cents(0), "{key}: tax");
    assert_eq!(memo.total, Cents(total), "{key}: total");
    assert_eq!(memo.original_order, erp_order, "{key}: its order");
    assert_eq!(memo.customer, "C10001", "{key}: the buyer");
    assert_eq!(memo.status, MemoStatus::Posted, "{key}: posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn host_killed_with_sigkill_while_crediting_returns_makes_one_memo_each() {
    let erp = Arc::new(start_erp().await);
    erp.with_state(|s| {
        // Only posted memos move stock on hand during this test (work orders would too).
        s.work_orders.clear();
        // The buyer's account takes every purchase (the seeded credit line is random).
        for c in s.customers.iter_mut().filter(|c| c.customer == "C10001") {
            c.credit_limit = Cents(1_000_000_000);
        }
    });
    let sl = start_wholesale_sl().await;
    let skus: Vec<String> = erp.with_state(|s| {
        support::erp::plain_styles(s)
            .flat_map(|st| st.skus.iter().map(|k| k.sku.clone()))
            .take(4)
            .collect()
    });
    assert_eq!(skus.len(), 4);
    let mut client = wholesaler_client(&erp.base_url(), &sl.base_url());
    crash_refund_settings(&mut client);
    let dir = HostDir::new(&client);
    let host = dir.start("the host came up").await;
    // The host's store, only read from here, alongside the host (WAL: readers never block it).
    let store = dir.open_store().await;

    // Purchases first: each must be in the ERP, and its number in the host's ledger, before
    // its return can become a memo.
    let purchases: Vec<(String, [(String, u32); 2])> = (0..PURCHASES)
        .map(|n| {
            let lines = purchase_lines(&skus, n);
            let checkout = b2b_checkout(
                LOCATION,
                &[(&lines[0].0, lines[0].1), (&lines[1].0, lines[1].1)],
            );
            let placed = sl.state().checkout(checkout).expect("checkout");
            let id = placed.purchase_identifiers.sparklayer.expect("uuid");
            (id, lines)
        })
        .collect();
    let ids: Vec<String> = purchases.iter().map(|(id, _)| id.clone()).collect();
    let all_injected = wait_until(Duration::from_secs(90), || async {
        erp_numbers(&store, &ids).await.len() == PURCHASES
    })
    .await;
    let erp_orders = erp_numbers(&store, &ids).await;
    assert!(
        all_injected,
        "purchases injected: {} of {PURCHASES}",
        erp_orders.len()
    );
    let returns = plan(&purchases);
    assert_eq!(returns.len(), RETURNS);
    let before: HashMap<&String, i64> = skus
        .iter()
        .map(|k| (k, on_hand(&erp, WAREHOUSE, k)))
        .collect();

    // A slow ERP without idempotency (a second create makes a second memo), and the first two
    // memo creates committed then hung past the host's timeout.
    arm_hanging_creates(&erp, true);
    let cycles = run_cycles(erp.clone());
    let sl_api = SparklayerClient::new(sl.client_config()).expect("Sparklayer client");
    for r in &returns[..BURST] {
        send(&sl_api, r).await;
    }
    let (host, in_flight_at_kill) =
        kill_at_memo_counts(&erp, &dir, host, &KILL_AT, RETURNS, async |kill| {
            if kill == 1 {
                // Returns keep being recorded while the host is down: the poll finds them.
                for r in &returns[BURST..] {
                    send(&sl_api, r).await;
                }
            }
            // The restarted host's first ERP calls fail: it retries rather than guesses.
            erp.with_state(|s| s.faults.fail_next += 3);
        })
        .await;

    // The ledger's refund ids are the return ids; which ids the product made is read from the
    // ERP's memos once all are there (the test does not recompute the lines hash).
    let keys: Vec<String> = returns.iter().map(Return::key).collect();
    let refund_ids = || -> Vec<String> {
        erp.with_state(|s| {
            s.memos
                .iter()
                .filter_map(|m| m.external_ref.strip_prefix(REF_PREFIX))
                .map(str::to_string)
                .collect()
        })
    };
    let done = wait_until(Duration::from_secs(180), || async {
        let ids = refund_ids();
        ids.len() >= RETURNS && drained(&store, CLIENT, &ids).await
    })
    .await;
    // Let anything that would double a memo do so before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    host.sigkill();
    cycles.abort();

    let by_return = memos_by(&erp, without_hash);
    assert_one_memo_each(&by_return, &keys);
    let by_ref = memos_by_ref(&erp);
    assert!(
        done,
        "the refund queue drained with every return posted; not posted: {:?}",
        unposted(&store, CLIENT, &refund_ids()).await
    );
    for r in &in_flight_at_kill {
        assert_eq!(by_ref[r].len(), 1, "{r}: committed at a kill, once");
    }
    for r in &returns {
        let memo = &by_return[&r.key()][0];
        assert_memo_is_the_return(memo, r, &erp_orders[&r.purchase]);
        let refund_id = &memo.external_ref[REF_PREFIX.len()..];
        assert_host_recorded(&store, CLIENT, "sparklayer", refund_id, memo).await;
    }
    assert_no_refund_failed(&store, CLIENT).await;

    // Restock: each returned unit back on hand once.
    let mut returned: BTreeMap<&String, i64> = BTreeMap::new();
    for (sku, qty) in returns.iter().flat_map(|r| &r.lines) {
        *returned.entry(sku).or_default() += i64::from(*qty);
    }
    for sku in &skus {
        assert_eq!(
            on_hand(&erp, WAREHOUSE, sku) - before[sku],
            returned.get(sku).copied().unwrap_or(0),
            "{sku}: returned units on hand in {WAREHOUSE}"
        );
    }
    store.close().await.expect("close");
}
