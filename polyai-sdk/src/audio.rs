//! Call recordings: stream them chunk by chunk, or save them to disk in constant memory.
//!
//! **Which conversations have a recording**: finished voice calls. A web chat (or any other
//! text channel) has none, and neither has a call still in progress; both answer 404 with the
//! code `CONVERSATIONS_RECORDING_NOT_FOUND` ([`Error::NotFound`]). In a listing, look at
//! [`Conversation::channel`](crate::conversations::Conversation) (see
//! [`Channel::is_voice`](crate::Channel::is_voice)) and `in_progress` first.
//!
//! **The agent id is the project id**: the recording endpoint is agent-scoped
//! (`/v1/agents/{agentId}/conversations/{conversationId}/audio`), and the agent id it wants is
//! the id of the project the conversation belongs to, the `project_id` of a listed
//! conversation. [`Client::download_recording`] and [`Client::recording`] take a listed
//! conversation and work it out for you:
//!
//! ```no_run
//! use futures::TryStreamExt;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let mut conversations = client.list_conversations("my-workspace", "my-project").stream();
//! while let Some(conversation) = conversations.try_next().await? {
//!     match client
//!         .download_recording(&conversation, format!("recordings/{}.wav", conversation.id))
//!         .await
//!     {
//!         Ok(saved) => println!("{} bytes", saved.bytes),
//!         // A chat, or a call still in progress: no recording.
//!         Err(polyai_sdk::Error::NotFound(_)) => {}
//!         Err(error) => return Err(error),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! With ids at hand, [`Client::audio`] takes them directly, and its builder chooses the side
//! of the call and reports progress:
//!
//! ```no_run
//! use polyai_sdk::audio::AudioDirection;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let saved = client
//!     .audio("my-project", "CA0123")
//!     .direction(AudioDirection::Combined)
//!     .on_progress(|done, total| eprintln!("{done} of {total:?} bytes"))
//!     .save_to("recordings/CA0123.wav")
//!     .await?;
//! println!("{} bytes, {} resumes", saved.bytes, saved.resumes);
//! # Ok(()) }
//! ```
//!
//! # Saving
//!
//! [`AudioRequest::save_to`] writes to a partial file beside the destination (`.NAME.part`)
//! and renames it only once the whole recording has arrived and its length matches
//! `Content-Length`; with [`sync_to_disk`](AudioRequest::sync_to_disk) on (the default) the
//! file and then its directory are flushed, so the rename survives a power loss. The partial
//! file is removed whenever the save does not complete in a running process, including when
//! its future is dropped (a `timeout`, a `select!`, an aborted task).
//!
//! A process that dies mid-save (killed, crashed) cannot remove anything: it
//! leaves the partial file and, beside it, `.NAME.part.json`, which records the request and
//! the validator (`ETag` or `Last-Modified`) of the version the partial file holds. The next
//! save to the same destination continues from there with `Range` and `If-Range`, so a rerun
//! of an interrupted batch downloads only what is missing; if the recording changed, the
//! request differs (another direction or redaction) or there is no usable record, it starts
//! over. Once that save completes, neither file is left. [`remove_partial_files`] clears the
//! leftovers of recordings a rerun no longer asks for.
//!
//! Two saves of one destination at once are refused with [`Error::InvalidInput`], and the
//! refused save touches neither file: within a process by a claim on the destination, across
//! processes (two overlapping runs of a nightly job, say) by an exclusive advisory lock on the
//! partial file, held until it has been renamed into place. A killed process's lock goes with
//! it, so its partial file can still be continued. Where the file system offers no locks (some
//! network file systems), saves go on without one.
//!
//! If the connection drops, the rest is asked for with `Range` only when the first answer gave
//! a strong validator to send in `If-Range`: a strong `ETag`, or, when there is no `ETag`, a
//! `Last-Modified` at least one second older than the answer's `Date` (RFC 9110, 8.8.2.2). A
//! `206` continues the file only if it carries that same validator and the expected
//! `Content-Range`; a `200`, a `206` of another version, or an answer without a usable
//! validator starts the file over from byte 0. A saved file is therefore always one version of
//! the recording, never two stitched together.
//!
//! Recordings are asked for with `Accept-Encoding: identity`, and an answer with any other
//! `Content-Encoding` is refused ([`Error::Decode`]): its bytes would not be the WAV file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, DATE, ETAG,
    HeaderMap, HeaderValue, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::conversations::Conversation;
use crate::generated::data::types as data;
use crate::{Client, Error, validate};

/// Which side of the call a recording holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioDirection {
    /// Both sides mixed (the default).
    #[default]
    Combined,
    /// Only the caller.
    User,
    /// Only the agent.
    Agent,
}

type ProgressFn = dyn Fn(u64, Option<u64>) + Send + Sync;

/// A recording download; see [`Client::audio`].
#[derive(Clone)]
#[must_use = "nothing is downloaded until stream() or save_to() is called"]
pub struct AudioRequest {
    client: Client,
    agent_id: String,
    conversation_id: String,
    direction: AudioDirection,
    redacted: Option<bool>,
    progress: Option<Arc<ProgressFn>>,
    max_resumes: u32,
    sync: bool,
}

