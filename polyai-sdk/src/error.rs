//! The one error type of the SDK.
//!
//! Every fallible call returns [`Error`]. Match on its variants to handle the cases callers
//! usually care about (not found, rate limited, timeout, bad input), or use the accessors
//! ([`Error::status`], [`Error::correlation_id`], [`Error::is_retryable`],
//! [`Error::retry_after`]) for logging and policy. An error never contains the API key or a
//! webhook secret.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::paging::ListingPosition;
use crate::retry::{NotRetried, Wait};
use crate::webhooks::WebhookError;

/// The response header PolyAI uses to correlate a request with its server-side logs.
pub const CORRELATION_ID_HEADER: &str = "x-polyai-correlation-id";

/// How much of an error body is read to look for PolyAI's error envelope. Anything longer is
/// not read at all, so a 10 MB error page costs at most this much memory.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;
/// How much of a body is kept, as text, in an error for display and logs.
const BODY_EXCERPT_LIMIT: usize = 512;

/// Anything that can go wrong when talking to PolyAI.
///
/// `Display` is one sentence: what kind of failure, PolyAI's status, error code and message
/// when there was an answer, the correlation id to quote to PolyAI support, and what to check.
/// `Debug` (what `fn main() -> Result<(), polyai_sdk::Error>` prints on failure) starts with
/// the same sentence and adds the variant and the chain of causes; `{:#?}` adds every field
/// of the answer.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PolyAI (or a proxy in front of it) answered with a non-success status other than 404
    /// and 429.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The resource does not exist (HTTP 404): check the id, and that the request went to the
    /// right region. For the agent-scoped endpoints (`/v1/agents/{agentId}/...`) the agent id is
    /// the project id.
    #[error(
        "not found: {0}; check the ids in the request (for /v1/agents/... endpoints the agent id \
         is the project id), and that the client's region is the one that holds them"
    )]
    NotFound(Box<ApiError>),

    /// PolyAI is rate limiting this API key (HTTP 429). `retry_after` is the wait the server
    /// asked for, when it said. The client never retries sooner than that; when the wait is
    /// longer than its retry policy allows it does not retry at all, and the message says so
    /// (see [`crate::retry`]).
    #[error("rate limited{}: {error}", .retry_after.map(|d| format!(" (retry after {})", Wait(d))).unwrap_or_default())]
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
    #[error(
        "network error talking to PolyAI: {0}; check the connection and the client's region or \
         base URL, or retry"
    )]
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

    /// The input given to the SDK is invalid; nothing was sent. The message names the value
    /// and what it should be.
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

    /// A JSON response body was larger than the client allows
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size), 64 MiB by
    /// default). Nothing beyond the limit was read. Ask for smaller pages, or raise the limit.
    #[error(
        "the response body is larger than the client's limit of {limit} bytes{}; ask for smaller \
         pages or raise ClientBuilder::max_response_size",
        .declared.map(|length| format!(" (Content-Length {length})")).unwrap_or_default()
    )]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The length the server declared in `Content-Length`, when it did (the body was then
        /// not read at all).
        declared: Option<u64>,
    },

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

impl fmt::Debug for Error {
    /// The `Display` sentence first, then the variant and the causes; with `{:#?}`, the fields
    /// of PolyAI's answer too. Never a bare struct dump, and never a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} [polyai_sdk::Error::{}]", self.variant_name())?;
        let mut cause = std::error::Error::source(self);
        // `Listing` shows its source in its own sentence; start from the source's causes.
        if let Error::Listing { source, .. } = self {
            cause = std::error::Error::source(source.as_ref());
        }
        // A cause whose message the sentence already quotes (a network or file error) is
        // not repeated; its own causes still show.
        let sentence = self.to_string();
        while let Some(error) = cause {
            let message = error.to_string();
            if !sentence.contains(&message) {
                write!(f, "\n  caused by: {message}")?;
            }
            cause = error.source();
        }
        if f.alternate()
            && let Some(api) = self.api_error()
        {
            write!(f, "\n{api:#?}")?;
        }
        Ok(())
    }
}

