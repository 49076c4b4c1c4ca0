//! `conv.api` with OAuth 2.0 client credentials, on 127.0.0.1 (a token server and a service,
//! each its own axum listener, reached through `ReqwestClient`) and in-process (one axum
//! `Router` through `ServiceClient`): one token for many calls and for 64 concurrent ones, the
//! connector's header name and prefix, exactly one refetch and one resend after a 401,
//! `invalid_client` and an unreachable endpoint as typed errors, test doubles with no token
//! request, and neither the token nor the client secret in any printed form.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient, ServiceClient};
use polyai_actions::conv_api::{ApiResponse, ConvApi, ConvApiError};
use polyai_actions::doubles::{Doubles, MockResponse, ResponseRule};
use polyai_actions::oauth::{OAuth2Tokens, OAuthErrorCode, TokenError};
use polyai_actions::{
    ApiIntegrations, AuthConnector, CredentialsIn, Environment, InMemorySecretStore,
    RequestOptions, ResendAfter401, SecretRef,
};
use serde_json::json;

const CLIENT_SECRET: &str = "cs-sandbox-9f3a7c";
const LIVE_SECRET: &str = "cs-live-1b2c3d";
/// Every token the server issues starts with this, so printed forms can be searched for it.
const TOKEN_PREFIX: &str = "at-7d1e-";

/// The token server and the service, sharing what they saw.
#[derive(Clone, Default)]
struct World {
    /// Token requests answered.
    fetches: Arc<AtomicUsize>,
    /// Requests the service received.
    calls: Arc<AtomicUsize>,
    /// The `Authorization`-like header value of each service request.
    auth_seen: Arc<Mutex<Vec<String>>>,
    /// Tokens (by number) the service refuses with a 401.
    refused: Arc<Mutex<BTreeSet<usize>>>,
    /// Refuse every token (a service that never accepts).
    refuse_all: Arc<std::sync::atomic::AtomicBool>,
    /// Answer `invalid_client` instead of a token.
    reject_client: Arc<std::sync::atomic::AtomicBool>,
    /// Delay before each token answer, so concurrent calls overlap.
    token_delay: Duration,
}

async fn token(State(world): State<World>, headers: HeaderMap, body: String) -> Response {
    tokio::time::sleep(world.token_delay).await;
    let n = world.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    assert!(body.starts_with("grant_type=client_credentials"), "{body}");
    assert!(headers.contains_key("authorization"), "Basic credentials");
    if world.reject_client.load(Ordering::SeqCst) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client", "error_description": "unknown client"})),
        )
            .into_response();
    }
    axum::Json(json!({
        "access_token": format!("{TOKEN_PREFIX}{n}"),
        "token_type": "bearer",
        "expires_in": "3600",
    }))
    .into_response()
}

async fn service(State(world): State<World>, headers: HeaderMap) -> Response {
    world.calls.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("x-access-token")
        .or_else(|| headers.get("authorization"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    world.auth_seen.lock().unwrap().push(auth.clone());
    let number: usize = auth
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if number == 0
        || world.refuse_all.load(Ordering::SeqCst)
        || world.refused.lock().unwrap().contains(&number)
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "token rejected"})),
        )
            .into_response();
    }
    // Which token was used, by number, never the token itself.
    axum::Json(json!({"booked_with_token": number})).into_response()
}

fn token_router(world: &World) -> Router {
    Router::new()
        .route("/oauth/token", post(token))
        .with_state(world.clone())
}

