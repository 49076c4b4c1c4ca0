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

use std::num::NonZeroU64;

use crate::conversations::{ItemStream, PageStream, failed, flatten_pages, paginate_offset};
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

    /// Checks the agent id and page size once, before any request; returns the limit.
    fn checked_limit(&self) -> Result<NonZeroU64, Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        validate::page_size(self.page_size, MAX_PAGE)
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
        let page = crate::error::generated(request.send().await).await?;
        let total = page.total_count.and_then(|t| u64::try_from(t).ok());
        Ok((page.entries, total))
    }

    /// Every page, lazily; ends after a short page or once `totalCount` is reached.
    pub fn pages(self) -> PageStream<AudioCacheEntry> {
        let limit = match self.checked_limit() {
            Ok(limit) => limit,
            Err(error) => return failed(error),
        };
        paginate_offset(self.offset, limit, move |offset| {
            let listing = self.clone();
            async move { listing.fetch(offset, limit).await }
        })
    }

    /// Every entry, one at a time.
    pub fn stream(self) -> ItemStream<AudioCacheEntry> {
        flatten_pages(self.pages())
    }
}
