//! Debug chat: a scripted agent with stored sessions.
//!
//! The agent greets on start and answers each message deterministically:
//!
//! | message contains (any case) | reply | node |
//! |---|---|---|
//! | `bye` | a goodbye; `conversationEnded: true` | `goodbye` |
//! | nothing (empty or blank) | asks the user to repeat | `no_input` |
//! | `human` or `person` | a transfer, `handoffDestination: "reception"` | `handoff` |
//! | `book` | offers a booking (function event `check_availability`) | `booking` |
//! | `hour` or `open` | opening hours (cites topic `opening_hours`) | `opening_hours` |
//! | `refund` | asks for the order number (cites topic `refund`) | `refund` |
//! | anything else | echoes it: `You said: "<message>". ...` | `fallback` |

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::data::{AgentDetail, AgentSummary, DetailTurn, Env, StoredAnnotation};
use crate::envelope::{ApiError, json_response};
use crate::request::{self, Req};
use crate::salts;
use crate::time::{now_ms, rfc3339_ms};
use crate::util::{hash3, uuid_from};

/// One exchange of a session.
#[derive(Debug, Clone)]
pub(crate) struct SessionTurn {
    pub user: String,
    pub agent: String,
    pub user_ms: i64,
    pub agent_ms: i64,
    pub node: &'static str,
}

/// A stored debug-chat session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub agent_id: String,
    pub client_env: Env,
    pub asr_lang_code: String,
    pub tts_lang_code: String,
    pub variant_id: Option<String>,
    pub channel: String,
    pub integration_attributes: Value,
    pub started_ms: i64,
    pub last_active: Instant,
    pub turns: Vec<SessionTurn>,
    pub ended: bool,
    pub metadata: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    client_env: Option<String>,
    asr_lang_code: Option<String>,
    tts_lang_code: Option<String>,
    conversation_id: Option<String>,
    variant_id: Option<String>,
    channel: Option<String>,
    integration_attributes: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    client_env: Option<String>,
    asr_lang_code: Option<String>,
    tts_lang_code: Option<String>,
    message: Option<String>,
    metadata: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reply<'a> {
    conversation_id: &'a str,
    user_input: &'a str,
    response: &'a str,
    metadata: Metadata<'a>,
    conversation_ended: bool,
    delayed_response: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    state: Value,
    current_node: &'static str,
    node_trace: Vec<&'static str>,
    metrics: Value,
    function_events: Vec<Value>,
    // PolyAI's documents type these four as optional strings (not nullable): an unset one is
    // left out rather than sent as `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_destination: Option<&'static str>,
    retrieved_topics: Vec<&'static str>,
    retrieved_sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cited_topic: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_flow: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_step: Option<&'static str>,
    llm_requests: Vec<Value>,
    asr_lang_code: &'a str,
    tts_lang_code: &'a str,
}

