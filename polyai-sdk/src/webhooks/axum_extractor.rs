//! An axum extractor that verifies a delivery before the handler runs, and the middleware
//! that commits it to the replay guard when the handler succeeds.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Reserved, VerifiedDelivery, Verifier, WebhookError, WebhookEvent};

/// How long PolyAI is asked to wait before retrying an event that is still in flight, in
/// seconds (PolyAI's own schedule waits at least a minute anyway).
const IN_FLIGHT_RETRY_AFTER_SECS: &str = "60";

/// A webhook delivery whose signature and timestamp were verified (and, with a replay guard,
/// whose event is neither being processed nor was processed), with its body parsed into an
/// event; the handler runs only for those.
///
/// The [`Verifier`] comes from the router's state through [`FromRef`], so the state can be
/// the verifier itself or your own state struct with an `impl FromRef<YourState> for
/// Verifier`. The body is read in full, within axum's body limit
/// (`DefaultBodyLimit`, 2 MB unless changed), before verification. Failures are answered
/// with a [`WebhookRejection`].
///
/// # With a replay guard
///
/// Add [`commit_on_success`] to the route:
/// `.route_layer(axum::middleware::from_fn(webhooks::commit_on_success))`. It records the
/// event as processed when the handler answers with a 2xx status, and releases it otherwise
/// (an error status, a panic, a cancelled or timed-out request), so PolyAI's retry is
/// processed. The handler has nothing to call: "processed" means "answered 2xx", as it does
/// for PolyAI. Without the middleware, a verifier with a replay guard cannot know when the
/// handler succeeded, so every delivery is refused with 500
/// ([`WebhookRejection::MissingCommitLayer`]), which PolyAI retries: the mistake shows on the
/// first delivery and loses nothing. Without a replay guard the middleware is not needed.
///
/// Then a retry of a processed event is answered 200 `{"status":"duplicate"}` without running
/// the handler, and one that arrives while the first delivery is still being handled is
/// answered 503 with `Retry-After`, which PolyAI retries.
///
/// ```
/// use axum::{Router, middleware, routing::post};
/// use polyai_sdk::webhooks::{self, InMemoryReplayGuard, VerifiedWebhook, Verifier, WebhookEvent};
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
/// # fn main() -> Result<(), webhooks::WebhookError> {
/// let verifier = Verifier::new("whsec_example")?.replay_guard(InMemoryReplayGuard::new())?;
/// let app: Router = Router::new()
///     .route("/polyai/webhooks", post(receive))
///     .route_layer(middleware::from_fn(webhooks::commit_on_success))
///     .with_state(verifier);
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub struct VerifiedWebhook {
    /// The parsed event.
    pub event: WebhookEvent,
    /// `X-PolyAI-Event-ID`, when sent (always, with a replay guard); the same as
    /// `delivery.event_id`.
    pub event_id: Option<String>,
    /// What the delivery's headers said. Its reservation in the replay guard is held by
    /// [`commit_on_success`], not by this value.
    pub delivery: VerifiedDelivery,
    /// The raw body that was verified.
    pub body: Bytes,
}

/// Why [`VerifiedWebhook`] did not run the handler. As a response it is a small JSON object,
/// `{"error": "<code>", "message": "<what was wrong>"}`, without any secret, with status:
///
/// - **401** when authentication failed: stale or future timestamp, wrong signature;
/// - **400** when the request is malformed: missing or unreadable header, malformed
///   timestamp or signature, or an authentic body that is not an event;
/// - **200** with `{"status": "duplicate", "event_id": "..."}` for a delivery of an event
///   that was already processed, so PolyAI stops retrying it;
/// - **503** with `Retry-After: 60` for a delivery of an event that another request is still
///   processing, so PolyAI retries it later;
/// - **500** when the receiver is misconfigured ([`WebhookRejection::MissingCommitLayer`]);
/// - the body rejection's own status (413 over the body limit, 400 otherwise) when the body
///   could not be read.
///
/// PolyAI does not retry a delivery answered with 400 or 401, and does retry 5xx; a correctly
/// signed delivery is never answered 401.
#[derive(Debug)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub enum WebhookRejection {
    /// The request body could not be read (too large, or the connection failed).
    Body(BytesRejection),
    /// Verification or parsing failed, or the event is a duplicate or in flight.
    Invalid(WebhookError),
    /// The verifier has a replay guard but the route lacks the [`commit_on_success`]
    /// middleware, so nothing would record the event as processed.
    MissingCommitLayer,
}

