//! OAuth 2.0 client credentials (RFC 6749 §4.4): access tokens fetched from a connector's token
//! endpoint through an [`HttpClient`], cached per (environment, connector), refreshed shortly
//! before they expire, fetched once when many calls need one at the same time, and applied to
//! a request.
//!
//! [`OAuth2Tokens`] is the cache. Give it an [`AuthConnector::OAuth2ClientCredentials`], the
//! environment, the [`SecretStore`] holding the client secret and an [`HttpClient`] (over the
//! network or in-process), and [`OAuth2Tokens::token`] returns an [`AccessToken`];
//! [`apply_token`] puts it in a request as `"{prefix} {token}"` in the connector's header. When
//! the service answers 401, call [`OAuth2Tokens::invalidate`] with the token that was refused
//! and ask again: the next call fetches a fresh one (once, however many calls were refused).
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use futures::future::BoxFuture;
//! use polyai_actions::client::{HttpClient, SendError};
//! use polyai_actions::oauth::{OAuth2Tokens, apply_token};
//! use polyai_actions::{AuthConnector, CredentialsIn, Environment, InMemorySecretStore, SecretRef};
//!
//! /// A token endpoint in-process; any `HttpClient` (a loopback server through
//! /// `ReqwestClient`, an axum `Router` through `ServiceClient`) does the same.
//! struct TokenEndpoint;
//! impl HttpClient for TokenEndpoint {
//!     fn send(&self, request: http::Request<Bytes>)
//!         -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
//!         assert_eq!(request.body().as_ref(), b"grant_type=client_credentials&scope=bookings");
//!         Box::pin(async {
//!             Ok(http::Response::builder()
//!                 .header("content-type", "application/json")
//!                 .body(Bytes::from(r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":"3600"}"#))
//!                 .unwrap())
//!         })
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let connector = AuthConnector::OAuth2ClientCredentials {
//!     token_url: "https://auth.example/oauth/token".into(),
//!     client_id: "agent".into(),
//!     client_secret: SecretRef::new("booking_client_secret"),
//!     scope: Some("bookings".into()),
//!     credentials_in: CredentialsIn::Header,
//!     auth_header_name: None,
//!     token_prefix: None,
//! };
//! let secrets = InMemorySecretStore::new().with(Environment::Sandbox, "booking_client_secret", "s3cret");
//! let tokens = OAuth2Tokens::new();
//!
//! let token = tokens.token(Environment::Sandbox, &connector, &secrets, &TokenEndpoint).await?;
//! assert_eq!(format!("{token:?}"), "<access token>");
//! let again = tokens.token(Environment::Sandbox, &connector, &secrets, &TokenEndpoint).await?;
//! assert_eq!(tokens.fetches(), 1); // cached
//!
//! let mut request = http::Request::new(Bytes::new());
//! apply_token(&mut request, &connector, &again)?;
//! assert_eq!(request.headers()["authorization"], "Bearer tok-1");
//!
//! // The service said 401: drop that token, the next call fetches a new one.
//! assert!(tokens.invalidate(Environment::Sandbox, &connector, &again));
//! tokens.token(Environment::Sandbox, &connector, &secrets, &TokenEndpoint).await?;
//! assert_eq!(tokens.fetches(), 2);
//! # Ok::<(), polyai_actions::oauth::TokenError>(())
//! # }).unwrap();
//! ```
//!
//! # The token request
//! `POST token_url` with `Content-Type: application/x-www-form-urlencoded`, `Accept:
//! application/json` and the body `grant_type=client_credentials`, then `&scope=...` when the
//! connector has a non-empty scope. With [`CredentialsIn::Header`] the client authenticates with
//! `Authorization: Basic base64(form(client_id):form(client_secret))` (RFC 6749 §2.3.1
//! form-encodes both first); with [`CredentialsIn::Body`] `&client_id=...&client_secret=...`
//! are appended to the body. The `Authorization` header is marked sensitive.
//!
//! # Behaviour chosen where PolyAI's documents are silent
//! - **Cache key**: the environment plus the connector's token URL, client id, client-secret
//!   name, scope and credentials placement. Two connectors configured alike share a token.
//! - **Refresh**: a token is refreshed once `expires_in - margin` has passed, where the margin
//!   is [`TokenSettings::refresh_before`] (default 60 s) but never more than half the token's
//!   lifetime (a 30 s token is used for 15 s).
//! - **`expires_in`** is read as a number (`3600`, `3600.5`: whole seconds) or a numeric string
//!   (`"3600"`); anything else is a [`TokenError::Malformed`]. **Missing** (RFC 6749 makes it
//!   only RECOMMENDED): the token is kept for [`TokenSettings::lifetime_if_unknown`] (default
//!   5 minutes), so a token without an announced expiry is never used for long; a 401 from the
//!   service refreshes it sooner through [`OAuth2Tokens::invalidate`]. **`0`**: the token is
//!   used by the calls that waited for it and not cached.
//! - **`token_type`**: `Bearer` in any case, or missing (RFC 6749 requires it; many servers
//!   omit it), is accepted. Any other type (`mac`, `DPoP`, ...) is refused with
//!   [`TokenError::UnsupportedTokenType`]: such tokens need proof the connector cannot give.
//!   [`TokenSettings::accept_any_token_type`] lifts the refusal (the token is then sent with the
//!   connector's prefix as if it were a bearer token).
//! - **Errors**: an RFC 6749 §5.2 body (`error`, `error_description`, `error_uri`) is
//!   [`TokenError::Rejected`] whatever the status (some servers answer 200); another non-2xx is
//!   [`TokenError::Status`]; a 2xx that is not a JSON object is [`TokenError::NotJson`]; a JSON
//!   object without a usable `access_token` is [`TokenError::Malformed`]. An endpoint that cannot
//!   be reached is [`TokenError::Unreachable`] with the [`SendError`].
//! - **No retry**: a failed token request is not retried automatically (the token request is a
//!   POST). Calls that were waiting for that request get the same error; the next call tries
//!   again.
//! - **Single flight**: while one token request is under way for a key, every other call for
//!   the same key waits for it and shares its result, success or failure.
//! - **Secrets**: the access token and the client secret never appear in `Debug`, `Display` or
//!   an error. [`AccessToken`] prints `<access token>`; token URLs in errors are cut before their
//!   query string. Nothing is logged.

mod encode;
mod response;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};

