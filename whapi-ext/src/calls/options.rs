//! What one call may change of the client's settings, and what it may
//! report besides its value.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::StatusCode;

use crate::RetryPolicy;

/// Settings of one call that override the client's: its timeout, its
/// retries and extra headers. No second client is built.
///
/// ```no_run
/// # async fn run(wa: whapi_ext::Whapi) -> whapi_ext::Result<()> {
/// use std::time::Duration;
/// use whapi_ext::{CallOptions, RetryPolicy};
///
/// let once = CallOptions::new()
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy::none())
///     .header("x-request-id", "42")?;
/// wa.check_health().with_options(once).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) headers: HeaderMap,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long each attempt may take, instead of the client's request
    /// timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// When and how often to retry, instead of the client's policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Adds a header to the request; a name or value a header cannot carry
    /// is an [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub fn header(mut self, name: &str, value: &str) -> crate::Result<Self> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| crate::Error::invalid("header", format!("`{name}`: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| crate::Error::invalid("header", format!("the value of `{name}`: {e}")))?;
        self.headers.append(name, value);
        Ok(self)
    }
}

/// A call's value with what came with it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Answer<T> {
    /// The decoded answer.
    pub value: T,
    /// The final attempt's HTTP status.
    pub status: StatusCode,
    /// The final attempt's headers.
    pub headers: HeaderMap,
    /// How many attempts were made, retries included.
    pub attempts: u32,
    /// From the first attempt to the final answer, waits included.
    pub latency: Duration,
}

impl<T> Answer<T> {
    /// The same answer with another value.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        Answer {
            value: f(self.value),
            status: self.status,
            headers: self.headers,
            attempts: self.attempts,
            latency: self.latency,
        }
    }
}

/// What one call changes of its request and learns of its sending. It
/// travels in the call's own transport (`transport::CallTransport`), which
/// the call's request is sent through instead of the client's.
pub(crate) struct CallSettings {
    pub(crate) options: CallOptions,
    /// A raw upload's media type and length, which replace the client's
    /// `application/octet-stream`.
    pub(crate) content: Option<(HeaderValue, Option<u64>)>,
    attempts: AtomicU32,
    latency_micros: AtomicU64,
}

impl CallSettings {
    pub(crate) fn new(options: CallOptions, content: Option<(HeaderValue, Option<u64>)>) -> Self {
        Self {
            options,
            content,
            attempts: AtomicU32::new(1),
            latency_micros: AtomicU64::new(0),
        }
    }

    /// Records the attempts made and the time since the first began.
    pub(crate) fn report(&self, attempts: u32, started: Instant) {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.attempts.store(attempts, Ordering::Relaxed);
        self.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// The attempts and latency recorded last.
    pub(crate) fn reported(&self) -> (u32, Duration) {
        (
            self.attempts.load(Ordering::Relaxed),
            Duration::from_micros(self.latency_micros.load(Ordering::Relaxed)),
        )
    }
}