impl WebhookRejection {
    /// The HTTP status this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::Body(rejection) => rejection.status(),
            WebhookRejection::MissingCommitLayer => StatusCode::INTERNAL_SERVER_ERROR,
            WebhookRejection::Invalid(error) if error.is_configuration_error() => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            WebhookRejection::Invalid(WebhookError::Duplicate { .. }) => StatusCode::OK,
            WebhookRejection::Invalid(WebhookError::InFlight { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
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
            WebhookRejection::MissingCommitLayer => "missing_commit_layer",
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
            WebhookRejection::MissingCommitLayer => f.write_str(
                "the webhook verifier has a replay guard but the route has no commit layer: add \
                 `.route_layer(axum::middleware::from_fn(polyai_sdk::webhooks::commit_on_success))` \
                 to the route of the VerifiedWebhook handler",
            ),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookRejection::Body(rejection) => Some(rejection),
            WebhookRejection::Invalid(error) => Some(error),
            WebhookRejection::MissingCommitLayer => None,
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            WebhookRejection::Invalid(WebhookError::Duplicate { event_id }) => {
                let body = serde_json::json!({ "status": "duplicate", "event_id": event_id });
                (status, axum::Json(body)).into_response()
            }
            _ => {
                let body = serde_json::json!({ "error": self.code(), "message": self.to_string() });
                let mut response = (status, axum::Json(body)).into_response();
                if matches!(
                    self,
                    WebhookRejection::Invalid(WebhookError::InFlight { .. })
                ) {
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from_static(IN_FLIGHT_RETRY_AFTER_SECS),
                    );
                }
                response
            }
        }
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
        let slot = request.extensions_mut().remove::<CommitSlot>();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(WebhookRejection::Body)?;
        match verifier.verify_event(&headers, &body) {
            Ok(mut verified) => {
                if let Some(reservation) = verified.delivery.take_reservation() {
                    let Some(slot) = slot else {
                        // Dropping the reservation releases it: the retry of the 500 is
                        // processed once the route is fixed.
                        tracing::error!(
                            "a PolyAI webhook was refused: {}",
                            WebhookRejection::MissingCommitLayer
                        );
                        return Err(WebhookRejection::MissingCommitLayer);
                    };
                    slot.put(reservation);
                }
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

/// Where [`commit_on_success`] receives the reservation of the delivery the extractor
/// verified. The middleware holds the only other handle, so when its future is dropped
/// (a panic unwinding through it, a cancelled request) the reservation is dropped and
/// released.
#[derive(Clone, Default)]
struct CommitSlot(Arc<Mutex<Option<Reserved>>>);

impl CommitSlot {
    fn put(&self, reservation: Reserved) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(reservation);
    }

    fn take(&self) -> Option<Reserved> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Middleware for routes whose handler takes a [`VerifiedWebhook`] from a verifier with a
/// replay guard: it commits the delivery's reservation when the handler's response has a 2xx
/// status, and releases it otherwise, so PolyAI's retry of a delivery that failed is
/// processed and a retry of one that succeeded is answered as a duplicate.
///
/// A handler that returns an error status, panics, or whose request is cancelled or times out
/// (its future is dropped) releases the event. Add it with
/// `.route_layer(axum::middleware::from_fn(polyai_sdk::webhooks::commit_on_success))`; see
/// [`VerifiedWebhook`].
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub async fn commit_on_success(mut request: Request, next: Next) -> Response {
    let slot = CommitSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    if let Some(mut reservation) = slot.take() {
        if response.status().is_success() {
            reservation.commit();
        } else {
            tracing::debug!(
                status = response.status().as_u16(),
                "a PolyAI webhook handler failed; its event is released for PolyAI's retry"
            );
        }
    }
    response
}
