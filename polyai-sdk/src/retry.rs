//! Retry policy: capped exponential backoff with full jitter, honouring `Retry-After`, and a
//! client-wide retry budget.
//!
//! The client retries a request when the connection fails, when it times out, or when PolyAI
//! answers 408, 429, 500, 502, 503 or 504, up to [`RetryPolicy::max_attempts`] attempts and
//! [`RetryPolicy::max_total_delay`] of waiting in all.
//!
//! # `Retry-After`
//!
//! When the server says how long to wait (`Retry-After`, in seconds or as an HTTP date), the
//! client never retries sooner than that: the wait is exactly what the server asked, not
//! shortened and not replaced by the backoff. If waiting that long would take the call's total
//! waiting past [`RetryPolicy::max_total_delay`] (or past [`RetryPolicy::max_retry_after`],
//! when set), the client does not wait at all: the call fails at once with the server's answer,
//! for a 429 [`Error::RateLimited`](crate::Error::RateLimited) whose `retry_after` is the wait
//! the server asked for and whose message says that it exceeds what the policy allows. The wait
//! is also available as [`Error::retry_after`](crate::Error::retry_after) for other statuses
//! (a 503 with `Retry-After`), so a caller can schedule the work for later.
//!
//! # Which operations are retried
//!
//! Only operations that are safe to repeat are retried after the request may have reached
//! the server: every `GET`, `PUT` and `DELETE`, and the note upsert (`POST .../note` replaces
//! the note, so sending it twice leaves the same state). Operations with side effects — sending
//! a debug-chat message, adding annotations, creating resources — are retried only when the
//! connection could not be established at all (the request provably never left), unless the
//! caller opts in with [`RetryPolicy::retry_non_idempotent`].
//!
//! # The client-wide retry budget
//!
//! Per-call limits alone let an outage multiply the load: with three attempts, a thousand
//! calls failing together become three thousand requests against a service that is already
//! struggling. So every [`Client`](crate::Client) also holds a [`RetryBudget`], a bucket of
//! tokens shared by all its API families and all its clones. Each retry must first take tokens
//! from it (5 after an error status, 10 after a timeout or a broken connection, which are more
//! likely to mean the service is down); when the bucket cannot pay, the retry is not made and
//! the call fails with the error it had. Every call that succeeds without a retry puts one
//! token back, and a retry that succeeds puts back what it took, up to the capacity (500).
//!
//! The budget is on by default. It changes nothing for ordinary transient failures: a retry
//! that succeeds costs nothing in the end, and a full bucket pays for a hundred failed retries
//! after error statuses (fifty after timeouts) with no success in between. It only bites when
//! retries keep failing — roughly more than one failed retry for every five calls that
//! succeed, for long enough to empty the bucket — which is when retrying stops helping the
//! caller and starts adding to the load on a service that is down. Then the extra load is
//! bounded by the capacity (at most 100 retries beyond the first attempts until calls succeed
//! again), not a multiple of the traffic: measured in the fault suite, 200 concurrent calls
//! of three attempts against a server answering 503 send 600 requests without the budget and
//! 300 with it. The cost is one atomic read per call while the bucket is full. Turn it off with
//! [`ClientBuilder::retry_budget`](crate::ClientBuilder::retry_budget) and
//! [`RetryBudget::disabled`] if you throttle calls yourself.
//!
//! # Setting the policy
//!
//! The policy is set on the client ([`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy))
//! and can be overridden for the calls made inside one future with [`with_retry_policy`]
//! (the client's retry budget still applies to them):
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

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// When and how often to retry a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_delay: Duration,
    max_retry_after: Option<Duration>,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 200 ms doubling up to 10 s (full jitter), at most 30 s of
    /// waiting in all. A `Retry-After` is waited for in full when it fits in those 30 s;
    /// a longer one makes the call fail at once (see the [module docs](self)).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(30),
            max_retry_after: None,
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
    /// The actual wait is drawn uniformly between zero and that bound ("full jitter"). Not
    /// used when the server sends `Retry-After`.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff bound between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The most time spent waiting between attempts, summed over one call (default 30 s). A
    /// retry whose wait would pass it is not made: the call fails with the last error. This
    /// includes a `Retry-After` from the server, which is never shortened to fit: when it is
    /// longer than what is left, the call fails at once and the error carries the wait
    /// ([`Error::retry_after`](crate::Error::retry_after)).
    pub fn max_total_delay(mut self, delay: Duration) -> Self {
        self.max_total_delay = delay;
        self
    }

    /// The longest single `Retry-After` the client waits for (by default only
    /// [`max_total_delay`](Self::max_total_delay) limits it). A server asking for longer is
    /// not retried early: the call fails at once with the server's answer, whose
    /// [`Error::retry_after`](crate::Error::retry_after) says how long it asked to wait. Use it
    /// to keep a generous waiting budget for backoff while refusing to sleep through long
    /// rate-limit windows.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = Some(delay);
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

    /// The wait before retry number `retry` (1 for the first retry), when `waited` was already
    /// spent waiting in this call: the server's `Retry-After` when it gave one, otherwise
    /// full-jitter backoff. `Err` when that wait does not fit in the policy's limits, with the
    /// reason to record when it was the server's `Retry-After` that did not fit.
    pub(crate) fn next_wait(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        waited: Duration,
    ) -> Result<Duration, Option<NotRetried>> {
        let left = self.max_total_delay.saturating_sub(waited);
        let Some(asked) = retry_after else {
            let wait = self.backoff(retry);
            return if wait <= left { Ok(wait) } else { Err(None) };
        };
        let (allowed, limit) = match self.max_retry_after {
            Some(cap) if cap < left => (cap, "RetryPolicy::max_retry_after"),
            _ => (left, "RetryPolicy::max_total_delay"),
        };
        if asked <= allowed {
            Ok(asked)
        } else {
            Err(Some(NotRetried::WaitTooLong {
                asked,
                allowed,
                limit,
            }))
        }
    }

    /// The full-jitter backoff before retry number `retry`.
    fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let bound = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        jitter(bound)
    }
}

