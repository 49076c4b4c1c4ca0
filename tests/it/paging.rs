//! Issue 11, points 11 and 13: offset listings follow the reported total and detect a server
//! that ignores `offset`; a listing that fails on one page reports where it stopped and
//! resumes from there without losing or repeating a record.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};
use polyai_sdk::conversations::ListingPosition;
use polyai_sdk::{Client, Error, RetryPolicy};
use polyai_tests::{RecordedRequest, Reply, recording_client};
use serde_json::json;

fn query(request: &RecordedRequest, name: &str) -> Option<String> {
    request
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn offset_of(request: &RecordedRequest) -> usize {
    query(request, "offset").map_or(0, |o| o.parse().expect("numeric offset"))
}

fn summaries(ids: std::ops::Range<usize>) -> Vec<serde_json::Value> {
    ids.map(|i| json!({"conversationId": format!("CA{i:04}")}))
        .collect()
}

fn expected(ids: std::ops::Range<usize>) -> Vec<String> {
    ids.map(|i| format!("CA{i:04}")).collect()
}

#[tokio::test]
async fn offset_listing_follows_the_total_past_short_pages() {
    // 23 conversations, but the server never sends more than 7 per page, whatever is asked.
    let (server, client) = recording_client(|request| {
        let offset = offset_of(request);
        let end = (offset + 7).min(23);
        Reply::json(
            200,
            json!({"conversations": summaries(offset..end), "count": 23, "limit": 10, "offset": offset}),
        )
    })
    .await;
    let ids: Vec<String> = client
        .list_agent_conversations("agent-1")
        .page_size(10)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .expect("listing");
    assert_eq!(ids, expected(0..23), "every row, once, in order");
    let offsets: Vec<usize> = server.requests().iter().map(offset_of).collect();
    assert_eq!(
        offsets,
        [0, 7, 14, 21],
        "the offset advances by the rows received"
    );
}

#[tokio::test]
async fn offset_listing_without_a_total_ends_at_a_short_page_and_any_listing_at_an_empty_one() {
    // No `count`: the first short page is the last.
    let (server, client) = recording_client(|request| {
        let offset = offset_of(request);
        let end = (offset + 10).min(24);
        Reply::json(200, json!({"conversations": summaries(offset..end)}))
    })
    .await;
    let ids: Vec<String> = client
        .list_agent_conversations("agent-1")
        .page_size(10)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .expect("listing");
    assert_eq!(ids, expected(0..24));
    assert_eq!(server.requests().len(), 3);

    // A total that is never reached: the empty page ends the listing, without an error.
    let (server, client) = recording_client(|request| {
        let offset = offset_of(request);
        let rows = if offset < 20 {
            summaries(offset..offset + 10)
        } else {
            Vec::new()
        };
        Reply::json(200, json!({"conversations": rows, "count": 50}))
    })
    .await;
    let ids: Vec<String> = client
        .list_agent_conversations("agent-1")
        .page_size(10)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .expect("listing");
    assert_eq!(ids, expected(0..20));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_server_that_ignores_offset_is_an_error_not_a_loop() {
    // Always the first page, with a total that promises many more.
    let (server, client) = recording_client(|_| {
        Reply::json(
            200,
            json!({"conversations": summaries(0..10), "count": 1000, "limit": 10, "offset": 0}),
        )
    })
    .await;
    let results: Vec<Result<String, Error>> = client
        .list_agent_conversations("agent-1")
        .page_size(10)
        .stream()
        .map_ok(|c| c.conversation_id)
        .take(50)
        .collect()
        .await;
    let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    let ok: Vec<String> = ok.into_iter().map(Result::unwrap).collect();
    assert_eq!(ok, expected(0..10), "the first page once, no repeats");
    assert_eq!(errors.len(), 1, "then one error ends the stream");
    let error = errors.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::Transfer(m) if m.contains("ignores `offset`") && m.contains("offset 10")),
        "{error:?}"
    );
    assert_eq!(error.resume_position(), None, "not resumable");
    assert_eq!(server.requests().len(), 2, "stopped at the repeated page");
}

