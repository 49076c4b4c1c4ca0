//! The server: configuration, state, the request pipeline and the public handle.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::agents::{self, AgentStore};
use crate::audio::AudioSpec;
use crate::data::{DataConfig, Dataset, StoredAnnotation};
use crate::debug_chat::{self, Session};
use crate::envelope::ApiError;
use crate::faults::{self, Fault, FaultPlan, FaultState, FaultStats, InjectedFault};
use crate::log::{ApiKeyCheck, RecordedRequest};
use crate::routes::{self, Resolution, Route};
use crate::time::{rfc3339_ms, system_time, unix_ms};
use crate::util::{hash3, parse_query, uuid_from};
use crate::webhook::{WebhookDelivery, WebhookEvent, WebhookSender};
use crate::webhook_endpoints::{self, EndpointStore};
use crate::{conversations, time};

/// The correlation-id response header PolyAI sends on every response.
pub const CORRELATION_HEADER: &str = "x-polyai-correlation-id";

/// Largest request body accepted (bigger bodies get 413).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Default API key.
pub const DEFAULT_API_KEY: &str = "mock-api-key";
/// Default account (workspace) id.
pub const DEFAULT_ACCOUNT_ID: &str = "ws-mock0001";
/// Default project (agent) id.
pub const DEFAULT_PROJECT_ID: &str = "PROJECT-MOCK0001";
/// Default number of seeded conversations.
pub const DEFAULT_CONVERSATIONS: u64 = 250;
/// Default seed.
pub const DEFAULT_SEED: u64 = 1;
/// Most conversations a mock can hold.
pub const MAX_CONVERSATIONS: u64 = 10_000_000;
/// Default recording length, in seconds.
pub const DEFAULT_AUDIO_SECONDS: f64 = 5.0;
/// Default end of the data's time window: 2026-11-01T00:00:00Z.
pub const DEFAULT_WINDOW_END_UNIX_MS: i64 = 1_793_491_200_000;
/// Default length of the data's time window: 30 days.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30 * 86_400);

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
}

/// Shared server state.
pub(crate) struct App {
    pub api_key: String,
    pub data: Dataset,
    pub audio_len: u64,
    pub sample_rate: u32,
    pub pii_access: bool,
    pub idle_timeout: Option<Duration>,
    pub record: bool,
    pub transcripts: bool,
    /// Random per instance: correlation ids, cursors and generated ids.
    pub instance_key: u64,
    store: Mutex<Store>,
    faults: Mutex<FaultState>,
    log: Mutex<Vec<RecordedRequest>>,
    seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    fn correlation_id(&self, seq: u64) -> String {
        uuid_from(
            hash3(self.instance_key, seq, 1),
            hash3(self.instance_key, seq, 2),
        )
    }
}

