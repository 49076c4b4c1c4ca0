//! Issue 6: every family reaches the right host family with the right credential headers,
//! and secrets PolyAI returns are never printed.

use polyai_sdk::{Client, Error};
use polyai_tests::{RecordedRequest, RecordingServer, Reply, TwoHosts};
use serde_json::json;

const KEY: &str = "sk-families-key";

fn reply(request: &RecordedRequest) -> Reply {
    let path = request.path.as_str();
    if path.ends_with("/rotate-secret") {
        Reply::json(
            200,
            json!({"signing_secret": "whsec_NEVER_PRINT_ME", "id": "whe_1"}),
        )
    } else if path == "/v1/webhook-endpoints" {
        Reply::json(
            200,
            json!({"data": [{"id": "whe_1", "url": "https://example.test/hook", "future": 1}]}),
        )
    } else if path.contains("/telephony/connectors/") {
        Reply::json(200, json!({"connectorId": "conn-1", "variantId": null}))
    } else if path.ends_with("/agents") {
        Reply::json(200, json!([]))
    } else {
        Reply::json(200, json!({}))
    }
}

async fn setup() -> TwoHosts {
    TwoHosts::start(reply, |builder| {
        builder
            .api_key(KEY)
            .chat_token("chat-token-1")
            .outbound_token("outbound-token-1")
            .dni_api_key("dni-key-1")
    })
    .await
}

#[tokio::test]
async fn agents_family_operations_go_to_the_agents_host() {
    let s = setup().await;
    let rotated = s
        .client
        .webhook_endpoints()
        .rotate_webhook_signing_secret()
        .endpoint_id("whe_1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rotated.signing_secret.expose(), "whsec_NEVER_PRINT_ME");
    assert!(
        !format!("{rotated:?}").contains("NEVER_PRINT_ME"),
        "the signing secret is redacted in Debug"
    );
    let list = s
        .client
        .webhook_endpoints()
        .list_webhook_endpoints()
        .enabled(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.data[0].id, "whe_1");
    s.client
        .agents()
        .list_agents()
        .account_id("ws-1")
        .send()
        .await
        .unwrap();
    let _ = s.client.alerts().list_alert_rules().send().await;

    assert!(s.platform.requests().is_empty());
    let requests = s.agents.requests();
    let routes: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(
        routes,
        [
            (
                "POST".into(),
                "/v1/webhook-endpoints/whe_1/rotate-secret".into()
            ),
            ("GET".into(), "/v1/webhook-endpoints".into()),
            ("GET".into(), "/v1/accounts/ws-1/agents".into()),
            ("GET".into(), "/v1/alert-rules".into()),
        ]
    );
    for request in &requests {
        assert_eq!(request.header("x-api-key"), Some(KEY));
        assert!(request.header("x-token").is_none());
    }
}

#[tokio::test]
async fn platform_families_carry_their_own_credentials() {
    let s = setup().await;
    let _ = s
        .client
        .handoff()
        .get_handoff_state()
        .account_id("acme")
        .project_id("support")
        .send()
        .await;
    let _ = s
        .client
        .concurrent_calls()
        .get_concurrent_calls()
        .account_id("acme")
        .project_id("support")
        .start_time("2026-11-01T00:00:00Z")
        .end_time("2026-11-02T00:00:00Z")
        .send()
        .await;
    let _ = s
        .client
        .outbound()
        .get_legacy_outbound_call_status()
        .call_sid("CA1")
        .send()
        .await;
    let _ = s
        .client
        .chat()
        .close_chat()
        .version("v1")
        .account_id("acme")
        .project_id("support")
        .body_map(|body| body.conversation_id("chat-1"))
        .send()
        .await;

    assert!(
        s.agents.requests().is_empty(),
        "platform families never reach the agents host"
    );
    let requests = s.platform.requests();
    let by_path = |suffix: &str| {
        requests
            .iter()
            .find(|r| r.path.ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix}: {requests:#?}"))
    };
    assert_eq!(by_path("/handoff_state").header("x-api-key"), Some(KEY));
    assert_eq!(
        by_path("/conversations/concurrency").header("x-api-key"),
        Some(KEY)
    );
    let outbound = by_path("/status");
    assert_eq!(
        outbound.header("x-polyai-auth-token"),
        Some("outbound-token-1")
    );
    assert!(
        outbound.header("x-api-key").is_none(),
        "outbound uses its own token only"
    );
    let chat = by_path("/v1/acme/support/chat/close");
    assert_eq!(chat.method, "PUT");
    assert_eq!(chat.json(), json!({"conversation_id": "chat-1"}));
    assert_eq!(chat.header("x-api-key"), Some(KEY));
    assert_eq!(
        chat.header("x-token"),
        Some("chat-token-1"),
        "chat sends both headers"
    );
}

#[tokio::test]
async fn extra_credentials_never_show() {
    let s = setup().await;
    let shown = format!("{:?}", s.client);
    for secret in [KEY, "chat-token-1", "outbound-token-1", "dni-key-1"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let builder = Client::builder()
        .api_key(KEY)
        .chat_token("chat-token-1")
        .outbound_token("outbound-token-1")
        .dni_api_key("dni-key-1");
    let shown = format!("{builder:?}");
    for secret in [KEY, "chat-token-1", "outbound-token-1", "dni-key-1"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let error = Client::builder()
        .api_key(KEY)
        .region(polyai_sdk::Region::Us)
        .chat_token("bad\ntoken")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.contains("chat token") && !m.contains("bad")),
        "{error:?}"
    );
}

#[tokio::test]
async fn audio_cache_listing_is_a_stream_over_offsets() {
    use futures::TryStreamExt;
    let server = RecordingServer::start(|request| {
        let query = request.query_pairs();
        let value = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.parse::<usize>().unwrap())
        };
        let (offset, limit) = (value("offset").unwrap_or(0), value("limit").unwrap_or(50));
        let entries: Vec<_> = (offset..(offset + limit).min(7))
            .map(|i| json!({"id": format!("ac_{i}"), "hitCount": i}))
            .collect();
        Reply::json(200, json!({"entries": entries, "totalCount": 7}))
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let ids: Vec<String> = client
        .list_audio_cache_entries("agent-1")
        .page_size(3)
        .sort("hit_count:desc")
        .stream()
        .map_ok(|entry| entry.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids,
        ["ac_0", "ac_1", "ac_2", "ac_3", "ac_4", "ac_5", "ac_6"]
    );
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "stops at totalCount without an extra empty page"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/v1/agents/agent-1/audio-cache")
    );
    assert!(
        requests[0]
            .query_pairs()
            .contains(&("sort".into(), "hit_count:desc".into()))
    );
    let error = client
        .list_audio_cache_entries("agent-1")
        .page_size(201)
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)));
}

