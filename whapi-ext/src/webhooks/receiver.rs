//! An axum router that receives webhooks without a store (feature `axum`).
//!
//! It acknowledges an event only once your handler has succeeded: a
//! handler that fails, panics or runs past its timeout gets the service an
//! error, and the service delivers the event again (its "persist webhooks"
//! setting). At most `concurrency` handlers run at once; past that the
//! answer is `503` with `Retry-After`, so a flood takes bounded memory.
//! Events handled recently (the last `remembered` keys) are acknowledged
//! and not handled again. For events that must survive a restart of your
//! process, use the durable [`Inbox`](super::Inbox) (features `sqlite`,
//! `redis`).
//!
//! It accepts any method on its path and below it, so the webhook modes
//! `body`, `path` and `method` all reach it.
//!
//! Who may post is an explicit choice: a [`WebhookVerifier`] checks a
//! secret header, or [`WebhookReceiver::without_verification`] lets anyone
//! who reaches the URL post events (logged once at start). With neither,
//! every request is refused with `401` (and that is logged once).
//!
//! | request | answer |
//! |---|---|
//! | header missing or wrong, or no verification chosen | `401 Unauthorized` (the body is not read) |
//! | body over the limit | `413 Payload Too Large` |
//! | body not a webhook event | `400 Bad Request` (logged) |
//! | an event handled recently, or now by the handler | `200 OK` |
//! | the handler failed, panicked or timed out | `500` (logged) |
//! | all handlers busy, or the same event being handled | `503` with `Retry-After` |

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use axum::Router;

use super::{handler, EventKey, Handler, WebhookEvent, WebhookVerifier};

/// Default body limit: 5 MiB, far above any event the service sends.
pub const DEFAULT_BODY_LIMIT: usize = 5 * 1024 * 1024;

/// The receiver's default handler timeout: two sends at the client's
/// default request timeout (60 s).
const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(120);

/// A sender that takes longer to send its body is cut off (`408`): slow
/// senders cannot hold the receiver's room for ever.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the router that receives webhooks.
///
/// ```no_run
/// use whapi_ext::webhooks::{WebhookReceiver, WebhookVerifier};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let router = WebhookReceiver::new(|event| async move {
///     println!("{}", event.event_type);
///     Ok::<(), std::convert::Infallible>(())
/// })
/// .verifier(WebhookVerifier::new("x-webhook-secret", "s3cr3t")?)
/// .router("/webhook");
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// axum::serve(listener, router).await?;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct WebhookReceiver {
    handler: Handler,
    verification: Verification,
    body_limit: usize,
    concurrency: usize,
    timeout: Duration,
    remembered: usize,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("verification", &self.verification)
            .field("body_limit", &self.body_limit)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("remembered", &self.remembered)
            .finish_non_exhaustive()
    }
}

/// Who may post webhooks: whoever a verifier accepts, anyone (chosen so),
/// or no one until one of the two is chosen.
#[derive(Debug, Clone, Default)]
pub(crate) enum Verification {
    /// Neither chosen: every request is refused.
    #[default]
    Unchosen,
    /// Requests the verifier accepts.
    By(Arc<WebhookVerifier>),
    /// Anyone who reaches the URL.
    Anyone,
}

impl Verification {
    /// Logs, once as a router is made, what the choice means.
    pub(crate) fn announce(&self, path: &str) {
        match self {
            Verification::Unchosen => tracing::error!(
                path,
                "no webhook verification chosen: every request is refused (401); set a verifier, or call without_verification()"
            ),
            Verification::Anyone => tracing::warn!(
                path,
                "webhooks accepted without verification: anyone who can reach this URL can post events"
            ),
            Verification::By(_) => {}
        }
    }
}

#[derive(Clone)]
struct Shared {
    handler: Handler,
    verification: Verification,
    body_limit: usize,
    timeout: Duration,
    running: Arc<tokio::sync::Semaphore>,
    seen: Arc<Mutex<Seen>>,
}

/// Keys being handled and keys handled lately (oldest forgotten first).
#[derive(Default)]
struct Seen {
    running: HashSet<EventKey>,
    done: HashSet<EventKey>,
    order: VecDeque<EventKey>,
    capacity: usize,
}

