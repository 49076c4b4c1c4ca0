//! The Agents deployment flow and webhook-endpoint management against polyai-mock.

use polyai_mock::{MockServer, WebhookEvent as MockEvent};
use polyai_sdk::Environment;
use polyai_sdk::types::agents::{ExampleQueriesInput, PromotionTarget};
use polyai_sdk::types::webhook_endpoints::WebhookEventType;
use polyai_sdk::webhooks::{self, Verifier, WebhookError, WebhookEvent};
use polyai_sdk::{Client, Error};

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
        $call
            .send()
            .await
            .map(polyai_sdk::ResponseValue::into_inner)
    };
}

/// Asserts a typed `Error::Api` with this status and PolyAI error code, and that its
/// correlation id came back.
fn assert_api_error(error: &Error, status: u16, code: &str) {
    match error {
        Error::Api(api) => {
            assert_eq!(api.status.as_u16(), status, "{error:?}");
            assert_eq!(api.error_code.as_deref(), Some(code), "{error:?}");
            let correlation = api.correlation_id.as_deref().expect("correlation id");
            assert_eq!(api.error_id.as_deref(), Some(correlation));
        }
        other => panic!("expected Error::Api {status} {code}, got {other:?}"),
    }
    assert_eq!(error.error_code(), Some(code));
    assert!(!error.is_retryable(), "{code} is not worth retrying");
}

