//! The HTTP edge over real loopback connections: the webhook secret is checked before the
//! body is read, the body limit, refused deliveries counted on the admin API and `/metrics`,
//! the header and request deadlines, and the in-flight cap (a short wait for a slot, then 503).
//!
//! Raw TCP where the test must control what the client sends and when (stalled headers,
//! stalled bodies, bodies never sent).

// The admin API tests' host; this file uses part of what it re-exports.
#[allow(unused_imports)]
use crate::admin_api::support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use selvedge::flows::orders::{OrdersSettings, WEBHOOK_SECRET_HEADER};
use selvedge::flows::refunds::RefundsSettings;
use selvedge::http::ListenerLimits;
use selvedge::http::webhook::{self, BODY_LIMIT, WebhookClient, WebhookState};
use selvedge::storefronts::bigcommerce::intake::IntakeClient;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{AdminToken, CLIENT, Host, TOKEN, serve, start, start_limited};

const SECRET: &str = "webhook-secret-5d2e";
const PATH: &str = "/webhooks/bigcommerce/northwind";
/// Long enough that nothing in these tests meets it unless the test is about it.
const PATIENT: ListenerLimits = ListenerLimits {
    header_read_timeout: Duration::from_secs(30),
    request_timeout: Duration::from_secs(30),
    max_in_flight: 64,
    queue_wait: Duration::from_millis(300),
};
/// How long a test waits for an answer that should come; far above any deadline tested.
const WAIT: Duration = Duration::from_secs(10);

/// An admin host and a webhook listener for its client, sharing the refusal counts.
async fn webhook_host(limits: ListenerLimits) -> (Host, SocketAddr) {
    let host = start().await;
    let intake = IntakeClient::new(
        host.store.clone(),
        &OrdersSettings::default(),
        &RefundsSettings::default(),
    );
    let clients = HashMap::from([(CLIENT.to_string(), WebhookClient::new(SECRET, intake))]);
    let router = webhook::router(WebhookState::new(clients, host.webhook_auth.clone()));
    let addr = serve(router, limits).await;
    (host, addr)
}

/// Connects and sends `head` (request line and headers, as given: it may stop mid-way).
async fn send_head(addr: SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream
}

