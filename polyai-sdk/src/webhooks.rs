//! Webhook signature verification: framework-neutral, no network.
//!
//! PolyAI signs each delivery with HMAC-SHA256 under the endpoint's secret, over
//! `"{timestamp}.{raw body}"`, and sends:
//!
//! | header | value |
//! |---|---|
//! | `X-PolyAI-Timestamp` | Unix time in seconds |
//! | `X-PolyAI-Signature` | the signature, lowercase hex |
//! | `X-PolyAI-Event-ID` | the event id, stable across retried deliveries |
//!
//! A [`Verifier`] checks the signature in constant time against one or more secrets (so a
//! receiver keeps working while it rotates a secret), rejects timestamps more than five
//! minutes away from its clock in either direction, optionally rejects replays of an event
//! id, and parses the body into a typed [`WebhookEvent`]. Always verify the raw body bytes as
//! received: a body re-serialised from parsed JSON will not match.
//!
//! ```
//! use polyai_sdk::webhooks::{self, Verifier, WebhookEvent};
//!
//! let secret = "whsec_example";
//! let body = br#"{"event_type":"alerts.triggered","alert":{"id":"ar_1","name":"Containment drop"}}"#;
//! let now = std::time::SystemTime::now();
//! let timestamp = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//!
//! // What PolyAI sends (use `sign` to test your own handlers).
//! let headers = webhooks::signed_headers(secret, timestamp, "evt_1", body);
//!
//! let verifier = Verifier::new(secret);
//! match verifier.verify_event(&headers, body) {
//!     Ok(WebhookEvent::AlertTriggered(event)) => assert_eq!(event.alert.id.as_deref(), Some("ar_1")),
//!     Ok(other) => panic!("unexpected event {other:?}"),
//!     Err(error) => panic!("rejected: {error}"),
//! }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

#[cfg(feature = "axum")]
mod axum_extractor;
#[cfg(feature = "axum")]
pub use axum_extractor::{VerifiedWebhook, WebhookRejection};

/// The header carrying the delivery's Unix timestamp (seconds).
pub const TIMESTAMP_HEADER: &str = "x-polyai-timestamp";
/// The header carrying the lowercase hex HMAC-SHA256 signature.
pub const SIGNATURE_HEADER: &str = "x-polyai-signature";
/// The header carrying the event id.
pub const EVENT_ID_HEADER: &str = "x-polyai-event-id";
/// How far a delivery's timestamp may be from the receiver's clock, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is absent.
    #[error(
        "webhook header {0} is missing: is the request from PolyAI, and does your proxy forward it?"
    )]
    MissingHeader(&'static str),
    /// A header is not valid text.
    #[error("webhook header {0} is not valid text")]
    InvalidHeader(&'static str),
    /// `X-PolyAI-Timestamp` is not a whole number of seconds.
    #[error("webhook timestamp {0:?} is not a Unix time in seconds")]
    MalformedTimestamp(String),
    /// The delivery is older than the tolerance window: a replay, or a badly delayed delivery.
    #[error(
        "webhook timestamp is {age_secs}s old, more than the {tolerance_secs}s allowed; check the receiver's clock"
    )]
    TimestampTooOld {
        /// How old it is.
        age_secs: u64,
        /// The window.
        tolerance_secs: u64,
    },
    /// The delivery claims a time too far in the future.
    #[error(
        "webhook timestamp is {ahead_secs}s in the future, more than the {tolerance_secs}s allowed; check the receiver's clock"
    )]
    TimestampInFuture {
        /// How far ahead it is.
        ahead_secs: u64,
        /// The window.
        tolerance_secs: u64,
    },
    /// `X-PolyAI-Signature` is not 64 hexadecimal digits.
    #[error("webhook signature is malformed: {0}")]
    MalformedSignature(&'static str),
    /// The signature does not match the body under any configured secret.
    #[error(
        "webhook signature does not match under any configured secret: wrong secret, or the body was changed (verify the raw bytes)"
    )]
    SignatureMismatch,
    /// The event id was already accepted: a duplicate or replayed delivery.
    #[error("webhook event {event_id} was already received")]
    Replayed {
        /// The event id.
        event_id: String,
    },
    /// The body is authentic but is not a JSON event.
    #[error("webhook body is not a valid event: {0}")]
    InvalidPayload(String),
    /// The verifier was built without any secret.
    #[error("no webhook secret configured")]
    NoSecrets,
}

