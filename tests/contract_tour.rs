//! `contract-tour`: one request of every operation the SDK has (the 90 operations of
//! `openapi/*.yaml`: every generated operation of every family and the three hand-written
//! ones; they cover 96 of the 98 operation entries of PolyAI's published documents, some
//! operations being in several documents), built with valid inputs, for
//! `cargo xtask contract`, which puts Stoplight Prism with PolyAI's published documents between
//! this program and the mock.
//!
//! It starts an embedded `polyai-mock` (on `POLYAI_EXAMPLES_MOCK_PORT` when set) and sends its
//! requests to `POLYAI_EXAMPLES_PROXY_URL` when set, else straight to the mock. Resources the
//! mock serves are created first so the later calls use real ids. Answers of any HTTP status
//! are fine here (the mock serves every operation, but some calls are meant to fail, e.g. an
//! unknown id); `cargo xtask contract` judges the answers, and decides from the mock's route
//! table whether each one came from the operation's own row. This program fails when a
//! request could not be built or sent at all.

use std::collections::BTreeMap;
use std::error::Error as StdError;

use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
use polyai_sdk::types::{agents, alerts, chat, data, debug_chat, dni, outbound, webhook_endpoints};
use polyai_sdk::{Client, Error};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

type AnyResult<T> = Result<T, Box<dyn StdError + Send + Sync>>;

/// Builds a request body of the SDK's type from JSON.
fn body<T: DeserializeOwned>(value: Value) -> AnyResult<T> {
    Ok(serde_json::from_value(value)?)
}

#[derive(Default)]
struct Tour {
    /// Operation -> status it was answered with (0: no answer).
    answers: BTreeMap<&'static str, u16>,
    failures: Vec<String>,
}

impl Tour {
    fn answered(&mut self, operation: &'static str, status: u16) {
        self.answers.insert(operation, status);
    }

    fn failed(&mut self, operation: &'static str, error: Error) {
        match (&error, error.status()) {
            (_, Some(status)) => self.answered(operation, status.as_u16()),
            // The mock answered, but not in the shape the SDK expects: worth seeing.
            (Error::Decode { .. }, None) => {
                self.answered(operation, 0);
                eprintln!("{operation}: {error}");
            }
            _ => {
                self.answers.insert(operation, 0);
                self.failures.push(format!("{operation}: {error}"));
            }
        }
    }
}

/// Sends a generated operation's request; evaluates to the decoded body when it succeeded.
macro_rules! op {
    ($tour:ident, $name:literal, $builder:expr) => {{
        match $builder.send().await {
            Ok(response) => {
                $tour.answered($name, response.status().as_u16());
                Some(response.into_inner())
            }
            Err(error) => {
                $tour.failed($name, error);
                None
            }
        }
    }};
}

/// Sends a hand-written operation's request.
macro_rules! manual {
    ($tour:ident, $name:literal, $future:expr) => {{
        match $future.await {
            Ok(_) => $tour.answered($name, 200),
            Err(error) => $tour.failed($name, error),
        }
    }};
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut builder = polyai_mock::MockServer::builder()
        .conversations(50)
        .window_ending_now();
    if let Some(port) = var("POLYAI_EXAMPLES_MOCK_PORT") {
        builder = builder.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port.parse()?)));
    }
    let mock = builder.try_start().await?;
    let base_url = var("POLYAI_EXAMPLES_PROXY_URL").unwrap_or_else(|| mock.base_url());
    let client = Client::builder()
        .api_key(mock.api_key())
        .chat_token("contract-chat-token")
        .outbound_token("contract-outbound-token")
        .dni_api_key("contract-dni-key")
        .base_url(&base_url)
        .build()?;
    let tour = run(&client, &mock).await?;
    let mut by_status = BTreeMap::<u16, usize>::new();
    for (operation, status) in &tour.answers {
        println!("{status:>3} {operation}");
        *by_status.entry(*status).or_default() += 1;
    }
    println!(
        "{} operations sent; answers by status: {by_status:?}",
        tour.answers.len()
    );
    if tour.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("requests not sent:\n{}", tour.failures.join("\n")).into())
    }
}

