//! [`Client`] and [`ClientBuilder`]: one connection pool, one credential, the right host for
//! every API family.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderName;

use crate::Error;
use crate::generated;
use crate::region::{HostFamily, Region};
use crate::retry::{RetryBucket, RetryBudget, RetryPolicy};
use crate::secret::Secret;
use crate::transport::{Credential, Settings, Transport};

/// The header that carries the API key for most families.
const API_KEY_HEADER: &str = "x-api-key";
/// Chat's second credential, the connector token.
const CHAT_TOKEN_HEADER: &str = "x-token";
/// Outbound calling's (legacy) per-project token.
const OUTBOUND_TOKEN_HEADER: &str = "x-polyai-auth-token";
/// Sent as `User-Agent` on every request.
const USER_AGENT: &str = concat!(
    "polyai-rs/",
    env!("CARGO_PKG_VERSION"),
    " (polyai-sdk; rust)"
);

/// Environment variables read by [`Client::from_env`].
pub mod env {
    /// The API key (required).
    pub const API_KEY: &str = "POLYAI_API_KEY";
    /// The region: `us`, `uk`, `eu` or `studio` (required unless both base URLs are given).
    pub const REGION: &str = "POLYAI_REGION";
    /// One base URL for every family (a proxy, or the mock).
    pub const BASE_URL: &str = "POLYAI_BASE_URL";
    /// Base URL of the Agents family (`api.{region}.poly.ai`), overriding the region's.
    pub const AGENTS_BASE_URL: &str = "POLYAI_AGENTS_BASE_URL";
    /// Base URL of the Platform family (`api.{region}-1.platform.polyai.app`).
    pub const PLATFORM_BASE_URL: &str = "POLYAI_PLATFORM_BASE_URL";
    /// Chat's connector token, sent as `X-TOKEN` beside the API key (optional).
    pub const CHAT_TOKEN: &str = "POLYAI_CHAT_TOKEN";
    /// Outbound calling's token, sent as `X-PolyAi-Auth-Token` (optional).
    pub const OUTBOUND_TOKEN: &str = "POLYAI_OUTBOUND_TOKEN";
    /// DNI's own API key, bound to one virtual agent (optional; defaults to the API key).
    pub const DNI_API_KEY: &str = "POLYAI_DNI_API_KEY";
}

