//! Issue 11, point 15: the request limits PolyAI publishes are enforced before anything is sent.
//! For each limit the value just inside the bound goes out (the loopback server sees one
//! request) and the value just outside is refused with an `Error::InvalidInput` naming the
//! field and the limit, while the server sees nothing.

use polyai_sdk::types::agents::{
    AgentResponseSettings, AgentVoiceSettings, ConnectorUpdate, ExampleQueriesInput,
    UpdateKnowledgeBaseTopicRequestName, UpdateVariantRequestName,
};
use polyai_sdk::types::alerts::{AlertMetric, WindowDuration};
use polyai_sdk::types::data::{AnnotationItem, AnnotationRole};
use polyai_sdk::types::webhook_endpoints::{
    UpdateWebhookEndpointRequestName, UpdateWebhookEndpointRequestUrl, WebhookEventType,
};
use polyai_sdk::{AlertOperator, AlertRuleProject, Client, Error};
use polyai_tests::{RecordedRequest, RecordingServer, Reply};
use serde_json::json;

/// A body every success schema used here decodes (their other fields are optional).
fn lenient_body() -> serde_json::Value {
    json!({
        "id": "x_1",
        "agentId": "agent-1",
        "branchId": "BRANCH-1",
        "signing_secret": "whsec_test",
        "behavior": "be kind",
    })
}

/// Sends one generated call to a fresh loopback server answering `$status`, and gives back
/// the SDK's result (value discarded) and every request the server received.
macro_rules! attempt {
    ($status:expr, |$client:ident| $call:expr) => {{
        let status: u16 = $status;
        let server = RecordingServer::start(move |_| {
            if status == 204 {
                Reply::bytes(204, "application/json", "")
            } else {
                Reply::json(status, lenient_body())
            }
        })
        .await;
        let $client = Client::builder()
            .api_key("sk-limits")
            .agents_base_url(server.base_url())
            .platform_base_url(server.base_url())
            .build()
            .unwrap();
        let outcome: Result<(), Error> = $call.send().await.map(drop);
        (outcome, server.requests())
    }};
}

/// The call went out, once, and succeeded; returns the request.
fn sent((outcome, requests): (Result<(), Error>, Vec<RecordedRequest>)) -> RecordedRequest {
    assert!(outcome.is_ok(), "expected success, got {outcome:?}");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests.into_iter().next().unwrap()
}

/// The call was refused before sending, with a message containing every `needle`.
fn refused((outcome, requests): (Result<(), Error>, Vec<RecordedRequest>), needles: &[&str]) {
    assert!(
        requests.is_empty(),
        "nothing may be sent, but the server saw {requests:#?}"
    );
    match outcome {
        Err(Error::InvalidInput(message)) => {
            for needle in needles {
                assert!(message.contains(needle), "{needle:?} not in {message:?}");
            }
        }
        other => panic!("expected Error::InvalidInput, got {other:?}"),
    }
}

fn chars(n: usize) -> String {
    "é".repeat(n)
}

// ------------------------------------------------------------------------ webhook endpoints

#[tokio::test]
async fn webhook_endpoint_name_is_1_to_255_characters() {
    let create = |name: String| {
        move |b: polyai_sdk::types::webhook_endpoints::builder::CreateWebhookEndpointRequest| {
            b.name(name)
                .url("https://hooks.example.com/polyai")
                .event_types(vec![WebhookEventType::AlertsTriggered])
        }
    };
    let body = sent(attempt!(201, |c| c
        .webhook_endpoints()
        .create_webhook_endpoint()
        .body_map(create(chars(255)))))
    .json();
    assert_eq!(body["name"].as_str().unwrap().chars().count(), 255);
    sent(attempt!(201, |c| c
        .webhook_endpoints()
        .create_webhook_endpoint()
        .body_map(create(chars(1)))));
    refused(
        attempt!(201, |c| c
            .webhook_endpoints()
            .create_webhook_endpoint()
            .body_map(create(chars(256)))),
        &["name", "longer than 255 characters"],
    );
    refused(
        attempt!(201, |c| c
            .webhook_endpoints()
            .create_webhook_endpoint()
            .body_map(create(String::new()))),
        &["name", "shorter than 1 characters"],
    );

    // The update's name is the same limit; an optional field takes the checked type itself.
    assert!(
        chars(255)
            .parse::<UpdateWebhookEndpointRequestName>()
            .is_ok()
    );
    let long = chars(256)
        .parse::<UpdateWebhookEndpointRequestName>()
        .unwrap_err();
    assert!(long.to_string().contains("longer than 255"), "{long}");
    assert!("".parse::<UpdateWebhookEndpointRequestName>().is_err());
    // Decoding a request from JSON cannot bypass it either.
    let decoded = serde_json::from_value::<
        polyai_sdk::types::webhook_endpoints::UpdateWebhookEndpointRequest,
    >(json!({"name": ""}));
    assert!(decoded.is_err());
}

