//! The Agents API's audio cache (synthesized utterances an agent reuses): the listing as a
//! stream, with the same shape as the conversation listings, and the two uploads the code
//! generator cannot produce, written by hand in the generated builders' style:
//! [`Client::replace_audio_cache_file`] (a raw WAV body) and
//! [`Client::replace_audio_cache_details`] (a multipart upload of the WAV and its voice
//! settings).
//!
//! ```no_run
//! use futures::TryStreamExt;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let mut entries = client.list_audio_cache_entries("my-agent").sort("hit_count:desc").stream();
//! while let Some(entry) = entries.try_next().await? {
//!     println!("{entry:?}");
//! }
//! let wav = std::fs::read("greeting.wav")?;
//! client
//!     .replace_audio_cache_file("my-agent", "1042")
//!     .filename("greeting.wav")
//!     .body(wav)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::num::NonZeroU64;

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::paging::{
    ItemStream, ListingPosition, PageStream, failed, flatten_pages, paginate_offset,
};
use crate::region::HostFamily;
use crate::transport::{Operation, OperationTraits, send_hand_written};
use crate::{Client, Error, validate};

/// One cached utterance.
#[doc(no_inline)]
pub use crate::generated::agents::types::AudioCacheEntry;

/// Provider-specific voice tuning of a cached utterance (the generated Agents API type), for
/// [`ReplaceAudioCacheDetails::config`]. Unset fields are left out of the JSON.
///
/// ```
/// use polyai_sdk::audio_cache::VoiceTuningConfig;
///
/// let config = VoiceTuningConfig { speed: Some(1.2), ..Default::default() };
/// assert_eq!(serde_json::to_string(&config).unwrap(), r#"{"speed":1.2}"#);
/// ```
#[doc(no_inline)]
pub use crate::generated::agents::types::VoiceTuningConfig;

/// The largest audio file the audio cache accepts, in bytes. PolyAI documents "6 MB"; the SDK
/// reads it as 6 MiB, the larger reading, so that it never refuses a file the server would
/// take. Bigger uploads are refused with [`Error::InvalidInput`] before anything is sent.
///
/// ```
/// use polyai_sdk::audio_cache::MAX_AUDIO_UPLOAD_BYTES;
///
/// let wav = vec![0u8; 1024];
/// assert!(wav.len() <= MAX_AUDIO_UPLOAD_BYTES);
/// assert_eq!(MAX_AUDIO_UPLOAD_BYTES, 6_291_456);
/// ```
pub const MAX_AUDIO_UPLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The largest page the audio cache listing serves.
const MAX_PAGE: u32 = 200;

impl Client {
    /// Lists an agent's cached audio (Agents host), with limit/offset paging.
    pub fn list_audio_cache_entries(&self, agent_id: impl Into<String>) -> AudioCacheListing {
        AudioCacheListing {
            client: self.clone(),
            agent_id: agent_id.into(),
            page_size: 50,
            start: ListingPosition::Offset(0),
            sort: None,
        }
    }
}

/// An agent's audio cache listing; see [`Client::list_audio_cache_entries`].
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until it is streamed"]
pub struct AudioCacheListing {
    client: Client,
    agent_id: String,
    page_size: u32,
    start: ListingPosition,
    sort: Option<String>,
}

impl AudioCacheListing {
    /// Entries per page (default 50, at most 200).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Skips the first `offset` entries (the same as [`resume_from`](Self::resume_from) with
    /// [`ListingPosition::Offset`]).
    pub fn offset(mut self, offset: u64) -> Self {
        self.start = ListingPosition::Offset(offset);
        self
    }

    /// Starts from a position reported by an earlier listing with the same sort: a
    /// [`Page::next_position`](crate::paging::Page::next_position) or the
    /// [`Error::resume_position`] of a listing that failed.
    pub fn resume_from(mut self, position: impl Into<ListingPosition>) -> Self {
        self.start = position.into();
        self
    }