/// Read access to request headers by case-insensitive name, so the verifier works with any
/// framework. Implemented for `http::HeaderMap`, maps and lists of name/value pairs.
pub trait WebhookHeaders {
    /// The value of the header `name` (given in lower case), if present and text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<S: std::hash::BuildHasher> WebhookHeaders for HashMap<String, String, S> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl WebhookHeaders for BTreeMap<String, String> {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl<T: WebhookHeaders + ?Sized> WebhookHeaders for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// A source of the current time; inject one in tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F: Fn() -> SystemTime + Send + Sync> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// Remembers event ids to reject a delivery seen before.
pub trait ReplayGuard: Send + Sync {
    /// Records `event_id` as seen at `now`; returns `false` if it had been seen already.
    fn check_and_record(&self, event_id: &str, now: SystemTime) -> bool;
}

impl<T: ReplayGuard + ?Sized> ReplayGuard for Arc<T> {
    fn check_and_record(&self, event_id: &str, now: SystemTime) -> bool {
        (**self).check_and_record(event_id, now)
    }
}

/// An in-memory [`ReplayGuard`] whose entries expire after a time to live, so memory stays
/// bounded by the delivery rate. For several receiver processes, implement [`ReplayGuard`]
/// over a shared store instead.
pub struct InMemoryReplayGuard {
    ttl: Duration,
    state: Mutex<ReplayState>,
}

struct ReplayState {
    seen: HashMap<String, SystemTime>,
    last_purge: SystemTime,
}

impl InMemoryReplayGuard {
    /// A guard remembering ids for twice the default tolerance (10 minutes): a replay older
    /// than that is already refused by the timestamp check.
    pub fn new() -> Self {
        Self::with_ttl(DEFAULT_TOLERANCE * 2)
    }

    /// A guard remembering ids for `ttl`.
    pub fn with_ttl(ttl: Duration) -> Self {
        InMemoryReplayGuard {
            ttl,
            state: Mutex::new(ReplayState {
                seen: HashMap::new(),
                last_purge: UNIX_EPOCH,
            }),
        }
    }

    /// How many ids are remembered now.
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.seen.len()).unwrap_or(0)
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for InMemoryReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for InMemoryReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryReplayGuard")
            .field("ttl", &self.ttl)
            .field("entries", &self.len())
            .finish()
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn check_and_record(&self, event_id: &str, now: SystemTime) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        let ttl = self.ttl;
        let expired = |at: &SystemTime| now.duration_since(*at).is_ok_and(|age| age > ttl);
        // Purge at most a few times per TTL so each call stays cheap.
        if now
            .duration_since(state.last_purge)
            .is_ok_and(|since| since > ttl / 4)
        {
            state.seen.retain(|_, at| !expired(at));
            state.last_purge = now;
        }
        match state.seen.get(event_id) {
            Some(at) if !expired(at) => false,
            _ => {
                state.seen.insert(event_id.to_string(), now);
                true
            }
        }
    }
}

/// Verifies PolyAI webhook deliveries. Cheap to clone; secrets are never shown by `Debug`.
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<[HmacSha256]>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
    replay: Option<Arc<dyn ReplayGuard>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &format_args!("[{} redacted]", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .field("replay_guard", &self.replay.is_some())
            .finish()
    }
}

/// The facts of a delivery that passed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDelivery {
    /// `X-PolyAI-Event-ID`, when sent.
    pub event_id: Option<String>,
    /// `X-PolyAI-Timestamp`.
    pub timestamp: i64,
}

