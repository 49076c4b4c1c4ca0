//! The hand-written operations: audio-cache file and details uploads, external events.
//!
//! Each test runs one loopback server per host family, so a request sent to the wrong family
//! shows up there, and checks what arrived byte for byte: method, path, query, headers and
//! body (the multipart body is parsed here, independently of the SDK's encoder).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use polyai_sdk::audio_cache::{MAX_AUDIO_UPLOAD_BYTES, VoiceTuningConfig};
use polyai_sdk::external_events::{ExternalEventBody, ExternalEventIdLocation};
use polyai_sdk::{Error, RetryPolicy};
use polyai_tests::{RecordedRequest, Reply, TwoHosts};
use serde_json::json;

const KEY: &str = "sk-handwritten-4e1d9a7c";

/// Two servers answering through `reply`, and a client whose retries wait a millisecond.
async fn start_hosts(
    reply: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
) -> TwoHosts {
    TwoHosts::start(reply, |builder| {
        builder.api_key(KEY).retry_policy(
            RetryPolicy::standard()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
    })
    .await
}

fn no_content(_: &RecordedRequest) -> Reply {
    Reply::bytes(204, "text/plain", "")
}

fn created(_: &RecordedRequest) -> Reply {
    Reply::bytes(201, "text/plain", "")
}

/// A small "WAV" whose bytes include CR, LF, dashes and every byte value, to catch any
/// re-encoding or a multipart parser that trusts the content.
fn wav() -> Vec<u8> {
    let mut bytes = b"RIFF\x24\x08\x00\x00WAVEfmt ".to_vec();
    bytes.extend(0u8..=255);
    bytes.extend_from_slice(b"\r\n--not-a-boundary\r\n");
    bytes.extend((0u8..=255).rev());
    bytes
}

fn invalid_input(error: Error) -> String {
    match error {
        Error::InvalidInput(message) => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// PATCH .../audio-cache/{entryId}/file

#[tokio::test]
async fn replace_audio_cache_file_sends_raw_wav_to_the_agents_host() {
    let hosts = start_hosts(no_content).await;
    let audio = wav();
    hosts
        .client
        .replace_audio_cache_file("agent-42", "1042")
        .filename("welcome-v2.wav")
        .body(audio.clone())
        .send()
        .await
        .expect("204 is success");

    assert!(
        hosts.platform.requests().is_empty(),
        "must not use the platform host"
    );
    let request = hosts.agents.single_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path, "/v1/agents/agent-42/audio-cache/1042/file");
    assert_eq!(request.query, None);
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("audio/wav"));
    assert_eq!(request.header("x-filename"), Some("welcome-v2.wav"));
    assert_eq!(
        request.header("content-length"),
        Some(audio.len().to_string().as_str())
    );
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("polyai-rs/"))
    );
    assert_eq!(
        &request.body[..],
        &audio[..],
        "the body is the WAV, byte for byte"
    );
}

#[tokio::test]
async fn replace_audio_cache_file_without_a_filename_sends_no_header_and_encodes_the_agent() {
    let hosts = start_hosts(no_content).await;
    hosts
        .client
        .replace_audio_cache_file("agent/with space", "7")
        .body(bytes::Bytes::from_static(b"RIFF0000WAVE"))
        .send()
        .await
        .expect("sent");
    let request = hosts.agents.single_request();
    assert_eq!(
        request.path,
        "/v1/agents/agent%2Fwith%20space/audio-cache/7/file"
    );
    assert_eq!(request.header("x-filename"), None);
    assert_eq!(&request.body[..], b"RIFF0000WAVE");
}