    /// Sort order as `field:asc` or `field:desc`, for example `hit_count:desc`.
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    /// Checks the agent id, page size and start once, before any request; returns the limit
    /// and the first offset.
    fn checked(&self) -> Result<(NonZeroU64, u64), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        let limit = validate::page_size(self.page_size, MAX_PAGE)?;
        let offset = self.start.offset()?;
        validate::offset(offset)?;
        Ok((limit, offset))
    }

    async fn fetch(
        &self,
        offset: u64,
        limit: NonZeroU64,
    ) -> Result<(Vec<AudioCacheEntry>, Option<u64>), Error> {
        let mut request = self
            .client
            .agents()
            .list_audio_cache_entries()
            .agent_id(self.agent_id.as_str())
            .limit(limit)
            .offset(validate::offset(offset)?);
        if let Some(sort) = &self.sort {
            request = request.sort(sort.as_str());
        }
        let page = request.send().await.map(crate::ResponseValue::into_inner)?;
        let total = page.total_count.and_then(|t| u64::try_from(t).ok());
        Ok((page.entries, total))
    }

    /// Every page, lazily, following `totalCount` (past short pages) until it is reached; a
    /// response without it ends at its first short page, and an empty page always ends the
    /// listing. Fails like
    /// [`AgentConversationListing::pages`](crate::agent_conversations::AgentConversationListing::pages):
    /// a repeated page (ignored `offset`) is an [`Error::Transfer`], a page that cannot be
    /// fetched an [`Error::Listing`] with the position to resume from.
    pub fn pages(self) -> PageStream<AudioCacheEntry> {
        let (limit, start) = match self.checked() {
            Ok(checked) => checked,
            Err(error) => return failed(error),
        };
        fn id(entry: &AudioCacheEntry) -> &str {
            &entry.id
        }
        paginate_offset(start, limit, id, move |offset| {
            let listing = self.clone();
            async move { listing.fetch(offset, limit).await }
        })
    }

    /// Every entry, one at a time.
    pub fn stream(self) -> ItemStream<AudioCacheEntry> {
        flatten_pages(self.pages())
    }
}

/// `PATCH /v1/agents/{agentId}/audio-cache/{entryId}/file`. The file is replaced as a whole
/// with the bytes sent, so repeating the request leaves the same state: it is retried like a
/// PUT.
static REPLACE_FILE: Operation = Operation {
    id: "replace_audio_cache_file",
    method: Method::PATCH,
    path: "/v1/agents/{agentId}/audio-cache/{entryId}/file",
    host: HostFamily::Agents,
    traits: OperationTraits {
        idempotent: true,
        streaming: None,
    },
};

/// `PUT /v1/agents/{agentId}/audio-cache/{entryId}/details`.
static REPLACE_DETAILS: Operation = Operation {
    id: "replace_audio_cache_details",
    method: Method::PUT,
    path: "/v1/agents/{agentId}/audio-cache/{entryId}/details",
    host: HostFamily::Agents,
    traits: OperationTraits {
        idempotent: true,
        streaming: None,
    },
};

impl Client {
    /// Replaces the audio file of an audio cache entry (Agents host,
    /// `PATCH /v1/agents/{agentId}/audio-cache/{entryId}/file`) with raw WAV bytes, sent as
    /// `Content-Type: audio/wav`. PolyAI names the file `{entryId}.wav` unless
    /// [`filename`](ReplaceAudioCacheFile::filename) says otherwise. Answers 204.
    ///
    /// Retried like the idempotent operations: although the method is PATCH, it replaces the
    /// whole file with the bytes sent, so a repeat leaves the same state as one call. (Run it
    /// inside [`with_retry_policy`](crate::retry::with_retry_policy) with
    /// [`RetryPolicy::disabled`](crate::RetryPolicy::disabled) to opt out.)
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .replace_audio_cache_file("my-agent", "1042")
    ///     .filename("greeting.wav")
    ///     .body(wav)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn replace_audio_cache_file(
        &self,
        agent_id: impl Into<String>,
        entry_id: impl Into<String>,
    ) -> ReplaceAudioCacheFile {
        ReplaceAudioCacheFile {
            client: self.clone(),
            agent_id: agent_id.into(),
            entry_id: entry_id.into(),
            filename: None,
            body: None,
        }
    }

    /// Replaces both the audio file and the voice settings of an audio cache entry in one
    /// request (Agents host, `PUT /v1/agents/{agentId}/audio-cache/{entryId}/details`): a
    /// `multipart/form-data` body with a `file` part (the WAV) and a `settings` part holding
    /// `{"text": ..., "config": ...}` as JSON text. Answers 204. Safe to retry.
    ///
    /// ```no_run
    /// use polyai_sdk::audio_cache::VoiceTuningConfig;
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// let config = VoiceTuningConfig {
    ///     stability: Some(0.6),
    ///     speed: Some(1.1),
    ///     ..Default::default()
    /// };
    /// client
    ///     .replace_audio_cache_details("my-agent", "1042")
    ///     .text("Thanks for calling, how can I help?")
    ///     .config(config)
    ///     .file(wav)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn replace_audio_cache_details(
        &self,
        agent_id: impl Into<String>,
        entry_id: impl Into<String>,
    ) -> ReplaceAudioCacheDetails {
        ReplaceAudioCacheDetails {
            client: self.clone(),
            agent_id: agent_id.into(),
            entry_id: entry_id.into(),
            filename: None,
            file: None,
            text: None,
            config: VoiceTuningConfig::default(),
        }
    }
}