impl From<crate::InvalidTimestamp> for Error {
    /// A date-time that could not be parsed is invalid input; nothing was sent.
    fn from(error: crate::InvalidTimestamp) -> Error {
        Error::InvalidInput(error.to_string())
    }
}

impl From<crate::UnknownRegion> for Error {
    /// A region name PolyAI does not serve is invalid input; nothing was sent.
    fn from(error: crate::UnknownRegion) -> Error {
        Error::InvalidInput(error.to_string())
    }
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
    /// The wait the server asked for in `Retry-After` (seconds or an HTTP date), if it sent
    /// one; PolyAI sends it with 429 and may with 503.
    pub retry_after: Option<Duration>,
    /// Why the client did not retry an answer that could have been retried, when that was its
    /// own decision (a wait beyond the retry policy, or the retry budget used up).
    not_retried: Option<NotRetried>,
}

impl ApiError {
    /// Builds the error from a status, headers and the (bounded) start of the body.
    pub(crate) fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let correlation_id = header_string(headers, CORRELATION_ID_HEADER);
        let (_, secrets) = scrub_secrets(&String::from_utf8_lossy(
            &body[..body.len().min(SECRET_SCAN_LIMIT)],
        ));
        let mut error = ApiError {
            status,
            error_code: None,
            error_message: None,
            error_id: None,
            correlation_id,
            body_excerpt: excerpt(body),
            details: None,
            retry_after: crate::retry::parse_retry_after(headers, std::time::SystemTime::now()),
            not_retried: None,
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
                error.error_message = map.get("detail").and_then(detail_message);
            }
        }
        // Nothing taken from the body may carry a secret it held.
        if let Some(details) = &mut error.details {
            scrub_value(details, &secrets);
        }
        if !secrets.is_empty() {
            for text in [
                &mut error.error_code,
                &mut error.error_message,
                &mut error.error_id,
            ]
            .into_iter()
            .flatten()
            {
                *text = without(text, &secrets);
            }
        }
        // PolyAI's message is shown in every Display; keep it as short as the body excerpt.
        if let Some(message) = &mut error.error_message {
            bound_text(message, BODY_EXCERPT_LIMIT);
        }
        error
    }
}

