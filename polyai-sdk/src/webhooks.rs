//! Webhook signature verification: framework-neutral, no network.
//!
//! PolyAI signs each webhook delivery with HMAC-SHA256, keyed with the endpoint's signing
//! secret (its UTF-8 bytes as-is), over the bytes `"{timestamp}.{raw body}"`, and sends:
//!
//! | header | value |
//! |---|---|
//! | `X-PolyAI-Timestamp` | Unix time in seconds, as a decimal string |
//! | `X-PolyAI-Signature` | the signature, 64 lower-case hex digits |
//! | `X-PolyAI-Event-ID` | the event's id, the same on every retry of that event |
//!
//! A [`Verifier`] checks a delivery:
//!
//! - the signature, in constant time, against one or more secrets (configure the old and the
//!   new secret while you rotate: PolyAI's rotation invalidates the old one at once);
//! - the timestamp, which must be within a tolerance window of the receiver's clock in either
//!   direction (300 s by default; the clock can be injected for tests);
//! - optionally, with a [`ReplayGuard`], that the event is neither being processed nor was
//!   processed before, reserving it until you [`commit`](VerifiedDelivery::commit) the
//!   delivery once it was processed (dropping it uncommitted lets PolyAI's retry through);
//!
//! and then parses the body into a typed [`WebhookEvent`]. Always verify the **raw body bytes
//! as received**: a body parsed and re-serialised will not match. Every failure is a distinct
//! [`WebhookError`]. [`sign`] and [`signed_headers`] produce what PolyAI sends, to test your
//! own handlers. With the `axum` feature, the `VerifiedWebhook` extractor does all of this
//! before an axum handler runs, and [`commit_on_success`] commits when the handler answers
//! with a 2xx status.
//!
//! A secret that is empty or blank is refused ([`WebhookError::EmptySecret`]), so a
//! receiver whose secret variable is unset fails at start-up instead of accepting forgeries.
//!
//! # Events beyond alerts
//!
//! PolyAI's published documents define two event types, `alerts.triggered` and
//! `alerts.resolved` ([`WebhookEvent::AlertTriggered`], [`WebhookEvent::AlertResolved`]). Its
//! prose also mentions webhooks for conversation and handoff events, but publishes neither
//! their names nor their payloads, so the SDK does not type them: any other `event_type`
//! arrives as [`WebhookEvent::Unknown`], verified like the rest, with its `event_type`, the
//! body as JSON (`payload`), and the raw bytes kept for the handler ([`VerifiedEvent::body`];
//! `VerifiedWebhook::body` with the axum extractor). Decode them with your own type, and
//! acknowledge (2xx) the types you do not handle so PolyAI does not retry them. The event
//! name and fields below are an illustration, not a documented shape; to try a receiver
//! against such events, have `polyai-mock` deliver any body signed with an endpoint's secret.
//!
//! ```
//! use polyai_sdk::webhooks::{self, Verifier, WebhookError, WebhookEvent};
//!
//! #[derive(serde::Deserialize)]
//! struct ConversationEnded {
//!     conversation_id: String,
//! }
//!
//! # fn main() -> Result<(), WebhookError> {
//! # let now = std::time::SystemTime::now()
//! #     .duration_since(std::time::UNIX_EPOCH)
//! #     .unwrap()
//! #     .as_secs() as i64;
//! let body = br#"{"event_type":"conversation.ended","conversation_id":"CA0123","extra":1.50}"#;
//! # let headers = webhooks::signed_headers("whsec_example", now, "evt_2", body);
//! let verifier = Verifier::new("whsec_example")?;
//! let verified = verifier.verify_event(&headers, body)?;
//! match &verified.event {
//!     WebhookEvent::AlertTriggered(_) | WebhookEvent::AlertResolved(_) => { /* typed */ }
//!     WebhookEvent::Unknown { event_type, .. } if event_type == "conversation.ended" => {
//!         // The verified bytes, exactly as PolyAI sent them (`1.50` is still `1.50`).
//!         assert_eq!(&verified.body[..], &body[..]);
//!         let ended: ConversationEnded = serde_json::from_slice(&verified.body)
//!             .map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
//!         assert_eq!(ended.conversation_id, "CA0123");
//!     }
//!     _ => { /* not handled here: answer 2xx anyway */ }
//! }
//! # Ok(()) }
//! ```
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! use polyai_sdk::webhooks::{self, InMemoryReplayGuard, Verifier, WebhookError, WebhookEvent};
//!
//! # fn main() -> Result<(), WebhookError> {
//! let secret = "whsec_example";
//! let body = br#"{"event_type":"alerts.triggered","alert":{"id":"ar_1","metric":"api_errors","current_value":37}}"#;
//!
//! // What PolyAI would send at 2025-11-23T08:00:00Z.
//! let timestamp = 1_763_884_800;
//! let headers = webhooks::signed_headers(secret, timestamp, "evt_1", body);
//! assert_eq!(headers[1].1, webhooks::sign(secret, timestamp, body));
//!
//! // The receiver, its clock 30 s later. In production leave the system clock in place and
//! // pass the framework's header map (e.g. `&http::HeaderMap`) and the raw body bytes.
//! let verifier = Verifier::new(secret)?
//!     .clock(|| UNIX_EPOCH + Duration::from_secs(1_763_884_830))
//!     .replay_guard(InMemoryReplayGuard::new())?;
//! let mut verified = verifier.verify_event(&headers, body)?;
//! assert_eq!(verified.delivery.event_id.as_deref(), Some("evt_1"));
//! match &verified.event {
//!     WebhookEvent::AlertTriggered(event) => {
//!         assert_eq!(event.alert.id.as_deref(), Some("ar_1"));
//!         assert_eq!(event.alert.current_value, Some(37.0));
//!     }
//!     _ => { /* an event this receiver does not handle: acknowledge it */ }
//! }
//!
//! // A tampered body is refused. While the event is being processed a second delivery of it
//! // is `InFlight` (answer with a status PolyAI retries); once the delivery is committed,
//! // it is a `Duplicate` (acknowledge it without processing it again).
//! let tampered = br#"{"event_type":"alerts.resolved","alert":{"id":"ar_1"}}"#;
//! assert_eq!(verifier.verify(&headers, tampered), Err(WebhookError::SignatureMismatch));
//! assert!(matches!(verifier.verify(&headers, body), Err(WebhookError::InFlight { .. })));
//! verified.delivery.commit();
//! assert!(matches!(verifier.verify(&headers, body), Err(WebhookError::Duplicate { .. })));
//!
//! // An unset secret is refused up front.
//! assert_eq!(Verifier::new("").unwrap_err(), WebhookError::EmptySecret);
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[cfg(feature = "axum")]
mod axum_extractor;
mod error;
mod event;
mod headers;
mod replay;

