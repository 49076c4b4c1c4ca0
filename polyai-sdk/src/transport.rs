//! The one place every request passes through.
//!
//! Each generated client carries a [`Transport`] as its `inner` value, and its
//! `progenitor_client::ClientHooks` implementation (emitted by `impl_client_hooks!` from the
//! generated `mod.rs`) hands every request here: the credential header is added (marked
//! sensitive, so it never shows in `Debug` output or logs), a tracing span named after the
//! operation is opened, and the retry strategy runs: it makes attempts and asks
//! [`retry::classify`] what each outcome calls for, reading the operation's [`Operation`] entry
//! (method, path template, host family, idempotent, streaming) from the generated `OPERATIONS`
//! table. For JSON operations an attempt covers reading the whole body too, so a connection
//! cut mid-body is retried like a failed connection. Every call ends with one `DEBUG` event
//! on the `polyai_sdk::call` target (see [`completed`]).
//!
//! The few operations the generator cannot produce (raw or multipart uploads, several request
//! media types) are written by hand and sent with [`send_hand_written`], which takes the same
//! steps: path check, credential headers, span, deadline, retries and error decoding.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::ResponseBuilderExt as _;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;

use crate::generated::OPERATIONS;
use crate::region::HostFamily;
use crate::retry::{
    self, AttemptOutcome, AttemptState, GiveUp, NotRetried, RetryAction, RetryBucket, RetryPolicy,
    TransportFailure,
};

/// The header PolyAI puts its correlation id in (equal to the error body's `error_id`).
static CORRELATION_ID: HeaderName = HeaderName::from_static("x-polyai-correlation-id");

/// One operation as the transport knows it: generated for every operation of `openapi/` (the
/// `OPERATIONS` table in `generated/mod.rs`, from `cargo xtask generate`), written by hand for
/// the few operations the generator cannot produce.
#[derive(Clone, Debug)]
pub(crate) struct Operation {
    /// The operation id, as in the documents and the `polyai.request` span.
    pub(crate) id: &'static str,
    /// The HTTP method.
    pub(crate) method: reqwest::Method,
    /// The path template, with a `{name}` segment per path parameter.
    pub(crate) path: &'static str,
    /// The host family its servers belong to.
    pub(crate) host: HostFamily,
    /// What the retry classifier and the transport read.
    pub(crate) traits: OperationTraits,
}

/// The traits of an operation that change how it is sent and retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OperationTraits {
    /// Safe to repeat after the server may have seen it: every `GET`, `HEAD`, `OPTIONS`, `PUT`
    /// and `DELETE`, and the operations the documents mark `x-polyai-idempotent: true`.
    pub(crate) idempotent: bool,
    /// The media type of a success body that is streamed to the caller (asked for in
    /// `Accept`; no per-request deadline, not buffered), or `None` for a JSON operation.
    pub(crate) streaming: Option<&'static str>,
}

impl Operation {
    /// The generated operation with this id.
    pub(crate) fn find(id: &str) -> Option<&'static Operation> {
        OPERATIONS
            .binary_search_by(|operation| operation.id.cmp(id))
            .ok()
            .map(|index| &OPERATIONS[index])
    }
}

/// What the transport assumes of an operation missing from the table (which a generated
/// client cannot produce, but nothing may panic on it): not safe to repeat, JSON.
const UNKNOWN_TRAITS: OperationTraits = OperationTraits {
    idempotent: false,
    streaming: None,
};

/// The header progenitor adds to every request, which no PolyAI API documents; prepared
/// once, because removing by a `&str` name parses the name each time.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// A credential sent in a header; its value never appears in `Debug` or `Display`.
#[derive(Clone)]
pub(crate) struct Credential {
    value: HeaderValue,
}