/// One operation of every Agents API resource group reaches its path on the Agents host with
/// the API key, and whatever the body, answers without a transport error or a panic.
#[tokio::test]
async fn every_agents_api_resource_group_is_routed() {
    use polyai_sdk::Environment;
    let s = setup().await;
    let agents = s.client.agents();
    macro_rules! call {
        ($builder:expr) => {{
            let result = $builder.send().await.map(drop);
            let error = result.err();
            assert!(
                matches!(error, None | Some(Error::Decode { .. })),
                "{error:?}"
            );
        }};
    }
    call!(agents.list_agents().account_id("ws-1"));
    call!(agents.list_voices().account_id("ws-1").is_poly_voice(true));
    call!(agents.list_branches().agent_id("ag-1"));
    call!(agents.list_attributes().agent_id("ag-1").branch_id("br-1"));
    call!(
        agents
            .get_agent_behavior()
            .agent_id("ag-1")
            .branch_id("br-1")
    );
    call!(
        agents
            .list_knowledge_base_topics()
            .agent_id("ag-1")
            .branch_id("br-1")
    );
    call!(
        agents
            .merge_branch()
            .agent_id("ag-1")
            .branch_id("br-1")
            .body_map(|b| b.conflict_resolutions(Vec::new()))
    );
    call!(agents.list_variants().agent_id("ag-1").branch_id("br-1"));
    call!(
        agents
            .list_deployments()
            .agent_id("ag-1")
            .environment(Environment::Live)
    );
    call!(agents.get_active_deployments().agent_id("ag-1"));
    call!(
        agents
            .duplicate_agent()
            .agent_id("ag-1")
            .body_map(|b| b.new_agent_name("Copy"))
    );
    call!(agents.list_real_time_configs().agent_id("ag-1"));
    call!(agents.list_connectors().agent_id("ag-1"));
    call!(agents.list_phone_numbers().agent_id("ag-1"));
    call!(agents.list_audio_cache_entries().agent_id("ag-1"));
    call!(
        agents
            .get_outbound_call_status()
            .agent_id("ag-1")
            .call_sid("CA9")
            .environment(Environment::Sandbox)
    );

    assert!(
        s.platform.requests().is_empty(),
        "the Agents API lives on the Agents host"
    );
    let routes: Vec<String> = s
        .agents
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        routes,
        [
            "GET /v1/accounts/ws-1/agents",
            "GET /v1/accounts/ws-1/voice-library",
            "GET /v1/agents/ag-1/branches",
            "GET /v1/agents/ag-1/branches/br-1/attributes",
            "GET /v1/agents/ag-1/branches/br-1/behavior",
            "GET /v1/agents/ag-1/branches/br-1/knowledge-base/topics",
            "POST /v1/agents/ag-1/branches/br-1/merge",
            "GET /v1/agents/ag-1/branches/br-1/variants",
            "GET /v1/agents/ag-1/deployments",
            "GET /v1/agents/ag-1/deployments/active",
            "POST /v1/agents/ag-1/duplicate",
            "GET /v1/agents/ag-1/real-time-configs",
            "GET /v1/agents/ag-1/telephony/connectors",
            "GET /v1/agents/ag-1/telephony/phone-numbers",
            "GET /v1/agents/ag-1/audio-cache",
            "GET /v1/agents/ag-1/telephony/outbound-calls/CA9/status",
        ]
    );
    for request in s.agents.requests() {
        assert_eq!(request.header("x-api-key"), Some(KEY), "{}", request.path);
    }
}

