//! Issue 11, point 1: no id can reach another resource. Every path parameter of every family,
//! generated and hand-written, is either percent-encoded into exactly one segment (the server
//! sees the id, whole, where the template puts it) or refused with `Error::InvalidInput` before
//! anything is sent.

use std::future::Future;
use std::pin::Pin;

use polyai_sdk::retry::RetryPolicy;
use polyai_sdk::{Client, Error};
use polyai_tests::{RecordingServer, Reply};
use serde_json::json;

/// Ids a careless or hostile caller could pass. Some must be encoded, some refused.
const HOSTILE_IDS: &[&str] = &[
    r"x\..\CA2",
    r"..\CA2",
    r"x\..",
    r"\",
    r"a\b",
    "x/../CA2",
    "../CA2",
    "/",
    "a/b",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%2e.",
    "%2e",
    "%5c..%5cCA2",
    "%2f",
    "a?b=1",
    "a#frag",
    "a;b",
    "a b",
    "é/..",
    "...",
    ".a",
    "a.",
    "CA0123",
    ".",
    "..",
    "",
    "  ",
    "a\r\nX-Injected: 1",
    "a\0b",
    "\t",
    "a\u{7f}",
];

/// Whether the SDK must refuse `id` (no encoding keeps it one segment with the same meaning).
fn must_refuse(id: &str) -> bool {
    id.trim().is_empty() || id == "." || id == ".." || id.chars().any(char::is_control)
}

/// The test's own encoding of one segment: RFC 3986 unreserved characters as they are,
/// every other byte as `%XX`.
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

type Call = Box<dyn Fn(Client, Vec<String>) -> Pin<Box<dyn Future<Output = Result<(), Error>>>>>;

/// One operation: a name, its path template and a call that puts `args` (in template order)
/// into its path parameters.
struct Operation {
    name: &'static str,
    template: &'static str,
    call: Call,
}

macro_rules! operation {
    ($name:literal, $template:literal, |$client:ident, $args:ident| $body:expr) => {
        Operation {
            name: $name,
            template: $template,
            call: Box::new(|$client: Client, $args: Vec<String>| {
                Box::pin(async move {
                    let outcome = $body;
                    outcome.map(|_| ())
                })
            }),
        }
    };
}

/// Drops a generated call's success value.
async fn generated<T>(result: Result<T, Error>) -> Result<(), Error> {
    result.map(drop)
}

