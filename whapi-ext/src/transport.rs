//! What sends every request of a [`Whapi`](crate::Whapi): auth, the request
//! timeout, retries by [`crate::retry`], and one `tracing` span per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use tracing::field;
use whapi_client::{BoxFuture, Rebuild, Transport};

use crate::calls::options::CallSettings;
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

/// The transport of one call with settings of its own: the client's, sent
/// with them, reporting its attempts and latency into them.
pub(crate) struct CallTransport {
    pub(crate) base: Arc<RetryingTransport>,
    pub(crate) settings: CallSettings,
}

impl Transport for CallTransport {
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.base
            .send_with(client, request, None, operation, Some(&self.settings))
    }

    fn send_with_rebuild<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        rebuild: Rebuild<'a>,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.base.send_with(
            client,
            request,
            Some(rebuild),
            operation,
            Some(&self.settings),
        )
    }
}

/// The settings in force for one request: the client's, or its call's own.
#[derive(Clone, Copy)]
struct InForce {
    request_timeout: Duration,
    policy: RetryPolicy,
}

/// How the next attempt's request is made.
enum Again<'a> {
    /// Built anew by the generated operation, then readied as the first.
    Rebuild(Rebuild<'a>),
    /// A copy of the first, readied, made before it was sent: for requests
    /// the operation cannot build again (a raw upload's bytes).
    Spare(Box<reqwest::Request>),
}

impl<'a> Again<'a> {
    /// The next attempt's request, and how to make the one after it, if
    /// `more` may follow.
    fn next(
        self,
        transport: &RetryingTransport,
        call: Option<&CallSettings>,
        more: bool,
    ) -> (reqwest::Result<reqwest::Request>, Option<Again<'a>>) {
        match self {
            Again::Rebuild(rebuild) => {
                let request = rebuild.request().map(|mut request| {
                    transport.prepare(&mut request, call);
                    request
                });
                (request, more.then_some(Again::Rebuild(rebuild)))
            }
            Again::Spare(request) => {
                let after = if more { spare_of(&request) } else { None };
                (Ok(*request), after.map(|r| Again::Spare(Box::new(r))))
            }
        }
    }
}

/// A request's first attempt under way, with what deciding on a retry
/// takes.
struct FirstAttempt<'a> {
    transport: &'a RetryingTransport,
    client: &'a reqwest::Client,
    /// The operation's client method, for whether it may be sent again
    /// after an unknown outcome (looked up only when one comes).
    operation: &'static str,
    /// The call's own settings, where it has them.
    call: Option<&'a CallSettings>,
    in_force: InForce,
    started: Instant,
    /// How to make the next attempt, if the policy allows one and the
    /// request can be made again (a stream cannot: it is sent once).
    again: Option<Again<'a>>,
}

/// A request whose first attempt failed in a way worth retrying.
struct Retrying<'a> {
    first: FirstAttempt<'a>,
    span: tracing::Span,
    /// The latest attempt's.
    result: reqwest::Result<reqwest::Response>,
    outcome: Outcome,
    retry_after: Option<Duration>,
}

impl RetryingTransport {
    /// Puts the token, the call's own settings and the timeout on
    /// `request`.
    fn prepare(&self, request: &mut reqwest::Request, call: Option<&CallSettings>) -> InForce {
        // A call's own options, where it has them, override the client's.
        let own_timeout = call.and_then(|o| o.options.timeout);
        let in_force = match call {
            Some(o) => InForce {
                request_timeout: own_timeout.unwrap_or(self.request_timeout),
                policy: o.options.retry.unwrap_or(self.policy),
            },
            None => InForce {
                request_timeout: self.request_timeout,
                policy: self.policy,
            },
        };
        if let Some(call) = call {
            let headers = request.headers_mut();
            for (name, value) in &call.options.headers {
                headers.append(name, value.clone());
            }
            if let Some((content_type, length)) = &call.content {
                headers.insert(CONTENT_TYPE, content_type.clone());
                if let Some(length) = length {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(*length));
                }
            }
        }
        if let Some(authorization) = &self.authorization {
            request
                .headers_mut()
                .insert(AUTHORIZATION, authorization.clone());
        }
        if own_timeout.is_some() || !self.client_has_timeout {
            *request.timeout_mut() = Some(in_force.request_timeout);
        }
        in_force
    }

    /// Readies `request` and starts its first attempt.
    #[inline]
    fn start<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        rebuild: Option<Rebuild<'a>>,
        span: tracing::Span,
        operation: &'static str,
        call: Option<&'a CallSettings>,
    ) -> Attempting<'a, impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static>
    {
        let in_force = self.prepare(&mut request, call);
        let again = if in_force.policy.max_attempts() < 2 {
            None
        } else if let Some(rebuild) = rebuild {
            Some(Again::Rebuild(rebuild))
        } else {
            spare_of(&request).map(|r| Again::Spare(Box::new(r)))
        };
        let first = FirstAttempt {
            transport: self,
            client,
            operation,
            call,
            in_force,
            started: Instant::now(),
            again,
        };
        Attempting {
            sent: client.execute(request),
            first: Some(first),
            span,
            retrying: None,
        }
    }

    fn send_with<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        rebuild: Option<Rebuild<'a>>,
        operation: &'static str,
        call: Option<&'a CallSettings>,
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
        // Made in its box, not moved there.
        let attempting = Box::write(
            Box::new_uninit(),
            self.start(client, request, rebuild, span, operation, call),
        );
        Box::into_pin(attempting)
    }
}

