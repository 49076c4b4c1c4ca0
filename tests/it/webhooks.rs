//! Webhook verification: known-answer vectors computed outside Rust
//! (`tests/data/webhooks/make_vectors.py`: Python's `hmac`/`hashlib`, every vector also
//! recomputed with `openssl dgst -sha256 -hmac`), every error case, rotation, tolerance edges,
//! header containers, typed events, replay protection, secret redaction and the axum extractor.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use polyai_sdk::webhooks::{
    self, Clock, DEFAULT_TOLERANCE, EVENT_ID_HEADER, InMemoryReplayGuard, ReplayGuard, Reservation,
    SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, WebhookError, WebhookEvent,
};
use reqwest::header::{HeaderMap, HeaderValue};

const VECTORS: &str = include_str!("../data/webhooks/vectors.json");
const SECRET: &str = "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const NOW: i64 = 1_763_884_807;

fn time(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap())
}

/// A fixed clock, as a type of the caller's own (the closure form is used elsewhere).
struct FixedClock(i64);

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        time(self.0)
    }
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[derive(Debug)]
struct Vector {
    name: String,
    secret: String,
    timestamp: i64,
    body: Vec<u8>,
    signature: String,
    openssl_checked: bool,
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
            openssl_checked: v["openssl_checked"].as_bool().unwrap_or(false),
        })
        .collect()
}

fn vector(name: &str) -> Vector {
    vectors().into_iter().find(|v| v.name == name).unwrap()
}

/// The realistic `alerts.triggered` body, signed with [`SECRET`] at [`NOW`].
fn alert_body() -> Vec<u8> {
    let v = vector("alerts-triggered");
    assert_eq!((v.secret.as_str(), v.timestamp), (SECRET, NOW));
    v.body
}

fn verifier() -> Verifier {
    Verifier::new(SECRET).unwrap().clock(FixedClock(NOW))
}

/// Headers for `body` signed at `timestamp`, without an event id.
fn headers_at(timestamp: i64, body: &[u8]) -> [(&'static str, String); 2] {
    [
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, webhooks::sign(SECRET, timestamp, body)),
    ]
}

#[test]
fn known_answer_vectors_from_python_and_openssl() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 9);
    assert!(
        vectors.iter().all(|v| v.openssl_checked),
        "vectors.json was regenerated without openssl; rerun make_vectors.py where it exists"
    );
    for v in &vectors {
        assert_eq!(
            webhooks::sign(&v.secret, v.timestamp, &v.body),
            v.signature,
            "{}",
            v.name
        );

        let verifier = Verifier::new(&v.secret).unwrap();
        let headers = [
            (TIMESTAMP_HEADER, v.timestamp.to_string()),
            (SIGNATURE_HEADER, v.signature.clone()),
        ];
        let delivery = verifier
            .verify_at(&headers, &v.body, time(v.timestamp))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(delivery.timestamp, v.timestamp);
        assert_eq!(delivery.event_id, None);

        // Through an http::HeaderMap, with the documented spelling of the names.
        let mut map = HeaderMap::new();
        map.insert(
            "X-PolyAI-Timestamp",
            v.timestamp.to_string().parse().unwrap(),
        );
        map.insert("X-PolyAI-Signature", v.signature.parse().unwrap());
        map.insert("X-PolyAI-Event-ID", HeaderValue::from_static("evt_kat"));
        let delivery = verifier
            .verify_at(&map, &v.body, time(v.timestamp))
            .unwrap();
        assert_eq!(delivery.event_id.as_deref(), Some("evt_kat"));

        // Upper-case hex decodes to the same signature.
        let upper = [
            (TIMESTAMP_HEADER, v.timestamp.to_string()),
            (SIGNATURE_HEADER, v.signature.to_uppercase()),
        ];
        assert!(
            verifier
                .verify_at(&upper, &v.body, time(v.timestamp))
                .is_ok(),
            "{}",
            v.name
        );

        // Any change to the body, the timestamp or the secret fails.
        let mut longer = v.body.clone();
        longer.push(b' ');
        let mut flipped = v.body.clone();
        if let Some(first) = flipped.first_mut() {
            *first ^= 0x01;
        } else {
            flipped.push(0);
        }
        for body in [&longer, &flipped] {
            assert_eq!(
                verifier.verify_at(&headers, body, time(v.timestamp)),
                Err(WebhookError::SignatureMismatch),
                "{}",
                v.name
            );
        }
        let next_second = [
            (TIMESTAMP_HEADER, (v.timestamp + 1).to_string()),
            (SIGNATURE_HEADER, v.signature.clone()),
        ];
        assert_eq!(
            verifier.verify_at(&next_second, &v.body, time(v.timestamp)),
            Err(WebhookError::SignatureMismatch),
            "{}",
            v.name
        );
        let other_secret = Verifier::new(format!("{}x", v.secret)).unwrap();
        assert_eq!(
            other_secret.verify_at(&headers, &v.body, time(v.timestamp)),
            Err(WebhookError::SignatureMismatch),
            "{}",
            v.name
        );
    }
}

#[test]
fn the_raw_body_verifies_and_a_reserialised_one_does_not() {
    let v = vector("alerts-resolved-pretty");
    let headers = [
        (TIMESTAMP_HEADER, v.timestamp.to_string()),
        (SIGNATURE_HEADER, v.signature.clone()),
    ];
    let verifier = Verifier::new(&v.secret).unwrap();
    assert!(
        verifier
            .verify_at(&headers, &v.body, time(v.timestamp))
            .is_ok()
    );
    let value: serde_json::Value = serde_json::from_slice(&v.body).unwrap();
    for reserialised in [
        serde_json::to_vec(&value).unwrap(),
        serde_json::to_vec_pretty(&value).unwrap(),
    ] {
        assert_ne!(reserialised, v.body);
        assert_eq!(
            verifier.verify_at(&headers, &reserialised, time(v.timestamp)),
            Err(WebhookError::SignatureMismatch)
        );
    }
}

#[test]
fn signed_headers_are_what_polyai_sends() {
    let body = alert_body();
    let headers = webhooks::signed_headers(SECRET, NOW, "evt_1", &body);
    assert_eq!(
        headers,
        [
            (TIMESTAMP_HEADER, NOW.to_string()),
            (SIGNATURE_HEADER, vector("alerts-triggered").signature),
            (EVENT_ID_HEADER, "evt_1".to_string()),
        ]
    );
    assert_eq!(
        [TIMESTAMP_HEADER, SIGNATURE_HEADER, EVENT_ID_HEADER],
        [
            "x-polyai-timestamp",
            "x-polyai-signature",
            "x-polyai-event-id"
        ]
    );
    let delivery = verifier().verify(&headers, &body).unwrap();
    assert_eq!(
        (delivery.event_id.as_deref(), delivery.timestamp),
        (Some("evt_1"), NOW)
    );
}

