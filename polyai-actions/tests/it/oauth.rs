//! OAuth 2.0 client credentials against a token endpoint on 127.0.0.1 (and one in-process):
//! the token request, caching, refresh before expiry on a manual clock, single flight,
//! invalidation after a 401, RFC 6749 §5.2 errors, an endpoint that is down, and secrecy.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use polyai_actions::client::{ClientOptions, ReqwestClient, SendError, ServiceClient};
use polyai_actions::oauth::{
    AccessToken, ManualClock, OAuth2Tokens, OAuthErrorCode, TokenError, TokenSettings, apply_token,
};
use polyai_actions::{AuthConnector, CredentialsIn, Environment, InMemorySecretStore, SecretRef};

const SECRET: &str = "sandbox-s3cr3t:/+ x";
const LIVE_SECRET: &str = "live-s3cr3t";

/// One request as the token endpoint saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    content_type: Option<String>,
    accept: Option<String>,
    authorization: Option<String>,
    body: String,
}

/// What the endpoint answers: a status, a content type and a body. `{n}` in the body becomes
/// the request's number (1, 2, ...), so each token is different.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
}

fn json_answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        content_type: "application/json",
        body: body.to_owned(),
    }
}

#[derive(Clone)]
struct Endpoint {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<Answer>>>,
    default: Answer,
    count: Arc<AtomicUsize>,
    delay: Duration,
}

impl Endpoint {
    fn new(default: Answer) -> Self {
        Endpoint {
            seen: Arc::default(),
            answers: Arc::default(),
            default,
            count: Arc::default(),
            delay: Duration::ZERO,
        }
    }

    fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/oauth/token", post(token_handler))
            .with_state(self.clone())
    }

    /// Serves the endpoint on 127.0.0.1; returns its token URL.
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/oauth/token", listener.local_addr().unwrap());
        let app = self.router();
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }
}

async fn token_handler(State(ep): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let n = ep.count.fetch_add(1, Ordering::SeqCst) + 1;
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    ep.seen.lock().unwrap().push(Seen {
        method: "POST".to_owned(),
        content_type: header("content-type"),
        accept: header("accept"),
        authorization: header("authorization"),
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    if !ep.delay.is_zero() {
        tokio::time::sleep(ep.delay).await;
    }
    let answer = ep
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| ep.default.clone());
    (
        StatusCode::from_u16(answer.status).unwrap(),
        [("content-type", answer.content_type)],
        answer.body.replace("{n}", &n.to_string()),
    )
        .into_response()
}

fn connector(token_url: &str, credentials_in: CredentialsIn) -> AuthConnector {
    AuthConnector::OAuth2ClientCredentials {
        token_url: token_url.to_owned(),
        client_id: "agent id".to_owned(),
        client_secret: SecretRef::new("booking_client_secret"),
        scope: Some("bookings:read bookings:write".to_owned()),
        credentials_in,
        auth_header_name: None,
        token_prefix: None,
    }
}

fn secrets() -> InMemorySecretStore {
    InMemorySecretStore::new()
        .with(Environment::Sandbox, "booking_client_secret", SECRET)
        .with(Environment::Live, "booking_client_secret", LIVE_SECRET)
}

fn client() -> ReqwestClient {
    ReqwestClient::new(ClientOptions::default()).unwrap()
}

const GOOD: &str = r#"{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}"#;

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// Neither the client secret nor any token the endpoint issued appears in `text`.
fn assert_no_secret(text: &str) {
    for secret in [SECRET, LIVE_SECRET, "s3cr3t", "tok-"] {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
}

#[tokio::test]
async fn header_credentials_follow_rfc_6749_4_4() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let url = ep.serve().await;
    let tokens = OAuth2Tokens::new();
    let c = connector(&url, CredentialsIn::Header);
    let token = tokens
        .token(Environment::Sandbox, &c, &secrets(), &client())
        .await
        .unwrap();
    assert_eq!(token.expose(), "tok-1");
    assert_eq!(token.token_type(), Some("Bearer"));
    assert_eq!(token.expires_in(), Some(Duration::from_secs(3600)));

    let seen = ep.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.method, "POST");
    assert_eq!(
        s.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(s.accept.as_deref(), Some("application/json"));
    assert_eq!(
        s.body,
        "grant_type=client_credentials&scope=bookings%3Aread+bookings%3Awrite"
    );
    // RFC 6749 §2.3.1: id and secret form-encoded, then joined by `:`, then base64.
    let basic = s
        .authorization
        .as_deref()
        .unwrap()
        .strip_prefix("Basic ")
        .unwrap();
    assert_eq!(
        String::from_utf8(base64_decode(basic)).unwrap(),
        "agent+id:sandbox-s3cr3t%3A%2F%2B+x"
    );
}

#[tokio::test]
async fn body_credentials_go_in_the_form_and_no_authorization_is_sent() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let url = ep.serve().await;
    let mut c = connector(&url, CredentialsIn::Body);
    if let AuthConnector::OAuth2ClientCredentials { scope, .. } = &mut c {
        *scope = None;
    }
    OAuth2Tokens::new()
        .token(Environment::Sandbox, &c, &secrets(), &client())
        .await
        .unwrap();
    let s = &ep.seen()[0];
    assert_eq!(s.authorization, None);
    assert_eq!(
        s.body,
        "grant_type=client_credentials&client_id=agent+id&client_secret=sandbox-s3cr3t%3A%2F%2B+x"
    );
}

