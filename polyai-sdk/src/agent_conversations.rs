//! The agent-scoped data endpoints (Agents host): one conversation's detail, the agent's
//! conversation list (limit/offset paging, as a stream), annotations and notes.
//!
//! ```no_run
//! use polyai_sdk::agent_conversations::{Annotation, AnnotationKind, AnnotationRole};
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! client
//!     .add_annotations("my-agent", "CA0123", [
//!         Annotation::new(2, AnnotationRole::User, AnnotationKind::WrongTranscript),
//!         Annotation::new(3, AnnotationRole::Agent, AnnotationKind::WrongInfo),
//!     ])
//!     .await?;
//! client.set_note("my-agent", "CA0123", "Caller asked for a refund twice.").await?;
//! let detail = client.get_conversation("my-agent", "CA0123").await?;
//! println!("note: {:?}", detail.note);
//! # Ok(()) }
//! ```

use std::fmt;

use std::num::NonZeroU64;

use crate::generated::data::types as data;
use crate::paging::{
    ItemStream, ListingPosition, PageStream, failed, flatten_pages, paginate_offset,
};
use crate::{Client, Error, validate};

/// One conversation with its turns, metrics and function events (camelCase on the wire).
pub type ConversationDetail = data::AgentConversationDetail;
/// An entry of an agent's conversation list.
pub type ConversationSummary = data::AgentConversationSummary;

/// Who said the annotated turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnnotationRole {
    /// The caller.
    User,
    /// The agent.
    Agent,
}

/// What is wrong with an annotated turn.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnnotationKind {
    /// The agent did not know the topic the caller raised.
    MissingTopic,
    /// The speech recognition transcript is wrong.
    WrongTranscript,
    /// The agent gave wrong information.
    WrongInfo,
    /// A value this version of the SDK does not know yet, sent as given.
    Other(String),
}

impl AnnotationKind {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            AnnotationKind::MissingTopic => "missing_topic",
            AnnotationKind::WrongTranscript => "wrong_transcript",
            AnnotationKind::WrongInfo => "wrong_info",
            AnnotationKind::Other(value) => value,
        }
    }
}

impl fmt::Display for AnnotationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One annotation: a turn of a conversation, who spoke it, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The turn's index in the conversation (its `turnId`).
    pub turn_id: i64,
    /// Who spoke the turn.
    pub role: AnnotationRole,
    /// What was wrong.
    pub kind: AnnotationKind,
}

impl Annotation {
    /// An annotation of turn `turn_id`.
    pub fn new(turn_id: i64, role: AnnotationRole, kind: AnnotationKind) -> Annotation {
        Annotation {
            turn_id,
            role,
            kind,
        }
    }

    fn to_wire(&self) -> Result<data::AnnotationItem, Error> {
        if self.turn_id < 0 {
            return Err(Error::InvalidInput(format!(
                "annotation turn id {} is negative",
                self.turn_id
            )));
        }
        if self.kind.as_str().trim().is_empty() {
            return Err(Error::InvalidInput(
                "an annotation kind is empty".to_string(),
            ));
        }
        Ok(data::AnnotationItem {
            turn_id: self.turn_id,
            role: match self.role {
                AnnotationRole::User => data::AnnotationRole::User,
                AnnotationRole::Agent => data::AnnotationRole::Agent,
            },
            annotation_type: self.kind.as_str().to_string(),
        })
    }
}

impl Client {
    /// Reads one conversation with its turns (Agents host).
    pub async fn get_conversation(
        &self,
        agent_id: &str,
        conversation_id: &str,
    ) -> Result<ConversationDetail, Error> {
        validate::path_segment("agent_id", agent_id)?;
        validate::path_segment("conversation_id", conversation_id)?;
        let request = self
            .data()
            .get_agent_conversation()
            .agent_id(agent_id)
            .conversation_id(conversation_id);
        request.send().await.map(crate::ResponseValue::into_inner)
    }

    /// Adds annotations to turns of a conversation. At least one is required; an empty list
    /// is refused before anything is sent. Not retried once the request may have reached the
    /// server (annotations are not idempotent).
    pub async fn add_annotations(
        &self,
        agent_id: &str,
        conversation_id: &str,
        annotations: impl IntoIterator<Item = Annotation>,
    ) -> Result<(), Error> {
        validate::path_segment("agent_id", agent_id)?;
        validate::path_segment("conversation_id", conversation_id)?;
        let annotations = annotations
            .into_iter()
            .map(|a| a.to_wire())
            .collect::<Result<Vec<_>, _>>()?;
        if annotations.is_empty() {
            return Err(Error::InvalidInput(
                "add_annotations needs at least one annotation".to_string(),
            ));
        }
        let request = self
            .data()
            .create_annotations()
            .agent_id(agent_id)
            .conversation_id(conversation_id)
            .body(data::AnnotationRequest { annotations });
        request
            .send()
            .await
            .map(crate::ResponseValue::into_inner)
            .map(drop)
    }

    /// Sets the note of a conversation, replacing any earlier note (safe to retry).
    pub async fn set_note(
        &self,
        agent_id: &str,
        conversation_id: &str,
        note: impl Into<String>,
    ) -> Result<(), Error> {
        validate::path_segment("agent_id", agent_id)?;
        validate::path_segment("conversation_id", conversation_id)?;
        let request = self
            .data()
            .upsert_conversation_note()
            .agent_id(agent_id)
            .conversation_id(conversation_id)
            .body(data::NoteRequest { note: note.into() });
        request
            .send()
            .await
            .map(crate::ResponseValue::into_inner)
            .map(drop)
    }

    /// Lists an agent's conversations (Agents host), newest first, with limit/offset paging.
    pub fn list_agent_conversations(&self, agent_id: impl Into<String>) -> ListAgentConversations {
        ListAgentConversations {
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
pub struct ListAgentConversations {
    client: Client,
    agent_id: String,
    page_size: u32,
    start: ListingPosition,
}

impl ListAgentConversations {
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
    ) -> Result<(Vec<ConversationSummary>, Option<u64>), Error> {
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
    pub fn pages(self) -> PageStream<ConversationSummary> {
        let (limit, start) = match self.checked() {
            Ok(checked) => checked,
            Err(error) => return failed(error),
        };
        fn id(conversation: &ConversationSummary) -> &str {
            &conversation.conversation_id
        }
        paginate_offset(start, limit, id, move |offset| {
            let listing = self.clone();
            async move { listing.fetch(offset, limit).await }
        })
    }

    /// Every conversation, one at a time; fails like [`pages`](Self::pages) (no item of a
    /// page that failed was yielded).
    pub fn stream(self) -> ItemStream<ConversationSummary> {
        flatten_pages(self.pages())
    }
}
