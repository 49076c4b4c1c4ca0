//! The start-up rule shared by the webhook examples (`polyai_examples::choose_webhook_secret`).

use polyai_examples::{WebhookSecret, choose_webhook_secret};

#[test]
fn a_real_account_without_a_secret_refuses_to_start() {
    let error = choose_webhook_secret(None, false, "whsec_demo")
        .expect_err("no demo secret against a real account");
    let message = error.to_string();
    assert!(message.contains("POLYAI_WEBHOOK_SECRET"), "{message}");
    assert!(message.contains("embedded mock"), "{message}");
    // An empty variable counts as unset.
    assert!(choose_webhook_secret(Some(String::new()), false, "whsec_demo").is_err());
}

#[test]
fn the_demo_secret_is_used_only_against_the_mock() {
    let secret = choose_webhook_secret(None, true, "whsec_demo").expect("demo against the mock");
    assert_eq!(secret, WebhookSecret::Demo("whsec_demo".into()));
    assert!(secret.is_demo());
    assert_eq!(format!("{secret:?}"), "WebhookSecret::Demo(<redacted>)");
}

#[test]
fn a_configured_secret_serves_real_deliveries_on_both_targets() {
    for against_mock in [false, true] {
        let secret = choose_webhook_secret(Some("whsec_real".into()), against_mock, "whsec_demo")
            .expect("configured secret");
        assert!(!secret.is_demo());
        assert_eq!(secret.expose(), "whsec_real");
        assert!(!format!("{secret:?}").contains("whsec_real"));
    }
}
