//! What a paced client keeps to: the limits, and their presets.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::{Error, Invalid, Problem, Result};

/// How many sends a window of time allows, counting back from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// Sends allowed in any window.
    pub sends: u32,
    /// The window's length.
    pub window: Duration,
}

/// A warm-up for a new number: caps and rate start at `start` (a fraction
/// of the limits) and rise day by day to the full limits after `days`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarmUp {
    /// The fraction of the limits on day 0, above 0 and at most 1.
    pub start: f64,
    /// Days from `start` to the full limits.
    pub days: u32,
    /// Days of warm-up already behind the number when pacing starts.
    pub elapsed_days: u32,
}

impl WarmUp {
    /// The fraction of the limits on `day` (counted from the warm-up's
    /// start), rising linearly. A `start` outside (0, 1] (which
    /// [`Limits::validate`] refuses) reads as the nearest value inside.
    pub fn factor(&self, day: u64) -> f64 {
        let start = if self.start.is_nan() {
            1.0
        } else {
            self.start.clamp(f64::MIN_POSITIVE, 1.0)
        };
        if self.days == 0 || day >= u64::from(self.days) {
            return 1.0;
        }
        start + (1.0 - start) * day as f64 / f64::from(self.days)
    }
}

/// How long typing is shown before a text, scaled to its length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Typing {
    /// Characters a person types per second.
    pub chars_per_second: f64,
    /// The shortest and the longest typing shown (the spec allows 0 to 60 s).
    pub min: Duration,
    /// See `min`.
    pub max: Duration,
}

impl Typing {
    /// The typing time for a text, within `min`, `max` and the spec's 60 s.
    pub fn time_for(&self, text: &str) -> Duration {
        let chars = text.chars().count() as f64;
        let seconds = if self.chars_per_second > 0.0 {
            chars / self.chars_per_second
        } else {
            0.0
        };
        Duration::from_secs_f64(
            seconds
                .clamp(
                    self.min.as_secs_f64(),
                    self.max.as_secs_f64().max(self.min.as_secs_f64()),
                )
                .clamp(0.0, 60.0),
        )
    }
}

/// The limits every send of a [`Throttle`](super::Throttle) keeps to. Start
/// from a preset and override what you need; every value is public.
///
/// ```
/// use std::time::Duration;
/// use whapi_ext::throttle::{Cap, Limits};
///
/// let limits = Limits::broadcast()
///     .with_cap(Cap { sends: 200, window: Duration::from_secs(24 * 3600) })
///     .with_new_chats_per_day(20);
/// assert_eq!(limits.min_interval, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Limits {
    /// The shortest time between two sends to one chat.
    pub per_chat_gap: Duration,
    /// The shortest time between two sends of the channel, on average (the
    /// channel's rate, kept by the GCRA of `governor`, or of a Redis script).
    pub min_interval: Duration,
    /// How many sends may go back to back before `min_interval` applies.
    pub burst: NonZeroU32,
    /// Caps over windows of time (per hour, per day, per 15 minutes).
    pub caps: Vec<Cap>,
    /// How many chats the channel may write to for the first time in any
    /// 24 hours.
    pub new_chats_per_day: Option<u32>,
    /// Up to this much is added at random to every wait, so that sends do
    /// not come at machine-regular times.
    pub jitter: Duration,
    /// Limits that rise day by day, for a new number.
    pub warm_up: Option<WarmUp>,
    /// Typing shown before a text sent with `send_text`.
    pub typing: Option<Typing>,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

impl Limits {
    /// For broadcasts: messages a number sends first, to many people.
    ///
    /// Follows Whapi's guide to avoiding bans ("How to not get banned",
    /// help.whapi.cloud): 60 to 90 seconds between messages (a 60 s
    /// interval plus up to 30 s of jitter) and at most 10 messages in any
    /// 15 minutes. Our own choices, not the guide's: 50 new chats a day and
    /// 10 minutes between two messages to one chat.
    pub fn broadcast() -> Self {
        Self {
            per_chat_gap: 10 * MINUTE,
            min_interval: MINUTE,
            burst: NonZeroU32::MIN,
            caps: vec![Cap {
                sends: 10,
                window: 15 * MINUTE,
            }],
            new_chats_per_day: Some(50),
            jitter: Duration::from_secs(30),
            warm_up: None,
            typing: None,
        }
    }

