//! Why a webhook delivery was rejected.

/// Why a webhook delivery was rejected.
///
/// Each variant says what was wrong and what to do about it. None carries a secret: the
/// messages quote at most the (public) header names, a short prefix of a malformed timestamp,
/// the event id and the JSON parser's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is absent. The field is the header's name, in lower case.
    #[error(
        "the webhook header {0} is missing: the request did not come from PolyAI, or a proxy in \
         front of this receiver dropped the header"
    )]
    MissingHeader(&'static str),
    /// A header is present but its value is not valid text (not visible ASCII or UTF-8).
    #[error(
        "the webhook header {0} is not valid text: the request did not come from PolyAI or was \
         altered on the way"
    )]
    InvalidHeader(&'static str),
    /// `X-PolyAI-Timestamp` is not a whole number of seconds since the Unix epoch. The field
    /// holds (at most the first 40 characters of) the value received.
    #[error(
        "the webhook timestamp {0:?} is not a Unix time in whole seconds: the request did not \
         come from PolyAI or was altered on the way"
    )]
    MalformedTimestamp(String),
    /// The delivery's timestamp is further in the past than the tolerance window allows: a
    /// replayed delivery, or a receiver whose clock is fast.
    #[error(
        "the webhook timestamp is {age_secs}s old, more than the {tolerance_secs}s allowed: this \
         is a replayed delivery, or this receiver's clock is wrong (synchronise it with NTP)"
    )]
    TimestampTooOld {
        /// How many seconds before the receiver's clock the timestamp is.
        age_secs: u64,
        /// The tolerance window, in seconds.
        tolerance_secs: u64,
    },
    /// The delivery's timestamp is further in the future than the tolerance window allows: a
    /// forged delivery, or a receiver whose clock is slow.
    #[error(
        "the webhook timestamp is {ahead_secs}s in the future, more than the {tolerance_secs}s \
         allowed: this receiver's clock is wrong (synchronise it with NTP), or the request is \
         forged"
    )]
    TimestampInFuture {
        /// How many seconds after the receiver's clock the timestamp is.
        ahead_secs: u64,
        /// The tolerance window, in seconds.
        tolerance_secs: u64,
    },
    /// `X-PolyAI-Signature` is not 64 hexadecimal digits (for example it has a `sha256=`
    /// prefix, the wrong length, or non-hex characters). The field says which.
    #[error(
        "the webhook signature is malformed ({0}): PolyAI sends exactly 64 hexadecimal digits, \
         so the request did not come from PolyAI or was altered on the way"
    )]
    MalformedSignature(&'static str),
    /// The signature is well formed but does not match the timestamp and body under any
    /// configured secret.
    #[error(
        "the webhook signature does not match under any configured secret: check that the \
         verifier has the endpoint's current signing secret (after a rotation, configure the new \
         one) and that you verify the raw body bytes as received, not re-serialised JSON"
    )]
    SignatureMismatch,
    /// The delivery is authentic but its event was already processed (same event id, or the
    /// same signed delivery under another event id): a retry whose acknowledgement PolyAI did
    /// not get, or a replay. Acknowledge it with a 2xx status, so PolyAI stops retrying, and do
    /// not process it again.
    #[error(
        "webhook event {event_id} was already processed: this is a duplicate or replayed \
         delivery; acknowledge it with a 2xx status and do not process it again"
    )]
    Duplicate {
        /// The `X-PolyAI-Event-ID` of the duplicate delivery.
        event_id: String,
    },
    /// The delivery is authentic but another delivery of the same event (or the same signed
    /// delivery under another event id) is being processed right now and has not finished.
    /// Answer with a status PolyAI retries (503 with `Retry-After`, or 429), not with 401 or
    /// 409, which PolyAI does not retry: if the other delivery fails, the retry is processed.
    #[error(
        "webhook event {event_id} is being processed by another request that has not finished: \
         answer with a status PolyAI retries (503 or 429) and do not process it now"
    )]
    InFlight {
        /// The `X-PolyAI-Event-ID` of the delivery that was turned away.
        event_id: String,
    },
    /// The delivery is authentic but its body is not a PolyAI event (not JSON, not an object,
    /// no `event_type`, or an `alert` that is not an object). The field is the parser's message.
    #[error(
        "the webhook body is authentic but is not a valid PolyAI event ({0}); if PolyAI changed \
         its event format, update polyai-sdk"
    )]
    InvalidPayload(String),
    /// A verifier was requested without any secret.
    #[error(
        "no webhook signing secret was given: pass at least one secret to Verifier::with_secrets"
    )]
    NoSecrets,
    /// A signing secret is empty or only whitespace, often an unset environment variable read
    /// with `unwrap_or_default()`. HMAC accepts an empty key, so such a verifier would accept
    /// deliveries signed by anyone who guesses it; it is refused instead.
    #[error(
        "a webhook signing secret is empty or blank (an unset environment variable?): pass the \
         endpoint's signing secret exactly as PolyAI returned it when the endpoint was created \
         or its secret rotated"
    )]
    EmptySecret,
    /// The replay guard forgets deliveries sooner than twice the verifier's tolerance window,
    /// so a captured delivery could be replayed successfully after the guard forgot it and
    /// before its timestamp goes stale.
    #[error(
        "the replay guard remembers deliveries for {ttl_secs}s, less than twice the verifier's \
         {tolerance_secs}s tolerance: give the guard a time to live of at least {}s, or lower \
         the tolerance",
        tolerance_secs.saturating_mul(2)
    )]
    ReplayWindowTooShort {
        /// How long the guard remembers a delivery, in seconds.
        ttl_secs: u64,
        /// The verifier's tolerance window, in seconds.
        tolerance_secs: u64,
    },
}

impl WebhookError {
    /// A short, stable, machine-readable name for the error (`missing_header`,
    /// `signature_mismatch`, ...), for metrics and response bodies.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader(_) => "missing_header",
            WebhookError::InvalidHeader(_) => "invalid_header",
            WebhookError::MalformedTimestamp(_) => "malformed_timestamp",
            WebhookError::TimestampTooOld { .. } => "timestamp_too_old",
            WebhookError::TimestampInFuture { .. } => "timestamp_in_future",
            WebhookError::MalformedSignature(_) => "malformed_signature",
            WebhookError::SignatureMismatch => "signature_mismatch",
            WebhookError::Duplicate { .. } => "duplicate",
            WebhookError::InFlight { .. } => "in_flight",
            WebhookError::InvalidPayload(_) => "invalid_payload",
            WebhookError::NoSecrets => "no_secrets",
            WebhookError::EmptySecret => "empty_secret",
            WebhookError::ReplayWindowTooShort { .. } => "replay_window_too_short",
        }
    }

    /// Whether the delivery failed authentication (stale or future timestamp, wrong signature)
    /// rather than being malformed. An HTTP receiver answers these with 401 and the malformed
    /// ones with 400. A duplicate or in-flight delivery is correctly signed, so it is not an
    /// authentication failure.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            WebhookError::TimestampTooOld { .. }
                | WebhookError::TimestampInFuture { .. }
                | WebhookError::SignatureMismatch
        )
    }

    /// Whether the error is about the verifier's own configuration (no secret, an empty
    /// secret, a replay guard that forgets too soon) rather than about a delivery.
    pub fn is_configuration_error(&self) -> bool {
        matches!(
            self,
            WebhookError::NoSecrets
                | WebhookError::EmptySecret
                | WebhookError::ReplayWindowTooShort { .. }
        )
    }
}