/// A PolyAI API client. Cheap to clone: clones share one connection pool and configuration.
///
/// ```no_run
/// use polyai_sdk::{Client, Region};
/// # async fn demo() -> Result<(), polyai_sdk::Error> {
/// let client = Client::builder().api_key("my-key").region(Region::Uk).build()?;
/// // One page; `.stream()` instead follows the cursors to the end of the listing.
/// let page = client
///     .list_conversations("my-account", "my-project")
///     .page_size(100)
///     .first_page()
///     .await?;
/// println!("{} conversations on the first page", page.items.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    region: Option<Region>,
    agents_base_url: String,
    platform_base_url: String,
    conversations: generated::conversations::ConversationsClient,
    data: generated::data::DataClient,
    debug_chat: generated::debug_chat::DebugChatClient,
    agents: generated::agents::AgentsClient,
    webhook_endpoints: generated::webhooks::WebhookEndpointsClient,
    alerts: generated::alerts::AlertsClient,
    chat: generated::chat::ChatClient,
    handoff: generated::handoff::HandoffClient,
    outbound: generated::outbound::OutboundClient,
    concurrent_calls: generated::concurrent_calls::ConcurrentCallsClient,
    dni: generated::dni::DniClient,
    external_events: generated::external_events::ExternalEventsClient,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("region", &self.inner.region)
            .field("agents_base_url", &self.inner.agents_base_url)
            .field("platform_base_url", &self.inner.platform_base_url)
            .field("api_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client from the environment: `POLYAI_API_KEY` (required), `POLYAI_REGION`, and
    /// the optional base-URL overrides `POLYAI_BASE_URL`, `POLYAI_AGENTS_BASE_URL` and
    /// `POLYAI_PLATFORM_BASE_URL` (see [`env`](mod@env)).
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from_env()?.build()
    }

    /// Like [`Client::from_env`], but returns the builder so more settings can be added.
    pub fn builder_from_env() -> Result<ClientBuilder, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut builder = Client::builder();
        match var(env::API_KEY) {
            Some(key) => builder = builder.api_key(key),
            None => {
                return Err(Error::InvalidInput(format!(
                    "{} is not set: export the API key from Agent Studio (Settings > API keys)",
                    env::API_KEY
                )));
            }
        }
        if let Some(region) = var(env::REGION) {
            builder = builder.region(
                region
                    .parse::<Region>()
                    .map_err(|e| Error::InvalidInput(e.to_string()))?,
            );
        }
        if let Some(url) = var(env::BASE_URL) {
            builder = builder.base_url(url);
        }
        if let Some(url) = var(env::AGENTS_BASE_URL) {
            builder = builder.agents_base_url(url);
        }
        if let Some(url) = var(env::PLATFORM_BASE_URL) {
            builder = builder.platform_base_url(url);
        }
        if let Some(token) = var(env::CHAT_TOKEN) {
            builder = builder.chat_token(token);
        }
        if let Some(token) = var(env::OUTBOUND_TOKEN) {
            builder = builder.outbound_token(token);
        }
        if let Some(key) = var(env::DNI_API_KEY) {
            builder = builder.dni_api_key(key);
        }
        Ok(builder)
    }

    /// The region this client was built for, if one was given.
    pub fn region(&self) -> Option<Region> {
        self.inner.region
    }

    /// The base URL requests of `family` go to.
    pub fn base_url(&self, family: HostFamily) -> &str {
        match family {
            HostFamily::Agents => &self.inner.agents_base_url,
            HostFamily::Platform => &self.inner.platform_base_url,
        }
    }

    /// The underlying HTTP client (its pool is shared by every family).
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Conversations v3 (platform host): one page of a project's conversations per call. To
    /// read every page, use the stream of [`Client::list_conversations`].
    pub fn conversations(&self) -> &crate::ConversationsClient {
        &self.inner.conversations
    }

    /// The agent-scoped data endpoints (Agents host): read a conversation, add annotations, set
    /// its note; their agent id is the project id. For every page of the list, use
    /// [`Client::list_agent_conversations`]; for a recording, [`Client::audio`].
    pub fn data(&self) -> &crate::DataClient {
        &self.inner.data
    }

    /// Debug chat (Agents host): one request per call. A conversation with its state is
    /// [`Client::debug_chat_session`].
    pub fn debug_chat(&self) -> &crate::DebugChatClient {
        &self.inner.debug_chat
    }

    /// The Agents API (Agents host): agents, branches, knowledge base, variants, deployments,
    /// telephony and more.
    pub fn agents(&self) -> &crate::AgentsClient {
        &self.inner.agents
    }

    /// Webhook endpoint management (Agents host): register endpoints, rotate secrets. To
    /// verify deliveries, see [`crate::webhooks`].
    pub fn webhook_endpoints(&self) -> &crate::WebhookEndpointsClient {
        &self.inner.webhook_endpoints
    }

    /// Alerts (Agents host): alert rules and active alerts.
    pub fn alerts(&self) -> &crate::AlertsClient {
        &self.inner.alerts
    }

    /// Chat (Platform host): create, respond to and close chats. PolyAI requires the API key
    /// and the [chat token](ClientBuilder::chat_token) (`X-TOKEN`) on every call; without the
    /// token each call fails with [`Error::InvalidInput`] before anything is sent.
    pub fn chat(&self) -> &crate::ChatClient {
        &self.inner.chat
    }

    /// Handoff state (Platform host).
    pub fn handoff(&self) -> &crate::HandoffClient {
        &self.inner.handoff
    }

    /// Legacy outbound calling (Platform host), authenticated with
    /// [`ClientBuilder::outbound_token`] (`X-PolyAi-Auth-Token`) alone; without it each call
    /// fails with [`Error::InvalidInput`] before anything is sent (the API key is not sent in
    /// its place).
    pub fn outbound(&self) -> &crate::OutboundClient {
        &self.inner.outbound
    }

    /// Concurrent calls (Platform host).
    pub fn concurrent_calls(&self) -> &crate::ConcurrentCallsClient {
        &self.inner.concurrent_calls
    }

    /// Dynamic number insertion reservations (Platform host), authenticated with the separate
    /// key of [`ClientBuilder::dni_api_key`]; without it each call fails with
    /// [`Error::InvalidInput`] before anything is sent (the general API key is not sent in its
    /// place).
    pub fn dni(&self) -> &crate::DniClient {
        &self.inner.dni
    }

    /// External events (Platform host). The document has no operation the generator can
    /// express, so users call [`Client::post_external_event`]; this is its host and transport.
    pub(crate) fn external_events(
        &self,
    ) -> &crate::generated::external_events::ExternalEventsClient {
        &self.inner.external_events
    }
}