#[test]
fn alerts_triggered_is_typed() {
    let body = alert_body();
    let headers = webhooks::signed_headers(SECRET, NOW, "evt_1", &body);
    let verified = verifier().verify_event(&headers, &body).unwrap();
    assert_eq!(verified.delivery.event_id.as_deref(), Some("evt_1"));
    assert_eq!(verified.event.event_type(), "alerts.triggered");
    let WebhookEvent::AlertTriggered(event) = &verified.event else {
        panic!("expected alerts.triggered, got {:?}", verified.event)
    };
    let alert = &event.alert;
    assert_eq!(alert.id.as_deref(), Some("ar_0Kx4mNpQ8rWvYb2dFgHjLs"));
    assert_eq!(alert.name.as_deref(), Some("API errors spiking"));
    assert_eq!(alert.project_id.as_deref(), Some("PROJECT-9f8e7d6c"));
    assert_eq!(alert.metric.as_deref(), Some("api_errors"));
    assert_eq!(alert.operator.as_deref(), Some(">"));
    assert_eq!(alert.threshold_value, Some(20.0));
    assert_eq!(alert.current_value, Some(37.0));
    assert_eq!(alert.previous_state.as_deref(), Some("ok"));
    assert_eq!(alert.triggered_at.as_deref(), Some("2025-11-23T08:00:00Z"));
    assert_eq!(alert.resolved_at, None);
    assert_eq!(verified.event.alert(), Some(alert));
    assert_eq!(event.payload["alert"]["metric"], "api_errors");
    assert_eq!(verified.event.payload(), &event.payload);
}

#[test]
fn alerts_resolved_is_typed_and_lenient() {
    let v = vector("alerts-resolved-pretty");
    let headers = [
        (TIMESTAMP_HEADER, v.timestamp.to_string()),
        (SIGNATURE_HEADER, v.signature.clone()),
    ];
    let verified = Verifier::new(&v.secret)
        .unwrap()
        .verify_event_at(&headers, &v.body, time(v.timestamp))
        .unwrap();
    let WebhookEvent::AlertResolved(event) = verified.event else {
        panic!("expected alerts.resolved")
    };
    assert_eq!(event.alert.project_id, None, "null reads as None");
    assert_eq!(event.alert.previous_state.as_deref(), Some("alert"));
    assert_eq!(
        event.alert.resolved_at.as_deref(),
        Some("2025-11-23T08:20:00+00:00")
    );
    assert_eq!(event.alert.triggered_at, None);

    // Unknown fields are ignored, numbers may come as strings, unexpected types read as None,
    // and an alert event without an alert still parses.
    let odd = br#"{"event_type":"alerts.resolved","new_top_level":[1],"alert":{"id":42,
        "threshold_value":"20","current_value":"n/a","name":{"nested":true},"severity":"p1"}}"#;
    let event = WebhookEvent::parse(odd).unwrap();
    let alert = event.alert().unwrap();
    assert_eq!(alert.id.as_deref(), Some("42"));
    assert_eq!(alert.threshold_value, Some(20.0));
    assert_eq!(alert.current_value, None);
    assert_eq!(alert.name, None);
    assert_eq!(event.payload()["alert"]["severity"], "p1");
    let bare = WebhookEvent::parse(br#"{"event_type":"alerts.triggered"}"#).unwrap();
    assert!(matches!(&bare, WebhookEvent::AlertTriggered(e) if e.alert.id.is_none()));
}

#[test]
fn unknown_event_types_fall_back_with_the_whole_payload() {
    let body = br#"{"event_type":"calls.summarised","call":{"id":"CA1"},"alert":"not ours"}"#;
    let headers = headers_at(NOW, body);
    let verified = verifier().verify_event(&headers, body).unwrap();
    assert_eq!(verified.event.event_type(), "calls.summarised");
    assert_eq!(verified.event.alert(), None);
    let WebhookEvent::Unknown {
        event_type,
        payload,
    } = verified.event
    else {
        panic!("expected the fallback")
    };
    assert_eq!(event_type, "calls.summarised");
    assert_eq!(payload["call"]["id"], "CA1");
}

#[test]
fn an_authentic_body_that_is_not_an_event_is_a_payload_error() {
    let verifier = verifier();
    for body in [
        &b"not json"[..],
        b"",
        b"[1,2]",
        b"\"alerts.triggered\"",
        br#"{"alert":{"id":"ar_1"}}"#,
        br#"{"event_type":7}"#,
        br#"{"event_type":"alerts.triggered","alert":"ar_1"}"#,
        br#"{"event_type":"alerts.triggered""#,
    ] {
        let headers = headers_at(NOW, body);
        // The signature is fine: only parsing fails, with its own variant.
        assert!(verifier.verify(&headers, body).is_ok(), "{body:?}");
        let error = verifier.verify_event(&headers, body).unwrap_err();
        assert!(
            matches!(error, WebhookError::InvalidPayload(_)),
            "{body:?}: {error:?}"
        );
        assert!(!error.is_authentication_failure());
    }
}

#[test]
fn each_missing_header_is_named() {
    let body = alert_body();
    let signature = webhooks::sign(SECRET, NOW, &body);
    let ts = NOW.to_string();
    let verifier = verifier();
    assert_eq!(
        verifier.verify(&[(SIGNATURE_HEADER, &signature)], &body),
        Err(WebhookError::MissingHeader(TIMESTAMP_HEADER))
    );
    assert_eq!(
        verifier.verify(&[(TIMESTAMP_HEADER, &ts)], &body),
        Err(WebhookError::MissingHeader(SIGNATURE_HEADER))
    );
    assert_eq!(
        verifier.verify(&Vec::<(String, String)>::new(), &body),
        Err(WebhookError::MissingHeader(TIMESTAMP_HEADER))
    );
    // The event id is optional without a replay guard and required with one.
    let no_id = [(TIMESTAMP_HEADER, &ts), (SIGNATURE_HEADER, &signature)];
    assert!(verifier.verify(&no_id, &body).is_ok());
    let guarded = verifier
        .clone()
        .replay_guard(InMemoryReplayGuard::new())
        .unwrap();
    assert_eq!(
        guarded.verify(&no_id, &body),
        Err(WebhookError::MissingHeader(EVENT_ID_HEADER))
    );
    let blank_id = [
        (TIMESTAMP_HEADER, ts.as_str()),
        (SIGNATURE_HEADER, &signature),
        (EVENT_ID_HEADER, "  "),
    ];
    assert_eq!(
        guarded.verify(&blank_id, &body),
        Err(WebhookError::MissingHeader(EVENT_ID_HEADER))
    );
}

#[test]
fn a_header_that_is_not_text_is_invalid_not_missing() {
    let body = alert_body();
    let mut map = HeaderMap::new();
    map.insert(
        TIMESTAMP_HEADER,
        HeaderValue::from_bytes(&[0xff, 0xfe]).unwrap(),
    );
    map.insert(
        SIGNATURE_HEADER,
        webhooks::sign(SECRET, NOW, &body).parse().unwrap(),
    );
    assert_eq!(
        verifier().verify(&map, &body),
        Err(WebhookError::InvalidHeader(TIMESTAMP_HEADER))
    );
}

