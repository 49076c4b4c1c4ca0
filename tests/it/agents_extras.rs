//! The SDK's Agents API calls beyond the deployment flow, against polyai-mock: every answer
//! decodes into the generated types, and what one call writes the next one reads back.

use futures::TryStreamExt;
use polyai_mock::MockServer;
use polyai_sdk::Client;
use polyai_sdk::types::agents;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

async fn mock() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .build()
        .unwrap();
    (server, client)
}

/// Sends a generated call and unwraps its value.
macro_rules! sdk {
    ($call:expr) => {
        $call.send().await.map(|value| value.into_inner())
    };
}

/// A generated request body from JSON.
fn body<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn variants_behaviour_and_copies_through_the_sdk() {
    let (server, client) = mock().await;
    let a = client.agents();
    let agent = server.agent_id();
    let branch = sdk!(
        a.create_branch()
            .agent_id(agent)
            .body(body::<agents::CreateBranchRequest>(
                json!({"branchName": "sdk"})
            ))
    )
    .unwrap()
    .branch_id;

    let attribute = sdk!(
        a.create_attribute()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::AttributeNameRequest>(
                json!({"name": "city"})
            ))
    )
    .unwrap();
    let variant = sdk!(
        a.create_variant()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::CreateVariantRequest>(json!({
                "name": "Leeds",
                "attributeValues": {"values": {attribute.id.clone(): "Leeds"}}
            })))
    )
    .unwrap();
    let listed = sdk!(a.list_variants().agent_id(agent).branch_id(&branch)).unwrap();
    let found = listed.variants.iter().find(|v| v.id == variant.id).unwrap();
    assert_eq!(found.name.as_deref(), Some("Leeds"));
    let attributes = sdk!(a.list_attributes().agent_id(agent).branch_id(&branch)).unwrap();
    assert!(attributes.attributes.iter().any(|x| x.id == attribute.id));

    let rules = sdk!(
        a.update_agent_behavior()
            .agent_id(agent)
            .branch_id(&branch)
            .body(body::<agents::UpdateBehaviorRequest>(
                json!({"behavior": "Speak slowly."})
            ))
    )
    .unwrap();
    assert_eq!(rules.behavior.as_deref(), Some("Speak slowly."));
    sdk!(a.merge_branch().agent_id(agent).branch_id(&branch)).unwrap();
    let main = sdk!(a.get_agent_behavior().agent_id(agent).branch_id("main")).unwrap();
    assert_eq!(main.behavior.as_deref(), Some("Speak slowly."));

    let copy = sdk!(a.duplicate_agent().agent_id(agent).body(
        body::<agents::DuplicateAgentRequest>(json!({"newAgentName": "SDK copy"}))
    ))
    .unwrap();
    assert_eq!(copy.agent_name.as_deref(), Some("SDK copy"));
    let copied = sdk!(a.list_variants().agent_id(&copy.agent_id).branch_id("main")).unwrap();
    assert!(copied.variants.iter().any(|v| v.id == variant.id));

    let error = sdk!(
        a.delete_variant()
            .agent_id(agent)
            .branch_id("main")
            .variant_id(&variant.id)
    )
    .unwrap_err();
    assert_eq!(error.error_code(), Some("CANNOT_UPDATE_MAIN_BRANCH"));
}