/// Configures a [`Client`]. Obtain one from [`Client::builder`].
///
/// `Debug` is derived: every setting shows, and the credentials, held as [`Secret`], show as
/// `<redacted>`.
#[derive(Default, Debug)]
pub struct ClientBuilder {
    api_key: Option<Secret>,
    chat_token: Option<Secret>,
    outbound_token: Option<Secret>,
    dni_api_key: Option<Secret>,
    region: Option<Region>,
    agents_base_url: Option<GivenBaseUrl>,
    platform_base_url: Option<GivenBaseUrl>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_response_size: Option<u64>,
    retry: Option<RetryPolicy>,
    retry_budget: Option<RetryBudget>,
    user_agent_suffix: Option<String>,
}

impl ClientBuilder {
    /// The default time allowed to establish a connection (TCP and TLS).
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default time a response may go without sending a byte before it is abandoned.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default deadline for each attempt of a JSON call, from sending the request to the
    /// last byte of the answer: a server that trickles bytes (each within the read timeout)
    /// cannot hold a call open for longer. A full page of 1,000 conversations with their
    /// turns arrives in seconds.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
    /// The default largest JSON response body, in bytes (64 MiB): far above a full listing
    /// page, far below what would exhaust memory.
    pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 64 * 1024 * 1024;

    /// The API key from Agent Studio, sent as `x-api-key`. It is never printed.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// Chat's connector token, provisioned by PolyAI; sent as `X-TOKEN` beside the API key on
    /// Chat calls, which need it (also read from `POLYAI_CHAT_TOKEN`). Never printed.
    pub fn chat_token(mut self, token: impl Into<String>) -> Self {
        self.chat_token = Some(Secret::new(token));
        self
    }

    /// Legacy outbound calling's per-project token, sent as `X-PolyAi-Auth-Token` instead of
    /// the API key on Outbound calls, which need it (also read from `POLYAI_OUTBOUND_TOKEN`).
    /// Never printed.
    pub fn outbound_token(mut self, token: impl Into<String>) -> Self {
        self.outbound_token = Some(Secret::new(token));
        self
    }

    /// The API key bound to a DNI virtual agent, used instead of the API key on DNI calls,
    /// which need it (also read from `POLYAI_DNI_API_KEY`). Never printed.
    pub fn dni_api_key(mut self, key: impl Into<String>) -> Self {
        self.dni_api_key = Some(Secret::new(key));
        self
    }

