//! Issue 3: pagination streams, annotations and notes, debug-chat sessions.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{StreamExt, TryStreamExt};
use polyai_sdk::Environment;
use polyai_sdk::Error;
use polyai_tests::{Reply, recording_client};
use serde_json::json;

fn cursor_of(request: &polyai_tests::RecordedRequest) -> Option<String> {
    request
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v)
}

fn conversations(ids: std::ops::Range<usize>) -> serde_json::Value {
    ids.map(|i| json!({"id": format!("CA{i:04}"), "turns": []}))
        .collect()
}

#[tokio::test]
async fn three_page_cursor_walk_yields_every_record_once() {
    let (server, client) = recording_client(|request| match cursor_of(request).as_deref() {
        None => Reply::json(
            200,
            json!({"conversations": conversations(0..3), "cursor": "p2"}),
        ),
        Some("p2") => Reply::json(
            200,
            json!({"conversations": conversations(3..6), "cursor": "p3"}),
        ),
        Some("p3") => Reply::json(
            200,
            json!({"conversations": conversations(6..8), "cursor": null}),
        ),
        Some(other) => Reply::json(400, json!({"error_message": format!("bad cursor {other}")})),
    })
    .await;
    let ids: Vec<String> = client
        .list_conversations("acme", "support")
        .page_size(3)
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .expect("walk");
    let expected: Vec<String> = (0..8).map(|i| format!("CA{i:04}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 8);
    let cursors: Vec<Option<String>> = server.requests().iter().map(cursor_of).collect();
    assert_eq!(cursors, vec![None, Some("p2".into()), Some("p3".into())]);
    for request in server.requests() {
        assert!(
            request
                .query_pairs()
                .contains(&("limit".into(), "3".into())),
            "filters repeat on every page"
        );
    }
}

#[tokio::test]
async fn pages_are_fetched_lazily() {
    let (server, client) = recording_client(|request| match cursor_of(request).as_deref() {
        None => Reply::json(
            200,
            json!({"conversations": conversations(0..2), "cursor": "p2"}),
        ),
        _ => Reply::json(
            200,
            json!({"conversations": conversations(2..4), "cursor": null}),
        ),
    })
    .await;
    let mut stream = Box::pin(client.list_conversations("acme", "support").stream());
    assert!(
        server.requests().is_empty(),
        "nothing is fetched before the stream is polled"
    );
    stream.next().await.expect("first").expect("ok");
    stream.next().await.expect("second").expect("ok");
    assert_eq!(
        server.requests().len(),
        1,
        "the second page waits until the first is consumed"
    );
    stream.next().await.expect("third").expect("ok");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_an_error() {
    let (server, client) = recording_client(|request| match cursor_of(request).as_deref() {
        None => Reply::json(
            200,
            json!({"conversations": conversations(0..2), "cursor": "loop"}),
        ),
        _ => Reply::json(
            200,
            json!({"conversations": conversations(2..4), "cursor": "loop"}),
        ),
    })
    .await;
    let results: Vec<Result<_, Error>> = client
        .list_conversations("acme", "support")
        .stream()
        .collect()
        .await;
    let (ok, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(
        ok.len(),
        4,
        "both pages were yielded before the loop was detected"
    );
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("second time")
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn endless_empty_pages_end_the_stream_with_an_error() {
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&counter);
    let (_server, client) = recording_client(move |_| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        Reply::json(200, json!({"conversations": [], "cursor": format!("c{n}")}))
    })
    .await;
    let results: Vec<Result<_, Error>> = client
        .list_conversations("acme", "support")
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    assert!(
        results[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("empty pages")
    );
    assert!(
        counter.load(Ordering::SeqCst) <= 20,
        "bounded number of requests"
    );
}

#[tokio::test]
async fn invalid_listing_input_fails_before_any_request() {
    let (server, client) =
        recording_client(|_| Reply::json(200, json!({"conversations": []}))).await;
    let cases = [
        client.list_conversations("acme", "support").page_size(0),
        client.list_conversations("acme", "support").page_size(1001),
        client.list_conversations("", "support"),
        client.list_conversations("acme", ".."),
        client.list_conversations("acme", "support").between(
            "2026-07-02T00:00:00Z".parse().unwrap(),
            "2026-07-01T00:00:00Z".parse().unwrap(),
        ),
        client
            .list_conversations("acme", "support")
            .variant_id("a")
            .variant_name("b"),
        client
            .list_conversations("acme", "support")
            .search_transcripts("  "),
        client
            .list_conversations("acme", "support")
            .turn_type(polyai_sdk::conversations::TurnType::User),
    ];
    for listing in cases {
        let error = listing.clone().first_page().await.expect_err("invalid");
        assert!(
            matches!(error, Error::InvalidInput(_)),
            "{listing:?}: {error:?}"
        );
        let from_stream = listing
            .stream()
            .next()
            .await
            .expect("one item")
            .expect_err("invalid");
        assert!(matches!(from_stream, Error::InvalidInput(_)));
    }
    assert!(server.requests().is_empty());
    // 1 and 1000 are accepted.
    client
        .list_conversations("acme", "support")
        .page_size(1)
        .first_page()
        .await
        .unwrap();
    client
        .list_conversations("acme", "support")
        .page_size(1000)
        .first_page()
        .await
        .unwrap();
}

#[tokio::test]
async fn agent_conversation_list_pages_by_offset() {
    let (server, client) = recording_client(|request| {
        let offset: usize = request
            .query_pairs()
            .iter()
            .find(|(k, _)| k == "offset")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let end = (offset + 2).min(5);
        let items: Vec<_> = (offset..end)
            .map(|i| json!({"conversationId": format!("CA{i}")}))
            .collect();
        Reply::json(
            200,
            json!({"conversations": items, "count": 5, "limit": 2, "offset": offset}),
        )
    })
    .await;
    let ids: Vec<String> = client
        .list_agent_conversations("agent-1")
        .page_size(2)
        .stream()
        .map_ok(|c| c.conversation_id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["CA0", "CA1", "CA2", "CA3", "CA4"]);
    let offsets: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.query_pairs()
                .into_iter()
                .find(|(k, _)| k == "offset")
                .unwrap()
                .1
        })
        .collect();
    assert_eq!(offsets, ["0", "2", "4"]);
    let error = client
        .list_agent_conversations("agent-1")
        .page_size(0)
        .stream()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)));
}

