//! The builder of a [`MockServer`]: its configuration, defaults, and how it starts.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use tokio::sync::oneshot;

use crate::audio::AudioSpec;
use crate::data::{DataConfig, Dataset};
use crate::faults::{FaultPlan, FaultState};
use crate::pipeline;
use crate::server::MockServer;
use crate::state::{App, Store};
use crate::time::{self, system_time, unix_ms};
use crate::util::hash3;

/// Default API key.
pub const DEFAULT_API_KEY: &str = "mock-api-key";
/// Default Chat connector token (`X-TOKEN`).
pub const DEFAULT_CONNECTOR_TOKEN: &str = "mock-connector-token";
/// Default legacy Outbound token (`X-PolyAi-Auth-Token`).
pub const DEFAULT_OUTBOUND_TOKEN: &str = "mock-outbound-token";
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

/// Builder of a [`MockServer`]; start it with [`MockServerBuilder::start`].
#[derive(Clone)]
pub struct MockServerBuilder {
    api_key: String,
    connector_token: String,
    outbound_token: String,
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

/// Redacts the API key and tokens.
impl std::fmt::Debug for MockServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServerBuilder")
            .field("api_key", &"<redacted>")
            .field("connector_token", &"<redacted>")
            .field("outbound_token", &"<redacted>")
            .field("conversations", &self.conversations)
            .field("seed", &self.seed)
            .field("account_id", &self.account_id)
            .field("project_id", &self.project_id)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.into(),
            connector_token: DEFAULT_CONNECTOR_TOKEN.into(),
            outbound_token: DEFAULT_OUTBOUND_TOKEN.into(),
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

    /// The connector token the Chat routes require in `X-TOKEN`, besides the API key
    /// (default `mock-connector-token`).
    pub fn connector_token(mut self, token: impl Into<String>) -> Self {
        self.connector_token = token.into();
        self
    }

    /// The token the legacy Outbound routes require in `X-PolyAi-Auth-Token` instead of the
    /// API key (default `mock-outbound-token`).
    pub fn outbound_token(mut self, token: impl Into<String>) -> Self {
        self.outbound_token = token.into();
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

    /// Debug-chat sessions and Chat API conversations idle longer than this answer 400
    /// `CHAT_TIMEOUT` (default: never).
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
            connector_token: self.connector_token,
            outbound_token: self.outbound_token,
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
            admin_seq: AtomicU64::new(0),
        });
        let router = Router::new()
            .fallback(pipeline::handle)
            .with_state(app.clone());
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
