//! Fault injection: a schedule of failures the mock applies to chosen requests.
//!
//! A [`FaultPlan`] is an ordered list of [`FaultRule`]s. Each rule counts the requests that
//! match its route filter (1-based, starting when the plan is installed) and fires on the
//! requests its trigger selects. The first rule that fires decides the request's fault; every
//! matching rule still counts the request. Off by default: a mock without a plan never fails.
//!
//! ```
//! use std::time::Duration;
//! use polyai_mock::{Fault, FaultPlan, FaultRule, Route};
//!
//! let plan = FaultPlan::new()
//!     // the first listing request gets a 503
//!     .rule(FaultRule::new(Fault::ServiceUnavailable).on(Route::ListConversations).nth(1))
//!     // every third audio download is cut after 64 KiB
//!     .rule(FaultRule::new(Fault::Reset { after_bytes: 65_536 }).on(Route::GetAudio).every(3))
//!     // the first two debug-chat messages are rate limited
//!     .rule(FaultRule::new(Fault::RateLimited { retry_after_secs: 1 }).on(Route::SendDebugChat).first(2))
//!     // any request may stall for a moment, at most once
//!     .rule(FaultRule::new(Fault::Stall(Duration::from_millis(200))).times(1));
//! # let _ = plan;
//! ```

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use futures::StreamExt;

use crate::request::Route;

/// What an injected fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer `503 Service Unavailable` with the error envelope (`SERVICE_UNAVAILABLE`); the
    /// request is not handled (no state changes).
    ServiceUnavailable,
    /// Answer `429 Too Many Requests` with `Retry-After: {retry_after_secs}` and the envelope
    /// (`RATE_LIMITED`); the request is not handled.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Answer this status (for example 500, 502 or 408) with the envelope; the request is not
    /// handled. Statuses outside 400..=599 are sent as 500.
    Status(u16),
    /// Handle the request, send the status, headers and the first `after_bytes` bytes of the
    /// body, then abort the connection (the client sees a body error). The server pauses
    /// 50 ms before the abort so that the bytes before the cut reach the client. The declared
    /// `Content-Length` is whatever the route sends (audio declares it; JSON bodies are then
    /// sent chunked).
    Reset {
        /// Body bytes sent before the connection is dropped.
        after_bytes: u64,
    },
    /// Handle the request and declare the full `Content-Length`, but send only `after_bytes`
    /// bytes of the body before ending with an error (a truncated body; same 50 ms pause).
    Truncate {
        /// Body bytes sent before the body ends early.
        after_bytes: u64,
    },
    /// Sleep this long before handling the request (a slow server: read timeouts fire).
    Stall(Duration),
    /// Handle the request, send the first `after_bytes` body bytes, pause for `pause`, then
    /// send the rest (a stalled transfer).
    StallBody {
        /// Body bytes sent before the pause.
        after_bytes: u64,
        /// How long the body stalls.
        pause: Duration,
    },
}

impl Fault {
    /// A short name of the fault kind (`"service_unavailable"`, `"reset"`, ...), used as the
    /// key of [`FaultStats::by_kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::ServiceUnavailable => "service_unavailable",
            Fault::RateLimited { .. } => "rate_limited",
            Fault::Status(_) => "status",
            Fault::Reset { .. } => "reset",
            Fault::Truncate { .. } => "truncate",
            Fault::Stall(_) => "stall",
            Fault::StallBody { .. } => "stall_body",
        }
    }
}

/// Which matching requests a rule fires on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// Every matching request.
    Always,
    /// Only the n-th matching request (1-based).
    Nth(u64),
    /// Every n-th matching request: n, 2n, 3n, ...
    Every(u64),
    /// The first n matching requests.
    First(u64),
    /// The matching requests with these 1-based sequence numbers.
    Sequence(Vec<u64>),
}

impl Trigger {
    fn fires(&self, n: u64) -> bool {
        match self {
            Trigger::Always => true,
            Trigger::Nth(k) => n == *k,
            Trigger::Every(k) => *k > 0 && n.is_multiple_of(*k),
            Trigger::First(k) => n <= *k,
            Trigger::Sequence(list) => list.contains(&n),
        }
    }
}

