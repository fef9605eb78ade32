//! The store for several receivers and workers: Redis Streams with one
//! consumer group. Every change that must not race is one Lua script (a
//! key checked and an event added at once); events a dead worker held are
//! claimed by another once their lease runs out (`XAUTOCLAIM`).
//!
//! Keys, all under one hash tag so a cluster keeps them on one node:
//! `{name}:events` (the stream), `{name}:seen:<key>` (deduplication, with
//! the window as its expiry), `{name}:retry` (a sorted set by due time),
//! `{name}:dead` and `{name}:dead:order` (dead letters),
//! `{name}:chat:<chat>` (keys in order, when the inbox keeps order).
//!
//! Acknowledged events survive a Redis crash only if Redis writes its
//! append-only file before answering (`appendonly yes`, `appendfsync
//! always`); the store warns when Redis says it does not.

use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, Script};

use super::store::{
    duration_millis, millis, never_finished, Lease, Leased, NewEvent, Policy, Put, Store,
    StoreResult, StoredDeadLetter,
};
use crate::Error;

const GROUP: &str = "workers";
/// A later event of a chat whose earlier one is not done waits this long
/// before it is looked at again.
const ORDER_WAIT: Duration = Duration::from_millis(200);

/// Stores an event unless it is a redelivery: an occurrence whose key was
/// seen, or a change equal to its subject's latest (ARGV[5] the subject,
/// ARGV[6] the state window); refuses it when full. A change is stored as
/// `key#n`, `n` from a counter no other event shares. An occurrence's key
/// is kept while the event is stored (FINISH sets the window on it). Every
/// event with a chat joins its chat's list, whether this instance keeps
/// order or not, so that instances that do see every event.
const PUT: &str = r"
local p = KEYS[1]
local key = ARGV[1]
local latest = ''
if ARGV[5] ~= '' then
  latest = p .. ':latest:' .. ARGV[5]
  if redis.call('GET', latest) == key then return 0 end
elseif redis.call('EXISTS', p .. ':seen:' .. key) == 1 then
  return 0
end
local waiting = redis.call('XLEN', p .. ':events') + redis.call('ZCARD', p .. ':retry')
if waiting >= tonumber(ARGV[4]) then return -1 end
if latest ~= '' then
  redis.call('SET', latest, key, 'PX', ARGV[6])
  key = key .. '#' .. redis.call('INCR', p .. ':changes')
end
redis.call('XADD', p .. ':events', '*', 'key', key, 'body', ARGV[2], 'chat', ARGV[3], 'attempts', '0')
redis.call('SET', p .. ':seen:' .. key, '1')
if ARGV[3] ~= '' then redis.call('RPUSH', p .. ':chat:' .. ARGV[3], key) end
return 1
";

/// Moves retries that are due back into the stream; answers how many, and
/// whether an entry's lease (ARGV[2] milliseconds) ran out.
const DUE: &str = r"
local p = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', p .. ':retry', '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, item in ipairs(due) do
  local e = cjson.decode(item)
  redis.call('XADD', p .. ':events', '*', 'key', e.key, 'body', e.body, 'chat', e.chat, 'attempts', e.attempts or e.failures)
  redis.call('ZREM', p .. ':retry', item)
