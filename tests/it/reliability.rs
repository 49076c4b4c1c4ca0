//! Issue 5: retries, timeouts, and a fault-injection suite on a deterministic schedule.
//!
//! The fault server answers 503, 429 with `Retry-After`, resets connections mid-response,
//! truncates bodies (declares more than it sends) and stalls, by request number. Under it the
//! SDK must not lose data, must not repeat side effects, and must not panic. Each scenario
//! prints how many faults were injected and how many the SDK survived.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polyai_sdk::Environment;
use polyai_sdk::retry::with_retry_policy;
use polyai_sdk::{Client, Error, RetryBudget, RetryPolicy};
use polyai_tests::faults::{Fault, Tally, apply, listing_scenario, scheduled, suite_client};
use polyai_tests::{RawReply, RawServer, sha256_hex};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_survives_faults_exactly_once_in_order() {
    listing_scenario().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_downloads_survive_faults_or_fail_cleanly() {
    let tally = Arc::new(Tally::default());
    let server_tally = Arc::clone(&tally);
    let recording = |id: usize| -> Vec<u8> {
        (0..200_000usize)
            .map(|i| ((i * 31 + id * 7) % 251) as u8)
            .collect()
    };
    let server = RawServer::start(move |n, request| {
        let id: usize = request
            .target
            .split('/')
            .nth(5)
            .and_then(|c| c.strip_prefix("CA"))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = recording(id);
        let etag = format!("\"rec-{id}\"");
        let good = match request.range_start() {
            Some(start)
                if request.header("if-range") == Some(etag.as_str()) && start < body.len() =>
            {
                RawReply::audio_from(&body, start, &etag)
            }
            _ => RawReply::audio(&body, &etag, None),
        };
        apply(scheduled(n), good, &server_tally)
    })
    .await;
    let client = suite_client(&server);
    let dir = tempfile::tempdir().unwrap();
    let (mut saved, mut failed) = (0, 0);
    for id in 0..20 {
        let target = dir.path().join(format!("CA{id}.wav"));
        match client
            .audio("agent", format!("CA{id}"))
            .max_resumes(8)
            .save_to(&target)
            .await
        {
            Ok(report) => {
                saved += 1;
                assert_eq!(
                    sha256_hex(&std::fs::read(&target).unwrap()),
                    sha256_hex(&recording(id)),
                    "CA{id} byte-identical"
                );
                assert_eq!(report.bytes, 200_000);
            }
            Err(error) => {
                failed += 1;
                assert!(
                    !target.exists(),
                    "CA{id}: nothing at the destination after {error}"
                );
                assert!(!error.to_string().is_empty());
            }
        }
    }
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(stray.is_empty(), "no temporary files remain");
    assert!(tally.total() >= 5);
    println!("[fault suite] audio: {saved} of 20 saved byte-identical, {failed} failed cleanly");
    tally.report("20 audio downloads", failed == 0);
    assert_eq!(saved, 20, "with resumes allowed every download completes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debug_chat_message_is_never_delivered_twice() {
    let tally = Arc::new(Tally::default());
    let server_tally = Arc::clone(&tally);
    let deliveries: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let server_deliveries = Arc::clone(&deliveries);
    let server = RawServer::start(move |n, request| {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or(json!({}));
        let conversation = request.target.rsplit('/').next().unwrap_or("").to_string();
        if request.target.ends_with("/debug-chat") {
            let id = body["conversationId"].as_str().unwrap_or("x").to_string();
            return RawReply::json(
                "201 Created",
                &json!({"conversationId": id, "response": "Hello"}),
            );
        }
        let fault = scheduled(n);
        // Faults that answer before processing (503, 429) do not deliver; the others do.
        if !matches!(fault, Some(Fault::Unavailable | Fault::RateLimited)) {
            let message = body["message"].as_str().unwrap_or("").to_string();
            *server_deliveries
                .lock()
                .unwrap()
                .entry(message)
                .or_default() += 1;
        }
        let good = RawReply::json(
            "200 OK",
            &json!({"conversationId": conversation, "response": "ok", "conversationEnded": false}),
        );
        apply(fault, good, &server_tally)
    })
    .await;
    let client = suite_client(&server);
    let (mut ok, mut failed) = (0, 0);
    for n in 0..40 {
        let mut session = client
            .debug_chat_session("agent", Environment::Sandbox)
            .conversation_id(format!("dbg-{n}"))
            .start()
            .await
            .expect("start");
        match session.send(format!("message {n}")).await {
            Ok(_) => ok += 1,
            Err(error) => {
                failed += 1;
                assert!(
                    error.status().is_some()
                        || matches!(error, Error::Timeout { .. } | Error::Transport(_)),
                    "{error:?}"
                );
            }
        }
    }
    let deliveries = deliveries.lock().unwrap();
    assert!(
        deliveries.values().all(|&count| count == 1),
        "a message was delivered twice: {deliveries:?}"
    );
    println!(
        "[fault suite] debug chat: {ok} replies, {failed} errors surfaced to the caller, 0 duplicate deliveries"
    );
    tally.report(
        "40 debug-chat sends (not retried after the server may have seen them)",
        true,
    );
    assert!(failed > 0, "the schedule hit some sends");
}

/// A server that answers every other request (from the first) with `status` and
/// `Retry-After: {retry_after}`, and the others with a conversation; counts what it receives.
async fn retry_after_server(
    status: &'static str,
    retry_after: impl Fn() -> String + Send + Sync + 'static,
) -> (RawServer, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let server = RawServer::start(move |n, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        if n % 2 == 0 {
            RawReply::json(status, &json!({"error_code": "RATE_LIMITED"}))
                .header("Retry-After", &retry_after())
        } else {
            RawReply::json("200 OK", &json!({"conversationId": "CA1"}))
        }
    })
    .await;
    (server, calls)
}

fn plain_client(server: &RawServer) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_retry_after_within_the_budget_is_waited_in_full() {
    let (server, calls) = retry_after_server("429 Too Many Requests", || "2".into()).await;
    let client = plain_client(&server);
    // The default policy: 30 s of waiting allowed, so the 2 s asked for are waited in full.
    let started = Instant::now();
    crate::detail(&client, "a", "CA1")
        .await
        .expect("retried after Retry-After");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "retried after {:?}, before the 2 s the server asked",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Per call: no retries at all, and the error carries the wait.
    let error = with_retry_policy(RetryPolicy::disabled(), crate::detail(&client, "a", "CA1"))
        .await
        .expect_err("not retried");
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(2)),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_fails_at_once_carrying_the_wait() {
    // 429 asking for 2 minutes, more than the default 30 s budget: one request, no wait.
    let (server, calls) = retry_after_server("429 Too Many Requests", || "120".into()).await;
    let client = plain_client(&server);
    let started = Instant::now();
    let error = crate::detail(&client, "a", "CA1")
        .await
        .expect_err("not retried");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one request, no retry");
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("120 s") && text.contains("30 s") && text.contains("not retried"),
        "the message says how long the server asked and that it exceeds the budget: {text}"
    );

    // A cap on single waits gives up too, instead of retrying before the server asked (the
    // old behaviour clamped the wait to the cap and retried after 10 ms).
    let (server, calls) = retry_after_server("429 Too Many Requests", || "1".into()).await;
    let client = plain_client(&server);
    let capped = RetryPolicy::standard().max_retry_after(Duration::from_millis(10));
    let error = with_retry_policy(capped, crate::detail(&client, "a", "CA1"))
        .await
        .expect_err("not retried early");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "never retried before the server asked"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert!(error.to_string().contains("max_retry_after"), "{error}");

    // A 503 with a long Retry-After: the wait is on the `Error::Api` too.
    let (server, calls) = retry_after_server("503 Service Unavailable", || "3600".into()).await;
    let client = plain_client(&server);
    let error = crate::detail(&client, "a", "CA1")
        .await
        .expect_err("not retried");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(error.to_string().contains("3600 s"), "{error}");

    // Absurd values are refused the same way, never overflowing.
    let (server, calls) =
        retry_after_server("429 Too Many Requests", || u64::MAX.to_string()).await;
    let error = crate::detail(&plain_client(&server), "a", "CA1")
        .await
        .expect_err("not retried");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(u64::MAX)));
}