#[cfg(feature = "axum")]
pub use axum_extractor::{VerifiedWebhook, WebhookRejection, commit_on_success};
pub use error::WebhookError;
pub use event::{Alert, AlertEvent, WebhookEvent};
pub use headers::WebhookHeaders;
pub use replay::{
    DEFAULT_CAPACITY, DEFAULT_RESERVATION_TTL, InMemoryReplayGuard, ReplayGuard, Reservation,
};

/// The name of the header carrying the delivery's Unix timestamp in seconds (`X-PolyAI-Timestamp`).
pub const TIMESTAMP_HEADER: &str = "x-polyai-timestamp";
/// The name of the header carrying the hex HMAC-SHA256 signature (`X-PolyAI-Signature`).
pub const SIGNATURE_HEADER: &str = "x-polyai-signature";
/// The name of the header carrying the event id (`X-PolyAI-Event-ID`).
pub const EVENT_ID_HEADER: &str = "x-polyai-event-id";
/// How far a delivery's timestamp may be from the receiver's clock, in either direction, by
/// default: 300 s, as PolyAI documents.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

/// The length of an HMAC-SHA256 tag in bytes.
const SIGNATURE_LEN: usize = 32;

/// A source of the current time for timestamp checks. The verifier uses [`SystemClock`]
/// unless told otherwise; tests inject a fixed time, for example with a closure
/// `|| UNIX_EPOCH + Duration::from_secs(1_763_884_800)`.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock, [`SystemTime::now`].
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