/// A connector update can leave the variant alone, assign one, or clear the assignment with
/// an explicit JSON null (which a plain `Option<String>` field could not send).
#[tokio::test]
async fn connector_updates_can_unassign_the_variant() {
    use polyai_sdk::VariantAssignment;
    use polyai_sdk::types::agents::UpdateConnectorRequest;

    let s = setup().await;
    let agents = s.client.agents();
    for variant in [
        None,
        Some(VariantAssignment::from("VARIANT-2")),
        Some(VariantAssignment::Unassigned),
    ] {
        let body = UpdateConnectorRequest {
            variant_id: variant,
            asr_lang_code: Some("en-GB".into()),
            ..Default::default()
        };
        agents
            .update_connector()
            .agent_id("ag-1")
            .connector_id("conn-1")
            .body(body)
            .send()
            .await
            .unwrap();
    }
    let bodies: Vec<serde_json::Value> = s.agents.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        bodies,
        [
            json!({"asrLangCode": "en-GB"}),
            json!({"asrLangCode": "en-GB", "variantId": "VARIANT-2"}),
            json!({"asrLangCode": "en-GB", "variantId": null}),
        ]
    );
    let paths: Vec<String> = s
        .agents
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        paths
            .iter()
            .all(|p| p == "PATCH /v1/agents/ag-1/telephony/connectors/conn-1"),
        "{paths:?}"
    );
}

/// Issue 11, point 14: Chat, legacy Outbound and DNI have credentials of their own. Without
/// them every call fails before anything is sent, naming what to configure; the general API key
/// is never sent in their place.
#[tokio::test]
async fn families_with_their_own_credential_refuse_to_send_without_it() {
    let server = RecordingServer::start(reply).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let chat = client
        .chat()
        .create_chat()
        .version("v1")
        .account_id("acme")
        .project_id("support")
        .body_map(|b| b)
        .send()
        .await;
    let respond = client
        .chat()
        .send_chat_message()
        .version("v1")
        .account_id("acme")
        .project_id("support")
        .body_map(|b| b.conversation_id("c1").message(Some("hi".to_owned())))
        .send()
        .await;
    let close = client
        .chat()
        .close_chat()
        .version("v1")
        .account_id("acme")
        .project_id("support")
        .body_map(|b| b.conversation_id("c1"))
        .send()
        .await;
    let outbound = client
        .outbound()
        .get_legacy_outbound_call_status()
        .call_sid("CA9")
        .send()
        .await;
    let dni = client
        .dni()
        .reserve_dni()
        .body_map(|b| b.attributes(serde_json::Map::new()))
        .send()
        .await;
    for (what, result, names) in [
        (
            "create_chat",
            chat.map(drop),
            ["POLYAI_CHAT_TOKEN", "chat_token(..)"],
        ),
        (
            "send_chat_message",
            respond.map(drop),
            ["POLYAI_CHAT_TOKEN", "chat_token(..)"],
        ),
        (
            "close_chat",
            close.map(drop),
            ["POLYAI_CHAT_TOKEN", "chat_token(..)"],
        ),
        (
            "get_legacy_outbound_call_status",
            outbound.map(drop),
            ["POLYAI_OUTBOUND_TOKEN", "outbound_token(..)"],
        ),
        (
            "reserve_dni",
            dni.map(drop),
            ["POLYAI_DNI_API_KEY", "dni_api_key(..)"],
        ),
    ] {
        let error = result.expect_err(what);
        let Error::InvalidInput(message) = &error else {
            panic!("{what}: expected InvalidInput, got {error:?}");
        };
        for name in names {
            assert!(message.contains(name), "{what}: {message}");
        }
        assert!(message.contains("nothing was sent"), "{what}: {message}");
    }
    assert!(
        server.requests().is_empty(),
        "nothing was sent: {:#?}",
        server.requests()
    );

    // Families that take the API key still work on the same client.
    let _ = client
        .handoff()
        .get_handoff_state()
        .account_id("acme")
        .project_id("support")
        .send()
        .await;
    assert_eq!(server.single_request().header("x-api-key"), Some(KEY));
}
