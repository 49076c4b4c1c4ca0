//! Running an action: render it over a [`Conversation`]'s state, apply an OAuth 2.0 token,
//! send it, and read the [`Outcome`] back into the conversation.
//!
//! [`Conversation::run_with`] takes the sender as a function from the request to a future of
//! the response, so any client fits (the shared `client::HttpClient` trait, an in-process
//! service, a test double).
//!
//! # Retries, and the choices where PolyAI documents none
//!
//! PolyAI does not document retrying actions, and this crate makes no automatic retry of a
//! request, idempotent or not: a `5xx` is an outcome the agent sees, never retried; a
//! transport failure (refused connection, timeout, a body over the limit) is
//! [`RunError::Send`], never resent (the service may have acted on it).
//!
//! The one resend is not a retry of a request the service acted on: with an OAuth 2.0
//! connector, a `401` from the service makes the runner (and [`ConvApi`](crate::conv_api::ConvApi))
//! invalidate the token, fetch a new one and send the same request again, once. A second `401`
//! is the outcome. A `401` means the service refused the credentials and did not act, so by
//! default ([`ResendAfter401::EveryMethod`]) this holds for every method, POST included. A
//! service that may act before it checks credentials can have the resend for idempotent
//! methods only ([`ResendAfter401::IdempotentOnly`]: the first `401` to a POST or PATCH is
//! then the outcome) or never ([`ResendAfter401::Never`]), through
//! [`RequestOptions::with_resend_after_401`](crate::render::RequestOptions::with_resend_after_401)
//! on the conversation's or the `ConvApi`'s options.
//!
//! ```
//! use bytes::Bytes;
//! use polyai_actions::chain::Conversation;
//! use polyai_actions::secrets::NoSecrets;
//! use polyai_actions::{ApiAction, Environment, PreparedAction};
//! use serde_json::json;
//!
//! let action = ApiAction::from_yaml_str(r#"
//! name: lookup
//! url: https://crm.example/customers
//! method: GET
//! output_variables: [{ name: customer.id, path: "$.id" }]
//! "#)?;
//! let prepared = PreparedAction::new(&action)?;
//! let mut conversation = Conversation::new(Environment::Live, &NoSecrets);
//! // An in-process "service": any function from the request to a future of the response.
//! let send = |request: http::Request<Bytes>| {
//!     assert_eq!(request.uri(), "https://crm.example/customers?phone=%2B44");
//!     std::future::ready(Ok::<_, std::io::Error>(http::Response::new(Bytes::from(r#"{"id": "C-1"}"#))))
//! };
//! let run = conversation.run_with(&prepared, json!({"phone": "+44"}), None, send);
//! let outcome = polyai_actions::run::block_on(run)?;
//! assert_eq!(outcome.variable("customer.id"), Some(&json!("C-1")));
//! assert_eq!(conversation.variables()["customer"]["id"], json!("C-1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde_json::Value;

use crate::action::AuthConnector;
use crate::chain::{Conversation, RunError};
use crate::integration::Environment;
use crate::outcome::Outcome;
use crate::render::{OAuth2Handling, PreparedAction};
use crate::secrets::{SecretStore, SecretValue};

/// Whether a `401` to a request sent with an OAuth 2.0 token is answered by dropping the
/// token, fetching a fresh one and sending the same request once more (see the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResendAfter401 {
    /// Resend once, whatever the method (the default: a `401` means the service did not act).
    #[default]
    EveryMethod,
    /// Resend once only for methods RFC 9110 calls idempotent (GET, HEAD, OPTIONS, TRACE,
    /// PUT, DELETE); for POST and PATCH the first `401` is the response.
    IdempotentOnly,
    /// Never resend: the first `401` is the response (the token is still dropped, so the
    /// next call fetches a fresh one).
    Never,
}

impl ResendAfter401 {
    /// Whether a `401` to a request with `method` is answered by one resend.
    pub fn resends(self, method: &http::Method) -> bool {
        match self {
            ResendAfter401::EveryMethod => true,
            ResendAfter401::IdempotentOnly => matches!(
                *method,
                http::Method::GET
                    | http::Method::HEAD
                    | http::Method::OPTIONS
                    | http::Method::TRACE
                    | http::Method::PUT
                    | http::Method::DELETE
            ),
            ResendAfter401::Never => false,
        }
    }
}

