//! Issue 2: every operation sends the right method, host family, path, query and headers and
//! decodes a realistic response; regions map to the documented hosts; path parameters are
//! encoded and cannot change the path; the API key never shows.

use polyai_sdk::Environment;
use polyai_sdk::{Client, Error, HostFamily, Region};
use polyai_tests::{RecordingServer, Reply, TwoHosts};
use serde_json::json;

const KEY: &str = "sk-test-7f3a9c1e5b2d";

/// Two servers, one per host family, so a request sent to the wrong family shows up there.
async fn hosts(
    reply: impl Fn(&polyai_tests::RecordedRequest) -> Reply + Send + Sync + 'static,
) -> TwoHosts {
    TwoHosts::start(reply, |builder| builder.api_key(KEY)).await
}

fn assert_common_headers(request: &polyai_tests::RecordedRequest) {
    assert_eq!(request.header("x-api-key"), Some(KEY));
    let agent = request.header("user-agent").expect("user agent");
    assert!(agent.starts_with("polyai-rs/"), "{agent}");
    assert!(
        agent.contains(env!("CARGO_PKG_VERSION")) || agent.contains("polyai-sdk"),
        "{agent}"
    );
    assert!(
        request.header("api-version").is_none(),
        "progenitor's api-version header must be stripped"
    );
}

fn v3_page() -> serde_json::Value {
    json!({
        "conversations": [{
            "id": "CA5d3c0f0b2a6e4f1b9d8c7a6b5e4d3c2b",
            "account_id": "ws-1a2b3c4d",
            "project_id": "PROJECT-9f8e7d6c",
            "variant_id": null,
            "variant_name": "default",
            "environment": "live",
            "started_at": "2026-07-01T16:35:00.000Z",
            "channel": "VOICE-SIP",
            "from_number": "+447700900123",
            "to_number": "+442071234567",
            "in_progress": false,
            "num_turns": 2,
            "total_duration": 73,
            "state": {"booking_ref": "ABC123"},
            "some_future_field": {"nested": [1, 2, 3]},
            "turns": [
                {"user_input": null, "agent_response": "Hello, how can I help?", "user_input_datetime": null,
                 "agent_response_datetime": "2026-07-01T16:35:01.000Z", "latency": null, "intents": []},
                {"user_input": "I want to book a table", "agent_response": "For how many people?",
                 "user_input_datetime": "2026-07-01T16:35:05.120Z", "agent_response_datetime": "2026-07-01 16:35:06",
                 "latency": {"asr": 120, "llm": 480}, "is_ood": false}
            ]
        }],
        "cursor": "eyJvZmZzZXQiOjF9",
        "next_offset": null
    })
}

#[tokio::test]
async fn list_conversations_goes_to_the_platform_host_with_every_filter() {
    let hosts = hosts(|_| Reply::json(200, v3_page())).await;
    let page = hosts
        .client
        .list_conversations("ws-1a2b3c4d", "PROJECT-9f8e7d6c")
        .environment(Environment::PreRelease)
        .between(
            "2026-07-01T00:00:00Z".parse().unwrap(),
            "2026-07-02T00:00:00Z".parse().unwrap(),
        )
        .channel("VOICE-SIP")
        .channel("WEBCHAT")
        .variant_name("default")
        .in_progress(false)
        .search_transcripts("refund")
        .turn_type(polyai_sdk::conversations::TurnType::User)
        .include_latency(true)
        .page_size(250)
        .resume_from("cursor-1")
        .first_page()
        .await
        .expect("page");

    assert!(
        hosts.agents.requests().is_empty(),
        "v3 listing must not go to the agents host"
    );
    let request = hosts.platform.single_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        "/v3/ws-1a2b3c4d/PROJECT-9f8e7d6c/conversations"
    );
    assert_common_headers(&request);
    let query = request.query_pairs();
    let expect = [
        ("channel", "VOICE-SIP"),
        ("channel", "WEBCHAT"),
        ("client_env", "pre-release"),
        ("cursor", "cursor-1"),
        ("end_time", "2026-07-02T00:00:00.000Z"),
        ("in_progress", "false"),
        ("include_latency", "true"),
        ("limit", "250"),
        ("query", "refund"),
        ("query_type", "transcript"),
        ("start_time", "2026-07-01T00:00:00.000Z"),
        ("turn_type", "user"),
        ("variant_name", "default"),
    ];
    let mut sorted = query.clone();
    sorted.sort();
    let mut expected: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    expected.sort();
    assert_eq!(sorted, expected);

    assert_eq!(page.next_cursor.as_deref(), Some("eyJvZmZzZXQiOjF9"));
    let conversation = &page.items[0];
    assert_eq!(conversation.id, "CA5d3c0f0b2a6e4f1b9d8c7a6b5e4d3c2b");
    assert_eq!(conversation.variant_id, None);
    let turns = conversation.turns.as_ref().expect("turns");
    assert_eq!(
        turns[1].user_input.as_deref(),
        Some("I want to book a table")
    );
    assert_eq!(
        turns[1].agent_response_datetime.as_deref(),
        Some("2026-07-01 16:35:06")
    );
}