#[tokio::test]
async fn webhook_endpoint_url_must_be_https() {
    let create = |url: &'static str| {
        move |b: polyai_sdk::types::webhook_endpoints::builder::CreateWebhookEndpointRequest| {
            b.name("ops")
                .url(url)
                .event_types(vec![WebhookEventType::AlertsTriggered])
        }
    };
    for good in [
        "https://h",
        "https://hooks.example.com/polyai?x=1",
        "https://10.0.0.1:8443",
    ] {
        let body = sent(attempt!(201, |c| c
            .webhook_endpoints()
            .create_webhook_endpoint()
            .body_map(create(good))))
        .json();
        assert_eq!(body["url"], good);
    }
    for bad in [
        "http://hooks.example.com/polyai",
        "https://",
        "https:///path",
        "HTTPS://hooks.example.com",
        " https://hooks.example.com",
        "https://hooks.example.com/a b",
        "hooks.example.com",
    ] {
        refused(
            attempt!(201, |c| c
                .webhook_endpoints()
                .create_webhook_endpoint()
                .body_map(create(bad))),
            &["url", "doesn't match pattern", "https://"],
        );
    }
    assert!(
        "https://hooks.example.com"
            .parse::<UpdateWebhookEndpointRequestUrl>()
            .is_ok()
    );
    assert!(
        "http://hooks.example.com"
            .parse::<UpdateWebhookEndpointRequestUrl>()
            .is_err()
    );
}

#[tokio::test]
async fn webhook_endpoint_needs_at_least_one_event_type() {
    let create = |types: Vec<WebhookEventType>| {
        move |b: polyai_sdk::types::webhook_endpoints::builder::CreateWebhookEndpointRequest| {
            b.name("ops")
                .url("https://hooks.example.com")
                .event_types(types)
        }
    };
    sent(attempt!(201, |c| c
        .webhook_endpoints()
        .create_webhook_endpoint()
        .body_map(create(vec![WebhookEventType::AlertsResolved]))));
    refused(
        attempt!(201, |c| c
            .webhook_endpoints()
            .create_webhook_endpoint()
            .body_map(create(Vec::new()))),
        &[
            "create_webhook_endpoint",
            "`event_types` has 0 items",
            "at least 1 item",
            "Nothing was sent",
        ],
    );
    // An update replaces the list with a non-empty one; an empty list is left out (the
    // subscription is unchanged) rather than sent.
    let body = sent(attempt!(200, |c| c
        .webhook_endpoints()
        .update_webhook_endpoint()
        .endpoint_id("whe_1")
        .body_map(|b| b.event_types(vec![WebhookEventType::AlertsTriggered]))))
    .json();
    assert_eq!(body, json!({"event_types": ["alerts.triggered"]}));
    let body = sent(attempt!(200, |c| c
        .webhook_endpoints()
        .update_webhook_endpoint()
        .endpoint_id("whe_1")
        .body_map(|b| b.event_types(Vec::new()).enabled(Some(true)))))
    .json();
    assert_eq!(body, json!({"enabled": true}));
}

#[tokio::test]
async fn webhook_endpoint_timeout_is_1000_to_30000_ms() {
    let create = |ms: i64| {
        move |b: polyai_sdk::types::webhook_endpoints::builder::CreateWebhookEndpointRequest| {
            b.name("ops")
                .url("https://hooks.example.com")
                .event_types(vec![WebhookEventType::AlertsTriggered])
                .timeout_ms(Some(ms))
        }
    };
    for ms in [1000, 30_000] {
        let body = sent(attempt!(201, |c| c
            .webhook_endpoints()
            .create_webhook_endpoint()
            .body_map(create(ms))))
        .json();
        assert_eq!(body["timeout_ms"], ms);
        sent(attempt!(200, |c| c
            .webhook_endpoints()
            .update_webhook_endpoint()
            .endpoint_id("whe_1")
            .body_map(|b| b.timeout_ms(Some(ms)))));
    }
    for ms in [999, 30_001] {
        refused(
            attempt!(201, |c| c
                .webhook_endpoints()
                .create_webhook_endpoint()
                .body_map(create(ms))),
            &[&format!("`timeout_ms` is {ms}"), "1000 to 30000"],
        );
        refused(
            attempt!(200, |c| c
                .webhook_endpoints()
                .update_webhook_endpoint()
                .endpoint_id("whe_1")
                .body_map(|b| b.timeout_ms(Some(ms)))),
            &[
                "update_webhook_endpoint",
                &format!("`timeout_ms` is {ms}"),
                "1000 to 30000",
            ],
        );
    }
}