#[tokio::test]
async fn replace_audio_cache_file_surfaces_not_found() {
    let hosts = start_hosts(|_| {
        Reply::json(
            404,
            json!({"success": false, "error": "entry not found", "error_id": "corr-9",
                   "error_code": "AUDIO_CACHE_ENTRY_NOT_FOUND", "error_message": "entry not found",
                   "data": null}),
        )
        .header("x-polyai-correlation-id", "corr-9")
    })
    .await;
    let error = hosts
        .client
        .replace_audio_cache_file("agent-42", "99")
        .body(wav())
        .send()
        .await
        .expect_err("404");
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.error_code(), Some("AUDIO_CACHE_ENTRY_NOT_FOUND"));
    assert_eq!(error.correlation_id(), Some("corr-9"));
    assert!(!error.to_string().contains(KEY));
}

// ------------------------------------------------------------------------------------------
// PUT .../audio-cache/{entryId}/details

/// One part of a multipart body.
#[derive(Debug)]
struct Part {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Part {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// Parses `multipart/form-data` (RFC 7578) strictly: every delimiter is CRLF `--boundary`,
/// the body ends with `--boundary--`, and each part has headers, a blank line and content.
fn parse_multipart(body: &[u8], content_type: &str) -> Vec<Part> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("unexpected content type {content_type:?}"))
        .trim_matches('"');
    let first = format!("--{boundary}\r\n");
    assert!(
        body.starts_with(first.as_bytes()),
        "body starts with the first delimiter"
    );
    let delimiter = format!("\r\n--{boundary}");
    let mut parts = Vec::new();
    let mut at = first.len();
    loop {
        let head_end = find(body, b"\r\n\r\n", at).expect("part headers end");
        let headers = std::str::from_utf8(&body[at..head_end])
            .expect("ASCII part headers")
            .split("\r\n")
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header line");
                (name.trim().to_string(), value.trim().to_string())
            })
            .collect();
        let content_start = head_end + 4;
        let content_end = find(body, delimiter.as_bytes(), content_start).expect("next delimiter");
        parts.push(Part {
            headers,
            body: body[content_start..content_end].to_vec(),
        });
        let after = content_end + delimiter.len();
        match &body[after..] {
            b"--\r\n" | b"--" => break,
            rest if rest.starts_with(b"\r\n") => at = after + 2,
            rest => panic!(
                "garbage after a delimiter: {:?}",
                String::from_utf8_lossy(rest)
            ),
        }
    }
    parts
}

