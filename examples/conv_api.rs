//! `conv.api` for Rust: call an API integration the way a PolyAI agent function does,
//! `conv.api.sweet_booking_api.create_booking("soho", params=..., json=...)`, in each of the
//! three environments, with OAuth 2.0 client credentials.
//!
//! Everything runs on 127.0.0.1: an OAuth 2.0 token server (axum) that issues tokens per
//! client, and the bookings service (axum) serving the sandbox, staging and live base URLs of
//! `examples/data/sweet_booking_integrations.yaml` (the ADK's `api_integrations.yaml` shape).
//! Each environment has its own client id and client secret. For every call the example prints
//! the request the service received (the access token masked), the status and the JSON; at the
//! end, how many token requests were made (one per environment, whatever the number of calls)
//! and the typed error a wrong client secret gives.
//!
//! ```sh
//! cargo run -p polyai-examples --example conv_api
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use polyai_actions::client::{ClientOptions, HttpClient, ReqwestClient};
use polyai_actions::conv_api::ConvApi;
use polyai_actions::oauth::{OAuth2Tokens, TokenError};
use polyai_actions::{
    ApiIntegrations, AuthConnector, CredentialsIn, Environment, InMemorySecretStore, SecretRef,
};
use serde_json::{Value, json};

type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Each environment's client: its id, its secret, and the base-URL prefix it may call.
const CLIENTS: &[(Environment, &str, &str, &str)] = &[
    (
        Environment::Sandbox,
        "agent-sandbox",
        "sbx-Hq2v7TnW",
        "sandbox",
    ),
    (
        Environment::PreRelease,
        "agent-staging",
        "stg-Lm4r8PzC",
        "staging",
    ),
    (Environment::Live, "agent-live", "live-Xe9k3DsF", "live"),
];

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `application/x-www-form-urlencoded` decoding of one component.
fn form_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token server's state: the tokens it issued, each for one base-URL prefix.
#[derive(Clone, Default)]
struct Issuer {
    issued: Arc<Mutex<HashMap<String, &'static str>>>,
    count: Arc<AtomicU32>,
}

/// `POST /oauth/token`: RFC 6749 §4.4, client credentials in the body.
async fn issue(State(issuer): State<Issuer>, body: String) -> (StatusCode, Json<Value>) {
    let form: HashMap<String, String> = body
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (form_decode(k), form_decode(v)))
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        let error = json!({"error": "unsupported_grant_type"});
        return (StatusCode::BAD_REQUEST, Json(error));
    }
    let client = CLIENTS
        .iter()
        .find(|(_, id, secret, _)| *id == field("client_id") && *secret == field("client_secret"));
    let Some((_, _, _, prefix)) = client else {
        let error = json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"});
        return (StatusCode::UNAUTHORIZED, Json(error));
    };
    let n = issuer.count.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("at_{prefix}_{n:03}_{:08x}", n.wrapping_mul(2_654_435_761));
    lock(&issuer.issued).insert(token.clone(), prefix);
    (
        StatusCode::OK,
        Json(
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": field("scope")}),
        ),
    )
}

/// The service's state: issued tokens (shared with the token server, as an introspection
/// call would), the bookings made, and the last request received, for printing.
#[derive(Clone)]
struct Service {
    issuer: Issuer,
    bookings: Arc<Mutex<HashMap<String, Value>>>,
    next: Arc<AtomicU32>,
    received: Arc<Mutex<Vec<String>>>,
}

type Reply = (StatusCode, Json<Value>);