#[tokio::test]
async fn branch_merge_publish_promote_and_roll_back() {
    let (server, client) = mock().await;
    let agents = client.agents();
    let agent = server.agent_id();

    let listed = sdk!(agents.list_agents().account_id(server.account_id())).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].agent_id, agent);
    assert_eq!(listed[0].branch_count, Some(1.0));

    // Nothing is deployed yet: every environment maps to null.
    let active = sdk!(agents.get_active_deployments().agent_id(agent))
        .unwrap()
        .active_deployments
        .unwrap();
    assert_eq!(active.len(), 3);
    assert!(active.values().all(Option::is_none), "{active:?}");

    // Branch, then edit a topic on it.
    let branch = sdk!(
        agents
            .create_branch()
            .agent_id(agent)
            .body_map(|b| b.branch_name("sdk-flow"))
    )
    .unwrap();
    assert!(branch.branch_id.starts_with("BRANCH-"), "{branch:?}");
    assert_eq!(branch.sequence_id.as_deref(), Some("1"));
    let branch_id = branch.branch_id.as_str();
    let branches = sdk!(agents.list_branches().agent_id(agent))
        .unwrap()
        .branches;
    let names: Vec<&str> = branches
        .iter()
        .filter_map(|b| b.get("branchName").and_then(|n| n.as_str()))
        .collect();
    assert_eq!(names, ["main", "sdk-flow"]);

    let topics = sdk!(
        agents
            .list_knowledge_base_topics()
            .agent_id(agent)
            .branch_id(branch_id)
    )
    .unwrap();
    let hours = topics
        .iter()
        .find(|t| t.name.as_deref() == Some("Opening hours"))
        .expect("seeded topic");
    let new_content = "Open seven days a week, 8am to 8pm.";
    sdk!(
        agents
            .update_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(branch_id)
            .topic_id(&hours.id)
            .body_map(|b| {
                b.content(new_content.to_owned())
                    .example_queries(ExampleQueriesInput {
                        queries: vec!["Are you open on Sundays?".to_owned()],
                    })
            })
    )
    .unwrap();
    let edited = sdk!(
        agents
            .get_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(branch_id)
            .topic_id(&hours.id)
    )
    .unwrap();
    assert_eq!(edited.content.as_deref(), Some(new_content));
    assert_eq!(
        edited.example_queries.and_then(|q| q.queries),
        Some(vec!["Are you open on Sundays?".to_owned()])
    );

    // main is read-only: 422 as a typed error.
    let error = sdk!(
        agents
            .update_knowledge_base_topic()
            .agent_id(agent)
            .branch_id("main")
            .topic_id(&hours.id)
            .body_map(|b| b.content("no".to_owned()))
    )
    .unwrap_err();
    assert_api_error(&error, 422, "CANNOT_UPDATE_MAIN_BRANCH");

    // Merge: main gets the edit and sandbox runs it already.
    let merged = sdk!(
        agents
            .merge_branch()
            .agent_id(agent)
            .branch_id(branch_id)
            .body_map(|b| b.deployment_message("SDK flow".to_owned()))
    )
    .unwrap();
    assert_eq!(merged.sequence.as_deref(), Some("2"));
    assert_eq!(merged.test_run_ids, Some(vec![]));
    let main_topics = sdk!(
        agents
            .list_knowledge_base_topics()
            .agent_id(agent)
            .branch_id("main")
    )
    .unwrap();
    let main_hours = main_topics.iter().find(|t| t.id == hours.id).unwrap();
    assert_eq!(main_hours.content.as_deref(), Some(new_content));

    let active = sdk!(agents.get_active_deployments().agent_id(agent))
        .unwrap()
        .active_deployments
        .unwrap();
    let sandbox = active["sandbox"]
        .clone()
        .expect("merge published to sandbox");
    assert_eq!(sandbox.environment.as_deref(), Some("sandbox"));
    assert_eq!(sandbox.agent_id.as_deref(), Some(agent));
    assert_eq!(sandbox.account_id.as_deref(), Some(server.account_id()));
    assert_eq!(sandbox.id.len(), 36);
    assert_eq!(&sandbox.id[14..15], "7", "UUIDv7-like id: {}", sandbox.id);
    assert_eq!(
        sandbox
            .metadata
            .as_ref()
            .and_then(|m| m.get("deploymentMessage")),
        Some(&serde_json::json!("SDK flow"))
    );
    assert!(active["pre-release"].is_none() && active["live"].is_none());
    let version = sandbox.version.clone().expect("version");

    // Publishing right after the merge: 409 DEPLOYMENTS_ALREADY_PUBLISHED, typed.
    let error = sdk!(agents.publish_deployment().agent_id(agent)).unwrap_err();
    assert_api_error(&error, 409, "DEPLOYMENTS_ALREADY_PUBLISHED");

    // Straight to live: 412 ErrPreReleaseNotReady (a CamelCase code).
    let error = sdk!(
        agents
            .promote_deployment()
            .agent_id(agent)
            .deployment_id(&sandbox.id)
            .body_map(|b| b.target_environment(PromotionTarget::Live))
    )
    .unwrap_err();
    assert_api_error(&error, 412, "ErrPreReleaseNotReady");

    // sandbox -> pre-release -> live; each promotion is a new deployment of the same version.
    let pre = sdk!(
        agents
            .promote_deployment()
            .agent_id(agent)
            .deployment_id(&sandbox.id)
            .body_map(|b| b.target_environment(PromotionTarget::PreRelease))
    )
    .unwrap()
    .deployment
    .unwrap();
    assert_eq!(pre.environment.as_deref(), Some("pre-release"));
    assert_eq!(pre.version.as_deref(), Some(version.as_str()));
    assert_ne!(pre.id, sandbox.id);
    let live = sdk!(
        agents
            .promote_deployment()
            .agent_id(agent)
            .deployment_id(&pre.id)
            .body_map(|b| {
                b.target_environment(PromotionTarget::Live)
                    .deployment_message("go live".to_owned())
            })
    )
    .unwrap()
    .deployment
    .unwrap();
    assert_eq!(live.environment.as_deref(), Some("live"));
    assert_eq!(live.version.as_deref(), Some(version.as_str()));

    let active = sdk!(agents.get_active_deployments().agent_id(agent))
        .unwrap()
        .active_deployments
        .unwrap();
    let running: Vec<(String, Option<String>)> = active
        .iter()
        .map(|(env, d)| (env.clone(), d.as_ref().map(|d| d.id.clone())))
        .collect();
    assert_eq!(
        running,
        [
            ("live".to_owned(), Some(live.id.clone())),
            ("pre-release".to_owned(), Some(pre.id.clone())),
            ("sandbox".to_owned(), Some(sandbox.id.clone())),
        ]
    );

    // A second release to live, then roll live back to the first.
    let branch2 = sdk!(
        agents
            .create_branch()
            .agent_id(agent)
            .body_map(|b| b.branch_name("gift-cards"))
    )
    .unwrap()
    .branch_id;
    let gift = sdk!(
        agents
            .create_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch2)
            .body_map(|b| {
                b.name("Gift cards".to_owned())
                    .content("Gift cards never expire.".to_owned())
            })
    )
    .unwrap();
    assert_eq!(gift.name.as_deref(), Some("Gift cards"));
    assert_eq!(gift.is_active, Some(true));
    sdk!(agents.merge_branch().agent_id(agent).branch_id(&branch2)).unwrap();
    let sandbox2 = sdk!(agents.get_active_deployments().agent_id(agent))
        .unwrap()
        .active_deployments
        .unwrap()["sandbox"]
        .clone()
        .unwrap();
    assert_ne!(sandbox2.version.as_deref(), Some(version.as_str()));
    let pre2 = sdk!(
        agents
            .promote_deployment()
            .agent_id(agent)
            .deployment_id(&sandbox2.id)
    )
    .unwrap()
    .deployment
    .unwrap();
    let live2 = sdk!(
        agents
            .promote_deployment()
            .agent_id(agent)
            .deployment_id(&pre2.id)
    )
    .unwrap()
    .deployment
    .unwrap();
    assert_eq!(live2.environment.as_deref(), Some("live"));

    let rolled = sdk!(
        agents
            .rollback_deployment()
            .agent_id(agent)
            .deployment_id(&live.id)
            .body_map(|b| b.deployment_message("back to the first release".to_owned()))
    )
    .unwrap()
    .deployment
    .unwrap();
    assert_eq!(rolled.environment.as_deref(), Some("live"));
    assert_eq!(rolled.version.as_deref(), Some(version.as_str()));
    assert_eq!(
        rolled.metadata.as_ref().and_then(|m| m.get("rolledBackTo")),
        Some(&serde_json::json!(live.id))
    );

    let history = sdk!(
        agents
            .list_deployments()
            .agent_id(agent)
            .environment(Environment::Live)
    )
    .unwrap()
    .deployments;
    let ids: Vec<&str> = history.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, [&*rolled.id, &*live2.id, &*live.id], "newest first");
    let newest = sdk!(
        agents
            .list_deployments()
            .agent_id(agent)
            .environment(Environment::Live)
            .limit(1u64)
    )
    .unwrap()
    .deployments;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].id, rolled.id);

    let error = sdk!(
        agents
            .rollback_deployment()
            .agent_id(agent)
            .deployment_id("0190aaaa-0000-7000-8000-000000000000")
    )
    .unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.error_code(), Some("DEPLOYMENT_NOT_FOUND"));

    // Deleting a branch answers with the sequence.
    let branch3 = sdk!(
        agents
            .create_branch()
            .agent_id(agent)
            .body_map(|b| b.branch_name("scratch"))
    )
    .unwrap()
    .branch_id;
    let deleted = sdk!(agents.delete_branch().agent_id(agent).branch_id(&branch3)).unwrap();
    assert_eq!(deleted.sequence.as_deref(), Some("3"));
}

