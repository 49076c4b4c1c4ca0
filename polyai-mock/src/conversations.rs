//! Conversation data routes: the v3 listing, the agent-scoped list and detail, annotations,
//! notes and audio.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audio::{self, AudioSpec, Direction};
use crate::data::{Channel, Dataset, EXCHANGES, Env, StoredAnnotation, V3Conversation, attr};
use crate::debug_chat;
use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::state::App;
use crate::time::{now_ms, parse_iso8601};
use crate::util::{fnv64, hash3, hex, mix64, unhex};

/// Query parameters, decoded, in order.
pub(crate) type Query = [(String, String)];

fn first<'q>(query: &'q Query, name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn all<'q>(query: &'q Query, name: &str) -> Vec<&'q str> {
    query
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn parse_bool(query: &Query, name: &str) -> Result<Option<bool>, ApiError> {
    match first(query, name) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(Some(false)),
        Some(v) => Err(ApiError::validation(format!(
            "{name} must be true or false; got {v:?}."
        ))),
    }
}

fn parse_int(query: &Query, name: &str) -> Result<Option<i64>, ApiError> {
    match first(query, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::validation(format!("{name} must be an integer; got {v:?}."))),
    }
}

// ---------------------------------------------------------------------------------------------
// GET /v3/{account_id}/{project_id}/conversations

/// Search mode of the v3 listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryType {
    Transcript,
    Semantic,
}

/// A compiled filter of the v3 listing.
struct Filter {
    accept: [bool; 256],
    /// Bit `k` set: exchange `k` matches the search.
    search: Option<u64>,
    range: (u64, u64),
    fingerprint: u32,
}

impl Filter {
    fn unfiltered(&self) -> bool {
        self.search.is_none() && self.accept.iter().all(|a| *a)
    }

    fn matches(&self, data: &Dataset, i: u64) -> bool {
        if !self.accept[usize::from(data.attrs[i as usize])] {
            return false;
        }
        match self.search {
            None => true,
            Some(mask) => {
                let (topic, n, handoff) = data.shape(i);
                (0..n).any(|j| mask >> data.exchange_of(i, topic, handoff, j, n) & 1 == 1)
            }
        }
    }
}

const STOPWORDS: [&str; 12] = [
    "the", "and", "for", "you", "can", "what", "are", "with", "that", "this", "your", "have",
];

fn search_mask(query_type: QueryType, query: &str, turn_type: Option<&str>) -> u64 {
    let q = query.to_lowercase();
    let tokens: Vec<&str> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.len() >= 3 && !STOPWORDS.contains(t))
        .collect();
    let mut mask = 0u64;
    for (k, e) in EXCHANGES.iter().enumerate() {
        let user = e.user.to_lowercase();
        let agent = e.agent.to_lowercase();
        let hit = match query_type {
            QueryType::Transcript => {
                let in_user = !q.trim().is_empty() && user.contains(q.trim());
                let in_agent = !q.trim().is_empty() && agent.contains(q.trim());
                match turn_type {
                    Some("user") => in_user,
                    Some("agent") => in_agent,
                    _ => in_user || in_agent,
                }
            }
            QueryType::Semantic => tokens.iter().any(|t| {
                user.split(|c: char| !c.is_alphanumeric())
                    .any(|w| w.starts_with(t))
                    || agent
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w.starts_with(t))
            }),
        };
        if hit {
            mask |= 1 << k;
        }
    }
    mask
}