#[tokio::test]
async fn an_http_date_retry_after_is_honoured() {
    // Three seconds from now as an HTTP date (whole seconds, so at least 2 s from now).
    let (server, calls) = retry_after_server("429 Too Many Requests", || {
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3))
    })
    .await;
    let client = plain_client(&server);
    let started = Instant::now();
    crate::detail(&client, "a", "CA1")
        .await
        .expect("retried at the date");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // An hour from now: beyond the budget, so no retry, and the error says when to come back.
    let (server, calls) = retry_after_server("429 Too Many Requests", || {
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600))
    })
    .await;
    let error = crate::detail(&plain_client(&server), "a", "CA1")
        .await
        .expect_err("not retried");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let wait = error.retry_after().expect("the wait");
    assert!(
        wait > Duration::from_secs(3590) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );
}

/// A client with a fast backoff, so that an outage test runs in milliseconds.
fn outage_client(server: &RawServer, budget: RetryBudget) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .retry_policy(
            RetryPolicy::standard()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .retry_budget(budget)
        .build()
        .unwrap()
}

/// Makes `calls` concurrent get-conversation calls; returns how many failed.
async fn concurrent_calls(client: &Client, calls: usize, prefix: &str) -> usize {
    let results = futures::future::join_all((0..calls).map(|i| {
        let client = client.clone();
        let id = format!("{prefix}{i}");
        async move { crate::detail(&client, "agent", &id).await }
    }))
    .await;
    results.iter().filter(|r| r.is_err()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retry_budget_bounds_retries_during_an_outage_and_refills_after() {
    const CALLS: usize = 200;
    let outage = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let received = Arc::new(AtomicUsize::new(0));
    let flaky_seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let (server_outage, server_received, server_flaky) = (
        Arc::clone(&outage),
        Arc::clone(&received),
        Arc::clone(&flaky_seen),
    );
    let server = RawServer::start(move |_, request| {
        server_received.fetch_add(1, Ordering::SeqCst);
        let unavailable = || {
            RawReply::json(
                "503 Service Unavailable",
                &json!({"success": false, "error_code": "SERVICE_UNAVAILABLE"}),
            )
        };
        if server_outage.load(Ordering::SeqCst) {
            return unavailable();
        }
        // After the outage, a `flaky` conversation fails its first request only.
        if request.target.contains("flaky") {
            let mut seen = server_flaky.lock().unwrap();
            let count = seen.entry(request.target.clone()).or_default();
            *count += 1;
            if *count == 1 {
                return unavailable();
            }
        }
        RawReply::json("200 OK", &json!({"conversationId": "CA1"}))
    })
    .await;

    // Without the budget every call makes all three attempts.
    let unbounded = outage_client(&server, RetryBudget::disabled());
    assert_eq!(concurrent_calls(&unbounded, CALLS, "off").await, CALLS);
    let without = received.swap(0, Ordering::SeqCst);

    // With it, the retries stop when the bucket (500 tokens, 5 a retry) is empty.
    let client = outage_client(&server, RetryBudget::standard());
    assert_eq!(concurrent_calls(&client, CALLS, "on").await, CALLS);
    let with = received.swap(0, Ordering::SeqCst);
    println!(
        "[fault suite] outage, {CALLS} concurrent calls of 3 attempts: the server received \
         {without} requests without the retry budget, {with} with it"
    );
    assert_eq!(without, CALLS * 3);
    assert!(
        (CALLS..=CALLS + 500 / 5).contains(&with),
        "at most the first attempts plus capacity / cost retries: {with}"
    );
    assert_eq!(with, CALLS + 100, "every token was spent");

    // The outage ends. The bucket is empty, so a failing call is not retried yet, and says why.
    outage.store(false, Ordering::SeqCst);
    let error = crate::detail(&client, "agent", "flaky-1")
        .await
        .expect_err("no budget left to retry");
    assert_eq!(received.swap(0, Ordering::SeqCst), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.to_string().contains("retry budget"), "{error}");
    // Five successful calls put five tokens back: enough for one retry.
    assert_eq!(concurrent_calls(&client, 5, "ok").await, 0);
    received.store(0, Ordering::SeqCst);
    crate::detail(&client, "agent", "flaky-2")
        .await
        .expect("retried again once the budget refilled");
    assert_eq!(received.load(Ordering::SeqCst), 2, "the 503 and its retry");
}

#[tokio::test]
async fn the_retry_budget_is_shared_by_families_and_clones() {
    let received = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&received);
    let server = RawServer::start(move |_, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        RawReply::json("503 Service Unavailable", &json!({}))
    })
    .await;
    // Room for two retries in all.
    let budget = RetryBudget::standard().capacity(10);
    let client = outage_client(&server, budget.clone());
    crate::detail(&client, "agent", "CA1")
        .await
        .expect_err("503");
    assert_eq!(
        received.swap(0, Ordering::SeqCst),
        3,
        "two retries paid for"
    );
    // A clone, and another API family on another host family: the same, now empty, budget.
    let clone = client.clone();
    let error = clone
        .conversations()
        .list_conversations()
        .account_id("acme")
        .project_id("support")
        .send()
        .await
        .expect_err("503");
    assert_eq!(received.swap(0, Ordering::SeqCst), 1, "not retried");
    assert!(format!("{error:?}").contains("503"), "{error:?}");
    // Another client has its own budget.
    let other = outage_client(&server, budget);
    crate::detail(&other, "agent", "CA1")
        .await
        .expect_err("503");
    assert_eq!(received.swap(0, Ordering::SeqCst), 3);
}