fn post_head(secret: Option<&str>, extra: &str) -> String {
    let secret = secret
        .map(|s| format!("{WEBHOOK_SECRET_HEADER}: {s}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {PATH} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n{secret}{extra}\r\n"
    )
}

/// Reads one response head (up to the blank line) and, if it says so, its body.
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String, Value) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut byte))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_string)
        })
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    tokio::time::timeout(WAIT, stream.read_exact(&mut body))
        .await
        .expect("body in time")
        .expect("read body");
    (
        status,
        head,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_401_without_reading_the_body() {
    let (_host, addr) = webhook_host(PATIENT).await;
    // 100 MiB declared and never sent, with and without `Expect: 100-continue`. Reading the
    // body would mean a `100 Continue` first, or waiting for bytes that never come.
    for secret in [Some("not-the-secret"), None] {
        for expect in ["expect: 100-continue\r\n", ""] {
            let extra = format!("content-length: 104857600\r\n{expect}");
            let mut stream = send_head(addr, &post_head(secret, &extra)).await;
            let (status, head, body) = read_response(&mut stream).await;
            assert_eq!(status, 401, "{head}");
            assert_eq!(body["code"], "bad_webhook_secret", "{body}");
        }
    }
}

#[tokio::test]
async fn an_authenticated_body_over_256_kib_is_413_and_one_under_it_is_read() {
    let (_host, addr) = webhook_host(PATIENT).await;
    // Declared: refused from the headers.
    let extra = format!("content-length: {}\r\n", BODY_LIMIT + 1);
    let mut stream = send_head(addr, &post_head(Some(SECRET), &extra)).await;
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 413, "{head}");
    assert_eq!(body["code"], "payload_too_large");

    // Chunked (no length declared): refused once the limit is crossed while reading.
    let stream = send_head(
        addr,
        &post_head(Some(SECRET), "transfer-encoding: chunked\r\n"),
    )
    .await;
    let (mut read, mut write) = stream.into_split();
    // The server stops reading once it has refused, so the writer may block: it runs apart.
    let writer = tokio::spawn(async move {
        let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
        for _ in 0..=(BODY_LIMIT / 0x4000) {
            if write.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = write.write_all(b"0\r\n\r\n").await;
    });
    let (status, head, body) = read_response(&mut read).await;
    writer.abort();
    assert_eq!(status, 413, "{head}");
    assert_eq!(body["code"], "payload_too_large");

    // Just under the limit is read and parsed: a valid delivery padded with whitespace.
    let payload = serde_json::json!({
        "scope": "store/order/created", "store_id": "1", "producer": "stores/sandbox",
        "hash": "h", "created_at": 1, "data": { "type": "order", "id": 100 }
    })
    .to_string();
    let padded = format!("{payload}{}", " ".repeat(BODY_LIMIT - payload.len()));
    let res = reqwest::Client::new()
        .post(format!("http://{addr}{PATH}"))
        .header(WEBHOOK_SECRET_HEADER, SECRET)
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .expect("send");
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert!(body["job"].as_i64().is_some(), "{body}");
}

fn unauthorized_metric(text: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with("selvedge_webhook_unauthorized_total{client=\"northwind\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn refused_deliveries_are_counted_per_client_on_metrics_and_the_admin_api() {
    let (host, addr) = webhook_host(PATIENT).await;
    let scrape = || async {
        let res = host
            .http
            .get(format!("{}/metrics", host.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("metrics");
        unauthorized_metric(&res.text().await.unwrap_or_default())
    };
    let (_, health) = host.get(&format!("/api/clients/{CLIENT}/health")).await;
    assert_eq!(health["health"]["webhook_auth"]["failures"], 0, "{health}");
    let before = scrape().await;

    let http = reqwest::Client::new();
    for secret in [None, Some("the-old-secret")] {
        let mut req = http.post(format!("http://{addr}{PATH}")).body("{}");
        if let Some(s) = secret {
            req = req.header(WEBHOOK_SECRET_HEADER, s);
        }
        assert_eq!(req.send().await.expect("send").status(), 401);
    }
    // A name the host does not know is refused alike and not counted against this client.
    let res = http
        .post(format!("http://{addr}/webhooks/bigcommerce/nobody"))
        .header(WEBHOOK_SECRET_HEADER, SECRET)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);

    assert_eq!(scrape().await - before, 2);
    let (status, health) = host.get(&format!("/api/clients/{CLIENT}/health")).await;
    assert_eq!(status, 200);
    let auth = &health["health"]["webhook_auth"];
    assert_eq!(auth["failures"], 2, "{health}");
    assert_eq!(auth["last_reason"], "wrong secret", "{health}");
    assert!(
        auth["last_at"].as_str().is_some_and(|t| t.len() >= 20),
        "{health}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off_at_the_header_deadline() {
    let deadline = Duration::from_millis(400);
    let (_host, addr) = webhook_host(ListenerLimits {
        header_read_timeout: deadline,
        ..PATIENT
    })
    .await;
    // Half a head, then nothing (slowloris).
    let started = Instant::now();
    let mut stream = send_head(addr, &format!("POST {PATH} HTTP/1.1\r\nhost: test\r\n")).await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {WAIT:?}"
    );
    assert!(
        started.elapsed() >= deadline,
        "closed before the deadline: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_stalls_is_cut_off_with_408_at_the_request_deadline() {
    let deadline = Duration::from_millis(500);
    let (_host, addr) = webhook_host(ListenerLimits {
        request_timeout: deadline,
        ..PATIENT
    })
    .await;
    let started = Instant::now();
    let mut stream = send_head(addr, &post_head(Some(SECRET), "content-length: 100\r\n")).await;
    stream.write_all(b"{\"scope\":").await.expect("write");
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 408, "{head}");
    assert_eq!(body["code"], "timeout");
    assert!(started.elapsed() >= deadline);
}

#[tokio::test]
async fn requests_beyond_the_in_flight_cap_wait_for_a_slot_then_get_503() {
    let (_host, addr) = webhook_host(ListenerLimits {
        max_in_flight: 2,
        ..PATIENT
    })
    .await;
    // Two deliveries held in their handlers: `100 Continue` says the body is being read.
    let mut held = Vec::new();
    for _ in 0..2 {
        let extra = "content-length: 100\r\nexpect: 100-continue\r\n";
        let mut stream = send_head(addr, &post_head(Some(SECRET), extra)).await;
        let (status, head, _) = read_response(&mut stream).await;
        assert_eq!(status, 100, "{head}");
        held.push(stream);
    }
    let http = reqwest::Client::new();
    let health = format!("http://{addr}/healthz");
    let started = Instant::now();
    let res = http.get(&health).send().await.expect("send");
    assert_eq!(res.status(), 503);
    assert!(
        started.elapsed() >= PATIENT.queue_wait,
        "refused before its wait for a slot: {:?}",
        started.elapsed()
    );
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(body["code"], "overloaded", "{body}");

    // One held caller goes away: its slot frees and the next request is served.
    drop(held.pop());
    let started = Instant::now();
    loop {
        let status = http.get(&health).send().await.expect("send").status();
        if status == 200 {
            break;
        }
        assert!(started.elapsed() < WAIT, "no slot freed: still {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_request_beyond_the_cap_is_served_when_a_slot_frees_within_its_wait() {
    let (_host, addr) = webhook_host(ListenerLimits {
        max_in_flight: 1,
        queue_wait: WAIT,
        ..PATIENT
    })
    .await;
    let extra = "content-length: 100\r\nexpect: 100-continue\r\n";
    let mut held = send_head(addr, &post_head(Some(SECRET), extra)).await;
    let (status, head, _) = read_response(&mut held).await;
    assert_eq!(status, 100, "{head}");
    // A burst's next delivery waits for the slot instead of bouncing to the sender's retry.
    let waiting = tokio::spawn(async move {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .expect("send")
            .status()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "answered while the slot was taken");
    drop(held);
    let status = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("served once the slot freed")
        .expect("task");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_admin_listener_has_its_own_cap_and_request_deadline() {
    let limits = ListenerLimits {
        max_in_flight: 1,
        request_timeout: Duration::from_secs(2),
        ..PATIENT
    };
    let host = start_limited(AdminToken::new(Some(TOKEN.into())), limits).await;
    let addr: SocketAddr = host
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    // A plugin upload whose body never comes holds the one slot.
    let head = format!(
        "POST /api/clients/{CLIENT}/plugin/swap HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {TOKEN}\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n"
    );
    let mut held = send_head(addr, &head).await;
    let (status, head, _) = read_response(&mut held).await;
    assert_eq!(status, 100, "{head}");
    let (status, body) = host.get("/api/clients").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "overloaded");
    // The held upload is cut off at the request deadline, which frees the slot.
    let (status, head, body) = read_response(&mut held).await;
    assert_eq!(status, 408, "{head}");
    assert_eq!(body["code"], "timeout");
    let (status, body) = host.get("/api/clients").await;
    assert_eq!(status, 200, "{body}");
}