#[tokio::test]
async fn replace_audio_cache_details_sends_a_file_part_and_settings_as_json_text() {
    let hosts = start_hosts(no_content).await;
    let audio = wav();
    let config = VoiceTuningConfig {
        stability: Some(0.6),
        similarity_boost: Some(0.75),
        model_id: Some("eleven_turbo_v2".to_string()),
        instant_mode: Some(true),
        ..Default::default()
    };
    hosts
        .client
        .replace_audio_cache_details("agent-42", "1042")
        .text("Thanks for calling \"Acme\", how can I help?")
        .config(config)
        .file(audio.clone())
        .send()
        .await
        .expect("204 is success");

    assert!(
        hosts.platform.requests().is_empty(),
        "must not use the platform host"
    );
    let request = hosts.agents.single_request();
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/v1/agents/agent-42/audio-cache/1042/details");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("x-filename"), None);
    let content_type = request.header("content-type").expect("content type");
    let parts = parse_multipart(&request.body, content_type);
    assert_eq!(parts.len(), 2, "{parts:#?}");

    let file = &parts[0];
    assert_eq!(
        file.header("content-disposition"),
        Some(r#"form-data; name="file"; filename="1042.wav""#)
    );
    assert_eq!(file.header("content-type"), Some("audio/wav"));
    assert_eq!(file.body, audio, "the file part is the WAV, byte for byte");

    let settings = &parts[1];
    assert_eq!(
        settings.header("content-disposition"),
        Some(r#"form-data; name="settings""#)
    );
    assert_eq!(settings.header("content-type"), None, "a plain form field");
    let text = std::str::from_utf8(&settings.body).expect("settings is UTF-8 text");
    let value: serde_json::Value = serde_json::from_str(text).expect("settings is JSON text");
    assert_eq!(
        value,
        json!({
            "text": "Thanks for calling \"Acme\", how can I help?",
            "config": {
                "stability": 0.6,
                "similarityBoost": 0.75,
                "modelId": "eleven_turbo_v2",
                "instantMode": true
            }
        })
    );
    assert!(
        text.starts_with('{'),
        "an object's JSON text, not a quoted string: {text}"
    );
}

#[tokio::test]
async fn replace_audio_cache_details_uses_the_given_filename_and_an_empty_config_by_default() {
    let hosts = start_hosts(no_content).await;
    hosts
        .client
        .replace_audio_cache_details("agent-42", "5")
        .filename("goodbye v3.wav")
        .text("Goodbye!")
        .file(bytes::Bytes::from_static(b"RIFFxxxxWAVE"))
        .send()
        .await
        .expect("sent");
    let request = hosts.agents.single_request();
    let parts = parse_multipart(&request.body, request.header("content-type").unwrap());
    assert_eq!(
        parts[0].header("content-disposition"),
        Some(r#"form-data; name="file"; filename="goodbye v3.wav""#)
    );
    assert_eq!(parts[0].body, b"RIFFxxxxWAVE");
    let settings: serde_json::Value = serde_json::from_slice(&parts[1].body).unwrap();
    assert_eq!(settings, json!({"text": "Goodbye!", "config": {}}));
}

// ------------------------------------------------------------------------------------------
// Size limit and input checks: refused before any request.

#[tokio::test]
async fn uploads_over_six_megabytes_are_refused_without_a_request() {
    let hosts = start_hosts(no_content).await;
    let too_big = bytes::Bytes::from(vec![0u8; MAX_AUDIO_UPLOAD_BYTES + 1]);

    let message = invalid_input(
        hosts
            .client
            .replace_audio_cache_file("agent-42", "1042")
            .body(too_big.clone())
            .send()
            .await
            .expect_err("too big"),
    );
    assert!(message.contains("6 MB"), "{message}");
    assert!(
        message.contains(&(MAX_AUDIO_UPLOAD_BYTES + 1).to_string()),
        "{message}"
    );

    let message = invalid_input(
        hosts
            .client
            .replace_audio_cache_details("agent-42", "1042")
            .text("hello")
            .file(too_big)
            .send()
            .await
            .expect_err("too big"),
    );
    assert!(message.contains("6 MB"), "{message}");
    assert!(hosts.agents.requests().is_empty() && hosts.platform.requests().is_empty());

    // Exactly at the limit is sent.
    let at_limit = vec![7u8; MAX_AUDIO_UPLOAD_BYTES];
    hosts
        .client
        .replace_audio_cache_file("agent-42", "1042")
        .body(at_limit)
        .send()
        .await
        .expect("at the limit");
    let request = hosts.agents.single_request();
    assert_eq!(request.body.len(), MAX_AUDIO_UPLOAD_BYTES);
    assert!(request.body.iter().all(|&b| b == 7));
}

#[tokio::test]
async fn bad_audio_cache_input_is_refused_without_a_request() {
    let hosts = start_hosts(no_content).await;
    let client = &hosts.client;
    let file = |agent: &str, entry: &str| client.replace_audio_cache_file(agent, entry).body(wav());
    let details = |agent: &str, entry: &str| {
        client
            .replace_audio_cache_details(agent, entry)
            .text("hi")
            .file(wav())
    };

    for (agent, entry, expect) in [
        ("", "1", "agent_id is empty"),
        ("  ", "1", "agent_id is empty"),
        (".", "1", "not a valid id"),
        ("..", "1", "not a valid id"),
        ("a\nb", "1", "control characters"),
        ("agent", "", "entry_id is empty"),
        ("agent", "..", "not a valid id"),
        ("agent", "abc", "not numeric"),
        ("agent", "12a", "not numeric"),
        ("agent", "-3", "not numeric"),
        ("agent", "1.5", "not numeric"),
    ] {
        let message = invalid_input(file(agent, entry).send().await.expect_err("refused"));
        assert!(
            message.contains(expect),
            "file {agent:?}/{entry:?}: {message}"
        );
        let message = invalid_input(details(agent, entry).send().await.expect_err("refused"));
        assert!(
            message.contains(expect),
            "details {agent:?}/{entry:?}: {message}"
        );
    }

    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "no audio",
            client.replace_audio_cache_file("a", "1").send().await,
        ),
        (
            "is empty",
            client
                .replace_audio_cache_file("a", "1")
                .body(Vec::new())
                .send()
                .await,
        ),
        (
            "filename is empty",
            client
                .replace_audio_cache_file("a", "1")
                .filename(" ")
                .body(wav())
                .send()
                .await,
        ),
        (
            "printable ASCII",
            client
                .replace_audio_cache_file("a", "1")
                .filename("x\r\ny.wav")
                .body(wav())
                .send()
                .await,
        ),
        (
            "printable ASCII",
            client
                .replace_audio_cache_file("a", "1")
                .filename("café.wav")
                .body(wav())
                .send()
                .await,
        ),
        (
            "no transcript",
            client
                .replace_audio_cache_details("a", "1")
                .file(wav())
                .send()
                .await,
        ),
        (
            "blank",
            client
                .replace_audio_cache_details("a", "1")
                .text("  ")
                .file(wav())
                .send()
                .await,
        ),
        (
            "no audio",
            client
                .replace_audio_cache_details("a", "1")
                .text("hi")
                .send()
                .await,
        ),
        (
            "printable ASCII",
            client
                .replace_audio_cache_details("a", "1")
                .filename("a\"\n.wav")
                .text("hi")
                .file(wav())
                .send()
                .await,
        ),
    ];
    for (expect, result) in cases {
        let message = invalid_input(result.expect_err(expect));
        assert!(message.contains(expect), "{expect}: {message}");
    }
    assert!(
        hosts.agents.requests().is_empty(),
        "{:#?}",
        hosts.agents.requests()
    );
    assert!(hosts.platform.requests().is_empty());
}

#[tokio::test]
async fn upload_builders_do_not_print_the_audio_or_the_key() {
    let hosts = start_hosts(no_content).await;
    let secret_audio = b"RIFF-top-secret-audio".to_vec();
    let file = hosts
        .client
        .replace_audio_cache_file("agent-42", "1042")
        .body(secret_audio.clone());
    let details = hosts
        .client
        .replace_audio_cache_details("agent-42", "1042")
        .text("hi")
        .file(secret_audio);
    for printed in [format!("{file:?}"), format!("{details:?}")] {
        assert!(!printed.contains("top-secret"), "{printed}");
        assert!(!printed.contains(KEY), "{printed}");
        assert!(
            printed.contains("1042") && printed.contains("21"),
            "{printed}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// POST /v1/external-events/webhook

#[tokio::test]
async fn external_event_bodies_carry_their_content_type_and_bytes() {
    let hosts = start_hosts(created).await;
    let cases: Vec<(ExternalEventBody, &str, Vec<u8>)> = vec![
        (
            ExternalEventBody::Json(json!({"cid": "evt_01HF2", "answers": {"amount": 1999}})),
            "application/json",
            br#"{"answers":{"amount":1999},"cid":"evt_01HF2"}"#.to_vec(),
        ),
        (
            ExternalEventBody::form([
                ("cid", "evt_01HF2"),
                ("status", "paid in full"),
                ("note", "a&b=c/é"),
            ]),
            "application/x-www-form-urlencoded",
            b"cid=evt_01HF2&status=paid+in+full&note=a%26b%3Dc%2F%C3%A9".to_vec(),
        ),
        (
            ExternalEventBody::Xml("<root><cid>evt_01HF2</cid><status>ok</status></root>".into()),
            "application/xml",
            b"<root><cid>evt_01HF2</cid><status>ok</status></root>".to_vec(),
        ),
        (
            ExternalEventBody::Text("cid=evt_01HF2&status=succeeded\n".into()),
            "text/plain",
            b"cid=evt_01HF2&status=succeeded\n".to_vec(),
        ),
    ];
    for (body, content_type, bytes) in &cases {
        hosts
            .client
            .post_external_event("ws-1a2b3c4d", "PROJECT-9f8e7d6c")
            .event_id(ExternalEventIdLocation::Payload, "cid")
            .body(body.clone())
            .send()
            .await
            .expect("201 is success");
        let request = hosts.platform.requests().pop().expect("a request");
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/external-events/webhook");
        assert_eq!(request.header("content-type"), Some(*content_type));
        assert_eq!(request.header("x-api-key"), Some(KEY));
        assert_eq!(&request.body[..], &bytes[..], "{content_type}");
        assert_eq!(
            request.query_pairs(),
            [
                ("event_id_location", "payload"),
                ("event_id_path", "cid"),
                ("account_id", "ws-1a2b3c4d"),
                ("project_id", "PROJECT-9f8e7d6c"),
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
        );
    }
    assert_eq!(hosts.platform.requests().len(), cases.len());
    assert!(
        hosts.agents.requests().is_empty(),
        "must not use the agents host"
    );
}

#[tokio::test]
async fn external_event_ids_travel_in_a_header_or_the_query() {
    let hosts = start_hosts(created).await;
    hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Headers, "cid")
        .header("CID", "evt_header_1")
        .header("x-provider", "paypage")
        .body(ExternalEventBody::Json(json!({"status": "succeeded"})))
        .send()
        .await
        .expect("header location");
    hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Querystring, "ref")
        .query("ref", "evt q&1")
        .body(ExternalEventBody::Text("paid".into()))
        .send()
        .await
        .expect("querystring location");

    let requests = hosts.platform.requests();
    assert_eq!(requests.len(), 2);
    let by_header = &requests[0];
    assert_eq!(by_header.header("cid"), Some("evt_header_1"));
    assert_eq!(by_header.header("x-provider"), Some("paypage"));
    assert_eq!(by_header.header("x-api-key"), Some(KEY));
    assert!(
        by_header
            .query_pairs()
            .contains(&("event_id_location".into(), "headers".into()))
    );

    let by_query = &requests[1];
    let pairs = by_query.query_pairs();
    assert_eq!(pairs[0], ("event_id_location".into(), "querystring".into()));
    assert_eq!(pairs[1], ("event_id_path".into(), "ref".into()));
    assert_eq!(
        pairs.last(),
        Some(&("ref".to_string(), "evt q&1".to_string()))
    );
    assert_eq!(pairs.len(), 5);
}

#[tokio::test]
async fn external_event_error_message_is_surfaced() {
    let hosts = start_hosts(|_| {
        Reply::json(400, json!({"error_message": "External event id not valid"}))
            .header("x-polyai-correlation-id", "corr-ee-1")
    })
    .await;
    let error = hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Payload, "cid")
        .body(ExternalEventBody::Json(json!({"cid": "evt_unknown"})))
        .send()
        .await
        .expect_err("400");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let api = error.api_error().expect("an API error");
    assert_eq!(
        api.error_message.as_deref(),
        Some("External event id not valid")
    );
    assert_eq!(api.error_code, None);
    let shown = error.to_string();
    assert!(shown.contains("400"), "{shown}");
    assert!(shown.contains("External event id not valid"), "{shown}");
    assert!(shown.contains("corr-ee-1"), "{shown}");
    assert!(!shown.contains(KEY) && !format!("{error:?}").contains(KEY));
    assert!(!error.is_retryable());
    assert_eq!(hosts.platform.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn bad_external_event_input_is_refused_without_a_request() {
    let hosts = start_hosts(created).await;
    let client = &hosts.client;
    let base = |account: &str, project: &str| {
        client
            .post_external_event(account, project)
            .event_id(ExternalEventIdLocation::Payload, "cid")
            .body(ExternalEventBody::Text("cid=1".into()))
    };
    let text = || ExternalEventBody::Text("x".into());
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        ("account_id is empty", base("", "p").send().await),
        ("project_id is empty", base("a", " ").send().await),
        ("not a valid id", base("..", "p").send().await),
        (
            "no event id location",
            client
                .post_external_event("a", "p")
                .body(text())
                .send()
                .await,
        ),
        (
            "event_id_path is empty",
            client
                .post_external_event("a", "p")
                .event_id(ExternalEventIdLocation::Payload, "")
                .body(text())
                .send()
                .await,
        ),
        (
            "no event body",
            client
                .post_external_event("a", "p")
                .event_id(ExternalEventIdLocation::Payload, "cid")
                .send()
                .await,
        ),
        (
            "no such header",
            client
                .post_external_event("a", "p")
                .event_id(ExternalEventIdLocation::Headers, "cid")
                .header("other", "1")
                .body(text())
                .send()
                .await,
        ),
        (
            "no such parameter",
            client
                .post_external_event("a", "p")
                .event_id(ExternalEventIdLocation::Querystring, "cid")
                .body(text())
                .send()
                .await,
        ),
        (
            "set by the SDK",
            base("a", "p").header("X-API-KEY", "other-key").send().await,
        ),
        (
            "set by the SDK",
            base("a", "p")
                .header("content-type", "text/html")
                .send()
                .await,
        ),
        (
            "set by the SDK",
            base("a", "p").query("account_id", "other").send().await,
        ),
        (
            "not a valid header name",
            base("a", "p").header("bad name", "1").send().await,
        ),
        (
            "cannot be sent",
            base("a", "p").header("cid", "evt\n1").send().await,
        ),
        (
            "query parameter name is empty",
            base("a", "p").query("", "1").send().await,
        ),
    ];
    for (expect, result) in cases {
        let message = invalid_input(result.expect_err(expect));
        assert!(message.contains(expect), "{expect}: {message}");
        assert!(
            !message.contains("evt\n1"),
            "header values are not echoed: {message}"
        );
    }
    assert!(
        hosts.platform.requests().is_empty(),
        "{:#?}",
        hosts.platform.requests()
    );
    assert!(hosts.agents.requests().is_empty());
}

#[tokio::test]
async fn external_event_debug_shows_names_not_values() {
    let hosts = start_hosts(created).await;
    let event = hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Headers, "x-provider-token")
        .header("x-provider-token", "tok-very-secret")
        .query("sig", "sig-very-secret")
        .body(ExternalEventBody::Json(json!({"card": "4111-very-secret"})));
    let printed = format!("{event:?}");
    assert!(!printed.contains("very-secret"), "{printed}");
    assert!(!printed.contains(KEY), "{printed}");
    assert!(
        printed.contains("x-provider-token") && printed.contains("sig"),
        "{printed}"
    );
    assert!(printed.contains("Json"), "{printed}");
}

// ------------------------------------------------------------------------------------------
// Retries: the same transport loop as generated operations.

/// Answers 503 to the first request, then `then`.
fn unavailable_once(
    then: fn(&RecordedRequest) -> Reply,
) -> impl Fn(&RecordedRequest) -> Reply + Send + Sync + Clone + 'static {
    let count = Arc::new(AtomicUsize::new(0));
    move |request| {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(503, json!({"error_message": "try again"}))
        } else {
            then(request)
        }
    }
}

