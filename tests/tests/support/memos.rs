//! Credit memos under SIGKILL, for the refund and return crash tests: the ERP's memos as its
//! sandbox holds them (counted there, never from the host), stock on hand, the batch cycles
//! that post memos, a kill placed while a memo create the ERP committed hangs unanswered, and
//! what the host's ledger and queue must say about each refund at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use selvedge::flows::orders::refund_kind;
use selvedge_bluecherry::model::CreditMemo;
use selvedge_bluecherry::sandbox::Sandbox as Erp;
use selvedge_bluecherry::sandbox::faults::Faults;
use selvedge_store::{ExceptionFilter, JobState, Page, RefundState, Store};
use tokio::task::JoinHandle;

use super::host_process::{HostDir, HostProcess};
use super::wait_until;

pub fn memo_count(erp: &Erp) -> usize {
    erp.with_state(|s| s.memos.len())
}

/// Units of `sku` on hand in `warehouse`.
pub fn on_hand(erp: &Erp, warehouse: &str, sku: &str) -> i64 {
    erp.with_state(|s| {
        s.stock
            .get(&(warehouse.to_string(), sku.to_string()))
            .map_or(0, |b| b.total_qoh)
    })
}

/// The ERP's credit memos by external reference.
pub fn memos_by_ref(erp: &Erp) -> BTreeMap<String, Vec<CreditMemo>> {
    memos_by(erp, str::to_string)
}

/// The ERP's credit memos by `key` of their external reference.
pub fn memos_by(erp: &Erp, key: impl Fn(&str) -> String) -> BTreeMap<String, Vec<CreditMemo>> {
    let mut by_key: BTreeMap<String, Vec<CreditMemo>> = BTreeMap::new();
    for m in erp.with_state(|s| s.memos.clone()) {
        by_key.entry(key(&m.external_ref)).or_default().push(m);
    }
    by_key
}

/// One memo for each of `refs` (keys of [`memos_by`]): nothing doubled, nothing missing,
/// nothing else.
pub fn assert_one_memo_each(by_ref: &BTreeMap<String, Vec<CreditMemo>>, refs: &[String]) {
    let doubled: Vec<(&String, usize)> = by_ref
        .iter()
        .map(|(r, ms)| (r, ms.len()))
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(doubled.is_empty(), "memos doubled: {doubled:?}");
    let missing: Vec<&String> = refs.iter().filter(|r| !by_ref.contains_key(*r)).collect();
    assert!(missing.is_empty(), "refunds without a memo: {missing:?}");
    assert_eq!(by_ref.len(), refs.len(), "no memo but the refunds'");
}

/// `[refunds]` for a crash test, added to `client`: refunds polled every second, fast retries,
/// a claimed job's lease outliving a batch with hung creates in it, and an ERP timeout of 1 s
/// (a hung create becomes ambiguous then, and the host looks the memo up).
pub fn crash_refund_settings(client: &mut toml::Table) {
    client["bluecherry"]
        .as_table_mut()
        .expect("[bluecherry]")
        .insert("timeout_ms".into(), 1_000.into());
    let sections: toml::Table = r#"
[refunds]
max_attempts = 20
retry_base_ms = 50
retry_max_ms = 500
memo_check_ms = 100
lease_ms = 5000

[schedules.refunds]
cron = "* * * * * *"
"#
    .parse()
    .expect("refund sections parse");
    for (k, v) in sections {
        match (client.get_mut(&k), v) {
            // `[schedules]` may hold other flows' schedules already.
            (Some(toml::Value::Table(have)), toml::Value::Table(add)) => have.extend(add),
            (_, v) => {
                client.insert(k, v);
            }
        }
    }
}

