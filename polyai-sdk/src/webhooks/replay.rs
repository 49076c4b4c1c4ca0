//! Replay protection: remembering which deliveries are being processed and which were.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::DEFAULT_TOLERANCE;

/// What a [`ReplayGuard`] knew about a key when [`reserve`](ReplayGuard::reserve) was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reservation {
    /// The key was unknown (or forgotten): it is now reserved for the caller, who must later
    /// [`commit`](ReplayGuard::commit) or [`release`](ReplayGuard::release) it.
    New,
    /// Another delivery holds a reservation on the key and has not finished. Nothing changed.
    InFlight,
    /// A delivery with the key was processed. Nothing changed.
    Committed,
}

/// Remembers which deliveries are being processed and which were, so an event is processed
/// once even though PolyAI retries it, and a captured delivery cannot be replayed.
///
/// A [`Verifier`](super::Verifier) with a guard works in two steps. Once the signature and
/// timestamp check out it [`reserve`](ReplayGuard::reserve)s two keys: `sig:` followed by the
/// signature in lower-case hex (the event id header is not covered by the signature, so an
/// attacker replaying a captured delivery could change it), then the `X-PolyAI-Event-ID`
/// (which PolyAI keeps across retries). The [`VerifiedDelivery`](super::VerifiedDelivery)
/// holds the reservation: [`commit`](super::VerifiedDelivery::commit) it when the delivery
/// was processed, and the guard remembers both keys for its time to live; drop it without
/// committing (the handler failed, panicked or was cancelled) and both keys are released, so
/// PolyAI's retry is processed. While one delivery holds the reservation, another delivery of
/// the event is answered [`InFlight`](super::WebhookError::InFlight); once it is committed,
/// [`Duplicate`](super::WebhookError::Duplicate).
///
/// Implement this over a shared store when several processes receive webhooks;
/// [`InMemoryReplayGuard`] serves a single process. Over Redis, for example:
///
/// - `reserve`: `SET key pending NX PX <reservation ttl>` (a short time, about a minute, so a
///   crashed process does not hold the event forever); if it was set, [`Reservation::New`];
///   otherwise `GET key`: `done` is [`Reservation::Committed`], anything else
///   [`Reservation::InFlight`];
/// - `commit`: `SET key done PX <ttl>`, with the ttl at least twice the verifier's tolerance;
/// - `release`: delete the key if it still holds `pending` (a small Lua script, or `WATCH`),
///   never a `done` one.
///
/// When the store fails, `reserve` should answer [`Reservation::InFlight`]: the delivery is
/// answered with a status PolyAI retries, so nothing is lost while the store recovers.
pub trait ReplayGuard: Send + Sync {
    /// Reserves `key` at `now` if it is neither reserved nor committed, and says which of the
    /// three it was.
    fn reserve(&self, key: &str, now: SystemTime) -> Reservation;

    /// Records `key` as processed at `now`: later reservations of it answer
    /// [`Reservation::Committed`] for the guard's time to live.
    fn commit(&self, key: &str, now: SystemTime);

    /// Drops the reservation of `key`, so a later delivery with it is processed. Leaves a
    /// committed key alone.
    fn release(&self, key: &str);

