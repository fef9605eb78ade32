//! The embedded store: one SQLite file in WAL mode, written by one thread
//! that commits whatever requests are waiting in one transaction (a group
//! commit), so a flood costs one `fsync` per batch, not one per event.
//!
//! Several processes on one machine may share the file (SQLite's locks and
//! a busy timeout order them); leases keep them from handling one event
//! twice.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use rusqlite::{params, Connection};
use tokio::sync::{mpsc, oneshot};

use super::steady_clock;
use super::store::{
    duration_millis, millis, never_finished, Lease, Leased, NewEvent, Policy, Put, Store,
    StoreResult, StoredDeadLetter,
};
use crate::Error;

/// Requests waiting for the writer beyond this many wait for room.
const QUEUE: usize = 4096;
/// At most this many requests share a transaction.
const BATCH: usize = 512;
/// The count of waiting events is read again after this long; in between
/// it is kept by this process's own changes.
const RECOUNT: Duration = Duration::from_millis(250);
/// Done events past the deduplication window are deleted this often.
const PURGE: Duration = Duration::from_secs(60);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS whapi_inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    chat TEXT,
    body BLOB,
    -- 0 waiting, 1 leased, 2 done, 3 dead
    state INTEGER NOT NULL,
    -- milliseconds of the steady clock (steady_clock.rs): when a waiting
    -- event is due, when a lease runs out
    due INTEGER NOT NULL,
    -- deliveries to a handler, counted when leased
    attempts INTEGER NOT NULL DEFAULT 0,
    token INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL,
    done INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS whapi_inbox_due ON whapi_inbox (due, seq) WHERE state < 2;
CREATE INDEX IF NOT EXISTS whapi_inbox_chat ON whapi_inbox (chat, seq) WHERE state < 2;
CREATE INDEX IF NOT EXISTS whapi_inbox_done ON whapi_inbox (done) WHERE state = 2;
CREATE INDEX IF NOT EXISTS whapi_inbox_dead ON whapi_inbox (seq) WHERE state = 3;
-- each subject's latest change (key without its number), for telling a
-- redelivery from a change that happened again
CREATE TABLE IF NOT EXISTS whapi_inbox_latest (
    subject TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    stored INTEGER NOT NULL
);
-- which clock `due` counts by, and which boot of the machine it belongs to
CREATE TABLE IF NOT EXISTS whapi_inbox_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// The writer's connection: WAL, and every commit on disk before it
/// returns (`synchronous=FULL`: in WAL mode, NORMAL can lose the last
/// commits to a power cut).
fn connect(path: &Path) -> StoreResult<Connection> {
    let connection = Connection::open(path).map_err(|e| failed("opening", &e))?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .and_then(|()| connection.pragma_update(None, "journal_mode", "WAL"))
        .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
        .and_then(|()| connection.execute_batch(SCHEMA))
        .and_then(|()| migrate(&connection))
        .and_then(|()| on_this_boot(&connection))
        .map_err(|e| failed("preparing", &e))?;
    Ok(connection)
}

