use std::sync::Arc;

use selvedge_store::{Cursors, Decision, Measurements, PublishedPrice, RunStatus};
use serde_json::json;

use crate::{at, fresh_store};

#[tokio::test]
async fn store_is_usable_as_a_trait_object_and_cursors_are_per_client() {
    let (_dir, store) = fresh_store().await;
    store
        .set_cursor("acme", "bc.orders", "10", at(0))
        .await
        .expect("set");
    store
        .set_cursor("acme", "bc.orders", "20", at(1))
        .await
        .expect("set");
    assert_eq!(
        store
            .cursor("acme", "bc.orders")
            .await
            .expect("get")
            .as_deref(),
        Some("20")
    );
    assert_eq!(
        store.cursor("globex", "bc.orders").await.expect("get"),
        None
    );
    // A flow that needs one capability takes just that trait.
    let cursors: Arc<dyn Cursors> = store;
    assert!(
        cursors
            .cursor("acme", "other")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn latest_decision_for_a_subject_comes_first() {
    let (_dir, store) = fresh_store().await;
    let decision = |flow: &str, value: i64, t: i64| Decision {
        client: "acme".into(),
        flow: flow.into(),
        subject: "TEE-S".into(),
        plugin_id: "stock-rules".into(),
        plugin_version: "sha256:ab".into(),
        reason: json!({ "rule": "safety_stock" }),
        value: json!(value),
        call_id: None,
        created_at: at(t),
    };
    store
        .record_decisions(&[
            decision("inventory", 5, 0),
            decision("catalog", 1, 1),
            decision("inventory", 3, 2),
        ])
        .await
        .expect("record");
    let latest = store
        .latest_decisions("acme", Some("inventory"), "TEE-S", 1)
        .await
        .expect("query");
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].decision.value, json!(3));
    let any_flow = store
        .latest_decisions("acme", None, "TEE-S", 10)
        .await
        .expect("query");
    assert_eq!(any_flow.len(), 3);
}

#[tokio::test]
async fn last_successful_run_skips_failures_and_keeps_measurements() {
    let (_dir, store) = fresh_store().await;
    let ok = store
        .start_run("acme", "inventory", at(0))
        .await
        .expect("start");
    let measured = Measurements {
        records: Some(1200),
        changed: Some(40),
        api_calls: Some(3),
        erp_cycle_id: Some("c-77".into()),
        erp_cycle_end: Some(at(0)),
        storefront_updated_at: Some(at(95)),
        ..Default::default()
    };
    store
        .finish_run(ok, RunStatus::Succeeded, &measured, None, at(100))
        .await
        .expect("finish");
    let failed = store
        .start_run("acme", "inventory", at(200))
        .await
        .expect("start");
    store
        .finish_run(
            failed,
            RunStatus::Failed,
            &Measurements::default(),
            Some("ERP down"),
            at(201),
        )
        .await
        .expect("finish");
    assert!(
        store
            .finish_run(failed, RunStatus::Succeeded, &measured, None, at(202))
            .await
            .is_err()
    );

    let last = store
        .last_successful_run("acme", "inventory")
        .await
        .expect("query")
        .expect("a run");
    assert_eq!(last.id, ok);
    assert_eq!(last.measurements, measured);
    assert_eq!(
        last.measurements.cycle_latency(),
        Some(time::Duration::seconds(95))
    );
    let recent = store
        .recent_runs("acme", "inventory", 10)
        .await
        .expect("recent");
    assert_eq!(
        recent.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Failed, RunStatus::Succeeded]
    );
}