#[tokio::test]
async fn uploads_are_retried_on_503_with_the_same_bytes() {
    let hosts = start_hosts(unavailable_once(no_content)).await;
    let audio = wav();
    hosts
        .client
        .replace_audio_cache_details("agent-42", "1042")
        .text("hello")
        .file(audio.clone())
        .send()
        .await
        .expect("PUT succeeds on the second attempt");
    let requests = hosts.agents.requests();
    assert_eq!(requests.len(), 2, "one retry after 503");
    assert!(requests.iter().all(|r| r.method == "PUT"));
    assert_eq!(
        requests[0].body, requests[1].body,
        "the retry resends the same body"
    );
    assert_eq!(
        requests[0].header("content-type"),
        requests[1].header("content-type")
    );
    let parts = parse_multipart(
        &requests[1].body,
        requests[1].header("content-type").unwrap(),
    );
    assert_eq!(parts[0].body, audio);

    // PATCH replaces the whole file, so it is retried too.
    let hosts = start_hosts(unavailable_once(no_content)).await;
    hosts
        .client
        .replace_audio_cache_file("agent-42", "1042")
        .body(audio.clone())
        .send()
        .await
        .expect("PATCH succeeds on the second attempt");
    let requests = hosts.agents.requests();
    assert_eq!(requests.len(), 2, "one retry after 503");
    assert!(
        requests
            .iter()
            .all(|r| r.method == "PATCH" && r.body[..] == audio[..])
    );
}

