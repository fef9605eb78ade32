//! Paced sending, to keep a number from being banned (feature `throttle`).
//!
//! WhatsApp bans numbers that send too fast: bursts, many new chats at
//! once, machine-regular timing. A [`Throttle`] makes every send wait its
//! turn by [`Limits`]: a gap per chat, a rate for the channel, caps over
//! windows (per hour, per day, per 15 minutes), a cap on new chats a day,
//! random jitter on every wait, a warm-up for a new number, and typing
//! shown before texts. A 429 from the service freezes every send of the
//! channel until its `Retry-After`. With the `redis` feature, processes
//! sending for one channel share one budget.
//!
//! ```no_run
//! # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
//! use std::time::Duration;
//! use whapi_ext::throttle::Limits;
//!
//! let paced = wa.throttled(Limits::broadcast());
//! for to in ["15550100000", "15550100001"] {
//!     // Waits its turn (60 to 90 s apart here), then sends.
//!     let sent = paced
//!         .send(to, wa.send_message_text(to, "Our shop opens at 9"))
//!         .within(Duration::from_secs(15 * 60)) // later than that: an error, not a late message
//!         .await?;
//!     println!("sent {}", sent.id());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Sends to one chat go in the order they were made; dropping a waiting
//! send cancels it without disturbing the others. Waiting is in memory:
//! a send waits in its own task, and nothing is sent after the process
//! ends.

mod budget;
mod limits;
#[cfg(feature = "redis")]
mod redis_budget;

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use whapi_client::{types, BoxFuture};

use crate::ids::{ChatId, IntoId};
use crate::{Error, Invalid, Result, Whapi};
use budget::{Budget, InProcess, Take};

pub use limits::{Cap, Limits, Typing, WarmUp};

/// A paced client: every send made through it waits its turn by its
/// [`Limits`]. Cheap to clone: clones share the budget and the queues.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    wa: Whapi,
    limits: Limits,
    /// What [`Limits::validate`] refused of them: every send answers it.
    invalid: Option<Invalid>,
    budget: Box<dyn Budget>,
    /// One queue per chat, so that sends to a chat keep their order.
    chats: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    rng: Mutex<fastrand::Rng>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl Whapi {
    /// A paced client of this one, its budget in this process.
    pub fn throttled(&self, limits: Limits) -> Throttle {
        Throttle::with_budget(
            self.clone(),
            limits.clone(),
            Box::new(InProcess::new(limits)),
        )
    }
}

impl Throttle {
    fn with_budget(wa: Whapi, limits: Limits, budget: Box<dyn Budget>) -> Self {
        Self {
            inner: Arc::new(Inner {
                wa,
                invalid: limits.problems(),
                limits,
                budget,
                chats: Mutex::new(HashMap::new()),
                rng: Mutex::new(fastrand::Rng::new()),
            }),
        }
    }

    /// A paced client whose budget is shared through Redis by every
    /// process that paces `channel` with the same Redis (feature `redis`):
    /// together they keep to `limits` once, not once each.
    #[cfg(feature = "redis")]
    pub async fn shared(
        wa: &Whapi,
        limits: Limits,
        redis_url: &str,
        channel: &str,
    ) -> Result<Self> {
        limits.validate()?;
        let budget = redis_budget::RedisBudget::connect(redis_url, channel, limits.clone()).await?;
        Ok(Self::with_budget(wa.clone(), limits, Box::new(budget)))
    }

