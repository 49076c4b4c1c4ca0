//! The runner through the shared clients: an axum `Router` in-process (lookup then book), and
//! loopback servers for the faults (refused connection, timeout, a 5xx, a non-JSON body, a body
//! over the limit). Only 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::routing::{get, post};
use polyai_actions::chain::{Conversation, RunError};
use polyai_actions::client::{ClientOptions, ReqwestClient, SendError, ServiceClient};
use polyai_actions::outcome::{ModelBody, OutputError};
use polyai_actions::secrets::NoSecrets;
use polyai_actions::{ApiAction, Environment, PreparedAction};
use serde_json::{Value, json};

/// Runs the lookup for `phone` expecting no response: gives the error, after checking that it
/// is a [`RunError::Send`] holding a [`SendError`] that `expected` accepts.
async fn failed_send(
    conversation: &mut Conversation<'_>,
    prepared: &PreparedAction<'_>,
    phone: &str,
    client: &ReqwestClient,
    expected: impl Fn(&SendError) -> bool,
) -> RunError {
    let err = conversation
        .run(prepared, json!({ "phone": phone }), client, None)
        .await
        .unwrap_err();
    let RunError::Send(e) = &err else {
        panic!("{err:?}")
    };
    let send_error = e.downcast_ref::<SendError>();
    assert!(send_error.is_some_and(expected), "{e}");
    err
}

fn lookup(base: &str) -> ApiAction {
    ApiAction::from_yaml_str(&format!(
        r#"
name: lookup_customer
connection: {{ base_url: "{base}" }}
url: /customers
method: GET
parameters:
  type: object
  properties: {{ phone: {{ type: string }} }}
  required: [phone]
output_variables:
  - {{ name: customer.id, path: "$.id" }}
  - {{ name: customer.pin, path: "$.pin", sensitive: true, expose_to_ai: false }}
"#
    ))
    .expect("valid")
}

fn book(base: &str) -> ApiAction {
    ApiAction::from_yaml_str(&format!(
        r#"
name: book_table
connection: {{ base_url: "{base}" }}
url: /bookings
method: POST
parameters:
  type: object
  properties: {{ guests: {{ type: integer }} }}
  required: [guests]
body_template: '{{"customer": "{{{{.variables.customer.id}}}}", "pin": "{{{{.variables.customer.pin}}}}", "guests": {{{{.parameters.guests}}}}, "site": "{{{{.static_variables.site}}}}"}}'
output_variables:
  - {{ name: booking.ref, path: "$.ref" }}
"#
    ))
    .expect("valid")
}

fn booking_service() -> axum::Router {
    axum::Router::new()
        .route(
            "/customers",
            get(|query: axum::extract::RawQuery| async move {
                assert_eq!(query.0.as_deref(), Some("phone=%2B441234"));
                Json(json!({"id": "C-42", "pin": "PIN-9921", "name": "Ada"}))
            }),
        )
        .route(
            "/bookings",
            post(|Json(body): Json<Value>| async move {
                Json(json!({"ref": format!("{}-{}-{}", body["customer"].as_str().unwrap_or("?"),
                    body["guests"], body["site"].as_str().unwrap_or("?")), "pin_ok": body["pin"] == "PIN-9921"}))
            }),
        )
}

#[tokio::test]
async fn lookup_then_book_in_process() {
    let client = ServiceClient::new(booking_service());
    let (lookup, book) = (lookup("http://booking.test"), book("http://booking.test"));
    let (lookup, book) = (
        PreparedAction::new(&lookup).unwrap(),
        PreparedAction::new(&book).unwrap(),
    );
    let mut conversation = Conversation::new(Environment::Sandbox, &NoSecrets)
        .static_variables(Environment::Sandbox, json!({"site": "LON"}));

    let found = conversation
        .run(&lookup, json!({"phone": "+441234"}), &client, None)
        .await
        .expect("lookup runs");
    assert_eq!(found.status(), 200);
    let view = found.model_view(ModelBody::default());
    assert_eq!(
        view.to_json(),
        json!({"status": 200, "body": {"id": "C-42", "pin": "<hidden:customer.pin>", "name": "Ada"},
               "variables": {"customer": {"id": "C-42"}}})
    );
    assert!(!format!("{found} {found:?} {view} {conversation:?}").contains("PIN-9921"));

    let booked = conversation
        .run(&book, json!({"guests": 4}), &client, None)
        .await
        .expect("booking runs");
    assert_eq!(booked.variable("booking.ref"), Some(&json!("C-42-4-LON")));
    assert_eq!(booked.body().as_json().unwrap()["pin_ok"], json!(true));
    assert_eq!(
        conversation.variables()["booking"]["ref"],
        json!("C-42-4-LON")
    );
}