#[tokio::test]
async fn external_event_post_is_not_retried_after_503() {
    let hosts = start_hosts(unavailable_once(created)).await;
    let error = hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Payload, "cid")
        .body(ExternalEventBody::Json(json!({"cid": "evt_1"})))
        .send()
        .await
        .expect_err("the 503 is returned, not retried");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable(), "the caller may decide to retry");
    assert!(error.to_string().contains("try again"), "{error}");
    assert_eq!(
        hosts.platform.requests().len(),
        1,
        "a POST that reached the server is sent once"
    );

    // Opting in to non-idempotent retries applies here as everywhere.
    let hosts = start_hosts(unavailable_once(created)).await;
    let retried = polyai_sdk::retry::with_retry_policy(
        RetryPolicy::standard()
            .initial_backoff(Duration::from_millis(1))
            .retry_non_idempotent(true),
        hosts
            .client
            .post_external_event("acme-uk", "booking-bot")
            .event_id(ExternalEventIdLocation::Payload, "cid")
            .body(ExternalEventBody::Json(json!({"cid": "evt_2"})))
            .send(),
    )
    .await;
    retried.expect("201 after the opt-in retry");
    let requests = hosts.platform.requests();
    assert_eq!(requests.len(), 2, "503, then the retry");
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn disabled_retries_apply_to_hand_written_operations() {
    let hosts = start_hosts(unavailable_once(no_content)).await;
    let error = polyai_sdk::retry::with_retry_policy(
        RetryPolicy::disabled(),
        hosts
            .client
            .replace_audio_cache_file("agent-42", "1042")
            .body(wav())
            .send(),
    )
    .await
    .expect_err("503 without retries");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(hosts.agents.requests().len(), 1);
}

