//! Conversations v3 listing as streams: every conversation of a project in a time window,
//! fetched lazily page by page by following `cursor`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use polyai_sdk::{Client, Environment, Region, Timestamp};
//!
//! # async fn demo() -> Result<(), polyai_sdk::Error> {
//! let client = Client::builder().api_key("key").region(Region::Us).build()?;
//! let mut conversations = client
//!     .list_conversations("my-account", "my-project")
//!     .environment(Environment::Live)
//!     .since("2026-07-01T00:00:00Z".parse::<Timestamp>()?)
//!     .channel("VOICE-SIP")
//!     .stream();
//! while let Some(conversation) = conversations.try_next().await? {
//!     println!("{} has {} turns", conversation.id, conversation.turns.as_ref().map_or(0, Vec::len));
//! }
//! # Ok(()) }
//! ```

use std::num::NonZeroU64;

#[doc(no_inline)]
pub use crate::Environment;
use crate::generated::conversations::types as v3;
#[doc(no_inline)]
pub use crate::paging::{ItemStream, ListingPosition, Page, PageStream};
use crate::paging::{failed, flatten_pages, paginate};
use crate::{Client, Error, Timestamp, validate};

/// A conversation as Conversations v3 lists it (snake_case fields, turns included), and one
/// of its turns.
#[doc(no_inline)]
pub use crate::generated::conversations::types::{Conversation, ConversationTurn};

/// Which part of a transcript a search looks at.
pub type TurnType = v3::ListConversationsTurnType;

/// The largest page Conversations v3 serves.
const MAX_PAGE: u32 = 1000;

#[derive(Clone, Debug)]
enum Retrieval {
    Transcript(String),
    Semantic(String),
    RandomSample,
}

/// Lists a project's conversations. Create it with [`Client::list_conversations`], narrow it
/// with the filter methods, then consume it with [`stream`](Self::stream) (one conversation at
/// a time), [`pages`](Self::pages) (one page at a time, with the cursor for checkpointing) or
/// [`first_page`](Self::first_page).
#[derive(Clone, Debug)]
#[must_use = "a listing does nothing until it is streamed"]
pub struct ConversationListing {
    client: Client,
    account_id: String,
    project_id: String,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    environment: Option<Environment>,
    channels: Vec<String>,
    variant_id: Option<String>,
    variant_name: Option<String>,
    in_progress: Option<bool>,
    retrieval: Option<Retrieval>,
    turn_type: Option<TurnType>,
    include_latency: bool,
    page_size: Option<u32>,
    resume: Option<ListingPosition>,
}

impl Client {
    /// Lists the conversations of a project with Conversations v3 (platform host).
    /// `account_id` is the workspace slug or `ws-...` id; `project_id` the project slug or
    /// `PROJECT-...` id.
    pub fn list_conversations(
        &self,
        account_id: impl Into<String>,
        project_id: impl Into<String>,
    ) -> ConversationListing {
        ConversationListing {
            client: self.clone(),
            account_id: account_id.into(),
            project_id: project_id.into(),
            start: None,
            end: None,
            environment: None,
            channels: Vec::new(),
            variant_id: None,
            variant_name: None,
            in_progress: None,
            retrieval: None,
            turn_type: None,
            include_latency: false,
            page_size: None,
            resume: None,
        }
    }
}

impl ConversationListing {
    /// Only conversations that started at or after `start`.
    pub fn since(mut self, start: Timestamp) -> Self {
        self.start = Some(start);
        self
    }

    /// Only conversations that started before `end`.
    pub fn until(mut self, end: Timestamp) -> Self {
        self.end = Some(end);
        self
    }

    /// Only conversations that started in `[start, end)`.
    pub fn between(self, start: Timestamp, end: Timestamp) -> Self {
        self.since(start).until(end)
    }