#[tokio::test]
async fn agent_page_sizes_are_sent_as_given_and_only_zero_is_refused() {
    let (server, client) = recording_client(|request| {
        let offset = offset_of(request);
        Reply::json(
            200,
            json!({"conversations": summaries(offset..offset + 3), "count": 3}),
        )
    })
    .await;
    let error = client
        .list_agent_conversations("agent-1")
        .page_size(0)
        .stream()
        .next()
        .await
        .expect("one item")
        .expect_err("0 is refused");
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(server.requests().is_empty(), "nothing sent for size 0");
    let ids: Vec<String> = client
        .list_agent_conversations("agent-1")
        .page_size(500)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .expect("500 is accepted");
    assert_eq!(ids, expected(0..3));
    assert_eq!(
        query(&server.single_request(), "limit").as_deref(),
        Some("500")
    );
}

#[tokio::test]
async fn a_failed_page_reports_its_cause_and_position_and_the_listing_resumes_there() {
    // Cursor listing: page 1 ok, the page at cursor p2 fails once with 503, then works.
    let failures = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failed_once = std::sync::Arc::clone(&failures);
    let (server, client) = recording_client(move |request| {
        let cursor = query(request, "cursor");
        match cursor.as_deref() {
            None => Reply::json(
                200,
                json!({"conversations": [{"id": "CA1"}, {"id": "CA2"}], "cursor": "p2"}),
            ),
            Some("p2")
                if failed_once.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 =>
            {
                Reply::json(
                    503,
                    json!({"success": false, "error_code": "SERVICE_UNAVAILABLE", "error_message": "try later"}),
                )
                .header("x-polyai-correlation-id", "corr-7")
            }
            Some("p2") => Reply::json(
                200,
                json!({"conversations": [{"id": "CA3"}], "cursor": null}),
            ),
            Some(other) => Reply::json(400, json!({"error_message": format!("bad cursor {other}")})),
        }
    })
    .await;
    let mut stream = client.list_conversations("acme", "support").stream();
    let mut ids = Vec::new();
    let error = loop {
        match stream.next().await.expect("the stream ends with the error") {
            Ok(conversation) => ids.push(conversation.id),
            Err(error) => break error,
        }
    };
    assert!(stream.next().await.is_none(), "the stream ends after it");
    assert_eq!(ids, ["CA1", "CA2"]);
    assert_eq!(
        error.resume_position(),
        Some(&ListingPosition::Cursor("p2".into()))
    );
    // The accessors see through the position to the cause.
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.correlation_id(), Some("corr-7"));
    assert_eq!(error.error_code(), Some("SERVICE_UNAVAILABLE"));
    assert!(error.is_retryable());
    assert!(matches!(error.underlying(), Error::Api(_)), "{error:?}");
    assert!(error.to_string().contains("cursor:p2"), "{error}");
    // The position survives a checkpoint file as text.
    let saved = error.resume_position().unwrap().to_string();
    let position: ListingPosition = saved.parse().expect("round trip");
    let rest: Vec<String> = client
        .list_conversations("acme", "support")
        .resume_from(position)
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .expect("resumed");
    assert_eq!(rest, ["CA3"]);
    assert_eq!(
        query(server.requests().last().unwrap(), "cursor").as_deref(),
        Some("p2")
    );

    // Offset listing: the failed page's position is its offset.
    let (_server, client) = recording_client(|request| {
        let offset = offset_of(request);
        if offset == 4 {
            return Reply::json(500, json!({"success": false, "error_code": "INTERNAL"}));
        }
        Reply::json(
            200,
            json!({"conversations": summaries(offset..(offset + 2).min(6)), "count": 6}),
        )
    })
    .await;
    let error = client
        .list_agent_conversations("agent-1")
        .page_size(2)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("page at offset 4 fails");
    assert_eq!(error.resume_position(), Some(&ListingPosition::Offset(4)));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    // A listing of the wrong kind refuses the position before sending anything.
    let wrong = client
        .list_conversations("acme", "support")
        .resume_from(ListingPosition::Offset(4))
        .first_page()
        .await
        .expect_err("v3 resumes from cursors");
    assert!(matches!(wrong, Error::InvalidInput(_)), "{wrong:?}");
}

/// A deterministic fault schedule for one route: about a third of its requests fail, by a
/// seeded generator; runs of two or more faults in a row occur, so a policy of two attempts is
/// exhausted now and then.
fn fault_plan(route: Route, seed: u64, requests: u64) -> FaultPlan {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % 100
    };
    let (mut unavailable, mut cut, mut stalled) = (Vec::new(), Vec::new(), Vec::new());
    for n in 1..=requests {
        match next() {
            0..=14 => unavailable.push(n),
            15..=29 => cut.push(n),
            30..=32 => stalled.push(n),
            _ => {}
        }
    }
    FaultPlan::new()
        .rule(
            FaultRule::new(Fault::ServiceUnavailable)
                .on(route)
                .requests(unavailable),
        )
        .rule(
            FaultRule::new(Fault::Reset { after_bytes: 3000 })
                .on(route)
                .requests(cut),
        )
        .rule(
            FaultRule::new(Fault::Stall(Duration::from_millis(800)))
                .on(route)
                .requests(stalled),
        )
}