fn compile(data: &Dataset, query: &Query, scope: &str) -> Result<Filter, ApiError> {
    let env = match first(query, "client_env") {
        None => Env::Live,
        Some(v) => Env::parse(v).ok_or_else(|| {
            ApiError::validation(format!(
                "client_env must be one of sandbox, pre-release, live; got {v:?}."
            ))
        })?,
    };
    let mut channels: Vec<&str> = all(query, "channel")
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    channels.sort_unstable();
    channels.dedup();
    let variant_id = first(query, "variant_id");
    let variant_name = first(query, "variant_name");
    if variant_id.is_some() && variant_name.is_some() {
        return Err(ApiError::validation(
            "Only one of variant_id and variant_name may be given.",
        ));
    }
    let in_progress = parse_bool(query, "in_progress")?;
    parse_bool(query, "include_latency")?;
    let query_type = match first(query, "query_type") {
        None => None,
        Some("transcript") => Some(QueryType::Transcript),
        Some("semantic") => Some(QueryType::Semantic),
        Some(v) => {
            return Err(ApiError::validation(format!(
                "query_type must be transcript or semantic; got {v:?}."
            )));
        }
    };
    let sample = match first(query, "sample") {
        None => false,
        Some("random") => true,
        Some(v) => {
            return Err(ApiError::validation(format!(
                "sample must be random; got {v:?}."
            )));
        }
    };
    let text = first(query, "query").unwrap_or("");
    if query_type.is_some() && text.trim().is_empty() {
        return Err(ApiError::validation(
            "query is required when query_type is set.",
        ));
    }
    if query_type.is_some() && sample {
        return Err(ApiError::validation(
            "query_type and sample are mutually exclusive.",
        ));
    }
    let turn_type = match first(query, "turn_type") {
        None => None,
        Some(v @ ("user" | "agent")) => Some(v),
        Some(v) => {
            return Err(ApiError::validation(format!(
                "turn_type must be user or agent; got {v:?}."
            )));
        }
    };
    let time = |name: &str| -> Result<Option<i64>, ApiError> {
        match first(query, name) {
            None => Ok(None),
            Some(v) => parse_iso8601(v).map(Some).ok_or_else(|| {
                ApiError::filter(format!("{name} must be an ISO 8601 date-time; got {v:?}."))
            }),
        }
    };
    let start = time("start_time")?;
    let end = time("end_time")?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ApiError::validation(
            "start_time must not be after end_time.",
        ));
    }
    if (query_type.is_some() || sample) && (start.is_none() || end.is_none()) {
        return Err(ApiError::validation(
            "start_time and end_time are required when query_type or sample is used.",
        ));
    }

    let mut accept = [false; 256];
    for (byte, slot) in accept.iter_mut().enumerate() {
        let b = byte as u8;
        let e = Env::ALL.get(usize::from(b >> attr::ENV_SHIFT & 3));
        let c = Channel::ALL.get(usize::from(b >> attr::CHANNEL_SHIFT & 3));
        let v = data.variants.get(usize::from(b >> attr::VARIANT_SHIFT & 3));
        let (Some(e), Some(c), Some(v)) = (e, c, v) else {
            continue;
        };
        *slot = *e == env
            && (channels.is_empty() || channels.iter().any(|f| c.matches_filter(f)))
            && variant_id.is_none_or(|id| v.id == id)
            && variant_name.is_none_or(|name| v.name == name)
            && in_progress.is_none_or(|p| p == (b & attr::IN_PROGRESS != 0))
            && (!sample || b & attr::SAMPLED != 0);
    }
    let search = query_type.map(|qt| search_mask(qt, text, turn_type));
    let canonical = format!(
        "{scope}|{}|{channels:?}|{start:?}|{end:?}|{variant_id:?}|{variant_name:?}|{in_progress:?}|{query_type:?}|{text:?}|{turn_type:?}|{sample}",
        env.as_str()
    );
    Ok(Filter {
        accept,
        search,
        range: data.time_range(start, end),
        fingerprint: fnv64(canonical.as_bytes()) as u32,
    })
}

/// The key cursors are sealed with: a function of the seed, so the same data gives the same
/// cursors in every run.
fn cursor_key(data: &Dataset) -> u64 {
    hash3(data.cfg.seed, data.count(), salts::CURSOR_KEY)
}

/// A decoded cursor: where the next page starts and the rank of that row.
struct Cursor {
    index: u64,
    rank: u64,
    fingerprint: u32,
}

