//! Sending a rendered request: over the network through [`reqwest`] ([`ReqwestClient`]), or
//! in-process to any [`tower_service::Service`] such as an axum `Router` ([`ServiceClient`]), with
//! no socket. Both read the whole response within the same limits ([`ClientOptions`]: a total
//! timeout, a connect timeout, a maximum response size) and fail with the same typed
//! [`SendError`].
//!
//! **No retries.** PolyAI does not document whether, or how, its platform retries an action or
//! an integration call that failed. This layer never retries a request on its own: one call to
//! [`HttpClient::send`] is one request on the wire (or one call of the service). A 5xx is a
//! response, not an error: the caller decides what it means.
//!
//! **Redirects.** PolyAI does not document whether its platform follows redirects either. By
//! default a 3xx is returned as it is, so that a test sees exactly what the service answered.
//! [`ClientOptions::with_max_redirects`] follows up to that many redirects, but only to the same
//! origin (scheme, host and port): a redirect to another host is returned as the 3xx response,
//! so credentials (an `Authorization` header, an API key in a header) are never sent to another
//! host.
//!
//! **Secrets.** No error message holds a header, a body or a query string: URLs in errors are
//! cut to scheme, host and path (a query may hold an API key, `?api_key=`).
//!
//! Sending to a local server:
//!
//! ```
//! use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient};
//! use bytes::Bytes;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/ping", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! let client = ReqwestClient::new(ClientOptions::default().with_max_response_bytes(1024))?;
//! let request = http::Request::get(url).body(Bytes::new())?;
//! let response = client.send(request).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body().as_ref(), b"pong");
//! # Ok(())
//! # }
//! ```
//!
//! Sending to an axum `Router` in-process, with no socket:
//!
//! ```
//! use polyai_actions::client::{HttpClient, ServiceClient};
//! use bytes::Bytes;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = axum::Router::new().route(
//!     "/echo",
//!     axum::routing::post(|body: String| async move { body.to_uppercase() }),
//! );
//! let client = ServiceClient::new(app);
//! let request = http::Request::post("http://shop.example/echo").body(Bytes::from("hello"))?;
//! let response = client.send(request).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body().as_ref(), b"HELLO");
//! # Ok(())
//! # }
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::task::Context;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures::FutureExt;
use futures::future::BoxFuture;
use http_body::Body;
use http_body_util::{BodyExt, Full};

/// Sends one HTTP request and reads the whole response, within the client's limits.
///
/// An implementation never retries: one call is one request. A response of any status (a 404,
/// a 503) is `Ok`; only a request that got no complete response is an [`SendError`].
pub trait HttpClient: Send + Sync {
    /// Sends `request` and reads the whole response body.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>>;
}

impl<C: HttpClient + ?Sized> HttpClient for &C {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
        (**self).send(request)
    }
}

impl<C: HttpClient + ?Sized> HttpClient for std::sync::Arc<C> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
        (**self).send(request)
    }
}

impl<C: HttpClient + ?Sized> HttpClient for Box<C> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
        (**self).send(request)
    }
}

/// The default total timeout: 10 seconds (PolyAI does not document its own).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout: 5 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default maximum response body size: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;

/// The limits a client sends within.
///
/// Defaults ([`ClientOptions::default`]): a total timeout of 10 s ([`DEFAULT_TIMEOUT`]: sending,
/// waiting and reading the whole body), a connect timeout of 5 s ([`DEFAULT_CONNECT_TIMEOUT`];
/// network only), a maximum response body of 10 MiB ([`DEFAULT_MAX_RESPONSE_BYTES`]) and no
/// redirects followed. PolyAI documents none of these limits for its platform.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The whole exchange, from sending to the last body byte; `None`: no limit.
    pub timeout: Option<Duration>,
    /// Establishing the connection ([`ReqwestClient`] only); `None`: no limit beyond `timeout`.
    pub connect_timeout: Option<Duration>,
    /// The largest response body accepted, in bytes: checked against `Content-Length` first,
    /// then while reading.
    pub max_response_bytes: u64,
    /// Redirects followed, same origin only ([`ReqwestClient`] only); 0 (the default): none.
    pub max_redirects: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_redirects: 0,
        }
    }
}