/// A readable message from a `detail` field: the text itself, or for a FastAPI-style
/// validation list (`[{"loc": ["body", "threshold"], "msg": "..."}]`) each item as
/// `threshold: msg`, joined with `; `.
fn detail_message(detail: &serde_json::Value) -> Option<String> {
    if let Some(text) = detail.as_str() {
        return Some(text.to_owned());
    }
    let items: Vec<String> = detail
        .as_array()?
        .iter()
        .filter_map(|item| {
            let message = item.get("msg")?.as_str()?;
            let location: Vec<String> = item
                .get("loc")
                .and_then(|loc| loc.as_array())
                .map(|parts| {
                    parts
                        .iter()
                        .skip_while(|part| part.as_str() == Some("body"))
                        .map(|part| match part {
                            serde_json::Value::String(text) => text.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(if location.is_empty() {
                message.to_owned()
            } else {
                format!("{}: {message}", location.join("."))
            })
        })
        .collect();
    (!items.is_empty()).then(|| items.join("; "))
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
        match self.status {
            StatusCode::UNAUTHORIZED => f.write_str(
                " (check the API key; keys only work in the region they were created in)",
            )?,
            StatusCode::FORBIDDEN => f.write_str(
                " (check that the key may use this project or workspace: Conversations keys are \
                 scoped to one project, Agents API keys to a workspace)",
            )?,
            _ => {}
        }
        if let Some(id) = self.correlation_id.as_ref().or(self.error_id.as_ref()) {
            write!(f, " [correlation id {id}]")?;
        }
        if let Some(why) = &self.not_retried {
            write!(f, "; {why}")?;
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
            .field("details", &self.details)
            .field("body_excerpt", &self.body_excerpt)
            .field("retry_after", &self.retry_after)
            .field("not_retried", &self.not_retried)
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

    /// How long the server asked the client to wait before trying again (`Retry-After`), for
    /// a rate-limited answer and for any other answer that carried the header (such as a 503).
    /// When the client gave up because this wait was longer than its retry policy allows, this
    /// is the time to wait before calling again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => self.api_error().and_then(|e| e.retry_after),
        }
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
        let not_retried = response.extensions().get::<NotRetried>().copied();
        let body = read_bounded(response, ERROR_BODY_READ_LIMIT).await;
        let mut error = Error::from_parts(status, &headers, &body);
        if let Error::Api(api) | Error::NotFound(api) | Error::RateLimited { error: api, .. } =
            &mut error
        {
            api.not_retried = not_retried;
        }
        error
    }

    /// Classifies a non-success response that was already read: 404 becomes
    /// [`Error::NotFound`], 429 [`Error::RateLimited`], anything else [`Error::Api`]. PolyAI's
    /// error envelope is read from `body` when it is one; any bytes are accepted.
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let api = Box::new(ApiError::from_parts(status, headers, body));
        match status {
            StatusCode::NOT_FOUND => Error::NotFound(api),
            StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
                retry_after: api.retry_after,
                error: api,
            },
            _ => Error::Api(api),
        }
    }

    /// The variant's name, for `Debug`.
    fn variant_name(&self) -> &'static str {
        match self {
            Error::Api(_) => "Api",
            Error::NotFound(_) => "NotFound",
            Error::RateLimited { .. } => "RateLimited",
            Error::Timeout { .. } => "Timeout",
            Error::Transport(_) => "Transport",
            Error::Decode { .. } => "Decode",
            Error::InvalidInput(_) => "InvalidInput",
            Error::Webhook(_) => "Webhook",
            Error::Io { .. } => "Io",
            Error::Transfer(_) => "Transfer",
            Error::ResponseTooLarge { .. } => "ResponseTooLarge",
            Error::Listing { .. } => "Listing",
        }
    }

    /// Converts an error of progenitor's generated code into this type, reading a bounded part
    /// of the response body where there is one. Generated `send()` calls do this themselves
    /// (see [`sdk_result`]).
    pub(crate) async fn from_generated<E>(error: progenitor_client::Error<E>) -> Error {
        use progenitor_client::Error as G;
        match error {
            G::InvalidRequest(message) => Error::InvalidInput(request_hint(message)),
            G::Custom(message) => Error::InvalidInput(message),
            G::CommunicationError(e) | G::ResponseBodyError(e) | G::InvalidUpgrade(e) => {
                Error::from_reqwest(e)
            }
            G::ErrorResponse(value) => Error::from_parts(value.status(), value.headers(), b""),
            G::InvalidResponsePayload(body, e) => Error::decode(None, e.to_string(), &body),
            G::UnexpectedResponse(response) => Error::from_response(response).await,
        }
    }

    /// Classifies a `reqwest` error as a timeout or a transport error. The URL it carries is
    /// cut to its path first (see [`url_to_path`]).
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Error {
        let error = url_to_path(error);
        // A request reqwest could not build (a header value or URL it refused) was never sent:
        // the caller's input is wrong, and retrying cannot help.
        if error.is_builder() {
            return Error::InvalidInput(format!(
                "the request could not be built, nothing was sent: {error}; check the values \
                 given to the client and the request (header values, ids, base URL)"
            ));
        }
        if let Some(too_large) = crate::transport::ResponseTooLarge::find(&error) {
            return Error::ResponseTooLarge {
                limit: too_large.limit,
                declared: too_large.declared,
            };
        }
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
        } else {
            // reqwest reports a body that could not be read (a connection cut mid-body) as a
            // "decode" error; the SDK decodes JSON itself and enables no content decoding, so
            // for it such an error is always a failed transfer, and worth retrying.
            Error::Transport(error)
        }
    }

    /// A decode failure. The decoder's message can quote the body (serde does), so it is
    /// scrubbed of the body's secrets like the excerpt.
    pub(crate) fn decode(status: Option<StatusCode>, message: String, body: &[u8]) -> Error {
        let (_, secrets) = scrub_secrets(&String::from_utf8_lossy(
            &body[..body.len().min(SECRET_SCAN_LIMIT)],
        ));
        Error::Decode {
            status,
            message: without(&message, &secrets),
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

/// A `reqwest` error whose URL (which its `Display` and `Debug` print) is reduced to the
/// scheme, host, port and path: the query (transcript search text, phone numbers, event-id
/// tokens), the fragment and any user name or password in a base URL are removed. Every
/// `reqwest` error the SDK logs or returns passes through here.
pub(crate) fn url_to_path(error: reqwest::Error) -> reqwest::Error {
    let Some(url) = error.url() else {
        return error;
    };
    if url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
    {
        return error;
    }
    let mut path_only = url.clone();
    path_only.set_query(None);
    path_only.set_fragment(None);
    // Neither fails for the http(s) URLs the SDK sends to; if one did, drop the URL entirely.
    if path_only.set_username("").is_err() || path_only.set_password(None).is_err() {
        return error.without_url();
    }
    error.with_url(path_only)
}

/// What every generated `send()` returns through (the xtask wraps each one in a call of this
/// function): progenitor's result with its error made an [`Error`], the body of a non-success
/// answer read (at most 64 KiB) and decoded by [`Error::from_parts`].
pub(crate) async fn sdk_result<T>(
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<()>>,
) -> Result<progenitor_client::ResponseValue<T>, Error> {
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(Error::from_generated(error).await),
    }
}

/// progenitor's message for a builder value that was refused or never set, with what to do.
fn request_hint(message: String) -> String {
    if let Some(name) = message.strip_suffix(" was not initialized") {
        return format!(
            "`{name}` is required: set it on the request builder (`.{name}(...)`) before send()"
        );
    }
    if let Some(field) = message.strip_prefix("no value supplied for ") {
        return format!(
            "the request body has no `{field}`, which is required: set it with \
             `.body_map(|body| body.{field}(...))` or give a whole body with `.body(...)`"
        );
    }
    if let Some(rest) = message.strip_prefix("conversion to `")
        && let Some((target, field)) = rest.split_once("` for ")
    {
        let (field, why) = field.split_once(" failed").unwrap_or((field, ""));
        let why = why.trim_start_matches(':').trim();
        let target = target.replace(' ', "");
        return if why.is_empty() {
            format!("`{field}` is not a valid {target}")
        } else {
            format!("`{field}` is not a valid {target}: {why}")
        };
    }
    message
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

/// What replaces a secret's value in an error.
const REDACTED: &str = "<redacted>";

/// How much of a body is scanned for secret fields before an excerpt is cut from it: far more
/// than the excerpt, so a secret whose field starts inside the excerpt is always found.
const SECRET_SCAN_LIMIT: usize = 64 * 1024;

/// Cuts `text` to at most `limit` bytes on a character boundary, marking the cut with `…`.
fn bound_text(text: &mut String, limit: usize) {
    if text.len() <= limit {
        return;
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push('…');
}

/// The start of a body as text: lossy UTF-8, every secret field's value replaced (see
/// [`scrub_secrets`]), cut at a character boundary, marked when cut.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(SECRET_SCAN_LIMIT)];
    let text = String::from_utf8_lossy(head);
    let (scrubbed, _) = scrub_secrets(&text);
    let mut text = scrubbed;
    if text.len() > BODY_EXCERPT_LIMIT || body.len() > head.len() {
        let mut cut = BODY_EXCERPT_LIMIT.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        // A multi-byte character cut in two by the read limit shows as a replacement character.
        if text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push('…');
    }
    text
}

/// Words that make a field a secret wherever they appear in its name, as whole words.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "authorization",
    "credential",
    "credentials",
    "bearer",
];

/// Pairs of adjacent words that together name a secret (`api_key`, `apiKey`, `private-key`).
const SECRET_WORD_PAIRS: &[(&str, &str)] = &[("api", "key"), ("private", "key")];

/// Whether a JSON field of this name holds a secret: every secret field of PolyAI's success
/// responses (read from the OpenAPI documents by the xtask: today `signing_secret` and a webhook
/// endpoint's `headers`), and any
/// name with a whole word that says it is a secret, a token, a password or an API key
/// (`access_token`, `client_secret`, `apiKey`, `Authorization`, ...), whatever the operation.
/// Words are matched whole (split at `_`, `-`, `.` and camelCase), so `tokens_used` or
/// `secretary` are ordinary fields.
fn is_secret_field(name: &str) -> bool {
    if crate::generated::SECRET_RESPONSE_FIELDS
        .iter()
        .any(|(_, field)| field.eq_ignore_ascii_case(name))
    {
        return true;
    }
    let words = name_words(name);
    words
        .iter()
        .any(|word| SECRET_WORDS.contains(&word.as_str()))
        || words.windows(2).any(|pair| {
            SECRET_WORD_PAIRS
                .iter()
                .any(|(a, b)| pair[0] == *a && pair[1] == *b)
        })
}

/// The lower-case words of a field name: split at every character that is not a letter or
/// digit, and at camelCase boundaries (`accessToken`, `APIKey`).
fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Replaces the value of every secret field (see [`is_secret_field`]) in JSON-like `text` with
/// `<redacted>`, and returns the values it removed (as written, and JSON-decoded when that
/// differs) so that other text derived from the same body can be scrubbed of them too.
///
/// It scans the text rather than parsing it, so that it works on bodies that are not valid
/// JSON, cut short, or wrapped in something else: exactly the bodies that end up in errors. A
/// string value that never ends is redacted to the end of the text.
pub(crate) fn scrub_secrets(text: &str) -> (String, Vec<String>) {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut removed = Vec::new();
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'"') {
        let key_start = at + found;
        let Some(key_end) = string_end(bytes, key_start + 1) else {
            break;
        };
        let mut next = skip_whitespace(bytes, key_end + 1);
        let raw_key = &text[key_start + 1..key_end];
        let is_key = bytes.get(next) == Some(&b':');
        let secret = is_key
            && if raw_key.contains('\\') {
                serde_json::from_str::<String>(&text[key_start..=key_end])
                    .is_ok_and(|key| is_secret_field(&key))
            } else {
                is_secret_field(raw_key)
            };
        if !secret {
            at = key_end + 1;
            continue;
        }
        next = skip_whitespace(bytes, next + 1);
        let (value_start, value_end, quoted) = if bytes.get(next) == Some(&b'"') {
            let end = string_end(bytes, next + 1).unwrap_or(bytes.len());
            (next + 1, end, true)
        } else if matches!(bytes.get(next), Some(b'{' | b'[')) {
            // An object or a list (a webhook endpoint's `headers`, `credentials`, ...): the
            // whole value, up to its matching bracket, or to the end of a body cut short.
            (next, container_end(bytes, next), false)
        } else {
            let end = bytes[next..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .map_or(bytes.len(), |length| next + length);
            (next, end, false)
        };
        if value_end > value_start {
            let value = &text[value_start..value_end];
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
            removed.push(value.to_owned());
            if quoted
                && value.contains('\\')
                && let Ok(decoded) = serde_json::from_str::<String>(&format!("\"{value}\""))
            {
                removed.push(decoded);
            }
        }
        // Past the value's closing quote, which must not be read as the start of a string.
        at = (value_end + usize::from(quoted))
            .max(key_end + 1)
            .min(bytes.len());
    }
    out.push_str(&text[copied..]);
    (out, removed)
}

/// The index of the quote that closes a JSON string whose content starts at `from`, if any.
fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at),
            _ => at += 1,
        }
    }
    None
}

