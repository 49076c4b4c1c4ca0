//! The one error type of the SDK.
//!
//! Every fallible call returns [`Error`]. Match on its variants to handle the cases callers
//! usually care about (not found, rate limited, timeout, bad input), or use the accessors
//! ([`Error::status`], [`Error::correlation_id`], [`Error::is_retryable`]) for logging and
//! policy. An error never contains the API key or a webhook secret.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::conversations::ListingPosition;
use crate::webhooks::WebhookError;

/// The response header PolyAI uses to correlate a request with its server-side logs.
pub const CORRELATION_ID_HEADER: &str = "x-polyai-correlation-id";

/// How much of an error body is read to look for PolyAI's error envelope. Anything longer is
/// not read at all, so a 10 MB error page costs at most this much memory.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;
/// How much of a body is kept, as text, in an error for display and logs.
const BODY_EXCERPT_LIMIT: usize = 512;

/// Anything that can go wrong when talking to PolyAI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PolyAI (or a proxy in front of it) answered with a non-success status other than 404
    /// and 429.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The resource does not exist (HTTP 404): check the id, and that the request went to the
    /// right region.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),

    /// PolyAI is rate limiting this API key (HTTP 429). `retry_after` is the wait the server
    /// asked for, when it said.
    #[error("rate limited{}: {error}", .retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the server asked the client to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// The response itself.
        error: Box<ApiError>,
    },

    /// The request did not complete in time: the connection could not be made, the server
    /// stopped sending for longer than the read timeout, or the per-request deadline passed.
    #[error("timed out {what}; raise the client's timeouts if the server is slow, or retry")]
    Timeout {
        /// What timed out, in words.
        what: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The request could not be sent or the response could not be read (DNS, TLS, connection
    /// reset, ...).
    #[error("network error talking to PolyAI: {0}")]
    Transport(#[source] reqwest::Error),

    /// A success response whose body is not what the API documents.
    #[error("could not decode the response{}: {message}; body starts with: {body_excerpt:?}", .status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Decode {
        /// The response status, when known.
        status: Option<StatusCode>,
        /// What the decoder said.
        message: String,
        /// The start of the body, lossily decoded as UTF-8.
        body_excerpt: String,
    },

    /// The input given to the SDK is invalid; nothing was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A webhook delivery failed verification.
    #[error(transparent)]
    Webhook(#[from] WebhookError),

    /// A local file operation failed (for example while saving a recording).
    #[error("{context}: {source}")]
    Io {
        /// What the SDK was doing.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A transfer ended in a state the SDK cannot recover from (for example a download whose
    /// length never matched `Content-Length`).
    #[error("transfer failed: {0}")]
    Transfer(String),

    /// A page of a listing stream could not be fetched, for the reason in `source` (after the
    /// client's retries), and the stream ended there. No item of that page was yielded:
    /// giving `position` to the same listing's `resume_from` (same filters) continues with
    /// exactly the records not yet yielded. The accessors ([`status`](Self::status),
    /// [`api_error`](Self::api_error), [`is_retryable`](Self::is_retryable), ...) report
    /// `source`; match on [`underlying`](Self::underlying) to handle the cause.
    #[error("{source} (the listing stopped at {position}: resume from there with resume_from)")]
    Listing {
        /// Where the page that failed starts.
        position: ListingPosition,
        /// Why it failed.
        source: Box<Error>,
    },
}

/// A non-success HTTP response from PolyAI, with everything known about it.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// PolyAI's machine-readable error code (`UPPER_SNAKE_CASE`), when the body had one.
    pub error_code: Option<String>,
    /// PolyAI's human-readable message (`error_message`, or `error` when that is all there is).
    pub error_message: Option<String>,
    /// PolyAI's error id from the body; equal to the correlation id on PolyAI's own answers.
    pub error_id: Option<String>,
    /// The `X-PolyAI-Correlation-Id` response header: quote it when contacting PolyAI support.
    pub correlation_id: Option<String>,
    /// The start of the body as text, bounded (at most 512 bytes), for logs.
    pub body_excerpt: String,
    /// The full `detail` or `data` of the body when it is JSON (for example a 422 validation
    /// error), read from at most the first 64 KiB of the body.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// Builds the error from a status, headers and the (bounded) start of the body.
    pub(crate) fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let correlation_id = header_string(headers, CORRELATION_ID_HEADER);
        let mut error = ApiError {
            status,
            error_code: None,
            error_message: None,
            error_id: None,
            correlation_id,
            body_excerpt: excerpt(body),
            details: None,
        };
        if let Ok(serde_json::Value::Object(map)) =
            serde_json::from_slice::<serde_json::Value>(body)
        {
            let text = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            error.error_code = text("error_code");
            error.error_message = text("error_message")
                .or_else(|| text("error"))
                .or_else(|| text("message"));
            error.error_id = text("error_id");
            // Alerts and other FastAPI-style services answer 422 with {"detail": [...]}.
            error.details = map
                .get("detail")
                .or_else(|| map.get("data"))
                .filter(|v| !v.is_null())
                .cloned();
            if error.error_message.is_none() {
                error.error_message = map
                    .get("detail")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
            }
        }
        error
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PolyAI answered {}", self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        match &self.error_message {
            Some(message) => write!(f, ": {message}")?,
            None if !self.body_excerpt.is_empty() => write!(f, ": {:?}", self.body_excerpt)?,
            None => {}
        }
        if self.status == StatusCode::UNAUTHORIZED {
            f.write_str(" (check the API key; keys only work in the region they were created in)")?;
        }
        if let Some(id) = self.correlation_id.as_ref().or(self.error_id.as_ref()) {
            write!(f, " [correlation id {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .field("error_id", &self.error_id)
            .field("correlation_id", &self.correlation_id)
            .field("body_excerpt", &self.body_excerpt)
            .finish_non_exhaustive()
    }
}

impl Error {
    /// The HTTP status of the response that caused this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self.underlying() {
            Error::Api(e) | Error::NotFound(e) | Error::RateLimited { error: e, .. } => {
                Some(e.status)
            }
            Error::Decode { status, .. } => *status,
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// The API error behind this error, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self.underlying() {
            Error::Api(e) | Error::NotFound(e) | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The `X-PolyAI-Correlation-Id` of the failed response (or the body's `error_id`).
    pub fn correlation_id(&self) -> Option<&str> {
        self.api_error()
            .and_then(|e| e.correlation_id.as_deref().or(e.error_id.as_deref()))
    }

    /// PolyAI's `error_code`, when the response carried the error envelope.
    pub fn error_code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.error_code.as_deref())
    }

    /// Whether repeating the same request later may succeed: timeouts, network errors and the
    /// statuses 408, 429, 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self.underlying() {
            Error::Timeout { .. } | Error::Transport(_) | Error::RateLimited { .. } => true,
            Error::Api(e) => is_retryable_status(e.status),
            _ => false,
        }
    }

    /// The cause of this error: for [`Error::Listing`] the error of the page that failed,
    /// otherwise the error itself. Match on it to handle a listing's failure by kind.
    pub fn underlying(&self) -> &Error {
        match self {
            Error::Listing { source, .. } => source.underlying(),
            other => other,
        }
    }

    /// Where a failed listing can be resumed (see [`Error::Listing`]); `None` for any other
    /// error.
    pub fn resume_position(&self) -> Option<&ListingPosition> {
        match self {
            Error::Listing { position, .. } => Some(position),
            _ => None,
        }
    }

    /// Wraps the error of a listing page with the page's position.
    pub(crate) fn listing(position: ListingPosition, source: Error) -> Error {
        Error::Listing {
            position,
            source: Box::new(source),
        }
    }

    /// Builds an error from a non-success response, reading at most 64 KiB of its body.
    pub async fn from_response(response: reqwest::Response) -> Error {
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_bounded(response, ERROR_BODY_READ_LIMIT).await;
        Error::from_parts(status, &headers, &body)
    }

    /// Classifies a non-success response that was already read: 404 becomes
    /// [`Error::NotFound`], 429 [`Error::RateLimited`], anything else [`Error::Api`]. PolyAI's
    /// error envelope is read from `body` when it is one; any bytes are accepted.
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let api = Box::new(ApiError::from_parts(status, headers, body));
        match status {
            StatusCode::NOT_FOUND => Error::NotFound(api),
            StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
                retry_after: crate::retry::parse_retry_after(headers, std::time::SystemTime::now()),
                error: api,
            },
            _ => Error::Api(api),
        }
    }

    /// Converts an error from a generated client (see [`crate::generated`]) into this type,
    /// reading a bounded part of the response body where there is one.
    pub async fn from_generated<E>(error: progenitor_client::Error<E>) -> Error {
        use progenitor_client::Error as G;
        match error {
            G::InvalidRequest(message) => Error::InvalidInput(message),
            G::Custom(message) => Error::InvalidInput(message),
            G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
                Error::from_reqwest(e)
            }
            G::ErrorResponse(value) => Error::from_parts(value.status(), value.headers(), b""),
            G::InvalidResponsePayload(body, e) => Error::decode(None, e.to_string(), &body),
            G::UnexpectedResponse(response) => Error::from_response(response).await,
        }
    }

    /// Classifies a `reqwest` error as a timeout or a transport error.
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Error {
        if error.is_timeout() {
            let what = if error.is_connect() {
                "connecting to PolyAI"
            } else {
                "waiting for PolyAI"
            };
            Error::Timeout {
                what: what.to_string(),
                source: Some(error),
            }
        } else if error.is_decode() {
            Error::Decode {
                status: error.status(),
                message: error.to_string(),
                body_excerpt: String::new(),
            }
        } else {
            Error::Transport(error.without_url())
        }
    }

    pub(crate) fn decode(status: Option<StatusCode>, message: String, body: &[u8]) -> Error {
        Error::Decode {
            status,
            message,
            body_excerpt: excerpt(body),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Converts a generated call's result into the SDK's, unwrapping the response value.
pub(crate) async fn generated<T, E>(
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(error) => Err(Error::from_generated(error).await),
    }
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Reads at most `limit` bytes of a body. A body that fails midway keeps what arrived.
async fn read_bounded(response: reqwest::Response, limit: usize) -> Bytes {
    let mut stream = response.bytes_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        let room = limit - buffer.len();
        buffer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buffer.len() >= limit {
            break;
        }
    }
    Bytes::from(buffer)
}

/// The start of a body as text: lossy UTF-8, cut at a character boundary, marked when cut.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(BODY_EXCERPT_LIMIT)];
    let mut text = String::from_utf8_lossy(head).into_owned();
    if body.len() > BODY_EXCERPT_LIMIT {
        // A multi-byte character cut in two shows up as a trailing replacement character.
        if text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push('…');
    }
    text
}