impl Credential {
    /// Validates a secret as a header value without ever echoing it in the error.
    pub(crate) fn new(secret: &str, what: &str) -> Result<Self, crate::Error> {
        let trimmed = secret.trim();
        if trimmed.is_empty() {
            return Err(crate::Error::InvalidInput(format!("the {what} is empty")));
        }
        let mut value = HeaderValue::from_str(trimmed).map_err(|_| {
            crate::Error::InvalidInput(format!(
                "the {what} contains characters that cannot be sent in an HTTP header \
                 (control characters or non-ASCII); check for stray quotes or newlines"
            ))
        })?;
        value.set_sensitive(true);
        Ok(Credential { value })
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

tokio::task_local! {
    static EXTRA_HEADERS: HeaderMap;
}

/// Runs `future` with `headers` added to every request it makes through a generated client.
/// The hand-written layers use it for headers the documents do not model, such as `Range`.
pub(crate) async fn with_headers<F: Future>(headers: HeaderMap, future: F) -> F::Output {
    EXTRA_HEADERS.scope(headers, future).await
}

/// Settings shared by every family of one [`Client`](crate::Client).
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) retry: RetryPolicy,
    /// The client-wide retry budget, consulted before every retry of every family.
    pub(crate) retry_budget: RetryBucket,
    /// A deadline for each attempt of a JSON call, body included (never applied to streaming
    /// downloads).
    pub(crate) request_timeout: Option<Duration>,
    /// The largest success body of a JSON call, in bytes (never applied to streaming downloads).
    pub(crate) max_response_size: u64,
}

/// The per-family context of a generated client: the shared settings and the credential
/// headers this family sends (most send `x-api-key`; Chat adds `X-TOKEN`, Outbound uses
/// `X-PolyAi-Auth-Token`).
#[derive(Clone, Debug)]
pub struct Transport {
    settings: Arc<Settings>,
    credentials: Arc<[(HeaderName, Credential)]>,
    /// Why this family cannot send anything: a credential PolyAI requires for it was not
    /// configured (what to configure, in words).
    missing_credential: Option<&'static str>,
}

impl Transport {
    pub(crate) fn new(settings: Arc<Settings>, credentials: Vec<(HeaderName, Credential)>) -> Self {
        Transport {
            settings,
            credentials: Arc::from(credentials),
            missing_credential: None,
        }
    }

    /// A transport for a family whose own credential was not configured: every request is
    /// refused before it is sent, with `explanation` (which names what to configure), instead
    /// of going out with the wrong credential to come back as a 401.
    pub(crate) fn without_credential(settings: Arc<Settings>, explanation: &'static str) -> Self {
        Transport {
            settings,
            credentials: Arc::from([]),
            missing_credential: Some(explanation),
        }
    }

