//! Issue 14: every call emits one `polyai_sdk::call` event when it completes, with the
//! operation, method, status, attempts, elapsed time and correlation id, and never the API key
//! or a query string.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use polyai_sdk::retry::{Jitter, RetryPolicy};
use polyai_sdk::{Client, RetryBudget};
use polyai_tests::capture::{CapturedEvent, capture, run_alone};
use polyai_tests::{RecordingServer, Reply};
use serde_json::json;

const KEY: &str = "sk-telemetry-9b3f2c";

/// Answers the webhook listing: 404 for `enabled=false`, otherwise 503 to the first request
/// and 200 after, each with a correlation id numbered by arrival.
fn listing(seen: Arc<AtomicUsize>) -> impl Fn(&polyai_tests::RecordedRequest) -> Reply {
    move |request| {
        let number = seen.fetch_add(1, Ordering::SeqCst);
        let correlation = format!("corr-{number}");
        let reply = if request.query.as_deref() == Some("enabled=false") {
            Reply::json(
                404,
                json!({"success": false, "error": "Not Found", "error_id": correlation,
                       "error_code": "NOT_FOUND", "error_message": "no such endpoint", "data": null}),
            )
        } else if number == 0 {
            Reply::json(503, json!({"error": "busy"}))
        } else {
            Reply::json(200, json!({"data": []}))
        };
        reply.header("X-PolyAI-Correlation-Id", &correlation)
    }
}

fn client_at(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry_policy(
            RetryPolicy::standard()
                .initial_backoff(Duration::from_millis(2))
                .jitter(Jitter::none()),
        )
        .retry_budget(RetryBudget::disabled())
        .build()
        .expect("client")
}

fn field<'a>(event: &'a CapturedEvent, name: &str) -> &'a str {
    event
        .field(name)
        .unwrap_or_else(|| panic!("no {name} in {event:?}"))
}

#[tokio::test]
async fn every_call_emits_one_completion_event() {
    if !run_alone("telemetry::every_call_emits_one_completion_event") {
        return;
    }
    let (events, _guard) = capture();
    let server = RecordingServer::start(listing(Arc::default())).await;
    let client = client_at(server.base_url());
    let endpoints = client.webhook_endpoints();

    // A retried call: 503, then 200 after exactly 2 ms (no jitter).
    endpoints
        .list_webhook_endpoints()
        .enabled(true)
        .send()
        .await
        .expect("200 after one retry");
    let calls = events.of_target("polyai_sdk::call");
    assert_eq!(calls.len(), 1, "one event for a retried call: {calls:#?}");
    let retried = &calls[0];
    assert_eq!(retried.level, tracing::Level::DEBUG);
    assert_eq!(field(retried, "operation"), "list_webhook_endpoints");
    assert_eq!(field(retried, "method"), "GET");
    assert_eq!(field(retried, "host"), "agents");
    assert_eq!(field(retried, "status"), "200");
    assert_eq!(field(retried, "attempts"), "2");
    assert_eq!(field(retried, "correlation_id"), "corr-1");
    let elapsed: u64 = field(retried, "elapsed_ms").parse().expect("a number");
    let waits: Vec<_> = events
        .all()
        .into_iter()
        .filter(|event| event.field("message") == Some("request failed; retrying"))
        .map(|event| field(&event, "wait_ms").to_string())
        .collect();
    assert_eq!(
        waits,
        ["2"],
        "the one retry waited exactly the backoff bound"
    );
    assert!(
        elapsed >= 2,
        "the elapsed time includes the wait: {elapsed}"
    );

    // A success at the first attempt.
    events.clear();
    endpoints
        .list_webhook_endpoints()
        .enabled(true)
        .send()
        .await
        .expect("200");
    let calls = events.of_target("polyai_sdk::call");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(field(&calls[0], "status"), "200");
    assert_eq!(field(&calls[0], "attempts"), "1");
    assert_eq!(field(&calls[0], "correlation_id"), "corr-2");

    // An error status, not retried.
    events.clear();
    let error = endpoints
        .list_webhook_endpoints()
        .enabled(false)
        .send()
        .await
        .expect_err("404");
    let calls = events.of_target("polyai_sdk::call");
    assert_eq!(calls.len(), 1, "{calls:#?} for {error:?}");
    assert_eq!(field(&calls[0], "status"), "404");
    assert_eq!(field(&calls[0], "attempts"), "1");
    assert_eq!(field(&calls[0], "correlation_id"), "corr-3");

    // No answer at all: the kind of failure, after every attempt.
    events.clear();
    let closed = client_at(&polyai_tests::closed_port_url());
    closed
        .webhook_endpoints()
        .list_webhook_endpoints()
        .send()
        .await
        .expect_err("nothing listens");
    let calls = events.of_target("polyai_sdk::call");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(field(&calls[0], "error"), "connect");
    assert_eq!(field(&calls[0], "attempts"), "3");
    assert!(calls[0].field("status").is_none(), "{:?}", calls[0]);
    assert!(calls[0].field("correlation_id").is_none(), "{:?}", calls[0]);
    assert_eq!(server.requests().len(), 4);
}

/// Nothing the SDK logs, at any level, carries the API key or a query string.
#[tokio::test]
async fn no_event_carries_the_key_or_a_query() {
    if !run_alone("telemetry::no_event_carries_the_key_or_a_query") {
        return;
    }
    let (events, _guard) = capture();
    let server = RecordingServer::start(listing(Arc::default())).await;
    let client = client_at(server.base_url());
    for enabled in [true, false, true] {
        let _ = client
            .webhook_endpoints()
            .list_webhook_endpoints()
            .enabled(enabled)
            .send()
            .await;
    }
    let logged = events.all();
    let sdk: Vec<_> = logged
        .iter()
        .filter(|event| event.target.starts_with("polyai_sdk"))
        .collect();
    assert!(
        sdk.len() >= 4,
        "a retry warning and three completions: {sdk:#?}"
    );
    for event in &logged {
        for (name, value) in &event.fields {
            assert!(
                !value.contains(KEY),
                "{name} carries the API key: {event:?}"
            );
            assert!(
                !value.contains("enabled="),
                "{name} carries the query: {event:?}"
            );
        }
    }
}

/// A seeded jitter source gives the same waits on every run: SplitMix64's first two draws
/// for seed 1234567 scale the 100 ms and 200 ms bounds to 35.0 ms and 34.7 ms.
#[tokio::test]
async fn seeded_jitter_gives_exact_waits() {
    if !run_alone("telemetry::seeded_jitter_gives_exact_waits") {
        return;
    }
    let (events, _guard) = capture();
    let seen = Arc::new(AtomicUsize::new(0));
    let server = RecordingServer::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::json(503, json!({"error": "busy"}))
        } else {
            Reply::json(200, json!({"data": []}))
        }
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_policy(
            RetryPolicy::standard()
                .initial_backoff(Duration::from_millis(100))
                .jitter(Jitter::seeded(1_234_567)),
        )
        .build()
        .expect("client");
    client
        .webhook_endpoints()
        .list_webhook_endpoints()
        .send()
        .await
        .expect("200 at the third attempt");
    let waits: Vec<_> = events
        .all()
        .into_iter()
        .filter(|event| event.field("message") == Some("request failed; retrying"))
        .map(|event| field(&event, "wait_ms").to_string())
        .collect();
    assert_eq!(waits, ["35", "34"]);
    let calls = events.of_target("polyai_sdk::call");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(field(&calls[0], "attempts"), "3");
}
