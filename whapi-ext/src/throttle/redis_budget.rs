//! A budget shared through Redis: one Lua script takes a slot atomically,
//! by Redis's clock, so processes pacing one channel never take more than
//! its limits together (no read-then-write race). The channel's rate is a
//! GCRA, as `governor`'s is in process.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;
use whapi_client::BoxFuture;

use super::budget::{Budget, Take};
use super::limits::Limits;
use crate::{Error, Result};

/// Takes the slot of a send to a chat, or says how long to wait: see the
/// in-process budget (`budget.rs`) for the same rules.
const TAKE: &str = r#"
local p = KEYS[1]
local chat = ARGV[1]
local gap = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local new_cap = tonumber(ARGV[5])
local warm_start = tonumber(ARGV[6])
local warm_days = tonumber(ARGV[7])
local warm_elapsed = tonumber(ARGV[8])
local ncaps = tonumber(ARGV[9])
local day_ms = 86400000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local frozen = tonumber(redis.call('GET', p .. ':freeze') or '0')
if frozen > now then return {1, frozen - now} end
if redis.call('SCARD', p .. ':allowed') > 0 and redis.call('SISMEMBER', p .. ':allowed', chat) == 0 then
  return {2, "the channel's limits allow no messages to " .. chat}
end
local remaining = redis.call('GET', p .. ':remaining')
if remaining and tonumber(remaining) <= 0 then return {2, "the channel's message limit is used up"} end

redis.call('SET', p .. ':start', now, 'NX')
local start = tonumber(redis.call('GET', p .. ':start'))
local factor = 1
if warm_start > 0 and warm_days > 0 then
  local day = math.floor((now - start) / day_ms) + warm_elapsed
  if day < warm_days then factor = warm_start + (1 - warm_start) * day / warm_days end
end

local last = tonumber(redis.call('GET', p .. ':chat:' .. chat) or '-1')
if last >= 0 and last + gap > now then return {1, last + gap - now} end

local longest = 0
for i = 0, ncaps - 1 do
  local w = tonumber(ARGV[11 + 2 * i])
  if w > longest then longest = w end
end
redis.call('ZREMRANGEBYSCORE', p .. ':sends', '-inf', now - longest)
for i = 0, ncaps - 1 do
  local cap = math.max(1, math.floor(tonumber(ARGV[10 + 2 * i]) * factor))
  local w = tonumber(ARGV[11 + 2 * i])
  local inside = redis.call('ZRANGEBYSCORE', p .. ':sends', '(' .. (now - w), '+inf', 'WITHSCORES')
  local n = #inside / 2
  if n >= cap then
    local oldest = tonumber(inside[2 * (n - cap) + 2])
    return {1, oldest + w - now}
  end
end

local is_new = redis.call('SISMEMBER', p .. ':seen', chat) == 0
redis.call('ZREMRANGEBYSCORE', p .. ':new', '-inf', now - day_ms)
if is_new and new_cap >= 0 then
  local cap = math.max(1, math.floor(new_cap * factor))
  local firsts = redis.call('ZRANGE', p .. ':new', 0, -1, 'WITHSCORES')
  local n = #firsts / 2
  if n >= cap then
    local oldest = tonumber(firsts[2 * (n - cap) + 2])
    return {1, oldest + day_ms - now}
  end
end

if interval > 0 then
  local step = math.max(interval, math.min(interval / factor, day_ms))
  local tau = step * (burst - 1)
  local tat = tonumber(redis.call('GET', p .. ':tat') or '0')
  if tat < now then tat = now end
  if tat - now > tau then return {1, math.ceil(tat - tau - now)} end
  redis.call('SET', p .. ':tat', tat + step, 'PX', math.ceil(tat + step - now) + 1000)
end

redis.call('SET', p .. ':chat:' .. chat, now, 'PX', gap + 1000)
local seq = redis.call('INCR', p .. ':seq')
redis.call('ZADD', p .. ':sends', now, now .. '-' .. seq)
if is_new and new_cap >= 0 then
  redis.call('SADD', p .. ':seen', chat)
  redis.call('ZADD', p .. ':new', now, chat)