impl WebhookReceiver {
    /// A receiver that hands every event to `handler`.
    pub fn new<H, Fut, E>(handler_fn: H) -> Self
    where
        H: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        Self {
            handler: handler(handler_fn),
            verification: Verification::Unchosen,
            body_limit: DEFAULT_BODY_LIMIT,
            concurrency: 64,
            timeout: DEFAULT_HANDLER_TIMEOUT,
            remembered: 10_000,
        }
    }

    /// Refuses requests without the configured header (`401`).
    pub fn verifier(mut self, verifier: WebhookVerifier) -> Self {
        self.verification = Verification::By(Arc::new(verifier));
        self
    }

    /// Accepts requests from anyone who reaches the URL: for a receiver
    /// behind something that checks them already, or in a test. Without
    /// this or a [verifier](Self::verifier), every request is refused.
    pub fn without_verification(mut self) -> Self {
        self.verification = Verification::Anyone;
        self
    }

    /// Refuses bodies over this many bytes (`413`; default 5 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Handlers running at once before requests get `503` (default 64).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// A handler running longer fails (`500`; default 2 min: longer than
    /// a send at the client's default request timeout, 60 s, so that a
    /// slow send is not cancelled mid-way and sent again when the event
    /// is). The service may stop waiting for the answer first; its
    /// redelivery meanwhile is answered `503` while the handler runs, and
    /// `200` once it succeeded.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many handled events' keys are remembered to drop redeliveries
    /// (default 10,000; 0 handles every delivery).
    pub fn remembered(mut self, keys: usize) -> Self {
        self.remembered = keys;
        self
    }

    /// The router, receiving requests of any method on `path` and below it
    /// (`/webhook`, `/webhook/messages/post`).
    pub fn router(self, path: &str) -> Router {
        self.verification.announce(path);
        let shared = Shared {
            handler: self.handler,
            verification: self.verification,
            body_limit: self.body_limit,
            timeout: self.timeout,
            running: Arc::new(tokio::sync::Semaphore::new(self.concurrency)),
            seen: Arc::new(Mutex::new(Seen {
                capacity: self.remembered,
                ..Seen::default()
            })),
        };
        routes(path, any(receive)).with_state(shared)
    }
}

/// `path` and everything below it, routed to `route`.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(
    path: &str,
    route: MethodRouter<S>,
) -> Router<S> {
    let base = format!("/{}", path.trim_matches('/'));
    let nested = if base == "/" {
        "/{*event}".to_string()
    } else {
        format!("{base}/{{*event}}")
    };
    Router::new()
        .route(&base, route.clone())
        .route(&nested, route)
}

/// The body of a request that passed the verification and the size
/// limit, or the status refusing it.
pub(crate) async fn read_verified(
    verification: &Verification,
    body_limit: usize,
    request: Request,
) -> Result<axum::body::Bytes, StatusCode> {
    match verification {
        Verification::Unchosen => return Err(StatusCode::UNAUTHORIZED),
        Verification::By(verifier) => {
            if let Err(refusal) = verifier.verify(request.headers()) {
                tracing::warn!(%refusal, "webhook refused");
                return Err(StatusCode::UNAUTHORIZED);
            }
        }
        Verification::Anyone => {}
    }
    let read = axum::body::to_bytes(request.into_body(), body_limit);
    match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(error)) => {
            tracing::warn!(%error, limit = body_limit, "webhook body refused");
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(_) => {
            tracing::warn!(timeout = ?BODY_READ_TIMEOUT, "webhook body not sent in time");
            Err(StatusCode::REQUEST_TIMEOUT)
        }
    }
}

/// `503` with `Retry-After`: the sender delivers the event again later.
pub(crate) fn busy() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(
            header::RETRY_AFTER,
            HeaderValue::from(super::RETRY_AFTER.as_secs()),
        )],
    )
        .into_response()
}

async fn receive(State(shared): State<Shared>, request: Request) -> Response {
    let Ok(_permit) = shared.running.clone().try_acquire_owned() else {
        return busy();
    };
    let body = match read_verified(&shared.verification, shared.body_limit, request).await {
        Ok(body) => body,
        Err(status) => return status.into_response(),
    };
    let event = match WebhookEvent::parse(&body) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(%error, bytes = body.len(), "unreadable webhook body");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let key = event.key();
    let Some(running) = Running::start(&shared.seen, key) else {
        return busy();
    };
    if running.key.is_none() {
        return StatusCode::OK.into_response();
    }
    let outcome = super::run_handler(&shared.handler, event, shared.timeout).await;
    match outcome {
        Ok(()) => {
            running.succeeded();
            StatusCode::OK.into_response()
        }
        Err(error) => {
            tracing::error!(%error, "webhook handler failed; the service will deliver it again");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// An event's key while its handler runs: taken out of `running` when
/// dropped, also when the request is dropped halfway (the sender hung up),
/// so its redelivery is not refused as "being handled" for ever.
struct Running<'a> {
    seen: &'a Mutex<Seen>,
    /// `None` when the event was handled before.
    key: Option<EventKey>,
}

impl<'a> Running<'a> {
    /// Marks `key` as running; `None` when it is running already.
    fn start(seen: &'a Mutex<Seen>, key: EventKey) -> Option<Self> {
        let mut guard = seen.lock().unwrap_or_else(|p| p.into_inner());
        if guard.done.contains(&key) {
            return Some(Self { seen, key: None });
        }
        guard.running.insert(key.clone()).then_some(Self {
            seen,
            key: Some(key),
        })
    }

    /// Remembers the key as handled.
    fn succeeded(mut self) {
        if let Some(key) = self.key.take() {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.running.remove(&key);
            seen.remember(key);
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.running.remove(&key);
        }
    }
}

impl Seen {
    fn remember(&mut self, key: EventKey) {
        if self.capacity == 0 || !self.done.insert(key.clone()) {
            return;
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.done.remove(&old);
            }
        }
    }
}