#[tokio::test]
async fn webhook_endpoint_rotation_switches_the_verifying_secret() {
    let (server, client) = mock().await;
    let endpoints = client.webhook_endpoints();

    let created = sdk!(endpoints.create_webhook_endpoint().body_map(|b| {
        b.name("Ops alerts".to_owned())
            .url("https://ops.example.com/polyai".to_owned())
            .event_types(vec![
                WebhookEventType::AlertsTriggered,
                WebhookEventType::AlertsResolved,
            ])
            .timeout_ms(Some(8000))
    }))
    .unwrap();
    assert!(created.id.starts_with("whe_"), "{}", created.id);
    assert_eq!(created.enabled, Some(true));
    assert_eq!(created.timeout_ms, Some(8000));
    assert_eq!(
        created.event_types.as_deref(),
        Some(&["alerts.triggered".to_owned(), "alerts.resolved".to_owned()][..])
    );
    let old_secret = created.signing_secret.expose().to_owned();
    assert!(old_secret.starts_with("whsec_"));
    assert_eq!(
        server.webhook_signing_secret(&created.id).as_deref(),
        Some(old_secret.as_str())
    );
    let shown = format!("{created:?} {created:#?}");
    assert!(!shown.contains(&old_secret), "{shown}");

    // Reads never carry the secret; the filters work.
    let read = sdk!(endpoints.get_webhook_endpoint().endpoint_id(&created.id)).unwrap();
    assert_eq!(read.url.as_deref(), Some("https://ops.example.com/polyai"));
    assert_eq!(read.name.as_deref(), Some("Ops alerts"));
    let listed = sdk!(
        endpoints
            .list_webhook_endpoints()
            .event_type(WebhookEventType::AlertsResolved)
            .enabled(true)
    )
    .unwrap()
    .data;
    assert_eq!(
        listed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [created.id.as_str()]
    );
    let paused = sdk!(
        endpoints
            .update_webhook_endpoint()
            .endpoint_id(&created.id)
            .body_map(|b| b.enabled(Some(false)))
    )
    .unwrap();
    assert_eq!(paused.enabled, Some(false));
    assert!(
        sdk!(endpoints.list_webhook_endpoints().enabled(true))
            .unwrap()
            .data
            .is_empty()
    );
    sdk!(
        endpoints
            .update_webhook_endpoint()
            .endpoint_id(&created.id)
            .body_map(|b| b.enabled(Some(true)))
    )
    .unwrap();

    // Custom headers are replaced as a whole, and an empty map clears them (the field must be
    // sent as `{}`, not left out).
    let team = std::collections::BTreeMap::from([("X-Team".to_owned(), "ops".to_owned())]);
    let with_header = sdk!(
        endpoints
            .update_webhook_endpoint()
            .endpoint_id(&created.id)
            .body_map(|b| b.headers(Some(team.clone())))
    )
    .unwrap();
    assert_eq!(
        with_header
            .headers
            .unwrap_or_default()
            .get("X-Team")
            .map(String::as_str),
        Some("ops")
    );
    let cleared = sdk!(
        endpoints
            .update_webhook_endpoint()
            .endpoint_id(&created.id)
            .body_map(|b| b.headers(Some(Default::default())))
    )
    .unwrap();
    assert_eq!(cleared.headers.unwrap_or_default().len(), 0);

    // Rotate: a new secret; the old one is no longer what the mock signs with.
    let rotated = sdk!(
        endpoints
            .rotate_webhook_signing_secret()
            .endpoint_id(&created.id)
    )
    .unwrap();
    let new_secret = rotated.signing_secret.expose().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(!format!("{rotated:?}").contains(&new_secret));
    assert_eq!(
        server.webhook_signing_secret(&created.id).as_deref(),
        Some(new_secret.as_str())
    );

    // A delivery after rotation verifies with the new secret only.
    let receiver = polyai_mock::testing::Receiver::start().await.unwrap();
    let delivery = server
        .deliver_to_endpoint(
            &created.id,
            receiver.url(),
            &MockEvent::alert_triggered(server.project_id()),
        )
        .await
        .unwrap()
        .expect("the endpoint is enabled and subscribed");
    assert_eq!(delivery.status, 200);
    let received = receiver.received()[0].clone();
    let (headers, body) = (received.headers, received.body);
    assert_eq!(body, delivery.body);
    let verified = Verifier::new(&new_secret)
        .unwrap()
        .verify_event(&headers, &body)
        .unwrap();
    assert_eq!(
        verified.delivery.event_id.as_deref(),
        Some(delivery.event_id.as_str())
    );
    assert_eq!(verified.event.event_type(), "alerts.triggered");
    match &verified.event {
        WebhookEvent::AlertTriggered(event) => {
            assert_eq!(event.alert.project_id.as_deref(), Some(server.project_id()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Verifier::new(&old_secret).unwrap().verify(&headers, &body),
        Err(WebhookError::SignatureMismatch)
    );
    // A receiver mid cut-over accepts either; one that only knows the new secret refuses a
    // delivery still signed with the old one.
    let both = Verifier::with_secrets([&old_secret, &new_secret]).unwrap();
    assert!(both.verify(&headers, &body).is_ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stale_signer = webhooks::signed_headers(&old_secret, now, "evt_old", &body);
    assert_eq!(
        Verifier::new(&new_secret)
            .unwrap()
            .verify(&stale_signer, &body),
        Err(WebhookError::SignatureMismatch)
    );
    let verifier_shown = format!("{:?}", Verifier::new(&new_secret).unwrap());
    assert!(!verifier_shown.contains(&new_secret), "{verifier_shown}");

    // Malformed ids are 422, unknown ones 404 (typed NotFound).
    let error = sdk!(endpoints.get_webhook_endpoint().endpoint_id("whe-1")).unwrap_err();
    assert_api_error(&error, 422, "VALIDATION_ERROR");
    let error = sdk!(endpoints.get_webhook_endpoint().endpoint_id("whe_unknown")).unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.error_code(), Some("WEBHOOK_ENDPOINT_NOT_FOUND"));
    // A plain-http URL is refused by the SDK before sending (the mock would answer 422, see
    // limits::the_mock_answers_broken_limits_like_polyai).
    let error = sdk!(endpoints.create_webhook_endpoint().body_map(|b| {
        b.name("plain".to_owned())
            .url("http://insecure.example.com".to_owned())
            .event_types(vec![WebhookEventType::AlertsTriggered])
    }))
    .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(message) if message.contains("url")),
        "{error:?}"
    );
    assert_eq!(
        sdk!(endpoints.list_webhook_endpoints()).unwrap().data.len(),
        1,
        "nothing was created"
    );

    sdk!(endpoints.delete_webhook_endpoint().endpoint_id(&created.id)).unwrap();
    assert!(
        sdk!(endpoints.list_webhook_endpoints())
            .unwrap()
            .data
            .is_empty()
    );
    assert!(server.webhook_signing_secret(&created.id).is_none());
}

#[tokio::test]
async fn already_published_is_an_outcome_not_an_error() {
    use polyai_sdk::deployments::DeploymentOutcome;
    use polyai_sdk::types::agents::{PromoteDeploymentRequest, PublishDeploymentRequest};

    let (server, client) = mock().await;
    let agent = server.agent_id();

    // A first publish deploys; publishing the same main again is "already deployed".
    let first = client
        .publish_deployment(agent, PublishDeploymentRequest::default())
        .await
        .unwrap();
    let deployment = first
        .deployed()
        .and_then(|change| change.deployment.clone())
        .expect("a new deployment");
    assert_eq!(deployment.environment.as_deref(), Some("sandbox"));
    match client
        .publish_deployment(agent, PublishDeploymentRequest::default())
        .await
        .unwrap()
    {
        DeploymentOutcome::AlreadyDeployed {
            error_code,
            correlation_id,
            ..
        } => {
            assert_eq!(error_code, "DEPLOYMENTS_ALREADY_PUBLISHED");
            assert!(correlation_id.is_some());
        }
        other => panic!("expected AlreadyDeployed, got {other:?}"),
    }

    // Promoting to live before pre-release stays an error (412), then the chain works.
    let live_first = client
        .promote_deployment(
            agent,
            &deployment.id,
            PromoteDeploymentRequest {
                target_environment: Some(PromotionTarget::Live),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_api_error(&live_first, 412, "ErrPreReleaseNotReady");
    let promoted = client
        .promote_deployment(agent, &deployment.id, Default::default())
        .await
        .unwrap();
    let pre_release = promoted
        .deployed()
        .and_then(|change| change.deployment.clone())
        .expect("a pre-release deployment");
    assert_eq!(pre_release.environment.as_deref(), Some("pre-release"));
    assert_eq!(pre_release.version, deployment.version);
}

#[tokio::test]
async fn already_published_with_200_and_other_conflicts() {
    use polyai_sdk::deployments::DeploymentOutcome;
    use polyai_tests::{RecordingServer, Reply};

    let server = RecordingServer::start(|request| {
        let (status, code) = if request.path.ends_with("/publish") {
            (200, "DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED")
        } else {
            (409, "DEPLOYMENTS_CONFLICT")
        };
        Reply::json(
            status,
            serde_json::json!({
                "error_code": code,
                "error_message": "That version is already there.",
                "error_id": "corr-1",
            }),
        )
        .header("x-polyai-correlation-id", "corr-1")
    })
    .await;
    let client = Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .build()
        .unwrap();

    let outcome = client
        .publish_deployment("agent-1", Default::default())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        DeploymentOutcome::AlreadyDeployed {
            error_code: "DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED".into(),
            message: Some("That version is already there.".into()),
            correlation_id: Some("corr-1".into()),
        }
    );
    // A 409 with any other code is still an error.
    let error = client
        .promote_deployment("agent-1", "dep-1", Default::default())
        .await
        .unwrap_err();
    assert_eq!(error.error_code(), Some("DEPLOYMENTS_CONFLICT"));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "neither call is retried");
    assert_eq!(requests[0].path, "/v1/agents/agent-1/deployments/publish");
    assert_eq!(
        requests[1].path,
        "/v1/agents/agent-1/deployments/dep-1/promote"
    );
}
