//! The admin routes under [`ADMIN_PREFIX`] (`/_mock/`): scripting the mock over HTTP, for the
//! standalone binary (the library offers the same through [`crate::MockServer`] methods).
//!
//! PolyAI has no path starting with `/_`, so these never shadow an API route. Every admin
//! route needs the mock's API key in `x-api-key` (the same key as the API; a wrong or missing
//! key is 401). Admin requests are neither recorded in the request log nor subject to the
//! fault plan. Bodies are JSON; answers are JSON.
//!
//! | route | does |
//! |---|---|
//! | `GET /_mock/operations` | the route table: `[{method, path, operation_id, family}]` |
//! | `GET /_mock/requests` | the request log (headers with secrets redacted, body as text) |
//! | `DELETE /_mock/requests` | forgets the request log |
//! | `POST /_mock/seed` | `{method, path, body?}`: runs one API operation in process (no credentials, faults or log entry) and answers `{status, body}` |
//! | `POST /_mock/reset` | forgets every stored change (as [`crate::MockServer::reset_state`]) |
//! | `POST /_mock/alerts/state` | `{rule_id, state, current_value?}`: sets an alert rule's evaluated state |
//! | `POST /_mock/handoff-states` | `{id, shared_id?, data}`: stores a handoff state |
//! | `GET /_mock/external-events` | the external events received |
//! | `GET /_mock/dni-reservations` | the DNI reservations made |
//! | `GET /_mock/outbound-calls` | the legacy outbound calls triggered |
//! | `POST /_mock/deliveries` | `{endpoint_id, receiver_url, body, event_id?, timestamp?}`: delivers `body` (any JSON value; a string is sent as is) signed with the endpoint's current secret; answers the delivery |
//! | `GET /_mock/deliveries` | the deliveries made so far |
//! | `POST /_mock/audio-cache-entries` | `{agent_id, transcript}`: adds an audio cache entry (PolyAI has no operation for it); answers `{id}` |
//! | `POST /_mock/connectors` | `{agent_id, client_env}`: adds a telephony connector (PolyAI has no operation for it); answers `{connector_id}` |
//! | `GET /_mock/agent-outbound-calls/{agentId}` | the calls the agent was asked to place through the Agents API |

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::log::RecordedRequest;
use crate::request::parse_json;
use crate::routes::ROWS;
use crate::scripting::{self, DeliveryError};
use crate::state::{App, Store, lock};
use crate::webhook::{DeliveryOptions, WebhookDelivery};

/// The path prefix of the admin routes.
pub const ADMIN_PREFIX: &str = "/_mock/";

fn bad(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "MOCK_ADMIN_BAD_REQUEST", message)
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_json(bytes, None, bad, bad)
}

fn request_json(r: &RecordedRequest) -> Value {
    json!({
        "seq": r.seq,
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "headers": r.headers,
        "body": String::from_utf8_lossy(&r.body),
        "operation_id": r.route.map(|route| route.operation_id()),
        "status": r.status,
        "correlation_id": r.correlation_id,
        "fault": r.fault.as_ref().map(|f| format!("{f:?}")),
    })
}