/// A client-wide allowance of retries, shared by every API family and every clone of one
/// [`Client`](crate::Client): a bucket of tokens that each retry must pay into before it is
/// made, refilled by successful calls. See the [module docs](self) for why it exists and why
/// it is on by default.
///
/// ```
/// use polyai_sdk::retry::RetryBudget;
/// # fn demo() -> Result<(), polyai_sdk::Error> {
/// // Half the default allowance: at most 50 retries of error statuses in a row.
/// let client = polyai_sdk::Client::builder()
///     .api_key("my-key")
///     .region(polyai_sdk::Region::Us)
///     .retry_budget(RetryBudget::standard().capacity(250))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryBudget {
    enabled: bool,
    capacity: u32,
    retry_cost: u32,
    transport_retry_cost: u32,
    refill_per_success: u32,
}

impl Default for RetryBudget {
    /// 500 tokens, full at first; a retry after an error status costs 5, a retry after a
    /// timeout or a broken connection costs 10; a call that succeeds without retrying puts 1
    /// back, a retry that succeeds puts back what it cost.
    fn default() -> Self {
        RetryBudget {
            enabled: true,
            capacity: 500,
            retry_cost: 5,
            transport_retry_cost: 10,
            refill_per_success: 1,
        }
    }
}

impl RetryBudget {
    /// The default budget (see [`Default`]).
    pub fn standard() -> Self {
        Self::default()
    }

    /// No client-wide limit: every retry the [`RetryPolicy`] allows is made, however many
    /// calls are failing at once.
    pub fn disabled() -> Self {
        RetryBudget {
            enabled: false,
            ..Self::default()
        }
    }

    /// The most tokens the bucket holds, and what it starts with (default 500).
    pub fn capacity(mut self, tokens: u32) -> Self {
        self.capacity = tokens;
        self
    }

