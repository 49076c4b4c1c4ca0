//! The Chat API (`openapi/chat.yaml`): production text conversations with the scripted agent.
//!
//! * Every call needs the API key **and** the connector token (`X-TOKEN`), as PolyAI's prose
//!   asks; a missing or wrong token is 401.
//! * `create` takes an optional body (`channel` one of `webchat`, `whatsapp`, `sms`, `api`;
//!   `integration_attributes` an object) and answers 200 `{conversation_id, response}` with the
//!   greeting. Ids are `CHAT-<uuid>`.
//! * `respond` answers with the same script as debug chat (any message containing `bye` ends
//!   the conversation; `human` or `person` hands off to `reception`); a conversation that has
//!   ended answers 410 `ChatConversationEnded`; one idle longer than
//!   [`crate::MockServerBuilder::debug_chat_idle_timeout`] answers 400 `CHAT_TIMEOUT`.
//! * `close` (PUT) ends an open conversation (200 `{success: true}`); closing an ended one is
//!   410. Unknown ids, or ids of another account or project, are 404
//!   `CONVERSATIONS_NOT_FOUND`.

use std::time::Instant;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::debug_chat::{GREETING, script};
use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::util::{hash3, uuid_from};

/// Chat channels PolyAI documents.
const CHANNELS: [&str; 4] = ["webchat", "whatsapp", "sms", "api"];

/// One Chat conversation.
#[derive(Debug, Clone)]
pub(crate) struct ChatSession {
    pub account_id: String,
    pub project_id: String,
    /// `(user message, agent response)`, the greeting first with an empty user message.
    pub turns: Vec<(String, String)>,
    pub ended: bool,
    pub last_active: Instant,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    integration_attributes: Option<Value>,
    variant_id: Option<String>,
    channel: Option<String>,
    asr_lang_code: Option<String>,
    tts_lang_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondBody {
    conversation_id: String,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    conversation_id: String,
}

fn ended() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "ChatConversationEnded",
        "The conversation has ended; start a new one with chat/create.",
    )
}

/// `POST /{version}/{account_id}/{project_id}/chat/create`
pub(crate) fn create(req: &Req<'_>) -> Reply {
    let body: CreateBody = req.json_or_default()?;
    if let Some(channel) = &body.channel
        && !CHANNELS.contains(&channel.as_str())
    {
        return Err(ApiError::validation(format!(
            "channel must be one of webchat, whatsapp, sms, api; got {channel:?}."
        )));
    }
    if let Some(attrs) = &body.integration_attributes
        && !attrs.is_object()
    {
        return Err(ApiError::validation(
            "integration_attributes must be a JSON object.",
        ));
    }
    for (name, value) in [
        ("variant_id", &body.variant_id),
        ("asr_lang_code", &body.asr_lang_code),
        ("tts_lang_code", &body.tts_lang_code),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ApiError::validation(format!(
                "{name} must not be empty when sent."
            )));
        }
    }
    let id = format!(
        "CHAT-{}",
        uuid_from(
            hash3(req.app.instance_key, req.seq, salts::CHAT_ID[0]),
            hash3(req.app.instance_key, req.seq, salts::CHAT_ID[1]),
        )
    );
    let session = ChatSession {
        account_id: req.param("account_id").to_owned(),
        project_id: req.param("project_id").to_owned(),
        turns: vec![(String::new(), GREETING.to_owned())],
        ended: false,
        last_active: Instant::now(),
    };
    req.app.store().chats.insert(id.clone(), session);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "conversation_id": id, "response": GREETING }),
    ))
}

/// Finds the open session `id` of the request's account and project.
fn session<'s>(
    req: &Req<'_>,
    chats: &'s mut std::collections::HashMap<String, ChatSession>,
    id: &str,
) -> Result<&'s mut ChatSession, ApiError> {
    chats
        .get_mut(id)
        .filter(|s| {
            s.account_id == req.param("account_id") && s.project_id == req.param("project_id")
        })
        .ok_or_else(ApiError::conversation_not_found)
}

/// `POST /{version}/{account_id}/{project_id}/chat/respond`
pub(crate) fn respond(req: &Req<'_>) -> Reply {
    let body: RespondBody = req.json()?;
    let mut store = req.app.store();
    let chat = session(req, &mut store.chats, &body.conversation_id)?;
    if chat.ended {
        return Err(ended());
    }
    if let Some(timeout) = req.app.idle_timeout
        && chat.last_active.elapsed() > timeout
    {
        chat.ended = true;
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "CHAT_TIMEOUT",
            "The conversation timed out; start a new one with chat/create.",
        ));
    }
    let message = body.message.unwrap_or_default();
    let answer = script(&message);
    chat.turns.push((message, answer.response.clone()));
    chat.ended = answer.ended || answer.handoff.is_some();
    chat.last_active = Instant::now();
    let handoff = answer.handoff.map_or(
        Value::Null,
        |to| json!({ "destination": to, "reason": "user asked for a person" }),
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "conversation_id": body.conversation_id,
            "response": answer.response,
            "end_conversation": chat.ended,
            "handoff": handoff,
        }),
    ))
}

/// `PUT /{version}/{account_id}/{project_id}/chat/close`
pub(crate) fn close(req: &Req<'_>) -> Reply {
    let body: CloseBody = req.json()?;
    let mut store = req.app.store();
    let chat = session(req, &mut store.chats, &body.conversation_id)?;
    if chat.ended {
        return Err(ended());
    }
    chat.ended = true;
    Ok(json_response(StatusCode::OK, &json!({ "success": true })))
}