impl fmt::Debug for AudioRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioRequest")
            .field("agent_id", &self.agent_id)
            .field("conversation_id", &self.conversation_id)
            .field("direction", &self.direction)
            .field("redacted", &self.redacted)
            .field("max_resumes", &self.max_resumes)
            .finish_non_exhaustive()
    }
}

/// What [`AudioRequest::save_to`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedAudio {
    /// Where the recording is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many times the transfer was resumed with `Range` after a dropped connection.
    pub resumes: u32,
    /// How many times it started over from byte 0 after a dropped connection: the server gave
    /// no strong validator to resume against, answered the resume with `200`, or answered it
    /// with a `206` of another version.
    pub restarts: u32,
    /// How many bytes a partial file left by an earlier process already held when this save
    /// continued it (0 when the save started from byte 0).
    pub resumed_from: u64,
}

impl Client {
    /// Downloads the recording of a conversation (Agents host, `audio/wav`). Users without PII
    /// access always receive the redacted recording, whatever [`AudioRequest::redacted`] says.
    ///
    /// `agent_id` is the **project id** of the conversation (the `project_id` of a listed
    /// conversation; [`Client::recording`] takes it from there). Only finished voice calls
    /// have a recording: a web chat or a call in progress answers 404
    /// `CONVERSATIONS_RECORDING_NOT_FOUND` ([`Error::NotFound`]).
    pub fn audio(
        &self,
        agent_id: impl Into<String>,
        conversation_id: impl Into<String>,
    ) -> AudioRequest {
        AudioRequest {
            client: self.clone(),
            agent_id: agent_id.into(),
            conversation_id: conversation_id.into(),
            direction: AudioDirection::Combined,
            redacted: None,
            progress: None,
            max_resumes: 5,
            sync: true,
        }
    }
}

impl Client {
    /// The recording download of a conversation from a v3 listing
    /// ([`Client::list_conversations`]): the agent id is the conversation's `project_id`.
    /// Configure it like any [`AudioRequest`], then [`save_to`](AudioRequest::save_to) or
    /// [`stream`](AudioRequest::stream).
    ///
    /// Fails with [`Error::InvalidInput`], sending nothing, when the listing gave no
    /// `project_id`. Only finished voice calls have a recording (see [`Client::audio`]).
    pub fn recording(&self, conversation: &Conversation) -> Result<AudioRequest, Error> {
        let project_id = conversation
            .project_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "conversation {} came without a project_id, which the recording endpoint \
                     needs as its agent id; call Client::audio(project_id, conversation_id)",
                    conversation.id
                ))
            })?;
        Ok(self.audio(project_id, conversation.id.as_str()))
    }

    /// Saves the combined recording of a conversation from a v3 listing at `destination`,
    /// with [`AudioRequest::save_to`]'s guarantees (a partial file left by a process that died
    /// is continued). The same as `client.recording(conversation)?.save_to(destination)`.
    ///
    /// Only finished voice calls have a recording: for a web chat or a call still in
    /// progress this is [`Error::NotFound`] (`CONVERSATIONS_RECORDING_NOT_FOUND`).
    pub async fn download_recording(
        &self,
        conversation: &Conversation,
        destination: impl AsRef<Path>,
    ) -> Result<SavedAudio, Error> {
        self.recording(conversation)?.save_to(destination).await
    }
}

impl AudioRequest {
    /// Which side of the call to fetch (default [`AudioDirection::Combined`]).
    pub fn direction(mut self, direction: AudioDirection) -> Self {
        self.direction = direction;
        self
    }

    /// Ask for the redacted (`true`) or unredacted (`false`) recording.
    pub fn redacted(mut self, redacted: bool) -> Self {
        self.redacted = Some(redacted);
        self
    }