impl ClientOptions {
    /// The defaults (see [`ClientOptions`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the total timeout (`None`: no limit).
    pub fn with_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Sets the connect timeout (`None`: no limit beyond the total timeout).
    pub fn with_connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Sets the largest response body accepted, in bytes.
    pub fn with_max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Follows up to `max` redirects to the same origin; a redirect elsewhere is returned as is.
    pub fn with_max_redirects(mut self, max: u32) -> Self {
        self.max_redirects = max;
        self
    }
}

/// Why a request got no complete response. Messages say what went wrong and what to do; none
/// holds a header, a body, a secret or a query string (`url` is scheme, host and path only).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No connection could be made (refused, unreachable, DNS, TLS).
    #[error(
        "could not connect to {url}: {message}; check that the service is running and that the URL's host and port are right"
    )]
    Connect {
        /// Scheme, host and path of the request.
        url: String,
        /// What the transport reported.
        message: String,
    },
    /// The limit passed before the whole response was read.
    #[error(
        "no complete response from {url} within {after:?}; the service is slow or stalled: raise the timeout (ClientOptions::with_timeout) or fix the service"
    )]
    Timeout {
        /// Scheme, host and path of the request.
        url: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The response body is larger than the limit.
    #[error(
        "the response from {url} is larger than the limit of {limit} bytes{}; raise it (ClientOptions::with_max_response_bytes) or make the service answer less",
        match declared { Some(n) => format!(" (Content-Length: {n})"), None => String::new() }
    )]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// Scheme, host and path of the request.
        url: String,
        /// The size the response declared in `Content-Length`, if it did.
        declared: Option<u64>,
    },
    /// The response started but its body could not be read to the end.
    #[error(
        "the response body from {url} could not be read: {message}; the service closed the connection or sent a malformed body"
    )]
    Body {
        /// Scheme, host and path of the request.
        url: String,
        /// What the transport reported.
        message: String,
    },
    /// The connection broke after it was made and before a response arrived.
    #[error(
        "the request to {url} failed after connecting: {message}; the service closed the connection or answered something that is not HTTP"
    )]
    Transport {
        /// Scheme, host and path of the request.
        url: String,
        /// What the transport reported.
        message: String,
    },
    /// The in-process service returned an error or panicked.
    #[error("the service failed on {url}: {message}; fix the handler")]
    Service {
        /// Scheme, host and path of the request.
        url: String,
        /// The service's error, or the panic message.
        message: String,
    },
    /// The request cannot be sent as it is (an unsupported or relative URL, a bad header).
    #[error("the request to {url} cannot be sent: {message}")]
    InvalidRequest {
        /// Scheme, host and path of the request.
        url: String,
        /// What is wrong with it.
        message: String,
    },
}

impl SendError {
    /// The URL of the failed request, cut to scheme, host and path.
    pub fn url(&self) -> &str {
        match self {
            SendError::Connect { url, .. }
            | SendError::Timeout { url, .. }
            | SendError::ResponseTooLarge { url, .. }
            | SendError::Body { url, .. }
            | SendError::Transport { url, .. }
            | SendError::Service { url, .. }
            | SendError::InvalidRequest { url, .. } => url,
        }
    }
}

/// `uri` cut to scheme, host, port and path: no user info, no query, no fragment.
pub fn redact_uri(uri: &http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(host) = uri.host() {
        out.push_str(host);
    }
    if let Some(port) = uri.port_u16() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(uri.path());
    out
}

/// Reads a whole body, failing once it passes `limit` bytes (or at once when its `declared`
/// length does); `body_error` turns the body's own error into ours. A body that arrives in one
/// chunk (the usual small JSON answer) is kept as that chunk, without a copy when the chunk is
/// `Bytes`; only a second chunk starts a buffer.
async fn read_limited<B>(
    body: B,
    limit: u64,
    declared: Option<u64>,
    uri: &http::Uri,
    body_error: impl Fn(B::Error) -> SendError,
) -> Result<Bytes, SendError>
where
    B: Body,
{
    let too_large = |declared| SendError::ResponseTooLarge {
        limit,
        url: redact_uri(uri),
        declared,
    };
    if let Some(n) = declared
        && n > limit
    {
        return Err(too_large(Some(n)));
    }
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut out = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(mut data) = frame.map_err(&body_error)?.into_data() else {
            continue; // trailers
        };
        let held = first.as_ref().map_or(0, Bytes::len) + out.len();
        if held as u64 + data.remaining() as u64 > limit {
            return Err(too_large(declared));
        }
        if first.is_none() && out.is_empty() {
            first = Some(data.copy_to_bytes(data.remaining()));
            continue;
        }
        if let Some(first) = first.take() {
            out.extend_from_slice(&first);
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            out.extend_from_slice(chunk);
            let n = chunk.len();
            data.advance(n);
        }
    }
    Ok(match first {
        Some(only) => only,
        None => out.freeze(),
    })
}