// ----------------------------------------------------------------------------------- agents

fn greeting(text: &str) -> AgentResponseSettings {
    AgentResponseSettings::builder()
        .greeting(text)
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn agent_name_is_1_to_100_characters_and_its_id_letters_digits_hyphens() {
    let create = |name: String, id: Option<&'static str>| {
        move |b: polyai_sdk::types::agents::builder::CreateAgentRequest| {
            let b = b.name(name).response_settings(greeting("Hello"));
            match id {
                Some(id) => b.agent_id(Some(id.parse().unwrap())),
                None => b,
            }
        }
    };
    sent(attempt!(200, |c| c
        .agents()
        .create_agent()
        .account_id("acme")
        .body_map(create(chars(100), Some("my-Agent-01")))));
    refused(
        attempt!(200, |c| c
            .agents()
            .create_agent()
            .account_id("acme")
            .body_map(create(chars(101), None))),
        &["name", "longer than 100 characters"],
    );
    refused(
        attempt!(200, |c| c
            .agents()
            .create_agent()
            .account_id("acme")
            .body_map(create(String::new(), None))),
        &["name", "shorter than 1 characters"],
    );
    for bad in ["my agent", "my_agent", "", "agent/1", "agént"] {
        let error = bad
            .parse::<polyai_sdk::types::agents::CreateAgentRequestAgentId>()
            .unwrap_err();
        assert!(error.to_string().contains("^[a-zA-Z0-9-]+$"), "{error}");
    }
    // Decoding a request from JSON cannot bypass the pattern either.
    let decoded = serde_json::from_value::<polyai_sdk::types::agents::CreateAgentRequest>(json!({
        "name": "Support",
        "agentId": "my agent",
        "responseSettings": {"greeting": "Hello"},
    }));
    assert!(decoded.unwrap_err().to_string().contains("^[a-zA-Z0-9-]+$"));
}

#[tokio::test]
async fn agent_greeting_language_and_voice_are_not_empty() {
    use polyai_sdk::types::agents::AgentResponseSettingsLanguageCode as Language;
    let with = |greeting: &'static str| {
        move |b: polyai_sdk::types::agents::builder::CreateAgentRequest| {
            let settings = AgentResponseSettings::builder()
                .greeting(greeting)
                .language_code(Some("en-US".parse::<Language>().unwrap()));
            let voice = AgentVoiceSettings::try_from(AgentVoiceSettings::builder().voice_id("V"));
            b.name("Support")
                .response_settings(settings)
                .voice_settings(Some(voice.unwrap()))
        }
    };
    let body = sent(attempt!(200, |c| c
        .agents()
        .create_agent()
        .account_id("acme")
        .body_map(with("H"))))
    .json();
    assert_eq!(
        body["responseSettings"],
        json!({"greeting": "H", "languageCode": "en-US"})
    );
    refused(
        attempt!(200, |c| c
            .agents()
            .create_agent()
            .account_id("acme")
            .body_map(with(""))),
        &["response_settings", "greeting", "shorter than 1 characters"],
    );
    assert!("".parse::<Language>().is_err());
    let empty_voice = AgentVoiceSettings::try_from(AgentVoiceSettings::builder().voice_id(""));
    let message = empty_voice.unwrap_err().to_string();
    assert!(
        message.contains("voice_id") && message.contains("shorter than 1"),
        "{message}"
    );
}