use crate::action::{AuthConnector, CredentialsIn};
use crate::client::{HttpClient, SendError};
use crate::integration::Environment;
use crate::secrets::SecretStore;

/// The time source a token cache reads to decide whether a token is still fresh.
///
/// [`SystemClock`] is the real one; [`ManualClock`] lets a test move time forward without
/// sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// [`Clock`] reading [`Instant::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A [`Clock`] that only moves when told to, for tests of expiry and refresh.
///
/// ```
/// use std::time::Duration;
/// use polyai_actions::oauth::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(3540));
/// assert_eq!(clock.now() - start, Duration::from_secs(3540));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the moment it was made.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = lock(&self.offset);
        *offset = offset.saturating_add(by);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let offset = *lock(&self.offset);
        self.start.checked_add(offset).unwrap_or(self.start)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// How an [`OAuth2Tokens`] cache treats tokens. See the module docs for each default.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenSettings {
    /// Refresh this long before `expires_in` runs out (capped at half the token's lifetime).
    /// Default 60 s.
    pub refresh_before: Duration,
    /// How long a token whose response has no `expires_in` is kept. Default 5 minutes.
    pub lifetime_if_unknown: Duration,
    /// Accept a `token_type` other than `Bearer`. Default `false`.
    pub accept_any_token_type: bool,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            refresh_before: Duration::from_secs(60),
            lifetime_if_unknown: Duration::from_secs(300),
            accept_any_token_type: false,
        }
    }
}

