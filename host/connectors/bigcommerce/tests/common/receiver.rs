//! A webhook destination on loopback that records deliveries and answers scripted statuses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use selvedge_connector_kit::SandboxServer;

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

#[derive(Clone, Default)]
struct Inner {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

pub struct Receiver {
    server: SandboxServer,
    inner: Inner,
}

impl Receiver {
    /// Answers the scripted statuses first, then 200.
    pub async fn start(script: &[u16]) -> Self {
        let inner = Inner::default();
        inner
            .script
            .lock()
            .expect("receiver lock")
            .extend(script.iter().copied());
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let server = SandboxServer::start_local(router)
            .await
            .expect("receiver binds");
        Self { server, inner }
    }

    pub fn url(&self) -> String {
        format!("{}/hook", self.server.base_url())
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("receiver lock").clone()
    }

    /// Waits until `n` deliveries arrived (or 5 s passed); every payload whose scope has a
    /// callback document in the specs is checked against it.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..500 {
            if self.received().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let got = self.received();
        if let Some(specs) = super::spec::shared_specs() {
            for r in &got {
                let problems = specs.check_webhook(&r.body).unwrap_or_default();
                assert!(problems.is_empty(), "{problems:?}");
            }
        }
        got
    }
}

async fn receive(
    State(inner): State<Inner>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    inner
        .received
        .lock()
        .expect("receiver lock")
        .push(Received { headers, body });
    let status = inner
        .script
        .lock()
        .expect("receiver lock")
        .pop_front()
        .unwrap_or(200);
    // 999 scripts a destination too slow to answer within the sandbox's timeout.
    if status == 999 {
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        return StatusCode::OK;
    }
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}