impl Cursor {
    fn encode(&self, key: u64) -> String {
        let mut bytes = Vec::with_capacity(25);
        bytes.push(1u8);
        bytes.extend_from_slice(&(self.index ^ mix64(key)).to_be_bytes());
        bytes.extend_from_slice(&(self.rank ^ mix64(key ^ 1)).to_be_bytes());
        bytes.extend_from_slice(&self.fingerprint.to_be_bytes());
        let check = hash3(key, fnv64(&bytes), salts::CURSOR_CHECK) as u32;
        bytes.extend_from_slice(&check.to_be_bytes());
        hex(&bytes)
    }

    fn decode(text: &str, key: u64) -> Option<Cursor> {
        let bytes = unhex(text)?;
        if bytes.len() != 25 || bytes[0] != 1 {
            return None;
        }
        let check = u32::from_be_bytes(bytes[21..25].try_into().ok()?);
        if hash3(key, fnv64(&bytes[..21]), salts::CURSOR_CHECK) as u32 != check {
            return None;
        }
        Some(Cursor {
            index: u64::from_be_bytes(bytes[1..9].try_into().ok()?) ^ mix64(key),
            rank: u64::from_be_bytes(bytes[9..17].try_into().ok()?) ^ mix64(key ^ 1),
            fingerprint: u32::from_be_bytes(bytes[17..21].try_into().ok()?),
        })
    }
}

#[derive(Serialize)]
struct V3Page<'a> {
    conversations: Vec<V3Conversation<'a>>,
    cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