/// Builder of a [`MockServer`]; start it with [`MockServerBuilder::start`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    api_key: String,
    conversations: u64,
    seed: u64,
    audio_bytes: Option<u64>,
    audio_seconds: f64,
    sample_rate: u32,
    faults: FaultPlan,
    record: bool,
    window_end: Option<SystemTime>,
    window: Duration,
    account_id: String,
    project_id: String,
    pii_access: bool,
    idle_timeout: Option<Duration>,
    transcripts: bool,
    addr: SocketAddr,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.into(),
            conversations: DEFAULT_CONVERSATIONS,
            seed: DEFAULT_SEED,
            audio_bytes: None,
            audio_seconds: DEFAULT_AUDIO_SECONDS,
            sample_rate: 8000,
            faults: FaultPlan::default(),
            record: true,
            window_end: None,
            window: DEFAULT_WINDOW,
            account_id: DEFAULT_ACCOUNT_ID.into(),
            project_id: DEFAULT_PROJECT_ID.into(),
            pii_access: true,
            idle_timeout: None,
            transcripts: true,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl MockServerBuilder {
    /// The API key every request must send in `x-api-key` (default `mock-api-key`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// How many seeded conversations exist (default 250; clamped to 1..=10,000,000).
    /// Conversations are generated on demand, so a million cost about 1 MB.
    pub fn conversations(mut self, count: u64) -> Self {
        self.conversations = count;
        self
    }

    /// The seed of the generated data (default 1). Same seed, same data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Size of every recording in bytes, WAV header included (rounded down to whole
    /// samples; at least 44). Overrides [`Self::audio_seconds`].
    pub fn audio_bytes(mut self, bytes: u64) -> Self {
        self.audio_bytes = Some(bytes);
        self
    }

    /// Length of every recording in seconds (default 5).
    pub fn audio_seconds(mut self, seconds: f64) -> Self {
        self.audio_seconds = seconds;
        self.audio_bytes = None;
        self
    }

    /// Sample rate of recordings: 8000 (default) or 16000 Hz; other values become 8000.
    pub fn audio_sample_rate(mut self, hz: u32) -> Self {
        self.sample_rate = if hz == 16_000 { 16_000 } else { 8_000 };
        self
    }

    /// The fault plan to start with (default: none).
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Whether to keep the request log (default true; turn off for long benchmarks).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// The time window the conversations' start times are spread over: `window` long,
    /// ending at `end` (default: 30 days ending 2026-11-01T00:00:00Z).
    pub fn time_window(mut self, end: SystemTime, window: Duration) -> Self {
        self.window_end = Some(end);
        self.window = window;
        self
    }

    /// Ends the time window when the server starts (rounded down to the minute), so "the
    /// last day" finds conversations. Timestamps then differ between runs; ids do not.
    pub fn window_ending_now(mut self) -> Self {
        let ms = unix_ms(SystemTime::now());
        self.window_end = Some(system_time(ms - ms.rem_euclid(60_000)));
        self
    }

    /// The account (workspace) id reported in agent-scoped records (default `ws-mock0001`).
    /// Any account id is accepted in paths.
    pub fn account_id(mut self, id: impl Into<String>) -> Self {
        self.account_id = id.into();
        self
    }

    /// The project (agent) id [`MockServer::project_id`] reports (default
    /// `PROJECT-MOCK0001`). Any project or agent id is accepted in paths.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = id.into();
        self
    }

    /// Whether the key has PII access (default true). Without it every recording is the
    /// redacted one, whatever `redacted` says, as PolyAI enforces.
    pub fn pii_access(mut self, allowed: bool) -> Self {
        self.pii_access = allowed;
        self
    }

    /// Debug-chat sessions idle longer than this answer 400 `CHAT_TIMEOUT` (default: never).
    pub fn debug_chat_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Whether API keys see transcripts (default true). With `false`, every conversation
    /// comes back with `turns: []` while `num_turns` keeps the real count, as PolyAI answers
    /// for projects whose API configuration hides transcripts.
    pub fn transcripts(mut self, visible: bool) -> Self {
        self.transcripts = visible;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Starts the server on the current Tokio runtime.
    ///
    /// # Panics
    /// If the listener cannot be bound; use [`Self::try_start`] to handle that.
    pub async fn start(self) -> MockServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(e) => panic!("polyai-mock: cannot start the mock server: {e}"),
        }
    }

    /// Starts the server on the current Tokio runtime, or returns the bind error.
    pub async fn try_start(self) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let count = self.conversations.clamp(1, MAX_CONVERSATIONS);
        let window_end_ms = self
            .window_end
            .map_or(DEFAULT_WINDOW_END_UNIX_MS, unix_ms)
            .min(i64::MAX / 4);
        // At most 200 years, so that every start time stays far from overflow.
        let window_span_ms = u64::try_from(self.window.as_millis())
            .unwrap_or(u64::MAX)
            .clamp(1, 200 * 366 * 86_400_000);
        let data = Dataset::new(DataConfig {
            seed: self.seed,
            count,
            window_end_ms,
            window_span_ms,
            account_id: self.account_id.clone(),
            project_id: self.project_id.clone(),
        });
        let audio_len = match self.audio_bytes {
            Some(bytes) => AudioSpec::file_len(bytes),
            None => AudioSpec::file_len_for_seconds(self.audio_seconds, self.sample_rate),
        };
        let instance_key = hash3(
            u64::try_from(time::now_ms()).unwrap_or(0),
            u64::from(addr.port()),
            std::process::id().into(),
        );
        let app = Arc::new(App {
            api_key: self.api_key,
            data,
            audio_len,
            sample_rate: self.sample_rate,
            pii_access: self.pii_access,
            idle_timeout: self.idle_timeout,
            record: self.record,
            transcripts: self.transcripts,
            instance_key,
            store: Mutex::new(Store::default()),
            faults: Mutex::new(FaultState::new(self.faults)),
            log: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
        });
        let router = Router::new().fallback(handle).with_state(app.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "polyai-mock: server stopped with an error");
            }
        });
        tracing::debug!(%addr, "polyai-mock listening");
        Ok(MockServer {
            addr,
            app,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running fake PolyAI. Both host families (platform and `api.*.poly.ai`) are served on one
/// listener, so hand [`MockServer::base_url`] to the SDK for both. Dropping it stops the
/// server (in the background); [`MockServer::shutdown`] stops it and waits.
pub struct MockServer {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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

    /// Forgets every note, annotation and debug-chat session, every agent change (branches,
    /// knowledge-base edits, deployments, created and deleted agents) and every webhook
    /// endpoint.
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

// ---------------------------------------------------------------------------------------------
// The request pipeline

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("invalid"))
}

fn fault_error(fault: &Fault) -> Option<ApiError> {
    match fault {
        Fault::ServiceUnavailable => Some(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please retry.",
        )),
        Fault::RateLimited { retry_after_secs } => Some(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many requests. Retry after the indicated period.",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs)),
        ),
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code)
                .ok()
                .filter(|s| s.is_client_error() || s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match status.as_u16() {
                400 => "BAD_REQUEST",
                401 => "AUTH_USER_UNAUTHORISED",
                403 => "USER_ACCESS_FORBIDDEN",
                404 => "NOT_FOUND",
                408 => "REQUEST_TIMEOUT",
                409 => "CONFLICT",
                429 => "RATE_LIMITED",
                502 => "BAD_GATEWAY",
                503 => "SERVICE_UNAVAILABLE",
                504 => "GATEWAY_TIMEOUT",
                _ => "INTERNAL_ERROR",
            };
            Some(ApiError::new(
                status,
                code,
                format!("Injected fault: HTTP {}.", status.as_u16()),
            ))
        }
        _ => None,
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let seq = app.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let correlation_id = app.correlation_id(seq);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().map(str::to_owned);
    let key_check = match parts.headers.get("x-api-key") {
        None => ApiKeyCheck::Missing,
        Some(v) if v.as_bytes() == app.api_key.as_bytes() => ApiKeyCheck::Matched,
        Some(_) => ApiKeyCheck::Mismatched,
    };
    let resolution = routes::resolve(&parts.method, &path);
    let route = match &resolution {
        Resolution::Found(m) => Some(m.route),
        _ => None,
    };
    let fault = lock(&app.faults).decide(seq, route);

    let outcome: Result<Response, ApiError> = match (fault.as_ref().and_then(fault_error), &body) {
        (Some(injected), _) => Err(injected),
        (None, Err(_)) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request bodies are limited to {MAX_BODY} bytes."),
        )),
        (None, Ok(bytes)) => {
            if let Some(Fault::Stall(d)) = &fault {
                tokio::time::sleep(*d).await;
            }
            dispatch(
                &app,
                seq,
                resolution,
                key_check,
                &parts.method,
                &path,
                raw_query.as_deref(),
                &parts.headers,
                bytes,
            )
        }
    };
    let mut response = match outcome {
        Ok(r) => r,
        Err(e) => e.into_response(&correlation_id),
    };

    match &fault {
        Some(Fault::Reset { after_bytes }) => {
            let (p, b) = response.into_parts();
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, None));
        }
        Some(Fault::Truncate { after_bytes }) => {
            let (mut p, b) = response.into_parts();
            if let Some(len) = faults::exact_len(&b) {
                p.headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, None));
        }
        Some(Fault::StallBody { after_bytes, pause }) => {
            let (mut p, b) = response.into_parts();
            if let Some(len) = faults::exact_len(&b) {
                p.headers
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            response = Response::from_parts(p, faults::wrap_body(b, *after_bytes, Some(*pause)));
        }
        _ => {}
    }
    response
        .headers_mut()
        .insert(CORRELATION_HEADER, header_value(&correlation_id));

    if app.record {
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if name.as_str() == "x-api-key" {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        let entry = RecordedRequest {
            seq,
            method: parts.method.as_str().to_owned(),
            path,
            query: raw_query,
            headers,
            api_key: key_check,
            body: body.unwrap_or_default(),
            route,
            correlation_id,
            status: response.status().as_u16(),
            fault,
        };
        lock(&app.log).push(entry);
    }
    response
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    app: &App,
    seq: u64,
    resolution: Resolution,
    key: ApiKeyCheck,
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let matched = match resolution {
        Resolution::NotFound => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("No route matches {method} {path}."),
            ));
        }
        Resolution::MethodNotAllowed(routes) => {
            let allow = routes::allow_header(&routes);
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                format!("{method} is not allowed on {path}; use {allow}."),
            )
            .with_header(header::ALLOW, header_value(&allow)));
        }
        Resolution::Found(m) => m,
    };
    match key {
        ApiKeyCheck::Matched => {}
        ApiKeyCheck::Missing => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_USER_UNAUTHORISED",
                "Missing API key: send it in the x-api-key header.",
            ));
        }
        ApiKeyCheck::Mismatched => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_USER_INVALID_TOKEN",
                "Invalid API key.",
            ));
        }
    }
    let query = parse_query(raw_query);
    let p = &matched.params;
    let param = |k: usize| p.get(k).map_or("", String::as_str);
    match matched.route {
        Route::ListConversations => conversations::list_v3(app, param(0), param(1), &query),
        Route::ListAgentConversations => conversations::list_agent(app, param(0), &query),
        Route::GetConversation => conversations::detail(app, param(0), param(1)),
        Route::AddAnnotations => conversations::annotate(app, param(1), body),
        Route::UpsertNote => conversations::note(app, param(1), body),
        Route::GetAudio => conversations::audio(app, param(1), &query, headers),
        Route::StartDebugChat => debug_chat::start(app, seq, param(0), body),
        Route::SendDebugChat => debug_chat::send(app, param(0), param(1), body),
        Route::ListAgents
        | Route::CreateAgent
        | Route::DeleteAgent
        | Route::ListBranches
        | Route::CreateBranch
        | Route::DeleteBranch
        | Route::MergeBranch
        | Route::ListKnowledgeBaseTopics
        | Route::CreateKnowledgeBaseTopic
        | Route::GetKnowledgeBaseTopic
        | Route::UpdateKnowledgeBaseTopic
        | Route::DeleteKnowledgeBaseTopic
        | Route::ListDeployments
        | Route::GetActiveDeployments
        | Route::PublishDeployment
        | Route::PromoteDeployment
        | Route::RollbackDeployment => agents::handle(app, matched.route, p, &query, body),
        Route::ListWebhookEndpoints
        | Route::CreateWebhookEndpoint
        | Route::GetWebhookEndpoint
        | Route::UpdateWebhookEndpoint
        | Route::DeleteWebhookEndpoint
        | Route::RotateWebhookSigningSecret => {
            webhook_endpoints::handle(app, matched.route, p, &query, body)
        }
    }
}
