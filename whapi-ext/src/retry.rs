//! Retries that never send a message twice.
//!
//! [`RetryPolicy`] says how often and how long to retry; which failures may
//! be retried at all is fixed, by operation and outcome:
//!
//! | outcome | reads, and PUTs and DELETEs that set or remove a state | sends (POST, PATCH, and `copyStory`) |
//! |---|---|---|
//! | 429 Too Many Requests | retry, honouring `Retry-After` | retry, honouring `Retry-After` |
//! | 502, 503, 504 | retry | **never**: the server may have acted |
//! | connection refused / DNS / TLS handshake (never left) | retry | retry |
//! | connection lost after sending | retry | **never** |
//! | timeout | never: the time budget is the caller's | **never** |
//! | any other status | never | never |
//!
//! Which operations may be sent again is decided per operation from the
//! spec (`whapi_client::Operation::resend_safe`): `copyStory` is a `PUT`
//! that posts a story, and is never sent twice.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// What one attempt came to, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered with this status.
    Status {
        /// HTTP status code.
        status: u16,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// No connection was made (refused, DNS, TLS handshake): the request
    /// never reached the server.
    ConnectFailed,
    /// The request timed out: the server may have received it.
    TimedOut,
    /// The transfer failed after the request may have reached the server.
    TransportFailed,
}

/// Whether to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again; wait at least `retry_after` when the server said so.
    Retry {
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Do not try again: return this outcome to the caller.
    Stop,
}

/// Methods whose repetition has the effect of one request.
pub(crate) fn is_idempotent(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .contains(method)
}

/// Whether the operation whose client method is `operation` may be sent
/// again after an unknown outcome; an operation the table does not know is
/// not.
fn resend_safe(operation: &str) -> bool {
    whapi_client::operation(operation).is_some_and(|op| op.resend_safe)
}

/// Whether an attempt of `operation` (its client method) that came to
/// `outcome` may be retried.
///
/// A send is retried only when the server certainly did not act on it: a
/// 429, or a connection that was never made.
pub(crate) fn decide(operation: &str, outcome: Outcome) -> Decision {
    match outcome {
        Outcome::Status {
            status: 429,
            retry_after,
        } => Decision::Retry { retry_after },
        Outcome::Status {
            status: 502..=504,
            retry_after,
        } if resend_safe(operation) => Decision::Retry { retry_after },
        Outcome::ConnectFailed => Decision::Retry { retry_after: None },
        Outcome::TransportFailed if resend_safe(operation) => Decision::Retry { retry_after: None },
        _ => Decision::Stop,
    }
}

/// How often and how long to retry: exponential backoff with jitter, at most
/// `max_attempts` attempts in all, given up when the next wait would end past
/// `max_elapsed` since the first attempt.
///
/// ```no_run
/// use std::time::Duration;
/// use whapi_ext::{RetryPolicy, Whapi};
///
/// # fn run() -> whapi_ext::Result<()> {
/// let patient = RetryPolicy::default()
///     .with_max_attempts(6)
///     .with_max_elapsed(Duration::from_secs(120))
///     .with_delays(Duration::from_millis(500), Duration::from_secs(20));
/// let wa = Whapi::builder().token("…").retry_policy(patient).build()?;
/// // One call without retries, e.g. where the caller retries itself.
/// let once = whapi_ext::CallOptions::new().retry_policy(RetryPolicy::none());
/// # let _ = once;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    min_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts within 30 s, waits from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            max_elapsed: Duration::from_secs(30),
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// At most `attempts` attempts in all (the first included); 0 counts as 1.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Give up when the next wait would end later than this after the first
    /// attempt; a retry's own timeout is cut to what is left of it.
    #[must_use]
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// The first wait and the longest one (before jitter, which adds up to
    /// the wait again).
    #[must_use]
    pub fn with_delays(mut self, min_delay: Duration, max_delay: Duration) -> Self {
        self.min_delay = min_delay;
        self.max_delay = max_delay.max(min_delay);
        self
    }

    /// Most attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time budget of all attempts together.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Starts the schedule of waits for one request.
    pub(crate) fn schedule(&self) -> Schedule {
        let backoff = ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build();
        Schedule {
            policy: *self,
            backoff: Box::new(backoff),
        }
    }
}

