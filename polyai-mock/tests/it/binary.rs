//! The standalone binary: its help lists the admin routes, and a test scripts it over HTTP
//! (seed, read back, deliver any event body signed with an endpoint's current secret).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::support;
use support::{Receiver, signature_ok};

const BINARY: &str = env!("CARGO_BIN_EXE_polyai-mock");

/// Kills the child process this test started when dropped (and keeps its stdout open).
struct Running(
    Child,
    #[allow(dead_code)] BufReader<std::process::ChildStdout>,
);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free loopback port and returns it with its base URL.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let running = Running(child, stdout);
    let url = first
        .trim()
        .strip_prefix("polyai-mock listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (running, url)
}

#[test]
fn help_lists_the_admin_routes_and_the_tokens() {
    let out = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "/_mock/operations",
        "/_mock/requests",
        "/_mock/seed",
        "/_mock/deliveries",
        "/_mock/external-events",
        "--connector-token",
        "--outbound-token",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url).header("x-api-key", "bin-key");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_binary_is_scripted_through_the_admin_routes() {
    let (_running, base) = start(&["--api-key", "bin-key", "--conversations", "10"]);
    let http = reqwest::Client::new();
    use reqwest::Method;

    let unauthorised = http
        .get(format!("{base}/_mock/operations"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status().as_u16(), 401);
    let (status, operations) =
        send(&http, Method::GET, format!("{base}/_mock/operations"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        operations.as_array().unwrap().len(),
        polyai_mock::Route::all().count()
    );

    // Seed an endpoint through the admin route, then deliver an event type the SDK does not
    // model, signed with the endpoint's secret.
    let (_, seeded) = send(
        &http,
        Method::POST,
        format!("{base}/_mock/seed"),
        Some(json!({
            "method": "POST",
            "path": "/v1/webhook-endpoints",
            "body": {"name": "bin", "url": "https://hooks.example.com/x", "event_types": ["alerts.triggered"]}
        })),
    )
    .await;
    assert_eq!(seeded["status"], 200, "{seeded}");
    let id = seeded["body"]["id"].as_str().unwrap().to_owned();
    let secret = seeded["body"]["signing_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let receiver = Receiver::start().await.unwrap();
    let (status, delivery) = send(
        &http,
        Method::POST,
        format!("{base}/_mock/deliveries"),
        Some(json!({
            "endpoint_id": id,
            "receiver_url": receiver.url(),
            "body": {"event_type": "handoff.completed", "conversation_id": "CA1"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{delivery}");
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(signature_ok(
        &secret,
        &received[0].headers,
        &received[0].body
    ));
    let sent: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent["event_type"], "handoff.completed");

    // What an API call sent is readable from the log.
    send(
        &http,
        Method::POST,
        format!("{base}/v1/conversations/dni-reservation"),
        Some(json!({"attributes": {"campaign": "spring"}})),
    )
    .await;
    let (_, log) = send(&http, Method::GET, format!("{base}/_mock/requests"), None).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "admin calls are not recorded: {log:?}");
    assert_eq!(log[0]["operation_id"], "reserve_dni");
    assert!(log[0]["body"].as_str().unwrap().contains("spring"));
    let (_, reservations) = send(
        &http,
        Method::GET,
        format!("{base}/_mock/dni-reservations"),
        None,
    )
    .await;
    assert_eq!(reservations[0]["attributes"]["campaign"], "spring");
}
