//! Issue 14 point 1: every family's call, written the way a user writes it first
//! (`client.family().operation()...send().await`), fails with a `polyai_sdk::Error` that
//! carries the server's status, PolyAI's code and message and the correlation id, for each of
//! the error shapes PolyAI uses.

use std::future::Future;
use std::pin::Pin;

use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
use polyai_sdk::{Client, Error, RetryPolicy};
use polyai_tests::{RecordingServer, Reply};
use serde_json::{Value, json};

const CORRELATION_ID: &str = "corr-7f3a9c";

/// One error shape PolyAI answers with, and what its `Display` must then show.
struct Shape {
    name: &'static str,
    status: u16,
    body: Value,
    /// Text the error's `Display` must contain besides the status and correlation id.
    shows: &'static [&'static str],
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "PolyAI's envelope",
            status: 400,
            body: json!({"success": false, "error": "Bad Request", "error_id": CORRELATION_ID,
                         "error_code": "INVALID_PARAMETER",
                         "error_message": "url must be an absolute https:// URL", "data": null}),
            shows: &["INVALID_PARAMETER", "url must be an absolute https:// URL"],
        },
        Shape {
            name: "a bare error_message",
            status: 403,
            body: json!({"error_message": "this key has no access to project support"}),
            shows: &[
                "this key has no access to project support",
                "scoped to one project",
            ],
        },
        Shape {
            name: "a 422 validation detail list",
            status: 422,
            body: json!({"detail": [{"loc": ["body", "threshold"], "msg": "ensure this value is greater than 0",
                                     "type": "value_error"}]}),
            shows: &["threshold: ensure this value is greater than 0"],
        },
    ]
}

type Call<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// One call per family, each as a user writes it. The names are the `openapi/` documents
/// (external events has no generated operation: its call is the hand-written one).
fn calls(client: &Client) -> Vec<(&'static str, Call<'_>)> {
    vec![
        (
            "agents",
            Box::pin(async move {
                client
                    .agents()
                    .list_agents()
                    .account_id("acme")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "alerts",
            Box::pin(async move { client.alerts().list_alert_rules().send().await.map(drop) }),
        ),
        (
            "chat",
            Box::pin(async move {
                client
                    .chat()
                    .close_chat()
                    .version("v1")
                    .account_id("acme")
                    .project_id("support")
                    .body_map(|body| body.conversation_id("chat-1"))
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "concurrent-calls",
            Box::pin(async move {
                client
                    .concurrent_calls()
                    .get_concurrent_calls()
                    .account_id("acme")
                    .project_id("support")
                    .start_time("2026-11-01T00:00:00Z")
                    .end_time("2026-11-02T00:00:00Z")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "conversations",
            Box::pin(async move {
                client
                    .conversations()
                    .list_conversations()
                    .account_id("acme")
                    .project_id("support")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "data",
            Box::pin(async move {
                client
                    .data()
                    .get_agent_conversation()
                    .agent_id("support")
                    .conversation_id("CA1")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "debug-chat",
            Box::pin(async move {
                client
                    .debug_chat()
                    .start_debug_chat()
                    .agent_id("support")
                    .body_map(|body| body.client_env("sandbox"))
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "dni",
            Box::pin(async move {
                client
                    .dni()
                    .reserve_dni()
                    .body_map(|body| body.attributes(serde_json::Map::new()))
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "external-events",
            Box::pin(async move {
                client
                    .post_external_event("acme", "support")
                    .event_id(ExternalEventIdLocation::Querystring, "cid")
                    .query("cid", "evt_1")
                    .body(ExternalEventBody::Text("status=ok".into()))
                    .send()
                    .await
            }),
        ),
        (
            "handoff",
            Box::pin(async move {
                client
                    .handoff()
                    .get_handoff_state()
                    .account_id("acme")
                    .project_id("support")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "outbound",
            Box::pin(async move {
                client
                    .outbound()
                    .get_legacy_outbound_call_status()
                    .call_sid("CA1")
                    .send()
                    .await
                    .map(drop)
            }),
        ),
        (
            "webhooks",
            Box::pin(async move {
                client
                    .webhook_endpoints()
                    .list_webhook_endpoints()
                    .send()
                    .await
                    .map(drop)
            }),
        ),
    ]
}

/// The stems of the documents in `openapi/`: one family each.
fn documented_families() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("openapi/ is readable")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .collect();
    stems.sort();
    stems
}

#[tokio::test]
async fn every_family_decodes_every_error_shape_into_the_sdk_error() {
    for shape in shapes() {
        let (status, body) = (shape.status, shape.body.clone());
        let server = RecordingServer::start(move |_| {
            Reply::json(status, body.clone()).header("x-polyai-correlation-id", CORRELATION_ID)
        })
        .await;
        let client = Client::builder()
            .api_key("sk-family-errors")
            .chat_token("chat-token")
            .outbound_token("outbound-token")
            .dni_api_key("dni-key")
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::disabled())
            .build()
            .expect("client");
        let calls = calls(&client);
        let mut covered: Vec<String> = calls.iter().map(|(name, _)| name.to_string()).collect();
        covered.sort();
        assert_eq!(
            covered,
            documented_families(),
            "one call per document in openapi/"
        );
        for (family, call) in calls {
            let error = call
                .await
                .expect_err(&format!("{family}: {} must fail", shape.name));
            let text = error.to_string();
            let context = format!("{family}, {}: {text}", shape.name);
            assert!(
                matches!(error, Error::Api(_)),
                "{context}: {error:?} is Error::Api"
            );
            assert_eq!(
                error.status().map(|s| s.as_u16()),
                Some(status),
                "{context}"
            );
            assert_eq!(error.correlation_id(), Some(CORRELATION_ID), "{context}");
            assert!(text.contains(&status.to_string()), "{context}");
            assert!(text.contains(CORRELATION_ID), "{context}");
            for shown in shape.shows {
                assert!(text.contains(shown), "{context} shows {shown:?}");
            }
            if shape.status == 422 {
                let details = error.api_error().and_then(|api| api.details.clone());
                assert_eq!(details, shape.body.get("detail").cloned(), "{context}");
            }
        }
        assert_eq!(
            server.requests().len(),
            documented_families().len(),
            "{}: every call reached the server once",
            shape.name
        );
    }
}

#[tokio::test]
async fn builder_values_that_are_missing_or_refused_are_invalid_input_with_a_hint() {
    let client = Client::builder()
        .api_key("sk-family-errors")
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("client");
    let error = client
        .data()
        .get_agent_conversation()
        .agent_id("support")
        .send()
        .await
        .expect_err("conversation_id is missing");
    let Error::InvalidInput(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("`conversation_id` is required") && message.contains(".conversation_id("),
        "{message}"
    );
    let error = client
        .webhook_endpoints()
        .create_webhook_endpoint()
        .body_map(|body| body.name("ops".to_owned()))
        .send()
        .await
        .expect_err("the body has no url");
    let Error::InvalidInput(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("the request body has no `") && message.contains(".body_map("),
        "{message}"
    );
}