#[test]
fn malformed_timestamps() {
    let body = alert_body();
    let signature = webhooks::sign(SECRET, NOW, &body);
    let verifier = verifier();
    let long = "9".repeat(100);
    for bad in [
        "",
        " ",
        "abc",
        "1.5",
        "1e9",
        "+1763884807",
        "1763884807s",
        "0x6922",
        "1763 884807",
        "--1",
        "-",
        "99999999999999999999999",
        long.as_str(),
        "１７６３８８４８０７",
        "2025-11-23T08:00:07Z",
    ] {
        let error = verifier
            .verify(
                &[(TIMESTAMP_HEADER, bad), (SIGNATURE_HEADER, &signature)],
                &body,
            )
            .unwrap_err();
        let WebhookError::MalformedTimestamp(quoted) = &error else {
            panic!("{bad:?} gave {error:?}")
        };
        assert!(
            quoted.chars().count() <= 40,
            "the echo is bounded: {quoted:?}"
        );
    }
}

#[test]
fn malformed_signatures() {
    let body = alert_body();
    let signature = webhooks::sign(SECRET, NOW, &body);
    let ts = NOW.to_string();
    let verifier = verifier();
    let check = |value: &str| {
        verifier.verify(
            &[(TIMESTAMP_HEADER, ts.as_str()), (SIGNATURE_HEADER, value)],
            &body,
        )
    };
    let wrong_length =
        WebhookError::MalformedSignature("expected 64 hexadecimal digits, got another length");
    let not_hex = WebhookError::MalformedSignature("not hexadecimal");
    for bad in [
        String::new(),
        "abc".into(),
        signature[..63].to_string(),
        format!("{signature}0"),
        format!("sha256={signature}"),
        format!("{signature},{signature}"),
    ] {
        assert_eq!(check(&bad), Err(wrong_length.clone()), "{bad:?}");
    }
    for bad in [
        "g".repeat(64),
        format!("v1={}", &signature[3..]),
        format!("{}z", &signature[..63]),
        format!("{} ", &signature[..63]).replace(' ', "-"),
        format!("é{}", &signature[2..]),
    ] {
        assert_eq!(check(&bad), Err(not_hex.clone()), "{bad:?}");
    }
    // Surrounding whitespace is tolerated (HTTP strips it anyway).
    assert!(check(&format!(" {signature} ")).is_ok());
}

