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
//! # How a retry is decided
//!
//! Each attempt's outcome (the status and headers, or how the transfer failed) goes with the
//! operation's traits (idempotent or not, streamed or JSON; generated from `openapi/` for every
//! operation) and where the call stands (attempt number, time waited, budget left) to one
//! pure classification, which says: retry after this wait, do not retry, or give up now and
//! why. The strategy around it only sleeps, pays the budget and counts. The waits come from a
//! [`Jitter`] source, which can be seeded ([`Jitter::seeded`]) or turned off
//! ([`Jitter::none`]) so that tests see exact delays.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::transport::OperationTraits;

/// When and how often to retry a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_delay: Duration,
    max_retry_after: Option<Duration>,
    retry_non_idempotent: bool,
    jitter: Jitter,
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
            jitter: Jitter::random(),
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

    /// Where the backoff's random part comes from (default [`Jitter::random`]). Tests that
    /// need exact waits use [`Jitter::seeded`] or [`Jitter::none`].
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The jitter source the retry strategy draws from.
    pub(crate) fn jitter_source(&self) -> &Jitter {
        &self.jitter
    }

    /// The wait before retry number `retry` (1 for the first retry), when `waited` was already
    /// spent waiting in this call: the server's `Retry-After` when it gave one, otherwise
    /// full-jitter backoff scaled by `draw` (a uniformly random `u64`, called only then).
    /// `Err` when that wait does not fit in the policy's limits, with the reason to record
    /// when it was the server's `Retry-After` that did not fit.
    pub(crate) fn next_wait(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        waited: Duration,
        draw: impl FnOnce() -> u64,
    ) -> Result<Duration, Option<NotRetried>> {
        let left = self.max_total_delay.saturating_sub(waited);
        let Some(asked) = retry_after else {
            let wait = scale(self.backoff_bound(retry), draw());
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

    /// The bound of the full-jitter backoff before retry number `retry`: the initial backoff
    /// doubled per earlier retry, at most the maximum.
    fn backoff_bound(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff)
    }
}

/// Where the random part of the backoff comes from. A [`RetryPolicy`] waits, before a retry
/// the server gave no `Retry-After` for, a duration drawn from `(0, bound]`, where the bound
/// doubles with each retry ("full jitter": calls that failed together do not retry together).
/// Each draw is a `u64` `d`, and the wait is `bound × (d + 1) / 2⁶⁴`, in whole nanoseconds
/// rounded down.
///
/// ```
/// use std::time::Duration;
/// use polyai_sdk::retry::{Jitter, RetryPolicy};
/// // Waits of exactly 100 ms, 200 ms, 400 ms: handy in tests of your own retry handling.
/// let policy = RetryPolicy::standard()
///     .initial_backoff(Duration::from_millis(100))
///     .jitter(Jitter::none());
/// # let _ = policy;
/// ```
#[derive(Clone, Debug)]
pub struct Jitter {
    kind: JitterKind,
}

#[derive(Clone, Debug)]
enum JitterKind {
    /// Fresh random numbers from the standard library's per-process hash keys.
    Random,
    /// The SplitMix64 sequence of `seed`; `state` is shared by the clones of one policy.
    Seeded { seed: u64, state: Arc<AtomicU64> },
    /// No randomness: every draw is `u64::MAX`, so the wait is the bound itself.
    None,
}

impl Jitter {
    /// Random waits (the default); not for cryptography.
    pub fn random() -> Jitter {
        Jitter {
            kind: JitterKind::Random,
        }
    }

    /// The same waits on every run: the draws are the SplitMix64 sequence started at `seed`,
    /// taken in order by the retries of every call made with this policy (and its clones, the
    /// client's included), so one call's waits are exact and repeatable.
    pub fn seeded(seed: u64) -> Jitter {
        Jitter {
            kind: JitterKind::Seeded {
                seed,
                state: Arc::new(AtomicU64::new(seed)),
            },
        }
    }

