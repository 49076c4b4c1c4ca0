//! Helpers shared by the mock's integration tests: thin unwrapping wrappers over
//! `polyai_mock::testing` (one copy, used by every test file with `mod support;`).

#![allow(dead_code, unused_imports)] // each test file uses a different subset

use hmac::{Hmac, KeyInit, Mac};
use polyai_mock::MockServer;
use reqwest::Method;
use serde_json::Value;
use sha2::Sha256;

pub use polyai_mock::testing::{Answer, Receiver, assert_envelope};

/// A plain HTTP client.
pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Reads a hand-built request's response.
pub async fn answer(response: reqwest::Response) -> Answer {
    polyai_mock::testing::answer(response).await.unwrap()
}

/// `method path` with the mock's API key and an optional JSON body.
pub async fn call(server: &MockServer, method: Method, path: &str, body: Option<Value>) -> Answer {
    polyai_mock::testing::call(server, method, path, body.as_ref())
        .await
        .unwrap()
}

/// `method path` with exactly these headers.
pub async fn call_with(
    server: &MockServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    polyai_mock::testing::call_with(server, method, path, body.as_ref(), headers)
        .await
        .unwrap()
}

pub async fn get(server: &MockServer, path: &str) -> Answer {
    call(server, Method::GET, path, None).await
}

pub async fn post(server: &MockServer, path: &str, body: Value) -> Answer {
    call(server, Method::POST, path, Some(body)).await
}

pub async fn put(server: &MockServer, path: &str, body: Value) -> Answer {
    call(server, Method::PUT, path, Some(body)).await
}

pub async fn patch(server: &MockServer, path: &str, body: Value) -> Answer {
    call(server, Method::PATCH, path, Some(body)).await
}

pub async fn delete(server: &MockServer, path: &str) -> Answer {
    call(server, Method::DELETE, path, None).await
}

/// Whether a delivery's `X-PolyAI-Signature` is the HMAC-SHA256 of `{timestamp}.{body}` under
/// `secret`.
pub fn signature_ok(secret: &str, headers: &reqwest::header::HeaderMap, body: &[u8]) -> bool {
    let timestamp = headers["x-polyai-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    headers["x-polyai-signature"] == expected.as_str()
}
