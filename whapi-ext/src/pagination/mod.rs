//! Every list operation as a stream of pages or of items: `.list()` on the
//! operation's call, whose setters filter every page.
//!
//! ```no_run
//! # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
//! use std::time::{Duration, UNIX_EPOCH};
//! use futures_util::TryStreamExt;
//! use whapi_ext::types::Sort;
//!
//! // Every chat, 200 per request.
//! let chats: Vec<_> = wa.get_chats().list().page_size(200).items().try_collect().await?;
//!
//! // The first 1,000 messages of one chat since a time, newest first.
//! let mut messages = wa
//!     .get_messages_by_chat_id("120363025343298765@g.us")
//!     .time_from(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
//!     .sort(Sort::Desc)
//!     .list()
//!     .limit(1_000)
//!     .items();
//! while let Some(message) = messages.try_next().await? {
//!     println!("{}", message.id());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How a walk goes
//! - Count/offset lists ask for pages at offsets 0, n₁, n₁+n₂, … and end on
//!   an empty page, when the offset reaches the `total` of the latest page,
//!   or on a page shorter than asked when no total says more remain.
//! - Cursor lists (`find_newsletter`, `recommended_newsletter`) follow
//!   `page_info.end_cursor` until `next_page` is false or no cursor comes
//!   back.
//! - Newsletter messages go back in time with `before`, from the newest page
//!   to index 0 (a page without a `first` index ends the walk).
//! - A limit stops the walk once that many items were yielded; the last
//!   request asks only for what is missing, so no page is fetched in vain.
//! - A walk cannot loop forever: a cursor the server led to before, a page
//!   whose first item is the previous page's (a server ignoring the offset),
//!   or a `before` page that does not move back ends the walk with
//!   [`Error::PaginationLoop`].
//! - Errors arrive as stream items, after which the stream ends. Each
//!   request goes through the client, so it is retried by its policy.
//! - Memory holds one page at a time, however long the walk (and, for
//!   cursor lists, the cursors seen so far, to notice a loop).
//!
//! # When the list changes during a walk
//! Pages are read one after another, not as a snapshot. For count/offset
//! lists, whose order is the server's:
//! - an item inserted *before* the current offset shifts the rest by one:
//!   the walk yields the item at the page boundary again (one repeat per
//!   insertion) and never yields the inserted item. Exactly a page's worth
//!   of insertions between two requests makes the next page start where
//!   the previous one did, which the walk cannot tell from a server
//!   ignoring the offset: it ends with [`Error::PaginationLoop`];
//! - an item removed before the current offset shifts the rest back: the
//!   walk skips one item at the page boundary per removal;
//! - items added or removed *after* the current offset are yielded or not
//!   as they are when their page is read;
//! - a `total` that shrinks ends the walk once the offset reaches it.
//!
//! Deduplicate by id when a repeat matters; cursor lists do not repeat or
//! skip on insertion.

mod lists;
mod walk;

use std::num::NonZeroU64;

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{self, BoxStream};
use futures_util::StreamExt;
use whapi_client::BoxFuture;

pub use lists::ListResponse;
pub use walk::Position;
pub(crate) use walk::{next_position, Guard, Hint};

use crate::{Error, Result};

/// Page size when none is set.
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 100;
/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u64 = 500;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items, in the server's order.
    pub items: Vec<T>,
    /// Where the page starts.
    pub position: Position,
    pub(crate) hint: Hint,
}

impl<T> Page<T> {
    /// How many items the whole list holds, as this page says.
    pub fn total(&self) -> Option<u64> {
        self.hint.total
    }
}

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// The call of a list operation, as a walk pages it: [`List`] copies it for
/// every page and sets where the page starts and how many items it holds.
/// Implemented by the calls of the 17 list operations (generated).
pub trait Paged<'a>: Sealed + Clone + Send + 'a {
    /// The answer of one page.
    type Response: ListResponse;

    /// Where the first page starts.
    #[doc(hidden)]
    fn first() -> Position;

    /// This call for the page at `at` of `count` items, sent.
    #[doc(hidden)]
    fn page(self, at: &Position, count: NonZeroU64) -> BoxFuture<'a, Result<Self::Response>>;
}