end
if remaining then redis.call('DECR', p .. ':remaining') end
return {0, 0}
"#;

/// Freezes every send until `now + ARGV[1]` ms, unless a longer freeze holds.
const FREEZE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1] .. ':freeze') or '0')
if current < untl then redis.call('SET', KEYS[1] .. ':freeze', untl, 'PX', tonumber(ARGV[1]) + 1000) end
return 0
"#;

/// The budget of one channel in Redis.
pub(crate) struct RedisBudget {
    connection: ConnectionManager,
    prefix: String,
    limits: Limits,
    take: Script,
    freeze: Script,
}

fn store_error(e: redis::RedisError) -> Error {
    Error::Store {
        what: format!("Redis: {e}"),
    }
}

/// The start of every key of `channel`'s budget: one hash tag, so that a
/// Redis Cluster keeps them on one node, as the script that reads and
/// writes them together needs (else: `CROSSSLOT`).
fn key_prefix(channel: &str) -> String {
    format!("{{whapi-throttle:{channel}}}")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RedisBudget {
    pub(crate) async fn connect(url: &str, channel: &str, limits: Limits) -> Result<Self> {
        let connection = crate::redis_connection::connect(url)
            .await
            .map_err(store_error)?;
        Ok(Self {
            connection,
            prefix: key_prefix(channel),
            limits,
            take: Script::new(TAKE),
            freeze: Script::new(FREEZE),
        })
    }

    async fn take_now(&self, chat: &str) -> Result<Take> {
        let limits = &self.limits;
        let warm = limits.warm_up;
        let mut invocation = self.take.key(&self.prefix);
        invocation
            .arg(chat)
            .arg(millis(limits.per_chat_gap))
            .arg(limits.min_interval.as_secs_f64() * 1000.0)
            .arg(limits.burst.get())
            .arg(limits.new_chats_per_day.map_or(-1, i64::from))
            .arg(warm.map_or(-1.0, |w| w.start))
            .arg(warm.map_or(0, |w| w.days))
            .arg(warm.map_or(0, |w| w.elapsed_days))
            .arg(limits.caps.len());
        for cap in &limits.caps {
            invocation.arg(cap.sends).arg(millis(cap.window));
        }
        let mut connection = self.connection.clone();
        let (code, value): (i64, redis::Value) = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match code {
            0 => Ok(Take::Go),
            1 => {
                let wait: u64 = redis::from_redis_value(&value).map_err(store_error)?;
                Ok(Take::Wait(Duration::from_millis(wait.max(1))))
            }
            _ => {
                let reason: String = redis::from_redis_value(&value).map_err(store_error)?;
                Err(Error::Throttled { reason })
            }
        }
    }
}

impl Budget for RedisBudget {
    fn take<'a>(&'a self, chat: &'a str) -> BoxFuture<'a, Result<Take>> {
        Box::pin(self.take_now(chat))
    }

    fn freeze(&self, wait: Duration) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let _: i64 = self
                .freeze
                .key(&self.prefix)
                .arg(millis(wait).max(1))
                .invoke_async(&mut connection)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn restrict(&self, remaining: Option<u64>, chats: Vec<String>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let mut pipe = redis::pipe();
            pipe.atomic();
            match remaining {
                Some(n) => pipe.set(format!("{}:remaining", self.prefix), n),
                None => pipe.del(format!("{}:remaining", self.prefix)),
            };
            pipe.del(format!("{}:allowed", self.prefix));
            if !chats.is_empty() {
                pipe.sadd(format!("{}:allowed", self.prefix), chats);
            }
            let _: () = pipe
                .query_async(&mut connection)
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_of_a_budget_has_one_hash_tag() {
        let prefix = super::key_prefix("channel-1");
        assert_eq!(prefix, "{whapi-throttle:channel-1}");
        for key in [":freeze", ":tat", ":chat:15550100000", ":sends"] {
            let key = format!("{prefix}{key}");
            let tag = &key[key.find('{').unwrap() + 1..key.find('}').unwrap()];
            assert_eq!(tag, "whapi-throttle:channel-1");
        }
    }
}
