//! Helpers for tests that talk to the mock over HTTP: a raw call that keeps status, headers
//! and body ([`call`], [`Answer`]), PolyAI's error-envelope assertion ([`assert_envelope`]) and
//! a loopback webhook [`Receiver`] that keeps every delivery, and a small valid [`wav`] to
//! upload. The mock's own tests and the workspace's integration tests use them; so can yours.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::server::MockServer;

/// One answer of the mock: status, headers, the body parsed as JSON (`Null` when it is not
/// JSON) and the raw body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The response status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as JSON, or `Value::Null` when it is empty or not JSON.
    pub json: Value,
    /// The raw body.
    pub raw: Bytes,
}

impl Answer {
    /// The `X-PolyAI-Correlation-Id` header, or `""`.
    pub fn correlation_id(&self) -> &str {
        self.headers
            .get(crate::CORRELATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends `method path` (path may carry a query) to the mock with its API key in `x-api-key`
/// and `body` as JSON, and returns the whole answer. Add other headers with [`call_with`].
pub async fn call(
    server: &MockServer,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Answer, reqwest::Error> {
    call_with(
        server,
        method,
        path,
        body,
        &[("x-api-key", server.api_key())],
    )
    .await
}

/// [`call`] with exactly the headers given (no API key unless you pass one).
pub async fn call_with(
    server: &MockServer,
    method: Method,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Result<Answer, reqwest::Error> {
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    answer(request.send().await?).await
}

/// Reads a whole response of the mock into an [`Answer`] (for requests built by hand).
pub async fn answer(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let raw = response.bytes().await?;
    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        headers,
        json,
        raw,
    })
}

/// Asserts that `answer` is PolyAI's error envelope with this status and `error_code`, and
/// `error_id` equal to the correlation header.
///
/// # Panics
/// When it is not (this is a test assertion).
pub fn assert_envelope(answer: &Answer, status: u16, code: &str) {
    let j = &answer.json;
    assert_eq!(answer.status.as_u16(), status, "body: {j}");
    let correlation = answer.correlation_id();
    assert!(!correlation.is_empty(), "no correlation id");
    assert_eq!(j["success"], false, "body: {j}");
    assert_eq!(j["error_code"], code, "body: {j}");
    assert_eq!(j["error_id"], correlation, "body: {j}");
    assert_eq!(j["error"], j["error_message"], "body: {j}");
    assert!(
        j["error_message"].as_str().is_some_and(|m| !m.is_empty()),
        "body: {j}"
    );
    assert!(j.get("data").is_some(), "body: {j}");
}

/// One delivery a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw body (what was signed).
    pub body: Bytes,
}

/// A loopback HTTP server that accepts `POST`s on any path, answers a fixed status, and
/// keeps every delivery (a stand-in webhook receiver). It stops when the runtime does.
#[derive(Debug, Clone)]
pub struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Starts a receiver answering 200 `ok` on `127.0.0.1` and a free port.
    pub async fn start() -> std::io::Result<Receiver> {
        Self::answering(StatusCode::OK).await
    }

    /// Starts a receiver answering `status` to every delivery.
    pub async fn answering(status: StatusCode) -> std::io::Result<Receiver> {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let sink = seen.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Received { headers, body });
                (status, "ok")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, seen })
    }

    /// The URL to deliver to (`http://127.0.0.1:PORT/hook`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every delivery so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A valid 16-bit mono PCM WAV at 8 kHz holding `samples` samples (two bytes each, a fixed
/// repeating pattern), for tests that upload audio (`PATCH .../audio-cache/{entryId}/file`
/// accepts it) or compare it byte for byte. Lengths past what a WAV can describe are cut to
/// the largest one.
///
/// ```
/// let bytes = polyai_mock::testing::wav(100);
/// assert_eq!(bytes.len(), 44 + 200);
/// assert_eq!(&bytes[0..4], b"RIFF");
/// assert_eq!(&bytes[8..12], b"WAVE");
/// ```
pub fn wav(samples: usize) -> Vec<u8> {
    let data_len = u32::try_from(samples.saturating_mul(2))
        .unwrap_or(u32::MAX - 36)
        .min(u32::MAX - 36)
        & !1;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(&crate::audio::wav_header(8000, data_len));
    out.extend((0..data_len as usize).map(|i| (i % 251) as u8));
    out
}