/// What the scripted agent does with one message (shared with the Chat API).
pub(crate) struct Script {
    pub response: String,
    pub node: &'static str,
    pub topic: Option<&'static str>,
    pub function: Option<(&'static str, Value)>,
    pub handoff: Option<&'static str>,
    pub flow: Option<(&'static str, &'static str)>,
    pub ended: bool,
}

/// The scripted agent's greeting.
pub(crate) const GREETING: &str =
    "Hello! You're chatting with the PolyAI mock agent. How can I help you today?";

/// The scripted agent's answer to `message`.
pub(crate) fn script(message: &str) -> Script {
    let lower = message.to_lowercase();
    let base = |response: String, node| Script {
        response,
        node,
        topic: None,
        function: None,
        handoff: None,
        flow: None,
        ended: false,
    };
    if lower.contains("bye") {
        Script {
            ended: true,
            ..base("Thanks for chatting. Goodbye!".into(), "goodbye")
        }
    } else if lower.trim().is_empty() {
        base(
            "Sorry, I didn't catch that. Could you say that again?".into(),
            "no_input",
        )
    } else if lower.contains("human") || lower.contains("person") {
        Script {
            handoff: Some("reception"),
            function: Some(("transfer_call", json!({"destination": "reception"}))),
            ..base(
                "Of course, I'm transferring you to a colleague now.".into(),
                "handoff",
            )
        }
    } else if lower.contains("book") {
        Script {
            topic: Some("booking"),
            function: Some(("check_availability", json!({"request": message}))),
            flow: Some(("booking_flow", "collect_date")),
            ..base(
                "I can book that for you. Which day would you like to come in?".into(),
                "booking",
            )
        }
    } else if lower.contains("hour") || lower.contains("open") {
        Script {
            topic: Some("opening_hours"),
            ..base(
                "We're open from 9am to 5pm, Monday to Saturday, and from 10am to 4pm on Sundays."
                    .into(),
                "opening_hours",
            )
        }
    } else if lower.contains("refund") {
        Script {
            topic: Some("refund"),
            flow: Some(("refund_flow", "collect_order_number")),
            ..base(
                "I can help with a refund. Could you give me your order number?".into(),
                "refund",
            )
        }
    } else {
        let echo: String = message.chars().take(500).collect();
        base(
            format!("You said: \"{echo}\". I can help with bookings, opening hours and refunds."),
            "fallback",
        )
    }
}

fn client_env(value: Option<&str>) -> Result<Env, ApiError> {
    match value {
        None => Err(ApiError::validation(
            "clientEnv is required (sandbox, pre-release or live).",
        )),
        Some(v) => Env::parse(v).ok_or_else(|| {
            ApiError::validation(format!(
                "clientEnv must be one of sandbox, pre-release, live; got {v:?}."
            ))
        }),
    }
}

fn state_of(session: &Session) -> Value {
    json!({
        "turn_count": session.turns.len(),
        "client_env": session.client_env.as_str(),
        "variant_id": session.variant_id,
        "channel": session.channel,
        "integration_attributes": session.integration_attributes,
        "last_user_input": session.turns.last().map(|t| t.user.clone()),
        "metadata": session.metadata,
    })
}

fn reply(
    status: StatusCode,
    id: &str,
    session: &Session,
    user_input: &str,
    s: &Script,
    node_trace: Vec<&'static str>,
) -> Response {
    let turn = session.turns.len() as u64;
    let h = hash3(salts::DEBUG_CHAT_LATENCY_KEY, turn, id.len() as u64);
    let body = Reply {
        conversation_id: id,
        user_input,
        response: &s.response,
        metadata: Metadata {
            state: state_of(session),
            current_node: s.node,
            node_trace,
            metrics: json!({"turns": turn, "latency_ms": 200 + h % 400}),
            function_events: s
                .function
                .iter()
                .map(
                    |(name, args)| json!({"name": name, "arguments": args, "result": {"ok": true}}),
                )
                .collect(),
            handoff_destination: s.handoff,
            retrieved_topics: s.topic.into_iter().collect(),
            retrieved_sources: s
                .topic
                .map(|t| format!("kb://topics/{t}"))
                .into_iter()
                .collect(),
            cited_topic: s.topic,
            in_flow: s.flow.map(|(f, _)| f),
            in_step: s.flow.map(|(_, st)| st),
            llm_requests: if s.node == "greeting" {
                Vec::new()
            } else {
                vec![
                    json!({"model": "mock-llm-1", "prompt_tokens": 800 + h % 300, "completion_tokens": 20 + h % 40}),
                ]
            },
            asr_lang_code: &session.asr_lang_code,
            tts_lang_code: &session.tts_lang_code,
        },
        conversation_ended: s.ended,
        delayed_response: false,
    };
    json_response(status, &body)
}

/// `POST /v1/agents/{agentId}/debug-chat`
pub(crate) fn start(req: &Req<'_>) -> request::Reply {
    let (app, seq, agent_id) = (req.app, req.seq, req.param("agentId"));
    let b: StartBody = req.json()?;
    let env = client_env(b.client_env.as_deref())?;
    if let Some(attrs) = &b.integration_attributes
        && !attrs.is_object()
    {
        return Err(ApiError::validation(
            "integrationAttributes must be an object.",
        ));
    }
    let id = match b.conversation_id {
        Some(id) if !id.trim().is_empty() => id,
        Some(_) => return Err(ApiError::validation("conversationId must not be empty.")),
        None => format!(
            "AS_CHAT_{}",
            uuid_from(
                hash3(app.instance_key, seq, salts::DEBUG_CHAT_ID[0]),
                hash3(app.instance_key, seq, salts::DEBUG_CHAT_ID[1])
            )
        ),
    };
    if app.data.index_of(&id).is_some() {
        return Err(ApiError::validation(
            "conversationId is already used by another conversation.",
        ));
    }
    let now = now_ms();
    let mut session = Session {
        agent_id: agent_id.to_owned(),
        client_env: env,
        asr_lang_code: b.asr_lang_code.unwrap_or_else(|| "en-GB".into()),
        tts_lang_code: b.tts_lang_code.unwrap_or_else(|| "en-GB".into()),
        variant_id: b.variant_id,
        channel: b.channel.unwrap_or_else(|| "chat.polyai".into()),
        integration_attributes: b
            .integration_attributes
            .unwrap_or_else(|| Value::Object(Map::new())),
        started_ms: now,
        last_active: Instant::now(),
        turns: Vec::new(),
        ended: false,
        metadata: Value::Object(Map::new()),
    };
    session.turns.push(SessionTurn {
        user: String::new(),
        agent: GREETING.into(),
        user_ms: now,
        agent_ms: now,
        node: "greeting",
    });
    let s = Script {
        response: GREETING.into(),
        node: "greeting",
        topic: None,
        function: None,
        handoff: None,
        flow: None,
        ended: false,
    };
    let response = reply(
        StatusCode::CREATED,
        &id,
        &session,
        "",
        &s,
        vec!["start", "greeting"],
    );
    app.store().sessions.insert(id, session);
    Ok(response)
}

/// `POST /v1/agents/{agentId}/debug-chat/{conversationId}`
pub(crate) fn send(req: &Req<'_>) -> request::Reply {
    let (app, agent_id, id) = (req.app, req.param("agentId"), req.param("conversationId"));
    let b: SendBody = req.json()?;
    let env = client_env(b.client_env.as_deref())?;
    if let Some(m) = &b.metadata
        && !m.is_object()
    {
        return Err(ApiError::validation("metadata must be an object."));
    }
    let message = b.message.unwrap_or_default();
    let mut store = app.store();
    let Some(session) = store.sessions.get_mut(id) else {
        return Err(ApiError::conversation_not_found());
    };
    if session.agent_id != agent_id || session.client_env != env {
        // Sessions are found by agent and environment: a different clientEnv misses.
        return Err(ApiError::conversation_not_found());
    }
    if session.ended {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "CONVERSATIONS_NOT_FOUND",
            "Conversation has ended; start a new debug chat session.",
        ));
    }
    if let Some(timeout) = app.idle_timeout
        && session.last_active.elapsed() > timeout
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "CHAT_TIMEOUT",
            "Chat session exceeded the timeout limit.",
        ));
    }
    if let Some(code) = b.asr_lang_code {
        session.asr_lang_code = code;
    }
    if let Some(code) = b.tts_lang_code {
        session.tts_lang_code = code;
    }
    if let Some(m) = b.metadata {
        session.metadata = m;
    }
    let s = script(&message);
    let now = now_ms();
    session.turns.push(SessionTurn {
        user: message.clone(),
        agent: s.response.clone(),
        user_ms: now,
        agent_ms: now + 1,
        node: s.node,
    });
    session.last_active = Instant::now();
    session.ended = s.ended;
    let trace = vec![
        session
            .turns
            .get(session.turns.len().saturating_sub(2))
            .map_or("greeting", |t| t.node),
        s.node,
    ];
    Ok(reply(StatusCode::OK, id, session, &message, &s, trace))
}

