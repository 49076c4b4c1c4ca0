//! End-to-end tests of the mock over loopback HTTP.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use polyai_mock::{
    ApiKeyCheck, Fault, FaultPlan, FaultRule, MockServer, Route, WebhookEvent, WebhookSender,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support;
use support::{Answer, answer, assert_envelope, client, get, post};

fn list_path(server: &MockServer, query: &str) -> String {
    format!(
        "/v3/{}/{}/conversations?{query}",
        server.account_id(),
        server.project_id()
    )
}

#[tokio::test]
async fn cursor_pagination_yields_every_conversation_once() {
    let server = MockServer::builder()
        .conversations(2_500)
        .seed(7)
        .start()
        .await;
    let mut seen = HashSet::new();
    let mut total = 0;
    for env in ["live", "sandbox", "pre-release"] {
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        let mut last_started = String::from("9999");
        loop {
            let mut q = format!("client_env={env}&limit=1000");
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let a = get(&server, &list_path(&server, &q)).await;
            assert_eq!(a.status, 200, "{}", a.json);
            assert!(a.headers.contains_key("x-polyai-correlation-id"));
            let rows = a.json["conversations"].as_array().unwrap();
            assert!(rows.len() <= 1000);
            for row in rows {
                assert_eq!(row["environment"], env);
                assert_eq!(row["account_id"], server.account_id());
                let started = row["started_at"].as_str().unwrap().to_owned();
                assert!(started <= last_started, "newest first");
                last_started = started;
                assert!(
                    seen.insert(row["id"].as_str().unwrap().to_owned()),
                    "duplicate"
                );
                total += 1;
            }
            pages += 1;
            match &a.json["cursor"] {
                Value::Null => {
                    assert!(a.json.get("next_offset").is_none());
                    break;
                }
                Value::String(c) => {
                    assert!(a.json["next_offset"].is_u64());
                    cursor = Some(c.clone());
                }
                other => panic!("cursor {other}"),
            }
            assert!(pages < 10);
        }
    }
    assert_eq!(total, 2_500);
    assert_eq!(seen.len(), 2_500);

    // The legacy offset scheme walks the same rows.
    let mut offset = 0;
    let mut by_offset = Vec::new();
    loop {
        let a = get(
            &server,
            &list_path(&server, &format!("limit=700&offset={offset}")),
        )
        .await;
        let rows = a.json["conversations"].as_array().unwrap();
        by_offset.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        match a.json.get("next_offset").and_then(Value::as_u64) {
            Some(next) => offset = next,
            None => break,
        }
    }
    let first = get(&server, &list_path(&server, "limit=1000")).await;
    let ids: Vec<&str> = first.json["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(&by_offset[..ids.len()], ids.as_slice());
    assert_eq!(
        by_offset.iter().collect::<HashSet<_>>().len(),
        by_offset.len()
    );

    // A cursor is bound to its filters; garbage is rejected.
    let a = get(&server, &list_path(&server, "limit=10")).await;
    let cursor = a.json["cursor"].as_str().unwrap().to_owned();
    let b = get(
        &server,
        &list_path(&server, &format!("limit=10&channel=CHAT&cursor={cursor}")),
    )
    .await;
    assert_envelope(&b, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let b = get(&server, &list_path(&server, "cursor=not-a-cursor")).await;
    assert_envelope(&b, 400, "CONVERSATIONS_VALIDATION_FAILED");
    // ... and the limit may change between pages.
    let b = get(
        &server,
        &list_path(&server, &format!("limit=5&cursor={cursor}")),
    )
    .await;
    assert_eq!(b.status, 200);
    assert_eq!(b.json["next_offset"], 15);
}

#[tokio::test]
async fn listing_validates_its_parameters() {
    let server = MockServer::start().await;
    for q in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "offset=-1",
        "client_env=prod",
        "in_progress=maybe",
    ] {
        let a = get(&server, &list_path(&server, q)).await;
        assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    }
    let a = get(
        &server,
        &list_path(&server, "variant_id=VARIANT-1&variant_name=Default"),
    )
    .await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = get(
        &server,
        &list_path(
            &server,
            "query_type=transcript&start_time=2026-10-01T00:00:00Z&end_time=2026-11-01T00:00:00Z",
        ),
    )
    .await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = get(&server, &list_path(&server, "query_type=semantic&query=refund&sample=random&start_time=2026-10-01T00:00:00Z&end_time=2026-11-01T00:00:00Z")).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = get(&server, &list_path(&server, "sample=random")).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = get(&server, &list_path(&server, "start_time=last-tuesday")).await;
    assert_envelope(&a, 400, "GET_CONVERSATIONS_FILTER_PARSE_ERROR");
    let a = get(&server, &list_path(&server, "limit=1000")).await;
    assert_eq!(a.status, 200);
    assert!(a.json["conversations"].as_array().unwrap().len() > 100);
}

#[tokio::test]
async fn listing_filters() {
    let server = MockServer::builder().conversations(3_000).start().await;
    let rows = |a: &Answer| a.json["conversations"].as_array().unwrap().clone();

    let a = get(
        &server,
        &list_path(&server, "channel=CHAT&channel=WEBCHAT&client_env=sandbox"),
    )
    .await;
    let r = rows(&a);
    assert!(!r.is_empty());
    assert!(
        r.iter()
            .all(|c| (c["channel"] == "CHAT" || c["channel"] == "WEBCHAT")
                && c["environment"] == "sandbox")
    );

    let a = get(
        &server,
        &list_path(&server, "variant_name=Spring%20Promo&limit=50"),
    )
    .await;
    let r = rows(&a);
    assert!(!r.is_empty());
    assert!(r.iter().all(|c| c["variant_name"] == "Spring Promo"));
    let vid = r[0]["variant_id"].as_str().unwrap().to_owned();
    let a = get(
        &server,
        &list_path(&server, &format!("variant_id={vid}&limit=50")),
    )
    .await;
    assert!(rows(&a).iter().all(|c| c["variant_id"] == vid.as_str()));

    // time window: start inclusive, end exclusive
    let (start, end) = (server.started_at(200), server.started_at(100));
    let a = get(
        &server,
        &list_path(
            &server,
            &format!("start_time={start}&end_time={end}&client_env=live"),
        ),
    )
    .await;
    let r = rows(&a);
    assert!(!r.is_empty());
    for c in &r {
        let t = c["started_at"].as_str().unwrap();
        assert!(
            t >= start.as_str() && t < end.as_str(),
            "{t} not in [{start}, {end})"
        );
    }

    // latency only on request
    let a = get(&server, &list_path(&server, "limit=5")).await;
    assert!(rows(&a)[0]["turns"][0].get("latency").is_none());
    let a = get(&server, &list_path(&server, "limit=5&include_latency=true")).await;
    assert!(rows(&a)[0]["turns"][0]["latency"].is_f64());

    // transcript search (user turns only) and sampling
    let window = format!(
        "start_time={}&end_time=2100-01-01T00:00:00Z",
        server.started_at(2_999)
    );
    let a = get(
        &server,
        &list_path(
            &server,
            &format!("query_type=transcript&query=refund&turn_type=user&{window}"),
        ),
    )
    .await;
    let r = rows(&a);
    assert!(!r.is_empty());
    for c in &r {
        assert!(c["turns"].as_array().unwrap().iter().any(|t| {
            t["user_input"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("refund")
        }));
    }
    let a = get(
        &server,
        &list_path(&server, &format!("sample=random&{window}")),
    )
    .await;
    let n = rows(&a).len();
    assert!(n > 50 && n < 600, "sample of {n}");

    let a = get(&server, &list_path(&server, "in_progress=false&limit=20")).await;
    assert!(rows(&a).iter().all(|c| c["in_progress"] == false));
}

#[tokio::test]
async fn auth_is_required_everywhere() {
    let server = MockServer::builder().api_key("s3cret").start().await;
    let url = format!("{}{}", server.base_url(), list_path(&server, "limit=1"));
    for key in [None, Some("wrong")] {
        let mut request = client().get(&url);
        if let Some(k) = key {
            request = request.header("x-api-key", k);
        }
        let a = answer(request.send().await.unwrap()).await;
        assert_envelope(
            &a,
            401,
            if key.is_none() {
                "AUTH_USER_UNAUTHORISED"
            } else {
                "AUTH_USER_INVALID_TOKEN"
            },
        );
    }
    let a = answer(
        client()
            .get(&url)
            .header("X-API-KEY", "s3cret")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200);
    let a = answer(
        client()
            .post(format!("{}/v1/agents/x/debug-chat", server.base_url()))
            .json(&json!({"clientEnv": "live"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_envelope(&a, 401, "AUTH_USER_UNAUTHORISED");

    let log = server.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].api_key, ApiKeyCheck::Missing);
    assert_eq!(log[1].api_key, ApiKeyCheck::Mismatched);
    assert_eq!(log[1].header("x-api-key"), Some("<redacted>"));
    assert_eq!(log[2].api_key, ApiKeyCheck::Matched);
    assert_eq!(log[2].route, Some(Route::ListConversations));
    assert_eq!(log[2].status, 200);
    assert_eq!(log[3].json().unwrap()["clientEnv"], "live");
    assert!(log.iter().all(|r| !format!("{r:?}").contains("s3cret")));
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn unknown_routes_and_conversations() {
    let server = MockServer::start().await;
    let a = get(&server, "/v2/nothing").await;
    assert_envelope(&a, 404, "NOT_FOUND");
    let a = get(
        &server,
        "/v1/agents/a/conversations/CA00000000000000000000000000000000",
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");
    let a = get(
        &server,
        "/v1/agents/a/conversations/CA00000000000000000000000000000000/audio",
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");
    let a = answer(
        client()
            .delete(format!(
                "{}/v1/agents/a/conversations/x/note",
                server.base_url()
            ))
            .header("x-api-key", server.api_key())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_envelope(&a, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn agent_list_and_detail() {
    let server = MockServer::builder().conversations(120).start().await;
    let a = get(&server, "/v1/agents/my-agent/conversations").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["count"], 120);
    assert_eq!(a.json["limit"], 50);
    assert_eq!(a.json["offset"], 0);
    let rows = a.json["conversations"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0]["projectId"], "my-agent");
    assert!(rows[0].get("turns").is_none());
    let a = get(
        &server,
        "/v1/agents/my-agent/conversations?limit=50&offset=100",
    )
    .await;
    assert_eq!(a.json["conversations"].as_array().unwrap().len(), 20);
    let a = get(&server, "/v1/agents/my-agent/conversations?limit=0").await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");

    let id = server.conversation_id();
    let d = get(&server, &format!("/v1/agents/my-agent/conversations/{id}")).await;
    assert_eq!(d.status, 200);
    let j = &d.json;
    assert_eq!(j["conversationId"], id.as_str());
    assert_eq!(j["channel"], "VOICE-SIP");
    assert_eq!(j["clientEnv"], "live");
    assert!(j["note"].is_null());
    let turns = j["turns"].as_array().unwrap();
    assert!((2..=8).contains(&turns.len()));
    assert!(turns[0]["agent_response"].is_string() && turns[0].get("agentResponse").is_none());
    assert!(j["metrics"]["TOPIC"][0]["value"].is_string());
    assert!(j["functionEvents"].is_object());
    assert!(j["audioUrl"].as_str().unwrap().ends_with("/audio"));
}

#[tokio::test]
async fn annotations_and_notes_are_stored() {
    let server = MockServer::start().await;
    let id = server.conversation_id();
    let base = format!("/v1/agents/{}/conversations/{id}", server.agent_id());

    let a = post(
        &server,
        &format!("{base}/annotation"),
        json!({"annotations": [
            {"turnId": 1, "role": "user", "annotationType": "wrong_transcript"},
            {"turnId": 0, "role": "agent", "annotationType": "wrong_info"}
        ]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.json, json!({"success": true}));
    for bad in [
        json!({"annotations": []}),
        json!({}),
        json!({"annotations": [{"turnId": 0, "role": "bot", "annotationType": "wrong_info"}]}),
        json!({"annotations": [{"turnId": 0, "role": "user", "annotationType": "rude"}]}),
        json!({"annotations": [{"turnId": 99, "role": "user", "annotationType": "wrong_info"}]}),
        json!({"annotations": [{"role": "user", "annotationType": "wrong_info"}]}),
    ] {
        let a = post(&server, &format!("{base}/annotation"), bad).await;
        assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    }
    let a = post(
        &server,
        "/v1/agents/x/conversations/CAnothing/annotation",
        json!({"annotations": [{"turnId": 0, "role": "user", "annotationType": "wrong_info"}]}),
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");

    for note in ["first", "second"] {
        let a = post(&server, &format!("{base}/note"), json!({ "note": note })).await;
        assert_eq!(a.status, 201);
    }
    let a = post(&server, &format!("{base}/note"), json!({"text": "x"})).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let raw = client()
        .post(format!("{}{base}/note", server.base_url()))
        .header("x-api-key", server.api_key())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_envelope(&answer(raw).await, 400, "CONVERSATIONS_VALIDATION_FAILED");

    let d = get(&server, &base).await;
    assert_eq!(d.json["note"], "second");
    let annotations = d.json["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 2);
    assert_eq!(annotations[0]["turnId"], 1);
    assert_eq!(annotations[0]["annotationType"], "wrong_transcript");
    assert_eq!(d.json["turns"][1]["reviews"][0]["role"], "user");
    assert_eq!(server.note(&id).as_deref(), Some("second"));
    assert_eq!(server.annotations(&id).len(), 2);

    let list = get(&server, "/v1/agents/a/conversations?limit=250").await;
    let row = list.json["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["conversationId"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["note"], "second");
}

async fn download(
    server: &MockServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = client()
        .get(format!("{}{path}", server.base_url()))
        .header("x-api-key", server.api_key())
        .header("accept", "audio/wav");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn audio_is_a_valid_wav_with_ranges() {
    let server = MockServer::builder().audio_seconds(2.0).start().await;
    let path = format!(
        "/v1/agents/a/conversations/{}/audio",
        server.conversation_id()
    );
    let (status, h, full) = download(&server, &path, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "audio/wav");
    assert_eq!(h["accept-ranges"], "bytes");
    let len: usize = h["content-length"].to_str().unwrap().parse().unwrap();
    assert_eq!(len, full.len());
    assert_eq!(len, 44 + 2 * 8000 * 2);
    assert_eq!(server.audio_len(), len as u64);
    assert_eq!(&full[0..4], b"RIFF");
    assert_eq!(
        u32::from_le_bytes(full[4..8].try_into().unwrap()) as usize,
        len - 8
    );
    assert_eq!(&full[8..12], b"WAVE");
    assert_eq!(&full[12..16], b"fmt ");
    assert_eq!(u32::from_le_bytes(full[16..20].try_into().unwrap()), 16);
    assert_eq!(
        u16::from_le_bytes(full[20..22].try_into().unwrap()),
        1,
        "PCM"
    );
    assert_eq!(
        u16::from_le_bytes(full[22..24].try_into().unwrap()),
        1,
        "mono"
    );
    let rate = u32::from_le_bytes(full[24..28].try_into().unwrap());
    assert_eq!(rate, 8000);
    assert_eq!(
        u32::from_le_bytes(full[28..32].try_into().unwrap()),
        rate * 2
    );
    assert_eq!(u16::from_le_bytes(full[32..34].try_into().unwrap()), 2);
    assert_eq!(u16::from_le_bytes(full[34..36].try_into().unwrap()), 16);
    assert_eq!(&full[36..40], b"data");
    assert_eq!(
        u32::from_le_bytes(full[40..44].try_into().unwrap()) as usize,
        len - 44
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"));

    // the same bytes again (deterministic), different per direction
    let (_, h2, again) = download(&server, &path, &[]).await;
    assert_eq!(again, full);
    assert_eq!(h2["etag"].to_str().unwrap(), etag);
    let (_, h3, user) = download(&server, &format!("{path}?direction=user"), &[]).await;
    assert_ne!(user[44..], full[44..]);
    assert_ne!(h3["etag"].to_str().unwrap(), etag);

    // ranges
    let (status, h, part) = download(&server, &path, &[("range", "bytes=1000-")]).await;
    assert_eq!(status, 206);
    assert_eq!(
        h["content-range"].to_str().unwrap(),
        format!("bytes 1000-{}/{len}", len - 1)
    );
    assert_eq!(part, &full[1000..]);
    let (status, h, part) = download(&server, &path, &[("range", "bytes=10-99")]).await;
    assert_eq!(status, 206);
    assert_eq!(
        h["content-range"].to_str().unwrap(),
        format!("bytes 10-99/{len}")
    );
    assert_eq!(h["content-length"].to_str().unwrap(), "90");
    assert_eq!(part, &full[10..100]);
    let (status, _, part) = download(
        &server,
        &path,
        &[("range", "bytes=500-"), ("if-range", &etag)],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(part, &full[500..]);
    let (status, _, part) = download(
        &server,
        &path,
        &[("range", "bytes=500-"), ("if-range", "\"stale\"")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(part, full);
    // Last-Modified is a strong validator (Date is at least a second later), so If-Range may
    // carry it; a 206 repeats both validators, as a client resuming checks them.
    let modified = h["last-modified"].to_str().unwrap().to_owned();
    let date = httpdate::parse_http_date(h["date"].to_str().unwrap()).unwrap();
    let at = httpdate::parse_http_date(&modified).unwrap();
    assert!(date.duration_since(at).unwrap() >= std::time::Duration::from_secs(1));
    let (status, h206, part) = download(
        &server,
        &path,
        &[("range", "bytes=500-"), ("if-range", &modified)],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(part, &full[500..]);
    assert_eq!(h206["etag"].to_str().unwrap(), etag);
    assert_eq!(h206["last-modified"].to_str().unwrap(), modified);
    assert!(h206.get("content-encoding").is_none());
    let (status, _, part) = download(
        &server,
        &path,
        &[
            ("range", "bytes=500-"),
            ("if-range", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(part, full);
    let (status, h, body) = download(&server, &path, &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!(status, 416);
    assert_eq!(
        h["content-range"].to_str().unwrap(),
        format!("bytes */{len}")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error_code"],
        "RANGE_NOT_SATISFIABLE"
    );

    // size per request, redaction, bad parameters
    let (_, h, small) = download(&server, &path, &[("x-mock-audio-bytes", "1000")]).await;
    assert_eq!(small.len(), 1000);
    assert_eq!(h["content-length"], "1000");
    assert_eq!(u32::from_le_bytes(small[40..44].try_into().unwrap()), 956);
    let (_, _, redacted) = download(&server, &format!("{path}?redacted=true"), &[]).await;
    assert_eq!(redacted.len(), len);
    assert_ne!(redacted, full);
    let a = get(&server, &format!("{path}?direction=sideways")).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
}

#[tokio::test]
async fn chat_conversations_have_no_recording() {
    let server = MockServer::builder().conversations(200).start().await;
    let a = get(&server, &list_path(&server, "channel=WEBCHAT&limit=1")).await;
    let id = a.json["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = get(&server, &format!("/v1/agents/a/conversations/{id}/audio")).await;
    assert_envelope(&a, 404, "CONVERSATIONS_RECORDING_NOT_FOUND");
}

#[tokio::test]
async fn debug_chat_greets_answers_and_ends() {
    let server = MockServer::start().await;
    let start = "/v1/agents/PROJECT-abc/debug-chat";
    let a = post(
        &server,
        start,
        json!({"clientEnv": "sandbox", "asrLangCode": "en-US"}),
    )
    .await;
    assert_eq!(a.status, 201);
    let id = a.json["conversationId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AS_CHAT_"));
    assert_eq!(a.json["userInput"], "");
    assert!(a.json["response"].as_str().unwrap().starts_with("Hello"));
    assert_eq!(a.json["conversationEnded"], false);
    assert_eq!(a.json["delayedResponse"], false);
    for key in [
        "state",
        "currentNode",
        "nodeTrace",
        "metrics",
        "functionEvents",
    ] {
        assert!(a.json["metadata"].get(key).is_some(), "metadata.{key}");
    }
    assert_eq!(a.json["metadata"]["asrLangCode"], "en-US");

    let send = format!("{start}/{id}");
    let a = post(
        &server,
        &send,
        json!({"clientEnv": "sandbox", "message": "pineapple"}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["userInput"], "pineapple");
    assert!(a.json["response"].as_str().unwrap().contains("pineapple"));
    assert_eq!(a.json["conversationEnded"], false);
    let a = post(
        &server,
        &send,
        json!({"clientEnv": "sandbox", "message": "book a table"}),
    )
    .await;
    assert_eq!(a.json["metadata"]["currentNode"], "booking");
    assert_eq!(
        a.json["metadata"]["functionEvents"][0]["name"],
        "check_availability"
    );

    // validation and lookup errors
    let a = post(&server, &send, json!({"message": "hi"})).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = post(
        &server,
        &send,
        json!({"clientEnv": "staging", "message": "hi"}),
    )
    .await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");
    let a = post(
        &server,
        &send,
        json!({"clientEnv": "live", "message": "hi"}),
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");
    let a = post(
        &server,
        &format!("{start}/AS_CHAT_unknown"),
        json!({"clientEnv": "sandbox"}),
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");
    let a = post(&server, start, json!({"asrLangCode": "en-US"})).await;
    assert_envelope(&a, 400, "CONVERSATIONS_VALIDATION_FAILED");

    let a = post(
        &server,
        &send,
        json!({"clientEnv": "sandbox", "message": "OK, bye!"}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["conversationEnded"], true);
    let a = post(
        &server,
        &send,
        json!({"clientEnv": "sandbox", "message": "hello?"}),
    )
    .await;
    assert_envelope(&a, 404, "CONVERSATIONS_NOT_FOUND");

    // the session is a conversation too
    let d = get(
        &server,
        &format!("/v1/agents/PROJECT-abc/conversations/{id}"),
    )
    .await;
    assert_eq!(d.status, 200);
    assert_eq!(d.json["turns"].as_array().unwrap().len(), 4);
    assert_eq!(d.json["clientEnv"], "sandbox");
    assert_eq!(server.debug_chat_sessions(), 1);

    // a custom id
    let a = post(
        &server,
        start,
        json!({"clientEnv": "live", "conversationId": "my-test-1"}),
    )
    .await;
    assert_eq!(a.json["conversationId"], "my-test-1");
}

#[tokio::test]
async fn debug_chat_sessions_time_out() {
    let server = MockServer::builder()
        .debug_chat_idle_timeout(Duration::from_millis(50))
        .start()
        .await;
    let a = post(
        &server,
        "/v1/agents/a/debug-chat",
        json!({"clientEnv": "live"}),
    )
    .await;
    let id = a.json["conversationId"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let a = post(
        &server,
        &format!("/v1/agents/a/debug-chat/{id}"),
        json!({"clientEnv": "live", "message": "hi"}),
    )
    .await;
    assert_envelope(&a, 400, "CHAT_TIMEOUT");
}

#[tokio::test]
async fn webhook_deliveries_are_signed() {
    use axum::extract::State;
    use axum::http::HeaderMap;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(HeaderMap, axum::body::Bytes)>>>;
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State(seen): State<Seen>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    seen.lock().unwrap().push((headers, body));
                    axum::http::StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let server = MockServer::start().await;
    let secret = "whsec_test_secret";
    let event = WebhookEvent::alert_triggered(server.project_id());
    let delivery = server.send_webhook(&url, secret, &event).await.unwrap();
    assert_eq!(delivery.status, 204);
    let resolved = WebhookSender::new()
        .send(&url, secret, &WebhookEvent::alert_resolved("p"))
        .await
        .unwrap();
    assert_eq!(resolved.status, 204);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (headers, body) in seen.iter() {
        let ts = headers["x-polyai-timestamp"].to_str().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(ts.parse::<u64>().unwrap()) < 60);
        assert!(support::signature_ok(secret, headers, body));
        assert!(
            headers["x-polyai-event-id"]
                .to_str()
                .unwrap()
                .starts_with("evt_")
        );
    }
    let first: Value = serde_json::from_slice(&seen[0].1).unwrap();
    assert_eq!(first["event_type"], "alerts.triggered");
    assert_eq!(first["alert"]["project_id"], server.project_id());
    assert_eq!(first["alert"]["previous_state"], "ok");
    assert!(first["alert"]["triggered_at"].is_string());
    let second: Value = serde_json::from_slice(&seen[1].1).unwrap();
    assert_eq!(second["event_type"], "alerts.resolved");
    assert!(second["alert"]["resolved_at"].is_string());
    assert_ne!(
        seen[0].0["x-polyai-event-id"],
        seen[1].0["x-polyai-event-id"]
    );
}

#[tokio::test]
async fn fault_plan_injects_503_and_resets() {
    let plan = FaultPlan::new()
        .rule(
            FaultRule::new(Fault::ServiceUnavailable)
                .on(Route::ListConversations)
                .nth(1),
        )
        .rule(
            FaultRule::new(Fault::Reset {
                after_bytes: 10_000,
            })
            .on(Route::GetAudio)
            .nth(1),
        )
        .rule(
            FaultRule::new(Fault::RateLimited {
                retry_after_secs: 3,
            })
            .on(Route::GetConversation)
            .first(1),
        );
    let server = MockServer::builder().faults(plan).start().await;

    let a = get(&server, &list_path(&server, "limit=1")).await;
    assert_envelope(&a, 503, "SERVICE_UNAVAILABLE");
    let a = get(&server, &list_path(&server, "limit=1")).await;
    assert_eq!(a.status, 200);

    let path = format!(
        "/v1/agents/a/conversations/{}/audio",
        server.conversation_id()
    );
    let response = client()
        .get(format!("{}{path}", server.base_url()))
        .header("x-api-key", server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(server.audio_len()));
    let mut stream = response.bytes_stream();
    let mut got = 0;
    let mut failed = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => got += c.len(),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body should have been cut");
    assert_eq!(got, 10_000);
    let (status, _, full) = download(&server, &path, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(full.len() as u64, server.audio_len());

    let a = get(
        &server,
        &format!("/v1/agents/a/conversations/{}", server.conversation_id()),
    )
    .await;
    assert_envelope(&a, 429, "RATE_LIMITED");
    assert_eq!(a.headers["retry-after"], "3");

    let stats = server.faults_injected();
    assert_eq!(stats.total, 3);
    assert_eq!(stats.count("service_unavailable"), 1);
    assert_eq!(stats.count("reset"), 1);
    assert_eq!(stats.count("rate_limited"), 1);
    assert_eq!(server.fault_log()[1].route, Some(Route::GetAudio));
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.fault.is_some())
            .count()
            == 3
    );
}

#[tokio::test]
async fn truncation_and_stalls() {
    let server = MockServer::start().await;
    server.set_faults(
        FaultPlan::new().rule(
            FaultRule::new(Fault::Truncate { after_bytes: 20 })
                .on(Route::ListAgentConversations)
                .nth(1),
        ),
    );
    let response = client()
        .get(format!("{}/v1/agents/a/conversations", server.base_url()))
        .header("x-api-key", server.api_key())
        .send()
        .await
        .unwrap();
    let declared = response.content_length().unwrap();
    assert!(declared > 20);
    assert!(response.bytes().await.is_err());

    server.set_faults(
        FaultPlan::new().rule(
            FaultRule::new(Fault::StallBody {
                after_bytes: 5,
                pause: Duration::from_millis(100),
            })
            .times(1),
        ),
    );
    let started = std::time::Instant::now();
    let a = get(&server, "/v1/agents/a/conversations?limit=2").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["conversations"].as_array().unwrap().len(), 2);
    assert!(started.elapsed() >= Duration::from_millis(100));

    server.set_faults(FaultPlan::new().rule(FaultRule::new(Fault::Status(502)).every(2)));
    let statuses = [
        get(&server, "/v1/agents/a/conversations?limit=1")
            .await
            .status
            .as_u16(),
        get(&server, "/v1/agents/a/conversations?limit=1")
            .await
            .status
            .as_u16(),
        get(&server, "/v1/agents/a/conversations?limit=1")
            .await
            .status
            .as_u16(),
        get(&server, "/v1/agents/a/conversations?limit=1")
            .await
            .status
            .as_u16(),
    ];
    assert_eq!(statuses, [200, 502, 200, 502]);
    server.clear_faults();
    assert_eq!(
        get(&server, "/v1/agents/a/conversations?limit=1")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_million_conversations_start_fast() {
    let server = MockServer::builder()
        .conversations(1_000_000)
        .record_requests(false)
        .start()
        .await;
    assert_eq!(server.conversation_count(), 1_000_000);
    let a = get(&server, &list_path(&server, "limit=1000")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["conversations"].as_array().unwrap().len(), 1000);
    assert!(a.json["cursor"].is_string());
    // a selective filter deep in the data still answers
    let a = get(
        &server,
        &list_path(
            &server,
            "client_env=pre-release&channel=CHAT&variant_name=Night%20Shift&limit=10&offset=1000",
        ),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["conversations"].as_array().unwrap().len(), 10);
    let last = server.conversation_id_at(999_999);
    let d = get(&server, &format!("/v1/agents/a/conversations/{last}")).await;
    assert_eq!(d.status, 200);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn shutdown_stops_the_listener() {
    let server = MockServer::start().await;
    let url = server.base_url();
    assert_eq!(
        get(&server, &list_path(&server, "limit=1")).await.status,
        200
    );
    server.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(format!("{url}/v3/a/b/conversations"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_clients() {
    let server = std::sync::Arc::new(MockServer::builder().conversations(5_000).start().await);
    let http = client();
    let mut tasks = Vec::new();
    for t in 0..64u64 {
        let (server, http) = (server.clone(), http.clone());
        tasks.push(tokio::spawn(async move {
            for k in 0..20u64 {
                let id = server.conversation_id_at(t * 20 + k);
                let url = format!("{}/v1/agents/a/conversations/{id}", server.base_url());
                let r = http
                    .get(url)
                    .header("x-api-key", server.api_key())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let v: Value = r.json().await.unwrap();
                assert_eq!(v["conversationId"], id.as_str());
            }
            // and one debug-chat session each
            let start = format!("{}/v1/agents/a/debug-chat", server.base_url());
            let r = http
                .post(&start)
                .header("x-api-key", server.api_key())
                .json(&json!({"clientEnv": "live"}))
                .send()
                .await
                .unwrap();
            let id = r.json::<Value>().await.unwrap()["conversationId"]
                .as_str()
                .unwrap()
                .to_owned();
            let r = http
                .post(format!("{start}/{id}"))
                .header("x-api-key", server.api_key())
                .json(&json!({"clientEnv": "live", "message": format!("task {t}")}))
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            assert!(
                v["response"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("task {t}"))
            );
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.requests().len(), 64 * 22);
    assert_eq!(server.debug_chat_sessions(), 64);
    let seqs: HashSet<u64> = server.requests().iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len(), 64 * 22);
}

#[tokio::test]
async fn head_requests_and_pii() {
    let server = MockServer::builder()
        .pii_access(false)
        .audio_bytes(5_000)
        .start()
        .await;
    let path = format!(
        "{}/v1/agents/a/conversations/{}/audio",
        server.base_url(),
        server.conversation_id()
    );
    let r = client()
        .head(&path)
        .header("x-api-key", server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "5000");
    // without PII access every file is the redacted one
    let (_, _, plain) = download(&server, &path[server.base_url().len()..], &[]).await;
    let (_, _, redacted) = download(
        &server,
        &format!("{}?redacted=true", &path[server.base_url().len()..]),
        &[],
    )
    .await;
    assert_eq!(plain, redacted);
    assert!(plain[44 + 1240..44 + 2470].iter().all(|b| *b == 0));
}

#[tokio::test]
async fn hidden_transcripts_keep_turn_counts() {
    let server = MockServer::builder().transcripts(false).start().await;
    let a = get(&server, &list_path(&server, "limit=3")).await;
    for c in a.json["conversations"].as_array().unwrap() {
        assert_eq!(c["turns"], json!([]));
        assert!(c["num_turns"].as_u64().unwrap() >= 2);
    }
    let d = get(
        &server,
        &format!("/v1/agents/a/conversations/{}", server.conversation_id()),
    )
    .await;
    assert_eq!(d.json["turns"], json!([]));
}

#[tokio::test]
async fn a_reset_deep_into_a_large_file_delivers_the_prefix() {
    let plan = FaultPlan::new().rule(
        FaultRule::new(Fault::Reset {
            after_bytes: 3_000_001,
        })
        .on(Route::GetAudio)
        .nth(1),
    );
    let server = MockServer::builder()
        .audio_bytes(10_000_044)
        .faults(plan)
        .start()
        .await;
    let path = format!(
        "/v1/agents/a/conversations/{}/audio",
        server.conversation_id()
    );
    let response = client()
        .get(format!("{}{path}", server.base_url()))
        .header("x-api-key", server.api_key())
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let mut prefix = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        prefix.extend_from_slice(&chunk);
    }
    assert_eq!(prefix.len(), 3_000_001);
    // resume where it stopped
    let (status, h, rest) = download(
        &server,
        &path,
        &[
            ("range", &format!("bytes={}-", prefix.len())),
            ("if-range", &etag),
        ],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(
        h["content-range"].to_str().unwrap(),
        format!("bytes 3000001-10000043/10000044")
    );
    prefix.extend_from_slice(&rest);
    let (_, _, full) = download(&server, &path, &[]).await;
    assert_eq!(prefix, full);
}