impl TokenSettings {
    /// With [`TokenSettings::refresh_before`] set.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// With [`TokenSettings::lifetime_if_unknown`] set.
    pub fn lifetime_if_unknown(mut self, lifetime: Duration) -> Self {
        self.lifetime_if_unknown = lifetime;
        self
    }

    /// With [`TokenSettings::accept_any_token_type`] set.
    pub fn accept_any_token_type(mut self, accept: bool) -> Self {
        self.accept_any_token_type = accept;
        self
    }
}

/// An OAuth 2.0 access token. `Debug` and `Display` print `<access token>`; read the value
/// with [`AccessToken::expose`].
///
/// Two `AccessToken`s are equal when they come from the same token response.
#[derive(Clone)]
pub struct AccessToken {
    value: Arc<str>,
    /// Unique per fetch, per cache: what [`OAuth2Tokens::invalidate`] compares.
    serial: u64,
    token_type: Option<Arc<str>>,
    scope: Option<Arc<str>>,
    fetched_at: Instant,
    lifetime: Option<Duration>,
    refresh_at: Instant,
}

impl AccessToken {
    /// A bearer token obtained some other way, never refreshed by a cache (its
    /// [`AccessToken::refresh_at`] is now). Returns [`TokenError::Malformed`] if `value` is empty
    /// or holds a character that cannot go in a header (only visible ASCII can).
    pub fn new(value: impl Into<String>) -> Result<AccessToken, TokenError> {
        let value = value.into();
        if value.is_empty() || !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(TokenError::Malformed {
                token_url: String::new(),
                status: 0,
                reason: "an access token must be non-empty visible ASCII".to_owned(),
            });
        }
        let now = Instant::now();
        Ok(AccessToken {
            value: value.into(),
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            token_type: Some("Bearer".into()),
            scope: None,
            fetched_at: now,
            lifetime: None,
            refresh_at: now,
        })
    }

    /// The token itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The `token_type` the endpoint gave, if any (`Bearer`).
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// The `scope` the endpoint says it granted, if it said.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The `expires_in` the endpoint gave, if any.
    pub fn expires_in(&self) -> Option<Duration> {
        self.lifetime
    }

    /// When the token was received (by the cache's clock).
    pub fn fetched_at(&self) -> Instant {
        self.fetched_at
    }

    /// From when the cache fetches a new token instead of returning this one.
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.serial == other.serial && self.value == other.value
    }
}

impl Eq for AccessToken {}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<access token>")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<access token>")
    }
}

/// The `error` code of an RFC 6749 §5.2 error response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client id or secret is wrong, or the authentication method.
    InvalidClient,
    /// `invalid_grant`.
    InvalidGrant,
    /// `unauthorized_client`: this client may not use the client credentials grant.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not offer client credentials.
    UnsupportedGrantType,
    /// `invalid_scope`: the scope is unknown or more than the client may have.
    InvalidScope,
    /// Any other code, as the server wrote it.
    Other(String),
}