/// Verifies PolyAI webhook deliveries.
///
/// Build one at start-up and share it: it is cheap to clone (the keyed HMAC states, clock and
/// replay guard are behind `Arc`s) and `Send + Sync`. Its `Debug` output shows how many
/// secrets it holds, never the secrets.
#[derive(Clone)]
pub struct Verifier {
    /// One HMAC state per secret, keyed once; cloned per verification.
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
            .finish_non_exhaustive()
    }
}

/// What a verified delivery's headers said and, with a replay guard, the delivery's
/// reservation in it.
///
/// With a replay guard, call [`commit`](VerifiedDelivery::commit) once the delivery was
/// processed, before answering PolyAI with a 2xx status. Dropping it uncommitted (the handler
/// returned an error, panicked, was cancelled or timed out) releases the reservation, so
/// PolyAI's retry of the event is processed. A clone carries the headers' values but not the
/// reservation; equality compares the values only.
#[non_exhaustive]
pub struct VerifiedDelivery {
    /// `X-PolyAI-Event-ID`, when sent (always, with a replay guard).
    pub event_id: Option<String>,
    /// `X-PolyAI-Timestamp`, in Unix seconds.
    pub timestamp: i64,
    signature: [u8; SIGNATURE_LEN],
    reservation: Option<Reserved>,
}

impl VerifiedDelivery {
    /// Tells the replay guard that the delivery was processed: from now on, for the guard's
    /// time to live, another delivery of the event (PolyAI's retry, or a replay) gives
    /// [`WebhookError::Duplicate`]. Without a replay guard, or when already committed (or on a
    /// clone), this does nothing.
    pub fn commit(&mut self) {
        if let Some(mut reservation) = self.reservation.take() {
            reservation.commit();
        }
    }

    /// Whether this value holds a reservation that [`commit`](VerifiedDelivery::commit) would
    /// record: true after verification with a replay guard, until committed.
    pub fn is_reserved(&self) -> bool {
        self.reservation.is_some()
    }

    #[cfg(feature = "axum")]
    fn take_reservation(&mut self) -> Option<Reserved> {
        self.reservation.take()
    }
}

impl Clone for VerifiedDelivery {
    fn clone(&self) -> Self {
        VerifiedDelivery {
            event_id: self.event_id.clone(),
            timestamp: self.timestamp,
            signature: self.signature,
            reservation: None,
        }
    }
}

impl PartialEq for VerifiedDelivery {
    fn eq(&self, other: &Self) -> bool {
        (&self.event_id, self.timestamp, &self.signature)
            == (&other.event_id, other.timestamp, &other.signature)
    }
}

impl Eq for VerifiedDelivery {}

impl fmt::Debug for VerifiedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedDelivery")
            .field("event_id", &self.event_id)
            .field("timestamp", &self.timestamp)
            .field("reserved", &self.reservation.is_some())
            .finish_non_exhaustive()
    }
}

/// A delivery's two keys, reserved in the replay guard: committed by
/// [`Reserved::commit`], released when dropped otherwise.
struct Reserved {
    guard: Arc<dyn ReplayGuard>,
    signature_key: String,
    event_id: String,
    /// The verification time, which the committed keys' time to live counts from.
    at: SystemTime,
    committed: bool,
}

impl Reserved {
    fn commit(&mut self) {
        if !self.committed {
            self.committed = true;
            self.guard.commit(&self.signature_key, self.at);
            self.guard.commit(&self.event_id, self.at);
        }
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if !self.committed {
            self.guard.release(&self.signature_key);
            self.guard.release(&self.event_id);
        }
    }
}

