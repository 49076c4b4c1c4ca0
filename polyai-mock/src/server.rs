//! The public handle of a running mock: [`MockServer`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::builder::MockServerBuilder;
use crate::faults::{FaultPlan, FaultStats, InjectedFault};
use crate::log::RecordedRequest;
use crate::state::{App, Store, lock};
use crate::time::{rfc3339_ms, system_time};
use crate::webhook::{WebhookDelivery, WebhookEvent, WebhookSender};

/// A running fake PolyAI. Both host families (platform and `api.*.poly.ai`) are served on one
/// listener, so hand [`MockServer::base_url`] to the SDK for both. Dropping it stops the
/// server (in the background); [`MockServer::shutdown`] stops it and waits.
pub struct MockServer {
    pub(crate) addr: SocketAddr,
    pub(crate) app: Arc<App>,
    pub(crate) shutdown: Option<oneshot::Sender<()>>,
    pub(crate) task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("conversations", &self.app.data.count())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a mock with the defaults on `127.0.0.1` and a free port.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start() -> MockServer {
        MockServerBuilder::default().start().await
    }

    /// A builder for a configured mock.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key requests must send.
    pub fn api_key(&self) -> &str {
        &self.app.api_key
    }

    /// The account (workspace) id of the seeded data (any id is accepted in paths).
    pub fn account_id(&self) -> &str {
        &self.app.data.cfg.account_id
    }

    /// The project id of the seeded data (any id is accepted in paths).
    pub fn project_id(&self) -> &str {
        &self.app.data.cfg.project_id
    }

    /// The agent id: PolyAI's agent id is the project id.
    pub fn agent_id(&self) -> &str {
        self.project_id()
    }

    /// A known conversation: the newest finished live voice call, which has a recording.
    pub fn conversation_id(&self) -> String {
        self.conversation_id_at(self.app.data.known_conversation().unwrap_or(0))
    }

    /// The id of the conversation at `index` (0 is the newest; indexes past the end are
    /// clamped to the last conversation).
    pub fn conversation_id_at(&self, index: u64) -> String {
        self.app.data.id_of(index.min(self.app.data.count() - 1))
    }

    /// How many seeded conversations exist (in all environments).
    pub fn conversation_count(&self) -> u64 {
        self.app.data.count()
    }

    /// The seed of the data.
    pub fn seed(&self) -> u64 {
        self.app.data.cfg.seed
    }

    /// The time window conversations start in: `(start, end)`.
    pub fn time_window(&self) -> (SystemTime, SystemTime) {
        let cfg = &self.app.data.cfg;
        let start = cfg
            .window_end_ms
            .saturating_sub(i64::try_from(cfg.window_span_ms).unwrap_or(i64::MAX));
        (system_time(start), system_time(cfg.window_end_ms))
    }

    /// The start time of the conversation at `index`, RFC 3339 (as the v3 listing shows it).
    pub fn started_at(&self, index: u64) -> String {
        rfc3339_ms(
            self.app
                .data
                .started_ms(index.min(self.app.data.count() - 1)),
        )
    }

    /// The size in bytes of a recording with the server's configured length.
    pub fn audio_len(&self) -> u64 {
        self.app.audio_len
    }

    /// Every request seen so far (oldest first).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.app.log).clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.app.log).clear();
    }

    /// Replaces the fault plan (its per-rule counters start from zero).
    pub fn set_faults(&self, plan: FaultPlan) {
        lock(&self.app.faults).install(plan);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.set_faults(FaultPlan::default());
    }

    /// Counters of the faults injected so far.
    pub fn faults_injected(&self) -> FaultStats {
        lock(&self.app.faults).stats()
    }

    /// Every fault injected so far, in order.
    pub fn fault_log(&self) -> Vec<InjectedFault> {
        lock(&self.app.faults).log()
    }

    /// Resets the fault counters and log (the plan stays).
    pub fn reset_fault_stats(&self) {
        lock(&self.app.faults).reset_stats();
    }

    /// The note stored on a conversation, if any.
    pub fn note(&self, conversation_id: &str) -> Option<String> {
        self.app.store().notes.get(conversation_id).cloned()
    }

    /// The annotations stored on a conversation, as `(turnId, role, annotationType)`.
    pub fn annotations(&self, conversation_id: &str) -> Vec<(u64, String, String)> {
        self.app
            .store()
            .annotations
            .get(conversation_id)
            .map(|list| {
                list.iter()
                    .map(|a| (a.turn_id, a.role.clone(), a.annotation_type.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many debug-chat sessions exist (ended ones included).
    pub fn debug_chat_sessions(&self) -> usize {
        self.app.store().sessions.len()
    }

    /// The shared state, for the handles other modules add to [`MockServer`].
    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    /// Forgets every stored change: notes, annotations, debug-chat and Chat sessions, agent
    /// changes (branches, knowledge-base edits, deployments, created and deleted agents),
    /// webhook endpoints and deliveries, alert rules, outbound calls, handoff states, DNI
    /// reservations and external events. The seeded conversations and the request log stay.
    pub fn reset_state(&self) {
        *self.app.store() = Store::default();
    }

    /// Sends a signed webhook delivery of `event` to `url` (see [`WebhookSender`]) and
    /// returns what the receiver answered.
    pub async fn send_webhook(
        &self,
        url: &str,
        secret: &str,
        event: &WebhookEvent,
    ) -> Result<WebhookDelivery, reqwest::Error> {
        WebhookSender::new().send(url, secret, event).await
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 seconds), and
    /// waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
