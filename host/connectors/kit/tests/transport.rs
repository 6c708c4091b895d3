//! The shared transport against a scripted loopback server: what it retries, how long it waits
//! and what it counts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use selvedge_connector_kit::transport::{Answer, Decision, Exchange, Failure, Transport};
use selvedge_connector_kit::{RetryPolicy, SandboxServer};

/// Answers `(status, retry-after)` in order, then 200.
async fn scripted(script: Vec<(u16, Option<&'static str>)>) -> SandboxServer {
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let router = Router::new().route(
        "/",
        any(move || {
            let script = Arc::clone(&script);
            async move {
                let next = script.lock().ok().and_then(|mut s| s.pop_front());
                let (status, retry_after) = next.unwrap_or((200, None));
                let mut headers = HeaderMap::new();
                if let Some(ra) = retry_after.and_then(|v| v.parse().ok()) {
                    headers.insert("retry-after", ra);
                }
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                (status, headers, format!("answer {}", status.as_u16()))
            }
        }),
    );
    SandboxServer::start_local(router)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The error a test connector maps a failure to.
#[derive(Debug, PartialEq)]
enum TestError {
    Status { status: u16, attempts: u32 },
    Lost { reading_body: bool, attempts: u32 },
}

struct Call {
    http: reqwest::Client,
    url: String,
    idempotent: bool,
    /// Answers the test connector reads itself: 409 is retried, 401 sent again at once.
    own_rules: bool,
}

impl Exchange for Call {
    type Error = TestError;

    fn describe(&self) -> String {
        format!("GET {}", self.url)
    }

    fn idempotent(&self) -> bool {
        self.idempotent
    }

    async fn request(&mut self) -> Result<reqwest::RequestBuilder, TestError> {
        Ok(self.http.get(&self.url))
    }

    fn refused(&mut self, answer: &Answer, default: Decision) -> Decision {
        match answer.status.as_u16() {
            409 if self.own_rules => Decision::Backoff(None),
            401 if self.own_rules => Decision::Again,
            _ => default,
        }
    }

    fn fail(self, failure: Failure, attempts: u32) -> TestError {
        match failure {
            Failure::Refused(answer) => TestError::Status {
                status: answer.status.as_u16(),
                attempts,
            },
            Failure::Lost { reading_body, .. } => TestError::Lost {
                reading_body,
                attempts,
            },
        }
    }
}

fn call(server: &SandboxServer, idempotent: bool) -> Call {
    Call {
        http: reqwest::Client::new(),
        url: format!("{}/", server.base_url()),
        idempotent,
        own_rules: false,
    }
}

fn transport(max_retries: usize) -> Transport {
    let policy = RetryPolicy {
        max_retries,
        base_delay_ms: 1,
        max_delay_ms: 2,
    };
    Transport::new("test", policy, Duration::from_secs(2))
}

#[tokio::test]
async fn a_5xx_is_retried_for_idempotent_calls_and_counted() {
    let server = scripted(vec![(503, None), (502, None)]).await;
    let t = transport(4);
    let answer = t.send(call(&server, true)).await;
    assert_eq!(answer.map(|a| a.body), Ok(b"answer 200".to_vec()));
    let stats = t.stats().snapshot();
    assert_eq!((stats.calls, stats.retries, stats.throttled), (3, 2, 0));
}

#[tokio::test]
async fn a_5xx_on_a_create_is_final_after_one_attempt() {
    let server = scripted(vec![(503, None)]).await;
    let t = transport(4);
    let err = t.send(call(&server, false)).await.err();
    assert_eq!(
        err,
        Some(TestError::Status {
            status: 503,
            attempts: 1
        })
    );
    assert_eq!(t.stats().snapshot().retries, 0);
}

#[tokio::test]
async fn a_429_waits_at_least_its_retry_after_whatever_the_method() {
    let server = scripted(vec![(429, Some("1"))]).await;
    let t = transport(4);
    let started = Instant::now();
    let answer = t.send(call(&server, false)).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    let stats = t.stats().snapshot();
    assert_eq!((stats.calls, stats.throttled, stats.retries), (2, 1, 1));
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_handed_back_at_once() {
    let server = scripted(vec![(429, Some("30"))]).await;
    let t = transport(4);
    let started = Instant::now();
    let err = t.send(call(&server, true)).await.err();
    assert_eq!(
        err,
        Some(TestError::Status {
            status: 429,
            attempts: 1
        })
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn the_policy_ends_the_retries() {
    let server = scripted(vec![(500, None); 5]).await;
    let t = transport(2);
    let err = t.send(call(&server, true)).await.err();
    assert_eq!(
        err,
        Some(TestError::Status {
            status: 500,
            attempts: 3
        })
    );
}

#[tokio::test]
async fn a_connector_may_retry_what_the_default_does_not_and_resend_without_counting() {
    let server = scripted(vec![(409, None), (401, None)]).await;
    let t = transport(4);
    let mut c = call(&server, true);
    c.own_rules = true;
    let answer = t.send(c).await;
    assert!(answer.is_ok(), "{answer:?}");
    let stats = t.stats().snapshot();
    assert_eq!((stats.calls, stats.retries), (3, 1));
}

#[tokio::test]
async fn no_answer_is_lost_and_retried_only_when_idempotent() {
    // Bound, then closed: nothing listens on the port.
    let server = scripted(vec![]).await;
    let url = format!("{}/", server.base_url());
    server.shutdown().await;
    let t = transport(2);
    let lost = |idempotent| Call {
        http: reqwest::Client::new(),
        url: url.clone(),
        idempotent,
        own_rules: false,
    };
    assert_eq!(
        t.send(lost(true)).await.err(),
        Some(TestError::Lost {
            reading_body: false,
            attempts: 3
        })
    );
    assert_eq!(
        t.send(lost(false)).await.err(),
        Some(TestError::Lost {
            reading_body: false,
            attempts: 1
        })
    );
}
