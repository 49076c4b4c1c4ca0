//! Typed webhook events.
//!
//! PolyAI publishes no schema for webhook payloads. The shape modelled here is the one its
//! Alerts documentation showed: a JSON object with an `event_type` string and, for alert
//! events, an `alert` object. The event id travels in the `X-PolyAI-Event-ID` header, not in
//! the body. Decoding is lenient: unknown fields are ignored, every alert field is optional
//! and a field of an unexpected type reads as `None`; the whole body is always kept as a
//! [`serde_json::Value`].

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::WebhookError;

/// A webhook event, parsed from a verified body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `alerts.triggered`: an alert rule's condition started to hold.
    AlertTriggered(AlertEvent),
    /// `alerts.resolved`: an alert rule's condition stopped holding.
    AlertResolved(AlertEvent),
    /// An event type this version of the SDK does not know yet: PolyAI's documents define
    /// only the two alert events, while its prose mentions conversation and handoff events
    /// (see the [module docs](super#events-beyond-alerts)). The verified raw body is in
    /// [`VerifiedEvent::body`](super::VerifiedEvent::body) (and `VerifiedWebhook::body`).
    Unknown {
        /// The body's `event_type`, as sent.
        event_type: String,
        /// The whole body.
        payload: Value,
    },
}

impl WebhookEvent {
    /// The `event_type` of an alert rule that started firing.
    pub const ALERTS_TRIGGERED: &'static str = "alerts.triggered";
    /// The `event_type` of an alert rule that stopped firing.
    pub const ALERTS_RESOLVED: &'static str = "alerts.resolved";

    /// Parses a body into an event. Call it only on a body whose signature was verified
    /// (the [`Verifier`](super::Verifier)'s `verify_event` does both).
    ///
    /// Fails with [`WebhookError::InvalidPayload`] if the body is not a JSON object with a
    /// string `event_type`, or if an alert event's `alert` is present but not an object.
    pub fn parse(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let payload: Value = serde_json::from_slice(body)
            .map_err(|error| WebhookError::InvalidPayload(format!("not JSON: {error}")))?;
        let Some(object) = payload.as_object() else {
            return Err(WebhookError::InvalidPayload(
                "the JSON is not an object".to_owned(),
            ));
        };
        let event_type = match object.get("event_type") {
            Some(Value::String(event_type)) => event_type.clone(),
            Some(_) => {
                return Err(WebhookError::InvalidPayload(
                    "event_type is not a string".to_owned(),
                ));
            }
            None => {
                return Err(WebhookError::InvalidPayload(
                    "there is no event_type".to_owned(),
                ));
            }
        };
        let alert = match object.get("alert") {
            None | Some(Value::Null) => Alert::default(),
            Some(value @ Value::Object(_)) => Alert::deserialize(value)
                .map_err(|error| WebhookError::InvalidPayload(format!("alert: {error}")))?,
            Some(_) if !event_type.starts_with("alerts.") => Alert::default(),
            Some(_) => {
                return Err(WebhookError::InvalidPayload(
                    "alert is not an object".to_owned(),
                ));
            }
        };
        Ok(match event_type.as_str() {
            Self::ALERTS_TRIGGERED => WebhookEvent::AlertTriggered(AlertEvent { alert, payload }),
            Self::ALERTS_RESOLVED => WebhookEvent::AlertResolved(AlertEvent { alert, payload }),
            _ => WebhookEvent::Unknown {
                event_type,
                payload,
            },
        })
    }

    /// The event type as sent (`alerts.triggered`, `alerts.resolved`, or an unknown one).
    pub fn event_type(&self) -> &str {
        match self {
            WebhookEvent::AlertTriggered(_) => Self::ALERTS_TRIGGERED,
            WebhookEvent::AlertResolved(_) => Self::ALERTS_RESOLVED,
            WebhookEvent::Unknown { event_type, .. } => event_type,
        }
    }

    /// The whole body as JSON, including fields this version does not model.
    pub fn payload(&self) -> &Value {
        match self {
            WebhookEvent::AlertTriggered(event) | WebhookEvent::AlertResolved(event) => {
                &event.payload
            }
            WebhookEvent::Unknown { payload, .. } => payload,
        }
    }

    /// The alert of an `alerts.*` event.
    pub fn alert(&self) -> Option<&Alert> {
        match self {
            WebhookEvent::AlertTriggered(event) | WebhookEvent::AlertResolved(event) => {
                Some(&event.alert)
            }
            WebhookEvent::Unknown { .. } => None,
        }
    }
}

/// The payload of an `alerts.triggered` or `alerts.resolved` event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AlertEvent {
    /// The body's `alert` object (all fields empty if the body had none).
    pub alert: Alert,
    /// The whole body, for fields this version does not model.
    pub payload: Value,
}

/// The alert rule an alert event is about. Every field is optional (PolyAI publishes no
/// schema for it); a field sent with an unexpected type reads as `None`, and numbers sent as
/// strings are read as numbers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Alert {
    /// The alert rule's id (`ar_...`).
    #[serde(deserialize_with = "lenient_string")]
    pub id: Option<String>,
    /// The alert rule's name.
    #[serde(deserialize_with = "lenient_string")]
    pub name: Option<String>,
    /// The project (agent) the rule watches; absent or `null` for a workspace-wide rule.
    #[serde(deserialize_with = "lenient_string")]
    pub project_id: Option<String>,
    /// The metric watched (`turn_latency_p50`, `turn_latency_p95`, `api_errors`,
    /// `function_errors`, `call_crashes`, `call_volume`, or a newer one).
    #[serde(deserialize_with = "lenient_string")]
    pub metric: Option<String>,
    /// The comparison (`>`, `<`, `>=`, `<=`).
    #[serde(deserialize_with = "lenient_string")]
    pub operator: Option<String>,
    /// The rule's threshold.
    #[serde(deserialize_with = "lenient_number")]
    pub threshold_value: Option<f64>,
    /// The metric's value when the event fired.
    #[serde(deserialize_with = "lenient_number")]
    pub current_value: Option<f64>,
    /// The rule's state before this event (`ok`, `alert`, `no_data`, `unknown`).
    #[serde(deserialize_with = "lenient_string")]
    pub previous_state: Option<String>,
    /// When the rule started firing (RFC 3339), on `alerts.triggered`.
    #[serde(deserialize_with = "lenient_string")]
    pub triggered_at: Option<String>,
    /// When the rule stopped firing (RFC 3339), on `alerts.resolved`.
    #[serde(deserialize_with = "lenient_string")]
    pub resolved_at: Option<String>,
}

/// A string, or a number or boolean written out; anything else is `None`.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    })
}

/// A number, or a string holding one; anything else is `None`.
fn lenient_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text
            .trim()
            .parse()
            .ok()
            .filter(|value: &f64| value.is_finite()),
        _ => None,
    })
}