#[tokio::test]
async fn duplicate_agent_name_and_id_have_the_create_limits() {
    sent(attempt!(200, |c| c
        .agents()
        .duplicate_agent()
        .agent_id("agent-1")
        .body_map(|b| b
            .new_agent_name(chars(100))
            .new_agent_id(Some("copy-1".parse().unwrap())))));
    refused(
        attempt!(200, |c| c
            .agents()
            .duplicate_agent()
            .agent_id("agent-1")
            .body_map(|b| b.new_agent_name(chars(101)))),
        &["new_agent_name", "longer than 100 characters"],
    );
    refused(
        attempt!(200, |c| c
            .agents()
            .duplicate_agent()
            .agent_id("agent-1")
            .body_map(|b| b.new_agent_name(""))),
        &["new_agent_name", "shorter than 1 characters"],
    );
    assert!(
        "copy 1"
            .parse::<polyai_sdk::types::agents::DuplicateAgentRequestNewAgentId>()
            .is_err()
    );
}

#[tokio::test]
async fn branch_name_is_1_to_100_characters() {
    let body = sent(attempt!(201, |c| c
        .agents()
        .create_branch()
        .agent_id("agent-1")
        .body_map(|b| b.branch_name(chars(100)))))
    .json();
    assert_eq!(body["branchName"].as_str().unwrap().chars().count(), 100);
    refused(
        attempt!(201, |c| c
            .agents()
            .create_branch()
            .agent_id("agent-1")
            .body_map(|b| b.branch_name(chars(101)))),
        &["branch_name", "longer than 100 characters"],
    );
    refused(
        attempt!(201, |c| c
            .agents()
            .create_branch()
            .agent_id("agent-1")
            .body_map(|b| b.branch_name(""))),
        &["branch_name", "shorter than 1 characters"],
    );
}

#[tokio::test]
async fn attribute_variant_behaviour_and_topic_texts_are_not_empty() {
    sent(attempt!(201, |c| c
        .agents()
        .create_attribute()
        .agent_id("a")
        .branch_id("b")
        .body_map(|b| b.name("x"))));
    refused(
        attempt!(201, |c| c
            .agents()
            .create_attribute()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b.name(""))),
        &["name", "shorter than 1 characters"],
    );
    refused(
        attempt!(200, |c| c
            .agents()
            .update_attribute()
            .agent_id("a")
            .branch_id("b")
            .attribute_id("c")
            .body_map(|b| b.name(""))),
        &["name", "shorter than 1 characters"],
    );
    sent(attempt!(201, |c| c
        .agents()
        .create_variant()
        .agent_id("a")
        .branch_id("b")
        .body_map(|b| b.name("x"))));
    refused(
        attempt!(201, |c| c
            .agents()
            .create_variant()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b.name(""))),
        &["name", "shorter than 1 characters"],
    );
    assert!("".parse::<UpdateVariantRequestName>().is_err());
    sent(attempt!(200, |c| c
        .agents()
        .update_variant()
        .agent_id("a")
        .branch_id("b")
        .variant_id("v")
        .body_map(|b| b.name(Some(
            "x".parse::<UpdateVariantRequestName>().unwrap()
        )))));
    sent(attempt!(200, |c| c
        .agents()
        .update_agent_behavior()
        .agent_id("a")
        .branch_id("b")
        .body_map(|b| b.behavior("x"))));
    refused(
        attempt!(200, |c| c
            .agents()
            .update_agent_behavior()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b.behavior(""))),
        &["behavior", "shorter than 1 characters"],
    );
    sent(attempt!(201, |c| c
        .agents()
        .create_knowledge_base_topic()
        .agent_id("a")
        .branch_id("b")
        .body_map(|b| b.name("x").content("y"))));
    refused(
        attempt!(201, |c| c
            .agents()
            .create_knowledge_base_topic()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b.name("").content("y"))),
        &["name", "shorter than 1 characters"],
    );
    refused(
        attempt!(201, |c| c
            .agents()
            .create_knowledge_base_topic()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b.name("x").content(""))),
        &["content", "shorter than 1 characters"],
    );
    assert!("".parse::<UpdateKnowledgeBaseTopicRequestName>().is_err());
}

