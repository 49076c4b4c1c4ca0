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
use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::generated::conversations::types as v3;
use crate::{Channel, Client, Error, Timestamp, validate};

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
    channels: Vec<Channel>,
    variant_id: Option<String>,
    variant_name: Option<String>,
    in_progress: Option<bool>,
    retrieval: Option<Retrieval>,
    turn_type: Option<TurnType>,
    include_latency: bool,
    page_size: Option<u32>,
    resume: Option<ListingPosition>,
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in server order.
    pub items: Vec<T>,
    /// The cursor of the page after this one; `None` on the last page. For limit/offset
    /// listings it is the next offset, as text. Store it to resume a listing later with
    /// [`ListConversations::resume_from`].
    pub next_cursor: Option<String>,
    /// Where the page after this one starts; `None` on the last page. The same position as
    /// [`next_cursor`](Self::next_cursor), typed: store its text form
    /// ([`ListingPosition`]'s `Display`) as a checkpoint and give it back to the listing's
    /// `resume_from`.
    pub next_position: Option<ListingPosition>,
}

/// Where a listing continues: the page a resumed listing starts at.
///
/// Every listing stream reports positions: each [`Page::next_position`], and the position of
/// the page that could not be fetched when a stream ends with an error
/// ([`Error::resume_position`]). Give a position back to the same listing (same filters) with
/// `resume_from` ([`ListConversations::resume_from`],
/// [`ListAgentConversations::resume_from`](crate::agent_conversations::ListAgentConversations::resume_from),
/// [`ListAudioCacheEntries::resume_from`](crate::audio_cache::ListAudioCacheEntries::resume_from))
/// to continue without losing or repeating a record: a page that failed yielded nothing.
///
/// The text form (`Display` / `FromStr`) is `start`, `cursor:{cursor}` or `offset:{n}`, for
/// checkpoint files.
///
/// ```
/// use polyai_sdk::conversations::ListingPosition;
/// let position: ListingPosition = "offset:250".parse()?;
/// assert_eq!(position, ListingPosition::Offset(250));
/// assert_eq!(ListingPosition::Cursor("eyJv".into()).to_string(), "cursor:eyJv");
/// # Ok::<(), polyai_sdk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListingPosition {
    /// The first page of the listing (for a limit/offset listing: offset 0).
    Start,
    /// A Conversations v3 cursor, opaque; valid only with the filters it was issued for.
    Cursor(String),
    /// The offset of the next page of a limit/offset listing.
    Offset(u64),
}

impl fmt::Display for ListingPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListingPosition::Start => f.write_str("start"),
            ListingPosition::Cursor(cursor) => write!(f, "cursor:{cursor}"),
            ListingPosition::Offset(offset) => write!(f, "offset:{offset}"),
        }
    }
}

impl FromStr for ListingPosition {
    type Err = Error;

    /// Reads the text form written by `Display`; surrounding whitespace is ignored.
    fn from_str(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if text == "start" {
            return Ok(ListingPosition::Start);
        }
        if let Some(cursor) = text.strip_prefix("cursor:")
            && !cursor.is_empty()
        {
            return Ok(ListingPosition::Cursor(cursor.to_string()));
        }
        if let Some(offset) = text.strip_prefix("offset:")
            && let Ok(offset) = offset.parse()
        {
            return Ok(ListingPosition::Offset(offset));
        }
        Err(Error::InvalidInput(format!(
            "{text:?} is not a listing position: expected start, cursor:CURSOR or offset:N"
        )))
    }
}

impl From<String> for ListingPosition {
    /// A Conversations v3 cursor as [`Page::next_cursor`] gives it.
    fn from(cursor: String) -> Self {
        ListingPosition::Cursor(cursor)
    }
}

impl From<&str> for ListingPosition {
    /// A Conversations v3 cursor as [`Page::next_cursor`] gives it.
    fn from(cursor: &str) -> Self {
        ListingPosition::Cursor(cursor.to_string())
    }
}

impl From<u64> for ListingPosition {
    /// The offset of a limit/offset listing.
    fn from(offset: u64) -> Self {
        ListingPosition::Offset(offset)
    }
}