#[test]
fn wrong_signatures_are_mismatches() {
    let body = alert_body();
    let verifier = verifier();
    let ts = NOW.to_string();
    for signature in [
        webhooks::sign("another-secret", NOW, &body),
        webhooks::sign(SECRET, NOW - 1, &body),
        webhooks::sign(SECRET, NOW, b"{}"),
        "0".repeat(64),
    ] {
        assert_eq!(
            verifier.verify(
                &[
                    (TIMESTAMP_HEADER, ts.as_str()),
                    (SIGNATURE_HEADER, &signature)
                ],
                &body
            ),
            Err(WebhookError::SignatureMismatch),
            "{signature}"
        );
    }
    // The signature covers the timestamp exactly as sent: a leading zero is another message.
    let padded = format!("0{NOW}");
    let signature = webhooks::sign(SECRET, NOW, &body);
    assert_eq!(
        verifier.verify(
            &[
                (TIMESTAMP_HEADER, padded.as_str()),
                (SIGNATURE_HEADER, &signature)
            ],
            &body
        ),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn tolerance_edges_in_both_directions() {
    let body = alert_body();
    let verifier = verifier();
    let at_offset = |offset: i64| verifier.verify(&headers_at(NOW + offset, &body), &body);
    assert_eq!(DEFAULT_TOLERANCE, Duration::from_secs(300));
    for offset in [-300, -299, -1, 0, 1, 299, 300] {
        assert!(at_offset(offset).is_ok(), "{offset}");
    }
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
    assert_eq!(
        at_offset(-86_400),
        Err(WebhookError::TimestampTooOld {
            age_secs: 86_400,
            tolerance_secs: 300
        })
    );
    // Far-off and negative timestamps are refused without overflow.
    for timestamp in [0, -1, -999_999_999_999_999_999, 999_999_999_999_999_999] {
        assert!(
            matches!(
                verifier.verify(&headers_at(timestamp, &body), &body),
                Err(WebhookError::TimestampTooOld { .. } | WebhookError::TimestampInFuture { .. })
            ),
            "{timestamp}"
        );
    }

    // A configured window, with the clock as a closure and as an explicit `now`.
    let strict = Verifier::new(SECRET)
        .unwrap()
        .tolerance(Duration::from_secs(10))
        .unwrap()
        .clock(move || time(NOW));
    assert!(strict.verify(&headers_at(NOW - 10, &body), &body).is_ok());
    assert!(strict.verify(&headers_at(NOW + 10, &body), &body).is_ok());
    assert_eq!(
        strict.verify(&headers_at(NOW - 11, &body), &body),
        Err(WebhookError::TimestampTooOld {
            age_secs: 11,
            tolerance_secs: 10
        })
    );
    assert_eq!(
        strict.verify(&headers_at(NOW + 11, &body), &body),
        Err(WebhookError::TimestampInFuture {
            ahead_secs: 11,
            tolerance_secs: 10
        })
    );
    let headers = headers_at(NOW, &body);
    assert!(strict.verify_at(&headers, &body, time(NOW + 10)).is_ok());
    assert!(matches!(
        strict.verify_at(&headers, &body, time(NOW + 11)),
        Err(WebhookError::TimestampTooOld { .. })
    ));
    // Sub-second clock readings count in whole seconds.
    assert!(
        strict
            .verify_at(&headers, &body, time(NOW + 10) + Duration::from_millis(999))
            .is_ok()
    );

    // The default clock is the system clock.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let live = Verifier::new(SECRET).unwrap();
    assert!(live.verify(&headers_at(now, &body), &body).is_ok());
    assert!(matches!(
        live.verify(&headers_at(now - 3600, &body), &body),
        Err(WebhookError::TimestampTooOld { .. })
    ));
}

#[test]
fn rotation_accepts_any_configured_secret() {
    let body = alert_body();
    let verifier = Verifier::with_secrets(["old-secret", "new-secret"])
        .unwrap()
        .clock(FixedClock(NOW));
    for secret in ["old-secret", "new-secret"] {
        let headers = webhooks::signed_headers(secret, NOW, "evt_1", &body);
        assert!(verifier.verify(&headers, &body).is_ok(), "{secret}");
    }
    let retired = webhooks::signed_headers("retired-secret", NOW, "evt_1", &body);
    assert_eq!(
        verifier.verify(&retired, &body),
        Err(WebhookError::SignatureMismatch)
    );
    // Owned strings work too; the order does not matter.
    let owned =
        Verifier::with_secrets(vec![String::from("new-secret"), String::from("old-secret")])
            .unwrap()
            .clock(FixedClock(NOW));
    let headers = webhooks::signed_headers("old-secret", NOW, "evt_1", &body);
    assert!(owned.verify(&headers, &body).is_ok());
    assert_eq!(
        Verifier::with_secrets(Vec::<String>::new()).unwrap_err(),
        WebhookError::NoSecrets
    );
}

#[test]
fn header_names_are_case_insensitive_in_every_container() {
    let body = alert_body();
    let signature = webhooks::sign(SECRET, NOW, &body);
    let ts = NOW.to_string();
    let verifier = verifier();
    let spellings = [
        ("X-PolyAI-Timestamp", "X-PolyAI-Signature"),
        ("X-POLYAI-TIMESTAMP", "x-polyai-signature"),
        ("x-PolyAi-timeSTAMP", "X-Polyai-Signature"),
    ];
    for (ts_name, sig_name) in spellings {
        let pairs = vec![
            (ts_name.to_string(), ts.clone()),
            (sig_name.to_string(), signature.clone()),
        ];
        assert!(verifier.verify(&pairs, &body).is_ok(), "Vec {ts_name}");
        assert!(
            verifier.verify(pairs.as_slice(), &body).is_ok(),
            "slice {ts_name}"
        );
        let array = [(ts_name, ts.as_str()), (sig_name, signature.as_str())];
        assert!(verifier.verify(&array, &body).is_ok(), "array {ts_name}");
        let hash: HashMap<String, String> = pairs.iter().cloned().collect();
        assert!(verifier.verify(&hash, &body).is_ok(), "HashMap {ts_name}");
        let tree: BTreeMap<&str, &str> = array.iter().copied().collect();
        assert!(verifier.verify(&tree, &body).is_ok(), "BTreeMap {ts_name}");
        let mut map = HeaderMap::new();
        map.insert(
            reqwest::header::HeaderName::from_bytes(ts_name.as_bytes()).unwrap(),
            ts.parse().unwrap(),
        );
        map.insert(
            reqwest::header::HeaderName::from_bytes(sig_name.as_bytes()).unwrap(),
            signature.parse().unwrap(),
        );
        assert!(verifier.verify(&map, &body).is_ok(), "HeaderMap {ts_name}");
        // axum's HeaderMap is the same type.
        let axum_map: &axum::http::HeaderMap = &map;
        assert!(verifier.verify(axum_map, &body).is_ok());
    }
}

#[test]
fn a_replay_guard_processes_an_event_once() {
    let body = alert_body();
    let verifier = verifier().replay_guard(InMemoryReplayGuard::new()).unwrap();
    let headers = webhooks::signed_headers(SECRET, NOW, "evt_once", &body);
    let mut first = verifier.verify(&headers, &body).unwrap();
    assert!(first.is_reserved());

    // While the first delivery is being processed, the same delivery, PolyAI's retry of the
    // event (same id, new timestamp and signature) and the delivery relabelled with another
    // event id are all in flight: a status PolyAI retries, not an authentication failure.
    let in_flight = |id: &str| {
        Err(WebhookError::InFlight {
            event_id: id.into(),
        })
    };
    let retry = webhooks::signed_headers(SECRET, NOW + 60, "evt_once", &body);
    let mut relabelled = headers.clone();
    relabelled[2].1 = "evt_forged".into();
    assert_eq!(verifier.verify(&headers, &body), in_flight("evt_once"));
    assert_eq!(
        verifier.verify_at(&retry, &body, time(NOW + 60)),
        in_flight("evt_once")
    );
    assert_eq!(verifier.verify(&relabelled, &body), in_flight("evt_forged"));

    // Once committed, each of them is a duplicate.
    first.commit();
    assert!(!first.is_reserved());
    let duplicate = |id: &str| {
        Err(WebhookError::Duplicate {
            event_id: id.into(),
        })
    };
    assert_eq!(verifier.verify(&headers, &body), duplicate("evt_once"));
    assert_eq!(
        verifier.verify_event(&headers, &body).map(|_| ()),
        duplicate("evt_once").map(|_| ())
    );
    assert_eq!(
        verifier.verify_at(&retry, &body, time(NOW + 60)),
        duplicate("evt_once")
    );
    assert_eq!(verifier.verify(&relabelled, &body), duplicate("evt_forged"));
    let mut upper = headers.clone();
    upper[1].1 = upper[1].1.to_uppercase();
    assert_eq!(verifier.verify(&upper, &body), duplicate("evt_once"));
    // The retry's signature is now remembered too: relabelling it does not get it processed.
    let mut retry_relabelled = retry.clone();
    retry_relabelled[2].1 = "evt_new".into();
    assert_eq!(
        verifier.verify_at(&retry_relabelled, &body, time(NOW + 60)),
        duplicate("evt_new")
    );

    // The relabelled replays did not burn the ids they carried: genuine events with those ids
    // are processed.
    for id in ["evt_forged", "evt_new"] {
        let other = br#"{"event_type":"alerts.resolved"}"#;
        let genuine = webhooks::signed_headers(SECRET, NOW, id, other);
        assert!(verifier.verify(&genuine, other).is_ok(), "{id}");
    }

    for error in [
        WebhookError::Duplicate {
            event_id: "e".into(),
        },
        WebhookError::InFlight {
            event_id: "e".into(),
        },
    ] {
        assert!(!error.is_authentication_failure(), "{error:?}");
    }
}

#[test]
fn an_uncommitted_delivery_is_released_when_dropped() {
    let body = alert_body();
    let guard = Arc::new(InMemoryReplayGuard::new());
    let verifier = verifier().replay_guard(guard.clone()).unwrap();

    // A forged or stale delivery reserves nothing.
    let forged = webhooks::signed_headers("wrong", NOW, "evt_1", &body);
    assert_eq!(
        verifier.verify(&forged, &body),
        Err(WebhookError::SignatureMismatch)
    );
    let stale = webhooks::signed_headers(SECRET, NOW - 400, "evt_1", &body);
    assert!(verifier.verify(&stale, &body).is_err());
    assert!(guard.is_empty());

    let headers = webhooks::signed_headers(SECRET, NOW, "evt_1", &body);
    let delivery = verifier.verify(&headers, &body).unwrap();
    assert_eq!(
        guard.len(),
        2,
        "the event id and the signature are reserved"
    );
    // A clone carries the values, not the reservation.
    let copy = delivery.clone();
    assert!(!copy.is_reserved() && delivery.is_reserved());
    assert_eq!(copy, delivery);
    drop(copy);
    assert_eq!(guard.len(), 2);
    // The handler failed: dropping the delivery releases it, and the retry is processed.
    drop(delivery);
    assert!(guard.is_empty());
    let mut retried = verifier.verify(&headers, &body).unwrap();
    retried.commit();
    drop(retried);
    assert_eq!(guard.len(), 2, "committed keys stay after the drop");
    assert!(matches!(
        verifier.verify(&headers, &body),
        Err(WebhookError::Duplicate { .. })
    ));

    // An authentic body that is not an event is released too.
    let junk = b"not an event";
    let junk_headers = webhooks::signed_headers(SECRET, NOW, "evt_2", junk);
    assert!(matches!(
        verifier.verify_event(&junk_headers, junk),
        Err(WebhookError::InvalidPayload(_))
    ));
    assert_eq!(guard.len(), 2);
}

/// A guard that logs the calls the verifier makes, over an in-memory guard, and does not say
/// its TTL.
struct LoggingGuard {
    inner: InMemoryReplayGuard,
    log: std::sync::Mutex<Vec<String>>,
}

impl ReplayGuard for LoggingGuard {
    fn reserve(&self, key: &str, now: SystemTime) -> Reservation {
        let outcome = self.inner.reserve(key, now);
        self.log
            .lock()
            .unwrap()
            .push(format!("reserve {key} {outcome:?}"));
        outcome
    }

    fn commit(&self, key: &str, now: SystemTime) {
        self.inner.commit(key, now);
        self.log.lock().unwrap().push(format!("commit {key}"));
    }

    fn release(&self, key: &str) {
        self.inner.release(key);
        self.log.lock().unwrap().push(format!("release {key}"));
    }
}

#[test]
fn the_guard_protocol_is_reserve_then_commit_or_release() {
    let body = alert_body();
    let guard = Arc::new(LoggingGuard {
        inner: InMemoryReplayGuard::new(),
        log: Default::default(),
    });
    assert_eq!(ReplayGuard::ttl(&guard), None);
    let verifier = verifier().replay_guard(guard.clone()).unwrap();
    let take_log = || std::mem::take(&mut *guard.log.lock().unwrap());
    let headers = webhooks::signed_headers(SECRET, NOW, "evt_1", &body);
    let sig = format!("sig:{}", headers[1].1);

    let delivery = verifier.verify(&headers, &body).unwrap();
    assert_eq!(
        take_log(),
        [format!("reserve {sig} New"), "reserve evt_1 New".into()]
    );
    drop(delivery);
    assert_eq!(
        take_log(),
        [format!("release {sig}"), "release evt_1".into()]
    );

    let mut delivery = verifier.verify(&headers, &body).unwrap();
    // A retry while in flight releases the retry's own signature only.
    let retry = webhooks::signed_headers(SECRET, NOW + 1, "evt_1", &body);
    let retry_sig = format!("sig:{}", retry[1].1);
    take_log();
    assert!(verifier.verify(&retry, &body).is_err());
    assert_eq!(
        take_log(),
        [
            format!("reserve {retry_sig} New"),
            "reserve evt_1 InFlight".into(),
            format!("release {retry_sig}"),
        ]
    );
    delivery.commit();
    drop(delivery);
    assert_eq!(take_log(), [format!("commit {sig}"), "commit evt_1".into()]);
    // A relabelled replay stops at the signature and never touches its event id.
    let mut relabelled = headers.clone();
    relabelled[2].1 = "evt_other".into();
    assert!(verifier.verify(&relabelled, &body).is_err());
    assert_eq!(take_log(), [format!("reserve {sig} Committed")]);
}

#[test]
fn a_guard_that_forgets_before_the_window_closes_is_refused() {
    let short = InMemoryReplayGuard::with_ttl(Duration::from_secs(599));
    let error = verifier().replay_guard(short).unwrap_err();
    assert_eq!(
        error,
        WebhookError::ReplayWindowTooShort {
            ttl_secs: 599,
            tolerance_secs: 300
        }
    );
    assert!(error.to_string().contains("at least 600s"), "{error}");
    assert!(error.is_configuration_error());
    // Exactly twice the tolerance is enough; so is the default guard.
    let exact = InMemoryReplayGuard::with_ttl(Duration::from_secs(600));
    assert!(verifier().replay_guard(exact).is_ok());
    let guarded = verifier().replay_guard(InMemoryReplayGuard::new()).unwrap();
    // Widening the tolerance past the guard's memory is refused, in either order.
    assert_eq!(
        guarded
            .clone()
            .tolerance(Duration::from_secs(301))
            .unwrap_err(),
        WebhookError::ReplayWindowTooShort {
            ttl_secs: 600,
            tolerance_secs: 301
        }
    );
    let wide = verifier().tolerance(Duration::from_secs(3600)).unwrap();
    assert!(
        wide.clone()
            .replay_guard(InMemoryReplayGuard::new())
            .is_err()
    );
    assert!(
        wide.replay_guard(InMemoryReplayGuard::with_ttl(Duration::from_secs(7200)))
            .is_ok()
    );
    assert!(guarded.tolerance(Duration::from_secs(60)).is_ok());
}

#[test]
fn empty_or_blank_secrets_are_refused() {
    for blank in ["", " ", "\t\r\n", "\u{3000}"] {
        assert_eq!(
            Verifier::new(blank).unwrap_err(),
            WebhookError::EmptySecret,
            "{blank:?}"
        );
        assert_eq!(
            Verifier::with_secrets([SECRET, blank]).unwrap_err(),
            WebhookError::EmptySecret,
            "{blank:?}"
        );
    }
    // The usual way to get one: an unset environment variable.
    let unset = std::env::var("POLYAI_TEST_WEBHOOK_SECRET_THAT_IS_NEVER_SET").unwrap_or_default();
    let error = Verifier::new(unset).unwrap_err();
    assert!(
        error.to_string().contains("empty or blank")
            && error.to_string().contains("environment variable"),
        "{error}"
    );
    assert!(error.is_configuration_error() && !error.is_authentication_failure());

    // The signing helper still works with an empty secret (it does not panic), but what it
    // signs is refused by every verifier.
    let body = alert_body();
    let forged = webhooks::signed_headers("", NOW, "evt_1", &body);
    assert_eq!(forged[1].1.len(), 64);
    assert_eq!(
        verifier().verify(&forged, &body),
        Err(WebhookError::SignatureMismatch)
    );
    // A secret with content is used as-is, surrounding whitespace included.
    let padded = Verifier::new(" s ").unwrap().clock(FixedClock(NOW));
    let signed = webhooks::signed_headers(" s ", NOW, "evt_1", &body);
    assert!(padded.verify(&signed, &body).is_ok());
    let trimmed = webhooks::signed_headers("s", NOW, "evt_1", &body);
    assert!(padded.verify(&trimmed, &body).is_err());
}

#[test]
fn the_in_memory_guard_expires_entries() {
    let ttl = Duration::from_secs(600);
    let guard = InMemoryReplayGuard::with_ttl(ttl).reservation_ttl(Duration::from_secs(30));
    assert_eq!(InMemoryReplayGuard::new().ttl(), 2 * DEFAULT_TOLERANCE);
    assert_eq!((guard.ttl(), ReplayGuard::ttl(&guard)), (ttl, Some(ttl)));
    let start = time(NOW);
    let at = |secs: u64| start + Duration::from_secs(secs);
    assert_eq!(guard.reserve("evt_1", start), Reservation::New);
    assert_eq!(guard.reserve("evt_1", at(30)), Reservation::InFlight);
    // A reservation nobody commits or releases expires, so the event's retries get through.
    assert_eq!(guard.reserve("evt_1", at(31)), Reservation::New);
    guard.commit("evt_1", at(31));
    guard.release("evt_1");
    assert_eq!(
        guard.reserve("evt_1", at(31) + ttl),
        Reservation::Committed,
        "remembered for the whole TTL; release leaves a committed key alone"
    );
    assert_eq!(
        guard.reserve("evt_1", at(32) + ttl),
        Reservation::New,
        "processed again once expired"
    );

    // A burst of keys is dropped once it has expired, as new keys arrive.
    let burst = at(40) + ttl;
    for n in 0..10_000 {
        let key = format!("bulk-{n}");
        assert_eq!(guard.reserve(&key, burst), Reservation::New);
        guard.commit(&key, burst);
    }
    assert!(guard.len() >= 10_000);
    let later = burst + ttl + Duration::from_secs(1);
    assert_eq!(guard.reserve("later", later), Reservation::New);
    assert!(
        guard.len() <= 2,
        "expired keys were dropped: {}",
        guard.len()
    );
    guard.purge(later + Duration::from_secs(31));
    assert!(guard.is_empty());
    assert!(format!("{guard:?}").contains("entries: 0"));

    // A clock that steps backwards does not expire anything.
    assert_eq!(guard.reserve("evt_2", later), Reservation::New);
    guard.commit("evt_2", later);
    assert_eq!(guard.reserve("evt_2", start), Reservation::Committed);
}

#[test]
fn the_in_memory_guard_is_capped_and_evicts_the_oldest_first() {
    assert_eq!(webhooks::DEFAULT_CAPACITY, 100_000);
    assert!(format!("{:?}", InMemoryReplayGuard::new()).contains("capacity: 100000"));
    let start = time(NOW);
    let guard = InMemoryReplayGuard::new().capacity(3);
    for key in ["a", "b", "c"] {
        assert_eq!(guard.reserve(key, start), Reservation::New);
        guard.commit(key, start);
    }
    assert_eq!(guard.reserve("d", start), Reservation::New);
    assert_eq!(guard.len(), 3);
    // "a" was the oldest and is gone; "b" and "c" are still remembered.
    assert_eq!(guard.reserve("b", start), Reservation::Committed);
    assert_eq!(guard.reserve("c", start), Reservation::Committed);
    assert_eq!(guard.reserve("d", start), Reservation::InFlight);
    assert_eq!(guard.reserve("a", start), Reservation::New);
    assert_eq!(guard.reserve("b", start), Reservation::New, "b was next");
    assert_eq!(guard.len(), 3);

    // Many deliveries that fail (reserve, release) or succeed never grow it past the cap.
    let capped = InMemoryReplayGuard::new().capacity(1_000);
    for n in 0..50_000 {
        let key = format!("k{n}");
        assert_eq!(capped.reserve(&key, start), Reservation::New);
        if n % 2 == 0 {
            capped.release(&key);
        } else {
            capped.commit(&key, start);
        }
        assert!(capped.len() <= 1_000);
    }
    assert_eq!(capped.len(), 1_000);
    // The newest committed keys are the ones kept.
    assert_eq!(capped.reserve("k49999", start), Reservation::Committed);
    assert_eq!(capped.reserve("k48001", start), Reservation::Committed);
    assert_eq!(capped.reserve("k47999", start), Reservation::New);
}

#[test]
fn a_shared_guard_accepts_a_delivery_once_across_threads() {
    let body = Arc::new(alert_body());
    let verifier = verifier().replay_guard(InMemoryReplayGuard::new()).unwrap();
    let headers = Arc::new(webhooks::signed_headers(SECRET, NOW, "evt_race", &body));
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (verifier, headers, body) = (verifier.clone(), headers.clone(), body.clone());
                // The accepted delivery is returned, so it stays reserved until all are done.
                scope.spawn(move || verifier.verify(&*headers, &body))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, WebhookError::InFlight { .. }))
    );
}