#[tokio::test]
async fn topic_example_queries_are_at_most_100() {
    let queries = |n: usize| ExampleQueriesInput {
        queries: (0..n).map(|i| format!("question {i}?")).collect(),
    };
    let body = sent(attempt!(201, |c| c
        .agents()
        .create_knowledge_base_topic()
        .agent_id("a")
        .branch_id("b")
        .body_map(|b| b
            .name("x")
            .content("y")
            .example_queries(Some(queries(100))))))
    .json();
    assert_eq!(
        body["exampleQueries"]["queries"].as_array().unwrap().len(),
        100
    );
    refused(
        attempt!(201, |c| c
            .agents()
            .create_knowledge_base_topic()
            .agent_id("a")
            .branch_id("b")
            .body_map(|b| b
                .name("x")
                .content("y")
                .example_queries(Some(queries(101))))),
        &[
            "`exampleQueries.queries` has 101 items",
            "at most 100 items",
        ],
    );
    sent(attempt!(204, |c| c
        .agents()
        .update_knowledge_base_topic()
        .agent_id("a")
        .branch_id("b")
        .topic_id("t")
        .body_map(|b| b.example_queries(Some(queries(100))))));
    refused(
        attempt!(204, |c| c
            .agents()
            .update_knowledge_base_topic()
            .agent_id("a")
            .branch_id("b")
            .topic_id("t")
            .body_map(|b| b.example_queries(Some(queries(101))))),
        &[
            "update_knowledge_base_topic",
            "`exampleQueries.queries` has 101 items",
        ],
    );
}

#[tokio::test]
async fn audio_cache_bulk_delete_takes_1_to_20_ids() {
    let ids = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>();
    for n in [1, 20] {
        let body = sent(attempt!(200, |c| c
            .agents()
            .bulk_delete_audio_cache_entries()
            .agent_id("a")
            .body_map(|b| b.ids(ids(n)))))
        .json();
        assert_eq!(body["ids"].as_array().unwrap().len(), n);
    }
    for n in [0, 21] {
        refused(
            attempt!(200, |c| c
                .agents()
                .bulk_delete_audio_cache_entries()
                .agent_id("a")
                .body_map(|b| b.ids(ids(n)))),
            &[&format!("`ids` has {n} items"), "1 to 20 items"],
        );
    }
}

#[tokio::test]
async fn batch_lists_are_not_empty() {
    let one = || vec!["x".to_string()];
    let update = || ConnectorUpdate::builder().connector_id("conn-1");
    sent(attempt!(200, |c| c
        .agents()
        .batch_get_connectors()
        .agent_id("a")
        .body_map(|b| b.connector_ids(one()))));
    refused(
        attempt!(200, |c| c
            .agents()
            .batch_get_connectors()
            .agent_id("a")
            .body_map(|b| b.connector_ids(Vec::<String>::new()))),
        &["`connectorIds` has 0 items", "at least 1 item"],
    );
    sent(attempt!(200, |c| c
        .agents()
        .batch_update_connectors()
        .agent_id("a")
        .body_map(|b| b.updates(vec![
            ConnectorUpdate::try_from(update()).unwrap()
        ]))));
    refused(
        attempt!(200, |c| c
            .agents()
            .batch_update_connectors()
            .agent_id("a")
            .body_map(|b| b.updates(Vec::<ConnectorUpdate>::new()))),
        &["`updates` has 0 items"],
    );
    sent(attempt!(201, |c| c
        .agents()
        .import_phone_numbers()
        .agent_id("a")
        .body_map(|b| b.phone_numbers(one()))));
    refused(
        attempt!(201, |c| c
            .agents()
            .import_phone_numbers()
            .agent_id("a")
            .body_map(|b| b.phone_numbers(Vec::<String>::new()))),
        &["import_phone_numbers", "`phoneNumbers` has 0 items"],
    );
    sent(attempt!(200, |c| c
        .agents()
        .batch_get_phone_numbers()
        .agent_id("a")
        .body_map(|b| b.phone_numbers(one()))));
    refused(
        attempt!(200, |c| c
            .agents()
            .batch_get_phone_numbers()
            .agent_id("a")
            .body_map(|b| b.phone_numbers(Vec::<String>::new()))),
        &["batch_get_phone_numbers", "`phoneNumbers` has 0 items"],
    );
    sent(attempt!(200, |c| c
        .agents()
        .delete_phone_numbers()
        .agent_id("a")
        .body_map(|b| b.phone_numbers(one()))));
    refused(
        attempt!(200, |c| c
            .agents()
            .delete_phone_numbers()
            .agent_id("a")
            .body_map(|b| b.phone_numbers(Vec::<String>::new()))),
        &["delete_phone_numbers", "`phoneNumbers` has 0 items"],
    );
}

