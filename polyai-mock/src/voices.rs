//! The Agents API's voice library: the voices an account's agents can speak with, kept per
//! account.
//!
//! Every account starts with four of PolyAI's curated voices (`isPolyVoice: true`); voices
//! registered with `create_voice` are the account's own (`isPolyVoice: false`, ids
//! `VOICE-XXXXXXXX`). The `language` and `gender` filters match the voice's `metadata`
//! (`voiceMetadata` on create and update) exactly, `provider` matches case-insensitively, and
//! filters combine. A sample is a link the mock does not serve (an `https://` URL under
//! `example.invalid`) valid for 3600 seconds; its text names the voice.
//!
//! | situation | answer |
//! |---|---|
//! | an unknown voice id (in this account) | 404 `VOICE_NOT_FOUND` |
//! | changing one of PolyAI's curated voices | 403 `USER_ACCESS_FORBIDDEN` |
//! | `isPolyVoice` not `true`/`false`, `gender` not `male`/`female`/`neutral` | 400 `VOICES_VALIDATION_FAILED` |
//! | a missing or empty `name`, `provider` or `providerVoiceId`, a `config` that is not an object | 400 `VOICES_VALIDATION_FAILED` |
//!
//! PolyAI documents none of these codes; they are the mock's.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req, parse_json};
use crate::salts;
use crate::util::token;

/// How long a sample link lasts, in seconds.
const SAMPLE_TTL_SECONDS: u64 = 3600;
/// The genders the `gender` filter accepts.
const GENDERS: [&str; 3] = ["male", "female", "neutral"];
/// PolyAI's curated voices every account starts with:
/// `(id, name, provider, providerVoiceId, language, gender)`.
const CURATED: [(&str, &str, &str, &str, &str, &str); 4] = [
    (
        "VOICE-POLY0001",
        "Amelia",
        "ELEVENLABS",
        "pNInz6obpgDQGcFmaJgB",
        "en-GB",
        "female",
    ),
    (
        "VOICE-POLY0002",
        "Oliver",
        "ELEVENLABS",
        "TxGEqnHWrfWFTfGW9XjX",
        "en-GB",
        "male",
    ),
    (
        "VOICE-POLY0003",
        "Harper",
        "GOOGLE",
        "en-US-Neural2-F",
        "en-US",
        "female",
    ),
    (
        "VOICE-POLY0004",
        "Rowan",
        "GOOGLE",
        "en-US-Neural2-D",
        "en-US",
        "neutral",
    ),
];

#[derive(Debug, Clone)]
struct Voice {
    id: String,
    name: String,
    provider: String,
    provider_voice_id: String,
    config: Map<String, Value>,
    metadata: Map<String, Value>,
    is_poly_voice: bool,
}

impl Voice {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "providerVoiceId": self.provider_voice_id,
            "config": self.config,
            "metadata": self.metadata,
            "isPolyVoice": self.is_poly_voice,
        })
    }

    fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

/// Every account's voice library.
#[derive(Debug, Default)]
pub(crate) struct VoiceStore {
    accounts: HashMap<String, Vec<Voice>>,
    counter: u64,
}

impl VoiceStore {
    fn library(&mut self, account_id: &str) -> &mut Vec<Voice> {
        self.accounts
            .entry(account_id.to_owned())
            .or_insert_with(|| {
                CURATED
                    .iter()
                    .map(
                        |(id, name, provider, provider_voice_id, language, gender)| {
                            let mut metadata = Map::new();
                            metadata.insert("language".into(), json!(language));
                            metadata.insert("gender".into(), json!(gender));
                            Voice {
                                id: (*id).to_owned(),
                                name: (*name).to_owned(),
                                provider: (*provider).to_owned(),
                                provider_voice_id: (*provider_voice_id).to_owned(),
                                config: Map::new(),
                                metadata,
                                is_poly_voice: true,
                            }
                        },
                    )
                    .collect()
            })
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "VOICES_VALIDATION_FAILED", message)
}

fn invalid_body(message: String) -> ApiError {
    invalid(message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "VOICE_NOT_FOUND",
        format!("Voice {id} is not in this account's library."),
    )
}

