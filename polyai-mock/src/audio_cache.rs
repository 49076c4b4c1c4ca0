//! The Agents API's audio cache: an agent's synthesized utterances, kept per agent.
//!
//! # Model
//!
//! PolyAI has no operation that adds an entry (the agent's calls fill the cache), so every
//! agent starts with six entries, ids `1001` to `1006` (numeric, sent as strings), with
//! transcripts from a fixed list, `eleven_labs` voice `pNInz6obpgDQGcFmaJgB`, `en-GB`, hit
//! counts and cache times that depend only on the mock's seed and the entry, and a duration of
//! 0.07 s per transcript character. Their audio is a generated tone WAV of that duration (at
//! the server's sample rate). `synthesize` answers a WAV of the text's duration (divided by
//! `config.speed` when given) and, as PolyAI documents, saves nothing. Generated audio is at
//! most 120 s long.
//!
//! Replacing an entry's file (`PATCH .../file`, raw WAV body, optional `X-Filename`) or its
//! details (`PUT .../details`, `multipart/form-data` with a `file` WAV part and a `settings`
//! part holding `{"text", "config"}` as JSON text) stores the bytes sent: the file endpoint
//! then serves them, `duration` is read from the WAV header, `audioFilename` becomes the name
//! given (or `{entryId}.wav`) and `imported` becomes `true`; `PUT .../details` also sets the
//! `transcript` to `text` and keeps `config` (read back by `synthesize` defaults). Both
//! answer 204.
//!
//! Listing: `limit` 1..=200 (default 50), `offset` from 0 (default 0), `sort` as `field` or
//! `field:asc|desc` with field `hit_count`, `duration`, `cached_at`, `transcript` or `id`
//! (default `cached_at:desc`, newest first; ties by id). `totalCount` counts every entry.
//!
//! | situation | answer |
//! |---|---|
//! | an `entryId` that is not a decimal integer | 400 `AUDIO_CACHE_INVALID_ID` ("Invalid ID") |
//! | an unknown entry | 404 `AUDIO_CACHE_ENTRY_NOT_FOUND` |
//! | a bad `limit`, `offset` or `sort` | 400 `AUDIO_CACHE_VALIDATION_FAILED` |
//! | an empty upload, one over 6 MiB, one that is not a RIFF/WAVE file, a blank `X-Filename` | 400 `AUDIO_CACHE_VALIDATION_FAILED` |
//! | a details upload that is not multipart, lacks the `file` or `settings` part, or whose `settings` is not `{"text": string, "config"?: object}` | 400 `AUDIO_CACHE_VALIDATION_FAILED` |
//! | `bulk-delete` with 0 or more than 20 ids | 400 `AUDIO_CACHE_VALIDATION_FAILED` |
//! | a `synthesize` body without `text` or `config`, or with an empty `text` | 400 `AUDIO_CACHE_VALIDATION_FAILED` |
//!
//! PolyAI documents the statuses, the 6 MB limit (the mock reads it as 6 MiB, like the SDK),
//! the 20-id limit and "Invalid ID"; the codes are the mock's. `bulk-delete` is best effort:
//! ids that are not numeric or not in the cache are listed in `failed`.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::audio::{AudioSpec, Direction, WAV_HEADER_LEN};
use crate::envelope::{ApiError, empty_response, json_response};
use crate::request::{Reply, Req, parse_json};
use crate::salts;
use crate::state::App;
use crate::time::rfc3339_ms;
use crate::util::hash3;