#[tokio::test]
async fn activating_a_plugin_version_closes_the_previous_one() {
    let (_dir, store) = fresh_store().await;
    let v1 = store
        .activate_plugin_version("acme", "stock-rules", "h1", "1.0", "startup", at(0))
        .await
        .expect("activate");
    let same = store
        .activate_plugin_version("acme", "stock-rules", "h1", "1.0", "reload", at(1))
        .await
        .expect("same version");
    assert_eq!(same, v1, "re-activating the active version is a no-op");
    store
        .activate_plugin_version("acme", "stock-rules", "h2", "1.1", "hot reload", at(2))
        .await
        .expect("activate");
    let history = store
        .plugin_history("acme", Some("stock-rules"), 10)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].version_hash, "h2");
    assert_eq!(history[1].deactivated_at, Some(at(2)));
    let active = store
        .active_plugin_version("acme", "stock-rules")
        .await
        .expect("active");
    assert_eq!(active.map(|v| v.version_hash).as_deref(), Some("h2"));
    store
        .deactivate_plugin("acme", "stock-rules", "removed", at(3))
        .await
        .expect("deactivate");
    assert!(
        store
            .active_plugin_version("acme", "stock-rules")
            .await
            .expect("active")
            .is_none()
    );
}

#[tokio::test]
async fn plugin_builds_are_kept_by_digest_until_no_period_of_the_history_names_them() {
    use selvedge_store::RetentionAges;
    const DAY: i64 = 86_400;
    let (fixture, store) = fresh_store().await;
    let put = |digest: &'static str, bytes: &'static [u8], source: &'static str, t: i64| {
        let store = &store;
        async move {
            store
                .put_plugin_component(digest, "stock-rules", bytes, source, at(t))
                .await
                .expect("put");
        }
    };
    put("h1", b"build one", "config a.wasm", 0).await;
    put("h1", b"build one", "admin upload", 5).await;
    let kept = store
        .plugin_component("h1")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept.bytes, b"build one");
    assert_eq!(
        (kept.source.as_str(), kept.stored_at),
        ("config a.wasm", at(0)),
        "storing a known digest again keeps the first record"
    );
    assert!(store.plugin_component("h9").await.expect("read").is_none());

    // acme moves from h1 to h2; globex runs h2 too; h3 was stored but never activated.
    put("h2", b"build two", "admin upload", DAY).await;
    put("h3", b"build three", "folder drop", 0).await;
    for (client, hash, t) in [
        ("acme", "h1", 0),
        ("acme", "h2", DAY),
        ("globex", "h2", DAY),
    ] {
        store
            .activate_plugin_version(client, "stock-rules", hash, hash, "swap", at(t))
            .await
            .expect("activate");
    }
    let desired: Vec<(String, String)> = store
        .active_plugin_versions()
        .await
        .expect("active")
        .into_iter()
        .map(|p| (p.client, p.version_hash))
        .collect();
    assert_eq!(
        desired,
        [("acme".into(), "h2".into()), ("globex".into(), "h2".into())]
    );

    // 200 days on, a build stored yesterday and not yet activated stays (its period is on
    // its way); h1's period is past retention, so h1 goes with h3.
    let now = 200 * DAY;
    put("h4", b"build four", "admin upload", now - DAY).await;
    let rules = store.default_rules(&RetentionAges::default());
    store.purge(&rules, at(now), 1_000).await.expect("purge");
    let left = fixture
        .strings("SELECT digest FROM plugin_components ORDER BY digest")
        .await;
    assert_eq!(left, ["h2", "h4"]);
}

#[tokio::test]
async fn runs_left_running_by_a_stopped_host_are_closed_as_failed() {
    let (_dir, store) = fresh_store().await;
    let stale = store
        .start_run("acme", "catalog", at(0))
        .await
        .expect("start");
    let closed = store
        .fail_unfinished_runs("host restarted", at(50))
        .await
        .expect("close");
    assert_eq!(closed, 1);
    let run = &store
        .recent_runs("acme", "catalog", 1)
        .await
        .expect("recent")[0];
    assert_eq!((run.id, run.status), (stale, RunStatus::Failed));
    assert_eq!(run.error.as_deref(), Some("host restarted"));
    assert_eq!(run.finished_at, Some(at(50)));
}