    /// Called as bytes arrive with the bytes written so far and the total, when known.
    pub fn on_progress(
        mut self,
        progress: impl Fn(u64, Option<u64>) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// How many times [`save_to`](Self::save_to) may resume or start over after a dropped
    /// connection (default 5).
    pub fn max_resumes(mut self, resumes: u32) -> Self {
        self.max_resumes = resumes;
        self
    }

    /// Whether [`save_to`](Self::save_to) flushes the file to disk (`fsync`) before renaming
    /// it into place, and the directory after (on Unix), so that a saved recording survives a
    /// power loss (default `true`).
    pub fn sync_to_disk(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    fn validate(&self) -> Result<(), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::path_segment("conversation_id", &self.conversation_id)
    }

    /// Sends one request, with `headers` added; returns the raw response for 200 and 206.
    /// Asks for the bytes as stored (`Accept-Encoding: identity`) and refuses any other
    /// `Content-Encoding`.
    async fn request(&self, mut headers: HeaderMap) -> Result<Response, Error> {
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        let mut call = self
            .client
            .data()
            .get_conversation_audio()
            .agent_id(self.agent_id.as_str())
            .conversation_id(self.conversation_id.as_str())
            .direction(match self.direction {
                AudioDirection::Combined => data::GetConversationAudioDirection::Combined,
                AudioDirection::User => data::GetConversationAudioDirection::User,
                AudioDirection::Agent => data::GetConversationAudioDirection::Agent,
            });
        if let Some(redacted) = self.redacted {
            call = call.redacted(redacted);
        }
        let response = match crate::transport::with_headers(headers, call.send_raw()).await {
            Ok(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                Response {
                    status,
                    headers,
                    body: value.into_inner().into_inner(),
                }
            }
            // The document declares only 200; a 206 answer to `Range` arrives here, unread.
            Err(progenitor_client::Error::UnexpectedResponse(response))
                if response.status() == StatusCode::PARTIAL_CONTENT =>
            {
                let status = response.status();
                let headers = response.headers().clone();
                Response {
                    status,
                    headers,
                    body: Box::pin(response.bytes_stream()),
                }
            }
            Err(error) => return Err(Error::from_generated(error).await),
        };
        refuse_content_coding(&response)?;
        Ok(response)
    }

    /// Asks for the whole recording; a `206` to a request without `Range` is refused.
    async fn request_whole(&self) -> Result<Response, Error> {
        let response = self.request(HeaderMap::new()).await?;
        if response.status == StatusCode::PARTIAL_CONTENT {
            return Err(Error::Transfer(format!(
                "recording of {}: the server answered a request for the whole file with 206 \
                 Partial Content ({:?}); nothing was kept",
                self.conversation_id,
                response.headers.get(CONTENT_RANGE)
            )));
        }
        Ok(response)
    }

    /// Asks for the bytes from `written` on, on condition that the recording is still the
    /// version `validator` names, and checks that the answer continues the file.
    async fn resume(
        &self,
        written: u64,
        total: Option<u64>,
        validator: &Validator,
    ) -> Result<Resumed, Error> {
        let mut headers = HeaderMap::new();
        if let Ok(range) = HeaderValue::from_str(&format!("bytes={written}-")) {
            headers.insert(RANGE, range);
        }
        headers.insert(IF_RANGE, validator.value().clone());
        let response = self.request(headers).await?;
        if response.status != StatusCode::PARTIAL_CONTENT {
            // The recording changed (the server saw If-Range fail) or ranges are not supported.
            return Ok(Resumed::Replaced(response));
        }
        if !validator.matches(&response.headers) {
            // A server or proxy that ignored If-Range: these bytes belong to another version.
            return Ok(Resumed::OtherVersion);
        }
        let range = response
            .headers
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        match range {
            Some((start, _, size)) if start == written && (total.is_none() || size == total) => {
                Ok(Resumed::Continued(response, size))
            }
            _ => Err(Error::Transfer(format!(
                "recording of {}: the server resumed at the wrong place (Content-Range {:?}, expected bytes {written}-{})",
                self.conversation_id,
                response.headers.get(CONTENT_RANGE),
                total.map_or("*".to_string(), |t| format!("{}/{t}", t.saturating_sub(1))),
            ))),
        }
    }

    /// Opens the recording as a stream of byte chunks. Nothing is buffered beyond the chunk
    /// being handed over.
    pub async fn stream(self) -> Result<AudioStream, Error> {
        self.validate()?;
        let response = self.request_whole().await?;
        Ok(AudioStream {
            content_length: header_u64(&response.headers, CONTENT_LENGTH),
            content_type: response
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.body,
        })
    }

    /// Saves the recording at `path` (see the module docs for the guarantees).
    ///
    /// The recording is written to a partial file beside `path` (`.NAME.part`, with what the
    /// server said about the version it holds in `.NAME.part.json`) and renamed to `path` once
    /// complete. A failed or dropped save removes both. A process that died mid-save (killed,
    /// crashed) leaves them behind, and the next save to the same `path` resumes from the
    /// partial file with `Range` and `If-Range`, or starts over when the recording changed,
    /// the request differs (another direction, say) or the partial file cannot be vouched
    /// for; either way the partial file is gone once the save completes.
    ///
    /// Two saves to the same `path` at once are refused ([`Error::InvalidInput`]): in one
    /// process by a claim on the destination, across processes by a lock on the partial file
    /// (advisory, where the file system supports locks; see the module docs).
    pub async fn save_to(self, path: impl AsRef<Path>) -> Result<SavedAudio, Error> {
        self.validate()?;
        let destination = path.as_ref().to_path_buf();
        // `partial` lives in this future: if the future is dropped before the rename, its Drop
        // removes the partial file and its validator. Errors below drop it too.
        let identity = self.identity();
        let (mut partial, file, earlier) = PartialFile::open(&destination, &identity)?;
        // What the partial file holds: an earlier process's bytes, or nothing (`open` emptied it).
        let on_disk = earlier.as_ref().map_or(0, |earlier| earlier.len);
        let start = match earlier {
            Some(earlier) => self.continue_earlier(earlier).await?,
            None => Start::fresh(self.request_whole().await?),
        };
        let resumed_from = start.written;
        let (file, bytes, resumes, restarts) = self
            .download_into(file, on_disk, &mut partial, start)
            .await?;
        partial.commit(file, &destination, self.sync).await?;
        Ok(SavedAudio {
            path: destination,
            bytes,
            resumes,
            restarts,
            resumed_from,
        })
    }

    /// What a partial file's validator record must match for the file to be continued.
    fn identity(&self) -> Identity {
        Identity {
            agent_id: self.agent_id.clone(),
            conversation_id: self.conversation_id.clone(),
            direction: match self.direction {
                AudioDirection::Combined => "combined",
                AudioDirection::User => "user",
                AudioDirection::Agent => "agent",
            }
            .to_owned(),
            redacted: self.redacted,
        }
    }

    /// Asks for the rest of a partial file an earlier process left, on condition that the
    /// recording is still the version it holds; otherwise for the whole recording.
    async fn continue_earlier(&self, earlier: Earlier) -> Result<Start, Error> {
        let resumed = match self
            .resume(earlier.len, earlier.total, &earlier.validator)
            .await
        {
            Ok(resumed) => resumed,
            // The partial file already holds every byte (the process died before the rename),
            // or the recording shrank: there is nothing to continue from, start over.
            Err(error) if error.status() == Some(StatusCode::RANGE_NOT_SATISFIABLE) => {
                Resumed::OtherVersion
            }
            Err(error) => return Err(error),
        };
        Ok(match resumed {
            Resumed::Continued(response, size) => Start {
                response,
                written: earlier.len,
                total: earlier.total.or(size),
                validator: Some(earlier.validator),
            },
            Resumed::Replaced(response) => Start::fresh(response),
            Resumed::OtherVersion => Start::fresh(self.request_whole().await?),
        })
    }

    /// Writes the recording into `file` (the partial file, holding `on_disk` bytes), from the
    /// first answer in `start`, resuming or starting over after dropped connections; returns
    /// the file, flushed, and what it took.
    async fn download_into(
        &self,
        file: tokio::fs::File,
        on_disk: u64,
        partial: &mut PartialFile,
        start: Start,
    ) -> Result<(tokio::fs::File, u64, u32, u32), Error> {
        let path = partial.path.clone();
        let Start {
            mut response,
            mut written,
            mut total,
            mut validator,
        } = start;
        let mut file = file;
        if written == 0 {
            // From byte 0, even over what an earlier process left (the recording changed):
            // empty the file, then say which version it holds before its first byte is written.
            rewind_to_empty(&mut file, on_disk).await?;
            partial.record(validator.as_ref(), total)?;
        }
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let (mut resumes, mut restarts, mut other_versions) = (0u32, 0u32, 0u32);
        self.report(written, total);

        loop {
            let failure = loop {
                match response.body.next().await {
                    Some(Ok(chunk)) => {
                        if total.is_some_and(|t| written + chunk.len() as u64 > t) {
                            break Some(format!(
                                "the server sent more than the {} bytes it announced",
                                total.unwrap_or(0)
                            ));
                        }
                        file.write_all(&chunk)
                            .await
                            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
                        written += chunk.len() as u64;
                        self.report(written, total);
                    }
                    Some(Err(error)) => {
                        break Some(format!(
                            "the connection failed after {written} bytes: {error}"
                        ));
                    }
                    None => match total {
                        Some(expected) if written < expected => {
                            break Some(format!(
                                "the body ended after {written} of {expected} bytes"
                            ));
                        }
                        _ => break None,
                    },
                }
            };
            let Some(reason) = failure else { break };
            if resumes + restarts >= self.max_resumes {
                let switched = if other_versions > 0 {
                    format!(
                        "; the server sent another version of the recording {other_versions} times \
                         while it was being downloaded"
                    )
                } else {
                    String::new()
                };
                return Err(Error::Transfer(format!(
                    "recording of {} not saved: {reason}; gave up after {resumes} resumes and \
                     {restarts} restarts{switched}",
                    self.conversation_id
                )));
            }
            tracing::warn!(conversation_id = %self.conversation_id, written, ?total, %reason, resumable = validator.is_some(), "audio transfer interrupted");

            // Continue the file only when the server can vouch that it is the same version;
            // otherwise start over, since appending another version's bytes would corrupt it.
            let replacement = match &validator {
                Some(validator) => match self.resume(written, total, validator).await? {
                    Resumed::Continued(next, size) => {
                        resumes += 1;
                        response = next;
                        total = total.or(size);
                        continue;
                    }
                    Resumed::Replaced(next) => Some(next),
                    Resumed::OtherVersion => {
                        other_versions += 1;
                        tracing::warn!(conversation_id = %self.conversation_id, "the resume returned another version of the recording; starting over");
                        None
                    }
                },
                None => None,
            };
            restarts += 1;
            response = match replacement {
                Some(next) => next,
                None => self.request_whole().await?,
            };
            file.flush()
                .await
                .map_err(|e| Error::io("flushing the partial recording", e))?;
            // Flushed, the file holds exactly the `written` bytes.
            let mut inner = file.into_inner();
            rewind_to_empty(&mut inner, written).await?;
            file = tokio::io::BufWriter::with_capacity(256 * 1024, inner);
            written = 0;
            total = header_u64(&response.headers, CONTENT_LENGTH);
            validator = Validator::of(&response.headers);
            partial.record(validator.as_ref(), total)?;
            self.report(0, total);
        }
        file.flush()
            .await
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok((file.into_inner(), written, resumes, restarts))
    }

    fn report(&self, done: u64, total: Option<u64>) {
        if let Some(progress) = &self.progress {
            progress(done, total);
        }
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

/// How the server answered a resume.
enum Resumed {
    /// A `206` of the same version at the right place, with the total it announced.
    Continued(Response, Option<u64>),
    /// A whole file (`200`): start over with it.
    Replaced(Response),
    /// A `206` that does not carry the validator the file started with.
    OtherVersion,
}

/// Refuses a body sent with a content coding: reqwest is built without decompression, so the
/// bytes would be, say, gzip, not the WAV recording.
fn refuse_content_coding(response: &Response) -> Result<(), Error> {
    for value in response.headers.get_all(CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let encoded = text
            .split(',')
            .map(str::trim)
            .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
        if encoded {
            return Err(Error::Decode {
                status: Some(response.status),
                message: format!(
                    "the recording came with Content-Encoding: {text}, although it was asked for \
                     with Accept-Encoding: identity; those bytes are not the WAV file, so they \
                     were not used (a proxy between you and PolyAI may be compressing responses)"
                ),
                body_excerpt: String::new(),
            });
        }
    }
    Ok(())
}

/// What a resume's `If-Range` carries, and what its `206` must carry again.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Validator {
    /// A strong entity tag.
    ETag(HeaderValue),
    /// A `Last-Modified` date known to be strong.
    LastModified(HeaderValue),
}

impl Validator {
    /// The validator an answer allows to resume against (RFC 9110, 13.1.5): a strong `ETag`;
    /// when there is no `ETag` at all, a `Last-Modified` that is strong by the rule of 8.8.2.2,
    /// that is, at least one second older than the answer's `Date`. A weak or malformed tag
    /// gives none (If-Range must not carry one, nor a date when a tag exists), and neither does
    /// a date without a later `Date`: the file could have changed twice in that second.
    fn of(headers: &HeaderMap) -> Option<Validator> {
        if let Some(tag) = headers.get(ETAG) {
            let bytes = tag.as_bytes();
            let strong = bytes.len() >= 2 && bytes.starts_with(b"\"") && bytes.ends_with(b"\"");
            return strong.then(|| Validator::ETag(tag.clone()));
        }
        let modified = headers.get(LAST_MODIFIED)?;
        let date = httpdate::parse_http_date(headers.get(DATE)?.to_str().ok()?).ok()?;
        let at = httpdate::parse_http_date(modified.to_str().ok()?).ok()?;
        let strong = date
            .duration_since(at)
            .is_ok_and(|gap| gap >= Duration::from_secs(1));
        strong.then(|| Validator::LastModified(modified.clone()))
    }

    fn value(&self) -> &HeaderValue {
        match self {
            Validator::ETag(value) | Validator::LastModified(value) => value,
        }
    }

    /// Whether a `206` carries this validator, byte for byte (a strong comparison).
    fn matches(&self, headers: &HeaderMap) -> bool {
        match self {
            Validator::ETag(tag) => headers.get(ETAG) == Some(tag),
            Validator::LastModified(date) => headers.get(LAST_MODIFIED) == Some(date),
        }
    }
}

/// A recording as a stream of byte chunks; see [`AudioRequest::stream`].
pub struct AudioStream {
    content_length: Option<u64>,
    content_type: Option<String>,
    body: Body,
}

impl fmt::Debug for AudioStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioStream")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl AudioStream {
    /// The size announced by the server, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The media type announced by the server (normally `audio/wav`).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
}

impl Stream for AudioStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.body
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map_err(Error::from_reqwest)))
    }
}

