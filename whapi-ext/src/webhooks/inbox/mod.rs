//! A durable webhook inbox (features `sqlite`, `redis`): every event is
//! stored before it is acknowledged, handled by a bounded pool of workers,
//! retried with backoff when its handler fails, and kept as a dead letter
//! when it keeps failing.
//!
//! | guarantee | how |
//! |---|---|
//! | nothing acknowledged is lost | `200` only after the store's commit (SQLite: a WAL commit with `synchronous=FULL`; Redis: see the store's durability note); a failed commit acknowledges nothing |
//! | at least once | an event leaves the store only when its handler succeeded or it is buried; a worker that dies leaves a lease that runs out (SQLite leases run on a clock that never steps) |
//! | at most `max_attempts` deliveries | a delivery counts when leased, so an event whose handler kills its process is buried too; an event whose lease ran out is handed out alone, so its crash counts against it only |
//! | once per event | the event's [`EventKey`] is stored with it; a second delivery within the window is acknowledged and dropped; a change without an id of its own that happens again (join, leave, join) is stored again |
//! | bounded | at most `concurrency` handlers run; past `capacity` waiting events, and past `max_intake` requests being stored, the answer is `503` with `Retry-After`; a Redis command answers within 2 s |
//!
//! Who may post to its [router](Inbox::router) is chosen on the builder:
//! a [verifier](InboxBuilder::verifier), or
//! [`without_verification`](InboxBuilder::without_verification); with
//! neither, every request is refused.
//!
//! A handler can still run twice for one event: when its process dies (or
//! its lease runs out) after the handler's effect and before the store
//! recorded it. Where that matters, use [`WebhookEvent::key`] (unique per
//! stored event) as an idempotency key of the effect (a unique column, a
//! conditional write): for a send, record what was sent under it right
//! after the send, and skip what is recorded when the event comes again.
//!
//! ```no_run
//! # #[cfg(all(feature = "sqlite", feature = "axum"))]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use whapi_ext::webhooks::{Inbox, WebhookEvent, WebhookVerifier};
//!
//! let inbox = Inbox::builder()
//!     .verifier(WebhookVerifier::new("x-webhook-secret", "s3cr3t")?)
//!     .concurrency(8)
//!     .sqlite("webhooks.db", |event: WebhookEvent| async move {
//!         println!("{} {}", event.event_type, event.key());
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await?;
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, inbox.router("/webhook")).await?;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "axum")]
mod intake;
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod steady_clock;
mod store;
mod worker;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use self::store::{NewEvent, Policy, Put, Store};
use super::{EventKey, Handler, ParseError, WebhookEvent};
use crate::{Error, Result};

/// The inbox's default handler timeout.
const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(300);

/// How an inbox runs; see [`Inbox::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct InboxBuilder {
    concurrency: usize,
    max_attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    dedup_window: Duration,
    capacity: u64,
    max_intake: usize,
    handler_timeout: Duration,
    poll: Duration,
    ordered: bool,
    #[cfg(feature = "axum")]
    verification: super::receiver::Verification,
    #[cfg(feature = "axum")]
    body_limit: usize,
}

impl Default for InboxBuilder {
    fn default() -> Self {
        Self {
            concurrency: 8,
            max_attempts: 8,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            dedup_window: Duration::from_secs(24 * 3600),
            capacity: 100_000,
            max_intake: 256,
            handler_timeout: DEFAULT_HANDLER_TIMEOUT,
            poll: Duration::from_millis(200),
            ordered: false,
            #[cfg(feature = "axum")]
            verification: super::receiver::Verification::Unchosen,
            #[cfg(feature = "axum")]
            body_limit: super::DEFAULT_BODY_LIMIT,
        }
    }
}

