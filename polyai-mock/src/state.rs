//! The server's shared state: configuration read by handlers and the stored state they
//! change.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::agents::AgentStore;
use crate::alerts::AlertStore;
use crate::audio_cache::AudioCacheStore;
use crate::chat::ChatSession;
use crate::data::{Dataset, StoredAnnotation};
use crate::debug_chat::Session;
use crate::dni::DniReservation;
use crate::external_events::ExternalEvent;
use crate::faults::FaultState;
use crate::handoff::HandoffState;
use crate::log::RecordedRequest;
use crate::outbound::OutboundCall;
use crate::realtime_config::RealTimeConfigStore;
use crate::salts;
use crate::telephony::TelephonyStore;
use crate::util::{hash3, uuid_from};
use crate::voices::VoiceStore;
use crate::webhook::WebhookDelivery;
use crate::webhook_endpoints::EndpointStore;

/// Mutable state: everything the mock stores.
#[derive(Default)]
pub(crate) struct Store {
    pub notes: HashMap<String, String>,
    pub annotations: HashMap<String, Vec<StoredAnnotation>>,
    pub sessions: HashMap<String, Session>,
    /// Agents, their branches, knowledge bases and deployments.
    pub agents: AgentStore,
    /// The account's webhook endpoints.
    pub webhook_endpoints: EndpointStore,
    /// Every agent's connectors, phone numbers and outbound calls.
    pub telephony: TelephonyStore,
    /// Every account's voice library.
    pub voices: VoiceStore,
    /// Every agent's real-time config pages.
    pub real_time_configs: RealTimeConfigStore,
    /// Every agent's audio cache.
    pub audio_cache: AudioCacheStore,
    /// Chat API conversations by id.
    pub chats: HashMap<String, ChatSession>,
    /// The account's alert rules.
    pub alerts: AlertStore,
    /// Legacy outbound calls, oldest first.
    pub outbound_calls: Vec<OutboundCall>,
    /// Seeded handoff states.
    pub handoff_states: Vec<HandoffState>,
    /// DNI reservations, oldest first.
    pub dni_reservations: Vec<DniReservation>,
    /// External events received, oldest first.
    pub external_events: Vec<ExternalEvent>,
    /// Webhook deliveries made to endpoints, oldest first.
    pub deliveries: Vec<WebhookDelivery>,
}

/// Shared server state.
pub(crate) struct App {
    pub api_key: String,
    /// The Chat connector token (`X-TOKEN`).
    pub connector_token: String,
    /// The legacy Outbound token (`X-PolyAi-Auth-Token`).
    pub outbound_token: String,
    pub data: Dataset,
    pub audio_len: u64,
    pub sample_rate: u32,
    pub pii_access: bool,
    pub idle_timeout: Option<Duration>,
    pub record: bool,
    pub transcripts: bool,
    /// Random per instance: correlation ids, cursors and generated ids.
    pub instance_key: u64,
    pub store: Mutex<Store>,
    pub faults: Mutex<FaultState>,
    pub log: Mutex<Vec<RecordedRequest>>,
    pub seq: AtomicU64,
    /// Admin requests answered (they take no request number).
    pub admin_seq: AtomicU64,
}

/// Locks a mutex, ignoring poisoning (a panicked handler leaves the state usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// Locks the stored state.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// The next request number (the first is 1).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A fresh correlation id for an admin request (from numbers API requests never reach).
    pub fn admin_correlation_id(&self) -> String {
        let n = self.admin_seq.fetch_add(1, Ordering::Relaxed);
        self.correlation_id(u64::MAX - n)
    }

    /// The correlation id of request `seq` (random per instance).
    pub fn correlation_id(&self, seq: u64) -> String {
        uuid_from(
            hash3(self.instance_key, seq, salts::CORRELATION[0]),
            hash3(self.instance_key, seq, salts::CORRELATION[1]),
        )
    }
}