#[test]
fn every_error_is_distinct_and_says_what_to_do() {
    let errors = [
        WebhookError::MissingHeader(TIMESTAMP_HEADER),
        WebhookError::InvalidHeader(TIMESTAMP_HEADER),
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
        WebhookError::Duplicate {
            event_id: "e".into(),
        },
        WebhookError::InFlight {
            event_id: "e".into(),
        },
        WebhookError::InvalidPayload("x".into()),
        WebhookError::NoSecrets,
        WebhookError::EmptySecret,
        WebhookError::ReplayWindowTooShort {
            ttl_secs: 1,
            tolerance_secs: 1,
        },
    ];
    let messages: std::collections::HashSet<String> =
        errors.iter().map(ToString::to_string).collect();
    let codes: std::collections::HashSet<&str> = errors.iter().map(WebhookError::code).collect();
    assert_eq!((messages.len(), codes.len()), (errors.len(), errors.len()));
    assert!(errors[0].to_string().contains("x-polyai-timestamp"));
    assert!(errors[3].to_string().contains("clock"));
    assert!(errors[6].to_string().contains("raw body"));
    let authentication: Vec<&str> = errors
        .iter()
        .filter(|e| e.is_authentication_failure())
        .map(WebhookError::code)
        .collect();
    assert_eq!(
        authentication,
        [
            "timestamp_too_old",
            "timestamp_in_future",
            "signature_mismatch",
        ]
    );
    // The crate's error wraps it.
    let wrapped = polyai_sdk::Error::from(WebhookError::SignatureMismatch);
    assert!(
        wrapped.to_string().contains("signature") || format!("{wrapped:?}").contains("Signature")
    );
}