impl OAuthErrorCode {
    /// The code as written in a response.
    pub fn as_str(&self) -> &str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::Other(code) => code,
        }
    }

    /// The code for `code` as written in a response.
    pub fn from_code(code: &str) -> Self {
        match code {
            "invalid_request" => OAuthErrorCode::InvalidRequest,
            "invalid_client" => OAuthErrorCode::InvalidClient,
            "invalid_grant" => OAuthErrorCode::InvalidGrant,
            "unauthorized_client" => OAuthErrorCode::UnauthorizedClient,
            "unsupported_grant_type" => OAuthErrorCode::UnsupportedGrantType,
            "invalid_scope" => OAuthErrorCode::InvalidScope,
            other => OAuthErrorCode::Other(other.to_owned()),
        }
    }

    fn advice(&self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidClient => {
                "check the client id, the client secret for this environment, and whether the \
                 server wants the credentials in the header or in the body (`credentials_in`)"
            }
            OAuthErrorCode::InvalidScope => "check the connector's `scope`",
            OAuthErrorCode::UnauthorizedClient => {
                "allow the client credentials grant for this client on the authorization server"
            }
            OAuthErrorCode::UnsupportedGrantType => {
                "the server does not offer the client credentials grant: check the token URL"
            }
            OAuthErrorCode::InvalidRequest | OAuthErrorCode::InvalidGrant => {
                "check the token URL and the connector's settings"
            }
            OAuthErrorCode::Other(_) => "see the server's description",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why no access token could be had. No variant holds a token or a client secret.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The connector is not OAuth 2.0 client credentials.
    #[error(
        "the `{auth}` auth connector has no OAuth 2.0 token: only oauth2_client_credentials does"
    )]
    NotOAuth2 {
        /// The connector's type.
        auth: &'static str,
    },
    /// The token URL is not an absolute http(s) URL.
    #[error(
        "the token URL `{token_url}` is not an absolute http:// or https:// URL: fix the connector's `token_url`"
    )]
    InvalidTokenUrl {
        /// The URL, without its query string.
        token_url: String,
    },
    /// The client secret is not in the secret store for this environment.
    #[error("the client secret `{name}` has no value in {environment}: add it to the secret store")]
    MissingSecret {
        /// The secret's name.
        name: String,
        /// The environment asked for.
        environment: Environment,
    },
    /// A header name or value the connector gives cannot be sent.
    #[error("{what}: fix the connector")]
    InvalidHeader {
        /// What was wrong (no secret).
        what: String,
    },
    /// The token endpoint could not be reached or did not answer in time.
    #[error("the token endpoint {token_url} could not be reached: {source}")]
    Unreachable {
        /// The token URL, without its query string.
        token_url: String,
        /// What the client reported.
        #[source]
        source: Arc<SendError>,
    },
    /// The endpoint refused, with an RFC 6749 §5.2 error response.
    #[error("the token endpoint {token_url} refused the client credentials (HTTP {status}): {error}{}; {}",
        .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), .error.advice())]
    Rejected {
        /// The token URL, without its query string.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// The `error` code.
        error: OAuthErrorCode,
        /// `error_description`, if given.
        description: Option<String>,
        /// `error_uri`, if given.
        uri: Option<String>,
    },
    /// A non-2xx answer that is not an RFC 6749 error response.
    #[error("the token endpoint {token_url} answered HTTP {status} ({body_bytes} bytes of {}) with no OAuth error: check the token URL and that the server is up",
        .content_type.as_deref().unwrap_or("no content type"))]
    Status {
        /// The token URL, without its query string.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// The response's `Content-Type`, if any.
        content_type: Option<String>,
        /// The body's length (the body itself is not kept: it may echo credentials).
        body_bytes: usize,
    },
    /// A 2xx answer that is not a JSON object.
    #[error("the token endpoint {token_url} answered HTTP {status} with {body_bytes} bytes of {} that are not a token response: {detail}; check the token URL",
        .content_type.as_deref().unwrap_or("no content type"))]
    NotJson {
        /// The token URL, without its query string.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// The response's `Content-Type`, if any.
        content_type: Option<String>,
        /// The body's length (the body itself is not kept).
        body_bytes: usize,
        /// What was wrong with it.
        detail: String,
    },
    /// A JSON answer without a usable token.
    #[error(
        "the token endpoint {token_url} answered HTTP {status} with a malformed token response: {reason}"
    )]
    Malformed {
        /// The token URL, without its query string.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong (never a value from the body).
        reason: String,
    },
    /// A `token_type` other than `Bearer`.
    #[error(
        "the token endpoint {token_url} issued a `{token_type}` token; only Bearer tokens are sent (set TokenSettings::accept_any_token_type to send it anyway)"
    )]
    UnsupportedTokenType {
        /// The token URL, without its query string.
        token_url: String,
        /// The type given.
        token_type: String,
    },
}

