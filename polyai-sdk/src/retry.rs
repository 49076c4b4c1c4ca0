//! Retry policy: capped exponential backoff with full jitter, honouring `Retry-After`.
//!
//! The client retries a request when the connection fails, when it times out, or when PolyAI
//! answers 408, 429, 500, 502, 503 or 504, up to [`RetryPolicy::max_attempts`] attempts and
//! [`RetryPolicy::max_total_delay`] of waiting in all.
//!
//! Only operations that are safe to repeat are retried after the request may have reached
//! the server: every `GET`, `PUT` and `DELETE`, and the note upsert (`POST .../note` replaces
//! the note, so sending it twice leaves the same state). Operations with side effects — sending
//! a debug-chat message, adding annotations, creating resources — are retried only when the
//! connection could not be established at all (the request provably never left), unless the
//! caller opts in with [`RetryPolicy::retry_non_idempotent`].
//!
//! The policy is set on the client ([`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy))
//! and can be overridden for the calls made inside one future with [`with_retry_policy`]:
//!
//! ```
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! use polyai_sdk::retry::{with_retry_policy, RetryPolicy};
//! // This one call is not retried at all.
//! let page = with_retry_policy(RetryPolicy::disabled(), async {
//!     client.data().list_agent_conversations().agent_id("my-agent").send().await
//! })
//! .await;
//! # let _ = page; Ok(()) }
//! ```

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// When and how often to retry a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_delay: Duration,
    max_retry_after: Duration,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 200 ms doubling up to 10 s (full jitter), at most 30 s of
    /// waiting in all, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy (see [`Default`]).
    pub fn standard() -> Self {
        Self::default()
    }

    /// A policy that never retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Total attempts, the first included (`1` disables retries). At least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry; each later retry doubles it, up to `max_backoff`.
    /// The actual wait is drawn uniformly between zero and that bound ("full jitter").
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff bound between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The most time spent waiting between attempts, summed over one call. A retry whose wait
    /// would pass it is not made.
    pub fn max_total_delay(mut self, delay: Duration) -> Self {
        self.max_total_delay = delay;
        self
    }

    /// The longest `Retry-After` honoured; a longer one is clamped to this.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Also retry operations that are not safe to repeat (debug-chat messages, annotations,
    /// creations) after the request may have reached the server. Off by default: turn it on
    /// only where a duplicate is harmless to you.
    pub fn retry_non_idempotent(mut self, allow: bool) -> Self {
        self.retry_non_idempotent = allow;
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn allows_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    pub(crate) fn total_delay_budget(&self) -> Duration {
        self.max_total_delay
    }

    /// The wait before retry number `retry` (1 for the first retry): `Retry-After` when the
    /// server gave one (clamped), otherwise full-jitter backoff.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exponent = retry.saturating_sub(1).min(30);
        let bound = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        jitter(bound)
    }
}

/// A uniformly random duration in `[0, bound]`, from the standard library's per-process random
/// keys (no extra crate, not for cryptography).
fn jitter(bound: Duration) -> Duration {
    let nanos = bound.as_nanos().min(u128::from(u64::MAX)) as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % (nanos + 1))
}

/// A random number from the standard library's per-process random hash keys.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

/// Parses `Retry-After` in either form (delay in seconds, or an HTTP date), relative to `now`.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

tokio::task_local! {
    static OVERRIDE: RetryPolicy;
}

/// Runs `future` with `policy` in place of the client's retry policy for every call it makes.
pub async fn with_retry_policy<F: Future>(policy: RetryPolicy, future: F) -> F::Output {
    OVERRIDE.scope(policy, future).await
}

/// The policy in force for the current task: an override, or the client's.
pub(crate) fn effective(client_policy: &RetryPolicy) -> RetryPolicy {
    OVERRIDE
        .try_with(Clone::clone)
        .unwrap_or_else(|_| client_policy.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(
            parse_retry_after(&headers, now),
            Some(Duration::from_secs(42))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(42));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&past).unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(400));
        for retry in 1..40 {
            let wait = policy.delay(retry, None);
            let bound = Duration::from_millis(100 * (1u64 << (retry - 1).min(2)));
            assert!(wait <= bound, "retry {retry}: {wait:?} > {bound:?}");
        }
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