    /// No jitter: each wait is the whole backoff bound (`initial_backoff`, then doubled up
    /// to `max_backoff`).
    pub fn none() -> Jitter {
        Jitter {
            kind: JitterKind::None,
        }
    }

    /// The next draw.
    pub(crate) fn draw(&self) -> u64 {
        match &self.kind {
            JitterKind::Random => random_u64(),
            JitterKind::Seeded { state, .. } => {
                splitmix64_mix(state.fetch_add(SPLITMIX64_GAMMA, Ordering::Relaxed))
            }
            JitterKind::None => u64::MAX,
        }
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Jitter::random()
    }
}

/// Two jitter sources are equal when they were made the same way (the same seed for seeded
/// ones), wherever their sequences are.
impl PartialEq for Jitter {
    fn eq(&self, other: &Self) -> bool {
        match (&self.kind, &other.kind) {
            (JitterKind::Random, JitterKind::Random) | (JitterKind::None, JitterKind::None) => true,
            (JitterKind::Seeded { seed: a, .. }, JitterKind::Seeded { seed: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Jitter {}

/// SplitMix64's increment (the odd integer closest to 2⁶⁴ divided by the golden ratio).
const SPLITMIX64_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function of the state before this step's increment.
fn splitmix64_mix(previous: u64) -> u64 {
    let mut z = previous.wrapping_add(SPLITMIX64_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `bound × (draw + 1) / 2⁶⁴`: a draw spread over `(0, bound]`, `u64::MAX` giving `bound`.
fn scale(bound: Duration, draw: u64) -> Duration {
    let nanos = bound.as_nanos().min(u128::from(u64::MAX));
    let scaled = (nanos * (u128::from(draw) + 1)) >> 64;
    Duration::from_nanos(scaled as u64)
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

    /// What a retry after a failed transfer (`transport`) or after an error status costs.
    pub(crate) fn cost_of(&self, transport: bool) -> u32 {
        if transport {
            self.transport_retry_cost
        } else {
            self.retry_cost
        }
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
    #[cfg(test)]
    pub(crate) fn cost(&self, transport: bool) -> u32 {
        self.budget.cost_of(transport)
    }

    /// The budget this bucket was made from.
    pub(crate) fn budget(&self) -> &RetryBudget {
        &self.budget
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

// ------------------------------------------------------------------------------------------
// Classification: what one attempt's outcome calls for. A pure function of its inputs; the
// strategy in `transport.rs` sleeps, pays the budget and counts attempts.

/// One attempt's outcome, as the classifier sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AttemptOutcome<'a> {
    /// The server answered (for a JSON success, with its whole body read).
    Response {
        /// The status.
        status: StatusCode,
        /// The headers (`Retry-After` is read from them).
        headers: &'a HeaderMap,
    },
    /// No complete answer arrived.
    Transport(TransportFailure),
}

/// How an attempt failed without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    /// No connection could be made: not a byte of the request was sent.
    Connect,
    /// The attempt's deadline passed after the request may have been sent.
    Timeout,
    /// The connection broke while sending the request or reading the answer.
    Interrupted,
    /// Anything else (a request that cannot be built, a refused redirect): sending it again
    /// cannot change it.
    Other,
}

impl TransportFailure {
    /// Sorts a `reqwest` error. A connect timeout is a connect failure: nothing was sent.
    pub(crate) fn of(error: &reqwest::Error) -> TransportFailure {
        if error.is_connect() {
            TransportFailure::Connect
        } else if error.is_timeout() {
            TransportFailure::Timeout
        } else if error.is_request() || error.is_body() || error.is_decode() {
            TransportFailure::Interrupted
        } else {
            TransportFailure::Other
        }
    }

    /// A short name for logs: `connect`, `timeout`, `interrupted`, `other`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TransportFailure::Connect => "connect",
            TransportFailure::Timeout => "timeout",
            TransportFailure::Interrupted => "interrupted",
            TransportFailure::Other => "other",
        }
    }
}

/// Where a call stands after an attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttemptState {
    /// The attempt just made, counted from 1.
    pub(crate) number: u32,
    /// The time spent waiting between attempts of this call so far.
    pub(crate) waited: Duration,
    /// Whether the request can be sent again (its body could be copied before sending).
    pub(crate) resendable: bool,
    /// The tokens in the client's retry budget.
    pub(crate) budget_available: u32,
}

/// Why an outcome may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// The server answered 408, 429, 500, 502, 503 or 504.
    Status(StatusCode),
    /// The attempt failed without an answer, in a way a new attempt may not.
    Transport(TransportFailure),
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Status(status) => write!(f, "status {}", status.as_u16()),
            RetryReason::Transport(TransportFailure::Connect) => f.write_str("connect error"),
            RetryReason::Transport(TransportFailure::Timeout) => f.write_str("timed out"),
            RetryReason::Transport(failure) => write!(f, "transfer {}", failure.as_str()),
        }
    }
}

/// Why a retryable outcome is returned without a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The policy's attempts are used up.
    AttemptsUsed,
    /// The request's body is a stream that cannot be sent twice.
    NotResendable,
    /// The backoff drawn does not fit in what is left of the total waiting allowed.
    BackoffTooLong,
    /// A limit the caller should hear about (recorded on the response for the error).
    Refused(NotRetried),
}

impl GiveUp {
    /// What to record on the response, so that the error built from it can say it.
    pub(crate) fn recorded(self) -> Option<NotRetried> {
        match self {
            GiveUp::Refused(why) => Some(why),
            _ => None,
        }
    }
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryAction {
    /// Send the request again after `wait`, paying `cost` tokens from the retry budget.
    RetryAfter {
        /// The time to sleep first.
        wait: Duration,
        /// The tokens the retry takes from the budget.
        cost: u32,
        /// What went wrong.
        reason: RetryReason,
    },
    /// Return the outcome: a success or an answer retrying cannot change, or a failure that
    /// is not safe to repeat because the server may have acted on the request.
    DoNotRetry,
    /// Return the outcome although a retry could help, for this reason.
    FailNow(RetryReason, GiveUp),
}

/// Classifies one attempt: the outcome, the operation's traits, where the call stands, the
/// policy and the budget give the action; `draw` is called for the backoff's random part
/// only when a backoff is computed. `now` dates a `Retry-After` given as an HTTP date.
///
/// The rules, in order:
/// 1. A success or any status but 408, 429, 500, 502, 503, 504: do not retry.
/// 2. A retryable status on an operation that is not idempotent (unless the policy retries
///    those): do not retry; the server answered, so it may have acted.
/// 3. A connect failure: retryable for every operation, nothing was sent. A timeout or a
///    broken transfer: retryable for idempotent operations only. Any other failure: do not
///    retry. Streaming operations are no exception: their outcome is the answer's head, and
///    their body is read by the caller after this, so a cut mid-body is not seen here.
/// 4. Attempts used up, or a body that cannot be resent: fail now.
/// 5. The wait: the server's `Retry-After` exactly (failing now, with the reason recorded,
///    when it exceeds the policy's limits), otherwise full-jitter backoff (failing now when it
///    does not fit in what is left of the total waiting).
/// 6. The budget cannot pay the retry's cost: fail now, with the reason recorded.
pub(crate) fn classify(
    outcome: AttemptOutcome<'_>,
    operation: OperationTraits,
    attempt: AttemptState,
    policy: &RetryPolicy,
    budget: &RetryBudget,
    now: SystemTime,
    draw: impl FnOnce() -> u64,
) -> RetryAction {
    let may_repeat = operation.idempotent || policy.retry_non_idempotent;
    let (reason, retry_after) = match outcome {
        AttemptOutcome::Response { status, headers } => {
            if !crate::error::is_retryable_status(status) || !may_repeat {
                return RetryAction::DoNotRetry;
            }
            (RetryReason::Status(status), parse_retry_after(headers, now))
        }
        AttemptOutcome::Transport(TransportFailure::Connect) => {
            (RetryReason::Transport(TransportFailure::Connect), None)
        }
        AttemptOutcome::Transport(
            failure @ (TransportFailure::Timeout | TransportFailure::Interrupted),
        ) if may_repeat => (RetryReason::Transport(failure), None),
        AttemptOutcome::Transport(_) => return RetryAction::DoNotRetry,
    };
    if attempt.number >= policy.attempts() {
        return RetryAction::FailNow(reason, GiveUp::AttemptsUsed);
    }
    if !attempt.resendable {
        return RetryAction::FailNow(reason, GiveUp::NotResendable);
    }
    let wait = match policy.next_wait(attempt.number, retry_after, attempt.waited, draw) {
        Ok(wait) => wait,
        Err(Some(why)) => return RetryAction::FailNow(reason, GiveUp::Refused(why)),
        Err(None) => return RetryAction::FailNow(reason, GiveUp::BackoffTooLong),
    };
    let cost = budget.cost_of(matches!(reason, RetryReason::Transport(_)));
    if budget.is_enabled() && attempt.budget_available < cost {
        return RetryAction::FailNow(reason, GiveUp::Refused(NotRetried::BudgetExhausted));
    }
    RetryAction::RetryAfter { wait, cost, reason }
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

    /// For waits that come from `Retry-After`, where no draw may be made.
    fn no_draw() -> u64 {
        panic!("a Retry-After wait draws no jitter")
    }

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

    /// SplitMix64's published first outputs for seed 1234567 (from its reference
    /// implementation), which `Jitter::seeded` must reproduce.
    const SPLITMIX64_1234567: [u64; 5] = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ];