/// The largest audio file accepted (PolyAI: "6 MB", read as 6 MiB).
pub(crate) const MAX_AUDIO_BYTES: usize = 6 * 1024 * 1024;
/// Most ids one bulk delete takes.
const MAX_BULK_DELETE: usize = 20;
/// Default and largest page of the listing.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;
/// The first seeded entry id.
const FIRST_ID: u64 = 1001;
/// Seconds of speech per transcript character.
const SECONDS_PER_CHAR: f64 = 0.07;
/// Longest generated audio, in seconds (so a huge text cannot make the mock build gigabytes).
const MAX_GENERATED_SECONDS: f64 = 120.0;
/// Seeded entries are cached this far apart, before the end of the data's window.
const CACHE_SPACING_MS: i64 = 7 * 3_600_000;
/// Voice of seeded entries.
const SEED_PROVIDER: &str = "eleven_labs";
const SEED_VOICE: &str = "pNInz6obpgDQGcFmaJgB";
const SEED_LANGUAGE: &str = "en-GB";
/// Transcripts of the seeded entries.
const SEED_TRANSCRIPTS: [&str; 6] = [
    "Hello, thanks for calling. How can I help you today?",
    "Could you tell me your order number, please?",
    "Thanks, one moment while I look that up.",
    "I'm sorry, I didn't catch that. Could you say it again?",
    "Is there anything else I can help you with?",
    "Thanks for calling, goodbye!",
];

#[derive(Debug, Clone)]
struct Entry {
    id: u64,
    transcript: String,
    cached_ms: i64,
    hit_count: u64,
    duration: f64,
    regenerated: bool,
    provider: String,
    provider_voice_id: String,
    audio_filename: Option<String>,
    imported: bool,
    language_code: String,
    config: Map<String, Value>,
    /// Uploaded audio; `None` means the generated tone.
    audio: Option<Bytes>,
}

impl Entry {
    /// The listing's entry; `audioFilename` is left out until a file was uploaded (PolyAI's
    /// 3.1 document types it as a plain string, so `null` would not validate).
    fn to_json(&self) -> Value {
        let mut value = json!({
            "id": self.id.to_string(),
            "transcript": self.transcript,
            "cachedAt": rfc3339_ms(self.cached_ms),
            "hitCount": self.hit_count,
            "duration": self.duration,
            "regenerated": self.regenerated,
            "provider": self.provider,
            "providerVoiceId": self.provider_voice_id,
            "imported": self.imported,
            "languageCode": self.language_code,
        });
        if let (Some(name), Some(map)) = (&self.audio_filename, value.as_object_mut()) {
            map.insert("audioFilename".to_owned(), Value::String(name.clone()));
        }
        value
    }
}

#[derive(Debug, Clone, Default)]
struct AgentCache {
    incarnation: u64,
    entries: Vec<Entry>,
    /// The id the next added entry gets.
    next_id: u64,
}

/// Every agent's audio cache.
#[derive(Debug, Default)]
pub(crate) struct AudioCacheStore {
    agents: HashMap<String, AgentCache>,
}

/// The duration of speaking `text` at normal speed: 0.07 s a character, from 0.5 s to 120 s.
fn duration_of(text: &str) -> f64 {
    let seconds = text.chars().count() as f64 * SECONDS_PER_CHAR;
    (seconds.clamp(0.5, MAX_GENERATED_SECONDS) * 100.0).round() / 100.0
}

fn seed_entries(app: &App) -> Vec<Entry> {
    let seed = app.data.cfg.seed;
    let end = app.data.cfg.window_end_ms;
    SEED_TRANSCRIPTS
        .iter()
        .zip(FIRST_ID..)
        .zip(1i64..)
        .map(|((text, id), k)| Entry {
            id,
            transcript: (*text).to_owned(),
            cached_ms: end - k * CACHE_SPACING_MS,
            hit_count: hash3(seed, id, salts::AUDIO_CACHE_HITS) % 500,
            duration: duration_of(text),
            regenerated: false,
            provider: SEED_PROVIDER.to_owned(),
            provider_voice_id: SEED_VOICE.to_owned(),
            audio_filename: None,
            imported: false,
            language_code: SEED_LANGUAGE.to_owned(),
            config: Map::new(),
            audio: None,
        })
        .collect()
}

/// A generated tone WAV of `seconds` (the same bytes for the same seed and `key`).
fn tone_wav(app: &App, key: u64, seconds: f64) -> Bytes {
    let spec = AudioSpec {
        seed: app.data.cfg.seed,
        conversation: key,
        direction: Direction::Agent,
        redacted: false,
        total_len: AudioSpec::file_len_for_seconds(seconds, app.sample_rate),
        sample_rate: app.sample_rate,
    };
    let source = spec.source();
    let mut out = Vec::with_capacity(usize::try_from(spec.total_len).unwrap_or(0));
    let mut pos = 0;
    while pos < spec.total_len {
        let chunk = source.chunk_at(pos, spec.total_len);
        if chunk.is_empty() {
            break;
        }
        pos += chunk.len() as u64;
        out.extend_from_slice(&chunk);
    }
    Bytes::from(out)
}

