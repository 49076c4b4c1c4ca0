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
//! only once the whole recording has arrived and its length matches `Content-Length`. If the
//! connection drops, it asks for the rest with `Range` (and `If-Range`, when the server gave an
//! `ETag` or `Last-Modified`): a `206` with the expected `Content-Range` continues the file, a
//! `200` starts it over. Whatever happens, nothing partial is left at the destination.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_RANGE,
    LAST_MODIFIED, RANGE,
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
    /// How many times it started over because the server answered a resume with `200`.
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

    /// How many times [`save_to`](Self::save_to) may resume after a dropped connection
    /// (default 5).
    pub fn max_resumes(mut self, resumes: u32) -> Self {
        self.max_resumes = resumes;
        self
    }

    /// Whether [`save_to`](Self::save_to) flushes the file to disk (`fsync`) before renaming
    /// it into place (default `true`).
    pub fn sync_to_disk(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    fn validate(&self) -> Result<(), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::path_segment("conversation_id", &self.conversation_id)
    }

    /// Sends one request, with `headers` added; returns the raw response for 200 and 206.
    async fn request(&self, headers: HeaderMap) -> Result<Response, Error> {
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
        match crate::transport::with_headers(headers, call.send()).await {
            Ok(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                Ok(Response {
                    status,
                    headers,
                    body: value.into_inner().into_inner(),
                })
            }
            // The document declares only 200; a 206 answer to `Range` arrives here, unread.
            Err(progenitor_client::Error::UnexpectedResponse(response))
                if response.status() == StatusCode::PARTIAL_CONTENT =>
            {
                let status = response.status();
                let headers = response.headers().clone();
                Ok(Response {
                    status,
                    headers,
                    body: Box::pin(response.bytes_stream()),
                })
            }
            Err(error) => Err(Error::from_generated(error).await),
        }
    }

    /// Opens the recording as a stream of byte chunks. Nothing is buffered beyond the chunk
    /// being handed over.
    pub async fn stream(self) -> Result<AudioStream, Error> {
        self.validate()?;
        let response = self.request(HeaderMap::new()).await?;
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
        let partial = PartialFile::create(&destination).await?;
        let outcome = self.download_into(&partial).await;
        match outcome {
            Ok((bytes, resumes, restarts)) => {
                partial.commit(&destination, self.sync).await?;
                Ok(SavedAudio {
                    path: destination,
                    bytes,
                    resumes,
                    restarts,
                })
            }
            Err(error) => {
                partial.discard().await;
                Err(error)
            }
        }
    }

    async fn download_into(&self, partial: &PartialFile) -> Result<(u64, u32, u32), Error> {
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, partial.open().await?);
        let mut response = self.request(HeaderMap::new()).await?;
        let mut total = header_u64(&response.headers, CONTENT_LENGTH);
        let mut validator = validator(&response.headers);
        let mut written: u64 = 0;
        let (mut resumes, mut restarts) = (0u32, 0u32);
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
                        file.write_all(&chunk).await.map_err(|e| {
                            Error::io(format!("writing {}", partial.path.display()), e)
                        })?;
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
                return Err(Error::Transfer(format!(
                    "recording of {} not saved: {reason}; gave up after {} resumes",
                    self.conversation_id, self.max_resumes
                )));
            }
            tracing::warn!(conversation_id = %self.conversation_id, written, ?total, %reason, "audio transfer interrupted; resuming");

            let mut headers = HeaderMap::new();
            if let Ok(range) = HeaderValue::from_str(&format!("bytes={written}-")) {
                headers.insert(RANGE, range);
            }
            if let Some(validator) = &validator {
                headers.insert(IF_RANGE, validator.clone());
            }
            response = self.request(headers).await?;
            match response.status {
                StatusCode::PARTIAL_CONTENT => {
                    let range = response
                        .headers
                        .get(CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_content_range);
                    match range {
                        Some((start, _, size))
                            if start == written && (total.is_none() || size == total) =>
                        {
                            resumes += 1;
                            total = total.or(size);
                        }
                        _ => {
                            return Err(Error::Transfer(format!(
                                "recording of {}: the server resumed at the wrong place (Content-Range {:?}, expected bytes {written}-)",
                                self.conversation_id,
                                response.headers.get(CONTENT_RANGE)
                            )));
                        }
                    }
                }
                _ => {
                    // A full answer: the recording changed or the server ignores ranges. Start over.
                    restarts += 1;
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
                    validator = self::validator(&response.headers);
                    self.report(0, total);
                }
            }
        }
        file.flush()
            .await
            .map_err(|e| Error::io(format!("writing {}", partial.path.display()), e))?;
        Ok((written, resumes, restarts))
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

/// A temporary file beside the destination, removed unless committed.
struct PartialFile {
    path: PathBuf,
}

impl PartialFile {
    async fn create(destination: &Path) -> Result<PartialFile, Error> {
        let name = destination.file_name().ok_or_else(|| {
            Error::InvalidInput(format!("{} does not name a file", destination.display()))
        })?;
        let directory = match destination.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let unique = std::process::id() as u64 ^ crate::retry::random_u64();
        let path = directory.join(format!(".{}.{unique:016x}.part", name.to_string_lossy()));
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok(PartialFile { path })
    }

    async fn open(&self) -> Result<tokio::fs::File, Error> {
        tokio::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .await
            .map_err(|e| Error::io(format!("opening {}", self.path.display()), e))
    }

    async fn commit(&self, destination: &Path, sync: bool) -> Result<(), Error> {
        if sync {
            let file = self.open().await?;
            if let Err(e) = file.sync_all().await {
                self.discard().await;
                return Err(Error::io(format!("flushing {}", self.path.display()), e));
            }
        }
        if let Err(e) = tokio::fs::rename(&self.path, destination).await {
            self.discard().await;
            return Err(Error::io(
                format!("moving the recording to {}", destination.display()),
                e,
            ));
        }
        Ok(())
    }

    async fn discard(&self) {
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

fn header_u64(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A strong `ETag`, or else `Last-Modified`: what `If-Range` may carry.
fn validator(headers: &HeaderMap) -> Option<HeaderValue> {
    headers
        .get(ETAG)
        .filter(|v| !v.as_bytes().starts_with(b"W/"))
        .or_else(|| headers.get(LAST_MODIFIED))
        .cloned()
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
    use super::parse_content_range;

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
