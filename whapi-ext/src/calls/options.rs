//! What one call may change of the client's settings, and what it may
//! report besides its value.

use std::cell::Cell;
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

/// What the transport reads and reports for the call it sends: the task of
/// the call holds it while the call's future runs.
pub(crate) struct Context {
    pub(crate) options: CallOptions,
    /// A raw upload's media type and length, which replace the client's
    /// `application/octet-stream`.
    pub(crate) content: Option<(HeaderValue, Option<u64>)>,
    pub(crate) attempts: Cell<u32>,
    pub(crate) latency: Cell<Duration>,
}

tokio::task_local! {
    /// The context of the call being sent on this task, if it has one.
    pub(crate) static CONTEXT: Context;
}

/// What the call being sent on this task changes of its request, if any.
pub(crate) struct Overrides {
    pub(crate) options: CallOptions,
    pub(crate) content: Option<(HeaderValue, Option<u64>)>,
}

/// The overrides of the call being sent on this task, if any.
pub(crate) fn current_overrides() -> Option<Overrides> {
    CONTEXT
        .try_with(|c| Overrides {
            options: c.options.clone(),
            content: c.content.clone(),
        })
        .ok()
}

/// Reports the attempts and latency of the call being sent on this task,
/// if it has a context to take them (the latency is only measured then).
pub(crate) fn report(attempts: u32, started: Instant) {
    let _ = CONTEXT.try_with(|c| {
        c.attempts.set(attempts);
        c.latency.set(started.elapsed());
    });
}
