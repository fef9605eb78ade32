//! What sends every request of a [`Whapi`](crate::Whapi): auth, the request
//! timeout, retries by [`crate::retry`], and one `tracing` span per request.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use tracing::{field, Instrument};
use whapi_client::{BoxFuture, Transport};

use crate::calls::options::{current_overrides, report};
use crate::error::retry_after;
use crate::retry::{decide, Decision, Outcome, RetryPolicy};

/// The [`Transport`] a `Whapi` puts into its generated client.
pub(crate) struct RetryingTransport {
    /// `Bearer <token>`, marked sensitive so `Debug` hides it, for each
    /// request when the HTTP client does not carry it.
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) request_timeout: std::time::Duration,
    /// Whether the HTTP client applies `request_timeout` itself.
    pub(crate) client_has_timeout: bool,
    pub(crate) policy: RetryPolicy,
}

fn outcome_of(result: &reqwest::Result<reqwest::Response>) -> Outcome {
    match result {
        Ok(response) => {
            let status = response.status();
            Outcome::Status {
                status: status.as_u16(),
                // Only a refusal carries one worth reading.
                retry_after: if status.is_success() {
                    None
                } else {
                    retry_after(response.headers())
                },
            }
        }
        Err(e) if e.is_connect() => Outcome::ConnectFailed,
        Err(e) if e.is_timeout() => Outcome::TimedOut,
        Err(_) => Outcome::TransportFailed,
    }
}

impl RetryingTransport {
    async fn send_with_retries(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        span: &tracing::Span,
    ) -> reqwest::Result<reqwest::Response> {
        // A call's own options, where it has them, override the client's.
        let overrides = current_overrides();
        let own_timeout = overrides.as_ref().and_then(|o| o.options.timeout);
        let (request_timeout, policy) = match &overrides {
            Some(o) => (
                own_timeout.unwrap_or(self.request_timeout),
                o.options.retry.unwrap_or(self.policy),
            ),
            None => (self.request_timeout, self.policy),
        };
        if let Some(overrides) = overrides {
            let headers = request.headers_mut();
            for (name, value) in &overrides.options.headers {
                headers.append(name, value.clone());
            }
            if let Some((content_type, length)) = overrides.content {
                headers.insert(CONTENT_TYPE, content_type);
                if let Some(length) = length {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
                }
            }
        }
        if let Some(authorization) = &self.authorization {
            request
                .headers_mut()
                .insert(AUTHORIZATION, authorization.clone());
        }
        if own_timeout.is_some() || !self.client_has_timeout {
            *request.timeout_mut() = Some(request_timeout);
        }
        let method = request.method().clone();
        // The backoff schedule is made on the first retry: most requests
        // never need it.
        let mut schedule = None;
        let started = Instant::now();
        let mut attempt_started = started;
        let mut attempt = 1u32;
        loop {
            // A spare copy for the next attempt, if there may be one. A body
            // that cannot be cloned (a stream) is sent once.
            let spare = if attempt < policy.max_attempts() {
                request.try_clone()
            } else {
                None
            };
            let result = client.execute(request).await;
            let outcome = outcome_of(&result);
            // Field values are computed only when the event is enabled.
            tracing::debug!(
                attempt,
                ?outcome,
                latency_ms = attempt_started.elapsed().as_millis() as u64,
                "attempt finished"
            );
            let delay = match decide(&method, outcome) {
                Decision::Stop => None,
                Decision::Retry { retry_after } => spare.as_ref().and_then(|_| {
                    let schedule = schedule.get_or_insert_with(|| policy.schedule());
                    schedule.next_delay(attempt, retry_after, started.elapsed())
                }),
            };
            let (Some(delay), Some(mut next)) = (delay, spare) else {
                // The final attempt: its outcome is the span's, and the
                // span's latency is the whole request's, retries included.
                report(attempt, started.elapsed());
                if !span.is_disabled() {
                    span.record("attempt", attempt);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                    if let Outcome::Status { status, .. } = outcome {
                        span.record("status", status);
                    }
                }
                tracing::debug!("request finished");
                return result;
            };
            tracing::info!(
                attempt,
                ?outcome,
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            drop(result);
            sleep(delay).await;
            // A retry gets what is left of the time budget, at most the
            // request timeout.
            let left = policy.max_elapsed().saturating_sub(started.elapsed());
            *next.timeout_mut() = Some(request_timeout.min(left.max(Duration::from_millis(1))));
            request = next;
            attempt += 1;
            attempt_started = Instant::now();
        }
    }
}

async fn sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

impl Transport for RetryingTransport {
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // Field values are only computed when the span is enabled.
        let op = || whapi_client::operation(operation);
        let span = tracing::info_span!(
            "whapi.request",
            operation = op().map_or(operation, |o| o.operation_id),
            method = op().map_or("", |o| o.method),
            path = op().map_or("", |o| o.path),
            status = field::Empty,
            attempt = field::Empty,
            latency_ms = field::Empty,
        );
        if span.is_disabled() {
            // No subscriber wants it: no span to enter on every poll.
            return Box::pin(async move { self.send_with_retries(client, request, &span).await });
        }
        Box::pin(async move {
            self.send_with_retries(client, request, &span)
                .instrument(span.clone())
                .await
        })
    }
}