#[tokio::test]
async fn sampling_and_semantic_search_and_variant_id() {
    let hosts = hosts(|_| Reply::json(200, json!({"conversations": [], "cursor": null}))).await;
    let page = hosts
        .client
        .list_conversations("acme", "support")
        .random_sample()
        .variant_id("var-1")
        .first_page()
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next_cursor.is_none());
    hosts
        .client
        .list_conversations("acme", "support")
        .search_semantic("angry caller")
        .first_page()
        .await
        .unwrap();
    let requests = hosts.platform.requests();
    assert_eq!(
        requests[0].query_pairs(),
        vec![
            ("sample".into(), "random".into()),
            ("variant_id".into(), "var-1".into())
        ]
    );
    assert_eq!(
        requests[1].query_pairs(),
        vec![
            ("query".into(), "angry caller".into()),
            ("query_type".into(), "semantic".into())
        ]
    );
}

fn detail() -> serde_json::Value {
    json!({
        "conversationId": "CA5d3c",
        "agentId": "agent-42",
        "accountId": "ws-1a2b3c4d",
        "audioUrl": null,
        "deploymentId": null,
        "language": null,
        "note": null,
        "polyScore": null,
        "variantId": null,
        "startedAt": "2026-07-01T16:35:00Z",
        "shortSummary": {"heading": "Booking", "content": "Caller booked a table"},
        "metrics": {"containment": true},
        "functionEvents": [{"name": "book", "arguments": {"size": 4}, "timestamp": 1751387705}],
        "turns": [{"turn_id": 0, "user_input": null, "agent_response": "Hello"}],
        "brandNewField": 7
    })
}

