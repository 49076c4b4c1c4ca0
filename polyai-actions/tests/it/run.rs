//! The runner: OAuth token applied and refreshed once on a 401, no other retry, transport
//! failures as typed errors with agent text. The sender is an in-process function (the
//! network senders come with the shared `client` module).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use polyai_actions::chain::{Conversation, RunError};
use polyai_actions::outcome::Outcome;
use polyai_actions::run::{AccessTokens, BoxError, BoxFuture, block_on};
use polyai_actions::secrets::{InMemorySecretStore, SecretStore, SecretValue};
use polyai_actions::{
    ApiAction, AuthConnector, Environment, Header, PreparedAction, RenderError, RequestOptions,
    ResendAfter401,
};
use serde_json::json;

/// Hands out `tok-1`, `tok-2`, ...: a new one after each invalidation.
#[derive(Default)]
struct CountingTokens {
    fetches: AtomicUsize,
    current: Mutex<Option<String>>,
    invalidated: Mutex<Vec<String>>,
}

impl AccessTokens for CountingTokens {
    fn token<'a>(
        &'a self,
        connector: &'a AuthConnector,
        environment: Environment,
        secrets: &'a dyn SecretStore,
    ) -> BoxFuture<'a, Result<SecretValue, BoxError>> {
        Box::pin(async move {
            let AuthConnector::OAuth2ClientCredentials { client_secret, .. } = connector else {
                return Err("not an OAuth connector".into());
            };
            if secrets.get(environment, client_secret.name()).is_none() {
                return Err("no client secret".into());
            }
            let mut current = self.current.lock().unwrap();
            if current.is_none() {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                *current = Some(format!("tok-{n}"));
            }
            Ok(SecretValue::new("oauth2_token", current.clone().unwrap()))
        })
    }

    fn invalidate(&self, _: &AuthConnector, _: Environment, token: &SecretValue) {
        self.invalidated
            .lock()
            .unwrap()
            .push(token.expose().to_owned());
        *self.current.lock().unwrap() = None;
    }
}

fn oauth_action(method: &str) -> ApiAction {
    ApiAction::from_yaml_str(&format!(
        r#"
name: book
connection:
  base_url: http://127.0.0.1:9/api
  auth:
    type: oauth2_client_credentials
    token_url: http://127.0.0.1:9/token
    client_id: agent
    client_secret: {{ secret: crm_secret }}
    token_prefix: Token
url: /bookings
method: {method}
output_variables: [{{ name: booking.id, path: "$.id" }}]
"#
    ))
    .expect("valid action")
}

fn secrets() -> InMemorySecretStore {
    InMemorySecretStore::new().with(Environment::Live, "crm_secret", "client-SECRET")
}