/// Makes the file's times those of this boot's steady clock: times written
/// by another boot (or, by older versions, by the wall clock) are made due
/// now, leases run out at once (their processes are gone). In one
/// transaction, so that of two processes starting together one converts.
fn on_this_boot(connection: &Connection) -> rusqlite::Result<()> {
    let boot = format!("steady:{}", steady_clock::boot());
    connection.execute_batch("BEGIN IMMEDIATE")?;
    let converted = (|| {
        let recorded: Option<String> = connection
            .query_row(
                "SELECT value FROM whapi_inbox_meta WHERE name = 'clock'",
                [],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if recorded.as_deref() != Some(boot.as_str()) {
            connection.execute(
                "UPDATE whapi_inbox SET due = ?1 WHERE state < 2",
                [steady_clock::now_millis()],
            )?;
            connection.execute(
                "INSERT INTO whapi_inbox_meta (name, value) VALUES ('clock', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = ?1",
                [&boot],
            )?;
        }
        Ok(())
    })();
    match converted {
        Ok(()) => connection.execute_batch("COMMIT"),
        Err(e) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Files made before deliveries were counted kept failed attempts in
/// `failures`: the same count, under its new name.
fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    let has_failures: bool = connection
        .prepare("SELECT 1 FROM pragma_table_info('whapi_inbox') WHERE name = 'failures'")?
        .exists([])?;
    if has_failures {
        connection.execute_batch("ALTER TABLE whapi_inbox RENAME COLUMN failures TO attempts")?;
    }
    Ok(())
}

enum Command {
    Put(NewEvent, oneshot::Sender<StoreResult<Put>>),
    Lease(usize, bool, oneshot::Sender<StoreResult<Lease>>),
    Complete(Leased, oneshot::Sender<StoreResult<()>>),
    Retry(Leased, i64, String, oneshot::Sender<StoreResult<()>>),
    Bury(Leased, String, oneshot::Sender<StoreResult<()>>),
    DeadLetters(usize, oneshot::Sender<StoreResult<Vec<StoredDeadLetter>>>),
    Replay(String, oneshot::Sender<StoreResult<bool>>),
    Waiting(oneshot::Sender<StoreResult<u64>>),
}

/// The SQLite store: a handle to its writer thread.
pub(crate) struct SqliteStore {
    commands: mpsc::Sender<Command>,
}

impl SqliteStore {
    /// Opens (creating) the file and starts its writer thread.
    pub(crate) fn open(path: &Path, policy: Policy) -> StoreResult<Self> {
        let connection = connect(path)?;
        let (commands, receiver) = mpsc::channel(QUEUE);
        let mut writer = Writer {
            connection,
            policy,
            waiting: 0,
            counted: None,
            purged: Instant::now(),
        };
        std::thread::Builder::new()
            .name("whapi-inbox-sqlite".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| Error::Store {
                what: format!("SQLite inbox: starting its thread: {e}"),
            })?;
        Ok(Self { commands })
    }

    fn ask<T: Send + 'static>(
        &self,
        command: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> Command,
    ) -> BoxFuture<'_, StoreResult<T>> {
        let (reply, answer) = oneshot::channel();
        let command = command(reply);
        async move {
            self.commands.send(command).await.map_err(|_| gone())?;
            answer.await.map_err(|_| gone())?
        }
        .boxed()
    }
}

impl Store for SqliteStore {
    fn put(&self, event: NewEvent) -> BoxFuture<'_, StoreResult<Put>> {
        self.ask(|r| Command::Put(event, r))
    }
    fn lease(&self, max: usize, alone: bool) -> BoxFuture<'_, StoreResult<Lease>> {
        self.ask(|r| Command::Lease(max, alone, r))
    }
    fn complete(&self, event: &Leased) -> BoxFuture<'_, StoreResult<()>> {
        let event = event.clone();
        self.ask(|r| Command::Complete(event, r))
    }
    fn retry(
        &self,
        event: &Leased,
        after: Duration,
        error: &str,
    ) -> BoxFuture<'_, StoreResult<()>> {
        let (event, error) = (event.clone(), error.to_string());
        let at = steady_clock::now_millis().saturating_add(duration_millis(after));
        self.ask(move |r| Command::Retry(event, at, error, r))
    }
    fn bury(&self, event: &Leased, error: &str) -> BoxFuture<'_, StoreResult<()>> {
        let (event, error) = (event.clone(), error.to_string());
        self.ask(move |r| Command::Bury(event, error, r))
    }
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<StoredDeadLetter>>> {
        self.ask(|r| Command::DeadLetters(limit, r))
    }
    fn replay<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        let key = key.to_string();
        self.ask(|r| Command::Replay(key, r))
    }
    fn waiting(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.ask(Command::Waiting)
    }
}

/// The thread that owns the connection.
struct Writer {
    connection: Connection,
    policy: Policy,
    /// Events not yet done, as last counted plus this process's changes.
    waiting: u64,
    counted: Option<Instant>,
    purged: Instant,
}