    #[test]
    fn seeded_jitter_is_splitmix64_and_shared_by_clones() {
        let jitter = Jitter::seeded(1_234_567);
        let clone = jitter.clone();
        let draws = [
            jitter.draw(),
            clone.draw(),
            jitter.draw(),
            clone.draw(),
            jitter.draw(),
        ];
        assert_eq!(draws, SPLITMIX64_1234567);
        assert_eq!(Jitter::seeded(1_234_567), Jitter::seeded(1_234_567));
        assert_ne!(Jitter::seeded(1), Jitter::seeded(2));
        assert_ne!(Jitter::none(), Jitter::random());
        assert_eq!(Jitter::none().draw(), u64::MAX);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_scales_by_the_draw() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(400));
        let wait = |retry, draw: u64| policy.next_wait(retry, None, Duration::ZERO, || draw);
        let ms = Duration::from_millis;
        // Without jitter (the largest draw) each wait is the bound itself.
        for (retry, bound) in [(1, ms(100)), (2, ms(200)), (3, ms(400)), (4, ms(400))] {
            assert_eq!(wait(retry, u64::MAX), Ok(bound), "retry {retry}");
        }
        assert_eq!(wait(40, u64::MAX), Ok(ms(400)), "no overflow far out");
        // Half the range gives half the bound; the smallest draw gives (almost) nothing.
        assert_eq!(wait(2, u64::MAX / 2), Ok(ms(100)));
        assert_eq!(wait(1, 0), Ok(Duration::ZERO));
        // The seeded draws, exactly: 400 ms × (d + 1) / 2^64, rounded down to the nanosecond.
        let seeded: Vec<_> = SPLITMIX64_1234567
            .iter()
            .map(|&draw| wait(3, draw).unwrap().as_nanos())
            .collect();
        assert_eq!(
            seeded,
            [
                140_031_816,
                69_457_638,
                212_882_921,
                99_603_062,
                355_811_796
            ]
        );
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn retry_after_is_waited_in_full_or_not_at_all() {
        let policy = RetryPolicy::default();
        let secs = Duration::from_secs;
        // Within the 30 s budget: exactly what the server asked, whatever the backoff says.
        assert_eq!(
            policy.next_wait(1, Some(secs(2)), Duration::ZERO, no_draw),
            Ok(secs(2))
        );
        assert_eq!(
            policy.next_wait(2, Some(secs(30)), Duration::ZERO, no_draw),
            Ok(secs(30))
        );
        assert_eq!(
            policy.next_wait(1, Some(Duration::ZERO), secs(29), no_draw),
            Ok(Duration::ZERO)
        );
        // Longer than what is left of the budget: no retry, never a shortened wait.
        assert_eq!(
            policy.next_wait(1, Some(secs(120)), Duration::ZERO, no_draw),
            Err(Some(NotRetried::WaitTooLong {
                asked: secs(120),
                allowed: secs(30),
                limit: "RetryPolicy::max_total_delay",
            }))
        );
        assert!(matches!(
            policy.next_wait(2, Some(secs(10)), secs(25), no_draw),
            Err(Some(NotRetried::WaitTooLong { allowed, .. })) if allowed == secs(5)
        ));
        // A huge value cannot overflow the arithmetic.
        assert!(
            policy
                .next_wait(1, Some(Duration::MAX), secs(29), no_draw)
                .is_err()
        );
        // The per-wait cap gives up too, and names itself.
        let capped = RetryPolicy::default().max_retry_after(secs(5));
        assert_eq!(
            capped.next_wait(1, Some(secs(5)), Duration::ZERO, no_draw),
            Ok(secs(5))
        );
        assert_eq!(
            capped.next_wait(1, Some(secs(6)), Duration::ZERO, no_draw),
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
        assert_eq!(
            slow.next_wait(1, None, Duration::ZERO, || u64::MAX),
            Err(None)
        );
        // The smallest draw waits nothing, which fits.
        assert_eq!(
            slow.next_wait(1, None, Duration::ZERO, || 0),
            Ok(Duration::ZERO)
        );
    }

    // --- The classifier's table ----------------------------------------------------------

    const GET: OperationTraits = OperationTraits {
        idempotent: true,
        streaming: None,
    };
    const POST: OperationTraits = OperationTraits {
        idempotent: false,
        streaming: None,
    };
    const AUDIO: OperationTraits = OperationTraits {
        idempotent: true,
        streaming: Some("audio/wav"),
    };

    fn first_attempt() -> AttemptState {
        AttemptState {
            number: 1,
            waited: Duration::ZERO,
            resendable: true,
            budget_available: 500,
        }
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    /// A policy whose backoff is exactly 100 ms, 200 ms, 400 ms (no jitter).
    fn exact() -> RetryPolicy {
        RetryPolicy::standard()
            .initial_backoff(Duration::from_millis(100))
            .jitter(Jitter::none())
    }

    fn status(code: u16, headers: &HeaderMap) -> AttemptOutcome<'_> {
        AttemptOutcome::Response {
            status: StatusCode::from_u16(code).unwrap(),
            headers,
        }
    }

    fn classify_with(
        outcome: AttemptOutcome<'_>,
        operation: OperationTraits,
        attempt: AttemptState,
        policy: &RetryPolicy,
    ) -> RetryAction {
        classify(
            outcome,
            operation,
            attempt,
            policy,
            &RetryBudget::standard(),
            now(),
            || policy.jitter_source().draw(),
        )
    }

    fn retry(wait_ms: u64, cost: u32, reason: RetryReason) -> RetryAction {
        RetryAction::RetryAfter {
            wait: Duration::from_millis(wait_ms),
            cost,
            reason,
        }
    }

    fn code(code: u16) -> RetryReason {
        RetryReason::Status(StatusCode::from_u16(code).unwrap())
    }

    #[test]
    fn successes_and_final_statuses_are_returned_as_they_are() {
        let none = HeaderMap::new();
        for code in [200, 201, 204, 206, 301, 400, 401, 403, 404, 409, 422, 501] {
            for operation in [GET, POST, AUDIO] {
                assert_eq!(
                    classify_with(status(code, &none), operation, first_attempt(), &exact()),
                    RetryAction::DoNotRetry,
                    "{code} {operation:?}"
                );
            }
        }
    }

    #[test]
    fn error_statuses_are_retried_on_idempotent_operations_only() {
        let none = HeaderMap::new();
        for code_value in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                classify_with(status(code_value, &none), GET, first_attempt(), &exact()),
                retry(100, 5, code(code_value)),
                "{code_value} on a GET"
            );
            // The server answered a request with side effects: it may have acted on it.
            assert_eq!(
                classify_with(status(code_value, &none), POST, first_attempt(), &exact()),
                RetryAction::DoNotRetry,
                "{code_value} on a POST"
            );
            // Unless the caller said duplicates are harmless.
            assert_eq!(
                classify_with(
                    status(code_value, &none),
                    POST,
                    first_attempt(),
                    &exact().retry_non_idempotent(true)
                ),
                retry(100, 5, code(code_value)),
                "{code_value} on a POST, opted in"
            );
        }
        // Streaming downloads are classified on their answer's head like any GET.
        assert_eq!(
            classify_with(status(503, &none), AUDIO, first_attempt(), &exact()),
            retry(100, 5, code(503))
        );
        assert_eq!(
            classify_with(status(404, &none), AUDIO, first_attempt(), &exact()),
            RetryAction::DoNotRetry
        );
    }