    /// How long a committed key is remembered, when the guard knows. The verifier refuses a
    /// guard whose TTL is shorter than twice its tolerance window
    /// ([`WebhookError::ReplayWindowTooShort`](super::WebhookError::ReplayWindowTooShort)).
    /// The default, `None`, skips that check.
    fn ttl(&self) -> Option<Duration> {
        None
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for Arc<G> {
    fn reserve(&self, key: &str, now: SystemTime) -> Reservation {
        (**self).reserve(key, now)
    }

    fn commit(&self, key: &str, now: SystemTime) {
        (**self).commit(key, now)
    }

    fn release(&self, key: &str) {
        (**self).release(key)
    }

    fn ttl(&self) -> Option<Duration> {
        (**self).ttl()
    }
}

impl<G: ReplayGuard + ?Sized> ReplayGuard for Box<G> {
    fn reserve(&self, key: &str, now: SystemTime) -> Reservation {
        (**self).reserve(key, now)
    }

    fn commit(&self, key: &str, now: SystemTime) {
        (**self).commit(key, now)
    }

    fn release(&self, key: &str) {
        (**self).release(key)
    }

    fn ttl(&self) -> Option<Duration> {
        (**self).ttl()
    }
}

/// How many keys an [`InMemoryReplayGuard`] holds by default before it evicts the oldest.
/// Each delivery takes two keys, so this covers 50,000 deliveries within the TTL.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// How long an [`InMemoryReplayGuard`] keeps a reservation that was neither committed nor
/// released by default: 60 s, twice the longest delivery timeout PolyAI allows (30 s).
pub const DEFAULT_RESERVATION_TTL: Duration = Duration::from_secs(60);

/// An in-memory [`ReplayGuard`] for one process.
///
/// Committed keys expire after a time to live, reservations after a shorter one (so a
/// reservation that is somehow never committed nor released does not block the event's
/// retries for ever). Expired keys are dropped as new ones arrive, and the guard never holds
/// more than its capacity ([`DEFAULT_CAPACITY`] unless changed): past it, the oldest keys are
/// evicted first. An evicted key is forgotten early, so size the capacity for at least two keys
/// per delivery within the TTL.
///
/// Pass an `Arc<InMemoryReplayGuard>` to [`Verifier::replay_guard`] to keep a handle on it.
///
/// [`Verifier::replay_guard`]: super::Verifier::replay_guard
pub struct InMemoryReplayGuard {
    ttl: Duration,
    reservation_ttl: Duration,
    capacity: usize,
    state: Mutex<ReplayState>,
}

struct Entry {
    /// When the key was reserved or committed.
    at: SystemTime,
    committed: bool,
    /// The key's position in `ReplayState::order`; an order entry with another number is stale.
    seq: u64,
}

struct ReplayState {
    keys: HashMap<Arc<str>, Entry>,
    /// Keys in the order they were reserved, oldest first, for expiry and eviction. Released
    /// keys leave stale entries behind, dropped when they reach the front or on compaction.
    order: VecDeque<(u64, Arc<str>)>,
    next_seq: u64,
    /// When every key was last checked for expiry.
    last_sweep: SystemTime,
}

impl ReplayState {
    /// Adds `key` (not present in `keys`) at `now` and evicts the oldest keys beyond
    /// `capacity`.
    fn insert(&mut self, key: &str, now: SystemTime, committed: bool, capacity: usize) {
        let key: Arc<str> = Arc::from(key);
        let seq = self.push_order(key.clone());
        self.keys.insert(
            key,
            Entry {
                at: now,
                committed,
                seq,
            },
        );
        while self.keys.len() > capacity {
            let Some((seq, oldest)) = self.order.pop_front() else {
                break;
            };
            if self.keys.get(&oldest).is_some_and(|entry| entry.seq == seq) {
                self.keys.remove(&oldest);
            }
        }
    }

    fn push_order(&mut self, key: Arc<str>) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((seq, key));
        seq
    }

    /// Drops stale order entries and expired keys from the front of the order.
    fn expire_front(&mut self, now: SystemTime, ttl: Duration) {
        while let Some((seq, key)) = self.order.front() {
            match self.keys.get(key) {
                Some(entry) if entry.seq == *seq => {
                    if !expired(entry.at, now, ttl) {
                        break;
                    }
                    self.keys.remove(key);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Drops every expired key and every stale order entry.
    fn sweep(&mut self, now: SystemTime, ttl: Duration, reservation_ttl: Duration) {
        self.keys.retain(|_, entry| {
            let lifetime = if entry.committed {
                ttl
            } else {
                reservation_ttl
            };
            !expired(entry.at, now, lifetime)
        });
        let keys = &self.keys;
        self.order
            .retain(|(seq, key)| keys.get(key).is_some_and(|entry| entry.seq == *seq));
        self.last_sweep = now;
    }

    /// Drops every stale order entry once they outnumber the live keys, so the order stays
    /// within twice the capacity at O(1) amortised cost.
    fn compact(&mut self, capacity: usize) {
        if self.order.len() > capacity.saturating_mul(2).max(64) {
            let keys = &self.keys;
            self.order
                .retain(|(seq, key)| keys.get(key).is_some_and(|entry| entry.seq == *seq));
        }
    }
}

impl InMemoryReplayGuard {
    /// A guard that remembers committed keys for twice the default tolerance window (600 s),
    /// the least that stops a replay of a captured delivery under the default window.
    pub fn new() -> Self {
        Self::with_ttl(DEFAULT_TOLERANCE.saturating_mul(2))
    }

    /// A guard that remembers committed keys for `ttl`. Use at least twice the verifier's
    /// tolerance (the verifier refuses less); use longer (PolyAI retries for about 5.5 hours)
    /// to also answer late retries of an event you already processed as duplicates.
    pub fn with_ttl(ttl: Duration) -> Self {
        InMemoryReplayGuard {
            ttl,
            reservation_ttl: DEFAULT_RESERVATION_TTL.min(ttl),
            capacity: DEFAULT_CAPACITY,
            state: Mutex::new(ReplayState {
                keys: HashMap::new(),
                order: VecDeque::new(),
                next_seq: 0,
                last_sweep: UNIX_EPOCH,
            }),
        }
    }

    /// Sets how many keys the guard holds at most (default [`DEFAULT_CAPACITY`]; at least 1);
    /// past it, the oldest keys are evicted first.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Sets how long a reservation that was neither committed nor released is kept (default
    /// [`DEFAULT_RESERVATION_TTL`], and never longer than the TTL). Past it, another delivery
    /// of the event is processed even if the first is still running, so keep it longer than
    /// your handler takes.
    pub fn reservation_ttl(mut self, reservation_ttl: Duration) -> Self {
        self.reservation_ttl = reservation_ttl.min(self.ttl);
        self
    }

    /// How long committed keys are remembered.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How many keys (reserved or committed) are held now; expired keys count until they are
    /// dropped.
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every key that has expired by `now`.
    pub fn purge(&self, now: SystemTime) {
        self.lock().sweep(now, self.ttl, self.reservation_ttl);
    }

    fn lock(&self) -> MutexGuard<'_, ReplayState> {
        // Nothing panics while the lock is held; if something did, the map is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expired(at: SystemTime, now: SystemTime, ttl: Duration) -> bool {
    now.duration_since(at).is_ok_and(|age| age > ttl)
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
            .field("reservation_ttl", &self.reservation_ttl)
            .field("capacity", &self.capacity)
            .field("entries", &self.len())
            .finish()
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn reserve(&self, key: &str, now: SystemTime) -> Reservation {
        let (ttl, reservation_ttl) = (self.ttl, self.reservation_ttl);
        let mut state = self.lock();
        // Expired keys leave from the front of the order as new ones arrive; keys out of
        // order (a clock that stepped back) are caught by a full sweep at most four times per
        // TTL, so no key outlives 1.25 × TTL and each call stays O(1) amortised.
        if now
            .duration_since(state.last_sweep)
            .is_ok_and(|since| since >= ttl / 4)
        {
            state.sweep(now, ttl, reservation_ttl);
        } else {
            state.expire_front(now, ttl);
        }
        let outcome = match state.keys.get_key_value(key) {
            Some((_, entry)) if entry.committed && !expired(entry.at, now, ttl) => {
                Reservation::Committed
            }
            Some((_, entry)) if !entry.committed && !expired(entry.at, now, reservation_ttl) => {
                Reservation::InFlight
            }
            // Expired: reserve it afresh, at the back of the order.
            Some((stored, _)) => {
                let stored = stored.clone();
                let seq = state.push_order(stored.clone());
                if let Some(entry) = state.keys.get_mut(&stored) {
                    *entry = Entry {
                        at: now,
                        committed: false,
                        seq,
                    };
                }
                Reservation::New
            }
            None => {
                state.insert(key, now, false, self.capacity);
                Reservation::New
            }
        };
        state.compact(self.capacity);
        outcome
    }

    fn commit(&self, key: &str, now: SystemTime) {
        let mut state = self.lock();
        match state.keys.get_mut(key) {
            Some(entry) => {
                entry.committed = true;
                entry.at = now;
            }
            // Evicted while it was being processed: remember it again.
            None => state.insert(key, now, true, self.capacity),
        }
    }

    fn release(&self, key: &str) {
        let mut state = self.lock();
        if state.keys.get(key).is_some_and(|entry| !entry.committed) {
            state.keys.remove(key);
        }
    }

    fn ttl(&self) -> Option<Duration> {
        Some(self.ttl)
    }
}
