//! Issue 3: webhook verification against known-answer vectors computed outside Rust
//! (tests/data/webhooks/make_vectors.py, Python's hmac; one cross-checked with openssl), every
//! error case, rotation, tolerance edges, replay protection and the axum extractor.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use polyai_sdk::webhooks::{
    self, EVENT_ID_HEADER, InMemoryReplayGuard, ReplayGuard, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    Verifier, WebhookError, WebhookEvent,
};

const VECTORS: &str = include_str!("../data/webhooks/vectors.json");
const SECRET: &str = "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const NOW: u64 = 1_763_884_805;

fn at(seconds: u64) -> impl Fn() -> SystemTime + Send + Sync + 'static {
    move || UNIX_EPOCH + Duration::from_secs(seconds)
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

struct Vector {
    name: String,
    secret: String,
    timestamp: i64,
    body: Vec<u8>,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    let list: Vec<serde_json::Value> = serde_json::from_str(VECTORS).unwrap();
    list.iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().into(),
            secret: v["secret"].as_str().unwrap().into(),
            timestamp: v["timestamp"].as_i64().unwrap(),
            body: unhex(v["body_hex"].as_str().unwrap()),
            signature: v["signature"].as_str().unwrap().into(),
        })
        .collect()
}

fn alert_body() -> Vec<u8> {
    vectors()
        .into_iter()
        .find(|v| v.name == "alert")
        .unwrap()
        .body
}

#[test]
fn known_answer_vectors_sign_and_verify() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 6);
    for v in vectors {
        assert_eq!(
            webhooks::sign(&v.secret, v.timestamp, &v.body),
            v.signature,
            "{}",
            v.name
        );
        let headers = [
            (TIMESTAMP_HEADER, v.timestamp.to_string()),
            (SIGNATURE_HEADER, v.signature.clone()),
        ];
        let verifier = Verifier::new(&v.secret).clock(at(v.timestamp as u64));
        let delivery = verifier
            .verify(&headers, &v.body)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(delivery.timestamp, v.timestamp);
        // Uppercase hex is the same signature.
        let upper = [
            (TIMESTAMP_HEADER, v.timestamp.to_string()),
            (SIGNATURE_HEADER, v.signature.to_uppercase()),
        ];
        assert!(verifier.verify(&upper, &v.body).is_ok(), "{}", v.name);
        // One flipped body byte fails.
        let mut tampered = v.body.clone();
        tampered.push(b' ');
        assert_eq!(
            verifier.verify(&headers, &tampered),
            Err(WebhookError::SignatureMismatch),
            "{}",
            v.name
        );
    }
}