/// A verified delivery and the event parsed from its body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VerifiedEvent {
    /// What the delivery's headers said.
    pub delivery: VerifiedDelivery,
    /// The event.
    pub event: WebhookEvent,
    /// The raw body exactly as verified, for events this version does not type
    /// ([`WebhookEvent::Unknown`]) or fields it does not model: parse it with your own types.
    pub body: bytes::Bytes,
}

impl Verifier {
    /// A verifier for one endpoint signing secret, as PolyAI returned it when the endpoint was
    /// created or its secret rotated. Fails with [`WebhookError::EmptySecret`] if the secret is
    /// empty or only whitespace (typically an unset environment variable): HMAC would accept
    /// an empty key, and anyone could sign deliveries with it.
    pub fn new(secret: impl AsRef<str>) -> Result<Verifier, WebhookError> {
        Verifier::with_secrets([secret])
    }

    /// A verifier that accepts a signature made with any of `secrets`, so a receiver keeps
    /// working across a rotation: add the new secret, rotate, then drop the old one. Fails
    /// with [`WebhookError::NoSecrets`] if `secrets` is empty and with
    /// [`WebhookError::EmptySecret`] if any of them is empty or only whitespace.
    pub fn with_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Verifier, WebhookError> {
        let keys = secrets
            .into_iter()
            .map(|secret| {
                let secret = secret.as_ref();
                if secret.trim().is_empty() {
                    Err(WebhookError::EmptySecret)
                } else {
                    Ok(keyed(secret))
                }
            })
            .collect::<Result<Arc<[HmacSha256]>, WebhookError>>()?;
        if keys.is_empty() {
            return Err(WebhookError::NoSecrets);
        }
        Ok(Verifier {
            keys,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
            replay: None,
        })
    }

    /// Sets how far a delivery's timestamp may be from the clock, in either direction
    /// (default [`DEFAULT_TOLERANCE`], 300 s). Whole seconds count; a difference of exactly
    /// the tolerance is accepted. Fails with [`WebhookError::ReplayWindowTooShort`] if a
    /// replay guard is configured that forgets deliveries sooner than twice `tolerance`.
    pub fn tolerance(mut self, tolerance: Duration) -> Result<Verifier, WebhookError> {
        self.tolerance = tolerance;
        if let Some(guard) = &self.replay {
            check_replay_window(&**guard, tolerance)?;
        }
        Ok(self)
    }