pin_project_lite::pin_project! {
    /// A request under way. Written out by hand rather than as an `async`
    /// block: it is boxed for every request, and holds no more than the
    /// first attempt needs; the backoff schedule, the sleep and the later
    /// attempts are a future of their own, boxed only when a retry comes.
    struct Attempting<'a, F> {
        #[pin]
        sent: F,
        first: Option<FirstAttempt<'a>>,
        span: tracing::Span,
        retrying: Option<BoxFuture<'a, reqwest::Result<reqwest::Response>>>,
    }
}

impl<'a, F> Future for Attempting<'a, F>
where
    F: Future<Output = reqwest::Result<reqwest::Response>>,
{
    type Output = reqwest::Result<reqwest::Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // No span to enter on every poll when no subscriber wants it.
        let _entered = (!this.span.is_disabled()).then(|| this.span.enter());
        if let Some(retrying) = this.retrying {
            return retrying.as_mut().poll(cx);
        }
        let result = ready!(this.sent.poll(cx));
        let Some(first) = this.first.take() else {
            panic!("a request's future polled after it finished");
        };
        let outcome = attempt_finished(1, &result, first.started);
        if first.again.is_some() {
            if let Decision::Retry { retry_after } = decide(first.operation, outcome) {
                let retrying = Retrying {
                    first,
                    span: this.span.clone(),
                    result,
                    outcome,
                    retry_after,
                };
                return this
                    .retrying
                    .insert(Box::pin(retrying.run()))
                    .as_mut()
                    .poll(cx);
            }
        }
        finished(this.span, 1, first.started, outcome, first.call);
        Poll::Ready(result)
    }
}

impl Retrying<'_> {
    /// The attempts after the first, until one need not be retried or the
    /// policy allows no more.
    async fn run(self) -> reqwest::Result<reqwest::Response> {
        let Retrying {
            first,
            span,
            mut result,
            mut outcome,
            mut retry_after,
        } = self;
        let FirstAttempt {
            transport,
            client,
            operation,
            call,
            in_force,
            started,
            mut again,
        } = first;
        let mut schedule = in_force.policy.schedule();
        let mut attempt = 1u32;
        loop {
            let delay = again
                .as_ref()
                .and_then(|_| schedule.next_delay(attempt, retry_after, started.elapsed()));
            let (Some(delay), Some(source)) = (delay, again.take()) else {
                finished(&span, attempt, started, outcome, call);
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
            attempt += 1;
            let more = attempt < in_force.policy.max_attempts();
            let (next, after) = source.next(transport, call, more);
            let mut next = match next {
                Ok(next) => next,
                Err(e) => {
                    // Not sent: the attempts made are the ones before.
                    let failed = Err(e);
                    finished(&span, attempt - 1, started, outcome_of(&failed), call);
                    return failed;
                }
            };
            again = after;
            // A retry gets what is left of the time budget, at most the
            // request timeout.
            let left = in_force
                .policy
                .max_elapsed()
                .saturating_sub(started.elapsed());
            *next.timeout_mut() = Some(
                in_force
                    .request_timeout
                    .min(left.max(Duration::from_millis(1))),
            );
            let attempt_started = Instant::now();
            result = client.execute(next).await;
            outcome = attempt_finished(attempt, &result, attempt_started);
            retry_after = match decide(operation, outcome) {
                Decision::Retry { retry_after } => retry_after,
                Decision::Stop => {
                    finished(&span, attempt, started, outcome, call);
                    return result;
                }
            };
        }
    }
}

/// A copy of `request` to send again; `None` for a body that cannot be
/// copied (a stream). reqwest's `try_clone` would do, but it also makes
/// and throws away a map of extensions on every call.
fn spare_of(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut spare = reqwest::Request::new(request.method().clone(), request.url().clone());
    *spare.headers_mut() = request.headers().clone();
    *spare.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *spare.timeout_mut() = Some(*timeout);
    }
    Some(spare)
}

/// Logs an attempt's end; its outcome.
fn attempt_finished(
    attempt: u32,
    result: &reqwest::Result<reqwest::Response>,
    started: Instant,
) -> Outcome {
    let outcome = outcome_of(result);
    // Field values are computed only when the event is enabled.
    tracing::debug!(
        attempt,
        ?outcome,
        latency_ms = started.elapsed().as_millis() as u64,
        "attempt finished"
    );
    outcome
}

/// The final attempt: its outcome is the span's, and the span's latency is
/// the whole request's, retries included; a call with settings of its own
/// learns both.
fn finished(
    span: &tracing::Span,
    attempt: u32,
    started: Instant,
    outcome: Outcome,
    call: Option<&CallSettings>,
) {
    if let Some(call) = call {
        call.report(attempt, started);
    }
    if !span.is_disabled() {
        span.record("attempt", attempt);
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        if let Outcome::Status { status, .. } = outcome {
            span.record("status", status);
        }
    }
    tracing::debug!("request finished");
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
        self.send_with(client, request, None, operation, None)
    }

    fn send_with_rebuild<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        rebuild: Rebuild<'a>,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.send_with(client, request, Some(rebuild), operation, None)
    }
}
