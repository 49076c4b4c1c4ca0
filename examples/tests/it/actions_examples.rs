//! Runs the two polyai-actions examples (`test_my_service`, `conv_api`) as part of the test
//! suite, so CI exercises them end to end: each example's `run` is compiled in here from its
//! own source file and its output checked.

#[path = "../../test_my_service.rs"]
mod test_my_service;

#[path = "../../conv_api.rs"]
mod conv_api;

fn output(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("the examples print UTF-8")
}

#[tokio::test]
async fn test_my_service_runs_the_chain_in_process() {
    let mut out = Vec::new();
    test_my_service::run(&mut out)
        .await
        .expect("the example runs");
    let text = output(out);
    // The lookup's variables feed the booking: the customer id and the (redacted) PIN.
    assert!(text.contains("customer.id = \"C-1042\""), "{text}");
    assert!(
        text.contains("\"customer_id\": \"C-1042\",\n  \"pin\": \"<sensitive:customer.pin>\""),
        "{text}"
    );
    assert!(text.contains("booking.reference = \"SB-0001\""), "{text}");
    assert!(text.contains("customer.pin = <sensitive:customer.pin> (hidden from the model)"));
    // The model's view holds the exposed variables only.
    assert!(
        text.contains(
            r#""variables":{"customer":{"first_name":"Ada","id":"C-1042","tier":"gold"}}"#
        ),
        "{text}"
    );
    // The schema refusal and the service's 422, with the agent's text.
    assert!(
        text.contains(
            "--- not sent: the parameters are not valid: `party_size` must be at most 12"
        )
    );
    assert!(
        text.contains("The request failed with HTTP status 422."),
        "{text}"
    );
    assert!(text.contains("bookings the service made: 1"), "{text}");
    // Neither the PIN nor the API token is printed anywhere.
    assert!(!text.contains("4471-09"), "{text}");
    assert!(!text.contains("sb_sandbox_7Qm2xK9c"), "{text}");
    assert!(text.contains("Authorization: Bearer <secret:bookings_api_token>"));
}

#[tokio::test]
async fn conv_api_calls_three_environments_with_one_token_each() {
    let mut out = Vec::new();
    conv_api::run(&mut out).await.expect("the example runs");
    let text = output(out);
    for prefix in ["sandbox", "staging", "live"] {
        assert!(
            text.contains(&format!(
                "GET /{prefix}/v1/sites/soho/slots?accessible=True&date=2026-12-24&party_size=4&seating=indoor&seating=terrace"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("POST /{prefix}/v1/sites/soho/bookings?notify=sms")),
            "{text}"
        );
        assert!(
            text.contains(&format!("authorization: Bearer <a {prefix} access token")),
            "{text}"
        );
    }
    assert!(
        text.contains("status 201, json {\"id\":\"BK-1001\""),
        "{text}"
    );
    assert!(
        text.contains("9 calls in 3 environments: 3 token requests (one per environment)"),
        "{text}"
    );
    assert!(
        text.contains("TokenError::Rejected, HTTP 401, code `invalid_client`"),
        "{text}"
    );
    assert!(
        text.contains("requests the service received for it: 0"),
        "{text}"
    );
    for secret in [
        "sbx-Hq2v7TnW",
        "stg-Lm4r8PzC",
        "live-Xe9k3DsF",
        "at_sandbox_",
        "at_staging_",
        "at_live_",
    ] {
        assert!(!text.contains(secret), "{secret} printed: {text}");
    }
}