/// What identifies a cached token: the environment and everything about the connector that
/// decides which token the endpoint issues.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    environment: Environment,
    token_url: String,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    credentials_in: CredentialsIn,
}

struct Config<'a> {
    token_url: &'a str,
    client_id: &'a str,
    client_secret: &'a crate::SecretRef,
    scope: Option<&'a str>,
    credentials_in: CredentialsIn,
}

fn config(connector: &AuthConnector) -> Result<Config<'_>, TokenError> {
    match connector {
        AuthConnector::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
            credentials_in,
            ..
        } => Ok(Config {
            token_url,
            client_id,
            client_secret,
            scope: scope.as_deref().filter(|s| !s.is_empty()),
            credentials_in: *credentials_in,
        }),
        other => Err(TokenError::NotOAuth2 {
            auth: other.type_name(),
        }),
    }
}

/// A URL as errors show it: without user info, query string or fragment.
pub(crate) fn shown(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The state of one key's single flight.
#[derive(Default)]
struct Flight {
    /// How many token requests have completed for this key.
    completed: u64,
    /// The result of the last one.
    last: Option<Result<AccessToken, TokenError>>,
}

#[derive(Default)]
struct Entry {
    /// The cached token, read without waiting.
    cached: Mutex<Option<AccessToken>>,
    /// Copy of `Flight::completed`, readable without the async lock.
    completed: AtomicU64,
    /// Held while a token request is under way.
    flight: futures::lock::Mutex<Flight>,
}

impl Entry {
    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        lock(&self.cached)
            .as_ref()
            .filter(|t| now < t.refresh_at)
            .cloned()
    }
}

struct Inner {
    clock: Arc<dyn Clock>,
    settings: TokenSettings,
    entries: Mutex<HashMap<Key, Arc<Entry>>>,
    fetches: AtomicU64,
}

/// A cache of OAuth 2.0 client credentials tokens, per (environment, connector). Cheap to clone:
/// clones share the cache. See the [module docs](self).
#[derive(Clone)]
pub struct OAuth2Tokens {
    inner: Arc<Inner>,
}

impl fmt::Debug for OAuth2Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Tokens")
            .field("cached_keys", &lock(&self.inner.entries).len())
            .field("fetches", &self.fetches())
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl Default for OAuth2Tokens {
    fn default() -> Self {
        Self::new()
    }
}

impl OAuth2Tokens {
    /// An empty cache on the system clock with [`TokenSettings::default`].
    pub fn new() -> Self {
        Self::with_clock(TokenSettings::default(), Arc::new(SystemClock))
    }

    /// An empty cache with `settings` on the system clock.
    pub fn with_settings(settings: TokenSettings) -> Self {
        Self::with_clock(settings, Arc::new(SystemClock))
    }