    /// The region your Agent Studio account lives in; it picks the host of every family.
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Sends every family to one base URL (a proxy, a test server or `polyai-mock`).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.agents_base_url(url.clone()).platform_base_url(url)
    }

    /// Overrides the Agents-family base URL (`https://api.{region}.poly.ai`).
    pub fn agents_base_url(mut self, url: impl Into<String>) -> Self {
        self.agents_base_url = Some(GivenBaseUrl(url.into()));
        self
    }

    /// Overrides the Platform-family base URL (`https://api.{region}-1.platform.polyai.app`).
    pub fn platform_base_url(mut self, url: impl Into<String>) -> Self {
        self.platform_base_url = Some(GivenBaseUrl(url.into()));
        self
    }

    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Longest silence allowed while reading a response (default 60 s). This bounds stalled
    /// downloads without cutting long ones that keep flowing.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// A deadline for each attempt of a JSON call, body included (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](Self::DEFAULT_REQUEST_TIMEOUT), 120 s); retries are bounded
    /// separately by the [retry policy](crate::retry). Passing it ends the attempt with
    /// [`Error::Timeout`]. Never applied to audio downloads, which may run for as long as bytes
    /// keep coming (see [`read_timeout`](Self::read_timeout)).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The largest JSON response body accepted, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`](Self::DEFAULT_MAX_RESPONSE_SIZE), 64 MiB). A larger
    /// `Content-Length` is refused before the body is read, and a body without one is cut off
    /// at the limit; either way the call fails with [`Error::ResponseTooLarge`] and is not
    /// retried. Never applied to audio downloads, which stream to disk.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// The retry policy for every call (default [`RetryPolicy::standard`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The retry budget shared by every call of the client, its API families and its clones
    /// (default [`RetryBudget::standard`]: on). During an outage it bounds how many retries
    /// the client adds to the load; see [`crate::retry`] for how it works and why it is on.
    /// [`RetryBudget::disabled`] turns it off.
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.retry_budget = Some(budget);
        self
    }

    /// Appended to the `User-Agent` header, to identify your application in PolyAI's logs.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Builds the client, checking the configuration.
    pub fn build(self) -> Result<Client, Error> {
        let Some(api_key) = self.api_key.as_ref().map(Secret::expose) else {
            return Err(Error::InvalidInput(
                "no API key: call .api_key(..) or set POLYAI_API_KEY".to_string(),
            ));
        };
        let api_key = Credential::new(api_key, "API key")?;
        let optional = |secret: &Option<Secret>, what: &str| {
            secret
                .as_ref()
                .map(|s| Credential::new(s.expose(), what))
                .transpose()
        };
        let chat_token = optional(&self.chat_token, "chat token")?;
        let outbound_token = optional(&self.outbound_token, "outbound token")?;
        let dni_api_key = optional(&self.dni_api_key, "DNI API key")?;
        let base_url =
            |family: HostFamily, given: &Option<GivenBaseUrl>| -> Result<String, Error> {
                match (given, self.region) {
                (Some(url), _) => normalize_base_url(&url.0),
                (None, Some(region)) => Ok(region.base_url(family).to_string()),
                (None, None) => Err(Error::InvalidInput(
                    "no region: call .region(..) or set POLYAI_REGION to one of us, uk, eu, studio \
                     (or give base URLs for both host families)"
                        .to_string(),
                )),
            }
            };
        let agents_base_url = base_url(HostFamily::Agents, &self.agents_base_url)?;
        let platform_base_url = base_url(HostFamily::Platform, &self.platform_base_url)?;

        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => format!("{USER_AGENT} {suffix}"),
            None => USER_AGENT.to_string(),
        };
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            // Never follow redirects: reqwest would forward `x-api-key` (not a standard
            // credential header, so not stripped) to whatever host a redirect names.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(
                self.connect_timeout
                    .unwrap_or(ClientBuilder::DEFAULT_CONNECT_TIMEOUT),
            )
            .read_timeout(
                self.read_timeout
                    .unwrap_or(ClientBuilder::DEFAULT_READ_TIMEOUT),
            )
            .build()
            .map_err(|e| Error::InvalidInput(format!("cannot build the HTTP client: {e}")))?;

        let settings = Arc::new(Settings {
            retry: self.retry.unwrap_or_default(),
            retry_budget: RetryBucket::new(self.retry_budget.unwrap_or_default()),
            request_timeout: Some(
                self.request_timeout
                    .unwrap_or(ClientBuilder::DEFAULT_REQUEST_TIMEOUT),
            ),
            max_response_size: self
                .max_response_size
                .unwrap_or(ClientBuilder::DEFAULT_MAX_RESPONSE_SIZE),
        });
        let header = HeaderName::from_static;
        let transport = |credentials: Vec<(HeaderName, Credential)>| {
            Transport::new(Arc::clone(&settings), credentials)
        };
        let standard = transport(vec![(header(API_KEY_HEADER), api_key.clone())]);
        // Chat, Outbound and DNI have credentials of their own, which PolyAI provisions; the
        // general API key is never sent in their place.
        let missing =
            |explanation| Transport::without_credential(Arc::clone(&settings), explanation);
        let chat = match chat_token {
            Some(token) => transport(vec![
                (header(API_KEY_HEADER), api_key.clone()),
                (header(CHAT_TOKEN_HEADER), token),
            ]),
            None => missing(
                "Chat needs its connector token (sent as X-TOKEN beside the API key), which \
                 PolyAI provisions: set POLYAI_CHAT_TOKEN or call ClientBuilder::chat_token(..)",
            ),
        };
        let outbound = match outbound_token {
            Some(token) => transport(vec![(header(OUTBOUND_TOKEN_HEADER), token)]),
            None => missing(
                "legacy outbound calling needs its per-project token (sent as \
                 X-PolyAi-Auth-Token), which PolyAI provisions; the API key is not accepted \
                 there: set POLYAI_OUTBOUND_TOKEN or call ClientBuilder::outbound_token(..)",
            ),
        };
        let dni = match dni_api_key {
            Some(key) => transport(vec![(header(API_KEY_HEADER), key)]),
            None => missing(
                "DNI reservations need the separate API key PolyAI binds to one agent (sent as \
                 x-api-key): set POLYAI_DNI_API_KEY or call ClientBuilder::dni_api_key(..)",
            ),
        };

        // Every family shares the one HTTP client (one connection pool).
        macro_rules! family {
            ($client:ty, $base_url:expr, $transport:expr) => {
                <$client>::new_with_client($base_url, http.clone(), $transport.clone())
            };
        }
        let (agents_url, platform_url) = (agents_base_url.as_str(), platform_base_url.as_str());
        let inner = Inner {
            conversations: family!(crate::ConversationsClient, platform_url, standard),
            data: family!(crate::DataClient, agents_url, standard),
            debug_chat: family!(crate::DebugChatClient, agents_url, standard),
            agents: family!(crate::AgentsClient, agents_url, standard),
            webhook_endpoints: family!(crate::WebhookEndpointsClient, agents_url, standard),
            alerts: family!(crate::AlertsClient, agents_url, standard),
            chat: family!(crate::ChatClient, platform_url, chat),
            handoff: family!(crate::HandoffClient, platform_url, standard),
            outbound: family!(crate::OutboundClient, platform_url, outbound),
            concurrent_calls: family!(crate::ConcurrentCallsClient, platform_url, standard),
            dni: family!(crate::DniClient, platform_url, dni),
            external_events: family!(
                generated::external_events::ExternalEventsClient,
                platform_url,
                standard
            ),
            http: http.clone(),
            region: self.region,
            agents_base_url: agents_base_url.clone(),
            platform_base_url: platform_base_url.clone(),
        };
        Ok(Client {
            inner: Arc::new(inner),
        })
    }
}