/// A reply to send once the transaction is committed.
type Reply = Box<dyn FnOnce(Option<&Error>) + Send>;

impl Writer {
    fn run(&mut self, mut receiver: mpsc::Receiver<Command>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            self.run_batch(batch);
        }
    }

    /// Runs a batch in one transaction and answers each request after the
    /// commit, so nothing is acknowledged that a crash could lose.
    fn run_batch(&mut self, batch: Vec<Command>) {
        let waiting_before = self.waiting;
        if let Err(e) = self.connection.execute_batch("BEGIN IMMEDIATE") {
            let error = failed("starting a transaction", &e);
            for command in batch {
                answer_error(command, &error);
            }
            return;
        }
        let replies: Vec<Reply> = batch.into_iter().map(|c| self.execute(c)).collect();
        if self.purged.elapsed() >= PURGE {
            self.purge();
        }
        // An I/O error or a full disk can make SQLite roll the transaction
        // back by itself: what ran after it ran alone, and none of it is
        // answered as done.
        let committed = if self.connection.is_autocommit() {
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back by an error".into()),
            ))
        } else {
            self.connection.execute_batch("COMMIT")
        };
        let error = committed.err().map(|e| {
            let _ = self.connection.execute_batch("ROLLBACK");
            self.waiting = waiting_before;
            failed("committing", &e)
        });
        for reply in replies {
            reply(error.as_ref());
        }
    }

    fn execute(&mut self, command: Command) -> Reply {
        match command {
            Command::Put(event, reply) => deferred(reply, self.put(event)),
            Command::Lease(max, alone, reply) => deferred(reply, self.lease(max, alone)),
            Command::Complete(event, reply) => {
                let result = self.finish(
                    &event,
                    "state = 2, body = NULL, done = ?3, last_error = NULL",
                    None,
                );
                deferred(reply, result)
            }
            Command::Retry(event, at, error, reply) => {
                let result = self.update_lease(
                    &event,
                    "state = 0, due = ?3, last_error = ?4",
                    params![at, error],
                );
                deferred(reply, result.map(drop))
            }
            Command::Bury(event, error, reply) => {
                let result = self.finish(&event, "state = 3, last_error = ?3", Some(error));
                deferred(reply, result)
            }
            Command::DeadLetters(limit, reply) => deferred(reply, self.dead_letters(limit)),
            Command::Replay(key, reply) => deferred(reply, self.replay(&key)),
            Command::Waiting(reply) => {
                deferred(reply, self.count().map_err(|e| failed("counting", &e)))
            }
        }
    }

    fn put(&mut self, event: NewEvent) -> StoreResult<Put> {
        let stale = self.counted.is_none_or(|at| at.elapsed() >= RECOUNT);
        if stale {
            self.waiting = self.count().map_err(|e| failed("counting", &e))?;
            self.counted = Some(Instant::now());
        }
        let now = millis(SystemTime::now());
        let redelivered = match &event.subject {
            Some(subject) => self.is_latest_change(subject, &event.key, now)?,
            None => self.is_stored(&event.key)?,
        };
        if redelivered {
            return Ok(Put::Duplicate);
        }
        if self.waiting >= self.policy.capacity {
            return Ok(Put::Full);
        }
        self.connection
            .prepare_cached(
                "INSERT INTO whapi_inbox (key, chat, body, state, due, stored) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            )
            .and_then(|mut s| {
                let due = steady_clock::now_millis();
                s.execute(params![event.key, event.chat, &event.body[..], due, now])
            })
            .map_err(|e| failed("storing an event", &e))?;
        if let Some(subject) = &event.subject {
            // A change is stored as `key#seq`: its row's number, which no
            // other event of the file ever has.
            self.connection
                .prepare_cached(
                    "UPDATE whapi_inbox SET key = key || '#' || seq WHERE seq = last_insert_rowid()",
                )
                .and_then(|mut s| s.execute([]))
                .and_then(|_| {
                    self.connection
                        .prepare_cached(
                            "INSERT INTO whapi_inbox_latest (subject, key, stored) VALUES (?1, ?2, ?3)
                             ON CONFLICT (subject) DO UPDATE SET key = ?2, stored = ?3",
                        )?
                        .execute(params![subject, event.key, now])
                })
                .map_err(|e| failed("storing a change", &e))?;
        }
        self.waiting += 1;
        Ok(Put::Stored)
    }

    /// Whether an occurrence with this key is stored.
    fn is_stored(&self, key: &str) -> StoreResult<bool> {
        self.connection
            .prepare_cached("SELECT 1 FROM whapi_inbox WHERE key = ?1")
            .and_then(|mut s| s.exists([key]))
            .map_err(|e| failed("looking up a key", &e))
    }

    /// Whether `key` is the subject's latest change, stored within the
    /// state window.
    fn is_latest_change(&self, subject: &str, key: &str, now: i64) -> StoreResult<bool> {
        let since = now.saturating_sub(duration_millis(self.policy.state_window));
        self.connection
            .prepare_cached(
                "SELECT 1 FROM whapi_inbox_latest WHERE subject = ?1 AND key = ?2 AND stored >= ?3",
            )
            .and_then(|mut s| s.exists(params![subject, key, since]))
            .map_err(|e| failed("looking up a change", &e))
    }

    fn lease(&mut self, max: usize, alone: bool) -> StoreResult<Lease> {
        let now = steady_clock::now_millis();
        self.bury_never_finished(now)?;
        let expired_waiting = self
            .connection
            // `state < 2` as the partial index `whapi_inbox_due` says it, so
            // that SQLite uses it (it does not infer it from `state = 1`).
            .prepare_cached("SELECT 1 FROM whapi_inbox WHERE state < 2 AND state = 1 AND due <= ?1")
            .and_then(|mut s| s.exists([now]))
            .map_err(|e| failed("leasing", &e))?;
        let (state, max) = if alone && expired_waiting {
            (1, 1)
        } else {
            (0, max)
        };
        let until = now.saturating_add(duration_millis(self.policy.lease));
        let token = next_token();
        let mut statement = self
            .connection
            .prepare_cached(
                "UPDATE whapi_inbox SET state = 1, due = ?1, token = ?2, attempts = attempts + 1
                 WHERE seq IN (
                    SELECT e.seq FROM whapi_inbox e
                    WHERE e.state < 2 AND e.state = ?6 AND e.due <= ?3
                      AND (?4 = 0 OR e.chat IS NULL OR NOT EXISTS (
                          SELECT 1 FROM whapi_inbox p
                          WHERE p.chat = e.chat AND p.state < 2 AND p.seq < e.seq))
                    ORDER BY e.due, e.seq LIMIT ?5)
                 RETURNING seq, key, body, attempts, chat",
            )
            .map_err(|e| failed("leasing", &e))?;
        let rows = statement
            .query_map(
                params![until, token, now, self.policy.ordered, max as i64, state],
                |row| {
                    let seq: i64 = row.get(0)?;
                    let leased = Leased {
                        key: row.get(1)?,
                        body: row.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default(),
                        attempts: row.get(3)?,
                        token: format!("{seq}:{token}"),
                        chat: row.get(4)?,
                    };
                    Ok((seq, leased))
                },
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| failed("leasing", &e))?;
        // RETURNING follows no order: give them oldest first.
        let mut rows = rows;
        rows.sort_by_key(|(seq, _)| *seq);
        Ok(Lease {
            events: rows.into_iter().map(|(_, leased)| leased).collect(),
            expired_waiting,
        })
    }

    /// Buries the events whose lease ran out after their last delivery:
    /// their handler never returned, `max_attempts` times.
    fn bury_never_finished(&mut self, now: i64) -> StoreResult<()> {
        let buried = self
            .connection
            .prepare_cached(
                "UPDATE whapi_inbox SET state = 3, last_error = ?3
                 WHERE state < 2 AND state = 1 AND due <= ?1 AND attempts >= ?2
                 RETURNING key, attempts",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![
                        now,
                        self.policy.max_attempts,
                        never_finished(self.policy.max_attempts)
                    ],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?)),
                )?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| failed("burying events whose handler never finished", &e))?;
        for (key, attempts) in &buried {
            tracing::error!(%key, attempts, "webhook event buried as a dead letter: its handler never finished");
        }
        self.waiting = self.waiting.saturating_sub(buried.len() as u64);
        Ok(())
    }

    /// Completes or buries a leased event: it stops waiting.
    fn finish(&mut self, event: &Leased, set: &str, error: Option<String>) -> StoreResult<()> {
        let now = millis(SystemTime::now());
        let changed = match error {
            Some(error) => self.update_lease(event, set, params![error])?,
            None => self.update_lease(event, set, params![now])?,
        };
        if changed {
            self.waiting = self.waiting.saturating_sub(1);
        }
        Ok(())
    }

    /// Updates the event if this lease still holds it; `false` when another
    /// worker has taken it since (its lease ran out).
    fn update_lease(
        &mut self,
        event: &Leased,
        set: &str,
        extra: &[&dyn rusqlite::ToSql],
    ) -> StoreResult<bool> {
        let (seq, token) = parse_token(&event.token)?;
        let sql =
            format!("UPDATE whapi_inbox SET {set} WHERE seq = ?1 AND token = ?2 AND state = 1");
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&seq, &token];
        values.extend_from_slice(extra);
        let changed = self
            .connection
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute(values.as_slice()))
            .map_err(|e| failed("recording an outcome", &e))?;
        if changed == 0 {
            tracing::warn!(key = %event.key, "an inbox event's lease ran out before its outcome was recorded");
        }
        Ok(changed > 0)
    }

    fn dead_letters(&mut self, limit: usize) -> StoreResult<Vec<StoredDeadLetter>> {
        self.connection
            .prepare_cached(
                "SELECT key, body, attempts, last_error FROM whapi_inbox WHERE state = 3 ORDER BY seq LIMIT ?1",
            )
            .and_then(|mut s| {
                s.query_map([limit as i64], |row| {
                    Ok(StoredDeadLetter {
                        key: row.get(0)?,
                        body: row.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                        attempts: row.get(2)?,
                        last_error: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    })
                })?
                .collect()
            })
            .map_err(|e| failed("listing dead letters", &e))
    }

    fn replay(&mut self, key: &str) -> StoreResult<bool> {
        let now = steady_clock::now_millis();
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE whapi_inbox SET state = 0, due = ?2, attempts = 0 WHERE key = ?1 AND state = 3",
            )
            .and_then(|mut s| s.execute(params![key, now]))
            .map_err(|e| failed("replaying", &e))?;
        self.waiting += changed as u64;
        Ok(changed > 0)
    }

    fn count(&self) -> rusqlite::Result<u64> {
        self.connection
            .prepare_cached("SELECT COUNT(*) FROM whapi_inbox WHERE state < 2")?
            .query_row([], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
    }

    /// Forgets done events older than the deduplication window, and latest
    /// changes older than the state window.
    fn purge(&mut self) {
        self.purged = Instant::now();
        let now = millis(SystemTime::now());
        let done_before = now.saturating_sub(duration_millis(self.policy.dedup_window));
        let changed_before = now.saturating_sub(duration_millis(self.policy.state_window));
        let purged = self
            .connection
            .execute(
                "DELETE FROM whapi_inbox WHERE state = 2 AND done < ?1",
                [done_before],
            )
            .and_then(|_| {
                self.connection.execute(
                    "DELETE FROM whapi_inbox_latest WHERE stored < ?1",
                    [changed_before],
                )
            });
        if let Err(e) = purged {
            tracing::warn!(error = %e, "purging the SQLite inbox failed");
        }
    }
}