#[tokio::test]
async fn telephony_and_outbound_calls_through_the_sdk() {
    let (server, client) = mock().await;
    let a = client.agents();
    let agent = server.agent_id();
    let connectors = sdk!(a.list_connectors().agent_id(agent))
        .unwrap()
        .connectors;
    assert_eq!(connectors.len(), 3);
    let live = connectors[2].connector_id.clone();

    let imported = sdk!(a.import_phone_numbers().agent_id(agent).body(body::<
        agents::ImportPhoneNumbersRequest,
    >(
        json!({"phoneNumbers": ["+15550300001"], "clientEnv": "live"})
    )))
    .unwrap();
    assert_eq!(imported.imported, Some(vec!["+15550300001".to_owned()]));
    // The `+` travels in the path.
    let number = sdk!(
        a.get_phone_number()
            .agent_id(agent)
            .phone_number("+15550300001")
    )
    .unwrap();
    assert_eq!(number.connector_id.as_deref(), Some(live.as_str()));
    let routed = sdk!(a.lookup_connector().agent_id(agent).body(body::<
        agents::LookupConnectorRequest,
    >(
        json!({"phoneNumber": "+15550300001"})
    )))
    .unwrap();
    assert_eq!(routed.connector_id, live);
    let updated = sdk!(
        a.update_connector()
            .agent_id(agent)
            .connector_id(&live)
            .body(body::<agents::UpdateConnectorRequest>(
                json!({"voiceName": "en-AU-Neural2-B"})
            ))
    )
    .unwrap();
    assert_eq!(updated.tts_lang_code.as_deref(), Some("en-AU"));
    let released = sdk!(
        a.delete_phone_number()
            .agent_id(agent)
            .phone_number("+15550300001")
    )
    .unwrap();
    assert_eq!(released.deleted.as_deref(), Some("+15550300001"));

    let call = sdk!(a.place_outbound_call().agent_id(agent).body(body::<
        agents::PlaceOutboundCallRequest,
    >(
        json!({"toNumber": "+442079460123", "environment": "live"})
    )))
    .unwrap();
    let sid = call.call_sid.unwrap();
    let status = sdk!(
        a.get_outbound_call_status()
            .agent_id(agent)
            .call_sid(&sid)
            .environment(polyai_sdk::Environment::Live)
    )
    .unwrap();
    assert_eq!(status.status.as_deref(), Some("CALLING"));
    assert_eq!(server.agent_outbound_calls(agent)[0].call_sid, sid);
}

#[tokio::test]
async fn voices_configs_and_the_audio_cache_through_the_sdk() {
    let (server, client) = mock().await;
    let a = client.agents();
    let agent = server.agent_id();
    let account = server.account_id();

    let voice = sdk!(
        a.create_voice()
            .account_id(account)
            .body(body::<agents::CreateVoiceRequest>(json!({
                "name": "SDK voice", "provider": "GOOGLE", "providerVoiceId": "en-GB-Neural2-C", "config": {}
            })))
    )
    .unwrap()
    .voice;
    let read = sdk!(a.get_voice().account_id(account).voice_id(&voice.id)).unwrap();
    assert_eq!(read.voice.name.as_deref(), Some("SDK voice"));
    let sample = sdk!(a.get_voice_sample().account_id(account).voice_id(&voice.id)).unwrap();
    assert_eq!(sample.voice_id.as_deref(), Some(voice.id.as_str()));

    let page = sdk!(
        a.update_real_time_config_variables()
            .agent_id(agent)
            .client_env(polyai_sdk::Environment::PreRelease)
            .body(body::<agents::ConfigVariablesRequest>(
                json!({"variables": {"promo": "spring"}})
            ))
    )
    .unwrap();
    assert_eq!(page.client_env.as_deref(), Some("pre-release"));
    let pages = sdk!(a.list_real_time_configs().agent_id(agent)).unwrap();
    assert_eq!(pages.config_pages.len(), 3);

    // The hand-written listing streams every entry; the hand-written upload is read back.
    let entries: Vec<_> = client
        .list_audio_cache_entries(agent)
        .page_size(4)
        .sort("id:asc")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0].id, "1001");
    let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    wav.resize(44, 0);
    wav.extend_from_slice(&[1, 2, 3, 4]);
    client
        .replace_audio_cache_file(agent, "1001")
        .filename("sdk.wav")
        .body(wav.clone())
        .send()
        .await
        .unwrap();
    client
        .replace_audio_cache_details(agent, "1002")
        .text("Replaced through the SDK")
        .file(wav.clone())
        .send()
        .await
        .unwrap();
    let entries: Vec<_> = client
        .list_audio_cache_entries(agent)
        .sort("id:asc")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries[0].audio_filename.as_deref(), Some("sdk.wav"));
    assert_eq!(
        entries[1].transcript.as_deref(),
        Some("Replaced through the SDK")
    );
    let bulk = sdk!(
        a.bulk_delete_audio_cache_entries()
            .agent_id(agent)
            .body(body::<agents::BulkDeleteAudioCacheRequest>(
                json!({"ids": ["1003", "9999"]})
            ))
    )
    .unwrap();
    assert_eq!(bulk.deleted, Some(vec!["1003".to_owned()]));
    assert_eq!(bulk.failed, Some(vec!["9999".to_owned()]));
}