/// Every request: check the token against the environment in the path, record what arrived
/// (token masked), then route.
async fn serve_booking(State(service): State<Service>, request: Request) -> Reply {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let path = parts.uri.path().to_owned();
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = auth.strip_prefix("Bearer ").unwrap_or_default();
    let token_env = lock(&service.issuer.issued).get(token).copied();
    let mut shown = format!(
        "{} {}",
        parts.method,
        parts
            .uri
            .path_and_query()
            .map_or(path.as_str(), |p| p.as_str())
    );
    for (name, value) in &parts.headers {
        let value = if name == "authorization" {
            match token_env {
                Some(env) => format!("Bearer <a {env} access token, {} chars>", token.len()),
                None => "<not a token this server issued>".to_owned(),
            }
        } else {
            value.to_str().unwrap_or("<binary>").to_owned()
        };
        if name != "host" {
            shown.push_str(&format!("\n{name}: {value}"));
        }
    }
    if !body.is_empty() {
        shown.push_str(&format!("\n\n{}", String::from_utf8_lossy(&body)));
    }
    lock(&service.received).push(shown);

    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some(&env) = segments.first() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such route"})),
        );
    };
    if token_env != Some(env) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "the access token is not valid for this environment"})),
        );
    }
    match (parts.method.as_str(), &segments[1..]) {
        ("GET", ["v1", "sites", site, "slots"]) => {
            let query = parts.uri.query().unwrap_or_default();
            let wants_terrace = query.split('&').any(|p| p == "seating=terrace");
            let mut slots = vec!["18:00", "18:30", "19:30", "20:00"];
            if wants_terrace {
                slots.retain(|s| *s != "20:00");
            }
            (StatusCode::OK, Json(json!({"site": site, "slots": slots})))
        }
        ("POST", ["v1", "sites", site, "bookings"]) => {
            let Ok(booking) = serde_json::from_slice::<Value>(&body) else {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "the body is not JSON"})),
                );
            };
            let party = booking["party_size"].as_u64().unwrap_or(0);
            if !(1..=12).contains(&party) {
                let error = json!({"error": "party_size must be 1 to 12"});
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(error));
            }
            let id = format!("BK-{}", service.next.fetch_add(1, Ordering::SeqCst) + 1001);
            let stored = json!({
                "id": id, "site": site, "status": "confirmed",
                "name": booking["name"], "party_size": party, "time": booking["time"],
            });
            lock(&service.bookings).insert(format!("{env}/{id}"), stored.clone());
            (StatusCode::CREATED, Json(stored))
        }
        ("GET", ["v1", "sites", _, "bookings", id]) => {
            match lock(&service.bookings).get(&format!("{env}/{id}")) {
                Some(found) => (StatusCode::OK, Json(found.clone())),
                None => (
                    StatusCode::NOT_FOUND,
                    Json(json!({"error": "no such booking"})),
                ),
            }
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such route"})),
        ),
    }
}

async fn listen(app: Router) -> AnyResult<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

fn connector(token_url: &str, client_id: &str) -> AuthConnector {
    AuthConnector::OAuth2ClientCredentials {
        token_url: token_url.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: SecretRef::new("sweet_booking_client_secret"),
        scope: Some("bookings:write".to_owned()),
        credentials_in: CredentialsIn::Body,
        auth_header_name: None,
        token_prefix: None,
    }
}

/// Prints what the service received last, then the response.
fn show(
    out: &mut dyn Write,
    call: &str,
    service: &Service,
    response: &polyai_actions::conv_api::ApiResponse,
) -> AnyResult<()> {
    let received = lock(&service.received).last().cloned().unwrap_or_default();
    writeln!(out, "--- {call}")?;
    writeln!(out, "received by the service:\n{received}")?;
    let json = response
        .json()
        .map_or_else(|_| response.text(), |j| j.to_string());
    writeln!(out, "status {}, json {json}\n", response.status_code())?;
    Ok(())
}