    /// An empty cache with `settings`, reading time from `clock` (a [`ManualClock`] in tests).
    pub fn with_clock(settings: TokenSettings, clock: Arc<dyn Clock>) -> Self {
        OAuth2Tokens {
            inner: Arc::new(Inner {
                clock,
                settings,
                entries: Mutex::new(HashMap::new()),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// How many token requests this cache has sent (successful or not).
    pub fn fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// An access token for `connector` in `environment`: the cached one while it is fresh,
    /// else one fetched from the token endpoint through `client` (with the client secret from
    /// `secrets`). Concurrent calls for the same key share one token request.
    pub async fn token(
        &self,
        environment: Environment,
        connector: &AuthConnector,
        secrets: &dyn SecretStore,
        client: &dyn HttpClient,
    ) -> Result<AccessToken, TokenError> {
        let config = config(connector)?;
        let entry = self.entry(key(environment, &config));
        if let Some(token) = entry.fresh(self.inner.clock.now()) {
            return Ok(token);
        }
        let seen = entry.completed.load(Ordering::Acquire);
        let mut flight = entry.flight.lock().await;
        if flight.completed != seen {
            // A request completed while this call waited: share its result.
            if let Some(last) = &flight.last {
                return last.clone();
            }
        }
        if let Some(token) = entry.fresh(self.inner.clock.now()) {
            return Ok(token);
        }
        let result = self.fetch(environment, &config, secrets, client).await;
        if let Ok(token) = &result {
            let cacheable = token.lifetime != Some(Duration::ZERO);
            *lock(&entry.cached) = cacheable.then(|| token.clone());
        }
        flight.completed += 1;
        flight.last = Some(result.clone());
        entry.completed.store(flight.completed, Ordering::Release);
        result
    }

    /// Drops the cached token for `connector` in `environment` if it is still `token` (the one
    /// the service just refused with a 401), so the next [`OAuth2Tokens::token`] fetches a new
    /// one. Returns whether it dropped it; when many calls are refused with the same token,
    /// the first drops it and the rest find a fresh one already fetched.
    pub fn invalidate(
        &self,
        environment: Environment,
        connector: &AuthConnector,
        token: &AccessToken,
    ) -> bool {
        let Ok(config) = config(connector) else {
            return false;
        };
        let entry = lock(&self.inner.entries)
            .get(&key(environment, &config))
            .cloned();
        let Some(entry) = entry else {
            return false;
        };
        let mut cached = lock(&entry.cached);
        if cached.as_ref() == Some(token) {
            *cached = None;
            true
        } else {
            false
        }
    }

    /// [`invalidate`](Self::invalidate) by the token's value: drops the cached token for
    /// `connector` in `environment` only if it is still the one whose value is `value`.
    pub fn invalidate_value(
        &self,
        environment: Environment,
        connector: &AuthConnector,
        value: &str,
    ) -> bool {
        let Ok(config) = config(connector) else {
            return false;
        };
        let entry = lock(&self.inner.entries)
            .get(&key(environment, &config))
            .cloned();
        let Some(entry) = entry else {
            return false;
        };
        let mut cached = lock(&entry.cached);
        if cached.as_ref().is_some_and(|token| token.expose() == value) {
            *cached = None;
            true
        } else {
            false
        }
    }

    /// This cache as the runner's token source
    /// ([`run::AccessTokens`](crate::run::AccessTokens)), fetching through `client`: pass it to
    /// [`Conversation::run`](crate::chain::Conversation::run), usually with the same client
    /// the action is sent through.
    pub fn source<'c>(&self, client: &'c dyn HttpClient) -> OAuth2Source<'c> {
        OAuth2Source {
            tokens: self.clone(),
            client: SourceClient::Borrowed(client),
        }
    }

    /// [`source`](Self::source) owning its client, for a holder that outlives any borrow:
    /// [`ConvApi::with_oauth`](crate::conv_api::ConvApi::with_oauth) keeps one.
    pub fn shared_source(&self, client: Arc<dyn HttpClient>) -> OAuth2Source<'static> {
        OAuth2Source {
            tokens: self.clone(),
            client: SourceClient::Shared(client),
        }
    }

    /// Drops every cached token.
    pub fn clear(&self) {
        lock(&self.inner.entries).clear();
    }

    fn entry(&self, key: Key) -> Arc<Entry> {
        lock(&self.inner.entries).entry(key).or_default().clone()
    }

    async fn fetch(
        &self,
        environment: Environment,
        config: &Config<'_>,
        secrets: &dyn SecretStore,
        client: &dyn HttpClient,
    ) -> Result<AccessToken, TokenError> {
        let request = token_request(environment, config, secrets)?;
        let token_url = shown(config.token_url);
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let response = client
            .send(request)
            .await
            .map_err(|source| TokenError::Unreachable {
                token_url: token_url.clone(),
                source: Arc::new(source),
            })?;
        let fetched_at = self.inner.clock.now();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let granted =
            response::parse(&token_url, response.status(), content_type, response.body())?;
        if let Some(kind) = &granted.token_type
            && !kind.eq_ignore_ascii_case("bearer")
            && !self.inner.settings.accept_any_token_type
        {
            return Err(TokenError::UnsupportedTokenType {
                token_url,
                token_type: kind.clone(),
            });
        }
        let settings = &self.inner.settings;
        let lifetime = granted.expires_in.unwrap_or(settings.lifetime_if_unknown);
        let margin = settings.refresh_before.min(lifetime / 2);
        let fresh_for = lifetime.saturating_sub(margin);
        let refresh_at = fetched_at.checked_add(fresh_for).unwrap_or_else(|| {
            // Beyond what Instant can hold: a century is "until invalidated".
            fetched_at
                .checked_add(Duration::from_secs(100 * 365 * 24 * 3600))
                .unwrap_or(fetched_at)
        });
        Ok(AccessToken {
            value: granted.access_token.into(),
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            token_type: granted.token_type.map(Into::into),
            scope: granted.scope.map(Into::into),
            fetched_at,
            lifetime: granted.expires_in,
            refresh_at,
        })
    }
}

fn key(environment: Environment, config: &Config<'_>) -> Key {
    Key {
        environment,
        token_url: config.token_url.to_owned(),
        client_id: config.client_id.to_owned(),
        client_secret: config.client_secret.name().to_owned(),
        scope: config.scope.map(str::to_owned),
        credentials_in: config.credentials_in,
    }
}

/// The RFC 6749 §4.4.2 token request for `config` in `environment`.
fn token_request(
    environment: Environment,
    config: &Config<'_>,
    secrets: &dyn SecretStore,
) -> Result<http::Request<Bytes>, TokenError> {
    let invalid_url = || TokenError::InvalidTokenUrl {
        token_url: shown(config.token_url),
    };
    let uri: http::Uri = config.token_url.parse().map_err(|_| invalid_url())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(invalid_url());
    }
    let secret = secrets
        .get(environment, config.client_secret.name())
        .ok_or_else(|| TokenError::MissingSecret {
            name: config.client_secret.name().to_owned(),
            environment,
        })?;
    let mut pairs: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if let Some(scope) = config.scope {
        pairs.push(("scope", scope));
    }
    let mut builder = http::Request::post(uri)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json");
    match config.credentials_in {
        CredentialsIn::Header => {
            let mut value =
                HeaderValue::from_str(&encode::basic(config.client_id, secret.expose())).map_err(
                    |_| TokenError::InvalidHeader {
                        what: "the Basic credentials cannot be sent in a header".to_owned(),
                    },
                )?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        CredentialsIn::Body => {
            pairs.push(("client_id", config.client_id));
            pairs.push(("client_secret", secret.expose()));
        }
    }
    builder
        .body(Bytes::from(encode::form(&pairs)))
        .map_err(|_| invalid_url())
}

/// Puts `token` in `request` as the connector says: in `auth_header_name` (default
/// `Authorization`) as exactly `"{token_prefix} {token}"` (prefix default `Bearer`; an empty
/// prefix sends the token alone), replacing any value the header had. The header is marked
/// sensitive.
///
/// ```
/// use bytes::Bytes;
/// use polyai_actions::oauth::{AccessToken, apply_token};
/// use polyai_actions::{AuthConnector, CredentialsIn, SecretRef};
///
/// let connector = AuthConnector::OAuth2ClientCredentials {
///     token_url: "https://auth.example/token".into(),
///     client_id: "agent".into(),
///     client_secret: SecretRef::new("secret"),
///     scope: None,
///     credentials_in: CredentialsIn::Body,
///     auth_header_name: Some("X-Api-Token".into()),
///     token_prefix: Some("".into()),
/// };
/// let token = AccessToken::new("tok-1")?;
/// let mut request = http::Request::new(Bytes::new());
/// apply_token(&mut request, &connector, &token)?;
/// assert_eq!(request.headers()["x-api-token"], "tok-1");
/// # Ok::<(), polyai_actions::oauth::TokenError>(())
/// ```
pub fn apply_token<B>(
    request: &mut http::Request<B>,
    connector: &AuthConnector,
    token: &AccessToken,
) -> Result<(), TokenError> {
    let AuthConnector::OAuth2ClientCredentials {
        auth_header_name,
        token_prefix,
        ..
    } = connector
    else {
        return Err(TokenError::NotOAuth2 {
            auth: connector.type_name(),
        });
    };
    let name_text = auth_header_name.as_deref().unwrap_or("Authorization");
    let name =
        HeaderName::from_bytes(name_text.as_bytes()).map_err(|_| TokenError::InvalidHeader {
            what: format!("`{name_text}` is not a valid header name (`auth_header_name`)"),
        })?;
    let prefix = token_prefix.as_deref().unwrap_or("Bearer");
    let text = if prefix.is_empty() {
        token.expose().to_owned()
    } else {
        format!("{prefix} {}", token.expose())
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| TokenError::InvalidHeader {
        what: format!(
            "the token prefix `{}` cannot be sent in a header value (`token_prefix`)",
            prefix.escape_debug()
        ),
    })?;
    value.set_sensitive(true);
    request.headers_mut().insert(name, value);
    Ok(())
}

/// Numbers every token, so a token is told apart from a later one with the same value.
static SERIAL: AtomicU64 = AtomicU64::new(1);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`OAuth2Tokens`] as the runner's [`AccessTokens`](crate::run::AccessTokens): tokens are
/// fetched through the given client, cached and shared as the cache does, and a token the
/// service refused with a 401 is dropped so the runner's one resend gets a fresh one. Made by
/// [`OAuth2Tokens::source`] (borrowing the client) or [`OAuth2Tokens::shared_source`].
#[derive(Clone)]
pub struct OAuth2Source<'c> {
    tokens: OAuth2Tokens,
    client: SourceClient<'c>,
}