#[tokio::test]
async fn tokens_are_cached_per_environment() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let url = ep.serve().await;
    let tokens = OAuth2Tokens::new();
    let c = connector(&url, CredentialsIn::Body);
    let (s, client) = (secrets(), client());
    let sandbox = tokens
        .token(Environment::Sandbox, &c, &s, &client)
        .await
        .unwrap();
    let again = tokens
        .token(Environment::Sandbox, &c, &s, &client)
        .await
        .unwrap();
    let live = tokens
        .token(Environment::Live, &c, &s, &client)
        .await
        .unwrap();
    assert_eq!(sandbox, again);
    assert_eq!(sandbox.expose(), "tok-1");
    assert_eq!(live.expose(), "tok-2");
    assert_eq!(ep.requests(), 2);
    assert_eq!(tokens.fetches(), 2);
    assert!(ep.seen()[1].body.ends_with("client_secret=live-s3cr3t"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_calls_send_one_token_request() {
    // The endpoint is slow, so every call asks while the first request is under way.
    let (ep, shared) = slow_endpoint(json_answer(200, GOOD), Duration::from_millis(100)).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { shared.token().await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    assert_eq!(ep.requests(), 1);
    assert_eq!(shared.tokens.fetches(), 1);
    assert_eq!(got.len(), 64);
    assert!(got.iter().all(|t| t.expose() == "tok-1" && *t == got[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_failure() {
    let refusal = json_answer(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
    );
    let (ep, shared) = slow_endpoint(refusal, Duration::from_millis(100)).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { shared.token().await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(
            err,
            TokenError::Rejected {
                error: OAuthErrorCode::InvalidClient,
                ..
            }
        ));
    }
    assert_eq!(ep.requests(), 1);
    // The failure is not cached: the next call asks again (no automatic retry, no stuck error).
    let _ = shared.token().await;
    assert_eq!(ep.requests(), 2);
}

/// One cache, connector, store and client, shared by concurrent tasks.
#[derive(Clone)]
struct Shared {
    tokens: OAuth2Tokens,
    c: Arc<AuthConnector>,
    secrets: Arc<InMemorySecretStore>,
    client: Arc<ReqwestClient>,
}

impl Shared {
    /// A Sandbox token.
    async fn token(&self) -> Result<AccessToken, TokenError> {
        self.tokens
            .token(Environment::Sandbox, &self.c, &*self.secrets, &*self.client)
            .await
    }
}

/// An endpoint answering `answer` after `delay` (so concurrent calls overlap), and a new
/// shared cache in front of it.
async fn slow_endpoint(answer: Answer, delay: Duration) -> (Endpoint, Shared) {
    let mut ep = Endpoint::new(answer);
    ep.delay = delay;
    let url = ep.serve().await;
    let shared = Shared {
        tokens: OAuth2Tokens::new(),
        c: Arc::new(connector(&url, CredentialsIn::Header)),
        secrets: Arc::new(secrets()),
        client: Arc::new(client()),
    };
    (ep, shared)
}

/// A Sandbox token from the endpoint at `url`, asked for by a new cache.
async fn fresh_token(url: &str, credentials_in: CredentialsIn) -> Result<AccessToken, TokenError> {
    OAuth2Tokens::new()
        .token(
            Environment::Sandbox,
            &connector(url, credentials_in),
            &secrets(),
            &client(),
        )
        .await
}

/// A cache on a manual clock, with an endpoint answering `body`.
struct OnClock {
    ep: Endpoint,
    tokens: OAuth2Tokens,
    clock: Arc<ManualClock>,
    c: AuthConnector,
    secrets: InMemorySecretStore,
    client: ReqwestClient,
}

impl OnClock {
    async fn new(body: &str) -> OnClock {
        let ep = Endpoint::new(json_answer(200, body));
        let url = ep.serve().await;
        let clock = Arc::new(ManualClock::new());
        OnClock {
            tokens: OAuth2Tokens::with_clock(TokenSettings::default(), clock.clone()),
            clock,
            c: connector(&url, CredentialsIn::Header),
            ep,
            secrets: secrets(),
            client: client(),
        }
    }

    /// A Sandbox token, which the endpoint must grant.
    async fn token(&self) -> AccessToken {
        self.tokens
            .token(Environment::Sandbox, &self.c, &self.secrets, &self.client)
            .await
            .unwrap()
    }

    /// Moves the clock on by `seconds`.
    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }
}

/// The token fetched at 0 is reused until `seconds` have passed, and refreshed then.
async fn reused_then_refreshed_after(cache: &OnClock, seconds: u64) {
    cache.advance(seconds - 1);
    cache.token().await;
    assert_eq!(cache.ep.requests(), 1);
    cache.advance(1);
    cache.token().await;
    assert_eq!(cache.ep.requests(), 2);
}

#[tokio::test]
async fn refreshed_shortly_before_expires_in() {
    let cache = OnClock::new(GOOD).await;
    let first = cache.token().await;
    assert_eq!(
        first.refresh_at() - first.fetched_at(),
        Duration::from_secs(3540)
    );
    cache.advance(3539);
    let same = cache.token().await;
    assert_eq!(same, first);
    assert_eq!(cache.ep.requests(), 1);
    // 60 s before expiry (the default margin): a new token.
    cache.advance(1);
    let next = cache.token().await;
    assert_eq!(next.expose(), "tok-2");
    assert_eq!(cache.ep.requests(), 2);
}

#[tokio::test]
async fn expires_in_as_a_numeric_string_and_a_short_lifetime() {
    // 40 s: the margin is capped at half the lifetime, so refresh after 20 s.
    let cache =
        OnClock::new(r#"{"access_token":"tok-{n}","token_type":"bearer","expires_in":"40"}"#).await;
    let first = cache.token().await;
    assert_eq!(first.expires_in(), Some(Duration::from_secs(40)));
    reused_then_refreshed_after(&cache, 20).await;
}

#[tokio::test]
async fn a_missing_expires_in_keeps_the_token_for_the_configured_lifetime() {
    let cache = OnClock::new(r#"{"access_token":"tok-{n}"}"#).await;
    let first = cache.token().await;
    assert_eq!(first.expires_in(), None);
    assert_eq!(first.token_type(), None);
    // Default: 5 minutes, refreshed 60 s early.
    reused_then_refreshed_after(&cache, 240).await;
}

#[tokio::test]
async fn expires_in_zero_is_not_cached() {
    let cache = OnClock::new(r#"{"access_token":"tok-{n}","expires_in":0}"#).await;
    let a = cache.token().await;
    let b = cache.token().await;
    assert_eq!((a.expose(), b.expose()), ("tok-1", "tok-2"));
    assert_eq!(cache.ep.requests(), 2);
}

#[tokio::test]
async fn invalidate_drops_only_the_refused_token() {
    let cache = OnClock::new(GOOD).await;
    let first = cache.token().await;
    // Two calls were refused with the same token: the first drops it, the second finds the
    // fresh one already there and drops nothing.
    assert!(
        cache
            .tokens
            .invalidate(Environment::Sandbox, &cache.c, &first)
    );
    let second = cache.token().await;
    assert!(
        !cache
            .tokens
            .invalidate(Environment::Sandbox, &cache.c, &first)
    );
    let still = cache.token().await;
    assert_eq!(second.expose(), "tok-2");
    assert_eq!(still, second);
    assert_eq!(cache.ep.requests(), 2);
    // Another environment's entry is untouched by this one's invalidation.
    assert!(
        !cache
            .tokens
            .invalidate(Environment::Live, &cache.c, &second)
    );
}

#[tokio::test]
async fn invalid_client_is_a_typed_rejection() {
    let ep = Endpoint::new(json_answer(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed","error_uri":"https://auth.example/errors/1"}"#,
    ));
    let url = ep.serve().await;
    let err = fresh_token(&url, CredentialsIn::Header).await.unwrap_err();
    match &err {
        TokenError::Rejected {
            status,
            error,
            description,
            uri,
            ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(*error, OAuthErrorCode::InvalidClient);
            assert_eq!(description.as_deref(), Some("Client authentication failed"));
            assert_eq!(uri.as_deref(), Some("https://auth.example/errors/1"));
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("invalid_client (Client authentication failed)"),
        "{text}"
    );
    assert!(
        text.contains("check the client id, the client secret"),
        "{text}"
    );
    assert_no_secret(&text);
    assert_no_secret(&format!("{err:?}"));
}

#[tokio::test]
async fn every_rfc_6749_error_code_is_recognised() {
    for (code, expected) in [
        ("invalid_request", OAuthErrorCode::InvalidRequest),
        ("invalid_grant", OAuthErrorCode::InvalidGrant),
        ("invalid_scope", OAuthErrorCode::InvalidScope),
        ("unauthorized_client", OAuthErrorCode::UnauthorizedClient),
        (
            "unsupported_grant_type",
            OAuthErrorCode::UnsupportedGrantType,
        ),
        (
            "temporarily_unavailable",
            OAuthErrorCode::Other("temporarily_unavailable".into()),
        ),
    ] {
        let ep = Endpoint::new(json_answer(400, &format!(r#"{{"error":"{code}"}}"#)));
        let url = ep.serve().await;
        let err = fresh_token(&url, CredentialsIn::Body).await.unwrap_err();
        let TokenError::Rejected {
            error, description, ..
        } = err
        else {
            panic!("{code}: expected Rejected, got {err:?}");
        };
        assert_eq!(error, expected);
        assert_eq!(error.as_str(), code);
        assert_eq!(description, None);
    }
}

#[tokio::test]
async fn a_token_endpoint_that_is_down_is_unreachable() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/oauth/token?tenant=x");
    let err = fresh_token(&url, CredentialsIn::Body).await.unwrap_err();
    let TokenError::Unreachable { token_url, source } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(*token_url, format!("http://{addr}/oauth/token"));
    assert!(matches!(**source, SendError::Connect { .. }), "{source:?}");
    assert!(!err.to_string().contains("tenant"), "{err}");
    assert_no_secret(&err.to_string());
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out() {
    let mut ep = Endpoint::new(json_answer(200, GOOD));
    ep.delay = Duration::from_secs(30);
    let url = ep.serve().await;
    let client =
        ReqwestClient::new(ClientOptions::default().with_timeout(Duration::from_millis(200)))
            .unwrap();
    let err = OAuth2Tokens::new()
        .token(
            Environment::Sandbox,
            &connector(&url, CredentialsIn::Body),
            &secrets(),
            &client,
        )
        .await
        .unwrap_err();
    let TokenError::Unreachable { source, .. } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert!(matches!(**source, SendError::Timeout { .. }), "{source:?}");
}

/// Whether an error is the one expected.
type Check = fn(&TokenError) -> bool;

#[tokio::test]
async fn bad_answers_are_typed_errors_without_their_bodies() {
    let html = Answer {
        status: 200,
        content_type: "text/html",
        body: "<html>login tok-1 sandbox-s3cr3t</html>".to_owned(),
    };
    let server_error = Answer {
        status: 503,
        content_type: "text/plain",
        body: "down for maintenance tok-1".to_owned(),
    };
    let cases: Vec<(Answer, Check)> = vec![
        (html, |e| {
            matches!(e, TokenError::NotJson { status: 200, .. })
        }),
        (json_answer(200, "[1,2]"), |e| {
            matches!(e, TokenError::NotJson { .. })
        }),
        (server_error, |e| {
            matches!(
                e,
                TokenError::Status {
                    status: 503,
                    body_bytes: 26,
                    ..
                }
            )
        }),
        (
            json_answer(200, r#"{"token_type":"Bearer"}"#),
            |e| matches!(e, TokenError::Malformed { reason, .. } if reason.contains("no `access_token`")),
        ),
        (json_answer(200, r#"{"access_token":42}"#), |e| {
            matches!(e, TokenError::Malformed { .. })
        }),
        (json_answer(200, r#"{"access_token":""}"#), |e| {
            matches!(e, TokenError::Malformed { .. })
        }),
        (
            json_answer(200, r#"{"access_token":"tok-1\nX-Evil: 1"}"#),
            |e| matches!(e, TokenError::Malformed { reason, .. } if reason.contains("header")),
        ),
        (
            json_answer(200, r#"{"access_token":"tok-1","expires_in":"soon"}"#),
            |e| matches!(e, TokenError::Malformed { reason, .. } if reason.contains("expires_in")),
        ),
        (
            json_answer(200, r#"{"access_token":"tok-1","expires_in":-5}"#),
            |e| matches!(e, TokenError::Malformed { .. }),
        ),
        (
            json_answer(200, r#"{"access_token":"tok-1","token_type":"mac"}"#),
            |e| matches!(e, TokenError::UnsupportedTokenType { token_type, .. } if token_type == "mac"),
        ),
    ];
    for (answer, check) in cases {
        let body = answer.body.clone();
        let ep = Endpoint::new(answer);
        let url = ep.serve().await;
        let err = fresh_token(&url, CredentialsIn::Body).await.unwrap_err();
        assert!(check(&err), "{body}: unexpected {err:?}");
        assert_no_secret(&err.to_string());
        assert_no_secret(&format!("{err:?}"));
    }
}

#[tokio::test]
async fn another_token_type_can_be_accepted_by_setting() {
    let ep = Endpoint::new(json_answer(
        200,
        r#"{"access_token":"tok-{n}","token_type":"N_A"}"#,
    ));
    let url = ep.serve().await;
    let tokens = OAuth2Tokens::with_settings(TokenSettings::default().accept_any_token_type(true));
    let token = tokens
        .token(
            Environment::Sandbox,
            &connector(&url, CredentialsIn::Body),
            &secrets(),
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(token.token_type(), Some("N_A"));
}

#[tokio::test]
async fn refusals_before_any_request() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let url = ep.serve().await;
    let tokens = OAuth2Tokens::new();
    let client = client();
    let missing = tokens
        .token(
            Environment::PreRelease,
            &connector(&url, CredentialsIn::Body),
            &secrets(),
            &client,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, TokenError::MissingSecret { name, environment: Environment::PreRelease } if name == "booking_client_secret"),
        "{missing:?}"
    );
    let bad_url = tokens
        .token(
            Environment::Sandbox,
            &connector("ftp://user:pw@auth.example/token", CredentialsIn::Body),
            &secrets(),
            &client,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(bad_url, TokenError::InvalidTokenUrl { .. }),
        "{bad_url:?}"
    );
    assert!(!bad_url.to_string().contains("pw"), "{bad_url}");
    let bearer = AuthConnector::Bearer {
        token: SecretRef::new("t"),
    };
    let not_oauth = tokens
        .token(Environment::Sandbox, &bearer, &secrets(), &client)
        .await
        .unwrap_err();
    assert!(matches!(
        not_oauth,
        TokenError::NotOAuth2 { auth: "bearer" }
    ));
    assert_eq!(ep.requests(), 0);
    assert_eq!(tokens.fetches(), 0);
}

#[tokio::test]
async fn an_in_process_token_endpoint_needs_no_socket() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let client = ServiceClient::new(ep.router());
    let c = connector("http://auth.internal/oauth/token", CredentialsIn::Header);
    let tokens = OAuth2Tokens::new();
    let token = tokens
        .token(Environment::Live, &c, &secrets(), &client)
        .await
        .unwrap();
    assert_eq!(token.expose(), "tok-1");
    let basic = ep.seen()[0].authorization.clone().unwrap();
    let decoded = base64_decode(basic.strip_prefix("Basic ").unwrap());
    assert_eq!(String::from_utf8(decoded).unwrap(), "agent+id:live-s3cr3t");
}

#[test]
fn an_access_token_never_shows_itself() {
    let token = AccessToken::new("tok-very-secret").unwrap();
    assert_eq!(format!("{token:?}"), "<access token>");
    assert_eq!(format!("{token:#?}"), "<access token>");
    assert_eq!(token.to_string(), "<access token>");
    assert_eq!(format!("{:?}", Some(&token)), "Some(<access token>)");
    assert_eq!(token.expose(), "tok-very-secret");
    assert!(AccessToken::new("").is_err());
    assert!(AccessToken::new("a b").is_err());
}

#[tokio::test]
async fn a_cache_holding_a_token_does_not_show_it() {
    let ep = Endpoint::new(json_answer(200, GOOD));
    let client = ServiceClient::new(ep.router());
    let c = connector("http://auth.internal/oauth/token", CredentialsIn::Body);
    let tokens = OAuth2Tokens::new();
    tokens
        .token(Environment::Sandbox, &c, &secrets(), &client)
        .await
        .unwrap();
    let shown = format!("{tokens:?} {tokens:#?}");
    assert!(shown.contains("fetches: 1"), "{shown}");
    assert_no_secret(&shown);
}

fn with_header(name: Option<&str>, prefix: Option<&str>) -> AuthConnector {
    AuthConnector::OAuth2ClientCredentials {
        token_url: "https://auth.example/token".into(),
        client_id: "agent".into(),
        client_secret: SecretRef::new("s"),
        scope: None,
        credentials_in: CredentialsIn::Header,
        auth_header_name: name.map(Into::into),
        token_prefix: prefix.map(Into::into),
    }
}

#[test]
fn applying_a_token_uses_the_connector_header_and_prefix() {
    let token = AccessToken::new("tok-1").unwrap();
    for (name, prefix, header, value) in [
        (None, None, "authorization", "Bearer tok-1"),
        (Some("X-Auth"), Some("Token"), "x-auth", "Token tok-1"),
        (None, Some(""), "authorization", "tok-1"),
    ] {
        let mut request = http::Request::new(Bytes::new());
        request
            .headers_mut()
            .insert("authorization", "Basic old".parse().unwrap());
        apply_token(&mut request, &with_header(name, prefix), &token).unwrap();
        let got = &request.headers()[header];
        assert_eq!(got, value);
        assert!(got.is_sensitive());
        assert_eq!(request.headers().get_all(header).iter().count(), 1);
    }
    let mut request = http::Request::new(Bytes::new());
    let err =
        apply_token(&mut request, &with_header(Some("bad header"), None), &token).unwrap_err();
    assert!(matches!(err, TokenError::InvalidHeader { .. }));
    let err = apply_token(
        &mut request,
        &with_header(None, Some("Bad\nPrefix")),
        &token,
    )
    .unwrap_err();
    assert!(matches!(err, TokenError::InvalidHeader { .. }));
    assert_no_secret(&err.to_string());
    let bearer = AuthConnector::Bearer {
        token: SecretRef::new("t"),
    };
    assert!(matches!(
        apply_token(&mut request, &bearer, &token),
        Err(TokenError::NotOAuth2 { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_calls_refused_with_one_token_refresh_it_once() {
    let (ep, shared) = slow_endpoint(json_answer(200, GOOD), Duration::from_millis(50)).await;
    let refused = shared.token().await.unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (shared, refused) = (shared.clone(), refused.clone());
            tokio::spawn(async move {
                // What the runner does on a 401: drop the refused token, ask again.
                let dropped = shared
                    .tokens
                    .invalidate(Environment::Sandbox, &shared.c, &refused);
                (dropped, shared.token().await.unwrap())
            })
        })
        .collect();
    let mut dropped = 0;
    for task in tasks {
        let (d, fresh) = task.await.unwrap();
        dropped += usize::from(d);
        assert_eq!(fresh.expose(), "tok-2");
    }
    assert_eq!(dropped, 1);
    assert_eq!(ep.requests(), 2);
}