/// `GET /v3/{account_id}/{project_id}/conversations`
pub(crate) fn list_v3(req: &Req<'_>) -> Reply {
    let (app, query) = (req.app, req.query.as_slice());
    let (account_id, project_id) = (req.param("account_id"), req.param("project_id"));
    let data = &app.data;
    let limit = parse_int(query, "limit")?.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and 1000; got {limit}."
        )));
    }
    let limit = limit as usize;
    let offset = parse_int(query, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::validation(format!(
            "offset must not be negative; got {offset}."
        )));
    }
    let include_latency = parse_bool(query, "include_latency")?.unwrap_or(false);
    let filter = compile(data, query, &format!("{account_id}/{project_id}"))?;
    let (lo, hi) = filter.range;

    // Where this page starts: a cursor wins over an offset.
    let (mut pos, mut rank) = match first(query, "cursor") {
        Some(text) => {
            let cursor = Cursor::decode(text, cursor_key(data))
                .ok_or_else(|| ApiError::validation("cursor is malformed."))?;
            if cursor.fingerprint != filter.fingerprint {
                return Err(ApiError::validation(
                    "cursor does not belong to this query: send the same filters as the request that returned it.",
                ));
            }
            (cursor.index.clamp(lo, hi), cursor.rank)
        }
        None => {
            let offset = offset as u64;
            if filter.unfiltered() {
                (lo.saturating_add(offset).min(hi), offset)
            } else {
                let mut skipped = 0;
                let mut i = lo;
                while i < hi && skipped < offset {
                    if filter.matches(data, i) {
                        skipped += 1;
                    }
                    i += 1;
                }
                (i, offset)
            }
        }
    };

    let mut rows = Vec::with_capacity(limit.min(1000));
    while pos < hi && rows.len() < limit {
        if filter.matches(data, pos) {
            rows.push(pos);
        }
        pos += 1;
    }
    rank += rows.len() as u64;
    // Is there a next row? The cursor points straight at it.
    while pos < hi && !filter.matches(data, pos) {
        pos += 1;
    }
    let more = pos < hi;
    let page = V3Page {
        conversations: rows
            .into_iter()
            .map(|i| {
                let mut row = data.v3(
                    data.conversation(i),
                    account_id,
                    project_id,
                    include_latency,
                );
                if !app.transcripts {
                    row.hide_turns();
                }
                row
            })
            .collect(),
        cursor: more.then(|| {
            Cursor {
                index: pos,
                rank,
                fingerprint: filter.fingerprint,
            }
            .encode(cursor_key(data))
        }),
        next_offset: more.then_some(rank),
    };
    Ok(json_response(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Agent-scoped routes

#[derive(Serialize)]
struct AgentPage {
    conversations: Vec<crate::data::AgentSummary>,
    count: u64,
    limit: i64,
    offset: i64,
}

/// `GET /v1/agents/{agentId}/conversations`
pub(crate) fn list_agent(req: &Req<'_>) -> Reply {
    let (app, query, agent_id) = (req.app, req.query.as_slice(), req.param("agentId"));
    let data = &app.data;
    let limit = parse_int(query, "limit")?.unwrap_or(50);
    if limit < 1 {
        return Err(ApiError::validation(format!(
            "limit must be at least 1; got {limit}."
        )));
    }
    let offset = parse_int(query, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::validation(format!(
            "offset must not be negative; got {offset}."
        )));
    }
    let count = data.count();
    let start = (offset as u64).min(count);
    let end = start.saturating_add(limit as u64).min(count);
    let notes = {
        let store = app.store();
        (start..end)
            .map(|i| store.notes.get(&data.id_of(i)).cloned())
            .collect::<Vec<_>>()
    };
    let page = AgentPage {
        conversations: (start..end)
            .zip(notes)
            .map(|(i, note)| data.agent_summary(&data.conversation(i), agent_id, note))
            .collect(),
        count,
        limit,
        offset,
    };
    Ok(json_response(StatusCode::OK, &page))
}

/// `GET /v1/agents/{agentId}/conversations/{conversationId}`
pub(crate) fn detail(req: &Req<'_>) -> Reply {
    let (app, agent_id, id) = (req.app, req.param("agentId"), req.param("conversationId"));
    let store = app.store();
    let note = store.notes.get(id).cloned();
    let annotations = store.annotations.get(id).map_or(&[][..], Vec::as_slice);
    if let Some(i) = app.data.index_of(id) {
        let conv = app.data.conversation(i);
        let mut detail = app.data.agent_detail(&conv, agent_id, note, annotations);
        if !app.transcripts {
            detail.turns.clear();
        }
        return Ok(json_response(StatusCode::OK, &detail));
    }
    if let Some(session) = store.sessions.get(id) {
        let detail = debug_chat::detail(
            session,
            id,
            &app.data.cfg.account_id,
            agent_id,
            note,
            annotations,
        );
        return Ok(json_response(StatusCode::OK, &detail));
    }
    Err(ApiError::conversation_not_found())
}

/// The number of turns of a known conversation (seeded or debug chat).
fn turn_count(
    app: &App,
    id: &str,
    sessions: &std::collections::HashMap<String, debug_chat::Session>,
) -> Option<u64> {
    if let Some(i) = app.data.index_of(id) {
        return Some(u64::from(app.data.shape(i).1));
    }
    sessions.get(id).map(|s| s.turns.len() as u64)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnnotationItem {
    turn_id: Option<serde_json::Value>,
    role: Option<String>,
    annotation_type: Option<String>,
}

#[derive(Deserialize)]
struct AnnotationsBody {
    annotations: Option<Vec<AnnotationItem>>,
}

#[derive(Deserialize)]
struct NoteBody {
    note: Option<String>,
}

fn created() -> Response {
    json_response(StatusCode::CREATED, &json!({"success": true}))
}

/// `POST /v1/agents/{agentId}/conversations/{conversationId}/annotation`
pub(crate) fn annotate(req: &Req<'_>) -> Reply {
    let (app, id) = (req.app, req.param("conversationId"));
    let b: AnnotationsBody = req.json()?;
    let items = b
        .annotations
        .ok_or_else(|| ApiError::validation("annotations is required."))?;
    if items.is_empty() {
        return Err(ApiError::validation(
            "annotations must contain at least one item.",
        ));
    }
    let mut parsed = Vec::with_capacity(items.len());
    for (k, item) in items.into_iter().enumerate() {
        let turn_id = item
            .turn_id
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "annotations[{k}].turnId must be a non-negative integer."
                ))
            })?;
        let role = match item.role.as_deref() {
            Some(r @ ("user" | "agent")) => r.to_owned(),
            _ => {
                return Err(ApiError::validation(format!(
                    "annotations[{k}].role must be user or agent."
                )));
            }
        };
        let annotation_type = match item.annotation_type.as_deref() {
            Some(t @ ("missing_topic" | "wrong_transcript" | "wrong_info")) => t.to_owned(),
            _ => {
                return Err(ApiError::validation(format!(
                    "annotations[{k}].annotationType must be one of missing_topic, wrong_transcript, wrong_info."
                )));
            }
        };
        parsed.push(StoredAnnotation {
            turn_id,
            role,
            annotation_type,
            created_ms: now_ms(),
        });
    }
    let mut store = app.store();
    let turns =
        turn_count(app, id, &store.sessions).ok_or_else(ApiError::conversation_not_found)?;
    if let Some(bad) = parsed.iter().find(|a| a.turn_id >= turns) {
        return Err(ApiError::validation(format!(
            "turnId {} is out of range: the conversation has {turns} turns (zero-based).",
            bad.turn_id
        )));
    }
    store
        .annotations
        .entry(id.to_owned())
        .or_default()
        .extend(parsed);
    Ok(created())
}

