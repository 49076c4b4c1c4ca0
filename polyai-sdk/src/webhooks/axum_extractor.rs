//! An axum extractor that verifies a delivery before the handler runs.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Verifier, WebhookError, WebhookEvent};

/// Deliveries larger than this are refused (PolyAI's events are a few hundred bytes).
const BODY_LIMIT: usize = 1024 * 1024;

/// A delivery whose signature, timestamp (and, with a replay guard, event id) were verified,
/// parsed into an event. The [`Verifier`] comes from the router's state through
/// [`FromRef`]:
///
/// ```
/// use axum::{Router, routing::post};
/// use polyai_sdk::webhooks::{Verifier, VerifiedWebhook};
///
/// async fn receive(webhook: VerifiedWebhook) -> &'static str {
///     println!("{} ({:?})", webhook.event.event_type(), webhook.event_id);
///     "ok"
/// }
///
/// let app: Router = Router::new()
///     .route("/polyai/webhooks", post(receive))
///     .with_state(Verifier::new("whsec_example"));
/// ```
#[derive(Clone, Debug)]
pub struct VerifiedWebhook {
    /// The parsed event.
    pub event: WebhookEvent,
    /// `X-PolyAI-Event-ID`, when sent.
    pub event_id: Option<String>,
    /// The raw body that was verified.
    pub body: Bytes,
}

/// Why the extractor refused a delivery: 400 for missing or malformed headers and bodies that
/// are not events, 401 for signatures, timestamps and replays that fail; 413 for bodies over
/// 1 MiB. The response body is a small JSON object without any secret.
#[derive(Debug)]
pub struct WebhookRejection {
    /// The status sent back.
    pub status: StatusCode,
    /// What was wrong, when verification ran.
    pub error: Option<WebhookError>,
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let message = match &self.error {
            Some(error) => error.to_string(),
            None => "the webhook body could not be read".to_string(),
        };
        let body = serde_json::json!({ "error": message });
        (self.status, axum::Json(body)).into_response()
    }
}

fn status_for(error: &WebhookError) -> StatusCode {
    match error {
        WebhookError::TimestampTooOld { .. }
        | WebhookError::TimestampInFuture { .. }
        | WebhookError::SignatureMismatch
        | WebhookError::Replayed { .. }
        | WebhookError::NoSecrets => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| WebhookRejection {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                error: None,
            })?;
        let reject = |error: WebhookError| WebhookRejection {
            status: status_for(&error),
            error: Some(error),
        };
        let delivery = verifier.verify(&parts.headers, &body).map_err(reject)?;
        let event = super::parse_event(&body, delivery.event_id.clone()).map_err(reject)?;
        tracing::debug!(event_type = event.event_type(), event_id = ?delivery.event_id, "verified PolyAI webhook");
        Ok(VerifiedWebhook {
            event,
            event_id: delivery.event_id,
            body,
        })
    }
}