fn required(field: &str, value: Option<String>) -> Result<String, ApiError> {
    match value {
        Some(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
        _ => Err(invalid(format!(
            "{field} is required and must not be empty."
        ))),
    }
}

fn optional(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.trim().is_empty() => {
            Err(invalid(format!("{field} must not be empty when given.")))
        }
        other => Ok(other.map(|t| t.trim().to_owned())),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VoiceBody {
    name: Option<String>,
    provider: Option<String>,
    provider_voice_id: Option<String>,
    config: Option<Map<String, Value>>,
    voice_metadata: Option<Map<String, Value>>,
}

/// `GET /v1/accounts/{accountId}/voice-library[?language&gender&provider&isPolyVoice]`
pub(crate) fn list(req: &Req<'_>) -> Reply {
    let gender = req.query_first("gender");
    if let Some(g) = gender
        && !GENDERS.contains(&g)
    {
        return Err(invalid(format!(
            "gender must be male, female or neutral; got {g:?}."
        )));
    }
    let poly = match req.query_first("isPolyVoice") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(invalid(format!(
                "isPolyVoice must be true or false; got {other:?}."
            )));
        }
    };
    let language = req.query_first("language");
    let provider = req.query_first("provider");
    let mut store = req.app.store();
    let voices: Vec<Value> = store
        .voices
        .library(req.param("accountId"))
        .iter()
        .filter(|v| language.is_none_or(|l| v.meta("language") == Some(l)))
        .filter(|v| gender.is_none_or(|g| v.meta("gender") == Some(g)))
        .filter(|v| provider.is_none_or(|p| v.provider.eq_ignore_ascii_case(p)))
        .filter(|v| poly.is_none_or(|p| v.is_poly_voice == p))
        .map(Voice::to_json)
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "voices": voices })))
}

/// `POST /v1/accounts/{accountId}/voice-library`: 200 `{voice}`.
pub(crate) fn create(req: &Req<'_>) -> Reply {
    let body: VoiceBody = parse_json(req.body, None, invalid_body, invalid_body)?;
    let name = required("name", body.name)?;
    let provider = required("provider", body.provider)?;
    let provider_voice_id = required("providerVoiceId", body.provider_voice_id)?;
    let config = body
        .config
        .ok_or_else(|| invalid("config is required (an object of provider settings)."))?;
    let mut store = req.app.store();
    store.voices.counter += 1;
    let n = store.voices.counter;
    let voice = Voice {
        id: format!(
            "VOICE-{}",
            token(req.app.instance_key, n, salts::VOICE_ID, 8, true)
        ),
        name,
        provider,
        provider_voice_id,
        config,
        metadata: body.voice_metadata.unwrap_or_default(),
        is_poly_voice: false,
    };
    let answer = json!({ "voice": voice.to_json() });
    store.voices.library(req.param("accountId")).push(voice);
    Ok(json_response(StatusCode::OK, &answer))
}

/// `GET /v1/accounts/{accountId}/voice-library/{voiceId}`
pub(crate) fn get(req: &Req<'_>) -> Reply {
    let id = req.param("voiceId");
    let mut store = req.app.store();
    let voice = store
        .voices
        .library(req.param("accountId"))
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found(id))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "voice": voice.to_json() }),
    ))
}

/// `PATCH /v1/accounts/{accountId}/voice-library/{voiceId}`: the fields sent change.
pub(crate) fn update(req: &Req<'_>) -> Reply {
    let id = req.param("voiceId");
    let body: VoiceBody = parse_json(req.body, None, invalid_body, invalid_body)?;
    let name = optional("name", body.name)?;
    let provider = optional("provider", body.provider)?;
    let provider_voice_id = optional("providerVoiceId", body.provider_voice_id)?;
    let mut store = req.app.store();
    let voice = store
        .voices
        .library(req.param("accountId"))
        .iter_mut()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found(id))?;
    if voice.is_poly_voice {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "USER_ACCESS_FORBIDDEN",
            "PolyAI's curated voices cannot be changed; register your own voice instead.",
        ));
    }
    if let Some(name) = name {
        voice.name = name;
    }
    if let Some(provider) = provider {
        voice.provider = provider;
    }
    if let Some(provider_voice_id) = provider_voice_id {
        voice.provider_voice_id = provider_voice_id;
    }
    if let Some(config) = body.config {
        voice.config = config;
    }
    if let Some(metadata) = body.voice_metadata {
        voice.metadata = metadata;
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "voice": voice.to_json() }),
    ))
}

/// `GET /v1/accounts/{accountId}/voice-library/{voiceId}/sample`
pub(crate) fn sample(req: &Req<'_>) -> Reply {
    let id = req.param("voiceId");
    let mut store = req.app.store();
    let voice = store
        .voices
        .library(req.param("accountId"))
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found(id))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "voiceId": voice.id,
            "sampleUrl": format!(
                "https://voice-samples.example.invalid/{}.wav?expires={SAMPLE_TTL_SECONDS}",
                voice.id
            ),
            "expiresInSeconds": SAMPLE_TTL_SECONDS,
            "text": format!("Hello, I'm {}. This is how I sound on your calls.", voice.name),
        }),
    ))
}