    /// The settings this transport applies.
    #[cfg(test)]
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The `pre` hook: checks the JSON body against the limits the documents give that the
    /// generated types do not enforce (array lengths, number ranges), adds the credential
    /// header, asks for the right media type on binary downloads, adds the headers of an
    /// enclosing [`with_headers`] scope, and removes progenitor's `api-version` header, which
    /// no PolyAI API documents.
    pub(crate) fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation: &str,
    ) -> Result<(), String> {
        let Some(known) = Operation::find(operation) else {
            return Err(format!(
                "{operation} is not in the generated operation table; run `cargo xtask generate`"
            ));
        };
        check_path(request.url(), operation, known.path)?;
        crate::validate::request_body(operation, request.body().and_then(reqwest::Body::as_bytes))?;
        self.add_headers(request, known)
    }

    /// The header part of [`prepare`](Self::prepare), shared with hand-written operations.
    /// Fails, sending nothing, when the family's own credential is not configured.
    fn add_headers(
        &self,
        request: &mut reqwest::Request,
        operation: &Operation,
    ) -> Result<(), String> {
        if let Some(explanation) = self.missing_credential {
            return Err(format!("{}: {explanation}; nothing was sent", operation.id));
        }
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        for (name, credential) in self.credentials.iter() {
            headers.insert(name.clone(), credential.value.clone());
        }
        if let Some(media) = operation.traits.streaming {
            headers.insert(ACCEPT, HeaderValue::from_static(media));
        }
        let _ = EXTRA_HEADERS.try_with(|extra| {
            for (name, value) in extra {
                headers.insert(name.clone(), value.clone());
            }
        });
        Ok(())
    }

    /// Sends a request with retries (the `exec` hook).
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let (host, traits) = Operation::find(operation).map_or((None, UNKNOWN_TRAITS), |known| {
            (Some(known.host), known.traits)
        });
        self.run(client, request, operation, host, traits).await
    }

    /// The retry strategy behind [`execute`](Self::execute) and [`send_hand_written`]: opens
    /// the `polyai.request` span, applies the per-request deadline (not to streaming
    /// operations), makes attempts, asks [`retry::classify`] what each outcome calls for,
    /// then sleeps, pays the retry budget and counts as it says, and emits one
    /// `polyai_sdk::call` event when the call completes.
    async fn run(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &'static str,
        host: Option<HostFamily>,
        traits: OperationTraits,
    ) -> reqwest::Result<reqwest::Response> {
        let streaming = traits.streaming.is_some();
        if !streaming && let Some(deadline) = self.settings.request_timeout {
            request.timeout_mut().get_or_insert(deadline);
        }
        let method = request.method().clone();
        let span = tracing::debug_span!(
            "polyai.request",
            operation,
            method = %method,
            path = %request.url().path(),
        );
        let policy = retry::effective(&self.settings.retry);
        let budget = &self.settings.retry_budget;
        let limit = self.settings.max_response_size;
        let attempts = async move {
            let started = Instant::now();
            let mut state = AttemptState {
                number: 1,
                waited: Duration::ZERO,
                resendable: false,
                budget_available: 0,
            };
            // What the retry that produced the current attempt took from the budget.
            let mut paid = None;
            let outcome = loop {
                // Keep a copy for the next attempt; a request whose body cannot be copied
                // (a stream) gets one attempt only.
                let spare = (state.number < policy.attempts())
                    .then(|| request.try_clone())
                    .flatten();
                let mut outcome = attempt_once(client, request, streaming, limit).await;
                state.resendable = spare.is_some();
                state.budget_available = budget.available();
                let seen = match &outcome {
                    Ok(response) => AttemptOutcome::Response {
                        status: response.status(),
                        headers: response.headers(),
                    },
                    Err(error) => AttemptOutcome::Transport(TransportFailure::of(error)),
                };
                let action = retry::classify(
                    seen,
                    traits,
                    state,
                    &policy,
                    budget.budget(),
                    SystemTime::now(),
                    || policy.jitter_source().draw(),
                );
                let (wait, cost, reason) = match action {
                    RetryAction::DoNotRetry => break outcome,
                    RetryAction::FailNow(reason, why) => {
                        if why == GiveUp::Refused(NotRetried::BudgetExhausted) {
                            tracing::warn!(
                                attempt = state.number,
                                available = state.budget_available,
                                %reason,
                                "retry refused: the client-wide retry budget is used up (many \
                                 calls are failing); returning the error"
                            );
                        } else {
                            tracing::debug!(
                                attempt = state.number,
                                waited_ms = state.waited.as_millis() as u64,
                                %reason,
                                why = ?why,
                                "not retrying"
                            );
                        }
                        if let (Some(why), Ok(response)) = (why.recorded(), &mut outcome) {
                            response.extensions_mut().insert(why);
                        }
                        break outcome;
                    }
                    RetryAction::RetryAfter { wait, cost, reason } => (wait, cost, reason),
                };
                let Some(next_request) = spare else {
                    break outcome;
                };
                // The classifier saw the budget a moment ago; taking the tokens decides.
                if !budget.try_take(cost) {
                    tracing::warn!(
                        attempt = state.number,
                        cost,
                        available = budget.available(),
                        %reason,
                        "retry refused: the client-wide retry budget is used up (many calls \
                         are failing); returning the error"
                    );
                    if let Ok(response) = &mut outcome {
                        response
                            .extensions_mut()
                            .insert(NotRetried::BudgetExhausted);
                    }
                    break outcome;
                }
                paid = Some(cost);
                match &outcome {
                    Err(error) => tracing::warn!(
                        attempt = state.number,
                        next_attempt = state.number + 1,
                        wait_ms = wait.as_millis() as u64,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        %reason,
                        %error,
                        "request failed; retrying"
                    ),
                    Ok(_) => tracing::warn!(
                        attempt = state.number,
                        next_attempt = state.number + 1,
                        wait_ms = wait.as_millis() as u64,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        %reason,
                        "request failed; retrying"
                    ),
                }
                drop(outcome);
                tokio::time::sleep(wait).await;
                state.waited = state.waited.saturating_add(wait);
                state.number += 1;
                request = next_request;
            };
            if matches!(&outcome, Ok(response) if !crate::error::is_retryable_status(response.status()))
            {
                budget.on_success(paid);
            }
            completed(
                operation,
                &method,
                host,
                &outcome,
                state.number,
                started.elapsed(),
            );
            outcome
        };
        // Entering a span on every poll costs even when nothing listens; skip it then.
        if span.is_disabled() {
            attempts.await
        } else {
            attempts.instrument(span).await
        }
    }
}