fn reply(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

/// A service that refuses token 1 (a 401) and books with any other, recording the
/// Authorization header of each request in `seen`.
fn refusing_token_1(
    seen: &Mutex<Vec<String>>,
) -> impl Fn(http::Request<Bytes>) -> std::future::Ready<Result<http::Response<Bytes>, std::io::Error>>
+ '_ {
    move |request| {
        let auth = request.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        seen.lock().unwrap().push(auth.clone());
        let response = if auth == "Token tok-1" {
            reply(401, r#"{"error": "expired"}"#)
        } else {
            reply(201, r#"{"id": "B-9"}"#)
        };
        std::future::ready(Ok(response))
    }
}

#[test]
fn a_401_refreshes_the_token_once_and_resends() {
    let action = oauth_action("POST");
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let tokens = CountingTokens::default();
    let seen = Mutex::new(Vec::new());
    let send = refusing_token_1(&seen);
    let mut conversation = Conversation::new(Environment::Live, &store);
    let outcome =
        block_on(conversation.run_with(&prepared, json!({}), Some(&tokens), send)).expect("runs");
    assert_eq!(outcome.status(), 201);
    assert_eq!(*seen.lock().unwrap(), ["Token tok-1", "Token tok-2"]);
    assert_eq!(tokens.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(*tokens.invalidated.lock().unwrap(), ["tok-1"]);
    assert_eq!(conversation.variables()["booking"]["id"], json!("B-9"));
    // The token is never printed.
    assert!(!format!("{outcome:?} {conversation:?}").contains("tok-"));
}

/// Runs `method` (with an OAuth 2.0 token) against a service that always answers `status`
/// and `body`; gives the outcome, how many requests the service got, and whether the
/// conversation has any variable afterwards.
fn run_always_answered(method: &str, status: u16, body: &str) -> (Outcome, usize, bool) {
    let action = oauth_action(method);
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let tokens = CountingTokens::default();
    let calls = AtomicUsize::new(0);
    let send = |_request: http::Request<Bytes>| {
        calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<_, std::io::Error>(reply(status, body)))
    };
    let mut conversation = Conversation::new(Environment::Live, &store);
    let outcome = block_on(conversation.run_with(&prepared, json!({}), Some(&tokens), send))
        .expect("an answer is an outcome");
    let has_variables = !conversation.variables().is_empty();
    (outcome, calls.load(Ordering::SeqCst), has_variables)
}

#[test]
fn a_second_401_is_the_outcome() {
    let (outcome, calls, _) = run_always_answered("GET", 401, "");
    assert_eq!(outcome.status(), 401);
    assert_eq!(calls, 2);
    assert_eq!(
        outcome.agent_error().unwrap().agent_message(),
        "The request failed with HTTP status 401 and an empty response."
    );
}

#[test]
fn a_5xx_is_sent_once_and_is_an_outcome() {
    let (outcome, calls, has_variables) = run_always_answered("POST", 503, "busy");
    assert_eq!(calls, 1);
    assert_eq!(outcome.status(), 503);
    assert!(!has_variables);
}

#[test]
fn oauth_without_a_token_source_is_refused_before_sending() {
    let action = oauth_action("GET");
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let mut conversation = Conversation::new(Environment::Live, &store);
    let send = |_request: http::Request<Bytes>| -> std::future::Ready<Result<_, std::io::Error>> {
        panic!("nothing may be sent")
    };
    let err = block_on(conversation.run_with(&prepared, json!({}), None, send)).unwrap_err();
    assert!(matches!(
        err,
        RunError::Render(RenderError::NeedsNetwork { .. })
    ));
}

#[test]
fn transport_failures_are_typed_with_agent_text() {
    let action =
        ApiAction::from_yaml_str("name: ping\nurl: http://127.0.0.1:9/ping\nmethod: POST\n")
            .unwrap();
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let mut conversation = Conversation::new(Environment::Live, &store);
    for (kind, text) in [
        (
            std::io::ErrorKind::TimedOut,
            "The service did not answer in time; the request may or may not have been processed.",
        ),
        (
            std::io::ErrorKind::ConnectionRefused,
            "The service could not be reached.",
        ),
    ] {
        let calls = AtomicUsize::new(0);
        let send = |_request: http::Request<Bytes>| {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err::<http::Response<Bytes>, _>(std::io::Error::from(kind)))
        };
        let err = block_on(conversation.run_with(&prepared, json!({}), None, send)).unwrap_err();
        assert!(matches!(err, RunError::Send(_)), "{err:?}");
        assert_eq!(err.agent_message(), text);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "never retried");
    }
}