/// One rule of a [`FaultPlan`]: a fault, the route it applies to (any by default), the
/// trigger (every matching request by default) and an optional cap on how often it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    fault: Fault,
    route: Option<Route>,
    trigger: Trigger,
    max_fires: Option<u64>,
}

impl FaultRule {
    /// A rule injecting `fault` into every request of every route (narrow it with the other
    /// methods).
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            route: None,
            trigger: Trigger::Always,
            max_fires: None,
        }
    }

    /// Applies the rule to one route only; its request count is then per route.
    pub fn on(mut self, route: Route) -> Self {
        self.route = Some(route);
        self
    }

    /// Fires on the n-th matching request only (1-based).
    pub fn nth(mut self, n: u64) -> Self {
        self.trigger = Trigger::Nth(n);
        self
    }

    /// Fires on every n-th matching request (n, 2n, ...).
    pub fn every(mut self, n: u64) -> Self {
        self.trigger = Trigger::Every(n);
        self
    }

    /// Fires on the first n matching requests.
    pub fn first(mut self, n: u64) -> Self {
        self.trigger = Trigger::First(n);
        self
    }

    /// Fires on the matching requests with these 1-based sequence numbers.
    pub fn requests(mut self, sequence_numbers: impl IntoIterator<Item = u64>) -> Self {
        self.trigger = Trigger::Sequence(sequence_numbers.into_iter().collect());
        self
    }

    /// Sets the trigger directly.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// Fires at most `n` times in total.
    pub fn times(mut self, n: u64) -> Self {
        self.max_fires = Some(n);
        self
    }

    /// The fault this rule injects.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }
}

/// An ordered schedule of [`FaultRule`]s (empty by default: no faults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a rule; earlier rules win when several fire on the same request.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Whether the plan has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// A fault that was injected, as kept in the mock's fault log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// The server-wide request sequence number (as in [`crate::RecordedRequest::seq`]).
    pub request_seq: u64,
    /// The route of the request, if it matched one.
    pub route: Option<Route>,
    /// The fault.
    pub fault: Fault,
}

/// Counters of injected faults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Faults injected in total.
    pub total: u64,
    /// Faults injected per kind (keys are [`Fault::kind`] names).
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl FaultStats {
    /// How many faults of `kind` (a [`Fault::kind`] name) were injected.
    pub fn count(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }
}

/// The live state of a plan: per-rule counters and the log.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    rules: Vec<(FaultRule, u64, u64)>,
    stats: FaultStats,
    log: Vec<InjectedFault>,
}

impl FaultState {
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            rules: plan.rules.into_iter().map(|r| (r, 0, 0)).collect(),
            ..Self::default()
        }
    }

    /// Replaces the plan (counters restart; stats and log are kept).
    pub fn install(&mut self, plan: FaultPlan) {
        self.rules = plan.rules.into_iter().map(|r| (r, 0, 0)).collect();
    }

    /// Counts the request against every matching rule and returns the fault to inject, if any.
    pub fn decide(&mut self, seq: u64, route: Option<Route>) -> Option<Fault> {
        let mut chosen: Option<Fault> = None;
        for (rule, seen, fired) in &mut self.rules {
            if rule.route.is_some() && rule.route != route {
                continue;
            }
            *seen += 1;
            if chosen.is_none()
                && rule.trigger.fires(*seen)
                && rule.max_fires.is_none_or(|max| *fired < max)
            {
                *fired += 1;
                chosen = Some(rule.fault.clone());
            }
        }
        if let Some(fault) = &chosen {
            self.stats.total += 1;
            *self.stats.by_kind.entry(fault.kind()).or_insert(0) += 1;
            self.log.push(InjectedFault {
                request_seq: seq,
                route,
                fault: fault.clone(),
            });
        }
        chosen
    }

    pub fn stats(&self) -> FaultStats {
        self.stats.clone()
    }

    pub fn log(&self) -> Vec<InjectedFault> {
        self.log.clone()
    }

    pub fn reset_stats(&mut self) {
        self.stats = FaultStats::default();
        self.log.clear();
    }
}

