//! Replay protection: remembering which deliveries were accepted.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::DEFAULT_TOLERANCE;

/// Remembers accepted deliveries so a second delivery of the same event is refused.
///
/// A [`Verifier`](super::Verifier) with a guard calls [`check_and_record`] after the signature
/// and timestamp checks pass, with two keys per delivery: the `X-PolyAI-Event-ID` (which is
/// stable across PolyAI's retries) and `sig:` followed by the signature in lower-case hex
/// (because the event id header is not covered by the signature, so an attacker replaying a
/// captured delivery could change it). A delivery is refused if either key was seen.
///
/// Implement this over a shared store (Redis `SET key 1 NX EX ttl`, a database table with a
/// unique key) when several processes receive webhooks; [`InMemoryReplayGuard`] serves a
/// single process. Keep keys for at least twice the verifier's tolerance window: a captured
/// delivery passes the timestamp check for that long.
///
/// [`check_and_record`]: ReplayGuard::check_and_record
pub trait ReplayGuard: Send + Sync {
    /// Records `key` as seen at `now` and returns `true` if it had not been seen (within the
    /// guard's memory); returns `false`, recording nothing new, if it had. When the backing
    /// store fails, choose: `false` refuses deliveries until it recovers, `true` accepts them
    /// without replay protection.
    fn check_and_record(&self, key: &str, now: SystemTime) -> bool;

    /// Forgets `key`, so a later delivery with it is accepted again. The verifier calls this
    /// from [`Verifier::forget`](super::Verifier::forget), for a handler that failed and
    /// wants PolyAI's retry. The default does nothing.
    fn forget(&self, key: &str) {
        let _ = key;
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for Arc<G> {
    fn check_and_record(&self, key: &str, now: SystemTime) -> bool {
        (**self).check_and_record(key, now)
    }

    fn forget(&self, key: &str) {
        (**self).forget(key)
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for Box<G> {
    fn check_and_record(&self, key: &str, now: SystemTime) -> bool {
        (**self).check_and_record(key, now)
    }

    fn forget(&self, key: &str) {
        (**self).forget(key)
    }
}

/// An in-memory [`ReplayGuard`] for one process. Keys expire after a time to live and expired
/// keys are purged as new ones arrive, so memory stays proportional to the delivery rate times
/// the TTL.
///
/// Pass an `Arc<InMemoryReplayGuard>` to [`Verifier::replay_guard`] to keep a handle on it.
///
/// [`Verifier::replay_guard`]: super::Verifier::replay_guard
pub struct InMemoryReplayGuard {
    ttl: Duration,
    state: Mutex<ReplayState>,
}

struct ReplayState {
    seen: HashMap<String, SystemTime>,
    last_purge: SystemTime,
}

impl InMemoryReplayGuard {
    /// A guard that remembers keys for twice the default tolerance window (600 s), the least
    /// that stops a replay of a captured delivery under the default window.
    pub fn new() -> Self {
        Self::with_ttl(DEFAULT_TOLERANCE.saturating_mul(2))
    }

    /// A guard that remembers keys for `ttl`. Use at least twice the verifier's tolerance;
    /// use longer (PolyAI retries for about 5.5 hours) to also drop late retries of an event
    /// you already handled.
    pub fn with_ttl(ttl: Duration) -> Self {
        InMemoryReplayGuard {
            ttl,
            state: Mutex::new(ReplayState {
                seen: HashMap::new(),
                last_purge: UNIX_EPOCH,
            }),
        }
    }

    /// How long keys are remembered.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How many keys are remembered now (expired keys count until they are purged).
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every key that has expired by `now`.
    pub fn purge(&self, now: SystemTime) {
        let mut state = self.lock();
        let ttl = self.ttl;
        state.seen.retain(|_, seen_at| !expired(*seen_at, now, ttl));
        state.last_purge = now;
    }

    fn lock(&self) -> MutexGuard<'_, ReplayState> {
        // Nothing panics while the lock is held; if something did, the map is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expired(seen_at: SystemTime, now: SystemTime, ttl: Duration) -> bool {
    now.duration_since(seen_at).is_ok_and(|age| age > ttl)
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
    fn check_and_record(&self, key: &str, now: SystemTime) -> bool {
        let ttl = self.ttl;
        let mut state = self.lock();
        // Sweep the whole map at most four times per TTL, so each call stays O(1) amortised
        // and no key outlives 1.25 × TTL.
        if now
            .duration_since(state.last_purge)
            .is_ok_and(|since| since >= ttl / 4)
        {
            state.seen.retain(|_, seen_at| !expired(*seen_at, now, ttl));
            state.last_purge = now;
        }
        match state.seen.get_mut(key) {
            Some(seen_at) if !expired(*seen_at, now, ttl) => false,
            Some(seen_at) => {
                *seen_at = now;
                true
            }
            None => {
                state.seen.insert(key.to_owned(), now);
                true
            }
        }
    }

    fn forget(&self, key: &str) {
        self.lock().seen.remove(key);
    }
}
