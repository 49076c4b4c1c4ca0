//! Sending: ReqwestClient against loopback servers on 127.0.0.1 (refused, stalled, 5xx,
//! oversized with and without Content-Length, JSON, redirects, no retries) and ServiceClient
//! against an axum Router in-process (the exact rendered request arrives; limits; failures).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient, SendError, ServiceClient};
use polyai_actions::render::{RenderContext, render_action};
use polyai_actions::{ApiAction, AuthConnector, Environment, InMemorySecretStore, SecretRef};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "k3y-v4lue-do-not-print";

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A raw TCP server answering every connection with `response` (after reading the request head).
async fn raw_server(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    base
}

fn get_request(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

fn client(options: ClientOptions) -> ReqwestClient {
    ReqwestClient::new(options).unwrap()
}

fn assert_no_secret(error: &SendError) {
    for printed in [error.to_string(), format!("{error:?}")] {
        assert!(!printed.contains(KEY), "secret printed: {printed}");
        assert!(!printed.contains("api_key"), "query printed: {printed}");
    }
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_without_the_query() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/orders?api_key={KEY}");
    let error = client(ClientOptions::default())
        .send(get_request(&url))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Connect { .. }), "{error:?}");
    assert_eq!(error.url(), format!("http://{addr}/orders"));
    assert!(
        error
            .to_string()
            .contains("check that the service is running"),
        "{error}"
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_stalled_server_is_a_timeout() {
    // Accepts, reads, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keep.lock().await.push(socket);
        }
    });
    let after = Duration::from_millis(300);
    let error = client(ClientOptions::default().with_timeout(after))
        .send(get_request(&format!("http://{addr}/slow?api_key={KEY}")))
        .await
        .unwrap_err();
    match &error {
        SendError::Timeout { url, after: limit } => {
            assert_eq!(url, &format!("http://{addr}/slow"));
            assert_eq!(*limit, after);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("with_timeout"), "{error}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_503_is_a_response_and_is_sent_once() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/book",
        any(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "1")],
                    "down for maintenance",
                )
            }
        }),
    );
    let base = serve(app).await;
    let request = http::Request::post(format!("{base}/book"))
        .header("content-type", "application/json")
        .body(Bytes::from_static(b"{\"slot\":\"10:00\"}"))
        .unwrap();
    let response = client(ClientOptions::default())
        .send(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.body().as_ref(), b"down for maintenance");
    // No retry: one request reached the server, even with a Retry-After.
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_json_answer_arrives_whole() {
    let app = Router::new().route(
        "/customers/42",
        get(|| async { axum::Json(json!({"id": 42, "name": "Ada", "tags": ["vip"]})) }),
    );
    let base = serve(app).await;
    let response = client(ClientOptions::default())
        .send(get_request(&format!("{base}/customers/42")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body, json!({"id": 42, "name": "Ada", "tags": ["vip"]}));
}

#[tokio::test]
async fn an_oversized_body_with_content_length_is_refused_before_reading() {
    let app = Router::new().route("/big", get(|| async { "x".repeat(2000) }));
    let base = serve(app).await;
    let limit = 1000;
    let options = ClientOptions::default().with_max_response_bytes(limit);
    let error = client(options.clone())
        .send(get_request(&format!("{base}/big?api_key={KEY}")))
        .await
        .unwrap_err();
    match &error {
        SendError::ResponseTooLarge {
            limit: l, declared, ..
        } => {
            assert_eq!(*l, limit);
            assert_eq!(*declared, Some(2000));
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(error.to_string().contains("1000 bytes"), "{error}");
    assert_no_secret(&error);
    // At the limit exactly, it is accepted.
    let ok = client(options.with_max_response_bytes(2000))
        .send(get_request(&format!("{base}/big")))
        .await
        .unwrap();
    assert_eq!(ok.body().len(), 2000);
}

#[tokio::test]
async fn an_oversized_chunked_body_is_refused_while_reading() {
    // Transfer-Encoding: chunked, no Content-Length: three chunks of 400 bytes.
    static RESPONSE: std::sync::LazyLock<&'static [u8]> = std::sync::LazyLock::new(|| {
        let mut out =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_vec();
        for _ in 0..3 {
            out.extend_from_slice(b"190\r\n");
            out.extend_from_slice(&[b'y'; 400]);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        Box::leak(out.into_boxed_slice())
    });
    let base = raw_server(&RESPONSE).await;
    let error = client(ClientOptions::default().with_max_response_bytes(1000))
        .send(get_request(&format!("{base}/stream")))
        .await
        .unwrap_err();
    match &error {
        SendError::ResponseTooLarge {
            limit, declared, ..
        } => {
            assert_eq!(*limit, 1000);
            assert_eq!(*declared, None);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert!(!error.to_string().contains("Content-Length"), "{error}");
    // Under a larger limit the same body arrives whole.
    let ok = client(ClientOptions::default().with_max_response_bytes(1200))
        .send(get_request(&format!("{base}/stream")))
        .await
        .unwrap();
    assert_eq!(ok.body().as_ref(), vec![b'y'; 1200].as_slice());
}

#[tokio::test]
async fn a_body_cut_short_is_a_body_error() {
    let base = raw_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b").await;
    let error = client(ClientOptions::default())
        .send(get_request(&format!("{base}/short")))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Body { .. }), "{error:?}");
}

#[tokio::test]
async fn a_relative_url_is_an_invalid_request() {
    let error = client(ClientOptions::default())
        .send(get_request("/no/host"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SendError::InvalidRequest { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn redirects_are_returned_by_default_and_followed_only_to_the_same_origin() {
    let hits_elsewhere = Arc::new(AtomicUsize::new(0));
    let counter = hits_elsewhere.clone();
    let other = serve(Router::new().route(
        "/landing",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { "elsewhere" }
        }),
    ))
    .await;
    let target = format!("{other}/landing");
    let app = Router::new()
        .route(
            "/old",
            get(|| async { (StatusCode::FOUND, [("location", "/new")]) }),
        )
        .route("/new", get(|| async { "moved here" }))
        .route(
            "/away",
            get(move || {
                let target = target.clone();
                async move { (StatusCode::FOUND, [("location", target)]).into_response() }
            }),
        );
    let base = serve(app).await;

    let response = client(ClientOptions::default())
        .send(get_request(&format!("{base}/old")))
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/new");

    let following = client(ClientOptions::default().with_max_redirects(3));
    let response = following
        .send(get_request(&format!("{base}/old")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"moved here");

    // Another port is another origin: not followed, so the X-API-Key never leaves.
    let request = http::Request::get(format!("{base}/away"))
        .header("x-api-key", KEY)
        .body(Bytes::new())
        .unwrap();
    let response = following.send(request).await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(hits_elsewhere.load(Ordering::SeqCst), 0);
}

// ---- In-process ----

/// Echoes the request it got as JSON: method, URI, headers (in order), body.
async fn echo(request: Request) -> axum::Json<Value> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let headers: Vec<Value> = parts
        .headers
        .iter()
        .map(|(name, value)| json!([name.as_str(), value.to_str().unwrap()]))
        .collect();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8(body.to_vec()).unwrap(),
    }))
}

#[tokio::test]
async fn a_router_gets_the_exact_rendered_request_with_no_socket() {
    let mut action = ApiAction::from_yaml_str(
        r#"
name: book_table
description: Book a table
url: https://bookings.example/v1/bookings
method: POST
headers:
  - { name: X-Source, value: polyai }
parameters:
  type: object
  properties:
    party: { type: integer }
    name: { type: string }
  required: [party, name]
body_template: '{"party": {{.parameters.party}}, "name": "{{.parameters.name}}"}'
"#,
    )
    .unwrap();
    action.auth = Some(AuthConnector::Bearer {
        token: SecretRef::new("token"),
    });
    let secrets = InMemorySecretStore::new().with(Environment::Live, "token", KEY);
    let context = RenderContext::new(Environment::Live, &secrets)
        .with_parameters(json!({"party": 4, "name": "Ada"}));
    let rendered = render_action(&action, &context).unwrap();
    let expected = rendered.as_http().clone();

    let client = ServiceClient::new(Router::new().route("/v1/bookings", any(echo)));
    let response = client.send(rendered.into_http()).await.unwrap();
    assert_eq!(response.status(), 200);
    let got: Value = serde_json::from_slice(response.body()).unwrap();

    assert_eq!(got["method"], "POST");
    assert_eq!(got["uri"], expected.uri().to_string());
    assert_eq!(got["uri"], "https://bookings.example/v1/bookings");
    let expected_headers: Vec<Value> = expected
        .headers()
        .iter()
        .map(|(name, value)| json!([name.as_str(), value.to_str().unwrap()]))
        .collect();
    assert_eq!(got["headers"], Value::Array(expected_headers));
    assert!(
        got["headers"]
            .as_array()
            .unwrap()
            .contains(&json!(["authorization", format!("Bearer {KEY}")]))
    );
    assert!(
        got["headers"]
            .as_array()
            .unwrap()
            .contains(&json!(["x-source", "polyai"]))
    );
    assert_eq!(got["body"], r#"{"party": 4, "name": "Ada"}"#);
    assert_eq!(
        got["body"].as_str().unwrap().as_bytes(),
        expected.body().as_ref()
    );
}

#[tokio::test]
async fn a_router_answer_keeps_status_and_headers() {
    let app = Router::new().route(
        "/missing",
        get(|| async { (StatusCode::NOT_FOUND, [("x-trace", "abc")], "no such order") }),
    );
    let response = ServiceClient::new(app)
        .send(get_request("http://svc.local/missing"))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-trace"], "abc");
    assert_eq!(response.body().as_ref(), b"no such order");
}

#[tokio::test]
async fn in_process_limits_apply() {
    let app = Router::new()
        .route("/big", get(|| async { "z".repeat(500) }))
        .route(
            "/stream",
            get(|| async {
                let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'c'; 100])));
                Response::new(Body::from_stream(futures::stream::iter(chunks)))
            }),
        )
        .route("/never", get(std::future::pending::<&'static str>));
    let client = ServiceClient::new(app).with_options(
        ClientOptions::default()
            .with_max_response_bytes(250)
            .with_timeout(Duration::from_millis(200)),
    );

    let error = client
        .send(get_request(&format!("http://svc.local/big?api_key={KEY}")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SendError::ResponseTooLarge {
                limit: 250,
                declared: Some(500),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.url(), "http://svc.local/big");
    assert_no_secret(&error);

    let error = client
        .send(get_request("http://svc.local/stream"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SendError::ResponseTooLarge {
                limit: 250,
                declared: None,
                ..
            }
        ),
        "{error:?}"
    );

    let error = client
        .send(get_request("http://svc.local/never"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SendError::Timeout { after, .. } if after == Duration::from_millis(200)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_panicking_handler_is_a_service_error() {
    async fn boom() -> &'static str {
        panic!("database unreachable")
    }
    let client = ServiceClient::new(Router::new().route("/boom", get(boom)));
    let error = client
        .send(get_request("http://svc.local/boom"))
        .await
        .unwrap_err();
    match &error {
        SendError::Service { url, message } => {
            assert_eq!(url, "http://svc.local/boom");
            assert!(message.contains("database unreachable"), "{message}");
        }
        other => panic!("expected a service error, got {other:?}"),
    }
    // The client still works afterwards.
    let client = ServiceClient::new(Router::new().route("/ok", get(|| async { "fine" })));
    let response = client
        .send(get_request("http://svc.local/ok"))
        .await
        .unwrap();
    assert_eq!(response.body().as_ref(), b"fine");
}

#[tokio::test]
async fn a_failing_body_is_a_body_error_in_process() {
    let app = Router::new().route(
        "/broken",
        get(|| async {
            let chunks = vec![
                Ok(Bytes::from_static(b"partial")),
                Err(std::io::Error::other("disk gone")),
            ];
            Response::new(Body::from_stream(futures::stream::iter(chunks)))
        }),
    );
    let error = ServiceClient::new(app)
        .send(get_request("http://svc.local/broken"))
        .await
        .unwrap_err();
    match &error {
        SendError::Body { message, .. } => assert!(message.contains("disk gone"), "{message}"),
        other => panic!("expected a body error, got {other:?}"),
    }
}

#[test]
fn clients_are_send_and_sync_and_usable_as_trait_objects() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ReqwestClient>();
    assert_send_sync::<ServiceClient<Router>>();
    assert_send_sync::<SendError>();
    let boxed: Box<dyn HttpClient> = Box::new(ServiceClient::new(Router::new()));
    let text = format!("{:?}", ServiceClient::new(Router::<()>::new()));
    assert!(text.contains("ServiceClient"), "{text}");
    drop(boxed);
    let defaults = ClientOptions::default();
    assert_eq!(defaults.timeout, Some(Duration::from_secs(10)));
    assert_eq!(defaults.connect_timeout, Some(Duration::from_secs(5)));
    assert_eq!(defaults.max_response_bytes, 10 * 1024 * 1024);
    assert_eq!(defaults.max_redirects, 0);
}