/// The exact length of a body, when known.
pub(crate) fn exact_len(body: &Body) -> Option<u64> {
    body.size_hint().exact()
}

/// Wraps a response body so that it fails or stalls after `after_bytes` bytes.
///
/// `pause = None` ends the body with an error at that point (reset / truncation);
/// `Some(d)` sleeps for `d` and then continues.
pub(crate) fn wrap_body(body: Body, after_bytes: u64, pause: Option<Duration>) -> Body {
    struct State {
        inner: axum::body::BodyDataStream,
        sent: u64,
        limit: u64,
        pause: Option<Duration>,
        paused: bool,
        pending: Option<Bytes>,
        done: bool,
    }
    fn reset() -> io::Error {
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected fault: connection reset",
        )
    }
    let state = State {
        inner: body.into_data_stream(),
        sent: 0,
        limit: after_bytes,
        pause,
        paused: false,
        pending: None,
        done: false,
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if let Some(rest) = st.pending.take() {
                if let Some(d) = st.pause {
                    tokio::time::sleep(d).await;
                }
                st.paused = true;
                st.sent += rest.len() as u64;
                if rest.is_empty() {
                    continue;
                }
                return Some((Ok(rest), st));
            }
            if st.pause.is_none() && st.sent >= st.limit {
                // Give the server a moment to flush what was sent (it writes buffered bytes
                // while the body is pending); an error aborts the connection at once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                st.done = true;
                return Some((Err(reset()), st));
            }
            let mut chunk = match st.inner.next().await {
                None => return None,
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(io::Error::other(e)), st));
                }
                Some(Ok(chunk)) => chunk,
            };
            let room = st.limit.saturating_sub(st.sent);
            let cut = if st.pause.is_some() {
                !st.paused && (chunk.len() as u64 > room || room == 0)
            } else {
                chunk.len() as u64 > room
            };
            if !cut {
                st.sent += chunk.len() as u64;
                return Some((Ok(chunk), st));
            }
            let head = chunk.split_to(room as usize);
            st.sent += head.len() as u64;
            if st.pause.is_some() {
                st.pending = Some(chunk);
            }
            if head.is_empty() {
                continue;
            }
            return Some((Ok(head), st));
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_count_per_route() {
        let plan = FaultPlan::new()
            .rule(
                FaultRule::new(Fault::ServiceUnavailable)
                    .on(Route::GetAudio)
                    .nth(2),
            )
            .rule(FaultRule::new(Fault::Status(500)).every(3).times(1));
        let mut st = FaultState::new(plan);
        assert_eq!(st.decide(1, Some(Route::GetAudio)), None);
        assert_eq!(st.decide(2, Some(Route::ListConversations)), None);
        // audio #2 and any #3 at once: the first rule wins; the second still counts
        assert_eq!(
            st.decide(3, Some(Route::GetAudio)),
            Some(Fault::ServiceUnavailable)
        );
        assert_eq!(st.decide(4, None), None);
        assert_eq!(st.decide(5, None), None);
        assert_eq!(st.decide(6, None), Some(Fault::Status(500)));
        assert_eq!(st.decide(7, None), None);
        assert_eq!(st.stats().total, 2);
        assert_eq!(st.stats().count("status"), 1);
        assert_eq!(st.log().len(), 2);
    }

    #[tokio::test]
    async fn wrapped_bodies_fail_after_the_limit() {
        let body = wrap_body(Body::from(vec![7u8; 100]), 40, None);
        let mut stream = body.into_data_stream();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.len(), 40);
        assert!(stream.next().await.unwrap().is_err());

        let body = wrap_body(
            Body::from(vec![7u8; 100]),
            40,
            Some(Duration::from_millis(1)),
        );
        let all = axum::body::to_bytes(body, 1000).await.unwrap();
        assert_eq!(all.len(), 100);
    }
}