/// The conversation detail of a debug-chat session.
pub(crate) fn detail(
    session: &Session,
    id: &str,
    account_id: &str,
    agent_id: &str,
    note: Option<String>,
    annotations: &[StoredAnnotation],
) -> AgentDetail {
    let last_ms = session
        .turns
        .last()
        .map_or(session.started_ms, |t| t.agent_ms);
    let secs = (last_ms - session.started_ms) / 1000;
    let summary = AgentSummary {
        conversation_id: id.to_owned(),
        account_id: account_id.to_owned(),
        project_id: agent_id.to_owned(),
        created_at: Some(rfc3339_ms(session.started_ms)),
        started_at: Some(rfc3339_ms(session.started_ms)),
        finished_at: session.ended.then(|| rfc3339_ms(last_ms)),
        channel: Some(session.channel.clone()),
        from_number: None,
        to_number: None,
        language: Some(session.asr_lang_code.clone()),
        variant_id: session.variant_id.clone(),
        client_env: Some(session.client_env.as_str().to_owned()),
        total_duration: Some(secs),
        polyai_duration: Some(secs),
        duration: Some(secs),
        in_progress: Some(!session.ended),
        handoff: Some(session.turns.iter().any(|t| t.node == "handoff")),
        handoff_destination: session
            .turns
            .iter()
            .any(|t| t.node == "handoff")
            .then(|| "reception".to_owned()),
        handoff_reason: None,
        direction: None,
        tags: vec!["debug-chat".to_owned()],
        poly_score: None,
        short_summary: None,
        deployment_id: None,
        note,
        audio_url: None,
    };
    let turns = session
        .turns
        .iter()
        .enumerate()
        .map(|(j, t)| DetailTurn {
            turn_id: j as u64 + 1,
            user_input: t.user.clone(),
            user_input_dtmf: String::new(),
            user_input_dtmf_finish_key: None,
            user_input_datetime: rfc3339_ms(t.user_ms),
            user_input_audio_url: None,
            agent_response: t.agent.clone(),
            agent_response_datetime: rfc3339_ms(t.agent_ms),
            translated_user_input: None,
            english_agent_response: None,
            asr_lang_code: Some(session.asr_lang_code.clone()),
            tts_lang_code: Some(session.tts_lang_code.clone()),
            barge_in: false,
            latency: Value::Null,
            intents: Vec::new(),
            entities: json!([]),
            is_ood: false,
            is_silence: t.user.is_empty() && j > 0,
            llm_requests: Vec::new(),
            reviews: annotations
                .iter()
                .filter(|a| a.turn_id == j as u64)
                .map(StoredAnnotation::review_json)
                .collect(),
            metadata: json!({"node": t.node}),
        })
        .collect();
    AgentDetail {
        summary,
        turns,
        metrics: json!({}),
        function_events: json!({}),
        annotations: annotations.iter().map(StoredAnnotation::json).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_deterministic() {
        assert!(script("ok bye now").ended);
        assert_eq!(script("").node, "no_input");
        assert_eq!(script("I want to BOOK a table").node, "booking");
        assert_eq!(script("when are you open?").node, "opening_hours");
        assert_eq!(script("refund please").node, "refund");
        assert_eq!(script("a human please").handoff, Some("reception"));
        assert!(
            script("pineapple")
                .response
                .contains("You said: \"pineapple\"")
        );
    }
}