/// A reply holding `result` until the commit says whether it stands.
fn deferred<T: Send + 'static>(
    reply: oneshot::Sender<StoreResult<T>>,
    result: StoreResult<T>,
) -> Reply {
    Box::new(move |commit_error: Option<&Error>| {
        let result = match commit_error {
            Some(error) => Err(Error::Store {
                what: error.to_string(),
            }),
            None => result,
        };
        let _ = reply.send(result);
    })
}

fn answer_error(command: Command, error: &Error) {
    fn refuse<T>(reply: oneshot::Sender<StoreResult<T>>, error: &Error) {
        let _ = reply.send(Err(Error::Store {
            what: error.to_string(),
        }));
    }
    match command {
        Command::Put(_, r) => refuse(r, error),
        Command::Lease(_, _, r) => refuse(r, error),
        Command::Complete(_, r) | Command::Retry(_, _, _, r) | Command::Bury(_, _, r) => {
            refuse(r, error)
        }
        Command::DeadLetters(_, r) => refuse(r, error),
        Command::Replay(_, r) => refuse(r, error),
        Command::Waiting(r) => refuse(r, error),
    }
}

fn parse_token(token: &str) -> StoreResult<(i64, i64)> {
    token
        .split_once(':')
        .and_then(|(seq, token)| Some((seq.parse().ok()?, token.parse().ok()?)))
        .ok_or_else(|| Error::Store {
            what: format!("SQLite inbox: a lease token `{token}` it did not give"),
        })
}