#[tokio::test]
async fn annotation_lists_and_turn_positions_are_checked_on_the_generated_call() {
    let item = |turn: i64| {
        AnnotationItem::try_from(
            AnnotationItem::builder()
                .turn_id(turn)
                .role(AnnotationRole::User)
                .annotation_type("wrong_info"),
        )
        .unwrap()
    };
    sent(attempt!(201, |c| c
        .data()
        .create_annotations()
        .agent_id("a")
        .conversation_id("CA1")
        .body_map(|b| b.annotations(vec![item(0)]))));
    refused(
        attempt!(201, |c| c
            .data()
            .create_annotations()
            .agent_id("a")
            .conversation_id("CA1")
            .body_map(|b| b.annotations(Vec::<AnnotationItem>::new()))),
        &["`annotations` has 0 items"],
    );
    // A limit inside list elements names the element.
    refused(
        attempt!(201, |c| c
            .data()
            .create_annotations()
            .agent_id("a")
            .conversation_id("CA1")
            .body_map(|b| b.annotations(vec![item(0), item(-1)]))),
        &["`annotations[1].turnId` is -1", "at least 0"],
    );
}

// ----------------------------------------------------------------------------------- alerts

fn rule(
    operator: &'static str,
    threshold: i64,
) -> impl FnOnce(
    polyai_sdk::types::alerts::builder::CreateAlertRuleRequest,
) -> polyai_sdk::types::alerts::builder::CreateAlertRuleRequest {
    move |b| {
        b.name("p95 latency")
            .metric(AlertMetric::TurnLatencyP95)
            .operator(operator)
            .threshold_value(threshold)
            .window_duration(WindowDuration::X5m)
    }
}

#[tokio::test]
async fn alert_rule_operator_is_one_of_four_symbols() {
    for op in [">", "<", ">=", "<="] {
        let body = sent(attempt!(201, |c| c
            .alerts()
            .create_alert_rule()
            .body_map(rule(op, 1500))))
        .json();
        assert_eq!(body["operator"], op);
    }
    for bad in ["=>", "==", "gt", ""] {
        refused(
            attempt!(201, |c| c
                .alerts()
                .create_alert_rule()
                .body_map(rule(bad, 1500))),
            &["operator", "`>`, `<`, `>=` or `<=`"],
        );
    }
    let body = sent(attempt!(200, |c| c
        .alerts()
        .update_alert_rule()
        .rule_id("ar_1")
        .body_map(|b| b.operator(Some(AlertOperator::AtMost)))))
    .json();
    assert_eq!(body, json!({"operator": "<="}));
}

#[tokio::test]
async fn alert_rule_threshold_is_not_negative() {
    let body = sent(attempt!(201, |c| c
        .alerts()
        .create_alert_rule()
        .body_map(rule(">", 0))))
    .json();
    assert_eq!(body["threshold_value"], 0);
    refused(
        attempt!(201, |c| c
            .alerts()
            .create_alert_rule()
            .body_map(rule(">", -1))),
        &["create_alert_rule", "`threshold_value` is -1", "at least 0"],
    );
    sent(attempt!(200, |c| c
        .alerts()
        .update_alert_rule()
        .rule_id("ar_1")
        .body_map(|b| b.threshold_value(Some(0)))));
    refused(
        attempt!(200, |c| c
            .alerts()
            .update_alert_rule()
            .rule_id("ar_1")
            .body_map(|b| b.threshold_value(Some(-1)))),
        &["update_alert_rule", "`threshold_value` is -1", "at least 0"],
    );
}

