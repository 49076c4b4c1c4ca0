//! The Agents API deployment flow and webhook-endpoint management, over loopback HTTP.

use polyai_mock::{MockServer, Route, WebhookEvent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support;
use support::{Answer, Receiver, assert_envelope, call, delete, get, patch, post, signature_ok};

/// UUIDv7 layout: 8-4-4-4-12 lowercase hex with version nibble 7 and variant 10xx.
fn assert_uuid7(id: &str) {
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{id}"
    );
    assert!(
        id.bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
    assert!(parts[2].starts_with('7'), "{id}");
    assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
}

fn topic_named<'a>(topics: &'a Value, name: &str) -> &'a Value {
    topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no topic {name:?} in {topics}"))
}

#[tokio::test]
async fn branch_edit_merge_publish_promote_rollback() {
    let server = MockServer::start().await;
    let agent = server.agent_id().to_owned();
    let base = format!("/v1/agents/{agent}");

    let agents = get(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
    )
    .await;
    assert_eq!(agents.status, 200);
    assert_eq!(agents.json[0]["agentId"], agent.as_str());
    assert_eq!(agents.json[0]["accountId"], server.account_id());
    assert_eq!(agents.json[0]["branchCount"], 1);

    // A fresh agent runs nothing anywhere.
    let active = get(&server, &format!("{base}/deployments/active")).await;
    assert_eq!(
        active.json,
        json!({"activeDeployments": {"sandbox": null, "pre-release": null, "live": null}})
    );

    let branches = get(&server, &format!("{base}/branches")).await;
    assert_eq!(branches.json["branches"][0]["branchId"], "main");
    let created = post(
        &server,
        &format!("{base}/branches"),
        json!({"branchName": "faq-refresh"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let branch = created.json["branchId"].as_str().unwrap().to_owned();
    assert!(
        branch.starts_with("BRANCH-") && branch.len() == 15,
        "{branch}"
    );
    assert_eq!(created.json["sequenceId"], "1");
    let dup = post(
        &server,
        &format!("{base}/branches"),
        json!({"branchName": "faq-refresh"}),
    )
    .await;
    assert_envelope(&dup, 409, "BRANCH_NAME_ALREADY_EXISTS");
    let branches = get(&server, &format!("{base}/branches")).await;
    assert_eq!(branches.json["branches"][1]["branchName"], "faq-refresh");

    // Edit a topic on the branch: 204 without a body, main unchanged until the merge.
    let topics_path = format!("{base}/branches/{branch}/knowledge-base/topics");
    let topics = get(&server, &topics_path).await;
    assert_eq!(topics.json.as_array().unwrap().len(), 3);
    let hours = topic_named(&topics.json, "Opening hours");
    let hours_id = hours["id"].as_str().unwrap().to_owned();
    let new_text = "Open every day from 8am to 8pm.";
    let edited = patch(
        &server,
        &format!("{topics_path}/{hours_id}"),
        json!({"content": new_text, "exampleQueries": {"queries": ["Are you open on Sunday?"]}}),
    )
    .await;
    assert_eq!(edited.status, 204);
    assert!(edited.raw.is_empty());
    let read = get(&server, &format!("{topics_path}/{hours_id}")).await;
    assert_eq!(read.json["content"], new_text);
    assert_eq!(
        read.json["exampleQueries"]["queries"],
        json!(["Are you open on Sunday?"])
    );
    assert_eq!(read.json["isActive"], true);
    let main_topics = get(
        &server,
        &format!("{base}/branches/main/knowledge-base/topics"),
    )
    .await;
    assert_ne!(
        topic_named(&main_topics.json, "Opening hours")["content"],
        new_text
    );

    // A new topic; the same name again is a conflict; main refuses writes.
    let added = post(
        &server,
        &topics_path,
        json!({"name": "Gift cards", "content": "Gift cards never expire.", "isActive": false}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.json);
    assert_eq!(added.json["isActive"], false);
    let again = post(
        &server,
        &topics_path,
        json!({"name": "gift cards", "content": "x"}),
    )
    .await;
    assert_envelope(&again, 409, "KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS");
    let on_main = patch(
        &server,
        &format!("{base}/branches/main/knowledge-base/topics/{hours_id}"),
        json!({"content": "nope"}),
    )
    .await;
    assert_envelope(&on_main, 422, "CANNOT_UPDATE_MAIN_BRANCH");
    let bad = post(&server, &topics_path, json!({"name": "", "content": "x"})).await;
    assert_envelope(&bad, 400, "KNOWLEDGE_BASE_TOPICS_INVALID");
    let unknown_field = patch(
        &server,
        &format!("{topics_path}/{hours_id}"),
        json!({"description": "x"}),
    )
    .await;
    assert_envelope(&unknown_field, 400, "KNOWLEDGE_BASE_TOPICS_INVALID");

    // Merge: main changes, the branch closes, sandbox gets the new version at once.
    let merged = post(
        &server,
        &format!("{base}/branches/{branch}/merge"),
        json!({"deploymentMessage": "Longer opening hours"}),
    )
    .await;
    assert_eq!(merged.status, 200, "{}", merged.json);
    assert_eq!(merged.json["sequence"], "2");
    assert_eq!(merged.json["testRunIds"], json!([]));
    let main_topics = get(
        &server,
        &format!("{base}/branches/main/knowledge-base/topics"),
    )
    .await;
    assert_eq!(main_topics.json.as_array().unwrap().len(), 4);
    assert_eq!(
        topic_named(&main_topics.json, "Opening hours")["content"],
        new_text
    );
    assert_envelope(&get(&server, &topics_path).await, 404, "BRANCH_NOT_FOUND");

    let active = get(&server, &format!("{base}/deployments/active")).await;
    let sandbox = active.json["activeDeployments"]["sandbox"].clone();
    assert_uuid7(sandbox["id"].as_str().unwrap());
    assert_eq!(sandbox["environment"], "sandbox");
    assert_eq!(sandbox["agentId"], agent.as_str());
    assert_eq!(
        sandbox["metadata"]["deploymentMessage"],
        "Longer opening hours"
    );
    assert_eq!(sandbox["metadata"]["source"], "merge");
    assert!(active.json["activeDeployments"]["live"].is_null());
    let version = sandbox["version"].as_str().unwrap().to_owned();

    // Publishing straight after the merge: already published.
    let publish = post(&server, &format!("{base}/deployments/publish"), json!({})).await;
    assert_envelope(&publish, 409, "DEPLOYMENTS_ALREADY_PUBLISHED");

    // Live before pre-release: 412.
    let sandbox_id = sandbox["id"].as_str().unwrap().to_owned();
    let live_first = post(
        &server,
        &format!("{base}/deployments/{sandbox_id}/promote"),
        json!({"targetEnvironment": "live"}),
    )
    .await;
    assert_envelope(&live_first, 412, "ErrPreReleaseNotReady");
    let backwards = post(
        &server,
        &format!("{base}/deployments/{sandbox_id}/promote"),
        json!({"targetEnvironment": "sandbox"}),
    )
    .await;
    assert_envelope(&backwards, 400, "DEPLOYMENTS_INVALID_ENVIRONMENT");

    // Promote with no target: the next stage.
    let pre = post(
        &server,
        &format!("{base}/deployments/{sandbox_id}/promote"),
        json!({}),
    )
    .await;
    assert_eq!(pre.status, 200, "{}", pre.json);
    let pre = pre.json["deployment"].clone();
    assert_eq!(pre["environment"], "pre-release");
    assert_eq!(pre["version"], version.as_str());
    assert_ne!(pre["id"], sandbox["id"]);
    assert_eq!(pre["metadata"]["promotedFrom"], sandbox_id.as_str());
    let live = post(
        &server,
        &format!("{base}/deployments/{}/promote", pre["id"].as_str().unwrap()),
        json!({"targetEnvironment": "live", "deploymentMessage": "ship it"}),
    )
    .await;
    assert_eq!(live.status, 200, "{}", live.json);
    let first_live = live.json["deployment"].clone();
    assert_eq!(first_live["environment"], "live");
    assert_eq!(first_live["version"], version.as_str());
    let twice = post(
        &server,
        &format!("{base}/deployments/{}/promote", pre["id"].as_str().unwrap()),
        json!({"targetEnvironment": "live"}),
    )
    .await;
    assert_envelope(&twice, 409, "DEPLOYMENTS_ALREADY_PUBLISHED");

    // A second change goes all the way to live, then live rolls back to the first.
    let branch2 = post(
        &server,
        &format!("{base}/branches"),
        json!({"branchName": "parking"}),
    )
    .await
    .json["branchId"]
        .as_str()
        .unwrap()
        .to_owned();
    let topics2 = get(
        &server,
        &format!("{base}/branches/{branch2}/knowledge-base/topics"),
    )
    .await;
    let parking = topic_named(&topics2.json, "Parking")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = delete(
        &server,
        &format!("{base}/branches/{branch2}/knowledge-base/topics/{parking}"),
    )
    .await;
    assert_eq!(removed.status, 204);
    let merged = post(
        &server,
        &format!("{base}/branches/{branch2}/merge"),
        json!({}),
    )
    .await;
    assert_eq!(merged.json["sequence"], "3");
    let sandbox2 = get(&server, &format!("{base}/deployments/active"))
        .await
        .json["activeDeployments"]["sandbox"]
        .clone();
    assert_ne!(sandbox2["version"], version.as_str());
    let pre2 = post(
        &server,
        &format!(
            "{base}/deployments/{}/promote",
            sandbox2["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await
    .json["deployment"]
        .clone();
    let live2 = post(
        &server,
        &format!(
            "{base}/deployments/{}/promote",
            pre2["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_eq!(live2.status, 200, "{}", live2.json);
    assert_eq!(live2.json["deployment"]["version"], sandbox2["version"]);

    let rolled = post(
        &server,
        &format!(
            "{base}/deployments/{}/rollback",
            first_live["id"].as_str().unwrap()
        ),
        json!({"deploymentMessage": "parking topic is back"}),
    )
    .await;
    assert_eq!(rolled.status, 200, "{}", rolled.json);
    let rolled = rolled.json["deployment"].clone();
    assert_eq!(rolled["environment"], "live");
    assert_eq!(rolled["version"], version.as_str());
    assert_eq!(rolled["metadata"]["rolledBackTo"], first_live["id"]);
    let active = get(&server, &format!("{base}/deployments/active")).await;
    assert_eq!(active.json["activeDeployments"]["live"]["id"], rolled["id"]);
    assert_eq!(
        active.json["activeDeployments"]["pre-release"]["version"],
        sandbox2["version"]
    );

    // The live history, newest first, and its limit.
    let list = get(&server, &format!("{base}/deployments?environment=live")).await;
    let ids: Vec<&Value> = list.json["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert_eq!(
        ids,
        [
            &rolled["id"],
            &live2.json["deployment"]["id"],
            &first_live["id"]
        ]
    );
    let limited = get(
        &server,
        &format!("{base}/deployments?environment=live&limit=1"),
    )
    .await;
    assert_eq!(limited.json["deployments"].as_array().unwrap().len(), 1);
    assert_envelope(
        &get(&server, &format!("{base}/deployments")).await,
        400,
        "DEPLOYMENTS_VALIDATION_FAILED",
    );
    assert_envelope(
        &get(&server, &format!("{base}/deployments?environment=prod")).await,
        400,
        "DEPLOYMENTS_INVALID_ENVIRONMENT",
    );
    assert_envelope(
        &get(
            &server,
            &format!("{base}/deployments?environment=live&limit=0"),
        )
        .await,
        400,
        "DEPLOYMENTS_VALIDATION_FAILED",
    );
    assert_envelope(
        &post(
            &server,
            &format!("{base}/deployments/nope/rollback"),
            json!({}),
        )
        .await,
        404,
        "DEPLOYMENT_NOT_FOUND",
    );

    let routes: Vec<Option<Route>> = server.requests().iter().map(|r| r.route).collect();
    for route in [
        Route::CreateBranch,
        Route::UpdateKnowledgeBaseTopic,
        Route::MergeBranch,
        Route::PublishDeployment,
        Route::PromoteDeployment,
        Route::RollbackDeployment,
        Route::ListDeployments,
    ] {
        assert!(routes.contains(&Some(route)), "{route:?} was logged");
    }
}

#[tokio::test]
async fn publishing_main_when_it_changed_and_to_live() {
    let server = MockServer::start().await;
    let base = "/v1/agents/fresh-agent";
    // An agent seen for the first time: nothing deployed, so publishing works (201).
    let first = post(&server, &format!("{base}/deployments/publish"), json!({})).await;
    assert_eq!(first.status, 201, "{}", first.json);
    assert_eq!(first.json["deployment"]["environment"], "sandbox");
    assert_eq!(first.json["deployment"]["metadata"]["source"], "publish");
    let again = call(
        &server,
        Method::POST,
        &format!("{base}/deployments/publish"),
        None,
    )
    .await;
    assert_envelope(&again, 409, "DEPLOYMENTS_ALREADY_PUBLISHED");
    let live = post(
        &server,
        &format!("{base}/deployments/publish"),
        json!({"environment": "live"}),
    )
    .await;
    assert_envelope(&live, 412, "ErrPreReleaseNotReady");
    let pre = post(
        &server,
        &format!("{base}/deployments/publish"),
        json!({"environment": "pre-release"}),
    )
    .await;
    assert_eq!(pre.status, 201);
    let live = post(
        &server,
        &format!("{base}/deployments/publish"),
        json!({"environment": "live"}),
    )
    .await;
    assert_eq!(live.status, 201, "{}", live.json);
    assert_eq!(
        live.json["deployment"]["version"],
        first.json["deployment"]["version"]
    );
    let promote_live = post(
        &server,
        &format!(
            "{base}/deployments/{}/promote",
            live.json["deployment"]["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert_envelope(&promote_live, 400, "DEPLOYMENTS_INVALID_ENVIRONMENT");
    let bad_env = post(
        &server,
        &format!("{base}/deployments/publish"),
        json!({"environment": "staging"}),
    )
    .await;
    assert_envelope(&bad_env, 400, "DEPLOYMENTS_INVALID_ENVIRONMENT");
}

#[tokio::test]
async fn conflicting_merges_report_and_accept_resolutions() {
    let server = MockServer::start().await;
    let base = format!("/v1/agents/{}", server.agent_id());
    let mut branches = Vec::new();
    for name in ["left", "right"] {
        let b = post(
            &server,
            &format!("{base}/branches"),
            json!({"branchName": name}),
        )
        .await;
        branches.push(b.json["branchId"].as_str().unwrap().to_owned());
    }
    let topics = get(
        &server,
        &format!("{base}/branches/{}/knowledge-base/topics", branches[0]),
    )
    .await;
    let refunds = topic_named(&topics.json, "Refunds")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let parking = topic_named(&topics.json, "Parking")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (branch, text) in [(&branches[0], "left text"), (&branches[1], "right text")] {
        let a = patch(
            &server,
            &format!("{base}/branches/{branch}/knowledge-base/topics/{refunds}"),
            json!({"content": text}),
        )
        .await;
        assert_eq!(a.status, 204);
    }
    // A change only the right branch makes merges cleanly alongside the conflict.
    patch(
        &server,
        &format!(
            "{base}/branches/{}/knowledge-base/topics/{parking}",
            branches[1]
        ),
        json!({"isActive": false}),
    )
    .await;
    let left = post(
        &server,
        &format!("{base}/branches/{}/merge", branches[0]),
        json!({}),
    )
    .await;
    assert_eq!(left.status, 200);

    let right = post(
        &server,
        &format!("{base}/branches/{}/merge", branches[1]),
        json!({}),
    )
    .await;
    assert_envelope(&right, 400, "BRANCH_MERGE_CONFLICT");
    let conflicts = right.json["data"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0]["path"],
        json!(["knowledgeBase", "topics", refunds])
    );
    assert_eq!(conflicts[0]["ours"]["content"], "right text");
    assert_eq!(conflicts[0]["theirs"]["content"], "left text");
    // Nothing changed on main, the branch is still there.
    let main = get(
        &server,
        &format!("{base}/branches/main/knowledge-base/topics"),
    )
    .await;
    assert_eq!(topic_named(&main.json, "Refunds")["content"], "left text");

    let bad = post(
        &server,
        &format!("{base}/branches/{}/merge", branches[1]),
        json!({"conflictResolutions": [{"path": ["x"], "strategy": "mine"}]}),
    )
    .await;
    assert_envelope(&bad, 400, "BAD_REQUEST");
    let resolved = post(
        &server,
        &format!("{base}/branches/{}/merge", branches[1]),
        json!({"conflictResolutions": [
            {"path": ["knowledgeBase", "topics", refunds], "strategy": "ours"}
        ]}),
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.json);
    assert_eq!(resolved.json["sequence"], "3");
    let main = get(
        &server,
        &format!("{base}/branches/main/knowledge-base/topics"),
    )
    .await;
    assert_eq!(topic_named(&main.json, "Refunds")["content"], "right text");
    assert_eq!(topic_named(&main.json, "Parking")["isActive"], false);

    // Merging or deleting main is refused.
    assert_envelope(
        &post(&server, &format!("{base}/branches/main/merge"), json!({})).await,
        422,
        "CANNOT_UPDATE_MAIN_BRANCH",
    );
    assert_envelope(
        &delete(&server, &format!("{base}/branches/main")).await,
        422,
        "CANNOT_UPDATE_MAIN_BRANCH",
    );
}

#[tokio::test]
async fn agents_are_created_listed_and_deleted() {
    let server = MockServer::start().await;
    let path = "/v1/accounts/ws-other/agents";
    assert_eq!(get(&server, path).await.json, json!([]));
    let created = post(
        &server,
        path,
        json!({"name": "Front desk", "agentId": "front-desk",
               "responseSettings": {"greeting": "Hi!", "languageCode": "en-US"}}),
    )
    .await;
    assert_eq!(created.status, 200, "created answers 200, not 201");
    assert_eq!(created.json["agentId"], "front-desk");
    assert_eq!(created.json["agentName"], "Front desk");
    assert_eq!(created.json["accountId"], "ws-other");
    let generated = post(
        &server,
        path,
        json!({"name": "Second", "responseSettings": {"greeting": "Hello"}}),
    )
    .await;
    assert!(
        generated.json["agentId"]
            .as_str()
            .unwrap()
            .starts_with("PROJECT-")
    );
    assert_eq!(get(&server, path).await.json.as_array().unwrap().len(), 2);

    let dup = post(
        &server,
        path,
        json!({"name": "x", "agentId": "front-desk", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    assert_envelope(&dup, 409, "PROJECT_ID_ALREADY_EXISTS");
    let bad_id = post(
        &server,
        path,
        json!({"name": "x", "agentId": "front desk", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    assert_envelope(&bad_id, 400, "PROJECT_ID_INVALID");
    let extra = post(
        &server,
        path,
        json!({"name": "x", "description": "no", "responseSettings": {"greeting": "Hi"}}),
    )
    .await;
    assert_envelope(&extra, 400, "BAD_REQUEST");

    // A created agent starts with an empty knowledge base.
    let topics = get(
        &server,
        "/v1/agents/front-desk/branches/main/knowledge-base/topics",
    )
    .await;
    assert_eq!(topics.json, json!([]));
    let gone = delete(&server, "/v1/agents/front-desk").await;
    assert_eq!(gone.status, 204);
    assert_envelope(
        &get(&server, "/v1/agents/front-desk/branches").await,
        404,
        "PROJECT_NOT_FOUND",
    );
    assert_eq!(get(&server, path).await.json.as_array().unwrap().len(), 1);

    server.reset_state();
    assert_eq!(get(&server, path).await.json, json!([]));
    let listed = get(
        &server,
        &format!("/v1/accounts/{}/agents", server.account_id()),
    )
    .await;
    assert_eq!(listed.json[0]["agentId"], server.agent_id());
}

#[tokio::test]
async fn webhook_endpoints_lifecycle() {
    let server = MockServer::start().await;
    assert_eq!(
        get(&server, "/v1/webhook-endpoints").await.json,
        json!({"data": []})
    );
    let created = post(
        &server,
        "/v1/webhook-endpoints",
        json!({"name": "Alerts to Slack", "url": "https://hooks.example.com/polyai",
               "event_types": ["alerts.triggered"], "headers": {"X-Token": "t-1"}}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("whe_") && id.len() == 28, "{id}");
    let secret = created.json["signing_secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 20,
        "{secret}"
    );
    assert_eq!(created.json["enabled"], true);
    assert_eq!(created.json["timeout_ms"], 5000);
    assert_eq!(created.json["headers"], json!({"X-Token": "t-1"}));
    assert_eq!(
        server.webhook_signing_secret(&id).as_deref(),
        Some(&*secret)
    );

    let read = get(&server, &format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json["url"], "https://hooks.example.com/polyai");
    assert!(read.json.get("signing_secret").is_none());
    assert!(!String::from_utf8_lossy(&read.raw).contains(&secret));

    // A second, disabled endpoint for both event types; the filters.
    let second = post(
        &server,
        "/v1/webhook-endpoints",
        json!({"name": "Pager", "url": "https://pager.example.com/in", "enabled": false,
               "timeout_ms": 10000, "event_types": ["alerts.triggered", "alerts.resolved"]}),
    )
    .await;
    assert_eq!(second.status, 201);
    let second_id = second.json["id"].as_str().unwrap().to_owned();
    let ids = |a: &Answer| -> Vec<String> {
        a.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = get(&server, "/v1/webhook-endpoints").await;
    assert_eq!(ids(&all), [id.clone(), second_id.clone()]);
    assert!(!String::from_utf8_lossy(&all.raw).contains("whsec_"));
    assert_eq!(
        ids(&get(&server, "/v1/webhook-endpoints?enabled=true").await),
        [id.as_str()]
    );
    assert_eq!(
        ids(&get(&server, "/v1/webhook-endpoints?event_type=alerts.resolved").await),
        [second_id.as_str()]
    );
    assert_eq!(
        ids(&get(
            &server,
            "/v1/webhook-endpoints?enabled=false&event_type=alerts.triggered"
        )
        .await),
        [second_id.as_str()]
    );
    assert_envelope(
        &get(&server, "/v1/webhook-endpoints?enabled=yes").await,
        400,
        "BAD_REQUEST",
    );

    // Update: partial, validated, secret untouched.
    let updated = patch(
        &server,
        &format!("/v1/webhook-endpoints/{id}"),
        json!({"enabled": false, "event_types": ["alerts.resolved"]}),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.json);
    assert_eq!(updated.json["enabled"], false);
    assert_eq!(updated.json["event_types"], json!(["alerts.resolved"]));
    assert_eq!(updated.json["name"], "Alerts to Slack");
    assert_eq!(
        server.webhook_signing_secret(&id).as_deref(),
        Some(&*secret)
    );
    for body in [
        json!({"url": "http://plain.example.com"}),
        json!({"event_types": []}),
        json!({"timeout_ms": 999}),
        json!({"name": ""}),
        json!({"secret": "x"}),
    ] {
        let a = patch(
            &server,
            &format!("/v1/webhook-endpoints/{id}"),
            body.clone(),
        )
        .await;
        assert_envelope(&a, 422, "VALIDATION_ERROR");
    }
    patch(
        &server,
        &format!("/v1/webhook-endpoints/{id}"),
        json!({"enabled": true, "event_types": ["alerts.triggered"]}),
    )
    .await;

    // Rotation: a new secret, the old one is gone; deliveries use the new one.
    let rotated = post(
        &server,
        &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
        json!({}),
    )
    .await;
    assert_eq!(rotated.status, 200);
    let new_secret = rotated.json["signing_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(
        server.webhook_signing_secret(&id).as_deref(),
        Some(&*new_secret)
    );
    let receiver = Receiver::start().await.unwrap();
    let url = receiver.url().to_owned();
    let event = WebhookEvent::alert_triggered(server.project_id());
    let delivery = server
        .deliver_to_endpoint(&id, &url, &event)
        .await
        .unwrap()
        .expect("enabled and subscribed");
    assert_eq!(delivery.status, 200);
    {
        let seen = receiver.received();
        let (headers, body) = (&seen[0].headers, &seen[0].body);
        assert!(signature_ok(&new_secret, headers, body));
        assert!(!signature_ok(&secret, headers, body));
        assert_eq!(headers["x-token"], "t-1", "custom headers are sent");
    }
    // Disabled endpoints and unsubscribed event types get nothing.
    let resolved = WebhookEvent::alert_resolved(server.project_id());
    assert!(
        server
            .deliver_to_endpoint(&id, &url, &resolved)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        server
            .deliver_to_endpoint(&second_id, &url, &event)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(receiver.received().len(), 1);

    // Ids: malformed 422, unknown 404, on every method.
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({"name": "x"}));
        let a = call(
            &server,
            method.clone(),
            "/v1/webhook-endpoints/abc",
            body.clone(),
        )
        .await;
        assert_envelope(&a, 422, "VALIDATION_ERROR");
        let a = call(&server, method, "/v1/webhook-endpoints/whe_missing", body).await;
        assert_envelope(&a, 404, "WEBHOOK_ENDPOINT_NOT_FOUND");
    }
    assert_envelope(
        &post(
            &server,
            "/v1/webhook-endpoints/whe-1/rotate-secret",
            json!({}),
        )
        .await,
        422,
        "VALIDATION_ERROR",
    );
    let put = call(
        &server,
        Method::PUT,
        &format!("/v1/webhook-endpoints/{id}"),
        None,
    )
    .await;
    assert_envelope(&put, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(put.headers["allow"], "GET, HEAD, PATCH, DELETE");

    // Delete: 204, then 404.
    let gone = delete(&server, &format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(gone.status, 204);
    assert!(gone.raw.is_empty());
    assert_envelope(
        &get(&server, &format!("/v1/webhook-endpoints/{id}")).await,
        404,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    );
    assert_eq!(server.webhook_endpoint_ids(), [second_id]);
}

#[tokio::test]
async fn webhook_endpoint_creation_is_validated_and_limited() {
    let server = MockServer::start().await;
    let valid =
        json!({"name": "n", "url": "https://example.com/h", "event_types": ["alerts.triggered"]});
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let bodies = [
        with("url", json!("http://example.com/h")),
        with("event_types", json!([])),
        with("event_types", json!(["calls.ended"])),
        with("name", json!("x".repeat(256))),
        with("timeout_ms", json!(30_001)),
        with("headers", json!({"bad header": "v"})),
        with("description", json!("unknown fields are rejected")),
        json!({"name": "n", "url": "https://example.com/h"}),
    ];
    for body in bodies {
        let a = post(&server, "/v1/webhook-endpoints", body.clone()).await;
        assert_envelope(&a, 422, "VALIDATION_ERROR");
    }
    let not_json = reqwest::Client::new()
        .post(format!("{}/v1/webhook-endpoints", server.base_url()))
        .header("x-api-key", server.api_key())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    for i in 0..10 {
        let a = post(&server, "/v1/webhook-endpoints", valid.clone()).await;
        assert_eq!(a.status, 201, "endpoint {i}: {}", a.json);
    }
    let eleventh = post(&server, "/v1/webhook-endpoints", valid.clone()).await;
    assert_envelope(&eleventh, 409, "WEBHOOK_ENDPOINT_LIMIT_REACHED");
    let ids = server.webhook_endpoint_ids();
    assert_eq!(ids.len(), 10);
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 10, "ids are unique");
    let secrets: std::collections::HashSet<_> = ids
        .iter()
        .map(|id| server.webhook_signing_secret(id).unwrap())
        .collect();
    assert_eq!(secrets.len(), 10, "secrets are unique");
}

/// PolyAI's documents type these fields as (optional or required) strings, never null: the
/// mock leaves an unset optional one out and gives a topic without actions an empty string.
#[tokio::test]
async fn documented_strings_are_never_null() {
    let server = MockServer::builder().start().await;
    let agent = server.agent_id().to_string();
    let started = post(
        &server,
        &format!("/v1/agents/{agent}/debug-chat"),
        json!({"clientEnv": "sandbox"}),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED);
    let id = started.json["conversationId"].as_str().unwrap().to_string();
    let replied = post(
        &server,
        &format!("/v1/agents/{agent}/debug-chat/{id}"),
        json!({"clientEnv": "sandbox", "message": "hello"}),
    )
    .await;
    for answer in [&started, &replied] {
        let metadata = answer.json["metadata"].as_object().unwrap();
        for field in ["handoffDestination", "citedTopic", "inFlow", "inStep"] {
            assert!(
                metadata.get(field).is_none_or(Value::is_string),
                "{field} must be a string or absent: {metadata:?}"
            );
        }
    }
    let topics = get(
        &server,
        &format!("/v1/agents/{agent}/branches/main/knowledge-base/topics"),
    )
    .await;
    let topics = topics.json.as_array().unwrap();
    assert!(!topics.is_empty());
    for topic in topics {
        assert!(topic["actions"].is_string(), "{topic}");
    }
}
