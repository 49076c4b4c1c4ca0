//! The Agents API operations beyond the build-and-ship flow, over loopback HTTP: agent copies,
//! behaviour rules, attributes, variants, telephony (connectors, phone numbers), outbound
//! calls, the voice library, real-time configs and the audio cache. Each test writes through
//! the API and reads the result back.

use polyai_mock::testing::wav;
use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support;

use support::{Answer, assert_envelope, call, delete, get, patch, post};

/// Asserts the status and, for errors, PolyAI's envelope with `code`.
#[track_caller]
fn expect(answer: &Answer, status: u16, code: Option<&str>) {
    match code {
        Some(code) => assert_envelope(answer, status, code),
        None => assert_eq!(
            answer.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&answer.raw)
        ),
    }
}

/// The response's `Content-Type`.
fn content_type(answer: &Answer) -> &str {
    answer
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Sends a hand-built request with the mock's API key.
async fn send(server: &MockServer, request: reqwest::RequestBuilder) -> Answer {
    support::answer(
        request
            .header("x-api-key", server.api_key())
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Makes a branch of `agent` and returns its id.
async fn branch(server: &MockServer, agent: &str, name: &str) -> String {
    let made = post(
        server,
        &format!("/v1/agents/{agent}/branches"),
        json!({"branchName": name}),
    )
    .await;
    expect(&made, 201, None);
    made.json["branchId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn duplicate_copies_an_agent() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let copy = post(
        &server,
        &format!("/v1/agents/{agent}/duplicate"),
        json!({"newAgentName": "Copy", "newAgentId": "copy-1"}),
    )
    .await;
    expect(&copy, 200, None);
    assert_eq!(copy.json["agentId"], "copy-1");
    assert_eq!(copy.json["agentName"], "Copy");
    let listed = get(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
    )
    .await;
    assert!(
        listed
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["agentId"] == "copy-1"),
        "{}",
        listed.json
    );
    // The copy holds the source's main: same topics and behaviour.
    let topics = get(
        &server,
        "/v1/agents/copy-1/branches/main/knowledge-base/topics",
    )
    .await;
    assert_eq!(topics.json.as_array().map(Vec::len), Some(3));
    let rules = get(&server, "/v1/agents/copy-1/branches/main/behavior").await;
    expect(&rules, 200, None);
    let again = post(
        &server,
        &format!("/v1/agents/{agent}/duplicate"),
        json!({"newAgentName": "Again", "newAgentId": "copy-1"}),
    )
    .await;
    expect(&again, 409, Some("PROJECT_ID_ALREADY_EXISTS"));
    let unknown_field = post(
        &server,
        &format!("/v1/agents/{agent}/duplicate"),
        json!({"newAgentName": "X", "description": "no"}),
    )
    .await;
    expect(&unknown_field, 400, Some("BAD_REQUEST"));
    let empty = post(
        &server,
        &format!("/v1/agents/{agent}/duplicate"),
        json!({"newAgentName": ""}),
    )
    .await;
    expect(&empty, 400, Some("BAD_REQUEST"));
}

#[tokio::test]
async fn behaviour_rules_are_edited_on_a_branch_and_merged() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let main = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/behavior"),
    )
    .await;
    expect(&main, 200, None);
    assert!(
        main.json["behavior"]
            .as_str()
            .is_some_and(|b| !b.is_empty())
    );
    let read_only = patch(
        &server,
        &format!("/v1/agents/{agent}/branches/main/behavior"),
        json!({"behavior": "x"}),
    )
    .await;
    expect(&read_only, 422, Some("CANNOT_UPDATE_MAIN_BRANCH"));

    let b = branch(&server, &agent, "rules").await;
    let path = format!("/v1/agents/{agent}/branches/{b}/behavior");
    let updated = patch(
        &server,
        &path,
        json!({"behavior": "Always greet in Welsh first."}),
    )
    .await;
    expect(&updated, 200, None);
    assert_eq!(
        updated.json,
        json!({"behavior": "Always greet in Welsh first."})
    );
    assert_eq!(
        get(&server, &path).await.json["behavior"],
        "Always greet in Welsh first."
    );
    expect(
        &patch(&server, &path, json!({"behavior": ""})).await,
        400,
        Some("BAD_REQUEST"),
    );

    let merged = post(
        &server,
        &format!("/v1/agents/{agent}/branches/{b}/merge"),
        json!({}),
    )
    .await;
    expect(&merged, 200, None);
    let main = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/behavior"),
    )
    .await;
    assert_eq!(main.json["behavior"], "Always greet in Welsh first.");

    // A created agent has no rules yet; an unknown branch is 404.
    let created = post(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
        json!({"name": "Fresh", "agentId": "fresh", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    expect(&created, 200, None);
    let none = get(&server, "/v1/agents/fresh/branches/main/behavior").await;
    expect(&none, 404, Some("AGENT_RULES_NOT_FOUND"));
    let unknown = get(
        &server,
        &format!("/v1/agents/{agent}/branches/BRANCH-NOPE/behavior"),
    )
    .await;
    expect(&unknown, 404, Some("BRANCH_NOT_FOUND"));
}

#[tokio::test]
async fn attributes_and_variants_round_trip() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let b = branch(&server, &agent, "sites").await;
    let base = format!("/v1/agents/{agent}/branches/{b}");

    let listed = get(&server, &format!("{base}/attributes")).await;
    expect(&listed, 200, None);
    assert_eq!(listed.json["attributes"][0]["name"], "site_name");

    let made = post(
        &server,
        &format!("{base}/attributes"),
        json!({"name": "hours"}),
    )
    .await;
    expect(&made, 201, None);
    let attribute = made.json["id"].as_str().unwrap().to_owned();
    assert!(attribute.starts_with("ATTRIBUTE-"));
    expect(
        &post(
            &server,
            &format!("{base}/attributes"),
            json!({"name": "Hours"}),
        )
        .await,
        409,
        Some("ATTRIBUTES_DUPLICATE_NAME_ERROR"),
    );
    let renamed = patch(
        &server,
        &format!("{base}/attributes/{attribute}"),
        json!({"name": "opening_hours"}),
    )
    .await;
    expect(&renamed, 200, None);
    assert_eq!(
        renamed.json,
        json!({"id": attribute, "name": "opening_hours"})
    );

    let variant = post(
        &server,
        &format!("{base}/variants"),
        json!({"name": "Airport", "attributeValues": {"values": {&attribute: "24/7"}}}),
    )
    .await;
    expect(&variant, 201, None);
    let variant_id = variant.json["id"].as_str().unwrap().to_owned();
    assert_eq!(variant.json["isDefault"], false);
    assert_eq!(
        variant.json["attributeValues"]["values"][&attribute],
        "24/7"
    );
    expect(
        &post(
            &server,
            &format!("{base}/variants"),
            json!({"name": "Bad", "attributeValues": {"values": {"nope": "1"}}}),
        )
        .await,
        400,
        Some("VARIANTS_BAD_ATTRIBUTES_ERROR"),
    );
    expect(
        &post(
            &server,
            &format!("{base}/variants"),
            json!({"name": "airport"}),
        )
        .await,
        409,
        Some("VARIANTS_DUPLICATE_NAME_ERROR"),
    );
    let made_default = patch(
        &server,
        &format!("{base}/variants/{variant_id}"),
        json!({"isDefault": true, "name": "Airport T5"}),
    )
    .await;
    expect(&made_default, 200, None);
    assert_eq!(made_default.json["name"], "Airport T5");
    let variants = get(&server, &format!("{base}/variants")).await;
    let defaults: Vec<&Value> = variants.json["variants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["isDefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], variant_id.as_str());
    expect(
        &delete(&server, &format!("{base}/variants/{variant_id}")).await,
        400,
        Some("VARIANTS_REMOVE_DEFAULT_ERROR"),
    );
    let old_default = variants.json["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = delete(&server, &format!("{base}/variants/{old_default}")).await;
    expect(&removed, 200, None);
    assert_eq!(removed.json, json!({"id": old_default}));

    // Deleting an attribute drops the variants' values for it.
    let gone = delete(&server, &format!("{base}/attributes/{attribute}")).await;
    expect(&gone, 200, None);
    assert_eq!(gone.json, json!({"id": attribute}));
    let variants = get(&server, &format!("{base}/variants")).await;
    assert_eq!(
        variants.json["variants"][0]["attributeValues"]["values"],
        json!({})
    );
    expect(
        &delete(&server, &format!("{base}/attributes/{attribute}")).await,
        404,
        Some("ATTRIBUTE_NOT_FOUND"),
    );

    // Main is read-only and unchanged until the merge.
    expect(
        &post(
            &server,
            &format!("/v1/agents/{agent}/branches/main/variants"),
            json!({"name": "x"}),
        )
        .await,
        422,
        Some("CANNOT_UPDATE_MAIN_BRANCH"),
    );
    let main = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/variants"),
    )
    .await;
    assert_eq!(main.json["variants"][0]["name"], "Main street");
    expect(
        &post(
            &server,
            &format!("/v1/agents/{agent}/branches/{b}/merge"),
            json!({}),
        )
        .await,
        200,
        None,
    );
    let main = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/variants"),
    )
    .await;
    assert_eq!(main.json["variants"][0]["name"], "Airport T5");
}

