use selvedge_store::{ExceptionFilter, ExceptionState, NewException, Page, StoreError};
use serde_json::json;

use crate::{at, fresh_store};

fn unmapped(client: &str, sku: &str, owner: &str) -> NewException {
    NewException {
        client: client.into(),
        kind: "sku_unmapped".into(),
        owner: owner.into(),
        subject: sku.into(),
        summary: format!("SKU {sku} has no storefront product"),
        details: json!({ "sku": sku }),
    }
}

#[tokio::test]
async fn raising_the_same_open_exception_bumps_it_instead_of_duplicating() {
    let (_dir, store) = fresh_store().await;
    let first = store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(0))
        .await
        .expect("raise");
    assert!(first.created);
    let mut again = unmapped("acme", "TEE-1", "ecommerce");
    again.details = json!({ "sku": "TEE-1", "seen_in": "inventory" });
    let second = store
        .raise_exception(again, at(10))
        .await
        .expect("raise again");
    assert!(!second.created);
    assert_eq!(second.exception.id, first.exception.id);
    assert_eq!(second.exception.occurrences, 2);
    assert_eq!(second.exception.last_seen, at(10));
    assert_eq!(second.exception.created_at, at(0));
    assert_eq!(second.exception.details["seen_in"], "inventory");

    let (record, history) = store
        .exception(first.exception.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(record.state, ExceptionState::Open);
    let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["raised"], "a recurrence is counted, not logged");

    // Retrying, then failing again, re-opens the same exception.
    store
        .mark_exception_retrying(record.id, "ana", Some("mapped it"), at(20))
        .await
        .expect("retry");
    let third = store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(30))
        .await
        .expect("raise");
    assert!(!third.created);
    assert_eq!(third.exception.state, ExceptionState::Open);

    // Once resolved, the same problem is a new exception.
    let resolved = store
        .resolve_exception(record.id, "ana", "fixed in BC", at(40))
        .await
        .expect("resolve");
    assert_eq!(resolved.state, ExceptionState::Resolved);
    let err = store
        .mark_exception_retrying(record.id, "ana", None, at(41))
        .await
        .expect_err("resolved");
    assert!(matches!(err, StoreError::InvalidTransition { .. }));
    let fresh = store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(50))
        .await
        .expect("raise");
    assert!(fresh.created);
    assert_ne!(fresh.exception.id, record.id);

    let (_, history) = store
        .exception(record.id)
        .await
        .expect("get")
        .expect("exists");
    let last = history.last().expect("history");
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("ana", "resolved")
    );
    assert_eq!(last.note.as_deref(), Some("fixed in BC"));
}

#[tokio::test]
async fn exceptions_list_by_filter_with_paging_and_count_by_owner_and_kind() {
    let (_dir, store) = fresh_store().await;
    for i in 0..5 {
        store
            .raise_exception(unmapped("acme", &format!("S{i}"), "ecommerce"), at(i))
            .await
            .expect("raise");
    }
    let mut invalid = unmapped("acme", "order-7", "operations");
    invalid.kind = "order_invalid".into();
    store.raise_exception(invalid, at(10)).await.expect("raise");
    store
        .raise_exception(unmapped("globex", "S0", "ecommerce"), at(11))
        .await
        .expect("raise");

    let acme_ecom = ExceptionFilter {
        client: Some("acme".into()),
        owner: Some("ecommerce".into()),
        ..Default::default()
    };
    let page1 = store
        .list_exceptions(
            &acme_ecom,
            Page {
                limit: 3,
                offset: 0,
            },
        )
        .await
        .expect("list");
    let page2 = store
        .list_exceptions(
            &acme_ecom,
            Page {
                limit: 3,
                offset: 3,
            },
        )
        .await
        .expect("list");
    let subjects: Vec<_> = page1
        .iter()
        .chain(&page2)
        .map(|e| e.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        ["S4", "S3", "S2", "S1", "S0"],
        "most recently seen first"
    );

    store
        .resolve_exception(page1[0].id, "bo", "done", at(20))
        .await
        .expect("resolve");
    let open = ExceptionFilter {
        state: Some(ExceptionState::Open),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_exceptions(&open, Page::default())
            .await
            .expect("list")
            .len(),
        6
    );

    let counts = store
        .exception_counts(Some("acme"), ExceptionState::Open)
        .await
        .expect("counts");
    let counts: Vec<_> = counts
        .iter()
        .map(|c| (c.owner.as_str(), c.kind.as_str(), c.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("ecommerce", "sku_unmapped", 4),
            ("operations", "order_invalid", 1)
        ]
    );
    let all = store
        .exception_counts(None, ExceptionState::Open)
        .await
        .expect("counts");
    assert_eq!(all.iter().map(|c| c.count).sum::<u64>(), 6);
}

#[tokio::test]
async fn recurrences_bump_the_counter_and_last_seen_without_history_rows() {
    let (_dir, store) = fresh_store().await;
    let mut last = None;
    for t in 0..50 {
        last = Some(
            store
                .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(t))
                .await
                .expect("raise")
                .exception,
        );
    }
    let record = last.expect("raised");
    assert_eq!(record.occurrences, 50);
    assert_eq!(record.last_seen, at(49));
    assert_eq!(record.created_at, at(0));
    let (_, history) = store
        .exception(record.id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(history.len(), 1, "{history:?}");

    // Re-opening after a retry is a change of state: that one is logged.
    store
        .mark_exception_retrying(record.id, "ana", None, at(60))
        .await
        .expect("retry");
    store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(70))
        .await
        .expect("raise");
    store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(80))
        .await
        .expect("raise");
    let (record, history) = store
        .exception(record.id)
        .await
        .expect("get")
        .expect("exists");
    let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["raised", "retrying", "raised_again"]);
    assert_eq!(record.occurrences, 52);
    assert_eq!(record.last_seen, at(80));
}

#[tokio::test]
async fn an_exception_history_is_read_a_page_at_a_time() {
    let (_dir, store) = fresh_store().await;
    let id = store
        .raise_exception(unmapped("acme", "TEE-1", "ecommerce"), at(0))
        .await
        .expect("raise")
        .exception
        .id;
    for t in 1..=4 {
        store
            .mark_exception_retrying(id, "ana", Some(&format!("try {t}")), at(t))
            .await
            .expect("retry");
    }
    let (_, first) = store
        .exception_page(id, None, 2)
        .await
        .expect("page")
        .expect("exists");
    let (_, second) = store
        .exception_page(id, first.last().map(|h| h.id), 2)
        .await
        .expect("page")
        .expect("exists");
    let (_, third) = store
        .exception_page(id, second.last().map(|h| h.id), 2)
        .await
        .expect("page")
        .expect("exists");
    let notes: Vec<_> = first
        .iter()
        .chain(&second)
        .chain(&third)
        .map(|h| h.note.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        notes,
        [
            "SKU TEE-1 has no storefront product",
            "try 1",
            "try 2",
            "try 3",
            "try 4"
        ]
    );
    assert!(
        store
            .exception_page(999, None, 2)
            .await
            .expect("page")
            .is_none()
    );
}