fn wav_response(bytes: Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    response
}

// ---------------------------------------------------------------------------------------------
// Errors and checks

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "AUDIO_CACHE_VALIDATION_FAILED",
        message,
    )
}

fn invalid_body(message: String) -> ApiError {
    invalid(message)
}

fn parse_id(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "AUDIO_CACHE_INVALID_ID",
            format!("Invalid ID: audio cache entry ids are integers; got {text:?}."),
        )
    })
}

fn not_found(id: u64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "AUDIO_CACHE_ENTRY_NOT_FOUND",
        format!("Audio cache entry {id} does not exist."),
    )
}

/// Checks an uploaded WAV file and returns its duration in seconds.
fn check_wav(bytes: &[u8]) -> Result<f64, ApiError> {
    if bytes.is_empty() {
        return Err(invalid("The audio file is empty."));
    }
    if bytes.len() > MAX_AUDIO_BYTES {
        return Err(invalid(format!(
            "The audio file is {} bytes; the limit is 6 MB ({MAX_AUDIO_BYTES} bytes).",
            bytes.len()
        )));
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(invalid("The audio file is not a WAV (RIFF/WAVE) file."));
    }
    // The byte rate sits at offset 28 of a canonical header; fall back to 8 kHz 16-bit mono.
    let byte_rate = bytes
        .get(28..32)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .filter(|r| *r > 0)
        .unwrap_or(16_000);
    let data = (bytes.len() as u64).saturating_sub(WAV_HEADER_LEN);
    Ok(((data as f64 / f64::from(byte_rate)) * 100.0).round() / 100.0)
}

/// Runs `f` on the agent's entries (404 once the agent is deleted).
fn with_cache<T>(
    req: &Req<'_>,
    f: impl FnOnce(&App, &mut Vec<Entry>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let agent_id = req.param("agentId");
    let mut store = req.app.store();
    let incarnation = store.agents.incarnation(req.app, agent_id)?;
    let cache = store.audio_cache.cache(req.app, agent_id, incarnation);
    f(req.app, &mut cache.entries)
}

impl AudioCacheStore {
    /// The agent's cache, seeded on first use (and again for a new incarnation).
    fn cache(&mut self, app: &App, agent_id: &str, incarnation: u64) -> &mut AgentCache {
        let cache = self.agents.entry(agent_id.to_owned()).or_default();
        if cache.incarnation != incarnation {
            *cache = AgentCache {
                incarnation,
                entries: seed_entries(app),
                next_id: FIRST_ID + SEED_TRANSCRIPTS.len() as u64,
            };
        }
        cache
    }
}

/// [`crate::MockServer::add_audio_cache_entry`], also behind `POST /_mock/audio-cache-entries`.
pub(crate) fn add_entry(app: &App, agent_id: &str, transcript: &str) -> Option<String> {
    let mut store = app.store();
    let incarnation = store.agents.incarnation(app, agent_id).ok()?;
    let cache = store.audio_cache.cache(app, agent_id, incarnation);
    let id = cache.next_id;
    cache.next_id += 1;
    cache.entries.push(Entry {
        id,
        transcript: transcript.to_owned(),
        cached_ms: crate::time::now_ms(),
        hit_count: 0,
        duration: duration_of(transcript),
        regenerated: false,
        provider: SEED_PROVIDER.to_owned(),
        provider_voice_id: SEED_VOICE.to_owned(),
        audio_filename: None,
        imported: false,
        language_code: SEED_LANGUAGE.to_owned(),
        config: Map::new(),
        audio: None,
    });
    Some(id.to_string())
}

impl Entry {
    /// Keeps uploaded audio (both uploads do this): its bytes, length, file name (the entry's
    /// id `.wav` when none was sent), and marks the entry imported.
    fn store_audio(&mut self, audio: Bytes, duration: f64, filename: Option<String>) {
        self.audio = Some(audio);
        self.duration = duration;
        self.audio_filename = Some(filename.unwrap_or_else(|| format!("{}.wav", self.id)));
        self.imported = true;
    }
}

fn find(entries: &mut [Entry], id: u64) -> Result<&mut Entry, ApiError> {
    entries
        .iter_mut()
        .find(|e| e.id == id)
        .ok_or_else(|| not_found(id))
}

// ---------------------------------------------------------------------------------------------
// Handlers (rows of the route table)

fn number(req: &Req<'_>, name: &str, default: u64, min: u64, max: u64) -> Result<u64, ApiError> {
    match req.query_first(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "{name} must be an integer from {min} to {max}; got {text:?}."
                ))
            }),
    }
}