    /// The deployment environment to read (PolyAI's default is live).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Only conversations on this channel (for example `VOICE-SIP`, `WEBCHAT`). Call it again
    /// to accept several channels.
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channels.push(channel.into());
        self
    }

    /// Only conversations handled by this variant id. Exclusive with
    /// [`variant_name`](Self::variant_name).
    pub fn variant_id(mut self, id: impl Into<String>) -> Self {
        self.variant_id = Some(id.into());
        self
    }

    /// Only conversations handled by the variant with this name. Exclusive with
    /// [`variant_id`](Self::variant_id).
    pub fn variant_name(mut self, name: impl Into<String>) -> Self {
        self.variant_name = Some(name.into());
        self
    }

    /// `true`: only conversations still in progress; `false`: only finished ones.
    pub fn in_progress(mut self, in_progress: bool) -> Self {
        self.in_progress = Some(in_progress);
        self
    }

    /// Full-text search over transcripts. Exclusive with the other retrieval modes.
    pub fn search_transcripts(mut self, query: impl Into<String>) -> Self {
        self.retrieval = Some(Retrieval::Transcript(query.into()));
        self
    }

    /// Semantic search over transcripts. Exclusive with the other retrieval modes.
    pub fn search_semantic(mut self, query: impl Into<String>) -> Self {
        self.retrieval = Some(Retrieval::Semantic(query.into()));
        self
    }

    /// Restricts a search to user or agent turns.
    pub fn turn_type(mut self, turn_type: TurnType) -> Self {
        self.turn_type = Some(turn_type);
        self
    }

    /// A random sample of the matching conversations instead of all of them. Exclusive with
    /// search.
    pub fn random_sample(mut self) -> Self {
        self.retrieval = Some(Retrieval::RandomSample);
        self
    }

    /// Ask for per-turn latency figures.
    pub fn include_latency(mut self, include: bool) -> Self {
        self.include_latency = include;
        self
    }

    /// Conversations per page, 1 to 1000 (PolyAI's default is 1000).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Starts from a position saved from an earlier listing with the same filters: a
    /// [`Page::next_position`], a [`Page::next_cursor`] (a plain string is taken as a cursor),
    /// or the [`Error::resume_position`] of a listing that failed. An offset position is
    /// refused: this listing pages by cursor.
    pub fn resume_from(mut self, position: impl Into<ListingPosition>) -> Self {
        self.resume = Some(position.into());
        self
    }

    /// The cursor to start from, checked.
    fn start_cursor(&self) -> Result<Option<String>, Error> {
        match &self.resume {
            None | Some(ListingPosition::Start) => Ok(None),
            Some(ListingPosition::Cursor(cursor)) if cursor.trim().is_empty() => Err(
                Error::InvalidInput("the cursor to resume from is empty".to_string()),
            ),
            Some(ListingPosition::Cursor(cursor)) => Ok(Some(cursor.clone())),
            Some(ListingPosition::Offset(offset)) => Err(Error::InvalidInput(format!(
                "Conversations v3 listings resume from a cursor, not from offset {offset}"
            ))),
        }
    }

    /// Checks the filters without sending anything; returns the checked page limit.
    fn validate(&self) -> Result<Option<NonZeroU64>, Error> {
        validate::path_segment("account_id", &self.account_id)?;
        validate::path_segment("project_id", &self.project_id)?;
        self.start_cursor()?;
        let limit = self
            .page_size
            .map(|size| validate::page_size(size, MAX_PAGE))
            .transpose()?;
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            return Err(Error::InvalidInput(format!(
                "the time range ends ({end}) before it starts ({start})"
            )));
        }
        if self.variant_id.is_some() && self.variant_name.is_some() {
            return Err(Error::InvalidInput(
                "variant_id and variant_name are exclusive: give one of them".to_string(),
            ));
        }
        match &self.retrieval {
            Some(Retrieval::Transcript(q) | Retrieval::Semantic(q)) if q.trim().is_empty() => {
                return Err(Error::InvalidInput(
                    "a search needs a non-empty query".to_string(),
                ));
            }
            None if self.turn_type.is_some() => {
                return Err(Error::InvalidInput(
                    "turn_type only applies to a search: call search_transcripts or search_semantic".to_string(),
                ));
            }
            _ => {}
        }
        if self.channels.iter().any(|c| c.trim().is_empty()) {
            return Err(Error::InvalidInput("a channel filter is empty".to_string()));
        }
        Ok(limit)
    }

    async fn fetch(
        &self,
        cursor: Option<&str>,
        limit: Option<NonZeroU64>,
    ) -> Result<Page<Conversation>, Error> {
        let mut request = self
            .client
            .conversations()
            .list_conversations()
            .account_id(self.account_id.as_str())
            .project_id(self.project_id.as_str());
        if !self.channels.is_empty() {
            request = request.channel(self.channels.clone());
        }
        if let Some(environment) = self.environment {
            request = request.client_env(match environment {
                Environment::Sandbox => v3::ListConversationsClientEnv::Sandbox,
                Environment::PreRelease => v3::ListConversationsClientEnv::PreRelease,
                Environment::Live => v3::ListConversationsClientEnv::Live,
            });
        }
        if let Some(start) = self.start {
            request = request.start_time(start.to_string());
        }
        if let Some(end) = self.end {
            request = request.end_time(end.to_string());
        }
        if let Some(id) = &self.variant_id {
            request = request.variant_id(id.as_str());
        }
        if let Some(name) = &self.variant_name {
            request = request.variant_name(name.as_str());
        }
        if let Some(in_progress) = self.in_progress {
            request = request.in_progress(in_progress);
        }
        if self.include_latency {
            request = request.include_latency(true);
        }
        match &self.retrieval {
            Some(Retrieval::Transcript(query)) => {
                request = request
                    .query_type(v3::ListConversationsQueryType::Transcript)
                    .query(query.as_str());
            }
            Some(Retrieval::Semantic(query)) => {
                request = request
                    .query_type(v3::ListConversationsQueryType::Semantic)
                    .query(query.as_str());
            }
            Some(Retrieval::RandomSample) => {
                request = request.sample(v3::ListConversationsSample::Random)
            }
            None => {}
        }
        if let Some(turn_type) = self.turn_type {
            request = request.turn_type(turn_type);
        }
        if let Some(limit) = limit {
            request = request.limit(limit);
        }
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        let response = request.send().await.map(crate::ResponseValue::into_inner)?;
        let next_cursor = response.cursor.filter(|c| !c.is_empty());
        Ok(Page {
            items: response.conversations,
            next_position: next_cursor.clone().map(ListingPosition::Cursor),
            next_cursor,
        })
    }

    /// Fetches only the first page (or the page at the position given to
    /// [`resume_from`](Self::resume_from)).
    pub async fn first_page(&self) -> Result<Page<Conversation>, Error> {
        let limit = self.validate()?;
        self.fetch(self.start_cursor()?.as_deref(), limit).await
    }

    /// Every page, lazily: the next page is requested only when the previous one has been
    /// taken. The stream ends after the page without a cursor, and ends with an error if the
    /// server repeats a cursor or keeps answering empty pages with new cursors.
    ///
    /// A page that cannot be fetched (after the client's retries) ends the stream with
    /// [`Error::Listing`], which carries the position of that page: resume from it with
    /// [`resume_from`](Self::resume_from).
    pub fn pages(self) -> PageStream<Conversation> {
        let (limit, start) = match self.validate().and_then(|l| Ok((l, self.start_cursor()?))) {
            Ok(checked) => checked,
            Err(error) => return failed(error),
        };
        paginate(start, move |cursor| {
            let listing = self.clone();
            async move { listing.fetch(cursor.as_deref(), limit).await }
        })
    }

    /// Every conversation, one at a time, fetching pages lazily (at most about one page is
    /// held in memory). Fails like [`pages`](Self::pages): the error of a page that could not
    /// be fetched carries its position, and no item of that page was yielded, so resuming
    /// from it repeats nothing.
    pub fn stream(self) -> ItemStream<Conversation> {
        flatten_pages(self.pages())
    }
}