fn delivery_json(d: &WebhookDelivery) -> Value {
    json!({
        "status": d.status,
        "event_id": d.event_id,
        "timestamp": d.timestamp,
        "signature": d.signature,
        "body": String::from_utf8_lossy(&d.body),
        "response_body": String::from_utf8_lossy(&d.response_body),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedBody {
    method: String,
    path: String,
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertStateBody {
    rule_id: String,
    state: String,
    current_value: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoffBody {
    id: String,
    shared_id: Option<String>,
    data: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryBody {
    endpoint_id: String,
    receiver_url: String,
    body: Value,
    event_id: Option<String>,
    timestamp: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AudioCacheEntryBody {
    agent_id: String,
    transcript: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorBody {
    agent_id: String,
    client_env: String,
}

/// 404 for seeding a deleted agent.
fn agent_deleted(agent_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PROJECT_NOT_FOUND",
        format!("Agent {agent_id} was deleted; create it again first."),
    )
}

/// Answers one admin request (`path` starts with [`ADMIN_PREFIX`]).
pub(crate) async fn handle(
    app: &App,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<Response, ApiError> {
    match headers.get("x-api-key") {
        Some(v) if v.as_bytes() == app.api_key.as_bytes() => {}
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_USER_UNAUTHORISED",
                "The /_mock/ admin routes need the mock's API key in x-api-key.",
            ));
        }
    }
    let route = path.trim_start_matches(ADMIN_PREFIX).trim_end_matches('/');
    let ok = |value: Value| Ok(json_response(StatusCode::OK, &value));
    match (method.as_str(), route) {
        ("GET", "operations") => ok(ROWS
            .iter()
            .map(|r| {
                json!({
                    "method": r.method.as_str(),
                    "path": r.template,
                    "operation_id": r.operation_id,
                    "family": r.family.name,
                })
            })
            .collect()),
        ("GET", "requests") => ok(lock(&app.log).iter().map(request_json).collect()),
        ("DELETE", "requests") => {
            lock(&app.log).clear();
            ok(json!({ "success": true }))
        }
        ("POST", "seed") => {
            let b: SeedBody = body(bytes)?;
            let method = Method::from_bytes(b.method.as_bytes())
                .map_err(|_| bad(format!("{:?} is not an HTTP method.", b.method)))?;
            let answer = match scripting::seed(app, &method, &b.path, b.body.as_ref()).await {
                Ok(value) => json!({ "status": 200, "body": value }),
                Err(e) => json!({ "status": e.status, "body": e.body }),
            };
            ok(answer)
        }
        ("POST", "reset") => {
            *app.store() = Store::default();
            ok(json!({ "success": true }))
        }
        ("POST", "alerts/state") => {
            let b: AlertStateBody = body(bytes)?;
            let mut store = app.store();
            if crate::alerts::set_state(&mut store.alerts, &b.rule_id, &b.state, b.current_value)
            {
                ok(json!({ "success": true }))
            } else {
                Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    format!(
                        "No alert rule {} (or state {:?} is not ok, alert, no_data or unknown).",
                        b.rule_id, b.state
                    ),
                ))
            }
        }
        ("POST", "handoff-states") => {
            let b: HandoffBody = body(bytes)?;
            scripting::set_handoff(app, &b.id, b.shared_id.as_deref(), b.data);
            ok(json!({ "success": true }))
        }
        ("GET", "external-events") => ok(app
            .store()
            .external_events
            .iter()
            .map(|e| {
                json!({
                    "event_id": e.event_id,
                    "event_id_location": e.event_id_location,
                    "account_id": e.account_id,
                    "project_id": e.project_id,
                    "content_type": e.content_type,
                    "body": e.body,
                    "seq": e.seq,
                })
            })
            .collect()),
        ("GET", "dni-reservations") => ok(app
            .store()
            .dni_reservations
            .iter()
            .map(|r| json!({ "dni": r.dni, "attributes": r.attributes }))
            .collect()),
        ("GET", "outbound-calls") => ok(app
            .store()
            .outbound_calls
            .iter()
            .map(|c| json!({ "call_sid": c.call_sid, "to_number": c.to_number, "metadata": c.metadata }))
            .collect()),
        ("GET", "deliveries") => ok(app.store().deliveries.iter().map(delivery_json).collect()),
        ("POST", "deliveries") => {
            let b: DeliveryBody = body(bytes)?;
            let payload = match b.body {
                Value::String(text) => Bytes::from(text),
                other => Bytes::from(other.to_string()),
            };
            let options = DeliveryOptions {
                event_id: b.event_id,
                timestamp: b.timestamp,
                ..DeliveryOptions::default()
            };
            match scripting::deliver(app, &b.endpoint_id, &b.receiver_url, payload, options).await
            {
                Ok(delivery) => ok(delivery_json(&delivery)),
                Err(e @ DeliveryError::UnknownEndpoint(_)) => Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "WEBHOOK_ENDPOINT_NOT_FOUND",
                    e.to_string(),
                )),
                Err(e @ DeliveryError::Disabled(_)) => Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "WEBHOOK_ENDPOINT_DISABLED",
                    e.to_string(),
                )),
                Err(e) => Err(ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "RECEIVER_UNREACHABLE",
                    e.to_string(),
                )),
            }
        }
        ("POST", "audio-cache-entries") => {
            let b: AudioCacheEntryBody = body(bytes)?;
            match crate::audio_cache::add_entry(app, &b.agent_id, &b.transcript) {
                Some(id) => ok(json!({ "id": id })),
                None => Err(agent_deleted(&b.agent_id)),
            }
        }
        ("POST", "connectors") => {
            let b: ConnectorBody = body(bytes)?;
            if !crate::telephony::ENVIRONMENTS.contains(&b.client_env.as_str()) {
                return Err(bad(format!(
                    "client_env must be sandbox, pre-release or live; got {:?}.",
                    b.client_env
                )));
            }
            match crate::telephony::add_connector_to(app, &b.agent_id, &b.client_env) {
                Some(id) => ok(json!({ "connector_id": id })),
                None => Err(agent_deleted(&b.agent_id)),
            }
        }
        ("GET", r) if r.starts_with("agent-outbound-calls/") => {
            let agent = crate::util::decode_segment(&r["agent-outbound-calls/".len()..]);
            ok(crate::telephony::placed_calls(app, &agent)
                .into_iter()
                .map(|c| {
                    json!({
                        "call_sid": c.call_sid,
                        "environment": c.environment,
                        "to_number": c.to_number,
                        "variant_id": c.variant_id,
                        "metadata": c.metadata,
                        "status_reads": c.status_reads,
                    })
                })
                .collect())
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("No admin route {method} {path}; GET /_mock/operations lists the API, and the polyai-mock crate docs list the admin routes."),
        )),
    }
}
