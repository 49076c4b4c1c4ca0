//! Issue 5: no API key and no webhook secret appears in trace-level logs or in any error's
//! `Display`/`Debug`, across a full run of the fault suite.
//!
//! This is its own test binary: its thread-local subscriber must not share tracing's callsite
//! interest cache with tests running on other threads (they would mark callsites disabled).

use std::io::Write;
use std::sync::{Arc, Mutex};

use polyai_sdk::{Client, RetryPolicy};
use polyai_tests::{RawReply, RawServer};
use serde_json::json;

use polyai_tests::faults::{SECRET_KEY, listing_scenario};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime: the thread-local subscriber sees every task, the SDK's and the
// servers', and hyper's and reqwest's own trace events too.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_trace_logs_or_errors() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    listing_scenario().await;

    // Errors that carry a response: 401 with the envelope, echoing the key back as a hostile
    // proxy might not; the SDK itself must not add it anywhere.
    let server = RawServer::start(|_, _| {
        RawReply::json(
            "401 Unauthorized",
            &json!({"success": false, "error_code": "UNAUTHORIZED", "error_message": "bad key"}),
        )
        .header("X-PolyAI-Correlation-Id", "corr-401")
    })
    .await;
    let client = Client::builder()
        .api_key(SECRET_KEY)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let mut texts = vec![format!("{client:?}")];
    for error in [
        client.get_conversation("agent", "CA1").await.unwrap_err(),
        client
            .list_conversations("acme", "support")
            .page_size(0)
            .first_page()
            .await
            .unwrap_err(),
        Client::builder()
            .api_key(format!("{SECRET_KEY}\n"))
            .base_url("ftp://x")
            .build()
            .unwrap_err(),
    ] {
        tracing::error!(%error, ?error, "captured error");
        texts.push(format!("{error}"));
        texts.push(format!("{error:?}"));
        texts.push(format!("{error:#}"));
    }
    // Webhook verification, passing and failing, under the same capture.
    const WEBHOOK_SECRET: &str = "whsec_SECRET_do_not_log_9c1e";
    let verifier =
        polyai_sdk::webhooks::Verifier::with_secrets([WEBHOOK_SECRET, "whsec_second_SECRET"])
            .unwrap();
    let body = br#"{"event_type":"alerts.triggered","alert":{"id":"ar_1"}}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let good = polyai_sdk::webhooks::signed_headers(WEBHOOK_SECRET, now, "evt_1", body);
    let event = verifier.verify_event(&good, body).expect("verified");
    tracing::info!(?event, ?verifier, "verified webhook");
    for headers in [
        polyai_sdk::webhooks::signed_headers("wrong", now, "evt_1", body),
        polyai_sdk::webhooks::signed_headers(WEBHOOK_SECRET, now - 10_000, "evt_1", body),
    ] {
        let error = polyai_sdk::Error::from(verifier.verify(&headers, body).unwrap_err());
        tracing::warn!(%error, ?error, "rejected webhook");
        texts.push(format!("{error} {error:?}"));
    }
    texts.push(format!("{verifier:?}"));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        !logs.contains("SECRET_do_not_log") && !logs.contains("second_SECRET"),
        "a webhook secret leaked into the logs"
    );
    assert!(
        logs.contains("polyai.request"),
        "the SDK's spans were captured"
    );
    assert!(logs.contains("retrying"), "retries were logged");
    assert!(
        logs.lines().count() > 100,
        "trace level was on: {} lines",
        logs.lines().count()
    );
    assert!(
        !logs.contains(SECRET_KEY),
        "the API key leaked into the logs"
    );
    for text in texts {
        assert!(!text.contains(SECRET_KEY), "the API key leaked: {text}");
        assert!(
            !text.contains("SECRET_do_not_log") && !text.contains("second_SECRET"),
            "a webhook secret leaked: {text}"
        );
    }
}