/// `GET /v1/agents/{agentId}/audio-cache?limit&offset&sort`: 200 `{entries, totalCount}`.
pub(crate) fn list(req: &Req<'_>) -> Reply {
    let limit = number(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let offset = number(req, "offset", 0, 0, u64::MAX)?;
    let sort = req.query_first("sort").unwrap_or("cached_at:desc");
    let (field, direction) = sort.split_once(':').unwrap_or((sort, "asc"));
    let descending = match direction {
        "asc" => false,
        "desc" => true,
        _ => {
            return Err(invalid(format!(
                "sort direction must be asc or desc; got {sort:?}."
            )));
        }
    };
    let key: fn(&Entry, &Entry) -> std::cmp::Ordering = match field {
        "hit_count" => |a, b| a.hit_count.cmp(&b.hit_count),
        "duration" => |a, b| a.duration.total_cmp(&b.duration),
        "cached_at" => |a, b| a.cached_ms.cmp(&b.cached_ms),
        "transcript" => |a, b| a.transcript.cmp(&b.transcript),
        "id" => |a, b| a.id.cmp(&b.id),
        _ => {
            return Err(invalid(format!(
                "Cannot parse sort {sort:?}: use field:asc or field:desc with field hit_count, \
                 duration, cached_at, transcript or id."
            )));
        }
    };
    with_cache(req, |_, entries| {
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by(|a, b| {
            let order = key(a, b).then(a.id.cmp(&b.id));
            if descending { order.reverse() } else { order }
        });
        let page: Vec<Value> = sorted
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|e| e.to_json())
            .collect();
        Ok(json_response(
            StatusCode::OK,
            &json!({"entries": page, "totalCount": entries.len()}),
        ))
    })
}

/// `DELETE /v1/agents/{agentId}/audio-cache/{entryId}`: 200 `{success: true}`.
pub(crate) fn delete(req: &Req<'_>) -> Reply {
    let id = parse_id(req.param("entryId"))?;
    with_cache(req, |_, entries| {
        let index = entries
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| not_found(id))?;
        entries.remove(index);
        Ok(json_response(StatusCode::OK, &json!({"success": true})))
    })
}

/// `POST /v1/agents/{agentId}/audio-cache/bulk-delete`: 200 `{deleted, failed}`.
pub(crate) fn bulk_delete(req: &Req<'_>) -> Reply {
    #[derive(Deserialize)]
    struct Body {
        ids: Vec<String>,
    }
    let body: Body = parse_json(req.body, None, invalid_body, invalid_body)?;
    if body.ids.is_empty() || body.ids.len() > MAX_BULK_DELETE {
        return Err(invalid(format!(
            "ids must contain between 1 and {MAX_BULK_DELETE} entries; got {}.",
            body.ids.len()
        )));
    }
    with_cache(req, |_, entries| {
        let mut deleted = Vec::new();
        let mut failed = Vec::new();
        for text in body.ids {
            let index = text
                .parse::<u64>()
                .ok()
                .and_then(|id| entries.iter().position(|e| e.id == id));
            match index {
                Some(i) => {
                    entries.remove(i);
                    deleted.push(text);
                }
                None => failed.push(text),
            }
        }
        Ok(json_response(
            StatusCode::OK,
            &json!({"deleted": deleted, "failed": failed}),
        ))
    })
}