/// Sends over the network with one [`reqwest::Client`] (rustls, connection pooling).
///
/// Redirects: none followed by default; see [`ClientOptions::with_max_redirects`]. Never
/// retries.
#[derive(Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    options: ClientOptions,
}

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ReqwestClient {
    /// A client with these limits.
    pub fn new(options: ClientOptions) -> Result<Self, SendError> {
        let max = options.max_redirects as usize;
        let policy = if max == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                let first = attempt.previous().first();
                let same_origin = first.is_some_and(|first| {
                    first.scheme() == attempt.url().scheme()
                        && first.host_str() == attempt.url().host_str()
                        && first.port_or_known_default() == attempt.url().port_or_known_default()
                });
                if !same_origin || attempt.previous().len() > max {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            })
        };
        let mut builder = reqwest::Client::builder().redirect(policy);
        if let Some(timeout) = options.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(timeout) = options.connect_timeout {
            builder = builder.connect_timeout(timeout);
        }
        let client = builder.build().map_err(|e| SendError::InvalidRequest {
            url: String::new(),
            message: format!("the HTTP client could not be built: {}", e.without_url()),
        })?;
        Ok(ReqwestClient { client, options })
    }

    /// A client over an existing [`reqwest::Client`] (its own timeouts and redirect policy
    /// apply; `options.max_response_bytes` is still enforced, and `options.timeout` only names
    /// the limit in a [`SendError::Timeout`]).
    pub fn from_reqwest(client: reqwest::Client, options: ClientOptions) -> Self {
        ReqwestClient { client, options }
    }

    /// The limits this client sends within.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// A failure while reading the response body: a transport error there is a body error.
    #[cold]
    #[inline(never)]
    fn classify_body(&self, error: reqwest::Error, uri: &http::Uri) -> SendError {
        match self.classify(error, uri) {
            SendError::Transport { url, message } => SendError::Body { url, message },
            other => other,
        }
    }

    /// What a failed send was (kept out of the sending path's code: it runs only on errors).
    #[cold]
    #[inline(never)]
    fn classify(&self, error: reqwest::Error, uri: &http::Uri) -> SendError {
        let url = redact_uri(uri);
        let timeout = error_is_timeout(&error);
        let error = error.without_url();
        // reqwest's own messages; the source chain says what happened (refused, reset...).
        let message = source_chain(&error);
        if timeout {
            // A connect timeout names the connect limit; otherwise the total one.
            let limit = if error.is_connect() {
                self.options.connect_timeout.or(self.options.timeout)
            } else {
                self.options.timeout
            };
            SendError::Timeout {
                url,
                after: limit.unwrap_or(Duration::ZERO),
            }
        } else if error.is_connect() {
            SendError::Connect { url, message }
        } else if error.is_builder() {
            SendError::InvalidRequest { url, message }
        } else if error.is_body() || error.is_decode() {
            SendError::Body { url, message }
        } else {
            SendError::Transport { url, message }
        }
    }
}

fn error_is_timeout(error: &reqwest::Error) -> bool {
    if error.is_timeout() {
        return true;
    }
    let mut source = error.source();
    while let Some(err) = source {
        if let Some(e) = err.downcast_ref::<reqwest::Error>()
            && e.is_timeout()
        {
            return true;
        }
        source = err.source();
    }
    false
}

/// An error and its sources, joined by `: ` (deduplicated when a source repeats its parent).
fn source_chain(error: &dyn StdError) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        let text = err.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = err.source();
    }
    out
}