    /// For conversations: replies to people who wrote first.
    ///
    /// Our choices, to look like a person answering: 2 s between two
    /// messages to one chat, 20 messages a minute for the channel with
    /// bursts of 5, at most 1,000 an hour, up to 1.5 s of jitter, and
    /// typing shown at 8 characters a second (1 to 10 s).
    pub fn conversational() -> Self {
        Self {
            per_chat_gap: Duration::from_secs(2),
            min_interval: Duration::from_secs(3),
            burst: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            caps: vec![Cap {
                sends: 1_000,
                window: HOUR,
            }],
            new_chats_per_day: None,
            jitter: Duration::from_millis(1_500),
            warm_up: None,
            typing: Some(Typing {
                chars_per_second: 8.0,
                min: Duration::from_secs(1),
                max: Duration::from_secs(10),
            }),
        }
    }

    /// No limits at all: a base to build your own on.
    pub fn none() -> Self {
        Self {
            per_chat_gap: Duration::ZERO,
            min_interval: Duration::ZERO,
            burst: NonZeroU32::MIN,
            caps: Vec::new(),
            new_chats_per_day: None,
            jitter: Duration::ZERO,
            warm_up: None,
            typing: None,
        }
    }

    /// With the shortest time between two sends to one chat.
    #[must_use]
    pub fn with_per_chat_gap(mut self, gap: Duration) -> Self {
        self.per_chat_gap = gap;
        self
    }

    /// With the channel's rate: `sends` per `period`, `burst` back to back.
    #[must_use]
    pub fn with_rate(mut self, sends: NonZeroU32, period: Duration, burst: NonZeroU32) -> Self {
        self.min_interval = period / sends.get();
        self.burst = burst;
        self
    }

    /// With one more cap over a window.
    #[must_use]
    pub fn with_cap(mut self, cap: Cap) -> Self {
        self.caps.push(cap);
        self
    }

    /// With at most `sends` an hour.
    #[must_use]
    pub fn with_hourly_cap(self, sends: u32) -> Self {
        self.with_cap(Cap {
            sends,
            window: HOUR,
        })
    }

    /// With at most `sends` a day.
    #[must_use]
    pub fn with_daily_cap(self, sends: u32) -> Self {
        self.with_cap(Cap { sends, window: DAY })
    }

    /// With at most `chats` new chats in any 24 hours.
    #[must_use]
    pub fn with_new_chats_per_day(mut self, chats: u32) -> Self {
        self.new_chats_per_day = Some(chats);
        self
    }

    /// With up to `jitter` added at random to every wait.
    #[must_use]
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// With a warm-up.
    #[must_use]
    pub fn with_warm_up(mut self, warm_up: WarmUp) -> Self {
        self.warm_up = Some(warm_up);
        self
    }

    /// With typing shown before texts.
    #[must_use]
    pub fn with_typing(mut self, typing: Typing) -> Self {
        self.typing = Some(typing);
        self
    }

    /// Checks what a send could not keep to: a warm-up must start above 0
    /// and at most at the full limits, and typing must have a rate.
    /// [`Throttle::shared`](super::Throttle::shared) refuses limits that
    /// fail it, and a throttle made with
    /// [`Whapi::throttled`](crate::Whapi::throttled) answers every send
    /// with its error.
    pub fn validate(&self) -> Result<()> {
        match self.problems() {
            Some(invalid) => Err(Error::InvalidArgument(invalid)),
            None => Ok(()),
        }
    }