/// A list operation's call, ready to walk: set the page size and a limit,
/// then take [`List::pages`] or [`List::items`]. Made by `.list()` on the
/// call, whose setters are the filters of every page (checked as any
/// call's, and `with_options` applies to every request); the walk sets the
/// paging parameters (`count`, `offset`, `cursor`, `before`) itself.
///
/// ```no_run
/// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
/// use std::time::{Duration, UNIX_EPOCH};
/// use futures_util::TryStreamExt;
/// use whapi_ext::types::Sort;
///
/// let since_november: Vec<_> = wa
///     .get_messages_by_chat_id("15550100000")
///     .time_from(UNIX_EPOCH + Duration::from_secs(1_761_955_200))
///     .sort(Sort::Asc)
///     .list()
///     .items()
///     .try_collect()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a list does nothing until its pages() or items() stream is polled"]
pub struct List<'a, B> {
    call: B,
    page_size: u64,
    limit: Option<u64>,
    invalid: Option<Error>,
    lifetime: std::marker::PhantomData<&'a ()>,
}

impl<'a, B: Paged<'a>> List<'a, B> {
    pub(crate) fn new(call: B) -> Self {
        Self {
            call,
            page_size: DEFAULT_PAGE_SIZE,
            limit: None,
            invalid: None,
            lifetime: std::marker::PhantomData,
        }
    }

    /// Items per request, 1 to 500 (default 100). Another value makes the
    /// stream's first item an [`Error::InvalidArgument`].
    pub fn page_size(mut self, size: u64) -> Self {
        if (1..=MAX_PAGE_SIZE).contains(&size) {
            self.page_size = size;
        } else {
            self.invalid = Some(Error::invalid(
                "page_size",
                format!("must be between 1 and {MAX_PAGE_SIZE}, got {size}"),
            ));
        }
        self
    }

    /// Stop after this many items in all.
    pub fn limit(mut self, items: u64) -> Self {
        self.limit = Some(items);
        self
    }

    /// The pages, one request each. The stream is boxed, so it is `Unpin`:
    /// `try_next().await` works on it directly.
    pub fn pages(self) -> BoxStream<'a, Result<Page<<B::Response as ListResponse>::Item>>> {
        let Self {
            call,
            page_size,
            limit,
            invalid,
            ..
        } = self;
        let state = Walk {
            next: Some(B::first()),
            remaining: limit,
            guard: Guard::default(),
        };
        let walk = stream::try_unfold(state, move |mut state| {
            let call = call.clone();
            async move {
                let Some(position) = state.next.take() else {
                    return Ok(None);
                };
                let wanted = state
                    .remaining
                    .map_or(page_size, |left| left.min(page_size));
                let Some(count) = NonZeroU64::new(wanted) else {
                    return Ok(None);
                };
                let (mut items, hint) = call.page(&position, count).await?.into_page();
                if items.is_empty() {
                    return Ok(None);
                }
                state.next = next_position(&position, count.get(), items.len(), &hint)?;
                state.guard.check(&state.next, &hint)?;
                if let Some(left) = state.remaining.as_mut() {
                    items.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= items.len() as u64;
                }
                Ok(Some((
                    Page {
                        items,
                        position,
                        hint,
                    },
                    state,
                )))
            }
        });
        match invalid {
            Some(error) => stream::once(async move { Err(error) }).boxed(),
            None => walk.boxed(),
        }
    }

    /// The items of every page, in order (`Unpin`, like [`List::pages`]).
    pub fn items(self) -> Items<'a, <B::Response as ListResponse>::Item> {
        Items {
            pages: self.pages(),
            buffered: Vec::new().into_iter(),
        }
    }
}

/// The items of a walk, one page buffered at a time: what [`List::items`]
/// returns.
#[must_use = "streams do nothing unless polled"]
pub struct Items<'a, T> {
    pages: BoxStream<'a, Result<Page<T>>>,
    buffered: std::vec::IntoIter<T>,
}

// Items are moved out by value and never pinned in place, so the stream is
// `Unpin` whatever `T` is.
impl<T> Unpin for Items<'_, T> {}

impl<T> Stream for Items<'_, T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffered.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => this.buffered = page.items.into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> std::fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("buffered", &self.buffered.len())
            .finish_non_exhaustive()
    }
}

/// The state between two pages.
struct Walk {
    next: Option<Position>,
    remaining: Option<u64>,
    guard: Guard,
}