    /// Sets the clock timestamps are checked against (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Verifier {
        self.clock = Arc::new(clock);
        self
    }

    /// Processes each event once, remembering deliveries in `guard` (see [`ReplayGuard`] for
    /// what is remembered and for how the reservation of a delivery works). With a guard,
    /// deliveries without `X-PolyAI-Event-ID` are refused. Pass an `Arc` to keep a handle on
    /// the guard.
    ///
    /// Fails with [`WebhookError::ReplayWindowTooShort`] if the guard says it remembers
    /// deliveries for less than twice the tolerance (set a longer tolerance before the guard):
    /// a captured delivery would pass the timestamp check after the guard forgot it.
    pub fn replay_guard(
        mut self,
        guard: impl ReplayGuard + 'static,
    ) -> Result<Verifier, WebhookError> {
        check_replay_window(&guard, self.tolerance)?;
        self.replay = Some(Arc::new(guard));
        Ok(self)
    }

    /// Verifies a delivery's signature and timestamp (and, with a replay guard, that its
    /// event is neither in flight nor processed, reserving it) against the configured clock. `headers` is the request's headers, `body` the raw
    /// body bytes exactly as received.
    pub fn verify(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
    ) -> Result<VerifiedDelivery, WebhookError> {
        self.verify_at(headers, body, self.clock.now())
    }

    /// [`verify`](Verifier::verify) at the time `now` instead of the configured clock.
    pub fn verify_at(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedDelivery, WebhookError> {
        let timestamp_text = required(headers, TIMESTAMP_HEADER)?;
        let signature_text = required(headers, SIGNATURE_HEADER)?;
        let event_id = if self.replay.is_some() {
            Some(required(headers, EVENT_ID_HEADER)?)
        } else {
            headers.header(EVENT_ID_HEADER)
        }
        .map(str::trim)
        .filter(|id| !id.is_empty());
        if self.replay.is_some() && event_id.is_none() {
            return Err(WebhookError::MissingHeader(EVENT_ID_HEADER));
        }

        let timestamp = parse_timestamp(timestamp_text)?;
        let signature = decode_signature(signature_text)?;
        self.check_window(timestamp, now)?;

        // The message is fed in pieces: no allocation. `verify_slice` compares in constant
        // time. `any` stops at the first secret that matches, which reveals only which
        // configured secret signed, not anything about the expected signature.
        let timestamp_bytes = timestamp_text.trim().as_bytes();
        let matched = self.keys.iter().any(|key| {
            let mut mac = key.clone();
            mac.update(timestamp_bytes);
            mac.update(b".");
            mac.update(body);
            mac.verify_slice(&signature).is_ok()
        });
        if !matched {
            return Err(WebhookError::SignatureMismatch);
        }

        let reservation = match (&self.replay, event_id) {
            (Some(guard), Some(id)) => Some(reserve(guard, &signature, id, now)?),
            _ => None,
        };
        Ok(VerifiedDelivery {
            event_id: event_id.map(str::to_owned),
            timestamp,
            signature,
            reservation,
        })
    }

    /// Verifies a delivery like [`verify`](Verifier::verify), then parses its body into a
    /// [`WebhookEvent`]. A body that is authentic but not an event gives
    /// [`WebhookError::InvalidPayload`].
    pub fn verify_event(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
    ) -> Result<VerifiedEvent, WebhookError> {
        self.verify_event_at(headers, body, self.clock.now())
    }

    /// [`verify_event`](Verifier::verify_event) at the time `now` instead of the configured
    /// clock.
    pub fn verify_event_at(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedEvent, WebhookError> {
        let delivery = self.verify_at(headers, body, now)?;
        let event = WebhookEvent::parse(body)?;
        Ok(VerifiedEvent {
            delivery,
            event,
            body: bytes::Bytes::copy_from_slice(body),
        })
    }

    fn check_window(&self, timestamp: i64, now: SystemTime) -> Result<(), WebhookError> {
        let now_secs: i128 = match now.duration_since(UNIX_EPOCH) {
            Ok(since) => i128::from(since.as_secs()),
            Err(before) => -i128::from(before.duration().as_secs()),
        };
        let tolerance_secs = self.tolerance.as_secs();
        let age = now_secs - i128::from(timestamp);
        let distance = u64::try_from(age.unsigned_abs()).unwrap_or(u64::MAX);
        if distance <= tolerance_secs {
            Ok(())
        } else if age > 0 {
            Err(WebhookError::TimestampTooOld {
                age_secs: distance,
                tolerance_secs,
            })
        } else {
            Err(WebhookError::TimestampInFuture {
                ahead_secs: distance,
                tolerance_secs,
            })
        }
    }
}

/// Reserves a verified delivery's keys in `guard`: the signature first, so a captured
/// delivery replayed under a new event id never reserves (or commits) that id, then the event
/// id, which PolyAI keeps across retries.
fn reserve(
    guard: &Arc<dyn ReplayGuard>,
    signature: &[u8; SIGNATURE_LEN],
    event_id: &str,
    now: SystemTime,
) -> Result<Reserved, WebhookError> {
    let signature_key = signature_key(signature);
    match guard.reserve(&signature_key, now) {
        Reservation::New => {}
        Reservation::InFlight => {
            return Err(WebhookError::InFlight {
                event_id: event_id.to_owned(),
            });
        }
        Reservation::Committed => {
            return Err(WebhookError::Duplicate {
                event_id: event_id.to_owned(),
            });
        }
    }
    match guard.reserve(event_id, now) {
        Reservation::New => Ok(Reserved {
            guard: guard.clone(),
            signature_key,
            event_id: event_id.to_owned(),
            at: now,
            committed: false,
        }),
        Reservation::InFlight => {
            // PolyAI's retry while the first delivery is still being processed: free this
            // signature so the retry can come again, and say so with a retryable status.
            guard.release(&signature_key);
            Err(WebhookError::InFlight {
                event_id: event_id.to_owned(),
            })
        }
        Reservation::Committed => {
            // A retry (or a replay) of a processed event: its signature is now a duplicate
            // too, so it cannot be replayed under another event id.
            guard.commit(&signature_key, now);
            Err(WebhookError::Duplicate {
                event_id: event_id.to_owned(),
            })
        }
    }
}

/// Refuses a guard that forgets deliveries before a captured one goes stale.
fn check_replay_window(guard: &dyn ReplayGuard, tolerance: Duration) -> Result<(), WebhookError> {
    match guard.ttl() {
        Some(ttl) if ttl < tolerance.saturating_mul(2) => Err(WebhookError::ReplayWindowTooShort {
            ttl_secs: ttl.as_secs(),
            tolerance_secs: tolerance.as_secs(),
        }),
        Some(_) => Ok(()),
        None => {
            tracing::debug!(
                "the webhook replay guard does not say how long it remembers deliveries; keep \
                 them for at least twice the tolerance ({}s)",
                tolerance.saturating_mul(2).as_secs()
            );
            Ok(())
        }
    }
}

/// An HMAC-SHA256 state keyed with `secret`'s UTF-8 bytes.
fn keyed(secret: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so this never fails; fall back to an empty key rather
    // than panic should that ever change.
    HmacSha256::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

fn required<'h>(
    headers: &'h (impl WebhookHeaders + ?Sized),
    name: &'static str,
) -> Result<&'h str, WebhookError> {
    match headers.header(name) {
        Some(value) => Ok(value),
        None if headers.has_header(name) => Err(WebhookError::InvalidHeader(name)),
        None => Err(WebhookError::MissingHeader(name)),
    }
}