#[tokio::test]
async fn closing_one_flows_unfinished_runs_leaves_other_flows_clients_and_finished_runs_alone() {
    let (_dir, store) = fresh_store().await;
    let start = |client: &'static str, flow: &'static str| {
        let store = store.clone();
        async move { store.start_run(client, flow, at(0)).await.expect("start") }
    };
    let finished = start("acme", "catalog").await;
    store
        .finish_run(
            finished,
            RunStatus::Succeeded,
            &Measurements::default(),
            None,
            at(5),
        )
        .await
        .expect("finish");
    let left = start("acme", "catalog").await;
    let other_flow = start("acme", "inventory").await;
    let other_client = start("zeta", "catalog").await;

    let reason = "host b stopped before the run finished";
    let closed = store
        .fail_unfinished_runs_of("acme", "catalog", reason, at(50))
        .await
        .expect("close");
    assert_eq!(closed, 1);
    let catalog = store
        .recent_runs("acme", "catalog", 10)
        .await
        .expect("recent");
    let states: Vec<_> = catalog
        .iter()
        .map(|r| (r.id, r.status, r.error.as_deref(), r.finished_at))
        .collect();
    assert_eq!(
        states,
        [
            (left, RunStatus::Failed, Some(reason), Some(at(50))),
            (finished, RunStatus::Succeeded, None, Some(at(5))),
        ]
    );
    for (client, flow, id) in [
        ("acme", "inventory", other_flow),
        ("zeta", "catalog", other_client),
    ] {
        let run = &store.recent_runs(client, flow, 1).await.expect("recent")[0];
        assert_eq!(
            (run.id, run.status),
            (id, RunStatus::Running),
            "{client}/{flow}"
        );
    }
}