/// A raw WAV upload replacing an audio cache entry's file; see
/// [`Client::replace_audio_cache_file`].
///
/// Nothing is checked until [`send`](Self::send): then an empty agent id, an entry id that is
/// not a decimal integer, a missing or empty body, a body over [`MAX_AUDIO_UPLOAD_BYTES`] and a
/// file name that cannot travel in a header are refused with [`Error::InvalidInput`], without
/// a request.
///
/// ```no_run
/// # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
/// let upload = client
///     .replace_audio_cache_file("my-agent", "1042")
///     .body(bytes::Bytes::from_static(b"RIFF....WAVEfmt "));
/// upload.send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "nothing is sent until send() is called"]
pub struct ReplaceAudioCacheFile {
    client: Client,
    agent_id: String,
    entry_id: String,
    filename: Option<String>,
    body: Option<Bytes>,
}

impl fmt::Debug for ReplaceAudioCacheFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplaceAudioCacheFile")
            .field("agent_id", &self.agent_id)
            .field("entry_id", &self.entry_id)
            .field("filename", &self.filename)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

impl ReplaceAudioCacheFile {
    /// The file name PolyAI stores, sent as `X-Filename` (default: `{entryId}.wav`, chosen by
    /// the server). Printable ASCII only, since it travels in a header.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// client.replace_audio_cache_file("my-agent", "1042").filename("welcome-v2.wav").body(wav).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// The WAV bytes, at most [`MAX_AUDIO_UPLOAD_BYTES`]. Held as [`Bytes`], so a retry resends
    /// them without a copy.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let wav = tokio::fs::read("greeting.wav").await?;
    /// client.replace_audio_cache_file("my-agent", "1042").body(wav).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn body(mut self, wav: impl Into<Bytes>) -> Self {
        self.body = Some(wav.into());
        self
    }

    /// Checks the input and sends the upload; `Ok(())` once PolyAI answers 204.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// match client.replace_audio_cache_file("my-agent", "1042").body(wav).send().await {
    ///     Ok(()) => println!("replaced"),
    ///     Err(polyai_sdk::Error::NotFound(_)) => println!("no such entry"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::numeric_id("entry_id", &self.entry_id)?;
        let Some(body) = self.body else {
            return Err(Error::InvalidInput(
                "no audio to upload: call .body(..) with the WAV bytes".to_string(),
            ));
        };
        validate::upload_size("the audio", body.len(), MAX_AUDIO_UPLOAD_BYTES, "6 MB")?;
        let filename = self
            .filename
            .as_deref()
            .map(|name| {
                checked_filename(name).and_then(|name| {
                    HeaderValue::from_str(name).map_err(|_| {
                        Error::InvalidInput(format!(
                            "filename {name:?} cannot be sent in the X-Filename header"
                        ))
                    })
                })
            })
            .transpose()?;
        let agents = self.client.agents();
        send_hand_written(
            agents,
            &REPLACE_FILE,
            &[&self.agent_id, &self.entry_id],
            |request| {
                let request = request
                    .header(CONTENT_TYPE, HeaderValue::from_static("audio/wav"))
                    .body(body);
                match filename {
                    Some(name) => request.header("x-filename", name),
                    None => request,
                }
            },
        )
        .await
        .map(drop)
    }
}

/// A multipart upload replacing an audio cache entry's file and voice settings; see
/// [`Client::replace_audio_cache_details`].
///
/// [`text`](Self::text) and [`file`](Self::file) are required;
/// [`config`](Self::config) defaults to an empty tuning (`{}`). Nothing is checked until
/// [`send`](Self::send), which refuses bad input with [`Error::InvalidInput`] before any
/// request, as [`ReplaceAudioCacheFile`] does.
///
/// ```no_run
/// # async fn demo(client: polyai_sdk::Client, wav: bytes::Bytes) -> Result<(), polyai_sdk::Error> {
/// let upload = client
///     .replace_audio_cache_details("my-agent", "1042")
///     .text("Goodbye!")
///     .file(wav);
/// upload.send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "nothing is sent until send() is called"]
pub struct ReplaceAudioCacheDetails {
    client: Client,
    agent_id: String,
    entry_id: String,
    filename: Option<String>,
    file: Option<Bytes>,
    text: Option<String>,
    config: VoiceTuningConfig,
}

impl fmt::Debug for ReplaceAudioCacheDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplaceAudioCacheDetails")
            .field("agent_id", &self.agent_id)
            .field("entry_id", &self.entry_id)
            .field("filename", &self.filename)
            .field("file_len", &self.file.as_ref().map(Bytes::len))
            .field("text", &self.text)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The `settings` part: JSON text of this shape.
#[derive(serde::Serialize)]
struct DetailsSettings<'a> {
    text: &'a str,
    config: &'a VoiceTuningConfig,
}