#[test]
fn secrets_never_show_in_debug_or_display() {
    const SECOND: &str = "second-secret-value";
    let verifier = Verifier::with_secrets([SECRET, SECOND])
        .unwrap()
        .clock(FixedClock(NOW))
        .replay_guard(InMemoryReplayGuard::new())
        .unwrap();
    let shown = format!("{verifier:?} {verifier:#?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains(SECOND),
        "{shown}"
    );
    assert!(
        !shown.contains("whsec") && !shown.contains("0f1e2d"),
        "{shown}"
    );
    assert!(shown.contains("2 redacted"), "{shown}");

    let body = alert_body();
    let good = webhooks::signed_headers(SECRET, NOW, "evt_1", &body);
    let verified = verifier.verify_event(&good, &body).unwrap();
    let mut texts = vec![format!("{verified:?}"), format!("{:?}", verified.delivery)];
    for (headers, body) in [
        (
            webhooks::signed_headers("wrong", NOW, "evt_2", &body),
            body.clone(),
        ),
        (
            webhooks::signed_headers(SECRET, NOW - 999, "evt_3", &body),
            body.clone(),
        ),
        (
            webhooks::signed_headers(SECRET, NOW, "evt_1", &body),
            body.clone(),
        ),
        (
            webhooks::signed_headers(SECRET, NOW, "evt_4", b"junk"),
            b"junk".to_vec(),
        ),
    ] {
        let error = verifier.verify_event(&headers, &body).unwrap_err();
        texts.push(format!("{error} {error:?}"));
    }
    for text in texts {
        assert!(!text.contains(SECRET) && !text.contains(SECOND), "{text}");
    }
}