end
local expired = redis.call('XPENDING', p .. ':events', 'workers', 'IDLE', tonumber(ARGV[2]), '-', '+', 1)
return {#due, #expired}
";

/// The start of RESCHEDULE and FINISH: takes entry ARGV[1] out of the
/// stream if consumer ARGV[7] still holds it (another may have claimed it
/// since its lease ran out), or answers 0.
const TAKE_OUT: &str = r"
local p = KEYS[1]
local mine = redis.call('XPENDING', p .. ':events', 'workers', ARGV[1], ARGV[1], 1, ARGV[7])
if #mine == 0 then return 0 end
if redis.call('XACK', p .. ':events', 'workers', ARGV[1]) == 0 then return 0 end
redis.call('XDEL', p .. ':events', ARGV[1])
";

/// After [`TAKE_OUT`]: puts the event into the retries, due in ARGV[6]
/// milliseconds, with ARGV[5] deliveries so far.
const RESCHEDULE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local item = cjson.encode({key = ARGV[2], body = ARGV[3], chat = ARGV[4], attempts = ARGV[5]})
redis.call('ZADD', p .. ':retry', now + tonumber(ARGV[6]), item)
return 1
";

/// After [`TAKE_OUT`]: the event is done (ARGV[5] empty; its key is then
/// kept ARGV[8] milliseconds) or dead after ARGV[6] deliveries (ARGV[5] the
/// error; its key is kept with it). Either way a later event of its chat
/// may go.
const FINISH: &str = r"
if ARGV[3] ~= '' then redis.call('LREM', p .. ':chat:' .. ARGV[3], 1, ARGV[2]) end
if ARGV[5] ~= '' then
  local t = redis.call('TIME')
  redis.call('HSET', p .. ':dead', ARGV[2],
    cjson.encode({body = ARGV[4], chat = ARGV[3], attempts = ARGV[6], error = ARGV[5]}))
  redis.call('ZADD', p .. ':dead:order', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[2])
else
  redis.call('PEXPIRE', p .. ':seen:' .. ARGV[2], ARGV[8])
end
return 1
";

/// Puts a dead letter back in the stream with no deliveries.
const REPLAY: &str = r"
local p = KEYS[1]
local item = redis.call('HGET', p .. ':dead', ARGV[1])
if not item then return 0 end
local e = cjson.decode(item)
redis.call('XADD', p .. ':events', '*', 'key', ARGV[1], 'body', e.body, 'chat', e.chat, 'attempts', '0')
if e.chat ~= '' then redis.call('RPUSH', p .. ':chat:' .. e.chat, ARGV[1]) end
redis.call('HDEL', p .. ':dead', ARGV[1])
redis.call('ZREM', p .. ':dead:order', ARGV[1])
return 1
";

/// The Redis store.
pub(crate) struct RedisStore {
    redis: ConnectionManager,
    prefix: String,
    consumer: String,
    policy: Policy,
    /// Where the next look for entries whose lease ran out starts.
    claim_cursor: std::sync::Mutex<String>,
    put: Script,
    due: Script,
    reschedule: Script,
    finish: Script,
    replay: Script,
}

impl RedisStore {
    /// Connects, creates the consumer group and checks durability.
    pub(crate) async fn open(url: &str, name: &str, policy: Policy) -> StoreResult<Self> {
        let redis = crate::redis_connection::connect(url)
            .await
            .map_err(failed)?;
        let store = Self {
            redis,
            prefix: format!("{{whapi-inbox:{name}}}"),
            consumer: format!(
                "{}-{}-{:x}",
                std::process::id(),
                millis(SystemTime::now()),
                rand_suffix()
            ),
            policy,
            claim_cursor: std::sync::Mutex::new("0-0".into()),
            put: Script::new(PUT),
            due: Script::new(DUE),
            reschedule: Script::new(&format!("{TAKE_OUT}{RESCHEDULE}")),
            finish: Script::new(&format!("{TAKE_OUT}{FINISH}")),
            replay: Script::new(REPLAY),
        };
        store.create_group().await?;
        store.forget_idle_consumers().await?;
        store.warn_of_risky_settings().await;
        Ok(store)
    }

    /// The deduplication window in milliseconds, as Redis takes it.
    fn window_millis(&self) -> i64 {
        /// Ten years: Redis refuses expiries past what its clock can add.
        const LONGEST: i64 = 10 * 365 * 24 * 3600 * 1000;
        duration_millis(self.policy.dedup_window).clamp(1, LONGEST)
    }

    fn stream(&self) -> String {
        format!("{}:events", self.prefix)
    }

    async fn create_group(&self) -> StoreResult<()> {
        let mut redis = self.redis.clone();
        let created: redis::RedisResult<()> = redis
            .xgroup_create_mkstream(self.stream(), GROUP, "0")
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => other.map_err(failed),
        }
    }

    /// Warns once of what Redis is set to that can lose events: no
    /// append-only file written before each answer, or keys evicted when
    /// memory runs short; and, where `CONFIG GET` is refused (managed
    /// Redis), that it could not tell.
    async fn warn_of_risky_settings(&self) {
        let mut values = Vec::new();
        for name in ["appendonly", "appendfsync", "maxmemory", "maxmemory-policy"] {
            let mut redis = self.redis.clone();
            let read: redis::RedisResult<Vec<String>> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(&mut redis)
                .await;
            match read.map(|pair| pair.get(1).cloned()) {
                Ok(Some(value)) => values.push(value),
                Ok(None) | Err(_) => {
                    tracing::warn!(
                        setting = name,
                        "could not read Redis's settings (CONFIG GET refused): the inbox cannot tell whether events acknowledged before a Redis crash, or under memory pressure, survive; check appendonly, appendfsync and maxmemory-policy yourself"
                    );
                    return;
                }
            }
        }
        let [aof, fsync, maxmemory, policy] = values.as_slice() else {
            return;
        };
        if aof != "yes" || fsync != "always" {
            tracing::warn!(
                appendonly = %aof, appendfsync = %fsync,
                "Redis does not write every change to disk before answering: events acknowledged just before a Redis crash can be lost (set appendonly yes, appendfsync always)"
            );
        }
        if maxmemory != "0" && policy != "noeviction" {
            tracing::warn!(
                maxmemory = %maxmemory, maxmemory_policy = %policy,
                "Redis may evict keys when its memory runs short: stored events and deduplication keys can vanish (set maxmemory-policy noeviction)"
            );
        }
    }

    /// Deletes the group's consumers that hold nothing and have been idle
    /// longer than a lease: one is made per process start, and they would
    /// pile up. A live one idle that long is made again by its next read.
    async fn forget_idle_consumers(&self) -> StoreResult<()> {
        let mut redis = self.redis.clone();
        let info: redis::streams::StreamInfoConsumersReply = redis
            .xinfo_consumers(self.stream(), GROUP)
            .await
            .map_err(failed)?;
        let idle_since = duration_millis(self.policy.lease);
        for consumer in info.consumers {
            let idle = i64::try_from(consumer.idle).unwrap_or(i64::MAX);
            if consumer.pending == 0 && idle > idle_since && consumer.name != self.consumer {
                let _: i64 = redis
                    .xgroup_delconsumer(self.stream(), GROUP, &consumer.name)
                    .await
                    .map_err(failed)?;
            }
        }
        Ok(())
    }

    async fn read_new(&self, max: usize) -> redis::RedisResult<Vec<StreamId>> {
        let mut redis = self.redis.clone();
        let options = StreamReadOptions::default()
            .group(GROUP, &self.consumer)
            .count(max);
        let reply: Option<StreamReadReply> = redis
            .xread_options(&[self.stream()], &[">"], &options)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect())
    }

    async fn lease_inner(&self, max: usize, alone: bool) -> StoreResult<Lease> {
        let taken = match self.take_due(max, alone).await {
            // Redis lost the group (restarted without its data, flushed):
            // make it again, or no event would be handed out again.
            Err(e) if e.code() == Some("NOGROUP") => {
                tracing::warn!("the Redis inbox's consumer group was gone; created it again");
                self.create_group().await?;
                self.take_due(max, alone).await.map_err(failed)?
            }
            other => other.map_err(failed)?,
        };
        Ok(Lease {
            events: self.lease_entries(taken.entries).await?,
            expired_waiting: taken.expired_waiting,
        })
    }

    /// Moves due retries into the stream, then, `alone`, claims one entry
    /// whose lease ran out, or reads up to `max` new ones; with each, how
    /// many times the stream has handed it out.
    async fn take_due(&self, max: usize, alone: bool) -> redis::RedisResult<Taken> {
        let mut redis = self.redis.clone();
        let (_moved, expired): (i64, i64) = self
            .due
            .key(&self.prefix)
            .arg(max.max(16))
            .arg(duration_millis(self.policy.lease))
            .invoke_async(&mut redis)
            .await?;
        let expired_waiting = expired > 0;
        if alone && expired_waiting {
            let claimed: StreamAutoClaimReply = redis
                .xautoclaim_options(
                    self.stream(),
                    GROUP,
                    &self.consumer,
                    duration_millis(self.policy.lease),
                    self.claim_from(),
                    StreamAutoClaimOptions::default().count(1),
                )
                .await?;
            // The next call goes on where this one stopped (XAUTOCLAIM
            // looks at ten entries per one asked for), back at the start
            // after the last.
            *self.claim_cursor.lock().unwrap_or_else(|p| p.into_inner()) = claimed.next_stream_id;
            let entries = self.with_deliveries(claimed.claimed).await?;
            return Ok(Taken {
                entries,
                expired_waiting,
            });
        }
        let new = self.read_new(max).await?;
        Ok(Taken {
            entries: new.into_iter().map(|entry| (entry, 1)).collect(),
            expired_waiting,
        })
    }

    /// Claimed entries with their delivery counts (Redis counts each
    /// delivery of a pending entry; XAUTOCLAIM counted this one).
    async fn with_deliveries(
        &self,
        claimed: Vec<StreamId>,
    ) -> redis::RedisResult<Vec<(StreamId, u32)>> {
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for entry in &claimed {
            pipe.cmd("XPENDING")
                .arg(self.stream())
                .arg(GROUP)
                .arg(&entry.id)
                .arg(&entry.id)
                .arg(1);
        }
        let mut redis = self.redis.clone();
        let pending: Vec<Vec<(String, String, u64, u32)>> = pipe.query_async(&mut redis).await?;
        Ok(claimed
            .into_iter()
            .zip(pending)
            .map(|(entry, info)| {
                let delivered = info.first().map_or(1, |(_, _, _, count)| *count);
                (entry, delivered.max(1))
            })
            .collect())
    }

    fn claim_from(&self) -> String {
        self.claim_cursor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Leases the entries taken: buries those delivered past
    /// `max_attempts` (their handler never finished), holds back (with
    /// `keep_chat_order`) those whose chat has an earlier event not done.
    async fn lease_entries(&self, entries: Vec<(StreamId, u32)>) -> StoreResult<Vec<Leased>> {
        let mut leased = Vec::with_capacity(entries.len());
        for (entry, delivered) in entries {
            let event = to_leased(&entry, delivered);
            if event.leased.attempts > self.policy.max_attempts {
                let attempts = event.leased.attempts - 1;
                tracing::error!(key = %event.leased.key, attempts, "webhook event buried as a dead letter: its handler never finished");
                let mut buried = event.leased.clone();
                buried.attempts = attempts;
                self.finish_inner(&buried, &never_finished(attempts))
                    .await?;
                continue;
            }
            if self.policy.ordered
                && !event.chat.is_empty()
                && !self.is_first_of_its_chat(&event).await?
            {
                // Held back, not handed out: this is not a delivery.
                let attempts = event.leased.attempts - 1;
                self.reschedule(&event, ORDER_WAIT, attempts).await?;
                continue;
            }
            leased.push(event.leased);
        }
        Ok(leased)
    }

    async fn is_first_of_its_chat(&self, event: &Entry) -> StoreResult<bool> {
        let mut redis = self.redis.clone();
        let head: Option<String> = redis
            .lindex(format!("{}:chat:{}", self.prefix, event.chat), 0)
            .await
            .map_err(failed)?;
        Ok(head.as_deref().is_none_or(|head| head == event.leased.key))
    }

    /// Puts a leased entry back into the retries, due `after` from now,
    /// with `attempts` deliveries so far.
    async fn reschedule(&self, event: &Entry, after: Duration, attempts: u32) -> StoreResult<()> {
        let mut redis = self.redis.clone();
        let _: i64 = self
            .reschedule
            .key(&self.prefix)
            .arg(&event.leased.token)
            .arg(&event.leased.key)
            .arg(&event.leased.body)
            .arg(&event.chat)
            .arg(attempts)
            .arg(duration_millis(after))
            .arg(&self.consumer)
            .invoke_async(&mut redis)
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn finish_inner(&self, event: &Leased, error: &str) -> StoreResult<()> {
        let mut redis = self.redis.clone();
        let chat = event.chat.as_deref().unwrap_or("");
        let _: i64 = self
            .finish
            .key(&self.prefix)
            .arg(&event.token)
            .arg(&event.key)
            .arg(chat)
            .arg(&event.body)
            .arg(error)
            .arg(event.attempts)
            .arg(&self.consumer)
            .arg(self.window_millis())
            .invoke_async(&mut redis)
            .await
            .map_err(failed)?;
        Ok(())
    }
}

/// What [`RedisStore::take_due`] took.
struct Taken {
    entries: Vec<(StreamId, u32)>,
    expired_waiting: bool,
}

/// A stream entry read back.
struct Entry {
    leased: Leased,
    chat: String,
}

/// An entry the stream has handed out `delivered` times.
fn to_leased(entry: &StreamId, delivered: u32) -> Entry {
    let text = |name: &str| entry.get::<String>(name).unwrap_or_default();
    let chat = text("chat");
    // Entries stored before deliveries were counted name failed attempts
    // `failures`: the same count.
    let prior: u32 = entry
        .get::<String>("attempts")
        .or_else(|| entry.get::<String>("failures"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Entry {
        leased: Leased {
            key: text("key"),
            body: entry.get::<Vec<u8>>("body").unwrap_or_default(),
            attempts: prior.saturating_add(delivered),
            token: entry.id.clone(),
            chat: (!chat.is_empty()).then(|| chat.clone()),
        },
        chat,
    }
}

impl Store for RedisStore {
    fn put(&self, event: NewEvent) -> BoxFuture<'_, StoreResult<Put>> {
        async move {
            let mut redis = self.redis.clone();
            let outcome: i64 = self
                .put
                .key(&self.prefix)
                .arg(&event.key)
                .arg(&event.body[..])
                .arg(event.chat.as_deref().unwrap_or(""))
                .arg(self.policy.capacity)
                .arg(event.subject.as_deref().unwrap_or(""))
                .arg(duration_millis(self.policy.state_window).max(1))
                .invoke_async(&mut redis)
                .await
                .map_err(failed)?;
            Ok(match outcome {
                1 => Put::Stored,
                0 => Put::Duplicate,
                _ => Put::Full,
            })
        }
        .boxed()
    }

    fn lease(&self, max: usize, alone: bool) -> BoxFuture<'_, StoreResult<Lease>> {
        self.lease_inner(max, alone).boxed()
    }

    fn complete(&self, event: &Leased) -> BoxFuture<'_, StoreResult<()>> {
        let event = event.clone();
        async move { self.finish_inner(&event, "").await }.boxed()
    }

    fn retry(
        &self,
        event: &Leased,
        after: Duration,
        _error: &str,
    ) -> BoxFuture<'_, StoreResult<()>> {
        let entry = Entry {
            chat: event.chat.clone().unwrap_or_default(),
            leased: event.clone(),
        };
        async move { self.reschedule(&entry, after, entry.leased.attempts).await }.boxed()
    }

    fn bury(&self, event: &Leased, error: &str) -> BoxFuture<'_, StoreResult<()>> {
        let event = event.clone();
        // An empty error would read as "done".
        let error = if error.is_empty() {
            "failed".to_string()
        } else {
            error.to_string()
        };
        async move { self.finish_inner(&event, &error).await }.boxed()
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, StoreResult<Vec<StoredDeadLetter>>> {
        async move {
            let mut redis = self.redis.clone();
            let stop = isize::try_from(limit)
                .unwrap_or(isize::MAX)
                .saturating_sub(1);
            let keys: Vec<String> = redis
                .zrange(format!("{}:dead:order", self.prefix), 0, stop)
                .await
                .map_err(failed)?;
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let items: Vec<Option<String>> = redis
                .hget(format!("{}:dead", self.prefix), &keys)
                .await
                .map_err(failed)?;
            Ok(keys
                .into_iter()
                .zip(items)
                .filter_map(|(key, item)| {
                    let item: serde_json::Value = serde_json::from_str(&item?).ok()?;
                    let text = |name: &str| {
                        item.get(name)
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string()
                    };
                    Some(StoredDeadLetter {
                        body: text("body").into_bytes(),
                        // `failures` in those buried before deliveries
                        // were counted.
                        attempts: [text("attempts"), text("failures")]
                            .iter()
                            .find_map(|n| n.parse().ok())
                            .unwrap_or(0),
                        last_error: text("error"),
                        key,
                    })
                })
                .collect())
        }
        .boxed()
    }

    fn replay<'a>(&'a self, key: &'a str) -> BoxFuture<'a, StoreResult<bool>> {
        async move {
            let mut redis = self.redis.clone();
            let replayed: i64 = self
                .replay
                .key(&self.prefix)
                .arg(key)
                .invoke_async(&mut redis)
                .await
                .map_err(failed)?;
            Ok(replayed == 1)
        }
        .boxed()
    }

    fn waiting(&self) -> BoxFuture<'_, StoreResult<u64>> {
        async move {
            let mut redis = self.redis.clone();
            let (events, retries): (u64, u64) = redis::pipe()
                .xlen(self.stream())
                .zcard(format!("{}:retry", self.prefix))
                .query_async(&mut redis)
                .await
                .map_err(failed)?;
            Ok(events + retries)
        }
        .boxed()
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(millis(SystemTime::now()) as u64);
    hasher.finish()
}

fn failed(e: redis::RedisError) -> Error {
    Error::Store {
        what: format!("Redis inbox: {e}"),
    }
}