/// The client an [`OAuth2Source`] fetches through: borrowed, or shared and owned.
#[derive(Clone)]
enum SourceClient<'c> {
    Borrowed(&'c dyn HttpClient),
    Shared(Arc<dyn HttpClient>),
}

impl SourceClient<'_> {
    fn get(&self) -> &dyn HttpClient {
        match self {
            SourceClient::Borrowed(client) => *client,
            SourceClient::Shared(client) => client.as_ref(),
        }
    }
}

impl OAuth2Source<'_> {
    /// The cache this source reads and fills (its [`OAuth2Tokens::fetches`] counts the token
    /// requests sent).
    pub fn tokens(&self) -> &OAuth2Tokens {
        &self.tokens
    }
}

impl std::fmt::Debug for OAuth2Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Source")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl crate::run::AccessTokens for OAuth2Source<'_> {
    fn token<'a>(
        &'a self,
        connector: &'a AuthConnector,
        environment: Environment,
        secrets: &'a dyn crate::secrets::SecretStore,
    ) -> crate::run::BoxFuture<'a, Result<crate::secrets::SecretValue, crate::run::BoxError>> {
        Box::pin(async move {
            let token = self
                .tokens
                .token(environment, connector, secrets, self.client.get())
                .await?;
            Ok(crate::secrets::SecretValue::new(
                "oauth2 access token",
                token.expose(),
            ))
        })
    }

    fn invalidate(
        &self,
        connector: &AuthConnector,
        environment: Environment,
        token: &crate::secrets::SecretValue,
    ) {
        self.tokens
            .invalidate_value(environment, connector, token.expose());
    }
}