    /// What a retry after an error status (408, 429, 5xx) costs (default 5).
    pub fn retry_cost(mut self, tokens: u32) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// What a retry after a timeout or a failed or broken connection costs (default 10).
    pub fn transport_retry_cost(mut self, tokens: u32) -> Self {
        self.transport_retry_cost = tokens;
        self
    }

    /// What a call that succeeds at its first attempt puts back (default 1).
    pub fn refill_per_success(mut self, tokens: u32) -> Self {
        self.refill_per_success = tokens;
        self
    }

    /// Whether the budget limits retries at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

/// The live bucket of a [`RetryBudget`], held once per client in the transport settings.
#[derive(Debug)]
pub(crate) struct RetryBucket {
    budget: RetryBudget,
    tokens: AtomicU32,
}

impl RetryBucket {
    /// A full bucket.
    pub(crate) fn new(budget: RetryBudget) -> Self {
        RetryBucket {
            tokens: AtomicU32::new(budget.capacity),
            budget,
        }
    }

    /// What a retry costs: after a failed transfer (`transport`) or after an error status.
    pub(crate) fn cost(&self, transport: bool) -> u32 {
        if transport {
            self.budget.transport_retry_cost
        } else {
            self.budget.retry_cost
        }
    }

    /// Takes `cost` tokens for one retry; `false` (and nothing taken) when there are not
    /// enough. Always `true` for a disabled budget.
    pub(crate) fn try_take(&self, cost: u32) -> bool {
        !self.budget.enabled
            || self
                .tokens
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
                .is_ok()
    }

    /// Records a successful call: puts back `retry_cost` when it took a retry that cost that
    /// much, otherwise the refill for a success at the first attempt; never past the capacity.
    pub(crate) fn on_success(&self, retry_cost: Option<u32>) {
        let amount = retry_cost.unwrap_or(self.budget.refill_per_success);
        let capacity = self.budget.capacity;
        // In the steady state the bucket is full: a plain load, no write to a shared line.
        if !self.budget.enabled || amount == 0 || self.tokens.load(Ordering::Relaxed) >= capacity {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |t| {
                (t < capacity).then(|| t.saturating_add(amount).min(capacity))
            });
    }

    /// The tokens left.
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }
}

/// Why a call that the server said could be retried was not: recorded on the response so that
/// the error built from it can say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotRetried {
    /// The server asked to wait longer than the policy allows.
    WaitTooLong {
        /// The server's `Retry-After`.
        asked: Duration,
        /// The most the policy still allowed.
        allowed: Duration,
        /// The policy setting that set `allowed`.
        limit: &'static str,
    },
    /// The client-wide retry budget could not pay for the retry.
    BudgetExhausted,
}

impl fmt::Display for NotRetried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRetried::WaitTooLong {
                asked,
                allowed,
                limit,
            } => write!(
                f,
                "not retried: the server asked to wait {}, longer than the {} of waiting the \
                 retry policy allows ({limit}); retry after that wait, or raise the limit",
                Wait(*asked),
                Wait(*allowed)
            ),
            NotRetried::BudgetExhausted => f.write_str(
                "not retried: the client's retry budget is used up because many calls are \
                 failing; it refills as calls succeed (see RetryBudget)",
            ),
        }
    }
}