/// The index just past the bracket that closes the JSON object or list opening at `from`
/// (brackets inside strings do not count), or the end of the text when it never closes.
fn container_end(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => match string_end(bytes, at + 1) {
                Some(end) => at = end,
                None => return bytes.len(),
            },
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

fn skip_whitespace(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// `text` with every occurrence of the `secrets` replaced by `<redacted>`.
fn without(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), REDACTED)
        })
}

/// Redacts, in place, the value of every secret field of a JSON value and every string that
/// contains one of `secrets`.
fn scrub_value(value: &mut serde_json::Value, secrets: &[String]) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if is_secret_field(key) {
                    *field = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    scrub_value(field, secrets);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                scrub_value(item, secrets);
            }
        }
        serde_json::Value::String(text)
            if secrets
                .iter()
                .any(|s| !s.is_empty() && text.contains(s.as_str())) =>
        {
            *text = without(text, secrets);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request reqwest refused to build (here a header value with a newline).
    fn builder_error() -> reqwest::Error {
        reqwest::Client::new()
            .get("http://127.0.0.1:9/v1/things?page_token=abc")
            .header("x-note", "line\nbreak")
            .build()
            .expect_err("reqwest refuses a newline in a header value")
    }

    #[test]
    fn a_request_that_cannot_be_built_is_invalid_input_and_not_retried() {
        let reqwest_error = builder_error();
        assert!(reqwest_error.is_builder());
        let error = Error::from_reqwest(reqwest_error);
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(!error.is_retryable(), "{error:?}");
        let shown = error.to_string();
        assert!(shown.contains("nothing was sent"), "{shown}");
        assert!(!shown.contains("network"), "{shown}");
    }

    #[test]
    fn debug_shows_a_network_or_file_error_once() {
        let reqwest_error = builder_error();
        let message = reqwest_error.to_string();
        let error = Error::Transport(reqwest_error);
        let debug = format!("{error:?}");
        assert_eq!(debug.matches(message.as_str()).count(), 1, "{debug}");
        let error = Error::io(
            "saving the recording",
            std::io::Error::other("the disk is full"),
        );
        let debug = format!("{error:?} {error:#?}");
        assert_eq!(debug.matches("the disk is full").count(), 2, "{debug}");
        assert_eq!(format!("{error:?}").matches("the disk is full").count(), 1);
    }

    #[test]
    fn pretty_debug_shows_the_details_redacted() {
        let body = br#"{"error_code":"INVALID","error_message":"bad","detail":[{"loc":["body","threshold"],"msg":"too big","client_secret":"cs_TOPSECRET"}]}"#;
        let error = Error::from_parts(StatusCode::UNPROCESSABLE_ENTITY, &HeaderMap::new(), body);
        let pretty = format!("{error:#?}");
        assert!(pretty.contains("details: Some("), "{pretty}");
        assert!(pretty.contains("too big"), "{pretty}");
        assert!(!pretty.contains("cs_TOPSECRET"), "{pretty}");
    }

    #[test]
    fn polyais_message_is_bounded_like_the_excerpt() {
        let long = "é".repeat(40_000);
        let body = serde_json::to_vec(&serde_json::json!({"error_message": long})).unwrap();
        let error = Error::from_parts(StatusCode::BAD_REQUEST, &HeaderMap::new(), &body);
        let message = error
            .api_error()
            .and_then(|api| api.error_message.clone())
            .expect("a message");
        assert!(
            message.len() <= BODY_EXCERPT_LIMIT + '…'.len_utf8(),
            "{}",
            message.len()
        );
        assert!(message.ends_with('…'), "the cut is marked");
        assert!(message.starts_with("éé"));
        assert!(
            error.to_string().len() < 2 * 1024,
            "{}",
            error.to_string().len()
        );
        // A short message is kept whole.
        let error = Error::from_parts(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error_message":"threshold is too big"}"#,
        );
        assert_eq!(
            error
                .api_error()
                .and_then(|api| api.error_message.as_deref()),
            Some("threshold is too big")
        );
    }

    #[test]
    fn secret_fields_are_scrubbed_from_excerpts_whole_cut_or_malformed() {
        let body = br#"{"id":"whe_1","signing_secret":"whsec_TOPSECRET","url":"https://x"}"#;
        let text = excerpt(body);
        assert_eq!(
            text,
            r#"{"id":"whe_1","signing_secret":"<redacted>","url":"https://x"}"#
        );
        // Cut inside the secret (as a 64 KiB read limit or a dropped connection would).
        let cut = &body[..45];
        assert!(!excerpt(cut).contains("TOPSEC"), "{}", excerpt(cut));
        // Not JSON at all, escaped quotes, odd spacing, a token field, a number.
        for body in [
            r#"oops {"signing_secret" :  "whsec_TOPSECRET\"x", "n": 1"#,
            r#"[{"access_token":"TOPSECRET"},{"apiKey": TOPSECRET}]"#,
            r#"{"signing\u005fsecret":"TOPSECRET"}"#,
        ] {
            let (scrubbed, removed) = scrub_secrets(body);
            assert!(!scrubbed.contains("TOPSECRET"), "{scrubbed}");
            assert!(!removed.is_empty());
        }
        // A secret after a long prefix is still found when the excerpt shows its field.
        let mut long = "x".repeat(500).into_bytes();
        long.extend_from_slice(br#"{"signing_secret":"whsec_TOPSECRET"}"#);
        assert!(!excerpt(&long).contains("TOPSEC"), "{}", excerpt(&long));
        // Ordinary fields are left alone, also when a secret word is part of a longer word.
        let plain = r#"{"error_code":"NOT_FOUND","tokens_used":3,"secretary":"Ann"}"#;
        assert_eq!(scrub_secrets(plain).0, plain);
    }

    #[test]
    fn a_secret_object_or_list_is_redacted_whole() {
        let body = r#"{"error_message":"bad","data":{"headers":{"Authorization":"Bearer a1","X-Custom":"k2, {x}"},"credentials":["u3",{"p":"p4"}],"after":"kept"}}"#;
        let (text, _) = scrub_secrets(body);
        for secret in ["a1", "k2", "u3", "p4"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert!(text.contains(r#""after":"kept""#), "{text}");
        assert!(text.contains(r#""error_message":"bad""#), "{text}");
        // A body cut inside a secret object is redacted to its end.
        let (cut, _) = scrub_secrets(r#"{"headers":{"A":"s5","B":"s6"#);
        assert!(!cut.contains("s5") && !cut.contains("s6"), "{cut}");
    }

    #[test]
    fn secret_fields_are_known_by_whole_words() {
        for name in [
            "token",
            "access_token",
            "refresh-token",
            "accessToken",
            "api_key",
            "apiKey",
            "APIKey",
            "x-api-key",
            "apikey",
            "secret",
            "client_secret",
            "signing_secret",
            "password",
            "Authorization",
            "private_key",
            "credentials",
        ] {
            assert!(is_secret_field(name), "{name} is a secret field");
        }
        for name in [
            "tokens_used",
            "tokenizer",
            "secretary",
            "keyboard",
            "key",
            "error_code",
            "api_version",
        ] {
            assert!(!is_secret_field(name), "{name} is an ordinary field");
        }
    }
}