/// The one event every call emits when it completes (target `polyai_sdk::call`, level
/// `DEBUG`): the operation id, method, host family, status (or the kind of transport failure),
/// the attempts made, the elapsed milliseconds (waits included) and PolyAI's correlation id.
/// Never a header value but the correlation id, never a URL or query string. For a
/// streaming download the call completes when the answer's head arrives.
fn completed(
    operation: &'static str,
    method: &reqwest::Method,
    host: Option<HostFamily>,
    outcome: &reqwest::Result<reqwest::Response>,
    attempts: u32,
    elapsed: Duration,
) {
    if !tracing::enabled!(target: "polyai_sdk::call", tracing::Level::DEBUG) {
        return;
    }
    let host = host.map(|host| match host {
        HostFamily::Agents => "agents",
        HostFamily::Platform => "platform",
    });
    let elapsed_ms = elapsed.as_millis() as u64;
    match outcome {
        Ok(response) => {
            let correlation_id = response
                .headers()
                .get(&CORRELATION_ID)
                .and_then(|value| value.to_str().ok());
            tracing::debug!(
                target: "polyai_sdk::call",
                operation,
                method = %method,
                host,
                status = response.status().as_u16(),
                attempts,
                elapsed_ms,
                correlation_id,
                "call completed"
            );
        }
        Err(error) => tracing::debug!(
            target: "polyai_sdk::call",
            operation,
            method = %method,
            host,
            error = TransportFailure::of(error).as_str(),
            attempts,
            elapsed_ms,
            "call failed without an answer"
        ),
    }
}

/// Sends a hand-written operation the way the generated hooks send a generated one: the URL is
/// the family's base URL plus `operation.path` with each parameter percent-encoded as the
/// generated code does, the path shape is checked, the family's credential headers and any
/// [`with_headers`] scope are added, and the request goes through the same retry loop, deadline
/// and tracing span. `build` adds the query, headers and body; give the body as
/// [`bytes::Bytes`] so that retries can resend it without copying (a streaming body gets one
/// attempt only). A non-success answer becomes an [`Error`](crate::Error) the same way as for
/// generated operations; a success answer is returned with its body already read.
pub(crate) async fn send_hand_written<C>(
    family: &C,
    operation: &Operation,
    path_params: &[&str],
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, crate::Error>
where
    C: progenitor_client::ClientInfo<Transport>,
{
    let url = fill_path(family.baseurl(), operation, path_params)?;
    let builder = family
        .client()
        .request(operation.method.clone(), url)
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    let mut request = build(builder).build().map_err(|e| {
        crate::Error::InvalidInput(format!(
            "cannot build the {} request: {}",
            operation.id,
            e.without_url()
        ))
    })?;
    check_path(request.url(), operation.id, operation.path).map_err(crate::Error::InvalidInput)?;
    let transport = family.inner();
    transport
        .add_headers(&mut request, operation)
        .map_err(crate::Error::InvalidInput)?;
    let response = transport
        .run(
            family.client(),
            request,
            operation.id,
            Some(operation.host),
            operation.traits,
        )
        .await
        .map_err(crate::Error::from_reqwest)?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(crate::Error::from_response(response).await)
    }
}

/// The URL of a hand-written operation: `base` plus the template with its `{name}` segments
/// replaced, in order, by the percent-encoded parameters.
fn fill_path(
    base: &str,
    operation: &Operation,
    params: &[&str],
) -> Result<reqwest::Url, crate::Error> {
    let mut params = params.iter();
    let mut path = String::from(base);
    for segment in operation.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        if segment.starts_with('{') {
            let Some(value) = params.next() else {
                return Err(crate::Error::InvalidInput(format!(
                    "{}: missing a value for path parameter {segment}",
                    operation.id
                )));
            };
            let name = segment.trim_start_matches('{').trim_end_matches('}');
            path.push_str(&encode_path(name, value).map_err(crate::Error::InvalidInput)?);
        } else {
            path.push_str(segment);
        }
    }
    if params.next().is_some() {
        return Err(crate::Error::InvalidInput(format!(
            "{}: more path parameters than {} has",
            operation.id, operation.path
        )));
    }
    reqwest::Url::parse(&path).map_err(|e| {
        crate::Error::InvalidInput(format!(
            "{}: cannot build a URL from the base URL and path: {e}",
            operation.id
        ))
    })
}

