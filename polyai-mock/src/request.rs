//! What a handler receives and returns: the [`Req`] value, the [`Reply`] type, the public
//! [`Route`] name of an operation, and the per-family [`Family`] rules (credentials, error
//! shape, how a bad JSON body is answered).
//!
//! This module depends on nothing but the shared state and the error type, so handlers can
//! use it without importing the route table (which imports them).

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::envelope::ApiError;
use crate::state::App;

/// What every handler returns: a response, or an error rendered in the family's error shape.
pub(crate) type Reply = Result<Response, ApiError>;

/// A handler: one function per operation.
pub(crate) type Handler = fn(&Req<'_>) -> Reply;

/// One operation the mock serves, named by its `operationId` in our `openapi/*.yaml`
/// documents (snake_case, for example `list_conversations`; hand-written operations use the
/// `operation` name of their `x-polyai-hand-written` entry). Used by fault rules and the
/// request log. [`Route::all`] lists every operation; [`Route::operation`] finds one by id.
///
/// The associated constants (`Route::ListConversations`, `Route::GetAudio`, ...) name the
/// operations the mock served before its route table; every other operation is reached with
/// [`Route::operation`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route(pub(crate) &'static str);

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Route({})", self.0)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// No route of the mock has the operation id that was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation {
    /// The operation id that was asked for.
    pub operation_id: String,
}

impl std::fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "polyai-mock serves no operation with id {:?}: use an operationId from openapi/*.yaml \
             (snake_case, e.g. \"list_conversations\"); Route::all() lists them",
            self.operation_id
        )
    }
}

impl std::error::Error for UnknownOperation {}

/// The credentials a family checks on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `x-api-key` must equal the mock's API key.
    ApiKey,
    /// `x-api-key` and `X-TOKEN` (the connector token) must both match (Chat).
    ApiKeyAndConnectorToken,
    /// `X-PolyAi-Auth-Token` must equal the mock's outbound token (legacy Outbound).
    OutboundToken,
}

/// How a family writes its error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorShape {
    /// PolyAI's envelope `{success, error, error_id, error_code, error_message, data}`.
    Envelope,
    /// The envelope, except 422 answers FastAPI's `{detail: [{loc, msg, type}]}` (Alerts).
    EnvelopeWithDetail422,
    /// `{error_message}` (Handoff, Concurrent calls, External events).
    ErrorMessage,
    /// `{success: false, error, message}` (DNI).
    Dni,
    /// `{error, code}` (legacy Outbound).
    Outbound,
}

/// The rules shared by every operation of one family (one OpenAPI document, or a part of one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Family {
    /// A short name, used in docs and messages (`conversations`, `agents`, `chat`, ...).
    pub name: &'static str,
    /// The credentials checked before the handler runs.
    pub auth: Auth,
    /// How errors are rendered.
    pub errors: ErrorShape,
    /// The error for a body that is missing or JSON of the wrong shape (missing or unknown
    /// fields, wrong types, ...).
    pub bad_body: fn(String) -> ApiError,
    /// The error for a body that is not JSON at all.
    pub bad_json: fn(String) -> ApiError,
}

/// The header names whose values are secrets: never recorded, never echoed.
pub(crate) const SECRET_HEADERS: [&str; 4] = [
    "x-api-key",
    "x-token",
    "x-polyai-auth-token",
    "authorization",
];

/// One request, as a handler sees it: the named path parameters (decoded), the query, the
/// headers, the raw body (parse it with [`Req::json`]), the server-wide sequence number and
/// the shared state.
pub(crate) struct Req<'a> {
    /// The shared state (configuration and the store).
    pub app: &'a App,
    /// Server-wide request number, starting at 1.
    pub seq: u64,
    /// The request method.
    #[allow(dead_code)] // part of the handler interface; no handler needs it yet
    pub method: &'a Method,
    /// The path as sent (still percent-encoded).
    #[allow(dead_code)] // part of the handler interface; no handler needs it yet
    pub path: &'a str,
    /// Decoded path parameters, by the names of the template.
    pub params: Vec<(&'static str, String)>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw request body.
    pub body: &'a Bytes,
    /// The family of the matched operation.
    pub family: &'static Family,
}

impl Req<'_> {
    /// The decoded path parameter `name` (as spelt in the template), or `""` if the template
    /// has no such parameter.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub fn query_first(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request header as text (`None` if absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the body as JSON `T`; a blank body, bad JSON or the wrong shape is the family's
    /// bad-body error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(self.body, None, self.family.bad_json, self.family.bad_body)
    }

    /// Like [`Req::json`], with a blank body read as `T::default()` (optional bodies).
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        parse_json(
            self.body,
            Some(T::default()),
            self.family.bad_json,
            self.family.bad_body,
        )
    }

    /// [`Req::json`] with an operation-specific error for bad bodies.
    #[allow(dead_code)] // part of the handler interface (the Agents extras use it)
    pub fn json_with<T: DeserializeOwned>(
        &self,
        invalid: fn(String) -> ApiError,
    ) -> Result<T, ApiError> {
        parse_json(self.body, None, invalid, invalid)
    }

    /// [`Req::json_or_default`] with an operation-specific error for bad bodies.
    #[allow(dead_code)] // part of the handler interface (the Agents extras use it)
    pub fn json_or_default_with<T: DeserializeOwned + Default>(
        &self,
        invalid: fn(String) -> ApiError,
    ) -> Result<T, ApiError> {
        parse_json(self.body, Some(T::default()), invalid, invalid)
    }
}

/// The one JSON body parser of the mock. A blank body is `optional` when the body may be left
/// out, and otherwise `shape("A JSON request body is required.")`; text that is not JSON is
/// `syntax(..)`; JSON of the wrong shape (missing or unknown fields, wrong types) is
/// `shape(..)`.
pub(crate) fn parse_json<T: DeserializeOwned>(
    body: &[u8],
    optional: Option<T>,
    syntax: fn(String) -> ApiError,
    shape: fn(String) -> ApiError,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return optional.ok_or_else(|| shape("A JSON request body is required.".into()));
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            shape(format!("Invalid request body: {e}"))
        } else {
            syntax(format!("The request body is not valid JSON: {e}"))
        }
    })
}

/// 400 `BAD_REQUEST` with `message` (a generic bad-body error).
pub(crate) fn bad_request(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}