async fn run(client: &Client, mock: &polyai_mock::MockServer) -> AnyResult<Tour> {
    let mut t = Tour::default();
    let account = mock.account_id();
    let project = mock.project_id();
    let agent = mock.agent_id();
    let a = client.agents();

    // Conversations v3, then the agent-scoped data endpoints on a real conversation.
    let page = op!(
        t,
        "list_conversations",
        client
            .conversations()
            .list_conversations()
            .account_id(account)
            .project_id(project)
            .limit(std::num::NonZeroU64::new(5).ok_or("limit")?)
    );
    let conversation = page
        .and_then(|p| p.conversations.first().map(|c| c.id.clone()))
        .unwrap_or_else(|| mock.conversation_id().to_string());
    let d = client.data();
    op!(
        t,
        "list_agent_conversations",
        d.list_agent_conversations()
            .agent_id(agent)
            .limit(std::num::NonZeroU64::new(5).ok_or("limit")?)
            .offset(0)
    );
    op!(
        t,
        "get_agent_conversation",
        d.get_agent_conversation()
            .agent_id(agent)
            .conversation_id(&conversation)
    );
    op!(
        t,
        "create_annotations",
        d.create_annotations()
            .agent_id(agent)
            .conversation_id(&conversation)
            .body(body::<data::AnnotationRequest>(json!({"annotations": [
                {"turnId": 1, "role": "user", "annotationType": "wrong_transcript"}
            ]}))?)
    );
    op!(
        t,
        "upsert_conversation_note",
        d.upsert_conversation_note()
            .agent_id(agent)
            .conversation_id(&conversation)
            .body(body::<data::NoteRequest>(
                json!({"note": "checked by the contract tour"})
            )?)
    );
    op!(
        t,
        "get_conversation_audio",
        d.get_conversation_audio()
            .agent_id(agent)
            .conversation_id(&conversation)
            .direction(data::GetConversationAudioDirection::Combined)
            .redacted(false)
    );

    // Debug chat.
    let started = op!(
        t,
        "start_debug_chat",
        client
            .debug_chat()
            .start_debug_chat()
            .agent_id(agent)
            .body(body::<debug_chat::DebugChatStartRequest>(
                json!({"clientEnv": "sandbox", "channel": "chat.polyai"})
            )?)
    );
    let chat_id = started
        .map(|s| s.conversation_id)
        .unwrap_or_else(|| "AS_CHAT_unknown".into());
    op!(
        t,
        "send_debug_chat_message",
        client
            .debug_chat()
            .send_debug_chat_message()
            .agent_id(agent)
            .conversation_id(&chat_id)
            .body(body::<debug_chat::DebugChatMessageRequest>(
                json!({"clientEnv": "sandbox", "message": "What are your opening hours?"})
            )?)
    );

    // Agents: agents and voices.
    op!(t, "list_agents", a.list_agents().account_id(account));
    let created = op!(
        t,
        "create_agent",
        a.create_agent()
            .account_id(account)
            .body(body::<agents::CreateAgentRequest>(json!({
                "name": "Contract tour agent",
                "responseSettings": {"greeting": "Hello from the contract tour."}
            }))?)
    );
    let new_agent = created
        .map(|c| c.agent_id)
        .unwrap_or_else(|| "contract-tour-agent".into());
    op!(
        t,
        "duplicate_agent",
        a.duplicate_agent()
            .agent_id(&new_agent)
            .body(body::<agents::DuplicateAgentRequest>(
                json!({"newAgentName": "Contract tour copy"})
            )?)
    );
    op!(t, "delete_agent", a.delete_agent().agent_id(&new_agent));
    op!(
        t,
        "list_voices",
        a.list_voices().account_id(account).is_poly_voice(true)
    );
    op!(
        t,
        "create_voice",
        a.create_voice()
            .account_id(account)
            .body(body::<agents::CreateVoiceRequest>(json!({
                "name": "Tour voice",
                "provider": "elevenlabs",
                "providerVoiceId": "voice-123",
                "config": {"stability": 0.5}
            }))?)
    );
    op!(
        t,
        "get_voice",
        a.get_voice().account_id(account).voice_id("voice-1")
    );
    op!(
        t,
        "update_voice",
        a.update_voice()
            .account_id(account)
            .voice_id("voice-1")
            .body(body::<agents::UpdateVoiceRequest>(
                json!({"name": "Tour voice, renamed"})
            )?)
    );
    op!(
        t,
        "get_voice_sample",
        a.get_voice_sample().account_id(account).voice_id("voice-1")
    );

    // Branches, knowledge base, attributes, behaviour, variants, merge and deployments.
    op!(t, "list_branches", a.list_branches().agent_id(agent));
    let branch = op!(
        t,
        "create_branch",
        a.create_branch()
            .agent_id(agent)
            .body(body::<agents::CreateBranchRequest>(
                json!({"branchName": "contract-tour"})
            )?)
    )
    .map(|b| b.branch_id)
    .unwrap_or_else(|| "contract-tour".into());
    op!(
        t,
        "list_knowledge_base_topics",
        a.list_knowledge_base_topics()
            .agent_id(agent)
            .branch_id(&branch)
    );
    let topic = op!(
        t,
        "create_knowledge_base_topic",
        a.create_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::CreateKnowledgeBaseTopicRequest>(json!({
                "name": "Contract tour",
                "content": "Every operation is checked against PolyAI's documents."
            }))?)
    )
    .map(|topic| topic.id)
    .unwrap_or_else(|| "topic-1".into());
    op!(
        t,
        "get_knowledge_base_topic",
        a.get_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch)
            .topic_id(&topic)
    );
    op!(
        t,
        "update_knowledge_base_topic",
        a.update_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch)
            .topic_id(&topic)
            .body(body::<agents::UpdateKnowledgeBaseTopicRequest>(
                json!({"content": "Checked again."})
            )?)
    );
    op!(
        t,
        "list_attributes",
        a.list_attributes().agent_id(agent).branch_id(&branch)
    );
    op!(
        t,
        "create_attribute",
        a.create_attribute()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::AttributeNameRequest>(
                json!({"name": "tier"})
            )?)
    );
    op!(
        t,
        "update_attribute",
        a.update_attribute()
            .agent_id(agent)
            .branch_id(&branch)
            .attribute_id("attr-1")
            .body(body::<agents::AttributeNameRequest>(
                json!({"name": "level"})
            )?)
    );
    op!(
        t,
        "delete_attribute",
        a.delete_attribute()
            .agent_id(agent)
            .branch_id(&branch)
            .attribute_id("attr-1")
    );
    op!(
        t,
        "get_agent_behavior",
        a.get_agent_behavior().agent_id(agent).branch_id(&branch)
    );
    op!(
        t,
        "update_agent_behavior",
        a.update_agent_behavior()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::UpdateBehaviorRequest>(
                json!({"behavior": "Be brief and friendly."})
            )?)
    );
    op!(
        t,
        "list_variants",
        a.list_variants().agent_id(agent).branch_id(&branch)
    );
    op!(
        t,
        "create_variant",
        a.create_variant()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::CreateVariantRequest>(
                json!({"name": "Weekend"})
            )?)
    );
    op!(
        t,
        "update_variant",
        a.update_variant()
            .agent_id(agent)
            .branch_id(&branch)
            .variant_id("variant-1")
            .body(body::<agents::UpdateVariantRequest>(
                json!({"isDefault": false})
            )?)
    );
    op!(
        t,
        "delete_variant",
        a.delete_variant()
            .agent_id(agent)
            .branch_id(&branch)
            .variant_id("variant-1")
    );
    op!(
        t,
        "delete_knowledge_base_topic",
        a.delete_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch)
            .topic_id(&topic)
    );
    op!(
        t,
        "merge_branch",
        a.merge_branch().agent_id(agent).branch_id(&branch).body(
            body::<agents::MergeBranchRequest>(json!({"deploymentMessage": "contract tour"}))?
        )
    );
    // Merging removed the branch: delete a second one.
    let scratch = op!(
        t,
        "create_branch",
        a.create_branch()
            .agent_id(agent)
            .body(body::<agents::CreateBranchRequest>(
                json!({"branchName": "contract-tour-scratch"})
            )?)
    )
    .map(|b| b.branch_id)
    .unwrap_or_else(|| "contract-tour-scratch".into());
    op!(
        t,
        "delete_branch",
        a.delete_branch().agent_id(agent).branch_id(&scratch)
    );
    op!(
        t,
        "list_deployments",
        a.list_deployments()
            .agent_id(agent)
            .environment(polyai_sdk::Environment::Sandbox)
    );
    op!(
        t,
        "get_active_deployments",
        a.get_active_deployments().agent_id(agent)
    );
    let published = op!(
        t,
        "publish_deployment",
        a.publish_deployment()
            .agent_id(agent)
            .body(body::<agents::PublishDeploymentRequest>(
                json!({"deploymentMessage": "contract tour"})
            )?)
    );
    let deployment = published
        .and_then(|p| p.deployment.map(|d| d.id))
        .unwrap_or_else(|| "deployment-1".into());
    op!(
        t,
        "promote_deployment",
        a.promote_deployment()
            .agent_id(agent)
            .deployment_id(&deployment)
            .body(body::<agents::PromoteDeploymentRequest>(
                json!({"targetEnvironment": "pre-release"})
            )?)
    );
    op!(
        t,
        "rollback_deployment",
        a.rollback_deployment()
            .agent_id(agent)
            .deployment_id(&deployment)
            .body(body::<agents::RollbackDeploymentRequest>(
                json!({"deploymentMessage": "back again"})
            )?)
    );

    // Real-time configs.
    op!(
        t,
        "list_real_time_configs",
        a.list_real_time_configs().agent_id(agent)
    );
    op!(
        t,
        "get_real_time_config",
        a.get_real_time_config()
            .agent_id(agent)
            .client_env(polyai_sdk::Environment::Sandbox)
    );
    op!(
        t,
        "put_real_time_config_schema",
        a.put_real_time_config_schema()
            .agent_id(agent)
            .client_env(polyai_sdk::Environment::Sandbox)
            .body(body::<agents::ConfigSchemaRequest>(json!({"schema": {
                "type": "object",
                "properties": {"greeting": {"type": "string"}}
            }}))?)
    );
    op!(
        t,
        "update_real_time_config_variables",
        a.update_real_time_config_variables()
            .agent_id(agent)
            .client_env(polyai_sdk::Environment::Sandbox)
            .body(body::<agents::ConfigVariablesRequest>(
                json!({"variables": {"greeting": "Hi"}})
            )?)
    );

    // Telephony: connectors and phone numbers.
    op!(t, "list_connectors", a.list_connectors().agent_id(agent));
    op!(
        t,
        "batch_get_connectors",
        a.batch_get_connectors()
            .agent_id(agent)
            .body(body::<agents::BatchGetConnectorsRequest>(
                json!({"connectorIds": ["conn-1"]})
            )?)
    );
    op!(
        t,
        "batch_update_connectors",
        a.batch_update_connectors().agent_id(agent).body(body::<
            agents::BatchUpdateConnectorsRequest,
        >(json!({
            "updates": [{"connectorId": "conn-1", "asrLangCode": "en-GB"}]
        }))?)
    );
    op!(
        t,
        "lookup_connector",
        a.lookup_connector()
            .agent_id(agent)
            .body(body::<agents::LookupConnectorRequest>(
                json!({"phoneNumber": "+442071234567"})
            )?)
    );
    op!(
        t,
        "get_connector",
        a.get_connector().agent_id(agent).connector_id("conn-1")
    );
    op!(
        t,
        "update_connector",
        a.update_connector()
            .agent_id(agent)
            .connector_id("conn-1")
            .body(body::<agents::UpdateConnectorRequest>(
                json!({"voiceName": "Tour voice"})
            )?)
    );
    op!(
        t,
        "delete_connector",
        a.delete_connector().agent_id(agent).connector_id("conn-1")
    );
    op!(
        t,
        "list_phone_numbers",
        a.list_phone_numbers()
            .agent_id(agent)
            .connector_id("conn-1")
    );
    op!(
        t,
        "import_phone_numbers",
        a.import_phone_numbers()
            .agent_id(agent)
            .body(body::<agents::ImportPhoneNumbersRequest>(
                json!({"phoneNumbers": ["+442071234567"], "clientEnv": "sandbox"})
            )?)
    );
    op!(
        t,
        "batch_get_phone_numbers",
        a.batch_get_phone_numbers()
            .agent_id(agent)
            .body(body::<agents::PhoneNumbersRequest>(
                json!({"phoneNumbers": ["+442071234567"]})
            )?)
    );
    op!(
        t,
        "get_phone_number",
        a.get_phone_number()
            .agent_id(agent)
            .phone_number("+442071234567")
    );
    op!(
        t,
        "import_phone_number",
        a.import_phone_number()
            .agent_id(agent)
            .phone_number("+442071234568")
            .body(body::<agents::ImportPhoneNumberRequest>(
                json!({"clientEnv": "sandbox"})
            )?)
    );
    op!(
        t,
        "reassign_phone_number",
        a.reassign_phone_number()
            .agent_id(agent)
            .phone_number("+442071234568")
            .body(body::<agents::ReassignPhoneNumberRequest>(
                json!({"connectorId": "conn-2"})
            )?)
    );
    op!(
        t,
        "delete_phone_number",
        a.delete_phone_number()
            .agent_id(agent)
            .phone_number("+442071234568")
    );
    op!(
        t,
        "delete_phone_numbers",
        a.delete_phone_numbers()
            .agent_id(agent)
            .body(body::<agents::PhoneNumbersRequest>(
                json!({"phoneNumbers": ["+442071234567"]})
            )?)
    );

    // Audio cache (two hand-written uploads among them).
    op!(
        t,
        "list_audio_cache_entries",
        a.list_audio_cache_entries().agent_id(agent).offset(0)
    );
    op!(
        t,
        "get_audio_cache_file",
        a.get_audio_cache_file().agent_id(agent).entry_id("101")
    );
    op!(
        t,
        "synthesize_audio_preview",
        a.synthesize_audio_preview()
            .agent_id(agent)
            .entry_id("101")
            .body(body::<agents::SynthesizeAudioRequest>(
                json!({"text": "Hello!", "config": {"stability": 0.5, "speed": 1.0}})
            )?)
    );
    manual!(
        t,
        "replace_audio_cache_file",
        client
            .replace_audio_cache_file(agent, "101")
            .filename("hello.wav")
            .body(polyai_mock::testing::wav(100))
            .send()
    );
    manual!(
        t,
        "replace_audio_cache_details",
        client
            .replace_audio_cache_details(agent, "101")
            .text("Hello!")
            .config(body::<agents::VoiceTuningConfig>(
                json!({"stability": 0.5})
            )?)
            .file(polyai_mock::testing::wav(100))
            .send()
    );
    op!(
        t,
        "delete_audio_cache_entry",
        a.delete_audio_cache_entry().agent_id(agent).entry_id("101")
    );
    op!(
        t,
        "bulk_delete_audio_cache_entries",
        a.bulk_delete_audio_cache_entries()
            .agent_id(agent)
            .body(body::<agents::BulkDeleteAudioCacheRequest>(
                json!({"ids": ["102", "103"]})
            )?)
    );

    // Outbound calls through the Agents API.
    op!(
        t,
        "place_outbound_call",
        a.place_outbound_call()
            .agent_id(agent)
            .body(body::<agents::PlaceOutboundCallRequest>(
                json!({"toNumber": "+442071234567", "environment": "sandbox"})
            )?)
    );
    op!(
        t,
        "get_outbound_call_status",
        a.get_outbound_call_status()
            .agent_id(agent)
            .call_sid("CA0123456789abcdef0123456789abcdef")
            .environment(polyai_sdk::Environment::Sandbox)
    );

    // Webhook endpoints.
    let w = client.webhook_endpoints();
    op!(t, "list_webhook_endpoints", w.list_webhook_endpoints());
    let endpoint = op!(
        t,
        "create_webhook_endpoint",
        w.create_webhook_endpoint()
            .body(body::<webhook_endpoints::CreateWebhookEndpointRequest>(
                json!({
                    "name": "Contract tour",
                    "url": "https://hooks.example.com/polyai",
                    "event_types": ["alerts.triggered"]
                })
            )?)
    )
    .map(|e| e.id)
    .unwrap_or_else(|| "whe_unknown".into());
    op!(
        t,
        "get_webhook_endpoint",
        w.get_webhook_endpoint().endpoint_id(&endpoint)
    );
    op!(
        t,
        "update_webhook_endpoint",
        w.update_webhook_endpoint()
            .endpoint_id(&endpoint)
            .body(body::<webhook_endpoints::UpdateWebhookEndpointRequest>(
                json!({"enabled": false})
            )?)
    );
    op!(
        t,
        "rotate_webhook_signing_secret",
        w.rotate_webhook_signing_secret().endpoint_id(&endpoint)
    );
    op!(
        t,
        "delete_webhook_endpoint",
        w.delete_webhook_endpoint().endpoint_id(&endpoint)
    );

    // Alerts.
    let al = client.alerts();
    op!(t, "list_alert_rules", al.list_alert_rules().enabled(true));
    op!(
        t,
        "create_alert_rule",
        al.create_alert_rule()
            .body(body::<alerts::CreateAlertRuleRequest>(json!({
                "name": "Slow turns",
                "project_id": project,
                "metric": "turn_latency_p95",
                "operator": ">",
                "threshold_value": 2000,
                "window_duration": "10m"
            }))?)
    );
    op!(t, "get_alert_rule", al.get_alert_rule().rule_id("ar_tour1"));
    op!(
        t,
        "update_alert_rule",
        al.update_alert_rule()
            .rule_id("ar_tour1")
            .body(body::<alerts::UpdateAlertRuleRequest>(
                json!({"enabled": false})
            )?)
    );
    op!(
        t,
        "delete_alert_rule",
        al.delete_alert_rule().rule_id("ar_tour1")
    );
    op!(
        t,
        "list_active_alerts",
        al.list_active_alerts().project_id(project)
    );

    // Platform families.
    let c = client.chat();
    op!(
        t,
        "create_chat",
        c.create_chat()
            .version("v1")
            .account_id(account)
            .project_id(project)
            .body(body::<chat::CreateChatRequest>(json!({}))?)
    );
    op!(
        t,
        "send_chat_message",
        c.send_chat_message()
            .version("v1")
            .account_id(account)
            .project_id(project)
            .body(body::<chat::ChatMessageRequest>(
                json!({"conversation_id": "chat-1", "message": "Hello"})
            )?)
    );
    op!(
        t,
        "close_chat",
        c.close_chat()
            .version("v1")
            .account_id(account)
            .project_id(project)
            .body(body::<chat::CloseChatRequest>(
                json!({"conversation_id": "chat-1"})
            )?)
    );
    op!(
        t,
        "get_handoff_state",
        client
            .handoff()
            .get_handoff_state()
            .account_id(account)
            .project_id(project)
            .id("handoff-1")
    );
    op!(
        t,
        "get_concurrent_calls",
        client
            .concurrent_calls()
            .get_concurrent_calls()
            .account_id(account)
            .project_id(project)
            .start_time("2026-11-01T00:00:00Z")
            .end_time("2026-11-02T00:00:00Z")
    );
    op!(
        t,
        "reserve_dni",
        client
            .dni()
            .reserve_dni()
            .body(body::<dni::DniReservationRequest>(
                json!({"attributes": {"campaign": "spring"}})
            )?)
    );
    op!(
        t,
        "trigger_legacy_outbound_call",
        client
            .outbound()
            .trigger_legacy_outbound_call()
            .body(body::<outbound::LegacyOutboundCallRequest>(
                json!({"to_number": "+442071234567"})
            )?)
    );
    op!(
        t,
        "get_legacy_outbound_call_status",
        client
            .outbound()
            .get_legacy_outbound_call_status()
            .call_sid("CA0123456789abcdef0123456789abcdef")
    );
    manual!(
        t,
        "post_external_event",
        client
            .post_external_event(account, project)
            .event_id(ExternalEventIdLocation::Payload, "conversation_id")
            .body(ExternalEventBody::Json(
                json!({"conversation_id": "conv-1", "status": "done"})
            ))
            .send()
    );
    Ok(t)
}
