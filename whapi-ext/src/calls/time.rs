//! Points in time and durations as the calls take them: a `SystemTime`
//! sent as UNIX time, a `Duration` as a number, each in the spec's unit.
//!
//! `SystemTime` rather than a date crate's type: it is what `std` hands out
//! (`SystemTime::now()`, file times), converts to and from UNIX seconds with
//! no dependency, and keeps the crate's build lean; `chrono` and `time`
//! values convert into it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::checks::{self, Limit};
use super::Call;

/// The unit a duration goes on the wire in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimeUnit {
    Seconds,
    Millis,
}

impl TimeUnit {
    fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Millis => "milliseconds",
        }
    }
}

/// The client's type of a time field: a whole number, a float, or text.
pub(crate) trait WireTime: Sized {
    /// `amount` of the unit, or why this type cannot hold it.
    fn from_amount(amount: f64) -> Result<Self, &'static str>;
}

fn whole(amount: f64, max: f64) -> Result<f64, &'static str> {
    if amount.fract() != 0.0 {
        Err("is not a whole number of the unit, which this field takes")
    } else if amount > max {
        Err("is too long for this field")
    } else {
        Ok(amount)
    }
}

impl WireTime for i64 {
    fn from_amount(amount: f64) -> Result<Self, &'static str> {
        // Below 2^53 an f64 holds every whole number exactly.
        whole(amount, (1u64 << 53) as f64).map(|a| a as i64)
    }
}

impl WireTime for i32 {
    fn from_amount(amount: f64) -> Result<Self, &'static str> {
        whole(amount, f64::from(i32::MAX)).map(|a| a as i32)
    }
}

impl WireTime for f64 {
    fn from_amount(amount: f64) -> Result<Self, &'static str> {
        Ok(amount)
    }
}

impl WireTime for String {
    fn from_amount(amount: f64) -> Result<Self, &'static str> {
        i64::from_amount(amount).map(|a| a.to_string())
    }
}

impl Call<'_> {
    /// A point in time as whole UNIX time in `unit` (what is below the
    /// unit is dropped).
    pub(crate) fn unix_time<W: WireTime>(
        &mut self,
        field: &str,
        at: SystemTime,
        unit: TimeUnit,
    ) -> Option<W> {
        let since = match at.duration_since(UNIX_EPOCH) {
            Ok(since) => since,
            Err(_) => {
                self.problem(field, "is before 1970, which UNIX time does not reach");
                return None;
            }
        };
        let amount = match unit {
            TimeUnit::Seconds => since.as_secs() as f64,
            // Whole milliseconds up to 2^53 are exact in an f64; beyond, the
            // wire type refuses the amount.
            TimeUnit::Millis => since.as_millis() as f64,
        };
        self.wire(field, amount)
    }

    /// A duration as a number of `unit`, checked against the spec's limits
    /// in that unit.
    pub(crate) fn duration<W: WireTime>(
        &mut self,
        field: &str,
        length: Duration,
        unit: TimeUnit,
        limits: &[Limit],
    ) -> Option<W> {
        let amount = match unit {
            TimeUnit::Seconds => length.as_secs_f64(),
            TimeUnit::Millis => length.as_secs_f64() * 1000.0,
        };
        if let Some(rule) = checks::number(amount, limits) {
            self.problem(field, format!("{rule} {}", unit.name()));
            return None;
        }
        self.wire(field, amount)
    }

    fn wire<W: WireTime>(&mut self, field: &str, amount: f64) -> Option<W> {
        match W::from_amount(amount) {
            Ok(value) => Some(value),
            Err(rule) => {
                self.problem(field, rule);
                None
            }
        }
    }
}
