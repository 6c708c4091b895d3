//! The all-clients overview with many clients: `GET /api/overview` through the real admin
//! router over loopback, on a store holding every client's run history (several runs per
//! flow, the latest failed for some), unresolved exceptions for a tenth and pauses for a
//! few. Nothing is asserted on time.
//!
//! Run: `cargo bench -p selvedge-e2e --bench overview` (`CLIENTS=500`, `REQUESTS=200`;
//! `STORE=postgres` after `eval "$(scripts/pg-cluster start)"`; `SERVE_SECS=n` then serves
//! the dashboard over these clients for n seconds, for `scripts/overview-screenshot`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge::flows::{FlowKind, Owners};
use selvedge::http::{
    AdminClient, AdminState, AdminToken, ListenerLimits, StorefrontStats, admin_router,
};
use selvedge_runtime::{ClientContext, PluginLimits, PluginRegistry, Runtime, RuntimeOptions};
use selvedge_store::{Measurements, NewException, Pause, RunStatus, Store};
use support::stores::{Backend, TestDb};
use time::OffsetDateTime;

const TOKEN: &str = "bench-token";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> String {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    format!("{:.1} ms", sorted[i].as_secs_f64() * 1000.0)
}

async fn fill(store: &Arc<dyn Store>, clients: &[String]) {
    let now = OffsetDateTime::now_utc();
    let flows = [
        "catalog",
        "inventory",
        "orders",
        "fulfilment",
        "refunds",
        "reconciliation",
    ];
    for (n, client) in clients.iter().enumerate() {
        for flow in flows {
            for run in 0..3 {
                let id = store.start_run(client, flow, now).await.unwrap();
                let failed = run == 2 && n % 17 == 0 && flow == "orders";
                let m = Measurements {
                    erp_cycle_end: Some(now),
                    storefront_updated_at: Some(now + time::Duration::seconds(40)),
                    ..Measurements::default()
                };
                let (status, error) = if failed {
                    (RunStatus::Failed, Some("Blue Cherry answered 503"))
                } else {
                    (RunStatus::Succeeded, None)
                };
                store.finish_run(id, status, &m, error, now).await.unwrap();
            }
        }
        if n % 10 == 3 {
            store
                .raise_exception(
                    NewException {
                        client: client.clone(),
                        kind: "order_invalid".into(),
                        owner: "operations".into(),
                        subject: format!("{n}"),
                        summary: "missing division".into(),
                        details: serde_json::json!({}),
                    },
                    now,
                )
                .await
                .unwrap();
        }
        if n % 50 == 7 {
            store
                .pause(&Pause {
                    client: client.clone(),
                    flow: "*".into(),
                    by: "bench".into(),
                    at: now,
                })
                .await
                .unwrap();
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count = env_num("CLIENTS", 500);
    let requests = env_num("REQUESTS", 200);
    let backend = match std::env::var("STORE").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(db) = TestDb::fresh(backend) else {
        eprintln!("STORE=postgres needs the test cluster: eval \"$(scripts/pg-cluster start)\"");
        std::process::exit(2);
    };
    let store = db.open().await;
    let ids: Vec<String> = (0..count).map(|n| format!("brand-{n:04}")).collect();
    let started = Instant::now();
    fill(&store, &ids).await;
    eprintln!(
        "overview: {count} clients, {} runs written in {:.1} s",
        count * 18,
        started.elapsed().as_secs_f64()
    );
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let registry = PluginRegistry::new(runtime);
    let clients = ids
        .iter()
        .map(|id| AdminClient {
            id: id.clone(),
            storefront: "bigcommerce",
            flows: vec![FlowKind::Inventory, FlowKind::Orders],
            plugin: registry.add_client(
                id,
                ClientContext::default(),
                PluginLimits::default(),
                None,
            ),
            owners: Arc::new(Owners::default()),
            stats: StorefrontStats::None,
        })
        .collect();
    let state = AdminState::for_clients(
        store.clone(),
        registry,
        clients,
        AdminToken::new(Some(TOKEN.into())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(selvedge::http::listener::serve(
        listener,
        admin_router(state),
        ListenerLimits::ADMIN,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    println!("| query | p50 | p99 | rows of total |");
    println!("|---|---:|---:|---:|");
    for query in [
        "limit=50",
        "limit=50&offset=450",
        "state=failing",
        "q=brand-04&limit=50",
    ] {
        let url = format!("http://{addr}/api/overview?{query}");
        let mut times = Vec::with_capacity(requests);
        let mut last = serde_json::Value::Null;
        for _ in 0..requests {
            let t = Instant::now();
            let res = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            last = res.json().await.unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "| `{query}` | {} | {} | {} of {} |",
            pct(&times, 0.5),
            pct(&times, 0.99),
            last["rows"].as_array().map_or(0, Vec::len),
            last["total"]
        );
    }
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("({count} clients, {name} store, {requests} requests each)");
    // For `scripts/overview-screenshot`: the dashboard over these clients, for a while.
    let serve = env_num("SERVE_SECS", 0);
    if serve > 0 {
        println!("dashboard http://{addr}/dashboard/ token {TOKEN}");
        tokio::time::sleep(Duration::from_secs(serve as u64)).await;
    }
}