#[tokio::test]
async fn settings_changed_on_both_sides_conflict_at_merge() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let first = branch(&server, &agent, "first").await;
    let second = branch(&server, &agent, "second").await;
    for (b, text) in [(&first, "first rules"), (&second, "second rules")] {
        let path = format!("/v1/agents/{agent}/branches/{b}/behavior");
        expect(
            &patch(&server, &path, json!({"behavior": text})).await,
            200,
            None,
        );
    }
    expect(
        &post(
            &server,
            &format!("/v1/agents/{agent}/branches/{first}/merge"),
            json!({}),
        )
        .await,
        200,
        None,
    );
    let clash = post(
        &server,
        &format!("/v1/agents/{agent}/branches/{second}/merge"),
        json!({}),
    )
    .await;
    expect(&clash, 400, None);
    assert_eq!(
        clash.json["data"]["conflicts"][0]["path"],
        json!(["behavior"])
    );
    let settled = post(
        &server,
        &format!("/v1/agents/{agent}/branches/{second}/merge"),
        json!({"conflictResolutions": [{"path": ["behavior"], "strategy": "ours"}]}),
    )
    .await;
    expect(&settled, 200, None);
    let main = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/behavior"),
    )
    .await;
    assert_eq!(main.json["behavior"], "second rules");
}