fn key(secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    HmacSha256::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

impl Verifier {
    /// A verifier for one endpoint secret (its UTF-8 bytes are the HMAC key).
    pub fn new(secret: impl AsRef<str>) -> Verifier {
        Verifier {
            keys: Arc::from([key(secret.as_ref())]),
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
            replay: None,
        }
    }

    /// A verifier accepting a signature made with any of `secrets`, for rotation: configure
    /// the old and the new secret, rotate, then drop the old one.
    pub fn with_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Verifier, WebhookError> {
        let keys: Vec<HmacSha256> = secrets.into_iter().map(|s| key(s.as_ref())).collect();
        if keys.is_empty() {
            return Err(WebhookError::NoSecrets);
        }
        Ok(Verifier {
            keys: Arc::from(keys),
            ..Verifier::new("")
        })
    }

    /// How far the timestamp may be from the clock, either way (default 300 s).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The clock to check timestamps against (default: the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Rejects a second delivery of the same event id (and requires `X-PolyAI-Event-ID`).
    pub fn replay_guard(mut self, guard: impl ReplayGuard + 'static) -> Self {
        self.replay = Some(Arc::new(guard));
        self
    }

    /// Checks the signature and timestamp of a delivery (and its event id, with a replay
    /// guard). `body` must be the raw bytes as received.
    pub fn verify(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
    ) -> Result<VerifiedDelivery, WebhookError> {
        let now = self.clock.now();
        let timestamp_text = required(headers, TIMESTAMP_HEADER)?;
        let signature_text = required(headers, SIGNATURE_HEADER)?;
        let event_id = headers
            .header(EVENT_ID_HEADER)
            .map(str::trim)
            .filter(|id| !id.is_empty());

        let timestamp = parse_timestamp(timestamp_text)?;
        self.check_window(timestamp, now)?;
        let signature = decode_signature(signature_text)?;
        let matched = self.keys.iter().any(|key| {
            let mut mac = key.clone();
            mac.update(timestamp_text.trim().as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.verify_slice(&signature).is_ok()
        });
        if !matched {
            return Err(WebhookError::SignatureMismatch);
        }
        if let Some(guard) = &self.replay {
            let id = event_id.ok_or(WebhookError::MissingHeader(EVENT_ID_HEADER))?;
            if !guard.check_and_record(id, now) {
                return Err(WebhookError::Replayed {
                    event_id: id.to_string(),
                });
            }
        }
        Ok(VerifiedDelivery {
            event_id: event_id.map(str::to_owned),
            timestamp,
        })
    }

    /// Verifies a delivery and parses its body into a [`WebhookEvent`].
    pub fn verify_event(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let delivery = self.verify(headers, body)?;
        parse_event(body, delivery.event_id)
    }

    fn check_window(&self, timestamp: i64, now: SystemTime) -> Result<(), WebhookError> {
        let now_secs = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let tolerance = self.tolerance.as_secs();
        let difference = i128::from(now_secs) - i128::from(timestamp);
        let magnitude = u64::try_from(difference.unsigned_abs()).unwrap_or(u64::MAX);
        if magnitude <= tolerance {
            Ok(())
        } else if difference > 0 {
            Err(WebhookError::TimestampTooOld {
                age_secs: magnitude,
                tolerance_secs: tolerance,
            })
        } else {
            Err(WebhookError::TimestampInFuture {
                ahead_secs: magnitude,
                tolerance_secs: tolerance,
            })
        }
    }
}

fn required<'a>(
    headers: &'a (impl WebhookHeaders + ?Sized),
    name: &'static str,
) -> Result<&'a str, WebhookError> {
    headers
        .header(name)
        .ok_or(WebhookError::MissingHeader(name))
}

fn parse_timestamp(text: &str) -> Result<i64, WebhookError> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebhookError::MalformedTimestamp(
            text.chars().take(40).collect(),
        ));
    }
    trimmed
        .parse()
        .map_err(|_| WebhookError::MalformedTimestamp(text.chars().take(40).collect()))
}

