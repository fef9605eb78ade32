//! What an inbox needs of a store: put an event once, lease due events to
//! workers, and record each outcome. SQLite and Redis implement it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

use crate::Error;

/// An event to store.
pub(crate) struct NewEvent {
    /// Its key; for a change, without its number.
    pub key: String,
    /// For a change (an event with no id of its own): its subject. The
    /// store compares the key with the subject's latest change: equal is a
    /// redelivery; else it stores the event under `key#n`, `n` a number
    /// the store gives no other event.
    pub subject: Option<String>,
    /// The chat whose order it keeps, when an inbox keeps order.
    pub chat: Option<String>,
    /// The body as received, shared rather than copied.
    pub body: bytes::Bytes,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Put {
    /// Stored: acknowledge it.
    Stored,
    /// Stored before (within the deduplication window): acknowledge it,
    /// it will not be handled again.
    Duplicate,
    /// The store holds `capacity` waiting events: refuse it for now.
    Full,
}

/// An event leased to a worker until its lease runs out.
#[derive(Debug, Clone)]
pub(crate) struct Leased {
    /// The key it is stored under.
    pub key: String,
    pub body: Vec<u8>,
    /// Its deliveries to a handler, this one included: counted when it is
    /// leased, so that one whose handler kills its process still reaches
    /// `max_attempts`.
    pub attempts: u32,
    /// What the store needs to record this lease's outcome.
    pub token: String,
    /// Its chat, where the store keeps one chat's events in order.
    pub chat: Option<String>,
}

/// What a lease handed out.
#[derive(Debug, Default)]
pub(crate) struct Lease {
    pub events: Vec<Leased>,
    /// Events whose lease ran out wait to be leased alone.
    pub expired_waiting: bool,
}

/// A dead letter as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredDeadLetter {
    pub key: String,
    pub body: Vec<u8>,
    pub attempts: u32,
    pub last_error: String,
}

/// How a store leases and keeps events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub capacity: u64,
    /// How long an occurrence's key is kept after it was handled.
    pub dedup_window: Duration,
    /// How long a subject's latest change is compared with new deliveries.
    pub state_window: Duration,
    pub lease: Duration,
    /// Deliveries before an event is a dead letter: one leased this many
    /// times whose lease ran out again is buried, not handed out.
    pub max_attempts: u32,
    pub ordered: bool,
}

/// A dead letter's error when its handler never returned.
pub(crate) fn never_finished(attempts: u32) -> String {
    format!(
        "its handler did not finish in {attempts} deliveries: its process died (a crash, an abort, \
out of memory) or it ran past its lease"
    )
}

pub(crate) type StoreResult<T> = Result<T, Error>;

/// A durable store of webhook events.
pub(crate) trait Store: Send + Sync + 'static {
    /// Stores `event` durably unless it is a redelivery: an occurrence
    /// whose key is stored, or a change equal to its subject's latest one
    /// within the state window.
    fn put(&self, event: NewEvent) -> BoxFuture<'_, StoreResult<Put>>;
    /// Leases due events, oldest first, counting a delivery of each; with
    /// `ordered`, only the oldest waiting event of each chat. An event
    /// whose lease ran out (its delivery never finished: its process may
    /// have died of it) is leased only `alone`, the one event of the call,
    /// so that its worker runs it with nothing else in flight and a crash
    /// it causes is counted against it only; one whose lease ran out after
    /// its `max_attempts`-th delivery is buried instead. Otherwise up to
    /// `max` new events and retries come due.
    fn lease(&self, max: usize, alone: bool) -> BoxFuture<'_, StoreResult<Lease>>;
    /// The handler succeeded: the event is done (its key stays for the
    /// deduplication window).
    fn complete(&self, event: &Leased) -> BoxFuture<'_, StoreResult<()>>;
    /// The handler failed: try again `after` this long.
    fn retry(&self, event: &Leased, after: Duration, error: &str)
        -> BoxFuture<'_, StoreResult<()>>;
    /// The handler failed for the last time: keep it as a dead letter.
    fn bury(&self, event: &Leased, error: &str) -> BoxFuture<'_, StoreResult<()>>;
    /// Dead letters, oldest first.
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<StoredDeadLetter>>>;
    /// Makes a dead letter due again; `false` when there is none by `key`.
    fn replay<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<bool>>;
    /// Events stored and not yet done (waiting, leased or due for a retry).
    fn waiting(&self) -> BoxFuture<'_, StoreResult<u64>>;
}

/// Milliseconds since the Unix epoch.
pub(crate) fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Clamps a duration to milliseconds that fit an `i64`.
pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