#[test]
fn a_missing_client_secret_is_refused_before_sending() {
    let action = oauth_action("GET");
    let prepared = PreparedAction::new(&action).unwrap();
    let empty = InMemorySecretStore::new();
    let tokens = CountingTokens::default();
    let mut conversation = Conversation::new(Environment::Live, &empty);
    let send = |_request: http::Request<Bytes>| -> std::future::Ready<Result<_, std::io::Error>> {
        panic!("nothing may be sent")
    };
    // Rendering needs the client secret in the store; without it nothing is sent either.
    let err =
        block_on(conversation.run_with(&prepared, json!({}), Some(&tokens), send)).unwrap_err();
    assert!(
        matches!(err, RunError::Render(RenderError::MissingSecret { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.agent_message(),
        "The action could not be called because of a configuration problem."
    );
}

/// A token endpoint that answers `invalid_client`.
struct FailingTokens;

impl AccessTokens for FailingTokens {
    fn token<'a>(
        &'a self,
        _: &'a AuthConnector,
        _: Environment,
        _: &'a dyn SecretStore,
    ) -> BoxFuture<'a, Result<SecretValue, BoxError>> {
        Box::pin(async { Err("the token endpoint answered invalid_client".into()) })
    }

    fn invalidate(&self, _: &AuthConnector, _: Environment, _: &SecretValue) {}
}

#[test]
fn token_source_failure_is_a_token_error() {
    let action = oauth_action("GET");
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let mut conversation = Conversation::new(Environment::Live, &store);
    let send = |_request: http::Request<Bytes>| -> std::future::Ready<Result<_, std::io::Error>> {
        panic!("nothing may be sent")
    };
    let err = block_on(conversation.run_with(&prepared, json!({}), Some(&FailingTokens), send))
        .unwrap_err();
    assert!(matches!(err, RunError::Token(_)), "{err:?}");
    assert!(err.to_string().contains("invalid_client"));
    assert_eq!(
        err.agent_message(),
        "The action could not be called: the service's sign-in failed."
    );
}

/// Runs `method` once against a service that refuses token 1, with `policy`; gives the
/// outcome's status and the Authorization headers the service saw.
fn run_refusing_token_1(method: &str, policy: ResendAfter401) -> (u16, Vec<String>) {
    let action = oauth_action(method);
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let tokens = CountingTokens::default();
    let seen = Mutex::new(Vec::new());
    let send = refusing_token_1(&seen);
    let mut conversation = Conversation::new(Environment::Live, &store)
        .options(RequestOptions::new().with_resend_after_401(policy));
    let outcome =
        block_on(conversation.run_with(&prepared, json!({}), Some(&tokens), send)).expect("runs");
    // The refused token is dropped whatever the policy.
    assert_eq!(*tokens.invalidated.lock().unwrap(), ["tok-1"]);
    (outcome.status(), seen.into_inner().unwrap())
}

#[test]
fn resend_after_401_every_method_resends_a_post() {
    assert_eq!(
        run_refusing_token_1("POST", ResendAfter401::EveryMethod),
        (
            201,
            vec!["Token tok-1".to_owned(), "Token tok-2".to_owned()]
        )
    );
}

#[test]
fn resend_after_401_idempotent_only_resends_a_put_but_not_a_post_or_patch() {
    assert_eq!(
        run_refusing_token_1("PUT", ResendAfter401::IdempotentOnly),
        (
            201,
            vec!["Token tok-1".to_owned(), "Token tok-2".to_owned()]
        )
    );
    for method in ["POST", "PATCH"] {
        assert_eq!(
            run_refusing_token_1(method, ResendAfter401::IdempotentOnly),
            (401, vec!["Token tok-1".to_owned()]),
            "{method}"
        );
    }
}

#[test]
fn resend_after_401_never_sends_once() {
    assert_eq!(
        run_refusing_token_1("GET", ResendAfter401::Never),
        (401, vec!["Token tok-1".to_owned()])
    );
}

#[test]
fn the_outcome_carries_the_request_as_sent_with_secrets_masked() {
    let mut action = oauth_action("POST");
    action
        .headers
        .push(Header::new_secret("X-Api-Key", "crm_secret"));
    action.body_template = Some(r#"{"guests": {{.parameters.guests}}}"#.to_owned());
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let tokens = CountingTokens::default();
    let send = |request: http::Request<Bytes>| {
        let refused = request.headers()["authorization"] == "Token tok-1";
        std::future::ready(Ok::<_, std::io::Error>(if refused {
            reply(401, "")
        } else {
            reply(201, "{}")
        }))
    };
    let mut conversation = Conversation::new(Environment::Live, &store);
    let outcome =
        block_on(conversation.run_with(&prepared, json!({"guests": 2}), Some(&tokens), send))
            .expect("runs");
    let sent = outcome.request().expect("the runner records the request");
    assert_eq!(sent.method(), http::Method::POST);
    assert_eq!(sent.url_masked(), "http://127.0.0.1:9/api/bookings");
    assert_eq!(
        sent.header_masked("authorization"),
        Some("Token <oauth2 token>")
    );
    assert_eq!(sent.header_masked("x-api-key"), Some("<secret:crm_secret>"));
    assert_eq!(sent.body_text(), Some(r#"{"guests": 2}"#));
    let printed = format!("{sent}\n{sent:?}\n{outcome:?}");
    assert!(
        printed.contains("POST http://127.0.0.1:9/api/bookings\n"),
        "{printed}"
    );
    for secret in ["tok-", "client-SECRET"] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    // An outcome read from a response alone has no request.
    let alone =
        polyai_actions::outcome::Outcome::from_response(reply(200, "{}"), &[], &Default::default());
    assert!(alone.request().is_none());
}

#[test]
fn a_refused_render_leaves_the_conversation_state_as_it_was() {
    let action = ApiAction::from_yaml_str(
        r#"
name: book
url: http://127.0.0.1:9/bookings
method: POST
body_template: '{"customer": "{{.variables.customer.id}}", "site": "{{.static_variables.site}}", "missing": "{{.variables.nowhere}}"}'
"#,
    )
    .expect("valid action");
    let prepared = PreparedAction::new(&action).unwrap();
    let store = secrets();
    let mut conversation = Conversation::new(Environment::Live, &store)
        .static_variables(Environment::Live, json!({"site": "LDN"}));
    conversation.set_variable("customer.id", json!("C-1"), false);
    let sends = AtomicUsize::new(0);
    let send = |_request: http::Request<Bytes>| {
        sends.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<_, std::io::Error>(reply(201, "{}")))
    };
    let refused = block_on(conversation.run_with(&prepared, json!({}), None, send));
    assert!(matches!(refused, Err(RunError::Render(_))), "{refused:?}");
    assert_eq!(sends.load(Ordering::SeqCst), 0);
    // The variables and static variables the render borrowed are back.
    assert_eq!(conversation.variables()["customer"]["id"], json!("C-1"));
    let rendered = conversation
        .render(
            &PreparedAction::new(
                &ApiAction::from_yaml_str(
                    r#"
name: echo
url: http://127.0.0.1:9/echo
method: POST
body_template: '{"customer": "{{.variables.customer.id}}", "site": "{{.static_variables.site}}"}'
"#,
                )
                .unwrap(),
            )
            .unwrap(),
            json!({}),
        )
        .expect("renders");
    assert_eq!(
        rendered.body_text(),
        Some(r#"{"customer": "C-1", "site": "LDN"}"#)
    );
}