/// The suffix of a partial recording's name: `.NAME.part` beside `NAME`.
const PARTIAL_SUFFIX: &str = ".part";
/// The suffix of the record beside a partial recording: `.NAME.part.json`.
const RECORD_SUFFIX: &str = ".part.json";

/// The request a partial file was downloaded with: a later save continues the file only for
/// the same one (another direction or redaction is another file, even under one validator).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Identity {
    agent_id: String,
    conversation_id: String,
    direction: String,
    redacted: Option<bool>,
}

/// What is kept beside a partial file: the request, the version's validator and the size.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Record {
    #[serde(flatten)]
    identity: Identity,
    etag: Option<String>,
    last_modified: Option<String>,
    total: Option<u64>,
}

impl Record {
    fn validator(&self) -> Option<Validator> {
        match (&self.etag, &self.last_modified) {
            (Some(tag), None) => HeaderValue::from_str(tag).ok().map(Validator::ETag),
            (None, Some(date)) => HeaderValue::from_str(date)
                .ok()
                .map(Validator::LastModified),
            _ => None,
        }
    }
}

/// A partial file an earlier process left, with the validator its bytes were sent under.
struct Earlier {
    len: u64,
    total: Option<u64>,
    validator: Validator,
}

/// The first answer of a save and where in the file it starts.
struct Start {
    response: Response,
    written: u64,
    total: Option<u64>,
    validator: Option<Validator>,
}