impl ListingPosition {
    /// The offset a limit/offset listing starts at from this position. A cursor is accepted
    /// when it is a decimal number (the [`Page::next_cursor`] of such a listing).
    pub(crate) fn offset(&self) -> Result<u64, Error> {
        match self {
            ListingPosition::Start => Ok(0),
            ListingPosition::Offset(offset) => Ok(*offset),
            ListingPosition::Cursor(text) => text.trim().parse().map_err(|_| {
                Error::InvalidInput(format!(
                    "this listing pages by offset and cannot resume from cursor {text:?}: \
                     give it the position one of its own pages or errors reported"
                ))
            }),
        }
    }
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
            resume: None,
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

    /// Only conversations on this channel ([`Channel::VoiceSip`], [`Channel::Webchat`], ...;
    /// a string such as `"VOICE-SIP"` converts). Call it again to accept several channels.
    pub fn channel(mut self, channel: impl Into<Channel>) -> Self {
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
        if self.channels.iter().any(|c| c.as_str().trim().is_empty()) {
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
/// offset, which advances by the number of items actually received.
///
/// When the server reports a total (`fetch` returns it beside the items), paging goes on while
/// the offset is below it, whatever the size of the pages (a server may send fewer than asked
/// before the end). Without a total, a page shorter than `page_size` is taken as the last. An
/// empty page always ends the walk. A page whose ids (`id`) are those of the page before,
/// although the offset advanced, means the server ignored `offset`: the walk ends with an
/// error instead of repeating records or looping. A page that cannot be fetched ends the
/// stream with [`Error::Listing`] at that page's offset.
pub(crate) fn paginate_offset<T, F, Fut>(
    start: u64,
    page_size: NonZeroU64,
    id: fn(&T) -> &str,
    fetch: F,
) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<u64>), Error>> + Send + 'static,
{
    struct OffsetWalk<F> {
        fetch: F,
        next: Option<u64>,
        /// The offset and ids of the page before.
        previous: Option<(u64, Vec<String>)>,
    }
    let walk = OffsetWalk {
        fetch,
        next: Some(start),
        previous: None,
    };
    stream::try_unfold(walk, move |mut walk| async move {
        let Some(offset) = walk.next.take() else {
            return Ok(None);
        };
        let (items, total) = (walk.fetch)(offset)
            .await
            .map_err(|error| Error::listing(ListingPosition::Offset(offset), error))?;
        if let Some((previous_offset, previous_ids)) = &walk.previous
            && !items.is_empty()
            && items.len() == previous_ids.len()
            && items
                .iter()
                .map(id)
                .eq(previous_ids.iter().map(String::as_str))
        {
            return Err(Error::Transfer(format!(
                "the server answered offset {offset} with the same {} records as offset \
                 {previous_offset}: it ignores `offset` (or the listing shifted by a whole page \
                 while it was read); stopping instead of repeating records",
                items.len()
            )));
        }
        let received = items.len() as u64;
        let reached = offset.saturating_add(received);
        let more = received > 0
            && match total {
                Some(total) => reached < total,
                None => received >= page_size.get(),
            };
        walk.next = more.then_some(reached);
        walk.previous = Some((
            offset,
            items.iter().map(|item| id(item).to_owned()).collect(),
        ));
        let page = Page {
            items,
            next_cursor: walk.next.map(|n| n.to_string()),
            next_position: walk.next.map(ListingPosition::Offset),
        };
        Ok(Some((page, walk)))
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
/// still yielded; the stream then ends with an error instead of fetching it again. A page that
/// cannot be fetched ends the stream with [`Error::Listing`] at that page's cursor.
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
        let position = cursor
            .clone()
            .map_or(ListingPosition::Start, ListingPosition::Cursor);
        let page = (walk.fetch)(cursor)
            .await
            .map_err(|error| Error::listing(position, error))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_positions_round_trip_as_text_and_refuse_anything_else() {
        for position in [
            ListingPosition::Start,
            ListingPosition::Cursor("eyJvZmZzZXQiOjF9".into()),
            ListingPosition::Offset(34_833),
        ] {
            assert_eq!(
                position.to_string().parse::<ListingPosition>().unwrap(),
                position
            );
        }
        for bad in ["", "cursor:", "offset:-1", "offset:x", "page:3"] {
            assert!(
                matches!(bad.parse::<ListingPosition>(), Err(Error::InvalidInput(_))),
                "{bad:?}"
            );
        }
        // An offset listing takes its own `next_cursor` text, and nothing else.
        assert_eq!(ListingPosition::Cursor("250".into()).offset().unwrap(), 250);
        assert_eq!(ListingPosition::Start.offset().unwrap(), 0);
        assert!(ListingPosition::Cursor("eyJv".into()).offset().is_err());
    }
}
