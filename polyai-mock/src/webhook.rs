//! Sending signed webhook deliveries, as PolyAI does.
//!
//! A delivery is an HTTP `POST` of a JSON event with three headers:
//! `X-PolyAI-Timestamp` (Unix seconds), `X-PolyAI-Event-ID` and `X-PolyAI-Signature`, the
//! lowercase hex HMAC-SHA256 keyed with the endpoint secret's UTF-8 bytes over
//! `"{timestamp}.{raw body}"`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::salts;
use crate::time::{now_ms, rfc3339_offset};
use crate::util::{hash3, hex};

/// The event types PolyAI delivers today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WebhookEventType {
    /// `alerts.triggered`: an alert rule crossed its threshold.
    #[serde(rename = "alerts.triggered")]
    AlertsTriggered,
    /// `alerts.resolved`: an alert returned to normal.
    #[serde(rename = "alerts.resolved")]
    AlertsResolved,
}

impl WebhookEventType {
    /// The wire name (`alerts.triggered` or `alerts.resolved`).
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEventType::AlertsTriggered => "alerts.triggered",
            WebhookEventType::AlertsResolved => "alerts.resolved",
        }
    }
}

/// The `alert` object of an alert event (the shape of PolyAI's former Alerts page examples).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertPayload {
    /// Alert rule id (`ar_...`).
    pub id: String,
    /// Rule name.
    pub name: String,
    /// Project the alert is about.
    pub project_id: String,
    /// Metric (`turn_latency_p95`, `api_errors`, ...).
    pub metric: String,
    /// Comparison operator (`>`, `<`, `>=`, `<=`).
    pub operator: String,
    /// Threshold of the rule.
    pub threshold_value: u64,
    /// The value that was measured.
    pub current_value: f64,
    /// State before this event (`ok`, `alert`, ...).
    pub previous_state: String,
    /// When the alert fired (RFC 3339), for `alerts.triggered`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triggered_at: Option<String>,
    /// When the alert cleared (RFC 3339), for `alerts.resolved`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// A webhook event: `{"event_type": ..., "alert": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// The event type.
    pub event_type: WebhookEventType,
    /// The alert the event is about.
    pub alert: AlertPayload,
}

impl WebhookEvent {
    /// A sample `alerts.triggered` event for `project_id`: p95 turn latency above 1500 ms.
    pub fn alert_triggered(project_id: &str) -> Self {
        Self {
            event_type: WebhookEventType::AlertsTriggered,
            alert: AlertPayload {
                id: "ar_mock0001".into(),
                name: "Turn latency p95 too high".into(),
                project_id: project_id.into(),
                metric: "turn_latency_p95".into(),
                operator: ">".into(),
                threshold_value: 1500,
                current_value: 2140.5,
                previous_state: "ok".into(),
                triggered_at: Some(rfc3339_offset(now_ms())),
                resolved_at: None,
            },
        }
    }

    /// A sample `alerts.resolved` event for `project_id` (the same rule back to normal).
    pub fn alert_resolved(project_id: &str) -> Self {
        Self {
            event_type: WebhookEventType::AlertsResolved,
            alert: AlertPayload {
                current_value: 980.0,
                previous_state: "alert".into(),
                triggered_at: None,
                resolved_at: Some(rfc3339_offset(now_ms())),
                ..Self::alert_triggered(project_id).alert
            },
        }
    }
}

/// Lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with `secret`'s UTF-8 bytes.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC accepts keys of any length; this branch is unreachable in practice.
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// The outcome of one delivery.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    /// The receiver's HTTP status.
    pub status: u16,
    /// The receiver's response body.
    pub response_body: Bytes,
    /// The `X-PolyAI-Event-ID` sent.
    pub event_id: String,
    /// The `X-PolyAI-Timestamp` sent.
    pub timestamp: u64,
    /// The `X-PolyAI-Signature` sent.
    pub signature: String,
    /// The exact body bytes sent (what was signed).
    pub body: Bytes,
}

