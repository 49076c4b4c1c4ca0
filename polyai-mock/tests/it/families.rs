//! Chat, Alerts, legacy Outbound, handoff state, concurrent calls, DNI and external events,
//! the admin routes and the scripting handle, over loopback HTTP.

use polyai_mock::{Fault, FaultPlan, FaultRule, MockServer, Route};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support;
use support::{
    Answer, Receiver, assert_envelope, call_with, delete, get, patch, post, signature_ok,
};

fn chat_path(server: &MockServer, op: &str) -> String {
    format!(
        "/v1/{}/{}/chat/{op}",
        server.account_id(),
        server.project_id()
    )
}

async fn chat(server: &MockServer, method: Method, op: &str, body: Value) -> Answer {
    let key = server.api_key().to_owned();
    call_with(
        server,
        method,
        &chat_path(server, op),
        Some(body),
        &[
            ("x-api-key", &key),
            ("x-token", polyai_mock::DEFAULT_CONNECTOR_TOKEN),
        ],
    )
    .await
}

/// Asserts a `{error_message}` body with this status.
fn assert_error_message(a: &Answer, status: u16) {
    assert_eq!(a.status.as_u16(), status, "body: {}", a.json);
    assert!(
        a.json["error_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "body: {}",
        a.json
    );
    assert_eq!(a.json.as_object().map(|o| o.len()), Some(1), "{}", a.json);
}

/// Asserts FastAPI's 422 `{detail: [{loc, msg, type}]}` with `loc` ending in `field`.
fn assert_detail(a: &Answer, field: &str) {
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body: {}",
        a.json
    );
    let problem = &a.json["detail"][0];
    assert!(
        problem["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        a.json
    );
    assert_eq!(problem["type"], "value_error");
    let loc = problem["loc"].as_array().unwrap();
    assert_eq!(loc.last().unwrap(), field, "{}", a.json);
}

#[tokio::test]
async fn chat_needs_both_credentials_and_holds_a_conversation() {
    let server = MockServer::start().await;
    // The API key alone is not enough, nor a wrong token.
    let no_token = post(&server, &chat_path(&server, "create"), json!({})).await;
    assert_envelope(&no_token, 401, "AUTH_USER_UNAUTHORISED");
    let wrong = call_with(
        &server,
        Method::POST,
        &chat_path(&server, "create"),
        Some(json!({})),
        &[("x-api-key", server.api_key()), ("x-token", "nope")],
    )
    .await;
    assert_envelope(&wrong, 401, "AUTH_USER_INVALID_TOKEN");
    let no_key = call_with(
        &server,
        Method::POST,
        &chat_path(&server, "create"),
        Some(json!({})),
        &[("x-token", polyai_mock::DEFAULT_CONNECTOR_TOKEN)],
    )
    .await;
    assert_envelope(&no_key, 401, "AUTH_USER_UNAUTHORISED");

    let bad = chat(&server, Method::POST, "create", json!({"channel": "fax"})).await;
    assert_envelope(&bad, 400, "CONVERSATIONS_VALIDATION_FAILED");

    let created = chat(
        &server,
        Method::POST,
        "create",
        json!({"channel": "webchat"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.json);
    let id = created.json["conversation_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("CHAT-"), "{id}");
    assert!(created.json["response"].as_str().unwrap().contains("Hello"));

    let reply = chat(
        &server,
        Method::POST,
        "respond",
        json!({"conversation_id": id, "message": "What are your opening hours?"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["end_conversation"], false);
    assert!(reply.json["response"].as_str().unwrap().contains("9am"));

    // Another project's path does not see the conversation.
    let key = server.api_key().to_owned();
    let elsewhere = call_with(
        &server,
        Method::POST,
        &format!("/v1/{}/OTHER-PROJECT/chat/respond", server.account_id()),
        Some(json!({"conversation_id": id, "message": "hi"})),
        &[
            ("x-api-key", &key),
            ("x-token", polyai_mock::DEFAULT_CONNECTOR_TOKEN),
        ],
    )
    .await;
    assert_envelope(&elsewhere, 404, "CONVERSATIONS_NOT_FOUND");

    let handoff = chat(
        &server,
        Method::POST,
        "respond",
        json!({"conversation_id": id, "message": "let me talk to a human"}),
    )
    .await;
    assert_eq!(handoff.json["end_conversation"], true);
    assert_eq!(handoff.json["handoff"]["destination"], "reception");
    let after = chat(
        &server,
        Method::POST,
        "respond",
        json!({"conversation_id": id, "message": "hello?"}),
    )
    .await;
    assert_envelope(&after, 410, "ChatConversationEnded");
    let closed = chat(
        &server,
        Method::PUT,
        "close",
        json!({"conversation_id": id}),
    )
    .await;
    assert_envelope(&closed, 410, "ChatConversationEnded");

    let turns = server.chat_turns(&id).unwrap();
    assert_eq!(turns.len(), 3);
    assert_eq!(turns[1].0, "What are your opening hours?");

    // Close ends an open conversation once.
    let second = chat(&server, Method::POST, "create", json!({})).await;
    let second_id = second.json["conversation_id"].as_str().unwrap().to_owned();
    let closed = chat(
        &server,
        Method::PUT,
        "close",
        json!({"conversation_id": second_id}),
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK);
    assert_eq!(closed.json, json!({"success": true}));
    let missing = chat(&server, Method::PUT, "close", json!({})).await;
    assert_envelope(&missing, 400, "CONVERSATIONS_VALIDATION_FAILED");
}

#[tokio::test]
async fn idle_chats_time_out() {
    let server = MockServer::builder()
        .debug_chat_idle_timeout(std::time::Duration::from_millis(1))
        .start()
        .await;
    let created = chat(&server, Method::POST, "create", json!({})).await;
    let id = created.json["conversation_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let late = chat(
        &server,
        Method::POST,
        "respond",
        json!({"conversation_id": id, "message": "still there?"}),
    )
    .await;
    assert_envelope(&late, 400, "CHAT_TIMEOUT");
    // A timed-out conversation has ended.
    let again = chat(
        &server,
        Method::POST,
        "respond",
        json!({"conversation_id": id, "message": "hello"}),
    )
    .await;
    assert_envelope(&again, 410, "ChatConversationEnded");
}

fn rule_body(name: &str) -> Value {
    json!({
        "name": name,
        "metric": "turn_latency_p95",
        "operator": ">",
        "threshold_value": 2000,
        "window_duration": "5m",
        "project_id": "PROJECT-A"
    })
}

#[tokio::test]
async fn alert_rules_round_trip_and_validate_with_fastapi_details() {
    let server = MockServer::start().await;
    let created = post(&server, "/v1/alert-rules", rule_body("p95")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ar_") && id.len() > 3, "{id}");
    assert_eq!(created.json["enabled"], true);
    assert_eq!(created.json["current_state"], "no_data");

    let read = get(&server, &format!("/v1/alert-rules/{id}")).await;
    assert_eq!(read.json, created.json);
    let updated = patch(
        &server,
        &format!("/v1/alert-rules/{id}"),
        json!({"threshold_value": 2500, "enabled": false}),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.json["threshold_value"], 2500);
    assert_eq!(updated.json["enabled"], false);
    assert_eq!(updated.json["name"], "p95");

    let listed = get(
        &server,
        "/v1/alert-rules?enabled=false&metric=turn_latency_p95",
    )
    .await;
    assert_eq!(listed.json["data"].as_array().unwrap().len(), 1);
    let none = get(&server, "/v1/alert-rules?enabled=true").await;
    assert_eq!(none.json, json!({"data": []}));

    // 422s carry FastAPI's detail, not the envelope.
    assert_detail(
        &post(&server, "/v1/alert-rules", json!({"name": "x"})).await,
        "body",
    );
    let mut bad = rule_body("x");
    bad["metric"] = json!("cpu");
    assert_detail(&post(&server, "/v1/alert-rules", bad).await, "metric");
    let mut negative = rule_body("x");
    negative["threshold_value"] = json!(-1);
    assert_detail(
        &post(&server, "/v1/alert-rules", negative).await,
        "threshold_value",
    );
    assert_detail(&get(&server, "/v1/alert-rules/rule-1").await, "rule_id");
    assert_detail(
        &get(&server, "/v1/alert-rules?state=burning").await,
        "state",
    );
    // Other errors are the envelope.
    assert_envelope(
        &get(&server, "/v1/alert-rules/ar_missing").await,
        404,
        "ALERT_RULE_NOT_FOUND",
    );

    // Active alerts: enabled rules the evaluator put in `alert`.
    assert_eq!(get(&server, "/v1/alerts").await.json, json!({"data": []}));
    patch(
        &server,
        &format!("/v1/alert-rules/{id}"),
        json!({"enabled": true}),
    )
    .await;
    assert!(server.set_alert_state(&id, "alert", Some(3100)));
    assert!(!server.set_alert_state(&id, "on-fire", None));
    let active = get(&server, "/v1/alerts?project_id=PROJECT-A").await;
    assert_eq!(active.json["data"][0]["alert_rule_id"], id);
    assert_eq!(active.json["data"][0]["current_value"], 3100);
    assert_eq!(
        get(&server, "/v1/alerts?project_id=PROJECT-B").await.json,
        json!({"data": []})
    );

    // At most ten rules.
    for n in 1..10 {
        let r = post(&server, "/v1/alert-rules", rule_body(&format!("r{n}"))).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    assert_envelope(
        &post(&server, "/v1/alert-rules", rule_body("eleventh")).await,
        409,
        "ALERT_RULES_LIMIT_REACHED",
    );
    let gone = delete(&server, &format!("/v1/alert-rules/{id}")).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(gone.raw.is_empty());
    assert_eq!(server.alert_rule_ids().len(), 9);
}

async fn outbound(server: &MockServer, method: Method, path: &str, body: Option<Value>) -> Answer {
    call_with(
        server,
        method,
        path,
        body,
        &[("x-polyai-auth-token", polyai_mock::DEFAULT_OUTBOUND_TOKEN)],
    )
    .await
}

/// Asserts legacy Outbound's `{error, code}` body.
fn assert_outbound_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.json);
    assert_eq!(a.json["code"], code, "{}", a.json);
    assert!(a.json["error"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn legacy_outbound_uses_its_token_and_walks_the_status() {
    let server = MockServer::start().await;
    // The API key is not the outbound credential.
    let with_key = post(
        &server,
        "/v1/outbound-calling",
        json!({"to_number": "+15551234567"}),
    )
    .await;
    assert_outbound_error(&with_key, 401, "AUTH_USER_UNAUTHORISED");

    let bad = outbound(
        &server,
        Method::POST,
        "/v1/outbound-calling",
        Some(json!({"to_number": "555-1234"})),
    )
    .await;
    assert_outbound_error(&bad, 400, "BAD_REQUEST");
    let placed = outbound(
        &server,
        Method::POST,
        "/v1/outbound-calling",
        Some(json!({"to_number": "+15551234567", "metadata": {"order": "42"}})),
    )
    .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.json);
    let sid = placed.json["call_sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("OUT-"), "{sid}");
    let path = format!("/v1/outbound-calling/{sid}/status");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let s = outbound(&server, Method::GET, &path, None).await;
        statuses.push(s.json["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(statuses, ["queued", "calling", "success", "success"]);
    let missing = outbound(
        &server,
        Method::GET,
        "/v1/outbound-calling/OUT-x/status",
        None,
    )
    .await;
    assert_outbound_error(&missing, 404, "CALL_NOT_FOUND");
    let calls = server.outbound_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, "+15551234567");
    assert_eq!(calls[0].2, json!({"order": "42"}));
}

#[tokio::test]
async fn handoff_state_is_seeded_and_read_back() {
    let server = MockServer::start().await;
    let base = format!(
        "/v1/{}/{}/handoff_state",
        server.account_id(),
        server.project_id()
    );
    assert_error_message(&get(&server, &base).await, 400);
    assert_error_message(&get(&server, &format!("{base}?id=CA1")).await, 404);
    server.set_handoff_state("CA1", Some("shared-1"), json!({"reason": "billing"}));
    server.set_handoff_state("CA2", Some("shared-2"), json!({"reason": "sales"}));
    let by_id = get(&server, &format!("{base}?id=CA1")).await;
    assert_eq!(
        by_id.json,
        json!({"id": "CA1", "shared_id": "shared-1", "data": {"reason": "billing"}})
    );
    // shared_id wins over id.
    let both = get(&server, &format!("{base}?id=CA1&shared_id=shared-2")).await;
    assert_eq!(both.json["id"], "CA2");
}

#[tokio::test]
async fn concurrency_lists_five_minute_intervals_within_seven_days() {
    let server = MockServer::start().await;
    let base = format!(
        "/v1/{}/{}/conversations/concurrency",
        server.account_id(),
        server.project_id()
    );
    assert_error_message(&get(&server, &base).await, 400);
    let hour = format!("{base}?start_time=2026-10-01T10:00:00Z&end_time=2026-10-01T11:00:00Z");
    let report = get(&server, &hour).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.json);
    let intervals = report.json["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 12);
    assert_eq!(intervals[0]["time"], "2026-10-01T10:00:00.000Z");
    assert!(
        intervals
            .iter()
            .all(|i| i["max_concurrent_conversations"].as_u64().unwrap() <= 5)
    );
    assert_eq!(get(&server, &hour).await.json, report.json, "deterministic");
    let too_long = format!("{base}?start_time=2026-10-01T00:00:00Z&end_time=2026-10-09T00:00:00Z");
    assert_error_message(&get(&server, &too_long).await, 400);
    assert_error_message(
        &get(&server, &format!("{hour}&slice_by=language")).await,
        501,
    );
    let sliced = get(&server, &format!("{hour}&slice_by=variant")).await;
    assert_eq!(sliced.json["intervals"][0]["variant_name"], "default");
}

#[tokio::test]
async fn dni_reservations_take_numbers_from_the_pool() {
    let server = MockServer::start().await;
    let path = "/v1/conversations/dni-reservation";
    let bad = post(&server, path, json!({"attributes": "utm"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json["success"], false);
    assert!(bad.json["message"].as_str().is_some_and(|m| !m.is_empty()));
    let first = post(&server, path, json!({"attributes": {"utm_source": "ads"}})).await;
    let second = post(&server, path, json!({"attributes": {}})).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_ne!(first.json["dni"], second.json["dni"]);
    assert!(first.json["dni"].as_str().unwrap().starts_with('+'));
    let reservations = server.dni_reservations();
    assert_eq!(reservations.len(), 2);
    assert_eq!(reservations[0].1, json!({"utm_source": "ads"}));
}

#[tokio::test]
async fn external_events_are_recorded_from_every_location() {
    let server = MockServer::start().await;
    let q = |loc: &str, path: &str| {
        format!(
            "/v1/external-events/webhook?event_id_location={loc}&event_id_path={path}&account_id=ws-1&project_id=PROJECT-1"
        )
    };
    let json_event = post(
        &server,
        &q("payload", "data.reference"),
        json!({"data": {"reference": "evt_json"}, "status": "paid"}),
    )
    .await;
    assert_eq!(
        json_event.status,
        StatusCode::CREATED,
        "{}",
        json_event.json
    );
    let form = support::answer(
        support::client()
            .post(format!("{}{}", server.base_url(), q("payload", "cid")))
            .header("x-api-key", server.api_key())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("cid=evt_form&status=ok")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(form.status, StatusCode::CREATED);
    let header = call_with(
        &server,
        Method::POST,
        &q("headers", "x-event"),
        Some(json!({})),
        &[("x-api-key", server.api_key()), ("x-event", "evt_header")],
    )
    .await;
    assert_eq!(header.status, StatusCode::CREATED);
    let query = post(
        &server,
        &format!("{}&cid=evt_query", q("querystring", "cid")),
        json!({}),
    )
    .await;
    assert_eq!(query.status, StatusCode::CREATED);
    assert_error_message(
        &post(&server, &q("payload", "nowhere"), json!({})).await,
        400,
    );
    assert_error_message(
        &post(&server, "/v1/external-events/webhook", json!({})).await,
        400,
    );

    let events = server.external_events();
    let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["evt_json", "evt_form", "evt_header", "evt_query"]);
    assert_eq!(events[0].project_id, "PROJECT-1");
    assert!(events[1].body.contains("status=ok"));
}

#[tokio::test]
async fn faults_apply_to_every_family_in_its_error_shape() {
    let server = MockServer::start().await;
    let plan = FaultPlan::new()
        .rule(
            FaultRule::new(Fault::ServiceUnavailable)
                .on(Route::operation("get_handoff_state").unwrap()),
        )
        .rule(
            FaultRule::new(Fault::RateLimited {
                retry_after_secs: 3,
            })
            .on(Route::operation("trigger_legacy_outbound_call").unwrap()),
        )
        .rule(
            FaultRule::new(Fault::Status(500)).on(Route::operation("create_alert_rule").unwrap()),
        );
    server.set_faults(plan);
    let handoff = get(
        &server,
        &format!(
            "/v1/{}/{}/handoff_state?id=x",
            server.account_id(),
            server.project_id()
        ),
    )
    .await;
    assert_error_message(&handoff, 503);
    let placed = outbound(
        &server,
        Method::POST,
        "/v1/outbound-calling",
        Some(json!({"to_number": "+15551234567"})),
    )
    .await;
    assert_outbound_error(&placed, 429, "RATE_LIMITED");
    assert_eq!(placed.headers["retry-after"], "3");
    assert_envelope(
        &post(&server, "/v1/alert-rules", rule_body("x")).await,
        500,
        "INTERNAL_ERROR",
    );
    assert!(
        server.outbound_calls().is_empty(),
        "a faulted request changes nothing"
    );
    assert_eq!(server.faults_injected().total, 3);
    let routes: Vec<&str> = server
        .fault_log()
        .iter()
        .filter_map(|f| f.route.map(Route::operation_id))
        .collect();
    assert_eq!(
        routes,
        [
            "get_handoff_state",
            "trigger_legacy_outbound_call",
            "create_alert_rule"
        ]
    );
}

#[tokio::test]
async fn credentials_never_reach_the_request_log_or_debug_output() {
    let builder = MockServer::builder()
        .api_key("key-s3cr3t")
        .connector_token("token-s3cr3t")
        .outbound_token("outbound-s3cr3t");
    let shown = format!("{builder:?}");
    for secret in ["key-s3cr3t", "token-s3cr3t", "outbound-s3cr3t"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let server = builder.start().await;
    call_with(
        &server,
        Method::POST,
        &chat_path(&server, "create"),
        Some(json!({})),
        &[("x-api-key", "key-s3cr3t"), ("x-token", "token-s3cr3t")],
    )
    .await;
    call_with(
        &server,
        Method::POST,
        "/v1/outbound-calling",
        Some(json!({"to_number": "+15551234567"})),
        &[("x-polyai-auth-token", "outbound-s3cr3t")],
    )
    .await;
    let log = format!("{:?}", server.requests());
    let admin = get(&server, "/_mock/requests").await;
    assert_eq!(admin.status, StatusCode::OK);
    let admin = String::from_utf8_lossy(&admin.raw).into_owned();
    for secret in ["key-s3cr3t", "token-s3cr3t", "outbound-s3cr3t"] {
        assert!(!log.contains(secret), "{secret} in {log}");
        assert!(!admin.contains(secret), "{secret} in {admin}");
    }
    assert_eq!(server.requests()[0].header("x-token"), Some("<redacted>"));
    assert_eq!(
        server.requests()[1].header("x-polyai-auth-token"),
        Some("<redacted>")
    );
}

#[tokio::test]
async fn admin_routes_script_the_mock_without_being_recorded() {
    let server = MockServer::start().await;
    let unauthorised = call_with(&server, Method::GET, "/_mock/operations", None, &[]).await;
    assert_envelope(&unauthorised, 401, "AUTH_USER_UNAUTHORISED");

    let operations = get(&server, "/_mock/operations").await;
    let listed = operations.json.as_array().unwrap();
    assert_eq!(listed.len(), Route::all().count());
    assert!(
        listed
            .iter()
            .any(|o| o["operation_id"] == "close_chat" && o["method"] == "PUT")
    );

    let seeded = post(
        &server,
        "/_mock/seed",
        json!({"method": "POST", "path": "/v1/alert-rules", "body": rule_body("seeded")}),
    )
    .await;
    assert_eq!(seeded.json["status"], 200, "{}", seeded.json);
    let rule_id = seeded.json["body"]["id"].as_str().unwrap().to_owned();
    let refused = post(
        &server,
        "/_mock/seed",
        json!({"method": "POST", "path": "/v1/alert-rules", "body": {}}),
    )
    .await;
    assert_eq!(refused.json["status"], 422);
    assert!(refused.json["body"]["detail"].is_array());
    let state = post(
        &server,
        "/_mock/alerts/state",
        json!({"rule_id": rule_id, "state": "alert", "current_value": 9}),
    )
    .await;
    assert_eq!(state.status, StatusCode::OK);
    assert_eq!(
        get(&server, "/v1/alerts").await.json["data"][0]["alert_rule_id"],
        rule_id
    );

    post(
        &server,
        "/_mock/handoff-states",
        json!({"id": "CA9", "data": {"queue": "vip"}}),
    )
    .await;
    let handoff = get(
        &server,
        &format!(
            "/v1/{}/{}/handoff_state?id=CA9",
            server.account_id(),
            server.project_id()
        ),
    )
    .await;
    assert_eq!(handoff.json["data"]["queue"], "vip");

    post(
        &server,
        "/v1/external-events/webhook?event_id_location=payload&event_id_path=cid&account_id=a&project_id=p",
        json!({"cid": "evt_1"}),
    )
    .await;
    let events = get(&server, "/_mock/external-events").await;
    assert_eq!(events.json[0]["event_id"], "evt_1");

    // Only the three API calls are in the log; admin calls are not.
    let log: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|p| !p.starts_with("/_mock/")));

    // The seeded rule is stored like any other; reset forgets it.
    assert_eq!(server.alert_rule_ids(), [rule_id]);
    post(&server, "/_mock/reset", json!({})).await;
    assert!(server.alert_rule_ids().is_empty());
    assert_envelope(&get(&server, "/_mock/nothing").await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn any_event_body_is_delivered_signed_with_the_current_secret() {
    let server = MockServer::start().await;
    let created = post(
        &server,
        "/v1/webhook-endpoints",
        json!({
            "name": "ops",
            "url": "https://ops.example.com/polyai",
            "event_types": ["alerts.triggered"],
            "headers": {"x-tenant": "t-7"}
        }),
    )
    .await;
    let id = created.json["id"].as_str().unwrap().to_owned();
    let old_secret = server.webhook_signing_secret(&id).unwrap();
    post(
        &server,
        &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
        json!({}),
    )
    .await;
    let secret = server.webhook_signing_secret(&id).unwrap();
    assert_ne!(old_secret, secret);
    let receiver = Receiver::start().await.unwrap();

    // From the library: an event type the SDK does not model, not subscribed to.
    let body = json!({"event_type": "conversation.ended", "conversation_id": "CA1"}).to_string();
    let delivery = server
        .deliver_body_to_endpoint(&id, receiver.url(), body.clone())
        .await
        .unwrap();
    assert_eq!(delivery.status, 200);
    // From the binary's admin route: a raw string body is sent as is.
    let admin = post(
        &server,
        "/_mock/deliveries",
        json!({"endpoint_id": id, "receiver_url": receiver.url(), "body": "not even json", "event_id": "evt_fixed"}),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.json);
    assert_eq!(admin.json["event_id"], "evt_fixed");

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, body.as_bytes());
    assert_eq!(received[1].body, "not even json".as_bytes());
    for r in &received {
        assert!(signature_ok(&secret, &r.headers, &r.body));
        assert!(!signature_ok(&old_secret, &r.headers, &r.body));
        assert_eq!(r.headers["x-tenant"], "t-7");
    }
    assert_eq!(received[1].headers["x-polyai-event-id"], "evt_fixed");
    assert_eq!(server.deliveries().len(), 2);
    let listed = get(&server, "/_mock/deliveries").await;
    assert_eq!(listed.json.as_array().unwrap().len(), 2);

    let unknown = post(
        &server,
        "/_mock/deliveries",
        json!({"endpoint_id": "whe_none", "receiver_url": receiver.url(), "body": {}}),
    )
    .await;
    assert_envelope(&unknown, 404, "WEBHOOK_ENDPOINT_NOT_FOUND");
    patch(
        &server,
        &format!("/v1/webhook-endpoints/{id}"),
        json!({"enabled": false}),
    )
    .await;
    assert!(matches!(
        server
            .deliver_body_to_endpoint(&id, receiver.url(), "{}")
            .await,
        Err(polyai_mock::DeliveryError::Disabled(_))
    ));
}

#[tokio::test]
async fn seed_request_runs_any_operation_in_process() {
    let server = MockServer::start().await;
    let agent = server
        .seed_request(
            "POST",
            &format!("/v1/accounts/{}/agents", server.account_id()),
            Some(&json!({"name": "Seeded agent", "responseSettings": {"greeting": "Hi"}})),
        )
        .await;
    let agent = match agent {
        Ok(agent) => agent,
        Err(e) => panic!("{e}"),
    };
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
            .any(|a| a["agentId"] == agent["agentId"])
    );
    let conversation = server.conversation_id();
    server
        .seed_request(
            "POST",
            &format!(
                "/v1/agents/{}/conversations/{conversation}/note",
                server.agent_id()
            ),
            Some(&json!({"note": "seeded"})),
        )
        .await
        .unwrap();
    assert_eq!(server.note(&conversation).as_deref(), Some("seeded"));
    let refused = server
        .seed_request("GET", "/v1/alert-rules/bad-id", None)
        .await
        .unwrap_err();
    assert_eq!(refused.status, 422);
    assert!(refused.to_string().contains("422"));
    assert_eq!(
        server
            .seed_request("GET", "/nowhere", None)
            .await
            .unwrap_err()
            .status,
        404
    );
    assert!(server.requests().len() == 1, "seeding is not recorded");
}