/// A token no other lease of this file is likely to hold: the time, this
/// process and a counter.
fn next_token() -> i64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed = nanos ^ (u64::from(std::process::id()) << 40) ^ n.rotate_left(20);
    (mixed & (i64::MAX as u64)) as i64
}

fn failed(what: &str, error: &rusqlite::Error) -> Error {
    Error::Store {
        what: format!("SQLite inbox: {what}: {error}"),
    }
}

fn gone() -> Error {
    Error::Store {
        what: "SQLite inbox: its writer thread stopped".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_writes_ahead_and_syncs_every_commit() {
        let dir = std::env::temp_dir().join(format!("whapi-inbox-pragmas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let connection = connect(&dir.join("inbox.db")).unwrap();
        let journal: String = connection
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let synchronous: i64 = connection
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        drop(connection);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(journal, "wal");
        assert_eq!(synchronous, 2, "FULL");
    }

    #[test]
    fn a_file_of_an_older_version_keeps_its_counts_under_their_new_name() {
        let dir = std::env::temp_dir().join(format!("whapi-inbox-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("inbox.db");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(&SCHEMA.replace("attempts INTEGER", "failures INTEGER"))
            .unwrap();
        old.execute(
            "INSERT INTO whapi_inbox (key, state, due, failures, stored) VALUES ('k', 0, 0, 3, 0)",
            [],
        )
        .unwrap();
        drop(old);
        let connection = connect(&path).unwrap();
        let attempts: u32 = connection
            .query_row(
                "SELECT attempts FROM whapi_inbox WHERE key = 'k'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        drop(connection);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(attempts, 3);
    }
}

#[cfg(test)]
mod plans {
    use super::*;

    /// The queries every lease runs find their rows through the partial
    /// index of waiting and leased events, not by reading the table (which
    /// keeps done events for a day).
    #[test]
    fn a_lease_reads_the_index_of_waiting_events_not_the_table() {
        let dir = std::env::temp_dir().join(format!("whapi-inbox-plans-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let connection = connect(&dir.join("inbox.db")).unwrap();
        for query in [
            "SELECT 1 FROM whapi_inbox WHERE state < 2 AND state = 1 AND due <= 5",
            "SELECT seq FROM whapi_inbox WHERE state < 2 AND state = 0 AND due <= 5 ORDER BY due, seq LIMIT 8",
            "SELECT key FROM whapi_inbox WHERE state < 2 AND state = 1 AND due <= 5 AND attempts >= 8",
        ] {
            let plan: Vec<String> = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
                .unwrap()
                .query_map([], |row| row.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|step| step.contains("whapi_inbox_due")),
                "{query}: {plan:?}"
            );
        }
        drop(connection);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