#[tokio::test]
async fn published_prices_are_kept_per_client_storefront_list_and_sku() {
    let (_dir, store) = fresh_store().await;
    let row = |list: &str, sku: &str, hash: &str| PublishedPrice {
        price_list: list.into(),
        sku: sku.into(),
        content_hash: hash.into(),
    };
    store
        .upsert_published_prices(
            "acme",
            "sparklayer",
            &[row("tier-a", "S-1", "h1"), row("tier-b", "S-1", "h2")],
            at(0),
        )
        .await
        .expect("publish");
    store
        .upsert_published_prices("other", "sparklayer", &[row("tier-a", "S-1", "x")], at(0))
        .await
        .expect("publish other client");
    // A changed tier set replaces its hash; the other list is untouched.
    store
        .upsert_published_prices("acme", "sparklayer", &[row("tier-a", "S-1", "h3")], at(1))
        .await
        .expect("republish");
    let published = store
        .published_prices("acme", "sparklayer")
        .await
        .expect("read");
    assert_eq!(
        published,
        vec![row("tier-a", "S-1", "h3"), row("tier-b", "S-1", "h2")]
    );
    assert!(
        store
            .published_prices("acme", "bigcommerce")
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn decisions_runs_and_plugin_periods_page_back_by_id() {
    let (_dir, store) = fresh_store().await;
    let decisions: Vec<Decision> = (0..5)
        .map(|t| Decision {
            client: "acme".into(),
            flow: "inventory".into(),
            subject: "TEE-S".into(),
            plugin_id: "stock-rules".into(),
            plugin_version: "sha256:ab".into(),
            reason: json!({}),
            value: json!(t),
            call_id: None,
            created_at: at(t),
        })
        .collect();
    store.record_decisions(&decisions).await.expect("record");
    let first = store
        .decisions_before("acme", None, "TEE-S", None, 3)
        .await
        .expect("page");
    let rest = store
        .decisions_before("acme", None, "TEE-S", first.last().map(|d| d.id), 3)
        .await
        .expect("page");
    let values: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|d| d.decision.value.clone())
        .collect();
    assert_eq!(values, [json!(4), json!(3), json!(2), json!(1), json!(0)]);

    let mut runs = Vec::new();
    for t in 0..3 {
        runs.push(
            store
                .start_run("acme", "inventory", at(t))
                .await
                .expect("start"),
        );
    }
    let older = store
        .runs_before("acme", "inventory", Some(runs[2]), 10)
        .await
        .expect("page");
    let ids: Vec<_> = older.iter().map(|r| r.id).collect();
    assert_eq!(ids, [runs[1], runs[0]]);

    for (t, hash) in ["h1", "h2", "h3"].iter().enumerate() {
        store
            .activate_plugin_version("acme", "stock-rules", hash, hash, "reload", at(t as i64))
            .await
            .expect("activate");
    }
    let newest = store
        .plugin_history_before("acme", None, None, 1)
        .await
        .expect("page");
    let before = store
        .plugin_history_before("acme", None, newest.first().map(|p| p.id), 10)
        .await
        .expect("page");
    let hashes: Vec<_> = newest
        .iter()
        .chain(&before)
        .map(|p| p.version_hash.as_str())
        .collect();
    assert_eq!(hashes, ["h3", "h2", "h1"]);
}

fn plugin_call(id: &str, call: &str, t: i64) -> selvedge_store::PluginCall {
    selvedge_store::PluginCall {
        id: id.into(),
        client: "acme".into(),
        flow: "orders".into(),
        call: call.into(),
        plugin_id: "stock-rules".into(),
        plugin_version: "v1".into(),
        input: format!(r#"{{"input":{{"call":"{call}"}},"n":"{id}"}}"#),
        labels: vec!["TEE-S@NJ01".into()],
        created_at: at(t),
    }
}

#[tokio::test]
async fn a_plugin_call_is_stored_once_with_the_decisions_that_name_it_and_read_back_as_written() {
    let (_dir, store) = fresh_store().await;
    let call = plugin_call("c1", "map-orders", 0);
    let decision = |order: &str| Decision {
        client: "acme".into(),
        flow: "orders".into(),
        subject: order.into(),
        plugin_id: "stock-rules".into(),
        plugin_version: "v1".into(),
        reason: json!({}),
        value: json!({ "warehouse": "NJ01" }),
        call_id: Some("c1".into()),
        created_at: at(0),
    };
    store
        .record_call_decisions(
            std::slice::from_ref(&call),
            &[decision("1001"), decision("1002")],
        )
        .await
        .expect("record");
    // A retried batch records the same call again: still one row, first recording kept.
    let mut again = call.clone();
    again.created_at = at(50);
    store
        .record_call_decisions(&[again], &[decision("1001")])
        .await
        .expect("record again");
    let stored = store
        .plugin_call("acme", "c1")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        stored, call,
        "the input text and labels read back as written"
    );
    assert!(
        store
            .plugin_call("globex", "c1")
            .await
            .expect("read")
            .is_none()
    );
    let latest = store
        .latest_decisions("acme", Some("orders"), "1001", 5)
        .await
        .expect("decisions");
    assert_eq!(latest.len(), 2);
    assert!(
        latest
            .iter()
            .all(|d| d.decision.call_id.as_deref() == Some("c1"))
    );

    store
        .record_call_decisions(
            &[
                plugin_call("c2", "map-orders", 10),
                plugin_call("c3", "compute-ats", 20),
            ],
            &[],
        )
        .await
        .expect("calls only");
    let recent: Vec<String> = store
        .recent_plugin_calls("acme", "map-orders", 10)
        .await
        .expect("recent")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(recent, ["c2", "c1"], "newest first, one rule only");
}

#[tokio::test]
async fn recorded_calls_age_out_but_the_newest_per_rule_stays_and_shadow_runs_keep_their_review() {
    use selvedge_store::{NewShadowRun, RetentionAges};
    const DAY: i64 = 86_400;
    let (_dir, store) = fresh_store().await;
    store
        .record_call_decisions(
            &[
                plugin_call("old-orders", "map-orders", 0),
                plugin_call("new-orders", "map-orders", DAY),
                plugin_call("only-ats", "compute-ats", 0),
            ],
            &[],
        )
        .await
        .expect("calls");
    let rules = store.default_rules(&RetentionAges::default());
    store
        .purge(&rules, at(30 * DAY), 1_000)
        .await
        .expect("purge");
    for (id, kept) in [
        ("old-orders", false),
        ("new-orders", true),
        ("only-ats", true),
    ] {
        assert_eq!(
            store.plugin_call("acme", id).await.expect("read").is_some(),
            kept,
            "{id}"
        );
    }

    let run = |candidate: &str, changed: u64| NewShadowRun {
        client: "acme".into(),
        candidate: candidate.into(),
        live: "v1".into(),
        calls: 4,
        changed,
        report: json!({ "changed": changed }),
        created_at: at(0),
    };
    let clean = store.record_shadow_run(&run("v2", 0)).await.expect("run");
    let dirty = store.record_shadow_run(&run("v3", 7)).await.expect("run");
    let runs = store
        .shadow_runs("acme", Some("v3"), 5)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, dirty);
    assert!(!runs[0].clears(), "7 changed rows and nobody reviewed them");
    assert!(
        !store
            .accept_shadow_run("globex", dirty, "ops@agency", at(5))
            .await
            .expect("accept"),
        "another client's run cannot be accepted"
    );
    assert!(
        store
            .accept_shadow_run("acme", dirty, "ops@agency", at(5))
            .await
            .expect("accept")
    );
    let runs = store.shadow_runs("acme", None, 5).await.expect("runs");
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [dirty, clean]
    );
    assert_eq!(runs[0].accepted_by.as_deref(), Some("ops@agency"));
    assert_eq!(runs[0].accepted_at, Some(at(5)));
    assert!(runs[0].clears() && runs[1].clears());
    assert_eq!(runs[0].run, run("v3", 7));
}