/// A boxed error from a sender or a token source.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where OAuth 2.0 access tokens come from (cached per connector and environment by the
/// implementation; see the `oauth` module).
pub trait AccessTokens: Send + Sync {
    /// A current token for `connector` in `environment`.
    fn token<'a>(
        &'a self,
        connector: &'a AuthConnector,
        environment: Environment,
        secrets: &'a dyn SecretStore,
    ) -> BoxFuture<'a, Result<SecretValue, BoxError>>;

    /// The service rejected `token` (a `401`): drop it, so the next [`Self::token`] fetches a
    /// new one.
    fn invalidate(&self, connector: &AuthConnector, environment: Environment, token: &SecretValue);
}

/// Drives a future to completion on the current thread, for futures that need no reactor
/// (an in-process sender such as a `std::future::ready` double). Use your runtime's own
/// `block_on` or `.await` for anything that does I/O.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

fn oauth_connector<'b>(action: &'b PreparedAction<'_>) -> Option<&'b AuthConnector> {
    let connector = action.action().auth_connector()?;
    matches!(connector, AuthConnector::OAuth2ClientCredentials { .. }).then_some(connector)
}

/// The header an OAuth 2.0 token goes in, and the prefix before it.
fn token_header(connector: &AuthConnector) -> (&str, &str) {
    match connector {
        AuthConnector::OAuth2ClientCredentials {
            auth_header_name,
            token_prefix,
            ..
        } => (
            auth_header_name.as_deref().unwrap_or("Authorization"),
            token_prefix.as_deref().unwrap_or("Bearer"),
        ),
        _ => ("Authorization", "Bearer"),
    }
}

fn with_token(
    request: &http::Request<Bytes>,
    connector: &AuthConnector,
    token: &SecretValue,
) -> Result<http::Request<Bytes>, BoxError> {
    let (header, prefix) = token_header(connector);
    let value = if prefix.is_empty() {
        token.expose().to_owned()
    } else {
        format!("{prefix} {}", token.expose())
    };
    let mut out = http::Request::new(request.body().clone());
    *out.method_mut() = request.method().clone();
    *out.uri_mut() = request.uri().clone();
    *out.version_mut() = request.version();
    *out.headers_mut() = request.headers().clone();
    let name = http::HeaderName::from_bytes(header.as_bytes()).map_err(|_| -> BoxError {
        format!("the auth header name `{header}` is not an HTTP token").into()
    })?;
    let mut value = http::HeaderValue::from_str(&value).map_err(|_| -> BoxError {
        "the token endpoint returned a token that cannot be sent in a header".into()
    })?;
    value.set_sensitive(true);
    out.headers_mut().insert(name, value);
    Ok(out)
}

/// What [`send_authorized`] needs to put an OAuth 2.0 token on a request.
pub(crate) struct Authorize<'a> {
    pub(crate) connector: &'a AuthConnector,
    pub(crate) environment: Environment,
    pub(crate) secrets: &'a dyn SecretStore,
    pub(crate) tokens: &'a dyn AccessTokens,
    pub(crate) resend: ResendAfter401,
}

/// Why [`send_authorized`] got no response.
pub(crate) enum SendFailure {
    /// No token (the source's error), or a token that cannot go in the connector's header.
    Token(BoxError),
    /// The sender's error.
    Send(BoxError),
}

/// The one sending step of both the action runner and `conv_api`: without `authorize`, sends
/// `request` as it is; with it, puts a token from the source in the connector's header
/// (name and prefix), sends, and after a `401` drops that token and, if `resend` allows it for
/// the request's method, takes a fresh one and sends the same request once more. Nothing else
/// is retried.
pub(crate) async fn send_authorized<S, F, E>(
    request: http::Request<Bytes>,
    authorize: Option<Authorize<'_>>,
    send: S,
) -> Result<http::Response<Bytes>, SendFailure>
where
    S: Fn(http::Request<Bytes>) -> F,
    F: Future<Output = Result<http::Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    let Some(Authorize {
        connector,
        environment,
        secrets,
        tokens,
        resend,
    }) = authorize
    else {
        return send(request).await.map_err(|e| SendFailure::Send(e.into()));
    };
    let token = tokens
        .token(connector, environment, secrets)
        .await
        .map_err(SendFailure::Token)?;
    let first = send(with_token(&request, connector, &token).map_err(SendFailure::Token)?)
        .await
        .map_err(|e| SendFailure::Send(e.into()))?;
    if first.status() != http::StatusCode::UNAUTHORIZED {
        return Ok(first);
    }
    tokens.invalidate(connector, environment, &token);
    if !resend.resends(request.method()) {
        return Ok(first);
    }
    let fresh = tokens
        .token(connector, environment, secrets)
        .await
        .map_err(SendFailure::Token)?;
    let retry = with_token(&request, connector, &fresh).map_err(SendFailure::Token)?;
    send(retry).await.map_err(|e| SendFailure::Send(e.into()))
}