impl Start {
    /// The whole recording, from byte 0.
    fn fresh(response: Response) -> Start {
        Start {
            total: header_u64(&response.headers, CONTENT_LENGTH),
            validator: Validator::of(&response.headers),
            response,
            written: 0,
        }
    }
}

/// Destinations being saved in this process, so two saves never share a partial file.
static IN_PROGRESS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The partial file beside the destination (`.NAME.part`) and its record (`.NAME.part.json`),
/// both removed when dropped unless the file was renamed into place: a save that fails, or
/// whose future is dropped, leaves nothing behind. Only a process that dies mid-save leaves
/// them, for the next save to the same destination to continue.
///
/// Drop cannot await, so the removal is a plain `std::fs::remove_file` on the dropping thread
/// rather than a task on the blocking pool: it is a single unlink (about what handing work to
/// the pool costs), it works with or without a runtime, and the file is gone when the drop
/// returns, whereas a spawned task might never run if the runtime is shutting down.
struct PartialFile {
    path: PathBuf,
    record_path: PathBuf,
    identity: Identity,
    /// This process's claim on the destination, released after the files are removed.
    _claim: Claim,
    committed: bool,
}

/// A destination claimed in [`IN_PROGRESS`] (by its partial file's absolute path), released
/// when dropped.
struct Claim(PathBuf);

