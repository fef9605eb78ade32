//! The budget sends are taken from: in process, or shared through Redis.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::Clock;
use governor::{Quota, RateLimiter};
use tokio::time::Instant;
use whapi_client::BoxFuture;

use super::limits::{Limits, Scaled};
use crate::{Error, Result};

/// What the budget says of a send, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// It may go; its slot is taken.
    Go,
    /// Not before this much time has passed.
    Wait(Duration),
}

/// Where the slots of sends are taken from.
pub(crate) trait Budget: Send + Sync {
    /// Takes the slot of a send to `chat` if every limit allows it now.
    fn take<'a>(&'a self, chat: &'a str) -> BoxFuture<'a, Result<Take>>;
    /// Stops every send for `wait` (a 429's `Retry-After`).
    fn freeze(&self, wait: Duration) -> BoxFuture<'_, Result<()>>;
    /// Keeps to the channel's own limits: `remaining` messages in all,
    /// only to `chats` when the list is not empty.
    fn restrict(&self, remaining: Option<u64>, chats: Vec<String>) -> BoxFuture<'_, Result<()>>;
}

/// The `governor` clock of tokio's time, so that a paused clock (tests)
/// paces the rate too.
#[derive(Clone)]
pub(crate) struct TokioClock {
    base: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.base.elapsed()
    }
}

type Rate = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// A budget in this process.
pub(crate) struct InProcess {
    limits: Limits,
    started: Instant,
    state: Mutex<State>,
}

struct State {
    /// The interval the rate limiter was made for: it is made again only
    /// when the warm-up changes it, since a new one starts with a full
    /// burst.
    interval: Option<Duration>,
    rate: Option<Rate>,
    /// When each chat was last sent to.
    last_by_chat: HashMap<String, Instant>,
    /// Sends of the longest cap's window, oldest first.
    sends: VecDeque<Instant>,
    /// Chats written to first in the last 24 hours, oldest first.
    new_chats: VecDeque<Instant>,
    /// Every chat written to.
    seen: HashSet<String>,
    frozen_until: Option<Instant>,
    remaining: Option<u64>,
    allowed: HashSet<String>,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Past this many chats, those whose gap has passed are forgotten.
const PRUNE_CHATS_FROM: usize = 1024;

impl InProcess {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            started: Instant::now(),
            state: Mutex::new(State {
                interval: None,
                rate: None,
                last_by_chat: HashMap::new(),
                sends: VecDeque::new(),
                new_chats: VecDeque::new(),
                seen: HashSet::new(),
                frozen_until: None,
                remaining: None,
                allowed: HashSet::new(),
            }),
        }
    }

    /// The rate limiter of `scaled`'s interval (none when it is zero).
    fn rate(&self, scaled: &Scaled) -> Option<Rate> {
        let quota = Quota::with_period(scaled.min_interval)?.allow_burst(self.limits.burst);
        Some(RateLimiter::direct_with_clock(
            quota,
            TokioClock { base: self.started },
        ))
    }

    fn take_now(&self, chat: &str) -> Result<Take> {
        let now = Instant::now();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(until) = state.frozen_until.filter(|until| *until > now) {
            return Ok(Take::Wait(until - now));
        }
        if !state.allowed.is_empty() && !state.allowed.contains(chat) {
            return Err(Error::Throttled {
                reason: format!("the channel's limits allow no messages to {chat}"),
            });
        }
        if state.remaining == Some(0) {
            return Err(Error::Throttled {
                reason: "the channel's message limit is used up".into(),
            });
        }
        let day = now.duration_since(self.started).as_secs() / DAY.as_secs();
        let scaled = self.limits.on_day(day);
        if state.interval != Some(scaled.min_interval) {
            state.interval = Some(scaled.min_interval);
            state.rate = self.rate(&scaled);
        }
        // Every limit but the rate first: the rate's check takes its slot.
        if let Some(last) = state.last_by_chat.get(chat) {
            let next = *last + self.limits.per_chat_gap;
            if next > now {
                return Ok(Take::Wait(next - now));
            }
        }
        let longest = scaled
            .caps
            .iter()
            .map(|c| c.window)
            .max()
            .unwrap_or(Duration::ZERO);
        while state
            .sends
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            state.sends.pop_front();
        }
        for cap in &scaled.caps {
            let inside: Vec<&Instant> = state
                .sends
                .iter()
                .filter(|t| now.duration_since(**t) < cap.window)
                .collect();
            if inside.len() >= cap.sends as usize {
                // Once the oldest sends of the window leave it.
                let oldest = inside[inside.len() - cap.sends as usize];
                return Ok(Take::Wait(*oldest + cap.window - now));
            }
        }
        let is_new = !state.seen.contains(chat);
        while state
            .new_chats
            .front()
            .is_some_and(|t| now.duration_since(*t) >= DAY)
        {
            state.new_chats.pop_front();
        }
        if let Some(cap) = scaled.new_chats.filter(|_| is_new) {
            if state.new_chats.len() >= cap as usize {
                let oldest = state.new_chats[state.new_chats.len() - cap as usize];
                return Ok(Take::Wait(oldest + DAY - now));
            }
        }
        if let Some(rate) = &state.rate {
            if let Err(not_until) = rate.check() {
                let clock = TokioClock { base: self.started };
                return Ok(Take::Wait(not_until.wait_time_from(clock.now())));
            }
        }
        if state.last_by_chat.len() >= PRUNE_CHATS_FROM {
            // Chats whose gap has passed constrain nothing.
            let gap = self.limits.per_chat_gap;
            state
                .last_by_chat
                .retain(|_, last| now.duration_since(*last) < gap);
        }
        state.last_by_chat.insert(chat.to_string(), now);
        state.sends.push_back(now);
        // Every chat written to is remembered only where new chats are
        // capped: it is what tells a new chat from a known one.
        if is_new && scaled.new_chats.is_some() {
            state.seen.insert(chat.to_string());
            state.new_chats.push_back(now);
        }
        if let Some(remaining) = state.remaining.as_mut() {
            *remaining -= 1;
        }
        Ok(Take::Go)
    }
}

impl Budget for InProcess {
    fn take<'a>(&'a self, chat: &'a str) -> BoxFuture<'a, Result<Take>> {
        Box::pin(std::future::ready(self.take_now(chat)))
    }

    fn freeze(&self, wait: Duration) -> BoxFuture<'_, Result<()>> {
        let until = Instant::now() + wait;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.frozen_until.is_none_or(|current| current < until) {
            state.frozen_until = Some(until);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn restrict(&self, remaining: Option<u64>, chats: Vec<String>) -> BoxFuture<'_, Result<()>> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.remaining = remaining;
        state.allowed = chats.into_iter().collect();
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget's memory does not grow with every chat ever written: chats
    /// whose gap passed are forgotten, and known chats are kept only where
    /// new chats are capped.
    #[tokio::test(start_paused = true)]
    async fn chats_are_remembered_only_as_long_as_they_constrain_a_send() {
        let budget = InProcess::new(Limits::none().with_per_chat_gap(Duration::from_secs(1)));
        for i in 0..5_000 {
            assert_eq!(budget.take_now(&format!("chat-{i}")).unwrap(), Take::Go);
            tokio::time::advance(Duration::from_millis(10)).await;
        }
        let state = budget.state.lock().unwrap();
        assert!(
            state.last_by_chat.len() <= PRUNE_CHATS_FROM,
            "{} chats remembered",
            state.last_by_chat.len()
        );
        assert!(state.seen.is_empty(), "no new-chat cap, no known chats");
    }
}