/// Parses a decimal Unix timestamp: optional `-`, then 1 to 18 ASCII digits (no `+`, spaces
/// inside, fractions or exponents).
fn parse_timestamp(text: &str) -> Result<i64, WebhookError> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let malformed = || WebhookError::MalformedTimestamp(text.chars().take(40).collect());
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    trimmed.parse().map_err(|_| malformed())
}

/// Decodes 64 hex digits (either case) into the 32 signature bytes, on the stack.
fn decode_signature(text: &str) -> Result<[u8; SIGNATURE_LEN], WebhookError> {
    let hex = text.trim().as_bytes();
    if hex.len() != 2 * SIGNATURE_LEN {
        return Err(WebhookError::MalformedSignature(
            "expected 64 hexadecimal digits, got another length",
        ));
    }
    let mut signature = [0u8; SIGNATURE_LEN];
    // Table lookups, with one check for the whole signature instead of a branch per digit.
    let mut invalid = 0u8;
    let (pairs, _) = hex.as_chunks::<2>();
    for (byte, &[high, low]) in signature.iter_mut().zip(pairs) {
        let (high, low) = (HEX_VALUES[usize::from(high)], HEX_VALUES[usize::from(low)]);
        invalid |= (high | low) & NOT_HEX;
        *byte = (high << 4) | (low & 0x0f);
    }
    if invalid != 0 {
        return Err(WebhookError::MalformedSignature("not hexadecimal"));
    }
    Ok(signature)
}

/// Marks a byte that is not a hexadecimal digit in [`HEX_VALUES`].
const NOT_HEX: u8 = 0x80;

