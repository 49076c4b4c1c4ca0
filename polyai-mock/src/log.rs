//! The request log: what each request looked like, for assertions in tests.

use axum::body::Bytes;

use crate::faults::Fault;
use crate::request::Route;
use crate::util::parse_query;

/// How the request's `x-api-key` compared with the mock's key. The key itself is never
/// stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyCheck {
    /// No `x-api-key` header was sent.
    Missing,
    /// The header matched the configured key.
    Matched,
    /// The header was present but different.
    Mismatched,
}

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Server-wide sequence number, starting at 1.
    pub seq: u64,
    /// HTTP method (`GET`, `POST`, ...).
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Request headers with lowercase names, in order; the `x-api-key` value is replaced by
    /// `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// How the API key compared.
    pub api_key: ApiKeyCheck,
    /// The request body.
    pub body: Bytes,
    /// The route the path matched, if any.
    pub route: Option<Route>,
    /// The `X-PolyAI-Correlation-Id` the mock answered with.
    pub correlation_id: String,
    /// The response status.
    pub status: u16,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    /// The first value of a request header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded query parameters, in order (repeated names appear repeatedly).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_query(self.query.as_deref())
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