/// The whole example, printing to `out`.
pub async fn run(out: &mut dyn Write) -> AnyResult<()> {
    let issuer = Issuer::default();
    let token_base = listen(
        Router::new()
            .route("/oauth/token", post(issue))
            .with_state(issuer.clone()),
    )
    .await?;
    let service = Service {
        issuer: issuer.clone(),
        bookings: Arc::default(),
        next: Arc::default(),
        received: Arc::default(),
    };
    let service_base = listen(
        Router::new()
            .fallback(serve_booking)
            .with_state(service.clone()),
    )
    .await?;

    let yaml =
        include_str!("data/sweet_booking_integrations.yaml").replace("${SERVICE}", &service_base);
    let integrations = ApiIntegrations::from_yaml_str(&yaml)?;
    let token_url = format!("{token_base}/oauth/token");
    let mut secrets = InMemorySecretStore::new();
    let client: Arc<dyn HttpClient> = Arc::new(ReqwestClient::new(ClientOptions::new())?);
    let tokens = OAuth2Tokens::new();
    let mut conv = ConvApi::new(integrations, Environment::Sandbox)
        .with_client(client.clone())
        .with_oauth(tokens.clone(), client.clone());
    for (env, client_id, secret, _) in CLIENTS {
        secrets.insert(*env, "sweet_booking_client_secret", *secret);
        conv = conv.with_auth_for("sweet_booking_api", *env, connector(&token_url, client_id));
    }
    let conv = conv.with_secrets(Arc::new(secrets));

    let mut calls = 0;
    for env in [
        Environment::Sandbox,
        Environment::PreRelease,
        Environment::Live,
    ] {
        writeln!(out, "===== {env}")?;
        let conv = conv.clone().with_environment(env);
        let api = conv.api("sweet_booking_api");

        let slots = api
            .op("list_slots")
            .arg("soho")
            .param("date", "2026-12-24")
            .param("party_size", 4)
            .param("accessible", true)
            .param("seating", json!(["indoor", "terrace"]))
            .send()
            .await?;
        let call = r#"list_slots("soho", params={"date": "2026-12-24", "party_size": 4, "accessible": True, "seating": ["indoor", "terrace"]})"#;
        show(out, call, &service, &slots)?;

        let created = api
            .op("create_booking")
            .named_arg("site_id", "soho")
            .param("notify", "sms")
            .json(json!({"name": "Ada Lovelace", "party_size": 4, "date": "2026-12-24", "time": "19:30"}))
            .header("Idempotency-Key", &format!("call-{env}-0001"))
            .send()
            .await?;
        let call = r#"create_booking(site_id="soho", params={"notify": "sms"}, json={...}, headers={"Idempotency-Key": ...})"#;
        show(out, call, &service, &created)?;
        created.raise_for_status()?;
        let id = created.json()?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        let fetched = api
            .op("get_booking")
            .arg("soho")
            .arg(id.as_str())
            .send()
            .await?;
        show(
            out,
            &format!(r#"get_booking("soho", "{id}")"#),
            &service,
            &fetched,
        )?;
        calls += 3;
    }
    writeln!(
        out,
        "===== {calls} calls in 3 environments: {} token requests (one per environment)",
        tokens.fetches()
    )?;

    // A wrong live client secret: the token endpoint answers invalid_client, a typed error,
    // and nothing reaches the service.
    let mut wrong = InMemorySecretStore::new();
    wrong.insert(
        Environment::Live,
        "sweet_booking_client_secret",
        "not-the-secret",
    );
    let broken = conv
        .clone()
        .with_environment(Environment::Live)
        .with_secrets(Arc::new(wrong))
        .with_oauth(OAuth2Tokens::new(), client);
    let before = lock(&service.received).len();
    match broken
        .api("sweet_booking_api")
        .op("get_booking")
        .arg("soho")
        .arg("BK-1001")
        .send()
        .await
    {
        Ok(response) => writeln!(out, "unexpected: status {}", response.status_code())?,
        Err(err) => {
            writeln!(out, "with a wrong client secret: {err}")?;
            if let Some(TokenError::Rejected { error, status, .. }) = err.token_error() {
                writeln!(
                    out,
                    "  (ConvApiError::Token: TokenError::Rejected, HTTP {status}, code `{error}`)"
                )?;
            }
        }
    }
    let after = lock(&service.received).len();
    writeln!(
        out,
        "requests the service received for it: {}",
        after - before
    )?;
    Ok(())
}

#[cfg_attr(test, allow(dead_code))]
#[tokio::main]
async fn main() -> AnyResult<()> {
    let stdout = std::io::stdout();
    run(&mut stdout.lock()).await
}