fn decode_signature(text: &str) -> Result<[u8; 32], WebhookError> {
    let hex = text.trim().as_bytes();
    if hex.len() != 64 {
        return Err(WebhookError::MalformedSignature(
            "expected 64 hexadecimal digits",
        ));
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let high = hex_value(pair[0]).ok_or(WebhookError::MalformedSignature("not hexadecimal"))?;
        let low = hex_value(pair[1]).ok_or(WebhookError::MalformedSignature("not hexadecimal"))?;
        *byte = high << 4 | low;
    }
    Ok(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The signature PolyAI would send for `body` at `timestamp` under `secret`: lowercase hex
/// HMAC-SHA256 of `"{timestamp}.{body}"`. For testing your own handlers.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = key(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

/// The three headers of a signed delivery, as PolyAI would send them.
pub fn signed_headers(
    secret: &str,
    timestamp: i64,
    event_id: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, sign(secret, timestamp, body)),
        (EVENT_ID_HEADER, event_id.to_string()),
    ]
}

/// A verified webhook event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `alerts.triggered`: an alert rule's condition became true.
    AlertTriggered(AlertEvent),
    /// `alerts.resolved`: an alert rule's condition is no longer true.
    AlertResolved(AlertEvent),
    /// An event type this version of the SDK does not know yet.
    Unknown {
        /// The `event_type` as sent.
        event_type: String,
        /// The event id header, when sent.
        event_id: Option<String>,
        /// The whole body.
        payload: serde_json::Value,
    },
}

impl WebhookEvent {
    /// The event type as sent (`alerts.triggered`, ...).
    pub fn event_type(&self) -> &str {
        match self {
            WebhookEvent::AlertTriggered(_) => "alerts.triggered",
            WebhookEvent::AlertResolved(_) => "alerts.resolved",
            WebhookEvent::Unknown { event_type, .. } => event_type,
        }
    }
}

/// An alert event's payload.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AlertEvent {
    /// The event id header, when sent.
    pub event_id: Option<String>,
    /// The alert.
    pub alert: Alert,
    /// The whole body, for fields this version does not model.
    pub raw: serde_json::Value,
}

/// The alert an event is about. Every field is optional: PolyAI publishes no schema for it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Alert {
    /// Alert rule id (`ar_...`).
    pub id: Option<String>,
    /// Rule name.
    pub name: Option<String>,
    /// Project the rule watches.
    pub project_id: Option<String>,
    /// The metric watched.
    pub metric: Option<String>,
    /// The comparison (`>`, `>=`, `<`, ...).
    pub operator: Option<String>,
    /// The threshold.
    #[serde(default, deserialize_with = "lenient_number")]
    pub threshold_value: Option<f64>,
    /// The metric's value when the event fired.
    #[serde(default, deserialize_with = "lenient_number")]
    pub current_value: Option<f64>,
    /// The alert's state before this event (`ok`, `alert`, ...).
    pub previous_state: Option<String>,
    /// When it triggered (RFC 3339), on `alerts.triggered`.
    pub triggered_at: Option<String>,
    /// When it resolved (RFC 3339), on `alerts.resolved`.
    pub resolved_at: Option<String>,
}

/// Accepts a number, a numeric string or null.
fn lenient_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f64>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Parses a (verified) body into a [`WebhookEvent`]. `event_id` is the `X-PolyAI-Event-ID`
/// header, if any.
pub fn parse_event(body: &[u8], event_id: Option<String>) -> Result<WebhookEvent, WebhookError> {
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
    let Some(object) = payload.as_object() else {
        return Err(WebhookError::InvalidPayload(
            "the body is JSON but not an object".to_string(),
        ));
    };
    let event_type = object
        .get("event_type")
        .or_else(|| object.get("type"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| WebhookError::InvalidPayload("no event_type".to_string()))?
        .to_string();
    let alert = || -> Result<AlertEvent, WebhookError> {
        let alert = match object.get("alert") {
            Some(value) if !value.is_null() => Alert::deserialize(value)
                .map_err(|e| WebhookError::InvalidPayload(format!("alert: {e}")))?,
            _ => Alert::default(),
        };
        Ok(AlertEvent {
            event_id: event_id.clone(),
            alert,
            raw: payload.clone(),
        })
    };
    Ok(match event_type.as_str() {
        "alerts.triggered" => WebhookEvent::AlertTriggered(alert()?),
        "alerts.resolved" => WebhookEvent::AlertResolved(alert()?),
        _ => WebhookEvent::Unknown {
            event_type,
            event_id,
            payload,
        },
    })
}