#[tokio::test]
async fn empty_annotation_list_is_refused_before_sending() {
    let (server, client) = recording_client(|_| Reply::json(201, json!({"success": true}))).await;
    // The generated call checks the document's limits (minItems 1, turnId minimum 0).
    let error = crate::annotate(&client, "agent", "CA1", vec![])
        .await
        .expect_err("empty");
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.contains("annotations")),
        "{error:?}"
    );
    use polyai_sdk::types::data::AnnotationRole;
    let error = crate::annotate(
        &client,
        "agent",
        "CA1",
        vec![crate::annotation(-1, AnnotationRole::User, "wrong_info")],
    )
    .await
    .expect_err("negative");
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(server.requests().is_empty());
    crate::annotate(
        &client,
        "agent",
        "CA1",
        vec![crate::annotation(0, AnnotationRole::User, "missing_topic")],
    )
    .await
    .unwrap();
    assert_eq!(
        server.single_request().json()["annotations"][0]["annotationType"],
        "missing_topic"
    );
}

#[tokio::test]
async fn many_debug_chat_sessions_run_concurrently_on_one_client() {
    let (server, client) = recording_client(|request| {
        let body: serde_json::Value = if request.body.is_empty() { json!({}) } else { request.json() };
        if request.path.ends_with("/debug-chat") {
            let id = body["conversationId"].as_str().unwrap_or("generated").to_string();
            Reply::json(201, json!({"conversationId": id, "response": "Hello", "conversationEnded": false}))
        } else {
            let message = body["message"].as_str().unwrap_or("");
            let id = request.path.rsplit('/').next().unwrap_or("");
            Reply::json(200, json!({"conversationId": id, "userInput": message, "response": format!("echo {message}"),
                                    "conversationEnded": message == "bye"}))
        }
    })
    .await;
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut session = client
                    .debug_chat_session("agent", Environment::Sandbox)
                    .conversation_id(format!("dbg-{n}"))
                    .start()
                    .await?;
                let mut replies = Vec::new();
                for text in [format!("hello {n}"), "bye".to_string()] {
                    replies.push(session.send(text).await?.response.unwrap_or_default());
                }
                Ok::<_, Error>((
                    session.conversation_id().to_string(),
                    replies,
                    session.is_ended(),
                ))
            })
        })
        .collect();
    for (n, task) in tasks.into_iter().enumerate() {
        let (id, replies, ended) = task.await.unwrap().unwrap();
        assert_eq!(id, format!("dbg-{n}"));
        assert_eq!(
            replies,
            vec![format!("echo hello {n}"), "echo bye".to_string()]
        );
        assert!(ended);
    }
    assert_eq!(server.requests().len(), 150);
}
