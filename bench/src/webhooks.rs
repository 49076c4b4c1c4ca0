//! Webhook verification: many signed deliveries of about 600 bytes, verified in memory.
//!
//! Ours: `Verifier::verify` on the delivery's `http::HeaderMap` and raw body (header lookup,
//! timestamp parsing, tolerance window against the system clock, hex decoding, HMAC, constant
//! time comparison). Baseline: only the unavoidable core, given the timestamp and signature
//! already extracted as text: hex-decode the signature, run HMAC-SHA256 from a pre-keyed
//! state over `timestamp.body`, and compare in constant time (`verify_slice`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use polyai_sdk::webhooks::{Verifier, signed_headers};

use crate::BenchResult;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A secret of the shape PolyAI issues (the value itself is made up).
const SECRET: &str = "whsec_benchmark0123456789abcdefghijklmnopqrstuv";

/// How many distinct deliveries to cycle through (enough to defeat any caching effect).
const DISTINCT: usize = 1_000;

struct Delivery {
    headers: HeaderMap,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// An alert event padded to about `size` bytes, different for every `n`.
fn body(n: usize, size: usize) -> Vec<u8> {
    let mut text = format!(
        r#"{{"id":"evt_{n:08}","type":"alerts.triggered","created_at":"2026-11-23T10:00:00Z","data":{{"alert_id":"ar_{n:08x}","rule_name":"Containment rate below target","project_id":"PROJECT-BENCH01","metric":"containment_rate","operator":"<","threshold":0.65,"value":0.612,"window_minutes":60,"note":""#
    );
    while text.len() + 4 < size {
        text.push(char::from(b'a' + (text.len() % 26) as u8));
    }
    text.push_str(r#""}}"#);
    text.into_bytes()
}

fn deliveries(size: usize, now: i64) -> BenchResult<Vec<Delivery>> {
    (0..DISTINCT)
        .map(|n| {
            let body = body(n, size);
            let pairs = signed_headers(SECRET, now, &format!("evt_{n:08}"), &body);
            let mut headers = HeaderMap::new();
            for (name, value) in &pairs {
                headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value)?);
            }
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            headers.insert(
                "user-agent",
                HeaderValue::from_static("PolyAI-Webhooks/1.0"),
            );
            Ok(Delivery {
                headers,
                timestamp: pairs[0].1.clone(),
                signature: pairs[1].1.clone(),
                body,
            })
        })
        .collect()
}

/// The baseline's hex decoding: 64 digits into 32 bytes, no validation beyond the digits.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (digit(bytes[2 * i])? << 4) | digit(bytes[2 * i + 1])?;
    }
    Some(out)
}

fn baseline(keyed: &HmacSha256, deliveries: &[Delivery], count: usize) -> BenchResult<Duration> {
    let started = Instant::now();
    for i in 0..count {
        let d = &deliveries[i % deliveries.len()];
        let signature = decode_hex(&d.signature).ok_or("bad signature hex")?;
        let mut mac = keyed.clone();
        mac.update(d.timestamp.as_bytes());
        mac.update(b".");
        mac.update(std::hint::black_box(&d.body));
        if mac.verify_slice(&signature).is_err() {
            return Err("baseline rejected a valid delivery".into());
        }
    }
    Ok(started.elapsed())
}

fn ours(verifier: &Verifier, deliveries: &[Delivery], count: usize) -> BenchResult<Duration> {
    let started = Instant::now();
    for i in 0..count {
        let d = &deliveries[i % deliveries.len()];
        let verified = verifier.verify(&d.headers, std::hint::black_box(&d.body))?;
        std::hint::black_box(verified);
    }
    Ok(started.elapsed())
}

/// Runs the scenario (no server involved).
pub fn run(args: &crate::Args) -> BenchResult<Value> {
    let count: usize = args.number("deliveries", 100_000)?;
    let size: usize = args.number("body-bytes", 600)?;
    let (reps, warmup) = args.repetitions(5)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let deliveries = deliveries(size, now)?;
    let keyed = HmacSha256::new_from_slice(SECRET.as_bytes())?;
    let verifier = Verifier::new(SECRET)?;

    for _ in 0..warmup {
        baseline(&keyed, &deliveries, count)?;
        ours(&verifier, &deliveries, count)?;
    }
    let (mut base, mut mine) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        if rep % 2 == 0 {
            base.push(baseline(&keyed, &deliveries, count)?);
            mine.push(ours(&verifier, &deliveries, count)?);
        } else {
            mine.push(ours(&verifier, &deliveries, count)?);
            base.push(baseline(&keyed, &deliveries, count)?);
        }
    }
    let seconds = |runs: &[Duration]| runs.iter().map(Duration::as_secs_f64).collect::<Vec<_>>();
    let mean_body = deliveries.iter().map(|d| d.body.len()).sum::<usize>() / deliveries.len();
    Ok(json!({
        "units": count,
        "body_bytes": mean_body,
        "baseline": { "seconds": seconds(&base) },
        "ours": { "seconds": seconds(&mine) },
    }))
}
