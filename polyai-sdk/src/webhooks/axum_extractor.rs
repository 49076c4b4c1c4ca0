//! An axum extractor that verifies a delivery before the handler runs.

use std::fmt;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{VerifiedDelivery, Verifier, WebhookError, WebhookEvent};

/// A webhook delivery whose signature, timestamp (and, with a replay guard, novelty) were
/// verified, with its body parsed into an event; the handler runs only for those.
///
/// The [`Verifier`] comes from the router's state through [`FromRef`], so the state can be
/// the verifier itself or your own state struct with an `impl FromRef<YourState> for
/// Verifier`. The body is read in full, within axum's body limit
/// (`DefaultBodyLimit`, 2 MB unless changed), before verification. Failures are answered
/// with a [`WebhookRejection`].
///
/// ```
/// use axum::{Router, routing::post};
/// use polyai_sdk::webhooks::{InMemoryReplayGuard, VerifiedWebhook, Verifier, WebhookEvent};
///
/// async fn receive(webhook: VerifiedWebhook) -> &'static str {
///     match &webhook.event {
///         WebhookEvent::AlertTriggered(event) => {
///             tracing::warn!(alert = ?event.alert.name, "PolyAI alert triggered");
///         }
///         WebhookEvent::AlertResolved(_) => {}
///         _ => {}
///     }
///     "ok"
/// }
///
/// let verifier = Verifier::new("whsec_example").replay_guard(InMemoryReplayGuard::new());
/// let app: Router = Router::new()
///     .route("/polyai/webhooks", post(receive))
///     .with_state(verifier);
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The parsed event.
    pub event: WebhookEvent,
    /// `X-PolyAI-Event-ID`, when sent (always, with a replay guard); the same as
    /// `delivery.event_id`.
    pub event_id: Option<String>,
    /// What the delivery's headers said; pass it to [`Verifier::forget`] if the handler fails
    /// and wants PolyAI to retry.
    pub delivery: VerifiedDelivery,
    /// The raw body that was verified.
    pub body: Bytes,
}

/// Why [`VerifiedWebhook`] refused a request. As a response it is a small JSON object,
/// `{"error": "<code>", "message": "<what was wrong>"}`, without any secret, with status:
///
/// - **401** when authentication failed: stale or future timestamp, wrong signature, replay;
/// - **400** when the request is malformed: missing or unreadable header, malformed
///   timestamp or signature, or an authentic body that is not an event;
/// - the body rejection's own status (413 over the body limit, 400 otherwise) when the body
///   could not be read.
///
/// PolyAI does not retry a delivery answered with 400 or 401.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The request body could not be read (too large, or the connection failed).
    Body(BytesRejection),
    /// Verification or parsing failed.
    Invalid(WebhookError),
}

impl WebhookRejection {
    /// The HTTP status this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::Body(rejection) => rejection.status(),
            WebhookRejection::Invalid(WebhookError::NoSecrets) => StatusCode::INTERNAL_SERVER_ERROR,
            WebhookRejection::Invalid(error) if error.is_authentication_failure() => {
                StatusCode::UNAUTHORIZED
            }
            WebhookRejection::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The machine-readable code sent as `error` in the response body.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookRejection::Body(_) => "unreadable_body",
            WebhookRejection::Invalid(error) => error.code(),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::Body(rejection) => {
                write!(
                    f,
                    "the webhook body could not be read: {}",
                    rejection.body_text()
                )
            }
            WebhookRejection::Invalid(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookRejection::Body(rejection) => Some(rejection),
            WebhookRejection::Invalid(error) => Some(error),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code(), "message": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    S: Send + Sync,
    Verifier: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(mut request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let headers = std::mem::take(request.headers_mut());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(WebhookRejection::Body)?;
        match verifier.verify_event(&headers, &body) {
            Ok(verified) => {
                tracing::debug!(
                    event_type = verified.event.event_type(),
                    event_id = ?verified.delivery.event_id,
                    "verified a PolyAI webhook delivery"
                );
                Ok(VerifiedWebhook {
                    event: verified.event,
                    event_id: verified.delivery.event_id.clone(),
                    delivery: verified.delivery,
                    body,
                })
            }
            Err(error) => {
                tracing::debug!(
                    error = error.code(),
                    "refused a PolyAI webhook delivery: {error}"
                );
                Err(WebhookRejection::Invalid(error))
            }
        }
    }
}