#[tokio::test]
async fn oversells_read_back_per_client_and_sku_from_a_time_on() {
    use selvedge_store::Oversell;
    let (_dir, store) = fresh_store().await;
    let line = |client: &str, sku: &str, order: &str, available: i64, t: i64| Oversell {
        client: client.into(),
        sku: sku.into(),
        location: "NJ01".into(),
        order_id: order.into(),
        ordered: 2,
        available,
        buffer: 1,
        cycle_id: 7,
        lag_minutes: 45,
        rule: "fast_mover".into(),
        at: at(t),
    };
    store
        .record_oversells(&[
            line("acme", "TEE-M", "1", 1, 0),
            line("acme", "TEE-M", "2", -1, 10),
            line("acme", "TEE-L", "3", 0, 20),
            line("globex", "TEE-M", "4", 0, 30),
        ])
        .await
        .expect("record");
    let all = store
        .oversells_since("acme", None, at(0))
        .await
        .expect("read");
    assert_eq!(
        all.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert_eq!(
        all[1],
        line("acme", "TEE-M", "2", -1, 10),
        "read back as written"
    );
    assert_eq!((all[0].short(), all[1].short()), (1, 2));
    let one = store
        .oversells_since("acme", Some("TEE-M"), at(5))
        .await
        .expect("read");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].order_id, "2");
}