impl Claim {
    /// Claims the destination whose partial file is `partial`, unless a save in this process
    /// holds it.
    fn take(partial: &Path, destination: &Path) -> Result<Claim, Error> {
        let claimed = std::path::absolute(partial).unwrap_or_else(|_| partial.to_path_buf());
        let mut in_progress = IN_PROGRESS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if in_progress.contains(&claimed) {
            return Err(Error::InvalidInput(format!(
                "{} is already being saved by this process; wait for that save to finish",
                destination.display()
            )));
        }
        in_progress.push(claimed.clone());
        Ok(Claim(claimed))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut in_progress = IN_PROGRESS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        in_progress.retain(|claimed| claimed != &self.0);
    }
}

/// The partial file and record paths for a destination.
fn partial_paths(destination: &Path) -> Result<(PathBuf, PathBuf), Error> {
    let name = destination.file_name().ok_or_else(|| {
        Error::InvalidInput(format!("{} does not name a file", destination.display()))
    })?;
    let name = name.to_string_lossy();
    let directory = directory_of(destination);
    Ok((
        directory.join(format!(".{name}{PARTIAL_SUFFIX}")),
        directory.join(format!(".{name}{RECORD_SUFFIX}")),
    ))
}

/// Opens (or creates) the partial file at `path` and locks it for this save, so that another
/// process saving the same destination is refused instead of writing into the same file.
///
/// The lock is an advisory exclusive lock on the open file ([`std::fs::File::try_lock`]; on
/// Unix `flock`), released when the file is closed, which a killed process does too: a partial
/// file a dead process left is free to continue. The save that holds the lock renames the file
/// into place before closing it, so a process that opened the path just before that rename
/// may lock the renamed file; on Unix the locked file is therefore checked to still be the one
/// at `path` (device and inode), and opened again if it is not. On a file system that cannot
/// lock, the save goes on unlocked, as it would without this check.
fn open_locked(path: &Path, destination: &Path) -> Result<std::fs::File, Error> {
    const ATTEMPTS: u32 = 3;
    for _ in 0..ATTEMPTS {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::InvalidInput(format!(
                    "{} is being saved by another process (its partial file {} is locked); \
                     run one save per destination at a time",
                    destination.display(),
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(error)) => {
                tracing::debug!(
                    path = %path.display(),
                    %error,
                    "the partial recording cannot be locked; saving without the lock"
                );
                return Ok(file);
            }
        }
        if still_at(&file, path) {
            return Ok(file);
        }
    }
    Err(Error::InvalidInput(format!(
        "{} kept being replaced while this save opened it ({ATTEMPTS} attempts); another \
         process is saving {}: run one save per destination at a time",
        path.display(),
        destination.display()
    )))
}

/// Empties `file` (of length `len`) unless it is empty already. Truncating a file to zero
/// bytes, even an empty one, makes ext4 (with its default `auto_da_alloc`, a guard for
/// programs that rewrite files in place) start writing the file's data out when it is closed:
/// for a recording of hundreds of megabytes the close then submits all of it to the disk. It
/// halved the throughput of a fresh 800 MiB save (`cargo xtask bench --only audio`: 1,305
/// MiB/s before, 2,702 after, without fsync).
fn empty_if_needed(file: &std::fs::File, len: u64) -> std::io::Result<()> {
    if len > 0 { file.set_len(0) } else { Ok(()) }
}