/// `POST /v1/agents/{agentId}/conversations/{conversationId}/note`
pub(crate) fn note(req: &Req<'_>) -> Reply {
    let (app, id) = (req.app, req.param("conversationId"));
    let b: NoteBody = req.json()?;
    let note = b
        .note
        .ok_or_else(|| ApiError::validation("note is required and must be a string."))?;
    let mut store = app.store();
    turn_count(app, id, &store.sessions).ok_or_else(ApiError::conversation_not_found)?;
    store.notes.insert(id.to_owned(), note);
    Ok(created())
}

/// `GET /v1/agents/{agentId}/conversations/{conversationId}/audio`
pub(crate) fn audio(req: &Req<'_>) -> Reply {
    let (app, id, query, headers) = (
        req.app,
        req.param("conversationId"),
        req.query.as_slice(),
        req.headers,
    );
    let direction = match first(query, "direction") {
        None => Direction::Combined,
        Some(v) => Direction::parse(v).ok_or_else(|| {
            ApiError::validation(format!(
                "direction must be one of combined, user, agent; got {v:?}."
            ))
        })?,
    };
    let redacted = parse_bool(query, "redacted")?.unwrap_or(false) || !app.pii_access;
    let total_len = requested_audio_len(app, headers)?;
    let Some(index) = app.data.index_of(id) else {
        if app.store().sessions.contains_key(id) {
            return Err(recording_not_found());
        }
        return Err(ApiError::conversation_not_found());
    };
    let conv = app.data.conversation(index);
    if !conv.has_recording() {
        return Err(recording_not_found());
    }
    let spec = AudioSpec {
        seed: app.data.cfg.seed,
        conversation: index,
        direction,
        redacted,
        total_len,
        sample_rate: app.sample_rate,
    };
    audio::respond(&spec, conv.finished_ms(), headers, id)
}

fn recording_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "CONVERSATIONS_RECORDING_NOT_FOUND",
        "Audio recording not found for this conversation.",
    )
}

/// The file size for this request: the mock-only `x-mock-audio-bytes` or
/// `x-mock-audio-seconds` header, else the server's configured size.
fn requested_audio_len(app: &App, headers: &HeaderMap) -> Result<u64, ApiError> {
    if let Some(v) = headers.get("x-mock-audio-bytes") {
        let n = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::validation("x-mock-audio-bytes must be a non-negative integer.")
            })?;
        return Ok(AudioSpec::file_len(n));
    }
    if let Some(v) = headers.get("x-mock-audio-seconds") {
        let s = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                ApiError::validation("x-mock-audio-seconds must be a non-negative number.")
            })?;
        return Ok(AudioSpec::file_len_for_seconds(s, app.sample_rate));
    }
    Ok(app.audio_len)
}
