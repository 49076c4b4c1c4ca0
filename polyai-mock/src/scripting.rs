//! Scripting the mock from a test: seeding state and reading what was sent. Every function
//! here is reachable both from the library ([`MockServer`] methods) and from the standalone
//! binary (the `/_mock/` admin routes in [`crate::admin`]), through the same code.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::dni::DniReservation;
use crate::external_events::ExternalEvent;
use crate::handoff::HandoffState;
use crate::routes::{self, Resolution};
use crate::server::MockServer;
use crate::state::App;
use crate::telephony::{self, AgentOutboundCall};
use crate::webhook::{DeliveryOptions, WebhookDelivery, WebhookEvent, WebhookSender};
use crate::{audio_cache, webhook_endpoints};

/// A seeding call the mock refused: the status and body the API would have answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedError {
    /// The HTTP status the operation answered (404 for a path no operation serves).
    pub status: u16,
    /// The error body, in the family's error shape.
    pub body: Value,
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the mock refused the seeding call with HTTP {}: {}; fix the body or path as the \
             error says",
            self.status, self.body
        )
    }
}

impl std::error::Error for SeedError {}

/// Why a webhook delivery could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No webhook endpoint has this id.
    UnknownEndpoint(String),
    /// The endpoint exists but is disabled (PolyAI delivers nothing to it).
    Disabled(String),
    /// The receiver could not be reached.
    Http(reqwest::Error),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::UnknownEndpoint(id) => write!(
                f,
                "no webhook endpoint {id}: create one first (POST /v1/webhook-endpoints)"
            ),
            DeliveryError::Disabled(id) => write!(
                f,
                "webhook endpoint {id} is disabled: enable it (PATCH enabled=true) to receive deliveries"
            ),
            DeliveryError::Http(e) => write!(f, "the receiver could not be reached: {e}"),
        }
    }
}

impl std::error::Error for DeliveryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeliveryError::Http(e) => Some(e),
            _ => None,
        }
    }
}

/// Runs one operation of the route table in process: no credentials, no faults, not
/// recorded. `path` may carry a `?query`.
pub(crate) async fn seed(
    app: &App,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, SeedError> {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let refused = |status: StatusCode, message: String| SeedError {
        status: status.as_u16(),
        body: serde_json::json!({ "error_message": message }),
    };
    let matched = match routes::resolve(method, path) {
        Resolution::Found(m) => m,
        Resolution::MethodNotAllowed(allow) => {
            return Err(refused(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}; use {allow}."),
            ));
        }
        Resolution::NotFound => {
            return Err(refused(
                StatusCode::NOT_FOUND,
                format!("No operation serves {method} {path}."),
            ));
        }
    };
    let row = matched.row();
    let bytes = Bytes::from(body.map(|b| b.to_string()).unwrap_or_default());
    let headers = HeaderMap::new();
    let seq = app.next_seq();
    let req = matched.request(app, seq, method, path, query, &headers, &bytes);
    let response = match (row.handler)(&req) {
        Ok(response) => response,
        Err(e) => e.render(row.family.errors, &app.correlation_id(seq)),
    };
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    if status.is_success() {
        Ok(value)
    } else {
        Err(SeedError {
            status: status.as_u16(),
            body: value,
        })
    }
}

/// Delivers any body to `receiver_url`, signed with endpoint `endpoint_id`'s current secret
/// and carrying its custom headers, and records the delivery.
pub(crate) async fn deliver(
    app: &App,
    endpoint_id: &str,
    receiver_url: &str,
    body: Bytes,
    mut options: DeliveryOptions,
) -> Result<WebhookDelivery, DeliveryError> {
    let (secret, headers) = {
        let store = app.store();
        let endpoint = store
            .webhook_endpoints
            .endpoints
            .iter()
            .find(|e| e.id == endpoint_id)
            .ok_or_else(|| DeliveryError::UnknownEndpoint(endpoint_id.to_owned()))?;
        if !endpoint.enabled {
            return Err(DeliveryError::Disabled(endpoint_id.to_owned()));
        }
        (endpoint.secret.clone(), endpoint.headers.clone())
    };
    options.extra_headers.extend(headers);
    let delivery = WebhookSender::new()
        .send_raw(receiver_url, &secret, body, options)
        .await
        .map_err(DeliveryError::Http)?;
    app.store().deliveries.push(delivery.clone());
    Ok(delivery)
}