/// The bytes sent as they are in a path segment: RFC 3986's unreserved characters. Everything
/// else is percent-encoded, `\`, `/`, `%`, `?`, `#` and non-ASCII included, so that a value can
/// never add, remove or change a segment: URL parsers read `\` as `/` in `http(s)` URLs, and a
/// literal `%2e` would otherwise be folded like `.`.
const PATH_SEGMENT_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes the value of path parameter `name` as exactly one path segment, or says why it
/// cannot be one (see [`validate::path_segment_problem`](crate::validate::path_segment_problem)).
/// Every path parameter, generated (the xtask routes progenitor's calls here) and hand-written,
/// goes through this function.
pub(crate) fn encode_path(name: &str, value: &str) -> Result<String, String> {
    if let Some(problem) = crate::validate::path_segment_problem(value) {
        return Err(format!(
            "path parameter {name} {problem} (got {value:?}); nothing was sent (check the id passed in)"
        ));
    }
    Ok(percent_encoding::utf8_percent_encode(value, PATH_SEGMENT_ENCODE).to_string())
}

/// Checks that the request's path still has the shape of the operation's template: that no
/// path parameter was empty, `.` or `..` (URL parsing folds those away, even percent-encoded,
/// which would send the request to another resource).
fn check_path(url: &reqwest::Url, operation: &str, template: &str) -> Result<(), String> {
    // Compared from the end (the base URL may carry a path prefix), without allocating:
    // this runs on every request.
    let mut actual = url.path().rsplit('/');
    let matches = template
        .trim_start_matches('/')
        .rsplit('/')
        .all(|want| match actual.next() {
            Some(got) if want.starts_with('{') => !got.is_empty(),
            Some(got) => got == want,
            None => false,
        });
    if matches {
        Ok(())
    } else {
        Err(format!(
            "a path parameter of {operation} is empty, `.` or `..`, which would change the request path \
             ({template}); check the ids passed in"
        ))
    }
}

/// A JSON success body larger than the client's limit
/// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)). It travels
/// as the source of the body error the generated code gets when it reads the response (the
/// hooks can only hand back `reqwest` types), and becomes [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseTooLarge {
    /// The limit, in bytes.
    pub(crate) limit: u64,
    /// The `Content-Length` the server declared, when it did.
    pub(crate) declared: Option<u64>,
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response body exceeds the limit of {} bytes",
            self.limit
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