    /// Makes the jitter repeatable, for tests.
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        *self
            .inner
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fastrand::Rng::with_seed(seed);
        self
    }

    /// The limits kept to.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Sends `call` (any call of [`Whapi`], made for `chat`) once its turn
    /// comes.
    pub fn send<C, T>(&self, chat: impl IntoId<ChatId>, call: C) -> Paced<'_, C>
    where
        C: IntoFuture<Output = Result<T>>,
    {
        Paced {
            throttle: self,
            chat: chat.into_id().map_err(Error::from),
            call,
            deadline: None,
        }
    }

    /// A text with typing shown first, for as long as the limits' typing
    /// takes to type it (none without [`Limits::typing`]), once its turn
    /// comes.
    pub fn send_text<'t>(
        &'t self,
        to: impl IntoId<ChatId>,
        body: &str,
    ) -> Paced<'t, impl Future<Output = Result<types::SentMessage>> + Send + 't> {
        let to = to.into_id();
        let (chat, call) = match to {
            Ok(to) => {
                let mut call = self.inner.wa.send_message_text(&to, body);
                if let Some(typing) = &self.inner.limits.typing {
                    call = call.typing_time(typing.time_for(body));
                }
                (Ok(to), Some(call))
            }
            Err(e) => (Err(Error::from(e)), None),
        };
        let call = async move {
            match call {
                Some(call) => call.await,
                None => Err(Error::invalid("to", "not a chat")),
            }
        };
        Paced {
            throttle: self,
            chat,
            call,
            deadline: None,
        }
    }

    /// Keeps to the channel's own limits as `GET /limits` gives them (a
    /// trial channel's messages left and the chats it may write to). A
    /// channel without limits answers 204: nothing changes.
    pub async fn use_channel_limits(&self) -> Result<()> {
        let Some(limits) = self.inner.wa.get_limits().await? else {
            return Ok(());
        };
        let remaining = limits.messages.and_then(|m| u64::try_from(m).ok());
        let chats = limits
            .chats
            .iter()
            .map(|c| c.as_str().to_string())
            .collect();
        self.inner.budget.restrict(remaining, chats).await
    }

    /// The queue of `chat`: a fair lock, held from a send's turn to its end.
    fn queue(&self, chat: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut chats = self
            .inner
            .chats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if chats.len() > 1024 {
            // Chats nobody waits for.
            chats.retain(|_, queue| Arc::strong_count(queue) > 1);
        }
        chats.entry(chat.to_string()).or_default().clone()
    }

    fn jitter(&self) -> Duration {
        let jitter = self.inner.limits.jitter;
        if jitter.is_zero() {
            return Duration::ZERO;
        }
        let mut rng = self
            .inner
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        jitter.mul_f64(rng.f64())
    }

    /// Waits until the budget gives `chat` a slot: a random jitter, then
    /// the budget's word, again and again; gives up at once when the budget
    /// says the turn comes after `deadline`.
    async fn turn(&self, chat: &str, deadline: Option<Instant>) -> Result<()> {
        if let Some(invalid) = &self.inner.invalid {
            return Err(Error::InvalidArgument(invalid.clone()));
        }
        loop {
            sleep(self.jitter()).await;
            match self.inner.budget.take(chat).await? {
                Take::Go => return Ok(()),
                Take::Wait(wait) if deadline.is_some_and(|d| Instant::now() + wait > d) => {
                    return Err(past_deadline());
                }
                Take::Wait(wait) => sleep(wait).await,
            }
        }
    }
}

fn past_deadline() -> Error {
    Error::Throttled {
        reason: "its turn did not come before its deadline".into(),
    }
}

async fn sleep(wait: Duration) {
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// A send waiting for its turn; `.await` waits and sends.
#[must_use = "a paced send does nothing until it is awaited"]
pub struct Paced<'t, C> {
    throttle: &'t Throttle,
    chat: Result<ChatId>,
    call: C,
    deadline: Option<Instant>,
}

impl<C> Paced<'_, C> {
    /// Gives up (with [`Error::Throttled`], nothing sent) if the turn has
    /// not come by `deadline`.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Gives up if the turn has not come within `wait` from now.
    pub fn within(self, wait: Duration) -> Self {
        self.deadline(Instant::now() + wait)
    }
}

impl<'t, C, T> IntoFuture for Paced<'t, C>
where
    C: IntoFuture<Output = Result<T>> + Send + 't,
    C::IntoFuture: Send,
    T: Send + 't,
{
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'t, Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        let Paced {
            throttle,
            chat,
            call,
            deadline,
        } = self;
        Box::pin(async move {
            let chat = chat?;
            let queue = throttle.queue(chat.as_str());
            let waiting = async {
                let turn = queue.lock_owned().await;
                throttle.turn(chat.as_str(), deadline).await.map(|()| turn)
            };
            let _turn = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, waiting)
                    .await
                    .map_err(|_| past_deadline())??,
                None => waiting.await?,
            };
            let result = call.await;
            if let Err(Error::Api(api)) = &result {
                if api.status.as_u16() == 429 {
                    let wait = api.retry_after.unwrap_or(Duration::from_secs(60));
                    // The caller sees the 429, whatever became of the freeze.
                    if let Err(error) = throttle.inner.budget.freeze(wait).await {
                        tracing::warn!(%error, "a 429 could not freeze the shared budget");
                    }
                }
            }
            result
        })
    }
}