impl MockServer {
    /// Runs one API operation in process, to seed state: `seed_request("POST", "/v1/alert-rules",
    /// Some(&json!({...})))` creates an alert rule exactly as the HTTP call would (same
    /// validation, same answer), but without credentials, fault injection or a request-log
    /// entry. Works for every operation of the route table: agents, branches and topics,
    /// webhook endpoints, alert rules, notes and annotations on seeded conversations, chats...
    /// Returns the operation's JSON answer (`null` for empty bodies).
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = polyai_mock::MockServer::start().await;
    /// let rule = server
    ///     .seed_request(
    ///         "POST",
    ///         "/v1/alert-rules",
    ///         Some(&serde_json::json!({
    ///             "name": "p95 latency", "metric": "turn_latency_p95", "operator": ">",
    ///             "threshold_value": 2000, "window_duration": "5m"
    ///         })),
    ///     )
    ///     .await?;
    /// let id = rule["id"].as_str().unwrap_or_default();
    /// assert!(server.set_alert_state(id, "alert", Some(2500)));
    /// # Ok(()) }
    /// ```
    pub async fn seed_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, SeedError> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|_| SeedError {
            status: 405,
            body: serde_json::json!({ "error_message": format!("{method:?} is not an HTTP method") }),
        })?;
        seed(self.app(), &method, path, body).await
    }

    /// Sets an alert rule's evaluated state (`ok`, `alert`, `no_data` or `unknown`) and
    /// current value, as PolyAI's evaluator would; `GET /v1/alerts` then lists the enabled
    /// rules in state `alert`. `false` for an unknown rule or state.
    pub fn set_alert_state(&self, rule_id: &str, state: &str, current_value: Option<i64>) -> bool {
        crate::alerts::set_state(
            &mut self.app().store().alerts,
            rule_id,
            state,
            current_value,
        )
    }

    /// The ids of the account's alert rules, oldest first.
    pub fn alert_rule_ids(&self) -> Vec<String> {
        self.app()
            .store()
            .alerts
            .rules
            .iter()
            .map(|r| r.id.clone())
            .collect()
    }

    /// Stores the handoff state `GET /v1/{account_id}/{project_id}/handoff_state` answers for
    /// conversation `id` (and `shared_id`, when given); replaces an earlier one for `id`.
    pub fn set_handoff_state(&self, id: &str, shared_id: Option<&str>, data: Value) {
        set_handoff(self.app(), id, shared_id, data);
    }

    /// Every external event received (`POST /v1/external-events/webhook`), oldest first.
    pub fn external_events(&self) -> Vec<ExternalEvent> {
        self.app().store().external_events.clone()
    }

    /// Every DNI reservation made, oldest first: `(number, attributes)`.
    pub fn dni_reservations(&self) -> Vec<(String, Value)> {
        self.app()
            .store()
            .dni_reservations
            .iter()
            .map(|r: &DniReservation| (r.dni.clone(), r.attributes.clone()))
            .collect()
    }

    /// Every legacy outbound call triggered, oldest first: `(call_sid, to_number, metadata)`.
    pub fn outbound_calls(&self) -> Vec<(String, String, Value)> {
        self.app()
            .store()
            .outbound_calls
            .iter()
            .map(|c| {
                (
                    c.call_sid.clone(),
                    c.to_number.clone(),
                    serde_json::to_value(&c.metadata).unwrap_or(Value::Null),
                )
            })
            .collect()
    }

    /// A Chat API conversation's turns, `(user message, agent response)`, the greeting first
    /// (with an empty message); `None` for an unknown id.
    pub fn chat_turns(&self, conversation_id: &str) -> Option<Vec<(String, String)>> {
        self.app()
            .store()
            .chats
            .get(conversation_id)
            .map(|c| c.turns.clone())
    }

    /// Every webhook delivery the mock made for an endpoint ([`Self::deliver_to_endpoint`],
    /// [`Self::deliver_body_to_endpoint`], `POST /_mock/deliveries`), oldest first.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.app().store().deliveries.clone()
    }

    /// Delivers ANY body (an event type the SDK does not model yet, a malformed payload...)
    /// to `receiver_url` the way PolyAI delivers to endpoint `endpoint_id`: signed with the
    /// endpoint's **current** secret, with its custom headers. Unlike
    /// [`Self::deliver_to_endpoint`], the endpoint's event-type subscription is not checked
    /// (PolyAI's endpoints can only subscribe to the alert events today).
    ///
    /// ```no_run
    /// # async fn demo(server: polyai_mock::MockServer, endpoint_id: &str) -> Result<(), polyai_mock::DeliveryError> {
    /// let body = serde_json::json!({"event_type": "conversation.ended", "conversation_id": "CA1"});
    /// let delivery = server
    ///     .deliver_body_to_endpoint(endpoint_id, "http://127.0.0.1:3000/webhooks", body.to_string())
    ///     .await?;
    /// assert_eq!(delivery.status, 200);
    /// # Ok(()) }
    /// ```
    pub async fn deliver_body_to_endpoint(
        &self,
        endpoint_id: &str,
        receiver_url: &str,
        body: impl Into<Bytes>,
    ) -> Result<WebhookDelivery, DeliveryError> {
        deliver(
            self.app(),
            endpoint_id,
            receiver_url,
            body.into(),
            DeliveryOptions::default(),
        )
        .await
    }
}