impl Conversation<'_> {
    /// [`Self::run_with`] through an [`HttpClient`](crate::client::HttpClient): a
    /// [`ReqwestClient`](crate::client::ReqwestClient) over the network, or a
    /// [`ServiceClient`](crate::client::ServiceClient) in-process (an axum `Router`).
    ///
    /// # Errors
    /// As [`Self::run_with`]; [`RunError::Send`] holds a [`SendError`](crate::client::SendError).
    pub async fn run(
        &mut self,
        action: &PreparedAction<'_>,
        parameters: Value,
        client: &dyn crate::client::HttpClient,
        tokens: Option<&dyn AccessTokens>,
    ) -> Result<Outcome, RunError> {
        self.run_with(action, parameters, tokens, |request| client.send(request))
            .await
    }

    /// Renders `action` with `parameters`, applies an OAuth 2.0 token from `tokens` when the
    /// action's connector needs one, sends the request through `send`, and records the
    /// outcome (see the [module docs](self) for the single resend after a `401`).
    ///
    /// # Errors
    /// [`RunError::Render`] (nothing was sent; also an OAuth 2.0 connector without `tokens`,
    /// as [`RenderError::NeedsNetwork`](crate::render::RenderError::NeedsNetwork)),
    /// [`RunError::Token`] (no token), [`RunError::Send`] (no response). A non-2xx response is
    /// an `Ok` outcome; see [`Outcome::agent_error`].
    pub async fn run_with<S, F, E>(
        &mut self,
        action: &PreparedAction<'_>,
        parameters: Value,
        tokens: Option<&dyn AccessTokens>,
        send: S,
    ) -> Result<Outcome, RunError>
    where
        S: Fn(http::Request<Bytes>) -> F,
        F: Future<Output = Result<http::Response<Bytes>, E>>,
        E: Into<BoxError>,
    {
        match (oauth_connector(action), tokens) {
            (Some(connector), Some(tokens)) => {
                // Its own (boxed) future: the token's steps stay out of the common path's code.
                Box::pin(self.run_with_token(action, parameters, connector, tokens, send)).await
            }
            _ => {
                let options = self.options_ref().clone();
                let (request, sent) = self
                    .render_moving(action, parameters, &options)?
                    .into_parts();
                let response = send(request).await.map_err(|e| RunError::Send(e.into()))?;
                Ok(self.record_prepared(action, response).with_request(sent))
            }
        }
    }

    /// [`Self::run_with`] for an action whose OAuth 2.0 connector takes a token from `tokens`.
    async fn run_with_token<S, F, E>(
        &mut self,
        action: &PreparedAction<'_>,
        parameters: Value,
        connector: &AuthConnector,
        tokens: &dyn AccessTokens,
        send: S,
    ) -> Result<Outcome, RunError>
    where
        S: Fn(http::Request<Bytes>) -> F,
        F: Future<Output = Result<http::Response<Bytes>, E>>,
        E: Into<BoxError>,
    {
        // The placeholder header is replaced by the real token below.
        let options = self
            .options_ref()
            .clone()
            .with_oauth2(OAuth2Handling::Placeholder);
        let (rendered, mut sent) = self
            .render_moving(action, parameters, &options)?
            .into_parts();
        let authorize = Authorize {
            connector,
            environment: self.environment(),
            secrets: self.secrets_ref(),
            tokens,
            resend: self.options_ref().resend_after_401,
        };
        let response = send_authorized(rendered, Some(authorize), send)
            .await
            .map_err(|failure| match failure {
                SendFailure::Token(e) => RunError::Token(e),
                SendFailure::Send(e) => RunError::Send(e),
            })?;
        let (header, prefix) = token_header(connector);
        let masked = if prefix.is_empty() {
            "<oauth2 token>".to_owned()
        } else {
            format!("{prefix} <oauth2 token>")
        };
        sent.set_header_masked(header, masked);
        Ok(self.record_prepared(action, response).with_request(sent))
    }
}