    /// What [`Limits::validate`] refuses, if anything.
    pub(crate) fn problems(&self) -> Option<Invalid> {
        let mut problems = Vec::new();
        if let Some(warm_up) = &self.warm_up {
            if !(warm_up.start > 0.0 && warm_up.start <= 1.0) {
                problems.push(Problem::new(
                    "warm_up.start",
                    format!(
                        "the fraction of the limits on day 0, above 0 and at most 1 (not {})",
                        warm_up.start
                    ),
                ));
            }
        }
        if let Some(typing) = &self.typing {
            if !(typing.chars_per_second.is_finite() && typing.chars_per_second >= 0.0) {
                problems.push(Problem::new(
                    "typing.chars_per_second",
                    format!(
                        "characters a second, 0 or more (not {})",
                        typing.chars_per_second
                    ),
                ));
            }
        }
        Invalid::of(problems)
    }

    /// The limits of `day` of the warm-up: caps and new chats scaled down
    /// (at least 1 each), the interval stretched (to a day at most).
    pub(crate) fn on_day(&self, day: u64) -> Scaled {
        let factor = self
            .warm_up
            .map_or(1.0, |w| w.factor(day + u64::from(w.elapsed_days)));
        let scale = |n: u32| ((f64::from(n) * factor).floor() as u32).max(1);
        let stretched = Duration::try_from_secs_f64(self.min_interval.as_secs_f64() / factor)
            .map_or(DAY, |interval| interval.min(DAY));
        Scaled {
            min_interval: stretched.max(self.min_interval),
            caps: self
                .caps
                .iter()
                .map(|cap| Cap {
                    sends: scale(cap.sends),
                    window: cap.window,
                })
                .collect(),
            new_chats: self.new_chats_per_day.map(scale),
        }
    }
}

/// The limits of one day of the warm-up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scaled {
    pub(crate) min_interval: Duration,
    pub(crate) caps: Vec<Cap>,
    pub(crate) new_chats: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_rises_day_by_day_to_the_full_limits() {
        let warm = WarmUp {
            start: 0.2,
            days: 4,
            elapsed_days: 0,
        };
        let factors: Vec<f64> = (0..6).map(|d| warm.factor(d)).collect();
        assert_eq!(factors, [0.2, 0.4, 0.6000000000000001, 0.8, 1.0, 1.0]);
        let limits = Limits::none().with_daily_cap(100).with_warm_up(warm);
        assert_eq!(limits.on_day(0).caps[0].sends, 20);
        assert_eq!(limits.on_day(4).caps[0].sends, 100);
    }

    #[test]
    fn a_warm_up_that_starts_at_0_is_refused_and_never_panics() {
        for start in [0.0, -1.0, 1.5, f64::NAN] {
            let limits = Limits::conversational().with_warm_up(WarmUp {
                start,
                days: 4,
                elapsed_days: 0,
            });
            let refused = limits.validate().unwrap_err();
            assert!(refused.to_string().contains("warm_up.start"), "{refused}");
            // Read anyway, it stretches the interval to a day at most.
            assert!(limits.on_day(0).min_interval <= DAY);
        }
        let fine = Limits::conversational().with_warm_up(WarmUp {
            start: 0.2,
            days: 4,
            elapsed_days: 0,
        });
        assert!(fine.validate().is_ok());
        assert_eq!(fine.on_day(0).min_interval, Duration::from_secs(15));
    }

    #[test]
    fn typing_time_follows_the_length_within_bounds() {
        let typing = Limits::conversational().typing.unwrap();
        assert_eq!(typing.time_for("hi"), Duration::from_secs(1));
        assert_eq!(typing.time_for(&"x".repeat(40)), Duration::from_secs(5));
        assert_eq!(typing.time_for(&"x".repeat(4000)), Duration::from_secs(10));
    }

    #[test]
    fn the_broadcast_preset_follows_whapis_guide() {
        let limits = Limits::broadcast();
        assert_eq!(limits.min_interval, MINUTE);
        assert_eq!(limits.min_interval + limits.jitter, Duration::from_secs(90));
        assert!(limits.caps.contains(&Cap {
            sends: 10,
            window: 15 * MINUTE
        }));
    }
}