/// The waits of one request's retries.
pub(crate) struct Schedule {
    policy: RetryPolicy,
    backoff: Box<dyn Iterator<Item = Duration> + Send + Sync>,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Schedule {
    /// How long to wait before the next attempt, after `attempts_made`
    /// attempts and `elapsed` time; `None` to give up. A server's
    /// `retry_after` is the least wait: the backoff applies when it is
    /// longer.
    pub(crate) fn next_delay(
        &mut self,
        attempts_made: u32,
        retry_after: Option<Duration>,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempts_made >= self.policy.max_attempts {
            return None;
        }
        let backoff = self.backoff.next()?;
        let delay = retry_after.map_or(backoff, |asked| asked.max(backoff));
        (elapsed.saturating_add(delay) <= self.policy.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn decides_by_operation_and_outcome() {
        let retry = Decision::Retry { retry_after: None };
        let cases = [
            ("get_chats", status(429), retry),
            ("send_message_text", status(429), retry),
            ("get_chats", status(502), retry),
            ("get_chats", status(503), retry),
            ("delete_chat", status(504), retry),
            ("star_message", status(503), retry),
            ("copy_story", status(429), retry),
            ("copy_story", status(502), Decision::Stop),
            ("copy_story", Outcome::TransportFailed, Decision::Stop),
            ("send_message_text", status(500), Decision::Stop),
            ("send_message_text", status(502), Decision::Stop),
            ("send_message_text", status(503), Decision::Stop),
            ("patch_chat", status(503), Decision::Stop),
            ("no_such_operation", status(503), Decision::Stop),
            ("get_chats", status(500), Decision::Stop),
            ("get_chats", status(404), Decision::Stop),
            ("get_chats", status(200), Decision::Stop),
            ("get_chats", Outcome::ConnectFailed, retry),
            ("send_message_text", Outcome::ConnectFailed, retry),
            ("get_chats", Outcome::TransportFailed, retry),
            (
                "send_message_text",
                Outcome::TransportFailed,
                Decision::Stop,
            ),
            ("get_chats", Outcome::TimedOut, Decision::Stop),
            ("send_message_text", Outcome::TimedOut, Decision::Stop),
        ];
        for (operation, outcome, expected) in cases {
            assert_eq!(
                decide(operation, outcome),
                expected,
                "{operation} {outcome:?}"
            );
        }
    }

    #[test]
    fn passes_on_the_servers_retry_after() {
        let outcome = Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            decide("send_message_text", outcome),
            Decision::Retry {
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn schedule_stops_at_max_attempts() {
        let mut s = RetryPolicy::default().with_max_attempts(3).schedule();
        assert!(s.next_delay(1, None, Duration::ZERO).is_some());
        assert!(s.next_delay(2, None, Duration::ZERO).is_some());
        assert_eq!(s.next_delay(3, None, Duration::ZERO), None);
        assert_eq!(
            RetryPolicy::none()
                .schedule()
                .next_delay(1, None, Duration::ZERO),
            None
        );
    }

    #[test]
    fn backoff_grows_with_jitter_within_bounds() {
        let policy = RetryPolicy::default()
            .with_max_attempts(10)
            .with_delays(Duration::from_millis(100), Duration::from_millis(400));
        let mut s = policy.schedule();
        let waits: Vec<Duration> = (1..6)
            .map(|n| s.next_delay(n, None, Duration::ZERO).unwrap())
            .collect();
        for (i, wait) in waits.iter().enumerate() {
            let base =
                Duration::from_millis(100 * 2u64.pow(i as u32)).min(Duration::from_millis(400));
            assert!(
                *wait >= base && *wait <= base * 2,
                "wait {i} = {wait:?}, base {base:?}"
            );
        }
    }

    #[test]
    fn retry_after_replaces_backoff_and_respects_max_elapsed() {
        let mut s = RetryPolicy::default()
            .with_max_elapsed(Duration::from_secs(10))
            .schedule();
        assert_eq!(
            s.next_delay(1, Some(Duration::from_secs(4)), Duration::ZERO),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            s.next_delay(2, Some(Duration::from_secs(4)), Duration::from_secs(7)),
            None,
            "would end at 11 s"
        );
    }

    #[test]
    fn retry_after_is_a_floor_not_a_replacement() {
        let fixed = Duration::from_millis(100);
        let mut s = RetryPolicy::default().with_delays(fixed, fixed).schedule();
        let wait = s
            .next_delay(1, Some(Duration::ZERO), Duration::ZERO)
            .unwrap();
        assert!(
            wait >= fixed,
            "`Retry-After: 0` still waits the backoff: {wait:?}"
        );
        let wait = s
            .next_delay(2, Some(Duration::from_secs(3)), Duration::ZERO)
            .unwrap();
        assert_eq!(wait, Duration::from_secs(3), "a longer Retry-After wins");
    }
}