/// A wait, for messages: `7 s`, `7.5 s`, or `250 ms` below a second.
pub(crate) struct Wait(pub(crate) Duration);

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.subsec_nanos() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else if self.0 < Duration::from_secs(1) {
            write!(f, "{} ms", self.0.as_millis())
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
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
            let wait = policy.next_wait(retry, None, Duration::ZERO).unwrap();
            let bound = Duration::from_millis(100 * (1u64 << (retry - 1).min(2)));
            assert!(wait <= bound, "retry {retry}: {wait:?} > {bound:?}");
        }
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn retry_after_is_waited_in_full_or_not_at_all() {
        let policy = RetryPolicy::default();
        let secs = Duration::from_secs;
        // Within the 30 s budget: exactly what the server asked, whatever the backoff says.
        assert_eq!(
            policy.next_wait(1, Some(secs(2)), Duration::ZERO),
            Ok(secs(2))
        );
        assert_eq!(
            policy.next_wait(2, Some(secs(30)), Duration::ZERO),
            Ok(secs(30))
        );
        assert_eq!(
            policy.next_wait(1, Some(Duration::ZERO), secs(29)),
            Ok(Duration::ZERO)
        );
        // Longer than what is left of the budget: no retry, never a shortened wait.
        assert_eq!(
            policy.next_wait(1, Some(secs(120)), Duration::ZERO),
            Err(Some(NotRetried::WaitTooLong {
                asked: secs(120),
                allowed: secs(30),
                limit: "RetryPolicy::max_total_delay",
            }))
        );
        assert!(matches!(
            policy.next_wait(2, Some(secs(10)), secs(25)),
            Err(Some(NotRetried::WaitTooLong { allowed, .. })) if allowed == secs(5)
        ));
        // A huge value cannot overflow the arithmetic.
        assert!(policy.next_wait(1, Some(Duration::MAX), secs(29)).is_err());
        // The per-wait cap gives up too, and names itself.
        let capped = RetryPolicy::default().max_retry_after(secs(5));
        assert_eq!(
            capped.next_wait(1, Some(secs(5)), Duration::ZERO),
            Ok(secs(5))
        );
        assert_eq!(
            capped.next_wait(1, Some(secs(6)), Duration::ZERO),
            Err(Some(NotRetried::WaitTooLong {
                asked: secs(6),
                allowed: secs(5),
                limit: "RetryPolicy::max_retry_after",
            }))
        );
        let text = NotRetried::WaitTooLong {
            asked: secs(120),
            allowed: secs(30),
            limit: "RetryPolicy::max_total_delay",
        }
        .to_string();
        assert!(text.contains("120 s") && text.contains("30 s"), "{text}");
        // Backoff that does not fit is refused without a reason to record.
        let slow = RetryPolicy::default()
            .initial_backoff(secs(10))
            .max_backoff(secs(10))
            .max_total_delay(Duration::ZERO);
        // Full jitter may draw zero, which fits; anything else must be refused.
        match slow.next_wait(1, None, Duration::ZERO) {
            Ok(wait) => assert_eq!(wait, Duration::ZERO),
            Err(reason) => assert_eq!(reason, None),
        }
    }

    #[test]
    fn waits_read_well() {
        assert_eq!(Wait(Duration::from_secs(7)).to_string(), "7 s");
        assert_eq!(Wait(Duration::from_millis(7500)).to_string(), "7.5 s");
        assert_eq!(Wait(Duration::from_millis(250)).to_string(), "250 ms");
    }

    #[test]
    fn the_bucket_pays_for_retries_until_empty_and_refills_on_success() {
        let bucket = RetryBucket::new(RetryBudget::standard().capacity(12));
        assert_eq!(bucket.cost(false), 5);
        assert_eq!(bucket.cost(true), 10);
        assert!(bucket.try_take(5));
        assert!(bucket.try_take(5));
        assert!(!bucket.try_take(5), "2 tokens left cannot pay 5");
        assert_eq!(bucket.available(), 2, "a refused retry takes nothing");
        bucket.on_success(None);
        assert_eq!(bucket.available(), 3);
        bucket.on_success(Some(5));
        assert_eq!(
            bucket.available(),
            8,
            "a successful retry gives back its cost"
        );
        bucket.on_success(Some(10));
        assert_eq!(bucket.available(), 12, "never past the capacity");
        bucket.on_success(None);
        assert_eq!(bucket.available(), 12);

        let off = RetryBucket::new(RetryBudget::disabled().capacity(0));
        assert!(
            (0..1000).all(|_| off.try_take(10)),
            "a disabled budget never refuses"
        );
        assert!(!RetryBudget::disabled().is_enabled());
        assert!(RetryBudget::default().is_enabled());
    }
}