#[test]
fn typed_events_and_unknown_fallback() {
    let body = alert_body();
    let headers = webhooks::signed_headers(SECRET, NOW as i64, "evt_1", &body);
    let verifier = Verifier::new(SECRET).clock(at(NOW));
    let WebhookEvent::AlertTriggered(event) = verifier.verify_event(&headers, &body).unwrap()
    else {
        panic!("triggered")
    };
    assert_eq!(event.event_id.as_deref(), Some("evt_1"));
    assert_eq!(event.alert.id.as_deref(), Some("ar_7f3a"));
    assert_eq!(event.alert.operator.as_deref(), Some("<"));
    assert_eq!(event.alert.threshold_value, Some(0.6));
    assert_eq!(event.alert.current_value, Some(0.52));

    let resolved = br#"{"event_type":"alerts.resolved","alert":{"id":"ar_1","threshold_value":"0.5","resolved_at":"2026-11-23T09:00:00Z","extra":true}}"#;
    let headers = webhooks::signed_headers(SECRET, NOW as i64, "evt_2", resolved);
    let WebhookEvent::AlertResolved(event) = verifier.verify_event(&headers, resolved).unwrap()
    else {
        panic!("resolved")
    };
    assert_eq!(event.alert.threshold_value, Some(0.5));
    assert_eq!(event.raw["alert"]["extra"], true);

    let future = br#"{"event_type":"calls.summarised","call":{"id":"CA1"}}"#;
    let headers = webhooks::signed_headers(SECRET, NOW as i64, "evt_3", future);
    let event = verifier.verify_event(&headers, future).unwrap();
    assert_eq!(event.event_type(), "calls.summarised");
    assert!(
        matches!(event, WebhookEvent::Unknown { payload, .. } if payload["call"]["id"] == "CA1")
    );

    for bad in [
        &b"not json"[..],
        b"[1,2]",
        br#"{"alert":{}}"#,
        br#"{"event_type":"alerts.triggered","alert":"x"}"#,
    ] {
        let headers = webhooks::signed_headers(SECRET, NOW as i64, "evt_4", bad);
        assert!(
            matches!(
                verifier.verify_event(&headers, bad),
                Err(WebhookError::InvalidPayload(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn every_error_case_is_distinct() {
    let body = alert_body();
    let verifier = Verifier::new(SECRET).clock(at(NOW));
    let signature = webhooks::sign(SECRET, NOW as i64, &body);
    let ts = NOW.to_string();
    let check = |headers: &[(&str, &str)]| verifier.verify(headers, &body);

    assert_eq!(
        check(&[(SIGNATURE_HEADER, &signature)]),
        Err(WebhookError::MissingHeader(TIMESTAMP_HEADER))
    );
    assert_eq!(
        check(&[(TIMESTAMP_HEADER, &ts)]),
        Err(WebhookError::MissingHeader(SIGNATURE_HEADER))
    );
    for bad in ["", "abc", "1.5", "1e9", "+12", "99999999999999999999999"] {
        assert!(
            matches!(
                check(&[(TIMESTAMP_HEADER, bad), (SIGNATURE_HEADER, &signature)]),
                Err(WebhookError::MalformedTimestamp(_))
            ),
            "{bad}"
        );
    }
    for bad in [
        "",
        "abc",
        &signature[..63],
        &format!("{signature}0"),
        &format!("sha256={}", &signature[7..]),
        &"g".repeat(64),
    ] {
        assert!(
            matches!(
                check(&[(TIMESTAMP_HEADER, &ts), (SIGNATURE_HEADER, bad)]),
                Err(WebhookError::MalformedSignature(_))
            ),
            "{bad}"
        );
    }
    let wrong = webhooks::sign("another-secret", NOW as i64, &body);
    assert_eq!(
        check(&[(TIMESTAMP_HEADER, &ts), (SIGNATURE_HEADER, &wrong)]),
        Err(WebhookError::SignatureMismatch)
    );
    // A signature for another timestamp does not carry over.
    let earlier = (NOW - 1).to_string();
    assert_eq!(
        check(&[(TIMESTAMP_HEADER, &earlier), (SIGNATURE_HEADER, &signature)]),
        Err(WebhookError::SignatureMismatch)
    );
    assert!(matches!(
        Verifier::with_secrets(Vec::<String>::new()),
        Err(WebhookError::NoSecrets)
    ));
    // Every message is distinct and helpful.
    let messages: std::collections::HashSet<String> = [
        WebhookError::MissingHeader(TIMESTAMP_HEADER),
        WebhookError::MalformedTimestamp("x".into()),
        WebhookError::TimestampTooOld {
            age_secs: 301,
            tolerance_secs: 300,
        },
        WebhookError::TimestampInFuture {
            ahead_secs: 301,
            tolerance_secs: 300,
        },
        WebhookError::MalformedSignature("x"),
        WebhookError::SignatureMismatch,
        WebhookError::Replayed {
            event_id: "e".into(),
        },
        WebhookError::InvalidPayload("x".into()),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(messages.len(), 8);
}

#[test]
fn tolerance_edges_in_both_directions() {
    let body = alert_body();
    let verifier = Verifier::new(SECRET).clock(at(NOW));
    let at_offset = |offset: i64| {
        let ts = NOW as i64 + offset;
        let headers = [
            (TIMESTAMP_HEADER, ts.to_string()),
            (SIGNATURE_HEADER, webhooks::sign(SECRET, ts, &body)),
        ];
        verifier.verify(&headers, &body)
    };
    assert!(at_offset(-300).is_ok());
    assert!(at_offset(300).is_ok());
    assert_eq!(
        at_offset(-301),
        Err(WebhookError::TimestampTooOld {
            age_secs: 301,
            tolerance_secs: 300
        })
    );
    assert_eq!(
        at_offset(301),
        Err(WebhookError::TimestampInFuture {
            ahead_secs: 301,
            tolerance_secs: 300
        })
    );
    let strict = Verifier::new(SECRET)
        .clock(at(NOW))
        .tolerance(Duration::from_secs(10));
    let ts = NOW as i64 - 11;
    let headers = [
        (TIMESTAMP_HEADER, ts.to_string()),
        (SIGNATURE_HEADER, webhooks::sign(SECRET, ts, &body)),
    ];
    assert!(matches!(
        strict.verify(&headers, &body),
        Err(WebhookError::TimestampTooOld { .. })
    ));
}

#[test]
fn rotation_accepts_either_secret() {
    let body = alert_body();
    let verifier = Verifier::with_secrets(["old-secret", "new-secret"])
        .unwrap()
        .clock(at(NOW));
    for secret in ["old-secret", "new-secret"] {
        let headers = webhooks::signed_headers(secret, NOW as i64, "e", &body);
        assert!(verifier.verify(&headers, &body).is_ok(), "{secret}");
    }
    let headers = webhooks::signed_headers("retired-secret", NOW as i64, "e", &body);
    assert_eq!(
        verifier.verify(&headers, &body),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn header_names_are_case_insensitive_in_every_container() {
    let body = alert_body();
    let signature = webhooks::sign(SECRET, NOW as i64, &body);
    let verifier = Verifier::new(SECRET).clock(at(NOW));
    let pairs = vec![
        ("X-PolyAI-Timestamp".to_string(), NOW.to_string()),
        ("X-POLYAI-SIGNATURE".to_string(), signature.clone()),
    ];
    assert!(verifier.verify(&pairs, &body).is_ok());
    let map: HashMap<String, String> = pairs.iter().cloned().collect();
    assert!(verifier.verify(&map, &body).is_ok());
    let mut header_map = http::HeaderMap::new();
    header_map.insert("X-PolyAI-Timestamp", NOW.to_string().parse().unwrap());
    header_map.insert("x-polyai-signature", signature.parse().unwrap());
    assert!(verifier.verify(&header_map, &body).is_ok());
}

#[test]
fn replay_guard_rejects_a_second_delivery_and_expires() {
    let body = alert_body();
    let guard = std::sync::Arc::new(InMemoryReplayGuard::with_ttl(Duration::from_secs(600)));
    let verifier = Verifier::new(SECRET)
        .clock(at(NOW))
        .replay_guard(guard.clone());
    let headers = webhooks::signed_headers(SECRET, NOW as i64, "evt_once", &body);
    assert!(verifier.verify(&headers, &body).is_ok());
    assert_eq!(
        verifier.verify(&headers, &body),
        Err(WebhookError::Replayed {
            event_id: "evt_once".into()
        })
    );
    // Without an event id, a guarded verifier cannot protect: it refuses.
    let no_id = [
        (TIMESTAMP_HEADER, NOW.to_string()),
        (SIGNATURE_HEADER, webhooks::sign(SECRET, NOW as i64, &body)),
    ];
    assert_eq!(
        verifier.verify(&no_id, &body),
        Err(WebhookError::MissingHeader(EVENT_ID_HEADER))
    );
    // Entries expire: memory stays bounded.
    let start = UNIX_EPOCH + Duration::from_secs(NOW);
    for n in 0..1000 {
        guard.check_and_record(&format!("bulk-{n}"), start);
    }
    assert!(guard.len() >= 1000);
    assert!(guard.check_and_record("later", start + Duration::from_secs(700)));
    assert_eq!(guard.len(), 1, "expired ids were purged");
    assert!(
        guard.check_and_record("evt_once", start + Duration::from_secs(700)),
        "an expired id is accepted again"
    );
}

#[test]
fn secrets_never_show() {
    let verifier = Verifier::with_secrets([SECRET, "second-secret-value"]).unwrap();
    let shown = format!("{verifier:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("second-secret-value"),
        "{shown}"
    );
    assert!(shown.contains("2 redacted"));
    let body = alert_body();
    let headers = webhooks::signed_headers("wrong", NOW as i64, "e", &body);
    let error = verifier
        .clone()
        .clock(at(NOW))
        .verify(&headers, &body)
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains(SECRET));
}

mod extractor {
    use axum::Router;
    use axum::routing::post;
    use polyai_sdk::webhooks::{self, VerifiedWebhook, Verifier};

    use super::{SECRET, alert_body};

    async fn handler(webhook: VerifiedWebhook) -> String {
        format!(
            "{}:{}",
            webhook.event.event_type(),
            webhook.event_id.unwrap_or_default()
        )
    }

    #[tokio::test]
    async fn verifies_before_the_handler_runs() {
        let app = Router::new()
            .route("/hooks", post(handler))
            .with_state(Verifier::new(SECRET));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let http = reqwest::Client::new();
        let body = alert_body();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let send = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
            let mut request = http.post(&url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send()
        };

        let good = send(
            webhooks::signed_headers(SECRET, now, "evt_9", &body),
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(good.status(), 200);
        assert_eq!(good.text().await.unwrap(), "alerts.triggered:evt_9");

        let bad = send(
            webhooks::signed_headers("wrong-secret", now, "evt_9", &body),
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(bad.status(), 401);
        let text = bad.text().await.unwrap();
        assert!(
            text.contains("does not match") && !text.contains(SECRET),
            "{text}"
        );

        let stale = send(
            webhooks::signed_headers(SECRET, now - 3600, "evt_9", &body),
            body.clone(),
        )
        .await
        .unwrap();
        assert_eq!(stale.status(), 401);

        let mut missing = webhooks::signed_headers(SECRET, now, "evt_9", &body);
        missing.retain(|(name, _)| *name != webhooks::TIMESTAMP_HEADER);
        assert_eq!(send(missing, body.clone()).await.unwrap().status(), 400);

        let junk = b"not an event".to_vec();
        assert_eq!(
            send(webhooks::signed_headers(SECRET, now, "evt_9", &junk), junk)
                .await
                .unwrap()
                .status(),
            400
        );
        server.abort();
    }
}
