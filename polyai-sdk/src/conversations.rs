//! Conversations v3 listing as streams: every conversation of a project in a time window,
//! fetched lazily page by page by following `cursor`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use polyai_sdk::{Client, Region, Timestamp};
//! use polyai_sdk::conversations::Environment;
//!
//! # async fn demo() -> Result<(), polyai_sdk::Error> {
//! let client = Client::builder().api_key("key").region(Region::Us).build()?;
//! let mut conversations = client
//!     .list_conversations("my-account", "my-project")
//!     .environment(Environment::Live)
//!     .since("2026-07-01T00:00:00Z".parse::<Timestamp>().map_err(|e| polyai_sdk::Error::InvalidInput(e.to_string()))?)
//!     .channel("VOICE-SIP")
//!     .stream();
//! while let Some(conversation) = conversations.try_next().await? {
//!     println!("{} has {} turns", conversation.id, conversation.turns.as_ref().map_or(0, Vec::len));
//! }
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::num::NonZeroU64;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::generated::conversations::types as v3;
use crate::{Client, Error, Timestamp, validate};

/// A conversation as Conversations v3 lists it (snake_case fields, turns included).
pub type Conversation = v3::Conversation;
/// One turn of a [`Conversation`].
pub type ConversationTurn = v3::ConversationTurn;

/// The deployment environment conversations are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Sandbox (draft) deployments.
    Sandbox,
    /// Pre-release deployments.
    PreRelease,
    /// Live deployments (PolyAI's default).
    Live,
}

impl Environment {
    /// The wire value: `sandbox`, `pre-release` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::PreRelease => "pre-release",
            Environment::Live => "live",
        }
    }
}

/// Which part of a transcript a search looks at.
pub type TurnType = v3::ListConversationsTurnType;

/// A stream of pages; `Unpin`, so `next().await` works on it directly.
pub type PageStream<T> = BoxStream<'static, Result<Page<T>, Error>>;
/// A stream of items, fetched page by page; `Unpin`.
pub type ItemStream<T> = BoxStream<'static, Result<T, Error>>;

/// The largest page Conversations v3 serves.
const MAX_PAGE: u32 = 1000;

/// How many consecutive empty pages that still carry a cursor are followed before the listing
/// is declared stuck.
const MAX_EMPTY_PAGES: u32 = 16;

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
pub struct ListConversations {
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
    cursor: Option<String>,
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in server order.
    pub items: Vec<T>,
    /// The cursor of the page after this one; `None` on the last page. Store it to resume a
    /// listing later with [`ListConversations::resume_from`].
    pub next_cursor: Option<String>,
}

impl Client {
    /// Lists the conversations of a project with Conversations v3 (platform host).
    /// `account_id` is the workspace slug or `ws-...` id; `project_id` the project slug or
    /// `PROJECT-...` id.
    pub fn list_conversations(
        &self,
        account_id: impl Into<String>,
        project_id: impl Into<String>,
    ) -> ListConversations {
        ListConversations {
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
            cursor: None,
        }
    }
}

impl ListConversations {
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

    /// Starts from a cursor saved from an earlier [`Page::next_cursor`], with the same filters.
    pub fn resume_from(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Checks the filters without sending anything; returns the checked page limit.
    fn validate(&self) -> Result<Option<NonZeroU64>, Error> {
        validate::path_segment("account_id", &self.account_id)?;
        validate::path_segment("project_id", &self.project_id)?;
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
        let response = crate::error::generated(request.send().await).await?;
        Ok(Page {
            items: response.conversations,
            next_cursor: response.cursor.filter(|c| !c.is_empty()),
        })
    }

    /// Fetches only the first page (or the page at the cursor given to
    /// [`resume_from`](Self::resume_from)).
    pub async fn first_page(&self) -> Result<Page<Conversation>, Error> {
        let limit = self.validate()?;
        self.fetch(self.cursor.as_deref(), limit).await
    }

    /// Every page, lazily: the next page is requested only when the previous one has been
    /// taken. The stream ends after the page without a cursor, and ends with an error if the
    /// server repeats a cursor or keeps answering empty pages with new cursors.
    pub fn pages(self) -> PageStream<Conversation> {
        let limit = match self.validate() {
            Ok(limit) => limit,
            Err(error) => return failed(error),
        };
        paginate(self.cursor.clone(), move |cursor| {
            let listing = self.clone();
            async move { listing.fetch(cursor.as_deref(), limit).await }
        })
    }

    /// Every conversation, one at a time, fetching pages lazily (at most about one page is
    /// held in memory).
    pub fn stream(self) -> ItemStream<Conversation> {
        flatten_pages(self.pages())
    }
}

/// A listing that failed its checks: a stream whose only item is the error (nothing is sent).
pub(crate) fn failed<T: Send + 'static>(error: Error) -> PageStream<T> {
    stream::once(async move { Err(error) }).boxed()
}

