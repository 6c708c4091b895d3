//! Shared setup: an admin router over a fresh store and a plugin slot, on loopback.
#![allow(dead_code)]

use std::sync::Arc;

use reqwest::StatusCode;
use selvedge::flows::{FlowKind, Owners};
pub use selvedge::http::AdminToken;
use selvedge::http::{
    AdminClient, AdminState, AuthFailures, ListenerLimits, StorefrontStats, admin_router,
};
use selvedge_runtime::{ClientContext, PluginLimits, PluginRegistry, Runtime, RuntimeOptions};
pub use selvedge_store::{
    Decision, Measurements, NewException, NewJob, OrderKey, OrderState, RunStatus, Store,
};
use selvedge_store_sqlite::SqliteStore;
use serde_json::Value;
pub use time::OffsetDateTime;

pub const TOKEN: &str = "test-admin-token-3f9a";
pub const CLIENT: &str = "northwind";

pub struct Host {
    pub base: String,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub registry: Arc<PluginRegistry>,
    /// Refused webhook deliveries the admin API reports; share it with a webhook router.
    pub webhook_auth: Arc<AuthFailures>,
    _dir: tempfile::TempDir,
}

impl Host {
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("get");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("post");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub async fn start() -> Host {
    start_with(AdminToken::new(Some(TOKEN.into()))).await
}

pub async fn start_with(token: AdminToken) -> Host {
    start_limited(token, ListenerLimits::ADMIN).await
}

/// A host whose admin listener has `limits`.
pub async fn start_limited(token: AdminToken, limits: ListenerLimits) -> Host {
    start_clients(token, limits, &[CLIENT]).await
}

/// A host with these clients (the first is [`CLIENT`] in most tests).
pub async fn start_clients(token: AdminToken, limits: ListenerLimits, ids: &[&str]) -> Host {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteStore::open(dir.path().join("state.sqlite"))
        .await
        .expect("store");
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");
    let registry = PluginRegistry::new(runtime);
    let clients = ids
        .iter()
        .map(|id| AdminClient {
            id: id.to_string(),
            storefront: "bigcommerce",
            flows: vec![
                FlowKind::Inventory,
                FlowKind::Orders,
                FlowKind::Reconciliation,
            ],
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
    let state = AdminState::for_clients(store.clone(), registry.clone(), clients, token);
    let webhook_auth = state.webhook_auth.clone();
    let addr = serve(admin_router(state), limits).await;
    Host {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        store,
        registry,
        webhook_auth,
        _dir: dir,
    }
}

pub async fn serve(router: axum::Router, limits: ListenerLimits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let never = std::future::pending();
    tokio::spawn(selvedge::http::listener::serve(
        listener, router, limits, never,
    ));
    addr
}

pub async fn raise(
    store: &Arc<dyn Store>,
    kind: &str,
    owner: &str,
    subject: &str,
    details: Value,
) -> i64 {
    store
        .raise_exception(
            NewException {
                client: CLIENT.into(),
                kind: kind.into(),
                owner: owner.into(),
                subject: subject.into(),
                summary: format!("{kind} on {subject}"),
                details,
            },
            now(),
        )
        .await
        .expect("raise")
        .exception
        .id
}

pub async fn run(store: &Arc<dyn Store>, flow: &str, status: RunStatus, m: Measurements) {
    let id = store.start_run(CLIENT, flow, now()).await.expect("start");
    let error = (status == RunStatus::Failed).then_some("boom");
    store
        .finish_run(id, status, &m, error, now())
        .await
        .expect("finish");
}

pub fn protected_paths(exception: i64) -> Vec<(&'static str, String)> {
    vec![
        ("GET", "/api/clients".into()),
        ("GET", format!("/api/clients/{CLIENT}/health")),
        ("GET", format!("/api/clients/{CLIENT}/series")),
        ("GET", format!("/api/clients/{CLIENT}/drift")),
        ("GET", format!("/api/clients/{CLIENT}/plugin")),
        ("POST", format!("/api/clients/{CLIENT}/plugin/swap")),
        ("POST", format!("/api/clients/{CLIENT}/plugin/rollback")),
        ("POST", format!("/api/clients/{CLIENT}/plugin/shadow")),
        (
            "POST",
            format!("/api/clients/{CLIENT}/plugin/shadow/1/accept"),
        ),
        ("GET", format!("/api/clients/{CLIENT}/why/order/100/replay")),
        ("GET", format!("/api/clients/{CLIENT}/buffers")),
        ("GET", "/api/whoami".into()),
        ("GET", "/api/overview".into()),
        ("POST", format!("/api/clients/{CLIENT}/pause")),
        ("POST", format!("/api/clients/{CLIENT}/resume")),
        ("POST", format!("/api/clients/{CLIENT}/run/inventory")),
        ("GET", "/api/audit".into()),
        (
            "POST",
            format!("/api/clients/{CLIENT}/why/sku/SKU-1/replay"),
        ),
        ("GET", format!("/api/clients/{CLIENT}/why/sku/SKU-1")),
        ("GET", format!("/api/clients/{CLIENT}/why/order/100")),
        ("GET", "/api/exceptions".into()),
        ("GET", "/api/exceptions/summary".into()),
        ("GET", format!("/api/exceptions/{exception}")),
        ("POST", format!("/api/exceptions/{exception}/retry")),
        ("POST", format!("/api/exceptions/{exception}/resolve")),
        ("GET", "/metrics".into()),
    ]
}