#[tokio::test]
async fn a_connector_update_body_is_parsed_once_and_bad_bodies_fail_first() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/telephony/connectors");
    let listed = get(&server, &base).await;
    let live = listed.json["connectors"][2]["connectorId"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(&delete(&server, "/v1/agents/gone-agent").await, 204, None);
    // A body of the wrong shape is the validation error, even when its `projectId` names an
    // agent that does not exist (it is not looked at before the body is known good).
    expect(
        &patch(
            &server,
            &format!("{base}/{live}"),
            json!({"projectId": "gone-agent", "bogus": 1}),
        )
        .await,
        400,
        Some("CONNECTORS_VALIDATION_FAILED"),
    );
    let bad_json = support::answer(
        support::client()
            .patch(format!("{}{base}/{live}", server.base_url()))
            .header("x-api-key", server.api_key())
            .header("content-type", "application/json")
            .body("{\"projectId\": \"gone-agent\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect(&bad_json, 400, Some("CONNECTORS_VALIDATION_FAILED"));
    // A good body moving it to a deleted agent is that agent's 404.
    assert_eq!(
        patch(
            &server,
            &format!("{base}/{live}"),
            json!({"projectId": "gone-agent"}),
        )
        .await
        .status
        .as_u16(),
        404
    );
}

#[tokio::test]
async fn connectors_are_read_updated_batched_and_deleted() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/telephony/connectors");
    let listed = get(&server, &base).await;
    expect(&listed, 200, None);
    let connectors = listed.json["connectors"].as_array().unwrap().clone();
    assert_eq!(connectors.len(), 3);
    let live = connectors[2]["connectorId"].as_str().unwrap().to_owned();
    assert_eq!(connectors[2]["clientEnv"], "live");
    assert_eq!(connectors[2]["projectId"], agent.as_str());

    let one = get(&server, &format!("{base}/{live}")).await;
    expect(&one, 200, None);
    assert_eq!(one.json, connectors[2]);
    expect(
        &get(&server, &format!("{base}/CONNECTOR-NOPE")).await,
        404,
        Some("CONNECTORS_NOT_FOUND"),
    );

    let updated = patch(
        &server,
        &format!("{base}/{live}"),
        json!({"voiceName": "en-US-Neural2-C", "asrLangCode": "en-US", "variantId": "VARIANT-X"}),
    )
    .await;
    expect(&updated, 200, None);
    assert_eq!(updated.json["ttsLangCode"], "en-US");
    assert_eq!(
        get(&server, &format!("{base}/{live}")).await.json["variantId"],
        "VARIANT-X"
    );
    expect(
        &patch(
            &server,
            &format!("{base}/{live}"),
            json!({"voiceName": "robot"}),
        )
        .await,
        400,
        Some("CONNECTORS_VALIDATION_FAILED"),
    );

    let batch = post(
        &server,
        &format!("{base}/batch"),
        json!({"connectorIds": [live, "CONNECTOR-NOPE"]}),
    )
    .await;
    expect(&batch, 200, None);
    assert_eq!(batch.json["found"][0]["connectorId"], live.as_str());
    assert_eq!(batch.json["notFound"], json!(["CONNECTOR-NOPE"]));
    expect(
        &post(
            &server,
            &format!("{base}/batch"),
            json!({"connectorIds": []}),
        )
        .await,
        400,
        Some("CONNECTORS_VALIDATION_FAILED"),
    );
    let batch_update = patch(
        &server,
        &format!("{base}/batch"),
        json!({"updates": [{"connectorId": live, "variantId": null}, {"connectorId": "CONNECTOR-NOPE", "asrLangCode": "fr-FR"}]}),
    )
    .await;
    expect(&batch_update, 200, None);
    assert_eq!(batch_update.json["results"][0]["success"], true);
    assert_eq!(batch_update.json["results"][0]["data"]["variantId"], "");
    assert_eq!(batch_update.json["results"][1]["success"], false);

    // The seeded live number routes to the live connector.
    let numbers = get(
        &server,
        &format!("/v1/agents/{agent}/telephony/phone-numbers"),
    )
    .await;
    let number = numbers.json["phoneNumbers"][0]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = post(
        &server,
        &format!("{base}/lookup"),
        json!({"phoneNumber": number}),
    )
    .await;
    expect(&found, 200, None);
    assert_eq!(found.json["connectorId"], live.as_str());
    expect(
        &post(
            &server,
            &format!("{base}/lookup"),
            json!({"phoneNumber": "12345"}),
        )
        .await,
        400,
        Some("PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
    );

    let deleted = delete(&server, &format!("{base}/{live}")).await;
    expect(&deleted, 200, None);
    assert_eq!(deleted.json["deletedConnector"], live.as_str());
    assert_eq!(deleted.json["deletedPhoneNumbers"], json!([number]));
    assert_eq!(
        get(&server, &base).await.json["connectors"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    expect(
        &get(&server, &format!("{base}/{live}")).await,
        404,
        Some("CONNECTORS_NOT_FOUND"),
    );
}

#[tokio::test]
async fn a_connector_moves_to_another_project() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let listed = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    let sandbox = listed.json["connectors"][0]["connectorId"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = patch(
        &server,
        &format!("/v1/agents/{agent}/telephony/connectors/{sandbox}"),
        json!({"projectId": "other-agent"}),
    )
    .await;
    expect(&moved, 200, None);
    assert_eq!(moved.json["projectId"], "other-agent");
    let theirs = get(
        &server,
        &format!("/v1/agents/other-agent/telephony/connectors/{sandbox}"),
    )
    .await;
    expect(&theirs, 200, None);
    let ours = get(
        &server,
        &format!("/v1/agents/{agent}/telephony/connectors/{sandbox}"),
    )
    .await;
    expect(&ours, 404, Some("CONNECTORS_NOT_FOUND"));
}

#[tokio::test]
async fn phone_numbers_are_imported_read_reassigned_and_released() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/telephony/phone-numbers");
    let imported = post(
        &server,
        &base,
        json!({"phoneNumbers": ["+15550100001", "+15550100002"], "clientEnv": "sandbox"}),
    )
    .await;
    expect(&imported, 201, None);
    assert_eq!(
        imported.json["imported"],
        json!(["+15550100001", "+15550100002"])
    );
    expect(
        &post(&server, &base, json!({"phoneNumbers": ["+15550100001"]})).await,
        409,
        Some("PHONE_NUMBERS_ALREADY_EXISTS"),
    );
    expect(
        &post(&server, &base, json!({"phoneNumbers": ["0207"]})).await,
        400,
        Some("PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
    );
    expect(
        &post(
            &server,
            &base,
            json!({"phoneNumbers": ["+15550100003"], "clientEnv": "prod"}),
        )
        .await,
        400,
        Some("PHONE_NUMBERS_VALIDATION_FAILED"),
    );

    // A single import, with the `+` percent-encoded in the path and without a body.
    let single = call(
        &server,
        Method::POST,
        &format!("{base}/%2B15550100003"),
        None,
    )
    .await;
    expect(&single, 201, None);
    assert_eq!(single.json, json!({"imported": "+15550100003"}));
    let read = get(&server, &format!("{base}/%2B15550100003")).await;
    expect(&read, 200, None);
    assert_eq!(read.json["clientEnv"], "live");
    // A raw `+` in the path works too.
    let raw = get(&server, &format!("{base}/+15550100001")).await;
    expect(&raw, 200, None);
    assert_eq!(raw.json["clientEnv"], "sandbox");
    let sandbox_connector = raw.json["connectorId"].as_str().unwrap().to_owned();

    let filtered = get(&server, &format!("{base}?connectorId={sandbox_connector}")).await;
    expect(&filtered, 200, None);
    assert_eq!(
        filtered.json["phoneNumbers"].as_array().map(Vec::len),
        Some(2)
    );

    let connectors = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    let live = connectors.json["connectors"][2]["connectorId"]
        .as_str()
        .unwrap()
        .to_owned();
    let reassigned = patch(
        &server,
        &format!("{base}/%2B15550100001"),
        json!({"connectorId": live}),
    )
    .await;
    expect(&reassigned, 200, None);
    assert_eq!(reassigned.json["connectorId"], live.as_str());
    assert_eq!(reassigned.json["clientEnv"], "live");
    expect(
        &patch(
            &server,
            &format!("{base}/%2B15550100001"),
            json!({"connectorId": "CONNECTOR-NOPE"}),
        )
        .await,
        404,
        Some("PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST"),
    );

    let batch = post(
        &server,
        &format!("{base}/batch"),
        json!({"phoneNumbers": ["+15550100002", "+15550109999"]}),
    )
    .await;
    expect(&batch, 200, None);
    assert_eq!(batch.json["found"][0]["number"], "+15550100002");
    assert_eq!(batch.json["notFound"], json!(["+15550109999"]));

    let released = delete(&server, &format!("{base}/%2B15550100003")).await;
    expect(&released, 200, None);
    assert_eq!(released.json, json!({"deleted": "+15550100003"}));
    expect(
        &get(&server, &format!("{base}/%2B15550100003")).await,
        404,
        Some("PHONE_NUMBERS_NOT_FOUND"),
    );

    let bulk = call(
        &server,
        Method::DELETE,
        &base,
        Some(json!({"phoneNumbers": ["+15550100001", "+15550100002", "+15550109999"]})),
    )
    .await;
    expect(&bulk, 200, None);
    assert_eq!(
        bulk.json["deleted"],
        json!(["+15550100001", "+15550100002"])
    );
    assert_eq!(bulk.json["errors"][0]["phoneNumber"], "+15550109999");
    let left = get(&server, &base).await;
    assert_eq!(
        left.json["phoneNumbers"].as_array().map(Vec::len),
        Some(1),
        "the seeded number"
    );
}

#[tokio::test]
async fn outbound_calls_are_placed_and_followed() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/telephony/outbound-calls");
    let placed = post(
        &server,
        &base,
        json!({"toNumber": "020 7946 0321", "countryCode": "GB", "environment": "live", "metadata": {"customer": "Ada"}}),
    )
    .await;
    expect(&placed, 200, None);
    assert_eq!(placed.json["status"], "QUEUED");
    let sid = placed.json["callSid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("OUT-"));
    let status = |env: &'static str| {
        let path = format!("{base}/{sid}/status?environment={env}");
        let server = &server;
        async move { get(server, &path).await }
    };
    let first = status("live").await;
    expect(&first, 200, None);
    assert_eq!(first.json["status"], "CALLING");
    let second = status("live").await;
    assert_eq!(second.json["status"], "SUCCESS");
    assert_eq!(second.json["reason"], "");
    expect(
        &status("sandbox").await,
        404,
        Some("OUTBOUND_CALL_NOT_FOUND"),
    );
    let missing_env = get(&server, &format!("{base}/{sid}/status")).await;
    expect(&missing_env, 400, Some("OUTBOUND_CALL_VALIDATION_FAILED"));
    expect(
        &post(
            &server,
            &base,
            json!({"toNumber": "07700 900123", "environment": "live"}),
        )
        .await,
        400,
        Some("OUTBOUND_CALL_VALIDATION_FAILED"),
    );
    expect(
        &post(
            &server,
            &base,
            json!({"toNumber": "+442079460321", "environment": "staging"}),
        )
        .await,
        400,
        Some("OUTBOUND_CALL_VALIDATION_FAILED"),
    );

    // Without a connector for the environment: 404.
    let connectors = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    let sandbox = connectors.json["connectors"][0]["connectorId"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        &delete(
            &server,
            &format!("/v1/agents/{agent}/telephony/connectors/{sandbox}"),
        )
        .await,
        200,
        None,
    );
    expect(
        &post(
            &server,
            &base,
            json!({"toNumber": "+442079460321", "environment": "sandbox"}),
        )
        .await,
        404,
        Some("CONNECTORS_NOT_FOUND"),
    );
}

#[tokio::test]
async fn deleted_agents_lose_their_telephony() {
    let server = MockServer::start().await;
    let created = post(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
        json!({"name": "Temp", "agentId": "temp", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    expect(&created, 200, None);
    let imported = post(
        &server,
        "/v1/agents/temp/telephony/phone-numbers",
        json!({"phoneNumbers": ["+15550177777"]}),
    )
    .await;
    expect(&imported, 201, None);
    expect(&delete(&server, "/v1/agents/temp").await, 204, None);
    expect(
        &get(&server, "/v1/agents/temp/telephony/connectors").await,
        404,
        Some("PROJECT_NOT_FOUND"),
    );
    let again = post(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
        json!({"name": "Temp", "agentId": "temp", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    expect(&again, 200, None);
    let numbers = get(&server, "/v1/agents/temp/telephony/phone-numbers").await;
    let held: Vec<&Value> = numbers.json["phoneNumbers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["number"] == "+15550177777")
        .collect();
    assert!(held.is_empty(), "{}", numbers.json);
}

#[tokio::test]
async fn fault_plans_reach_the_new_routes() {
    let server = MockServer::start().await;
    let route = Route::operation("list_connectors").unwrap();
    server.set_faults(FaultPlan::new().rule(FaultRule::new(Fault::Status(503)).on(route).first(1)));
    let agent = server.agent_id().to_owned();
    let first = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    expect(&first, 503, None);
    let second = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    expect(&second, 200, None);
    assert!(content_type(&second).starts_with("application/json"));
}

#[tokio::test]
async fn the_voice_library_lists_filters_registers_and_updates() {
    let server = MockServer::start().await;
    let base = format!("/v1/accounts/{}/voice-library", server.account_id());
    let all = get(&server, &base).await;
    expect(&all, 200, None);
    assert_eq!(all.json["voices"].as_array().map(Vec::len), Some(4));
    let google = get(&server, &format!("{base}?provider=google&gender=neutral")).await;
    expect(&google, 200, None);
    assert_eq!(google.json["voices"][0]["name"], "Rowan");
    assert_eq!(google.json["voices"].as_array().map(Vec::len), Some(1));
    expect(
        &get(&server, &format!("{base}?isPolyVoice=maybe")).await,
        400,
        Some("VOICES_VALIDATION_FAILED"),
    );
    expect(
        &get(&server, &format!("{base}?gender=other")).await,
        400,
        Some("VOICES_VALIDATION_FAILED"),
    );

    let made = post(
        &server,
        &base,
        json!({"name": "Brand voice", "provider": "ELEVENLABS", "providerVoiceId": "abc123",
               "config": {"stability": 0.5}, "voiceMetadata": {"language": "en-IE", "gender": "female"}}),
    )
    .await;
    expect(&made, 200, None);
    let id = made.json["voice"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("VOICE-"));
    assert_eq!(made.json["voice"]["isPolyVoice"], false);
    let own = get(&server, &format!("{base}?isPolyVoice=false&language=en-IE")).await;
    assert_eq!(own.json["voices"][0]["id"], id.as_str());
    expect(
        &post(
            &server,
            &base,
            json!({"name": "No config", "provider": "GOOGLE", "providerVoiceId": "x"}),
        )
        .await,
        400,
        Some("VOICES_VALIDATION_FAILED"),
    );

    let updated = patch(
        &server,
        &format!("{base}/{id}"),
        json!({"name": "Brand voice v2"}),
    )
    .await;
    expect(&updated, 200, None);
    let read = get(&server, &format!("{base}/{id}")).await;
    expect(&read, 200, None);
    assert_eq!(read.json["voice"]["name"], "Brand voice v2");
    assert_eq!(read.json["voice"]["config"], json!({"stability": 0.5}));
    expect(
        &patch(
            &server,
            &format!("{base}/VOICE-POLY0001"),
            json!({"name": "Mine"}),
        )
        .await,
        403,
        Some("USER_ACCESS_FORBIDDEN"),
    );
    expect(
        &get(&server, &format!("{base}/VOICE-NOPE")).await,
        404,
        Some("VOICE_NOT_FOUND"),
    );

    let sample = get(&server, &format!("{base}/{id}/sample")).await;
    expect(&sample, 200, None);
    assert_eq!(sample.json["voiceId"], id.as_str());
    assert!(
        sample.json["sampleUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    assert_eq!(sample.json["expiresInSeconds"], 3600);
    assert!(
        sample.json["text"]
            .as_str()
            .is_some_and(|t| t.contains("Brand voice v2"))
    );

    // Libraries are per account.
    let other = get(
        &server,
        "/v1/accounts/ws-other/voice-library?isPolyVoice=false",
    )
    .await;
    assert_eq!(other.json["voices"], json!([]));
}

#[tokio::test]
async fn real_time_configs_keep_a_schema_and_variables_per_environment() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/real-time-configs");
    let listed = get(&server, &base).await;
    expect(&listed, 200, None);
    let envs: Vec<&str> = listed.json["configPages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["clientEnv"].as_str())
        .collect();
    assert_eq!(envs, ["sandbox", "pre-release", "live"]);

    let schema = json!({"type": "object", "properties": {"open": {"type": "boolean"},
                        "queue": {"type": "integer", "minimum": 0}}, "required": ["open"]});
    let put = call(
        &server,
        Method::PUT,
        &format!("{base}/live/schema"),
        Some(json!({"schema": schema})),
    )
    .await;
    expect(&put, 200, None);
    assert_eq!(put.json["schema"], schema);
    assert!(put.json["lastUpdated"].is_string());
    let rejected = patch(
        &server,
        &format!("{base}/live/variables"),
        json!({"variables": {"queue": 3}}),
    )
    .await;
    expect(&rejected, 400, Some("REAL_TIME_CONFIG_INVALID_FOR_SCHEMA"));
    assert!(
        rejected.json["data"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let set = patch(
        &server,
        &format!("{base}/live/variables"),
        json!({"variables": {"open": true, "queue": 3}}),
    )
    .await;
    expect(&set, 200, None);
    let merged = patch(
        &server,
        &format!("{base}/live/variables"),
        json!({"variables": {"queue": 5}}),
    )
    .await;
    expect(&merged, 200, None);
    let read = get(&server, &format!("{base}/live")).await;
    expect(&read, 200, None);
    assert_eq!(read.json["variables"], json!({"open": true, "queue": 5}));
    // Other environments are untouched and take anything without a schema.
    let sandbox = patch(
        &server,
        &format!("{base}/sandbox/variables"),
        json!({"variables": {"queue": "any"}}),
    )
    .await;
    expect(&sandbox, 200, None);
    assert!(sandbox.json.get("schema").is_none());

    let stricter = json!({"type": "object", "properties": {"queue": {"maximum": 4}}});
    expect(
        &call(
            &server,
            Method::PUT,
            &format!("{base}/live/schema"),
            Some(json!({"schema": stricter})),
        )
        .await,
        400,
        Some("REAL_TIME_CONFIG_INVALID_FOR_SCHEMA"),
    );
    expect(
        &call(
            &server,
            Method::PUT,
            &format!("{base}/live/schema"),
            Some(json!({"schema": {"type": 7}})),
        )
        .await,
        400,
        Some("REAL_TIME_CONFIG_INVALID_SCHEMA"),
    );
    expect(
        &get(&server, &format!("{base}/production")).await,
        400,
        Some("REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT"),
    );
    expect(
        &patch(
            &server,
            &format!("{base}/live/variables"),
            json!({"values": {}}),
        )
        .await,
        400,
        Some("BAD_REQUEST"),
    );
}

#[tokio::test]
async fn audio_cache_entries_are_listed_paged_and_sorted() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/audio-cache");
    let all = get(&server, &base).await;
    expect(&all, 200, None);
    assert_eq!(all.json["totalCount"], 6);
    let entries = all.json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0]["id"], "1001", "newest first by default");
    assert_eq!(entries[0]["provider"], "eleven_labs");
    let page = get(&server, &format!("{base}?limit=2&offset=4&sort=id:asc")).await;
    expect(&page, 200, None);
    let ids: Vec<&str> = page.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids, ["1005", "1006"]);
    assert_eq!(page.json["totalCount"], 6);
    let by_hits = get(&server, &format!("{base}?sort=hit_count:desc")).await;
    let hits: Vec<u64> = by_hits.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["hitCount"].as_u64())
        .collect();
    assert!(hits.windows(2).all(|w| w[0] >= w[1]), "{hits:?}");
    for bad in [
        "limit=0",
        "limit=201",
        "offset=-1",
        "sort=popularity:desc",
        "sort=id:up",
    ] {
        expect(
            &get(&server, &format!("{base}?{bad}")).await,
            400,
            Some("AUDIO_CACHE_VALIDATION_FAILED"),
        );
    }
}

#[tokio::test]
async fn audio_cache_files_are_downloaded_replaced_and_synthesized() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/audio-cache");
    let file = get(&server, &format!("{base}/1001/file")).await;
    expect(&file, 200, None);
    assert_eq!(content_type(&file), "audio/wav");
    assert_eq!(&file.raw[0..4], b"RIFF");
    expect(
        &get(&server, &format!("{base}/abc/file")).await,
        400,
        Some("AUDIO_CACHE_INVALID_ID"),
    );
    expect(
        &get(&server, &format!("{base}/999/file")).await,
        404,
        Some("AUDIO_CACHE_ENTRY_NOT_FOUND"),
    );

    // Raw replacement, with a file name.
    let upload = wav(8000);
    let replaced = send(
        &server,
        reqwest::Client::new()
            .patch(format!("{}{base}/1002/file", server.base_url()))
            .header("content-type", "audio/wav")
            .header("x-filename", "order-number.wav")
            .body(upload.clone()),
    )
    .await;
    expect(&replaced, 204, None);
    let back = get(&server, &format!("{base}/1002/file")).await;
    assert_eq!(back.raw, upload);
    let listed = get(&server, &format!("{base}?sort=id:asc&limit=2&offset=1")).await;
    let entry = &listed.json["entries"][0];
    assert_eq!(entry["id"], "1002");
    assert_eq!(entry["audioFilename"], "order-number.wav");
    assert_eq!(entry["imported"], true);
    assert_eq!(entry["duration"], 1.0);
    let not_wav = send(
        &server,
        reqwest::Client::new()
            .patch(format!("{}{base}/1002/file", server.base_url()))
            .header("content-type", "audio/wav")
            .body("hello"),
    )
    .await;
    expect(&not_wav, 400, Some("AUDIO_CACHE_VALIDATION_FAILED"));
    let mut too_big = wav(8);
    too_big.resize(6 * 1024 * 1024 + 1, 0);
    let over = send(
        &server,
        reqwest::Client::new()
            .patch(format!("{}{base}/1002/file", server.base_url()))
            .header("content-type", "audio/wav")
            .body(too_big),
    )
    .await;
    expect(&over, 400, Some("AUDIO_CACHE_VALIDATION_FAILED"));

    // Multipart replacement of the file and the settings.
    let details = wav(4000);
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(details.clone())
                .file_name("welcome.wav")
                .mime_str("audio/wav")
                .unwrap(),
        )
        .text(
            "settings",
            r#"{"text": "Welcome back!", "config": {"speed": 1.1}}"#,
        );
    let put = send(
        &server,
        reqwest::Client::new()
            .put(format!("{}{base}/1003/details", server.base_url()))
            .multipart(form),
    )
    .await;
    expect(&put, 204, None);
    assert_eq!(
        get(&server, &format!("{base}/1003/file")).await.raw,
        details
    );
    let listed = get(&server, &format!("{base}?sort=id:asc&limit=1&offset=2")).await;
    assert_eq!(listed.json["entries"][0]["transcript"], "Welcome back!");
    assert_eq!(listed.json["entries"][0]["audioFilename"], "welcome.wav");
    let missing_file = reqwest::multipart::Form::new().text("settings", r#"{"text": "x"}"#);
    let bad = send(
        &server,
        reqwest::Client::new()
            .put(format!("{}{base}/1003/details", server.base_url()))
            .multipart(missing_file),
    )
    .await;
    expect(&bad, 400, Some("AUDIO_CACHE_VALIDATION_FAILED"));
    let bad_settings = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(wav(10)).file_name("a.wav"),
        )
        .text("settings", "not json");
    let bad = send(
        &server,
        reqwest::Client::new()
            .put(format!("{}{base}/1003/details", server.base_url()))
            .multipart(bad_settings),
    )
    .await;
    expect(&bad, 400, Some("AUDIO_CACHE_VALIDATION_FAILED"));

    // Synthesize answers audio and saves nothing.
    let preview = post(
        &server,
        &format!("{base}/1004/synthesize"),
        json!({"text": "Try this line", "config": {"speed": 1.0}}),
    )
    .await;
    expect(&preview, 200, None);
    assert_eq!(content_type(&preview), "audio/wav");
    assert_eq!(&preview.raw[8..12], b"WAVE");
    let longer = post(
        &server,
        &format!("{base}/1004/synthesize"),
        json!({"text": "Try this much longer line of speech instead", "config": {}}),
    )
    .await;
    assert!(longer.raw.len() > preview.raw.len());
    let after = get(&server, &format!("{base}?sort=id:asc&limit=1&offset=3")).await;
    assert_eq!(
        after.json["entries"][0]["transcript"],
        "I'm sorry, I didn't catch that. Could you say it again?"
    );
    assert_eq!(after.json["totalCount"], 6);
    expect(
        &post(
            &server,
            &format!("{base}/1004/synthesize"),
            json!({"text": "no config"}),
        )
        .await,
        400,
        Some("AUDIO_CACHE_VALIDATION_FAILED"),
    );
}

#[tokio::test]
async fn audio_cache_entries_are_deleted_one_by_one_and_in_bulk() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}/audio-cache");
    let deleted = delete(&server, &format!("{base}/1001")).await;
    expect(&deleted, 200, None);
    assert_eq!(deleted.json, json!({"success": true}));
    expect(
        &delete(&server, &format!("{base}/1001")).await,
        404,
        Some("AUDIO_CACHE_ENTRY_NOT_FOUND"),
    );
    expect(
        &delete(&server, &format!("{base}/x1")).await,
        400,
        Some("AUDIO_CACHE_INVALID_ID"),
    );
    let bulk = post(
        &server,
        &format!("{base}/bulk-delete"),
        json!({"ids": ["1002", "1003", "1001", "nope"]}),
    )
    .await;
    expect(&bulk, 200, None);
    assert_eq!(
        bulk.json,
        json!({"deleted": ["1002", "1003"], "failed": ["1001", "nope"]})
    );
    let left = get(&server, &base).await;
    assert_eq!(left.json["totalCount"], 3);
    expect(
        &post(&server, &format!("{base}/bulk-delete"), json!({"ids": []})).await,
        400,
        Some("AUDIO_CACHE_VALIDATION_FAILED"),
    );
    let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
    expect(
        &post(
            &server,
            &format!("{base}/bulk-delete"),
            json!({"ids": many}),
        )
        .await,
        400,
        Some("AUDIO_CACHE_VALIDATION_FAILED"),
    );
    // Emptying the cache keeps it empty.
    let rest = post(
        &server,
        &format!("{base}/bulk-delete"),
        json!({"ids": ["1004", "1005", "1006"]}),
    )
    .await;
    expect(&rest, 200, None);
    assert_eq!(get(&server, &base).await.json["totalCount"], 0);
}

#[tokio::test]
async fn tests_can_seed_entries_and_connectors_and_read_placed_calls() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let id = server
        .add_audio_cache_entry(&agent, "Your table is booked for seven.")
        .unwrap();
    assert_eq!(id, "1007");
    let listed = get(
        &server,
        &format!("/v1/agents/{agent}/audio-cache?sort=id:desc&limit=1"),
    )
    .await;
    assert_eq!(listed.json["entries"][0]["id"], "1007");
    assert_eq!(
        listed.json["entries"][0]["transcript"],
        "Your table is booked for seven."
    );
    assert_eq!(listed.json["entries"][0]["hitCount"], 0);
    let file = get(
        &server,
        &format!("/v1/agents/{agent}/audio-cache/1007/file"),
    )
    .await;
    expect(&file, 200, None);

    let connector = server.add_connector(&agent, "sandbox").unwrap();
    assert!(server.add_connector(&agent, "prod").is_none());
    let listed = get(&server, &format!("/v1/agents/{agent}/telephony/connectors")).await;
    assert_eq!(listed.json["connectors"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        listed.json["connectors"][3]["connectorId"],
        connector.as_str()
    );

    let placed = post(
        &server,
        &format!("/v1/agents/{agent}/telephony/outbound-calls"),
        json!({"toNumber": "+442079460555", "environment": "sandbox", "variantId": "VARIANT-A", "metadata": {"booking": "42"}}),
    )
    .await;
    expect(&placed, 200, None);
    let calls = server.agent_outbound_calls(&agent);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].call_sid, placed.json["callSid"].as_str().unwrap());
    assert_eq!(calls[0].to_number, "+442079460555");
    assert_eq!(calls[0].environment, "sandbox");
    assert_eq!(calls[0].variant_id.as_deref(), Some("VARIANT-A"));
    assert_eq!(
        calls[0].metadata.get("booking").map(String::as_str),
        Some("42")
    );
    assert_eq!(calls[0].status_reads, 0);

    expect(
        &delete(&server, &format!("/v1/agents/{agent}")).await,
        204,
        None,
    );
    assert!(server.add_audio_cache_entry(&agent, "x").is_none());
    assert!(server.agent_outbound_calls(&agent).is_empty());
}

#[tokio::test]
async fn synthesized_audio_is_bounded_whatever_the_text_or_speed() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let text = "word ".repeat(200_000);
    let preview = post(
        &server,
        &format!("/v1/agents/{agent}/audio-cache/1001/synthesize"),
        json!({"text": text, "config": {"speed": 0.000001}}),
    )
    .await;
    expect(&preview, 200, None);
    // 120 s of 16-bit mono at the default 8 kHz, plus the 44-byte header.
    assert_eq!(preview.raw.len(), 44 + 120 * 8000 * 2);
}

#[tokio::test]
async fn batches_take_at_most_a_thousand_items() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let numbers: Vec<String> = (0..1001).map(|i| format!("+1555020{i:04}")).collect();
    let big = post(
        &server,
        &format!("/v1/agents/{agent}/telephony/phone-numbers"),
        json!({"phoneNumbers": numbers}),
    )
    .await;
    expect(&big, 400, Some("PHONE_NUMBERS_VALIDATION_FAILED"));
    let fits = post(
        &server,
        &format!("/v1/agents/{agent}/telephony/phone-numbers"),
        json!({"phoneNumbers": numbers[..1000]}),
    )
    .await;
    expect(&fits, 201, None);
    let listed = get(
        &server,
        &format!("/v1/agents/{agent}/telephony/phone-numbers"),
    )
    .await;
    assert_eq!(
        listed.json["phoneNumbers"].as_array().map(Vec::len),
        Some(1001)
    );
    let ids: Vec<String> = (0..1001).map(|i| format!("CONNECTOR-{i}")).collect();
    expect(
        &post(
            &server,
            &format!("/v1/agents/{agent}/telephony/connectors/batch"),
            json!({"connectorIds": ids}),
        )
        .await,
        400,
        Some("CONNECTORS_VALIDATION_FAILED"),
    );
}

#[tokio::test]
async fn the_admin_routes_seed_entries_and_connectors_and_list_placed_calls() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let entry = post(
        &server,
        "/_mock/audio-cache-entries",
        json!({"agent_id": agent, "transcript": "Seeded over HTTP."}),
    )
    .await;
    expect(&entry, 200, None);
    assert_eq!(entry.json, json!({"id": "1007"}));
    let listed = get(
        &server,
        &format!("/v1/agents/{agent}/audio-cache?sort=id:desc&limit=1"),
    )
    .await;
    assert_eq!(listed.json["entries"][0]["transcript"], "Seeded over HTTP.");

    let connector = post(
        &server,
        "/_mock/connectors",
        json!({"agent_id": agent, "client_env": "pre-release"}),
    )
    .await;
    expect(&connector, 200, None);
    let id = connector.json["connector_id"].as_str().unwrap().to_owned();
    let read = get(
        &server,
        &format!("/v1/agents/{agent}/telephony/connectors/{id}"),
    )
    .await;
    assert_eq!(read.json["clientEnv"], "pre-release");
    let bad_env = post(
        &server,
        "/_mock/connectors",
        json!({"agent_id": agent, "client_env": "prod"}),
    )
    .await;
    expect(&bad_env, 400, Some("MOCK_ADMIN_BAD_REQUEST"));

    let placed = post(
        &server,
        &format!("/v1/agents/{agent}/telephony/outbound-calls"),
        json!({"toNumber": "+442079460999", "environment": "pre-release"}),
    )
    .await;
    expect(&placed, 200, None);
    let calls = get(&server, &format!("/_mock/agent-outbound-calls/{agent}")).await;
    expect(&calls, 200, None);
    assert_eq!(calls.json[0]["call_sid"], placed.json["callSid"]);
    assert_eq!(calls.json[0]["to_number"], "+442079460999");
    // Admin calls are not in the request log.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/_mock/"))
    );

    expect(
        &delete(&server, &format!("/v1/agents/{agent}")).await,
        204,
        None,
    );
    let gone = post(
        &server,
        "/_mock/audio-cache-entries",
        json!({"agent_id": agent, "transcript": "x"}),
    )
    .await;
    expect(&gone, 404, Some("PROJECT_NOT_FOUND"));
}