impl InboxBuilder {
    /// Handlers running at once (default 8).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// Deliveries to the handler before an event becomes a dead letter
    /// (default 8). A delivery counts when it starts: one whose handler
    /// kills its process (an abort, running out of memory) counts too, so
    /// such an event is buried after this many crashes instead of being
    /// handed out for ever.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait after a first failure, doubled after each further one up to
    /// `max` (default 1 s to 5 min; at most 30 days).
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        /// Longer waits are this long: a retry a month away is as good as
        /// never, and a clock can add it.
        const LONGEST: Duration = Duration::from_secs(30 * 24 * 3600);
        self.first_backoff = first.min(LONGEST);
        self.max_backoff = max.max(first).min(LONGEST);
        self
    }

    /// How long an event's key is remembered after it was handled, so a
    /// redelivery is dropped (default 24 h). While the event waits, is
    /// being handled or is a dead letter, its key is always remembered.
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = window;
        self
    }

    /// Events the store may hold waiting before new ones are refused with
    /// `503` (default 100,000).
    pub fn capacity(mut self, events: u64) -> Self {
        self.capacity = events.max(1);
        self
    }

    /// Requests being read and stored at once before more are refused with
    /// `503` (default 256): bounds the memory a flood of connections takes,
    /// at worst this many bodies of `body_limit` bytes (a real event is a
    /// few KiB; lower either to bound the worst case tighter).
    pub fn max_intake(mut self, requests: usize) -> Self {
        self.max_intake = requests.max(1);
        self
    }

    /// A handler running longer fails this attempt (default 5 min: longer
    /// than a few sends at the client's default request timeout, 60 s, so
    /// that a slow send is not cancelled mid-way and sent again when the
    /// event is retried). An event's lease is this plus as long again (at
    /// least 1 s, at most 30 s) to record the outcome: the events of a
    /// worker that died are handled again once their lease runs out.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// How often workers look for events other processes stored and for
    /// retries that came due (default 200 ms). Events this process stores
    /// wake them at once.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll = interval.max(Duration::from_millis(1));
        self
    }

    /// Handles one chat's messages in the order they arrived, one at a
    /// time (default off: any order, faster). A failing event holds back
    /// the later ones of its chat until it succeeds or is buried.
    pub fn keep_chat_order(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Its [router](Inbox::router) refuses requests without the configured
    /// header (`401`).
    #[cfg(feature = "axum")]
    pub fn verifier(mut self, verifier: super::WebhookVerifier) -> Self {
        self.verification = super::receiver::Verification::By(Arc::new(verifier));
        self
    }

    /// Its [router](Inbox::router) accepts requests from anyone who
    /// reaches the URL: for an inbox behind something that checks them
    /// already, or in a test. Without this or a
    /// [verifier](Self::verifier), its router refuses every request.
    #[cfg(feature = "axum")]
    pub fn without_verification(mut self) -> Self {
        self.verification = super::receiver::Verification::Anyone;
        self
    }

    /// Refuses bodies over this many bytes (`413`; default 5 MiB).
    #[cfg(feature = "axum")]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Starts an inbox on an SQLite file (created if missing) with its
    /// workers on the current tokio runtime.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub async fn sqlite<H, Fut, E>(
        self,
        path: impl AsRef<std::path::Path>,
        handler: H,
    ) -> Result<Inbox>
    where
        H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let path = path.as_ref().to_path_buf();
        let policy = self.policy();
        let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path, policy))
            .await
            .map_err(|e| Error::Store {
                what: format!("SQLite inbox: opening: {e}"),
            })??;
        Ok(self.start(Box::new(store), super::handler(handler)))
    }

    /// Starts an inbox on Redis (`redis://…`), under `name` (several
    /// processes with one name share its events), with its workers on the
    /// current tokio runtime.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn redis<H, Fut, E>(self, url: &str, name: &str, handler: H) -> Result<Inbox>
    where
        H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let store = redis_store::RedisStore::open(url, name, self.policy()).await?;
        Ok(self.start(Box::new(store), super::handler(handler)))
    }

    fn policy(&self) -> Policy {
        Policy {
            capacity: self.capacity,
            dedup_window: self.dedup_window,
            state_window: self.dedup_window.min(super::key::STATE_WINDOW),
            max_attempts: self.max_attempts,
            lease: self.handler_timeout.saturating_add(
                self.handler_timeout
                    .clamp(Duration::from_secs(1), Duration::from_secs(30)),
            ),
            ordered: self.ordered,
        }
    }

    fn start(self, store: Box<dyn Store>, handler: Handler) -> Inbox {
        let shared = Arc::new(Shared {
            store,
            handler,
            handlers: Arc::new(Semaphore::new(self.concurrency)),
            intake: Arc::new(Semaphore::new(self.max_intake)),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            config: self,
        });
        tokio::spawn(worker::run(shared.clone()));
        Inbox {
            stop_when_dropped: Arc::new(StopWhenDropped(shared.clone())),
            shared,
        }
    }
}

/// Shared by the intake, the workers and every clone of the [`Inbox`].
pub(crate) struct Shared {
    store: Box<dyn Store>,
    handler: Handler,
    /// One permit per handler that may run.
    handlers: Arc<Semaphore>,
    /// One permit per request being stored.
    intake: Arc<Semaphore>,
    wake: Notify,
    stopping: AtomicBool,
    config: InboxBuilder,
}

/// A durable webhook inbox: see the [module](self). Clones share it.
#[derive(Clone)]
pub struct Inbox {
    shared: Arc<Shared>,
    /// Dropped with the last clone: stops the workers, which hold `shared`
    /// (and with it the store: the SQLite writer's thread, the Redis
    /// connection) until then.
    #[allow(dead_code)] // held for its drop
    stop_when_dropped: Arc<StopWhenDropped>,
}

/// Stops an inbox's workers when the last [`Inbox`] is dropped: handlers
/// running finish, and nothing new is leased.
struct StopWhenDropped(Arc<Shared>);

