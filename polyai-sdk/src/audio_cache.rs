//! The Agents API's audio cache (synthesized utterances an agent reuses) as a stream, with
//! the same shape as the conversation listings.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let mut entries = client.list_audio_cache_entries("my-agent").sort("hit_count:desc").stream();
//! while let Some(entry) = entries.try_next().await? {
//!     println!("{entry:?}");
//! }
//! # Ok(()) }
//! ```

use crate::conversations::{ItemStream, PageStream, flatten_pages, paginate_offset};
use crate::generated::agents::types as agents;
use crate::{Client, Error, validate};

/// One cached utterance.
pub type AudioCacheEntry = agents::AudioCacheEntry;

/// The largest page the audio cache listing serves.
const MAX_PAGE: u32 = 200;

impl Client {
    /// Lists an agent's cached audio (Agents host), with limit/offset paging.
    pub fn list_audio_cache_entries(&self, agent_id: impl Into<String>) -> ListAudioCacheEntries {
        ListAudioCacheEntries {
            client: self.clone(),
            agent_id: agent_id.into(),
            page_size: 50,
            offset: 0,
            sort: None,
        }
    }
}

/// An agent's audio cache listing; see [`Client::list_audio_cache_entries`].
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until it is streamed"]
pub struct ListAudioCacheEntries {
    client: Client,
    agent_id: String,
    page_size: u32,
    offset: u64,
    sort: Option<String>,
}

impl ListAudioCacheEntries {
    /// Entries per page (default 50, at most 200).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Skips the first `offset` entries.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Sort order as `field:asc` or `field:desc`, for example `hit_count:desc`.
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    async fn fetch(&self, offset: u64) -> Result<(Vec<AudioCacheEntry>, Option<u64>), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::page_size(self.page_size, MAX_PAGE)?;
        let offset = i64::try_from(offset)
            .map_err(|_| Error::InvalidInput(format!("offset {offset} is too large")))?;
        let mut request = self
            .client
            .agents()
            .list_audio_cache_entries()
            .agent_id(self.agent_id.as_str())
            .offset(offset);
        if let Some(limit) = std::num::NonZeroU64::new(u64::from(self.page_size)) {
            request = request.limit(limit);
        }
        if let Some(sort) = &self.sort {
            request = request.sort(sort.as_str());
        }
        let page = crate::error::generated(request.send().await).await?;
        Ok((
            page.entries,
            page.total_count.and_then(|t| u64::try_from(t).ok()),
        ))
    }

    /// Every page, lazily; ends after a short page or once `totalCount` is reached.
    pub fn pages(self) -> PageStream<AudioCacheEntry> {
        let (start, page_size) = (self.offset, self.page_size);
        paginate_offset(start, page_size, move |offset| {
            let listing = self.clone();
            async move { listing.fetch(offset).await }
        })
    }

    /// Every entry, one at a time.
    pub fn stream(self) -> ItemStream<AudioCacheEntry> {
        flatten_pages(self.pages())
    }
}