/// A log sink for one test.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Tracing's callsite filters are process-wide, so with other tests of this binary running on
/// other threads a thread-local subscriber can miss events. The test therefore runs itself
/// again in a child process, alone, and the child does the checking.
#[tokio::test]
async fn hand_written_requests_run_in_the_request_span_and_never_log_the_key() {
    if !polyai_tests::capture::run_alone(
        "handwritten::hand_written_requests_run_in_the_request_span_and_never_log_the_key",
    ) {
        return;
    }
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let hosts = start_hosts(unavailable_once(no_content)).await;
    hosts
        .client
        .replace_audio_cache_file("agent-42", "1042")
        .body(wav())
        .send()
        .await
        .expect("sent after one retry");
    hosts
        .client
        .post_external_event("acme-uk", "booking-bot")
        .event_id(ExternalEventIdLocation::Headers, "cid")
        .header("cid", "evt-log-check")
        .body(ExternalEventBody::Text("ok".into()))
        .send()
        .await
        .expect("201");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("polyai.request") && text.contains("operation=\"replace_audio_cache_file\""),
        "{text}"
    );
    assert!(text.contains("method=PATCH"), "{text}");
    assert!(
        text.contains("retrying"),
        "the retry is logged inside the span: {text}"
    );
    assert!(text.contains("operation=\"post_external_event\""), "{text}");
    assert!(
        !text.contains(KEY),
        "the API key must never be logged: {text}"
    );
    assert!(
        !text.contains("evt-log-check"),
        "header values are not logged: {text}"
    );
}