    #[test]
    fn later_retries_back_off_from_where_the_call_stands() {
        let none = HeaderMap::new();
        let policy = exact().max_attempts(4);
        let third = AttemptState {
            number: 3,
            waited: Duration::from_millis(300),
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(500, &none), GET, third, &policy),
            retry(400, 5, code(500))
        );
        // The same with seeded jitter: 400 ms scaled by SplitMix64's first draw.
        let seeded = policy.clone().jitter(Jitter::seeded(1_234_567));
        assert_eq!(
            classify_with(status(500, &none), GET, third, &seeded),
            RetryAction::RetryAfter {
                wait: Duration::from_nanos(140_031_816),
                cost: 5,
                reason: code(500),
            }
        );
    }

    #[test]
    fn retry_after_is_waited_exactly_or_refused_with_the_limit_named() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        // 429 with Retry-After: exactly the server's wait, no backoff, no draw.
        assert_eq!(
            classify(
                status(429, &headers),
                GET,
                first_attempt(),
                &exact(),
                &RetryBudget::standard(),
                now(),
                no_draw,
            ),
            retry(7_000, 5, code(429))
        );
        // As an HTTP date, relative to now.
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(12));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
        assert_eq!(
            classify_with(status(503, &headers), GET, first_attempt(), &exact()),
            retry(12_000, 5, code(503))
        );
        // 429 without Retry-After: backoff.
        assert_eq!(
            classify_with(
                status(429, &HeaderMap::new()),
                GET,
                first_attempt(),
                &exact()
            ),
            retry(100, 5, code(429))
        );
        // Beyond the per-wait cap: fail now, and say which limit.
        headers.insert(RETRY_AFTER, HeaderValue::from_static("60"));
        let capped = exact().max_retry_after(Duration::from_secs(20));
        assert_eq!(
            classify_with(status(429, &headers), GET, first_attempt(), &capped),
            RetryAction::FailNow(
                code(429),
                GiveUp::Refused(NotRetried::WaitTooLong {
                    asked: Duration::from_secs(60),
                    allowed: Duration::from_secs(20),
                    limit: "RetryPolicy::max_retry_after",
                })
            )
        );
        // Beyond what is left of the total waiting (30 s by default, 25 s spent).
        headers.insert(RETRY_AFTER, HeaderValue::from_static("10"));
        let late = AttemptState {
            waited: Duration::from_secs(25),
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(429, &headers), GET, late, &exact()),
            RetryAction::FailNow(
                code(429),
                GiveUp::Refused(NotRetried::WaitTooLong {
                    asked: Duration::from_secs(10),
                    allowed: Duration::from_secs(5),
                    limit: "RetryPolicy::max_total_delay",
                })
            )
        );
        // A backoff that does not fit gives up without a reason to record.
        let slow = exact()
            .initial_backoff(Duration::from_secs(10))
            .max_total_delay(Duration::from_secs(5));
        let action = classify_with(status(502, &HeaderMap::new()), GET, first_attempt(), &slow);
        assert_eq!(
            action,
            RetryAction::FailNow(code(502), GiveUp::BackoffTooLong)
        );
        assert!(matches!(action, RetryAction::FailNow(_, why) if why.recorded().is_none()));
    }

    #[test]
    fn connect_failures_are_retried_for_everything_later_failures_for_idempotent_only() {
        let connect = RetryReason::Transport(TransportFailure::Connect);
        for operation in [GET, POST, AUDIO] {
            // Nothing was sent: safe to send anything again. Transport retries cost 10.
            assert_eq!(
                classify_with(
                    AttemptOutcome::Transport(TransportFailure::Connect),
                    operation,
                    first_attempt(),
                    &exact()
                ),
                retry(100, 10, connect),
                "{operation:?}"
            );
        }
        for failure in [TransportFailure::Timeout, TransportFailure::Interrupted] {
            let outcome = AttemptOutcome::Transport(failure);
            let reason = RetryReason::Transport(failure);
            assert_eq!(
                classify_with(outcome, GET, first_attempt(), &exact()),
                retry(100, 10, reason)
            );
            assert_eq!(
                classify_with(outcome, AUDIO, first_attempt(), &exact()),
                retry(100, 10, reason)
            );
            // The request may have reached the server.
            assert_eq!(
                classify_with(outcome, POST, first_attempt(), &exact()),
                RetryAction::DoNotRetry,
                "{failure:?} on a POST"
            );
            assert_eq!(
                classify_with(
                    outcome,
                    POST,
                    first_attempt(),
                    &exact().retry_non_idempotent(true)
                ),
                retry(100, 10, reason)
            );
        }
        assert_eq!(
            classify_with(
                AttemptOutcome::Transport(TransportFailure::Other),
                GET,
                first_attempt(),
                &exact()
            ),
            RetryAction::DoNotRetry
        );
    }

    #[test]
    fn attempts_resending_and_the_budget_bound_retries() {
        let none = HeaderMap::new();
        let last = AttemptState {
            number: 3,
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(503, &none), GET, last, &exact()),
            RetryAction::FailNow(code(503), GiveUp::AttemptsUsed)
        );
        assert_eq!(
            classify_with(
                status(503, &none),
                GET,
                first_attempt(),
                &RetryPolicy::disabled()
            ),
            RetryAction::FailNow(code(503), GiveUp::AttemptsUsed)
        );
        let streamed_body = AttemptState {
            resendable: false,
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(503, &none), GET, streamed_body, &exact()),
            RetryAction::FailNow(code(503), GiveUp::NotResendable)
        );
        // The budget: 5 tokens pay a retry after a status, not one after a timeout (10).
        let five_left = AttemptState {
            budget_available: 5,
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(503, &none), GET, five_left, &exact()),
            retry(100, 5, code(503))
        );
        let timeout = AttemptOutcome::Transport(TransportFailure::Timeout);
        assert_eq!(
            classify_with(timeout, GET, five_left, &exact()),
            RetryAction::FailNow(
                RetryReason::Transport(TransportFailure::Timeout),
                GiveUp::Refused(NotRetried::BudgetExhausted)
            )
        );
        let empty = AttemptState {
            budget_available: 0,
            ..first_attempt()
        };
        assert_eq!(
            classify_with(status(503, &none), GET, empty, &exact()),
            RetryAction::FailNow(code(503), GiveUp::Refused(NotRetried::BudgetExhausted))
        );
        // A disabled budget never refuses; its costs are still reported.
        assert_eq!(
            classify(
                status(503, &none),
                GET,
                empty,
                &exact(),
                &RetryBudget::disabled(),
                now(),
                || u64::MAX,
            ),
            retry(100, 5, code(503))
        );
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
