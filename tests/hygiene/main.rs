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
        client
            .data()
            .get_agent_conversation()
            .agent_id("agent")
            .conversation_id("CA1")
            .send()
            .await
            .unwrap_err(),
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
    // Errors without a response (a stalled server, a refused connection) name the request's
    // path, never its query: here a transcript search for a phone number.
    const QUERY_SECRET: &str = "PHONE447700900123";
    let stalled = RawServer::start(|_, _| {
        let mut reply = RawReply::json("200 OK", &json!({"conversations": []}));
        reply.stall = Some(std::time::Duration::from_secs(5));
        reply
    })
    .await;
    let refused_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // A base URL with credentials in it is refused at build, without quoting them; the error
    // and the builder's Debug join the texts checked below.
    let with_userinfo = Client::builder().api_key(SECRET_KEY).base_url(format!(
        "http://user:PASSWORD_IN_URL@127.0.0.1:{refused_port}"
    ));
    texts.push(format!("{with_userinfo:?}"));
    let refused = with_userinfo.build().unwrap_err();
    assert!(
        matches!(refused, polyai_sdk::Error::InvalidInput(_)),
        "{refused:?}"
    );
    tracing::error!(%refused, ?refused, "captured refused base URL");
    texts.push(format!("{refused} | {refused:?} | {refused:#}"));
    for (base_url, policy) in [
        (stalled.base_url().to_string(), RetryPolicy::disabled()),
        (
            format!("http://127.0.0.1:{refused_port}"),
            RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)),
        ),
    ] {
        let client = Client::builder()
            .api_key(SECRET_KEY)
            .base_url(base_url)
            .read_timeout(std::time::Duration::from_millis(200))
            .retry_policy(policy)
            .build()
            .unwrap();
        let error = client
            .list_conversations("acme", "support")
            .search_transcripts(QUERY_SECRET)
            .first_page()
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                polyai_sdk::Error::Timeout { .. } | polyai_sdk::Error::Transport(_)
            ),
            "{error:?}"
        );
        tracing::error!(%error, ?error, "captured error without a response");
        let text = format!("{error} | {error:?} | {error:#}");
        assert!(text.contains("/v3/acme/support/conversations"), "{text}");
        texts.push(text);
    }

    // Responses that carry a webhook signing secret but end in an error: an undocumented 2xx
    // (Error::Api), a body that does not decode or is cut short (Error::Decode), and an error
    // whose details echo the secret. No part of any of those errors may show it.
    const SIGNING_SECRET: &str = "whsec_RESPONSE_SECRET_7f3a";
    let secret_server = RawServer::start(|n, _| {
        let whole = json!({"id": "whe_1", "signing_secret": SIGNING_SECRET, "enabled": true});
        match n {
            0 => RawReply::json("200 OK", &whole),
            1 => RawReply::json(
                "201 Created",
                &json!({"id": 17, "signing_secret": SIGNING_SECRET}),
            ),
            2 => RawReply::json("202 Accepted", &whole),
            3 => {
                let mut reply = RawReply::json("200 OK", &whole);
                let cut = reply.body.len() - 20;
                reply.body.truncate(cut);
                reply.headers.retain(|(name, _)| name != "Content-Length");
                reply
                    .headers
                    .push(("Content-Length".into(), cut.to_string()));
                reply
            }
            _ => RawReply::json(
                "500 Internal Server Error",
                &json!({"error_message": "failed", "data": {"signing_secret": SIGNING_SECRET}}),
            ),
        }
    })
    .await;
    let secret_client = Client::builder()
        .api_key(SECRET_KEY)
        .base_url(secret_server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let endpoints = secret_client.webhook_endpoints();
    let create = || {
        endpoints.create_webhook_endpoint().body_map(|b| {
            b.name("ops".to_owned())
                .url("https://ops.example.com/polyai".to_owned())
                .event_types(vec![
                    polyai_sdk::generated::webhooks::types::WebhookEventType::AlertsTriggered,
                ])
        })
    };
    let rotate = || {
        endpoints
            .rotate_webhook_signing_secret()
            .endpoint_id("whe_1")
    };
    let mut secret_errors = Vec::new();
    for result in [
        create().send().await.map(drop),
        create().send().await.map(drop),
        rotate().send().await.map(drop),
        rotate().send().await.map(drop),
        rotate().send().await.map(drop),
    ] {
        let error = result.unwrap_err();
        tracing::error!(%error, ?error, "captured error from a secret-carrying response");
        secret_errors.push(format!("{error} | {error:?} | {error:#} | {error:#?}"));
    }
    assert!(
        secret_errors[0].contains("200") && secret_errors[1].contains("decode"),
        "the errors are the expected ones: {secret_errors:#?}"
    );
    assert!(
        secret_errors.iter().all(|text| text.contains("<redacted>")),
        "each error shows where the secret was: {secret_errors:#?}"
    );
    texts.extend(secret_errors);

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
    assert!(
        !logs.contains(QUERY_SECRET) && !logs.contains("PASSWORD_IN_URL"),
        "a query string or a URL's password leaked into the logs"
    );
    assert!(
        !logs.contains("RESPONSE_SECRET"),
        "a signing secret from a response leaked into the logs"
    );
    for text in texts {
        assert!(!text.contains(SECRET_KEY), "the API key leaked: {text}");
        assert!(
            !text.contains("SECRET_do_not_log") && !text.contains("second_SECRET"),
            "a webhook secret leaked: {text}"
        );
        assert!(
            !text.contains(QUERY_SECRET) && !text.contains("PASSWORD_IN_URL"),
            "a query string or a URL's password leaked: {text}"
        );
        assert!(
            !text.contains("RESPONSE_SECRET"),
            "a signing secret from a response leaked: {text}"
        );
    }
}