fn faulty_client(mock: &MockServer) -> Client {
    Client::builder()
        .api_key(mock.api_key())
        .base_url(mock.base_url())
        .read_timeout(Duration::from_millis(300))
        .retry_policy(
            RetryPolicy::standard()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .expect("client")
}

/// Drains `start(position)` listings, resuming from each failure's position, until one ends
/// cleanly. Returns the ids and how many listings failed.
async fn list_resuming<S>(start: S) -> (Vec<String>, usize)
where
    S: Fn(Option<ListingPosition>) -> futures::stream::BoxStream<'static, Result<String, Error>>,
{
    let mut ids = Vec::new();
    let mut failures = 0;
    let mut position = None;
    loop {
        let mut stream = start(position.take());
        let mut failed = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(id) => ids.push(id),
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        let Some(error) = failed else {
            return (ids, failures);
        };
        failures += 1;
        assert!(failures < 500, "the listing keeps failing: {error}");
        // Only the injected faults fail the listing: 503, a stall past the read timeout, or a
        // body cut mid-response (a transport error); each is worth resuming.
        assert!(
            error.status().is_some_and(|s| s.as_u16() == 503)
                || matches!(
                    error.underlying(),
                    Error::Timeout { .. } | Error::Transport(_)
                ),
            "{error:?}"
        );
        assert!(error.is_retryable(), "{error:?}");
        position = Some(
            error
                .resume_position()
                .unwrap_or_else(|| panic!("a failed page reports its position: {error:?}"))
                .clone(),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_listing_resumed_after_exhausted_retries_yields_every_record_once_in_order() {
    let mock = MockServer::builder()
        .conversations(9_000)
        .seed(11)
        .start()
        .await;
    let client = faulty_client(&mock);
    let (account, project) = (mock.account_id().to_string(), mock.project_id().to_string());
    let clean: Vec<String> = client
        .list_conversations(&account, &project)
        .page_size(100)
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .expect("clean listing");
    assert!(clean.len() >= 2_000, "a few thousand: {}", clean.len());

    let plan = fault_plan(Route::ListConversations, 7, 400);
    mock.set_faults(plan);
    let (ids, failures) = list_resuming(|position| {
        let mut listing = client.list_conversations(&account, &project).page_size(100);
        if let Some(position) = position {
            listing = listing.resume_from(position);
        }
        listing.stream().map_ok(|c| c.id).boxed()
    })
    .await;
    let injected = mock.faults_injected().total;
    println!(
        "[paging] v3 cursor listing of {}: {injected} faults injected, \
         {failures} listings failed and were resumed",
        clean.len()
    );
    assert!(failures >= 1, "retries were exhausted at least once");
    assert!(injected >= 10, "faults were injected: {injected}");
    assert_eq!(ids.len(), clean.len(), "no record lost or repeated");
    assert!(ids == clean, "every record exactly once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_listing_resumed_after_exhausted_retries_yields_every_record_once_in_order() {
    let mock = MockServer::builder()
        .conversations(3_000)
        .seed(12)
        .start()
        .await;
    let client = faulty_client(&mock);
    let agent = mock.agent_id().to_string();
    let clean: Vec<String> = client
        .list_agent_conversations(&agent)
        .page_size(100)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .expect("clean listing");
    assert_eq!(clean.len(), 3_000);

    let plan = fault_plan(Route::ListAgentConversations, 8, 400);
    mock.set_faults(plan);
    let (ids, failures) = list_resuming(|position| {
        let mut listing = client.list_agent_conversations(&agent).page_size(100);
        if let Some(position) = position {
            listing = listing.resume_from(position);
        }
        listing.stream().map_ok(|c| c.conversation_id).boxed()
    })
    .await;
    let injected = mock.faults_injected().total;
    println!(
        "[paging] agent offset listing of {}: {injected} faults injected, \
         {failures} listings failed and were resumed",
        clean.len()
    );
    assert!(failures >= 1, "retries were exhausted at least once");
    assert!(injected >= 10, "faults were injected: {injected}");
    assert_eq!(ids.len(), clean.len(), "no record lost or repeated");
    assert!(ids == clean, "every record exactly once, in order");
}