fn service_router(world: &World) -> Router {
    Router::new()
        .route("/api/shops/{shop}/bookings", post(service))
        .route("/api/ping", get(service))
        .with_state(world.clone())
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn integrations(service_base: &str) -> ApiIntegrations {
    ApiIntegrations::from_yaml_str(&format!(
        r#"
api_integrations:
  - name: sweet_booking_api
    environments:
      sandbox: {{ base_url: "{service_base}/api", auth_type: oauth2_client_credentials }}
      live: {{ base_url: "{service_base}/api", auth_type: oauth2_client_credentials }}
    operations:
      - {{ name: create_booking, method: POST, resource: "/shops/{{shop_id}}/bookings" }}
      - {{ name: ping, method: GET, resource: "/ping" }}
"#
    ))
    .unwrap()
}

fn connector(token_base: &str) -> AuthConnector {
    AuthConnector::OAuth2ClientCredentials {
        token_url: format!("{token_base}/oauth/token"),
        client_id: "agent-sandbox".into(),
        client_secret: SecretRef::new("booking_client_secret"),
        scope: Some("bookings".into()),
        credentials_in: CredentialsIn::Header,
        auth_header_name: None,
        token_prefix: None,
    }
}

fn secrets() -> Arc<InMemorySecretStore> {
    Arc::new(
        InMemorySecretStore::new()
            .with(Environment::Sandbox, "booking_client_secret", CLIENT_SECRET)
            .with(Environment::Live, "booking_client_secret", LIVE_SECRET),
    )
}

/// A token server and a service on their own loopback ports, and a `ConvApi` reaching both
/// through one `ReqwestClient`.
async fn loopback(world: &World) -> (ConvApi, OAuth2Tokens, String) {
    let token_base = serve(token_router(world)).await;
    let service_base = serve(service_router(world)).await;
    let client: Arc<dyn HttpClient> = Arc::new(
        ReqwestClient::new(ClientOptions::new().with_timeout(Duration::from_secs(10))).unwrap(),
    );
    let tokens = OAuth2Tokens::new();
    let conv = ConvApi::new(integrations(&service_base), Environment::Sandbox)
        .with_secrets(secrets())
        .with_auth("sweet_booking_api", connector(&token_base))
        .with_client(client.clone())
        .with_oauth(tokens.clone(), client);
    (conv, tokens, token_base)
}

fn assert_nothing_secret(printed: &str) {
    assert!(
        !printed.contains(TOKEN_PREFIX),
        "a token was printed: {printed}"
    );
    assert!(
        !printed.contains(CLIENT_SECRET),
        "the secret was printed: {printed}"
    );
    assert!(
        !printed.contains(LIVE_SECRET),
        "the secret was printed: {printed}"
    );
}

/// The integration's GET, through `conv`.
async fn ping(conv: &ConvApi) -> Result<ApiResponse, ConvApiError> {
    conv.api("sweet_booking_api").op("ping").send().await
}

/// Books `guests` at `site` through `conv`: the integration's POST.
async fn book(conv: &ConvApi, site: &str, guests: usize) -> Result<ApiResponse, ConvApiError> {
    conv.api("sweet_booking_api")
        .op("create_booking")
        .arg(site)
        .json(json!({ "guests": guests }))
        .send()
        .await
}

#[tokio::test]
async fn one_token_for_many_calls_over_loopback() {
    let world = World::default();
    let (conv, tokens, _) = loopback(&world).await;
    for i in 0..20 {
        let response = book(&conv, &format!("s{i}"), 2).await.unwrap();
        assert_eq!(response.status_code(), 200);
        assert_eq!(response.json().unwrap(), json!({"booked_with_token": 1}));
        assert_nothing_secret(&format!("{response:?}"));
    }
    assert_eq!(tokens.fetches(), 1);
    assert_eq!(world.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(world.calls.load(Ordering::SeqCst), 20);
    let seen = world.auth_seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|a| a == &format!("Bearer {TOKEN_PREFIX}1")),
        "{seen:?}"
    );
    assert_nothing_secret(&format!("{conv:?} {tokens:?}"));

    // Another environment has its own token (and its own secret).
    let live = conv.clone().with_environment(Environment::Live);
    live.api("sweet_booking_api")
        .op("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.fetches(), 2);
    conv.api("sweet_booking_api")
        .op("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.fetches(), 2);
}

#[tokio::test]
async fn one_token_request_under_64_concurrent_calls() {
    let world = World {
        token_delay: Duration::from_millis(100),
        ..World::default()
    };
    let (conv, tokens, _) = loopback(&world).await;
    let calls = (0..64).map(|i| {
        let conv = conv.clone();
        async move { book(&conv, &format!("s{i}"), i).await }
    });
    let responses = futures::future::join_all(calls).await;
    for response in responses {
        assert_eq!(response.unwrap().status_code(), 200);
    }
    assert_eq!(world.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.fetches(), 1);
    assert_eq!(world.calls.load(Ordering::SeqCst), 64);
}

#[tokio::test]
async fn a_401_refetches_once_and_resends_once() {
    let world = World::default();
    let (conv, tokens, _) = loopback(&world).await;
    let call = || book(&conv, "s1", 2);
    assert_eq!(call().await.unwrap().status_code(), 200);
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (1, 1)
    );

    // The service stops accepting token 1: one refetch, one resend, then token 2 is used.
    world.refused.lock().unwrap().insert(1);
    let response = call().await.unwrap();
    assert_eq!(response.status_code(), 200);
    assert_eq!(response.json().unwrap(), json!({"booked_with_token": 2}));
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (2, 3)
    );
    assert_eq!(call().await.unwrap().status_code(), 200);
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (2, 4)
    );

    // A service that refuses every token: the second 401 is the response, nothing more.
    world.refuse_all.store(true, Ordering::SeqCst);
    let response = call().await.unwrap();
    assert_eq!(response.status_code(), 401);
    assert!(response.raise_for_status().is_err());
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (3, 6)
    );
    let seen = world.auth_seen.lock().unwrap().clone();
    assert_eq!(
        seen[4..],
        [
            format!("Bearer {TOKEN_PREFIX}2"),
            format!("Bearer {TOKEN_PREFIX}3")
        ]
    );
}

