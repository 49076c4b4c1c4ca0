//! The pagination engine behind every listing stream: [`Page`], [`ListingPosition`] and the
//! walks that follow cursors (Conversations v3) or limit/offset paging (the agent-scoped
//! conversation list, the audio cache), guarding against servers that loop or ignore
//! `offset`. The listings themselves are [`Client::list_conversations`](crate::Client::list_conversations),
//! [`Client::list_agent_conversations`](crate::Client::list_agent_conversations) and
//! [`Client::list_audio_cache_entries`](crate::Client::list_audio_cache_entries).

use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::Error;

/// A stream of pages; `Unpin`, so `next().await` works on it directly.
pub type PageStream<T> = BoxStream<'static, Result<Page<T>, Error>>;
/// A stream of items, fetched page by page; `Unpin`.
pub type ItemStream<T> = BoxStream<'static, Result<T, Error>>;

/// How many consecutive empty pages that still carry a cursor are followed before the listing
/// is declared stuck.
const MAX_EMPTY_PAGES: u32 = 16;

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in server order.
    pub items: Vec<T>,
    /// The cursor of the page after this one; `None` on the last page. For limit/offset
    /// listings it is the next offset, as text. Store it to resume a listing later with
    /// [`ConversationListing::resume_from`](crate::conversations::ConversationListing::resume_from).
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
/// `resume_from` ([`ConversationListing::resume_from`](crate::conversations::ConversationListing::resume_from),
/// [`AgentConversationListing::resume_from`](crate::agent_conversations::AgentConversationListing::resume_from),
/// [`AudioCacheListing::resume_from`](crate::audio_cache::AudioCacheListing::resume_from))
/// to continue without losing or repeating a record: a page that failed yielded nothing.
///
/// The text form (`Display` / `FromStr`) is `start`, `cursor:{cursor}` or `offset:{n}`, for
/// checkpoint files.
///
/// ```
/// use polyai_sdk::paging::ListingPosition;
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
