//! Webhook-endpoint management (`/v1/webhook-endpoints`): the account's HTTPS receivers and
//! their signing secrets.
//!
//! Endpoints belong to the key's account (the mock has one). Ids are `whe_` plus 24 letters
//! and digits; signing secrets are `whsec_` plus 32 letters and digits, returned only by
//! create and by rotate. Rotating replaces the secret at once: [`crate::MockServer::deliver_to_endpoint`]
//! signs with the current secret only.
//!
//! | situation | answer |
//! |---|---|
//! | an id not matching `^whe_[A-Za-z0-9]+$` | 422 `VALIDATION_ERROR` |
//! | an unknown id | 404 `WEBHOOK_ENDPOINT_NOT_FOUND` |
//! | a body that is not JSON | 400 `BAD_REQUEST` |
//! | a body that breaks the schema (unknown or missing fields, a `url` not `https://`, no or unknown event types, `name` not 1..=255 characters, `timeout_ms` outside 1000..=30000, a bad header) | 422 `VALIDATION_ERROR` |
//! | an 11th endpoint | 409 `WEBHOOK_ENDPOINT_LIMIT_REACHED` |
//! | `enabled` not `true`/`false` or an unknown `event_type` in the listing's query | 400 `BAD_REQUEST` |

use std::collections::BTreeMap;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::envelope::{ApiError, empty_response, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::state::App;
use crate::time::{now_ms, rfc3339_ms};
use crate::util::token;

/// Most endpoints an account may hold.
pub(crate) const MAX_ENDPOINTS: usize = 10;
/// The event types PolyAI delivers today.
const EVENT_TYPES: [&str; 2] = ["alerts.triggered", "alerts.resolved"];

/// One registered endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub id: String,
    name: String,
    url: String,
    pub enabled: bool,
    pub event_types: Vec<String>,
    pub headers: BTreeMap<String, String>,
    timeout_ms: i64,
    created_ms: i64,
    updated_ms: i64,
    pub secret: String,
}

impl Endpoint {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "enabled": self.enabled,
            "event_types": self.event_types,
            "headers": self.headers,
            "timeout_ms": self.timeout_ms,
            "created_at": rfc3339_ms(self.created_ms),
            "updated_at": rfc3339_ms(self.updated_ms),
        })
    }
}

/// The account's endpoints, oldest first.
#[derive(Debug, Default)]
pub(crate) struct EndpointStore {
    pub endpoints: Vec<Endpoint>,
    counter: u64,
}

impl EndpointStore {
    fn fresh_secret(&mut self, app: &App) -> String {
        self.counter += 1;
        format!(
            "whsec_{}",
            token(
                app.instance_key,
                self.counter,
                salts::WEBHOOK_SECRET,
                32,
                false
            )
        )
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut Endpoint, ApiError> {
        check_id(id)?;
        self.endpoints
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(id))
    }
}

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
        message,
    )
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
        format!("Webhook endpoint {id} does not exist."),
    )
}