#[tokio::test]
async fn invalid_client_is_a_typed_error_and_nothing_reaches_the_service() {
    let world = World::default();
    world.reject_client.store(true, Ordering::SeqCst);
    let (conv, tokens, token_base) = loopback(&world).await;
    let err = conv
        .api("sweet_booking_api")
        .op("create_booking")
        .arg("s1")
        .json(json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, ConvApiError::Token { .. }), "{err:?}");
    match err.token_error() {
        Some(TokenError::Rejected {
            error,
            description,
            status,
            ..
        }) => {
            assert_eq!(*error, OAuthErrorCode::InvalidClient);
            assert_eq!(description.as_deref(), Some("unknown client"));
            assert_eq!(*status, 401);
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "`sweet_booking_api.create_booking`: no OAuth 2.0 access token: the token endpoint \
             {token_base}/oauth/token refused the client credentials (HTTP 401): invalid_client \
             (unknown client); check the client id"
        )),
        "{text}"
    );
    assert_nothing_secret(&format!("{err} {err:?}"));
    assert_eq!(tokens.fetches(), 1);
    assert_eq!(world.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_a_typed_error() {
    let world = World::default();
    let service_base = serve(service_router(&world)).await;
    // A port that was just free: nothing listens there any more.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let client: Arc<dyn HttpClient> = Arc::new(ReqwestClient::new(ClientOptions::new()).unwrap());
    let conv = ConvApi::new(integrations(&service_base), Environment::Sandbox)
        .with_secrets(secrets())
        .with_auth("sweet_booking_api", connector(&dead))
        .with_client(client.clone())
        .with_oauth(OAuth2Tokens::new(), client);
    let err = ping(&conv).await.unwrap_err();
    assert!(
        matches!(err.token_error(), Some(TokenError::Unreachable { .. })),
        "{err:?}"
    );
    assert_nothing_secret(&format!("{err} {err:?}"));
    assert_eq!(world.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn in_process_router_with_the_connectors_header_name_and_prefix() {
    let world = World::default();
    let app = token_router(&world).merge(service_router(&world));
    let client: Arc<dyn HttpClient> = Arc::new(ServiceClient::new(app));
    let connector = AuthConnector::OAuth2ClientCredentials {
        token_url: "http://auth.test/oauth/token".into(),
        client_id: "agent-sandbox".into(),
        client_secret: SecretRef::new("booking_client_secret"),
        scope: None,
        credentials_in: CredentialsIn::Header,
        auth_header_name: Some("X-Access-Token".into()),
        token_prefix: Some("Token".into()),
    };
    let tokens = OAuth2Tokens::new();
    let conv = ConvApi::new(integrations("http://bookings.test"), Environment::Sandbox)
        .with_secrets(secrets())
        .with_auth("sweet_booking_api", connector)
        .with_client(client.clone())
        .with_oauth(tokens.clone(), client);
    for _ in 0..3 {
        let response = ping(&conv).await.unwrap();
        assert_eq!(response.json().unwrap(), json!({"booked_with_token": 1}));
    }
    world.refused.lock().unwrap().insert(1);
    let response = ping(&conv).await.unwrap();
    assert_eq!(response.json().unwrap(), json!({"booked_with_token": 2}));
    assert_eq!(tokens.fetches(), 2);
    assert_eq!(world.calls.load(Ordering::SeqCst), 5);
    let seen = world.auth_seen.lock().unwrap().clone();
    assert_eq!(seen[0], format!("Token {TOKEN_PREFIX}1"));
    assert_eq!(seen[4], format!("Token {TOKEN_PREFIX}2"));
}

#[test]
fn doubles_fetch_no_token_and_record_a_marked_placeholder() {
    let doubles = Arc::new(
        Doubles::new()
            .with(
                "sweet_booking_api",
                "ping",
                vec![ResponseRule::once(MockResponse::new(200))],
            )
            .unwrap(),
    );
    let conv = ConvApi::new(integrations("http://bookings.test"), Environment::Sandbox)
        .with_secrets(secrets())
        .with_auth("sweet_booking_api", connector("http://auth.test"))
        .with_doubles(doubles.clone());
    let response =
        futures::executor::block_on(conv.api("sweet_booking_api").op("ping").send()).unwrap();
    assert_eq!(response.status_code(), 200);
    let sent = &doubles.requests()[0];
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer <oauth2 token from http://auth.test/oauth/token>")
    );
}

#[tokio::test]
async fn resend_after_401_idempotent_only_answers_a_post_with_the_first_401() {
    let world = World::default();
    let (conv, tokens, _) = loopback(&world).await;
    let conv = conv
        .with_options(RequestOptions::new().with_resend_after_401(ResendAfter401::IdempotentOnly));
    let post = || book(&conv, "s1", 2);
    assert_eq!(post().await.unwrap().status_code(), 200);

    // Token 1 refused: the POST is not sent again; its 401 is the response.
    world.refused.lock().unwrap().insert(1);
    let response = post().await.unwrap();
    assert_eq!(response.status_code(), 401);
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (1, 2)
    );
    // The refused token was still dropped: the next call fetches token 2 and succeeds.
    let response = post().await.unwrap();
    assert_eq!(response.json().unwrap(), json!({"booked_with_token": 2}));
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (2, 3)
    );

    // A GET is idempotent: refused token 2 is answered by one refetch and one resend.
    world.refused.lock().unwrap().insert(2);
    let response = ping(&conv).await.unwrap();
    assert_eq!(response.json().unwrap(), json!({"booked_with_token": 3}));
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (3, 5)
    );
}

#[tokio::test]
async fn resend_after_401_never_answers_every_method_with_the_first_401() {
    let world = World::default();
    let (conv, tokens, _) = loopback(&world).await;
    let conv =
        conv.with_options(RequestOptions::new().with_resend_after_401(ResendAfter401::Never));
    assert_eq!(
        conv.api("sweet_booking_api")
            .op("ping")
            .send()
            .await
            .unwrap()
            .status_code(),
        200
    );
    world.refused.lock().unwrap().insert(1);
    let response = ping(&conv).await.unwrap();
    assert_eq!(response.status_code(), 401);
    assert_eq!(
        (tokens.fetches(), world.calls.load(Ordering::SeqCst)),
        (1, 2)
    );
}