/// Empties the partial file `file`, which holds `len` bytes, and rewinds it to its start, for a
/// download from byte 0. A file that holds nothing is left as it is: see `empty_if_needed`.
async fn rewind_to_empty(file: &mut tokio::fs::File, len: u64) -> Result<(), Error> {
    if len == 0 {
        return Ok(());
    }
    file.set_len(0)
        .await
        .map_err(|e| Error::io("truncating the partial recording", e))?;
    file.seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(|e| Error::io("rewinding the partial recording", e))?;
    Ok(())
}

/// Whether `file` is still the file at `path` (not renamed away or removed since it was
/// opened). Only Unix can tell (device and inode); elsewhere it is taken to be.
fn still_at(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl PartialFile {
    /// Opens the partial file, claiming the destination in this process. Returns what an
    /// earlier process left, when its record says it holds the start of the recording this
    /// request asks for; otherwise the file is emptied and the record removed. File operations
    /// are synchronous like the removal: on the blocking pool one could complete after the
    /// save's future was dropped, leaving a file that no guard knows about.
    fn open(
        destination: &Path,
        identity: &Identity,
    ) -> Result<(PartialFile, tokio::fs::File, Option<Earlier>), Error> {
        let (path, record_path) = partial_paths(destination)?;
        let claim = Claim::take(&path, destination)?;
        // Refused here, the save leaves the files alone: they are another process's.
        let file = open_locked(&path, destination)?;
        // From here on, dropping `partial` removes the files, then releases the claim.
        let partial = PartialFile {
            path,
            record_path,
            identity: identity.clone(),
            _claim: claim,
            committed: false,
        };
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", partial.path.display()), e))?
            .len();
        let earlier = std::fs::read(&partial.record_path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
            .filter(|record| record.identity == *identity)
            .filter(|record| len > 0 && record.total.is_none_or(|total| len <= total))
            .and_then(|record| {
                Some(Earlier {
                    len,
                    total: record.total,
                    validator: record.validator()?,
                })
            });
        let mut file = file;
        match &earlier {
            Some(earlier) => {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(earlier.len))
                    .map_err(|e| Error::io(format!("reading {}", partial.path.display()), e))?;
            }
            None => {
                empty_if_needed(&file, len)
                    .map_err(|e| Error::io(format!("emptying {}", partial.path.display()), e))?;
                partial.remove_record()?;
            }
        }
        Ok((partial, tokio::fs::File::from_std(file), earlier))
    }

    /// Records the version the partial file holds from now on (called while the file is
    /// empty, before its first byte): with a validator, a later process can continue the
    /// file; without one, the record is removed and a later process starts over.
    fn record(&mut self, validator: Option<&Validator>, total: Option<u64>) -> Result<(), Error> {
        let Some(validator) = validator else {
            return self.remove_record();
        };
        let text = |value: &HeaderValue| String::from_utf8_lossy(value.as_bytes()).into_owned();
        let (etag, last_modified) = match validator {
            Validator::ETag(tag) => (Some(text(tag)), None),
            Validator::LastModified(date) => (None, Some(text(date))),
        };
        let record = Record {
            identity: self.identity.clone(),
            etag,
            last_modified,
            total,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| {
            Error::InvalidInput(format!("recording the partial file's version: {e}"))
        })?;
        std::fs::write(&self.record_path, bytes)
            .map_err(|e| Error::io(format!("writing {}", self.record_path.display()), e))
    }

    fn remove_record(&self) -> Result<(), Error> {
        remove_if_present(&self.record_path).map(drop)
    }

    /// Flushes `file` (when `sync`), renames it to `destination`, then flushes the directory so
    /// the rename is durable too. A failure before the rename drops `self`, removing the file.
    async fn commit(
        mut self,
        file: tokio::fs::File,
        destination: &Path,
        sync: bool,
    ) -> Result<(), Error> {
        if sync {
            file.sync_all()
                .await
                .map_err(|e| Error::io(format!("flushing {}", self.path.display()), e))?;
        }
        // The file stays open, and so locked (see `open_locked`), until it has been renamed
        // and its record removed: no other process can take it up in between.
        // If the future is dropped while the rename is pending, Drop removes the file before
        // the rename (which then fails) or finds it already moved: either way no partial file.
        tokio::fs::rename(&self.path, destination)
            .await
            .map_err(|e| {
                Error::io(
                    format!("moving the recording to {}", destination.display()),
                    e,
                )
            })?;
        self.committed = true;
        // The record describes a partial file that no longer exists.
        let _ = std::fs::remove_file(&self.record_path);
        drop(file);
        if sync {
            sync_directory(destination).await?;
        }
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.record_path);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Removes the partial recordings (and their records) that processes which died mid-save
/// left in `directory`; returns how many partial files were removed. [`AudioRequest::save_to`]
/// continues such a file when it saves the same destination again, so call this once a run
/// has saved everything it wanted, for the partial files of recordings it no longer asks for.
///
/// A partial file that a running save holds (it is locked; see the module docs) is left alone
/// with its record, in this process or another, so a clean-up may run beside other saves
/// where the file system supports locks. Each file removed is locked while it is removed, so
/// a save that starts at that moment is refused instead of writing into a removed file.
pub fn remove_partial_files(directory: impl AsRef<Path>) -> Result<usize, Error> {
    let directory = directory.as_ref();
    let listing = |e| Error::io(format!("listing {}", directory.display()), e);
    let (mut partials, mut records) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(directory).map_err(listing)? {
        let entry = entry.map_err(listing)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with('.') {
            continue;
        }
        if name.ends_with(PARTIAL_SUFFIX) {
            partials.push(entry.path());
        } else if name.ends_with(RECORD_SUFFIX) {
            records.push(entry.path());
        }
    }
    let mut removed = 0;
    let mut held_by_a_save = std::collections::HashSet::new();
    for path in partials {
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                return Err(Error::io(format!("opening {}", path.display()), error));
            }
        };
        // Without locks on this file system, the file goes as it always did.
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
            held_by_a_save.insert(path);
            continue;
        }
        if remove_if_present(&path)? {
            removed += 1;
        }
        drop(file);
    }
    for record in records {
        // `.NAME.part.json` belongs to `.NAME.part`.
        let partial = record.with_extension("");
        if !held_by_a_save.contains(&partial) {
            remove_if_present(&record)?;
        }
    }
    Ok(removed)
}