#[tokio::test]
async fn data_endpoints_go_to_the_agents_host() {
    let hosts = hosts(|request| match (request.method.as_str(), request.path.rsplit('/').next().unwrap_or("")) {
        ("GET", "conversations") => Reply::json(200, json!({
            "conversations": [{"conversationId": "CA1", "agentId": "agent-42", "startedAt": "2026-07-01T16:35:00Z", "polyScore": null, "variantId": null}],
            "count": 1, "limit": 20, "offset": 40
        })),
        ("POST", _) => Reply::json(201, json!({"success": true})),
        _ => Reply::json(200, detail()),
    })
    .await;
    let client = &hosts.client;

    let detail = crate::detail(client, "agent-42", "CA5d3c")
        .await
        .expect("detail");
    assert_eq!(detail.note, None);
    let list = client
        .data()
        .list_agent_conversations()
        .agent_id("agent-42")
        .limit(20)
        .offset(40)
        .send()
        .await
        .expect("list");
    assert_eq!(list.conversations[0].conversation_id, "CA1");

    use polyai_sdk::types::data::AnnotationRole;
    crate::annotate(
        client,
        "agent-42",
        "CA5d3c",
        vec![
            crate::annotation(1, AnnotationRole::User, "wrong_transcript"),
            crate::annotation(2, AnnotationRole::Agent, "rude_tone"),
        ],
    )
    .await
    .expect("annotations");
    crate::set_note(client, "agent-42", "CA5d3c", "Follow up tomorrow")
        .await
        .expect("note");

    assert!(
        hosts.platform.requests().is_empty(),
        "agent-scoped paths must not go to the platform host"
    );
    let requests = hosts.agents.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert_common_headers(request);
    }
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/v1/agents/agent-42/conversations/CA5d3c")
    );
    assert_eq!(requests[1].path, "/v1/agents/agent-42/conversations");
    assert_eq!(
        requests[1].query_pairs(),
        vec![
            ("limit".into(), "20".into()),
            ("offset".into(), "40".into())
        ]
    );
    assert_eq!(
        (requests[2].method.as_str(), requests[2].path.as_str()),
        (
            "POST",
            "/v1/agents/agent-42/conversations/CA5d3c/annotation"
        )
    );
    assert_eq!(requests[2].header("content-type"), Some("application/json"));
    assert_eq!(
        requests[2].json(),
        json!({"annotations": [
            {"turnId": 1, "role": "user", "annotationType": "wrong_transcript"},
            {"turnId": 2, "role": "agent", "annotationType": "rude_tone"}
        ]})
    );
    assert_eq!(
        (requests[3].method.as_str(), requests[3].path.as_str()),
        ("POST", "/v1/agents/agent-42/conversations/CA5d3c/note")
    );
    assert_eq!(requests[3].json(), json!({"note": "Follow up tomorrow"}));
}

#[tokio::test]
async fn audio_asks_for_wav_on_the_agents_host() {
    let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    let body = wav.clone();
    let hosts = hosts(move |_| Reply::bytes(200, "audio/wav", body.clone())).await;
    let mut stream = hosts
        .client
        .audio("agent-42", "CA5d3c")
        .direction(polyai_sdk::audio::AudioDirection::User)
        .redacted(false)
        .stream()
        .await
        .expect("audio");
    assert_eq!(stream.content_type(), Some("audio/wav"));
    assert_eq!(stream.content_length(), Some(wav.len() as u64));
    let mut received = Vec::new();
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        received.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(received, wav);
    let request = hosts.agents.single_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        "/v1/agents/agent-42/conversations/CA5d3c/audio"
    );
    assert_eq!(
        request.query_pairs(),
        vec![
            ("direction".into(), "user".into()),
            ("redacted".into(), "false".into())
        ]
    );
    assert_eq!(request.header("accept"), Some("audio/wav"));
    assert!(
        request.header("content-type").is_none(),
        "no Content-Type on a GET without body"
    );
    assert_common_headers(&request);
}

#[tokio::test]
async fn debug_chat_start_and_send() {
    let hosts = hosts(|request| {
        if request.path.ends_with("/debug-chat") {
            Reply::json(201, json!({
                "conversationId": "dbg-123", "userInput": null, "response": "Hi! How can I help?",
                "metadata": {"state": {}, "currentNode": "start", "nodeTrace": ["start"], "metrics": {}, "functionEvents": []},
                "conversationEnded": false, "delayedResponse": false
            }))
        } else {
            Reply::json(200, json!({
                "conversationId": "dbg-123", "userInput": "bye", "response": "Goodbye!",
                "metadata": null, "conversationEnded": true, "delayedResponse": false
            }))
        }
    })
    .await;
    let mut session = hosts
        .client
        .debug_chat_session("agent-42", Environment::Sandbox)
        .variant_id("var-7")
        .asr_language("en-GB")
        .tts_language("en-GB")
        .channel("WEBCHAT")
        .integration_attribute("customer_tier", "gold")
        .start()
        .await
        .expect("start");
    assert_eq!(session.conversation_id(), "dbg-123");
    assert_eq!(
        session.greeting().response.as_deref(),
        Some("Hi! How can I help?")
    );
    let reply = session.send("bye").await.expect("send");
    assert_eq!(reply.conversation_ended, Some(true));
    assert!(session.is_ended());
    let error = session.send("hello again").await.expect_err("ended");
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");

    let requests = hosts.agents.requests();
    assert_eq!(requests.len(), 2, "no request after the conversation ended");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v1/agents/agent-42/debug-chat")
    );
    assert_eq!(
        requests[0].json(),
        json!({"clientEnv": "sandbox", "variantId": "var-7", "asrLangCode": "en-GB", "ttsLangCode": "en-GB",
               "channel": "WEBCHAT", "integrationAttributes": {"customer_tier": "gold"}})
    );
    assert_eq!(requests[1].path, "/v1/agents/agent-42/debug-chat/dbg-123");
    assert_eq!(
        requests[1].json(),
        json!({"clientEnv": "sandbox", "message": "bye", "asrLangCode": "en-GB", "ttsLangCode": "en-GB"})
    );
    for request in &requests {
        assert_common_headers(request);
    }
}

