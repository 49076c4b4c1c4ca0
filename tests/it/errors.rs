//! Whatever a server sends, the SDK answers with a typed error carrying a bounded excerpt,
//! never a panic.

use polyai_sdk::{Client, Error, RetryPolicy};
use polyai_tests::{RecordingServer, Reply};
use serde_json::json;

async fn client_for(
    reply: impl Fn(&polyai_tests::RecordedRequest) -> Reply + Send + Sync + 'static,
) -> (RecordingServer, Client) {
    let server = RecordingServer::start(reply).await;
    let client = Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    (server, client)
}

#[tokio::test]
async fn polyai_error_envelope_is_parsed() {
    let (_server, client) = client_for(|_| {
        Reply::json(400, json!({"success": false, "error": "Bad Request", "error_id": "f00d", "error_code": "INVALID_PARAMETER",
                                "error_message": "limit must be between 1 and 1000", "data": null}))
            .header("x-polyai-correlation-id", "f00d")
    })
    .await;
    let error = crate::detail(&client, "a", "c").await.expect_err("400");
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status.as_u16(), 400);
    assert_eq!(api.error_code.as_deref(), Some("INVALID_PARAMETER"));
    assert_eq!(
        api.error_message.as_deref(),
        Some("limit must be between 1 and 1000")
    );
    assert_eq!(api.error_id.as_deref(), Some("f00d"));
    assert_eq!(api.correlation_id.as_deref(), Some("f00d"));
    let text = error.to_string();
    assert!(
        text.contains("400") && text.contains("INVALID_PARAMETER") && text.contains("f00d"),
        "{text}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn not_found_and_rate_limited_are_their_own_variants() {
    let (_server, client) = client_for(|request| {
        if request.path.ends_with("missing") {
            Reply::json(404, json!({"success": false, "error_code": "NOT_FOUND", "error_message": "no such conversation"}))
        } else {
            Reply::json(429, json!({"success": false, "error_code": "RATE_LIMITED"})).header("retry-after", "7")
        }
    })
    .await;
    let error = crate::detail(&client, "a", "missing")
        .await
        .expect_err("404");
    assert!(
        matches!(&error, Error::NotFound(api) if api.error_code.as_deref() == Some("NOT_FOUND")),
        "{error:?}"
    );
    let error = crate::detail(&client, "a", "busy").await.expect_err("429");
    assert!(
        matches!(&error, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn alerts_style_validation_errors_keep_their_details() {
    let (_server, client) = client_for(|_| {
        Reply::json(422, json!({"detail": [{"loc": ["body", "note"], "msg": "field required", "type": "value_error.missing"}]}))
    })
    .await;
    let error = crate::set_note(&client, "a", "c", "x")
        .await
        .expect_err("422");
    let api = error.api_error().expect("api error");
    assert_eq!(api.status.as_u16(), 422);
    assert!(
        api.details.as_ref().is_some_and(|d| d.is_array()),
        "{api:?}"
    );
}

#[tokio::test]
async fn bad_bodies_become_typed_errors_with_bounded_excerpts() {
    let huge = "x".repeat(10 * 1024 * 1024);
    let (_server, client) =
        client_for(
            move |request| match request.path.rsplit('/').next().unwrap_or("") {
                "html" => Reply::bytes(
                    502,
                    "text/html",
                    "<html><body><h1>502 Bad Gateway</h1></body></html>",
                ),
                "huge" => Reply::bytes(500, "text/plain", huge.clone()),
                "invalid" => Reply::bytes(200, "application/json", "{\"id\": \"CA1\", "),
                "shape" => Reply::json(200, json!(["not", "an", "object"])),
                "empty" => Reply::bytes(200, "application/json", ""),
                "utf8" => Reply::bytes(200, "application/json", vec![b'{', 0xff, 0xfe, b'}']),
                "teapot" => Reply::bytes(418, "text/plain", "I'm a teapot"),
                "empty-error" => Reply::bytes(503, "text/plain", ""),
                _ => Reply::json(200, json!({})),
            },
        )
        .await;

    let error = crate::detail(&client, "a", "html").await.expect_err("html");
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 502 && api.body_excerpt.contains("502 Bad Gateway")),
        "{error:?}"
    );
    assert!(error.is_retryable());

    let error = crate::detail(&client, "a", "huge").await.expect_err("huge");
    let api = error.api_error().expect("api");
    assert!(
        api.body_excerpt.len() <= 520,
        "excerpt is bounded: {}",
        api.body_excerpt.len()
    );
    assert!(error.to_string().len() < 2048, "display is bounded");

    for (id, what) in [
        ("invalid", "invalid JSON"),
        ("shape", "wrong shape"),
        ("empty", "empty body"),
        ("utf8", "invalid UTF-8"),
    ] {
        let error = crate::detail(&client, "a", id).await.expect_err(what);
        assert!(matches!(error, Error::Decode { .. }), "{what}: {error:?}");
    }
    let error = crate::detail(&client, "a", "invalid")
        .await
        .expect_err("invalid");
    let Error::Decode { body_excerpt, .. } = &error else {
        unreachable!()
    };
    assert!(body_excerpt.contains("\"id\": \"CA1\""), "{body_excerpt}");

    let error = crate::detail(&client, "a", "teapot")
        .await
        .expect_err("418");
    assert!(
        matches!(&error, Error::Api(api) if api.status.as_u16() == 418 && api.body_excerpt == "I'm a teapot"),
        "{error:?}"
    );
    let error = crate::detail(&client, "a", "empty-error")
        .await
        .expect_err("503");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn refused_connection_is_a_transport_error() {
    // Nothing listens there.
    let client = Client::builder()
        .api_key("k")
        .base_url(polyai_tests::closed_port_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = crate::detail(&client, "a", "c")
        .await
        .expect_err("closed port");
    assert!(
        matches!(error, Error::Transport(_) | Error::Timeout { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn debug_leads_with_the_display_sentence_and_not_found_says_what_to_check() {
    let (_server, client) = client_for(|_| {
        Reply::json(
            404,
            json!({"success": false, "error_code": "CONVERSATIONS_NOT_FOUND",
                   "error_message": "no such conversation", "error_id": "c-404"}),
        )
        .header("x-polyai-correlation-id", "c-404")
    })
    .await;
    let error = client
        .data()
        .get_agent_conversation()
        .agent_id("support")
        .conversation_id("CA404")
        .send()
        .await
        .expect_err("404");
    let display = error.to_string();
    for part in [
        "not found",
        "404",
        "CONVERSATIONS_NOT_FOUND",
        "no such conversation",
        "c-404",
        "agent id is the project id",
        "region",
    ] {
        assert!(display.contains(part), "{part:?} in {display}");
    }
    for debug in [format!("{error:?}"), format!("{error:#?}")] {
        assert!(debug.starts_with(&display), "{debug}");
        assert!(debug.contains("Error::NotFound"), "{debug}");
    }
    assert!(
        !format!("{error:?}").contains("ApiError {"),
        "no struct dump"
    );
    assert!(
        format!("{error:#?}").contains("correlation_id: Some("),
        "the alternate form adds the fields"
    );

    // Invalid input, a transport failure and a listing error read the same way.
    let refused = "2026-13-40"
        .parse::<polyai_sdk::Timestamp>()
        .map_err(Error::from);
    let refused = refused.expect_err("not a date");
    assert!(matches!(refused, Error::InvalidInput(_)), "{refused:?}");
    assert!(format!("{refused:?}").starts_with(&refused.to_string()));
    let region = "mars".parse::<polyai_sdk::Region>().map_err(Error::from);
    let region = region.expect_err("no such region");
    assert!(
        region.to_string().contains("unknown PolyAI region `mars`"),
        "{region}"
    );
    assert!(format!("{region:?}").starts_with(&region.to_string()));
}

#[tokio::test]
async fn question_mark_converts_timestamps_and_regions() {
    fn parse(region: &str, since: &str) -> Result<(), Error> {
        let _region: polyai_sdk::Region = region.parse()?;
        let _since: polyai_sdk::Timestamp = since.parse()?;
        Ok(())
    }
    assert!(parse("eu", "2026-07-01T16:35:00Z").is_ok());
    assert!(
        matches!(parse("xx", "2026-07-01T16:35:00Z"), Err(Error::InvalidInput(m)) if m.contains("xx"))
    );
    assert!(
        matches!(parse("uk", "yesterday"), Err(Error::InvalidInput(m)) if m.contains("yesterday"))
    );
}