impl ResponseTooLarge {
    /// The oversize marker in `error`'s chain of sources, if it is one.
    pub(crate) fn find(error: &(dyn std::error::Error + 'static)) -> Option<ResponseTooLarge> {
        let mut cause = Some(error);
        while let Some(current) = cause {
            if let Some(found) = current.downcast_ref::<ResponseTooLarge>() {
                return Some(*found);
            }
            cause = current.source();
        }
        None
    }

    /// A body that fails with this marker as soon as it is read. The generated code reads
    /// it, gets a `reqwest` body error whose source is the marker, and the SDK turns that into
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    fn into_failing_body(self) -> reqwest::Body {
        reqwest::Body::wrap_stream(futures::stream::once(async move {
            Err::<bytes::Bytes, _>(self)
        }))
    }
}

/// One attempt. For JSON operations with a success status the body is read here, at most
/// `limit` bytes of it (checked against `Content-Length` first, then as it arrives), so that a
/// body cut short fails this attempt (and can be retried) instead of failing the decode later.
async fn attempt_once(
    client: &reqwest::Client,
    request: reqwest::Request,
    streaming: bool,
    limit: u64,
) -> reqwest::Result<reqwest::Response> {
    // Errors leave the transport with their URL cut to the path: they are logged by the retry
    // loop and end up in the caller's error.
    let mut response = client
        .execute(request)
        .await
        .map_err(crate::error::url_to_path)?;
    if streaming || !response.status().is_success() {
        return Ok(response);
    }
    // Rebuilt around the buffered body. The headers are moved, not copied, and the response
    // keeps its real URL (without it, reqwest parses a placeholder URL for every response).
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let declared = response.content_length();
    let headers = std::mem::take(response.headers_mut());
    let too_large = ResponseTooLarge { limit, declared };
    let body = if declared.is_some_and(|length| length > limit) {
        // Refused unread; the same request would get the same answer, so it is not retried.
        too_large.into_failing_body()
    } else if declared.is_some() {
        // The common case: the length is known and within the limit, and reqwest stops at it.
        response
            .bytes()
            .await
            .map_err(crate::error::url_to_path)?
            .into()
    } else {
        let mut body = bytes::BytesMut::new();
        let mut over = false;
        while let Some(chunk) = response.chunk().await.map_err(crate::error::url_to_path)? {
            if (body.len() + chunk.len()) as u64 > limit {
                over = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        if over {
            too_large.into_failing_body()
        } else {
            body.freeze().into()
        }
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        *rebuilt.extensions_mut() = carrier.into_parts().0.extensions;
    }
    Ok(reqwest::Response::from(rebuilt))
}

/// Implements `progenitor_client::ClientHooks` for a generated module's family client (e.g.
/// `conversations::ConversationsClient`), routing every request through [`Transport`].
/// Invoked from the generated `mod.rs`.
macro_rules! impl_client_hooks {
    ($module:ident :: $client:ident) => {
        impl progenitor_client::ClientHooks<crate::transport::Transport> for $module::$client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                use progenitor_client::ClientInfo as _;
                self.inner()
                    .prepare(request, info.operation_id)
                    .map_err(progenitor_client::Error::InvalidRequest)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                use progenitor_client::ClientInfo as _;
                self.inner()
                    .execute(self.client(), request, info.operation_id)
                    .await
            }
        }
    };
}
pub(crate) use impl_client_hooks;

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is sorted by id with no duplicate (the lookup is a binary search), and every
    /// id is found.
    #[test]
    fn the_operation_table_is_sorted_and_every_id_is_found() {
        assert!(OPERATIONS.len() > 50, "{} operations", OPERATIONS.len());
        assert!(OPERATIONS.windows(2).all(|pair| pair[0].id < pair[1].id));
        for operation in OPERATIONS {
            let found = Operation::find(operation.id).map(|found| found.path);
            assert_eq!(found, Some(operation.path));
        }
        assert!(Operation::find("no_such_operation").is_none());
    }

    /// The host family of every operation follows PolyAI's rule: `/v1/agents/...`, webhooks
    /// and alerts on the Agents hosts; Conversations v3, Chat and the other `/v3`-style
    /// platform paths on the Platform hosts.
    #[test]
    fn operations_carry_the_documented_host_family_and_traits() {
        for operation in OPERATIONS {
            if operation.path.starts_with("/v1/agents/")
                || operation.path.starts_with("/v1/webhook-endpoints")
                || operation.path.starts_with("/v1/alert")
            {
                assert_eq!(operation.host, HostFamily::Agents, "{}", operation.id);
            }
        }
        let listing = Operation::find("list_conversations").map(|op| (op.host, op.traits));
        assert_eq!(
            listing,
            Some((
                HostFamily::Platform,
                OperationTraits {
                    idempotent: true,
                    streaming: None
                }
            ))
        );
        let audio =
            Operation::find("get_conversation_audio").map(|op| (op.method.clone(), op.traits));
        assert_eq!(
            audio,
            Some((
                reqwest::Method::GET,
                OperationTraits {
                    idempotent: true,
                    streaming: Some("audio/wav")
                }
            ))
        );
        let annotate = Operation::find("create_annotations").map(|op| op.traits.idempotent);
        assert_eq!(annotate, Some(false));
        let note = Operation::find("upsert_conversation_note").map(|op| op.traits.idempotent);
        assert_eq!(
            note,
            Some(true),
            "the note upsert is marked x-polyai-idempotent"
        );
    }
}