/// A base URL as given to the builder, before [`ClientBuilder::build`] checks it. Its `Debug`
/// hides a `user:password@` part, which `build` refuses.
#[derive(Clone)]
struct GivenBaseUrl(String);

impl fmt::Debug for GivenBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*redact_userinfo(&self.0), f)
    }
}

/// Replaces the `user:password@` part of a URL (if any) with `<redacted>@`, so a URL can be
/// quoted in a message without the credentials in it. It works on the text, so it also covers
/// a URL that does not parse, and it errs on the side of hiding: everything between `://` and
/// the last `@` before any `?` or `#` is hidden (a password may contain `/`).
fn redact_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let before_query = rest.find(['?', '#']).unwrap_or(rest.len());
    match rest[..before_query].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(format!(
            "{}<redacted>{}",
            &url[..authority_start],
            &rest[at..]
        )),
        None => std::borrow::Cow::Borrowed(url),
    }
}

/// Checks a base URL and removes a trailing slash. A URL with credentials in it
/// (`https://user:password@host`) is refused: they would show in every `Debug` of the client
/// and in [`Client::base_url`]. No message quotes them.
fn normalize_base_url(url: &str) -> Result<String, Error> {
    let trimmed = url.trim().trim_end_matches('/');
    let shown = redact_userinfo(trimmed);
    let parsed = reqwest::Url::parse(trimmed)
        .map_err(|e| Error::InvalidInput(format!("base URL {shown:?} is not a valid URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidInput(format!(
            "base URL {shown:?} has a user name or password in it; give the base URL without \
             them and pass credentials another way (.api_key(..) and the other credential \
             settings, or a proxy of your own that adds them)"
        )));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidInput(format!(
            "base URL {shown:?} must start with http:// or https://"
        )));
    }
    if parsed.host_str() == Some("api.poly.ai") {
        return Err(Error::InvalidInput(
            "https://api.poly.ai has no region and PolyAI answers it with an error; \
             use .region(..) or a regional host such as https://api.us.poly.ai"
                .to_string(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::InvalidInput(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use progenitor_client::ClientInfo as _;

    /// A base URL with `user:password@` in it is refused at build, and neither the builder's
    /// `Debug` nor the error shows the credentials (also when the URL does not parse).
    #[test]
    fn userinfo_in_a_base_url_is_refused_and_never_shown() {
        for (url, secret) in [
            ("https://alice:hunter2-pw@proxy.example", "hunter2-pw"),
            ("http://tok-9f3e@127.0.0.1:9", "tok-9f3e"),
            ("https://alice:p/ss-8c1d@proxy.example", "ss-8c1d"),
        ] {
            for builder in [
                Client::builder().api_key("k").base_url(url),
                Client::builder()
                    .api_key("k")
                    .region(Region::Us)
                    .agents_base_url(url),
                Client::builder()
                    .api_key("k")
                    .region(Region::Us)
                    .platform_base_url(url),
            ] {
                let debug = format!("{builder:?} {builder:#?}");
                assert!(!debug.contains(secret), "{secret} shows in {debug}");
                let error = builder.build().expect_err("userinfo must be refused");
                assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
                let shown = format!("{error} {error:?} {error:#?}");
                assert!(!shown.contains(secret), "{secret} shows in {shown}");
                assert!(!shown.contains("alice"), "the user name shows in {shown}");
            }
        }
        let error = Client::builder()
            .api_key("k")
            .base_url("https://alice:hunter2-pw@proxy.example")
            .build()
            .expect_err("refused");
        assert!(
            error.to_string().contains("pass credentials another way"),
            "{error}"
        );
        // A URL without credentials keeps working.
        let client = Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9/")
            .build()
            .expect("plain base URL");
        assert_eq!(client.base_url(HostFamily::Agents), "http://127.0.0.1:9");
    }

    /// The builder's `Debug` is derived, so every setting shows (a new field cannot be left
    /// out), and each credential is a `Secret`, so none of them can.
    #[test]
    fn builder_debug_shows_every_setting_and_no_secret() {
        let secrets = [
            "sk-key-5d1e",
            "chat-tok-8a2f",
            "out-tok-3c9b",
            "dni-key-7e4a",
        ];
        let builder = Client::builder()
            .api_key(secrets[0])
            .chat_token(secrets[1])
            .outbound_token(secrets[2])
            .dni_api_key(secrets[3])
            .region(Region::Uk)
            .agents_base_url("http://127.0.0.1:1")
            .platform_base_url("http://127.0.0.1:2")
            .connect_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(4))
            .request_timeout(Duration::from_secs(5))
            .max_response_size(4096)
            .retry_policy(RetryPolicy::disabled())
            .retry_budget(RetryBudget::disabled())
            .user_agent_suffix("my-app/1.0");
        let shown = format!("{builder:?}");
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }
        for field in [
            "api_key: Some(<redacted>)",
            "chat_token: Some(<redacted>)",
            "outbound_token: Some(<redacted>)",
            "dni_api_key: Some(<redacted>)",
            "region: Some(Uk)",
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            "read_timeout: Some(4s)",
            "max_response_size: Some(4096)",
            "user_agent_suffix: Some(\"my-app/1.0\")",
        ] {
            assert!(shown.contains(field), "{field} missing from {shown}");
        }
        let pretty = format!("{builder:#?}");
        assert!(
            secrets.iter().all(|secret| !pretty.contains(secret)),
            "{pretty}"
        );
    }

    /// JSON calls are bounded even when the caller sets nothing: a deadline per attempt and a
    /// largest body, shared by every family.
    #[test]
    fn json_calls_are_bounded_by_default() {
        let client = Client::builder()
            .api_key("k")
            .region(Region::Us)
            .build()
            .unwrap();
        for settings in [
            client.data().inner().settings(),
            client.conversations().inner().settings(),
            client.chat().inner().settings(),
        ] {
            assert_eq!(
                settings.request_timeout,
                Some(ClientBuilder::DEFAULT_REQUEST_TIMEOUT)
            );
            assert_eq!(
                settings.max_response_size,
                ClientBuilder::DEFAULT_MAX_RESPONSE_SIZE
            );
        }
        let custom = Client::builder()
            .api_key("k")
            .region(Region::Us)
            .request_timeout(Duration::from_secs(5))
            .max_response_size(1024)
            .build()
            .unwrap();
        let settings = custom.data().inner().settings();
        assert_eq!(settings.request_timeout, Some(Duration::from_secs(5)));
        assert_eq!(settings.max_response_size, 1024);
    }
}