#[tokio::test]
async fn tokens_are_found_by_digest_revoked_by_name_and_writes_are_audited_newest_first() {
    use selvedge_store::{ApiToken, AuditEntry, RetentionAges, StoreError};
    let (_dir, store) = fresh_store().await;
    let token = ApiToken {
        name: "finance".into(),
        hash: "ab12".into(),
        role: "operator".into(),
        clients: vec!["acme".into()],
        teams: vec!["finance".into()],
        created_at: at(0),
        expires_at: Some(at(3_600)),
        revoked_at: None,
    };
    store.create_token(&token).await.expect("create");
    let again = store.create_token(&token).await;
    assert!(
        matches!(&again, Err(StoreError::InvalidArgument(m)) if m.contains("finance")),
        "{again:?}"
    );
    assert_eq!(
        store.token_by_hash("ab12").await.expect("read"),
        Some(token.clone())
    );
    assert!(store.token_by_hash("zz").await.expect("read").is_none());
    assert!(store.revoke_token("finance", at(10)).await.expect("revoke"));
    assert!(
        !store.revoke_token("finance", at(11)).await.expect("revoke"),
        "once"
    );
    assert!(!store.revoke_token("nobody", at(11)).await.expect("revoke"));
    let listed = store.api_tokens().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revoked_at, Some(at(10)));

    for (i, status) in [200u16, 403, 200].into_iter().enumerate() {
        store
            .record_audit(&AuditEntry {
                actor: "finance".into(),
                action: "POST /api/exceptions/{id}/resolve".into(),
                client: Some("acme".into()),
                target: format!("/api/exceptions/{i}/resolve"),
                status,
                at: at(i as i64),
            })
            .await
            .expect("audit");
    }
    let page = store.audit_before(None, 2).await.expect("page");
    assert_eq!(
        page.iter().map(|r| r.entry.status).collect::<Vec<_>>(),
        [200, 403]
    );
    let rest = store
        .audit_before(Some(page[1].id), 10)
        .await
        .expect("page");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].entry.target, "/api/exceptions/0/resolve");

    // A year on, the log and the revoked token go.
    let rules = store.default_rules(&RetentionAges::default());
    store
        .purge(&rules, at(400 * 86_400), 1_000)
        .await
        .expect("purge");
    assert!(store.audit_before(None, 10).await.expect("page").is_empty());
    assert!(store.api_tokens().await.expect("list").is_empty());
}

#[tokio::test]
async fn a_pause_holds_until_resumed_and_a_run_request_is_taken_once_by_the_owner_of_its_client() {
    use selvedge_store::{ALL_FLOWS, Pause, RunRequest};
    let (fixture, store) = fresh_store().await;
    let pause = |client: &str, flow: &str, by: &str| Pause {
        client: client.into(),
        flow: flow.into(),
        by: by.into(),
        at: at(0),
    };
    store
        .pause(&pause("acme", ALL_FLOWS, "ana"))
        .await
        .expect("pause");
    store
        .pause(&pause("acme", ALL_FLOWS, "bob"))
        .await
        .expect("again");
    store
        .pause(&pause("globex", "orders", "ana"))
        .await
        .expect("pause");
    // Another handle on the same database (a restarted host) sees them.
    let again = fixture.open_again().await;
    let pauses = again.pauses().await.expect("pauses");
    assert_eq!(
        pauses,
        [
            pause("acme", ALL_FLOWS, "ana"),
            pause("globex", "orders", "ana")
        ],
        "pausing again keeps the first pause"
    );
    assert!(store.resume("acme", ALL_FLOWS).await.expect("resume"));
    assert!(!store.resume("acme", ALL_FLOWS).await.expect("resume"));
    assert_eq!(store.pauses().await.expect("pauses").len(), 1);

    for (client, flow) in [
        ("acme", "inventory"),
        ("globex", "orders"),
        ("acme", "catalog"),
    ] {
        store
            .request_run(&RunRequest {
                client: client.into(),
                flow: flow.into(),
                by: "ana".into(),
                at: at(1),
            })
            .await
            .expect("request");
    }
    let mine = store
        .take_run_requests(&["acme".to_string()])
        .await
        .expect("take");
    assert_eq!(
        mine.iter().map(|r| r.flow.as_str()).collect::<Vec<_>>(),
        ["inventory", "catalog"],
        "oldest first, only the clients asked for"
    );
    assert!(
        store
            .take_run_requests(&["acme".to_string()])
            .await
            .expect("take")
            .is_empty(),
        "taken once"
    );
    assert_eq!(
        again
            .take_run_requests(&["globex".to_string(), "acme".to_string()])
            .await
            .expect("take")
            .len(),
        1
    );
}