#[tokio::test]
async fn a_missing_parameter_sends_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "called" }
    });
    let client = ServiceClient::new(app);
    let action = lookup("http://booking.test");
    let prepared = PreparedAction::new(&action).unwrap();
    let mut conversation = Conversation::new(Environment::Live, &NoSecrets);
    let err = conversation
        .run(&prepared, json!({}), &client, None)
        .await
        .unwrap_err();
    assert!(
        err.agent_message().contains("phone"),
        "{}",
        err.agent_message()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn faults_over_loopback() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/customers",
        get(move |q: axum::extract::Query<Value>| {
            h.fetch_add(1, Ordering::SeqCst);
            async move {
                match q.0["phone"].as_str() {
                    Some("500") => (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "{\"error\":\"db down\"}".to_owned(),
                    ),
                    Some("html") => (axum::http::StatusCode::OK, "<html>oops</html>".to_owned()),
                    Some("big") => (axum::http::StatusCode::OK, "x".repeat(10_000)),
                    _ => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        (axum::http::StatusCode::OK, "{}".to_owned())
                    }
                }
            }
        }),
    );
    let base = serve(app).await;
    let client = ReqwestClient::new(
        ClientOptions::default()
            .with_timeout(Duration::from_millis(300))
            .with_max_response_bytes(1024),
    )
    .unwrap();
    let action = lookup(&base);
    let prepared = PreparedAction::new(&action).unwrap();
    let mut conversation = Conversation::new(Environment::Live, &NoSecrets);

    // A 5xx: an outcome, sent once.
    let o = conversation
        .run(&prepared, json!({"phone": "500"}), &client, None)
        .await
        .unwrap();
    assert_eq!(o.status(), 500);
    assert_eq!(
        o.agent_error().unwrap().agent_message(),
        r#"The request failed with HTTP status 500. Response: {"error":"db down"}"#
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Not JSON: the agent sees the text, the variables fail clearly.
    let o = conversation
        .run(&prepared, json!({"phone": "html"}), &client, None)
        .await
        .unwrap();
    assert!(matches!(o.output_errors()[0], OutputError::NotJson { .. }));
    assert_eq!(
        o.model_view(ModelBody::default()).to_json()["body"],
        json!("<html>oops</html>")
    );

    // Over the size limit.
    let err = failed_send(&mut conversation, &prepared, "big", &client, |e| {
        matches!(e, SendError::ResponseTooLarge { .. })
    })
    .await;
    assert_eq!(
        err.agent_message(),
        "The service's answer was too large to read."
    );

    // A timeout, not retried.
    let before = hits.load(Ordering::SeqCst);
    let err = failed_send(&mut conversation, &prepared, "slow", &client, |e| {
        matches!(e, SendError::Timeout { .. })
    })
    .await;
    assert!(
        err.agent_message()
            .starts_with("The service did not answer in time")
    );
    assert_eq!(hits.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn connection_refused() {
    // Bind then drop: the port is closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = ReqwestClient::new(ClientOptions::default()).unwrap();
    let action = lookup(&base);
    let prepared = PreparedAction::new(&action).unwrap();
    let mut conversation = Conversation::new(Environment::Live, &NoSecrets);
    let err = failed_send(&mut conversation, &prepared, "1", &client, |e| {
        matches!(e, SendError::Connect { .. })
    })
    .await;
    assert_eq!(err.agent_message(), "The service could not be reached.");
}

/// The real token cache behind the runner: one token fetched for many runs, and after the
/// service refuses it (401) exactly one refetch and one resend, all in-process.
#[tokio::test]
async fn client_credentials_tokens_from_the_cache_with_one_refresh_on_401() {
    use polyai_actions::OAuth2Tokens;
    use polyai_actions::secrets::InMemorySecretStore;

    let fetches = Arc::new(AtomicUsize::new(0));
    let refuse_next = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (f, r) = (Arc::clone(&fetches), Arc::clone(&refuse_next));
    let app = axum::Router::new()
        .route(
            "/token",
            post(move |body: String| {
                let n = f.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    assert!(body.contains("grant_type=client_credentials"), "{body}");
                    Json(json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600}))
                }
            }),
        )
        .route(
            "/bookings",
            post(move |headers: axum::http::HeaderMap| {
                let refuse = r.swap(false, Ordering::SeqCst);
                async move {
                    let auth = headers["authorization"].to_str().unwrap_or_default().to_owned();
                    if refuse {
                        (axum::http::StatusCode::UNAUTHORIZED, Json(json!({"error": "expired"})))
                    } else {
                        // Which token was used, without echoing the token itself.
                        let id = auth.strip_prefix("Bearer tok-").map(|n| format!("booking-{n}"));
                        (axum::http::StatusCode::OK, Json(json!({"id": id})))
                    }
                }
            }),
        );
    let client = ServiceClient::new(app);
    let action = ApiAction::from_yaml_str(
        r#"
name: book
connection:
  base_url: http://crm.test
  auth:
    type: oauth2_client_credentials
    token_url: http://crm.test/token
    client_id: agent
    client_secret: { secret: crm_secret }
url: /bookings
method: POST
output_variables: [{ name: booking.id, path: "$.id" }]
"#,
    )
    .expect("valid action");
    let prepared = PreparedAction::new(&action).unwrap();
    let secrets = InMemorySecretStore::new().with_shared("crm_secret", "s3cret-value");
    let tokens = OAuth2Tokens::new();
    let source = tokens.source(&client);
    let mut conversation = Conversation::new(Environment::Live, &secrets);
    for _ in 0..5 {
        let outcome = conversation
            .run(&prepared, json!({}), &client, Some(&source))
            .await
            .expect("booked");
        assert_eq!(
            outcome.variable("booking.id").cloned(),
            Some(json!("booking-1"))
        );
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "one token for five runs");

    refuse_next.store(true, Ordering::SeqCst);
    let outcome = conversation
        .run(&prepared, json!({}), &client, Some(&source))
        .await
        .expect("booked after one refresh");
    assert_eq!(outcome.status(), 200);
    assert_eq!(
        outcome.variable("booking.id").cloned(),
        Some(json!("booking-2"))
    );
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "exactly one refetch after the 401"
    );
    let printed = format!("{outcome:?} {conversation:?} {source:?}");
    assert!(
        !printed.contains("tok-") && !printed.contains("s3cret"),
        "{printed}"
    );
}
