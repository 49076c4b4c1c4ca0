//! Handoff state (`openapi/handoff.yaml`): what an agent recorded about a conversation it
//! handed off.
//!
//! PolyAI's agents write this state during calls; the mock has no calls, so a test seeds it
//! ([`crate::MockServer::set_handoff_state`], or `POST /_mock/handoff-states`). `id` or
//! `shared_id` is required (400 otherwise); `shared_id` wins when both are sent; unknown ids
//! are 404. Errors are `{error_message}` bodies.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};

/// One seeded handoff state.
#[derive(Debug, Clone)]
pub(crate) struct HandoffState {
    pub id: String,
    pub shared_id: Option<String>,
    pub data: Value,
}

/// `GET /v1/{account_id}/{project_id}/handoff_state`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let shared = req.query_first("shared_id").filter(|s| !s.is_empty());
    let id = req.query_first("id").filter(|s| !s.is_empty());
    if shared.is_none() && id.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Send the conversation's id or shared_id as a query parameter.",
        ));
    }
    let store = req.app.store();
    let found = store.handoff_states.iter().find(|h| match shared {
        Some(s) => h.shared_id.as_deref() == Some(s),
        None => Some(h.id.as_str()) == id,
    });
    let state = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No handoff state for this conversation.",
        )
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "id": state.id, "shared_id": state.shared_id, "data": state.data }),
    ))
}