impl Drop for StopWhenDropped {
    fn drop(&mut self) {
        self.0.stopping.store(true, Ordering::Release);
        self.0.wake.notify_waiters();
    }
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// What became of a webhook body given to [`Inbox::accept`], and the answer
/// the service should get.
#[derive(Debug)]
#[non_exhaustive]
pub enum Acceptance {
    /// Stored: answer `200`.
    Stored,
    /// Stored before: answer `200`; it will not be handled again.
    Duplicate,
    /// The inbox is full, shutting down or busy storing others: answer
    /// `503` with `Retry-After`, so the service delivers it again later.
    Busy,
    /// Not a webhook event: answer `400`.
    Unreadable(ParseError),
    /// The store failed (Redis down, disk full): answer `503`.
    Unavailable(Error),
}

impl Acceptance {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Stored | Self::Duplicate => 200,
            Self::Busy | Self::Unavailable(_) => 503,
            Self::Unreadable(_) => 400,
        }
    }

    /// Whether the service may forget the event (`2xx`).
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Self::Stored | Self::Duplicate)
    }

    /// The `Retry-After` to send with a `503`.
    pub fn retry_after(&self) -> Option<Duration> {
        matches!(self, Self::Busy | Self::Unavailable(_)).then_some(super::RETRY_AFTER)
    }
}

/// An event whose handler failed on every attempt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Its key: [`Inbox::replay`] takes it.
    pub key: EventKey,
    /// The event (`None` if its body no longer parses).
    pub event: Option<WebhookEvent>,
    /// Deliveries to the handler.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: String,
}

impl Inbox {
    /// The settings of a new inbox.
    pub fn builder() -> InboxBuilder {
        InboxBuilder::default()
    }

    /// Stores a webhook body; acknowledge the request only if the answer
    /// [`is_acknowledged`](Acceptance::is_acknowledged). Use it from a web
    /// framework other than axum (the [`router`](Self::router) calls it).
    pub async fn accept(&self, body: &[u8]) -> Acceptance {
        match self.intake_permit() {
            Some(_permit) => self.store(bytes::Bytes::copy_from_slice(body)).await,
            None => Acceptance::Busy,
        }
    }

    /// Room to store one more request, unless `max_intake` are being
    /// stored or the inbox is stopping.
    fn intake_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = self.shared.intake.try_acquire().ok()?;
        (!self.shared.stopping.load(Ordering::Acquire)).then_some(permit)
    }

    /// Stores a body (the caller holds an intake permit).
    ///
    /// The body is held once while it waits for the store: what is read
    /// of it (its key, its chat) is taken before the wait, and the parsed
    /// event, which copies the body, is dropped then. Parsing runs without
    /// an await, so at most one event per runtime thread is parsed at once.
    async fn store(&self, body: bytes::Bytes) -> Acceptance {
        let new = {
            let event = match WebhookEvent::parse(&body) {
                Ok(event) => event,
                Err(e) => return Acceptance::Unreadable(e),
            };
            let identity = event.identity();
            NewEvent {
                key: identity.key,
                subject: identity.subject,
                chat: event.chat().map(str::to_string),
                body,
            }
        };
        match self.shared.store.put(new).await {
            Ok(Put::Stored) => {
                self.shared.wake.notify_one();
                Acceptance::Stored
            }
            Ok(Put::Duplicate) => Acceptance::Duplicate,
            Ok(Put::Full) => Acceptance::Busy,
            Err(e) => Acceptance::Unavailable(e),
        }
    }

    /// Events stored and not yet done: waiting, being handled, or due for a
    /// retry (dead letters not counted).
    pub async fn waiting(&self) -> Result<u64> {
        self.shared.store.waiting().await
    }

    /// Dead letters, oldest first, at most `limit`.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        let stored = self.shared.store.dead_letters(limit).await?;
        Ok(stored
            .into_iter()
            .map(|d| DeadLetter {
                event: WebhookEvent::parse(&d.body).ok(),
                key: EventKey::from_stored(d.key),
                attempts: d.attempts,
                last_error: d.last_error,
            })
            .collect())
    }

    /// Hands a dead letter to the handler again, with a fresh count of
    /// attempts; `false` when no dead letter has this key.
    pub async fn replay(&self, key: &EventKey) -> Result<bool> {
        let replayed = self.shared.store.replay(key.as_str()).await?;
        if replayed {
            self.shared.wake.notify_one();
        }
        Ok(replayed)
    }

    /// Stops taking events (new requests get `503`) and waits up to
    /// `deadline` for running handlers to finish. Returns whether they all
    /// did; an event whose handler was still running stays stored and is
    /// handled again after its lease runs out.
    pub async fn shutdown(&self, deadline: Duration) -> bool {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.wake.notify_waiters();
        let all = u32::try_from(self.shared.config.concurrency).unwrap_or(u32::MAX);
        tokio::time::timeout(deadline, self.shared.handlers.acquire_many(all))
            .await
            .is_ok_and(|permits| permits.is_ok())
    }
}