/// The value of every byte read as a hexadecimal digit, or [`NOT_HEX`].
static HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn encode_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// The replay-guard key of a delivery's signature: `sig:` and its lower-case hex, so an
/// upper-case re-encoding of a captured signature is the same key.
fn signature_key(signature: &[u8; SIGNATURE_LEN]) -> String {
    let mut key = String::with_capacity(4 + 2 * SIGNATURE_LEN);
    key.push_str("sig:");
    encode_hex(signature, &mut key);
    key
}

/// The signature PolyAI sends for `body` at `timestamp` under `secret`: the lower-case hex
/// HMAC-SHA256, keyed with the secret's UTF-8 bytes, of `"{timestamp}.{body}"`. For testing
/// your own handlers. An empty secret still gives a signature (HMAC accepts any key), which
/// no [`Verifier`] accepts, since a verifier refuses empty secrets.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let mut signature = String::with_capacity(2 * SIGNATURE_LEN);
    encode_hex(&mac.finalize().into_bytes(), &mut signature);
    signature
}

/// The headers of a delivery as PolyAI sends it: `(name, value)` pairs for
/// [`TIMESTAMP_HEADER`], [`SIGNATURE_HEADER`] (from [`sign`]) and [`EVENT_ID_HEADER`], in that
/// order. The array is itself [`WebhookHeaders`]; add the pairs to a request to test a handler.
pub fn signed_headers(
    secret: &str,
    timestamp: i64,
    event_id: &str,
    body: &[u8],
) -> [(&'static str, String); 3] {
    [
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (SIGNATURE_HEADER, sign(secret, timestamp, body)),
        (EVENT_ID_HEADER, event_id.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event the SDK does not type reaches the handler with the verified bytes as sent,
    /// which parsing into JSON and writing it out again would not give back.
    #[test]
    fn an_unknown_event_keeps_its_raw_body() {
        let body = br#"{"event_type":"handoff.started","z":1,"a":1.50,"handoff":{"to":"+4420"}}"#;
        let headers = signed_headers("whsec_x", 1_763_884_800, "evt_9", body);
        let verified = Verifier::new("whsec_x")
            .unwrap()
            .verify_event_at(
                &headers,
                body,
                UNIX_EPOCH + Duration::from_secs(1_763_884_800),
            )
            .unwrap();
        assert!(matches!(
            &verified.event,
            WebhookEvent::Unknown { event_type, payload }
                if event_type == "handoff.started" && payload["handoff"]["to"] == "+4420"
        ));
        assert_eq!(&verified.body[..], &body[..]);
        assert_ne!(
            serde_json::to_vec(verified.event.payload()).unwrap(),
            body.to_vec(),
            "the parsed payload alone would lose the key order and the number's form"
        );
    }

    /// The table-driven decoder agrees with `char::to_digit(16)` for every byte in either
    /// position of every pair.
    #[test]
    fn signature_decoding_matches_to_digit_for_every_byte() {
        for byte in 0..=255u8 {
            let expected = char::from(byte).to_digit(16).filter(|_| byte.is_ascii());
            for position in [0, 1, 62, 63] {
                let mut text = [b'0'; 64];
                text[position] = byte;
                let Ok(text) = std::str::from_utf8(&text) else {
                    continue; // not text: a header value could not hold it
                };
                let decoded = decode_signature(text);
                match expected {
                    Some(value) if text.trim().len() == 64 => {
                        let decoded = decoded.expect("valid hex decodes");
                        let nibble = if position % 2 == 0 {
                            decoded[position / 2] >> 4
                        } else {
                            decoded[position / 2] & 0x0f
                        };
                        assert_eq!(u32::from(nibble), value, "byte {byte:#04x} at {position}");
                    }
                    _ => assert!(decoded.is_err(), "byte {byte:#04x} at {position}"),
                }
            }
        }
        let mixed = "00FFaA09".repeat(8);
        assert_eq!(
            decode_signature(&mixed).map(|s| s[..4].to_vec()),
            Ok(vec![0x00, 0xff, 0xaa, 0x09])
        );
    }
}