/// Stores (or replaces) a handoff state.
pub(crate) fn set_handoff(app: &App, id: &str, shared_id: Option<&str>, data: Value) {
    let mut store = app.store();
    store.handoff_states.retain(|h| h.id != id);
    store.handoff_states.push(HandoffState {
        id: id.to_owned(),
        shared_id: shared_id.map(str::to_owned),
        data,
    });
}

/// Seeding and read-back hooks of the Agents API's audio cache and telephony and of webhook
/// endpoints (their state lives in those modules; these are the public handle's methods).
impl MockServer {
    /// The ids of the account's webhook endpoints, oldest first.
    pub fn webhook_endpoint_ids(&self) -> Vec<String> {
        webhook_endpoints::endpoint_ids(self.app())
    }

    /// The current signing secret of a webhook endpoint (what create or the latest rotate
    /// returned), or `None` for an unknown id. A test hook: PolyAI never returns it again.
    pub fn webhook_signing_secret(&self, endpoint_id: &str) -> Option<String> {
        webhook_endpoints::signing_secret(self.app(), endpoint_id)
    }

    /// Delivers `event` the way PolyAI would deliver it to a registered endpoint: signed with
    /// the endpoint's **current** secret and carrying its custom headers, but posted to
    /// `receiver_url` (the registered URL is `https://`, which the mock cannot reach without
    /// TLS). `Ok(None)` when nothing would be delivered: the endpoint does not exist, is
    /// disabled, or is not subscribed to the event's type.
    pub async fn deliver_to_endpoint(
        &self,
        endpoint_id: &str,
        receiver_url: &str,
        event: &WebhookEvent,
    ) -> Result<Option<WebhookDelivery>, reqwest::Error> {
        if !webhook_endpoints::subscribed(self.app(), endpoint_id, event.event_type.as_str()) {
            return Ok(None);
        }
        let body = Bytes::from(serde_json::to_vec(event).unwrap_or_default());
        match deliver(
            self.app(),
            endpoint_id,
            receiver_url,
            body,
            DeliveryOptions::default(),
        )
        .await
        {
            Ok(delivery) => Ok(Some(delivery)),
            Err(DeliveryError::Http(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// Adds an entry with `transcript` to an agent's audio cache (as if a call had synthesized
    /// it: PolyAI has no operation that adds one) and returns its id, the next integer after
    /// the largest so far. Its audio is a generated tone of the transcript's duration, cached
    /// now, with no hits. `None` when the agent was deleted.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let server = polyai_mock::MockServer::start().await;
    /// let id = server.add_audio_cache_entry(server.agent_id(), "Your table is booked.").unwrap();
    /// assert_eq!(id, "1007");
    /// # }
    /// ```
    pub fn add_audio_cache_entry(&self, agent_id: &str, transcript: &str) -> Option<String> {
        audio_cache::add_entry(self.app(), agent_id, transcript)
    }

    /// Adds a connector for `client_env` (`sandbox`, `pre-release` or `live`) to an agent and
    /// returns its id: PolyAI has no operation that creates one, so this is how a test gives
    /// an agent more connectors than the three it starts with. `None` when the environment is
    /// not one of the three or the agent was deleted.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let server = polyai_mock::MockServer::start().await;
    /// let id = server.add_connector(server.agent_id(), "live").unwrap();
    /// assert!(id.starts_with("CONNECTOR-"));
    /// # }
    /// ```
    pub fn add_connector(&self, agent_id: &str, client_env: &str) -> Option<String> {
        telephony::add_connector_to(self.app(), agent_id, client_env)
    }

    /// The outbound calls an agent was asked to place through the Agents API, oldest first
    /// (empty for a deleted agent). For the legacy Outbound API's calls see
    /// [`MockServer::outbound_calls`](crate::MockServer::outbound_calls).
    pub fn agent_outbound_calls(&self, agent_id: &str) -> Vec<AgentOutboundCall> {
        telephony::placed_calls(self.app(), agent_id)
    }
}