/// Ids must match `^whe_[A-Za-z0-9]+$`; anything else is 422, not 404.
fn check_id(id: &str) -> Result<(), ApiError> {
    let valid = id
        .strip_prefix("whe_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if valid {
        Ok(())
    } else {
        Err(validation(format!(
            "endpoint_id {id:?} is malformed: it must be whe_ followed by letters and digits."
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    url: String,
    event_types: Vec<String>,
    headers: Option<BTreeMap<String, String>>,
    timeout_ms: Option<i64>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    url: Option<String>,
    event_types: Option<Vec<String>>,
    headers: Option<BTreeMap<String, String>>,
    timeout_ms: Option<i64>,
    enabled: Option<bool>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if (1..=255).contains(&n) && !name.trim().is_empty() {
        Ok(())
    } else {
        Err(validation("name must be 1 to 255 characters."))
    }
}

fn check_url(url: &str) -> Result<(), ApiError> {
    let host = url.strip_prefix("https://").unwrap_or("");
    let host = host.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(validation(format!(
            "url must be an absolute https:// URL; got {url:?}."
        )));
    }
    Ok(())
}

/// Validates and de-duplicates event types (order kept).
fn check_event_types(types: Vec<String>) -> Result<Vec<String>, ApiError> {
    if types.is_empty() {
        return Err(validation("event_types needs at least one event type."));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(validation(format!(
                "Unknown event type {t:?}: use alerts.triggered or alerts.resolved."
            )));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn check_timeout(ms: i64) -> Result<(), ApiError> {
    if (1000..=30_000).contains(&ms) {
        Ok(())
    } else {
        Err(validation(format!(
            "timeout_ms must be between 1000 and 30000; got {ms}."
        )))
    }
}

fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (name, value) in headers {
        if HeaderName::from_bytes(name.as_bytes()).is_err() || HeaderValue::from_str(value).is_err()
        {
            return Err(validation(format!(
                "headers: {name:?} is not a valid HTTP header name and value."
            )));
        }
    }
    Ok(())
}

/// `GET /v1/webhook-endpoints/{endpoint_id}`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let mut guard = req.app.store();
    let endpoint = guard.webhook_endpoints.get_mut(req.param("endpoint_id"))?;
    Ok(json_response(StatusCode::OK, &endpoint.to_json()))
}

/// `DELETE /v1/webhook-endpoints/{endpoint_id}`
pub(crate) fn delete(req: &Req<'_>) -> Reply {
    let id = req.param("endpoint_id");
    let mut guard = req.app.store();
    let store = &mut guard.webhook_endpoints;
    store.get_mut(id)?;
    store.endpoints.retain(|e| e.id != id);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret`
pub(crate) fn rotate(req: &Req<'_>) -> Reply {
    let id = req.param("endpoint_id");
    let mut guard = req.app.store();
    let store = &mut guard.webhook_endpoints;
    store.get_mut(id)?;
    let secret = store.fresh_secret(req.app);
    let endpoint = store.get_mut(id)?;
    endpoint.secret = secret;
    endpoint.updated_ms = now_ms();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "signing_secret": endpoint.secret }),
    ))
}

/// `GET /v1/webhook-endpoints`
pub(crate) fn list(req: &Req<'_>) -> Reply {
    list_in(&req.app.store().webhook_endpoints, &req.query)
}

/// `POST /v1/webhook-endpoints`
pub(crate) fn create(req: &Req<'_>) -> Reply {
    let body: CreateBody = req.json()?;
    let mut guard = req.app.store();
    create_in(req.app, &mut guard.webhook_endpoints, body)
}

/// `PATCH /v1/webhook-endpoints/{endpoint_id}`
pub(crate) fn update(req: &Req<'_>) -> Reply {
    let id = req.param("endpoint_id");
    let mut guard = req.app.store();
    guard.webhook_endpoints.get_mut(id)?;
    let body: UpdateBody = req.json()?;
    update_in(&mut guard.webhook_endpoints, id, body)
}

fn list_in(store: &EndpointStore, query: &[(String, String)]) -> Result<Response, ApiError> {
    let mut enabled = None;
    let mut event_type = None;
    for (name, value) in query {
        match name.as_str() {
            "enabled" => {
                enabled = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(bad_request(format!(
                            "enabled must be true or false; got {other:?}."
                        )));
                    }
                });
            }
            "event_type" => {
                if !EVENT_TYPES.contains(&value.as_str()) {
                    return Err(bad_request(format!(
                        "Unknown event_type {value:?}: use alerts.triggered or alerts.resolved."
                    )));
                }
                event_type = Some(value.as_str());
            }
            _ => {}
        }
    }
    let data: Vec<Value> = store
        .endpoints
        .iter()
        .filter(|e| enabled.is_none_or(|want| e.enabled == want))
        .filter(|e| event_type.is_none_or(|t| e.event_types.iter().any(|x| x == t)))
        .map(Endpoint::to_json)
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "data": data })))
}

fn create_in(app: &App, store: &mut EndpointStore, req: CreateBody) -> Result<Response, ApiError> {
    check_name(&req.name)?;
    check_url(&req.url)?;
    let event_types = check_event_types(req.event_types)?;
    let timeout_ms = req.timeout_ms.unwrap_or(5000);
    check_timeout(timeout_ms)?;
    let headers = req.headers.unwrap_or_default();
    check_headers(&headers)?;
    if store.endpoints.len() >= MAX_ENDPOINTS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "WEBHOOK_ENDPOINT_LIMIT_REACHED",
            format!("An account may have at most {MAX_ENDPOINTS} webhook endpoints."),
        ));
    }
    let secret = store.fresh_secret(app);
    let now = now_ms();
    let endpoint = Endpoint {
        id: format!(
            "whe_{}",
            token(
                app.instance_key,
                store.counter,
                salts::WEBHOOK_ENDPOINT_ID,
                24,
                false
            )
        ),
        name: req.name,
        url: req.url,
        enabled: req.enabled.unwrap_or(true),
        event_types,
        headers,
        timeout_ms,
        created_ms: now,
        updated_ms: now,
        secret,
    };
    let mut answer = endpoint.to_json();
    if let Some(map) = answer.as_object_mut() {
        map.insert(
            "signing_secret".to_owned(),
            Value::String(endpoint.secret.clone()),
        );
    }
    store.endpoints.push(endpoint);
    Ok(json_response(StatusCode::CREATED, &answer))
}

fn update_in(store: &mut EndpointStore, id: &str, req: UpdateBody) -> Reply {
    let endpoint = store.get_mut(id)?;
    if let Some(name) = &req.name {
        check_name(name)?;
    }
    if let Some(url) = &req.url {
        check_url(url)?;
    }
    let event_types = req.event_types.map(check_event_types).transpose()?;
    if let Some(ms) = req.timeout_ms {
        check_timeout(ms)?;
    }
    if let Some(headers) = &req.headers {
        check_headers(headers)?;
    }
    if let Some(name) = req.name {
        endpoint.name = name;
    }
    if let Some(url) = req.url {
        endpoint.url = url;
    }
    if let Some(types) = event_types {
        endpoint.event_types = types;
    }
    if let Some(headers) = req.headers {
        endpoint.headers = headers;
    }
    if let Some(ms) = req.timeout_ms {
        endpoint.timeout_ms = ms;
    }
    if let Some(enabled) = req.enabled {
        endpoint.enabled = enabled;
    }
    endpoint.updated_ms = now_ms();
    Ok(json_response(StatusCode::OK, &endpoint.to_json()))
}

/// The ids of the account's webhook endpoints, oldest first.
pub(crate) fn endpoint_ids(app: &App) -> Vec<String> {
    app.store()
        .webhook_endpoints
        .endpoints
        .iter()
        .map(|e| e.id.clone())
        .collect()
}

/// The current signing secret of an endpoint, or `None` for an unknown id.
pub(crate) fn signing_secret(app: &App, endpoint_id: &str) -> Option<String> {
    app.store()
        .webhook_endpoints
        .endpoints
        .iter()
        .find(|e| e.id == endpoint_id)
        .map(|e| e.secret.clone())
}

/// Whether the endpoint exists and is subscribed to `event_type`.
pub(crate) fn subscribed(app: &App, endpoint_id: &str, event_type: &str) -> bool {
    app.store()
        .webhook_endpoints
        .endpoints
        .iter()
        .any(|e| e.id == endpoint_id && e.event_types.iter().any(|t| t == event_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(check_id("whe_abc123XYZ").is_ok());
        for bad in ["whe_", "whe-1", "abc", "whe_a b", "whe_é", ""] {
            let err = check_id(bad).err().map(|e| (e.status, e.code));
            assert_eq!(
                err,
                Some((StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR")),
                "{bad}"
            );
        }
    }

    #[test]
    fn urls_must_be_https_with_a_host() {
        assert!(check_url("https://hooks.example.com/polyai").is_ok());
        assert!(check_url("https://example.com").is_ok());
        for bad in [
            "http://example.com",
            "https://",
            "https:///x",
            "ftp://x",
            "https://a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_types_are_known_and_deduplicated() {
        let types = check_event_types(vec![
            "alerts.resolved".into(),
            "alerts.triggered".into(),
            "alerts.resolved".into(),
        ])
        .unwrap_or_default();
        assert_eq!(types, ["alerts.resolved", "alerts.triggered"]);
        assert!(check_event_types(Vec::new()).is_err());
        assert!(check_event_types(vec!["calls.ended".into()]).is_err());
    }

    #[test]
    fn bodies_split_syntax_from_shape_errors() {
        let parse = |body: &'static [u8]| {
            crate::request::parse_json::<CreateBody>(body, None, bad_request, validation)
        };
        let syntax = parse(b"{not json").err().map(|e| e.status);
        assert_eq!(syntax, Some(StatusCode::BAD_REQUEST));
        let shape = parse(
            br#"{"name":"a","url":"https://x","event_types":["alerts.triggered"],"extra":1}"#,
        )
        .err()
        .map(|e| e.status);
        assert_eq!(shape, Some(StatusCode::UNPROCESSABLE_ENTITY));
    }
}