impl HttpClient for ReqwestClient {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
        async move {
            // Kept for the URL an error names (scheme, host and path), written out only then.
            let uri = request.uri().clone();
            let request = match reqwest::Request::try_from(request) {
                Ok(request) => request,
                Err(e) => return Err(not_sendable(e, &uri)),
            };
            let response = match self.client.execute(request).await {
                Ok(response) => response,
                Err(e) => return Err(self.classify(e, &uri)),
            };
            let declared = response.content_length();
            // Status, version and headers are moved over as they are, not copied.
            let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
            let limit = self.options.max_response_bytes;
            let body =
                read_limited(body, limit, declared, &uri, |e| self.classify_body(e, &uri)).await?;
            Ok(http::Response::from_parts(parts, body))
        }
        .boxed()
    }
}

/// The error for a request reqwest cannot take (its URL), kept out of the sending path's code.
#[cold]
#[inline(never)]
fn not_sendable(error: reqwest::Error, uri: &http::Uri) -> SendError {
    SendError::InvalidRequest {
        url: redact_uri(uri),
        message: format!(
            "{}; the URL must be absolute, http or https",
            source_chain(&error.without_url())
        ),
    }
}

/// Sends in-process to a [`tower_service::Service`] (an axum `Router`, a `tower` stack), with no
/// socket: the service gets the request exactly as rendered, its body as
/// [`http_body_util::Full<Bytes>`].
///
/// The service is cloned for each request (axum's `Router` is cheap to clone). The total
/// timeout and the maximum response size of [`ClientOptions`] apply (the timeout needs a tokio
/// runtime with its timer). A service error or a panic in the handler becomes a
/// [`SendError::Service`]. Never retries.
#[derive(Clone)]
pub struct ServiceClient<S> {
    service: S,
    options: ClientOptions,
}

impl<S> fmt::Debug for ServiceClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &std::any::type_name::<S>())
            .field("options", &self.options)
            .finish()
    }
}

impl<S> ServiceClient<S> {
    /// A client over `service`, with the default limits.
    pub fn new(service: S) -> Self {
        ServiceClient {
            service,
            options: ClientOptions::default(),
        }
    }

    /// Replaces the limits (`connect_timeout` and `max_redirects` do not apply in-process).
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The limits this client sends within.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The service.
    pub fn service(&self) -> &S {
        &self.service
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("the handler panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("the handler panicked: {s}")
    } else {
        "the handler panicked".to_owned()
    }
}

impl<S, ResBody> HttpClient for ServiceClient<S>
where
    S: tower_service::Service<http::Request<Full<Bytes>>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    ResBody: Body + Send + 'static,
    ResBody::Data: Send,
    ResBody::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, SendError>> {
        let mut service = self.service.clone();
        let limit = self.options.max_response_bytes;
        let timeout = self.options.timeout;
        async move {
            // The URL errors name, written out only when there is an error.
            let uri = request.uri().clone();
            let url = || redact_uri(&uri);
            let request = request.map(Full::new);
            let exchange = AssertUnwindSafe(async {
                futures::future::poll_fn(|cx: &mut Context<'_>| service.poll_ready(cx))
                    .await
                    .map_err(|e| SendError::Service {
                        url: url(),
                        message: source_chain(&*e.into()),
                    })?;
                let response = service
                    .call(request)
                    .await
                    .map_err(|e| SendError::Service {
                        url: url(),
                        message: source_chain(&*e.into()),
                    })?;
                let (parts, body) = response.into_parts();
                let declared = body.size_hint().exact();
                let body = read_limited(body, limit, declared, &uri, |e| SendError::Body {
                    url: redact_uri(&uri),
                    message: e.into().to_string(),
                })
                .await?;
                Ok(http::Response::from_parts(parts, body))
            })
            .catch_unwind();
            let outcome = match timeout {
                Some(after) => match tokio::time::timeout(after, exchange).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        return Err(SendError::Timeout { url: url(), after });
                    }
                },
                None => exchange.await,
            };
            match outcome {
                Ok(result) => result,
                Err(payload) => Err(SendError::Service {
                    url: url(),
                    message: panic_message(&*payload),
                }),
            }
        }
        .boxed()
    }
}