/// Flattens a stream of pages into a stream of items.
pub(crate) fn flatten_pages<T: Send + 'static>(pages: PageStream<T>) -> ItemStream<T> {
    pages
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Follows limit/offset paging from `start`: each page asks for `page_size` items at the next
/// offset; the walk ends after a short page, or once `total` (when the server reports one) is
/// reached. `fetch` returns a page's items and the reported total.
pub(crate) fn paginate_offset<T, F, Fut>(
    start: u64,
    page_size: NonZeroU64,
    mut fetch: F,
) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<u64>), Error>> + Send + 'static,
{
    stream::try_unfold(Some(start), move |offset| {
        let next_page = offset.map(&mut fetch);
        async move {
            let (Some(offset), Some(next_page)) = (offset, next_page) else {
                return Ok(None);
            };
            let (items, total) = next_page.await?;
            let reached = offset + items.len() as u64;
            let more = items.len() as u64 >= page_size.get() && total.is_none_or(|t| reached < t);
            let next = more.then_some(reached);
            Ok(Some((
                Page {
                    items,
                    next_cursor: next.map(|n| n.to_string()),
                },
                next,
            )))
        }
    })
    .boxed()
}

enum Next {
    Fetch(Option<String>),
    Fail(Error),
    Done,
}

struct CursorWalk<F> {
    fetch: F,
    next: Next,
    seen: HashSet<String>,
    empty_run: u32,
}

/// Follows cursors: `fetch(None)` first (or the resume cursor), then each page's
/// `next_cursor`, guarding against servers that loop. A page whose cursor was already seen is
/// still yielded; the stream then ends with an error instead of fetching it again.
pub(crate) fn paginate<T, F, Fut>(start: Option<String>, fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'static,
{
    let mut seen = HashSet::new();
    if let Some(cursor) = &start {
        seen.insert(cursor.clone());
    }
    let walk = CursorWalk {
        fetch,
        next: Next::Fetch(start),
        seen,
        empty_run: 0,
    };
    stream::try_unfold(walk, |mut walk| async move {
        let cursor = match std::mem::replace(&mut walk.next, Next::Done) {
            Next::Fetch(cursor) => cursor,
            Next::Fail(error) => return Err(error),
            Next::Done => return Ok(None),
        };
        let page = (walk.fetch)(cursor).await?;
        walk.empty_run = if page.items.is_empty() { walk.empty_run + 1 } else { 0 };
        walk.next = match &page.next_cursor {
            None => Next::Done,
            Some(next) if !walk.seen.insert(next.clone()) => Next::Fail(Error::Transfer(format!(
                "the server returned cursor {next:?} a second time; stopping instead of looping \
                 (the listing may have changed while it was read: start again)"
            ))),
            Some(_) if walk.empty_run >= MAX_EMPTY_PAGES => Next::Fail(Error::Transfer(format!(
                "the server returned {MAX_EMPTY_PAGES} empty pages in a row, each with a new cursor; \
                 stopping instead of looping"
            ))),
            Some(next) => Next::Fetch(Some(next.clone())),
        };
        Ok(Some((page, walk)))
    })
    .boxed()
}
