//! The agent-scoped conversation list (Agents host, `GET /v1/agents/{agentId}/conversations`)
//! as a stream that follows limit/offset paging; see [`Client::list_agent_conversations`].
//!
//! The other agent-scoped data calls (detail, annotations, note, recording) are the generated
//! operations of [`Client::data`]; for all of them the agent id is the project id.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use polyai_sdk::types::data::{AnnotationItem, AnnotationRequest, AnnotationRole, NoteRequest};
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let mut conversations = client.list_agent_conversations("my-project").stream();
//! while let Some(summary) = conversations.try_next().await? {
//!     println!("{}", summary.conversation_id);
//! }
//! let detail = client
//!     .data()
//!     .get_agent_conversation()
//!     .agent_id("my-project")
//!     .conversation_id("CA0123")
//!     .send()
//!     .await?
//!     .into_inner();
//! println!("note: {:?}", detail.note);
//! client
//!     .data()
//!     .upsert_conversation_note()
//!     .agent_id("my-project")
//!     .conversation_id("CA0123")
//!     .body(NoteRequest { note: "Caller asked for a refund twice.".into() })
//!     .send()
//!     .await?;
//! client
//!     .data()
//!     .create_annotations()
//!     .agent_id("my-project")
//!     .conversation_id("CA0123")
//!     .body(AnnotationRequest {
//!         annotations: vec![AnnotationItem {
//!             turn_id: 2,
//!             role: AnnotationRole::User,
//!             annotation_type: "wrong_transcript".into(),
//!         }],
//!     })
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```

use std::num::NonZeroU64;

use crate::generated::data::types::AgentConversationSummary;
use crate::paging::{
    ItemStream, ListingPosition, PageStream, failed, flatten_pages, paginate_offset,
};
use crate::{Client, Error, validate};

impl Client {
    /// Lists an agent's conversations (Agents host), newest first, following limit/offset
    /// paging to the end. `agent_id` is the project id (the agent-scoped endpoints call the
    /// project an agent).
    pub fn list_agent_conversations(
        &self,
        agent_id: impl Into<String>,
    ) -> AgentConversationListing {
        AgentConversationListing {
            client: self.clone(),
            agent_id: agent_id.into(),
            page_size: 50,
            start: ListingPosition::Offset(0),
        }
    }
}

/// An agent's conversation list; see [`Client::list_agent_conversations`].
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until it is streamed"]
pub struct AgentConversationListing {
    client: Client,
    agent_id: String,
    page_size: u32,
    start: ListingPosition,
}

impl AgentConversationListing {
    /// Conversations per page (default 50, PolyAI's default). PolyAI documents no maximum, so
    /// any size from 1 is sent as given; a server that sends fewer per page is followed to
    /// the end all the same (see [`pages`](Self::pages)).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Skips the first `offset` conversations (the same as
    /// [`resume_from`](Self::resume_from) with [`ListingPosition::Offset`]).
    pub fn offset(mut self, offset: u64) -> Self {
        self.start = ListingPosition::Offset(offset);
        self
    }

    /// Starts from a position reported by an earlier listing of the same agent: a
    /// [`Page::next_position`](crate::paging::Page::next_position), a
    /// [`Page::next_cursor`](crate::paging::Page::next_cursor) (the offset as text), or
    /// the [`Error::resume_position`] of a listing that failed.
    pub fn resume_from(mut self, position: impl Into<ListingPosition>) -> Self {
        self.start = position.into();
        self
    }

    /// Checks the agent id, page size and start once, before any request; returns the limit
    /// and the first offset.
    fn checked(&self) -> Result<(NonZeroU64, u64), Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        let limit = validate::page_size_unbounded(self.page_size)?;
        let offset = self.start.offset()?;
        validate::offset(offset)?;
        Ok((limit, offset))
    }

    async fn fetch(
        &self,
        offset: u64,
        limit: NonZeroU64,
    ) -> Result<(Vec<AgentConversationSummary>, Option<u64>), Error> {
        let request = self
            .client
            .data()
            .list_agent_conversations()
            .agent_id(self.agent_id.as_str())
            .limit(limit)
            .offset(validate::offset(offset)?);
        let response = request.send().await.map(crate::ResponseValue::into_inner)?;
        let total = response.count.and_then(|c| u64::try_from(c).ok());
        Ok((response.conversations, total))
    }

    /// Every page, lazily, following the reported `count` (the total): paging goes on while
    /// the offset is below it, even after a page shorter than asked, and stops at an empty
    /// page. A response without `count` ends the listing at its first short page. The
    /// `next_position` of each page is its next offset (`next_cursor` has it as text).
    ///
    /// A server that answers a later offset with the same page again (it ignores `offset`)
    /// ends the stream with [`Error::Transfer`] instead of repeating records. A page that
    /// cannot be fetched (after the client's retries) ends it with [`Error::Listing`], whose
    /// position resumes the listing with [`resume_from`](Self::resume_from).
    pub fn pages(self) -> PageStream<AgentConversationSummary> {
        let (limit, start) = match self.checked() {
            Ok(checked) => checked,
            Err(error) => return failed(error),
        };
        fn id(conversation: &AgentConversationSummary) -> &str {
            &conversation.conversation_id
        }
        paginate_offset(start, limit, id, move |offset| {
            let listing = self.clone();
            async move { listing.fetch(offset, limit).await }
        })
    }

    /// Every conversation, one at a time; fails like [`pages`](Self::pages) (no item of a
    /// page that failed was yielded).
    pub fn stream(self) -> ItemStream<AgentConversationSummary> {
        flatten_pages(self.pages())
    }
}
