//! Call recordings: stream them chunk by chunk, or save them to disk in constant memory.
//!
//! ```no_run
//! use polyai_sdk::audio::AudioDirection;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let saved = client
//!     .audio("my-agent", "CA0123")
//!     .direction(AudioDirection::Combined)
//!     .on_progress(|done, total| eprintln!("{done} of {total:?} bytes"))
//!     .save_to("recordings/CA0123.wav")
//!     .await?;
//! println!("{} bytes, {} resumes", saved.bytes, saved.resumes);
//! # Ok(()) }
//! ```
//!
//! [`AudioRequest::save_to`] writes to a temporary file beside the destination and renames it
//! only once the whole recording has arrived and its length matches `Content-Length`; with
//! [`sync_to_disk`](AudioRequest::sync_to_disk) on (the default) the file and then its directory
//! are flushed, so the rename survives a power loss. The temporary file is removed whenever the
//! save does not complete, including when its future is dropped (a `timeout`, a `select!`, an
//! aborted task), so nothing partial is ever left behind.
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
}

impl Client {
    /// Downloads the recording of a conversation (Agents host, `audio/wav`). Users without PII
    /// access always receive the redacted recording, whatever [`AudioRequest::redacted`] says.
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
    pub async fn save_to(self, path: impl AsRef<Path>) -> Result<SavedAudio, Error> {
        self.validate()?;
        let destination = path.as_ref().to_path_buf();
        // `partial` lives in this future: if the future is dropped before the rename, its Drop
        // removes the temporary file. Errors below drop it too.
        let (partial, file) = PartialFile::create(&destination)?;
        let (file, bytes, resumes, restarts) = self.download_into(file, &partial.path).await?;
        partial.commit(file, &destination, self.sync).await?;
        Ok(SavedAudio {
            path: destination,
            bytes,
            resumes,
            restarts,
        })
    }

    /// Writes the recording into `file` (the temporary file at `path`), resuming or starting
    /// over after dropped connections; returns the file, flushed, and what it took.
    async fn download_into(
        &self,
        file: tokio::fs::File,
        path: &Path,
    ) -> Result<(tokio::fs::File, u64, u32, u32), Error> {
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let mut response = self.request_whole().await?;
        let mut total = header_u64(&response.headers, CONTENT_LENGTH);
        let mut validator = Validator::of(&response.headers);
        let mut written: u64 = 0;
        let (mut resumes, mut restarts, mut other_versions) = (0u32, 0u32, 0u32);
        self.report(0, total);

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
            let mut inner = file.into_inner();
            inner
                .set_len(0)
                .await
                .map_err(|e| Error::io("truncating the partial recording", e))?;
            inner
                .seek(std::io::SeekFrom::Start(0))
                .await
                .map_err(|e| Error::io("rewinding the partial recording", e))?;
            file = tokio::io::BufWriter::with_capacity(256 * 1024, inner);
            written = 0;
            total = header_u64(&response.headers, CONTENT_LENGTH);
            validator = Validator::of(&response.headers);
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

/// A temporary file beside the destination, removed when dropped unless it was renamed into
/// place: a save that fails, or whose future is dropped, leaves nothing behind.
///
/// Drop cannot await, so the removal is a plain `std::fs::remove_file` on the dropping thread
/// rather than a task on the blocking pool: it is a single unlink (about what handing work to
/// the pool costs), it works with or without a runtime, and the file is gone when the drop
/// returns, whereas a spawned task might never run if the runtime is shutting down.
struct PartialFile {
    path: PathBuf,
    committed: bool,
}

impl PartialFile {
    /// Creates the file under a unique name. The creation is synchronous like the removal: on
    /// the blocking pool it could complete after the save's future was dropped, leaving a file
    /// that no guard knows about.
    fn create(destination: &Path) -> Result<(PartialFile, tokio::fs::File), Error> {
        let name = destination.file_name().ok_or_else(|| {
            Error::InvalidInput(format!("{} does not name a file", destination.display()))
        })?;
        let unique = std::process::id() as u64 ^ crate::retry::random_u64();
        let path = directory_of(destination)
            .join(format!(".{}.{unique:016x}.part", name.to_string_lossy()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok((
            PartialFile {
                path,
                committed: false,
            },
            tokio::fs::File::from_std(file),
        ))
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
        drop(file);
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
        if sync {
            sync_directory(destination).await?;
        }
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
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