#[test]
fn every_region_and_family_resolves_to_the_documented_host() {
    let table = [
        (
            Region::Us,
            "https://api.us.poly.ai",
            "https://api.us-1.platform.polyai.app",
        ),
        (
            Region::Uk,
            "https://api.uk.poly.ai",
            "https://api.uk-1.platform.polyai.app",
        ),
        (
            Region::Eu,
            "https://api.eu.poly.ai",
            "https://api.euw-1.platform.polyai.app",
        ),
        (
            Region::Studio,
            "https://api.studio.poly.ai",
            "https://api.studio.poly.ai",
        ),
    ];
    for (region, agents, platform) in table {
        let client = Client::builder()
            .api_key(KEY)
            .region(region)
            .build()
            .unwrap();
        assert_eq!(client.base_url(HostFamily::Agents), agents, "{region}");
        assert_eq!(client.base_url(HostFamily::Platform), platform, "{region}");
        assert_eq!(region.as_str().parse::<Region>().unwrap(), region);
    }
    assert_eq!("EUW-1".parse::<Region>().unwrap(), Region::Eu);
    let error = "mars".parse::<Region>().unwrap_err().to_string();
    assert!(
        error.contains("us, uk, eu, studio") && error.contains("mars"),
        "{error}"
    );
    // A regionless host is refused, and an override wins over the region.
    assert!(
        Client::builder()
            .api_key(KEY)
            .base_url("https://api.poly.ai")
            .build()
            .is_err()
    );
    let client = Client::builder()
        .api_key(KEY)
        .region(Region::Us)
        .platform_base_url("http://127.0.0.1:9/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(HostFamily::Platform), "http://127.0.0.1:9");
    assert_eq!(
        client.base_url(HostFamily::Agents),
        "https://api.us.poly.ai"
    );
    assert!(
        matches!(Client::builder().api_key(KEY).build(), Err(Error::InvalidInput(m)) if m.contains("region"))
    );
    assert!(
        matches!(Client::builder().region(Region::Us).build(), Err(Error::InvalidInput(m)) if m.contains("API key"))
    );
}

#[tokio::test]
async fn path_parameters_are_encoded_and_cannot_change_the_path() {
    let hosts = hosts(|_| Reply::json(200, detail())).await;
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#b", "a%23b"),
        ("100%", "100%25"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("..%2F", "..%252F"),
        ("café-☕", "caf%C3%A9-%E2%98%95"),
        ("a b", "a%20b"),
    ];
    for (raw, encoded) in cases {
        crate::detail(&hosts.client, "agent-42", raw)
            .await
            .expect(raw);
        let request = hosts.agents.requests().pop().expect("request");
        assert_eq!(
            request.path,
            format!("/v1/agents/agent-42/conversations/{encoded}"),
            "{raw}"
        );
        assert!(request.query.is_none(), "{raw} leaked into the query");
    }
    let sent = hosts.agents.requests().len();
    // `.` and `..` cannot be encoded in a way URL parsers keep: refused before sending, on the
    // hand-written layer and on the generated one alike.
    for raw in [".", "..", "", "a\nb"] {
        let error = crate::detail(&hosts.client, "agent-42", raw)
            .await
            .expect_err(raw);
        assert!(matches!(error, Error::InvalidInput(_)), "{raw}: {error:?}");
    }
    for raw in [".", ".."] {
        let call = hosts
            .client
            .data()
            .get_agent_conversation()
            .agent_id(raw)
            .conversation_id("CA1")
            .send()
            .await;
        let error = call.expect_err(raw);
        assert!(matches!(error, Error::InvalidInput(_)), "{raw}: {error:?}");
    }
    assert_eq!(
        hosts.agents.requests().len(),
        sent,
        "nothing was sent for refused ids"
    );
}

#[tokio::test]
async fn the_api_key_never_shows() {
    let hosts = hosts(|_| {
        Reply::json(401, json!({"success": false, "error": "Unauthorized", "error_id": "corr-1", "error_code": "UNAUTHORIZED",
                                "error_message": "Invalid API key", "data": null}))
            .header("X-PolyAI-Correlation-Id", "corr-1")
    })
    .await;
    assert!(!format!("{:?}", hosts.client).contains(KEY));
    let builder = Client::builder().api_key(KEY).region(Region::Us);
    assert!(!format!("{builder:?}").contains(KEY));
    let error = crate::detail(&hosts.client, "agent-42", "CA1")
        .await
        .expect_err("401");
    for text in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!text.contains(KEY), "{text}");
    }
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.correlation_id(), Some("corr-1"));
    assert_eq!(error.error_code(), Some("UNAUTHORIZED"));
    assert!(error.to_string().contains("Invalid API key"), "{error}");
    // A key that cannot be a header value is refused without being echoed.
    let bad = "sk-bad\nkey";
    let error = Client::builder()
        .api_key(bad)
        .region(Region::Us)
        .build()
        .expect_err("bad key");
    assert!(!error.to_string().contains("sk-bad"), "{error}");
}