impl ReplaceAudioCacheDetails {
    /// The transcript of the audio (`settings.text`). Required, not blank.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// client.replace_audio_cache_details("my-agent", "1042").text("Hello!").file(wav).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The provider-specific voice tuning (`settings.config`); default: none (`{}`).
    ///
    /// ```no_run
    /// use polyai_sdk::audio_cache::VoiceTuningConfig;
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// let config = VoiceTuningConfig { model_id: Some("eleven_turbo_v2".into()), ..Default::default() };
    /// client.replace_audio_cache_details("my-agent", "1042").text("Hello!").config(config).file(wav).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn config(mut self, config: VoiceTuningConfig) -> Self {
        self.config = config;
        self
    }

    /// The WAV bytes for the `file` part, at most [`MAX_AUDIO_UPLOAD_BYTES`]. Required.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let wav = tokio::fs::read("hello.wav").await?;
    /// client.replace_audio_cache_details("my-agent", "1042").text("Hello!").file(wav).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn file(mut self, wav: impl Into<Bytes>) -> Self {
        self.file = Some(wav.into());
        self
    }

    /// The file name given in the `file` part (default: `{entryId}.wav`). Printable ASCII only.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// client
    ///     .replace_audio_cache_details("my-agent", "1042")
    ///     .filename("hello-v3.wav")
    ///     .text("Hello!")
    ///     .file(wav)
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// Checks the input, builds the multipart body once (so retries resend the same bytes)
    /// and sends it; `Ok(())` once PolyAI answers 204.
    ///
    /// ```no_run
    /// # async fn demo(client: polyai_sdk::Client, wav: Vec<u8>) -> Result<(), polyai_sdk::Error> {
    /// let result = client.replace_audio_cache_details("my-agent", "1042").text("Hi").file(wav).send().await;
    /// if let Err(error) = &result {
    ///     eprintln!("upload failed: {error} (correlation id {:?})", error.correlation_id());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::numeric_id("entry_id", &self.entry_id)?;
        let Some(text) = self.text.as_deref() else {
            return Err(Error::InvalidInput(
                "no transcript: call .text(..) with the text the audio speaks".to_string(),
            ));
        };
        if text.trim().is_empty() {
            return Err(Error::InvalidInput(
                "the transcript text is blank".to_string(),
            ));
        }
        let Some(file) = self.file else {
            return Err(Error::InvalidInput(
                "no audio to upload: call .file(..) with the WAV bytes".to_string(),
            ));
        };
        validate::upload_size("the audio", file.len(), MAX_AUDIO_UPLOAD_BYTES, "6 MB")?;
        let filename = match &self.filename {
            Some(name) => checked_filename(name)?.to_string(),
            None => format!("{}.wav", self.entry_id),
        };
        let settings = serde_json::to_string(&DetailsSettings {
            text,
            config: &self.config,
        })
        .map_err(|e| Error::InvalidInput(format!("cannot encode the settings as JSON: {e}")))?;
        let (content_type, body) = multipart_body(file, filename, settings).await?;
        send_hand_written(
            self.client.agents(),
            &REPLACE_DETAILS,
            &[&self.agent_id, &self.entry_id],
            |request| request.header(CONTENT_TYPE, content_type).body(body),
        )
        .await
        .map(drop)
    }
}

/// Encodes the `file` and `settings` parts with reqwest's multipart writer and gathers the
/// result into one [`Bytes`], so that the request body can be resent on a retry (reqwest's
/// own multipart body is a one-shot stream). Returns the `Content-Type` with its boundary.
async fn multipart_body(
    file: Bytes,
    filename: String,
    settings: String,
) -> Result<(HeaderValue, Bytes), Error> {
    use reqwest::multipart::{Form, Part};
    let encoding = |e: reqwest::Error| {
        Error::InvalidInput(format!(
            "cannot encode the multipart body: {}",
            e.without_url()
        ))
    };
    let length = file.len() as u64;
    let file_part = Part::stream_with_length(file, length)
        .file_name(filename)
        .mime_str("audio/wav")
        .map_err(encoding)?;
    let form = Form::new()
        .part("file", file_part)
        .text("settings", settings);
    let content_type = HeaderValue::from_str(&format!(
        "multipart/form-data; boundary={}",
        form.boundary()
    ))
    .map_err(|_| Error::InvalidInput("unusable multipart boundary".to_string()))?;
    let chunks: Vec<Bytes> = form.into_stream().try_collect().await.map_err(encoding)?;
    let mut body = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in chunks {
        body.extend_from_slice(&chunk);
    }
    Ok((content_type, body.freeze()))
}

/// A file name given by the caller: not blank, printable ASCII.
fn checked_filename(name: &str) -> Result<&str, Error> {
    if name.trim().is_empty() {
        return Err(Error::InvalidInput("filename is empty".to_string()));
    }
    if !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Error::InvalidInput(format!(
            "filename {name:?} must be printable ASCII (no control or non-ASCII characters)"
        )));
    }
    Ok(name)
}