/// At least one operation with path parameters from every family, plus the hand-written
/// layers that build paths themselves or on top of generated calls.
fn operations() -> Vec<Operation> {
    use polyai_sdk::Environment;
    vec![
        operation!(
            "conversations.list_conversations",
            "/v3/{account_id}/{project_id}/conversations",
            |client, a| generated(
                client
                    .conversations()
                    .list_conversations()
                    .account_id(&a[0])
                    .project_id(&a[1])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "data.get_agent_conversation",
            "/v1/agents/{agentId}/conversations/{conversationId}",
            |client, a| generated(
                client
                    .data()
                    .get_agent_conversation()
                    .agent_id(&a[0])
                    .conversation_id(&a[1])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "debug_chat.send_debug_chat_message",
            "/v1/agents/{agentId}/debug-chat/{conversationId}",
            |client, a| generated(
                client
                    .debug_chat()
                    .send_debug_chat_message()
                    .agent_id(&a[0])
                    .conversation_id(&a[1])
                    .body_map(|b| b.client_env(Environment::Sandbox).message("hi"))
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "agents.delete_knowledge_base_topic",
            "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}",
            |client, a| generated(
                client
                    .agents()
                    .delete_knowledge_base_topic()
                    .agent_id(&a[0])
                    .branch_id(&a[1])
                    .topic_id(&a[2])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "agents.get_voice",
            "/v1/accounts/{accountId}/voice-library/{voiceId}",
            |client, a| generated(
                client
                    .agents()
                    .get_voice()
                    .account_id(&a[0])
                    .voice_id(&a[1])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "webhooks.delete_webhook_endpoint",
            "/v1/webhook-endpoints/{endpoint_id}",
            |client, a| generated(
                client
                    .webhook_endpoints()
                    .delete_webhook_endpoint()
                    .endpoint_id(&a[0])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "alerts.delete_alert_rule",
            "/v1/alert-rules/{rule_id}",
            |client, a| generated(
                client
                    .alerts()
                    .delete_alert_rule()
                    .rule_id(&a[0])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "chat.close_chat",
            "/{version}/{account_id}/{project_id}/chat/close",
            |client, a| generated(
                client
                    .chat()
                    .close_chat()
                    .version(&a[0])
                    .account_id(&a[1])
                    .project_id(&a[2])
                    .body_map(|b| b.conversation_id("c1"))
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "handoff.get_handoff_state",
            "/v1/{account_id}/{project_id}/handoff_state",
            |client, a| generated(
                client
                    .handoff()
                    .get_handoff_state()
                    .account_id(&a[0])
                    .project_id(&a[1])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "outbound.get_legacy_outbound_call_status",
            "/v1/outbound-calling/{call_sid}/status",
            |client, a| generated(
                client
                    .outbound()
                    .get_legacy_outbound_call_status()
                    .call_sid(&a[0])
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "concurrent_calls.get_concurrent_calls",
            "/v1/{account_id}/{project_id}/conversations/concurrency",
            |client, a| generated(
                client
                    .concurrent_calls()
                    .get_concurrent_calls()
                    .account_id(&a[0])
                    .project_id(&a[1])
                    .start_time("2026-01-01T00:00:00Z")
                    .end_time("2026-01-02T00:00:00Z")
                    .send()
                    .await
            )
            .await
        ),
        operation!(
            "Client::get_conversation (hand-written over data)",
            "/v1/agents/{agentId}/conversations/{conversationId}",
            |client, a| crate::detail(&client, &a[0], &a[1]).await
        ),
        operation!(
            "Client::audio (hand-written download)",
            "/v1/agents/{agentId}/conversations/{conversationId}/audio",
            |client, a| client.audio(&a[0], &a[1]).stream().await
        ),
        operation!(
            "Client::replace_audio_cache_file (hand-written upload)",
            "/v1/agents/{agentId}/audio-cache/{entryId}/file",
            |client, a| client
                .replace_audio_cache_file(&a[0], &a[1])
                .body(vec![1u8; 8])
                .send()
                .await
        ),
    ]
}

/// How many path parameters a template has.
fn parameter_count(template: &str) -> usize {
    template.split('/').filter(|s| s.starts_with('{')).count()
}

#[tokio::test]
async fn every_path_parameter_of_every_family_is_one_segment_or_refused() {
    let server = RecordingServer::start(|_| Reply::json(200, json!({}))).await;
    let client = Client::builder()
        .api_key("sk-paths")
        .chat_token("chat-token")
        .outbound_token("outbound-token")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();

    let mut checked = 0;
    let mut refused = 0;
    for operation in operations() {
        let parameters = parameter_count(operation.template);
        // The hand-written upload's entry id must be numeric, so only its agent id is hostile.
        let hostile = if operation.template.contains("{entryId}") {
            1
        } else {
            parameters
        };
        for which in 0..hostile {
            for &id in HOSTILE_IDS {
                // Harmless defaults, numeric so that the audio cache's entry id is accepted.
                let mut args: Vec<String> =
                    (0..parameters).map(|i| format!("{}7", i + 1)).collect();
                args[which] = id.to_string();
                let before = server.requests().len();
                let outcome = (operation.call)(client.clone(), args.clone()).await;
                let sent = server.requests().len() - before;
                let label = format!("{} with {id:?} as parameter {which}", operation.name);
                if must_refuse(id) {
                    assert_eq!(sent, 0, "{label}: sent a request");
                    match outcome {
                        Err(Error::InvalidInput(message)) => assert!(
                            message.contains("nothing was sent"),
                            "{label}: unclear message {message:?}"
                        ),
                        other => panic!("{label}: expected InvalidInput, got {other:?}"),
                    }
                    refused += 1;
                    continue;
                }
                if let Err(Error::InvalidInput(message)) = &outcome {
                    panic!("{label}: refused a value that can be encoded: {message}");
                }
                assert_eq!(sent, 1, "{label}: expected exactly one request");
                let request = &server.requests()[before];
                let mut args = args.iter();
                let expected: Vec<String> = operation
                    .template
                    .split('/')
                    .map(|segment| match segment.starts_with('{') {
                        true => encode_segment(args.next().expect("an argument per parameter")),
                        false => segment.to_string(),
                    })
                    .collect();
                assert_eq!(request.path, expected.join("/"), "{label}");
                checked += 1;
            }
        }
    }
    // Every family, every hostile id: the table above covers 11 families and 3 hand-written
    // layers with 1 to 3 path parameters each.
    assert!(
        checked > 500 && refused > 100,
        "{checked} sent, {refused} refused"
    );
}

#[tokio::test]
async fn a_backslash_can_no_longer_reach_another_conversation() {
    // Before the fix, `x\..\CA2` was sent unencoded and the URL parser turned it into
    // `/v1/agents/agent-1/conversations/CA2`: another conversation.
    let server = RecordingServer::start(|_| Reply::json(200, json!({"conversationId": "x"}))).await;
    let client = Client::builder()
        .api_key("sk-paths")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let _ = crate::detail(&client, "agent-1", r"x\..\CA2").await;
    assert_eq!(
        server.single_request().path,
        "/v1/agents/agent-1/conversations/x%5C..%5CCA2"
    );
}