#[test]
fn from_env_reads_key_region_and_overrides() {
    // Environment variables are process-wide: this is the only test that touches them.
    // SAFETY: no other test in this binary reads or writes these variables.
    unsafe {
        std::env::set_var("POLYAI_API_KEY", KEY);
        std::env::set_var("POLYAI_REGION", "uk");
        std::env::set_var("POLYAI_PLATFORM_BASE_URL", "http://127.0.0.1:1");
    }
    let client = Client::from_env().expect("from env");
    assert_eq!(client.region(), Some(Region::Uk));
    assert_eq!(
        client.base_url(HostFamily::Agents),
        "https://api.uk.poly.ai"
    );
    assert_eq!(client.base_url(HostFamily::Platform), "http://127.0.0.1:1");
    unsafe { std::env::set_var("POLYAI_REGION", "atlantis") };
    let error = Client::from_env().expect_err("bad region").to_string();
    assert!(
        error.contains("atlantis") && error.contains("us, uk, eu, studio"),
        "{error}"
    );
    unsafe {
        std::env::remove_var("POLYAI_API_KEY");
        std::env::remove_var("POLYAI_REGION");
        std::env::remove_var("POLYAI_PLATFORM_BASE_URL");
    }
    assert!(
        Client::from_env()
            .expect_err("no key")
            .to_string()
            .contains("POLYAI_API_KEY")
    );
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_key_cannot_travel() {
    let elsewhere =
        RecordingServer::start(|_| Reply::json(200, json!({"conversationId": "CA1"}))).await;
    let target = format!("{}/v1/agents/a/conversations/CA1", elsewhere.base_url());
    let hosts = hosts(move |_| Reply::json(302, json!({})).header("location", &target)).await;
    let error = crate::detail(&hosts.client, "a", "CA1")
        .await
        .expect_err("a redirect is an error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target never saw the API key"
    );
}