/// Removes `path`; whether it was there.
fn remove_if_present(path: &Path) -> Result<bool, Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(Error::io(format!("removing {}", path.display()), error)),
    }
}

/// The directory a destination lives in (`.` for a bare file name).
fn directory_of(destination: &Path) -> PathBuf {
    match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Flushes the directory holding `destination`, so a rename into it survives a power loss.
/// Only on Unix, where a directory can be opened and synced; elsewhere there is no portable
/// way and nothing is done. File systems that cannot sync a directory are skipped as well.
async fn sync_directory(destination: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        let directory = directory_of(destination);
        let synced = match tokio::fs::File::open(&directory).await {
            Ok(handle) => handle.sync_all().await,
            Err(error) => Err(error),
        };
        match synced {
            Ok(()) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported
                ) => {}
            Err(error) => {
                return Err(Error::io(
                    format!(
                        "flushing the directory {} (the recording is complete at {}, but its \
                         rename may not survive a power loss)",
                        directory.display(),
                        destination.display()
                    ),
                    error,
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = destination;
    Ok(())
}

fn header_u64(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Parses `bytes START-END/SIZE` (SIZE may be `*`).
fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let size = if size.trim() == "*" {
        None
    } else {
        Some(size.trim().parse().ok()?)
    };
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?, size))
}

#[cfg(test)]
mod tests {
    use super::{HeaderMap, HeaderValue, Validator, parse_content_range};

    type Pairs = &'static [(&'static str, &'static str)];

    fn headers(pairs: Pairs) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    reqwest::header::HeaderName::from_static(n),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn validators_follow_rfc_9110() {
        let tag = HeaderValue::from_static("\"v1\"");
        let date = HeaderValue::from_static("Tue, 03 Nov 2026 10:00:00 GMT");
        let cases: [(Pairs, Option<Validator>); 7] = [
            (&[("etag", "\"v1\"")], Some(Validator::ETag(tag.clone()))),
            (&[("etag", "W/\"v1\"")], None),
            (&[("etag", "v1")], None),
            (
                &[
                    ("etag", "W/\"v1\""),
                    ("last-modified", "Tue, 03 Nov 2026 10:00:00 GMT"),
                    ("date", "Tue, 03 Nov 2026 11:00:00 GMT"),
                ],
                None,
            ),
            (
                &[
                    ("last-modified", "Tue, 03 Nov 2026 10:00:00 GMT"),
                    ("date", "Tue, 03 Nov 2026 10:00:01 GMT"),
                ],
                Some(Validator::LastModified(date.clone())),
            ),
            (
                &[
                    ("last-modified", "Tue, 03 Nov 2026 10:00:00 GMT"),
                    ("date", "Tue, 03 Nov 2026 10:00:00 GMT"),
                ],
                None,
            ),
            (&[("last-modified", "Tue, 03 Nov 2026 10:00:00 GMT")], None),
        ];
        for (given, expected) in cases {
            assert_eq!(Validator::of(&headers(given)), expected, "{given:?}");
        }
        let strong = Validator::ETag(tag);
        assert!(strong.matches(&headers(&[("etag", "\"v1\"")])));
        assert!(!strong.matches(&headers(&[("etag", "\"v2\"")])));
        assert!(!strong.matches(&headers(&[])), "a 206 must repeat the tag");
        let dated = Validator::LastModified(date);
        assert!(dated.matches(&headers(&[(
            "last-modified",
            "Tue, 03 Nov 2026 10:00:00 GMT"
        )])));
        assert!(!dated.matches(&headers(&[(
            "last-modified",
            "Tue, 03 Nov 2026 10:00:05 GMT"
        )])));
    }

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, 199, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, 9, None)));
        assert_eq!(parse_content_range("items 0-9/10"), None);
        assert_eq!(parse_content_range("bytes x-9/10"), None);
    }
}