/// `GET /v1/agents/{agentId}/audio-cache/{entryId}/file`: the WAV.
pub(crate) fn get_file(req: &Req<'_>) -> Reply {
    let id = parse_id(req.param("entryId"))?;
    with_cache(req, |app, entries| {
        let entry = find(entries, id)?;
        let bytes = match &entry.audio {
            Some(bytes) => bytes.clone(),
            None => tone_wav(app, entry.id, entry.duration),
        };
        Ok(wav_response(bytes))
    })
}

/// `PATCH /v1/agents/{agentId}/audio-cache/{entryId}/file`: raw WAV body; 204.
pub(crate) fn replace_file(req: &Req<'_>) -> Reply {
    let id = parse_id(req.param("entryId"))?;
    let duration = check_wav(req.body)?;
    let filename = match req.headers.get("x-filename") {
        None => None,
        Some(value) => {
            let name = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("X-Filename must be a non-empty ASCII file name."))?;
            Some(name.to_owned())
        }
    };
    with_cache(req, |_, entries| {
        find(entries, id)?.store_audio(req.body.clone(), duration, filename);
        Ok(empty_response(StatusCode::NO_CONTENT))
    })
}

/// `PUT /v1/agents/{agentId}/audio-cache/{entryId}/details`: multipart `file` + `settings`;
/// 204.
pub(crate) fn replace_details(req: &Req<'_>) -> Reply {
    #[derive(Deserialize)]
    struct Settings {
        text: String,
        #[serde(default)]
        config: Map<String, Value>,
    }
    let id = parse_id(req.param("entryId"))?;
    let content_type = req.header("content-type").unwrap_or("");
    let parts = multipart::parse(content_type, req.body).map_err(invalid)?;
    let file = parts
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| invalid("The multipart body has no `file` part (the WAV audio)."))?;
    let settings = parts
        .iter()
        .find(|p| p.name == "settings")
        .ok_or_else(|| invalid("The multipart body has no `settings` part (JSON text)."))?;
    let duration = check_wav(&file.data)?;
    let settings: Settings = serde_json::from_slice(&settings.data).map_err(|e| {
        invalid(format!(
            "The settings part must be JSON {{\"text\": string, \"config\": object}}: {e}"
        ))
    })?;
    if settings.text.trim().is_empty() {
        return Err(invalid("settings.text must not be empty."));
    }
    let filename = file.filename.clone();
    let data = Bytes::copy_from_slice(&file.data);
    with_cache(req, |_, entries| {
        let entry = find(entries, id)?;
        entry.store_audio(data, duration, filename);
        entry.transcript = settings.text;
        entry.config = settings.config;
        Ok(empty_response(StatusCode::NO_CONTENT))
    })
}

/// `POST /v1/agents/{agentId}/audio-cache/{entryId}/synthesize`: a WAV of the text, saved
/// nowhere.
pub(crate) fn synthesize(req: &Req<'_>) -> Reply {
    #[derive(Deserialize)]
    struct Body {
        text: String,
        config: Map<String, Value>,
        language: Option<String>,
    }
    let id = parse_id(req.param("entryId"))?;
    let body: Body = parse_json(req.body, None, invalid_body, invalid_body)?;
    if body.text.trim().is_empty() {
        return Err(invalid("text must not be empty."));
    }
    if body
        .language
        .as_deref()
        .is_some_and(|l| l.trim().is_empty())
    {
        return Err(invalid("language must not be empty when given."));
    }
    let speed = body
        .config
        .get("speed")
        .and_then(Value::as_f64)
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    with_cache(req, |app, entries| {
        let entry = find(entries, id)?;
        let seconds = (duration_of(&body.text) / speed).min(MAX_GENERATED_SECONDS);
        let key = crate::util::fnv64(body.text.as_bytes()) ^ entry.id;
        Ok(wav_response(tone_wav(app, key, seconds)))
    })
}

/// A small `multipart/form-data` reader (RFC 7578): enough for the details upload.
mod multipart {
    /// One part: its form-field name, file name (if any) and bytes.
    pub(crate) struct Part {
        pub name: String,
        pub filename: Option<String>,
        pub data: Vec<u8>,
    }

    fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        if needle.is_empty() || from > haystack.len() {
            return None;
        }
        haystack[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    fn boundary(content_type: &str) -> Option<String> {
        let mut params = content_type.split(';');
        let mime = params.next()?.trim();
        if !mime.eq_ignore_ascii_case("multipart/form-data") {
            return None;
        }
        params.find_map(|p| {
            let (key, value) = p.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| value.trim().trim_matches('"').to_owned())
                .filter(|b| !b.is_empty())
        })
    }

    /// A `name="value"` parameter of a `Content-Disposition` header.
    fn disposition_param(header: &str, key: &str) -> Option<String> {
        header.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.trim().trim_matches('"').to_owned())
        })
    }

    /// Splits a body into its parts, or says what is wrong with it.
    pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
        let boundary = boundary(content_type).ok_or_else(|| {
            format!(
                "Expected Content-Type multipart/form-data with a boundary; got {content_type:?}."
            )
        })?;
        let delimiter = format!("--{boundary}").into_bytes();
        let next_delimiter = format!("\r\n--{boundary}").into_bytes();
        let mut pos = find(body, &delimiter, 0)
            .ok_or("The multipart body does not contain its boundary.")?
            + delimiter.len();
        let mut parts = Vec::new();
        loop {
            if body.get(pos..pos + 2) == Some(b"--") {
                return Ok(parts);
            }
            if body.get(pos..pos + 2) != Some(b"\r\n") {
                return Err("Malformed multipart body: expected CRLF after a boundary.".into());
            }
            pos += 2;
            let headers_end = find(body, b"\r\n\r\n", pos)
                .ok_or("Malformed multipart body: unterminated part headers.")?;
            let headers = String::from_utf8_lossy(&body[pos..headers_end]).into_owned();
            let data_start = headers_end + 4;
            let data_end = find(body, &next_delimiter, data_start)
                .ok_or("Malformed multipart body: a part is not closed by the boundary.")?;
            let disposition = headers
                .split("\r\n")
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("content-disposition")
                        .then(|| value.trim().to_owned())
                })
                .ok_or("Malformed multipart body: a part has no Content-Disposition.")?;
            let name = disposition_param(&disposition, "name")
                .ok_or("Malformed multipart body: a part has no name.")?;
            parts.push(Part {
                name,
                filename: disposition_param(&disposition, "filename").filter(|f| !f.is_empty()),
                data: body[data_start..data_end].to_vec(),
            });
            pos = data_end + next_delimiter.len();
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parts_are_split() {
            let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--\r\n--XyZ\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n{\"text\":\"hi\"}\r\n--XyZ--\r\n";
            let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap_or_default();
            assert_eq!(parts.len(), 2);
            assert_eq!(parts[0].name, "file");
            assert_eq!(parts[0].filename.as_deref(), Some("a.wav"));
            assert_eq!(parts[0].data, b"RIFF\r\n--");
            assert_eq!(parts[1].data, b"{\"text\":\"hi\"}");
            assert!(parse("application/json", body).is_err());
            assert!(parse("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno end").is_err());
            assert!(parse("multipart/form-data; boundary=\"XyZ\"", b"nothing").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_checks() {
        assert!(check_wav(b"").is_err());
        assert!(check_wav(b"RIFF0000WAVX").is_err());
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.resize(44, 0);
        wav[28..32].copy_from_slice(&16_000u32.to_le_bytes());
        wav.extend(std::iter::repeat_n(0u8, 16_000));
        assert_eq!(check_wav(&wav).ok(), Some(1.0));
        let big = vec![0u8; MAX_AUDIO_BYTES + 1];
        assert!(check_wav(&big).is_err());
        assert_eq!(parse_id("1001").ok(), Some(1001));
        assert_eq!(
            parse_id("abc").err().map(|e| e.code),
            Some("AUDIO_CACHE_INVALID_ID")
        );
        assert!((duration_of("abc") - 0.5).abs() < 1e-9);
        assert!((duration_of(&"a".repeat(1_000_000)) - MAX_GENERATED_SECONDS).abs() < 1e-9);
    }
}