/// Options of one delivery beyond the event itself.
#[derive(Clone, Default)]
pub struct DeliveryOptions {
    /// Send this timestamp instead of now (to test stale or future timestamps).
    pub timestamp: Option<u64>,
    /// Send this event id instead of a fresh one (to test de-duplication of retries).
    pub event_id: Option<String>,
    /// Sign with this secret instead of the delivery secret (to test bad signatures).
    pub signing_secret_override: Option<String>,
    /// Extra headers (PolyAI sends an endpoint's configured custom headers too).
    pub extra_headers: Vec<(String, String)>,
}

/// Redacts the signing-secret override and the extra headers' values (they may carry tokens).
impl std::fmt::Debug for DeliveryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.extra_headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("DeliveryOptions")
            .field("timestamp", &self.timestamp)
            .field("event_id", &self.event_id)
            .field(
                "signing_secret_override",
                &self.signing_secret_override.as_ref().map(|_| "<redacted>"),
            )
            .field("extra_headers", &names)
            .finish()
    }
}

/// Posts signed webhook events to a URL (plain `http://` only: the mock is built without TLS).
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
}

impl Default for WebhookSender {
    fn default() -> Self {
        Self::new()
    }
}

static EVENT_COUNTER: AtomicU64 = AtomicU64::new(0);

fn fresh_event_id() -> String {
    let n = EVENT_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!(
        "evt_{}",
        &hex(&hash3(t, n, salts::WEBHOOK_EVENT_ID).to_be_bytes())[..16]
    )
}

impl WebhookSender {
    /// A sender with a 10-second timeout.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { client }
    }

    /// Sends `event` to `url`, signed with `secret`, and returns the receiver's answer.
    pub async fn send(
        &self,
        url: &str,
        secret: &str,
        event: &WebhookEvent,
    ) -> Result<WebhookDelivery, reqwest::Error> {
        self.send_with(url, secret, event, DeliveryOptions::default())
            .await
    }

    /// Sends `event` with [`DeliveryOptions`].
    pub async fn send_with(
        &self,
        url: &str,
        secret: &str,
        event: &WebhookEvent,
        options: DeliveryOptions,
    ) -> Result<WebhookDelivery, reqwest::Error> {
        let body = serde_json::to_vec(event).unwrap_or_default();
        self.send_raw(url, secret, Bytes::from(body), options).await
    }

    /// Sends arbitrary body bytes, signed like an event.
    pub async fn send_raw(
        &self,
        url: &str,
        secret: &str,
        body: Bytes,
        options: DeliveryOptions,
    ) -> Result<WebhookDelivery, reqwest::Error> {
        let timestamp = options.timestamp.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
        let event_id = options.event_id.unwrap_or_else(fresh_event_id);
        let key = options.signing_secret_override.as_deref().unwrap_or(secret);
        let signature = sign(key, timestamp, &body);
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "PolyAI-Webhooks/1.0 (polyai-mock)")
            .header("X-PolyAI-Timestamp", timestamp.to_string())
            .header("X-PolyAI-Signature", &signature)
            .header("X-PolyAI-Event-ID", &event_id);
        for (name, value) in &options.extra_headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.body(body.clone()).send().await?;
        let status = response.status().as_u16();
        let response_body = response.bytes().await.unwrap_or_default();
        Ok(WebhookDelivery {
            status,
            response_body,
            event_id,
            timestamp,
            signature,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // computed independently (Python's hmac module): HMAC-SHA256("key", "1.{}")
        let sig = sign("key", 1, b"{}");
        assert_eq!(
            sig,
            "1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(sig, sign("key2", 1, b"{}"));
    }

    #[test]
    fn events_serialise_as_documented() {
        let v = serde_json::to_value(WebhookEvent::alert_resolved("PROJECT-1")).unwrap();
        assert_eq!(v["event_type"], "alerts.resolved");
        assert_eq!(v["alert"]["previous_state"], "alert");
        assert!(v["alert"].get("triggered_at").is_none());
        assert!(v["alert"]["resolved_at"].is_string());
    }
}