#[tokio::test]
async fn side_effects_are_retried_only_when_opted_in() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    // Requests 0 (annotations), 1 (note, first try) and 3 (annotations opted in, first try) fail.
    let server = RawServer::start(move |n, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        if [0, 1, 3].contains(&n) {
            RawReply::json("503 Service Unavailable", &json!({}))
        } else {
            RawReply::json("201 Created", &json!({"success": true}))
        }
    })
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    use polyai_sdk::types::data::AnnotationRole;
    let one = || vec![crate::annotation(0, AnnotationRole::User, "wrong_info")];
    let error = crate::annotate(&client, "a", "c", one())
        .await
        .expect_err("503 is not retried for annotations");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The note upsert is idempotent: retried.
    crate::set_note(&client, "a", "c", "n")
        .await
        .expect("note retried");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Opting in retries annotations too.
    let opt_in = RetryPolicy::standard()
        .initial_backoff(Duration::from_millis(1))
        .retry_non_idempotent(true);
    with_retry_policy(opt_in, crate::annotate(&client, "a", "c", one()))
        .await
        .expect("retried when opted in");
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn connection_failures_are_retried_even_for_side_effects() {
    // Nothing listens: the request provably never reached a server, so a send may be retried.
    let client = Client::builder()
        .api_key("k")
        .base_url(polyai_tests::closed_port_url())
        .retry_policy(
            RetryPolicy::standard()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let error = client
        .debug_chat_session("agent", Environment::Sandbox)
        .start()
        .await
        .expect_err("no server");
    assert!(
        matches!(error, Error::Transport(_) | Error::Timeout { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn timeouts_bound_stalls_but_not_long_downloads() {
    let server = RawServer::start(|_, request| {
        if request.target.contains("/audio") {
            // A slow download that keeps flowing would be cut by a total deadline; a stall before
            // the first byte must hit the read timeout.
            let body = vec![7u8; 64];
            RawReply {
                status: "200 OK".into(),
                headers: vec![
                    ("Content-Type".into(), "audio/wav".into()),
                    ("Content-Length".into(), "64".into()),
                ],
                body,
                cut_after: None,
                stall: Some(Duration::from_millis(300)),
            }
        } else {
            RawReply {
                stall: Some(Duration::from_secs(3)),
                ..RawReply::json("200 OK", &json!({"conversationId": "CA1"}))
            }
        }
    })
    .await;
    let client = Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .read_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = crate::detail(&client, "a", "CA1")
        .await
        .expect_err("stalled");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // The 200 ms request deadline applies to JSON calls only: a 300 ms download still succeeds.
    let dir = tempfile::tempdir().unwrap();
    let saved = client
        .audio("a", "CA1")
        .save_to(dir.path().join("a.wav"))
        .await
        .expect("download not cut by the total deadline");
    assert_eq!(saved.bytes, 64);
}