mod extractor {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::extract::{DefaultBodyLimit, FromRef, State};
    use axum::http::StatusCode;
    use axum::middleware::from_fn;
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use polyai_sdk::webhooks::{
        self, InMemoryReplayGuard, VerifiedWebhook, Verifier, commit_on_success,
    };
    use tokio::sync::Notify;

    use super::{SECRET, alert_body};

    /// An application state holding the verifier among other things.
    #[derive(Clone)]
    struct AppState {
        verifier: Verifier,
        name: &'static str,
    }

    impl FromRef<AppState> for Verifier {
        fn from_ref(state: &AppState) -> Verifier {
            state.verifier.clone()
        }
    }

    async fn handler(
        axum::extract::State(state): axum::extract::State<AppState>,
        webhook: VerifiedWebhook,
    ) -> String {
        assert_eq!(webhook.event_id, webhook.delivery.event_id);
        format!(
            "{}:{}:{}:{}",
            state.name,
            webhook.event.event_type(),
            webhook.event_id.unwrap_or_default(),
            webhook.body.len()
        )
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[tokio::test]
    async fn verifies_before_the_handler_runs() {
        let state = AppState {
            verifier: Verifier::new(SECRET)
                .unwrap()
                .replay_guard(InMemoryReplayGuard::new())
                .unwrap(),
            name: "app",
        };
        let app = Router::new()
            .route("/hooks", post(handler))
            .route_layer(from_fn(commit_on_success))
            .layer(DefaultBodyLimit::max(64 * 1024))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let body = alert_body();
        let send = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
            let mut request = http.post(&url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }
        };
        let signed = |secret: &str, timestamp: i64, id: &str, body: &[u8]| {
            webhooks::signed_headers(secret, timestamp, id, body).to_vec()
        };
        let now = now();

        let (status, text) = send(signed(SECRET, now, "evt_9", &body), body.clone()).await;
        assert_eq!(
            (status, text.as_str()),
            (
                200,
                format!("app:alerts.triggered:evt_9:{}", body.len()).as_str()
            )
        );

        // 401: authentication failures, with a small JSON body naming the problem.
        for (headers, code) in [
            (
                signed("wrong-secret", now, "evt_10", &body),
                "signature_mismatch",
            ),
            (
                signed(SECRET, now - 3600, "evt_11", &body),
                "timestamp_too_old",
            ),
            (
                signed(SECRET, now + 3600, "evt_12", &body),
                "timestamp_in_future",
            ),
        ] {
            let (status, text) = send(headers, body.clone()).await;
            assert_eq!(status, 401, "{code}: {text}");
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["error"], code, "{text}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(!text.contains(SECRET) && !text.contains("whsec"), "{text}");
        }

        // A second delivery of the processed event: 200 "duplicate", without the handler.
        let (status, text) = send(signed(SECRET, now + 1, "evt_9", &body), body.clone()).await;
        assert_eq!(status, 200, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "duplicate", "event_id": "evt_9"})
        );

        // 400: missing or malformed headers, and authentic bodies that are not events.
        let mut missing = signed(SECRET, now, "evt_13", &body);
        missing.retain(|(name, _)| *name != webhooks::SIGNATURE_HEADER);
        let mut malformed = signed(SECRET, now, "evt_14", &body);
        malformed[1].1 = format!("sha256={}", malformed[1].1);
        let mut bad_time = signed(SECRET, now, "evt_15", &body);
        bad_time[0].1 = "yesterday".into();
        let junk = b"not an event".to_vec();
        for (headers, body, code) in [
            (missing, body.clone(), "missing_header"),
            (malformed, body.clone(), "malformed_signature"),
            (bad_time, body.clone(), "malformed_timestamp"),
            (
                signed(SECRET, now, "evt_16", &junk),
                junk.clone(),
                "invalid_payload",
            ),
        ] {
            let (status, text) = send(headers, body).await;
            assert_eq!(status, 400, "{code}: {text}");
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["error"], code, "{text}");
        }

        // Over the router's body limit: the body rejection's own status.
        let huge = vec![b' '; 128 * 1024];
        let (status, text) = send(signed(SECRET, now, "evt_17", &huge), huge).await;
        assert_eq!(status, 413, "{text}");
        assert!(text.contains("unreadable_body"), "{text}");

        server.abort();
    }

    /// How the scripted handler behaves on its first run; every later run succeeds.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum FirstRun {
        Succeed,
        Fail,
        Panic,
        /// Never finishes; signals when its future is dropped.
        Hang,
        /// Finishes when the test says so.
        WaitForSignal,
    }

    #[derive(Clone)]
    struct Script {
        verifier: Verifier,
        first_run: FirstRun,
        runs: Arc<AtomicUsize>,
        started: Arc<Notify>,
        proceed: Arc<Notify>,
        dropped: Arc<Notify>,
    }

    impl FromRef<Script> for Verifier {
        fn from_ref(script: &Script) -> Verifier {
            script.verifier.clone()
        }
    }

    /// Notifies when dropped, to observe that a handler's future was dropped.
    struct OnDrop(Arc<Notify>);

    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.notify_one();
        }
    }

    async fn scripted(State(script): State<Script>, webhook: VerifiedWebhook) -> Response {
        let run = script.runs.fetch_add(1, Ordering::SeqCst);
        if run == 0 {
            match script.first_run {
                FirstRun::Succeed => {}
                FirstRun::Fail => {
                    return (StatusCode::INTERNAL_SERVER_ERROR, "the handler failed")
                        .into_response();
                }
                FirstRun::Panic => panic!("the webhook handler panics on purpose in this test"),
                FirstRun::Hang => {
                    let _signal = OnDrop(script.dropped.clone());
                    script.started.notify_one();
                    std::future::pending::<()>().await;
                }
                FirstRun::WaitForSignal => {
                    script.started.notify_one();
                    script.proceed.notified().await;
                }
            }
        }
        let id = webhook.event_id.unwrap_or_default();
        format!("processed {id} on run {run}").into_response()
    }

    struct Reply {
        status: u16,
        retry_after: Option<String>,
        text: String,
    }

    /// A receiver on 127.0.0.1 with a replay guard and the commit layer on `/hooks`, and the
    /// same handler without the layer on `/no-layer`.
    struct Receiver {
        base: String,
        script: Script,
        http: reqwest::Client,
        server: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    impl Drop for Receiver {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    impl Receiver {
        async fn start(first_run: FirstRun) -> Receiver {
            let script = Script {
                verifier: Verifier::new(SECRET)
                    .unwrap()
                    .replay_guard(InMemoryReplayGuard::new())
                    .unwrap(),
                first_run,
                runs: Default::default(),
                started: Default::default(),
                proceed: Default::default(),
                dropped: Default::default(),
            };
            let app = Router::new()
                .route("/hooks", post(scripted))
                .route_layer(from_fn(commit_on_success))
                .route("/no-layer", post(scripted))
                .with_state(script.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let server = tokio::spawn(async move { axum::serve(listener, app).await });
            let http = reqwest::Client::builder().no_proxy().build().unwrap();
            Receiver {
                base,
                script,
                http,
                server,
            }
        }

        fn runs(&self) -> usize {
            self.script.runs.load(Ordering::SeqCst)
        }

        async fn post(
            &self,
            path: &str,
            (headers, body): &(Vec<(&'static str, String)>, Vec<u8>),
            timeout: Option<Duration>,
        ) -> Result<Reply, reqwest::Error> {
            let mut request = self
                .http
                .post(format!("{}{path}", self.base))
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let text = response.text().await?;
            Ok(Reply {
                status,
                retry_after,
                text,
            })
        }

        async fn deliver(&self, delivery: &(Vec<(&'static str, String)>, Vec<u8>)) -> Reply {
            self.post("/hooks", delivery, None).await.unwrap()
        }
    }

    /// A delivery of event `id`, signed `offset` seconds from now (PolyAI's retries keep the id
    /// and are signed afresh).
    fn delivery(id: &str, offset: i64) -> (Vec<(&'static str, String)>, Vec<u8>) {
        let body = alert_body();
        let headers = webhooks::signed_headers(SECRET, now() + offset, id, &body).to_vec();
        (headers, body)
    }

    fn assert_duplicate(reply: &Reply, id: &str) {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let json: serde_json::Value = serde_json::from_str(&reply.text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "duplicate", "event_id": id})
        );
    }

    #[tokio::test]
    async fn a_processed_event_is_acknowledged_as_a_duplicate_without_running_again() {
        let receiver = Receiver::start(FirstRun::Succeed).await;
        let first = delivery("evt_ok", 0);
        let reply = receiver.deliver(&first).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_ok on run 0")
        );
        // The same delivery again, and PolyAI's re-signed retry: 2xx, so PolyAI stops.
        assert_duplicate(&receiver.deliver(&first).await, "evt_ok");
        assert_duplicate(&receiver.deliver(&delivery("evt_ok", 1)).await, "evt_ok");
        assert_eq!(receiver.runs(), 1);
    }

    #[tokio::test]
    async fn a_handler_error_releases_the_event_for_the_retry() {
        let receiver = Receiver::start(FirstRun::Fail).await;
        let first = delivery("evt_fail", 0);
        let reply = receiver.deliver(&first).await;
        assert_eq!(reply.status, 500, "{}", reply.text);
        // PolyAI retries a 500: the retry is processed, not refused as a replay.
        let reply = receiver.deliver(&first).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_fail on run 1")
        );
        assert_duplicate(
            &receiver.deliver(&delivery("evt_fail", 1)).await,
            "evt_fail",
        );
        assert_eq!(receiver.runs(), 2);
    }

    #[tokio::test]
    async fn a_handler_panic_releases_the_event_for_the_retry() {
        let receiver = Receiver::start(FirstRun::Panic).await;
        let first = delivery("evt_panic", 0);
        // The panic kills the connection's task: PolyAI sees a network error and retries.
        let outcome = receiver.post("/hooks", &first, None).await;
        assert!(
            outcome.as_ref().map_or(true, |reply| reply.status >= 500),
            "the panicking handler's request did not fail"
        );
        let reply = receiver.deliver(&delivery("evt_panic", 1)).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_panic on run 1")
        );
        assert_eq!(receiver.runs(), 2);
    }

    #[tokio::test]
    async fn a_cancelled_handler_releases_the_event_for_the_retry() {
        let receiver = Receiver::start(FirstRun::Hang).await;
        let first = delivery("evt_slow", 0);
        // PolyAI gives up on a slow receiver (its timeout) and closes the connection, which
        // drops the handler's future.
        let outcome = receiver
            .post("/hooks", &first, Some(Duration::from_millis(300)))
            .await;
        assert!(
            outcome.as_ref().is_err_and(reqwest::Error::is_timeout),
            "the hanging handler answered"
        );
        tokio::time::timeout(Duration::from_secs(20), receiver.script.dropped.notified())
            .await
            .expect("the server dropped the cancelled handler");
        let reply = receiver.deliver(&first).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_slow on run 1")
        );
        assert_eq!(receiver.runs(), 2);
    }

    #[tokio::test]
    async fn a_duplicate_while_in_flight_gets_a_status_polyai_retries() {
        let receiver = Arc::new(Receiver::start(FirstRun::WaitForSignal).await);
        let first = delivery("evt_busy", 0);
        let in_progress = tokio::spawn({
            let (receiver, first) = (receiver.clone(), first.clone());
            async move { receiver.deliver(&first).await }
        });
        receiver.script.started.notified().await;
        for concurrent in [first.clone(), delivery("evt_busy", 1)] {
            let reply = receiver.deliver(&concurrent).await;
            assert_eq!(reply.status, 503, "{}", reply.text);
            assert_eq!(reply.retry_after.as_deref(), Some("60"));
            let json: serde_json::Value = serde_json::from_str(&reply.text).unwrap();
            assert_eq!(json["error"], "in_flight", "{}", reply.text);
        }
        receiver.script.proceed.notify_one();
        let reply = in_progress.await.unwrap();
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_busy on run 0")
        );
        assert_duplicate(
            &receiver.deliver(&delivery("evt_busy", 2)).await,
            "evt_busy",
        );
        assert_eq!(receiver.runs(), 1);
    }

    #[tokio::test]
    async fn a_missing_commit_layer_is_refused_with_a_retryable_500_that_loses_nothing() {
        let receiver = Receiver::start(FirstRun::Succeed).await;
        let first = delivery("evt_layer", 0);
        let reply = receiver.post("/no-layer", &first, None).await.unwrap();
        assert_eq!(reply.status, 500, "{}", reply.text);
        let json: serde_json::Value = serde_json::from_str(&reply.text).unwrap();
        assert_eq!(json["error"], "missing_commit_layer");
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.contains("commit_on_success")),
            "{}",
            reply.text
        );
        assert_eq!(receiver.runs(), 0, "the handler did not run");
        // The event was released: once the route is fixed, PolyAI's retry is processed.
        let reply = receiver.deliver(&first).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "processed evt_layer on run 0")
        );

        // Without a replay guard nothing needs committing, and no layer is needed.
        let plain = Router::new()
            .route(
                "/plain",
                post(
                    |webhook: VerifiedWebhook| async move { webhook.event_id.unwrap_or_default() },
                ),
            )
            .with_state(Verifier::new(SECRET).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/plain", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, plain).await });
        let (headers, body) = delivery("evt_plain", 0);
        let mut request = receiver.http.post(&url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "evt_plain");
        server.abort();
    }
}