/// The ERP's batch cycles every 250 ms (memos post, and restock, at a cycle) until aborted.
pub fn run_cycles(erp: Arc<Erp>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            erp.run_cycle();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

/// A slow ERP whose first two memo creates commit, then hang past the host's timeout. With
/// `accept_duplicates` it has no idempotency: a second create makes a second memo.
pub fn arm_hanging_creates(erp: &Erp, accept_duplicates: bool) {
    erp.set_faults(Faults {
        delay_ms: 10,
        hang_next_creates: 2,
        hang_ms: 5_000,
        accept_duplicates,
        ..Faults::default()
    });
}

/// Kills `host` once the ERP holds each of `kill_at` memos, while a memo create hangs
/// ([`kill_while_a_memo_create_hangs`]); runs `while_down(kill)` (1-based) with the host down,
/// then starts it again on `dir`. Returns the running host and the references of the memos
/// left unanswered at the kills.
pub async fn kill_at_memo_counts(
    erp: &Erp,
    dir: &HostDir,
    mut host: HostProcess,
    kill_at: &[usize],
    total: usize,
    mut while_down: impl AsyncFnMut(usize),
) -> (HostProcess, Vec<String>) {
    let mut in_flight = Vec::new();
    for (kill, &threshold) in kill_at.iter().enumerate() {
        let kill = kill + 1;
        in_flight.extend(kill_while_a_memo_create_hangs(erp, host, kill, threshold, total).await);
        while_down(kill).await;
        host = dir
            .start(&format!("the host came back after kill {kill}"))
            .await;
    }
    (host, in_flight)
}

/// Kill `kill` (1-based) of `host`: once the ERP holds `threshold` memos, the next memo create
/// is armed to commit and hang, and the host is SIGKILLed while it waits for the answer.
/// Returns the reference of the memo committed last, the one left unanswered.
pub async fn kill_while_a_memo_create_hangs(
    erp: &Erp,
    host: HostProcess,
    kill: usize,
    threshold: usize,
    total: usize,
) -> Option<String> {
    let working = wait_until(Duration::from_secs(90), || async {
        memo_count(erp) >= threshold
    })
    .await;
    assert!(working, "memos were being created before kill {kill}");
    erp.with_state(|s| s.faults.hang_next_creates += 1);
    let hung = wait_until(Duration::from_secs(60), || async {
        erp.with_state(|s| s.faults.hang_next_creates == 0)
    })
    .await;
    assert!(hung, "a memo create committed and hung before kill {kill}");
    host.sigkill();
    let (at_kill, last) = erp.with_state(|s| {
        let last = s.memos.last().map(|m| m.external_ref.clone());
        (s.memos.len(), last)
    });
    assert!(
        at_kill < total,
        "kill {kill} landed mid-work ({at_kill} of {total} memos)"
    );
    eprintln!("kill {kill}: {at_kill} memos in the ERP, the last ({last:?}) unanswered");
    last
}

/// Refunds of `client` not posted in the host's ledger: (refund id, state, last error).
pub async fn unposted(
    store: &Arc<dyn Store>,
    client: &str,
    refund_ids: &[String],
) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for id in refund_ids {
        match store.refund(client, id).await.expect("ledger") {
            Some(rec) if rec.state == RefundState::Posted => {}
            Some(rec) => out.push((id.clone(), rec.state.to_string(), rec.last_error)),
            None => out.push((id.clone(), "not received".into(), None)),
        }
    }
    out
}

/// Every refund posted in the host's ledger and no refund job queued or running.
pub async fn drained(store: &Arc<dyn Store>, client: &str, refund_ids: &[String]) -> bool {
    let depth = store.queue_depth(client, &refund_kind(client)).await;
    depth.expect("queue depth") == 0 && unposted(store, client, refund_ids).await.is_empty()
}

/// The host's ledger has the refund posted as this memo under the memo's reference, and its
/// job (`<storefront>:<refund id>`) is done.
pub async fn assert_host_recorded(
    store: &Arc<dyn Store>,
    client: &str,
    storefront: &str,
    refund_id: &str,
    memo: &CreditMemo,
) {
    let external_ref = &memo.external_ref;
    let rec = store
        .refund(client, refund_id)
        .await
        .expect("ledger")
        .expect("ledger record");
    assert_eq!(rec.state, RefundState::Posted, "{external_ref}: ledger");
    assert_eq!(
        rec.memo_no.as_deref(),
        Some(memo.memo_number.as_str()),
        "{external_ref}: the ledger names the ERP's memo"
    );
    assert_eq!(
        rec.erp_ref.as_deref(),
        Some(external_ref.as_str()),
        "{external_ref}: the ledger holds the memo's reference"
    );
    let key = format!("{storefront}:{refund_id}");
    let job = store
        .job_by_key(client, &refund_kind(client), &key)
        .await
        .expect("job")
        .expect("refund job");
    assert_eq!(job.state, JobState::Done, "{external_ref}: job done");
}

/// No refund of `client` went to the exception queue.
pub async fn assert_no_refund_failed(store: &Arc<dyn Store>, client: &str) {
    let filter = ExceptionFilter {
        client: Some(client.into()),
        kind: Some("refund_failed".into()),
        ..ExceptionFilter::default()
    };
    let failed = store
        .list_exceptions(&filter, Page::default())
        .await
        .expect("exceptions");
    assert!(failed.is_empty(), "no refund failed: {failed:?}");
}