#[tokio::test]
async fn alert_rule_update_can_leave_set_or_clear_the_project() {
    let cleared = sent(attempt!(200, |c| c
        .alerts()
        .update_alert_rule()
        .rule_id("ar_1")
        .body_map(|b| b.project_id(Some(AlertRuleProject::WholeAccount)))));
    assert_eq!(cleared.body.as_ref(), br#"{"project_id":null}"#);

    let set = sent(attempt!(200, |c| c
        .alerts()
        .update_alert_rule()
        .rule_id("ar_1")
        .body_map(|b| b.project_id(Some(AlertRuleProject::from("PROJECT-1"))))));
    assert_eq!(set.body.as_ref(), br#"{"project_id":"PROJECT-1"}"#);

    let untouched = sent(attempt!(200, |c| c
        .alerts()
        .update_alert_rule()
        .rule_id("ar_1")
        .body_map(|b| b.enabled(Some(false)))));
    assert_eq!(untouched.body.as_ref(), br#"{"enabled":false}"#);
}

// ------------------------------------------------------------------------------------ mock

/// polyai-mock enforces the same limits, with PolyAI's error shapes, for the routes it serves,
/// so code that builds bodies by other means (or an older SDK) meets them in tests too.
#[tokio::test]
async fn the_mock_answers_broken_limits_like_polyai() {
    let server = polyai_mock::MockServer::start().await;
    let http = reqwest::Client::new();
    let base = server.base_url();
    let send = |method: reqwest::Method, path: String, body: serde_json::Value| {
        let request = http
            .request(method, format!("{base}{path}"))
            .header("x-api-key", server.api_key())
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (
                status,
                body["error_code"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let post = reqwest::Method::POST;
    let hook = |name: String, url: &str, types: serde_json::Value, timeout: i64| json!({"name": name, "url": url, "event_types": types, "timeout_ms": timeout});
    let hooks = "/v1/webhook-endpoints".to_string();
    let ok = hook(
        chars(255),
        "https://h.example",
        json!(["alerts.triggered"]),
        30_000,
    );
    let (status, _) = send(post.clone(), hooks.clone(), ok).await;
    assert_eq!(status, 201);
    for bad in [
        hook(
            chars(256),
            "https://h.example",
            json!(["alerts.triggered"]),
            5000,
        ),
        hook(
            String::new(),
            "https://h.example",
            json!(["alerts.triggered"]),
            5000,
        ),
        hook(
            "n".into(),
            "http://h.example",
            json!(["alerts.triggered"]),
            5000,
        ),
        hook("n".into(), "https://h.example", json!([]), 5000),
        hook(
            "n".into(),
            "https://h.example",
            json!(["alerts.triggered"]),
            999,
        ),
        hook(
            "n".into(),
            "https://h.example",
            json!(["alerts.triggered"]),
            30_001,
        ),
    ] {
        let (status, code) = send(post.clone(), hooks.clone(), bad.clone()).await;
        assert_eq!((status, code.as_str()), (422, "VALIDATION_ERROR"), "{bad}");
    }

    let agents = format!("/v1/accounts/{}/agents", server.account_id());
    let agent = |extra: serde_json::Value| {
        let mut body = json!({"name": "Support", "responseSettings": {"greeting": "Hi"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let (status, _) = send(
        post.clone(),
        agents.clone(),
        agent(json!({"name": chars(100), "agentId": "new-Agent-1"})),
    )
    .await;
    assert_eq!(status, 200);
    for (bad, code) in [
        (agent(json!({"name": chars(101)})), "BAD_REQUEST"),
        (agent(json!({"name": ""})), "BAD_REQUEST"),
        (agent(json!({"agentId": "new agent"})), "PROJECT_ID_INVALID"),
        (
            agent(json!({"responseSettings": {"greeting": ""}})),
            "BAD_REQUEST",
        ),
        (
            agent(json!({"responseSettings": {"greeting": "Hi", "languageCode": ""}})),
            "BAD_REQUEST",
        ),
        (
            agent(json!({"voiceSettings": {"voiceId": ""}})),
            "BAD_REQUEST",
        ),
    ] {
        let (status, got) = send(post.clone(), agents.clone(), bad.clone()).await;
        assert_eq!((status, got.as_str()), (400, code), "{bad}");
    }

    let branches = format!("/v1/agents/{}/branches", server.agent_id());
    let (status, code) = send(
        post.clone(),
        branches.clone(),
        json!({"branchName": chars(101)}),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "BAD_REQUEST"));
    let created = http
        .post(format!("{base}{branches}"))
        .header("x-api-key", server.api_key())
        .json(&json!({"branchName": chars(100)}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let branch: serde_json::Value = created.json().await.unwrap();
    let topics = format!(
        "{branches}/{}/knowledge-base/topics",
        branch["branchId"].as_str().unwrap()
    );
    let queries = |n: usize| json!({"name": format!("t{n}"), "content": "c", "exampleQueries": {"queries": vec!["q?"; n]}});
    let (status, _) = send(post.clone(), topics.clone(), queries(100)).await;
    assert_eq!(status, 201);
    let (status, code) = send(post.clone(), topics.clone(), queries(101)).await;
    assert_eq!(
        (status, code.as_str()),
        (400, "KNOWLEDGE_BASE_TOPICS_INVALID")
    );
}
